"""The compliance registry's records."""

from __future__ import annotations

from pathlib import Path

import click

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group
from rwa.cli.options import wallet as wallet_address
from rwa.cli.render import console, emit_json
from rwa.cli.terminal import progress_bar, status
from rwa.core import atomic
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_future_time
from rwa.domain import kyc as kyc_lib


def _print_record(record: dict[str, object], with_tx: bool = False) -> None:
    out = console()
    if not record["registered"] and not record["sanctioned"]:
        out.print(f"{record['wallet']}: not registered")
        return
    state = "[green]verified[/]" if record["verified"] else "[red]not verified[/]"
    flags = ",".join(record["flags"]) or "none"  # type: ignore[arg-type]
    out.print(
        f"{record['wallet']}: {state}  investor {record['investorId']}  country {record['country']}  "
        f"flags {flags}  expires {record['expiryDate']}" + ("  [bold red]SANCTIONED[/]" if record["sanctioned"] else "")
    )
    if with_tx:
        out.print(f"[dim]tx {record['transactionHash']}[/]")


@click.group(cls=Group)
def kyc() -> None:
    """Compliance records (KYC, AML, accreditation, sanctions) in the ComplianceRegistry."""


@chain_command(kyc, Access.PROPOSE, name="set", signer="attestor")
@click.argument("wallet")
@click.option("--investor-id", required=True, help="The investor behind the wallet (shared by their wallets).")
@click.option("--country", required=True, help="ISO-3166-1 numeric country code, e.g. 840.")
@click.option("--flags", default="kyc,aml", show_default=True, help="Comma list of kyc, aml, accredited.")
@click.option("--expires", required=True, help="A date (2027-06-30), days from now (365d) or a unix time.")
def set_record(ctx: CommandContext, wallet: str, investor_id: str, country: str, flags: str, expires: str) -> None:
    """Register or update WALLET's attestation (signed by an attestor)."""
    wallet = wallet_address(wallet)
    with ctx.target() as target:
        registry = kyc_lib.Registry(target, ctx.via)
        try:
            item = kyc_lib.attestation(wallet, investor_id, country, flags, expires, now=registry.now())
        except ValueError as exc:
            raise RwaError(str(exc)) from None
        tx = registry.register(item)
        if ctx.proposing:
            return ctx.proposed(registry.propose(f"kyc set {wallet}"))
        result = {**registry.show(wallet), "transactionHash": tx}
    ctx.emit(result, lambda: _print_record(result, with_tx=True))


@chain_command(kyc)
@click.argument("wallet")
def show(ctx: CommandContext, wallet: str) -> None:
    """Show WALLET's record and whether it is verified now."""
    wallet = wallet_address(wallet)
    with ctx.target() as target:
        record = kyc_lib.Registry(target).show(wallet)
    ctx.emit(record, lambda: _print_record(record))


@chain_command(kyc, Access.PROPOSE, signer="attestor")
@click.argument("wallet")
def revoke(ctx: CommandContext, wallet: str) -> None:
    """Delete WALLET's attestation (a sanctions flag stays)."""
    _attestor_write(ctx, "revoke", wallet)


@chain_command(kyc, Access.PROPOSE, signer="sanctions_officer")
@click.argument("wallet")
@click.option("--lift", is_flag=True, help="Remove the sanctions flag instead of setting it.")
def sanction(ctx: CommandContext, wallet: str, lift: bool) -> None:
    """Flag WALLET as sanctioned (or --lift it), signed by a sanctions officer."""
    wallet = wallet_address(wallet)
    with ctx.target() as target:
        registry = kyc_lib.Registry(target, ctx.via)
        tx = registry.set_sanctioned(wallet, not lift)
        if ctx.proposing:
            return ctx.proposed(registry.propose(f"kyc sanction {wallet}{' (lift)' if lift else ''}"))
        result = {**registry.show(wallet), "transactionHash": tx}
    ctx.emit(result, lambda: _print_record(result))


@chain_command(kyc, Access.PROPOSE, name="import", signer="attestor")
@click.argument("csv_file", type=click.Path(path_type=Path, resolve_path=True))
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, kyc_lib.MAX_BATCH))
@click.option("--allow-downgrade", is_flag=True, help="Import rows that take flags away from a wallet's current record.")
def import_csv(ctx: CommandContext, csv_file: Path, batch_size: int, allow_downgrade: bool) -> None:
    """Register every row of CSV_FILE (wallet,investor_id,country,flags,expiry), validated whole first.

    A row that would take a flag (kyc, aml, accredited) from a wallet's current record is refused,
    with every such row listed, unless --allow-downgrade says it is meant."""
    with ctx.target() as target:
        registry = kyc_lib.Registry(target, ctx.via)
        with status(f"validating {csv_file.name}"):
            rows = kyc_lib.parse_csv(csv_file, now=registry.now())
            lowered = [] if allow_downgrade else registry.downgrades(rows)
        if lowered:
            raise RwaError(
                f"{csv_file.name}: {len(lowered)} row(s) would downgrade a registered wallet, nothing sent: "
                + "; ".join(lowered[:20])
                + (f"; and {len(lowered) - 20} more" if len(lowered) > 20 else "")
                + " (pass --allow-downgrade if that is meant)"
            )
        if ctx.proposing:
            registry.import_rows(rows, batch_size, lambda n: None)
            return ctx.proposed(registry.propose(f"kyc import {csv_file.name} ({len(rows)} wallets)"))
        with progress_bar("registering", ctx.as_json) as progress:
            task = progress.add_task("import", total=len(rows))
            hashes = registry.import_rows(rows, batch_size, lambda n: progress.advance(task, n))
        ctx.emit(
            {"registered": len(rows), "transactions": hashes},
            lambda: console().print(f"registered {len(rows)} wallet(s) in {len(hashes)} transaction(s)"),
        )


