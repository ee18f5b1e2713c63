"""The write-ahead journal of one network's deployment.

Every transaction is recorded, signed, *before* it is broadcast (its intent: what it does, its
nonce, its hash and its raw bytes) and again once it is mined. A deploy that dies at any moment
reads the journal back: a transaction that was mined is not sent again, one that was signed but
never reached the chain is re-broadcast byte for byte, so no contract is created twice.

A transaction replaced at the same nonce (higher fees) is another intent of the same key and
nonce: together they are one *flight*, and whichever of them mines closes it. Each line carries a
checksum of itself, so a damaged journal is refused rather than half-read; only a last line with
no newline is ignored: the crash that cut it came before its transaction could be broadcast.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from rwa.core import atomic
from rwa.core.errors import RwaError


@dataclass(frozen=True)
class Intent:
    key: str
    nonce: int
    hash: str
    raw: str
    sender: str
    address: str | None  # the contract address a creation will have
    address_topic: str | None = None  # or: the event (topic 0) whose first indexed arg is it
    max_fee: int | None = None
    priority_fee: int | None = None
    replaces: str | None = None  # the hash of the transaction this one outbids at the same nonce


@dataclass(frozen=True)
class Mined:
    """A journalled transaction once in a block: ``status`` 1 ran, 0 reverted."""

    key: str
    hash: str
    status: int
    block: int
    address: str | None
    gas_used: int


@dataclass(frozen=True)
class Begin:
    """Where a deploy started: the account's mined nonce and the chain's block then. Whatever the
    account mined since, and the journal does not name, is looked for from that block."""

    sender: str
    nonce: int
    block: int


class _Line(TypedDict):
    time: float
    sum: str  # checksum of the rest of the line


class BeginEntry(_Line):
    event: Literal["begin"]
    sender: str
    nonce: int
    block: int


class IntentEntry(_Line):
    """An :class:`Intent`, before its broadcast."""

    event: Literal["intent"]
    key: str
    nonce: int
    hash: str
    raw: str
    sender: str
    address: str | None
    address_topic: str | None
    max_fee: int | None
    priority_fee: int | None
    replaces: str | None


class MinedEntry(_Line):
    """A :class:`Mined`: the transaction mined (``status`` 1) or reverted (0)."""

    event: Literal["mined"]
    key: str
    hash: str
    status: int
    block: int
    address: str | None
    gas_used: int


class AbandonedEntry(_Line):
    """A signed transaction given up (replaced by another deploy, or never to be sent)."""

    event: Literal["abandoned"]
    key: str
    hash: str
    reason: str


#: One line of the journal, by its ``event``.
JournalEntry = BeginEntry | IntentEntry | MinedEntry | AbandonedEntry


class JournalDamaged(RwaError):
    """A line of the journal is not what was written: refuse rather than guess what was sent."""


def checksum(entry: dict[str, Any]) -> str:
    body = json.dumps({k: v for k, v in entry.items() if k != "sum"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def read_lines(path: Path, text: str) -> list[JournalEntry]:
    """The journal's entries, each checked; a damaged line (anywhere but a torn last one) refuses."""
    lines = text.split("\n")[:-1]  # the last piece: "" after a final newline, else a line cut by a crash
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            valid = isinstance(entry, dict) and entry.get("sum") == checksum(entry)
        except json.JSONDecodeError:
            valid = False
        if not valid:
            raise JournalDamaged(
                f"{path} is damaged at line {number} (its checksum does not match); nothing was sent: "
                f"keep a copy (mv {path} {path}.damaged) and run `rwa deploy --adopt`, which matches what "
                "the deployer already mined on chain"
            )
        entries.append(cast(JournalEntry, entry))  # checked against its sum: as it was written
    return entries


