"""Fans paying athletes: `rwa vault tip | order | plan | subscribe | renew | cancel | renew-due`.

The commands join the `vault` group (rwa.cli.vault); the app loads this module for `rwa vault`. Each
payment is prepared and checked first (rwa.domain.fanpay), shown in the token's units and symbol,
asked about once on a live network (--yes: not asked), then sent.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.table import Table

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group, fields
from rwa.cli.render import console, print_table
from rwa.cli.vault import vault
from rwa.cli.watch import store_option
from rwa.core.errors import RwaError, parsed
from rwa.domain.fanpay import (
    TRANSACTION_COLUMNS,
    FanPay,
    Payment,
    parse_kind,
    parse_memo,
    parse_period,
    parse_periods,
    parse_since,
    parse_whole,
)
from rwa.watch import payments as payments_module
from rwa.watch.watcher import database_path

__all__ = ["vault"]

YES = click.option("--yes", "-y", "assume_yes", is_flag=True, help="Send without asking (live networks ask once).")
TOKEN = click.option("--token", default=None, help="stablecoin (default), eth, or an ERC-20 address.")


def _pay(ctx: CommandContext, prepare: Any, assume_yes: bool, summary: str) -> None:
    """Prepare (every check made), show, ask once on a live network, send, report."""
    with ctx.target() as target:
        fans = FanPay(target)
        payment: Payment = prepare(fans)
        click.echo(payment.summary, err=ctx.as_json)
        if not target.network.local and not assume_yes:
            if not sys.stdin.isatty():
                raise RwaError(
                    f"a payment on {target.network.name} asks for confirmation "
                    "and there is no terminal: pass --yes; nothing was sent"
                )
            if not click.confirm(f"Send on {target.network.name}?", default=False, err=True):
                raise RwaError("not confirmed: nothing was sent")
        result = fans.send_payment(payment)
    ctx.sent(result, summary.format(**result))


@chain_command(vault, Access.SEND, signer="fan", account_help="fan")
@click.argument("athlete")
@click.argument("amount")
@TOKEN
@click.option("--memo", default="", help="A message to the athlete (at most 280 bytes).")
@YES
def tip(ctx: CommandContext, athlete: str, amount: str, token: str | None, memo: str, assume_yes: bool) -> None:
    """Tip ATHLETE's vault AMOUNT (in the token's units, e.g. 2.50); it goes where deal revenue goes."""
    memo = parsed(parse_memo, memo)
    _pay(ctx, lambda fans: fans.tip(athlete, amount, token, memo), assume_yes, "tipped {amountDisplay} to {to}")


@click.group(cls=Group)
def order() -> None:
    """Merchandise orders paid into a vault: each order id once, refundable in full."""


vault.add_command(order)


@chain_command(order, Access.SEND, name="pay", signer="fan", account_help="fan")
@click.argument("athlete")
@click.argument("order_id")
@click.argument("amount")
@TOKEN
@YES
def order_pay(ctx: CommandContext, athlete: str, order_id: str, amount: str, token: str | None, assume_yes: bool) -> None:
    """Pay ATHLETE's shop order ORDER_ID (a whole number): AMOUNT in the token's units."""
    number = parsed(lambda t: parse_whole("an order id", t), order_id)
    _pay(
        ctx, lambda fans: fans.pay_order(athlete, number, amount, token), assume_yes, "order {ref} paid: {amountDisplay} to {to}"
    )


@chain_command(order, Access.SEND, name="refund", signer="athlete", account_help="athlete")
@click.argument("athlete")
@click.argument("order_id")
@YES
def order_refund(ctx: CommandContext, athlete: str, order_id: str, assume_yes: bool) -> None:
    """Refund ATHLETE's order ORDER_ID in full to its payer, from the vault's free balance (the athlete signs)."""
    number = parsed(lambda t: parse_whole("an order id", t), order_id)
    _pay(ctx, lambda fans: fans.refund_order(athlete, number), assume_yes, "order {orderId} refunded: {amountDisplay} to {payer}")


@click.group(cls=Group)
def plan() -> None:
    """Membership plans of an athlete: a stablecoin price per period."""


vault.add_command(plan)


@chain_command(plan, Access.SEND, name="create", signer="athlete", account_help="athlete")
@click.argument("athlete")
@click.argument("price")
@click.option("--period", default="30d", show_default=True, help="The period a price pays for (1d..366d).")
@TOKEN
@YES
def plan_create(ctx: CommandContext, athlete: str, price: str, period: str, token: str | None, assume_yes: bool) -> None:
    """Create a plan of ATHLETE's: PRICE (in the token's units) per period (the athlete signs)."""
    seconds = parsed(parse_period, period)
    _pay(
        ctx,
        lambda fans: fans.create_plan(athlete, price, seconds, token),
        assume_yes,
        "plan {planId}: {priceDisplay} every {periodDisplay}",
    )


@chain_command(plan, name="list")
@click.argument("athlete")
def plan_list(ctx: CommandContext, athlete: str) -> None:
    """ATHLETE's plans."""
    with ctx.target() as target:
        result = FanPay(target).plans(athlete)
    ctx.emit(result, lambda: _print_plans(result))


def _print_plans(result: dict[str, Any]) -> None:
    table = Table(title=f"plans of {result['athlete']} ({result['vault']})", title_justify="left")
    for column in ("plan", "price", "period", "state"):
        table.add_column(column, justify="right" if column == "plan" else "left")
    for row in result["plans"]:
        table.add_row(str(row["planId"]), row["priceDisplay"], row["periodDisplay"], "closed" if row["closed"] else "open")
    print_table(table)
    if not result["plans"]:
        console().print("[dim](none)[/]")


