"""Compiled contracts, as the engine needs them: ABI, bytecode and the compiler that made them."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from rwa.core.errors import RwaError
from rwa.core.progress import activity
from rwa.core.project import SOLC_VERSION, ProjectPaths
from rwa.core.quiet import quiet_ape

# Settings keys worth recording; the rest (output selection) is noise for integrators.
RECORDED_SETTINGS = ("evmVersion", "optimizer", "remappings", "viaIR", "optimize")


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    compiler: dict[str, Any]
    source_id: str | None = None  # the source file, relative to the project root

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
    """Compile what changed (Ape caches the rest) and return every contract of the project."""
    use_project_compilers(paths)
    # Ape lists at most 500 files under contracts/ to find sources; a dependency copy left in
    # contracts/.cache (by `ape compile` or ape-solidity's standard-input helpers) pushes real
    # sources past that limit and they silently stop compiling. Ape rebuilds it when needed.
    shutil.rmtree(paths.root / "contracts" / ".cache", ignore_errors=True)
    from ape import project

    quiet_ape()
    try:
        with activity("compiling contracts (only what changed)"):
            containers = project.load_contracts()
    except Exception as exc:
        message = " ".join(str(exc).split())[:500]
        raise RwaError(f"compilation failed: {message}") from None
    compilers = {}
    for compiler in project.manifest.compilers or []:
        settings = {k: v for k, v in (compiler.settings or {}).items() if k in RECORDED_SETTINGS}
        for name in compiler.contractTypes or []:
            compilers[name] = {"name": compiler.name, "version": compiler.version, "settings": settings}
    artifacts = {}
    for name, container in containers.items():
        contract_type = container.contract_type
        bytecode = contract_type.deployment_bytecode.bytecode if contract_type.deployment_bytecode else None
        if not bytecode or bytecode in ("0x", ""):
            continue  # interfaces and abstract contracts
        abi = [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in contract_type.abi]
        artifacts[name] = Artifact(
            name=name,
            abi=abi,
            bytecode=bytes.fromhex(bytecode[2:] if bytecode.startswith("0x") else bytecode),
            compiler=compilers.get(name, {}),
            source_id=contract_type.source_id,
        )
    artifacts.update(safe_artifacts())
    return artifacts


#: Safe v1.4.1, from the bytecode ape-safe ships: the engine deploys it on local chains.
SAFE_VERSION = "1.4.1"
SAFE_CONTRACTS = ("SafeL2", "SafeProxyFactory", "MultiSendCallOnly")


def safe_artifacts() -> dict[str, Artifact]:
    import json
    from importlib import resources

    manifest_file = resources.files("ape_safe").joinpath("manifests", f"safe-v{SAFE_VERSION}.json")
    types = json.loads(manifest_file.read_text())["contractTypes"]
    found = {}
    for name in SAFE_CONTRACTS:
        contract_type = types[name]
        bytecode = contract_type["deploymentBytecode"]["bytecode"]
        found[name] = Artifact(
            name=name,
            abi=contract_type["abi"],
            bytecode=bytes.fromhex(bytecode[2:]),
            compiler={"name": "solidity", "version": f"Safe v{SAFE_VERSION} (ape-safe)", "settings": {}},
        )
    return found
