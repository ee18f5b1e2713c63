"""The watcher's database: one SQLite file per network under the state dir.

It holds the cursor (the last block fully processed), the hashes of recent processed blocks (to
detect reorganisations), every event of the watched contracts, the contracts discovered from
factories, the alerts raised and retracted, and what each sink has been delivered. Everything a
block changes is written in one transaction with the cursor's advance, so a watcher killed at any
moment resumes at a block boundary: nothing is raised twice, nothing is lost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rwa.core.atomic import unwritable
from rwa.core.errors import RwaError

SCHEMA_VERSION = "1"
#: Block hashes kept behind the cursor: a reorganisation deeper than this is not undone.
KEPT_BLOCKS = 512

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contracts (
    address TEXT PRIMARY KEY, label TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT,
    property_id TEXT, block INTEGER, decimals INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, block_hash TEXT NOT NULL, tx TEXT NOT NULL,
    address TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL, PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS events_by_address ON events (address, name, block);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, block INTEGER NOT NULL,
    log_index INTEGER NOT NULL, tx TEXT NOT NULL, address TEXT NOT NULL, contract TEXT NOT NULL,
    event TEXT NOT NULL, message TEXT NOT NULL, args TEXT NOT NULL, raised_at TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
    UNIQUE (alert_id, kind)
);
CREATE TABLE IF NOT EXISTS delivered (sink TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (sink, seq));
"""


@dataclass(frozen=True)
class StoredEvent:
    block: int
    log_index: int
    block_hash: str
    tx: str
    address: str
    name: str
    args: dict[str, Any]


