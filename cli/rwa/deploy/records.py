"""The deployments JSON: one file per network that integrators read.

The file is the durable record of what the engine deployed: the chain it belongs to, and for each
contract its address, ABI, creation transaction, decoded arguments, bytecode hash, compiler and,
for proxies, the implementation and admin or beacon. It is always written whole and atomically,
with sorted keys so diffs stay small; ``deployments/deployments.schema.json`` describes it.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from rwa import __version__
from rwa.core.atomic import dumps, write_json
from rwa.core.errors import ChainMismatchError, RwaError
from rwa.core.project import LOCAL_NETWORK

FORMAT = "rwa-deployments/1"
SCHEMA_FILE = "deployments.schema.json"
#: What the toolkit reads of every record and every recorded contract (part of the schema's
#: ``required``, a test checks), checked on load so a hand-edited file fails with a sentence, not a
#: KeyError.
REQUIRED = ("format", "network", "chainId", "genesisHash", "contracts")
REQUIRED_CONTRACT = ("name", "contractType", "address", "abi", "proxy")
#: Sections of what commands make through factories (`rwa property create`, `rwa vault create`),
#: by property id and athlete id, and of the modules constructors deploy (by the contract's name):
#: each entry's ``contracts`` name its parts (token, vault, paymentsModule...).
CREATED_SECTIONS = ("properties", "vaults", "offerings", "splits", "modules")
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")


# The shapes of the file (deployments/deployments.schema.json describes them; the JSON is exactly
# these dicts). ABIs, decoded arguments, compiler settings, storage layouts and explorer verdicts
# keep their own JSON shapes.


class VerifiedRecord(TypedDict):
    """The explorer's verdict on a contract's source (``rwa verify``): ``verified`` on an entry,
    ``implementationVerified`` on its proxy facts."""

    status: str  # verify.VerificationStatus's value: verified, failed, pending, unsupported
    at: str
    message: NotRequired[str]
    guid: NotRequired[str]
    proxyGuid: NotRequired[str]
    implementation: NotRequired[str]


class ProxyRecord(TypedDict):
    """How a proxied contract reaches its code."""

    kind: str  # ProxyKind's value: transparent, uups, beacon; or clone (an EIP-1167 clone a factory made)
    proxyContractType: str
    implementation: str
    implementationContractType: str
    implementationTransactionHash: str | None
    admin: str | None  # ProxyAdmin of a transparent proxy
    beacon: str | None  # of a beacon proxy
    implementationVerified: NotRequired[VerifiedRecord]


class CreatedBy(TypedDict):
    """The factory call that made a contract."""

    factory: str
    address: str
    function: str
    transactionHash: str | None
    blockNumber: int | None
    sender: str


class PartRecord(TypedDict):
    """One contract a factory made for a command (under ``properties``, ``vaults``, ``offerings``)."""

    contractType: str  # the implementation's, behind a beacon
    address: str
    abi: list[dict[str, Any]]
    codeHash: str | None
    proxy: ProxyRecord | None
    constructorArgs: NotRequired[str]  # ABI-encoded, of a module a constructor deployed (in no transaction)
    verified: NotRequired[VerifiedRecord]


class PendingUpgrade(TypedDict):
    """An upgrade made (`rwa upgrade`) and not yet run by the chain: it becomes the recorded one once it is."""

    contractType: str
    abi: list[dict[str, Any]]
    implementation: str
    implementationTransactionHash: str | None
    bytecodeHash: str
    storageLayout: dict[str, Any] | None
    proposal: str | None  # the proposal that carries it; None when upgraded directly


class ContractRecord(TypedDict):
    """One contract of the manifest as deployed (or referred to, ``external``) on a network."""

    name: str
    contractType: str
    address: str
    abi: list[dict[str, Any]]
    transactionHash: str | None
    blockNumber: int | None
    deployer: str | None
    args: dict[str, Any]
    bytecodeHash: str | None
    codeHash: str | None
    compiler: dict[str, Any] | None
    salt: str | None
    proxy: ProxyRecord | None
    storageLayout: dict[str, Any] | None
    external: NotRequired[bool]
    pendingUpgrade: NotRequired[PendingUpgrade]
    createdBy: NotRequired[CreatedBy]
    verified: NotRequired[VerifiedRecord]
    formerNames: NotRequired[list[str]]  # what the manifest called it before (its `formerly`), oldest first


class CreatedEntry(TypedDict):
    """What one factory call (or constructor) made: its parts by name and how they were made. Under
    ``modules`` this alone; the other sections' entries say more (below)."""

    contracts: dict[str, PartRecord]
    createdBy: CreatedBy


