"""The deployment engine: make a network match the manifest, resumably.

``plan_deployment`` observes the chain and asks the planner what to do; ``apply_deployment`` does
it in dependency order. Every transaction goes through the write-ahead journal, and the
deployments file is rewritten (atomically) as soon as each contract exists, so a deploy killed at
any moment resumes where it stopped: nothing is created twice and nothing is lost.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eth_utils import keccak, to_checksum_address

from rwa.chain.artifacts import Artifact
from rwa.chain.client import (
    ADMIN_SLOT,
    BEACON_SLOT,
    CREATE2_DEPLOYER,
    IMPLEMENTATION_SLOT,
    MULTICALL3,
    MULTICALL3_TYPE,
    Chain,
    Read,
    ReadResult,
    Receipt,
    create2_address,
    create_address,
)
from rwa.chain.layouts import layout_for
from rwa.core.abi import event_topic
from rwa.core.errors import DriftError, ManifestError, RwaError, parsed
from rwa.core.project import ProjectPaths
from rwa.deploy import created, records
from rwa.deploy.context import Target, load_record, make_resolver
from rwa.deploy.created import BEACON_TYPE
from rwa.deploy.journal import Intent, Journal, Outcome
from rwa.deploy.manifest import Call, Contract, ProxyKind, validate
from rwa.deploy.manifest import manifest_hash as hash_manifest
from rwa.deploy.planner import (
    CALL,
    CREATE,
    UPGRADE,
    Observation,
    Pending,
    Plan,
    Resolver,
    decoded_args,
    facets_of,
    plan,
    with_upgrade,
)

if TYPE_CHECKING:
    pass

#: Proxy contracts of the project, deployed by name (contracts/proxy/Proxies.sol).
PROXY_TYPES = {
    ProxyKind.UUPS: "UUPSProxy",
    ProxyKind.TRANSPARENT: "TransparentProxy",
    ProxyKind.BEACON: "BeaconInstanceProxy",
}

Reporter = Callable[[str, str, str], None]  # (action, name, detail)


def _silent(action: str, name: str, detail: str) -> None:
    return None


def validate_target(target: Target) -> None:
    problems = validate(target.manifest, target.network.name, target.artifacts)
    if problems:
        raise ManifestError(problems)


def observe(target: Target, record: dict[str, Any] | None, resolver: Resolver) -> dict[str, Observation]:
    """Read, for each recorded entry, its code hash, proxy slots and post-deploy checks.

    Whatever the entries, this is a few round trips: one JSON-RPC batch of code and proxy slots,
    the code of beacons not recorded (rare), and one batch of views (beacon implementations and
    every check) through :meth:`Chain.call_many`.
    """
    chain = target.chain
    recorded = (record or {}).get("contracts", {})
    entries = [entry for entry in target.entries if entry.name in recorded]
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


def _with_code(chain: Chain, beacons: dict[str, str], known: dict[str, bool]) -> set[str]:
    """The beacon addresses that have code: recorded ones are known already, the others are asked."""
    unknown = sorted({b for b in beacons.values() if b not in known})
    known = {**known, **dict(zip(unknown, (bool(code) for code in chain.codes(unknown))))} if unknown else known
    return {b for b in beacons.values() if known[b]}


def _call_site(target: Target, entry: Contract, call: Call, resolver: Resolver) -> tuple[str, Artifact]:
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
        address, artifact = _call_site(target, entry, call, resolver)
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


def ready_local_chain(target: Target) -> None:
    """Put Multicall3 at its canonical address on a local chain, as public chains have it, so later
    reads batch through it. Idempotent: nothing happens when the code is there already."""
    if target.network.local:
        target.chain.place_code(MULTICALL3, target.artifacts[MULTICALL3_TYPE].runtime)


def plan_deployment(target: Target) -> tuple[Plan, dict[str, Any] | None]:
    """Validate the manifest, check the chain's identity, observe and plan. Sends nothing."""
    validate_target(target)
    record = load_record(target)
    resolver = make_resolver(target, record)
    observations = observe(target, record, resolver)
    return plan(target.entries, record, target.artifacts, observations, resolver), record


def git_commit(paths: ProjectPaths) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.root, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


