"""Primary offerings: investors buy a property's tokens for a stablecoin; proceeds go to the treasury."""

from __future__ import annotations

import os
from typing import Any

import click
from rich.table import Table

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group, fields
from rwa.cli.render import console, print_table
from rwa.core import project
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_future_time, parse_wallet
from rwa.core.units import parse_amount
from rwa.domain.offerings import NewTerms, Offerings, treasury_balances
from rwa.watch.history import History
from rwa.watch.store import STORE_ENV
from rwa.watch.watcher import database_path


@click.group(cls=Group)
def offering() -> None:
    """Primary offerings of a property's tokens at a fixed price, proceeds to the treasury."""


def _amount(text: str | None, decimals: int, unit: str, what: str) -> int:
    if text is None:
        return 0
    try:
        return parse_amount(text, decimals, unit)
    except ValueError as exc:
        if str(exc).endswith("is zero"):
            raise RwaError(f"the {what} must be above zero") from None
        raise RwaError(f"{what}: {exc}") from None


def _time(text: str, now: int, what: str) -> int:
    if text.strip().lower() == "now":
        return now
    try:
        return parse_future_time(text, now, what)
    except ValueError as exc:
        raise RwaError(str(exc)) from None


@chain_command(offering, Access.PROPOSE, account_help="deployer, the demo property's agent")
@click.argument("reference", metavar="PROPERTY")
@click.option("--price", required=True, help="Price of one whole token, in the stablecoin (50 for 50 USDC).")
@click.option("--cap", required=True, help="Hard cap: the most tokens the offering sells.")
@click.option("--soft-cap", default=None, help="Tokens that must sell for the offering to succeed (escrow until the close).")
@click.option("--min", "minimum", default=None, help="Least tokens per investor (its wallets together).")
@click.option("--max", "maximum", default=None, help="Most tokens per investor (its wallets together).")
@click.option("--opens", default="now", show_default=True, help="When it opens: now, a date, a unix time or a duration from now.")
@click.option("--closes", required=True, help="When it closes: a date (2027-06-30), a unix time or a duration from now (30d).")
@click.option("--review", is_flag=True, help="Subscriptions are requests an agent of the property accepts or rejects.")
@click.option("--stablecoin", default=None, help="The stablecoin's address [default: the network's stablecoin].")
def create(
    ctx: CommandContext,
    reference: str,
    price: str,
    cap: str,
    soft_cap: str | None,
    minimum: str | None,
    maximum: str | None,
    opens: str,
    closes: str,
    review: bool,
    stablecoin: str | None,
) -> None:
    """Create an offering of PROPERTY's tokens (an agent signs, or the admin with --via safe).

    The property's admin must grant the offering the minter role (with --soft-cap, the custodian role
    too: the close mints every claim into the offering's custody): with --via safe the same proposal
    does; otherwise a proposal for it is written after the offering is created.
    """
    if stablecoin is not None:
        parsed(parse_wallet, stablecoin)
    with ctx.target() as target:
        offerings = Offerings(target, ctx.via)
        prop = offerings.properties.find(reference)
        coin = offerings.coin(stablecoin) if stablecoin else offerings.stablecoin()
        now = target.chain.timestamp()
        d, s = prop.decimals, prop.symbol
        terms = NewTerms(
            price=_amount(price, coin.decimals, coin.symbol, "price"),
            hard_cap=_amount(cap, d, s, "cap"),
            soft_cap=_amount(soft_cap, d, s, "soft cap"),
            minimum=_amount(minimum, d, s, "minimum"),
            maximum=_amount(maximum, d, s, "maximum"),
            opens=_time(opens, now, "opening time"),
            closes=_time(closes, now, "closing time"),
            review=review,
        )
        result = offerings.create(reference, terms, coin.address)
    if ctx.as_json:
        return ctx.emit(result, lambda: None)
    proposal = result["proposal"]
    if "transactionHash" in result:
        console().print(f"offering {result['name']} created at {result['offering']}  [dim]gas {result['gasUsed']:,}[/]")
        console().print(f"[dim]tx {result['transactionHash']}[/]")
        console().print(
            f"proposal {proposal['id']} written (grant {' and '.join(result['grants'])}): "
            f"owners sign with `rwa safe sign {proposal['id']}`"
        )
    else:
        console().print(f"offering {result['name']} will be at {result['offering']}")
        ctx.proposed(proposal)


@chain_command(offering, name="list")
@click.argument("reference", metavar="[PROPERTY]", required=False)
def list_offerings(ctx: CommandContext, reference: str | None) -> None:
    """Every offering (of PROPERTY), with where it stands."""
    with ctx.target() as target:
        result = Offerings(target).listing(reference)
    ctx.emit(result, lambda: _print_list(result))


