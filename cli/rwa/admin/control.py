"""Who controls what: every admin power of the deployment, and whether one key alone holds it.

Powers are read from the chain: ``owner()`` of ownable contracts (beacons, proxy admins), every
role an AccessControl contract declares (``*_ROLE()`` constants and ``DEFAULT_ADMIN_ROLE``) checked
against every address the deployment knows, and the owners and threshold of each Safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from rwa.chain.client import Chain, Read
from rwa.core.abi import role_id
from rwa.deploy.planner import Pending
from rwa.deploy.powers import AGENT_POWERS
from rwa.deploy.records import DeploymentRecord, recorded_contracts
from rwa.deploy.target import Target, make_resolver, named_accounts

ADMIN_POWERS = {"DEFAULT_ADMIN_ROLE", "owner", "proxy admin", "UPGRADER_ROLE"}
#: What operators do day to day: mint, burn, freeze, forced transfer, recovery, property creation,
#: vault operation. One key alone should hold none of them on a live network.
OPERATIONAL_POWERS = {
    "MINTER_ROLE",
    "BURNER_ROLE",
    "FREEZER_ROLE",
    "FORCED_TRANSFER_ROLE",
    "RECOVERY_ROLE",
    "CREATOR_ROLE",
    "OPERATOR_ROLE",
}


@dataclass(frozen=True)
class Power:
    contract: str
    power: str
    holder: str  # address


@dataclass(frozen=True)
class Holder:
    address: str
    label: str
    kind: str  # "safe", "contract", "key"
    threshold: int | None = None
    owners: tuple[str, ...] = ()

    @property
    def single_key(self) -> bool:
        return self.kind == "key" or (self.kind == "safe" and self.threshold == 1)


def _functions(abi: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in abi if i.get("type") == "function"}


def role_names(abi: list[dict[str, Any]]) -> list[str]:
    functions = _functions(abi)
    names = sorted(
        name
        for name, item in functions.items()
        if name.endswith("_ROLE") and not item.get("inputs") and [o.get("type") for o in item.get("outputs", [])] == ["bytes32"]
    )
    return names if "hasRole" in functions else []


#: The ``owner()`` view of a proxy admin, whose ABI the record does not keep.
OWNER_ABI = [
    {"type": "function", "name": "owner", "inputs": [], "outputs": [{"type": "address", "name": ""}], "stateMutability": "view"}
]


def powers(chain: Chain, record: DeploymentRecord, candidates: Iterable[str]) -> list[Power]:
    """Every (contract, power, holder) the chain confirms, over the known candidate addresses.

    One batch of views (:meth:`Chain.call_many`): each ``owner()``, and ``hasRole`` of every role
    against every candidate.
    """
    candidates = sorted({to_checksum_address(c) for c in candidates})
    asked: list[tuple[str, str, str | None]] = []  # (contract, power, candidate; None: the view names the holder)
    reads: list[Read] = []
    for name, entry in recorded_contracts(record):  # the manifest's, and those factories made (MAIN-ST-1.token)
        if entry.get("external"):  # not the deployment's: Safe's singleton, the stablecoin
            continue
        address, abi = entry["address"], entry["abi"]
        functions = _functions(abi)
        if "owner" in functions and not functions["owner"].get("inputs"):
            asked.append((name, "owner", None))
            reads.append(Read(address, abi, "owner"))
        proxy = entry.get("proxy")
        if proxy and proxy["admin"]:
            asked.append((name, "proxy admin", None))
            reads.append(Read(proxy["admin"], OWNER_ABI, "owner"))
        for role in role_names(abi):
            for candidate in candidates:
                asked.append((name, role, candidate))
                reads.append(Read(address, abi, "hasRole", (role_id(role), candidate)))
    found: list[Power] = []
    for (name, power, asked_holder), result in zip(asked, chain.call_many(reads)):
        value = result.unwrap()
        if asked_holder is None:
            found.append(Power(name, power, to_checksum_address(value)))
        elif value:
            found.append(Power(name, power, asked_holder))
    return found


def holders(chain: Chain, record: DeploymentRecord, labels: dict[str, str], addresses: Iterable[str]) -> dict[str, Holder]:
    """What each holder is: a Safe (with owners and threshold), another contract, or a key.

    Two round trips whatever the number of holders: the Safes' owners and thresholds in one batch
    of views, every holder's code in one JSON-RPC batch.
    """
    by_address = {to_checksum_address(e["address"]): (n, e) for n, e in record.get("contracts", {}).items()}
    wanted = sorted({to_checksum_address(a) for a in addresses})
    safes = [a for a in wanted if a in by_address and "getOwners" in _functions(by_address[a][1]["abi"])]
    setups = _safe_setups(chain, [(a, by_address[a][1]["abi"]) for a in safes])
    codes = dict(zip(wanted, chain.codes(wanted)))
    found: dict[str, Holder] = {}
    for address in wanted:
        label = labels.get(address) or by_address.get(address, (address,))[0]
        safe = setups.get(address)
        if safe is not None:
            found[address] = Holder(address, label, "safe", safe[1], safe[0])
        elif codes[address]:
            found[address] = Holder(address, label, "contract")
        else:
            found[address] = Holder(address, label, "key")
    return found


def _safe_setups(chain: Chain, safes: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, tuple[tuple[str, ...], int]]:
    """Owners and threshold of each Safe proxy; the singleton, which has no setup (its views
    revert), is left out."""
    reads = [Read(address, abi, view) for address, abi in safes for view in ("getOwners", "getThreshold")]
    results = chain.call_many(reads)
    found: dict[str, tuple[tuple[str, ...], int]] = {}
    for index, (address, _) in enumerate(safes):
        owners, threshold = results[2 * index], results[2 * index + 1]
        if owners.ok and threshold.ok:
            found[address] = (tuple(to_checksum_address(o) for o in owners.value), int(threshold.value))
    return found


def single_key_powers(found: list[Power], kinds: dict[str, Holder]) -> list[Power]:
    """Admin and operational powers that one key can use alone: held by a key, or by a 1-of-n Safe."""
    return [p for p in found if p.power in ADMIN_POWERS | OPERATIONAL_POWERS and kinds[p.holder].single_key]


def agent_powers(found: list[Power]) -> dict[str, dict[str, list[str]]]:
    """Who holds each of the five agent powers of every property token: {contract: {power: [holders]}},
    the powers named as `rwa status` shows them (mint, burn, freeze, forced transfer, recovery)."""
    by_role = {p.role: p.name for p in AGENT_POWERS}
    table: dict[str, dict[str, list[str]]] = {}
    for power in found:
        if power.power in by_role:
            table.setdefault(power.contract, {p.name: [] for p in AGENT_POWERS})[by_role[power.power]].append(power.holder)
    return table


def param_addresses(target: Target, record: DeploymentRecord) -> dict[str, str]:
    """The keys the network's parameters name (a live network's agents and operators), by
    parameter: candidates for every role, labelled with the parameter's name (contracts of the
    record keep their entry's name)."""
    found: dict[str, str] = {}
    contracts = {to_checksum_address(e["address"]) for e in record.get("contracts", {}).values()}
    resolver = make_resolver(target, record)
    for key in sorted(target.network.params):
        try:
            value = resolver.value(target.network.params[key])
        except Pending:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and is_address(item) and to_checksum_address(item) not in contracts:
                found.setdefault(to_checksum_address(item), key)
    return found


def control_of(target: Target, record: DeploymentRecord) -> tuple[list[Power], dict[str, Holder], list[Power]]:
    """Every power over the recorded deployment, who holds each, and those one key holds alone."""
    labels = param_addresses(target, record)
    labels.update({address: name for name, address in named_accounts(target.network).items()})
    labels.update({deployer: "deployer" for entry in record["contracts"].values() if (deployer := entry["deployer"])})
    candidates = {*labels, *(e["address"] for e in record["contracts"].values())}
    found = powers(target.chain, record, candidates)
    kinds = holders(target.chain, record, labels, {p.holder for p in found})
    return found, kinds, single_key_powers(found, kinds)