@chain_command(plan, name="show")
@click.argument("plan_id")
def plan_show(ctx: CommandContext, plan_id: str) -> None:
    """Plan PLAN_ID."""
    number = parsed(lambda t: parse_whole("a plan id", t, 1), plan_id)
    with ctx.target() as target:
        result = FanPay(target).plan(number)
    ctx.emit(
        result,
        lambda: console().print(
            fields(
                [
                    ("plan", result["planId"]),
                    ("vault", result["vault"]),
                    ("price", result["priceDisplay"]),
                    ("period", result["periodDisplay"]),
                    ("state", "closed" if result["closed"] else "open"),
                ]
            )
        ),
    )


@chain_command(vault, Access.SEND, signer="fan", account_help="fan")
@click.argument("plan_id")
@click.option("--periods", default="1", show_default=True, help="Periods paid now (1..120).")
@click.option(
    "--auto-renew/--no-auto-renew", default=False, help="Let keepers renew it, one period at a time, from your allowance."
)
@click.option(
    "--renewals", default="0", show_default=True, help="Renewals to pre-authorise (the allowance approved beyond this payment)."
)
@YES
def subscribe(ctx: CommandContext, plan_id: str, periods: str, auto_renew: bool, renewals: str, assume_yes: bool) -> None:
    """Become a member of plan PLAN_ID: an ERC-5643 membership NFT, paid ahead."""
    number = parsed(lambda t: parse_whole("a plan id", t, 1), plan_id)
    count = parsed(parse_periods, periods)
    ahead = parsed(lambda t: parse_whole("the number of renewals", t), renewals)
    _pay(
        ctx,
        lambda fans: fans.subscribe(number, count, auto_renew, ahead),
        assume_yes,
        "membership {tokenId}: {amountDisplay} paid, valid until {expires}",
    )


@chain_command(vault, Access.SEND, signer="fan", account_help="fan")
@click.argument("token_id")
@click.option("--periods", default="1", show_default=True, help="Periods paid ahead (1..120).")
@YES
def renew(ctx: CommandContext, token_id: str, periods: str, assume_yes: bool) -> None:
    """Pay membership TOKEN_ID ahead by whole periods (its member signs)."""
    number = parsed(lambda t: parse_whole("a membership id", t, 1), token_id)
    count = parsed(parse_periods, periods)
    _pay(ctx, lambda fans: fans.renew(number, count), assume_yes, "membership {tokenId}: valid until {expires}")


@chain_command(vault, Access.SEND, signer="fan", account_help="fan")
@click.argument("token_id")
@YES
def cancel(ctx: CommandContext, token_id: str, assume_yes: bool) -> None:
    """Stop the renewals of membership TOKEN_ID: it stays valid until it expires; nothing is refunded."""
    number = parsed(lambda t: parse_whole("a membership id", t, 1), token_id)
    _pay(ctx, lambda fans: fans.cancel(number), assume_yes, "membership {tokenId} cancelled: valid until {expires}")


@chain_command(vault, Access.SEND, name="renew-due", account_help="deployer (any keeper)")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 500), help="Renewals per transaction.")
def renew_due(ctx: CommandContext, batch: int) -> None:
    """The keeper: renew every membership that is due, in Multicall3 batches (safe to run twice)."""
    with ctx.target() as target:
        result = FanPay(target).renew_due(batch)
    if ctx.as_json:
        return ctx.emit(result, lambda: None)
    renewed = result["renewed"]
    console().print(f"{len(renewed)} membership(s) renewed" + (f": {', '.join(map(str, renewed))}" if renewed else " (none due)"))
    for sent in result["transactions"]:
        console().print(f"[dim]tx {sent['transactionHash']}  {sent['memberships']} call(s), gas {sent['gasUsed']:,}[/]")
    return None


def payments_command(group: click.Group) -> click.Command:
    """`history payments`, attached to the `history` group by rwa.cli.history."""

    @chain_command(group, name="payments")
    @click.argument("athlete")
    @click.option("--kind", default=None, help="tip, merchandise or subscription.")
    @click.option("--since", default=None, help="Only payments from this time (ISO date or unix seconds).")
    @store_option
    def payments(ctx: CommandContext, athlete: str, kind: str | None, since: str | None, store: str | None) -> None:
        """ATHLETE's payments from fans, in the platform's transactions columns: from the watcher's store
        (`rwa watch`), and from the chain for the blocks it has not reached (all from the chain without one)."""
        kind_id = None if kind is None else parsed(parse_kind, kind)
        since_time = None if since is None else parsed(parse_since, since)
        with ctx.target() as target:
            result = payments_module.history(
                target, store, database_path(target.paths, target.network.name), athlete, kind_id, since_time
            )
        ctx.emit(result, lambda: _print_payments(result))

    return payments


def _print_payments(result: dict[str, Any]) -> None:
    table = Table(title=f"payments to {result['athlete']} ({result['vault']})", title_justify="left")
    for column in TRANSACTION_COLUMNS:
        table.add_column(column, no_wrap=column in ("from", "to", "transactionHash"))
    for row in result["payments"]:
        shown = {**row, "amount": row["amountDisplay"].split()[0]}
        table.add_row(*("-" if shown.get(c) is None else str(shown[c]) for c in TRANSACTION_COLUMNS))
    print_table(table)
    if not result["payments"]:
        console().print("[dim](none)[/]")
