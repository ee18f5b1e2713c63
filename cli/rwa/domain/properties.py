"""The network's properties, as its PropertyTokenFactory makes and lists them: list, find (by id,
symbol or address) and create, each new property's contracts recorded as the deployments record keeps
what factories make; and what an upgrade of their compliance needs right after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import is_hex_address, to_checksum_address

from rwa.admin import actions
from rwa.admin.proposals import Proposal
from rwa.admin.writer import Writer
from rwa.chain.client import Receipt
from rwa.core.errors import RwaError
from rwa.deploy import created, powers
from rwa.deploy.records import CreatedProperty, contracts_of
from rwa.deploy.target import Target, load_record, resolve_param
from rwa.domain.property import BYTES32_RE, FACTORY, MAX_DECIMALS, PAGE, PROPOSED, Property, property_id
from rwa.domain.token import Token


@dataclass(frozen=True)
class NewProperty:
    label: str  # the id as the user typed it
    id: bytes
    name: str
    symbol: str
    decimals: int
    legal_doc_hash: bytes
    legal_doc_uri: str

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.symbol.strip():
            raise RwaError("a property needs a name and a symbol")
        if not 0 <= self.decimals <= MAX_DECIMALS:
            raise RwaError(f"decimals {self.decimals} out of range 0..{MAX_DECIMALS}")

    def as_tuple(self) -> tuple[bytes, str, str, int, bytes, str]:
        return (self.id, self.name, self.symbol, self.decimals, self.legal_doc_hash, self.legal_doc_uri)


#: The ModularCompliance storage that per-wallet holder tracking added: a compliance recorded without it counted
#: holders per investor only, so an upgrade must recount every property that tracks holders, in the same batch.
COMPLIANCE_NAMESPACE = "rwa.storage.ModularCompliance"
PER_WALLET_TRACKING = "countedInvestor"


def upgrade_follow_ups(target: Target, name: str) -> list[actions.Action]:
    """What the upgrade of manifest entry ``name`` needs right after it: for a ModularCompliance recorded before
    per-wallet tracking, one `resync` per property whose compliance tracks holders (none otherwise)."""
    entry = contracts_of(load_record(target)).get(name)
    if target.manifest.entry(name).contract_type != "ModularCompliance":
        return []
    layout = (entry and entry["storageLayout"]) or {}
    members = (layout.get("namespaces") or {}).get(COMPLIANCE_NAMESPACE)
    if members is None or any(m.get("label") == PER_WALLET_TRACKING for m in members):
        return []
    tokens = [Token(target, prop) for prop in Properties(target).all()]
    return [token.resync_action(per_wallet=False) for token in tokens if token.tracking()]


class Properties:
    """The network's PropertyTokenFactory: list, find and create properties."""

    def __init__(self, target: Target, via: str | None = None):
        self.target = target
        self.record = load_record(target)
        self.factory = actions.deployed(target, FACTORY)
        self.writer = Writer(target, via)
        self._recorded = {
            to_checksum_address(entry["address"]): name
            for name, entry in contracts_of(self.record).items()
            if entry.get("contractType") == "PropertyToken"
        }

    def _read(self, function: str, *args: Any) -> Any:
        return actions.read(self.target, self.factory, function, *args)

    def _property(self, info: Sequence[Any]) -> Property:
        pid, token, compliance, distributor, name, symbol, decimals, doc_hash, doc_uri = info
        token = to_checksum_address(token)
        return Property(
            bytes(pid),
            name,
            symbol,
            int(decimals),
            token,
            to_checksum_address(compliance),
            to_checksum_address(distributor),
            bytes(doc_hash),
            doc_uri,
            self.factory.address,
            self._recorded.get(token),
        )

    def count(self) -> int:
        return int(self._read("propertyCount"))

    def page(self, offset: int, limit: int) -> list[Property]:
        return [self._property(info) for info in self._read("properties", offset, limit)]

    def all(self) -> list[Property]:
        found: list[Property] = []
        total = self.count()
        while len(found) < total:
            found += self.page(len(found), PAGE)
        return found

    def listing(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Properties from ``offset`` (all, or ``limit`` of them), each with its total supply."""
        found = self.all()[offset:] if limit is None else self.page(offset, limit)
        abi = self.target.artifacts["PropertyToken"].abi
        return [
            {**p.as_json(), "totalSupply": p.units(int(self.target.chain.call(p.token, abi, "totalSupply", [])))} for p in found
        ]

    def exists(self, pid: bytes) -> bool:
        return bool(self._read("propertyExists", pid))

    def get(self, pid: bytes) -> Property:
        return self._property(self._read("property", pid))

    def find(self, reference: str) -> Property:
        """By id text (``DEMO-1``), ``0x`` 32-byte id, token address or symbol."""
        text = reference.strip()
        if is_hex_address(text):
            matches = [p for p in self.all() if p.token == to_checksum_address(text)]
        else:
            pid = property_id(text) if text else b""
            if pid and self.exists(pid):
                return self.get(pid)
            listed = [] if BYTES32_RE.fullmatch(text) else self.all()
            matches = [p for p in listed if p.symbol == text] or [p for p in listed if p.symbol.lower() == text.lower()]
        if len(matches) > 1:
            ids = ", ".join("0x" + p.id.hex() for p in matches)
            raise RwaError(f"symbol '{text}' names {len(matches)} properties on {self.target.network.name}: use an id ({ids})")
        if not matches:
            raise RwaError(f"unknown property '{reference}' on {self.target.network.name} (rwa property list shows them)")
        return matches[0]

    def default_pauser(self) -> str:
        """The manifest's ``property_pauser`` (the guardian Safe), resolved on this network."""
        if "property_pauser" not in self.target.network.params:
            raise RwaError(f"network {self.target.network.name} has no property_pauser parameter: pass --pauser")
        pauser = resolve_param(self.target, self.record, "property_pauser")
        if pauser is not None:
            return to_checksum_address(pauser)
        raise RwaError(f"the property pauser is not deployed on {self.target.network.name}: pass --pauser")

    def default_agents(self) -> tuple[str, ...]:
        """The five agents (minter, burner, freezer, forced transfer, recovery) the network's parameters name."""
        holders = powers.agent_holders(self.target, self.record)
        missing = [p for p in powers.AGENT_PARAMS if not holders.get(p)]
        if missing:
            raise RwaError(
                f"network {self.target.network.name} names no holder for {', '.join(missing)} "
                "(or it is not deployed): pass --agent"
            )
        return tuple(str(holders[p]) for p in powers.AGENT_PARAMS)

    def create(self, spec: NewProperty, agents: Sequence[str], pauser: str) -> tuple[Property | None, str]:
        """Create the property (token, compliance and distributor); the five agent roles go to ``agents``
        (minter, burner, freezer, forced transfer, recovery) and pausing to ``pauser``. On a live network,
        burn, forced transfer and recovery going to a key are refused. Returns the property (None when
        proposed) and the tx."""
        if self.exists(spec.id):
            existing = self.get(spec.id)
            raise RwaError(f"property '{spec.label}' exists already ({existing.symbol}, token {existing.token})")
        # Commands name a property by its symbol too: a second one would make that name ambiguous for both.
        taken = next((p for p in self.all() if p.symbol.lower() == spec.symbol.lower()), None)
        if taken is not None:
            raise RwaError(f"symbol {spec.symbol} is taken by {taken.name!r} (token {taken.token}): choose another --symbol")
        problems = powers.keys_holding_contract_powers(self.target, dict(zip(powers.AGENT_PARAMS, agents)))
        if problems:
            raise RwaError(f"{problems[0]}; nothing was sent")
        receipt = self.writer.send(actions.Action(self.factory, "createProperty", (spec.as_tuple(), (*agents, pauser))))
        if receipt is None:
            return None, PROPOSED
        made = self.get(spec.id)
        created.record(self.target, "properties", spec.label, self._record_entry(made, receipt))
        return made, receipt.hash

    def _record_entry(self, made: Property, receipt: Receipt) -> CreatedProperty:
        """The deployments file's entry of a property this command created: its three contracts,
        each a beacon proxy of the factory's beacon for its kind."""
        proxy_type = created.FACTORY_PROXY_TYPES[FACTORY]
        parts = {
            "token": ("PropertyToken", made.token, "tokenBeacon"),
            "compliance": ("ModularCompliance", made.compliance, "complianceBeacon"),
            "distributor": ("DividendDistributor", made.distributor, "distributorBeacon"),
        }
        contracts = {
            key: created.part(self.target, kind, address, created.beacon_proxy(self.target, proxy_type, self._read(beacon), kind))
            for key, (kind, address, beacon) in parts.items()
        }
        assert self.target.account is not None, "a sent transaction has a signer"
        return {
            "id": "0x" + made.id.hex(),
            "name": made.name,
            "symbol": made.symbol,
            "decimals": made.decimals,
            "createdBy": created.created_by(
                FACTORY, self.factory.address, "createProperty", receipt.hash, receipt.block, self.target.account.address
            ),
            "contracts": contracts,
        }

    def propose(self, title: str) -> Proposal | None:
        return self.writer.propose(title)
