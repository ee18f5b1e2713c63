"""What the chain shows of a recorded deployment, read in a few batched round trips: each entry's
code hash and proxy slots, its beacon's implementation, whether each post-deploy call's effect
holds, and which recorded contracts a restarted local chain lost. The planner decides from it.
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from rwa.chain.artifacts import Artifact
from rwa.chain.client import Chain, Read, ReadResult
from rwa.core.evm import ADMIN_SLOT, BEACON_SLOT, IMPLEMENTATION_SLOT
from rwa.deploy.created import BEACON_TYPE
from rwa.deploy.manifest import Call, Contract, ProxyKind
from rwa.deploy.planner import Observation, Pending, Resolver
from rwa.deploy.records import ContractRecord, DeploymentRecord, contracts_of
from rwa.deploy.target import Target


def observe(target: Target, record: DeploymentRecord | None, resolver: Resolver) -> dict[str, Observation]:
    """Read, for each recorded entry, its code hash, proxy slots and post-deploy checks.

    Whatever the entries, this is a few round trips: one JSON-RPC batch of code and proxy slots,
    the code of beacons not recorded (rare), and one batch of views (beacon implementations and
    every check) through :meth:`Chain.call_many`.
    """
    chain = target.chain
    recorded = contracts_of(record)
    network = target.network.name
    entries = [entry for entry in target.entries if entry.name in recorded and entry.external_on(network) is None]
    addresses = {entry.name: recorded[entry.name]["address"] for entry in entries}
    hashes = dict(zip(addresses, chain.code_hashes(list(addresses.values()))))
    proxied = [e for e in entries if hashes[e.name] and not e.beacon_only and e.proxy is not ProxyKind.NONE]
    slots = chain.storage_addresses(
        [(addresses[e.name], slot) for e in proxied for slot in (IMPLEMENTATION_SLOT, ADMIN_SLOT, BEACON_SLOT)]
    )
    facts: dict[str, dict[str, Any]] = {name: {"code_hash": code_hash} for name, code_hash in hashes.items()}
    for index, entry in enumerate(proxied):
        implementation, admin, beacon = slots[3 * index : 3 * index + 3]
        facts[entry.name].update(implementation=implementation, admin=admin, beacon=beacon)
    for entry in entries:
        if hashes[entry.name] and entry.beacon_only:
            facts[entry.name]["beacon"] = to_checksum_address(addresses[entry.name])
        if hashes[entry.name] and _recompiled(target, entry, recorded[entry.name]):
            facts[entry.name]["recompiled"] = True
    # A factory's beacon proxy (the demo vault) runs its beacon's implementation: recompiled with it.
    anew = {recorded[e.name].get("bytecodeHash") for e in entries if e.beacon_only and facts[e.name].get("recompiled")}
    for entry in entries:
        if entry.created_by is not None and hashes[entry.name] and recorded[entry.name].get("bytecodeHash") in anew:
            facts[entry.name]["recompiled"] = True
    beacons: dict[str, str] = {name: fact["beacon"] for name, fact in facts.items() if fact.get("beacon")}
    live = _with_code(chain, beacons, {to_checksum_address(a): bool(hashes[n]) for n, a in addresses.items()})
    beacon_abi = target.artifacts[BEACON_TYPE].abi
    beacon_reads = {name: Read(beacon, beacon_abi, "implementation") for name, beacon in beacons.items() if beacon in live}
    checks = {
        entry.name: [_check_read(target, entry, call, resolver) if hashes[entry.name] else None for call in entry.calls]
        for entry in entries
    }
    reads = [*beacon_reads.values(), *(c[0] for cs in checks.values() for c in cs if c is not None)]
    results = iter(chain.call_many(reads))
    for name in beacon_reads:
        facts[name]["beacon_implementation"] = next(results).unwrap()
    return {
        name: Observation(checks=tuple(None if c is None else _holds(next(results), c[1]) for c in checks[name]), **facts[name])
        for name in facts
    }


def _recompiled(target: Target, entry: Contract, recorded: ContractRecord) -> bool:
    """Whether a recorded contract whose bytecode hash is not the compiled one's was created from the
    compiled code all the same, solc's metadata aside (it hashes the sources, comments and names
    included): then nothing that runs changed. Only such a contract's creating transaction is read."""
    artifact = target.artifacts.get(entry.contract_type)
    if artifact is None or entry.created_by is not None or recorded.get("pendingUpgrade"):
        return False
    return recorded.get("bytecodeHash") != artifact.bytecode_hash and target.creations.as_compiled(recorded, artifact)


def _with_code(chain: Chain, beacons: dict[str, str], known: dict[str, bool]) -> set[str]:
    """The beacon addresses that have code: recorded ones are known already, the others are asked."""
    unknown = sorted({b for b in beacons.values() if b not in known})
    known = {**known, **dict(zip(unknown, (bool(code) for code in chain.codes(unknown))))} if unknown else known
    return {b for b in beacons.values() if known[b]}


def call_site(target: Target, entry: Contract, call: Call, resolver: Resolver) -> tuple[str, Artifact]:
    name = call.target or entry.name
    address = resolver.facets.get(name, {}).get("address")
    if address is None:
        raise Pending(name)
    owner = entry if name == entry.name else target.manifest.entry(name)
    return address, target.artifacts[owner.contract_type]


def _check_read(target: Target, entry: Contract, call: Call, resolver: Resolver) -> tuple[Read, Any] | None:
    """The view that tells whether a call's effect holds, and the value it must return; None
    while it names an entry not deployed yet."""
    try:
        address, artifact = call_site(target, entry, call, resolver)
        args = resolver.values(call.check.args)
        expect = resolver.value(call.check.expect)
    except Pending:
        return None
    return Read(address, artifact.abi, call.check.function, tuple(args)), expect


def _holds(result: ReadResult, expect: Any) -> bool:
    value = result.unwrap()
    if isinstance(expect, str) and isinstance(value, str):
        return value.lower() == expect.lower()
    return bool(value == expect)


def check_holds(target: Target, entry: Contract, call: Call, resolver: Resolver) -> bool | None:
    check = _check_read(target, entry, call, resolver)
    return None if check is None else _holds(target.chain.call_many([check[0]])[0], check[1])


def lost_by_local_chain(target: Target, record: DeploymentRecord | None) -> dict[str, str]:
    """The recorded contracts a local chain lost in a crash, with why: it restarted from its last
    saved state (same genesis), so blocks mined after that save are gone, and with them every
    contract recorded in them. Such a contract has no code and a block the chain has not reached;
    only a local chain is trusted to rewind like this, and there the deploy recreates exactly
    those (at their old addresses, since the deployer's nonce rewound too)."""
    if not target.network.local or record is None:
        return {}
    head = target.chain.block_number
    after_head = {name: entry for name, entry in record["contracts"].items() if int(entry.get("blockNumber") or 0) > head}
    if not after_head:
        return {}
    codes = target.chain.codes([entry["address"] for entry in after_head.values()])
    return {
        name: f"the local chain lost it (recorded in block {entry['blockNumber']}; the chain restarted at block {head})"
        for (name, entry), code in zip(after_head.items(), codes)
        if not code
    }
