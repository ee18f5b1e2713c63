"""A property's rent dividends, paid in the stablecoin."""

from __future__ import annotations

import click
from rich.table import Table

from rwa.cli.options import Group, account_option, json_option, network_option
from rwa.cli.options import wallet as wallet_address
from rwa.cli.property import property_argument
from rwa.cli.render import console, emit_json, print_table
from rwa.core import project
from rwa.deploy import session
from rwa.domain import dividends as dividends_lib
from rwa.domain import property as property_lib


@click.group(cls=Group)
def dividends() -> None:
    """Rent dividends: deposited in a property's distributor, claimed by its holders pro rata."""


@dividends.command()
@property_argument
@click.argument("amount")
@click.option("--mint", is_flag=True, help="Local chains: mint AMOUNT of the MockStablecoin to the signer first.")
@network_option
@account_option("deployer")
@json_option
def deposit(reference: str, amount: str, mint: bool, network: str | None, account: str | None, as_json: bool) -> None:
    """Deposit AMOUNT of the stablecoin (1500.25, say) for the property's current holders.

    The distributor is approved for the amount first when the allowance is short.
    """
    with session.open_target(network, account, project.paths()) as target:
        book = dividends_lib.Dividends(target, property_lib.Properties(target).find(reference))
        result = book.deposit(book.coin.amount(amount), mint=mint)
    if as_json:
        return emit_json(result)
    console().print(
        f"deposited {result['deposited']} {result['stablecoin']} for {result['property']} holders "
        f"(total {result['totalDeposited']})\n[dim]tx {result['transactionHash']}[/]"
    )


@dividends.command()
@property_argument
@network_option
@account_option("deployer")
@json_option
def claim(reference: str, network: str | None, account: str | None, as_json: bool) -> None:
    """Claim the signer's (--account) dividends."""
    with session.open_target(network, account, project.paths()) as target:
        result = dividends_lib.Dividends(target, property_lib.Properties(target).find(reference)).claim()
    if as_json:
        return emit_json(result)
    console().print(
        f"{result['wallet']} claimed {result['claimed']} {result['stablecoin']} from {result['property']} "
        f"(now holds {result['balance']})\n[dim]tx {result['transactionHash']}[/]"
    )


@dividends.command()
@property_argument
@click.argument("wallet", required=False)
@network_option
@json_option
def status(reference: str, wallet: str | None, network: str | None, as_json: bool) -> None:
    """Deposits, dividends per token, and what every holder (or WALLET) claimed and may claim."""
    holder = wallet_address(wallet) if wallet else None
    with session.open_target(network, None, project.paths(), read_only=True) as target:
        result = dividends_lib.Dividends(target, property_lib.Properties(target).find(reference)).status(holder)
    if as_json:
        return emit_json(result)
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
