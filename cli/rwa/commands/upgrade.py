"""`rwa upgrade NAME [--check] [--via safe|guardian]`."""

from __future__ import annotations

import click

from rwa import project, upgrades
from rwa.render import console, emit_json
from rwa import session


@click.command()
@click.argument("name")
@click.option("--check", "check_only", is_flag=True, help="Validate the upgrade and send nothing.")
@click.option("--via", type=click.Choice(["safe", "guardian"]), default=None,
              help="Propose the upgrade through a Safe even if the deployer could upgrade directly.")
@click.option("--network", "-n", default=None, help="Network of the manifest [default: local].")
@click.option("--account", "-a", default=None, help="Ape account alias that deploys the new implementation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
