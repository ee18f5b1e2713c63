"""Rich rendering shared by the commands; JSON output goes through `emit_json`."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from rwa.admin.control import ADMIN_POWERS

ACTION_STYLES = {"create": "green", "call": "cyan", "skip": "dim", "drift": "bold red", "resume": "yellow"}


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # Piped output (logs, CI) gets room for full addresses instead of rich's 80 columns.
    width = None if stream.isatty() or "COLUMNS" in os.environ else 200
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def plan_table(steps: list[Any], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("action")
    table.add_column("contract")
    table.add_column("detail", overflow="fold")
    for step in steps:
        style = ACTION_STYLES.get(step.action, "")
        table.add_row(f"[{style}]{step.action}[/]", step.name, step.detail)
    return table


def contracts_table(record: dict[str, Any], title: str, drift: dict[str, list[str]] | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("contract")
    table.add_column("address", no_wrap=True)
    table.add_column("proxy")
    table.add_column("implementation", no_wrap=True)
    table.add_column("block", justify="right")
    if drift is not None:
        table.add_column("live")
    for name, entry in sorted(record.get("contracts", {}).items()):
        proxy = entry.get("proxy")
        label = name if entry["contractType"] == name else f"{name} ({entry['contractType']})"
        row = [
            label,
            entry["address"],
            proxy["kind"] if proxy else "-",
            proxy["implementation"] if proxy else "-",
            str(entry.get("blockNumber") or "-"),
        ]
        if drift is not None:
            problems = drift.get(name, [])
            row.append("[green]ok[/]" if not problems else "[bold red]" + "; ".join(problems) + "[/]")
        table.add_row(*row)
    return table


def control_tree(found: list[Any], kinds: dict[str, Any], title: str) -> Tree:
    """From each Safe and key down through the contracts they control (a timelock, say) to every power."""
    by_holder: dict[str, list[Any]] = {}
    for power in found:
        by_holder.setdefault(power.holder, []).append(power)
    contract_address = {h.label: a for a, h in kinds.items()}
    tree = Tree(f"[bold]{title}[/]")

    def describe(holder: Any) -> str:
        if holder.kind == "safe":
            return f"[bold]{holder.label}[/] (Safe {holder.threshold}-of-{len(holder.owners)})"
        return f"[bold]{holder.label}[/] ({holder.kind})"

    def grow(node: Tree, address: str, seen: set[str]) -> None:
        per_contract: dict[str, list[str]] = {}
        for power in by_holder.get(address, []):
            per_contract.setdefault(power.contract, []).append(power.power)
        for contract, names in sorted(per_contract.items()):
            flagged = [f"{n} [bold red](single key)[/]" if n in ADMIN_POWERS and kinds[address].single_key else n for n in sorted(names)]
            child = node.add(f"{contract}: {', '.join(flagged)}")
            inner = contract_address.get(contract)
            # What a timelock (or any contract) may do, it does for whoever proposes and executes there.
            if inner and inner not in seen and {"PROPOSER_ROLE", "EXECUTOR_ROLE"} & set(names) and inner in by_holder:
                grow(child, inner, seen | {inner})

    roots = [a for a, h in kinds.items() if h.kind in ("safe", "key") and a in by_holder]
    for address in sorted(roots, key=lambda a: (kinds[a].kind != "safe", kinds[a].label)):
        grow(tree.add(describe(kinds[address])), address, {address})
    return tree
