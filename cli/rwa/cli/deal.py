"""A brand's deal with an athlete, from proposal to release (or refund).

A deal is named by its athlete (athlete id or vault address) and its id in the vault: `rwa deal
show demo-athlete 1`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group, fields
from rwa.cli.render import console, emit_json, print_table
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import format_duration, parse_future_time
from rwa.core.units import format_units
from rwa.domain import nil
from rwa.domain.deals import Deals

athlete_argument = click.argument("athlete")
deal_argument = click.argument("deal_id", metavar="DEAL_ID")


@click.group(cls=Group)
def deal() -> None:
    """NIL deals: a brand proposes, the athlete accepts, the brand funds the escrow (the deal NFT
    is minted), the athlete delivers, the brand confirms (or the confirmation period passes) and
    the escrow is released to the athlete's revenue split."""


@chain_command(deal, Access.SEND, signer="brand")
@athlete_argument
@click.option("--amount", required=True, help="The price, in whole units of the currency (1.5).")
@click.option("--currency", default="eth", show_default=True, help="eth, stablecoin or an ERC-20 address.")
@click.option(
    "--deliverables", required=True, help="A file or a text describing them (its keccak256 goes on chain) or a 0x hash."
)
@click.option("--uri", required=True, help="The deal's metadata, ipfs://<cid>.")
@click.option(
    "--confirmation-period",
    "period",
    default="7d",
    show_default=True,
    help="How long the brand has to confirm a delivery before anyone may release (at most 90d).",
)
def propose(ctx: CommandContext, athlete: str, amount: str, currency: str, deliverables: str, uri: str, period: str) -> None:
    """Propose a deal to ATHLETE; the signing account is the brand."""
    parsed(nil.parse_uri, uri)
    parsed(nil.parse_confirmation_period, period)
    digest = parsed(nil.deliverables_hash, deliverables)  # here: a file is relative to where the user is
    with ctx.target() as target:
        deals = Deals(target)
        terms = deals.terms(amount, currency, digest, period, uri)
        result = deals.propose(athlete, terms)
    summary = f"deal {result['dealId']} proposed to {athlete}: {terms.currency.show(terms.amount)}"
    ctx.sent(result, summary + f"; the athlete accepts with `rwa deal accept {athlete} {result['dealId']}`")


@chain_command(deal, Access.SEND, signer="athlete", account_help="athlete; with --signature: brand")
@athlete_argument
@deal_argument
@click.option("--signature", default=None, help="The athlete's signed acceptance (rwa deal sign-accept), to relay.")
@click.option("--deadline", default=None, help="The signature's deadline (unix time), with --signature.")
def accept(ctx: CommandContext, athlete: str, deal_id: str, signature: str | None, deadline: str | None) -> None:
    """Accept deal DEAL_ID (the athlete signs), or relay the athlete's signature."""
    number = parsed(nil.parse_deal_id, deal_id)
    if (signature is None) != (deadline is None):
        raise RwaError("--signature and --deadline go together (as `rwa deal sign-accept` prints them)")
    relayer = ctx if signature is None else dataclasses.replace(ctx, local_signer="brand")
    with relayer.target() as target:
        deals = Deals(target)
        if signature is None or deadline is None:
            result = deals.accept(athlete, number)
        else:
            until = parsed(lambda t: parse_future_time(t, deals.now(), "deadline"), deadline)
            result = deals.accept_signed(athlete, number, until, signature)
    ctx.sent(result, f"deal {number} of {athlete} accepted; the brand funds it with `rwa deal fund {athlete} {number}`")


@chain_command(deal, Access.SEND, name="sign-accept", signer="athlete")
@athlete_argument
@deal_argument
@click.option("--deadline", default="7d", show_default=True, help="Until when it is valid: 7d, a date or a unix time.")
def sign_accept(ctx: CommandContext, athlete: str, deal_id: str, deadline: str) -> None:
    """Sign the athlete's acceptance of DEAL_ID (EIP-712) for someone else to relay; nothing is sent."""
    number = parsed(nil.parse_deal_id, deal_id)
    with ctx.target() as target:
        deals = Deals(target)
        until = parsed(lambda t: parse_future_time(t, deals.now(), "deadline"), deadline)
        result = deals.sign_accept(athlete, number, until)
    if ctx.as_json:
        return emit_json(result)
    console().print(f"signed by {result['signer']} (valid until {_when(until)}); nothing sent. To relay:")
    console().print(f"  rwa deal accept {athlete} {number} --signature {result['signature']} --deadline {until}")


def _lifecycle(
    name: str,
    local_signer: str | None,
    help_text: str,
    call: Callable[[Deals, str, int], dict[str, Any]],
    summary: Callable[[str, dict[str, Any]], str],
) -> click.Command:
    """A deal command that one party signs (ATHLETE DEAL_ID); ``local_signer`` None: --account is
    required, because either party may sign."""

    @chain_command(
        deal,
        Access.SEND,
        name=name,
        signer=local_signer or "deployer",
        account_help=local_signer or "none: name the brand or the athlete",
    )
    @athlete_argument
    @deal_argument
    def command(ctx: CommandContext, athlete: str, deal_id: str) -> None:
        number = parsed(nil.parse_deal_id, deal_id)
        if local_signer is None and ctx.account is None:
            raise RwaError(f"deal {name} needs --account: the brand or the athlete")
        with ctx.target() as target:
            result = call(Deals(target), athlete, number)
        ctx.sent(result, summary(athlete, result))

    command.help = help_text
    return command


def _released(athlete: str, result: dict[str, Any]) -> str:
    return f"deal {result['dealId']} of {athlete} released: {result['amountDisplay']} to split {result['splitter']}"


