"""What a plan will cost before anything is sent: gas per transaction, and the total at the
network's current fees in its native currency.

Each transaction the plan will send is run through ``eth_estimateGas``. A creation whose
arguments name entries not deployed yet is estimated with a stand-in address with code in their
place (Multicall3's: its gas hardly depends on which address an argument holds); a transaction
that cannot run before its dependencies exist (a proxy initialising through its implementation,
a call on a contract not yet deployed) is "n/a" with the reason.

The same estimate bounds what a deploy may spend (:attr:`CostEstimate.most`, which the engine checks
against the deployer's balance before it sends anything on a live network): an "n/a" transaction
counts there at a cautious rule of thumb (a creation by its size, a call or a factory's creation
flat), every transaction at the most a unit of gas may cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from rwa.core.evm import CREATE2_DEPLOYER, MULTICALL3
from rwa.deploy.created import BEACON_TYPE
from rwa.deploy.created import proxy_type as proxy_type_of
from rwa.deploy.fees import policy_for
from rwa.deploy.manifest import Contract, ProxyKind, Ref
from rwa.deploy.observe import call_site
from rwa.deploy.planner import Pending, Plan, Resolver, StepAction, call_text
from rwa.deploy.records import DeploymentRecord
from rwa.deploy.sender import Spent
from rwa.deploy.target import Target, make_resolver

#: The address that stands for an entry not deployed yet (it has code on every chain the engine uses).
STAND_IN = MULTICALL3


class _StandIns(Resolver):
    """Resolves a reference to an entry not deployed yet to :data:`STAND_IN`."""

    def value(self, value: Any) -> Any:
        if isinstance(value, Ref) and self.facets.get(value.name, {}).get(value.facet) is None:
            return STAND_IN
        return super().value(value)


@dataclass(frozen=True)
class GasLine:
    """One transaction of the plan: its entry, what it does, and its gas (None: n/a, with the reason)."""

    name: str
    part: str  # as the journal keys it: contract, implementation, beacon, proxy, factory, call<N>
    what: str
    gas: int | None
    reason: str = ""
    bound: int = 0  # what it counts for in the upper bound when ``gas`` is None: the rule of thumb


#: The rule of thumb for a transaction eth_estimateGas cannot run yet: a creation costs the intrinsic
#: gas, 200 gas per byte of code stored (220 with the initcode's calldata) and its constructor; a call
#: or a factory's creation a flat amount.
CREATION_BASE, CREATION_PER_BYTE, CONSTRUCTOR = 53_000, 220, 150_000
CALL_BOUND, FACTORY_BOUND = 150_000, 400_000


def creation_bound(bytecode: bytes) -> int:
    return CREATION_BASE + CREATION_PER_BYTE * len(bytecode) + CONSTRUCTOR


@dataclass(frozen=True)
class CostEstimate:
    lines: tuple[GasLine, ...]
    base_fee: int  # wei per gas, the next block's
    priority_fee: int  # wei per gas, what the fee policy offers
    max_fee: int  # wei per gas, the most a transaction may pay
    currency: str

    @property
    def gas(self) -> int:
        return sum(line.gas or 0 for line in self.lines)

    @property
    def unknown(self) -> list[GasLine]:
        return [line for line in self.lines if line.gas is None]

    @property
    def price(self) -> int:
        """What a unit of gas costs at today's base fee plus the priority fee offered."""
        return self.base_fee + self.priority_fee

    @property
    def cost(self) -> int:
        return self.gas * self.price

    @property
    def most(self) -> int:
        """The most the plan may cost: every transaction's gas (or its rule of thumb) at the max fee."""
        return sum(line.bound if line.gas is None else line.gas for line in self.lines) * self.max_fee

    def compared(self, spent: Sequence[Spent]) -> tuple[int, int]:
        """(estimated, used) gas over the transactions that have both an estimate and a receipt."""
        used = used_by_step(spent)
        pairs = [
            (line.gas, used[(line.name, line.part)])
            for line in self.lines
            if line.gas is not None and (line.name, line.part) in used
        ]
        return sum(e for e, _ in pairs), sum(u for _, u in pairs)


def estimate(target: Target, deploy_plan: Plan, record: DeploymentRecord | None) -> CostEstimate:
    """Gas of every transaction the plan sends, and the fees a deploy would pay now."""
    resolver = make_resolver(target, record)
    stand_ins = _StandIns(resolver.network, resolver.deployer, resolver.accounts, dict(resolver.facets), resolver.artifacts)
    lines: list[GasLine] = []
    entries = {entry.name: entry for entry in target.entries}  # each with the calls made on this network
    for step in deploy_plan.steps:
        entry = entries.get(step.name) if step.action in (StepAction.CREATE, StepAction.CALL) else None
        if entry is None:
            continue
        if step.action == StepAction.CREATE:
            lines.extend(_creation(target, entry, resolver, stand_ins))
        else:
            index = next((i for i, c in enumerate(entry.calls) if call_text(c) == step.detail), None)
            if index is not None:
                lines.append(_call(target, entry, index, resolver))
    policy = policy_for(target.network, None, None)
    base_fee = target.chain.base_fee()
    fees = (
        policy.price(base_fee, target.chain.suggested_priority_fee())
        if policy.max_fee is None or base_fee <= policy.max_fee
        else None
    )
    priority = fees.priority_fee if fees else 0
    return CostEstimate(tuple(lines), base_fee, priority, fees.max_fee if fees else base_fee, target.network.currency)


