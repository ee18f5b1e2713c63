"""Tokenized properties, their holders and their agents' actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from rwa.cli.compliance import compliance_group
from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group
from rwa.cli.options import wallet as wallet_address
from rwa.cli.property_token import OWNER_IS_TIMELOCK, opened, property_argument
from rwa.cli.render import console, emit_json, print_table
from rwa.cli.terminal import progress_bar, status
from rwa.core import csvfile
from rwa.core.errors import RwaError
from rwa.deploy.powers import AGENT_POWERS
from rwa.domain import property as property_lib
from rwa.domain.properties import NewProperty, Properties
from rwa.domain.token import Token

batch_size_option = click.option(
    "--batch-size",
    default=100,
    show_default=True,
    type=click.IntRange(1),
    help="Rows per transaction (at most the token's cap).",
)


def csv_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--csv", "csv_file", type=click.Path(path_type=Path, resolve_path=True), help=help)


def report(token: Token, tx: str, wallets: list[str], as_json: bool) -> None:
    """After a write: the wallets' positions, the supply and the transaction."""
    positions = [token.position(w) for w in wallets]
    supply = token.prop.units(int(token.read("totalSupply")))
    paused = bool(token.read("paused"))
    if as_json:
        emit_json(
            {
                "property": token.prop.symbol,
                "totalSupply": supply,
                "paused": paused,
                "wallets": positions,
                "transactionHash": tx,
            }
        )
        return
    out = console()
    for p in positions:
        frozen = "  [bold red]WALLET FROZEN[/]" if p["walletFrozen"] else ""
        out.print(f"{p['wallet']}: {p['balance']} {token.prop.symbol} (frozen {p['frozen']}, free {p['free']}){frozen}")
    state = "[bold red]paused[/]" if paused else "active"
    out.print(f"{token.prop.symbol} {state}, total supply {supply}\n[dim]tx {tx}[/]")


def write(ctx: CommandContext, title: str, action: Callable[[Token], str], wallets: list[str], reference: str) -> None:
    """One agent write on the property, then its effect; with --via, the proposal instead."""
    with opened(ctx, reference) as token:
        tx = action(token)
        if ctx.proposing:
            return ctx.proposed(token.propose(f"{title} {token.prop.symbol}"))
        report(token, tx, wallets, ctx.as_json)


@click.group("property", cls=Group)
def property_group() -> None:
    """Tokenized properties (ERC-3643): create, inspect, and act as their agents."""


# --- views ---


@chain_command(property_group, name="list")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0), help="Skip this many properties.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Show at most this many [default: all].")
def list_properties(ctx: CommandContext, offset: int, limit: int | None) -> None:
    """The factory's properties, in creation order."""
    with ctx.target() as target:
        rows = Properties(target).listing(offset, limit)
    ctx.emit(rows, lambda: _print_properties(target.network.name, rows))


def _print_properties(network: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"properties on {network}", title_justify="left")
    for column in ("symbol", "name", "id", "decimals", "supply", "token", "record"):
        table.add_column(column, no_wrap=column in ("id", "token"))
    for row in rows:
        table.add_row(
            row["symbol"],
            row["name"],
            row["id"][:10] + "…",
            str(row["decimals"]),
            row["totalSupply"],
            row["token"],
            row["record"] or "-",
        )
    print_table(table)


@chain_command(property_group)
@property_argument
def show(ctx: CommandContext, reference: str) -> None:
    """A property's metadata, contracts, supply, modules, holders and dividends."""
    with opened(ctx, reference) as token:
        prop, info = token.prop, token.summary()
    ctx.emit(info, lambda: _print_property(prop, info))


def _print_property(prop: property_lib.Property, info: dict[str, Any]) -> None:
    out = console()
    state = "[bold red]paused[/]" if info["paused"] else "[green]active[/]"
    out.print(f"[bold]{prop.symbol}[/] {prop.name}  ({state}, {prop.decimals} decimals)")
    out.print(f"  id            {info['id']}" + (f"  (record {prop.record_name})" if prop.record_name else ""))
    for key in ("token", "compliance", "distributor"):
        out.print(f"  {key:<13} {info[key]}")
    out.print(f"  legal doc     {info['legalDocHash']}  {prop.legal_doc_uri or '-'}")
    out.print(f"  supply        {info['totalSupply']} {prop.symbol}  held by {info['holders']} wallet(s)")
    modules = ", ".join(_module_text(m) for m in info["modules"]) or "none"
    out.print(f"  modules       {modules}")
    out.print(f"  dividends     {info['dividendsDeposited']} {info['stablecoin']} deposited")
    out.print(f"  created in    block {info['createdBlock']}")


