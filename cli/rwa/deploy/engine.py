"""The deployment engine: make a network match the manifest, resumably.

``plan_deployment`` observes the chain and asks the planner what to do; ``apply_deployment`` does
it in dependency order. Every transaction goes through the write-ahead journal, and the
deployments file is rewritten (atomically) as soon as each contract exists, so a deploy killed at
any moment resumes where it stopped: nothing is created twice and nothing is lost.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as replaced
from typing import TYPE_CHECKING, Any

from eth_utils import keccak, to_checksum_address

from rwa.chain.artifacts import Artifact
from rwa.chain.client import ACCEPTED, NONCE_USED, REFUSED, Chain, Read, ReadResult, Receipt, SentTransaction, decode_raw
from rwa.chain.layouts import layout_for
from rwa.core.abi import event_topic
from rwa.core.errors import DriftError, ManifestError, RwaError, parsed
from rwa.core.evm import (
    ADMIN_SLOT,
    BEACON_SLOT,
    CREATE2_DEPLOYER,
    IMPLEMENTATION_SLOT,
    MULTICALL3,
    MULTICALL3_TYPE,
    create2_address,
    create_address,
)
from rwa.core.project import ProjectPaths
from rwa.deploy import created, lock, records
from rwa.deploy.context import Target, load_record, make_resolver
from rwa.deploy.created import BEACON_TYPE
from rwa.deploy.fees import FeePolicy, Fees, gwei, policy_for
from rwa.deploy.journal import Begin, Intent, Journal, Outcome
from rwa.deploy.manifest import Call, Contract, External, ProxyKind, validate
from rwa.deploy.manifest import manifest_hash as hash_manifest
from rwa.deploy.planner import (
    Observation,
    Pending,
    Plan,
    Resolver,
    StepAction,
    decoded_args,
    facets_of,
    plan,
    with_upgrade,
)

if TYPE_CHECKING:
    pass

#: Proxy contracts of the project, deployed by name (contracts/proxy/Proxies.sol).
PROXY_TYPES = {
    ProxyKind.UUPS: "UUPSProxy",
    ProxyKind.TRANSPARENT: "TransparentProxy",
    ProxyKind.BEACON: "BeaconInstanceProxy",
}

Reporter = Callable[[str, str, str], None]  # (action, name, detail)


def _silent(action: str, name: str, detail: str) -> None:
    return None


def validate_target(target: Target) -> None:
    problems = validate(target.manifest, target.network.name, target.artifacts)
    if problems:
        raise ManifestError(problems)


def observe(target: Target, record: dict[str, Any] | None, resolver: Resolver) -> dict[str, Observation]:
    """Read, for each recorded entry, its code hash, proxy slots and post-deploy checks.

    Whatever the entries, this is a few round trips: one JSON-RPC batch of code and proxy slots,
    the code of beacons not recorded (rare), and one batch of views (beacon implementations and
    every check) through :meth:`Chain.call_many`.
    """
    chain = target.chain
    recorded = (record or {}).get("contracts", {})
    network = target.network.name
    entries = [entry for entry in target.entries if entry.name in recorded and entry.external_on(network) is None]
    addresses = {entry.name: recorded[entry.name]["address"] for entry in entries}
    hashes = dict(zip(addresses, chain.code_hashes(list(addresses.values()))))
    proxied = [e for e in entries if hashes[e.name] and not e.beacon_only and e.proxy is not ProxyKind.NONE]
    slots = chain.storage_addresses(
        [(addresses[e.name], slot) for e in proxied for slot in (IMPLEMENTATION_SLOT, ADMIN_SLOT, BEACON_SLOT)]
    )
    facts: dict[str, dict[str, Any]] = {name: {"code_hash": code_hash} for name, code_hash in hashes.items()}
    for index, entry in enumerate(proxied):
        implementation, admin, beacon = slots[3 * index : 3 * index + 3]
        facts[entry.name].update(implementation=implementation, admin=admin, beacon=beacon)
    for entry in entries:
        if hashes[entry.name] and entry.beacon_only:
            facts[entry.name]["beacon"] = to_checksum_address(addresses[entry.name])
    beacons: dict[str, str] = {name: fact["beacon"] for name, fact in facts.items() if fact.get("beacon")}
    live = _with_code(chain, beacons, {to_checksum_address(a): bool(hashes[n]) for n, a in addresses.items()})
    beacon_abi = target.artifacts[BEACON_TYPE].abi
    beacon_reads = {name: Read(beacon, beacon_abi, "implementation") for name, beacon in beacons.items() if beacon in live}
    checks = {
        entry.name: [_check_read(target, entry, call, resolver) if hashes[entry.name] else None for call in entry.calls]
        for entry in entries
    }
    reads = [*beacon_reads.values(), *(c[0] for cs in checks.values() for c in cs if c is not None)]
    results = iter(chain.call_many(reads))
    for name in beacon_reads:
        facts[name]["beacon_implementation"] = next(results).unwrap()
    return {
        name: Observation(checks=tuple(None if c is None else _holds(next(results), c[1]) for c in checks[name]), **facts[name])
        for name in facts
    }


def _with_code(chain: Chain, beacons: dict[str, str], known: dict[str, bool]) -> set[str]:
    """The beacon addresses that have code: recorded ones are known already, the others are asked."""
    unknown = sorted({b for b in beacons.values() if b not in known})
    known = {**known, **dict(zip(unknown, (bool(code) for code in chain.codes(unknown))))} if unknown else known
    return {b for b in beacons.values() if known[b]}


def _call_site(target: Target, entry: Contract, call: Call, resolver: Resolver) -> tuple[str, Artifact]:
    name = call.target or entry.name
    address = resolver.facets.get(name, {}).get("address")
    if address is None:
        raise Pending(name)
    owner = entry if name == entry.name else target.manifest.entry(name)
    return address, target.artifacts[owner.contract_type]


def _check_read(target: Target, entry: Contract, call: Call, resolver: Resolver) -> tuple[Read, Any] | None:
    """The view that tells whether a call's effect holds, and the value it must return; None
    while it names an entry not deployed yet."""
    try:
        address, artifact = _call_site(target, entry, call, resolver)
        args = resolver.values(call.check.args)
        expect = resolver.value(call.check.expect)
    except Pending:
        return None
    return Read(address, artifact.abi, call.check.function, tuple(args)), expect


def _holds(result: ReadResult, expect: Any) -> bool:
    value = result.unwrap()
    if isinstance(expect, str) and isinstance(value, str):
        return value.lower() == expect.lower()
    return bool(value == expect)


def check_holds(target: Target, entry: Contract, call: Call, resolver: Resolver) -> bool | None:
    check = _check_read(target, entry, call, resolver)
    return None if check is None else _holds(target.chain.call_many([check[0]])[0], check[1])


def ready_local_chain(target: Target) -> None:
    """Put Multicall3 at its canonical address on a local chain, as public chains have it, so later
    reads batch through it. Idempotent: nothing happens when the code is there already."""
    if target.network.local:
        target.chain.place_code(MULTICALL3, target.artifacts[MULTICALL3_TYPE].runtime)


def check_no_deployer_power(target: Target) -> None:
    """On a live network, no power the team must name (an agent, an operator, the attestor) is the
    deploying account: the deployer keeps nothing once the deploy is over."""
    if target.network.local or target.account is None:
        return
    deployer = to_checksum_address(target.account.address)
    resolver = make_resolver(target, None)
    for key in target.network.required:
        try:
            value = resolver.value(target.network.params[key])
        except Pending:
            continue
        if isinstance(value, str) and value.lower() == deployer.lower():
            raise RwaError(
                f"parameter '{key}' of {target.network.name} is the deploying account {deployer}: on a live network "
                "no power stays with the deployer; name a Safe or another key of the team"
            )


def accepted_code_hashes(target: Target, entry: Contract, external: External) -> set[str]:
    """The code hashes an external contract may have: the one the manifest names, and that of the
    project's own build of its contract type (what a rehearsal chain or a local copy carries)."""
    accepted = {external.code_hash.lower()} if external.code_hash else set()
    runtime = target.artifacts[entry.contract_type].runtime
    if runtime:
        accepted.add("0x" + keccak(runtime).hex())
    return accepted


