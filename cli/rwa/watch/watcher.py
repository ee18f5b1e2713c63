"""The watcher: follows a network's chain, keeps the events of its contracts and raises alerts.

Each step fetches the logs of every watched contract over a range of confirmed blocks (ranges
adapt: halved when the node refuses one as too large), discovers what the factories made in it,
decodes the events, evaluates the rules and commits the events, alerts and the cursor's advance in
one transaction of its store. Before each step the newest processed block's hash is compared with the
chain's: after a reorganisation the watcher goes back to the newest block both agree on, retracts
the alerts of the blocks undone, and evaluates the new blocks again.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin.reconcile import known as known_abis
from rwa.chain.client import Chain, Read, RpcUnreachable
from rwa.core.abi import checksummed
from rwa.core.errors import RwaError
from rwa.core.project import ProjectPaths
from rwa.deploy.records import DeploymentRecord, recorded_contracts
from rwa.deploy.records import now as records_now
from rwa.deploy.target import Target, load_record, named_accounts, resolve_param
from rwa.domain.fanpay import payment_confirmations
from rwa.watch import lapses as lapses_module
from rwa.watch import payments as payments_module
from rwa.watch.compose import Composer
from rwa.watch.rules import FACTORIES, Decoder, Log, Rule, Subject
from rwa.watch.sinks import Delivery
from rwa.watch.store import Store, json_text

#: Blocks per eth_getLogs range at most (public RPCs cap ranges; a refusal halves it).
DEFAULT_SPAN = 2000
#: Confirmations waited per network when --confirmations is not given: none on local chains.
LOCAL_CONFIRMATIONS, LIVE_CONFIRMATIONS = 0, 12
#: Objects made between two collections of young ones while the watcher runs (Python's default: 700).
YOUNG_COLLECTION = 50_000
#: The longest pause between two tries of an RPC that does not answer.
MAX_BACKOFF_SECONDS = 30.0
DECIMALS_ABI = [
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": "uint8"}]}
]


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cycle collector, tuned for a backfill: each range makes hundreds of thousands of short-lived
    objects (parsed logs, their arguments), none in a cycle, and by default every 700 of them the collector
    runs, and every few of those walks the whole heap Ape left alive (a third of the backfill's time). What
    is alive when the watcher starts is set aside (``gc.freeze``) and young objects are looked at every
    50,000; the process's settings are restored after (tests run watchers in theirs)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def database_path(paths: ProjectPaths, network: str) -> Path:
    """A network's watcher database: ``<state dir>/watch/<network>.sqlite``."""
    return paths.state_dir / "watch" / f"{network}.sqlite"


def transient(exc: BaseException) -> bool:
    """An RPC that did not answer (dropped, restarting, timed out): tried again with backoff."""
    import requests

    return isinstance(exc, (OSError, TimeoutError, RpcUnreachable, requests.exceptions.RequestException))


def record_subjects(target: Target, record: DeploymentRecord) -> list[Subject]:
    """Every recorded contract but the stablecoin (others' token: its transfers are not ours)."""
    stablecoin = resolve_param(target, record, "stablecoin")
    skip = {str(stablecoin).lower()} if isinstance(stablecoin, str) else set()
    found = []
    for name, entry in recorded_contracts(record):
        address = to_checksum_address(entry["address"])
        if address.lower() in skip:
            continue
        found.append(Subject(address, name, str(entry["contractType"])))
    return found


def deployment(record: DeploymentRecord) -> tuple[frozenset[str], int] | None:
    """The deployment's own transactions: who sends them, and the last block it made a contract in
    (the manifest's contracts, not what commands made later through the factories)."""
    entries = list(record.get("contracts", {}).values())
    blocks = [block for e in entries if isinstance(block := e.get("blockNumber"), int)]
    deployers = {str(to_checksum_address(deployer)) for e in entries if (deployer := e.get("deployer"))}
    # On a local chain the deploy also acts as its own contracts (the timelock, impersonated).
    deployers |= {str(to_checksum_address(e["address"])) for e in entries if e.get("address")}
    return (frozenset(deployers), max(blocks)) if blocks and deployers else None