class CreatedProperty(CreatedEntry):
    """``rwa property create``: parts token, compliance, distributor."""

    id: str  # keccak256 of the property id text
    name: str
    symbol: str
    decimals: int


class CreatedVault(CreatedEntry):
    """``rwa vault create``: part vault."""

    id: str  # keccak256 of the athlete id text (or the 0x id given)
    athlete: str


class CreatedOffering(CreatedEntry):
    """``rwa offering create``: part offering."""

    property: str
    index: int
    terms: dict[str, Any]  # Offering.terms_json()
    implementation: str


class CreatedSplit(CreatedEntry):
    """``rwa split create``: part split."""

    payees: list[dict[str, Any]]  # payees_json()
    implementation: str


class RecordedContract(TypedDict):
    """A contract as :func:`recorded_contracts` lists it: a manifest entry (:class:`ContractRecord`), or
    a factory-made part (:class:`PartRecord`) with its entry's ``createdBy``; what only one of them has
    is not required."""

    contractType: str
    address: str
    abi: list[dict[str, Any]]
    codeHash: str | None
    proxy: ProxyRecord | None
    name: NotRequired[str]
    transactionHash: NotRequired[str | None]
    blockNumber: NotRequired[int | None]
    deployer: NotRequired[str | None]
    args: NotRequired[dict[str, Any]]
    bytecodeHash: NotRequired[str | None]
    compiler: NotRequired[dict[str, Any] | None]
    salt: NotRequired[str | None]
    storageLayout: NotRequired[dict[str, Any] | None]
    external: NotRequired[bool]
    pendingUpgrade: NotRequired[PendingUpgrade]
    createdBy: NotRequired[CreatedBy]
    constructorArgs: NotRequired[str]
    verified: NotRequired[VerifiedRecord]


class DeploymentRecord(TypedDict):
    """A network's deployments file."""

    format: str
    network: str
    chainId: int
    genesisHash: str
    manifestHash: NotRequired[str]  # stamped on every save (a new record has none yet)
    gitCommit: NotRequired[str | None]
    toolkitVersion: NotRequired[str]
    updatedAt: NotRequired[str]
    contracts: dict[str, ContractRecord]
    properties: NotRequired[dict[str, CreatedProperty]]
    vaults: NotRequired[dict[str, CreatedVault]]
    offerings: NotRequired[dict[str, CreatedOffering]]
    splits: NotRequired[dict[str, CreatedSplit]]
    modules: NotRequired[dict[str, CreatedEntry]]  # what constructors deploy (NILVault's NILVaultPaymentsModule)


