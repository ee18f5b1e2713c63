"""The plan: what the manifest asks for, compared with the record and with the live chain.

Pure functions only. The engine gathers what the chain says (:class:`Observation`) and the
planner turns manifest, record and observations into steps: ``create``, ``skip``, ``call`` and
``drift``. Drift that would make a deploy unsafe blocks it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eth_utils import keccak, to_checksum_address

from rwa.chain.artifacts import Artifact
from rwa.core.abi import encode_call, jsonable, named_args
from rwa.deploy.manifest import (
    AccountRef,
    Call,
    Contract,
    Encoded,
    External,
    Network,
    Param,
    ProxyKind,
    Ref,
    Role,
)
from rwa.deploy.records import ContractRecord, DeploymentRecord, contracts_of


class StepAction(enum.StrEnum):
    """What a plan's step does; ``rwa deploy --plan --json`` prints the values."""

    CREATE = "create"  # deploy the entry (or a part of it)
    SKIP = "skip"  # nothing: it holds already
    CALL = "call"  # send a post-deploy call (a manifest ``Call``)
    DRIFT = "drift"  # the chain differs from the record: reported, nothing sent
    UPGRADE = "upgrade"  # the chain runs an upgrade the record does not know yet: record it
    EXTERNAL = "external"  # a contract that exists already, referred to
    PROPOSE = "propose"  # a call only the timelock may make, on a live network: proposed through the admin Safe, not sent
    RENAME = "rename"  # a contract recorded under a name the entry had before: written under its new one, nothing sent
    RECOMPILED = "recompiled"  # compiled anew to the same code (solc's metadata aside): the record takes the new hash


class Pending(Exception):
    """A value refers to an entry that is not deployed yet."""


@dataclass
class Resolver:
    """Turns symbolic manifest values into concrete ones on one network."""

    network: Network
    deployer: str
    accounts: Mapping[str, str]
    facets: dict[str, dict[str, str | None]] = field(default_factory=dict)
    artifacts: Mapping[str, Artifact] = field(default_factory=dict)

    def value(self, value: Any) -> Any:
        if isinstance(value, Ref):
            address = self.facets.get(value.name, {}).get(value.facet)
            if address is None:
                raise Pending(value.name)
            return address
        if isinstance(value, AccountRef):
            return self.deployer if value.name == "deployer" else self.accounts[value.name]
        if isinstance(value, Param):
            return self.value(self.network.params[value.key])
        if isinstance(value, Role):
            return keccak(text=value.name)
        if isinstance(value, Encoded):
            return encode_call(self.artifacts[value.contract_type].abi, value.function, self.values(value.args))
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def values(self, values: Sequence[Any]) -> list[Any]:
        return [self.value(v) for v in values]


def external_facets(address: str) -> dict[str, str | None]:
    """What other entries may refer to in a contract that already exists: its address."""
    return {"address": _checksummed(address), "implementation": None, "admin": None, "beacon": None}


def facets_of(record: Mapping[str, Any]) -> dict[str, str | None]:
    """What other entries may refer to in a recorded contract, checksummed afresh: an address
    edited by hand is then the entry's drift, not a failed call of every entry that uses it."""
    proxy = record.get("proxy") or {}
    return {
        "address": _checksummed(record["address"]),
        "implementation": _checksummed(proxy.get("implementation")),
        "admin": _checksummed(proxy.get("admin")),
        "beacon": _checksummed(proxy.get("beacon")),
    }


def _checksummed(address: str | None) -> str | None:
    return to_checksum_address(address.lower()) if address else None


def decoded_args(entry: Contract, artifact: Artifact, resolver: Resolver) -> dict[str, Any]:
    """The arguments an entry is deployed with, by name, as the record keeps them."""
    decoded: dict[str, Any] = {"constructor": named_args(artifact.constructor_inputs(), resolver.values(entry.args))}
    if entry.initializer:
        inputs = artifact.function(entry.initializer).get("inputs", [])
        decoded["initializer"] = {
            "function": entry.initializer,
            "args": named_args(inputs, resolver.values(entry.init_args)),
        }
    if entry.admin is not None:
        decoded["admin"] = jsonable(resolver.value(entry.admin))
    if entry.created_by is not None:
        made = entry.created_by
        decoded["factory"] = {
            "address": jsonable(resolver.value(made.factory)),
            "function": made.function,
            "args": [jsonable(v) for v in resolver.values(made.args)],
        }
    return decoded


