"""From matched events to alerts a person can act on: one alert per transaction.

A transaction's events that built-in rules match become one alert: its rule and event are those of
the act that leads (a creation or another act the rest serve, then the most severe rule, then the first), its severity the
highest of the acts, and its message says what each act did (before and after where the chain can
tell, amounts in whole tokens with their symbol, module and role names), who acted (the sender, and
the Safe and the timelock operation it went through) and, for a cancelled operation, what it would
have done. Changes that change nothing (a delay set to what it was, an upgrade to the implementation
in place) raise nothing. Custom rules keep one alert per event: a team asked for exactly those.

Alerts keep the identity they had (chain, block hash, the leading event's log index and rule), so a
transaction re-evaluated after a restart or a reorganisation raises the same alert, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from rwa.admin.decode import Known, Undecodable, decode_call
from rwa.chain.client import Chain, Read
from rwa.core.abi import checksummed
from rwa.core.units import format_units
from rwa.deploy.records import now as records_now
from rwa.watch import rules as rules_module
from rwa.watch.rules import FACTORIES, SEVERITIES, Log, Rule
from rwa.watch.store import Store

#: How an act was done (through a Safe, a module, the timelock): told in the act's alert, and an
#: alert of their own only for a transaction that did nothing else a rule knows.
CONTEXT = frozenset({"ExecutionSuccess", "ExecutionFromModuleSuccess", "CallExecuted"})
#: Events that lead their transaction's alert whatever else it did: the act the others serve.
LEADS = (
    "PropertyCreated",
    "VaultCreated",
    "OfferingCreated",
    "RecoverySuccess",
    "ForcedTransfer",
    "AgentAdded",
    "AgentRemoved",
    "ModuleAdded",
    "ModuleRemoved",
    "ExternalModuleAdded",
    "ExternalModuleRemoved",
)
#: Roles whose grant or revocation moves the power over the suite: critical.
GOVERNING_ROLES = frozenset({"DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"})
#: ModularCompliance's built-in modules by bit (its MODULE_* constants; tests/watch/test_watch_acts.py
#: checks them against the contract).
MODULES = {1: "country allow-list", 2: "max balance", 4: "max holders", 8: "lockup", 16: "supply cap", 32: "accredited only"}
#: ERC-1967's implementation slot: a proxy's implementation before an upgrade.
IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
#: Settings whose value before the change is read at the block before (getter, how it is shown).
BEFORE_GETTERS: dict[str, tuple[str, str, str]] = {
    "MaxHoldersSet": ("maxHolders()", "maxHolders", "max holders"),
    "MaxBalanceSet": ("maxBalance()", "maxBalance", "max balance"),
    "SupplyCapSet": ("supplyCap()", "cap", "supply cap"),
    "LockupPeriodSet": ("lockupPeriod()", "period", "lockup"),
    "ChangedThreshold": ("getThreshold()", "threshold", "threshold"),
}
#: Where a scheduled operation's alert gives the command of its veto.
VETO = "; to veto: "
TOKEN_ABI = [
    {"type": "function", "name": "symbol", "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": "string"}]},
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": "uint8"}]},
]


@dataclass(frozen=True)
class Part:
    """One act of a transaction: a built-in rule's match, in words."""

    rule: Rule
    log: Log
    text: str
    severity: str


