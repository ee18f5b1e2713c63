"""Deploying: make a network match the manifest, show what is there, export it."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from rwa.admin import control
from rwa.admin import verify as verifying
from rwa.cli import verify as verify_command
from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.render import agent_powers_table, console, contracts_table, control_tree, emit_json, plan_table, print_table
from rwa.core import project
from rwa.core.atomic import write_json, write_text
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_duration
from rwa.core.units import amount_of, format_units
from rwa.deploy import engine, estimate, powers, preflight, records, sender, session
from rwa.deploy.planner import Plan


def _steps_json(plan: Plan) -> list[dict[str, object]]:
    return [{"action": s.action, "contract": s.name, "detail": s.detail, "blocking": s.blocking} for s in plan.steps]


@chain_command(None, Access.SEND, listed_first=("network", "rpc_url", "account"))
@click.option("--plan", "plan_only", is_flag=True, help="Show what would happen; send nothing.")
@click.option("--adopt", is_flag=True, help="No record but the account has deployed here: rebuild the record from the chain.")
@click.option("--fresh", is_flag=True, help="No record but the account has sent before: deploy anew, deliberately.")
@click.option("--wait", "wait_lock", is_flag=True, help="Wait for another operator's deploy on NETWORK instead of refusing.")
@click.option("--max-fee", default=None, help="Cap on the max fee per gas, in gwei (over the network's fees.max_fee).")
@click.option("--stuck-after", default=None, help="Replace a transaction unmined this long (90s, 5m) with higher fees.")
@click.option(
    "--confirmations",
    type=click.IntRange(min=0),
    default=None,
    help="Blocks a transaction needs to count as mined [default: the network's; 1 live, 0 local].",
)
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Send without asking for confirmation (CI).")
@click.option(
    "--verify", "then_verify", is_flag=True, help="Then publish every contract's source on the network's explorer (`rwa verify`)."
)
def deploy(
    ctx: CommandContext,
    plan_only: bool,
    adopt: bool,
    fresh: bool,
    wait_lock: bool,
    max_fee: str | None,
    stuck_after: str | None,
    confirmations: int | None,
    assume_yes: bool,
    then_verify: bool,
) -> None:
    """Make NETWORK match deployments/manifest.py, resuming any interrupted deploy.

    On a live network the plan is printed with its gas and cost first, and asked about once
    (--yes: not asked); a keystore account is unlocked once, from APE_ACCOUNTS_<ALIAS>_PASSPHRASE
    or by asking."""
    if adopt and fresh:
        raise RwaError("--adopt and --fresh exclude each other: rebuild the record, or deploy anew")
    options = preflight.DeployOptions(
        adopt=adopt,
        fresh=fresh,
        wait=wait_lock,
        max_fee=amount_of(max_fee, 9, "gwei") if max_fee is not None else None,
        stuck_after=parsed(parse_duration, stuck_after) if stuck_after is not None else None,
        confirmations=confirmations,
    )
    as_json = ctx.as_json
    out = console(stderr=as_json)
    with ctx.target(plain_rpc=plan_only, signs=not plan_only, wait_lock=wait_lock) as target:
        live = not target.network.local
        if then_verify and not plan_only:
            verifying.check_ready(target)  # a missing key or explorer is refused before anything is sent
        if plan_only or live:
            powers.check_agent_params(target)  # burn, forced transfer and recovery: never a key on a live network
            deploy_plan, record = engine.plan_deployment(target)
            cost = estimate.estimate(target, deploy_plan, record) if live and deploy_plan.sends else None
            if as_json and plan_only:
                emit_json({"network": target.network.name, "steps": _steps_json(deploy_plan), "cost": _cost_json(cost)})
            elif not as_json or live:
                print_table(plan_table(list(deploy_plan.steps), f"plan for {target.network.name}"), out)
                if cost is not None:
                    print_table(gas_table(cost), out)
                    out.print(cost_line(cost))
            if plan_only:
                if not as_json:
                    _summary(out, deploy_plan)
                return
            if deploy_plan.blocking:
                _summary(out, deploy_plan)
            if deploy_plan.sends:
                _confirm(target.network.name, deploy_plan, assume_yes)
                session.unlock_for_run(target, lambda text: str(click.prompt(text, hide_input=True, err=True)))
        else:
            cost = None

        def report(action: str, name: str, detail: str) -> None:
            out.print(f"  [green]{action:>8}[/] {name}  [dim]{detail}[/]")

        ledger: list[sender.Spent] = []
        deploy_plan, record = engine.apply_deployment(target, report, options, ledger)
        if not as_json:
            if cost is not None and ledger:
                print_table(gas_table(cost, ledger), out)
                out.print(spent_line(cost, ledger))
            print_table(contracts_table(record, f"{target.network.name} (chain {record.get('chainId')})", out=out), out)
            if deploy_plan.sends:
                out.print(f"[dim]written {target.store.path(target.network.name)}[/]")
            else:
                out.print(f"[dim]{target.network.name} is up to date: nothing sent[/]")
        verified = verify_command.run(target, (), out) if then_verify else None
        if as_json:
            if verified is not None:  # the record as the verification left it
                record = target.store.load(target.network.name) or record
            spent = [{"key": s.key, "gasUsed": s.gas_used, "gasPrice": s.gas_price} for s in ledger]
            emit_json(
                {
                    "network": target.network.name,
                    "steps": _steps_json(deploy_plan),
                    "deployment": record,
                    "cost": _cost_json(cost),
                    "spent": spent,
                    **({"verification": verified.as_json()} if verified is not None else {}),
                }
            )
        if verified is not None:
            verify_command.refuse_failures(verified)


def _confirm(network: str, deploy_plan: Plan, assume_yes: bool) -> None:
    """One question for the whole plan (none with --yes); no terminal to ask on is a refusal."""
    if assume_yes:
        return
    sends = deploy_plan.count("create") + deploy_plan.count("call")
    if not sys.stdin.isatty():
        raise RwaError(
            f"a deploy to {network} asks for confirmation and there is no terminal to ask on: pass --yes; nothing was sent"
        )
    if not click.confirm(f"Send these {sends} step(s) to {network}?", default=False, err=True):
        raise RwaError("not confirmed: nothing was sent")


def _cost_json(cost: estimate.CostEstimate | None) -> dict[str, object] | None:
    if cost is None:
        return None
    return {
        "gas": cost.gas,
        "currency": cost.currency,
        "baseFee": cost.base_fee,
        "priorityFee": cost.priority_fee,
        "maxFee": cost.max_fee,
        "cost": cost.cost,
        "transactions": [
            {"contract": g.name, "part": g.part, "what": g.what, "gas": g.gas, "reason": g.reason} for g in cost.lines
        ],
    }


def _native(wei: int, currency: str) -> str:
    return f"{wei / 10**18:.6f} {currency}"


def gas_table(cost: estimate.CostEstimate, spent: list[sender.Spent] | None = None) -> Table:
    """The gas of each transaction the plan sends (and, after the deploy, what each used)."""
    table = Table(title="gas, estimated" + (" and used" if spent is not None else ""), title_justify="left")
    table.add_column("contract")
    table.add_column("transaction")
    table.add_column("estimate", justify="right")
    used = estimate.used_by_step(spent or [])
    if spent is not None:
        table.add_column("used", justify="right")
    for line in cost.lines:
        row = [line.name, line.what, f"{line.gas:,}" if line.gas is not None else f"[dim]n/a: {line.reason}[/]"]
        if spent is not None:
            row.append(f"{used[(line.name, line.part)]:,}" if (line.name, line.part) in used else "-")
        table.add_row(*row)
    return table


def cost_line(cost: estimate.CostEstimate) -> str:
    unknown = f" + {len(cost.unknown)} transaction(s) n/a" if cost.unknown else ""
    return (
        f"estimated: {cost.gas:,} gas{unknown} ≈ {_native(cost.cost, cost.currency)} at {format_units(cost.price, 9)} gwei "
        f"(base fee {format_units(cost.base_fee, 9)} + priority {format_units(cost.priority_fee, 9)}; at most "
        f"{format_units(cost.max_fee, 9)} gwei)"
    )


def spent_line(cost: estimate.CostEstimate, ledger: list[sender.Spent]) -> str:
    used = sum(s.gas_used for s in ledger)
    paid = sum(s.gas_used * s.gas_price for s in ledger)
    estimated, actual = cost.compared(ledger)
    ratio = f"; where estimated: {actual:,} used for {estimated:,} estimated ({actual / estimated - 1:+.1%})" if estimated else ""
    return f"used: {used:,} gas in {len(ledger)} transaction(s), paid {_native(paid, cost.currency)}{ratio}"


def _summary(out: Console, deploy_plan: Plan) -> None:
    counts = ", ".join(f"{deploy_plan.count(a)} {a}" for a in ("create", "call", "skip", "drift"))
    out.print(f"[dim]{counts}; nothing sent[/]")
    if deploy_plan.blocking:
        raise RwaError(f"{len(deploy_plan.blocking)} drift(s) block a deploy")


@chain_command(None, plain_rpc=True)
def status(ctx: CommandContext) -> None:
    """Show what is deployed on NETWORK, checked against the live chain."""
    with ctx.target() as target:
        deploy_plan, record = engine.plan_deployment(target)  # reads the record once, checked against the chain
        if record is None:
            raise RwaError(f"nothing deployed on {target.network.name} yet: run `rwa deploy`")
        drift: dict[str, list[str]] = {}
        for step in deploy_plan.steps:
            if step.action == "drift":
                drift.setdefault(step.name, []).append(step.detail)
        # Powers are read only where the record matches the chain: an entry that drifted (an edited
        # address, say) is reported as drift above instead of failing the reads below.
        trusted = record.copy()
        trusted["contracts"] = {n: e for n, e in record["contracts"].items() if n not in drift}
        found, kinds, single = control.control_of(target, trusted)
        if ctx.as_json:
            control_json = {
                "powers": [vars(p) for p in found],
                "holders": {a: {**vars(h), "owners": list(h.owners)} for a, h in kinds.items()},
                "singleKey": [vars(p) for p in single],
                "agentPowers": control.agent_powers(found),
            }
            emit_json({"network": target.network.name, "deployment": record, "drift": drift, "control": control_json})
            return
        out = console()
        print_table(contracts_table(record, f"{target.network.name} (chain {record['chainId']})", drift, out), out)
        pending = [s for s in deploy_plan.steps if s.action in ("create", "call")]
        if pending:
            out.print(f"[yellow]{len(pending)} step(s) pending: run `rwa deploy --plan`[/]")
        out.print(control_tree(found, kinds, "who controls what"))
        agents = control.agent_powers(found)
        if agents:
            print_table(agent_powers_table(agents, kinds, target.network.local), out)
        for power in single:
            kind = "admin" if power.power in control.ADMIN_POWERS else "operational"
            out.print(f"[bold red]single key:[/] {power.contract} {power.power} ({kind}) is held by {kinds[power.holder].label}")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["hardhat-deploy", "hardhat-deploy-folder", "rwa"]),
    default="hardhat-deploy",
    show_default=True,
    help="hardhat-deploy: its export-all file; hardhat-deploy-folder: its deployments folder "
    "(<network>/<Name>.json and .chainId) under --output; rwa: the records as they are.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, resolve_path=True),
    default=None,
    help="File to write [default: stdout]; the folder, for hardhat-deploy-folder.",
)
@click.option("--network", "-n", "networks", multiple=True, help="Only this network (repeatable) [default: every recorded one].")
def export(fmt: str, output: Path | None, networks: tuple[str, ...]) -> None:
    """Export every network's deployment (hardhat-deploy's `export-all` shape by default)."""
    store = records.DeploymentStore(project.paths().deployments_dir)
    recorded = store.networks()
    unknown = [n for n in networks if n not in recorded]
    if unknown:
        raise RwaError(f"nothing recorded for {', '.join(unknown)} (recorded: {', '.join(recorded) or 'none'})")
    if fmt == "hardhat-deploy-folder" and output is None:
        raise RwaError("--format hardhat-deploy-folder writes a folder: name it with --output (e.g. -o deployments)")
    folder = fmt == "hardhat-deploy-folder"
    if output is not None and output.exists() and output.is_dir() != folder:
        found_kind, wanted = ("a file", "a folder") if folder else ("a folder", "one file")
        raise RwaError(f"--output {output} is {found_kind}: --format {fmt} writes {wanted}")
    found = [r for r in (store.load(n) for n in networks or recorded) if r is not None]
    if folder:
        assert output is not None
        files = records.export_hardhat_deploy_folders(found)
        for relative, text in files.items():
            write_text(output / relative, text)
        console(stderr=True).print(f"[dim]wrote {len(files)} file(s) under {output} ({len(found)} network(s))[/]")
        return
    data = records.export_hardhat_deploy(found) if fmt == "hardhat-deploy" else {r["network"]: r for r in found}
    if output is None:
        emit_json(data)
    else:
        write_json(output, data)
        console(stderr=True).print(f"[dim]wrote {output} ({len(found)} network(s))[/]")