def check_externals(target: Target) -> list[tuple[Contract, External, str]]:
    """Every external contract of the network is where the manifest says, with the code it expects
    (one batch of code hashes); anything else is one line and nothing is sent. Returns each with
    the code hash found."""
    network = target.network.name
    externals = [(e, x) for e in target.entries if (x := e.external_on(network)) is not None]
    hashes = target.chain.code_hashes([x.address for _, x in externals]) if externals else []
    found = []
    for (entry, external), code_hash in zip(externals, hashes):
        if code_hash is None:
            raise RwaError(
                f"{entry.name}: no code at {external.address} on {network}, where the manifest says this "
                "external contract already exists; nothing was sent"
            )
        accepted = accepted_code_hashes(target, entry, external)
        if accepted and code_hash.lower() not in accepted:
            raise RwaError(
                f"{entry.name}: the code at {external.address} on {network} has hash {code_hash}, not the "
                f"{external.code_hash} the manifest expects there (nor the project's {entry.contract_type}); nothing was sent"
            )
        found.append((entry, external, code_hash))
    return found


def external_record(target: Target, entry: Contract, external: External, code_hash: str) -> dict[str, Any]:
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


def plan_deployment(target: Target) -> tuple[Plan, dict[str, Any] | None]:
    """Validate the manifest, check the chain's identity and its external contracts, observe and
    plan. Sends nothing."""
    validate_target(target)
    check_no_deployer_power(target)
    externals = check_externals(target)
    record = load_record(target)
    lost = lost_by_local_chain(target, record)
    if record is not None and lost:
        record = {**record, "contracts": {n: c for n, c in record["contracts"].items() if n not in lost}}
    resolver = make_resolver(target, record)
    observations = observe(target, record, resolver)
    planned = plan(target.entries, record, target.artifacts, observations, resolver, lost, None if target.network.local else target.network.name)
    return replaced(planned, externals=tuple(externals)), record


