"""Compiled contracts, as the engine needs them: ABI, bytecode and the compiler that made them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from rwa.core.errors import RwaError
from rwa.core.progress import activity
from rwa.core.project import SOLC_VERSION, ProjectPaths, find_root
from rwa.core.quiet import quiet_ape

# Settings keys worth recording; the rest (output selection) is noise for integrators.
RECORDED_SETTINGS = ("evmVersion", "optimizer", "remappings", "viaIR", "optimize")

#: Ape's manifest of the project's last compile, and the source files it compiles.
BUILD_MANIFEST = Path(".build") / "__local__.json"
SOURCE_SUFFIXES = (".sol", ".vy")


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    compiler: dict[str, Any]
    source_id: str | None = None  # the source file, relative to the project root
    runtime: bytes = b""  # the deployed code, for contracts placed by code rather than deployed (Multicall3)

    @property
    def bytecode_hash(self) -> str:
        return "0x" + keccak(self.bytecode).hex()

    def function(self, name: str) -> dict[str, Any]:
        for item in self.abi:
            if item.get("type") == "function" and item.get("name") == name:
                return item
        raise RwaError(f"{self.name} has no function '{name}'")

    def constructor_inputs(self) -> list[dict[str, Any]]:
        for item in self.abi:
            if item.get("type") == "constructor":
                inputs: list[dict[str, Any]] = item.get("inputs", [])
                return inputs
        return []


def use_project_compilers(paths: ProjectPaths) -> None:
    """Point Ape at the project's compilers, none of them downloaded.

    py-solc-x takes the solc in ``.rwa/solc`` (native, or the WebAssembly front end); ape-vyper
    takes the ``vyper`` installed from PyPI beside this Python, found on PATH, even when the
    virtual environment is not activated.
    """
    solc = paths.solc
    if not solc.exists():
        raise RwaError(f"solc {SOLC_VERSION} is not set up ({solc} missing): run `make setup`")
    os.environ.setdefault("SOLCX_BINARY_PATH", str(paths.solc_dir))
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def load(paths: ProjectPaths) -> dict[str, Artifact]:
    """Compile what changed (Ape caches the rest) and return every contract of the project.

    When nothing changed since Ape's last compile, its manifest is read directly: the same
    artifacts, without loading Ape's project machinery (most of a second on each command).
    """
    use_project_compilers(paths)
    artifacts = _built(paths)
    if artifacts is None:
        artifacts = _compiled(paths)
        manifest_file = paths.root / BUILD_MANIFEST
        if manifest_file.is_file():  # Ape left it as is when nothing needed compiling: it is current
            os.utime(manifest_file)
    artifacts.update(safe_artifacts(paths.root))
    return artifacts


def _compiled(paths: ProjectPaths) -> dict[str, Artifact]:
    """Ape's compile of the project (only what changed is compiled again)."""
    # Ape lists at most 500 files under contracts/ to find sources; a dependency copy left in
    # contracts/.cache (by `ape compile` or ape-solidity's standard-input helpers) pushes real
    # sources past that limit and they silently stop compiling. Ape rebuilds it when needed.
    shutil.rmtree(paths.root / "contracts" / ".cache", ignore_errors=True)
    from ape import project

    quiet_ape()
    try:
        with activity("compiling contracts (only what changed)"):
            containers = project.load_contracts(use_cache=not _importers_stale(paths))
    except Exception as exc:
        message = " ".join(str(exc).split())[:500]
        raise RwaError(f"compilation failed: {message}") from None
    compilers = [c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in project.manifest.compilers or []]
    types = {
        name: container.contract_type.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name, container in containers.items()
    }
    return _artifacts(types, compilers)


def _importers_stale(paths: ProjectPaths) -> bool:
    """Whether a source changed since Ape's last compile is imported by another source.

    Ape compiles again only the files whose text changed, not the files that import them: a factory
    that embeds a proxy's creation code (``new PropertyBeaconProxy``) would keep the old proxy. Then
    everything is compiled again; a change to a file nothing imports stays a quick compile.
    """
    try:
        built = json.loads((paths.root / BUILD_MANIFEST).read_text()).get("sources") or {}
    except (OSError, ValueError, AttributeError):
        return False  # no previous compile: Ape compiles everything anyway
    found = {
        file.relative_to(paths.root).as_posix(): file.read_text()
        for file in (paths.root / "contracts").rglob("*")
        if file.suffix in SOURCE_SUFFIXES and ".cache" not in file.parts
    }
    changed = {Path(name).name for name, text in found.items() if name in built and (built[name] or {}).get("content") != text}
    if not changed:
        return False
    return any(
        line.lstrip().startswith(("import", "from")) and any(name in line for name in changed)
        for text in found.values()
        for line in text.splitlines()
    )


