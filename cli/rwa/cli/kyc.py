"""The compliance registry's records."""

from __future__ import annotations

from pathlib import Path

import click

from rwa.cli.options import (
    Group,
    account_option,
    json_option,
    network_option,
    proposed,
    via_option,
)
from rwa.cli.options import wallet as wallet_address
from rwa.cli.render import console, emit_json
from rwa.cli.terminal import progress_bar, status
from rwa.core import project
from rwa.core.errors import RwaError
from rwa.deploy import session
from rwa.domain import kyc as kyc_lib


def _print_record(record: dict[str, object], as_json: bool) -> None:
    if as_json:
        emit_json(record)
        return
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


@click.group(cls=Group)
def kyc() -> None:
    """Compliance records (KYC, AML, accreditation, sanctions) in the ComplianceRegistry."""


@kyc.command("set")
@click.argument("wallet")
@click.option("--investor-id", required=True, help="The investor behind the wallet (shared by their wallets).")
@click.option("--country", required=True, help="ISO-3166-1 numeric country code, e.g. 840.")
@click.option("--flags", default="kyc,aml", show_default=True, help="Comma list of kyc, aml, accredited.")
@click.option("--expires", required=True, help="A date (2027-06-30), days from now (365d) or a unix time.")
@network_option
@account_option("attestor")
@via_option
@json_option
def set_record(
    wallet: str,
    investor_id: str,
    country: str,
    flags: str,
    expires: str,
    network: str | None,
    account: str | None,
    via: str | None,
    as_json: bool,
) -> None:
    """Register or update WALLET's attestation (signed by an attestor)."""
    wallet = wallet_address(wallet)
    with session.open_target(network, account, project.paths(), local_signer="attestor", read_only=via is not None) as target:
        registry = kyc_lib.Registry(target, via)
        try:
            item = kyc_lib.attestation(wallet, investor_id, country, flags, expires, now=registry.now())
        except ValueError as exc:
            raise RwaError(str(exc)) from None
        tx = registry.register(item)
        if via:
            return proposed(registry.propose(f"kyc set {wallet}"), as_json)
        record = registry.show(wallet)
        if as_json:
            emit_json({**record, "transactionHash": tx})
        else:
            _print_record(record, False)
            console().print(f"[dim]tx {tx}[/]")


@kyc.command()
@click.argument("wallet")
@network_option
@json_option
def show(wallet: str, network: str | None, as_json: bool) -> None:
    """Show WALLET's record and whether it is verified now."""
    wallet = wallet_address(wallet)
    with session.open_target(network, None, project.paths(), read_only=True) as target:
        _print_record(kyc_lib.Registry(target).show(wallet), as_json)


@kyc.command()
@click.argument("wallet")
@network_option
@account_option("attestor")
@via_option
@json_option
def revoke(wallet: str, network: str | None, account: str | None, via: str | None, as_json: bool) -> None:
    """Delete WALLET's attestation (a sanctions flag stays)."""
    wallet = wallet_address(wallet)
    with session.open_target(network, account, project.paths(), local_signer="attestor", read_only=via is not None) as target:
        registry = kyc_lib.Registry(target, via)
        tx = registry.revoke(wallet)
        if via:
            return proposed(registry.propose(f"kyc revoke {wallet}"), as_json)
        _print_record({**registry.show(wallet), "transactionHash": tx}, as_json)


@kyc.command()
@click.argument("wallet")
@click.option("--lift", is_flag=True, help="Remove the sanctions flag instead of setting it.")
@network_option
@account_option("sanctions_officer")
@via_option
@json_option
def sanction(wallet: str, lift: bool, network: str | None, account: str | None, via: str | None, as_json: bool) -> None:
    """Flag WALLET as sanctioned (or --lift it), signed by a sanctions officer."""
    wallet = wallet_address(wallet)
    with session.open_target(
        network, account, project.paths(), local_signer="sanctions_officer", read_only=via is not None
    ) as target:
        registry = kyc_lib.Registry(target, via)
        tx = registry.set_sanctioned(wallet, not lift)
        if via:
            return proposed(registry.propose(f"kyc sanction {wallet}{' (lift)' if lift else ''}"), as_json)
        _print_record({**registry.show(wallet), "transactionHash": tx}, as_json)


@kyc.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, resolve_path=True))
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, kyc_lib.MAX_BATCH))
@click.option(
    "--allow-downgrade", is_flag=True, help="Import rows that take flags away from a wallet's current record."
)
@network_option
@account_option("attestor")
@via_option
@json_option
def import_csv(
    csv_file: Path,
    batch_size: int,
    allow_downgrade: bool,
    network: str | None,
    account: str | None,
    via: str | None,
    as_json: bool,
) -> None:
    """Register every row of CSV_FILE (wallet,investor_id,country,flags,expiry), validated whole first.

    A row that would take a flag (kyc, aml, accredited) from a wallet's current record is refused,
    with every such row listed, unless --allow-downgrade says it is meant."""
    with session.open_target(network, account, project.paths(), local_signer="attestor", read_only=via is not None) as target:
        registry = kyc_lib.Registry(target, via)
        with status(f"validating {csv_file.name}"):
            rows = kyc_lib.parse_csv(csv_file, now=registry.now())
            lowered = [] if allow_downgrade else registry.downgrades(rows)
        if lowered:
            raise RwaError(
                f"{csv_file.name}: {len(lowered)} row(s) would downgrade a registered wallet, nothing sent: "
                + "; ".join(lowered[:20]) + (f"; and {len(lowered) - 20} more" if len(lowered) > 20 else "")
                + " (pass --allow-downgrade if that is meant)"
            )
        if via:
            registry.import_rows(rows, batch_size, lambda n: None)
            return proposed(registry.propose(f"kyc import {csv_file.name} ({len(rows)} wallets)"), as_json)
        with progress_bar("registering", as_json) as progress:
            task = progress.add_task("import", total=len(rows))
            hashes = registry.import_rows(rows, batch_size, lambda n: progress.advance(task, n))
        if as_json:
            emit_json({"registered": len(rows), "transactions": hashes})
        else:
            console().print(f"registered {len(rows)} wallet(s) in {len(hashes)} transaction(s)")
