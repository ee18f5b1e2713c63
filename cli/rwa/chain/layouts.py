"""Storage layouts and upgrade safety, the way OpenZeppelin Upgrades checks them.

``extract`` compiles a contract for its storage layout and AST (solc's standard JSON, through the
project's solc) and returns a :class:`Layout`: the plain storage variables, the members of every
ERC-7201 namespace (``@custom:storage-location erc7201:<id>`` structs, which solc's storage layout
leaves out) and every unsafe construct found in the contract and its bases. ``compare`` then
refuses what would corrupt a proxy's storage: removed, inserted, reordered, renamed or retyped
variables (renames and retypes pass only with ``@custom:oz-renamed-from`` /
``@custom:oz-retyped-from``), a gap that shrank by more or less than what was added before it, and
a namespace that disappeared or changed. Both functions return data; nothing here sends anything.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rwa.chain.artifacts import Artifact
from rwa.core.errors import RwaError
from rwa.core.project import ProjectPaths

REMAPPINGS = [
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "@openzeppelin/contracts-upgradeable/=node_modules/@openzeppelin/contracts-upgradeable/",
]
NAMESPACE_RE = re.compile(r"@custom:storage-location\s+erc7201:([\w.\-]+)")
RENAMED_RE = re.compile(r"@custom:oz-renamed-from\s+(\w+)")
RETYPED_RE = re.compile(r"@custom:oz-retyped-from\s+([^\n*]+?)\s*(?:\*/|\n|$)")
ALLOW_RE = re.compile(r"@custom:oz-upgrades-unsafe-allow(?:-reachable)?\s+([\w\- ]+)")


@dataclass(frozen=True)
class Variable:
    label: str
    type: str
    slots: int = 1
    renamed_from: str | None = None
    retyped_from: str | None = None


@dataclass(frozen=True)
class Layout:
    contract: str
    storage: tuple[Variable, ...]
    namespaces: dict[str, tuple[Variable, ...]]
    unsafe: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "storage": [asdict(v) for v in self.storage],
            "namespaces": {k: [asdict(v) for v in members] for k, members in sorted(self.namespaces.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layout:
        return cls(
            contract=data["contract"],
            storage=tuple(Variable(**v) for v in data.get("storage", [])),
            namespaces={k: tuple(Variable(**v) for v in members) for k, members in data.get("namespaces", {}).items()},
        )


# --- extraction -----------------------------------------------------------------------------


def solc_output(root: Path, solc: Path, source: str, extra_sources: dict[str, str] | None = None) -> dict[str, Any]:
    """Storage layouts and ASTs for one source file (and what it imports); no bytecode."""
    sources = {source: {"content": (root / source).read_text(encoding="utf-8")}}
    for name, content in (extra_sources or {}).items():
        sources[name] = {"content": content}
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "remappings": REMAPPINGS,
            "evmVersion": "cancun",
            "outputSelection": {"*": {"*": ["storageLayout"], "": ["ast"]}},
        },
    }
    try:
        done = subprocess.run(
            [str(solc), "--standard-json", "--base-path", str(root), "--allow-paths", str(root)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RwaError(f"cannot run solc for a storage layout: {exc}") from None
    try:
        output: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RwaError(f"solc gave no JSON for {source}: {done.stderr.strip()[:300]}") from None
    errors = [e["formattedMessage"].strip().splitlines()[0] for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RwaError(f"{source} does not compile: {errors[0]}")
    output["_root"] = str(root)
    return output


def extract(output: dict[str, Any], source: str, contract: str) -> Layout:
    """The layout of ``contract`` defined in ``source``, from :func:`solc_output`'s result."""
    try:
        raw = output["contracts"][source][contract]["storageLayout"]
    except KeyError:
        raise RwaError(f"no contract {contract} in {source}") from None
    nodes = _index(output)
    definition = next(
        (
            n
            for n in nodes.values()
            if n.get("nodeType") == "ContractDefinition" and n.get("name") == contract and _file_of(n, output) == source
        ),
        None,
    )
    if definition is None:
        raise RwaError(f"no contract {contract} in {source}")
    docs = _state_variable_docs(nodes, definition, output)
    types = raw.get("types") or {}
    storage = tuple(
        Variable(
            label=item["label"],
            type=types.get(item["type"], {}).get("label", item["type"]),
            slots=max(1, int(types.get(item["type"], {}).get("numberOfBytes", "32")) // 32),
            renamed_from=docs.get(item["label"], {}).get("renamed"),
            retyped_from=docs.get(item["label"], {}).get("retyped"),
        )
        for item in raw.get("storage", [])
    )
    bases = [nodes[i] for i in definition.get("linearizedBaseContracts", []) if i in nodes]
    namespaces: dict[str, tuple[Variable, ...]] = {}
    for base in bases:
        for node in base.get("nodes", []):
            if node.get("nodeType") != "StructDefinition":
                continue
            match = NAMESPACE_RE.search(_doc(node) or _comment_before(node, output))
            if match:
                namespaces[match.group(1)] = tuple(_member(m, output) for m in node.get("members", []))
    unsafe = tuple(_unsafe(bases, output))
    return Layout(contract, storage, namespaces, unsafe)


def layout_of(root: Path, solc: Path, source: str, contract: str, cache_dir: Path | None = None) -> Layout:
    """``extract`` with a cache keyed by the sources that went in (solc is slow to start)."""
    key = None
    if cache_dir is not None:
        digest = hashlib.sha256()
        for path in sorted((root / "contracts").rglob("*.sol")):
            digest.update(path.read_bytes())
        digest.update(f"{source}:{contract}".encode())
        key = cache_dir / f"{digest.hexdigest()[:32]}.json"
        if key.is_file():
            data = json.loads(key.read_text())
            layout = Layout.from_json(data)
            return Layout(layout.contract, layout.storage, layout.namespaces, tuple(data.get("unsafe", [])))
    layout = extract(solc_output(root, solc, source), source, contract)
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text(json.dumps({**layout.as_json(), "unsafe": list(layout.unsafe)}))
    return layout


def layout_for(paths: ProjectPaths, artifact: Artifact) -> Layout | None:
    """The layout of a compiled contract of the project (Solidity only), cached by its sources."""
    if not artifact.source_id or not artifact.source_id.endswith(".sol"):
        return None
    return layout_of(paths.root, paths.solc, artifact.source_id, artifact.name, paths.layouts_dir)


def _index(output: dict[str, Any]) -> dict[int, dict[str, Any]]:
    nodes: dict[int, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "id" in node and "nodeType" in node:
                nodes[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for source in output["sources"].values():
        walk(source.get("ast"))
    return nodes


def _file_of(node: dict[str, Any], output: dict[str, Any]) -> str:
    index = int(node["src"].split(":")[2])
    for name, source in output["sources"].items():
        if source.get("id") == index:
            return str(name)
    return ""


def _text(node: dict[str, Any], output: dict[str, Any]) -> tuple[str, int]:
    """The file text a node lives in (read once per compilation), and the node's start offset."""
    start, _, index = (int(x) for x in node["src"].split(":"))
    name = next((n for n, s in output["sources"].items() if s.get("id") == index), "")
    texts = output.setdefault("_texts", {})
    if name not in texts:
        path = Path(output.get("_root", ".")) / name
        texts[name] = path.read_text(encoding="utf-8") if path.is_file() else ""
    return texts[name], start


def _comment_before(node: dict[str, Any], output: dict[str, Any]) -> str:
    """The comment lines right above a node (struct members and structs carry no NatSpec node)."""
    text, start = _text(node, output)
    if not text:
        return ""
    before = text.encode()[:start].decode(errors="ignore").rstrip().splitlines()
    lines = []
    for line in reversed(before):
        stripped = line.strip()
        if stripped.startswith(("///", "*", "/*", "*/", "//")):
            lines.append(stripped)
        else:
            break
    return "\n".join(reversed(lines))


def _doc(node: dict[str, Any]) -> str:
    doc = node.get("documentation")
    if isinstance(doc, dict):
        return doc.get("text") or ""
    return doc or ""


def _member(node: dict[str, Any], output: dict[str, Any]) -> Variable:
    comment = _comment_before(node, output)
    renamed = RENAMED_RE.search(comment)
    retyped = RETYPED_RE.search(comment)
    return Variable(
        label=node["name"],
        type=node.get("typeDescriptions", {}).get("typeString", "?"),
        renamed_from=renamed.group(1) if renamed else None,
        retyped_from=retyped.group(1).strip() if retyped else None,
    )


def _state_variable_docs(
    nodes: dict[int, dict[str, Any]], definition: dict[str, Any], output: dict[str, Any]
) -> dict[str, dict[str, str | None]]:
    docs = {}
    for base_id in definition.get("linearizedBaseContracts", []):
        for node in nodes.get(base_id, {}).get("nodes", []):
            if node.get("nodeType") == "VariableDeclaration" and node.get("stateVariable"):
                text = _doc(node) or _comment_before(node, output)
                renamed, retyped = RENAMED_RE.search(text), RETYPED_RE.search(text)
                docs[node["name"]] = {
                    "renamed": renamed.group(1) if renamed else None,
                    "retyped": retyped.group(1).strip() if retyped else None,
                }
    return docs


def _allowed(node: dict[str, Any], output: dict[str, Any]) -> set[str]:
    text = _doc(node) or _comment_before(node, output)
    allowed: set[str] = set()
    for match in ALLOW_RE.finditer(text):
        allowed.update(match.group(1).split())
    return allowed


def _unsafe(bases: list[dict[str, Any]], output: dict[str, Any]) -> list[str]:
    """Constructs that do not belong in an implementation behind a proxy."""
    found = []
    # What the contract being upgraded allows covers what it inherits (OpenZeppelin's `unsafeAllow`).
    derived_allowed = _allowed(bases[0], output) if bases else set()
    for base in bases:
        contract_allowed = derived_allowed | _allowed(base, output)
        name = base.get("name")
        for node in base.get("nodes", []):
            kind = node.get("nodeType")
            allowed = contract_allowed | _allowed(node, output)
            if kind == "VariableDeclaration" and node.get("stateVariable"):
                if node.get("mutability") == "immutable" and "state-variable-immutable" not in allowed:
                    found.append(
                        f"{name}.{node['name']}: immutable variable (its value lives "
                        "in the implementation's code, not the proxy's storage)"
                    )
                elif (
                    node.get("value") is not None
                    and node.get("mutability") == "mutable"
                    and "state-variable-assignment" not in allowed
                ):
                    found.append(
                        f"{name}.{node['name']}: assigned at declaration (that runs "
                        "in the implementation's constructor, never for the proxy)"
                    )
            elif kind == "FunctionDefinition":
                if node.get("kind") == "constructor" and "constructor" not in allowed:
                    statements = (node.get("body") or {}).get("statements", [])
                    if any(not _is_disable_initializers(s) for s in statements):
                        found.append(f"{name}: constructor sets state (the proxy never runs it; use an initializer)")
                for call in _walk(node.get("body")):
                    if call.get("nodeType") == "FunctionCall":
                        callee = call.get("expression", {})
                        if (
                            callee.get("nodeType") == "Identifier"
                            and callee.get("name") == "selfdestruct"
                            and "selfdestruct" not in allowed
                        ):
                            found.append(f"{name}.{node.get('name') or 'constructor'}: selfdestruct")
                        if (
                            callee.get("nodeType") == "MemberAccess"
                            and callee.get("memberName") == "delegatecall"
                            and "delegatecall" not in allowed
                        ):
                            found.append(f"{name}.{node.get('name') or 'constructor'}: delegatecall")
    return found


def _is_disable_initializers(statement: dict[str, Any]) -> bool:
    expression = statement.get("expression") or {}
    callee = expression.get("expression") or {}
    return expression.get("nodeType") == "FunctionCall" and callee.get("name") == "_disableInitializers"


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


# --- comparison -----------------------------------------------------------------------------


def compare(old: Layout, new: Layout) -> list[str]:
    """Every reason the new layout would corrupt storage written by the old one (empty: safe)."""
    problems = [f"unsafe: {u}" for u in new.unsafe]
    problems += _compare_sequence("storage", old.storage, new.storage)
    for namespace, members in sorted(old.namespaces.items()):
        if namespace not in new.namespaces:
            problems.append(f"namespace erc7201:{namespace}: gone from the new version (a changed or removed namespace)")
            continue
        problems += _compare_sequence(f"namespace erc7201:{namespace}", members, new.namespaces[namespace])
    return problems


def _compare_sequence(where: str, old: tuple[Variable, ...], new: tuple[Variable, ...]) -> list[str]:
    problems = []
    j = 0
    for i, before in enumerate(old):
        if j >= len(new):
            problems.append(f"{where}: `{before.label}` ({before.type}) was removed; storage is append-only")
            continue
        if _is_gap(before):
            # Variables added just before a gap must be paid for by shrinking it by as many slots.
            start = j
            while j < len(new) and not _is_gap(new[j]):
                j += 1
            if j == len(new):
                problems.append(f"{where}: gap `{before.label}` was removed")
                continue
            added, shrink = sum(v.slots for v in new[start:j]), _gap_size(before) - _gap_size(new[j])
            if shrink != added:
                problems.append(
                    f"{where}: gap `{before.label}` went from {_gap_size(before)} to {_gap_size(new[j])} slots "
                    f"but {added} slot(s) were added before it"
                )
            j += 1
            continue
        after = new[j]
        if after.label != before.label and after.renamed_from != before.label:
            later_new = [v.label for v in new[j + 1 :]]
            if before.label in later_new:
                k = j + 1 + later_new.index(before.label)
                inserted = ", ".join(f"`{v.label}`" for v in new[j:k])
                problems.append(f"{where}: {inserted} inserted before `{before.label}` (or moved); storage is append-only")
                j, after = k, new[k]
            elif any(v.label == after.label for v in old[i + 1 :]):
                problems.append(f"{where}: `{before.label}` was removed (or moved); `{after.label}` now sits in its place")
                continue
            else:
                problems.append(
                    f"{where}: `{before.label}` was renamed to `{after.label}` without @custom:oz-renamed-from {before.label}"
                )
                j += 1
                continue
        if after.type != before.type and after.retyped_from != before.type:
            problems.append(
                f"{where}: `{after.label}` changed type from {before.type} to {after.type} "
                f"without @custom:oz-retyped-from {before.type}"
            )
        j += 1
    return problems


def _is_gap(variable: Variable) -> bool:
    return variable.label.startswith("__gap")


def _gap_size(variable: Variable) -> int:
    match = re.search(r"\[(\d+)\]", variable.type)
    return int(match.group(1)) if match else variable.slots