class Store:
    """The database of one network's watcher."""

    def __init__(self, path: Path):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        except OSError as exc:
            raise unwritable(path, exc, "open the watch database") from None
        except sqlite3.Error as exc:
            raise RwaError(f"cannot open the watch database {path}: {exc}") from None
        self.path = path
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic step: everything in it is written, or (killed, failed) none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- identity ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def claim(self, network: str, chain_id: int, genesis_hash: str) -> None:
        """Mark a new database as this network's, or refuse one written for another network or chain."""
        found = {key: self.meta(key) for key in ("network", "chainId", "genesisHash")}
        wanted = {"network": network, "chainId": str(chain_id), "genesisHash": genesis_hash.lower()}
        if found["network"] is None:
            with self.transaction() as db:
                db.executemany("INSERT INTO meta VALUES (?, ?)", [*wanted.items(), ("schema", SCHEMA_VERSION)])
            return
        if found != wanted:
            raise RwaError(
                f"{self.path} belongs to network {found['network']} (chain {found['chainId']}, genesis "
                f"{str(found['genesisHash'])[:10]}…), not {network} (chain {chain_id}, genesis {genesis_hash[:10]}…); "
                "move it aside or pass another --db"
            )

    # --- the cursor and block hashes ------------------------------------------------------------

    @property
    def cursor(self) -> int | None:
        value = self.meta("cursor")
        return None if value is None else int(value)

    def set_cursor(self, db: sqlite3.Connection, block: int, block_hash: str | None) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", (str(block),))
        if block_hash is not None:
            db.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?)", (block, block_hash))
        db.execute("DELETE FROM blocks WHERE number < ?", (block - KEPT_BLOCKS,))

    def remember(self, db: sqlite3.Connection, block: int, block_hash: str) -> None:
        db.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?)", (block, block_hash))

    def block_hashes(self) -> list[tuple[int, str]]:
        """Kept (number, hash) pairs, newest first."""
        return [(int(n), str(h)) for n, h in self.db.execute("SELECT number, hash FROM blocks ORDER BY number DESC")]

    # --- contracts ---------------------------------------------------------------------------

    def add_contract(
        self, db: sqlite3.Connection, address: str, label: str, kind: str, parent: str | None = None,
        property_id: str | None = None, block: int | None = None, decimals: int | None = None, replace: bool = True,
    ) -> None:
        """Keep a watched contract: one a factory made (``block``: where), or (``replace`` False) a recorded one."""
        db.execute(
            f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO contracts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (address, label, kind, parent, property_id, block, decimals),
        )

    def contracts(self) -> list[dict[str, Any]]:
        columns = ("address", "label", "kind", "parent", "property_id", "block", "decimals")
        return [dict(zip(columns, row)) for row in self.db.execute(f"SELECT {', '.join(columns)} FROM contracts")]

    # --- events and alerts ---------------------------------------------------------------------

    def add_events(self, db: sqlite3.Connection, events: Sequence[StoredEvent]) -> None:
        """Keep many events (those kept already stay as they are)."""
        db.executemany(
            "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(e.block, e.log_index, e.block_hash, e.tx, e.address, e.name, json.dumps(e.args)) for e in events],
        )

    def events(self, addresses: Sequence[str], names: Sequence[str], until: int | None = None) -> list[StoredEvent]:
        marks = ",".join("?" * len(addresses))
        name_marks = ",".join("?" * len(names))
        query = f"SELECT block, log_index, block_hash, tx, address, name, args FROM events WHERE address IN ({marks}) AND name IN ({name_marks})"
        params: list[Any] = [*addresses, *names]
        if until is not None:
            query += " AND block <= ?"
            params.append(until)
        rows = self.db.execute(query + " ORDER BY block, log_index", params)
        return [StoredEvent(b, i, h, t, a, n, json.loads(args)) for b, i, h, t, a, n, args in rows]

    def add_alert(self, db: sqlite3.Connection, alert: dict[str, Any]) -> bool:
        """Raise an alert (and queue it for every sink); False when it was raised already."""
        cursor = db.execute(
            "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                alert["id"], alert["rule"], alert["severity"], alert["block"], alert["logIndex"], alert["transaction"],
                alert["address"], alert["contract"], alert["event"], alert["message"], json.dumps(alert["args"]),
                alert["raisedAt"],
            ),
        )
        if cursor.rowcount != 1:
            return False
        db.execute("INSERT OR IGNORE INTO outbox (alert_id, kind, body) VALUES (?, 'alert', ?)", (alert["id"], json.dumps(alert)))
        return True

    def undo_after(self, db: sqlite3.Connection, block: int, retracted_at: str) -> list[dict[str, Any]]:
        """Forget what blocks after ``block`` brought (a reorganisation undid them): their events, the
        contracts discovered there and their block hashes; their alerts are retracted (and the
        retractions queued for every sink). Returns the retractions."""
        rows = db.execute("SELECT id, rule, message, block, contract FROM alerts WHERE block > ? AND retracted = 0", (block,)).fetchall()
        retractions = []
        for alert_id, rule, message, at, contract in rows:
            body = {
                "id": alert_id, "kind": "retraction", "rule": rule, "block": at, "contract": contract,
                "message": f"retracted (block {at} was reorganised away): {message}", "retractedAt": retracted_at,
            }
            retractions.append(body)
            db.execute("UPDATE alerts SET retracted = 1 WHERE id = ?", (alert_id,))
            db.execute("INSERT OR IGNORE INTO outbox (alert_id, kind, body) VALUES (?, 'retraction', ?)", (alert_id, json.dumps(body)))
        db.execute("DELETE FROM events WHERE block > ?", (block,))
        db.execute("DELETE FROM contracts WHERE block > ?", (block,))
        db.execute("DELETE FROM blocks WHERE number > ?", (block,))
        return retractions

    def alerts(self) -> list[dict[str, Any]]:
        columns = ("id", "rule", "severity", "block", "log_index", "tx", "address", "contract", "event", "message", "args", "raised_at", "retracted")
        query = f"SELECT {', '.join(columns)} FROM alerts"
        found = []
        for row in self.db.execute(query + " ORDER BY block, log_index, rule"):
            item = dict(zip(columns, row))
            item["args"] = json.loads(item["args"])
            item["retracted"] = bool(item["retracted"])
            found.append(item)
        return found

    # --- delivery ------------------------------------------------------------------------------

    def pending(self, sink: str, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """Queued messages ``sink`` has not been delivered yet, oldest first."""
        rows = self.db.execute(
            "SELECT seq, body FROM outbox WHERE seq NOT IN (SELECT seq FROM delivered WHERE sink = ?) ORDER BY seq LIMIT ?",
            (sink, limit),
        )
        return [(int(seq), json.loads(body)) for seq, body in rows]

    def mark_delivered(self, sink: str, seqs: Sequence[int]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO delivered VALUES (?, ?)", [(sink, s) for s in seqs])

    def undelivered(self, sink: str) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE seq NOT IN (SELECT seq FROM delivered WHERE sink = ?)", (sink,)
        ).fetchone()
        return int(row[0])
