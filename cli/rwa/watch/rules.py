"""What the watcher watches and when it raises an alert.

The watched contracts (:class:`Subject`) come from the deployments record and, for factory-made
properties and vaults, from their factories' creation events. Their event ABIs come from the
compiled artifacts. The built-in rules (:data:`BUILT_IN`) need no configuration; a team adds its own
in a small YAML or Python file (:func:`load_custom`), validated at start with every problem listed.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from eth_abi import decode
from eth_utils import keccak

from rwa.chain.artifacts import Artifact
from rwa.chain.reverts import SUITE_ROLES
from rwa.core.abi import ZERO_ADDRESS, checksummed, jsonable, role_id, signature, type_string
from rwa.core.errors import RwaError
from rwa.watch.lapses import LAPSED, LAPSED_INPUTS

SEVERITIES = ("info", "warning", "critical")
#: Contract types whose events any contract of the suite may emit through its proxy.
PROXY_TYPES = ("Beacon", "BeaconInstanceProxy", "PropertyBeaconProxy", "TransparentProxy", "UUPSProxy")
#: Factories and what their creation events make: event, then (argument, kind, part) per contract made.
FACTORIES: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "PropertyTokenFactory": (
        "PropertyCreated",
        (
            ("token", "PropertyToken", "token"),
            ("compliance", "ModularCompliance", "compliance"),
            ("distributor", "DividendDistributor", "distributor"),
        ),
    ),
    "NILVaultFactory": ("VaultCreated", (("vault", "NILVault", "vault"),)),
    "PropertyOfferingFactory": ("OfferingCreated", (("offering", "PropertyOffering", "offering"),)),
}
ROLE_NAMES = {role_id(name): name for name in (*SUITE_ROLES, "DEFAULT_ADMIN_ROLE")}

ANY = None
# (category, event, contract kinds or ANY, severity): one rule per line, named "<category>.<event>".
BUILT_IN: tuple[tuple[str, str, frozenset[str] | None, str], ...] = tuple(
    (category, event, frozenset(kinds) if kinds else None, severity)
    for category, event, kinds, severity in (
        ("timelock", "CallScheduled", ("Timelock",), "critical"),
        ("timelock", "CallExecuted", ("Timelock",), "warning"),
        ("timelock", "Cancelled", ("Timelock",), "warning"),
        ("timelock", "MinDelayChange", ("Timelock",), "critical"),
        ("roles", "RoleGranted", ANY, "warning"),
        ("roles", "RoleRevoked", ANY, "warning"),
        ("roles", "RoleAdminChanged", ANY, "critical"),
        ("ownership", "OwnershipTransferred", ANY, "critical"),
        ("ownership", "PropertyOwnerSet", ANY, "warning"),
        ("upgrades", "Upgraded", ANY, "critical"),
        ("upgrades", "BeaconUpgraded", ANY, "critical"),
        ("upgrades", "AdminChanged", ANY, "critical"),
        ("upgrades", "BeaconSet", ANY, "critical"),
        ("safe", "AddedOwner", ("SafeL2",), "critical"),
        ("safe", "RemovedOwner", ("SafeL2",), "critical"),
        ("safe", "ChangedThreshold", ("SafeL2",), "critical"),
        ("safe", "EnabledModule", ("SafeL2",), "critical"),
        ("safe", "DisabledModule", ("SafeL2",), "warning"),
        ("safe", "ChangedGuard", ("SafeL2",), "critical"),
        ("safe", "ChangedFallbackHandler", ("SafeL2",), "warning"),
        ("safe", "ExecutionFailure", ("SafeL2",), "warning"),
        ("safe", "ExecutionFromModuleFailure", ("SafeL2",), "warning"),
        ("safe", "SafeSetup", ("SafeL2",), "info"),
        ("safe", "SignMsg", ("SafeL2",), "warning"),
        # How an act was done: each leads an alert only when its transaction did nothing else a rule knows.
        ("safe", "ExecutionSuccess", ("SafeL2",), "info"),
        ("safe", "ExecutionFromModuleSuccess", ("SafeL2",), "warning"),
        ("property", "Paused", ("PropertyToken",), "critical"),
        ("property", "Unpaused", ("PropertyToken",), "warning"),
        ("property", "AddressFrozen", ("PropertyToken",), "warning"),
        ("property", "TokensFrozen", ("PropertyToken",), "warning"),
        ("property", "TokensUnfrozen", ("PropertyToken",), "info"),
        ("property", "RecoverySuccess", ("PropertyToken",), "warning"),
        ("property", "ForcedTransfer", ("PropertyToken",), "warning"),
        ("property", "AgentAdded", ("PropertyToken",), "warning"),
        ("property", "AgentRemoved", ("PropertyToken",), "warning"),
        ("property", "DividendDistributorSet", ("PropertyToken",), "critical"),
        ("property", "UpdatedTokenInformation", ("PropertyToken",), "warning"),
        ("property", "PropertyCreated", ("PropertyTokenFactory",), "info"),
        ("property", "LegalDocumentUpdated", ("PropertyTokenFactory",), "warning"),
        ("dividends", "DustSwept", ("DividendDistributor",), "warning"),
        ("dividends", "HandedOver", ("DividendDistributor",), "warning"),
        ("compliance", "ComplianceAdded", ("PropertyToken",), "warning"),
        ("compliance", "IdentityRegistryAdded", ("PropertyToken",), "warning"),
        ("compliance", "ComplianceEnforcementChanged", ("PropertyToken",), "critical"),
        ("compliance", "CountryAllowed", ("ModularCompliance",), "warning"),
        ("compliance", "ModuleAdded", ("ModularCompliance",), "warning"),
        ("compliance", "ModuleRemoved", ("ModularCompliance",), "warning"),
        ("compliance", "ExternalModuleAdded", ("ModularCompliance",), "critical"),
        ("compliance", "ExternalModuleRemoved", ("ModularCompliance",), "warning"),
        ("compliance", "InvestorBalanceReset", ("ModularCompliance",), "warning"),
        ("compliance", "MaxBalanceSet", ("ModularCompliance",), "warning"),
        ("compliance", "MaxHoldersSet", ("ModularCompliance",), "warning"),
        ("compliance", "SupplyCapSet", ("ModularCompliance",), "warning"),
        ("compliance", "LockupPeriodSet", ("ModularCompliance",), "warning"),
        ("registry", "SanctionsUpdated", ("ComplianceRegistry",), "critical"),
        ("registry", "IdentityRevoked", ("ComplianceRegistry",), "warning"),
        ("registry", "AttestationsVoided", ("ComplianceRegistry",), "warning"),
        ("vault", "Paused", ("NILVault",), "critical"),
        ("vault", "Unpaused", ("NILVault",), "warning"),
        ("vault", "DealDisputed", ("NILVault",), "warning"),
        ("vault", "AthleteChanged", ("NILVault",), "warning"),
        ("vault", "SplitterChanged", ("NILVault",), "warning"),
        ("vault", "DealSettled", ("NILVault",), "warning"),
        ("vault", "DealRefunded", ("NILVault",), "warning"),
        ("vault", "VaultCreated", ("NILVaultFactory",), "info"),
        ("offering", "OfferingCreated", ("PropertyOfferingFactory",), "info"),
        ("offering", "OfferingClosed", ("PropertyOffering",), "info"),
        ("offering", "OfferingCancelled", ("PropertyOffering",), "warning"),
        ("offering", "Accepted", ("PropertyOffering",), "info"),
        ("offering", "Rejected", ("PropertyOffering",), "info"),
        ("offering", "MinterRenounced", ("PropertyOffering",), "info"),
        ("offering", "CustodyTaken", ("PropertyOffering",), "info"),
        ("offering", "CustodianRenounced", ("PropertyOffering",), "info"),
        ("payments", "OrderRefunded", ("FanPayments",), "warning"),
        ("payments", "AmlThresholdSet", ("FanPayments",), "warning"),
        # Synthetic: a membership's expiry passed with no renewal (rwa.watch.lapses).
        ("memberships", LAPSED, ("FanPayments",), "info"),
        # A size threshold is a custom rule: {event: TradeExecuted, above: {amount: 1000e18}}.
        ("market", "TradeExecuted", ("PropertyMarket",), "info"),
        ("market", "FeeSet", ("PropertyMarket",), "warning"),
        ("market", "ApproverSet", ("PropertyMarket",), "warning"),
    )
)
#: A subscription paying more than this (stablecoin base units: 100,000 USDC) raises `offering.LargeSubscription`.
LARGE_SUBSCRIPTION = 100_000 * 10**6
#: A fan's payment above this many of the token's smallest units raises `payments.large` (10,000 of a
#: 6-decimal stablecoin; a team wanting another threshold writes a custom rule with `above`).
LARGE_PAYMENT = 10_000 * 10**6
#: Events of the suite's contracts that are not admin acts, and why: no rule is about them (a custom
#: rule may be). With :data:`BUILT_IN` they cover every event of every contract type the manifest
#: deploys (tests/watch/test_watch_rules.py fails on an event in neither).
ACTIVITY: dict[str, str] = {
    **dict.fromkeys(("Transfer", "Approval", "ApprovalForAll"), "holders' own movements (mints and burns are rules)"),
    **dict.fromkeys(("DividendsDistributed", "DividendsClaimed", "Deposited"), "dividends paid in and claimed"),
    **dict.fromkeys(("IdentityRegistered", "NonceUsed", "UnorderedNonceInvalidation"), "the attestors' routine KYC"),
    **dict.fromkeys(("WalletCounted", "WalletLocked", "TrackingChanged"), "the compliance's own bookkeeping of movements"),
    **dict.fromkeys(("Initialized", "EIP712DomainChanged"), "a contract set up (its creation's other events say what)"),
    **dict.fromkeys(
        ("DealProposed", "DealAccepted", "DealFunded", "DealDelivered", "DealReleased", "DealCancelled", "Withdrawn", "FanPaid"),
        "brands, athletes and fans in the deal and payment flow (large payments are a rule)",
    ),
    "PaymentTermsSynced": "the payments hub's copy of a vault's terms (the vault's own pause and splitter change are rules)",
    **dict.fromkeys(
        (
            "PlanCreated",
            "PlanClosed",
            "PlanPriceChanged",
            "PriceAccepted",
            "AutoRenewSet",
            "SubscriptionCancelled",
            "SubscriptionUpdate",
        ),
        "athletes' membership plans and fans' subscriptions",
    ),
    **dict.fromkeys(("Locked", "Unlocked", "MetadataUpdate", "BatchMetadataUpdate"), "deal NFTs following their deals"),
    **dict.fromkeys(
        ("Allocated", "Claimed", "Distributed", "PushFailed", "Received", "Withheld", "SplitCreated"), "revenue splits paid out"
    ),
    **dict.fromkeys(("Subscribed", "Refunded", "ProceedsSent"), "investors' subscriptions (large ones are a rule)"),
    **dict.fromkeys(
        ("OrdersMatched", "OrderPresigned", "OrderCancelled", "NonceInvalidation", "EpochAdvanced", "TradeApproved"),
        "the market's traders and approvers",
    ),
    **dict.fromkeys(
        ("ApproveHash", "SafeReceived", "ProxyCreation"), "Safe owners' approvals, incoming funds, anyone's new Safe"
    ),
    **dict.fromkeys(
        ("SafeMultiSigTransaction", "SafeModuleTransaction", "CallSalt"), "how an act was done: told in the act's alert"
    ),
}


@dataclass(frozen=True)
class Subject:
    """A watched contract: its address, the name alerts give it, and its contract type."""

    address: str
    label: str
    kind: str
    property_id: str | None = None  # a property token's on-chain id (keccak of its text id)
    block: int | None = None  # discovered from a factory event in this block (None: from the record)
    parent: str | None = None  # a property's compliance and distributor: its token's address


class Log(NamedTuple):  # a tuple: made by the hundred thousand in a backfill
    """A decoded event of a watched contract."""

    subject: Subject
    name: str
    block: int
    block_hash: str
    tx: str
    log_index: int
    args: dict[str, Any]


@dataclass(frozen=True)
class Rule:
    name: str
    event: str
    severity: str
    kinds: frozenset[str] | None = None  # contract types it applies to (None: any)
    addresses: frozenset[str] | None = None  # custom rules naming contracts
    where: Mapping[str, Any] | Callable[[dict[str, Any]], bool] | None = None
    above: Mapping[str, int] = field(default_factory=dict)
    message: str | None = None

    def applies(self, log: Log) -> bool:
        if log.name != self.event:
            return False
        if self.kinds is not None and log.subject.kind not in self.kinds:
            return False
        if self.addresses is not None and log.subject.address not in self.addresses:
            return False
        if callable(self.where):
            if not self.where(dict(log.args)):
                return False
        elif self.where and not all(_same(log.args.get(key), wanted) for key, wanted in self.where.items()):
            return False
        return all(_number(log.args.get(key)) > limit for key, limit in self.above.items())


def built_in_rules() -> list[Rule]:
    rules = [Rule(f"{category}.{event}", event, severity, kinds) for category, event, kinds, severity in BUILT_IN]
    large = Rule(
        "offering.LargeSubscription", "Subscribed", "warning", frozenset({"PropertyOffering"}), above={"paid": LARGE_SUBSCRIPTION}
    )
    payers = frozenset({"FanPayments"})  # the payments hub: every fan payment
    token = frozenset({"PropertyToken"})
    return [
        *rules,
        large,
        Rule("payments.large", "FanPaid", "warning", payers, above={"amount": LARGE_PAYMENT}),
        # Supply made or destroyed by an agent (or an offering): a Transfer from or to no one.
        Rule("property.Minted", "Transfer", "info", token, where={"from": ZERO_ADDRESS}),
        Rule("property.Burned", "Transfer", "warning", token, where={"to": ZERO_ADDRESS}),
    ]


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) and isinstance(value, str) and wanted.startswith("0x"):
        return wanted.lower() == value.lower()
    if isinstance(wanted, bool) or isinstance(value, bool):
        return bool(value) == bool(wanted)
    try:
        return _number(value) == _number(wanted)
    except (TypeError, ValueError):
        return bool(value == wanted)


def _number(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return int(Decimal(str(value)))


# --- event ABIs and decoding ------------------------------------------------------------------------


class Decoder:
    """Event ABIs by contract type, from the compiled artifacts (with the proxies' own events)."""

    def __init__(self, artifacts: Mapping[str, Artifact], recorded_abis: Mapping[str, Sequence[Mapping[str, Any]]] = {}):
        self.artifacts = artifacts
        self.recorded = recorded_abis
        proxy_items = [i for name in PROXY_TYPES if name in artifacts for i in artifacts[name].abi if i.get("type") == "event"]
        self.proxy_events = proxy_items
        self._by_kind: dict[str, dict[tuple[str, int], Mapping[str, Any]]] = {}
        self._plans: dict[tuple[str, str, int], EventPlan | None] = {}
        self._by_topic: dict[str, dict[str, tuple[int, EventPlan]]] = {}

    def events(self, kind: str) -> dict[tuple[str, int], Mapping[str, Any]]:
        """(topic0, number of topics) -> event ABI, for a contract type."""
        if kind not in self._by_kind:
            items = list(self.artifacts[kind].abi) if kind in self.artifacts else list(self.recorded.get(kind, []))
            table: dict[tuple[str, int], Mapping[str, Any]] = {}
            for item in [*self.proxy_events, *items]:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                topic = "0x" + keccak(text=signature(item)).hex()
                indexed = sum(1 for i in item.get("inputs", []) if i.get("indexed"))
                table[(topic, indexed + 1)] = item
            self._by_kind[kind] = table
        return self._by_kind[kind]

    def event_names(self, kind: str) -> set[str]:
        names = {str(item["name"]) for item in self.events(kind).values()}
        return names | ({LAPSED} if kind == "FanPayments" else set())

    def event_inputs(self, kind: str, name: str) -> list[Mapping[str, Any]] | None:
        if name == LAPSED and kind == "FanPayments":
            return list(LAPSED_INPUTS)
        for item in self.events(kind).values():
            if item["name"] == name:
                return list(item.get("inputs", []))
        return None

    def plan(self, kind: str, topic: str, count: int) -> EventPlan | None:
        """How to decode a log of ``kind`` with first topic ``topic`` and ``count`` topics (worked
        out once per event, then reused for every log: the watcher decodes thousands a second)."""
        key = (kind, topic, count)
        if key not in self._plans:
            item = self.events(kind).get((topic.lower(), count))
            self._plans[key] = None if item is None else EventPlan.of(item)
        return self._plans[key]

    def decode(self, subject: Subject, raw: Mapping[str, Any]) -> Log | None:
        """A raw log (``eth_getLogs``) of ``subject``, decoded; None when its ABI has no such event."""
        topics = raw.get("topics")
        if not topics:
            return None
        plan = self._plans.get((subject.kind, topics[0], len(topics))) or self.plan(subject.kind, str(topics[0]), len(topics))
        if plan is None:
            return None
        try:
            args = plan.arguments(topics, raw.get("data") or "0x")
        except Exception:
            return None
        return Log(
            subject,
            plan.name,
            int(raw["blockNumber"], 16),
            raw["blockHash"],
            raw["transactionHash"],
            int(raw["logIndex"], 16),
            args,
        )

    def by_topic(self, kind: str) -> dict[str, tuple[int, EventPlan]]:
        """A contract type's plans by first topic, with the number of topics their logs have (an event
        whose first topic another event of the type shares is left to :meth:`plan`)."""
        if kind not in self._by_topic:
            table: dict[str, tuple[int, EventPlan]] = {}
            shared = set()
            for topic, count in self.events(kind):
                plan = self.plan(kind, topic, count)
                if topic in table:
                    shared.add(topic)
                elif plan is not None:
                    table[topic] = (count, plan)
            self._by_topic[kind] = {topic: entry for topic, entry in table.items() if topic not in shared}
        return self._by_topic[kind]

    def decode_all(self, raw: Iterable[Mapping[str, Any]], subjects: Mapping[str, Subject]) -> list[Log]:
        """:meth:`decode` of many raw logs in one loop (the watcher's hot path), each of the subject
        ``subjects`` gives for its address as the node wrote it; those of no subject, removed, or of
        events their contract's ABI does not have are left out."""
        found: list[Log] = []
        append = found.append
        tables = {address: (subject, self.by_topic(subject.kind)) for address, subject in subjects.items()}
        number, block = None, 0  # the last log's block, as written and read (logs of a block come together)
        for item in raw:
            entry = tables.get(item["address"])
            topics = item.get("topics")
            if entry is None or not topics or item.get("removed"):
                continue
            subject, table = entry
            known = table.get(topics[0])
            plan = (
                known[1]
                if known is not None and known[0] == len(topics)
                else self._plans.get((subject.kind, topics[0], len(topics)))
                or self.plan(subject.kind, str(topics[0]), len(topics))
            )
            if plan is None:
                continue
            data = item.get("data") or "0x"
            args = None
            if plan.fast is not None:
                try:
                    args = plan.fast(topics, data)
                except ValueError:
                    pass
            if args is None:
                try:
                    args = plan.read(topics, data)
                except Exception:
                    continue
            if item["blockNumber"] != number:
                number = item["blockNumber"]
                block = int(number, 16)
            append(Log(subject, plan.name, block, item["blockHash"], item["transactionHash"], int(item["logIndex"], 16), args))
        return found


ONE_WORD = ("address", "bool")


def _one_word(kind: str) -> bool:
    """A static type that takes one 32-byte word (address, bool, uintN, intN, bytesN)."""
    return kind in ONE_WORD or (kind.startswith(("uint", "int", "bytes")) and kind != "bytes" and not kind.endswith("]"))


@lru_cache(maxsize=65536)
def _address(word: str) -> str:
    """The checksummed address in a word's 64 hex digits (the same few addresses recur: cached)."""
    return checksummed("0x" + word[24:])


def _reader(kind: str) -> Callable[[str], Any]:
    """How one 32-byte ABI word of a static type, as 64 hex digits, becomes the JSON value
    :func:`jsonable` gives."""
    if not _one_word(kind):  # read from its word only when indexed (a static value of another size)
        return lambda word: jsonable(decode([kind], bytes.fromhex(word))[0])
    if kind == "address":
        return _address
    if kind == "bool":
        return lambda word: word[-2:] == "01"
    if kind.startswith("uint"):
        return lambda word: jsonable(int(word, 16))
    if kind.startswith("int"):
        return _signed
    size = 2 * int(kind[5:])  # bytesN
    return lambda word: "0x" + word[:size]


def _signed(word: str) -> Any:
    value = int(word, 16)  # two's complement over the whole word (the ABI sign-extends intN)
    return jsonable(value - (1 << 256) if value >> 255 else value)


def _hashed(word: str) -> str:
    return "0x" + word  # a dynamic indexed value: only its hash is logged


def _integer(value: Any) -> str:
    return str(value) if type(value) is int else '"' + str(value) + '"'  # big ones are decimal text (jsonable)


def _boolean(value: Any) -> str:
    return "true" if value else "false"


def _writer(kind: str, indexed: bool) -> tuple[str, Callable[[Any], str] | None]:
    """How the JSON text of a decoded value of ``kind`` is written: its place in the template, and
    what writes it (None: the value is 0x-hex text, put between the quotes as it is)."""
    dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
    if (indexed and dynamic) or kind == "address" or (_one_word(kind) and kind.startswith("bytes")):
        return '"%s"', None
    if _one_word(kind) and kind.startswith(("uint", "int")):
        return "%s", _integer
    if kind == "bool":
        return "%s", _boolean
    return "%s", json.dumps


def _uint(word: str) -> Any:
    value = int(word, 16)
    return value if value < 2**53 else str(value)  # as jsonable gives it


def _word_value(kind: str, word: str) -> str | None:
    """Python source of the JSON value of a one-word ``kind`` read from ``word`` (source of its 64 hex
    digits), as :func:`jsonable` gives eth_abi's; None for a type of another size."""
    if not _one_word(kind):
        return None
    if kind == "address":
        return f"address({word})"
    if kind == "bool":
        return f'{word}[-2:] == "01"'
    if kind.startswith("uint"):
        return f"uint({word})"
    if kind.startswith("int"):
        return f"signed({word})"
    return f'"0x" + {word}[:{2 * int(kind[5:])}].lower()'  # bytesN


def _members(kind: str) -> list[str] | None:
    """The member types of a tuple of one-word types, ``(address,uint256,bool)``; None for another type."""
    if not (kind.startswith("(") and kind.endswith(")")) or "(" in kind[1:] or "[" in kind:
        return None
    members = kind[1:-1].split(",")
    return members if all(_one_word(member) for member in members) else None


def _compiled(
    fields: Sequence[tuple[str, bool, int, Callable[[str], Any]]], kinds: Sequence[str], template: str
) -> Callable[[Sequence[str], str], Arguments | None] | None:
    """A function, written for one event, that slices each value from the hex digits of the topics and
    data and writes the arguments and their JSON text in one go (what :meth:`EventPlan.arguments` does
    field by field through eth_abi, without a call or a loop per field). It reads one-word values,
    tuples of them, strings, bytes and arrays of one-word values laid out as the ABI's encoder lays
    them out (Solidity's events): for data laid out otherwise (offsets elsewhere, padding not zero,
    bytes after the last value) it gives None, and eth_abi decodes it. None for an event with a value
    of another type."""
    head = 0  # words of the data's head: one a value, a static tuple's words inline, an offset for a dynamic value
    for (_, indexed, _, _), kind in zip(fields, kinds):
        if not indexed:
            head += len(_members(kind) or [kind])
    lines = [
        "def fast(topics, data):",
        "    size = len(data)",
        f"    tail = {2 + 64 * head}",
        "    if size < tail:",
        "        return None",
    ]
    values, texts = [], []
    at = 0  # the head word being read
    for n, ((key, indexed, position, _), kind) in enumerate(zip(fields, kinds)):
        dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
        word = f"data[{2 + 64 * at}:{66 + 64 * at}]"
        if indexed:
            value = f'"0x" + topics[{position}][2:].lower()' if dynamic else _word_value(kind, f"topics[{position}][2:]")
        elif (members := _members(kind)) is not None:
            words = [f"data[{2 + 64 * (at + m)}:{66 + 64 * (at + m)}]" for m in range(len(members))]
            value = "[" + ", ".join(str(_word_value(member, w)) for member, w in zip(members, words)) + "]"
            at += len(members)
        elif kind in ("string", "bytes") or (kind.endswith("[]") and _one_word(kind[:-2])):
            # Its offset points where the tail is (the values before it end there), then its length.
            lines.append(f"    if int({word}, 16) != (tail - 2) // 2:\n        return None")
            lines.append("    length = int(data[tail:tail + 64], 16)\n    start = tail + 64")
            if kind.endswith("[]"):
                element = _word_value(kind[:-2], "data[p:p + 64]")
                lines.append("    tail = start + 64 * length\n    if tail > size:\n        return None")
                value = f"[{element} for p in range(start, tail, 64)]"
            else:
                lines.append("    end = start + 2 * length\n    tail = start + 64 * ((length + 31) // 32)")
                lines.append('    if tail > size or data[end:tail].strip("0"):\n        return None')
                value = 'bytes.fromhex(data[start:end]).decode("utf-8")' if kind == "string" else '"0x" + data[start:end].lower()'
            at += 1
        elif kind.startswith("uint") and _one_word(kind):  # inline: most events' values (a transfer's)
            lines.append(f"    v{n} = int({word}, 16)\n    if v{n} >= {2**53}:\n        v{n} = str(v{n})")
            value = f"v{n}"
            at += 1
        else:
            value = _word_value(kind, word)
            at += 1
        if value is None:
            return None
        if value != f"v{n}":
            lines.append(f"    v{n} = {value}")
        values.append((key, n))
        if indexed and dynamic or kind == "address" or (_one_word(kind) and kind.startswith("bytes")):
            texts.append(f"v{n}")  # 0x-hex text, between the template's quotes
        elif _one_word(kind) and kind.startswith(("uint", "int")):
            texts.append(f"integer(v{n})")
        elif kind == "bool":
            texts.append(f'("true" if v{n} else "false")')
        else:
            texts.append(f"dumps(v{n})")
    lines.append("    if tail != size:\n        return None")
    items = ", ".join(f"{json.dumps(key)}: v{n}" for key, n in values)
    lines.append(f"    args = Arguments({{{items}}})")
    lines.append(f"    args.text = TEMPLATE % ({''.join(t + ', ' for t in texts)})")
    lines.append("    return args")
    scope: dict[str, Any] = {
        "Arguments": Arguments,
        "TEMPLATE": template,
        "address": _address,
        "signed": _signed,
        "uint": _uint,
        "integer": _integer,
        "dumps": json.dumps,
    }
    exec("\n".join(lines), scope)  # noqa: S102 (source written above from the ABI's types and names, quoted)
    fast: Callable[[Sequence[str], str], Arguments | None] = scope["fast"]
    return fast


class Arguments(dict[str, Any]):
    """A decoded event's arguments with their JSON text (the store keeps every event's arguments as
    JSON text: :meth:`json_text` is ``json.dumps`` of them, written by the plan as it decodes)."""

    __slots__ = ("text",)
    text: str

    def json_text(self) -> str:
        return self.text


@dataclass(frozen=True)
class EventPlan:
    """One event's decoding, worked out from its ABI once: where each argument is read and how.
    One-word values are read straight from their hex digits (most events have only those), others
    through eth_abi."""

    name: str
    fields: tuple[tuple[str, bool, int, Callable[[str], Any]], ...]  # (key, indexed, position, reader)
    plain: tuple[str, ...]  # the types of the data's values
    words: bool  # the data holds one word per value
    template: str | None  # the arguments' JSON text with a %s per value (None: json.dumps them)
    values: Callable[[Mapping[str, Any]], Sequence[Any]]  # the values in the template's order
    writers: tuple[tuple[int, Callable[[Any], str]], ...]  # (position, what writes it) for those not 0x-hex text
    #: The arguments and their text at once, by a function written for this event (None: read field
    #: by field, for a type it does not read). It gives None for data the ABI's encoder would not write.
    fast: Callable[[Sequence[str], str], Arguments | None] | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> EventPlan:
        fields = []
        topic, value = 1, 0
        for n, spec in enumerate(item.get("inputs", [])):
            kind = type_string(spec)
            key = spec.get("name") or f"arg{n}"
            if spec.get("indexed"):
                dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
                fields.append((key, True, topic, _hashed if dynamic else _reader(kind)))
                topic += 1
            else:
                fields.append((key, False, value, _reader(kind)))
                value += 1
        plain = tuple(type_string(i) for i in item.get("inputs", []) if not i.get("indexed"))
        keys = [key for key, *_ in fields]
        places = [_writer(type_string(spec), bool(spec.get("indexed"))) for spec in item.get("inputs", [])]
        template = (
            "{" + ", ".join(json.dumps(key).replace("%", "%%") + ": " + place for key, (place, _) in zip(keys, places)) + "}"
        )
        writers = tuple((n, write) for n, (_, write) in enumerate(places) if write is not None)
        getter = itemgetter(*keys) if len(keys) > 1 else (lambda args: tuple(args[key] for key in keys))
        words = all(_one_word(kind) for kind in plain)
        unique = len(set(keys)) == len(keys)
        kinds = [type_string(spec) for spec in item.get("inputs", [])]
        fast = _compiled(fields, kinds, template) if unique else None
        return cls(str(item["name"]), tuple(fields), plain, words, template if unique else None, getter, writers, fast)

    def text(self, args: Mapping[str, Any]) -> str:
        """``json.dumps(args)`` of arguments this plan decoded, written faster."""
        if self.template is None:
            return json.dumps(args)
        values = self.values(args)
        if self.writers:
            values = list(values)
            for n, write in self.writers:
                values[n] = write(values[n])
        return self.template % tuple(values)

    def arguments(self, topics: Sequence[str], data: str) -> Arguments:
        """The event's arguments by name, as JSON values."""
        if self.fast is not None:
            try:
                found = self.fast(topics, data)
            except ValueError:  # not hex, not UTF-8: eth_abi says
                found = None
            if found is not None:
                return found
        return self.read(topics, data)

    def read(self, topics: Sequence[str], data: str) -> Arguments:
        """The event's arguments read field by field (eth_abi for the data's values but one-word ones)."""
        hexdata = data[2:].lower()
        values: Sequence[Any] | None = None
        if not (self.words and len(hexdata) == 64 * len(self.plain)):
            values = [jsonable(v) for v in decode(list(self.plain), bytes.fromhex(hexdata))]
        args = Arguments()
        for key, indexed, position, read in self.fields:
            if indexed:
                args[key] = read(str(topics[position])[2:].lower())
            elif values is None:
                args[key] = read(hexdata[64 * position : 64 * position + 64])
            else:
                args[key] = values[position]
        args.text = self.text(args)
        return args


# --- custom rules -----------------------------------------------------------------------------------


class RulesError(RwaError):
    """A custom rules file with problems: one ``error:`` line each."""

    exit_code = 2

    def __init__(self, source: Path, problems: list[str]):
        self.problems = [f"{source.name}: {p}" for p in problems]
        super().__init__("\nerror: ".join(self.problems))


RULE_KEYS = {"name", "event", "contract", "where", "above", "severity", "message"}


def load_custom(path: Path, subjects: Iterable[Subject], decoder: Decoder, taken: Iterable[str] = ()) -> list[Rule]:
    """The rules of a YAML (``rules:`` list) or Python (``RULES`` list) file, checked against the
    watched contracts and their ABIs; every problem is listed at once (:class:`RulesError`)."""
    if not path.is_file():
        raise RwaError(f"no rules file {path}")
    try:
        if path.suffix == ".py":
            entries = runpy.run_path(str(path)).get("RULES")
            shape = "a RULES list"
        else:
            import yaml

            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = document.get("rules") if isinstance(document, dict) else None
            shape = "a top-level `rules:` list"
    except Exception as exc:
        raise RulesError(path, [f"cannot be read: {' '.join(str(exc).split())[:200]}"]) from None
    if not isinstance(entries, list) or not entries:
        raise RulesError(path, [f"needs {shape} of rules"])
    problems: list[str] = []
    rules: list[Rule] = []
    names = set(taken)
    known = list(subjects)
    for number, entry in enumerate(entries, 1):
        rule, found = _custom_rule(number, entry, known, decoder, names)
        problems += found
        if rule is not None:
            names.add(rule.name)
            rules.append(rule)
    if problems:
        raise RulesError(path, problems)
    return rules


def _custom_rule(
    number: int, entry: Any, subjects: list[Subject], decoder: Decoder, names: set[str]
) -> tuple[Rule | None, list[str]]:
    where_at = f"rule {number}"
    if not isinstance(entry, dict):
        return None, [f"{where_at} is not a mapping (name, event, contract, where, above, severity, message)"]
    name = entry.get("name")
    if isinstance(name, str) and name:
        where_at = f"rule {number} ({name})"
    problems = [f"{where_at}: unknown key '{k}' (known: {', '.join(sorted(RULE_KEYS))})" for k in entry if k not in RULE_KEYS]
    if not isinstance(name, str) or not name:
        problems.append(f"{where_at}: needs a name")
    elif name in names:
        problems.append(f"{where_at}: the name '{name}' is taken")
    event = entry.get("event")
    if not isinstance(event, str) or not event:
        problems.append(f"{where_at}: needs an event (Transfer, say)")
        return None, problems
    severity = entry.get("severity", "warning")
    if severity not in SEVERITIES:
        problems.append(f"{where_at}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    selector = entry.get("contract")
    kinds: frozenset[str] | None = None
    addresses: frozenset[str] | None = None
    if selector is None:
        matched = [s for s in subjects if event in decoder.event_names(s.kind)]
        kind_names = {s.kind for s in matched}
        if not matched:
            problems.append(f"{where_at}: no watched contract emits {event}")
    else:
        text = str(selector)
        matched = [s for s in subjects if text.lower() in (s.address.lower(), s.label.lower())]
        if matched:
            addresses = frozenset(s.address for s in matched)
        elif text in decoder.artifacts:
            kinds = frozenset({text})
            matched = []
        else:
            problems.append(f"{where_at}: unknown contract '{text}' (a recorded name, an address or a contract type)")
            return None, problems
        kind_names = {s.kind for s in matched} | set(kinds or ())
        lacking = sorted(k for k in kind_names if event not in decoder.event_names(k))
        if lacking:
            problems.append(f"{where_at}: {text} ({', '.join(lacking)}) has no event {event}")
            return None, problems
    inputs = {str(i.get("name")): type_string(i) for k in sorted(kind_names) for i in (decoder.event_inputs(k, event) or [])}
    where = entry.get("where")
    if where is not None and not callable(where):
        if not isinstance(where, dict):
            problems.append(f"{where_at}: where must map arguments of {event} to values")
        else:
            problems += [
                f"{where_at}: {event} has no argument '{k}' (it has {', '.join(inputs) or 'none'})"
                for k in where
                if k not in inputs
            ]
    above = entry.get("above") or {}
    limits: dict[str, int] = {}
    if not isinstance(above, dict):
        problems.append(f"{where_at}: above must map numeric arguments of {event} to thresholds")
    else:
        for key, value in above.items():
            if key not in inputs:
                problems.append(f"{where_at}: {event} has no argument '{key}' (it has {', '.join(inputs) or 'none'})")
            elif not inputs[key].startswith(("uint", "int")):
                problems.append(f"{where_at}: above: {event}.{key} is a {inputs[key]}, not a number")
            else:
                try:
                    limits[key] = int(Decimal(str(value)))
                except (InvalidOperation, ValueError):
                    problems.append(f"{where_at}: above: {key} must be a number (1000e18, say), not {value!r}")
    message = entry.get("message")
    if message is not None:
        try:
            str(message).format(**{k: "" for k in inputs}, contract="", event="", block="", tx="")
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(
                f"{where_at}: message names an unknown field {exc} (use the event's arguments, contract, event, block, tx)"
            )
    if problems:
        return None, problems
    return Rule(str(name), event, str(severity), kinds, addresses, where, limits, str(message) if message else None), []


# --- messages ---------------------------------------------------------------------------------------


def describe(rule: Rule, log: Log, names: Mapping[str, str], extra: str | None = None) -> str:
    """One line for an alert: the custom rule's message, or the built-in wording of the event."""
    args = log.args
    if rule.message:
        return rule.message.format(**args, contract=log.subject.label, event=log.name, block=log.block, tx=log.tx)

    def who(key: str) -> str:
        address = str(args.get(key, ""))
        try:
            label = names.get(checksummed(address))
        except ValueError:
            label = None
        return f"{address} ({label})" if label else address

    def role(key: str) -> str:
        value = args.get(key, "")
        try:
            return ROLE_NAMES.get(bytes.fromhex(str(value)[2:]), str(value))
        except ValueError:
            return str(value)

    where = log.subject.label
    texts: dict[str, Callable[[], str]] = {
        "RoleGranted": lambda: f"{where}: {role('role')} granted to {who('account')} by {who('sender')}",
        "RoleRevoked": lambda: f"{where}: {role('role')} revoked from {who('account')} by {who('sender')}",
        "RoleAdminChanged": lambda: f"{where}: admin role of {role('role')} changed to {role('newAdminRole')}",
        "OwnershipTransferred": lambda: f"{where}: ownership moved from {who('previousOwner')} to {who('newOwner')}",
        "Upgraded": lambda: f"{where}: implementation upgraded to {who('implementation')}",
        "BeaconUpgraded": lambda: f"{where}: beacon changed to {who('beacon')}",
        "AdminChanged": lambda: f"{where}: proxy admin changed from {who('previousAdmin')} to {who('newAdmin')}",
        "AddedOwner": lambda: f"{where}: owner {who('owner')} added",
        "RemovedOwner": lambda: f"{where}: owner {who('owner')} removed",
        "ChangedThreshold": lambda: f"{where}: threshold changed to {args.get('threshold')}",
        "SafeSetup": lambda: (
            f"{where}: set up with owners {', '.join(map(str, args.get('owners') or []))}, threshold {args.get('threshold')}"
        ),
        "BeaconSet": lambda: f"{where}: beacon set to {who('beacon')}",
        "PropertyOwnerSet": lambda: f"{where}: new properties will be owned by {who('propertyOwner')}",
        "IdentityRegistryAdded": lambda: f"{where}: identity registry set to {who('_identityRegistry')}",
        "ComplianceAdded": lambda: f"{where}: compliance set to {who('_compliance')}",
        "DividendDistributorSet": lambda: (
            f"{where}: dividend distributor set to {who('distributor')} (stablecoin {who('stablecoin')})"
        ),
        "ExternalModuleAdded": lambda: f"{where}: external module {who('module')} added",
        "ExternalModuleRemoved": lambda: f"{where}: external module {who('module')} removed",
        "AgentAdded": lambda: f"{where}: agent {who('_agent')} added",
        "AgentRemoved": lambda: f"{where}: agent {who('_agent')} removed",
        "IdentityRevoked": lambda: f"{where}: identity of {who('wallet')} revoked by {who('attestor')}",
        "AttestationsVoided": lambda: f"{where}: unused signed attestations of {who('wallet')} voided by {who('attestor')}",
        "LegalDocumentUpdated": lambda: (
            f"{where}: legal document of property {args.get('propertyId')} "
            f"set to {args.get('legalDocHash')} at {args.get('legalDocURI')}"
        ),
        "DustSwept": lambda: f"{where}: dividend dust ({args.get('amount')} base units) swept to {who('to')}",
        "HandedOver": lambda: (
            f"{where}: what holders are owed ({args.get('amount')} base units) handed over to {who('successor')}"
        ),
        "DealSettled": lambda: (
            f"{where}: disputed deal {args.get('dealId')} settled: {args.get('amount')} to the splitter {who('splitter')}"
        ),
        "DealRefunded": lambda: f"{where}: disputed deal {args.get('dealId')} refunded: {args.get('amount')} to {who('brand')}",
        "FeeSet": lambda: f"{where}: fee on {who('property')} set to {int(args.get('feeBps', 0)) / 100:g}%",
        "ApproverSet": lambda: (
            f"{where}: trades of {who('property')} "
            + ("need no approval" if is_zero(args.get("approver")) else f"approved by {who('approver')}")
        ),
        "SignMsg": lambda: (
            f"{where}: the Safe signed message {args.get('msgHash')} (valid for ERC-1271 checks, e.g. market orders)"
        ),
        "UpdatedTokenInformation": lambda: (
            f"{where}: name, symbol or identity changed (decimals {args.get('_newDecimals')}, "
            f"version {args.get('_newVersion')}, onchain id {who('_newOnchainID')})"
        ),
        "InvestorBalanceReset": lambda: (
            f"{where}: tracked balance of investor {args.get('investorId')} reset (was {args.get('previousBalance')})"
        ),
        "EnabledModule": lambda: f"{where}: module {who('module')} enabled",
        "DisabledModule": lambda: f"{where}: module {who('module')} disabled",
        "ChangedGuard": lambda: f"{where}: guard set to {who('guard')}",
        "ExecutionFailure": lambda: f"{where}: execution of Safe transaction {args.get('txHash')} FAILED",
        "Paused": lambda: f"{where}: PAUSED by {who(next(iter(args)))}",
        "Unpaused": lambda: f"{where}: unpaused by {who(next(iter(args)))}",
        "AddressFrozen": lambda: (
            f"{where}: {who('_userAddress')} {'frozen' if args.get('_isFrozen') else 'unfrozen'} by {who('_owner')}"
        ),
        "RecoverySuccess": lambda: f"{where}: tokens of lost wallet {who('_lostWallet')} recovered to {who('_newWallet')}",
        "ForcedTransfer": lambda: (
            f"{where}: forced transfer of {args.get('value')} from {who('from')} to {who('to')} by {who('agent')}"
        ),
        "SanctionsUpdated": lambda: (
            f"{where}: {who('wallet')} {'SANCTIONED' if args.get('sanctioned') else 'no longer sanctioned'} by {who('officer')}"
        ),
        "TradeExecuted": lambda: (
            f"{where}: {who('seller')} sold {args.get('amount')} of {who('property')} "
            f"to {who('buyer')} at {args.get('price')} (fee {args.get('fee')})"
        ),
        "DealDisputed": lambda: f"{where}: deal {args.get('dealId')} disputed by {who('by')}",
        "FanPaid": lambda: (
            f"{where}: payment of {args.get('amount')} of token {who('token')} from {who('payer')} to vault {who('vault')}"
        ),
        LAPSED: lambda: (
            f"{where}: membership {args.get('tokenId')} lapsed (expired at {_utc(int(args.get('expiresAt', 0)))}, not renewed)"
        ),
        "OrderRefunded": lambda: (
            f"{where}: order {args.get('orderId')} of vault {who('vault')} refunded ({args.get('amount')} "
            f"of token {who('token')}) to {who('payer')} by {who('by')}"
        ),
        "CallExecuted": lambda: f"{where}: operation {args.get('id')} executed (call {args.get('index')} on {who('target')})",
        "Cancelled": lambda: f"{where}: operation {args.get('id')} cancelled",
        "MinDelayChange": lambda: (
            f"{where}: delay changed from {_duration(int(args.get('oldDuration', 0)))} "
            f"to {_duration(int(args.get('newDuration', 0)))}"
        ),
    }
    if extra is not None:
        return extra
    if log.name in texts:
        return texts[log.name]()
    shown = ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{where}: {log.name}({shown})"


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: int) -> str:
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m"


def describe_call(function: str, contract: str, args: Sequence[Any], names: Mapping[str, str]) -> str:
    """What a scheduled call will do, in words where the function is a known admin act."""

    def named(value: Any) -> str:
        text = str(value)
        try:
            label = names.get(checksummed(text)) if text.startswith("0x") and len(text) == 42 else None
        except ValueError:
            label = None
        return f"{text} ({label})" if label else text

    role = (
        ROLE_NAMES.get(bytes.fromhex(str(args[0])[2:]), str(args[0]))
        if args and str(args[0]).startswith("0x") and len(str(args[0])) == 66
        else None
    )
    if function in ("upgradeTo", "upgradeToAndCall") and args:
        return f"upgrade {contract} to {named(args[0])}"
    if function == "upgradeAndCall" and len(args) > 1:
        return f"upgrade {named(args[0])} to {named(args[1])}"
    if function in ("grantRole", "revokeRole") and role and len(args) > 1:
        verb = "grant" if function == "grantRole" else "revoke"
        return f"{verb} {role} on {contract} {'to' if verb == 'grant' else 'from'} {named(args[1])}"
    if function in ("pause", "unpause"):
        return f"{function} {contract}"
    if function == "transferOwnership" and args:
        return f"transfer ownership of {contract} to {named(args[0])}"
    shown = ", ".join(named(a) for a in args)
    return f"{function}({shown}) on {contract}"


def scheduled_text(where: str, what: str, delay: int, ready_at: int, now: int) -> str:
    left = ready_at - now
    when = f"in {_duration(left)}" if left > 0 else "now"
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(ready_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{where}: scheduled {what}; executable {when} (at {at}, delay {_duration(delay)})"


def is_zero(address: Any) -> bool:
    return str(address).lower() == ZERO_ADDRESS
