"""`rwa deploy`, `rwa status`, `rwa export`."""

from __future__ import annotations

from pathlib import Path

import click

from rwa import deployments, engine, project
from rwa.atomic import write_json
from rwa.errors import RwaError
from rwa.render import console, contracts_table, control_tree, emit_json, plan_table
from rwa import session

network_option = click.option("--network", "-n", default=None, help="Network of the manifest [default: local].")
account_option = click.option("--account", "-a", default=None, help="Ape account alias that signs (required off local).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


def _steps_json(plan: engine.Plan) -> list[dict[str, object]]:
    return [{"action": s.action, "contract": s.name, "detail": s.detail, "blocking": s.blocking} for s in plan.steps]


@click.command()
@network_option
@account_option
@click.option("--plan", "plan_only", is_flag=True, help="Show what would happen; send nothing.")
@json_option
def deploy(network: str | None, account: str | None, plan_only: bool, as_json: bool) -> None:
    """Make NETWORK match deployments/manifest.py, resuming any interrupted deploy."""
    paths = project.paths()
    out = console(stderr=as_json)
    with session.open_target(network, account, paths) as target:
        if plan_only:
            deploy_plan, _ = engine.plan_deployment(target)
            if as_json:
                emit_json({"network": target.network.name, "steps": _steps_json(deploy_plan)})
            else:
                out.print(plan_table(list(deploy_plan.steps), f"plan for {target.network.name}"))
                _summary(out, deploy_plan)
            return

        def report(action: str, name: str, detail: str) -> None:
            out.print(f"  [green]{action:>8}[/] {name}  [dim]{detail}[/]")

        deploy_plan, record = engine.apply_deployment(target, report)
        if as_json:
            emit_json({"network": target.network.name, "steps": _steps_json(deploy_plan), "deployment": record})
            return
        out.print(contracts_table(record, f"{target.network.name} (chain {record.get('chainId')})"))
        if deploy_plan.sends:
            out.print(f"[dim]written {target.store.path(target.network.name)}[/]")
        else:
            out.print(f"[dim]{target.network.name} is up to date: nothing sent[/]")


def _summary(out, deploy_plan: engine.Plan) -> None:  # type: ignore[no-untyped-def]
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
    with session.open_target(network, None, paths, read_only=True) as target:
        record = engine.load_record(target)
        if record is None:
            raise RwaError(f"nothing deployed on {target.network.name} yet: run `rwa deploy`")
        deploy_plan, _ = engine.plan_deployment(target)
        drift: dict[str, list[str]] = {}
        for step in deploy_plan.steps:
            if step.action == "drift":
                drift.setdefault(step.name, []).append(step.detail)
        found, kinds, single = _control(target, record)
        if as_json:
            control = {
                "powers": [vars(p) for p in found],
                "holders": {a: {**vars(h), "owners": list(h.owners)} for a, h in kinds.items()},
                "singleKey": [vars(p) for p in single],
            }
            emit_json({"network": target.network.name, "deployment": record, "drift": drift, "control": control})
            return
        out = console()
        out.print(contracts_table(record, f"{target.network.name} (chain {record['chainId']})", drift))
        pending = [s for s in deploy_plan.steps if s.action in ("create", "call")]
        if pending:
            out.print(f"[yellow]{len(pending)} step(s) pending: run `rwa deploy --plan`[/]")
        out.print(control_tree(found, kinds, "who controls what"))
        for power in single:
            out.print(f"[bold red]single key:[/] {power.contract} {power.power} is held by {kinds[power.holder].label}")


def _control(target, record):  # type: ignore[no-untyped-def]
    from rwa import control
    from rwa.engine import named_accounts

    labels = {address: name for name, address in named_accounts(target.network).items()}
    deployers = {entry["deployer"] for entry in record["contracts"].values()}
    labels.update({d: "deployer" for d in deployers})
    candidates = {*labels, *(e["address"] for e in record["contracts"].values())}
    found = control.powers(target.chain, record, candidates)
    kinds = control.holders(target.chain, record, labels, {p.holder for p in found})
    return found, kinds, control.single_key_powers(found, kinds)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["hardhat-deploy", "rwa"]), default="hardhat-deploy", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path, resolve_path=True), default=None, help="File to write [default: stdout].")
def export(fmt: str, output: Path | None) -> None:
    """Export every network's deployment (hardhat-deploy's `export-all` shape by default)."""
    store = deployments.DeploymentStore(project.paths().deployments_dir)
    records = [r for r in (store.load(n) for n in store.networks()) if r is not None]
    data = deployments.export_hardhat_deploy(records) if fmt == "hardhat-deploy" else {r["network"]: r for r in records}
    if output is None:
        emit_json(data)
    else:
        write_json(output, data)
        console(stderr=True).print(f"[dim]wrote {output} ({len(records)} network(s))[/]")