def _built(paths: ProjectPaths) -> dict[str, Artifact] | None:
    """The artifacts in Ape's manifest of its last compile, when it is still the project's: every
    source under contracts/ the same text as compiled, none added or removed, and ape-config.yaml
    not changed since. None otherwise (Ape then compiles what changed)."""
    manifest_file = paths.root / BUILD_MANIFEST
    try:
        if manifest_file.stat().st_mtime < (paths.root / "ape-config.yaml").stat().st_mtime:
            return None
        built = json.loads(manifest_file.read_text())
        sources = built.get("sources") or {}
        found = {
            file.relative_to(paths.root).as_posix(): file
            for file in (paths.root / "contracts").rglob("*")
            if file.suffix in SOURCE_SUFFIXES and ".cache" not in file.parts
        }
        if set(found) != set(sources) or any(sources[name].get("content") != file.read_text() for name, file in found.items()):
            return None
        return _artifacts(built.get("contractTypes") or {}, built.get("compilers") or [])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _artifacts(types: dict[str, dict[str, Any]], compilers: list[dict[str, Any]]) -> dict[str, Artifact]:
    """Artifacts from contract types and compilers as Ape's manifest spells them (camelCase JSON)."""
    used = {}
    for compiler in compilers:
        settings = {k: v for k, v in (compiler.get("settings") or {}).items() if k in RECORDED_SETTINGS}
        for name in compiler.get("contractTypes") or []:
            used[name] = {"name": compiler["name"], "version": compiler["version"], "settings": settings}
    artifacts = {}
    for name, contract_type in types.items():
        bytecode = (contract_type.get("deploymentBytecode") or {}).get("bytecode")
        if not bytecode or bytecode in ("0x", ""):
            continue  # interfaces and abstract contracts
        artifacts[name] = Artifact(
            name=name,
            abi=contract_type.get("abi") or [],
            bytecode=_hex_bytes(bytecode),
            compiler=used.get(name, {}),
            source_id=contract_type.get("sourceId"),
            runtime=_hex_bytes((contract_type.get("runtimeBytecode") or {}).get("bytecode") or ""),
        )
    return artifacts


def _hex_bytes(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


#: Safe v1.4.1, from the bytecode ape-safe ships: the engine deploys it on local chains.
SAFE_VERSION = "1.4.1"
#: Safe's own npm build of v1.4.1 (a dev dependency) for what ape-safe does not ship: the fallback
#: handler that answers ERC-1271 for a Safe, and the library a Safe signs messages on chain with.
SAFE_NPM_CONTRACTS = {
    "CompatibilityFallbackHandler": "handler/CompatibilityFallbackHandler.sol",
    "SignMessageLib": "libraries/SignMessageLib.sol",
}
_APE_SAFE_CONTRACTS = ("SafeL2", "SafeProxyFactory", "MultiSendCallOnly")
SAFE_CONTRACTS = (*_APE_SAFE_CONTRACTS, *SAFE_NPM_CONTRACTS)
_SAFE_NPM_BUILD = Path("node_modules") / "@safe-global" / "safe-contracts" / "build" / "artifacts" / "contracts"


def safe_artifacts(root: Path | None = None) -> dict[str, Artifact]:
    """Safe v1.4.1's contracts: ape-safe's, and the npm build's under ``root`` (default: the project's)."""
    from importlib.util import find_spec

    # Found, not imported: importing ape_safe loads Ape's plugins (a second, for a command that reads).
    spec = find_spec("ape_safe")
    assert spec is not None and spec.submodule_search_locations, "ape-safe is installed with the package"
    manifest_file = Path(spec.submodule_search_locations[0]) / "manifests" / f"safe-v{SAFE_VERSION}.json"
    types = json.loads(manifest_file.read_text())["contractTypes"]
    found = {}
    for name in _APE_SAFE_CONTRACTS:
        contract_type = types[name]
        bytecode = contract_type["deploymentBytecode"]["bytecode"]
        found[name] = Artifact(
            name=name,
            abi=contract_type["abi"],
            bytecode=bytes.fromhex(bytecode[2:]),
            runtime=_hex_bytes((contract_type.get("runtimeBytecode") or {}).get("bytecode") or ""),
            compiler={"name": "solidity", "version": f"Safe v{SAFE_VERSION} (ape-safe)", "settings": {}},
        )
    build = (root or find_root()) / _SAFE_NPM_BUILD
    for name, source in SAFE_NPM_CONTRACTS.items():
        file = build / source / f"{name}.json"
        if not file.is_file():
            raise RwaError(f"Safe's {name} is not installed ({file} missing): run `make setup`")
        built = json.loads(file.read_text())
        found[name] = Artifact(
            name=name,
            abi=built["abi"],
            bytecode=_hex_bytes(built["bytecode"]),
            runtime=_hex_bytes(built["deployedBytecode"]),
            compiler={"name": "solidity", "version": f"Safe v{SAFE_VERSION} (@safe-global/safe-contracts)", "settings": {}},
        )
    return found


#: The output an explorer needs from a standard-JSON compile (the bytecode is the same whatever is asked).
_EXPLORER_OUTPUT = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]


