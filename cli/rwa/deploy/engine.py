"""The deployment engine: make a network match the manifest, resumably.

``plan_deployment`` checks what must hold before anything is sent (:mod:`rwa.deploy.preflight`),
observes the chain (:mod:`rwa.deploy.observe`) and asks the planner what to do; ``apply_deployment``
does it in dependency order, each transaction sent by :class:`rwa.deploy.sender.Sender`. Every
transaction goes through the write-ahead journal, and the deployments file is rewritten
(atomically) as soon as each contract exists, so a deploy killed at any moment resumes where it
stopped: nothing is created twice and nothing is lost.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import replace as replaced
from functools import partial
from typing import Any, cast

from eth_utils import keccak, to_checksum_address

from rwa.chain.layouts import layout_for
from rwa.core.abi import event_topic, named_args
from rwa.core.errors import DriftError, RwaError, parsed
from rwa.core.evm import (
    ADMIN_SLOT,
    CREATE2_DEPLOYER,
    MULTICALL3,
    MULTICALL3_TYPE,
    create2_address,
)
from rwa.core.project import ProjectPaths
from rwa.deploy import created, lock, records, renames
from rwa.deploy.created import BEACON_TYPE
from rwa.deploy.estimate import estimate
from rwa.deploy.fees import policy_for
from rwa.deploy.journal import Journal, Mined
from rwa.deploy.manifest import Contract, External, ProxyKind
from rwa.deploy.manifest import manifest_hash as hash_manifest
from rwa.deploy.observe import call_site, check_holds, lost_by_local_chain, observe
from rwa.deploy.planner import (
    Plan,
    Resolver,
    Step,
    StepAction,
    decoded_args,
    facets_of,
    plan,
    with_compiled,
    with_upgrade,
)
from rwa.deploy.powers import check_agent_params
from rwa.deploy.preflight import DeployOptions, check_externals, check_no_deployer_power, check_unrecorded, validate_target
from rwa.deploy.records import ContractRecord, DeploymentRecord, ProxyRecord
from rwa.deploy.sender import Reporter, Sender, Spent
from rwa.deploy.target import Target, load_record, load_renamed, make_resolver


def _silent(action: str, name: str, detail: str) -> None:
    return None


def ready_local_chain(target: Target) -> None:
    """Put Multicall3 at its canonical address on a local chain, as public chains have it, so later
    reads batch through it. Idempotent: nothing happens when the code is there already."""
    if target.network.local:
        target.chain.place_code(MULTICALL3, target.artifacts[MULTICALL3_TYPE].runtime)


def external_record(target: Target, entry: Contract, external: External, code_hash: str) -> ContractRecord:
    """The record of a contract the deploy refers to rather than creates (``"external": true``)."""
    return {
        "name": entry.name,
        "contractType": entry.contract_type,
        "address": to_checksum_address(external.address),
        "abi": target.artifacts[entry.contract_type].abi,
        "external": True,
        "transactionHash": None,
        "blockNumber": None,
        "deployer": None,
        "args": {"constructor": {}},
        "bytecodeHash": None,
        "codeHash": code_hash,
        "compiler": None,
        "salt": None,
        "proxy": None,
        "storageLayout": None,
    }


def plan_deployment(target: Target) -> tuple[Plan, DeploymentRecord | None]:
    """Validate the manifest, check the chain's identity and its external contracts, observe and
    plan. Sends nothing."""
    validate_target(target)
    check_no_deployer_power(target)
    externals = check_externals(target)
    record, renamed = load_renamed(target)
    lost = lost_by_local_chain(target, record)
    if record is not None and lost:
        record = {**record, "contracts": {n: c for n, c in record["contracts"].items() if n not in lost}}
    resolver = make_resolver(target, record)
    observations = observe(target, record, resolver)
    planned = plan(
        target.entries,
        record,
        target.artifacts,
        observations,
        resolver,
        lost,
        None if target.network.local else target.network.name,
    )
    steps = list(planned.steps)
    for rename in renamed:  # before the entry's own steps
        at = next((i for i, step in enumerate(steps) if step.name == rename.name), len(steps))
        steps.insert(at, Step(StepAction.RENAME, rename.name, rename.detail))
    return replaced(planned, steps=tuple(steps), externals=tuple(externals)), record


def git_commit(paths: ProjectPaths) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.root, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


class Executor(Sender):
    """Deploys the manifest's entries through the journal: each contract (plain, at a CREATE2 address,
    through a factory, behind its proxy), its record, and its post-deploy calls."""

    def __init__(self, *args: Any, lost: Mapping[str, ContractRecord] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        #: The records of the entries a crashed local chain lost (:func:`lost_by_local_chain`), by
        #: name: what of them it kept is adopted (:meth:`kept_implementation`).
        self.lost = dict(lost or {})

    def create(self, entry: Contract, part: str, contract_type: str, args: list[Any]) -> tuple[str, Mined | None]:
        """Deploy (or find already deployed) one contract of an entry."""
        artifact = self.target.artifacts[contract_type]
        initcode = self.chain.encode_deploy(artifact.abi, artifact.bytecode, args)
        key = f"{entry.name}/{part}/{keccak(initcode).hex()[:16]}"
        done = self.journal.mined(key)
        if done and done.address and self.chain.code(done.address):
            return done.address, done
        if (former := renames.journaled(self.journal, entry, part, initcode, self.chain)) is not None:
            assert former.address is not None, "journaled: a creation with code at its address"
            self.report(
                "adopted", entry.name, f"{part} {contract_type} at {former.address}, journaled as {former.key.split('/')[0]}"
            )
            return former.address, former
        if part == "implementation" and (kept := self.kept_implementation(entry, contract_type, args)) is not None:
            return kept, None
        if entry.salt:
            salt = keccak(text=f"{entry.salt}/{part}")
            address = create2_address(CREATE2_DEPLOYER, salt, initcode)
            if self.chain.code(address):
                return address, None  # the same initcode is already there: adopt it
            if not self.chain.code(CREATE2_DEPLOYER):
                raise RwaError(f"{entry.name}: no CREATE2 deployer at {CREATE2_DEPLOYER} on this chain")
            mined = self.send(key, CREATE2_DEPLOYER, salt + initcode, address)
        else:  # a creation a lost record or journal told of, under a former name: metadata aside
            same = partial(renames.same_creation, initcode=initcode) if entry.formerly else None
            mined = self.send(key, None, initcode, same=same)
        self.report("created", entry.name, f"{part} {contract_type} at {mined.address}")
        assert mined.address is not None
        return mined.address, mined

    def kept_implementation(self, entry: Contract, contract_type: str, args: list[Any]) -> str | None:
        """The implementation of a lost entry that the local chain kept, at its recorded address,
        when it was made from the code and arguments this step would send: adopted, never created
        twice. Only when no block shows its transaction (else the deployer's transactions are
        searched, and it is adopted by that one): anvil saves its blocks before its accounts, each
        under a lock of its own, so a block mined while it saves leaves its state in the save but
        not itself. Its record then names no transaction, as the chain shows none."""
        recorded = self.lost.get(entry.name)
        proxy = recorded.get("proxy") if recorded else None
        if recorded is None or proxy is None:
            return None
        made_by = proxy["implementationTransactionHash"]
        if made_by is not None and self.chain.transaction(made_by) is not None:
            return None
        artifact = self.target.artifacts[contract_type]
        same_code = recorded["bytecodeHash"] == artifact.bytecode_hash
        same_args = recorded["args"]["constructor"] == named_args(artifact.constructor_inputs(), args)
        address = proxy["implementation"]
        if not (same_code and same_args and self.chain.code(address)):
            return None
        self.report("adopted", entry.name, f"implementation {contract_type} at {address}, kept by the local chain")
        return address

    def create_through_factory(self, entry: Contract, resolver: Resolver) -> tuple[str, Mined]:
        made = entry.created_by
        assert made is not None
        factory = resolver.value(made.factory)
        factory_type = self._contract_type_at(factory, resolver)
        abi = self.target.artifacts[factory_type].abi
        data = self.chain.encode_call(abi, made.function, resolver.values(made.args))
        key = f"{entry.name}/factory/{keccak(data).hex()[:16]}"
        done = self.journal.mined(key)
        if done and done.address and self.chain.code(done.address):
            return done.address, done
        mined = self.send(key, factory, data, address_topic=parsed(event_topic, abi, made.event))
        if mined.address is None:
            raise RwaError(f"{entry.name}: {factory_type}.{made.function} emitted no {made.event}")
        self.report("created", entry.name, f"{entry.contract_type} at {mined.address} by {factory_type}")
        return mined.address, mined

    def _contract_type_at(self, address: str, resolver: Resolver) -> str:
        return self._entry_at(address, resolver).contract_type

    def _entry_at(self, address: str, resolver: Resolver) -> Contract:
        for name, facets in resolver.facets.items():
            if (facets.get("address") or "").lower() == address.lower():
                return self.target.manifest.entry(name)
        raise RwaError(f"factory at {address} is not an entry of the manifest on {self.target.network.name}")

    def _factory_proxy(self, entry: Contract, factory_type: str, resolver: Resolver) -> ProxyRecord | None:
        """A factory-made entry behind a beacon: the manifest's one beacon of its contract type
        (PropertyTokenBeacon for a PropertyToken), when the factory makes beacon proxies."""
        proxy_type = created.FACTORY_PROXY_TYPES.get(factory_type)
        beacons = [e.name for e in self.target.entries if e.beacon_only and e.contract_type == entry.contract_type]
        beacon = resolver.facets.get(beacons[0], {}).get("address") if len(beacons) == 1 else None
        if proxy_type is None or beacon is None:
            return None
        return created.beacon_proxy(self.target, proxy_type, beacon, entry.contract_type)

    def deploy_entry(self, entry: Contract, resolver: Resolver) -> ContractRecord:
        artifacts = self.target.artifacts
        artifact = artifacts[entry.contract_type]
        if entry.created_by is not None:
            made_at, made_by = self.create_through_factory(entry, resolver)
            factory = self._entry_at(resolver.value(entry.created_by.factory), resolver)
            proxy = self._factory_proxy(entry, factory.contract_type, resolver)
            recorded = self._record(entry, made_at, made_by, artifact.abi, entry.contract_type, resolver, proxy)
            recorded["createdBy"] = created.created_by(
                factory.name,
                resolver.value(entry.created_by.factory),
                entry.created_by.function,
                made_by.hash,
                made_by.block,
                self.sender,
            )
            return recorded
        args = resolver.values(entry.args)
        main_part = "contract" if entry.proxy is ProxyKind.NONE else "implementation"
        implementation, impl_mined = self.create(entry, main_part, entry.contract_type, args)
        proxy_record = None
        address: str = implementation
        mined: Mined | None = impl_mined
        abi, contract_type = artifact.abi, entry.contract_type
        if entry.beacon_only:
            beacon, mined = self.create(entry, "beacon", BEACON_TYPE, [implementation, resolver.value(entry.admin)])
            address, abi, contract_type = beacon, artifacts[BEACON_TYPE].abi, BEACON_TYPE
            proxy_record = self._proxy_record(entry, BEACON_TYPE, implementation, impl_mined, None, beacon)
        elif entry.proxy is not ProxyKind.NONE:
            assert entry.initializer is not None
            init = self.chain.encode_call(artifact.abi, entry.initializer, resolver.values(entry.init_args))
            proxy_type = created.proxy_type(entry)
            admin = beacon = None
            if entry.proxy is ProxyKind.UUPS:
                address, mined = self.create(entry, "proxy", proxy_type, [implementation, init])
            elif entry.proxy is ProxyKind.TRANSPARENT:
                owner = resolver.value(entry.admin)
                address, mined = self.create(entry, "proxy", proxy_type, [implementation, owner, init])
                admin = self.chain.storage_address(address, ADMIN_SLOT)
            else:
                owner = resolver.value(entry.admin)
                beacon, _ = self.create(entry, "beacon", BEACON_TYPE, [implementation, owner])
                address, mined = self.create(entry, "proxy", proxy_type, [beacon, init])
            proxy_record = self._proxy_record(entry, proxy_type, implementation, impl_mined, admin, beacon)
        return self._record(entry, address, mined, abi, contract_type, resolver, proxy_record)

    def layout(self, contract_type: str) -> dict[str, Any] | None:
        """The storage layout of an implementation, kept so a later upgrade can be checked."""
        layout = layout_for(self.target.paths, self.target.artifacts[contract_type])
        return layout.as_json() if layout else None

    def _record(
        self,
        entry: Contract,
        address: str,
        mined: Mined | None,
        abi: list[dict[str, Any]],
        contract_type: str,
        resolver: Resolver,
        proxy_record: ProxyRecord | None,
    ) -> ContractRecord:
        artifact = self.target.artifacts[entry.contract_type]
        return {
            "name": entry.name,
            "contractType": contract_type,
            "address": address,
            "abi": abi,
            "transactionHash": mined.hash if mined else None,
            "blockNumber": mined.block if mined else None,
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
        impl_mined: Mined | None,
        admin: str | None,
        beacon: str | None,
    ) -> ProxyRecord:
        return {
            "kind": entry.proxy.value,
            "proxyContractType": proxy_type,
            "implementation": implementation,
            "implementationContractType": entry.contract_type,
            "implementationTransactionHash": impl_mined.hash if impl_mined else None,
            "admin": admin,
            "beacon": beacon,
        }

    def run_calls(self, entry: Contract, resolver: Resolver) -> None:
        for index, call in enumerate(entry.calls):
            if check_holds(self.target, entry, call, resolver):
                continue
            address, artifact = call_site(self.target, entry, call, resolver)
            data = self.chain.encode_call(artifact.abi, call.function, resolver.values(call.args))
            if call.by is not None:
                if not self.target.network.local:
                    continue  # the plan says how to propose it through the admin Safe
                self.chain.send_as_local(resolver.value(call.by), address, data)
            else:
                self.send(f"{entry.name}/call{index}/{keccak(data).hex()[:16]}", address, data)
            if not check_holds(self.target, entry, call, resolver):
                raise RwaError(f"{entry.name}: {call.function} was mined but {call.check.function} still does not hold")
            self.report("called", entry.name, call.function)


def recovery_start(target: Target, journal: Journal, record: DeploymentRecord | None, adopt: bool) -> int | None:
    """The block from which the deployer's mined transactions are matched against the steps, or
    None to match nothing: from the journal's beginning on a resume (a truncated journal loses
    lines, not transactions); from the record's last creation when the journal is missing or cut
    before its beginning, or with --adopt (from genesis when there is no record: the deployer's
    transactions are found by bisecting its nonce, not by reading every block)."""
    begin = journal.begin()
    if begin is not None:
        return begin.block
    blocks = [int(block) for c in records.contracts_of(record).values() if (block := c.get("blockNumber"))]
    if blocks and (adopt or journal.path.is_file()):
        return max(blocks)
    return 0 if adopt else None


def apply_deployment(
    target: Target, report: Reporter = _silent, options: DeployOptions | None = None, ledger: list[Spent] | None = None
) -> tuple[Plan, DeploymentRecord]:
    """Make the network match the manifest; safe to rerun, and to rerun after a crash. One
    operator at a time: the network's lock is held throughout. ``ledger`` collects what each
    transaction sent cost."""
    options = options or DeployOptions()
    holder = target.account.address if target.account is not None else "none"
    network = target.network.name

    def waiting(who: str) -> None:
        report("waiting", network, f"for {who}")

    with lock.hold(target.store.directory, network, holder, "rwa deploy", options.wait, waiting):
        return _apply(target, report, options, ledger)


def _apply(target: Target, report: Reporter, options: DeployOptions, ledger: list[Spent] | None) -> tuple[Plan, DeploymentRecord]:
    ready_local_chain(target)
    check_agent_params(target)
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
    open_flights = journal.open_flights()  # a damaged journal is refused here, before anything is sent
    if not deploy_plan.writes and not open_flights:
        assert record is not None or not target.entries
        if record is not None and created.record_modules(target, record):  # a record written before modules were
            stamped = records.stamp(record, hash_manifest(target.manifest, network.name), git_commit(target.paths))
            store.save(network.name, stamped)
        return deploy_plan, record or cast(DeploymentRecord, {})
    policy = policy_for(network, options.max_fee, options.stuck_after)
    confirmations = network.wanted_confirmations if options.confirmations is None else options.confirmations
    lost = {n: c for n, c in records.contracts_of(load_record(target)).items() if n in deploy_plan.lost}
    executor = Executor(target, journal, report, policy, options.timeout, confirmations, lost=lost)
    if ledger is not None:
        executor.spent = ledger
    if record is None and not journal.intents():
        check_unrecorded(target, executor.sender, options)
    if not network.local:
        cost, balance = estimate(target, deploy_plan, record).most, target.chain.balance(target.account.address)
        if balance < cost:
            raise RwaError(
                f"{target.account.address} holds {balance / 1e18:.6f} ETH but this deploy may cost up to "
                f"{cost / 1e18:.6f} ETH; nothing was sent"
            )
    # A rewound local chain may keep part of a lost entry (a proxy's implementation): adopt it, by
    # its transaction when a block shows it, else by its record (Executor.kept_implementation).
    start = recovery_start(target, journal, record, options.adopt or bool(deploy_plan.lost))
    if record is None:
        record = records.new_record(network.name, target.chain.chain_id, target.chain.genesis_hash)
    stamp_args = (hash_manifest(target.manifest, network.name), git_commit(target.paths))

    def save() -> None:
        nonlocal record
        assert record is not None
        record = records.stamp(record, *stamp_args)
        store.save(network.name, record)

    for step in deploy_plan.steps:
        if step.action == StepAction.UPGRADE:
            record["contracts"][step.name] = with_upgrade(record["contracts"][step.name])
            report("recorded", step.name, step.detail)
        elif step.action == StepAction.RENAME:
            report("recorded", step.name, step.detail)
        elif step.action == StepAction.RECOMPILED:
            contract_type = target.manifest.entry(step.name).contract_type
            recorded = record["contracts"][step.name]
            record["contracts"][step.name] = with_compiled(
                recorded, target.artifacts[contract_type], executor.layout(contract_type)
            )
            report("recorded", step.name, "the same code, compiled anew: its new bytecode hash")
    executor.reconcile()
    executor.settle()
    executor.check_idle()
    if start is not None:
        executor.recover(start, {c["address"] for c in record["contracts"].values()})
    executor.begin()
    for entry, external, code_hash in deploy_plan.externals:  # checked when planning, under the lock
        record["contracts"][entry.name] = external_record(target, entry, external, code_hash)
    resolver = make_resolver(target, record)
    for entry in target.entries:
        if entry.name not in record["contracts"]:
            record["contracts"][entry.name] = executor.deploy_entry(entry, resolver)
            resolver.facets[entry.name] = facets_of(record["contracts"][entry.name])
            save()
        executor.run_calls(entry, resolver)
    created.record_modules(target, record)
    save()
    journal.clear()
    return deploy_plan, record
