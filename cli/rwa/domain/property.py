"""Tokenized properties: finding one, reading its state, and the writes of its agents and holders.

Parsing is pure (property references, amounts, CSV files). :class:`Properties` is the factory (list,
find, create); :class:`Token` is one property's token, compliance and holders. Every write goes
through :class:`rwa.admin.writer.Writer`, so it is simulated first (a refusal names the contract's custom
error and sends nothing) or, with ``via``, becomes a multisig proposal. Cheap pre-checks turn the
commonest mistakes (an amount above what is free, a wallet of another investor) into plainer words.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils import is_hex_address, keccak, to_checksum_address

from rwa.admin import actions
from rwa.admin.writer import Writer
from rwa.chain.client import Receipt
from rwa.core.abi import ZERO_ADDRESS
from rwa.core.errors import RwaError
from rwa.core.parse import format_duration, parse_duration, parse_int, parse_wallet
from rwa.core.units import amount_of, format_units, parse_amount
from rwa.deploy import created
from rwa.deploy.target import Target, load_record, resolve_param
from rwa.domain.kyc import flag_names

FACTORY = "PropertyTokenFactory"
PROPOSED = "(proposed)"
PAGE = 50
MAX_DECIMALS = 18


#: ModularCompliance declares each module as a ``MODULE_<NAME>`` constant; the CLI shows ``<name>``.
MODULE_PREFIX = "MODULE_"
#: Its settings are its one-argument ``set<Name>`` functions; the CLI shows ``<name>`` (``setMaxBalance`` →
#: ``max-balance``). How a value is read depends on what it means: token amounts and durations by name.
SETTER_PREFIX = "set"
AMOUNT_SETTINGS = frozenset({"max-balance", "supply-cap"})
DURATION_SETTINGS = frozenset({"lockup-period"})


def kebab(name: str) -> str:
    """``MaxBalance`` or ``MAX_BALANCE`` → ``max-balance``."""
    if "_" in name or name.isupper():
        return name.lower().replace("_", "-")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()

_BYTES32_RE = re.compile(r"0x[0-9a-fA-F]{64}")


# --- parsing (pure) ----------------------------------------------------------------------------


def property_id(text: str) -> bytes:
    """A property's on-chain id: a ``0x`` 32-byte id as given, any other text hashed (keccak256)."""
    text = text.strip()
    if not text:
        raise ValueError("a property id cannot be empty")
    if _BYTES32_RE.fullmatch(text):
        return bytes.fromhex(text[2:])
    return keccak(text=text)


def parse_hash(text: str) -> bytes:
    if not _BYTES32_RE.fullmatch(text.strip()):
        raise ValueError(f"not a 32-byte hash: {text!r} (0x and 64 hex digits)")
    return bytes.fromhex(text.strip()[2:])