# --- signed attestations -------------------------------------------------------------------------


@chain_command(kyc, Access.SEND, signer="attestor")
@click.argument("wallet")
@click.option("--investor-id", required=True, help="The investor behind the wallet (shared by their wallets).")
@click.option("--country", required=True, help="ISO-3166-1 numeric country code, e.g. 840.")
@click.option("--flags", default="kyc,aml", show_default=True, help="Comma list of kyc, aml, accredited.")
@click.option("--expires", required=True, help="The attestation's expiry: a date, days from now (365d) or a unix time.")
@click.option("--deadline", default="7d", show_default=True, help="Until when the signature may be relayed.")
@click.option("--nonce", default=None, help="The unordered nonce to use (default: a random one).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the signed attestation to this JSON file (for `rwa kyc relay`).",
)
def sign(
    ctx: CommandContext,
    wallet: str,
    investor_id: str,
    country: str,
    flags: str,
    expires: str,
    deadline: str,
    nonce: str | None,
    out: Path | None,
) -> None:
    """Sign WALLET's attestation for anyone to relay (`rwa kyc relay`); nothing is sent.

    The signature holds until it is relayed, cancelled (`rwa kyc cancel`), past its deadline, or voided
    by any later write of WALLET's record (a revocation among them)."""
    wallet = wallet_address(wallet)
    chosen = parsed(kyc_lib.parse_nonce, nonce) if nonce is not None else None
    with ctx.target() as target:
        registry = kyc_lib.Registry(target)
        now = registry.now()
        try:
            item = kyc_lib.attestation(wallet, investor_id, country, flags, expires, now=now)
        except ValueError as exc:
            raise RwaError(str(exc)) from None
        until = parsed(parse_future_time, deadline, now, "deadline")
        signed = registry.sign(item, until, chosen)
    if out is not None:
        atomic.write_json(out, signed)
    if ctx.as_json:
        return emit_json(signed)
    console().print(f"signed by {signed['attestor']} (nonce {signed['nonce']}, valid until {until}); nothing sent.")
    if out is not None:
        console().print(f"  relay: rwa kyc relay {out}    cancel: rwa kyc cancel {out}")


@chain_command(kyc, Access.SEND, account_help="deployer (anyone may relay)")
@click.argument("signed_file", type=click.Path(path_type=Path, dir_okay=False))
def relay(ctx: CommandContext, signed_file: Path) -> None:
    """Send the signed attestation in SIGNED_FILE (from `rwa kyc sign --out`); any account pays."""
    signed = kyc_lib.read_signed(signed_file)
    with ctx.target() as target:
        registry = kyc_lib.Registry(target)
        tx = registry.relay(signed)
        result = {**registry.show(signed["wallet"]), "transactionHash": tx}
    ctx.emit(result, lambda: _print_record(result))


@chain_command(kyc, Access.SEND, signer="attestor")
@click.argument("signed_files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--nonce", "nonces", multiple=True, help="A nonce to cancel (repeatable), instead of files.")
def cancel(ctx: CommandContext, signed_files: tuple[Path, ...], nonces: tuple[str, ...]) -> None:
    """Cancel the signer's unused signed attestations: those in SIGNED_FILES, or by --nonce.

    To void every pending signature of one wallet, whoever signed it, use `rwa kyc void WALLET`."""
    if bool(signed_files) == bool(nonces):
        raise RwaError("name the signed attestations to cancel: their files, or --nonce N (not both)")
    chosen = [parsed(kyc_lib.parse_nonce, n) for n in nonces]
    for path in signed_files:
        signed = kyc_lib.read_signed(path)
        chosen.append(parsed(kyc_lib.parse_nonce, str(signed["nonce"])))
    with ctx.target() as target:
        registry = kyc_lib.Registry(target)
        for path in signed_files:
            attestor = kyc_lib.read_signed(path)["attestor"]
            if attestor.lower() != str(target.account.address).lower():  # type: ignore[union-attr]
                raise RwaError(f"{path.name} was signed by {attestor}; only its signer can cancel it (--account)")
        hashes = registry.cancel(chosen)
    ctx.emit(
        {"cancelled": [str(n) for n in chosen], "transactions": hashes},
        lambda: console().print(f"cancelled {len(chosen)} signature(s) in {len(hashes)} transaction(s)"),
    )


@chain_command(kyc, Access.PROPOSE, signer="attestor")
@click.argument("wallet")
def void(ctx: CommandContext, wallet: str) -> None:
    """Void every unused signed attestation of WALLET, whoever signed it; its record stays as it is."""
    _attestor_write(ctx, "void", wallet)


def _attestor_write(ctx: CommandContext, act: str, wallet: str) -> None:
    """One attestor act on WALLET (``revoke``, ``void``): sent, or proposed with --via; then the record."""
    wallet = wallet_address(wallet)
    with ctx.target() as target:
        registry = kyc_lib.Registry(target, ctx.via)
        tx = getattr(registry, act)(wallet)
        if ctx.proposing:
            return ctx.proposed(registry.propose(f"kyc {act} {wallet}"))
        result = {**registry.show(wallet), "transactionHash": tx}
    ctx.emit(result, lambda: _print_record(result))
