"""A property's rent dividends, paid in the stablecoin."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group
from rwa.cli.options import wallet as wallet_address
from rwa.cli.property_token import property_argument
from rwa.cli.render import console, print_table
from rwa.domain import dividends as dividends_lib
from rwa.domain.properties import Properties


@click.group(cls=Group)
def dividends() -> None:
    """Rent dividends: deposited in a property's distributor, claimed by its holders pro rata."""


@chain_command(dividends, Access.SEND)
@property_argument
@click.argument("amount")
@click.option("--mint", is_flag=True, help="Local chains: mint AMOUNT of the MockStablecoin to the signer first.")
def deposit(ctx: CommandContext, reference: str, amount: str, mint: bool) -> None:
    """Deposit AMOUNT of the stablecoin (1500.25, say) for the property's current holders.

    The distributor is approved for the amount first when the allowance is short.
    """
    with ctx.target() as target:
        book = dividends_lib.Dividends(target, Properties(target).find(reference))
        result = book.deposit(book.coin.amount(amount), mint=mint)
    ctx.sent(
        result,
        f"deposited {result['deposited']} {result['stablecoin']} for {result['property']} holders "
        f"(total {result['totalDeposited']})",
    )


@chain_command(dividends, Access.SEND)
@property_argument
def claim(ctx: CommandContext, reference: str) -> None:
    """Claim the signer's (--account) dividends."""
    with ctx.target() as target:
        result = dividends_lib.Dividends(target, Properties(target).find(reference)).claim()
    ctx.sent(
        result,
        f"{result['wallet']} claimed {result['claimed']} {result['stablecoin']} from {result['property']} "
        f"(now holds {result['balance']})",
    )


@chain_command(dividends)
@property_argument
@click.argument("wallet", required=False)
def status(ctx: CommandContext, reference: str, wallet: str | None) -> None:
    """Deposits, dividends per token, and what every holder (or WALLET) claimed and may claim."""
    holder = wallet_address(wallet) if wallet else None
    with ctx.target() as target:
        result = dividends_lib.Dividends(target, Properties(target).find(reference)).status(holder)
    ctx.emit(result, lambda: _print_status(result))


def _print_status(result: dict[str, Any]) -> None:
    coin = result["stablecoin"]
    console().print(
        f"{result['property']}: {result['deposited']} {coin} deposited in {result['deposits']} deposit(s), "
        f"{result['perToken']} {coin} per token, {result['unclaimed']} {coin} not yet claimed"
    )
    table = Table(title_justify="left")
    for column in ("wallet", "balance", f"claimable {coin}", f"claimed {coin}"):
        table.add_column(column, justify="left" if column == "wallet" else "right", no_wrap=column == "wallet")
    for row in result["holders"]:
        table.add_row(row["wallet"], row["balance"], row["claimable"], row["claimed"])
    print_table(table)
