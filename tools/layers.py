"""The layers of the `rwa` package, and the check that keeps them apart.

Each subpackage may import only itself and the layers listed before it; nothing of the package is
imported inside a function (third-party imports may be, to keep `rwa --help` instant); and no two
modules import each other, directly or around a cycle; no module imports another's private (``_x``)
names; and the README's map names every module in its layer. `python tools/layers.py` prints modules per
layer and every violation, and exits non-zero when there is one.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cli" / "rwa"
README = PACKAGE.parent.parent / "README.md"
#: Lowest first. ``rwa/__init__.py`` holds only the version; ``__main__`` runs the CLI.
LAYERS = ("core", "chain", "deploy", "admin", "domain", "watch", "cli", "testing")
TOP_LEVEL = {"rwa": -1, "rwa.__main__": len(LAYERS)}


@dataclass
class Report:
    modules: dict[str, list[str]] = field(default_factory=dict)  # layer -> modules
    upward: list[str] = field(default_factory=list)
    in_function: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)
    private: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.upward + self.in_function + self.cycles + self.private


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    return LAYERS.index(module.split(".")[1])


def private_imports(tree: ast.Module) -> list[tuple[str, int]]:
    """(name, line) for every private name (``_x``) imported from another module of the package."""
    return [
        (alias.name, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rwa"
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def _imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[str, int, bool]]:
    """(imported rwa module, line, inside a function) for every import of the package."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, in_function) for a in child.names if a.name.split(".")[0] == "rwa")
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if base.split(".")[0] == "rwa":
                    for alias in child.names:
                        candidate = f"{base}.{alias.name}"
                        target = candidate if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).is_file() else base
                        found.append((target, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def check() -> Report:
    report = Report({layer: [] for layer in LAYERS})
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        if module not in TOP_LEVEL and path.name != "__init__.py":
            report.modules[module.split(".")[1]].append(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[module] = set()
        where = path.relative_to(PACKAGE.parent.parent)
        for imported, line, in_function in _imports(tree, module, path.name == "__init__.py"):
            if imported == "rwa":
                continue
            if in_function:
                report.in_function.append(f"{where}:{line}: imports {imported} inside a function")
            if layer_of(imported) > layer_of(module):
                report.upward.append(
                    f"{where}:{line}: {module} ({layer_name(module)}) imports {imported} ({layer_name(imported)})"
                )
            graph[module].add(imported)
        report.private += [f"{where}:{line}: imports {name}, private to its module" for name, line in private_imports(tree)]
    report.cycles = _cycles(graph)
    return report


def layer_name(module: str) -> str:
    index = layer_of(module)
    return LAYERS[index] if 0 <= index < len(LAYERS) else "top"


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """One line per import cycle found by a depth-first search."""
    found: list[str] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append("import cycle: " + " -> ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt in graph and nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def readme_map(readme: Path = README) -> dict[str, str]:
    """Each layer's entry in the README's map ("What is where"): the text from ``  <layer>/`` up to
    the next layer or the next top-level folder."""
    entries: dict[str, str] = {}
    current = None
    for line in readme.read_text(encoding="utf-8").split("## What is where", 1)[-1].split("```")[1].splitlines():
        match = re.match(r"  (\w+)/ ", line)
        if match and match.group(1) in LAYERS:
            current = match.group(1)
            entries[current] = line
        elif current and line.startswith("   "):
            entries[current] += " " + line.strip()
        else:
            current = None
    return entries


def unmapped(report: Report, readme: Path = README) -> list[str]:
    """The modules the README's map does not name in their layer's entry."""
    entries = readme_map(readme)
    return [
        f"README map: {module} is not named in the {layer}/ entry"
        for layer in LAYERS
        for module in report.modules[layer]
        if not re.search(rf"(?<![\w.]){re.escape(module.rsplit('.', 1)[1])}(?![\w])", entries.get(layer, ""))
    ]


def main() -> int:
    report = check()
    missing = unmapped(report)
    print("layer    modules")
    for layer in LAYERS:
        names = " ".join(module.rsplit(".", 1)[1] for module in report.modules[layer])
        print(f"{layer:<8} {names}")
    print(
        f"upward imports: {len(report.upward)}; in-function imports of the package: {len(report.in_function)}; "
        f"cycles: {len(report.cycles)}; private names imported: {len(report.private)}; "
        f"modules the README's map does not name: {len(missing)}"
    )
    for problem in report.problems + missing:
        print(f"  {problem}")
    return 1 if report.problems or missing else 0


if __name__ == "__main__":
    sys.exit(main())