def _gas(
    target: Target,
    resolver: Resolver,
    name: str,
    part: str,
    what: str,
    to: str | None,
    data: bytes,
    pending: str | None,
    bound: int,
) -> GasLine:
    gas, why = target.chain.estimate_gas(resolver.deployer, to, data)
    if gas is None and pending:
        why = f"needs {pending} deployed first"
    return GasLine(name, part, what, gas, why, bound)


def _resolved(resolver: Resolver, stand_ins: Resolver, values: Sequence[Any]) -> tuple[list[Any], str | None]:
    """The values resolved, with stand-ins for what is not deployed yet (and the first such entry)."""
    try:
        return resolver.values(values), None
    except Pending as missing:
        return stand_ins.values(values), str(missing)


def _creation(target: Target, entry: Contract, resolver: Resolver, stand_ins: Resolver) -> list[GasLine]:
    chain, artifacts = target.chain, target.artifacts
    if entry.created_by is not None:
        made = entry.created_by
        try:
            factory = resolver.value(made.factory)
            args = resolver.values(made.args)
        except Pending as missing:
            return [
                GasLine(
                    entry.name, "factory", f"{made.function} (factory)", None, f"needs {missing} deployed first", FACTORY_BOUND
                )
            ]
        owner = next((e for e in target.entries if resolver.facets.get(e.name, {}).get("address") == factory), None)
        if owner is None:
            return [
                GasLine(
                    entry.name,
                    "factory",
                    f"{made.function} (factory)",
                    None,
                    "its factory is not an entry of the manifest",
                    FACTORY_BOUND,
                )
            ]
        data = chain.encode_call(artifacts[owner.contract_type].abi, made.function, args)
        return [_gas(target, resolver, entry.name, "factory", f"{made.function} (factory)", factory, data, None, FACTORY_BOUND)]
    args, pending = _resolved(resolver, stand_ins, entry.args)
    artifact = artifacts[entry.contract_type]
    initcode = chain.encode_deploy(artifact.abi, artifact.bytecode, args)
    part = "contract" if entry.proxy is ProxyKind.NONE else "implementation"
    if entry.salt:
        salt = keccak(text=f"{entry.salt}/{part}")
        what = f"{part} {entry.contract_type} (CREATE2)"
        bound = creation_bound(artifact.bytecode)
        lines = [_gas(target, resolver, entry.name, part, what, CREATE2_DEPLOYER, salt + initcode, pending, bound)]
    else:
        bound = creation_bound(artifact.bytecode)
        lines = [_gas(target, resolver, entry.name, part, f"{part} {entry.contract_type}", None, initcode, pending, bound)]
    if entry.proxy is ProxyKind.BEACON:
        admin, admin_pending = _resolved(resolver, stand_ins, [entry.admin])
        beacon = chain.encode_deploy(artifacts[BEACON_TYPE].abi, artifacts[BEACON_TYPE].bytecode, [STAND_IN, admin[0]])
        bound = creation_bound(artifacts[BEACON_TYPE].bytecode)
        lines.append(_gas(target, resolver, entry.name, "beacon", f"beacon {BEACON_TYPE}", None, beacon, admin_pending, bound))
    if entry.proxy is not ProxyKind.NONE and not entry.beacon_only:
        proxy_type = proxy_type_of(entry)
        through = "beacon" if entry.proxy is ProxyKind.BEACON else "implementation"
        why = f"initialises through its {through}, deployed first"
        lines.append(
            GasLine(entry.name, "proxy", f"proxy {proxy_type}", None, why, creation_bound(artifacts[proxy_type].bytecode))
        )
    return lines


def _call(target: Target, entry: Contract, index: int, resolver: Resolver) -> GasLine:
    call = entry.calls[index]
    what = f"{(call.target + '.') if call.target else ''}{call.function}"
    try:
        address, artifact = call_site(target, entry, call, resolver)
        args = resolver.values(call.args)
    except Pending as missing:
        return GasLine(entry.name, f"call{index}", what, None, f"needs {missing} deployed first", CALL_BOUND)
    data = target.chain.encode_call(artifact.abi, call.function, args)
    return _gas(target, resolver, entry.name, f"call{index}", what, address, data, None, CALL_BOUND)


def used_by_step(spent: Sequence[Spent]) -> dict[tuple[str, str], int]:
    """Gas used per (entry, part) by the transactions a deploy sent (journal keys: entry/part/hash)."""
    found: dict[tuple[str, str], int] = {}
    for item in spent:
        name, part = item.key.split("/")[:2]
        found[(name, part)] = found.get((name, part), 0) + item.gas_used
    return found
