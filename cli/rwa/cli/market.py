"""`rwa market`: signed orders for property tokens, kept off chain, settled in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from rwa.admin.proposals import Proposal
from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group
from rwa.cli.render import console, print_table
from rwa.cli.watch import store_option
from rwa.core.errors import RwaError
from rwa.core.orders import Side
from rwa.core.units import format_units
from rwa.deploy.target import Target
from rwa.domain.market import Market, SignedOrder
from rwa.domain.property import Property
from rwa.watch.orderbook import OrderBook, read_file, write_file
from rwa.watch.store import open_store
from rwa.watch.watcher import database_path


@click.group(cls=Group)
def market() -> None:
    """Signed orders for property tokens: sell, buy, book, fill, match, cancel; exchanged as JSON files.

    Orders are signed locally and kept in the watcher's database; a fill or a match moves the tokens
    and the stablecoin in one transaction, both legs checked by the property's compliance.
    """


def db_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """The order book lives in the watcher's store: the same `--store` (or `--db`, or RWA_WATCH_STORE), SQLite or PostgreSQL."""
    return store_option(function)


def order_terms(function: Callable[..., Any]) -> Callable[..., Any]:
    """What `sell` and `buy` take: PROPERTY, AMOUNT, the price, the expiry, an optional taker and the book."""
    for decorator in reversed(
        (
            click.argument("property_ref", metavar="PROPERTY"),
            click.argument("amount"),
            click.option("--price", required=True, help="Stablecoin per whole token (e.g. 250 or 12.5)."),
            click.option("--expires", default="7d", show_default=True, help="How long the order lasts (30m, 12h, 7d, 2w)."),
            click.option("--taker", default=None, help="The only counterparty allowed (a private deal)."),
            db_option,
        )
    ):
        function = decorator(function)
    return function


@contextmanager
def opened(ctx: CommandContext, spec: str | None) -> Iterator[tuple[Target, Market, OrderBook]]:
    with ctx.target() as target:
        trading = Market(target, ctx.via)
        store = open_store(spec, database_path(target.paths, target.network.name))
        store.claim(target.network.name, target.chain.chain_id, target.chain.genesis_hash)
        book = OrderBook(store, trading.market.address)
        try:
            yield target, trading, book
        finally:
            book.close()


def _place(
    ctx: CommandContext, side: Side, reference: str, amount: str, price: str, expires: str, taker: str | None, store: str | None
) -> None:
    with opened(ctx, store) as (_, trading, book):
        prop = trading.property_of(reference)
        order = trading.make(prop, side, amount, price, expires, book.next_nonce(trading.signer), taker)
        trading.precheck(prop, order)
        approval = trading.approve_if_needed(prop, order)
        signed = trading.sign(order)
        line = trading.describe(order, prop)
        proposal = trading.writer.propose(
            f"market {side.name.lower()} {amount} {prop.symbol} at {price}: sign order {signed.hash[:12]}"
        )
        book.add(signed.to_json())
    if proposal is not None:
        ctx.emit({**signed.to_json(), "proposal": proposal}, lambda: _print_proposed(ctx, line, signed, proposal))
        return
    result = {**signed.to_json(), "approvalTransaction": approval}
    ctx.emit(result, lambda: _print_placed(line, signed, approval))


def _print_proposed(ctx: CommandContext, line: str, signed: SignedOrder, proposal: Proposal) -> None:
    _print_placed(line, signed, None)
    ctx.proposed(proposal)
    console().print(f"[dim]the order fills once the proposal has run (its maker {signed.order.maker} signs it on chain)[/]")