@dataclass(frozen=True)
class Observation:
    """What the live chain says about a recorded entry."""

    code_hash: str | None
    implementation: str | None = None
    admin: str | None = None
    beacon: str | None = None
    beacon_implementation: str | None = None
    checks: tuple[bool | None, ...] = ()  # per call: does its effect hold? None: unknown
    #: Its bytecode hash is not the compiled one's, but its creating transaction sent the compiled code,
    #: solc's metadata aside (a rename, an edited comment): nothing that runs differs.
    recompiled: bool = False


@dataclass(frozen=True)
class Step:
    action: StepAction
    name: str
    detail: str
    blocking: bool = False


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    lost: tuple[str, ...] = ()  # recorded entries a crashed local chain no longer has
    # The external contracts checked before planning, each as (entry, External, the code hash found).
    externals: tuple[tuple[Contract, External, str], ...] = ()

    @property
    def blocking(self) -> list[Step]:
        return [s for s in self.steps if s.blocking]

    @property
    def sends(self) -> bool:
        return any(s.action in (StepAction.CREATE, StepAction.CALL) for s in self.steps)

    @property
    def writes(self) -> bool:
        """Whether applying changes the deployments file (sending, or recording a landed upgrade)."""
        return self.sends or any(s.action in (StepAction.UPGRADE, StepAction.RENAME, StepAction.RECOMPILED) for s in self.steps)

    def count(self, action: str) -> int:
        return sum(1 for s in self.steps if s.action == action)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _addr_eq(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def live_implementation(entry: Contract, observed: Observation) -> str | None:
    return observed.beacon_implementation if entry.proxy is ProxyKind.BEACON else observed.implementation


def upgrade_landed(entry: Contract, recorded: Mapping[str, Any], observed: Observation) -> bool:
    """A recorded pending upgrade (`rwa upgrade` through a proposal) that the chain now runs."""
    pending = recorded.get("pendingUpgrade")
    return pending is not None and _addr_eq(live_implementation(entry, observed), pending["implementation"])


def with_upgrade(recorded: ContractRecord) -> ContractRecord:
    """The record of an entry once its pending upgrade has landed."""
    pending = recorded["pendingUpgrade"]
    updated = cast(ContractRecord, {k: v for k, v in recorded.items() if k != "pendingUpgrade"})
    proxy = recorded["proxy"]
    assert proxy is not None, "an upgrade is of a proxy"
    updated["proxy"] = {
        **proxy,
        "implementation": pending["implementation"],
        "implementationContractType": pending["contractType"],
        "implementationTransactionHash": pending.get("implementationTransactionHash"),
    }
    if recorded["contractType"] == proxy.get("implementationContractType"):
        updated["contractType"], updated["abi"] = pending["contractType"], pending["abi"]  # not a bare beacon
    updated["bytecodeHash"] = pending["bytecodeHash"]
    updated["storageLayout"] = pending["storageLayout"]
    return updated


def with_compiled(recorded: ContractRecord, artifact: Artifact, layout: dict[str, Any] | None) -> ContractRecord:
    """The record of an entry whose compiled code is what runs, solc's metadata aside (``Observation.recompiled``):
    the new bytecode hash, ABI and storage layout (the same slots, perhaps other names)."""
    updated = cast(ContractRecord, dict(recorded))
    updated["bytecodeHash"] = artifact.bytecode_hash
    proxy = recorded.get("proxy")
    if recorded["contractType"] == ((proxy and proxy.get("implementationContractType")) or recorded["contractType"]):
        updated["abi"] = artifact.abi  # not a bare beacon, whose ABI is the beacon's
    if recorded.get("storageLayout") is not None and layout is not None:
        updated["storageLayout"] = layout
    return updated


def entry_drift(
    entry: Contract, recorded: ContractRecord, observed: Observation, artifact: Artifact, resolver: Resolver, named: bool = False
) -> list[str]:
    """Every way a recorded entry differs from the chain or from the manifest; ``named``: other entries'
    arguments name it (unproxied, it cannot be replaced alone: they keep its address)."""
    if upgrade_landed(entry, recorded, observed):
        recorded = with_upgrade(recorded)
    pending = recorded.get("pendingUpgrade")
    problems = []
    if observed.code_hash is None:
        return [f"no code at {recorded['address']} (the chain lost it, or the record is wrong)"]
    if not _addr_eq(observed.code_hash, recorded.get("codeHash")):
        problems.append(f"code at {recorded['address']} differs from the recorded code hash")
    proxy = recorded.get("proxy")
    if entry.proxy is not ProxyKind.NONE:
        if not proxy or proxy.get("kind") != entry.proxy.value:
            problems.append(f"recorded as {proxy and proxy.get('kind') or 'no proxy'}, manifest says {entry.proxy.value}")
        else:
            if entry.proxy is ProxyKind.BEACON:
                if not _addr_eq(observed.beacon, proxy.get("beacon")):
                    problems.append(f"beacon slot holds {observed.beacon}, record says {proxy.get('beacon')}")
                live_impl = observed.beacon_implementation
            else:
                live_impl = observed.implementation
            if not _addr_eq(live_impl, proxy.get("implementation")):
                problems.append(f"implementation is {live_impl}, record says {proxy.get('implementation')}")
            if entry.proxy is ProxyKind.TRANSPARENT and not _addr_eq(observed.admin, proxy.get("admin")):
                problems.append(f"admin slot holds {observed.admin}, record says {proxy.get('admin')}")
    elif proxy and entry.created_by is None:  # a factory's contracts may be beacon proxies
        problems.append(f"recorded as a {proxy.get('kind')} proxy, manifest says none")
    changed = (
        recorded.get("bytecodeHash") != artifact.bytecode_hash and (pending and pending["bytecodeHash"]) != artifact.bytecode_hash
    )
    if changed and not observed.recompiled:
        if entry.proxy is not ProxyKind.NONE:
            hint = "upgrade it"
        else:
            hint = "other contracts name it: deploy the suite anew" if named else "deploy it under a new name"
        problems.append(f"compiled {artifact.name} changed since it was deployed ({hint})")
    recorded_type = (proxy and proxy.get("implementationContractType")) or recorded.get("contractType")
    if recorded_type != entry.contract_type and (pending and pending["contractType"]) != entry.contract_type:
        hint = " (upgrade it)" if entry.proxy is not ProxyKind.NONE else ""
        problems.append(f"recorded as {recorded_type}, manifest says {entry.contract_type}{hint}")
    try:
        wanted = decoded_args(entry, artifact, resolver)
    except Pending:
        wanted = None
    if wanted is not None and not _same(wanted, recorded.get("args")):
        problems.append("deployment arguments differ from the manifest")
    return problems


def plan(
    entries: Sequence[Contract],
    record: DeploymentRecord | None,
    artifacts: Mapping[str, Artifact],
    observations: Mapping[str, Observation],
    resolver: Resolver,
    lost: Mapping[str, str] | None = None,
    live: str | None = None,
) -> Plan:
    """Compare the manifest (in dependency order) with the record and the chain. ``lost`` names
    the recorded entries a crashed local chain no longer has (left out of ``record``), with why;
    ``live``: the live network planned for, where a call made ``by`` the timelock is proposed
    through the admin Safe (on a local chain the engine sends it as the timelock)."""
    recorded = contracts_of(record)
    lost = lost or {}
    named = {arg.name for entry in entries for arg in entry.args if isinstance(arg, Ref)}
    steps: list[Step] = []
    for entry in entries:
        artifact = artifacts[entry.contract_type]
        external = entry.external_on(resolver.network.name)
        if external is not None:  # its code was checked before planning (preflight.check_externals)
            steps.append(
                Step(
                    StepAction.EXTERNAL,
                    entry.name,
                    f"{entry.contract_type} already at {external.address}: referred to, not deployed",
                )
            )
            continue
        if entry.name not in recorded:
            if entry.created_by is not None:
                kind = f" made by {_arg_text(entry.created_by.factory)}.{entry.created_by.function}"
            elif entry.beacon_only:
                kind = " and its beacon"
            else:
                kind = "" if entry.proxy is ProxyKind.NONE else f" behind a {entry.proxy.value} proxy"
            salt = " with CREATE2" if entry.salt else ""
            why = f" again: {lost[entry.name]}" if entry.name in lost else ""
            steps.append(Step(StepAction.CREATE, entry.name, f"{entry.contract_type}{kind}{salt}{why}"))
            steps.extend(_call_step(entry, call, False, live) for call in entry.calls)
            continue
        observed = observations[entry.name]
        drift = entry_drift(entry, recorded[entry.name], observed, artifact, resolver, entry.name in named)
        if drift:
            steps.extend(Step(StepAction.DRIFT, entry.name, problem, blocking=True) for problem in drift)
        elif upgrade_landed(entry, recorded[entry.name], observed):
            pending = recorded[entry.name]["pendingUpgrade"]
            steps.append(
                Step(
                    StepAction.UPGRADE,
                    entry.name,
                    f"now runs {pending['implementation']} ({pending.get('proposal') or 'upgraded'}): record it",
                )
            )
        elif recorded[entry.name].get("pendingUpgrade"):
            pending = recorded[entry.name]["pendingUpgrade"]
            steps.append(
                Step(
                    StepAction.SKIP,
                    entry.name,
                    f"upgrade to {pending['implementation']} waits for proposal {pending.get('proposal')}",
                )
            )
        elif observed.recompiled:
            steps.append(
                Step(
                    StepAction.RECOMPILED,
                    entry.name,
                    f"compiled {entry.contract_type} differs from what was deployed in solc's metadata only (its names and "
                    "comments): the same code; the record takes the new bytecode hash, nothing sent",
                )
            )
        else:
            steps.append(Step(StepAction.SKIP, entry.name, f"up to date at {recorded[entry.name]['address']}"))
        steps.extend(_call_step(entry, call, bool(holds), live) for call, holds in zip(entry.calls, observed.checks))
    wanted = {e.name for e in entries}
    for name in sorted(set(recorded) - wanted):
        steps.append(Step(StepAction.DRIFT, name, "recorded but no longer in the manifest (left as is)"))
    return Plan(tuple(steps), tuple(lost))


def _call_step(entry: Contract, call: Call, holds: bool, live: str | None) -> Step:
    if holds:
        return Step(StepAction.SKIP, entry.name, call_text(call) + " (holds)")
    if call.by is not None and live is not None:
        spec = f"{call.target or entry.name}.{call.function}({_args_text(call.args)})"
        command = f"rwa safe propose --network {live} --call '{spec}'"
        return Step(
            StepAction.PROPOSE,
            entry.name,
            f"{call_text(call)}: only {_arg_text(call.by)} may; propose it through the admin Safe: {command}",
        )
    return Step(StepAction.CALL, entry.name, call_text(call))


def call_text(call: Any) -> str:
    target = f"{call.target}." if call.target else ""
    check = call.check
    return (
        f"{target}{call.function}({_args_text(call.args)}) unless "
        f"{check.function}({_args_text(check.args)}) == {_arg_text(check.expect)}"
    )


def _args_text(values: Sequence[Any]) -> str:
    return ", ".join(_arg_text(v) for v in values)


def _arg_text(value: Any) -> str:
    """Manifest values as a reader would write them: Timelock, @deployer, $attestor, ROLE."""
    if isinstance(value, Ref):
        return value.name if value.facet == "address" else f"{value.name}.{value.facet}"
    if isinstance(value, AccountRef):
        return f"@{value.name}"
    if isinstance(value, Param):
        return f"${value.key}"
    if isinstance(value, Role):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return "0x00…00" if not any(value) else "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return "[" + _args_text(value) + "]"
    return repr(value) if isinstance(value, str) else str(value)
