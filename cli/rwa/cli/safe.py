"""Multisig proposals of the Safes, and the timelock's operations."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from rwa.admin import governance, reconcile
from rwa.admin.decode import Decoded
from rwa.admin.proposals import Proposal
from rwa.admin.safe import SAFES
from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.render import console, emit_json, print_table
from rwa.core.atomic import write_json
from rwa.core.errors import RwaError
from rwa.deploy.target import Target


def _show_with_owners(target: Target, proposal: Proposal, as_json: bool) -> None:
    """A proposal as :func:`_show` prints it, its calls decoded and its Safe's threshold read now."""
    threshold = governance.safe_state(target, proposal["safe"]["name"]).threshold
    _show(proposal, as_json, reconcile.decoded(target, proposal), threshold)


def _show(proposal: Proposal, as_json: bool, decoded: Decoded, threshold: int | None = None) -> None:
    """A proposal as its calldata has it: every call line below is decoded from ``safeTx.data``."""
    if as_json:
        emit_json(proposal)
        return
    out = console()
    signed = len(proposal.get("signatures", {}))
    needed = f"/{threshold}" if threshold else ""
    out.print(f"[bold]{proposal['id']}[/] {escape(proposal['title'])}  ({proposal['status']})  signatures {signed}{needed}")
    safe = proposal.get("safe", {})
    out.print(f"  safe      {safe.get('name')} {safe.get('address')}  nonce {proposal['safeTx']['nonce']}")
    out.print(f"  safeTxHash {proposal['safeTxHash']}")
    operation = decoded.timelock
    if operation and operation.stage != "cancel":
        delay = f" (delay {operation.delay} s)" if operation.delay is not None else ""
        out.print(f"  timelock  {operation.stage} operation {operation.operationId}{delay} salt {operation.salt}")
    for call in decoded.calls:
        args = ", ".join(str(a) for a in call.args)
        name = call.contract or f"{call.address}"
        value = f" value {call.value}" if call.value else ""
        out.print(f"  call      {escape(name)}.{call.function}({escape(args)}){value}")
    for owner in proposal.get("signatures", {}):
        out.print(f"  signed by {owner}")
    execution = proposal.get("execution") or {}
    if execution.get("block") is not None:
        out.print(f"  {proposal['status']:9} {execution['transactionHash']} in block {execution['block']}")
    elif execution.get("reason"):
        by = " ".join(x for x in (execution.get("proposal"), execution.get("transactionHash")) if x)
        out.print(f"  {proposal['status']:9} {escape(execution['reason'])}{' by ' + by if by else ''}")
    elif execution.get("transactionHash"):
        out.print(f"  sent      {execution['transactionHash']} (not mined yet: rerun `rwa safe execute {proposal['id']}`)")


@click.group()
def safe() -> None:
    """Multisig proposals: files under deployments/proposals/<network>/ that owners sign in turn."""


_Command = TypeVar("_Command", bound=Callable[..., Any])


def _which_safe(help_text: str) -> Callable[[_Command], _Command]:
    """The --via option naming which of the suite's Safes acts."""
    return click.option("--via", type=click.Choice(sorted(SAFES)), default="safe", show_default=True, help=help_text)


@chain_command(safe)
@click.option("--call", "calls", multiple=True, required=True, help="Contract.function(arg, ...); repeat to batch.")
@_which_safe("safe: through the admins' Safe and the timelock; guardian: straight from the guardian Safe.")
@click.option("--title", default=None, help="A line for reviewers.")
def propose(ctx: CommandContext, calls: tuple[str, ...], via: str, title: str | None) -> None:
    """Write a proposal for one or more calls (simulated first); nothing is sent."""
    with ctx.target() as target:
        proposal = governance.propose(target, list(calls), via, title)
        _show(proposal, ctx.as_json, reconcile.decoded(target, proposal))
        if not ctx.as_json:
            console().print(f"[dim]written {reconcile.store(target).path(proposal['id'])}[/]")


@chain_command(safe, name="list")
def list_proposals(ctx: CommandContext) -> None:
    """Every proposal of the network, with its status brought up to date with the chain."""
    with ctx.target() as target:
        proposals = reconcile.reconcile_all(target)
    ctx.emit(proposals, lambda: _print_proposals(target.network.name, proposals))


def _print_proposals(network: str, proposals: list[Proposal]) -> None:
    table = Table(title=f"proposals on {network}", title_justify="left")
    for column in ("id", "safe", "nonce", "status", "signatures", "title"):
        table.add_column(column)
    for p in proposals:
        tx, safe = p.get("safeTx"), p.get("safe")
        nonce = str(tx["nonce"]) if tx else "?"
        reason = (p.get("execution") or {}).get("reason")
        title = escape(p["title"] + (f" ({reason})" if reason else ""))
        table.add_row(p["id"], safe["name"] if safe else "?", nonce, p["status"], str(len(p.get("signatures", {}))), title)
    print_table(table)


@chain_command(safe)
@click.argument("proposal_id")
def show(ctx: CommandContext, proposal_id: str) -> None:
    """One proposal: decoded calls, Safe transaction, hash and signatures."""
    with ctx.target() as target:
        _show_with_owners(target, reconcile.reconcile(target, reconcile.store(target).load(proposal_id)), ctx.as_json)


@chain_command(safe, Access.SEND)
@click.argument("proposal_id")
def sign(ctx: CommandContext, proposal_id: str) -> None:
    """Sign a proposal as one owner (checked against the Safe's owners before it is saved)."""
    with ctx.target() as target:
        _show_with_owners(target, governance.sign(target, proposal_id), ctx.as_json)


