"""Upgrading a proxied contract of the manifest."""

from __future__ import annotations

import click

from rwa.admin import upgrades
from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.render import console, emit_json
from rwa.domain.properties import upgrade_follow_ups


@chain_command(None, Access.PROPOSE, listed_first=("check_only", "via", "network", "rpc_url", "account"))
@click.argument("name")
@click.option("--check", "check_only", is_flag=True, help="Validate the upgrade and send nothing.")
def upgrade(ctx: CommandContext, name: str, check_only: bool) -> None:
    """Upgrade proxied contract NAME to its compiled code, if its storage stays compatible."""
    out = console(stderr=ctx.as_json)
    # Even with --via the signer sends: it deploys the new implementation the proposal upgrades to.
    with ctx.target(signs=not check_only) as target:
        plan = upgrades.check(target, name)
        if plan.problems:
            for problem in plan.problems:
                console(stderr=True).print(f"  [red]✗[/] {problem}")
            raise upgrades.UpgradeRefused(name, plan.problems)
        if check_only:
            verdict = "already runs the compiled code" if plan.up_to_date else "can be upgraded safely"
            if ctx.as_json:
                emit_json({"name": name, "kind": plan.kind, "safe": True, "upToDate": plan.up_to_date})
            else:
                out.print(f"{name} ({plan.kind}) {verdict}; nothing sent")
            return

        def report(action: str, entry: str, detail: str) -> None:
            out.print(f"  [green]{action:>8}[/] {entry}  [dim]{detail}[/]")

        # A data migration the new code needs (holder tracking recounted), in the same batch as the upgrade.
        follow_ups = upgrade_follow_ups(target, name)
        result = upgrades.apply(target, name, ctx.via, report, follow_ups)
        if ctx.as_json:
            emit_json(result)
        elif result["proposal"]:
            out.print(
                f"{name}: new implementation {result['implementation']}; upgrade {result['status']} "
                f"(owners sign with `rwa safe sign {result['proposal']}`)"
            )
        else:
            out.print(f"{name}: {result['status']} ({result['implementation']})")
        for follow_up in result["followUps"]:
            out.print(f"  then {follow_up} (holder tracking recounted in the same batch)")