def _print_placed(line: str, signed: SignedOrder, approval: str | None) -> None:
    out = console()
    out.print(f"signed: {line}")
    expires = datetime.fromtimestamp(signed.order.expiry, UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.print(f"order {signed.hash}  [dim]nonce {signed.order.nonce}, expires {expires}[/]")
    if approval:
        out.print(f"[dim]the market's allowance set: tx {approval}[/]")


@chain_command(market, Access.PROPOSE, signer=None, account_help="none: pass --account")
@order_terms
def sell(
    ctx: CommandContext, property_ref: str, amount: str, price: str, expires: str, taker: str | None, store: str | None
) -> None:
    """Sign an order to sell AMOUNT of PROPERTY at --price, after checking that the trade would pass now.

    With --via, a multisig makes the order: a proposal signs it on chain (and sets the market's allowance).
    """
    _place(ctx, Side.SELL, property_ref, amount, price, expires, taker, store)


@chain_command(market, Access.PROPOSE, signer=None, account_help="none: pass --account")
@order_terms
def buy(
    ctx: CommandContext, property_ref: str, amount: str, price: str, expires: str, taker: str | None, store: str | None
) -> None:
    """Sign an order to buy AMOUNT of PROPERTY at --price, after checking that the trade would pass now.

    With --via, a multisig makes the order: a proposal signs it on chain (and sets the market's allowance).
    """
    _place(ctx, Side.BUY, property_ref, amount, price, expires, taker, store)


def _statuses(trading: Market, book: OrderBook, prop: Property) -> list[tuple[SignedOrder, dict[str, Any]]]:
    rows = []
    for data in book.orders(prop.token):
        signed = trading.verify(data, f"order {data.get('hash')}")
        rows.append((signed, trading.status(signed, prop)))
    return rows


@chain_command(market)
@click.argument("property_ref", metavar="PROPERTY")
@click.option("--all", "show_all", is_flag=True, help="Also orders that can no longer fill.")
@db_option
def book(ctx: CommandContext, property_ref: str, show_all: bool, store: str | None) -> None:
    """PROPERTY's bids and asks, best first, each checked against the chain (balance, allowance, verification, expiry)."""
    with opened(ctx, store) as (_, trading, order_book):
        prop = trading.property_of(property_ref)
        rows = [(s, st) for s, st in _statuses(trading, order_book, prop) if show_all or int(st["fillable"])]
        asks = sorted((r for r in rows if r[0].order.side == Side.SELL), key=lambda r: r[0].order.price)
        bids = sorted((r for r in rows if r[0].order.side == Side.BUY), key=lambda r: -r[0].order.price)
        result = {"property": prop.symbol, "token": prop.token, "asks": [st for _, st in asks], "bids": [st for _, st in bids]}
        money = trading.money
    ctx.emit(result, lambda: _print_book(prop, asks, bids, money))


def _print_book(prop: Property, asks: list[Any], bids: list[Any], money: Callable[[int], str]) -> None:
    """Asks then bids, each best first, with the depth (what fills at that price or better)."""
    table = Table(title=f"{prop.symbol} order book", title_justify="left")
    for column in ("side", "price", "fillable", "depth", "maker", "order", "note"):
        table.add_column(column, justify="right" if column in ("price", "fillable", "depth") else "left")
    for side, rows in (("ask", asks), ("bid", bids)):
        depth = 0
        for signed, status in rows:
            depth += int(status["fillable"])
            table.add_row(
                side,
                money(signed.order.price),
                format_units(int(status["fillable"]), prop.decimals),
                format_units(depth, prop.decimals),
                signed.order.maker,
                signed.hash[:12] + "…",
                status["reason"],
            )
    print_table(table)


@chain_command(market, Access.SEND, signer=None, account_help="none: pass --account")
@click.argument("order_ref", metavar="ORDER")
@click.option("--amount", default=None, help="Tokens to take [default: all that can fill].")
@db_option
def fill(ctx: CommandContext, order_ref: str, amount: str | None, store: str | None) -> None:
    """Take ORDER (its hash, or a prefix): buy from a sell order, sell into a buy order."""
    with opened(ctx, store) as (_, trading, book):
        data = book.find(order_ref)
        signed = trading.verify(data, f"order {data['hash']}")
        prop = trading.property_of(signed.order.property)
        taken = prop.amount(amount) if amount is not None else None
        result = trading.fill(signed, prop, taken)
        money = trading.money
    ctx.emit(result, lambda: _print_trade(result, prop, money))


def _print_trade(result: dict[str, Any], prop: Property, money: Callable[[int], str]) -> None:
    out = console()
    out.print(
        f"traded {format_units(int(result['amount']), prop.decimals)} {prop.symbol} at {money(int(result['price']))}: "
        f"{result['buyer']} paid {money(int(result['quote']))}, "
        f"{result['seller']} received {money(int(result['sellerReceived']))} "
        f"(fee {money(int(result['fee']))})"
    )
    out.print(f"[dim]tx {result['transactionHash']}  gas {result['gasUsed']:,}[/]")


@chain_command(market, Access.SEND, signer=None, account_help="none: pass --account")
@click.argument("property_ref", metavar="PROPERTY")
@click.option("--dry-run", is_flag=True, help="Show the matches, send nothing.")
@db_option
def match(ctx: CommandContext, property_ref: str, dry_run: bool, store: str | None) -> None:
    """Match PROPERTY's crossing orders by price-time priority; each pair settles at the ask (the sell order's price)."""
    with opened(ctx, store) as (_, trading, book):
        prop = trading.property_of(property_ref)
        plan = trading.plan_matches(_statuses(trading, book, prop), prop)
        planned = [{"sell": s.hash, "buy": b.hash, "amount": str(a), "price": str(s.order.price)} for s, b, a in plan]
        trades = [] if dry_run else [trading.match(s, b, prop, a) for s, b, a in plan]
        money = trading.money
    result = {"property": prop.symbol, "dryRun": dry_run, "matches": planned, "trades": trades}
    ctx.emit(result, lambda: _print_matches(result, prop, money))


def _print_matches(result: dict[str, Any], prop: Property, money: Callable[[int], str]) -> None:
    out = console()
    if not result["matches"]:
        out.print(f"{prop.symbol}: no crossing orders")
        return
    for planned in result["matches"]:
        verb = "would match" if result["dryRun"] else "matched"
        out.print(
            f"{verb} {planned['sell'][:12]}… with {planned['buy'][:12]}…: "
            f"{format_units(int(planned['amount']), prop.decimals)} {prop.symbol} at {money(int(planned['price']))}"
        )
    for trade in result["trades"]:
        out.print(f"[dim]tx {trade['transactionHash']}  fee {money(int(trade['fee']))}[/]")


@chain_command(market, Access.SEND, signer=None, account_help="none: pass --account")
@click.argument("order_ref", metavar="ORDER", required=False)
@click.option("--nonce", type=click.IntRange(0, 2**256 - 1), default=None, help="Cancel every order of yours with this nonce.")
@click.option("--all", "everything", is_flag=True, help="Cancel every order you have signed (a new epoch).")
@db_option
def cancel(ctx: CommandContext, order_ref: str | None, nonce: int | None, everything: bool, store: str | None) -> None:
    """Cancel ORDER, or every order with --nonce N, or --all of yours."""
    if sum((order_ref is not None, nonce is not None, everything)) != 1:
        raise RwaError("name one order, or --nonce N, or --all")
    with opened(ctx, store) as (_, trading, book):
        if order_ref is not None:
            data = book.find(order_ref)
            result = trading.cancel(trading.verify(data, f"order {data['hash']}"))
            summary = f"order {result['cancelled']} cancelled"
        elif nonce is not None:
            result = trading.cancel_nonce(nonce)
            summary = f"orders of {result['maker']} with nonce {nonce} cancelled"
        else:
            result = trading.cancel_all()
            summary = f"every order {result['maker']} signed before epoch {result['epoch']} cancelled"
    ctx.sent(result, summary)


@chain_command(market, name="export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--property", "property_ref", default=None, help="Only this property's orders.")
@db_option
def export_orders(ctx: CommandContext, file: Path, property_ref: str | None, store: str | None) -> None:
    """Write the book's orders (of one property) to FILE, for another trader to import."""
    with opened(ctx, store) as (target, trading, book):
        token = trading.property_of(property_ref).token if property_ref else None
        orders = book.orders(token)
        write_file(file, trading.chain_id, trading.market.address, orders)
    result = {"file": str(file), "orders": len(orders)}
    ctx.emit(result, lambda: console().print(f"{len(orders)} order(s) written to {file}"))


@chain_command(market, name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@db_option
def import_orders(ctx: CommandContext, file: Path, store: str | None) -> None:
    """Add FILE's orders to the book, each checked first: unchanged since signing, signed by its maker."""
    with opened(ctx, store) as (_, trading, book):
        rows = read_file(file, trading.chain_id, trading.market.address)
        checked = [trading.verify(row, f"order {i + 1} of {file.name}") for i, row in enumerate(rows)]
        for signed in checked:
            trading.property_of(signed.order.property)
        added = sum(book.add(signed.to_json()) for signed in checked)
    result = {"file": str(file), "orders": len(checked), "added": added}
    ctx.emit(result, lambda: console().print(f"{added} new order(s) of {len(checked)} imported from {file}"))