class Executor:
    """Sends the transactions of one deploy through the journal."""

    def __init__(self, target: Target, journal: Journal, report: Reporter):
        self.target = target
        self.chain = target.chain
        self.journal = journal
        self.report = report
        if target.account is None:
            raise RwaError("sending needs an account (--account)")
        self.account = target.account
        self.sender = to_checksum_address(target.account.address)

    def settle(self) -> None:
        """Finish whatever a previous, interrupted run left in flight."""
        for intent in self.journal.open_intents():
            receipt = self.chain.receipt(intent.hash)
            if receipt is None and self.chain.nonce(intent.sender) == intent.nonce:
                self.report("resume", intent.key, f"re-broadcasting {intent.hash[:12]}…")
                self.chain.broadcast(intent.raw)
                receipt = self.chain.wait(intent.hash)
            if receipt is None:
                self.journal.record_abandoned(intent.key, intent.hash, "nonce taken by another transaction")
                continue
            address = created_address(receipt, intent.address, intent.address_topic) if receipt.status == 1 else None
            self.journal.record_outcome(
                Outcome(intent.key, intent.hash, receipt.status, receipt.block, address, receipt.gas_used)
            )
            self.report("resume", intent.key, f"found mined in block {receipt.block}")

    def send(
        self, key: str, to: str | None, data: bytes, address: str | None = None, address_topic: str | None = None
    ) -> Outcome:
        nonce = self.chain.nonce(self.sender)
        signed = self.chain.sign(self.account, to, data, nonce)
        if to is None:
            address = create_address(self.sender, nonce)
        self.journal.record_intent(Intent(key, nonce, signed.hash, signed.raw, self.sender, address, address_topic))
        self.chain.broadcast(signed.raw)
        receipt = self.chain.wait(signed.hash)
        made = created_address(receipt, address, address_topic) if receipt.status == 1 else None
        outcome = Outcome(key, signed.hash, receipt.status, receipt.block, made, receipt.gas_used)
        self.journal.record_outcome(outcome)
        if receipt.status != 1:
            raise RwaError(f"{key.split('/')[0]}: transaction {signed.hash} reverted: {self.chain.revert_reason(signed)}")
        return outcome

    def create(self, entry: Contract, part: str, contract_type: str, args: list[Any]) -> tuple[str, Outcome | None]:
        """Deploy (or find already deployed) one contract of an entry."""
        artifact = self.target.artifacts[contract_type]
        initcode = self.chain.encode_deploy(artifact.abi, artifact.bytecode, args)
        key = f"{entry.name}/{part}/{keccak(initcode).hex()[:16]}"
        done = self.journal.outcome(key)
        if done and done.address and self.chain.code(done.address):
            return done.address, done
        if entry.salt:
            salt = keccak(text=f"{entry.salt}/{part}")
            address = create2_address(CREATE2_DEPLOYER, salt, initcode)
            if self.chain.code(address):
                return address, None  # the same initcode is already there: adopt it
            if not self.chain.code(CREATE2_DEPLOYER):
                raise RwaError(f"{entry.name}: no CREATE2 deployer at {CREATE2_DEPLOYER} on this chain")
            outcome = self.send(key, CREATE2_DEPLOYER, salt + initcode, address)
        else:
            outcome = self.send(key, None, initcode)
        self.report("created", entry.name, f"{part} {contract_type} at {outcome.address}")
        assert outcome.address is not None
        return outcome.address, outcome

    def create_through_factory(self, entry: Contract, resolver: Resolver) -> tuple[str, Outcome]:
        made = entry.created_by
        assert made is not None
        factory = resolver.value(made.factory)
        factory_type = self._contract_type_at(factory, resolver)
        abi = self.target.artifacts[factory_type].abi
        data = self.chain.encode_call(abi, made.function, resolver.values(made.args))
        key = f"{entry.name}/factory/{keccak(data).hex()[:16]}"
        done = self.journal.outcome(key)
        if done and done.address and self.chain.code(done.address):
            return done.address, done
        outcome = self.send(key, factory, data, address_topic=parsed(event_topic, abi, made.event))
        if outcome.address is None:
            raise RwaError(f"{entry.name}: {factory_type}.{made.function} emitted no {made.event}")
        self.report("created", entry.name, f"{entry.contract_type} at {outcome.address} by {factory_type}")
        return outcome.address, outcome

    def _contract_type_at(self, address: str, resolver: Resolver) -> str:
        return self._entry_at(address, resolver).contract_type

    def _entry_at(self, address: str, resolver: Resolver) -> Contract:
        for name, facets in resolver.facets.items():
            if (facets.get("address") or "").lower() == address.lower():
                return self.target.manifest.entry(name)
        raise RwaError(f"factory at {address} is not an entry of the manifest on {self.target.network.name}")

    def _factory_proxy(self, entry: Contract, factory_type: str, resolver: Resolver) -> dict[str, Any] | None:
        """A factory-made entry behind a beacon: the manifest's one beacon of its contract type
        (PropertyTokenBeacon for a PropertyToken), when the factory makes beacon proxies."""
        proxy_type = created.FACTORY_PROXY_TYPES.get(factory_type)
        beacons = [e.name for e in self.target.entries if e.beacon_only and e.contract_type == entry.contract_type]
        beacon = resolver.facets.get(beacons[0], {}).get("address") if len(beacons) == 1 else None
        if proxy_type is None or beacon is None:
            return None
        return created.beacon_proxy(self.target, proxy_type, beacon, entry.contract_type)

    def deploy_entry(self, entry: Contract, resolver: Resolver) -> dict[str, Any]:
        artifacts = self.target.artifacts
        artifact = artifacts[entry.contract_type]
        if entry.created_by is not None:
            made_at, made_by = self.create_through_factory(entry, resolver)
            factory = self._entry_at(resolver.value(entry.created_by.factory), resolver)
            proxy = self._factory_proxy(entry, factory.contract_type, resolver)
            recorded = self._record(entry, made_at, made_by, artifact.abi, entry.contract_type, resolver, proxy)
            recorded["createdBy"] = created.created_by(
                factory.name, resolver.value(entry.created_by.factory), entry.created_by.function,
                made_by.hash, made_by.block, self.sender,
            )  # fmt: skip
            return recorded
        args = resolver.values(entry.args)
        main_part = "contract" if entry.proxy is ProxyKind.NONE else "implementation"
        implementation, impl_outcome = self.create(entry, main_part, entry.contract_type, args)
        proxy_record = None
        address: str = implementation
        outcome: Outcome | None = impl_outcome
        abi, contract_type = artifact.abi, entry.contract_type
        if entry.beacon_only:
            beacon, outcome = self.create(entry, "beacon", BEACON_TYPE, [implementation, resolver.value(entry.admin)])
            address, abi, contract_type = beacon, artifacts[BEACON_TYPE].abi, BEACON_TYPE
            proxy_record = self._proxy_record(entry, BEACON_TYPE, implementation, impl_outcome, None, beacon)
        elif entry.proxy is not ProxyKind.NONE:
            assert entry.initializer is not None
            init = self.chain.encode_call(artifact.abi, entry.initializer, resolver.values(entry.init_args))
            proxy_type = PROXY_TYPES[entry.proxy]
            admin = beacon = None
            if entry.proxy is ProxyKind.UUPS:
                address, outcome = self.create(entry, "proxy", proxy_type, [implementation, init])
            elif entry.proxy is ProxyKind.TRANSPARENT:
                owner = resolver.value(entry.admin)
                address, outcome = self.create(entry, "proxy", proxy_type, [implementation, owner, init])
                admin = self.chain.storage_address(address, ADMIN_SLOT)
            else:
                owner = resolver.value(entry.admin)
                beacon, _ = self.create(entry, "beacon", BEACON_TYPE, [implementation, owner])
                address, outcome = self.create(entry, "proxy", proxy_type, [beacon, init])
            proxy_record = self._proxy_record(entry, proxy_type, implementation, impl_outcome, admin, beacon)
        return self._record(entry, address, outcome, abi, contract_type, resolver, proxy_record)

    def layout(self, contract_type: str) -> dict[str, Any] | None:
        """The storage layout of an implementation, kept so a later upgrade can be checked."""
        layout = layout_for(self.target.paths, self.target.artifacts[contract_type])
        return layout.as_json() if layout else None

    def _record(
        self,
        entry: Contract,
        address: str,
        outcome: Outcome | None,
        abi: list[dict[str, Any]],
        contract_type: str,
        resolver: Resolver,
        proxy_record: dict[str, Any] | None,
    ) -> dict[str, Any]:
        artifact = self.target.artifacts[entry.contract_type]
        return {
            "name": entry.name,
            "contractType": contract_type,
            "address": address,
            "abi": abi,
            "transactionHash": outcome.hash if outcome else None,
            "blockNumber": outcome.block if outcome else None,
            "deployer": self.sender,
            "args": decoded_args(entry, artifact, resolver),
            "bytecodeHash": artifact.bytecode_hash,
            "codeHash": self.chain.code_hash(address),
            "compiler": artifact.compiler,
            "salt": entry.salt,
            "proxy": proxy_record,
            "storageLayout": self.layout(entry.contract_type) if proxy_record else None,
        }

    @staticmethod
    def _proxy_record(
        entry: Contract,
        proxy_type: str,
        implementation: str,
        impl_outcome: Outcome | None,
        admin: str | None,
        beacon: str | None,
    ) -> dict[str, Any]:
        return {
            "kind": entry.proxy.value,
            "proxyContractType": proxy_type,
            "implementation": implementation,
            "implementationContractType": entry.contract_type,
            "implementationTransactionHash": impl_outcome.hash if impl_outcome else None,
            "admin": admin,
            "beacon": beacon,
        }

    def run_calls(self, entry: Contract, resolver: Resolver) -> None:
        for index, call in enumerate(entry.calls):
            if check_holds(self.target, entry, call, resolver):
                continue
            address, artifact = _call_site(self.target, entry, call, resolver)
            data = self.chain.encode_call(artifact.abi, call.function, resolver.values(call.args))
            self.send(f"{entry.name}/call{index}/{keccak(data).hex()[:16]}", address, data)
            if not check_holds(self.target, entry, call, resolver):
                raise RwaError(f"{entry.name}: {call.function} was mined but {call.check.function} still does not hold")
            self.report("called", entry.name, call.function)