class DeploymentStore:
    """The deployments folder: ``<network>.json`` records and their journals."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, network: str) -> Path:
        return self.directory / f"{network}.json"

    def journal_path(self, network: str) -> Path:
        return self.directory / f"{network}.journal.jsonl"

    def load(self, network: str) -> DeploymentRecord | None:
        path = self.path(network)
        if not path.is_file():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RwaError(f"{path} is not valid JSON ({exc}); {_restore(network)}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise RwaError(f"{path} is not an rwa deployments file (format {found!r})")
        problems = [key for key in REQUIRED if key not in data]
        contracts = data.get("contracts")
        if isinstance(contracts, dict):
            for name, entry in contracts.items():
                lacking = [k for k in REQUIRED_CONTRACT if k not in entry] if isinstance(entry, dict) else ["everything"]
                problems += [f"contracts.{name}.{k}" for k in lacking]
                if not lacking and not _ADDRESS_RE.fullmatch(str(entry["address"])):
                    problems.append(f"contracts.{name}.address as an address (0x and 40 hex digits)")
        elif "contracts" in data:
            problems.append("contracts (an object)")
        if problems:
            raise RwaError(f"{path} lacks {', '.join(problems)}; {_restore(network)}")
        return cast(DeploymentRecord, data)  # checked above as far as the toolkit reads it

    @contextmanager
    def locked(self, network: str) -> Iterator[None]:
        """Hold the network's record for a read-modify-write: other rwa processes wait here."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f".{network}.json.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self, network: str, record: DeploymentRecord) -> None:
        """Write the record whole and atomically, keeping what another process added meanwhile:
        a deploy holds its record in memory for minutes while `rwa property create` may record a
        property, and a save never drops a contract or a created entry it did not know about."""
        with self.locked(network):
            write_json(self.path(network), merged(self.load(network), record))

    def update(self, network: str, change: Callable[[DeploymentRecord], None]) -> DeploymentRecord:
        """Read the record, ``change`` it in place and write it, all under the lock."""
        with self.locked(network):
            record = self.load(network)
            if record is None:
                raise RwaError(f"nothing deployed on {network} yet: run `rwa deploy`")
            change(record)
            write_json(self.path(network), record)
            return record

    def networks(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.json") if not p.name.endswith(".schema.json"))

    def forget(self, network: str) -> None:
        self.path(network).unlink(missing_ok=True)
        self.journal_path(network).unlink(missing_ok=True)


def _restore(network: str) -> str:
    """How to get a damaged record back: a live network's is committed; the local one is git-ignored."""
    if network == LOCAL_NETWORK:
        return "the local record is not under version control: `rwa node reset` starts the local chain over"
    return "restore it from version control"


def merged(on_disk: DeploymentRecord | None, record: DeploymentRecord) -> DeploymentRecord:
    """``record`` over what is on disk: entries only on disk (written by another process) stay, except
    those ``record`` holds under a new name (rwa.deploy.renames)."""
    if on_disk is None:
        return record
    disk: dict[str, Any] = dict(on_disk)
    result: dict[str, Any] = dict(record)
    renamed = {former for entry in contracts_of(record).values() for former in entry.get("formerNames", [])}
    disk["contracts"] = {name: entry for name, entry in disk.get("contracts", {}).items() if name not in renamed}
    for section in ("contracts", *CREATED_SECTIONS):
        if section in disk or section in result:
            result[section] = {**disk.get(section, {}), **result.get(section, {})}
    return cast(DeploymentRecord, result)


def record_created(store: DeploymentStore, network: str, section: str, key: str, entry: CreatedEntry) -> None:
    """Add what a command made through a factory (a property, a vault) to the network's record."""
    assert section in CREATED_SECTIONS, section

    def add(record: DeploymentRecord) -> None:
        created_in(record, section)[key] = entry
        record["updatedAt"] = now()

    store.update(network, add)


def created_in(record: DeploymentRecord, section: str) -> dict[str, CreatedEntry]:
    """One of :data:`CREATED_SECTIONS` of a record, made empty in it if it has none yet."""
    assert section in CREATED_SECTIONS, section
    return cast(dict[str, CreatedEntry], cast(dict[str, Any], record).setdefault(section, {}))


def created_entries(record: DeploymentRecord, section: str) -> dict[str, CreatedEntry]:
    """One of :data:`CREATED_SECTIONS` of a record (empty when it has none), read only."""
    assert section in CREATED_SECTIONS, section
    return cast(dict[str, CreatedEntry], cast(dict[str, Any], record).get(section, {}))


def contracts_of(record: DeploymentRecord | None) -> dict[str, ContractRecord]:
    """A record's manifest contracts by name (none when nothing is recorded yet)."""
    return record["contracts"] if record is not None else {}


def recorded_contracts(record: DeploymentRecord) -> list[tuple[str, RecordedContract]]:
    """Every contract of a record by name: the manifest's, then each factory-made part as
    ``<id>.<part>`` (``MAIN-ST-1.token``, ``jane-doe.vault``) with the entry's ``createdBy``."""
    found = [(name, cast(RecordedContract, entry)) for name, entry in sorted(record.get("contracts", {}).items())]
    for section in CREATED_SECTIONS:
        for key, created in sorted(created_entries(record, section).items()):
            for part, entry in created["contracts"].items():
                found.append((f"{key}.{part}", cast(RecordedContract, {**entry, "createdBy": created["createdBy"]})))
    return found


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_record(network: str, chain_id: int, genesis_hash: str) -> DeploymentRecord:
    return {
        "format": FORMAT,
        "network": network,
        "chainId": chain_id,
        "genesisHash": genesis_hash,
        "contracts": {},
    }


def check_chain(record: DeploymentRecord | None, network: str, chain_id: int, genesis_hash: str) -> None:
    """Refuse to use a network's record against a chain it was not written for."""
    if record is None:
        return
    if record["chainId"] != chain_id or record["genesisHash"].lower() != genesis_hash.lower():
        raise ChainMismatchError(
            f"deployments/{network}.json belongs to chain {record['chainId']} "
            f"(genesis {record['genesisHash'][:10]}…), but the RPC serves chain {chain_id} "
            f"(genesis {genesis_hash[:10]}…); refusing to mix them"
        )


def stamp(record: DeploymentRecord, manifest_hash: str, git_commit: str | None) -> DeploymentRecord:
    """The file-level facts of a save."""
    return {
        **record,
        "manifestHash": manifest_hash,
        "gitCommit": git_commit,
        "toolkitVersion": __version__,
        "updatedAt": now(),
    }


def export_hardhat_deploy_folders(records: Iterable[DeploymentRecord]) -> dict[str, str]:
    """hardhat-deploy's own folder layout, as ``{relative path: file text}``: for each network,
    ``<network>/.chainId`` and one ``<network>/<Name>.json`` per contract (the export-all entry of
    :func:`export_hardhat_deploy`), plus ``<Name>_Implementation.json`` for a proxy, as hardhat-deploy
    writes its proxies: tools that read a hardhat-deploy ``deployments`` folder read these unchanged."""
    files: dict[str, str] = {}
    for chain_id, networks in export_hardhat_deploy(records).items():
        for network in networks:
            folder = network["name"]
            files[f"{folder}/.chainId"] = chain_id
            for name, item in network["contracts"].items():
                files[f"{folder}/{name}.json"] = dumps(item)
                if "implementation" in item:
                    files[f"{folder}/{name}_Implementation.json"] = dumps({"address": item["implementation"], "abi": item["abi"]})
    return files


def export_hardhat_deploy(records: Iterable[DeploymentRecord]) -> dict[str, list[dict[str, Any]]]:
    """hardhat-deploy's ``export-all`` shape: ``{chainId: [{name, chainId, contracts}]}``, each
    contract with its address and ABI and, as hardhat-deploy's own deployments keep them, the
    creating transaction, its block (where an indexer starts) and a proxy's implementation."""
    exported: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        chain_id = str(record["chainId"])
        contracts = {}
        for name, entry in recorded_contracts(record):
            created = entry.get("createdBy")
            item: dict[str, Any] = {"address": entry["address"], "abi": entry["abi"]}
            transaction = entry.get("transactionHash") or (created["transactionHash"] if created else None)
            block = entry.get("blockNumber")
            if block is None and created:
                block = created["blockNumber"]
            if transaction:
                item["transactionHash"] = transaction
            if block is not None:
                item["receipt"] = {"blockNumber": block, "transactionHash": transaction}
            proxy = entry.get("proxy")
            if proxy:
                item["implementation"] = proxy["implementation"]
            contracts[name] = item
        exported.setdefault(chain_id, []).append({"name": record["network"], "chainId": chain_id, "contracts": contracts})
    return exported