def _print_list(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"{len(rows)} offering{'s' if len(rows) != 1 else ''}", title_justify="left")
    for column in ("offering", "address", "status", "price", "subscribed", "cap", "soft cap", "closes", "review"):
        table.add_column(column)
    for row in rows:
        d = row["display"]
        table.add_row(
            row["name"],
            row["offering"],
            row["status"],
            d["price"],
            d["subscribed"],
            d["hardCap"],
            d["softCap"] or "-",
            d["closesAt"],
            "yes" if row["terms"]["review"] else "no",
        )
    print_table(table)


@chain_command(offering)
@click.argument("name", metavar="OFFERING")
@click.option("--wallet", default=None, help="Also show this wallet's subscriptions.")
def show(ctx: CommandContext, name: str, wallet: str | None) -> None:
    """OFFERING's terms and state (by address, or SYMBOL-<index> such as DEMO1-0)."""
    if wallet is not None:
        wallet = parsed(parse_wallet, wallet)
    with ctx.target() as target:
        result = Offerings(target).show(name, wallet)
    ctx.emit(result, lambda: _print_offering(result))


def _custody(result: dict[str, Any]) -> str:
    if result["custody"]:
        return f"{result['display']['held']} held for claims (they transfer it)"
    if result["custodianRole"]:
        return "custodian role held: the close mints the claims here"
    return "none: claims mint" if result["terms"]["softCap"] != "0" else "none"


def _print_offering(result: dict[str, Any]) -> None:
    d = result["display"]
    out = console()
    out.print(f"[bold]{result['name']}[/]  {result['offering']}  {result['status']}")
    out.print(
        fields(
            [
                ("property", f"{result['symbol']} {result['terms']['property']}"),
                ("price", f"{d['price']} per token"),
                ("cap", f"{d['hardCap']} ({d['subscribed']} subscribed)"),
                ("soft cap", d["softCap"] or "none: minted at once"),
                ("per investor", f"{d['minPerInvestor'] or 'no minimum'} .. {d['maxPerInvestor'] or 'no maximum'}"),
                ("open", f"{d['opensAt']} .. {d['closesAt']}"),
                ("review", "an agent accepts each request" if result["terms"]["review"] else "none"),
                ("treasury", result["terms"]["treasury"]),
                ("minter role", "held" if result["minterRole"] else "not held (the property's admin grants it)"),
                ("custody", _custody(result)),
            ]
        )
    )
    if "position" in result:
        out.print(fields([(k, v) for k, v in result["position"].items()]))


@chain_command(offering, Access.SEND, signer=None, account_help="none: the investor's")
@click.argument("name", metavar="OFFERING")
@click.argument("amount")
@click.option("--no-approve", is_flag=True, help="Refuse instead of approving the cost when the allowance is short.")
@click.option("--mint", is_flag=True, help="Local chains: mint the cost in the MockStablecoin to the investor first.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a live network.")
def subscribe(ctx: CommandContext, name: str, amount: str, no_approve: bool, mint: bool, yes: bool) -> None:
    """Buy AMOUNT tokens of OFFERING (the investor signs; an approval of the cost goes first if needed)."""
    with ctx.target() as target:
        offerings = Offerings(target)
        found, quote = offerings.quote(name, amount, mint)
        d = quote["display"]
        if quote["approve"] and no_approve:
            raise RwaError(f"the allowance {d['allowance']} is below the cost {d['cost']} (drop --no-approve to approve it)")
        allowing = "signing a permit for it" if quote["permits"] else "approving it"
        steps = " and ".join(step for step, wanted in (("minting it", mint), (allowing, quote["approve"])) if wanted)
        first = f" ({steps} first)" if steps else ""
        preview = f"{d['tokens']} at {d['price']} each: {d['cost']}{first}; allowance {d['allowance']}, {d['remaining']} remain"
        if not ctx.as_json:
            console().print(preview)
        if not target.network.local and not yes:
            click.confirm("send?", abort=True, err=True)
        result = offerings.subscribe(found, quote)
    state = "minted" if result["minted"] else ("requested (awaiting review)" if result["pending"] else "escrowed until the close")
    ctx.sent(result, f"subscribed {d['tokens']} of {result['name']}: {state}")


def _review(ctx: CommandContext, name: str, wallets: tuple[str, ...], function: str) -> None:
    chosen = [parsed(parse_wallet, w) for w in wallets]
    with ctx.target() as target:
        offerings = Offerings(target, ctx.via)
        result = offerings.review(name, function, chosen)
        if result is None:
            return ctx.proposed(offerings.writer.propose(f"offering {name}: {function} {len(chosen)}"))
    ctx.sent(result, f"{function}ed {len(chosen)} request{'s' if len(chosen) != 1 else ''} of {name}")


