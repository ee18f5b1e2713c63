"""Rich rendering shared by the commands; JSON output goes through `emit_json`."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from rwa.admin.control import ADMIN_POWERS
from rwa.cli.terminal import console as console
from rwa.cli.terminal import emit_json as emit_json
from rwa.deploy.powers import AGENT_POWERS
from rwa.deploy.records import DeploymentRecord, recorded_contracts

ACTION_STYLES = {
    "create": "green",
    "call": "cyan",
    "skip": "dim",
    "drift": "bold red",
    "resume": "yellow",
    "external": "blue",
    "upgrade": "magenta",
    "rename": "magenta",
    "recompiled": "magenta",
    "propose": "yellow",
}


def _plain(cell: RenderableType) -> str:
    return Text.from_markup(cell).plain if isinstance(cell, str) else cell.plain if isinstance(cell, Text) else str(cell)


def _natural_width(out: Console, table: Table) -> int:
    """The width the table takes unsqueezed (rich's own measure stops at the console's width)."""
    return out.measure(table, options=out.options.update_width(1_000_000)).maximum


def fit(out: Console, table: Table) -> bool:
    """Size the table's columns to the console without cutting a word, or say it cannot be done.

    Squeezed below its natural width, rich shares the shortfall out evenly and cuts cells to
    ellipses, losing names, addresses and digits. Here no-wrap columns (addresses, amounts) keep
    their whole width, the others wrap between words but never narrower than their longest word.
    """
    natural = _natural_width(out, table)
    if natural <= out.width:
        return True
    longest, longest_word = [], []
    for column in table.columns:
        texts = [_plain(column.header), *(_plain(cell) for cell in column.cells)]
        lines = [line for text in texts for line in text.splitlines()] or [""]
        longest.append(max(cell_len(line) for line in lines))
        longest_word.append(max(cell_len(word) for line in lines for word in line.split() or [""]))
    available = out.width - (natural - sum(longest))  # what borders and padding leave
    # No-wrap columns keep their whole width; folding ones (free text) may break anywhere.
    least = [
        full if column.no_wrap else min(word, 8) if column.overflow == "fold" else word
        for column, full, word in zip(table.columns, longest, longest_word, strict=True)
    ]
    spare = available - sum(least)
    if spare < 0:
        return False
    widths = list(least)
    wrapping = sorted((i for i, c in enumerate(table.columns) if not c.no_wrap), key=lambda i: longest[i] - least[i])
    for position, index in enumerate(wrapping):
        extra = min(longest[index] - least[index], spare // (len(wrapping) - position))
        widths[index] += extra
        spare -= extra
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    return True


def fitted(out: Console, table: Table) -> RenderableType:
    """The table when it fits the console (see :func:`fit`), else each row as a block of
    label/value lines, every value whole at any width an address fits in."""
    if fit(out, table):
        return table
    headers = [_plain(column.header) for column in table.columns]
    cells = [list(column.cells) for column in table.columns]
    blocks = Table.grid(padding=(0, 2))
    blocks.add_column(style="dim", no_wrap=True)
    blocks.add_column(overflow="fold")
    for index, row in enumerate(zip(*cells, strict=True)):
        if index:
            blocks.add_row("", "")
        for header, cell in zip(headers, row, strict=True):
            blocks.add_row(header, cell)
    return Group(Text(str(table.title)), blocks) if table.title else blocks


def print_table(table: Table, out: Console | None = None) -> None:
    """Print a table whole: as a table when it fits, row by row when it does not."""
    out = out or console()
    out.print(fitted(out, table))


def plan_table(steps: list[Any], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("action")
    table.add_column("contract")
    table.add_column("detail", overflow="fold")
    for step in steps:
        style = ACTION_STYLES.get(step.action, "")
        table.add_row(f"[{style}]{step.action}[/]", step.name, step.detail)
    return table


def contracts_table(
    record: DeploymentRecord, title: str, drift: dict[str, list[str]] | None = None, out: Console | None = None
) -> Table:
    """Every recorded contract, the manifest's and the factory-made. Given the console, a table too
    wide for it puts each implementation under its proxy's address instead of in a column of its
    own, and leaves out the block (``--json`` and the record keep it)."""
    wide = _contracts_table(record, title, drift, compact=False)
    if out is None or _natural_width(out, wide) <= out.width:
        return wide
    return _contracts_table(record, title, drift, compact=True)


def _contracts_table(record: DeploymentRecord, title: str, drift: dict[str, list[str]] | None, compact: bool) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("contract")
    table.add_column("address\nimplementation" if compact else "address", no_wrap=True)
    table.add_column("proxy")
    if not compact:
        table.add_column("implementation", no_wrap=True)
        table.add_column("block", justify="right")
    if drift is not None:
        table.add_column("live", overflow="fold")
    for name, entry in recorded_contracts(record):
        proxy = entry.get("proxy")
        label = name if entry["contractType"] == name else f"{name} ({entry['contractType']})"
        implementation = proxy["implementation"] if proxy else "-"
        row = [label]
        if compact:
            row += [entry["address"] + (f"\n[dim]{implementation}[/]" if proxy else ""), proxy["kind"] if proxy else "-"]
        else:
            made = entry.get("createdBy")
            block = entry.get("blockNumber") or (made["blockNumber"] if made else None)
            row += [
                entry["address"],
                proxy["kind"] if proxy else "-",
                implementation,
                "external" if entry.get("external") else str(block or "-"),
            ]
        if drift is not None:
            problems = drift.get(name, [])
            checked = name in record.get("contracts", {})  # factory-made parts are not planned, so not checked
            row.append("-" if not checked else "[green]ok[/]" if not problems else "[bold red]" + "; ".join(problems) + "[/]")
        table.add_row(*row)
    return table


def agent_powers_table(agents: dict[str, dict[str, list[str]]], kinds: dict[str, Any], local: bool) -> Table:
    """Each property token's five agent powers and who holds them; on a live network, a key holding burn,
    forced transfer or recovery (which must be a Safe there) in red."""
    table = Table(title="agent powers", title_justify="left")
    table.add_column("property")
    for power in AGENT_POWERS:
        table.add_column(power.name)

    def cell(power: Any, holders: list[str]) -> str:
        if not holders:
            return "[dim]nobody[/]"
        shown = []
        for address in holders:
            holder = kinds[address]
            kind = f"Safe {holder.threshold}-of-{len(holder.owners)}" if holder.kind == "safe" else holder.kind
            text = f"{holder.label} ({kind})"
            shown.append(f"[bold red]{text}[/]" if power.contract_only and holder.kind == "key" and not local else text)
        return ", ".join(shown)

    for contract, held in sorted(agents.items()):
        table.add_row(contract, *(cell(p, held[p.name]) for p in AGENT_POWERS))
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
            flagged = [
                f"{n} [bold red](single key)[/]" if n in ADMIN_POWERS and kinds[address].single_key else n for n in sorted(names)
            ]
            child = node.add(f"{contract}: {', '.join(flagged)}")
            inner = contract_address.get(contract)
            # What a timelock (or any contract) may do, it does for whoever proposes and executes there.
            if inner and inner not in seen and {"PROPOSER_ROLE", "EXECUTOR_ROLE"} & set(names) and inner in by_holder:
                grow(child, inner, seen | {inner})

    roots = [a for a, h in kinds.items() if h.kind in ("safe", "key") and a in by_holder]
    for address in sorted(roots, key=lambda a: (kinds[a].kind != "safe", kinds[a].label)):
        grow(tree.add(describe(kinds[address])), address, {address})
    return tree
