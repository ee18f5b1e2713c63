"""Verifying the deployed contracts' source on the network's explorer."""

from __future__ import annotations

import click
from rich.console import Console

from rwa.admin import verify as verifying
from rwa.cli.context import CommandContext, chain_command
from rwa.cli.render import console, emit_json
from rwa.core.errors import RwaError
from rwa.deploy.target import Target

STYLES = {
    "verified": "green",
    "known": "green",
    "skipped": "dim",
    "unsupported": "yellow",
    "pending": "yellow",
    "failed": "bold red",
}


@chain_command(None, plain_rpc=True)
@click.argument("names", nargs=-1)
def verify(ctx: CommandContext, names: tuple[str, ...]) -> None:
    """Publish the source of every deployed contract (or NAMES) on NETWORK's explorer.

    Uses Etherscan's multichain API with ETHERSCAN_API_KEY (RWA_EXPLORER_URL for another
    Etherscan-compatible explorer); contracts already verified are skipped.
    """
    with ctx.target() as target:
        summary = run(target, names, console(stderr=ctx.as_json))
        if ctx.as_json:
            emit_json({"network": target.network.name, **summary.as_json()})
        refuse_failures(summary)


def run(target: Target, names: tuple[str, ...], out: Console) -> verifying.Summary:
    """Verify, showing each outcome as it comes and a summary line."""

    def report(status: str, label: str, detail: str) -> None:
        out.print(f"  [{STYLES.get(status, 'cyan')}]{status:>11}[/] {label}  [dim]{detail}[/]")

    summary = verifying.verify(target, names, report)
    counts = ", ".join(
        f"{n} {s}"
        for s, n in (
            (s, summary.count(s))
            for s in (
                verifying.VerificationStatus.VERIFIED,
                verifying.VerificationStatus.FAILED,
                verifying.VerificationStatus.PENDING,
                verifying.VerificationStatus.UNSUPPORTED,
            )
        )
        if n
    )
    skipped = f", {len(summary.skipped)} skipped (verified before)" if summary.skipped else ""
    out.print(
        f"[dim]{counts or 'nothing to do'}{skipped}; {summary.submissions} "
        f"submission(s); written {target.store.path(target.network.name)}[/]"
    )
    return summary


def refuse_failures(summary: verifying.Summary) -> None:
    """Any contract the explorer refused makes the command fail (once every outcome is recorded)."""
    failed = [
        item.label
        for item, verification in summary.verifications.values()
        if verification.status == verifying.VerificationStatus.FAILED
    ]
    if failed:
        raise RwaError(f"{len(failed)} contract(s) not verified: {', '.join(failed)}")