def lost_by_local_chain(target: Target, record: dict[str, Any] | None) -> dict[str, str]:
    """The recorded contracts a local chain lost in a crash, with why: it restarted from its last
    saved state (same genesis), so blocks mined after that save are gone, and with them every
    contract recorded in them. Such a contract has no code and a block the chain has not reached;
    only a local chain is trusted to rewind like this, and there the deploy recreates exactly
    those (at their old addresses, since the deployer's nonce rewound too)."""
    if not target.network.local or record is None:
        return {}
    head = target.chain.block_number
    after_head = {
        name: entry
        for name, entry in record["contracts"].items()
        if int(entry.get("blockNumber") or 0) > head
    }
    if not after_head:
        return {}
    codes = target.chain.codes([entry["address"] for entry in after_head.values()])
    return {
        name: f"the local chain lost it (recorded in block {entry['blockNumber']}; the chain restarted at block {head})"
        for (name, entry), code in zip(after_head.items(), codes)
        if not code
    }


def git_commit(paths: ProjectPaths) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.root, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


@dataclass(frozen=True)
class DeployOptions:
    """How a deploy may proceed where the chain and the files disagree, and how it pays."""

    adopt: bool = False  # no record: rebuild it from the chain (CREATE2 addresses, past creations)
    fresh: bool = False  # no record: deploy anew, deliberately, though the account has sent before
    wait: bool = False  # another operator holds the network: wait for them instead of refusing
    max_fee: int | None = None  # wei per gas; over the network's fees.max_fee
    stuck_after: int | None = None  # seconds; over the network's fees.stuck_after
    timeout: float = 600.0  # seconds one transaction may take before the deploy stops (a rerun resumes)
    confirmations: int | None = None  # blocks that make a transaction mined; None: the network's (1 live, 0 local)


@dataclass(frozen=True)
class Spent:
    """What one transaction this deploy sent cost: its journal key, the gas it used, the price paid."""

    key: str
    gas_used: int
    gas_price: int


#: How long one look at a pending transaction waits before checking its fees and the pool again.
POLL_SECONDS = 2.0