def created_address(receipt: Receipt, address: str | None, address_topic: str | None) -> str | None:
    """A creation's address: known ahead (CREATE, CREATE2), or the event the factory emitted."""
    if address_topic is None:
        return address
    topic0, _, position = address_topic.partition("#")
    index = int(position or 1)
    for log in receipt.logs:
        topics = [("0x" + bytes(t).hex()) if not isinstance(t, str) else t for t in log["topics"]]
        if len(topics) > index and topics[0].lower() == topic0.lower():
            return to_checksum_address("0x" + topics[index][-40:])
    return None


def estimate_cost(target: Target, deploy_plan: Plan) -> int:
    """A cautious upper estimate of the wei a plan will spend (creations by size, calls flat)."""
    gas = 0
    for step in deploy_plan.steps:
        if step.action == CREATE:
            entry = target.manifest.entry(step.name)
            if entry.created_by is not None:
                gas += 400_000
                continue
            parts = [entry.contract_type] + ([] if entry.proxy is ProxyKind.NONE else [PROXY_TYPES[entry.proxy]])
            if entry.proxy is ProxyKind.BEACON:
                parts.append(BEACON_TYPE)
            for part in parts:
                gas += 53_000 + 220 * len(target.artifacts[part].bytecode) + 150_000
        elif step.action == CALL:
            gas += 150_000
    return gas * target.chain.gas_price() * 5 // 4