def _module_text(module: dict[str, Any]) -> str:
    settings = ", ".join(f"{k} {','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in module.items() if k != "module")
    return f"{module['module']} ({settings})" if settings else module["module"]


@chain_command(property_group)
@property_argument
def holders(ctx: CommandContext, reference: str) -> None:
    """Every wallet holding the property's tokens: balance, freezes, identity, claimable dividends."""
    with opened(ctx, reference) as token:
        rows = token.holders()
        prop, coin = token.prop, token.coin
    ctx.emit(rows, lambda: _print_holders(prop, coin, rows))


def _print_holders(prop: property_lib.Property, coin: property_lib.Coin, rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"{prop.symbol} holders", title_justify="left")
    for column, justify in (
        ("wallet", "left"),
        ("balance", "right"),
        ("frozen", "right"),
        ("investor", "right"),
        ("country", "right"),
        ("verified", "left"),
        (f"claimable {coin.symbol}", "right"),
    ):
        # Addresses and amounts are never cut: too narrow a console shows a block per holder instead.
        table.add_column(column, justify=justify, no_wrap=column != "verified")  # type: ignore[arg-type]
    for row in rows:
        frozen = "wallet" if row["walletFrozen"] else row["frozen"]
        verified = "[green]yes[/]" if row["verified"] else "[red]no[/]"
        table.add_row(row["wallet"], row["balance"], frozen, row["investorId"], str(row["country"]), verified, row["claimable"])
    print_table(table)


# --- create ---


@chain_command(property_group, Access.PROPOSE)
@click.argument("property_id", metavar="ID")
@click.option("--name", required=True, help="The token's name, e.g. '1 Main Street'.")
@click.option("--symbol", required=True, help="The token's symbol, e.g. MAIN1.")
@click.option("--decimals", default=18, show_default=True, type=click.IntRange(0, property_lib.MAX_DECIMALS))
@click.option(
    "--legal-doc",
    type=click.Path(path_type=Path, dir_okay=False, resolve_path=True),
    help="A file whose keccak256 is the legal document hash.",
)
@click.option("--legal-doc-hash", default=None, help="The legal document's hash (0x + 64 hex digits) instead of --legal-doc.")
@click.option("--legal-doc-uri", default="", help="Where the legal document is (ipfs://…).")
@click.option(
    "--agent",
    default=None,
    help="Who gets all five agent roles: mint, burn, freeze, forced transfer, recovery [default: on a local chain the "
    "signer; on a live network each role's parameter, property_minter ... property_recovery].",
)
@click.option("--pauser", default=None, help="Who gets the pauser role [default: the manifest's property_pauser].")
def create(
    ctx: CommandContext,
    property_id: str,
    name: str,
    symbol: str,
    decimals: int,
    legal_doc: Path | None,
    legal_doc_hash: str | None,
    legal_doc_uri: str,
    agent: str | None,
    pauser: str | None,
) -> None:
    """Create property ID (text such as MAIN-ST-1, kept on chain as its keccak256): token, compliance and distributor."""
    if legal_doc and legal_doc_hash:
        raise RwaError("give --legal-doc or --legal-doc-hash, not both")
    try:
        doc_hash = property_lib.parse_hash(legal_doc_hash) if legal_doc_hash else bytes(32)
        spec = NewProperty(
            property_id,
            property_lib.property_id(property_id),
            name,
            symbol,
            decimals,
            property_lib.file_hash(legal_doc) if legal_doc else doc_hash,
            legal_doc_uri,
        )
    except ValueError as exc:
        raise RwaError(str(exc)) from None
    with ctx.target() as target:
        book = Properties(target, ctx.via)
        agents: tuple[str, ...]
        if agent is not None:
            agents = (wallet_address(agent),) * 5
        elif not target.network.local:
            agents = book.default_agents()
        elif target.account is not None:
            agents = (target.account.address,) * 5
        else:
            raise RwaError("name the agent with --agent (no signer to default to)")
        pauser_address = wallet_address(pauser) if pauser else book.default_pauser()
        created, tx = book.create(spec, agents, pauser_address)
        if ctx.proposing:
            return ctx.proposed(book.propose(f"create property {property_id} ({symbol})"))
    assert created is not None
    if ctx.as_json:
        named = {p.name: a for p, a in zip(AGENT_POWERS, agents)}
        single = agents[0] if len(set(agents)) == 1 else None
        return emit_json({**created.as_json(), "agent": single, "agents": named, "pauser": pauser_address, "transactionHash": tx})
    out = console()
    out.print(f"created {created.symbol} ({created.name}) id 0x{created.id.hex()}")
    for label, address in (
        ("token", created.token),
        ("compliance", created.compliance),
        ("distributor", created.distributor),
        *_agent_lines(agents),
        ("pauser", pauser_address),
    ):
        out.print(f"  {label:<12} {address}")
    out.print(f"[dim]tx {tx}[/]")


def _agent_lines(agents: tuple[str, ...]) -> list[tuple[str, str]]:
    """One line for all five agent powers when one address holds them, else one line per power."""
    if len(set(agents)) == 1:
        return [("agent", f"{agents[0]} (minter, burner, freezer, forced transfer, recovery)")]
    return [(power.name, address) for power, address in zip(AGENT_POWERS, agents)]


# --- agents' writes ---


@chain_command(property_group, Access.PROPOSE)
@property_argument
@click.argument("wallet", required=False)
@click.argument("amount", required=False)
@csv_option("Mint every row of a wallet,amount CSV instead.")
@batch_size_option
def mint(
    ctx: CommandContext, reference: str, wallet: str | None, amount: str | None, csv_file: Path | None, batch_size: int
) -> None:
    """Mint AMOUNT token units (12.5, say) to the verified WALLET, or every row of --csv."""
    if csv_file is not None:
        if wallet or amount:
            raise RwaError("give WALLET AMOUNT or --csv FILE, not both")
        return _mint_csv(ctx, reference, csv_file, batch_size)
    if not (wallet and amount):
        raise RwaError("mint needs WALLET and AMOUNT (or --csv FILE)")
    recipient = wallet_address(wallet)
    write(ctx, "mint", lambda t: t.mint(recipient, t.prop.amount(amount)), [recipient], reference)


Rows = list[property_lib.Row]


def send_csv(
    ctx: CommandContext,
    verb: str,
    validate: Callable[[Token, str, str], Rows],
    send: Callable[[Token, Rows, int, Callable[[int], None]], list[str]],
    done: Callable[[Token, Rows, list[str]], None],
    reference: str,
    csv_file: Path,
    size: int,
) -> None:
    """Every row of the CSV validated first, then sent in batches behind a progress bar and reported
    by ``done``, or, with ``via``, written as one proposal."""
    text = csvfile.read_text(csv_file)  # before opening the target, which moves to the project root
    with opened(ctx, reference) as token:
        with status(f"validating {csv_file.name}"):
            rows = validate(token, text, csv_file.name)
        if ctx.proposing:
            send(token, rows, size, lambda n: None)
            return ctx.proposed(token.propose(f"{verb} {csv_file.name} ({len(rows)} wallets) {token.prop.symbol}"))
        with progress_bar(f"{verb} rows", ctx.as_json) as bar:
            task = bar.add_task(verb, total=len(rows))
            hashes = send(token, rows, size, lambda n: bar.advance(task, n))
        done(token, rows, hashes)


def _mint_csv(ctx: CommandContext, reference: str, csv_file: Path, size: int) -> None:
    def minted(token: Token, rows: Rows, hashes: list[str]) -> None:
        total = token.prop.units(sum(r.amount or 0 for r in rows))
        supply = token.prop.units(int(token.read("totalSupply")))
        if ctx.as_json:
            return emit_json({"minted": total, "wallets": len(rows), "totalSupply": supply, "transactions": hashes})
        console().print(
            f"minted {total} {token.prop.symbol} to {len(rows)} wallet(s) in {len(hashes)} transaction(s); supply {supply}"
        )

    send_csv(ctx, "mint", Token.mint_rows, Token.send_mints, minted, reference, csv_file, size)


@chain_command(property_group, Access.PROPOSE)
@property_argument
@click.argument("wallet")
@click.argument("amount")
def burn(ctx: CommandContext, reference: str, wallet: str, amount: str) -> None:
    """Burn AMOUNT of WALLET's tokens (frozen tokens are unfrozen as needed)."""
    holder = wallet_address(wallet)
    write(ctx, "burn", lambda t: t.burn(holder, t.prop.amount(amount)), [holder], reference)


@chain_command(property_group, Access.PROPOSE)
@property_argument
@click.argument("wallet", required=False)
@click.option("--amount", default=None, help="Freeze this many tokens of the wallet instead of the whole wallet.")
@csv_option("Freeze every row of a wallet[,amount] CSV (no amount: the whole wallet).")
@batch_size_option
def freeze(
    ctx: CommandContext, reference: str, wallet: str | None, amount: str | None, csv_file: Path | None, batch_size: int
) -> None:
    """Freeze WALLET (it can neither send nor receive), or --amount of its tokens, or every row of --csv."""
    if csv_file is not None:
        if wallet or amount:
            raise RwaError("give WALLET [--amount] or --csv FILE, not both")
        return _freeze_csv(ctx, reference, csv_file, batch_size)
    if not wallet:
        raise RwaError("freeze needs WALLET (or --csv FILE)")
    holder = wallet_address(wallet)
    write(ctx, "freeze", lambda t: t.freeze(holder, t.prop.amount(amount) if amount else None), [holder], reference)


def _freeze_csv(ctx: CommandContext, reference: str, csv_file: Path, size: int) -> None:
    def frozen(_: Token, rows: Rows, hashes: list[str]) -> None:
        whole = sum(1 for r in rows if r.amount is None)
        if ctx.as_json:
            return emit_json({"walletsFrozen": whole, "partialFreezes": len(rows) - whole, "transactions": hashes})
        console().print(f"froze {whole} wallet(s) and part of {len(rows) - whole} in {len(hashes)} transaction(s)")

    send_csv(ctx, "freeze", Token.freeze_rows, Token.send_freezes, frozen, reference, csv_file, size)


@chain_command(property_group, Access.PROPOSE)
@property_argument
@click.argument("wallet")
@click.option("--amount", default=None, help="Unfreeze this many frozen tokens instead of the wallet.")
def unfreeze(ctx: CommandContext, reference: str, wallet: str, amount: str | None) -> None:
    """Unfreeze WALLET, or --amount of its frozen tokens."""
    holder = wallet_address(wallet)
    write(ctx, "unfreeze", lambda t: t.unfreeze(holder, t.prop.amount(amount) if amount else None), [holder], reference)


@chain_command(property_group, Access.PROPOSE, name="force-transfer")
@property_argument
@click.argument("source", metavar="FROM")
@click.argument("destination", metavar="TO")
@click.argument("amount")
def force_transfer(ctx: CommandContext, reference: str, source: str, destination: str, amount: str) -> None:
    """Move AMOUNT from FROM to the verified TO without FROM's consent (freezes and modules do not apply)."""
    sender, receiver = wallet_address(source), wallet_address(destination)
    write(
        ctx, "force-transfer", lambda t: t.force_transfer(sender, receiver, t.prop.amount(amount)), [sender, receiver], reference
    )


@chain_command(property_group, Access.PROPOSE)
@property_argument
@click.argument("lost")
@click.argument("new")
def recover(ctx: CommandContext, reference: str, lost: str, new: str) -> None:
    """Move everything of the LOST wallet (balance, freezes, lockup, unclaimed dividends) to NEW, a wallet of the
    same investor. LOST ends frozen in this property; to shut it out of every property, the attestor revokes it
    in the registry (`rwa kyc revoke LOST`)."""
    lost_wallet, new_wallet = wallet_address(lost), wallet_address(new)
    write(ctx, "recover", lambda t: t.recover(lost_wallet, new_wallet), [lost_wallet, new_wallet], reference)


@chain_command(property_group, Access.PROPOSE, account_help="deployer (the guardian is a Safe: use --via guardian)")
@property_argument
def pause(ctx: CommandContext, reference: str) -> None:
    """Stop ordinary transfers (the guardian Safe holds this role: --via guardian)."""
    write(ctx, "pause", lambda t: t.pause(), [], reference)


@chain_command(property_group, Access.PROPOSE, account_help=OWNER_IS_TIMELOCK)
@property_argument
def unpause(ctx: CommandContext, reference: str) -> None:
    """Resume ordinary transfers (the owner's act, through the timelock: the guardian cannot undo its pause)."""
    write(ctx, "unpause", lambda t: t.unpause(), [], reference)


# --- holders' writes ---


@chain_command(property_group, Access.SEND)
@property_argument
@click.argument("destination", metavar="TO")
@click.argument("amount")
def transfer(ctx: CommandContext, reference: str, destination: str, amount: str) -> None:
    """Send AMOUNT of the signer's (--account) tokens to TO, every rule applying."""
    receiver = wallet_address(destination)
    with opened(ctx, reference) as token:
        tx = token.transfer(receiver, token.prop.amount(amount))
        report(token, tx, [token.signer(), receiver], ctx.as_json)


property_group.add_command(compliance_group)