class Executor:
    """Sends the transactions of one deploy through the journal."""

    def __init__(
        self,
        target: Target,
        journal: Journal,
        report: Reporter,
        policy: FeePolicy | None = None,
        timeout: float = 600.0,
        confirmations: int = 0,
    ):
        self.target = target
        self.chain = target.chain
        self.journal = journal
        self.report = report
        if target.account is None:
            raise RwaError("sending needs an account (--account)")
        self.account = target.account
        self.sender = to_checksum_address(target.account.address)
        self.policy = policy or FeePolicy()
        self.timeout = timeout
        #: Creations the deployer mined that the journal does not name (a truncated journal, a lost
        #: record): a step whose exact transaction is among them adopts it instead of sending again.
        self.recovered: list[SentTransaction] = []
        self.confirmations = confirmations
        #: Every transaction this run sent and saw mined, with its gas: printed beside the estimate.
        self.spent: list[Spent] = []

    # --- what a previous run left in flight -----------------------------------------------

    def settle(self) -> None:
        """Finish whatever a previous, interrupted run left in flight. A transaction whose nonce
        is still free is waited for (re-broadcast if the node dropped it, outbid if it is stuck),
        never replaced by a new step; only once another transaction has taken its nonce is it
        given up, after looking at what that other transaction did."""
        for flight in self.journal.open_flights():
            first = flight[0]
            receipt = self._mined(flight)
            if receipt is None and self.chain.mined_nonce(first.sender) <= first.nonce:
                latest = flight[-1]
                if self.chain.transaction(latest.hash) is None:  # never left, or the node dropped it
                    status, _ = self.chain.offer(latest.raw)
                    if status == ACCEPTED:
                        self.report("resume", _entry(first.key), f"re-broadcast {latest.hash[:12]}…")
                self.report("resume", _entry(first.key), f"waiting for {latest.hash[:12]}… (nonce {first.nonce})")
                receipt = self.await_flight(flight)
            if receipt is None:
                self.taken(flight)
                continue
            self._close(first, receipt)
            self.report("resume", _entry(first.key), f"found mined in block {receipt.block}")

    def reconcile(self) -> None:
        """Before anything is sent or replaced, the journal's open transactions must be within
        reach of the account's nonce on the chain: one with a nonce below it that the chain has
        neither mined nor holds waits behind a gap the chain will never fill (the node restarted
        from an older state, or this is not the chain the deploy began on), and waiting for it, or
        outbidding it, never ends. On a local chain what it lost is recreated: such transactions are taken out of the
        node's pool (so none can be mined later, at a nonce the deploy reuses) and given up, and
        the steps are checked again. On a live network the deploy stops, saying what the chain
        shows and what to do."""
        flights = [f for f in self.journal.open_flights() if f[0].sender.lower() == self.sender.lower()]
        if not flights:
            return
        missing = self.chain.gap_before(self.sender, flights[-1][0].nonce)
        beyond = [f for f in flights if missing is not None and f[0].nonce > missing]
        if not beyond:
            return
        first = beyond[0][0]
        mined, head = self.chain.mined_nonce(self.sender), self.chain.block_number
        shows = f"{self.sender} has {mined} transaction(s) mined (head block {head}) and none known at nonce {missing}"
        if not self.target.network.local:
            path = self.journal.path
            raise RwaError(
                f"{_entry(first.key)}: the journal's transaction {first.hash[:12]}… has nonce {first.nonce} but on "
                f"{self.target.network.name} {shows}: it can never be mined; nothing was sent. Check that --rpc-url "
                f"is the chain this deploy began on; if that chain really lost these transactions, `mv {path} "
                f"{path}.lost` and rerun `rwa deploy --adopt`"
            )
        for flight in beyond:
            for intent in flight:
                self.chain.forget_pending(self.sender, intent.hash)
            reason = f"the local chain lost nonces {missing}..{flight[0].nonce - 1} ({shows})"
            self.journal.record_abandoned(flight[0].key, flight[-1].hash, reason)
            self.report("abandoned", _entry(flight[0].key), f"{reason}; the step is checked again")

    def _mined(self, flight: list[Intent]) -> Receipt | None:
        for intent in flight:
            receipt = self.chain.receipt(intent.hash)
            if receipt is not None:
                return receipt
        return None

    def _close(self, intent: Intent, receipt: Receipt) -> Outcome:
        address = created_address(receipt, intent.address, intent.address_topic) if receipt.status == 1 else None
        outcome = Outcome(intent.key, receipt.hash, receipt.status, receipt.block, address, receipt.gas_used)
        self.journal.record_outcome(outcome)
        return outcome

    def taken(self, flight: list[Intent]) -> None:
        """Another transaction was mined at the flight's nonce: adopt it when it did exactly what
        ours would (the same call, sent at other fees), else give ours up; the step is then
        checked again (a creation's record, a call's check) before anything is re-sent."""
        first = flight[0]
        ours = decode_raw(first.raw)
        begin = self.journal.begin()
        found = self.chain.sent_by(first.sender, begin.block if begin else 0, {first.nonce})
        other = found[0] if found else None
        if other is not None and other.to == ours.to and other.data == ours.data:
            receipt = self.chain.receipt(other.hash)
            assert receipt is not None
            self._close(first, receipt)
            self.report("adopted", _entry(first.key), f"{other.hash[:12]}… did the same at nonce {first.nonce}")
            return
        if other is None:
            what = "a transaction before the journal began"
        elif other.to is None:
            what = f"{other.hash[:12]}…, another creation"
        else:
            what = f"{other.hash[:12]}…, a call to {other.to}"
        self.journal.record_abandoned(first.key, flight[-1].hash, f"nonce {first.nonce} taken by {what}")
        self.report("abandoned", _entry(first.key), f"nonce {first.nonce} was taken by {what}; the step is checked again")

    # --- sending --------------------------------------------------------------------------

    def check_idle(self) -> None:
        """Refuse to send while the account has transactions in flight that are not this deploy's:
        another operator (or tool) sends from it, and both would sign the same nonces."""
        pending, mined = self.chain.nonce(self.sender), self.chain.mined_nonce(self.sender)
        if pending != mined:
            raise RwaError(
                f"{self.sender} has {pending - mined} pending transaction(s) this deploy did not send "
                f"(nonces {mined}..{pending - 1}): another operator or tool is sending from it; "
                "nothing was sent: rerun once they are mined"
            )

    def begin(self) -> None:
        """Note where this deploy starts, so a resume can find what the account mined since."""
        if self.journal.begin() is None:
            self.journal.record_begin(Begin(self.sender, self.chain.mined_nonce(self.sender), self.chain.block_number))

    def recover(self, from_block: int, known_addresses: set[str]) -> None:
        """Collect the deployer's mined creations since ``from_block`` that the journal does not
        name and that no record holds: each may be a step done before the file that told of it
        was lost, and is adopted by the step that would send exactly it."""
        known = self.journal.known_hashes()
        addresses = {a.lower() for a in known_addresses}
        self.recovered = []
        for tx in self.chain.sent_by(self.sender, from_block):
            if tx.hash.lower() in known:
                continue
            if tx.to is None and create_address(self.sender, tx.nonce).lower() in addresses:
                continue
            self.recovered.append(tx)

    def _adopt_recovered(
        self, key: str, to: str | None, data: bytes, address: str | None, address_topic: str | None
    ) -> Outcome | None:
        for tx in self.recovered:
            if (tx.to or "").lower() != (to or "").lower() or tx.data != data:
                continue
            receipt = self.chain.receipt(tx.hash)
            if receipt is None or receipt.status != 1:
                continue
            made = created_address(receipt, create_address(self.sender, tx.nonce) if to is None else address, address_topic)
            if made is None or not self.chain.code(made):
                continue
            self.recovered.remove(tx)
            outcome = Outcome(key, tx.hash, 1, receipt.block, made, receipt.gas_used)
            self.journal.record_outcome(outcome)
            self.report("adopted", _entry(key), f"{made}, created by {tx.hash[:12]}… (nonce {tx.nonce})")
            return outcome
        return None

    def send(
        self, key: str, to: str | None, data: bytes, address: str | None = None, address_topic: str | None = None
    ) -> Outcome:
        if to is None or address is not None or address_topic is not None:
            adopted = self._adopt_recovered(key, to, data, address, address_topic)
            if adopted is not None:
                return adopted
        nonce = self.chain.nonce(self.sender)
        fees = self.policy.price(self.chain.base_fee(), self.chain.suggested_priority_fee())
        signed = self.chain.sign_priced(self.account, to, data, nonce, fees.max_fee, fees.priority_fee)
        if to is None:
            address = create_address(self.sender, nonce)
        intent = Intent(
            key, nonce, signed.hash, signed.raw, self.sender, address, address_topic, fees.max_fee, fees.priority_fee
        )
        self.journal.record_intent(intent)
        self.chain.broadcast(signed.raw)
        receipt = self.await_flight([intent])
        if receipt is None:
            self.taken([intent])
            raise RwaError(f"{_entry(key)}: another transaction took nonce {nonce} while ours waited; rerun to resume")
        outcome = self._close(intent, receipt)
        if receipt.status != 1:
            reason = self.chain.revert_reason(replaced(signed, hash=receipt.hash))
            raise RwaError(f"{_entry(key)}: transaction {receipt.hash} reverted: {reason}")
        self.spent.append(Spent(key, receipt.gas_used, receipt.effective_gas_price))
        self.await_confirmations(receipt)
        return outcome

    def await_confirmations(self, receipt: Receipt) -> None:
        """Wait until the receipt's block has ``confirmations - 1`` blocks over it (1: mined is enough)."""
        wanted = receipt.block + self.confirmations - 1
        deadline = time.monotonic() + self.timeout
        while self.confirmations > 1 and self.chain.block_number < wanted:
            if time.monotonic() > deadline:
                raise RwaError(f"{receipt.hash} has fewer than {self.confirmations} confirmations after {self.timeout:.0f}s; rerun to resume")
            time.sleep(POLL_SECONDS / 4)

    def await_flight(self, flight: list[Intent]) -> Receipt | None:
        """Wait until one transaction of the flight is mined (its receipt), or another transaction
        takes its nonce (None), for at most the deploy's timeout. Meanwhile the transaction the
        node holds is the one judged: if the node holds none of the flight (it dropped them) the
        newest it takes again is re-broadcast; one stuck past the policy's time, or whose max fee
        the base fee has passed, is replaced at the same nonce, priced from the market and from
        the transaction in the pool (never from a replacement the node refused); every
        replacement is journaled before it is broadcast."""
        flight = list(flight)
        started = since = time.monotonic()
        while True:
            latest = flight[-1]
            try:
                return self.chain.wait(latest.hash, POLL_SECONDS)
            except RwaError:
                pass  # not mined yet: look at the pool and the fees
            taken = self.chain.mined_nonce(latest.sender) > latest.nonce
            receipt = self._mined(flight)
            if receipt is not None or taken:
                return receipt
            if time.monotonic() - started > self.timeout:
                raise RwaError(
                    f"{_entry(latest.key)}: transaction {latest.hash} not mined after {self.timeout:.0f}s; "
                    "rerun to resume (it is kept, and replaced if it stays stuck)"
                )
            held = self.held(flight)
            if held is None:
                continue  # the nonce was taken meanwhile: the next look tells by whom
            base_fee = self.chain.base_fee()
            fits = decode_raw(held.raw).max_fee >= base_fee
            if fits and time.monotonic() - since <= self.policy.stuck_after:
                continue
            replacement = self.replace(held, base_fee)
            if replacement is not None:
                flight.append(replacement)
                since = time.monotonic()

    def held(self, flight: list[Intent]) -> Intent | None:
        """The flight's transaction the node holds, newest first; when it holds none (it dropped
        them all), the newest it takes again, re-broadcast; None when its nonce is taken."""
        for intent in reversed(flight):
            if self.chain.transaction(intent.hash) is not None:
                return intent
        for intent in reversed(flight):
            status, _ = self.chain.offer(intent.raw)
            if status == NONCE_USED:
                return None
            if status == ACCEPTED:
                self.report("resent", _entry(intent.key), f"{intent.hash[:12]}… (the node had dropped it)")
                return intent
        return flight[0]  # the node takes none of them back: a replacement, priced from the market, is next

    def replace(self, held: Intent, base_fee: int) -> Intent | None:
        """Outbid ``held`` (the flight's transaction in the pool) at its nonce: the same call, at
        the market's price or 12.5% over ``held``'s, whichever is higher, within the cap; None
        when the cap leaves no room, so the flight can only wait. Its cost is checked against the
        account's balance before it is signed: one line, and nothing signed, when it cannot pay."""
        raw = decode_raw(held.raw)
        fresh = self.policy.price(base_fee, self.chain.suggested_priority_fee())
        fees = self.policy.bump(Fees(raw.max_fee, raw.priority_fee), fresh)
        if fees is None:
            return None
        cost, balance = raw.gas * fees.max_fee + raw.value, self.chain.balance(self.sender)
        if cost > balance:
            raise RwaError(
                f"{_entry(held.key)}: replacing {held.hash[:12]}… (nonce {held.nonce}) at {gwei(fees.max_fee)} gwei "
                f"(base fee {gwei(base_fee)} gwei) may cost {cost / 1e18:.6f} ETH but {self.sender} holds "
                f"{balance / 1e18:.6f} ETH: nothing was signed; the transaction stays in the pool: rerun when "
                "fees fall (or fund the account, or cap with --max-fee)"
            )
        signed = self.chain.sign_priced(
            self.account, raw.to, raw.data, held.nonce, fees.max_fee, fees.priority_fee, raw.gas, raw.value
        )
        intent = replaced(
            held, hash=signed.hash, raw=signed.raw, max_fee=fees.max_fee, priority_fee=fees.priority_fee,
            replaces=held.hash,
        )  # fmt: skip
        self.journal.record_intent(intent)
        status, said = self.chain.offer(signed.raw)
        if status == REFUSED:
            raise RwaError(f"{_entry(held.key)}: the node refused a replacement at {gwei(fees.max_fee)} gwei ({said}); rerun to resume")
        self.report(
            "replaced", _entry(held.key),
            f"{held.hash[:12]}… by {signed.hash[:12]}… (max fee {gwei(fees.max_fee)} gwei, nonce {held.nonce})",
        )  # fmt: skip
        return intent

    def create(self, entry: Contract, part: str, contract_type: str, args: list[Any]) -> tuple[str, Outcome | None]:
        """Deploy (or find already deployed) one contract of an entry."""
        artifact = self.target.artifacts[contract_type]
        initcode = self.chain.encode_deploy(artifact.abi, artifact.bytecode, args)
        key = f"{entry.name}/{part}/{keccak(initcode).hex()[:16]}"
        done = self.journal.outcome(key)
        if done and done.address and self.chain.code(done.address):
            return done.address, done
        if entry.salt:
            salt = keccak(text=f"{entry.salt}/{part}")
            address = create2_address(CREATE2_DEPLOYER, salt, initcode)
            if self.chain.code(address):
                return address, None  # the same initcode is already there: adopt it
            if not self.chain.code(CREATE2_DEPLOYER):
                raise RwaError(f"{entry.name}: no CREATE2 deployer at {CREATE2_DEPLOYER} on this chain")
            outcome = self.send(key, CREATE2_DEPLOYER, salt + initcode, address)
        else:
            outcome = self.send(key, None, initcode)
        self.report("created", entry.name, f"{part} {contract_type} at {outcome.address}")
        assert outcome.address is not None
        return outcome.address, outcome

    def create_through_factory(self, entry: Contract, resolver: Resolver) -> tuple[str, Outcome]:
        made = entry.created_by
        assert made is not None
        factory = resolver.value(made.factory)
        factory_type = self._contract_type_at(factory, resolver)
        abi = self.target.artifacts[factory_type].abi
        data = self.chain.encode_call(abi, made.function, resolver.values(made.args))
        key = f"{entry.name}/factory/{keccak(data).hex()[:16]}"
        done = self.journal.outcome(key)
        if done and done.address and self.chain.code(done.address):
            return done.address, done
        outcome = self.send(key, factory, data, address_topic=parsed(event_topic, abi, made.event))
        if outcome.address is None:
            raise RwaError(f"{entry.name}: {factory_type}.{made.function} emitted no {made.event}")
        self.report("created", entry.name, f"{entry.contract_type} at {outcome.address} by {factory_type}")
        return outcome.address, outcome

    def _contract_type_at(self, address: str, resolver: Resolver) -> str:
        return self._entry_at(address, resolver).contract_type

    def _entry_at(self, address: str, resolver: Resolver) -> Contract:
        for name, facets in resolver.facets.items():
            if (facets.get("address") or "").lower() == address.lower():
                return self.target.manifest.entry(name)
        raise RwaError(f"factory at {address} is not an entry of the manifest on {self.target.network.name}")

    def _factory_proxy(self, entry: Contract, factory_type: str, resolver: Resolver) -> dict[str, Any] | None:
        """A factory-made entry behind a beacon: the manifest's one beacon of its contract type
        (PropertyTokenBeacon for a PropertyToken), when the factory makes beacon proxies."""
        proxy_type = created.FACTORY_PROXY_TYPES.get(factory_type)
        beacons = [e.name for e in self.target.entries if e.beacon_only and e.contract_type == entry.contract_type]
        beacon = resolver.facets.get(beacons[0], {}).get("address") if len(beacons) == 1 else None
        if proxy_type is None or beacon is None:
            return None
        return created.beacon_proxy(self.target, proxy_type, beacon, entry.contract_type)

    def deploy_entry(self, entry: Contract, resolver: Resolver) -> dict[str, Any]:
        artifacts = self.target.artifacts
        artifact = artifacts[entry.contract_type]
        if entry.created_by is not None:
            made_at, made_by = self.create_through_factory(entry, resolver)
            factory = self._entry_at(resolver.value(entry.created_by.factory), resolver)
            proxy = self._factory_proxy(entry, factory.contract_type, resolver)
            recorded = self._record(entry, made_at, made_by, artifact.abi, entry.contract_type, resolver, proxy)
            recorded["createdBy"] = created.created_by(
                factory.name, resolver.value(entry.created_by.factory), entry.created_by.function,
                made_by.hash, made_by.block, self.sender,
            )  # fmt: skip
            return recorded
        args = resolver.values(entry.args)
        main_part = "contract" if entry.proxy is ProxyKind.NONE else "implementation"
        implementation, impl_outcome = self.create(entry, main_part, entry.contract_type, args)
        proxy_record = None
        address: str = implementation
        outcome: Outcome | None = impl_outcome
        abi, contract_type = artifact.abi, entry.contract_type
        if entry.beacon_only:
            beacon, outcome = self.create(entry, "beacon", BEACON_TYPE, [implementation, resolver.value(entry.admin)])
            address, abi, contract_type = beacon, artifacts[BEACON_TYPE].abi, BEACON_TYPE
            proxy_record = self._proxy_record(entry, BEACON_TYPE, implementation, impl_outcome, None, beacon)
        elif entry.proxy is not ProxyKind.NONE:
            assert entry.initializer is not None
            init = self.chain.encode_call(artifact.abi, entry.initializer, resolver.values(entry.init_args))
            proxy_type = PROXY_TYPES[entry.proxy]
            admin = beacon = None
            if entry.proxy is ProxyKind.UUPS:
                address, outcome = self.create(entry, "proxy", proxy_type, [implementation, init])
            elif entry.proxy is ProxyKind.TRANSPARENT:
                owner = resolver.value(entry.admin)
                address, outcome = self.create(entry, "proxy", proxy_type, [implementation, owner, init])
                admin = self.chain.storage_address(address, ADMIN_SLOT)
            else:
                owner = resolver.value(entry.admin)
                beacon, _ = self.create(entry, "beacon", BEACON_TYPE, [implementation, owner])
                address, outcome = self.create(entry, "proxy", proxy_type, [beacon, init])
            proxy_record = self._proxy_record(entry, proxy_type, implementation, impl_outcome, admin, beacon)
        return self._record(entry, address, outcome, abi, contract_type, resolver, proxy_record)

    def layout(self, contract_type: str) -> dict[str, Any] | None:
        """The storage layout of an implementation, kept so a later upgrade can be checked."""
        layout = layout_for(self.target.paths, self.target.artifacts[contract_type])
        return layout.as_json() if layout else None

    def _record(
        self,
        entry: Contract,
        address: str,
        outcome: Outcome | None,
        abi: list[dict[str, Any]],
        contract_type: str,
        resolver: Resolver,
        proxy_record: dict[str, Any] | None,
    ) -> dict[str, Any]:
        artifact = self.target.artifacts[entry.contract_type]
        return {
            "name": entry.name,
            "contractType": contract_type,
            "address": address,
            "abi": abi,
            "transactionHash": outcome.hash if outcome else None,
            "blockNumber": outcome.block if outcome else None,
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
        impl_outcome: Outcome | None,
        admin: str | None,
        beacon: str | None,
    ) -> dict[str, Any]:
        return {
            "kind": entry.proxy.value,
            "proxyContractType": proxy_type,
            "implementation": implementation,
            "implementationContractType": entry.contract_type,
            "implementationTransactionHash": impl_outcome.hash if impl_outcome else None,
            "admin": admin,
            "beacon": beacon,
        }

    def run_calls(self, entry: Contract, resolver: Resolver) -> None:
        for index, call in enumerate(entry.calls):
            if check_holds(self.target, entry, call, resolver):
                continue
            address, artifact = _call_site(self.target, entry, call, resolver)
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


