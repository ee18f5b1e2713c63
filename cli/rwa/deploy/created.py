"""What commands make through the suite's factories, as the deployments record keeps it.

A factory call creates contracts the manifest does not list one by one: a property's token,
compliance and distributor (`rwa property create`), an athlete's vault (`rwa vault create`), or a
manifest entry with ``created_by``. Each is recorded with the factory and transaction that made it
and, behind a beacon, its proxy facts, so integrators and `rwa upgrade` see every contract.
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from rwa.deploy import records
from rwa.deploy.manifest import ProxyKind
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


def record(target: Target, section: str, key: str, entry: dict[str, Any]) -> None:
    """Add it to the network's deployments file (under the file's lock, keeping everything else)."""
    records.record_created(target.store, target.network.name, section, key, entry)


#: Proxy contracts of the project, deployed by name (contracts/proxy/Proxies.sol).
PROXY_TYPES = {
    ProxyKind.UUPS: "UUPSProxy",
    ProxyKind.TRANSPARENT: "TransparentProxy",
    ProxyKind.BEACON: "BeaconInstanceProxy",
}