def apply_deployment(target: Target, report: Reporter = _silent) -> tuple[Plan, dict[str, Any]]:
    """Make the network match the manifest; safe to rerun, and to rerun after a crash."""
    ready_local_chain(target)
    deploy_plan, record = plan_deployment(target)
    if deploy_plan.blocking:
        first = deploy_plan.blocking[0]
        hint = "; on a local chain, `rwa node reset` starts over" if target.network.local else ""
        raise DriftError(
            f"refusing to deploy: {len(deploy_plan.blocking)} drift(s), first: {first.name}: {first.detail} "
            f"(see `rwa deploy --plan`{hint})"
        )
    if target.account is None:
        raise RwaError("deploying needs an account (--account)")
    store = target.store
    network = target.network
    journal = Journal(store.journal_path(network.name))
    if not deploy_plan.writes and not journal.open_intents():
        assert record is not None or not target.entries
        return deploy_plan, record or {}
    if not network.local:
        cost, balance = estimate_cost(target, deploy_plan), target.chain.balance(target.account.address)
        if balance < cost:
            raise RwaError(
                f"{target.account.address} holds {balance / 1e18:.6f} ETH but this deploy may cost up to "
                f"{cost / 1e18:.6f} ETH; nothing was sent"
            )
    if record is None:
        record = records.new_record(network.name, target.chain.chain_id, target.chain.genesis_hash)
    stamp_args = (hash_manifest(target.manifest, network.name), git_commit(target.paths))

    def save() -> None:
        nonlocal record
        assert record is not None
        record = records.stamp(record, *stamp_args)
        store.save(network.name, record)

    for step in deploy_plan.steps:
        if step.action == UPGRADE:
            record["contracts"][step.name] = with_upgrade(record["contracts"][step.name])
            report("recorded", step.name, step.detail)
    executor = Executor(target, journal, report)
    executor.settle()
    resolver = make_resolver(target, record)
    for entry in target.entries:
        if entry.name not in record["contracts"]:
            record["contracts"][entry.name] = executor.deploy_entry(entry, resolver)
            resolver.facets[entry.name] = facets_of(record["contracts"][entry.name])
            save()
        executor.run_calls(entry, resolver)
    save()
    journal.clear()
    return deploy_plan, record