def _entry(key: str) -> str:
    """The manifest entry a journal key is about (``Registry/proxy/1a2b…`` → ``Registry``)."""
    return key.split("/")[0]


def created_address(receipt: Receipt, address: str | None, address_topic: str | None) -> str | None:
    """A creation's address: known ahead (CREATE, CREATE2), or the event the factory emitted."""
    if address_topic is None:
        return address
    topic0, _, position = address_topic.partition("#")
    index = int(position or 1)
    for log in receipt.logs:
        topics = [("0x" + bytes(t).hex()) if not isinstance(t, str) else t for t in log["topics"]]
        if len(topics) > index and topics[0].lower() == topic0.lower():
            return to_checksum_address("0x" + topics[index][-40:])
    return None


def estimate_cost(target: Target, deploy_plan: Plan) -> int:
    """A cautious upper estimate of the wei a plan will spend (creations by size, calls flat)."""
    gas = 0
    for step in deploy_plan.steps:
        if step.action == StepAction.CREATE:
            entry = target.manifest.entry(step.name)
            if entry.created_by is not None:
                gas += 400_000
                continue
            parts = [entry.contract_type] + ([] if entry.proxy is ProxyKind.NONE else [PROXY_TYPES[entry.proxy]])
            if entry.proxy is ProxyKind.BEACON:
                parts.append(BEACON_TYPE)
            for part in parts:
                gas += 53_000 + 220 * len(target.artifacts[part].bytecode) + 150_000
        elif step.action == StepAction.CALL:
            gas += 150_000
    return gas * target.chain.gas_price() * 5 // 4


