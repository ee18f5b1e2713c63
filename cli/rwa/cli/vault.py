"""Athletes' vaults."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from rwa.cli.options import (
    Group,
    account_option,
    fields,
    json_option,
    network_option,
    proposed,
    sent,
    via_option,
)
from rwa.cli.render import console, emit_json, print_table
from rwa.core import project
from rwa.core.errors import parsed
from rwa.core.parse import parse_wallet
from rwa.core.units import format_units
from rwa.deploy import session
from rwa.domain import nil
from rwa.domain.vaults import Vaults


@click.group(cls=Group)
def vault() -> None:
    """Athletes' vaults: one per athlete id, at an address known before it exists."""


@vault.command()
@click.argument("athlete_id")
@network_option
@json_option
def predict(athlete_id: str, network: str | None, as_json: bool) -> None:
    """The address of ATHLETE_ID's vault (a name such as jane-doe, hashed with keccak256)."""
    parsed(nil.parse_athlete_id, athlete_id)
    with session.open_target(network, None, project.paths(), read_only=True) as target:
        result = Vaults(target).predict(athlete_id)
    if as_json:
        return emit_json(result)
    state = "exists" if result["exists"] else "not created yet"
    console().print(f"{athlete_id}: vault {result['vault']} ({state})  [dim]athlete id {result['athleteId']}[/]")


@vault.command()
@click.argument("athlete_id")
@click.option("--athlete", "wallet", required=True, help="The athlete's wallet (an address or a manifest account name).")
@click.option("--splitter", default=None, help="The split releases go to (rwa split create); the athlete may set it later.")
@network_option
@account_option("deployer, the vault operator")
@via_option
@json_option
def create(
    athlete_id: str, wallet: str, splitter: str | None, network: str | None, account: str | None, via: str | None, as_json: bool
) -> None:
    """Create ATHLETE_ID's vault, controlled by the athlete's wallet (the operator signs)."""
    parsed(nil.parse_athlete_id, athlete_id)
    with session.open_target(network, account, project.paths(), read_only=via is not None) as target:
        vaults = Vaults(target, via)
        result = vaults.create(athlete_id, wallet, splitter)
        if result is None:
            return proposed(vaults.writer.propose(f"vault create {athlete_id}"), as_json)
    summary = f"vault of {athlete_id} created at {result['vault']} (as predicted)  [dim]gas {result['gasUsed']:,}[/]"
    sent(result, as_json, summary)


@vault.command()
@click.argument("athlete")
@network_option
@json_option
def show(athlete: str, network: str | None, as_json: bool) -> None:
    """ATHLETE's vault (by athlete id or vault address): wallet, splitter, balances, deals."""
    with session.open_target(network, None, project.paths(), read_only=True) as target:
        result = Vaults(target).show(athlete)
    if as_json:
        return emit_json(result)
    out = console()
    named = "" if athlete.lower() == result["vault"].lower() else f"[bold]{athlete}[/]  "
    label = f" ({result['recordName']})" if result["recordName"] else ""
    out.print(f"{named}vault {result['vault']}{label}")
    verified = "[green]verified[/]" if result["athleteVerified"] else "[red]not verified[/] (releases need a verified athlete)"
    splitter = result["splitter"] or f"none (the athlete sets one: rwa vault set-splitter {athlete} SPLIT)"
    out.print(fields([
        ("athlete id", result["athleteId"]),
        ("athlete", f"{result['athleteWallet']}  {verified}"),
        ("splitter", splitter),
        ("paused", "[bold red]yes[/]" if result["paused"] else "no"),
        ("deals", result["dealCount"]),
    ]))  # fmt: skip
    print_table(_balances(result["balances"]), out)


def _balances(balances: list[dict[str, Any]]) -> Table:
    table = Table(title="balances", title_justify="left")
    for column in ("token", "balance", "escrowed", "free"):
        table.add_column(column, justify="left" if column == "token" else "right")
    for row in balances:
        decimals = row["decimals"]
        table.add_row(row["symbol"], *(format_units(int(row[k]), decimals) for k in ("balance", "escrowed", "free")))
    return table