def start_block(record: DeploymentRecord) -> int:
    """Where a new database starts: the earliest block the record names (0 when it names none)."""
    blocks = [entry.get("blockNumber") for _, entry in recorded_contracts(record)]
    known = [int(b) for b in blocks if isinstance(b, int)]
    return min(known) if known else 0


@dataclass
class Watcher:
    target: Target
    store: Store
    rules: list[Rule]
    delivery: Delivery
    say: Callable[[str], None]
    confirmations: int
    span: int = DEFAULT_SPAN
    subjects: dict[str, Subject] = field(default_factory=dict)
    raised: int = 0
    checksums: dict[str, str] = field(default_factory=dict)
    #: Raise the alerts of the deployment's own transactions too (a watcher started on an existing
    #: deployment does not, by default: nobody is paged for the deploy itself).
    deployment_alerts: bool = False
    #: The expiry in force of each membership at the cursor (None: to be read from the store).
    expiries: dict[tuple[str, int], lapses_module.Expiry] | None = None
    #: The chain's head when the step began (fans' payments are confirmed against it).
    head: int = 0

    def __post_init__(self) -> None:
        record = load_record(self.target)
        if record is None:
            raise RwaError(f"nothing deployed on {self.target.network.name} yet: run `rwa deploy`")
        self.record = record
        self.chain: Chain = self.target.chain
        self.decoder = Decoder(self.target.artifacts, {str(e["contractType"]): e["abi"] for _, e in recorded_contracts(record)})
        self.recorded = record_subjects(self.target, record)
        self.recorded_names = {s.address: s.label for s in self.recorded}
        self.books = payments_module.Books(self.chain, payment_confirmations(self.target.network))
        deployers = {str(to_checksum_address(d)) for _, e in recorded_contracts(record) if (d := e.get("deployer"))}
        self.accounts: dict[str, str] = {a: "deployer" for a in deployers}
        self.accounts.update({str(to_checksum_address(a)): n for n, a in named_accounts(self.target.network).items()})
        self.composer = Composer(
            self.chain, self.store, known_abis(self.target), self.target.network.name, self.names, say=self.say
        )
        self.composer.created = {
            str(to_checksum_address(address)): block
            for _, e in recorded_contracts(record)
            if (address := e.get("address")) and isinstance(block := e.get("blockNumber"), int)
        }
        if not self.deployment_alerts:
            self.composer.deployment = deployment(record)
        with self.store.transaction() as db:
            self.store.add_contracts(
                db, [(s.address, s.label, s.kind, None, None, None, None) for s in self.recorded], replace=False
            )
            for name, entry in recorded_contracts(record):
                if isinstance(former := entry.get("formerNames"), list) and former:
                    address = to_checksum_address(entry["address"])
                    self.store.rename_contract(db, address, former, name, str(entry["contractType"]))
        self.reload()

    # --- the watched set ----------------------------------------------------------------------------

    def reload(self) -> None:
        """The watched contracts: the record's, and those discovered earlier (from the database)."""
        self.subjects = {s.address: s for s in self.recorded}
        self.expiries = None
        for row in self.store.contracts():
            address = str(row["address"])
            # discovered, or recorded and seen made by its factory (which tells its property id)
            if address not in self.subjects or self.subjects[address].block is None:
                self.subjects[address] = Subject(
                    address, row["label"], row["kind"], row["property_id"], row["block"], row["parent"]
                )

    def names(self) -> dict[str, str]:
        return {**self.accounts, **{a: s.label for a, s in self.subjects.items()}}

    # --- following the chain ----------------------------------------------------------------------

    def run(self, once: bool, until: int | None, poll: float, from_block: int | None) -> int:
        """Follow the chain (``once``: up to the confirmed head or ``until``, then return); the number
        of alerts raised."""
        with fewer_collections():
            return self._run(once, until, poll, from_block)

    def _run(self, once: bool, until: int | None, poll: float, from_block: int | None) -> int:
        backoff = 0.5
        down_since: float | None = None
        begun = False
        while True:
            try:
                if not begun:
                    self._begin(from_block)
                    begun = True
                self._check_reorg()
                self.head = self.chain.head()
                tip = self.head - self.confirmations
                if until is not None:
                    tip = min(tip, until)
                cursor = self.store.cursor
                assert cursor is not None
                if tip > cursor:
                    self._advance(cursor + 1, tip)
                behind = (self.store.cursor or 0) < tip
                if down_since is not None:
                    self.say(f"RPC answers again after {time.monotonic() - down_since:.0f}s: caught up from block {cursor + 1}")
                    down_since, backoff = None, 0.5
            except Exception as exc:
                if not transient(exc):
                    raise
                if down_since is None:
                    down_since = time.monotonic()
                    self.say(f"RPC not answering ({' '.join(str(exc).split())[:100]}): retrying with backoff")
                elif once and time.monotonic() - down_since > 60:
                    raise RwaError("the RPC has not answered for a minute; rerun to resume") from None
                self.delivery.deliver()
                time.sleep(backoff)
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
                continue
            self.delivery.deliver()
            if behind:
                continue  # a step stopped early (new contracts, a reorganisation): the next one goes on
            cursor = self.store.cursor
            if once or (until is not None and cursor is not None and cursor >= until):
                return self.raised
            time.sleep(poll)

    def _begin(self, from_block: int | None) -> None:
        """A new database starts at ``from_block`` or the record's start; --from on an existing one
        goes back there (what was seen is not raised again)."""
        cursor = self.store.cursor
        if cursor is not None and from_block is None:
            return
        first = start_block(self.record) if from_block is None else from_block
        if cursor is not None and first > cursor:
            return  # ahead of where it is: nothing to go back to
        self._earlier_creations(first)
        back = max(first - 1, -1)
        hashes = self.chain.block_hashes([back]) if back >= 0 else {}
        with self.store.transaction() as db:
            self.store.set_cursor(db, back, hashes.get(back))

    def _check_reorg(self) -> None:
        kept = self.store.block_hashes()
        if not kept:
            return
        newest, newest_hash = kept[0]
        if self.chain.block_hashes([newest])[newest] == newest_hash:
            return
        current = self.chain.block_hashes([n for n, _ in kept])
        ancestor = next(((n, h) for n, h in kept if current.get(n) == h), None)
        if ancestor is None:
            raise RwaError(
                f"the chain changed below the last {len(kept)} blocks the watcher keeps (a reorganisation "
                f"deeper than block {kept[-1][0]}, or another chain at this RPC); move {self.store.where} aside"
            )
        with self.store.transaction() as db:
            retracted = self.store.undo_after(db, ancestor[0], records_now())
            self.store.set_cursor(db, ancestor[0], ancestor[1])
        self.reload()
        self.say(
            f"reorganisation: blocks after {ancestor[0]} were replaced; {len(retracted)} alert(s) retracted, "
            "the new blocks are evaluated again"
        )

    def _advance(self, start: int, end: int) -> None:
        addresses = sorted(self.subjects)
        for first, last, raw in self.chain.logs_in_ranges(addresses, start, end, self.span):
            found, discovered = self._discover(list(raw), first, last)
            logs = self._decoded(found, discovered)
            self.composer.prefetch(logs, self.rules)  # the node answers while the range is checked and written
            lapsed = self._lapsed(logs, first, last)
            blocks = {(log.block, log.block_hash) for log in logs}
            hashes = self.chain.block_hashes(sorted({block for block, _ in blocks} | {last}))
            if hashes[last] is None or any(hashes.get(block) != block_hash for block, block_hash in blocks):
                return  # the chain moved under the range: the next step sees the reorganisation
            self._commit(logs, discovered, last, hashes[last], lapsed, blocks)
            self.delivery.deliver()
            if discovered:
                addresses[:] = sorted(self.subjects)  # the following ranges are fetched with the new contracts

    def _discover(self, raw: list[dict[str, Any]], first: int, last: int) -> tuple[list[dict[str, Any]], dict[str, Subject]]:
        """What the factories made in the range, and the logs of those contracts in it too."""
        discovered: dict[str, Subject] = {}
        todo = raw
        while todo:
            fresh = self._creations(todo, discovered)
            if not fresh:
                break
            todo = self.chain.logs_between(sorted(fresh), first, last)
            raw = raw + todo
        if not discovered:
            return raw, discovered  # one answer of the node: in order already
        unique = {(str(r["blockNumber"]), str(r["logIndex"])): r for r in raw}
        ordered = sorted(unique.values(), key=lambda r: (int(str(r["blockNumber"]), 16), int(str(r["logIndex"]), 16)))
        return ordered, discovered

    def _creations(self, raw: Sequence[dict[str, Any]], discovered: dict[str, Subject]) -> dict[str, Subject]:
        """The contracts the factories' creation events in ``raw`` made that are not watched yet
        (added to ``discovered``, with recorded ones that learn their property id and block)."""
        fresh: dict[str, Subject] = {}
        factories: dict[str, Subject] = {}  # by the address as the node wrote it: a few for many logs
        for written in {item["address"] for item in raw}:
            subject = self.subjects.get(self._checksum(written)) or discovered.get(self._checksum(written))
            if subject is not None and subject.kind in FACTORIES:
                factories[written] = subject
        for item in raw if factories else ():
            subject = factories.get(item["address"])
            if subject is None:
                continue
            log = self.decoder.decode(subject, item)
            event, parts = FACTORIES[subject.kind]
            if log is None or log.name != event:
                continue
            made = {arg: checksummed(str(log.args[arg])) for arg, _, _ in parts}
            base = self._base_label(log, made)
            owner = made[parts[0][0]]
            for arg, kind, part in parts:
                address = made[arg]
                label = self.recorded_names.get(address) or f"{base}.{part}"
                pid = str(log.args.get("propertyId")) if kind == "PropertyToken" else None
                made_here = Subject(address, label, kind, pid, log.block, owner if address != owner else None)
                if address in discovered:
                    continue
                if address in self.subjects:  # recorded: its logs are fetched already; its facts are kept
                    if self.subjects[address].block is None:
                        discovered[address] = made_here
                    continue
                fresh[address] = discovered[address] = made_here
        return fresh

    def _earlier_creations(self, first: int) -> None:
        """Starting at ``first`` (--from), what the factories made before it is watched too."""
        factories = sorted(a for a, s in self.subjects.items() if s.kind in FACTORIES)
        begin = start_block(self.record)
        if not factories or first <= begin:
            return
        discovered: dict[str, Subject] = {}
        # The factories' logs alone are sparse: no slow start (over 1,000 properties it took 11 calls).
        for _, _, raw in self.chain.logs_in_ranges(factories, begin, first - 1, self.span, first=self.span):
            self._creations(raw, discovered)
        self._keep(discovered)
        self.subjects.update(discovered)

    def _keep(self, discovered: dict[str, Subject]) -> None:
        decimals = self._decimals([s for s in discovered.values() if s.kind == "PropertyToken"])
        with self.store.transaction() as db:
            self._keep_in(db, discovered, decimals)

    def _keep_in(self, db: Any, discovered: dict[str, Subject], decimals: dict[str, int]) -> None:
        self.store.add_contracts(
            db,
            [
                (s.address, s.label, s.kind, s.parent, s.property_id, s.block, decimals.get(s.address))
                for s in discovered.values()
            ],
        )

    def _checksum(self, address: str) -> str:
        """A log's address, checksummed (once per address: the same few contracts emit every log)."""
        found = self.checksums.get(address)
        if found is None:
            found = self.checksums[address] = checksummed(address)
        return found

    def _base_label(self, log: Log, made: dict[str, str]) -> str:
        for address in made.values():
            name = self.recorded_names.get(address)
            if name:
                return name.rsplit(".", 1)[0] if "." in name else name
        if "symbol" in log.args:
            return str(log.args["symbol"])
        kind = "offering" if "offering" in made else "vault"
        return f"{kind}-" + next(iter(made.values()))[2:10].lower()

    def _decoded(self, raw: Sequence[dict[str, Any]], discovered: dict[str, Subject]) -> list[Log]:
        subjects: dict[str, Subject] = {}
        for address in {item["address"] for item in raw}:  # as the node wrote them: a few for many logs
            subject = self.subjects.get(self._checksum(address)) or discovered.get(self._checksum(address))
            if subject is not None:
                subjects[address] = subject
        return self.decoder.decode_all(raw, subjects)

    def _lapsed(self, logs: Sequence[Log], first: int, last: int) -> list[Log]:
        """Memberships that lapsed in blocks ``first``..``last``: the synthetic MembershipLapsed events."""
        watched = {a: s for a, s in self.subjects.items() if s.kind == "FanPayments"}
        if not watched:
            return []
        if self.expiries is None:
            kept = self.store.events(sorted(watched), ["SubscriptionUpdate"], until=first - 1)
            self.expiries = lapses_module.latest(self._expiry(e.address, e.block, e.args) for e in kept)
        updates = [
            self._expiry(log.subject.address, log.block, log.args)
            for log in logs
            if log.name == "SubscriptionUpdate" and log.subject.address in watched
        ]
        windows = lapses_module.windows(self.expiries, updates, first, last)
        found = lapses_module.lapses(windows, self.chain.block_times)
        hashes = self.chain.block_hashes(sorted({block for _, block in found})) if found else {}
        return [
            Log(
                watched[e.memberships],
                lapses_module.LAPSED,
                block,
                str(hashes[block]),
                "",
                -e.token_id,
                {"tokenId": e.token_id, "expiresAt": e.expires_at},
            )
            for e, block in found
        ]

    @staticmethod
    def _expiry(address: str, block: int, args: dict[str, Any]) -> lapses_module.Expiry:
        return lapses_module.Expiry(address, int(str(args["tokenId"])), int(str(args["expiration"])), block)

    def _commit(
        self,
        logs: list[Log],
        discovered: dict[str, Subject],
        last: int,
        last_hash: str | None,
        lapsed: Sequence[Log] = (),
        blocks: set[tuple[int, str]] | None = None,
    ) -> None:
        rows = [
            (log.block, log.log_index, log.block_hash, log.tx, log.subject.address, log.name, json_text(log.args)) for log in logs
        ]
        alerts = self.composer.alerts(logs, self.rules) + self.composer.each(lapsed, self.rules)
        decimals = self._decimals([s for s in discovered.values() if s.kind == "PropertyToken"])
        trade_blocks = sorted({log.block for log in logs if log.name == "TradeExecuted"})
        times = self.chain.block_times(trade_blocks) if trade_blocks else {}  # for daily volumes; no call otherwise
        payments = self.books.rows(logs, self.head)
        first = (self.store.cursor if self.store.cursor is not None else -1) + 1
        with self.store.transaction() as db:
            self._keep_in(db, discovered, decimals)
            self.books.keep(db, payments, first, self.head)
            self.store.add_block_times(db, times)
            self.store.add_event_rows(db, rows)
            self.store.remember_many(db, blocks if blocks is not None else {(log.block, log.block_hash) for log in logs})
            raised = self.store.add_alerts(db, alerts)
            self.store.set_cursor(db, last, last_hash)
        self.subjects.update(discovered)
        self.raised += len(raised)
        if self.expiries is not None:
            self.expiries.update(
                lapses_module.latest(
                    self._expiry(log.subject.address, log.block, log.args)
                    for log in logs
                    if log.name == "SubscriptionUpdate" and log.subject.kind == "FanPayments"
                )
            )

    def _decimals(self, tokens: Sequence[Subject]) -> dict[str, int]:
        """Each property token's decimals: those the alerts just read with its symbol, the rest asked."""
        found = {s.address: self.composer.tokens[s.address][1] for s in tokens if s.address in self.composer.tokens}
        todo = [s for s in tokens if s.address not in found]
        if todo:
            results = self.chain.call_many([Read(s.address, DECIMALS_ABI, "decimals") for s in todo])
            found.update({s.address: int(r.value) for s, r in zip(todo, results) if r.ok})
        return found
