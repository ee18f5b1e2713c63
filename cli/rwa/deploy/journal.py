"""The write-ahead journal of one network's deployment.

Every transaction is recorded, signed, *before* it is broadcast (its intent: what it does, its
nonce, its hash and its raw bytes) and again once it is mined. A deploy that dies at any moment
reads the journal back: a transaction that was mined is not sent again, one that was signed but
never reached the chain is re-broadcast byte for byte, so no contract is created twice.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Intent:
    key: str
    nonce: int
    hash: str
    raw: str
    sender: str
    address: str | None  # the contract address a creation will have
    address_topic: str | None = None  # or: the event (topic 0) whose first indexed arg is it


@dataclass(frozen=True)
class Outcome:
    key: str
    hash: str
    status: int
    block: int
    address: str | None
    gas_used: int


class Journal:
    def __init__(self, path: Path):
        self.path = path

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a crash: its transaction was never sent
        return entries

    def _append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = {**entry, "time": round(time.time(), 3)}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def record_intent(self, intent: Intent) -> None:
        self._append({"event": "intent", **vars(intent)})

    def record_outcome(self, outcome: Outcome) -> None:
        self._append({"event": "mined", **{k: v for k, v in vars(outcome).items()}})

    def record_abandoned(self, key: str, hash: str, reason: str) -> None:
        self._append({"event": "abandoned", "key": key, "hash": hash, "reason": reason})

    def outcome(self, key: str) -> Outcome | None:
        """The successful outcome recorded for a step, if any."""
        found = None
        for entry in self.entries():
            if entry.get("event") == "mined" and entry["key"] == key and entry["status"] == 1:
                found = Outcome(
                    entry["key"], entry["hash"], entry["status"], entry["block"], entry["address"], entry["gas_used"]
                )
        return found

    def open_intents(self) -> list[Intent]:
        """Intents with no recorded outcome: the transactions a crash may have left in flight."""
        closed = {e["hash"] for e in self.entries() if e.get("event") in ("mined", "abandoned")}
        return [
            Intent(e["key"], e["nonce"], e["hash"], e["raw"], e["sender"], e.get("address"), e.get("address_topic"))
            for e in self.entries()
            if e.get("event") == "intent" and e["hash"] not in closed
        ]

    def clear(self) -> None:
        """Forget everything, once the deployments file holds all of it."""
        self.path.unlink(missing_ok=True)
