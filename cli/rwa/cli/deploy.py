"""Deploying: make a network match the manifest, show what is there, export it."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from rwa.admin import control
from rwa.admin import verify as verifying
from rwa.cli import verify as verify_command
from rwa.cli.options import account_option, json_option, network_option
from rwa.cli.render import console, contracts_table, control_tree, emit_json, plan_table, print_table
from rwa.core import project
from rwa.core.atomic import write_json
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_duration
from rwa.core.units import amount_of
from rwa.deploy import engine, records, session
from rwa.deploy.planner import Plan


def _steps_json(plan: Plan) -> list[dict[str, object]]:
    return [{"action": s.action, "contract": s.name, "detail": s.detail, "blocking": s.blocking} for s in plan.steps]


@click.command()
@network_option
@account_option("deployer")
@click.option("--plan", "plan_only", is_flag=True, help="Show what would happen; send nothing.")
@click.option("--adopt", is_flag=True, help="No record but the account has deployed here: rebuild the record from the chain.")
@click.option("--fresh", is_flag=True, help="No record but the account has sent before: deploy anew, deliberately.")
@click.option("--wait", "wait_lock", is_flag=True, help="Wait for another operator's deploy on NETWORK instead of refusing.")
@click.option("--max-fee", default=None, help="Cap on the max fee per gas, in gwei (over the network's fees.max_fee).")
@click.option("--stuck-after", default=None, help="Replace a transaction unmined this long (90s, 5m) with higher fees.")
@click.option("--verify", "then_verify", is_flag=True, help="Then publish every contract's source on the network's explorer (`rwa verify`).")
@json_option
def deploy(
    network: str | None,
    account: str | None,
    plan_only: bool,
    adopt: bool,
    fresh: bool,
    wait_lock: bool,
    max_fee: str | None,
    stuck_after: str | None,
    then_verify: bool,
    as_json: bool,
) -> None:
    """Make NETWORK match deployments/manifest.py, resuming any interrupted deploy."""
    if adopt and fresh:
        raise RwaError("--adopt and --fresh exclude each other: rebuild the record, or deploy anew")
    options = engine.DeployOptions(
        adopt=adopt,
        fresh=fresh,
        wait=wait_lock,
        max_fee=amount_of(max_fee, 9, "gwei") if max_fee is not None else None,
        stuck_after=parsed(parse_duration, stuck_after) if stuck_after is not None else None,
    )
    paths = project.paths()
    out = console(stderr=as_json)
    with session.open_target(network, account, paths, reads_only=plan_only, wait_lock=wait_lock) as target:
        if plan_only:
            deploy_plan, _ = engine.plan_deployment(target)
            if as_json:
                emit_json({"network": target.network.name, "steps": _steps_json(deploy_plan)})
            else:
                print_table(plan_table(list(deploy_plan.steps), f"plan for {target.network.name}"), out)
                _summary(out, deploy_plan)
            return

        def report(action: str, name: str, detail: str) -> None:
            out.print(f"  [green]{action:>8}[/] {name}  [dim]{detail}[/]")

        if then_verify:
            verifying.check_ready(target)  # a missing key or explorer is refused before anything is sent
        deploy_plan, record = engine.apply_deployment(target, report, options)
        if not as_json:
            print_table(contracts_table(record, f"{target.network.name} (chain {record.get('chainId')})", out=out), out)
            if deploy_plan.sends:
                out.print(f"[dim]written {target.store.path(target.network.name)}[/]")
            else:
                out.print(f"[dim]{target.network.name} is up to date: nothing sent[/]")
        verified = verify_command.run(target, (), out) if then_verify else None
        if as_json:
            if verified is not None:  # the record as the verification left it
                record = target.store.load(target.network.name) or record
            emit_json({
                "network": target.network.name,
                "steps": _steps_json(deploy_plan),
                "deployment": record,
                **({"verification": verified.as_json()} if verified is not None else {}),
            })
        if verified is not None:
            verify_command.refuse_failures(verified)


def _summary(out: Console, deploy_plan: Plan) -> None:
    counts = ", ".join(f"{deploy_plan.count(a)} {a}" for a in ("create", "call", "skip", "drift"))
    out.print(f"[dim]{counts}; nothing sent[/]")
    if deploy_plan.blocking:
        raise RwaError(f"{len(deploy_plan.blocking)} drift(s) block a deploy")


@click.command()
@network_option
@json_option
def status(network: str | None, as_json: bool) -> None:
    """Show what is deployed on NETWORK, checked against the live chain."""
    paths = project.paths()
    with session.open_target(network, None, paths, read_only=True, reads_only=True) as target:
        deploy_plan, record = engine.plan_deployment(target)  # reads the record once, checked against the chain
        if record is None:
            raise RwaError(f"nothing deployed on {target.network.name} yet: run `rwa deploy`")
        drift: dict[str, list[str]] = {}
        for step in deploy_plan.steps:
            if step.action == "drift":
                drift.setdefault(step.name, []).append(step.detail)
        # Powers are read only where the record matches the chain: an entry that drifted (an edited
        # address, say) is reported as drift above instead of failing the reads below.
        trusted = {**record, "contracts": {n: e for n, e in record["contracts"].items() if n not in drift}}
        found, kinds, single = control.control_of(target, trusted)
        if as_json:
            control_json = {
                "powers": [vars(p) for p in found],
                "holders": {a: {**vars(h), "owners": list(h.owners)} for a, h in kinds.items()},
                "singleKey": [vars(p) for p in single],
            }
            emit_json({"network": target.network.name, "deployment": record, "drift": drift, "control": control_json})
            return
        out = console()
        print_table(contracts_table(record, f"{target.network.name} (chain {record['chainId']})", drift, out), out)
        pending = [s for s in deploy_plan.steps if s.action in ("create", "call")]
        if pending:
            out.print(f"[yellow]{len(pending)} step(s) pending: run `rwa deploy --plan`[/]")
        out.print(control_tree(found, kinds, "who controls what"))
        for power in single:
            out.print(f"[bold red]single key:[/] {power.contract} {power.power} is held by {kinds[power.holder].label}")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["hardhat-deploy", "rwa"]), default="hardhat-deploy", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path, resolve_path=True), default=None, help="File to write [default: stdout].")
@click.option("--network", "-n", "networks", multiple=True, help="Only this network (repeatable) [default: every recorded one].")
def export(fmt: str, output: Path | None, networks: tuple[str, ...]) -> None:
    """Export every network's deployment (hardhat-deploy's `export-all` shape by default)."""
    store = records.DeploymentStore(project.paths().deployments_dir)
    recorded = store.networks()
    unknown = [n for n in networks if n not in recorded]
    if unknown:
        raise RwaError(f"nothing recorded for {', '.join(unknown)} (recorded: {', '.join(recorded) or 'none'})")
    found = [r for r in (store.load(n) for n in networks or recorded) if r is not None]
    data = records.export_hardhat_deploy(found) if fmt == "hardhat-deploy" else {r["network"]: r for r in found}
    if output is None:
        emit_json(data)
    else:
        write_json(output, data)
        console(stderr=True).print(f"[dim]wrote {output} ({len(found)} network(s))[/]")
