"""The deployments JSON: one file per network that integrators read.

The file is the durable record of what the engine deployed: the chain it belongs to, and for each
contract its address, ABI, creation transaction, decoded arguments, bytecode hash, compiler and,
for proxies, the implementation and admin or beacon. It is always written whole and atomically,
with sorted keys so diffs stay small; ``deployments/deployments.schema.json`` describes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rwa import __version__
from rwa.core.atomic import write_json
from rwa.core.errors import ChainMismatchError, RwaError

FORMAT = "rwa-deployments/1"
SCHEMA_FILE = "deployments.schema.json"


class DeploymentStore:
    """The deployments folder: ``<network>.json`` records and their journals."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, network: str) -> Path:
        return self.directory / f"{network}.json"

    def journal_path(self, network: str) -> Path:
        return self.directory / f"{network}.journal.jsonl"

    def load(self, network: str) -> dict[str, Any] | None:
        path = self.path(network)
        if not path.is_file():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RwaError(f"{path} is not valid JSON ({exc}); restore it from version control") from None
        if data.get("format") != FORMAT:
            raise RwaError(f"{path} is not an rwa deployments file (format {data.get('format')!r})")
        return data

    def save(self, network: str, record: dict[str, Any]) -> None:
        write_json(self.path(network), record)

    def networks(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.json") if not p.name.endswith(".schema.json"))

    def forget(self, network: str) -> None:
        self.path(network).unlink(missing_ok=True)
        self.journal_path(network).unlink(missing_ok=True)


def new_record(network: str, chain_id: int, genesis_hash: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "network": network,
        "chainId": chain_id,
        "genesisHash": genesis_hash,
        "contracts": {},
    }


def check_chain(record: dict[str, Any] | None, network: str, chain_id: int, genesis_hash: str) -> None:
    """Refuse to use a network's record against a chain it was not written for."""
    if record is None:
        return
    if record["chainId"] != chain_id or record["genesisHash"].lower() != genesis_hash.lower():
        raise ChainMismatchError(
            f"deployments/{network}.json belongs to chain {record['chainId']} "
            f"(genesis {record['genesisHash'][:10]}…), but the RPC serves chain {chain_id} "
            f"(genesis {genesis_hash[:10]}…); refusing to mix them"
        )


def stamp(record: dict[str, Any], manifest_hash: str, git_commit: str | None) -> dict[str, Any]:
    """The file-level facts of a save."""
    return {
        **record,
        "manifestHash": manifest_hash,
        "gitCommit": git_commit,
        "toolkitVersion": __version__,
        "updatedAt": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }


def export_hardhat_deploy(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """hardhat-deploy's ``export-all`` shape: ``{chainId: [{name, chainId, contracts}]}``."""
    exported: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        chain_id = str(record["chainId"])
        contracts = {
            name: {"address": entry["address"], "abi": entry["abi"]}
            for name, entry in sorted(record["contracts"].items())
        }
        exported.setdefault(chain_id, []).append(
            {"name": record["network"], "chainId": chain_id, "contracts": contracts}
        )
    return exported