class StandardInputs:
    """The compiler input that reproduces each compiled contract, as explorers take it to verify source.

    Solidity: the project's one standard-JSON input as Ape compiles it (every source under contracts/,
    OpenZeppelin under Ape's ``contracts/.cache/...`` names, the remappings, optimizer and EVM version:
    they all enter each contract's metadata hash, so its bytecode), cut down to the sources the contract
    imports. Vyper: the contract's source and the settings Ape compiled it with (search paths, local to
    this machine, left out: the contracts import only the compiler's built-in interfaces).
    """

    _cache: dict[tuple[Path, bytes], StandardInputs] = {}

    def __init__(self, paths: ProjectPaths):
        self.paths = paths
        self._solidity: dict[str, Any] | None = None
        self._imports: dict[str, list[str]] = {}

    @classmethod
    def of(cls, paths: ProjectPaths) -> StandardInputs:
        """The project's inputs, reused within a process while no source or setting changes."""
        digest = hashlib.sha256((paths.root / "ape-config.yaml").read_bytes())
        for file in sorted((paths.root / "contracts").rglob("*")):
            if file.suffix in SOURCE_SUFFIXES and ".cache" not in file.parts:
                digest.update(file.as_posix().encode() + b"\0" + file.read_bytes())
        key = (paths.root, digest.digest())
        if key not in cls._cache:
            cls._cache[key] = cls(paths)
        return cls._cache[key]

    def _load_solidity(self) -> dict[str, Any]:
        if self._solidity is None:
            use_project_compilers(self.paths)
            from ape import compilers, project

            quiet_ape()
            with activity("reading the compiler input of every source"), project.isolate_in_tempdir() as isolated:
                files = sorted(
                    p for p in (isolated.path / "contracts").rglob("*.sol") if ".cache" not in p.relative_to(isolated.path).parts
                )
                inputs = compilers.solidity.get_standard_input_json(files, project=isolated)
                imports = compilers.solidity.get_imports(files, project=isolated)
            if len(inputs) != 1:
                raise RwaError(f"the Solidity sources need {len(inputs)} compiler versions; one ({SOLC_VERSION}) is expected")
            self._solidity = dict(next(iter(inputs.values())))
            self._imports = {str(k): [str(i) for i in v] for k, v in imports.items()}
        return self._solidity

    def for_source(self, source_id: str) -> dict[str, Any]:
        """The standard-JSON input that compiles ``source_id`` (relative to the project root)."""
        if source_id.endswith(".vy"):
            return self._vyper(source_id)
        whole = self._load_solidity()
        needed: set[str] = set()
        stack = [source_id]
        while stack:
            current = stack.pop()
            if current in needed:
                continue
            needed.add(current)
            stack.extend(self._imports.get(current, []))
        missing = sorted(needed - set(whole["sources"]))
        if missing:
            raise RwaError(f"the compiler input lacks {', '.join(missing)}")
        settings = {k: v for k, v in whole["settings"].items() if k != "outputSelection"}
        settings["outputSelection"] = {"*": {"*": list(_EXPLORER_OUTPUT)}}
        return {
            "language": "Solidity",
            "sources": {name: whole["sources"][name] for name in sorted(needed)},
            "settings": settings,
        }

    def _vyper(self, source_id: str) -> dict[str, Any]:
        manifest_file = self.paths.root / BUILD_MANIFEST
        built: dict[str, Any] = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
        settings: dict[str, Any] = {}
        for compiler in built.get("compilers") or []:
            if compiler.get("name") == "vyper":
                settings = {
                    k: v for k, v in (compiler.get("settings") or {}).items() if k not in ("outputSelection", "search_paths")
                }
        settings["outputSelection"] = {source_id: ["*"]}
        content = (self.paths.root / source_id).read_text(encoding="utf-8")
        return {"language": "Vyper", "sources": {source_id: {"content": content}}, "settings": settings}