_lifecycle(
    "fund",
    "brand",
    "Fund DEAL_ID's escrow (the brand signs; an ERC-20 is approved first). Mints the deal NFT.",
    Deals.fund,
    lambda a, r: f"deal {r['dealId']} of {a} funded: deal NFT {r['tokenId']}",
)
_lifecycle(
    "deliver",
    "athlete",
    "Mark DEAL_ID delivered (the athlete signs), starting the brand's confirmation period.",
    Deals.deliver,
    lambda a, r: f"deal {r['dealId']} of {a} delivered; the brand confirms with `rwa deal confirm {a} {r['dealId']}`",
)
_lifecycle(
    "confirm",
    "brand",
    "Confirm DEAL_ID's delivery (the brand signs): the escrow goes to the athlete's split.",
    Deals.confirm,
    _released,
)
_lifecycle(
    "release",
    "deployer",
    "Release DEAL_ID once its confirmation period has passed (anyone may).",
    Deals.release,
    _released,
)
_lifecycle(
    "cancel",
    None,
    "Cancel DEAL_ID before it is funded (the brand or the athlete signs).",
    Deals.cancel,
    lambda a, r: f"deal {r['dealId']} of {a} cancelled",
)
_lifecycle(
    "dispute",
    None,
    "Dispute funded DEAL_ID, freezing its escrow for the admin (the brand or the athlete signs).",
    Deals.dispute,
    lambda a, r: f"deal {r['dealId']} of {a} disputed; the admin refunds or settles it (--via safe)",
)


def _admin(name: str, help_text: str, outcome: str) -> click.Command:
    """refund/settle: the factory's admin acts, i.e. the timelock, hence normally --via safe."""

    @chain_command(deal, Access.PROPOSE, name=name)
    @athlete_argument
    @deal_argument
    def command(ctx: CommandContext, athlete: str, deal_id: str) -> None:
        number = parsed(nil.parse_deal_id, deal_id)
        with ctx.target() as target:
            deals = Deals(target, ctx.via)
            result = deals.admin(athlete, number, name)
            if result is None:
                return ctx.proposed(deals.writer.propose(f"deal {name} {athlete} {number}"))
        ctx.sent(result, f"deal {number} of {athlete} {outcome}")

    command.help = help_text
    return command


_admin("refund", "Refund disputed DEAL_ID to the brand (the admin: propose it with --via safe).", "refunded to the brand")
_admin("settle", "Settle disputed DEAL_ID for the athlete (the admin: propose it with --via safe).", "settled to the split")


@chain_command(deal)
@athlete_argument
@deal_argument
def show(ctx: CommandContext, athlete: str, deal_id: str) -> None:
    """DEAL_ID's terms, status, NFT and full history."""
    number = parsed(nil.parse_deal_id, deal_id)
    with ctx.target() as target:
        result = Deals(target).show(athlete, number)
    ctx.emit(result, lambda: _print_deal(athlete, number, result))


def _print_deal(athlete: str, number: int, result: dict[str, Any]) -> None:
    out = console()
    out.print(f"[bold]deal {number}[/] of {athlete} (vault {result['vault']}): [bold]{result['status']}[/]")
    out.print(
        fields(
            [
                ("brand", result["brand"]),
                ("amount", result["amountDisplay"]),
                ("deliverables", result["deliverablesHash"]),
                ("metadata", result["uri"]),
                ("confirmation", format_duration(result["confirmationPeriod"])),
                ("delivered", _when(result["deliveredAt"])),
                ("releasable", _when(result["releasableAt"])),
                ("deal NFT", result["tokenId"]),
            ]
        )
    )
    print_table(_history(result["history"], result["currency"]), out)


def _history(history: list[dict[str, Any]], currency: dict[str, Any]) -> Table:
    table = Table(title="history", title_justify="left")
    for column in ("time", "block", "event", "details", "transaction"):
        table.add_column(column, justify="right" if column == "block" else "left", no_wrap=column != "details")
    for entry in history:
        details = ", ".join(filter(None, (_detail(k, v, currency) for k, v in entry["args"].items())))
        table.add_row(_when(entry["timestamp"]), str(entry["block"]), entry["event"], details, entry["transaction"])
    return table


def _detail(key: str, value: Any, currency: dict[str, Any]) -> str | None:
    """An event argument, briefly; the terms the deal shows above are not repeated."""
    if key in ("currency", "deliverablesHash", "uri", "tokenId", "deliveredAt"):
        return None
    if key == "amount":
        return f"{format_units(int(value), currency['decimals'])} {currency['symbol']}"
    if key == "confirmationPeriod":
        return f"confirmation {format_duration(int(value))}"
    return f"{key} {value}"


def _when(timestamp: int | None) -> str | None:
    return None if timestamp is None else nil.iso_time(timestamp).replace("T", " ").replace("Z", " UTC")


@chain_command(deal, name="list")
@athlete_argument
def list_deals(ctx: CommandContext, athlete: str) -> None:
    """ATHLETE's deals and their status."""
    with ctx.target() as target:
        result = Deals(target).list(athlete)
    ctx.emit(result, lambda: _print_deals(athlete, result))


def _print_deals(athlete: str, result: dict[str, Any]) -> None:
    console().print(f"deals of {athlete} (vault {result['vault']})" + ("" if result["deals"] else ": none yet"))
    if not result["deals"]:
        return
    table = Table()
    for column in ("id", "status", "brand", "amount", "metadata"):
        table.add_column(column, justify="right" if column in ("id", "amount") else "left", no_wrap=True)
    for row in result["deals"]:
        table.add_row(str(row["dealId"]), row["status"], row["brand"], row["amountDisplay"], row["uri"])
    print_table(table)