def occupied_create2(target: Target) -> list[str]:
    """The salted entries whose CREATE2 address already holds code (those whose constructor
    arguments can be resolved before anything is deployed)."""
    resolver = make_resolver(target, None)
    found = []
    for entry in target.entries:
        if not entry.salt or entry.created_by is not None:
            continue
        try:
            args = resolver.values(entry.args)
        except Pending:
            continue
        part = "contract" if entry.proxy is ProxyKind.NONE else "implementation"
        artifact = target.artifacts[entry.contract_type]
        initcode = target.chain.encode_deploy(artifact.abi, artifact.bytecode, args)
        if target.chain.code(create2_address(CREATE2_DEPLOYER, keccak(text=f"{entry.salt}/{part}"), initcode)):
            found.append(entry.name)
    return found


def check_unrecorded(target: Target, sender: str, options: DeployOptions) -> None:
    """No record and no journal: refuse to create anything when the chain says this account has
    deployed here before (its nonce is not zero, or a CREATE2 entry's address holds code), unless
    told to rebuild the record (--adopt) or to deploy anew (--fresh). A lost file must never turn
    into a second suite."""
    if options.adopt or options.fresh:
        return
    nonce = target.chain.nonce(sender)
    occupied = occupied_create2(target)
    if not nonce and not occupied:
        return
    network = target.network.name
    evidence = [f"{sender} has sent {nonce} transaction(s)"] if nonce else []
    if occupied:
        evidence.append(f"code already sits at the CREATE2 address of {', '.join(occupied)}")
    hint = "; on a local chain `rwa node reset` also starts over" if target.network.local else ""
    raise RwaError(
        f"{target.store.path(network)} does not exist but {' and '.join(evidence)}: nothing was sent; "
        f"rerun with --adopt to rebuild the record from the chain, or --fresh to deploy anew deliberately{hint}"
    )