@chain_command(offering, Access.PROPOSE, account_help="deployer, the demo property's agent")
@click.argument("name", metavar="OFFERING")
@click.argument("wallets", nargs=-1, required=True)
def accept(ctx: CommandContext, name: str, wallets: tuple[str, ...]) -> None:
    """Accept the pending requests of WALLETS (an agent of the property)."""
    _review(ctx, name, wallets, "accept")


@chain_command(offering, Access.PROPOSE, account_help="deployer, the demo property's agent")
@click.argument("name", metavar="OFFERING")
@click.argument("wallets", nargs=-1, required=True)
def reject(ctx: CommandContext, name: str, wallets: tuple[str, ...]) -> None:
    """Reject the pending requests of WALLETS: their money is refundable at once."""
    _review(ctx, name, wallets, "reject")


def _end(ctx: CommandContext, name: str, function: str, said: str) -> None:
    """close or cancel: sent, or proposed with --via."""
    with ctx.target() as target:
        offerings = Offerings(target, ctx.via)
        result = offerings.close(name) if function == "close" else offerings.cancel(name)
        if result is None:
            return ctx.proposed(offerings.writer.propose(f"offering {name}: {function}"))
    ctx.sent(result, said.format(name=name, **result))


@chain_command(offering, Access.PROPOSE, account_help="deployer, the demo property's agent")
@click.argument("name", metavar="OFFERING")
def close(ctx: CommandContext, name: str) -> None:
    """End OFFERING: anyone after its closing time, an agent of the property at any time."""
    _end(ctx, name, "close", "offering {name} {status}")


@chain_command(offering, Access.PROPOSE, account_help="none: the property's admin (--via safe)")
@click.argument("name", metavar="OFFERING")
def cancel(ctx: CommandContext, name: str) -> None:
    """Cancel OFFERING (the property's admin): every escrowed payment becomes refundable."""
    _end(ctx, name, "cancel", "offering {name} cancelled: every escrowed payment is refundable")


def _take(ctx: CommandContext, name: str, function: str) -> None:
    """claim or refund, signed by the investor."""
    with ctx.target() as target:
        offerings = Offerings(target)
        result = offerings.claim(name) if function == "claim" else offerings.refund(name)
    ctx.sent(result, f"{function}ed {result['display']} from {name}")


@chain_command(offering, Access.SEND, signer=None, account_help="none: the investor's")
@click.argument("name", metavar="OFFERING")
def claim(ctx: CommandContext, name: str) -> None:
    """Deliver the signer's tokens after a successful close (from the offering's custody, or minted)."""
    _take(ctx, name, "claim")


@chain_command(offering, Access.SEND, name="end-custody", account_help="deployer")
@click.argument("name", metavar="OFFERING")
def end_custody(ctx: CommandContext, name: str) -> None:
    """Give up OFFERING's custodian role once every claim has left its custody (anyone may)."""
    with ctx.target() as target:
        result = Offerings(target).end_custody(name)
    ctx.sent(result, f"offering {name} gave up the custodian role")


@chain_command(offering, Access.SEND, signer=None, account_help="none: the investor's")
@click.argument("name", metavar="OFFERING")
def refund(ctx: CommandContext, name: str) -> None:
    """Take back every unit the offering owes the signer."""
    _take(ctx, name, "refund")


@chain_command(click.Group(), name="treasury")
def treasury(ctx: CommandContext) -> None:
    """The treasury (a Safe) that offering proceeds go to: its balances, and the inflows `rwa watch` saw."""
    with ctx.target() as target:
        result = treasury_balances(target)
        path = database_path(project.paths(), target.network.name)
    result["inflows"] = None
    store = os.environ.get(STORE_ENV)  # the watcher's store when it is not the default file (PostgreSQL)
    if store or path.is_file():
        book = History(store, path, target.network.name)
        try:
            result["inflows"] = book.treasury_inflows().rows
        finally:
            book.close()
    ctx.emit(result, lambda: _print_treasury(result))


def _print_treasury(result: dict[str, Any]) -> None:
    console().print(f"treasury {result['treasury']}")
    print_table(_balances(result["balances"]))
    inflows = result["inflows"]
    if inflows is None:
        console().print("[dim]inflows: no watcher database yet (rwa watch --once)[/]")
        return
    table = Table(title=f"inflows ({len(inflows)}, base units)", title_justify="left")
    for column in ("block", "offering", "kind", "amount", "transaction"):
        table.add_column(column, justify="right" if column in ("block", "amount") else "left")
    for row in inflows:
        table.add_row(*(str(row[c]) for c in ("block", "offering", "kind", "amount", "transaction")))
    print_table(table)


def _balances(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="balances", title_justify="left")
    table.add_column("stablecoin")
    table.add_column("address")
    table.add_column("balance", justify="right")
    for row in rows:
        table.add_row(row["symbol"], row["address"], row["display"])
    return table
