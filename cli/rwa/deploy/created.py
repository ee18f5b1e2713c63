"""What commands make through the suite's factories, as the deployments record keeps it.

A factory call creates contracts the manifest does not list one by one: a property's token,
compliance and distributor (`rwa property create`), an athlete's vault (`rwa vault create`), or a
manifest entry with ``created_by``; so does a constructor that deploys a module (NILVault's
NILVaultPaymentsModule), recorded under ``modules`` by the manifest entry's name. Each is recorded with the
factory (or constructor) and transaction that made it and, behind a beacon, its proxy facts, so
integrators, `rwa verify` and `rwa upgrade` see every contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import to_checksum_address

from rwa.core.errors import RwaError
from rwa.core.evm import create_address
from rwa.deploy import records
from rwa.deploy.manifest import Contract, ProxyKind
from rwa.deploy.records import CreatedBy, PartRecord, ProxyRecord
from rwa.deploy.target import Target

BEACON_TYPE = "Beacon"
#: What an EIP-1167 clone is recorded as: it has no source of its own, explorers link it to its implementation.
CLONE_TYPE = "EIP1167Clone"
#: How each factory's contracts reach their implementation: both make PropertyBeaconProxy, its beacon
#: immutable and in ERC-1967's slot (vaults made before issue 23 are recorded as "MinimalBeaconProxy").
FACTORY_PROXY_TYPES = {"PropertyTokenFactory": "PropertyBeaconProxy", "NILVaultFactory": "PropertyBeaconProxy"}


def beacon_proxy(target: Target, proxy_type: str, beacon: str, contract_type: str) -> ProxyRecord:
    """The proxy facts of a contract that runs whatever ``beacon`` points at, read now."""
    implementation = target.chain.call(beacon, target.artifacts[BEACON_TYPE].abi, "implementation", [])
    return {
        "kind": "beacon",
        "proxyContractType": proxy_type,
        "implementation": to_checksum_address(implementation),
        "implementationContractType": contract_type,
        "implementationTransactionHash": None,
        "admin": None,
        "beacon": to_checksum_address(beacon),
    }


def clone(implementation: str, contract_type: str) -> ProxyRecord:
    """The proxy facts of an EIP-1167 clone of ``implementation`` (its code names it: no admin, no beacon)."""
    return {
        "kind": "clone",
        "proxyContractType": CLONE_TYPE,
        "implementation": to_checksum_address(implementation),
        "implementationContractType": contract_type,
        "implementationTransactionHash": None,
        "admin": None,
        "beacon": None,
    }


def part(target: Target, contract_type: str, address: str, proxy: ProxyRecord | None) -> PartRecord:
    """One contract a factory made: what to call, how, and its code now (the drift check's base)."""
    address = to_checksum_address(address)
    return {
        "contractType": contract_type,
        "address": address,
        "abi": target.artifacts[contract_type].abi,
        "codeHash": target.chain.code_hash(address),
        "proxy": proxy,
    }


def created_by(
    factory: str, factory_address: str, function: str, transaction_hash: str | None, block: int | None, sender: str
) -> CreatedBy:
    """The factory (its record name and address), the call and the transaction that made something."""
    return {
        "factory": factory,
        "address": to_checksum_address(factory_address),
        "function": function,
        "transactionHash": transaction_hash,
        "blockNumber": block,
        "sender": to_checksum_address(sender),
    }


@dataclass(frozen=True)
class Module:
    """A contract a constructor deploys: its part name, contract type and constructor arguments (by
    the names of the deploying constructor's parameters it passes on)."""

    part: str
    contract_type: str
    args: tuple[str, ...]


#: The modules a constructor may deploy (NILVault's, and so any contract built on it): a contract
#: deploys one when its creation code holds the module's. A contract's own nonce starts at 1, so
#: the n-th module it creates is at CREATE(contract, n).
MODULES = (Module("paymentsModule", "NILVaultPaymentsModule", ("registry_", "factory_", "hub_")),)
MODULES_SECTION = "modules"


def modules_of(target: Target, contract_type: str) -> tuple[Module, ...]:
    """The modules the constructor of ``contract_type`` deploys, in creation order."""
    code = target.artifacts[contract_type].bytecode if contract_type in target.artifacts else b""
    return tuple(
        m
        for m in MODULES
        if m.contract_type != contract_type
        and m.contract_type in target.artifacts
        and target.artifacts[m.contract_type].bytecode in code
    )


def record_modules(target: Target, record: records.DeploymentRecord) -> bool:
    """Record under ``modules`` what the constructors of ``record``'s contracts deployed: for each
    contract (or proxy's implementation) whose constructor deploys some of :data:`MODULES`, those, with
    the transaction that created it. An upgrade's new implementation replaces its entry (the old modules
    run nowhere then); an entry already made by the current implementation is kept as it is, unless a
    module's contract type was renamed since. Whether anything changed."""
    modules = records.created_in(record, MODULES_SECTION)
    changed = False
    for name, entry in record.get("contracts", {}).items():
        proxy = entry.get("proxy")
        if entry.get("external") or entry.get("createdBy"):
            continue  # a factory-made proxy (a vault) runs the implementation whose modules are recorded
        made = modules_of(target, proxy["implementationContractType"] if proxy else entry["contractType"])
        if not made:
            continue
        maker = to_checksum_address(proxy["implementation"] if proxy else entry["address"])
        existing = modules.get(name)
        parts_now = {m.part: m.contract_type for m in made}
        if existing and existing["createdBy"]["address"] == maker and _types_of(existing) == parts_now:
            continue  # a module renamed since (its type is the record's key to its source) is recorded anew
        transaction = proxy["implementationTransactionHash"] if proxy else entry.get("transactionHash")
        sent = target.chain.transaction(transaction) if transaction else None
        passed = entry["args"]["constructor"]
        sender = sent.sender if sent else entry["deployer"]
        assert sender is not None, "a contract the deploy made has its deployer recorded"
        parts = {
            made_module.part: module(target, made_module, create_address(maker, nonce), [passed[a] for a in made_module.args])
            for nonce, made_module in enumerate(made, 1)
        }
        modules[name] = {
            "contracts": parts,
            "createdBy": created_by(name, maker, "constructor", transaction, sent.block if sent else None, sender),
        }
        changed = True
    if not modules:
        del record["modules"]  # MODULES_SECTION
    return changed


def _types_of(entry: records.CreatedEntry) -> dict[str, str]:
    return {part: recorded["contractType"] for part, recorded in entry["contracts"].items()}


def module(target: Target, made: Module, address: str, args: list[Any]) -> PartRecord:
    """A module a constructor deployed, with its code now and its constructor arguments ABI-encoded, as
    an explorer wants them (they are in no transaction's input: the constructor passed them)."""
    if not target.chain.code(address):
        raise RwaError(f"no {made.contract_type} at {address}, where its constructor deploys it")
    recorded = part(target, made.contract_type, address, None)
    types = [i["type"] for i in target.artifacts[made.contract_type].constructor_inputs()]
    recorded["constructorArgs"] = "0x" + encode(types, args).hex()
    return recorded


def record(target: Target, section: str, key: str, entry: records.CreatedEntry) -> None:
    """Add it to the network's deployments file (under the file's lock, keeping everything else)."""
    records.record_created(target.store, target.network.name, section, key, entry)


#: Proxy contracts of the project, deployed by name (contracts/proxy/Proxies.sol).
PROXY_TYPES = {
    ProxyKind.UUPS: "UUPSProxy",
    ProxyKind.TRANSPARENT: "TransparentProxy",
    ProxyKind.BEACON: "BeaconInstanceProxy",
}


def proxy_type(entry: Contract) -> str:
    """The proxy contract an entry is deployed behind: its own (a UUPS proxy with the same constructor), or its kind's."""
    return entry.proxy_contract or PROXY_TYPES[entry.proxy]