@dataclass
class Composer:
    """Builds the alerts of a range's events (:meth:`alerts`); the chain is asked, in a few batched
    calls per range, only about transactions that raised something."""

    chain: Chain
    store: Store
    known: Known
    network: str
    names: Callable[[], dict[str, str]]
    #: The deployment's own transactions raise nothing: its deployers, and the last block it made a contract in.
    deployment: tuple[frozenset[str], int] | None = None
    say: Callable[[str], None] = lambda line: None
    tokens: dict[str, tuple[str, int]] = field(default_factory=dict)
    quieted: int = 0
    #: The block each recorded contract was made in (its code is known to be there after it).
    created: Mapping[str, int] = field(default_factory=dict)
    #: What :meth:`prefetch` started: the logs and rules, their matches, and the senders being asked.
    _prefetched: tuple[Sequence[Log], Sequence[Rule], list[tuple[Rule, Log]], Future[dict[str, str]] | None] | None = None
    _asking: ThreadPoolExecutor | None = None

    def prefetch(self, logs: Sequence[Log], rules: Sequence[Rule]) -> None:
        """Start asking the node who sent the transactions that will raise alerts among ``logs``, while
        the caller goes on (its answer is what :meth:`alerts` of the same logs and rules waits for most)."""
        matched = self._matched(logs, rules)
        built_in = {r.name for r in rules_module.built_in_rules()}
        txs = sorted({log.tx for rule, log in matched if rule.name in built_in})
        if self._asking is None:
            self._asking = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rwa-senders")
        self._prefetched = (logs, rules, matched, self._asking.submit(self._senders, txs) if txs else None)

    def _matched(self, logs: Sequence[Log], rules: Sequence[Rule]) -> list[tuple[Rule, Log]]:
        by_event: dict[str, list[Rule]] = {}
        for rule in rules:
            by_event.setdefault(rule.event, []).append(rule)
        # The rules that may apply to an event of a contract type, worked out once per pair (a range
        # holds thousands of events of a few kinds).
        candidates: dict[tuple[str, str], list[Rule]] = {}
        matched: list[tuple[Rule, Log]] = []
        for log in logs:
            may = candidates.get((log.name, log.subject.kind))
            if may is None:
                kind = log.subject.kind
                may = [r for r in by_event.get(log.name, ()) if r.kinds is None or kind in r.kinds]
                candidates[(log.name, kind)] = may
            if may:
                matched += [(rule, log) for rule in may if rule.applies(log)]
        return matched

    def alerts(self, logs: Sequence[Log], rules: Sequence[Rule]) -> list[dict[str, Any]]:
        """The alerts of a range's decoded events (every log of each transaction in it), in chain order."""
        prefetched, self._prefetched = self._prefetched, None
        asked: Future[dict[str, str]] | None = None
        if prefetched is not None and prefetched[0] is logs and prefetched[1] is rules:
            matched, asked = prefetched[2], prefetched[3]
        else:
            matched = self._matched(logs, rules)
        if not matched:
            return []
        built_in = {r.name for r in rules_module.built_in_rules()}
        names = self.names()
        custom = [
            self._alert(rule, log, rule.severity, rules_module.describe(rule, log, names), [rule.name])
            for rule, log in matched
            if rule.name not in built_in
        ]
        groups: dict[str, list[tuple[Rule, Log]]] = {}
        for rule, log in matched:
            if rule.name in built_in:
                groups.setdefault(log.tx, []).append((rule, log))
        if not groups:
            return custom
        senders = asked.result() if asked is not None else self._senders(sorted(groups))
        quiet = [tx for tx, found in groups.items() if self._of_deployment(found[0][1].block, senders.get(tx))]
        for tx in quiet:
            del groups[tx]
        if quiet and not self.quieted:
            last = self.deployment[1] if self.deployment else "?"
            self.say(
                f"the deployment's own transactions raise no alerts (up to block {last}, sent by its deployer): "
                "--deployment-alerts raises them"
            )
        self.quieted += len(quiet)
        tx_logs: dict[str, list[Log]] = {}
        for log in logs:
            if log.tx in groups:
                tx_logs.setdefault(log.tx, []).append(log)
        before = self._before([log for found in groups.values() for _, log in found])
        tokens = {log.subject.address for found in groups.values() for _, log in found if log.subject.kind == "PropertyToken"}
        tokens |= {str(log.args["property"]) for found in groups.values() for _, log in found if log.name == "TradeExecuted"}
        self._token_facts(tokens)
        scheduled = sorted({log.block for found in groups.values() for _, log in found if log.name == "CallScheduled"})
        times = self.chain.block_times(scheduled) if scheduled else {}
        grouped = []
        for tx, found in groups.items():
            parts = [
                p
                for p in (self._part(rule, log, names, before, tx_logs[tx], times, logs) for rule, log in found)
                if p is not None
            ]
            if parts:
                grouped.append(self._group(parts, tx_logs[tx], senders.get(tx), names))
        return sorted([*custom, *grouped], key=lambda a: (a["block"], a["logIndex"], a["rule"]))

    def each(self, logs: Sequence[Log], rules: Sequence[Rule]) -> list[dict[str, Any]]:
        """One alert per matched event, for events no transaction made (a membership's lapse: the
        watcher's own, rwa.watch.lapses): there is no transaction to group them by."""
        names = self.names() if logs else {}
        return [
            self._alert(rule, log, rule.severity, rules_module.describe(rule, log, names), [rule.name])
            for log in logs
            for rule in rules
            if rule.applies(log)
        ]

    # --- one act -----------------------------------------------------------------------------------

    def _part(
        self,
        rule: Rule,
        log: Log,
        names: Mapping[str, str],
        before: Mapping[tuple[str, int, str], Any],
        logs: Sequence[Log],
        times: Mapping[int, int],
        range_logs: Sequence[Log],
    ) -> Part | None:
        """An act in words (``logs``: its transaction's), or None when it changed nothing."""
        args, where, severity = log.args, log.subject.label, rule.severity
        who = _who(names)
        prior = before.get((log.subject.address, log.block, log.name))
        text: str | None = None
        if log.name == "MinDelayChange":
            old, new = int(args.get("oldDuration", 0)), int(args.get("newDuration", 0))
            if old == new:
                return None
            text = f"{where}: delay {rules_module._duration(old)} → {rules_module._duration(new)}"
        elif (
            log.name in ("Upgraded", "BeaconUpgraded")
            and prior is not None
            and _same_address(prior, args.get("implementation", args.get("beacon")))
        ):
            return None
        elif log.name == "Upgraded" and prior is not None:
            text = f"{where}: implementation upgraded from {who(prior)} to {who(args.get('implementation'))}"
        elif log.name in BEFORE_GETTERS and prior is not None:
            _, key, label = BEFORE_GETTERS[log.name]
            now_value = args.get(key)
            if _same_value(prior, now_value):
                return None
            if log.name == "ChangedThreshold":
                owners = before.get((log.subject.address, log.block, "owners"))
                text = f"{where}: threshold {prior} → {now_value}" + (f" of {owners} owners" if owners is not None else "")
            elif log.name == "LockupPeriodSet":
                text = f"{where}: {label} {rules_module._duration(int(prior))} → {rules_module._duration(int(now_value or 0))}"
            else:
                text = f"{where}: {label} {prior} → {now_value}"
        elif log.name in ("AddedOwner", "RemovedOwner"):
            owners = before.get((log.subject.address, log.block, "owners"))
            threshold = before.get((log.subject.address, log.block, "threshold"))
            verb = "added" if log.name == "AddedOwner" else "removed"
            state = f" (now {threshold} of {owners} owners)" if owners is not None and threshold is not None else ""
            text = f"{where}: owner {who(args.get('owner'))} {verb}{state}"
        elif log.name in ("ModuleAdded", "ModuleRemoved"):
            module = int(args.get("module", 0))
            named = ", ".join(MODULES.get(bit, f"module bit {bit}") for bit in _bits(module)) or str(module)
            text = f"{where}: {named} rule {'added' if log.name == 'ModuleAdded' else 'removed'}"
        elif log.name in ("ExternalModuleAdded", "ExternalModuleRemoved"):
            added = log.name == "ExternalModuleAdded"
            change = "added: it now checks every transfer and mint" if added else "removed"
            text = f"{where}: external module {who(args.get('module'))} {change}"
        elif log.name in ("RoleGranted", "RoleRevoked"):
            role = rules_module.ROLE_NAMES.get(_bytes(args.get("role")), str(args.get("role")))
            if role in GOVERNING_ROLES:
                severity = "critical"
            verb = "granted to" if log.name == "RoleGranted" else "revoked from"
            text = f"{where}: {role} {verb} {who(args.get('account'))}"
        elif log.name == "RoleAdminChanged":
            role, was, becomes = (
                rules_module.ROLE_NAMES.get(_bytes(args.get(k)), str(args.get(k)))
                for k in ("role", "previousAdminRole", "newAdminRole")
            )
            text = f"{where}: the admin role of {role} changed from {was} to {becomes}"
        elif log.name == "Cancelled":
            text = f"{where}: operation {args.get('id')} cancelled; it would have: {self._scheduled_call(log, range_logs, names)}"
        elif log.name == "CallScheduled":
            text = self._scheduled(log, times, names)
        elif log.name == "CallExecuted":
            ran = self._call(args.get("target"), args.get("value"), args.get("data"), names)
            text = f"{where}: operation {args.get('id')} executed: {ran}"
        elif log.name == "ExecutionSuccess":
            executed = next(
                (x for x in logs if x.name == "SafeMultiSigTransaction" and x.subject.address == log.subject.address), None
            )
            what = (
                self._call(executed.args.get("to"), executed.args.get("value"), executed.args.get("data"), names)
                if executed
                else "a transaction"
            )
            text = f"{where}: executed {what}"
        elif log.name == "Transfer" and rule.name in ("property.Minted", "property.Burned"):
            amount = self._amount(log, "value")
            text = (
                f"{where}: {amount} minted to {who(args.get('to'))}"
                if rule.name == "property.Minted"
                else f"{where}: {amount} burned from {who(args.get('from'))}"
            )
        elif log.name == "TradeExecuted":
            amount = self._amount(log, "amount", str(args.get("property")))
            paid = f"{args.get('price')} (fee {args.get('fee')}; stablecoin base units)"
            text = f"{where}: {who(args.get('seller'))} sold {amount} to {who(args.get('buyer'))} for {paid}"
        elif log.name == "ForcedTransfer":
            text = (
                f"{where}: forced transfer of {self._amount(log, 'value')} from {who(args.get('from'))} to {who(args.get('to'))}"
            )
        elif log.name in ("TokensFrozen", "TokensUnfrozen"):
            verb = "frozen" if log.name == "TokensFrozen" else "unfrozen"
            text = f"{where}: {self._amount(log, '_amount')} of {who(args.get('_userAddress'))} {verb}"
        elif log.name == "ComplianceEnforcementChanged":
            active = bool(args.get("active"))
            severity = "warning" if active else severity  # rules enforced again is no danger; stopped is
            text = f"{where}: compliance rules {'enforced' if active else 'NO LONGER ENFORCED'}"
        if text is None:
            text = rules_module.describe(rule, log, names)
        if before.get((log.subject.address, log.block, "code")) is False or _initialised(log, logs):
            # A contract's own set-up (made in this block, or initialised here): what it was made with.
            severity = "info"
            if log.name == "Upgraded":
                text = f"{where}: set up on implementation {who(args.get('implementation'))}"
        return Part(rule, log, text, severity)

    # --- one transaction ---------------------------------------------------------------------------

    def _group(self, parts: list[Part], logs: Sequence[Log], sender: str | None, names: Mapping[str, str]) -> dict[str, Any]:
        acts = [p for p in parts if p.log.name not in CONTEXT] or parts
        lead = self._lead(acts)
        creation = lead.log.name in LEADS[:3]
        shown, folded = [lead], []
        if creation:
            made = {checksummed(str(lead.log.args[arg])) for arg, _, _ in FACTORIES.get(lead.log.subject.kind, ("", ()))[1]}
            folded = [p for p in acts if p is not lead and (p.log.subject.address in made or p.log.subject.parent in made)]
        shown += [p for p in acts if p is not lead and p not in folded]
        severity = max((p.severity for p in shown), key=SEVERITIES.index)
        text = self._creation(lead, folded, names) if creation else lead.text
        if len(shown) > 1:
            text += "; and " + "; ".join(p.text for p in shown[1:])
        text, remedy, veto = text.partition(VETO)
        text += (
            self._actor(logs, sender if sender and f"by {sender}" not in text else None, names) + remedy + veto
        )  # the veto's command last
        return self._alert(lead.rule, lead.log, severity, text, [p.rule.name for p in parts])

    @staticmethod
    def _lead(parts: Sequence[Part]) -> Part:
        for name in LEADS:
            for part in parts:
                if part.log.name == name:
                    return part
        # The first of the most severe rules: by the rules' own severities, not what the chain told of
        # this act, so the alert's identity does not depend on reads a node may later not answer.
        return max(parts, key=lambda p: SEVERITIES.index(p.rule.severity))

    def _creation(self, lead: Part, folded: Sequence[Part], names: Mapping[str, str]) -> str:
        kind = lead.log.subject.kind
        made = [(part, checksummed(str(lead.log.args[arg]))) for arg, _, part in FACTORIES[kind][1]]
        # Named by the record, else as the watcher labels what it discovers (the symbol).
        labels = [p.log.subject.label for p in folded if p.log.subject.address == made[0][1]]
        label = (
            names.get(made[0][1]) or (labels[0] if labels else None) or str(lead.log.args.get("symbol") or made[0][1])
        ).rsplit(".", 1)[0]
        noun = {"PropertyTokenFactory": "property", "NILVaultFactory": "vault", "PropertyOfferingFactory": "offering"}[kind]
        grants: dict[str, list[str]] = {}
        for part in folded:
            if part.log.name == "RoleGranted":
                role = rules_module.ROLE_NAMES.get(_bytes(part.log.args.get("role")), str(part.log.args.get("role")))
                grants.setdefault(_who(names)(part.log.args.get("account")), []).append(role.removesuffix("_ROLE"))
        roles = sum(len(r) for r in grants.values())
        text = f"{noun} {label} created by {lead.log.subject.label}: {', '.join(part for part, _ in made)}"
        if roles:
            text += (
                f", {roles} role{'s' if roles != 1 else ''} granted ("
                + "; ".join(f"{', '.join(r)} to {w}" for w, r in grants.items())
                + ")"
            )
        return text

    def _actor(self, logs: Sequence[Log], sender: str | None, names: Mapping[str, str]) -> str:
        """Who acted: the sender, and the Safes and timelock operations the act went through."""
        who = _who(names)
        through = [
            f"{x.subject.label}" + (" (a module)" if x.name == "ExecutionFromModuleSuccess" else "")
            for x in logs
            if x.name in ("ExecutionSuccess", "ExecutionFromModuleSuccess")
        ]
        through += [f"{x.subject.label} operation {str(x.args.get('id'))[:10]}…" for x in logs if x.name == "CallExecuted"]
        text = f" — by {who(sender)}" if sender else ""  # (None: the act's own words say who, "PAUSED by …")
        return text + (f" {'' if sender else '— '}through {' then '.join(dict.fromkeys(through))}" if through else "")

    def _alert(self, rule: Rule, log: Log, severity: str, message: str, parts: list[str]) -> dict[str, Any]:
        chain_id = self.chain.chain_id
        identity = f"{chain_id}:{log.block_hash}:{log.log_index}:{rule.name}"
        return {
            "id": "0x" + keccak(text=identity).hex()[:32],
            "kind": "alert",
            "rule": rule.name,
            "severity": severity,
            "network": self.network,
            "chainId": chain_id,
            "block": log.block,
            "logIndex": log.log_index,
            "transaction": log.tx,
            "address": log.subject.address,
            "contract": log.subject.label,
            "event": log.name,
            "message": message,
            "args": log.args,
            "parts": parts,
            "raisedAt": records_now(),
        }

    # --- what the chain tells ----------------------------------------------------------------------

    def _of_deployment(self, block: int, sender: str | None) -> bool:
        if self.deployment is None or sender is None:
            return False
        deployers, last = self.deployment
        return block <= last and sender in deployers

    def _senders(self, txs: Sequence[str]) -> dict[str, str]:
        replies = self.chain.rpc_batch([("eth_getTransactionByHash", [tx]) for tx in txs])
        found = {}
        for tx, reply in zip(txs, replies):
            sender = (reply.get("result") or {}).get("from")
            if sender:
                found[tx] = checksummed(sender)
        return found

    def _before(self, logs: Sequence[Log]) -> dict[tuple[str, int, str], Any]:
        """Settings before each change (at the block before), whether the contract had code then (none:
        it is being made), and a Safe's owners and threshold after: (address, block, what) -> value;
        missing where the node keeps no state that old."""
        asks: list[tuple[tuple[str, int, str], str, tuple[str, list[Any]]]] = []
        found: dict[tuple[str, int, str], Any] = {}
        for log in {(x.subject.address, x.block, x.name): x for x in logs}.values():
            address, at = log.subject.address, hex(log.block - 1)
            if log.name in ("ChangedThreshold", "AddedOwner", "RemovedOwner"):
                asks.append(((address, log.block, "owners"), "count", _call(address, "getOwners()", hex(log.block))))
                asks.append(((address, log.block, "threshold"), "word", _call(address, "getThreshold()", hex(log.block))))
            if log.subject.block is not None and log.subject.block >= log.block:
                # Made in this block by a factory (discovered from its event): it had no code and no
                # settings before, as the node would say, without asking it for a past block's state
                # (a node replays old blocks to answer: seconds each, for every property created).
                found[(address, log.block, "code")] = False
                continue
            if log.name in BEFORE_GETTERS:
                asks.append(((address, log.block, log.name), "word", _call(address, BEFORE_GETTERS[log.name][0], at)))
            made = log.subject.block if log.subject.block is not None else self.created.get(address)
            if made is not None and made < log.block:
                found[(address, log.block, "code")] = True  # made in an earlier block (the record's or discovered)
            else:
                asks.append(((address, log.block, "code"), "code", ("eth_getCode", [address, at])))
            if log.name == "Upgraded" and log.subject.kind == "Beacon":
                asks.append(((address, log.block, log.name), "address", _call(address, "implementation()", at)))
            elif log.name == "Upgraded":
                asks.append(((address, log.block, log.name), "address", ("eth_getStorageAt", [address, IMPLEMENTATION_SLOT, at])))
        if not asks:
            return found
        replies = self.chain.rpc_batch([request for _, _, request in asks])
        for (key, shape, _), reply in zip(asks, replies):
            raw = reply.get("result")
            if shape == "code" and isinstance(raw, str):
                found[key] = raw != "0x"
                continue
            if not isinstance(raw, str) or len(raw) < 66:
                continue
            data = bytes.fromhex(raw[2:])
            if shape == "count":
                found[key] = len(decode(["address[]"], data)[0])
            elif shape == "address":
                found[key] = str(to_checksum_address(data[12:32]))
            else:
                found[key] = int.from_bytes(data[:32], "big")
        return found

    def _token_facts(self, tokens: set[str]) -> None:
        todo = sorted(t for t in tokens if t not in self.tokens)
        if not todo:
            return
        results = self.chain.call_many([Read(t, TOKEN_ABI, f) for t in todo for f in ("symbol", "decimals")])
        for n, token in enumerate(todo):
            symbol, decimals = results[2 * n], results[2 * n + 1]
            if symbol.ok and decimals.ok:
                self.tokens[token] = (str(symbol.value), int(decimals.value))

    def _amount(self, log: Log, key: str, token: str | None = None) -> str:
        """An amount of a property token (the event's contract, or ``token``) in whole tokens with its symbol."""
        value = int(log.args.get(key, 0))
        facts = self.tokens.get(token or log.subject.address)
        return f"{format_units(value, facts[1])} {facts[0]}" if facts else f"{value} (base units)"

    def _call(self, target: Any, value: Any, data: Any, names: Mapping[str, str]) -> str:
        try:
            call = decode_call(self.known, str(target), int(value or 0), bytes.fromhex(str(data or "0x")[2:]))
            return rules_module.describe_call(call.function, call.contract or str(target), call.args, names)
        except (Undecodable, ValueError, KeyError):
            return f"an undecodable call to {target}"

    def _scheduled(self, log: Log, times: Mapping[int, int], names: Mapping[str, str]) -> str:
        args = log.args
        delay = int(args.get("delay", 0))
        what = self._call(args.get("target"), args.get("value"), args.get("data"), names)
        text = rules_module.scheduled_text(log.subject.label, what, delay, times.get(log.block, 0) + delay, int(time.time()))
        # The remedy: the guardian Safe holds the timelock's canceller role (a veto while the delay runs).
        return f"{text}{VETO}rwa timelock cancel {args.get('id')} --via guardian --network {self.network}"

    def _scheduled_call(self, cancelled: Log, logs: Sequence[Log], names: Mapping[str, str]) -> str:
        """What a cancelled operation would have done: its CallScheduled events (in this range or kept)."""
        op = str(cancelled.args.get("id")).lower()
        calls = [x.args for x in logs if x.name == "CallScheduled" and str(x.args.get("id")).lower() == op]
        if not calls:
            kept = self.store.events([cancelled.subject.address], ["CallScheduled"], cancelled.block)
            calls = [e.args for e in kept if str(e.args.get("id")).lower() == op]
        if not calls:
            return "(its scheduling is older than what the watcher has seen)"
        return "; ".join(self._call(c.get("target"), c.get("value"), c.get("data"), names) for c in calls)


def _initialised(log: Log, logs: Sequence[Log]) -> bool:
    """The event's contract is initialised in this transaction (a proxy set up)."""
    return any(x.name == "Initialized" and x.subject.address == log.subject.address for x in logs)


def _call(address: str, function: str, block: str) -> tuple[str, list[Any]]:
    return ("eth_call", [{"to": address, "data": "0x" + keccak(text=function)[:4].hex()}, block])


def _who(names: Mapping[str, str]) -> Callable[[Any], str]:
    def who(address: Any) -> str:
        text = str(address)
        try:
            label = names.get(checksummed(text))
        except ValueError:
            label = None
        return f"{text} ({label})" if label else text

    return who


def _bytes(value: Any) -> bytes:
    try:
        return bytes.fromhex(str(value)[2:])
    except ValueError:
        return b""


def _bits(value: int) -> list[int]:
    return [1 << n for n in range(256) if value >> n & 1]


def _same_address(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return _same_address(a, b) if str(a).startswith("0x") else str(a) == str(b)
    return int(a) == int(b or 0)
