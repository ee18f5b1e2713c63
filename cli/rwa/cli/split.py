"""Immutable revenue splits of the SplitterFactory."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group
from rwa.cli.render import console, print_table
from rwa.core.units import format_units
from rwa.domain.splits import Splits

token_option = click.option("--token", default="eth", show_default=True, help="eth, stablecoin or an ERC-20 address.")


@click.group(cls=Group)
def split() -> None:
    """Revenue splits: payees and basis points, fixed for good. Identical splits share one address."""


@chain_command(split, Access.SEND, account_help="deployer (anyone may create a split)")
@click.option(
    "--payee",
    "payees",
    multiple=True,
    metavar="WALLET:BPS",
    help="A payee and its share in basis points (2500 = 25%); repeat for each. Shares sum to 10000.",
)
def create(ctx: CommandContext, payees: tuple[str, ...]) -> None:
    """Create the split of the --payee list (sorted for you), unless an identical one exists."""
    with ctx.target() as target:
        result = Splits(target).create(list(payees))
    ctx.emit(result, lambda: _print_created(result))


def _print_created(result: dict[str, Any]) -> None:
    out = console()
    print_table(_payees(result["payees"]), out)
    if result["created"]:
        out.print(f"split created at {result['split']} (the predicted address)  [dim]gas {result['gasUsed']:,}[/]")
        out.print(f"[dim]tx {result['transactionHash']}[/]")
    else:
        out.print(f"an identical split already exists at {result['split']}; nothing sent")


def _payees(payees: list[dict[str, Any]], claimable: list[dict[str, Any]] | None = None) -> Table:
    table = Table()
    table.add_column("payee", no_wrap=True)
    table.add_column("share", justify="right")
    for token in claimable or []:
        table.add_column(f"claimable {token['symbol']}", justify="right")
    for row in payees:
        owed = [format_units(int(t["claimable"][row["payee"]]), t["decimals"]) for t in claimable or []]
        table.add_row(row["payee"], f"{row['bps'] / 100:g}%", *owed)
    return table


@chain_command(split)
@click.argument("split_or_payees", nargs=-1, required=True, metavar="SPLIT | WALLET:BPS...")
@click.option("--token", default=None, help="Only this token (eth, stablecoin or an ERC-20) [default: ETH and the stablecoin].")
def show(ctx: CommandContext, split_or_payees: tuple[str, ...], token: str | None) -> None:
    """A split by address, or the split of a payee list (created or not): payees, balances, claimable."""
    with ctx.target() as target:
        result = Splits(target).show(list(split_or_payees), token)
    ctx.emit(result, lambda: _print_split(result))


def _print_split(result: dict[str, Any]) -> None:
    out = console()
    if not result["exists"]:
        out.print(f"split {result['split']}: not created yet (rwa split create makes it at this address)")
        print_table(_payees(result["payees"]), out)
        return
    out.print(f"[bold]split {result['split']}[/]")
    for entry in result["tokens"]:
        decimals, symbol = entry["decimals"], entry["symbol"]
        out.print(
            f"  {symbol}: balance {format_units(int(entry['balance']), decimals)}, "
            f"unallocated {format_units(int(entry['unallocated']), decimals)}"
        )
    print_table(_payees(result["payees"], result["tokens"]), out)


@chain_command(
    split,
    Access.SEND,
    account_help="deployer (anyone may distribute)",
    listed_first=("token", "network", "rpc_url", "credit", "account"),
)
@click.argument("split_address", metavar="SPLIT")
@token_option
@click.option("--credit", is_flag=True, help="Credit every payee (who then claims) instead of pushing: cheaper for many payees.")
def distribute(ctx: CommandContext, split_address: str, token: str, credit: bool) -> None:
    """Push SPLIT's unallocated balance of a token to every payee (or --credit them)."""
    with ctx.target() as target:
        result = Splits(target).distribute(split_address, token, credit)
    decimals, symbol = result["currency"]["decimals"], result["currency"]["symbol"]
    parts = [
        f"{format_units(int(share['amount']), decimals)} to {share['payee']}"
        + ("" if share["pushed"] else " (credited: claim it)")
        for share in result["shares"]
    ]
    verb = "credited" if credit else "distributed"
    ctx.sent(result, f"{verb} {format_units(int(result['amount']), decimals)} {symbol}: " + ", ".join(parts))


@chain_command(split, Access.SEND, account_help="deployer (anyone may claim for a payee)")
@click.argument("split_address", metavar="SPLIT")
@click.option("--payee", required=True, help="Who is paid (anyone may send a payee what it is owed).")
@token_option
def claim(ctx: CommandContext, split_address: str, payee: str, token: str) -> None:
    """Send a payee everything SPLIT owes it in a token."""
    with ctx.target() as target:
        result = Splits(target).claim(split_address, payee, token)
    currency = result["currency"]
    amount = format_units(int(result["amount"]), currency["decimals"])
    ctx.sent(result, f"claimed {amount} {currency['symbol']} for {result['payee']}")