@chain_command(safe, Access.SEND)
@click.argument("proposal_id")
def execute(ctx: CommandContext, proposal_id: str) -> None:
    """Execute a proposal once enough owners signed (threshold, nonce and timelock checked, simulated first)."""
    with ctx.target() as target:
        results = governance.execute(target, proposal_id)
        if ctx.as_json:
            emit_json(results)
            return
        _show(results[0], False, reconcile.decoded(target, results[0]))
        for follow_up in results[1:]:
            console().print(f"[yellow]next:[/] {follow_up['id']} executes the timelock operation once its delay has passed")


@chain_command(safe)
@click.argument("proposal_id")
def sync(ctx: CommandContext, proposal_id: str) -> None:
    """Exchange PROPOSAL_ID's signatures with the network's Safe Transaction Service
    (<NETWORK>_SAFE_SERVICE_URL): push what it lacks, save owners' confirmations made there."""
    with ctx.target() as target:
        proposal, result = governance.sync(target, proposal_id)
        if ctx.as_json:
            emit_json(
                {
                    "proposal": proposal,
                    "service": result.url,
                    "posted": result.posted,
                    "pushed": result.pushed,
                    "pulled": sorted(result.pulled),
                }
            )
            return
        out = console()
        if result.posted:
            out.print(f"posted {proposal['id']} to {result.url}")
        out.print(f"pushed {len(result.pushed)} signature(s), pulled {len(result.pulled)}")
        threshold = governance.safe_state(target, proposal["safe"]["name"]).threshold
        _show(proposal, False, reconcile.decoded(target, proposal), threshold)


@chain_command(safe, name="export", with_json=False)
@click.argument("proposal_id")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["tx-builder"]),
    default="tx-builder",
    show_default=True,
    help="tx-builder: a Safe{Wallet} Transaction Builder batch file.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here instead of stdout."
)
def export(ctx: CommandContext, proposal_id: str, file_format: str, output: Path | None) -> None:
    """Write PROPOSAL_ID as a Transaction Builder file, to load in the Safe web app."""
    with ctx.target() as target:
        document = governance.export_tx_builder(target, proposal_id, int(time.time() * 1000))
    if output is None:
        emit_json(document)
        return
    write_json(output, document)
    console().print(f"[dim]written {output}[/]")


@chain_command(safe, name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default=None, help="A line for reviewers (default: the file's name).")
@click.option("--accept-changed", is_flag=True, help="Import a file whose meta.checksum does not match (with a warning).")
def import_batch(ctx: CommandContext, file: Path, title: str | None, accept_changed: bool) -> None:
    """Make a proposal from a Transaction Builder file (decoded, checked and simulated like any other)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RwaError(f"{file.name} is not readable JSON ({exc})") from None
    with ctx.target() as target:
        proposal = governance.import_tx_builder(
            target, document, title, accept_changed, lambda line: click.echo(f"warning: {line}", err=True)
        )
        _show(proposal, ctx.as_json, reconcile.decoded(target, proposal))
        if not ctx.as_json:
            console().print(f"[dim]written {reconcile.store(target).path(proposal['id'])}[/]")


@chain_command(safe)
@click.argument("proposal_id")
def reject(ctx: CommandContext, proposal_id: str) -> None:
    """Write a proposal that spends PROPOSAL_ID's Safe nonce on nothing."""
    with ctx.target() as target:
        rejection = governance.reject(target, proposal_id)
        _show(rejection, ctx.as_json, reconcile.decoded(target, rejection))


@click.group()
def timelock() -> None:
    """Operations waiting in the timelock."""


@chain_command(timelock, name="list")
def list_operations(ctx: CommandContext) -> None:
    """Timelock operations known to the proposals, with their live state."""
    with ctx.target() as target:
        operations = governance.operations(target)
    ctx.emit(operations, lambda: _print_operations(target.network.name, operations))


def _print_operations(network: str, operations: list[dict[str, Any]]) -> None:
    table = Table(title=f"timelock operations on {network}", title_justify="left")
    for column in ("operation", "state", "ready at", "schedule", "execute", "title"):
        table.add_column(column)
    for op in operations:
        ready = datetime.fromtimestamp(op["readyAt"], UTC).isoformat() if op["readyAt"] else "-"
        stages = op["proposals"]
        table.add_row(
            op["operationId"][:18] + "…",
            op["state"],
            ready,
            *(f"{stages[s]['id']} ({stages[s]['status']})" if s in stages else "-" for s in ("schedule", "execute")),
            op["title"],
        )
    print_table(table)


@chain_command(timelock, name="execute")
@click.argument("operation_id")
def execute_operation(ctx: CommandContext, operation_id: str) -> None:
    """Write (or show) the Safe proposal that executes a scheduled operation."""
    with ctx.target() as target:
        proposal = governance.execute_operation(target, operation_id)
        _show(proposal, ctx.as_json, reconcile.decoded(target, proposal))


@chain_command(timelock, name="cancel")
@click.argument("operation_id")
@_which_safe("safe: the admins' Safe; guardian: the guardian Safe's veto, with no admin key.")
def cancel_operation(ctx: CommandContext, operation_id: str, via: str) -> None:
    """Write a proposal cancelling a scheduled operation: of the admins' Safe, or the guardian
    Safe's veto (--via guardian), for when the admins' keys are not to be trusted. `rwa watch`
    prints this command in the alert of every scheduled operation."""
    with ctx.target() as target:
        proposal = governance.cancel_operation(target, operation_id, via)
        _show(proposal, ctx.as_json, reconcile.decoded(target, proposal))