@vault.command("list")
@click.option("--start", default=0, show_default=True, type=click.IntRange(0), help="First position, from 0.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500), help="Most vaults shown.")
@network_option
@json_option
def list_vaults(start: int, limit: int, network: str | None, as_json: bool) -> None:
    """The factory's vaults, in creation order."""
    with session.open_target(network, None, project.paths(), read_only=True) as target:
        result = Vaults(target).list(start, limit)
    if as_json:
        return emit_json(result)
    shown = len(result["vaults"])
    table = Table(title=f"vaults {start + 1 if shown else start}..{start + shown} of {result['total']}", title_justify="left")
    for column in ("#", "vault", "athlete id", "athlete", "splitter", "deals"):
        table.add_column(column, no_wrap=column != "athlete id", justify="right" if column in ("#", "deals") else "left")
    for index, row in enumerate(result["vaults"], start + 1):
        name = f" ({row['recordName']})" if row["recordName"] else ""
        table.add_row(str(index), row["vault"] + name, row["athleteId"][:10] + "…", row["athleteWallet"],
                      row["splitter"] or "-", str(row["dealCount"]))  # fmt: skip
    print_table(table)


@vault.command("set-splitter")
@click.argument("athlete")
@click.argument("split")
@network_option
@account_option("athlete")
@json_option
def set_splitter(athlete: str, split: str, network: str | None, account: str | None, as_json: bool) -> None:
    """Release ATHLETE's deals to SPLIT (a split of the SplitterFactory); the athlete signs."""
    with session.open_target(network, account, project.paths(), local_signer="athlete") as target:
        result = Vaults(target).set_splitter(athlete, split)
    sent(result, as_json, f"{athlete}: releases now go to split {split}")


def _admin_act(athlete: str, function: str, args: tuple[Any, ...], title: str, done: str,
               network: str | None, account: str | None, via: str | None, as_json: bool) -> None:  # fmt: skip
    with session.open_target(network, account, project.paths(), read_only=via is not None) as target:
        vaults = Vaults(target, via)
        result = vaults.admin_act(athlete, function, *args)
        if result is None:
            return proposed(vaults.writer.propose(title), as_json)
    sent(result, as_json, f"vault of {result['athlete']} {done}")


@vault.command()
@click.argument("athlete")
@network_option
@account_option("deployer (the guardian is a Safe: use --via guardian)")
@via_option
@json_option
def pause(athlete: str, network: str | None, account: str | None, via: str | None, as_json: bool) -> None:
    """Stop ATHLETE's vault from moving money (the guardian Safe, with no delay)."""
    _admin_act(athlete, "pause", (), f"vault pause {athlete}", "paused", network, account, via, as_json)


@vault.command()
@click.argument("athlete")
@network_option
@account_option("deployer (the admin is the timelock: use --via safe)")
@via_option
@json_option
def unpause(athlete: str, network: str | None, account: str | None, via: str | None, as_json: bool) -> None:
    """Let ATHLETE's vault move money again (the admin, through the timelock: the guardian cannot undo its pause)."""
    _admin_act(athlete, "unpause", (), f"vault unpause {athlete}", "unpaused", network, account, via, as_json)


@vault.command()
@click.argument("athlete")
@click.argument("new_wallet")
@network_option
@account_option("deployer (the admin is the timelock: use --via safe)")
@via_option
@json_option
def recover(athlete: str, new_wallet: str, network: str | None, account: str | None, via: str | None, as_json: bool) -> None:
    """Hand ATHLETE's vault to NEW_WALLET when the athlete lost its key (the admin, through the timelock)."""
    wallet = parsed(parse_wallet, new_wallet)
    _admin_act(athlete, "recoverAthlete", (wallet,), f"vault recover {athlete} to {wallet}", f"now controlled by {wallet}",
               network, account, via, as_json)  # fmt: skip
