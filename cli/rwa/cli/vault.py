"""Athletes' vaults."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group, fields
from rwa.cli.render import console, print_table
from rwa.core.errors import parsed
from rwa.core.parse import parse_wallet
from rwa.core.units import format_units
from rwa.domain import nil
from rwa.domain.vaults import Vaults


@click.group(cls=Group)
def vault() -> None:
    """Athletes' vaults: one per athlete id, at an address known before it exists."""


@chain_command(vault)
@click.argument("athlete_id")
def predict(ctx: CommandContext, athlete_id: str) -> None:
    """The address of ATHLETE_ID's vault (a name such as jane-doe, hashed with keccak256)."""
    parsed(nil.parse_athlete_id, athlete_id)
    with ctx.target() as target:
        result = Vaults(target).predict(athlete_id)
    state = "exists" if result["exists"] else "not created yet"
    ctx.emit(
        result,
        lambda: console().print(f"{athlete_id}: vault {result['vault']} ({state})  [dim]athlete id {result['athleteId']}[/]"),
    )


@chain_command(vault, Access.PROPOSE, account_help="deployer, the vault operator")
@click.argument("athlete_id")
@click.option("--athlete", "wallet", required=True, help="The athlete's wallet (an address or a manifest account name).")
@click.option("--splitter", default=None, help="The split releases go to (rwa split create); the athlete may set it later.")
def create(ctx: CommandContext, athlete_id: str, wallet: str, splitter: str | None) -> None:
    """Create ATHLETE_ID's vault, controlled by the athlete's wallet (the operator signs)."""
    parsed(nil.parse_athlete_id, athlete_id)
    with ctx.target() as target:
        vaults = Vaults(target, ctx.via)
        result = vaults.create(athlete_id, wallet, splitter)
        if result is None:
            return ctx.proposed(vaults.writer.propose(f"vault create {athlete_id}"))
    ctx.sent(result, f"vault of {athlete_id} created at {result['vault']} (as predicted)  [dim]gas {result['gasUsed']:,}[/]")


@chain_command(vault)
@click.argument("athlete")
def show(ctx: CommandContext, athlete: str) -> None:
    """ATHLETE's vault (by athlete id or vault address): wallet, splitter, balances, deals."""
    with ctx.target() as target:
        result = Vaults(target).show(athlete)
    ctx.emit(result, lambda: _print_vault(athlete, result))


def _print_vault(athlete: str, result: dict[str, Any]) -> None:
    out = console()
    named = "" if athlete.lower() == result["vault"].lower() else f"[bold]{athlete}[/]  "
    label = f" ({result['recordName']})" if result["recordName"] else ""
    out.print(f"{named}vault {result['vault']}{label}")
    verified = "[green]verified[/]" if result["athleteVerified"] else "[red]not verified[/] (releases need a verified athlete)"
    splitter = result["splitter"] or f"none (the athlete sets one: rwa vault set-splitter {athlete} SPLIT)"
    out.print(
        fields(
            [
                ("athlete id", result["athleteId"]),
                ("athlete", f"{result['athleteWallet']}  {verified}"),
                ("splitter", splitter),
                ("paused", "[bold red]yes[/]" if result["paused"] else "no"),
                ("deals", result["dealCount"]),
            ]
        )
    )
    print_table(_balances(result["balances"]), out)


def _balances(balances: list[dict[str, Any]]) -> Table:
    table = Table(title="balances", title_justify="left")
    for column in ("token", "balance", "escrowed", "free"):
        table.add_column(column, justify="left" if column == "token" else "right")
    for row in balances:
        decimals = row["decimals"]
        table.add_row(row["symbol"], *(format_units(int(row[k]), decimals) for k in ("balance", "escrowed", "free")))
    return table


@chain_command(vault, name="list")
@click.option("--start", default=0, show_default=True, type=click.IntRange(0), help="First position, from 0.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500), help="Most vaults shown.")
def list_vaults(ctx: CommandContext, start: int, limit: int) -> None:
    """The factory's vaults, in creation order."""
    with ctx.target() as target:
        result = Vaults(target).list(start, limit)
    ctx.emit(result, lambda: _print_vaults(start, result))


def _print_vaults(start: int, result: dict[str, Any]) -> None:
    shown = len(result["vaults"])
    table = Table(title=f"vaults {start + 1 if shown else start}..{start + shown} of {result['total']}", title_justify="left")
    for column in ("#", "vault", "athlete id", "athlete", "splitter", "deals"):
        table.add_column(column, no_wrap=column != "athlete id", justify="right" if column in ("#", "deals") else "left")
    for index, row in enumerate(result["vaults"], start + 1):
        name = f" ({row['recordName']})" if row["recordName"] else ""
        table.add_row(
            str(index),
            row["vault"] + name,
            row["athleteId"][:10] + "…",
            row["athleteWallet"],
            row["splitter"] or "-",
            str(row["dealCount"]),
        )
    print_table(table)


@chain_command(vault, Access.SEND, name="set-splitter", signer="athlete")
@click.argument("athlete")
@click.argument("split")
def set_splitter(ctx: CommandContext, athlete: str, split: str) -> None:
    """Release ATHLETE's deals to SPLIT (a split of the SplitterFactory); the athlete signs."""
    with ctx.target() as target:
        result = Vaults(target).set_splitter(athlete, split)
    ctx.sent(result, f"{athlete}: releases now go to split {split}")


def _admin_act(ctx: CommandContext, athlete: str, function: str, args: tuple[Any, ...], title: str, done: str) -> None:
    with ctx.target() as target:
        vaults = Vaults(target, ctx.via)
        result = vaults.admin_act(athlete, function, *args)
        if result is None:
            return ctx.proposed(vaults.writer.propose(title))
    ctx.sent(result, f"vault of {result['athlete']} {done}")


@chain_command(vault, Access.PROPOSE, account_help="deployer (the guardian is a Safe: use --via guardian)")
@click.argument("athlete")
def pause(ctx: CommandContext, athlete: str) -> None:
    """Stop ATHLETE's vault from moving money (the guardian Safe, with no delay)."""
    _admin_act(ctx, athlete, "pause", (), f"vault pause {athlete}", "paused")


@chain_command(vault, Access.PROPOSE, account_help="deployer (the admin is the timelock: use --via safe)")
@click.argument("athlete")
def unpause(ctx: CommandContext, athlete: str) -> None:
    """Let ATHLETE's vault move money again (the admin, through the timelock: the guardian cannot undo its pause)."""
    _admin_act(ctx, athlete, "unpause", (), f"vault unpause {athlete}", "unpaused")


@chain_command(vault, Access.PROPOSE, account_help="deployer (the admin is the timelock: use --via safe)")
@click.argument("athlete")
@click.argument("new_wallet")
def recover(ctx: CommandContext, athlete: str, new_wallet: str) -> None:
    """Hand ATHLETE's vault to NEW_WALLET when the athlete lost its key (the admin, through the timelock)."""
    wallet = parsed(parse_wallet, new_wallet)
    _admin_act(ctx, athlete, "recoverAthlete", (wallet,), f"vault recover {athlete} to {wallet}", f"now controlled by {wallet}")
