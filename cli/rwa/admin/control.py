"""Who controls what: every admin power of the deployment, and whether one key alone holds it.

Powers are read from the chain: ``owner()`` of ownable contracts (beacons, proxy admins), every
role an AccessControl contract declares (``*_ROLE()`` constants and ``DEFAULT_ADMIN_ROLE``) checked
against every address the deployment knows, and the owners and threshold of each Safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from rwa.chain.client import Chain
from rwa.core.abi import role_id
from rwa.core.errors import RwaError
from rwa.deploy.context import Target, named_accounts

ADMIN_POWERS = {"DEFAULT_ADMIN_ROLE", "owner", "proxy admin", "UPGRADER_ROLE"}


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


def powers(chain: Chain, record: dict[str, Any], candidates: Iterable[str]) -> list[Power]:
    """Every (contract, power, holder) the chain confirms, over the known candidate addresses."""
    candidates = sorted({to_checksum_address(c) for c in candidates})
    found: list[Power] = []
    for name, entry in sorted(record.get("contracts", {}).items()):
        address, abi = entry["address"], entry["abi"]
        functions = _functions(abi)
        if "owner" in functions and not functions["owner"].get("inputs"):
            found.append(Power(name, "owner", to_checksum_address(chain.call(address, abi, "owner", []))))
        proxy = entry.get("proxy") or {}
        if proxy.get("admin"):
            admin_abi = [{"type": "function", "name": "owner", "inputs": [], "outputs": [{"type": "address", "name": ""}], "stateMutability": "view"}]
            found.append(Power(name, "proxy admin", to_checksum_address(chain.call(proxy["admin"], admin_abi, "owner", []))))
        for role in role_names(abi):
            for candidate in candidates:
                if chain.call(address, abi, "hasRole", [role_id(role), candidate]):
                    found.append(Power(name, role, candidate))
    return found


def holders(chain: Chain, record: dict[str, Any], labels: dict[str, str], addresses: Iterable[str]) -> dict[str, Holder]:
    """What each holder is: a Safe (with owners and threshold), another contract, or a key."""
    by_address = {to_checksum_address(e["address"]): (n, e) for n, e in record.get("contracts", {}).items()}
    found: dict[str, Holder] = {}
    for address in {to_checksum_address(a) for a in addresses}:
        label = labels.get(address) or by_address.get(address, (address,))[0]
        entry = by_address.get(address, (None, None))[1]
        safe = _safe_setup(chain, address, entry["abi"]) if entry is not None and "getOwners" in _functions(entry["abi"]) else None
        if safe is not None:
            found[address] = Holder(address, label, "safe", safe[1], safe[0])
        elif chain.code(address):
            found[address] = Holder(address, label, "contract")
        else:
            found[address] = Holder(address, label, "key")
    return found


def _safe_setup(chain: Chain, address: str, abi: list[dict[str, Any]]) -> tuple[tuple[str, ...], int] | None:
    """Owners and threshold of a Safe proxy; None for the singleton, which has no setup."""
    try:
        owners = tuple(to_checksum_address(o) for o in chain.call(address, abi, "getOwners", []))
        return owners, int(chain.call(address, abi, "getThreshold", []))
    except RwaError:
        return None


def single_key_powers(found: list[Power], kinds: dict[str, Holder]) -> list[Power]:
    """Admin powers that one key can use alone: held by a key, or by a 1-of-n Safe."""
    return [p for p in found if p.power in ADMIN_POWERS and kinds[p.holder].single_key]


def control_of(target: Target, record: dict[str, Any]) -> tuple[list[Power], dict[str, Holder], list[Power]]:
    """Every power over the recorded deployment, who holds each, and those one key holds alone."""
    labels = {address: name for name, address in named_accounts(target.network).items()}
    labels.update({entry["deployer"]: "deployer" for entry in record["contracts"].values()})
    candidates = {*labels, *(e["address"] for e in record["contracts"].values())}
    found = powers(target.chain, record, candidates)
    kinds = holders(target.chain, record, labels, {p.holder for p in found})
    return found, kinds, single_key_powers(found, kinds)
