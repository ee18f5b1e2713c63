"""Upgrading a proxied contract of the manifest."""

from __future__ import annotations

import click

from rwa.admin import upgrades
from rwa.cli.options import account_option, json_option, network_option, via_option
from rwa.cli.render import console, emit_json
from rwa.core import project
from rwa.deploy import session


@click.command()
@click.argument("name")
@click.option("--check", "check_only", is_flag=True, help="Validate the upgrade and send nothing.")
@via_option
@network_option
@account_option("deployer")
@json_option
def upgrade(name: str, check_only: bool, via: str | None, network: str | None, account: str | None, as_json: bool) -> None:
    """Upgrade proxied contract NAME to its compiled code, if its storage stays compatible."""
    out = console(stderr=as_json)
    with session.open_target(network, account, project.paths(), read_only=check_only) as target:
        plan = upgrades.check(target, name)
        if plan.problems:
            for problem in plan.problems:
                console(stderr=True).print(f"  [red]✗[/] {problem}")
            raise upgrades.UpgradeRefused(name, plan.problems)
        if check_only:
            verdict = "already runs the compiled code" if plan.up_to_date else "can be upgraded safely"
            if as_json:
                emit_json({"name": name, "kind": plan.kind, "safe": True, "upToDate": plan.up_to_date})
            else:
                out.print(f"{name} ({plan.kind}) {verdict}; nothing sent")
            return

        def report(action: str, entry: str, detail: str) -> None:
            out.print(f"  [green]{action:>8}[/] {entry}  [dim]{detail}[/]")

        result = upgrades.apply(target, name, via, report)
        if as_json:
            emit_json(result)
        elif result["proposal"]:
            out.print(f"{name}: new implementation {result['implementation']}; upgrade {result['status']} "
                      f"(owners sign with `rwa safe sign {result['proposal']}`)")
        else:
            out.print(f"{name}: {result['status']} ({result['implementation']})")
