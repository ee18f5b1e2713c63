"""Upgrading a proxied entry: check its new layout against the one recorded at deploy, deploy the
new implementation through the engine's journal, then upgrade at once when the signer may, or
propose the upgrade to the Safe and timelock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rwa.admin import governance
from rwa.admin.actions import Action, Deployed, send
from rwa.admin.decode import PROXY_ADMIN_ABI
from rwa.chain.layouts import Layout, compare, layout_for
from rwa.core.errors import RwaError
from rwa.deploy import records
from rwa.deploy.engine import Executor, apply_deployment, git_commit
from rwa.deploy.journal import Journal
from rwa.deploy.manifest import Ref, manifest_hash
from rwa.deploy.records import ContractRecord, PendingUpgrade, contracts_of
from rwa.deploy.sender import Reporter
from rwa.deploy.target import Target, load_record, make_resolver


@dataclass(frozen=True)
class UpgradePlan:
    name: str
    kind: str
    current: str
    up_to_date: bool
    problems: list[str]
    layout: dict[str, Any]


class UpgradeRefused(RwaError):
    """An unsafe upgrade: the report names each variable and rule."""

    def __init__(self, name: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"upgrade of {name} refused: {len(problems)} problem(s), first: {problems[0]}")


def check(target: Target, name: str) -> UpgradePlan:
    """Compare the compiled implementation of ``name`` with the layout recorded at its deploy."""
    entry = contracts_of(load_record(target)).get(name)
    if entry is None:
        raise RwaError(f"{name} is not deployed on {target.network.name}")
    proxy = entry.get("proxy")
    if not proxy:
        raise RwaError(f"{name} is not behind a proxy: it cannot be upgraded (deploy a new one under a new name)")
    recorded_layout = entry["storageLayout"]
    if recorded_layout is None:
        raise RwaError(f"{name} has no storage layout recorded at deploy; its upgrade cannot be checked")
    contract_type = target.manifest.entry(name).contract_type  # what the manifest wants now
    artifact = target.artifacts[contract_type]
    pending = entry.get("pendingUpgrade")
    new = layout_for(target.paths, artifact)
    if new is None:
        raise RwaError(f"{contract_type} is not Solidity: its storage layout cannot be checked")
    up_to_date = artifact.bytecode_hash in (entry["bytecodeHash"], pending["bytecodeHash"] if pending else None) or (
        pending is None and target.creations.as_compiled(entry, artifact)  # the same code but solc's metadata
    )
    return UpgradePlan(
        name=name,
        kind=proxy["kind"],
        current=proxy["implementation"],
        up_to_date=up_to_date,
        problems=([] if up_to_date else _stale_refs(target, name)) + compare(Layout.from_json(recorded_layout), new),
        layout=new.as_json(),
    )


def _stale_refs(target: Target, name: str) -> list[str]:
    """The unproxied entries the new implementation's arguments name whose deployed code is not the
    compiled one: upgraded, the proxy would run new code against the old contract (the vaults' beacon
    against the old payments hub, whose calls the new vault makes do not exist). The old contract cannot
    be upgraded in place; only a new suite holds both."""
    recorded = contracts_of(load_record(target))
    entry = target.manifest.entry(name)
    stale = []
    for arg in entry.args:
        named = recorded.get(arg.name) if isinstance(arg, Ref) else None
        if named is None or named.get("proxy"):
            continue
        artifact = target.artifacts[target.manifest.entry(arg.name).contract_type]
        if named.get("bytecodeHash") != artifact.bytecode_hash and not target.creations.as_compiled(named, artifact):
            stale.append(
                f"its new {entry.contract_type} names {arg.name}, deployed from older code and not upgradable: "
                f"deploy the suite anew ({_start_over(target)})"
            )
    return stale


def _start_over(target: Target) -> str:
    if target.network.local:
        return "`rwa node reset`, then `rwa deploy`"
    return f"move {target.store.path(target.network.name)} aside, then `rwa deploy --fresh`"


def upgrade_call(target: Target, name: str, entry: ContractRecord, kind: str, implementation: str) -> Action:
    """The call that points a proxy (or every proxy of a beacon) at ``implementation``."""
    proxy = entry["proxy"]
    assert proxy is not None, "checked: an upgrade is of a proxy"
    if kind == "uups":
        return Action(Deployed(name, entry["address"], entry["abi"]), "upgradeToAndCall", (implementation, b""))
    if kind == "beacon":
        assert proxy["beacon"] is not None, "a beacon proxy records its beacon"
        beacon = name if entry["address"] == proxy["beacon"] else f"{name} beacon"
        return Action(Deployed(beacon, proxy["beacon"], target.artifacts["Beacon"].abi), "upgradeTo", (implementation,))
    assert proxy["admin"] is not None, "a transparent proxy records its admin"
    return Action(
        Deployed(f"{name} proxy admin", proxy["admin"], PROXY_ADMIN_ABI),
        "upgradeAndCall",
        (entry["address"], implementation, b""),
    )


def apply(target: Target, name: str, via: str | None, report: Reporter, follow_ups: Sequence[Action] = ()) -> dict[str, Any]:
    """Deploy the new implementation, then upgrade at once if the deployer may, else propose it.

    ``follow_ups`` are calls the upgrade needs right after it (a data migration): sent after it, or carried
    by the same proposal (the timelock runs the batch at once; the Safe alone cannot, so they need the
    timelock). The record keeps the new implementation as ``pendingUpgrade`` until the chain runs it; then
    `rwa deploy` (or this command, when it upgraded directly) makes it the recorded one.
    """
    plan = check(target, name)
    if plan.problems:
        raise UpgradeRefused(name, plan.problems)
    if plan.up_to_date:
        return {"name": name, "status": "up to date", "implementation": plan.current, "proposal": None, "followUps": []}
    if target.account is None:
        raise RwaError("upgrading needs an account (--account) to deploy the new implementation")
    record = load_record(target)
    assert record is not None, "checked: the entry is recorded"
    entry = record["contracts"][name]
    manifest_entry = target.manifest.entry(name)
    journal = Journal(target.store.journal_path(target.network.name))
    executor = Executor(target, journal, report)
    executor.settle()
    args = make_resolver(target, record).values(manifest_entry.args)
    implementation, mined = executor.create(manifest_entry, "implementation", manifest_entry.contract_type, args)
    call = upgrade_call(target, name, entry, plan.kind, implementation)
    pending: PendingUpgrade = {
        "contractType": manifest_entry.contract_type,
        "abi": target.artifacts[manifest_entry.contract_type].abi,
        "implementation": implementation,
        "implementationTransactionHash": mined.hash if mined else None,
        "bytecodeHash": target.artifacts[manifest_entry.contract_type].bytecode_hash,
        "storageLayout": plan.layout,
        "proposal": None,
    }
    direct = via is None and _deployer_may(target, call)
    if follow_ups and not direct and (via or "safe") != "safe":
        raise RwaError(f"the upgrade of {name} needs calls right after it in one batch: propose it --via safe (the timelock)")
    if direct:
        send(target, call)
        for follow_up in follow_ups:
            send(target, follow_up)
        status = "upgraded"
    else:
        proposal = governance.propose_calls(
            target,
            [governance.planned(call), *(governance.planned(a) for a in follow_ups)],
            via or "safe",
            f"upgrade {name} to {implementation}",
            extra_abis={call.contract.name: call.contract.abi} | {a.contract.name: a.contract.abi for a in follow_ups},
            after_upgrade=len(follow_ups),
        )
        pending["proposal"] = proposal["id"]
        status = f"proposed in {proposal['id']}"
    record["contracts"][name] = {**entry, "pendingUpgrade": pending}
    stamped = records.stamp(record, manifest_hash(target.manifest, target.network.name), git_commit(target.paths))
    target.store.save(target.network.name, stamped)
    journal.clear()
    if direct:
        apply_deployment(target, report)  # the chain runs it already: record it
    return {
        "name": name,
        "status": status,
        "implementation": implementation,
        "proposal": pending["proposal"],
        "followUps": [f"{a.contract.name}.{a.function}" for a in follow_ups],
    }


def _deployer_may(target: Target, action: Action) -> bool:
    if target.account is None:
        return False
    try:
        target.chain.simulate(
            target.account.address, action.contract.address, action.contract.abi, action.function, list(action.args)
        )
    except RwaError:
        return False
    return True
