"""`rwa history`: what the watcher's database knows, as tables, JSON or CSV (no node needed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from rwa.cli.context import json_option
from rwa.cli.options import Group
from rwa.cli.render import console, emit_json, print_table
from rwa.cli.vault_fans import payments_command
from rwa.cli.watch import store_option
from rwa.core import project
from rwa.core.project import LOCAL_NETWORK
from rwa.watch.history import Answer, History
from rwa.watch.watcher import database_path


@click.group(cls=Group)
def history() -> None:
    """Answers from the database `rwa watch` keeps: run the watcher (or `rwa watch --once`) first."""


def common(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--network", "-n", default=LOCAL_NETWORK, show_default=True, help="Network of the manifest.")(
        function
    )
    function = json_option(function)
    function = click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(function)
    return store_option(function)


def answer(network: str, store: str | None, as_json: bool, as_csv: bool, ask: Callable[[History], Answer]) -> None:
    book = History(store, database_path(project.paths(), network), network)
    try:
        result = ask(book)
    finally:
        book.close()
    if as_json:
        return emit_json(result.as_json())
    if as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(result.columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(result.rows)
        click.echo(out.getvalue(), nl=False)
        return None
    table = Table(title=result.title, title_justify="left")
    for column in result.columns:
        table.add_column(column, no_wrap=column in ("wallet", "brand", "to", "transaction", "safeTxHash"))
    for row in result.rows:
        table.add_row(*("-" if row.get(c) is None else str(row.get(c)) for c in result.columns))
    print_table(table)
    if not result.rows:
        console().print("[dim](none)[/]")
    return None


@history.command()
@click.argument("reference")
@click.option("--block", type=click.IntRange(min=0), help="At this block [default: the latest the watcher saw].")
@common
def holders(reference: str, block: int | None, network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """A property's holders and balances (REFERENCE: its id, like DEMO-1, its record name or address)."""
    answer(network, store, as_json, as_csv, lambda book: book.holders(reference, block))


@history.command()
@click.argument("reference")
@common
def dividends(reference: str, network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """A property's dividend deposits and claims."""
    answer(network, store, as_json, as_csv, lambda book: book.dividends(reference))


@history.command()
@click.argument("reference")
@common
def deals(reference: str, network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """A vault's deals and the state each is in (REFERENCE: its record name, like DemoVault, or address)."""
    answer(network, store, as_json, as_csv, lambda book: book.deals(reference))


@history.command()
@click.argument("reference", default="Safe")
@common
def proposals(reference: str, network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """A Safe's executed proposals (REFERENCE: Safe or GuardianSafe) [default: Safe]."""
    answer(network, store, as_json, as_csv, lambda book: book.proposals(reference))


@history.command()
@click.argument("reference")
@common
def trades(reference: str, network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """A property's trades on the market, and their volume and volume-weighted price."""
    answer(network, store, as_json, as_csv, lambda book: book.trades(reference))


@history.command()
@common
def offerings(network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """Every offering created, its terms and how it ended."""
    answer(network, store, as_json, as_csv, lambda book: book.offerings())


@history.command()
@click.argument("reference", metavar="OFFERING")
@common
def subscriptions(reference: str, network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """An offering's subscriptions and what became of each (OFFERING: its name, like DEMO1-0, or address)."""
    answer(network, store, as_json, as_csv, lambda book: book.subscriptions(reference))


@history.command()
@common
def alerts(network: str, as_json: bool, as_csv: bool, store: str | None) -> None:
    """Every alert raised, retractions marked."""
    answer(network, store, as_json, as_csv, lambda book: book.alerts())


# Fans' payments to a vault, read from the chain (rwa.cli.vault_fans).
payments = payments_command(history)