def recovery_start(target: Target, journal: Journal, record: dict[str, Any] | None, adopt: bool) -> int | None:
    """The block from which the deployer's mined transactions are matched against the steps, or
    None to match nothing: from the journal's beginning on a resume (a truncated journal loses
    lines, not transactions); from the record's last creation when the journal is missing or cut
    before its beginning, or with --adopt (from genesis when there is no record: the deployer's
    transactions are found by bisecting its nonce, not by reading every block)."""
    begin = journal.begin()
    if begin is not None:
        return begin.block
    blocks = [int(c["blockNumber"]) for c in (record or {}).get("contracts", {}).values() if c.get("blockNumber")]
    if blocks and (adopt or journal.path.is_file()):
        return max(blocks)
    return 0 if adopt else None


def apply_deployment(
    target: Target, report: Reporter = _silent, options: DeployOptions | None = None, ledger: list[Spent] | None = None
) -> tuple[Plan, dict[str, Any]]:
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


def _apply(target: Target, report: Reporter, options: DeployOptions, ledger: list[Spent] | None) -> tuple[Plan, dict[str, Any]]:
    ready_local_chain(target)
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
        return deploy_plan, record or {}
    policy = policy_for(network, options.max_fee, options.stuck_after)
    confirmations = network.wanted_confirmations if options.confirmations is None else options.confirmations
    executor = Executor(target, journal, report, policy, options.timeout, confirmations)
    if ledger is not None:
        executor.spent = ledger
    if record is None and not journal.intents():
        check_unrecorded(target, executor.sender, options)
    if not network.local:
        cost, balance = estimate_cost(target, deploy_plan), target.chain.balance(target.account.address)
        if balance < cost:
            raise RwaError(
                f"{target.account.address} holds {balance / 1e18:.6f} ETH but this deploy may cost up to "
                f"{cost / 1e18:.6f} ETH; nothing was sent"
            )
    # A rewound local chain may keep part of a lost entry (a proxy's implementation): adopt it.
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
    save()
    journal.clear()
    return deploy_plan, record