class Journal:
    def __init__(self, path: Path):
        self.path = path

    def entries(self) -> list[JournalEntry]:
        if not self.path.is_file():
            return []
        return read_lines(self.path, self.path.read_text(encoding="utf-8"))

    def _cut_torn_tail(self) -> None:
        """Drop a last line a crash cut short, before appending after it (else the next line would
        be glued to it, and the journal read as damaged)."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        with open(self.path, "r+b") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) == b"\n":  # whole: the usual case, read in one byte, not the file
                return
            data = self.path.read_bytes()
            handle.truncate(data.rfind(b"\n") + 1)
            handle.flush()
            atomic.sync(handle.fileno())

    def _append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cut_torn_tail()
        entry = {**entry, "time": round(time.time(), 3)}
        entry["sum"] = checksum(entry)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            atomic.sync(handle.fileno())

    def record_begin(self, begin: Begin) -> None:
        self._append({"event": "begin", **vars(begin)})

    def begin(self) -> Begin | None:
        """The first deploy's start that this journal covers."""
        for entry in self.entries():
            if entry["event"] == "begin":
                return Begin(entry["sender"], entry["nonce"], entry["block"])
        return None

    def record_intent(self, intent: Intent) -> None:
        self._append({"event": "intent", **vars(intent)})

    def record_mined(self, mined: Mined) -> None:
        self._append({"event": "mined", **{k: v for k, v in vars(mined).items()}})

    def record_abandoned(self, key: str, hash: str, reason: str) -> None:
        self._append({"event": "abandoned", "key": key, "hash": hash, "reason": reason})

    def mined(self, key: str) -> Mined | None:
        """The successful mined transaction recorded for a step, if any."""
        found = None
        for entry in self.entries():
            if entry["event"] == "mined" and entry["key"] == key and entry["status"] == 1:
                found = Mined(entry["key"], entry["hash"], entry["status"], entry["block"], entry["address"], entry["gas_used"])
        return found

    def mined_under(self, prefix: str) -> list[Mined]:
        """The successful mined transactions recorded for steps whose keys begin with ``prefix``."""
        return [
            Mined(e["key"], e["hash"], e["status"], e["block"], e["address"], e["gas_used"])
            for e in self.entries()
            if e["event"] == "mined" and e["key"].startswith(prefix) and e["status"] == 1
        ]

    def known_hashes(self) -> set[str]:
        """Every transaction this journal signed or adopted."""
        return {e["hash"].lower() for e in self.entries() if e["event"] == "intent" or e["event"] == "mined"}

    def intents(self) -> list[Intent]:
        return [_intent(e) for e in self.entries() if e["event"] == "intent"]

    def open_flights(self) -> list[list[Intent]]:
        """The intents with no recorded outcome, grouped by (sender, nonce) — a transaction and its
        replacements, oldest first — in nonce order: what a crash may have left in flight."""
        entries = self.entries()
        closed_hashes = {e["hash"] for e in entries if e["event"] == "mined" or e["event"] == "abandoned"}
        intents = [_intent(e) for e in entries if e["event"] == "intent"]
        closed = {(i.sender, i.nonce) for i in intents if i.hash in closed_hashes}
        flights: dict[tuple[str, int], list[Intent]] = {}
        for intent in intents:
            if (intent.sender, intent.nonce) not in closed:
                flights.setdefault((intent.sender, intent.nonce), []).append(intent)
        return [flights[k] for k in sorted(flights, key=lambda k: (k[0], k[1]))]

    def open_intents(self) -> list[Intent]:
        """Intents with no recorded outcome: the transactions a crash may have left in flight."""
        return [intent for flight in self.open_flights() for intent in flight]

    def clear(self) -> None:
        """Forget everything, once the deployments file holds all of it."""
        self.path.unlink(missing_ok=True)


def _intent(entry: IntentEntry) -> Intent:
    return Intent(
        entry["key"],
        entry["nonce"],
        entry["hash"],
        entry["raw"],
        entry["sender"],
        entry.get("address"),
        entry.get("address_topic"),
        entry.get("max_fee"),
        entry.get("priority_fee"),
        entry.get("replaces"),
    )