def file_hash(path: Path) -> bytes:
    """keccak256 of a legal document's bytes, the fingerprint kept on chain."""
    try:
        return keccak(path.read_bytes())
    except OSError as exc:
        raise RwaError(f"cannot read {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class Row:
    """One row of a CSV: ``amount`` None means the whole wallet (a freeze)."""

    line: int
    wallet: str
    amount: int | None


def parse_rows(text: str, decimals: int, unit: str, amount_required: bool) -> tuple[list[Row], list[str]]:
    """The rows of a ``wallet,amount`` CSV and every problem found, each with its line number."""
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    if "wallet" not in columns or (amount_required and "amount" not in columns):
        return [], [
            f"need the column(s) wallet{',amount' if amount_required else '[,amount]'}, found {','.join(columns) or 'none'}"
        ]
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        try:
            wallet = parse_wallet(record.get("wallet") or "")
            amount_text = (record.get("amount") or "").strip()
            if not amount_text and amount_required:
                raise ValueError("amount missing")
            amount = parse_amount(amount_text, decimals, unit) if amount_text else None
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if wallet in seen:
            errors.append(f"line {line}: wallet {wallet} already on line {seen[wallet]}")
            continue
        seen[wallet] = line
        rows.append(Row(line, wallet, amount))
    if not rows and not errors:
        errors.append("no rows")
    return rows, errors


def refuse_rows(name: str, errors: Sequence[str]) -> None:
    """One error line listing every bad row (the first twenty, then a count)."""
    if errors:
        shown = "; ".join(errors[:20]) + (f"; and {len(errors) - 20} more" if len(errors) > 20 else "")
        raise RwaError(f"{name}: {len(errors)} bad row(s), nothing sent: {shown}")


def chunks(items: Sequence[Row], size: int) -> Iterable[Sequence[Row]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the factory -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """A property as the factory lists it."""

    id: bytes
    name: str
    symbol: str
    decimals: int
    token: str
    compliance: str
    distributor: str
    legal_doc_hash: bytes
    legal_doc_uri: str
    factory: str
    record_name: str | None  # its entry in the deployments record, when the manifest made it

    @property
    def label(self) -> str:
        """How proposals and messages name the token contract."""
        return self.record_name or f"PropertyToken({self.symbol})"

    def amount(self, text: str) -> int:
        return amount_of(text, self.decimals, self.symbol)

    def units(self, value: int) -> str:
        return format_units(value, self.decimals)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": "0x" + self.id.hex(),
            "name": self.name,
            "symbol": self.symbol,
            "decimals": self.decimals,
            "token": self.token,
            "compliance": self.compliance,
            "distributor": self.distributor,
            "legalDocHash": "0x" + self.legal_doc_hash.hex(),
            "legalDocURI": self.legal_doc_uri,
            "record": self.record_name,
        }


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
LEGACY_TRACKING_BIT = 128


def upgrade_follow_ups(target: Target, name: str) -> list[actions.Action]:
    """What the upgrade of manifest entry ``name`` needs right after it: for a ModularCompliance recorded before
    per-wallet tracking, one `resync` per property whose compliance tracks holders (none otherwise)."""
    entry = ((load_record(target) or {}).get("contracts") or {}).get(name) or {}
    if target.manifest.entry(name).contract_type != "ModularCompliance":
        return []
    members = ((entry.get("storageLayout") or {}).get("namespaces") or {}).get(COMPLIANCE_NAMESPACE)
    if members is None or any(m.get("label") == PER_WALLET_TRACKING for m in members):
        return []
    tokens = [Token(target, prop) for prop in Properties(target).all()]
    return [token.resync_action(per_wallet=False) for token in tokens if token.tracking()]


class Properties:
    """The network's PropertyTokenFactory: list, find and create properties."""

    def __init__(self, target: Target, via: str | None = None):
        self.target = target
        self.record = load_record(target) or {}
        self.factory = actions.deployed(target, FACTORY)
        self.writer = Writer(target, via)
        self._recorded = {
            to_checksum_address(entry["address"]): name
            for name, entry in self.record.get("contracts", {}).items()
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
            {**p.as_json(), "totalSupply": p.units(int(self.target.chain.call(p.token, abi, "totalSupply", [])))}
            for p in found
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
            listed = [] if _BYTES32_RE.fullmatch(text) else self.all()
            matches = [p for p in listed if p.symbol == text] or [p for p in listed if p.symbol.lower() == text.lower()]
        if len(matches) > 1:
            ids = ", ".join("0x" + p.id.hex() for p in matches)
            raise RwaError(
                f"symbol '{text}' names {len(matches)} properties on {self.target.network.name}: use an id ({ids})"
            )
        if not matches:
            raise RwaError(
                f"unknown property '{reference}' on {self.target.network.name} (rwa property list shows them)"
            )
        return matches[0]

    def default_pauser(self) -> str:
        """The manifest's ``property_pauser`` (the guardian Safe), resolved on this network."""
        if "property_pauser" not in self.target.network.params:
            raise RwaError(f"network {self.target.network.name} has no property_pauser parameter: pass --pauser")
        pauser = resolve_param(self.target, self.record, "property_pauser")
        if pauser is not None:
            return to_checksum_address(pauser)
        raise RwaError(f"the property pauser is not deployed on {self.target.network.name}: pass --pauser")

    def create(self, spec: NewProperty, agent: str, pauser: str) -> tuple[Property | None, str]:
        """Create the property (token, compliance and distributor); the five agent roles go to
        ``agent`` and pausing to ``pauser``. Returns the property (None when proposed) and the tx."""
        if self.exists(spec.id):
            existing = self.get(spec.id)
            raise RwaError(f"property '{spec.label}' exists already ({existing.symbol}, token {existing.token})")
        agents = (agent,) * 5 + (pauser,)
        receipt = self.writer.send(actions.Action(self.factory, "createProperty", (spec.as_tuple(), agents)))
        if receipt is None:
            return None, PROPOSED
        made = self.get(spec.id)
        created.record(self.target, "properties", spec.label, self._record_entry(made, receipt))
        return made, receipt.hash

    def _record_entry(self, made: Property, receipt: Receipt) -> dict[str, Any]:
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

    def propose(self, title: str) -> dict[str, Any] | None:
        return self.writer.propose(title)


@dataclass(frozen=True)
class Coin:
    """The stablecoin dividends are paid in."""

    contract: actions.Deployed
    symbol: str
    decimals: int

    def amount(self, text: str) -> int:
        return amount_of(text, self.decimals, self.symbol)

    def units(self, value: int) -> str:
        return format_units(value, self.decimals)


# --- one property ------------------------------------------------------------------------------


class Token:
    """One property's token (and its compliance and registry): reads, agent writes, holder transfers.

    With ``via``, writes become one proposal (see :meth:`propose`); pre-checks still apply.
    """

    def __init__(self, target: Target, prop: Property, via: str | None = None):
        self.target = target
        self.prop = prop
        self.contract = actions.instance(target, prop.label, prop.token, "PropertyToken")
        self.compliance = actions.Deployed(
            f"ModularCompliance({prop.symbol})", prop.compliance, target.artifacts["ModularCompliance"].abi
        )
        self.writer = Writer(target, via, explain=self._explain)
        registry = to_checksum_address(self.read("identityRegistry"))
        self.registry = actions.Deployed("ComplianceRegistry", registry, target.artifacts["ComplianceRegistry"].abi)

    # --- reads ---

    def read(self, function: str, *args: Any) -> Any:
        return actions.read(self.target, self.contract, function, *args)

    @cached_property
    def coin(self) -> Coin:
        address = to_checksum_address(self.read("dividendToken"))
        # Any ERC-20 will do: the local MockStablecoin's ABI has every function used here.
        contract = actions.Deployed("Stablecoin", address, self.target.artifacts["MockStablecoin"].abi)
        symbol = actions.read(self.target, contract, "symbol")
        return Coin(contract, symbol, int(actions.read(self.target, contract, "decimals")))

    def signer(self) -> str:
        if self.target.account is None:
            raise RwaError("this action needs an account (--account)")
        return to_checksum_address(self.target.account.address)

    def balance(self, wallet: str) -> int:
        return int(self.read("balanceOf", wallet))

    def frozen_tokens(self, wallet: str) -> int:
        return int(self.read("getFrozenTokens", wallet))

    def created_block(self) -> int:
        """The block the factory created the property in: where its history starts."""
        abi = self.target.artifacts[FACTORY].abi
        events = self.target.chain.events(self.prop.factory, abi, "PropertyCreated", 0, {"propertyId": self.prop.id})
        return events[0].block if events else 0

    def received_wallets(self) -> list[str]:
        """Every wallet that ever received tokens, in the order they first did."""
        events = self.target.chain.events(self.prop.token, self.contract.abi, "Transfer", self.created_block())
        return list(dict.fromkeys(str(to_checksum_address(e.args["to"])) for e in events if e.args["to"] != ZERO_ADDRESS))

    def holder_wallets(self) -> list[str]:
        """Every wallet that ever received tokens and holds some now, largest balance first."""
        balances = {wallet: self.balance(wallet) for wallet in self.received_wallets()}
        return sorted((w for w, b in balances.items() if b), key=lambda w: -balances[w])

    def position(self, wallet: str) -> dict[str, Any]:
        """What a wallet holds, what of it is frozen, and who the registry says it is."""
        balance, frozen = self.balance(wallet), self.frozen_tokens(wallet)
        (investor_id, country, flags, _), sanctioned = actions.read(self.target, self.registry, "recordOf", wallet)
        return {
            "wallet": wallet,
            "balance": self.prop.units(balance),
            "frozen": self.prop.units(frozen),
            "free": self.prop.units(max(balance - frozen, 0)),
            "walletFrozen": bool(self.read("isFrozen", wallet)),
            "investorId": str(investor_id),
            "country": country,
            "flags": flag_names(flags),
            "sanctioned": sanctioned,
            "verified": self.verified(wallet),
            "claimable": self.coin.units(int(self.read("claimableDividendsOf", wallet))),
        }

    def verified(self, wallet: str) -> bool:
        return bool(actions.read(self.target, self.registry, "isVerified", wallet))

    def holders(self) -> list[dict[str, Any]]:
        return [self.position(wallet) for wallet in self.holder_wallets()]

    def summary(self) -> dict[str, Any]:
        """Metadata, contracts, supply, state, modules, holders and dividends deposited."""
        distributor_abi = self.target.artifacts["DividendDistributor"].abi
        deposited = int(self.target.chain.call(self.prop.distributor, distributor_abi, "totalDeposited", []))
        return {
            **self.prop.as_json(),
            "totalSupply": self.prop.units(int(self.read("totalSupply"))),
            "paused": bool(self.read("paused")),
            "createdBlock": self.created_block(),
            "modules": self.modules(),
            "holders": len(self.holder_wallets()),
            "dividendsDeposited": self.coin.units(deposited),
            "stablecoin": self.coin.symbol,
        }

    def module_bits(self) -> dict[str, int]:
        """Each module's bit, by the name the CLI shows (``MODULE_MAX_HOLDERS`` → ``max-holders``),
        read from the compliance contract's own constants."""
        names = [
            item["name"]
            for item in self.compliance.abi
            if item.get("type") == "function" and item["name"].startswith(MODULE_PREFIX) and not item.get("inputs")
        ]
        bits = {
            name[len(MODULE_PREFIX) :].lower().replace("_", "-"): int(actions.read(self.target, self.compliance, name))
            for name in names
        }
        return dict(sorted(bits.items(), key=lambda item: item[1]))

    def setting_functions(self) -> dict[str, str]:
        """Each setting the compliance has, by the name the CLI shows, and its setter (from the ABI)."""
        return {
            kebab(item["name"][len(SETTER_PREFIX) :]): item["name"]
            for item in self.compliance.abi
            if item.get("type") == "function"
            and item["name"].startswith(SETTER_PREFIX)
            and len(item.get("inputs", [])) == 1
            and item.get("stateMutability") == "nonpayable"
        }

    def compliance_state(self) -> dict[str, Any]:
        """Every built-in module (enabled or not) with the settings, the external modules, and tracking."""
        enabled = int(actions.read(self.target, self.compliance, "modules"))
        views = {name: self._setting(name) for name in self.setting_functions()}
        return {
            "property": self.prop.symbol,
            "compliance": self.prop.compliance,
            "active": bool(self.read("complianceActive")),
            "modules": [
                {"module": name, "bit": bit, "enabled": bool(enabled & bit)} for name, bit in self.module_bits().items()
            ],
            "settings": views,
            "countries": self.allowed_countries(),
            "externalModules": self._external_modules(),
            "maxExternalModules": int(actions.read(self.target, self.compliance, "MAX_EXTERNAL_MODULES")),
            "tracking": bool(actions.read(self.target, self.compliance, "isTracking")),
            "investors": int(actions.read(self.target, self.compliance, "holderCount")),
        }

    def _setting(self, name: str) -> Any:
        getter = self.setting_functions()[name][len(SETTER_PREFIX) :]
        value = int(actions.read(self.target, self.compliance, getter[0].lower() + getter[1:]))
        if name in AMOUNT_SETTINGS:
            return self.prop.units(value)
        if name in DURATION_SETTINGS:
            return format_duration(value)
        return value

    def module_bit(self, name: str) -> int:
        bits = self.module_bits()
        if name not in bits:
            raise RwaError(f"unknown module {name!r}: the compliance has {', '.join(bits)}")
        return bits[name]

    def enable_module(self, name: str) -> str:
        bit = self.module_bit(name)
        if int(actions.read(self.target, self.compliance, "modules")) & bit:
            raise RwaError(f"module {name} is enabled already on {self.prop.symbol}")
        return self._send_compliance("addModule", bit)

    def disable_module(self, name: str) -> str:
        bit = self.module_bit(name)
        if not int(actions.read(self.target, self.compliance, "modules")) & bit:
            raise RwaError(f"module {name} is not enabled on {self.prop.symbol}")
        return self._send_compliance("removeModule", bit)

    def set_setting(self, name: str, text: str) -> str:
        """One setting (``max-balance 1000``, ``lockup-period 30d``, ...), its value read as it means."""
        setters = self.setting_functions()
        if name not in setters:
            raise RwaError(f"unknown setting {name!r}: the compliance has {', '.join(sorted(setters))}, countries")
        try:
            if name in AMOUNT_SETTINGS:
                value = self.prop.amount(text)
            elif name in DURATION_SETTINGS:
                value = parse_duration(text)
            else:
                value = parse_int(text, name, 0, 2**32 - 1)
        except ValueError as exc:
            raise RwaError(str(exc)) from None
        return self._send_compliance(setters[name], value)

    def allow_countries(self, countries: list[int], allowed: bool) -> str:
        return self._send_compliance("setCountriesAllowed", countries, allowed)

    def add_external_module(self, module: str) -> str:
        if module in self._external_modules():
            raise RwaError(f"{module} is already an external module of {self.prop.symbol}")
        return self._send_compliance("addExternalModule", module)

    def remove_external_module(self, module: str) -> str:
        if module not in self._external_modules():
            raise RwaError(f"{module} is not an external module of {self.prop.symbol}")
        return self._send_compliance("removeExternalModule", module)

    def resync(self) -> str:
        """Recount holder tracking from the chain (see :meth:`resync_action`)."""
        return self._send_compliance("resync", *self.resync_action().args)

    def resync_action(self, per_wallet: bool = True) -> actions.Action:
        """The compliance's `resync` as it wants it: every investor id with a tracked balance (any id a wallet
        that ever received the token was counted under, with ``per_wallet``, or registered as), and every
        holding wallet in ascending order. The compliance refuses a recount that is not exact when it runs (a
        holder who arrived after this was computed, a stale id left out), so a proposal never applies it stale."""
        received = self.received_wallets()
        wallets = sorted((w for w in received if self.balance(w)), key=lambda w: int(w, 16))
        ids = {int(actions.read(self.target, self.registry, "investorIdOf", w)) for w in received}
        if per_wallet:
            ids |= {int(actions.read(self.target, self.compliance, "countedInvestor", w)) for w in received}
        abi = self.target.artifacts["ComplianceRegistry"].abi
        wanted = {w.lower() for w in received}
        for event in self.target.chain.events(self.registry.address, abi, "IdentityRegistered", 0):
            if str(event.args["wallet"]).lower() in wanted:
                ids.add(int(event.args["investorId"]))
        ids.discard(0)
        stale = sorted(i for i in ids if int(actions.read(self.target, self.compliance, "investorBalance", i)))
        return actions.Action(self.compliance, "resync", (stale, wallets))

    def tracking(self) -> bool:
        """Whether the compliance tracks holders (before `isTracking`, bit 7 of `modules`)."""
        try:
            return bool(actions.read(self.target, self.compliance, "isTracking"))
        except RwaError:
            return bool(int(actions.read(self.target, self.compliance, "modules")) & LEGACY_TRACKING_BIT)

    def _external_modules(self) -> list[str]:
        return [str(to_checksum_address(a)) for a in actions.read(self.target, self.compliance, "externalModules")]

    def _send_compliance(self, function: str, *args: Any) -> str:
        try:
            receipt = self.writer.send(actions.Action(self.compliance, function, args))
        except RwaError as exc:
            if "OnlyTokenAdmin(" not in str(exc):
                raise
            raise RwaError(f"{exc}: the token's admin configures its compliance (the timelock: --via safe)") from None
        return receipt.hash if receipt else PROPOSED

    def modules(self) -> list[dict[str, Any]]:
        """The compliance's enabled modules, each with its settings."""
        enabled = int(actions.read(self.target, self.compliance, "modules"))
        return [{"module": name, **self._settings(name)} for name, bit in self.module_bits().items() if enabled & bit]

    def _settings(self, module: str) -> dict[str, Any]:
        def view(function: str) -> int:
            return int(actions.read(self.target, self.compliance, function))

        if module == "country-allow":
            return {"countries": self.allowed_countries()}
        if module == "max-balance":
            return {"maxBalance": self.prop.units(view("maxBalance"))}
        if module == "max-holders":
            return {"maxHolders": view("maxHolders"), "investors": view("holderCount")}
        if module == "lockup":
            return {"lockupSeconds": view("lockupPeriod")}
        if module == "supply-cap":
            return {"supplyCap": self.prop.units(view("supplyCap"))}
        return {}

    def allowed_countries(self) -> list[int]:
        """The allow-list, replayed from its events (the contract keeps bits, not a list)."""
        allowed: set[int] = set()
        for event in self.target.chain.events(
            self.prop.compliance, self.compliance.abi, "CountryAllowed", self.created_block()
        ):
            (allowed.add if event.args["allowed"] else allowed.discard)(int(event.args["country"]))
        return sorted(allowed)

    # --- writes ---

    def send(self, function: str, *args: Any) -> Receipt | None:
        """Send (or, with ``via``, keep for the proposal) one call of the token."""
        return self.writer.send(actions.Action(self.contract, function, args))

    def _send(self, function: str, *args: Any) -> str:
        receipt = self.send(function, *args)
        return receipt.hash if receipt else PROPOSED

    def _explain(self, message: str) -> str:
        if "ModuleNeedsEmptyToken(" in message:  # a holder-counting module on a token whose holders are not counted
            return (
                f"{message}: {self.prop.symbol} has supply and its compliance does not count its holders; resync it "
                f"first (ModularCompliance.resync(staleInvestors, wallets) on {self.prop.compliance}, by its owner), "
                "then enable the module"
            )
        return actions.explain_refusal(self.target, message, self.contract)

    def propose(self, title: str) -> dict[str, Any] | None:
        return self.writer.propose(title)

    def batch_cap(self) -> int:
        return int(self.read("MAX_BATCH"))

    def mint(self, wallet: str, amount: int) -> str:
        return self._send("mint", wallet, amount)

    def burn(self, wallet: str, amount: int) -> str:
        self._require_balance(wallet, amount, "burn")
        return self._send("burn", wallet, amount)

    def force_transfer(self, source: str, destination: str, amount: int) -> str:
        self._require_balance(source, amount, "force-transfer")
        return self._send("forcedTransfer", source, destination, amount)

    def transfer(self, destination: str, amount: int) -> str:
        """An ordinary transfer by the signer, every rule applying."""
        source = self.signer()
        balance, frozen = self.balance(source), self.frozen_tokens(source)
        free = max(balance - frozen, 0)
        if amount > free:
            raise RwaError(
                f"transfer of {self.prop.units(amount)} {self.prop.symbol} exceeds the free balance of {source}: "
                f"{self.prop.units(free)} ({self.prop.units(balance)} held, {self.prop.units(frozen)} frozen)"
            )
        return self._send("transfer", destination, amount)

    def freeze(self, wallet: str, amount: int | None) -> str:
        """Freeze the whole wallet (``amount`` None) or ``amount`` more of its tokens."""
        if amount is None:
            if self.read("isFrozen", wallet):
                raise RwaError(f"{wallet} is frozen already on {self.prop.symbol}")
            return self._send("setAddressFrozen", wallet, True)
        free = self.balance(wallet) - self.frozen_tokens(wallet)
        if amount > free:
            raise RwaError(self._freeze_excess(wallet, amount, free))
        return self._send("freezePartialTokens", wallet, amount)

    def unfreeze(self, wallet: str, amount: int | None) -> str:
        """Unfreeze the wallet (``amount`` None) or ``amount`` of its frozen tokens."""
        if amount is None:
            if not self.read("isFrozen", wallet):
                raise RwaError(
                    f"{wallet} is not frozen on {self.prop.symbol} (partly frozen tokens: unfreeze --amount)"
                )
            return self._send("setAddressFrozen", wallet, False)
        frozen = self.frozen_tokens(wallet)
        if amount > frozen:
            raise RwaError(
                f"cannot unfreeze {self.prop.units(amount)} {self.prop.symbol}: {wallet} has {self.prop.units(frozen)} frozen"
            )
        return self._send("unfreezePartialTokens", wallet, amount)

    def recover(self, lost: str, new: str) -> str:
        """Move everything of a lost wallet to a new wallet of the same investor."""
        if not self.balance(lost):
            raise RwaError(f"{lost} holds no {self.prop.symbol}: nothing to recover")
        lost_id = int(actions.read(self.target, self.registry, "investorIdOf", lost))
        new_id = int(actions.read(self.target, self.registry, "investorIdOf", new))
        if not lost_id or new_id != lost_id:
            whose = f"investor {new_id}" if new_id else "no investor"
            raise RwaError(
                f"{new} belongs to {whose}, not to investor {lost_id} of {lost}: register it under investor "
                f"{lost_id} first (rwa kyc set {new} --investor-id {lost_id} ...)"
            )
        # The standard's third argument is the investor's ONCHAINID: the identity the registry reports for it.
        identity = to_checksum_address(actions.read(self.target, self.registry, "identity", lost))
        return self._send("recoveryAddress", lost, new, identity)

    def pause(self) -> str:
        if self.read("paused"):
            raise RwaError(f"{self.prop.symbol} is paused already")
        return self._send("pause")

    def unpause(self) -> str:
        if not self.read("paused"):
            raise RwaError(f"{self.prop.symbol} is not paused")
        return self._send("unpause")

    # --- CSV batches ---

    def mint_rows(self, text: str, name: str) -> list[Row]:
        """A mint CSV validated whole: amounts, duplicates, and every recipient verified."""
        rows, errors = parse_rows(text, self.prop.decimals, self.prop.symbol, amount_required=True)
        errors += [
            f"line {r.line}: {r.wallet} is not verified (rwa kyc show {r.wallet})"
            for r in rows
            if not self.verified(r.wallet)
        ]
        refuse_rows(name, sorted(errors, key=_line_number))
        return rows

    def freeze_rows(self, text: str, name: str) -> list[Row]:
        """A freeze CSV validated whole: a partial freeze may not exceed what is still free."""
        rows, errors = parse_rows(text, self.prop.decimals, self.prop.symbol, amount_required=False)
        for row in rows:
            if row.amount is not None:
                free = self.balance(row.wallet) - self.frozen_tokens(row.wallet)
                if row.amount > free:
                    errors.append(f"line {row.line}: {self._freeze_excess(row.wallet, row.amount, free)}")
        refuse_rows(name, sorted(errors, key=_line_number))
        return rows

    def send_mints(self, rows: Sequence[Row], size: int, advance: Callable[[int], None]) -> list[str]:
        return self._send_batches("batchMint", rows, size, advance)

    def send_freezes(self, rows: Sequence[Row], size: int, advance: Callable[[int], None]) -> list[str]:
        """Whole-wallet freezes, then partial ones: each kind has its own batch function."""
        whole = [r for r in rows if r.amount is None]
        partial = [r for r in rows if r.amount is not None]
        return self._send_batches("batchSetAddressFrozen", whole, size, advance) + self._send_batches(
            "batchFreezePartialTokens", partial, size, advance, sent=len(whole)
        )

    def _send_batches(
        self, function: str, rows: Sequence[Row], size: int, advance: Callable[[int], None], sent: int = 0
    ) -> list[str]:
        """Rows in batches of at most the contract's cap, each simulated before it is sent."""
        size = min(size, self.batch_cap())
        hashes = []
        for batch in chunks(rows, size):
            values = [True if r.amount is None else r.amount for r in batch]
            try:
                hashes.append(self._send(function, [r.wallet for r in batch], values))
            except RwaError as exc:
                raise RwaError(f"{exc} (lines {batch[0].line}-{batch[-1].line}; {sent} earlier row(s) sent)") from None
            sent += len(batch)
            advance(len(batch))
        return hashes

    # --- helpers ---

    def _require_balance(self, wallet: str, amount: int, action: str) -> None:
        balance = self.balance(wallet)
        if amount > balance:
            raise RwaError(
                f"{action} of {self.prop.units(amount)} {self.prop.symbol} exceeds the balance of {wallet}: "
                f"{self.prop.units(balance)}"
            )

    def _freeze_excess(self, wallet: str, amount: int, free: int) -> str:
        return (
            f"cannot freeze {self.prop.units(amount)} {self.prop.symbol}: the free balance of {wallet} is "
            f"{self.prop.units(max(free, 0))}"
        )


def _line_number(error: str) -> int:
    match = re.match(r"line (\d+):", error)
    return int(match.group(1)) if match else 0
