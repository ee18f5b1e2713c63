"""The watcher's database: a SQLite file per network under the state dir (the default, nothing
to install), or a PostgreSQL database (``--store postgresql://…``).

It holds the cursor (the last block fully processed), the hashes of recent processed blocks (to
detect reorganisations), every event of the watched contracts, the contracts discovered from
factories, the alerts raised and retracted, and what each sink has been delivered. Everything a
block changes is written in one transaction with the cursor's advance, so a watcher killed at any
moment resumes at a block boundary: nothing is raised twice, nothing is lost. Both stores run the
same statements (written with ``?`` marks and the upserts both understand); the schema and its
versions are in :mod:`rwa.watch.schema`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol
from urllib.parse import urlsplit, urlunsplit

from rwa.core.atomic import unwritable
from rwa.core.errors import RwaError
from rwa.watch import schema
from rwa.watch.rules import Arguments

#: Block hashes kept behind the cursor: a reorganisation deeper than this is not undone.
KEPT_BLOCKS = 512
#: Where a store's URL may come from instead of --store.
STORE_ENV = "RWA_WATCH_STORE"
POSTGRES_SCHEMES = ("postgresql", "postgres")
#: Taken (for its transaction) by whoever migrates a PostgreSQL store: two watchers starting at once
#: do not both create the tables.
MIGRATION_LOCK = 0x72776177  # "rwaw"
CLIENT_KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
SERVER_KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3}


class Db(Protocol):
    """What the store's statements run on: a SQLite connection, or a PostgreSQL one behind ``?`` marks."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...


class SqliteBackend:
    dialect = "sqlite"

    def __init__(self, path: Path):
        self.where = str(path)
        self.lock: IO[str] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        except OSError as exc:
            raise unwritable(path, exc, "open the watch database") from None
        except sqlite3.Error as exc:
            raise RwaError(f"cannot open the watch database {path}: {exc}") from None
        try:  # the first statement reads the file: one that is not SQLite's fails here
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise RwaError(f"cannot open the watch database {path}: it is not a SQLite database ({exc})") from None
        self.db.execute("PRAGMA synchronous=FULL")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        return self.db.executemany(sql, rows)

    def add_rows(self, db: Db, table: str, rows: Sequence[Sequence[Any]], fresh: bool = False) -> None:
        """Insert ``rows`` into ``table``; a row whose key is there already stays as it is (``fresh``:
        none can be; the same statement here, where keeping a row that is there costs nothing)."""
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))}) ON CONFLICT DO NOTHING", rows)

    @contextmanager
    def transaction(self) -> Iterator[Db]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def tables(self) -> set[str]:
        return {str(name) for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def lock_for_migration(self, db: Db) -> None:
        pass  # BEGIN IMMEDIATE holds the file's write lock already

    def try_lead(self, network: str) -> bool:
        """Take the lead of the file's watchers (an exclusive lock on ``<file>.lock``, let go when
        the process ends, however it ends); False while another watcher holds it."""
        if self.lock is None:
            self.lock = open(self.where + ".lock", "a+", encoding="utf-8")  # noqa: SIM115 (held until close)
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.close()


class PostgresBackend:
    """A PostgreSQL database through psycopg 3 (imported only here: `rwa --help` stays instant)."""

    dialect = "postgresql"

    def __init__(self, url: str):
        self.where = redacted(url)
        try:
            import psycopg
        except ImportError:
            raise RwaError("a PostgreSQL store needs the psycopg driver: pip install 'psycopg[binary]'") from None
        self.errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        try:
            self.db = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="rwa watch", **CLIENT_KEEPALIVES)
            # The server drops the session of a leader whose host vanished (and with it the lead) within
            # idle + interval x count seconds; a killed process's session ends at once.
            for setting, value in SERVER_KEEPALIVES.items():
                self.db.execute(f"SET {setting} = {value}")
        except (psycopg.Error, ValueError) as exc:
            raise RwaError(f"cannot open the PostgreSQL store {self.where}: {first_line(exc)}") from None

    def _failed(self, exc: BaseException) -> RwaError:
        return RwaError(f"the PostgreSQL store {self.where} failed: {first_line(exc)}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.db.execute(sql.replace("?", "%s"), params or None)
        except self.errors as exc:
            raise self._failed(exc) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        try:
            with self.db.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
        except self.errors as exc:
            raise self._failed(exc) from None

    def add_rows(self, db: Db, table: str, rows: Sequence[Sequence[Any]], fresh: bool = False) -> None:
        """Insert ``rows`` into ``table``; a row whose key is there already stays as it is. Copied
        (COPY, a tenth of the client's work of an INSERT per row) into a temporary table of this
        session, then inserted from it in one statement; ``fresh`` (no row's key can be there yet):
        copied straight into the table."""
        staging = f"{table}_incoming"
        try:
            if fresh:
                with self.db.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            self.db.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table})")
            with self.db.cursor() as cursor, cursor.copy(f"COPY {staging} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            self.db.execute(f"INSERT INTO {table} SELECT * FROM {staging} ON CONFLICT DO NOTHING")
            self.db.execute(f"TRUNCATE {staging}")
        except self.errors as exc:
            raise self._failed(exc) from None

    @contextmanager
    def transaction(self) -> Iterator[Db]:
        try:
            with self.db.transaction():
                yield self
        except self.errors as exc:
            raise self._failed(exc) from None

    def tables(self) -> set[str]:
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {str(name) for (name,) in rows}

    def lock_for_migration(self, db: Db) -> None:
        db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def try_lead(self, network: str) -> bool:
        """Take the lead of the database's watchers of ``network`` (a session advisory lock, let go
        when this connection ends); False while another watcher holds it."""
        key = int.from_bytes(hashlib.sha256(f"rwa watch {network}".encode()).digest()[:8], "big", signed=True)
        return bool(self.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0])

    def close(self) -> None:
        self.db.close()


Backend = SqliteBackend | PostgresBackend


def first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def redacted(url: str) -> str:
    """A store URL as it may be shown: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc}"))


def is_url(spec: str) -> bool:
    return "://" in spec


def open_store(spec: str | None, default: Path, create: bool = True) -> Store:
    """The store ``spec`` names (a PostgreSQL URL, a ``sqlite:///`` URL or a file path; None: ``default``).
    ``create`` False: one that does not exist yet is not made (None is returned)."""
    if spec is not None and is_url(spec):
        scheme = spec.split("://", 1)[0].lower()
        if scheme in POSTGRES_SCHEMES:
            return Store(PostgresBackend(spec))
        if scheme != "sqlite":
            raise RwaError(f"store {redacted(spec)!r}: a file path, sqlite:///PATH or postgresql://USER@HOST/DATABASE")
        spec = spec.split("://", 1)[1]
    path = Path(spec).expanduser().resolve() if spec else default
    if path.is_dir():
        raise RwaError(f"the watch store {path} is a folder: name a database file in it (or a postgresql:// URL)")
    if not create and not path.is_file():
        raise MissingStore(str(path))
    return Store(SqliteBackend(path))


class MissingStore(RwaError):
    """No store there yet (for a reader, which does not make one)."""


class StoredEvent(NamedTuple):  # a tuple: made by the hundred thousand in a backfill
    block: int
    log_index: int
    block_hash: str
    tx: str
    address: str
    name: str
    args: dict[str, Any]


class Store:
    """The database of one network's watcher."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.where = backend.where
        self.db: Db = backend
        try:
            version = self.version()
            if version > schema.SCHEMA_VERSION:
                raise RwaError(
                    f"{self.where} was written by a newer rwa (schema version {version}; this one knows up to "
                    f"{schema.SCHEMA_VERSION}): upgrade rwa, or pass another --store"
                )
        except BaseException:
            backend.close()
            raise

    def close(self) -> None:
        self.backend.close()

    def transaction(self) -> Any:
        """One atomic step: everything in it is written, or (killed, failed) none of it."""
        return self.backend.transaction()

    # --- identity and version ---------------------------------------------------------------------

    def version(self) -> int:
        """The schema version the database is at (0: nothing made yet)."""
        if "meta" not in self.backend.tables():
            return 0
        value = self.meta("schema")
        return int(value) if value is not None else 0

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def identity(self) -> dict[str, str | None]:
        """The network, chain id and genesis hash the database was claimed for (None each: not yet)."""
        if "meta" not in self.backend.tables():
            return {"network": None, "chainId": None, "genesisHash": None}
        return {key: self.meta(key) for key in ("network", "chainId", "genesisHash")}

    def claim(self, network: str, chain_id: int, genesis_hash: str) -> None:
        """Mark a new database as this network's (migrating an older one to the current schema), or
        refuse one written for another network or chain."""
        found = self.identity()
        wanted = {"network": network, "chainId": str(chain_id), "genesisHash": genesis_hash.lower()}
        if found["network"] is not None and found != wanted:
            raise RwaError(
                f"{self.where} belongs to network {found['network']} (chain {found['chainId']}, genesis "
                f"{str(found['genesisHash'])[:10]}…), not {network} (chain {chain_id}, genesis {genesis_hash[:10]}…); "
                "move it aside or pass another --store"
            )
        with self.transaction() as db:
            self.backend.lock_for_migration(db)
            version = self.version()
            for number, statements in schema.migrations(self.backend.dialect, version):
                for statement in statements:
                    db.execute(statement)
                db.execute(UPSERT_META, ("schema", str(number)))
            if found["network"] is None:
                db.executemany(UPSERT_META, list(wanted.items()))

    def try_lead(self, network: str, who: str) -> bool:
        """Take the lead of this store's watchers of ``network`` (recorded as ``who``); False while
        another watcher holds it."""
        if not self.backend.try_lead(network):
            return False
        with self.transaction() as db:
            db.execute(UPSERT_META, ("leader", who))
        return True

    # --- the cursor and block hashes ------------------------------------------------------------

    @property
    def cursor(self) -> int | None:
        value = self.meta("cursor")
        return None if value is None else int(value)

    def set_cursor(self, db: Db, block: int, block_hash: str | None) -> None:
        db.execute(UPSERT_META, ("cursor", str(block)))
        if block_hash is not None:
            self.remember(db, block, block_hash)
        db.execute("DELETE FROM blocks WHERE number < ?", (block - KEPT_BLOCKS,))

    def remember(self, db: Db, block: int, block_hash: str) -> None:
        db.execute(
            "INSERT INTO blocks VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash", (block, block_hash)
        )

    def remember_many(self, db: Db, blocks: Iterable[tuple[int, str]]) -> None:
        """:meth:`remember` of many (number, hash) pairs, in one statement."""
        rows = sorted(blocks)
        if rows:
            db.executemany("INSERT INTO blocks VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash", rows)

    def add_block_times(self, db: Db, times: dict[int, int]) -> None:
        """Keep when blocks were made (those of market trades; a reorganised block's time is replaced)."""
        if times:
            db.executemany(
                "INSERT INTO block_times VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET timestamp = excluded.timestamp",
                sorted(times.items()),
            )

    def block_times(self) -> dict[int, int]:
        return {int(n): int(t) for n, t in self.db.execute("SELECT number, timestamp FROM block_times")}

    def block_hashes(self) -> list[tuple[int, str]]:
        """Kept (number, hash) pairs, newest first."""
        return [(int(n), str(h)) for n, h in self.db.execute("SELECT number, hash FROM blocks ORDER BY number DESC")]

    # --- contracts ---------------------------------------------------------------------------

    def add_contract(
        self,
        db: Db,
        address: str,
        label: str,
        kind: str,
        parent: str | None = None,
        property_id: str | None = None,
        block: int | None = None,
        decimals: int | None = None,
        replace: bool = True,
    ) -> None:
        """Keep a watched contract: one a factory made (``block``: where), or (``replace`` False) a recorded one."""
        self.add_contracts(db, [(address, label, kind, parent, property_id, block, decimals)], replace)

    def add_contracts(self, db: Db, rows: Sequence[tuple[Any, ...]], replace: bool = True) -> None:
        """:meth:`add_contract` of many (address, label, kind, parent, property id, block, decimals), in
        one statement (a range may make a thousand properties)."""
        if not rows:
            return
        columns = ("label", "kind", "parent", "property_id", "block", "decimals")
        update = ", ".join(f"{c} = excluded.{c}" for c in columns)
        conflict = f"DO UPDATE SET {update}" if replace else "DO NOTHING"
        db.executemany(f"INSERT INTO contracts VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) {conflict}", rows)

    def rename_contract(self, db: Db, address: str, former: Sequence[str], label: str, kind: str) -> None:
        """A recorded contract kept under a name its manifest entry had before (rwa.deploy.renames):
        its label and kind as the record says now, so that the rules of its kind apply."""
        marks = ", ".join("?" for _ in former)
        db.execute(
            f"UPDATE contracts SET label = ?, kind = ? WHERE address = ? AND label IN ({marks})", (label, kind, address, *former)
        )

    def contracts(self) -> list[dict[str, Any]]:
        columns = ("address", "label", "kind", "parent", "property_id", "block", "decimals")
        return [dict(zip(columns, row)) for row in self.db.execute(f"SELECT {', '.join(columns)} FROM contracts")]

    # --- events and alerts ---------------------------------------------------------------------

    def add_events(self, db: Db, events: Sequence[StoredEvent]) -> None:
        """Keep many events (those kept already stay as they are)."""
        self.add_event_rows(
            db, [(e.block, e.log_index, e.block_hash, e.tx, e.address, e.name, json_text(e.args)) for e in events]
        )

    def add_event_rows(self, db: Db, rows: Sequence[tuple[int, int, str, str, str, str, str]]) -> None:
        """:meth:`add_events` of rows made by the caller (block, log index, block hash, transaction,
        address, name, the arguments' JSON text): the watcher makes them straight from its logs."""
        if rows:
            # Past every event kept (a backfill, a watcher following the chain), none can be there already.
            newest = db.execute("SELECT MAX(block) FROM events").fetchone()[0]
            self.backend.add_rows(db, "events", rows, fresh=newest is None or newest < min(map(itemgetter(0), rows)))

    def events(self, addresses: Sequence[str], names: Sequence[str], until: int | None = None) -> list[StoredEvent]:
        if not addresses or not names:
            return []
        marks = ",".join("?" * len(addresses))
        name_marks = ",".join("?" * len(names))
        query = (
            "SELECT block, log_index, block_hash, tx, address, name, args FROM "
            f"events WHERE address IN ({marks}) AND name IN ({name_marks})"
        )
        params: list[Any] = [*addresses, *names]
        if until is not None:
            query += " AND block <= ?"
            params.append(until)
        rows = self.db.execute(query + " ORDER BY block, log_index", params)
        return [StoredEvent(b, i, h, t, a, n, json.loads(args)) for b, i, h, t, a, n, args in rows]

    def event_addresses(self) -> list[str]:
        """Every contract the database holds events of."""
        return [str(address) for (address,) in self.db.execute("SELECT DISTINCT address FROM events")]

    def add_alert(self, db: Db, alert: dict[str, Any]) -> bool:
        """Raise an alert (and queue it for every sink); False when it was raised already."""
        return bool(self.add_alerts(db, [alert]))

    def add_alerts(self, db: Db, alerts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Raise alerts (each queued for every sink, in their order): those not raised already, which
        are returned. A few statements for them all (a range may create a thousand properties)."""
        ids = [alert["id"] for alert in alerts]
        raised = set()
        for n in range(0, len(ids), ID_BATCH):
            chunk = ids[n : n + ID_BATCH]
            marks = ", ".join("?" * len(chunk))
            raised |= {str(found) for (found,) in db.execute(f"SELECT id FROM alerts WHERE id IN ({marks})", chunk)}
        fresh = []
        for alert in alerts:
            if alert["id"] not in raised:
                raised.add(alert["id"])
                fresh.append(alert)
        if not fresh:
            return []
        db.executemany(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING",
            [
                (
                    alert["id"],
                    alert["rule"],
                    alert["severity"],
                    alert["block"],
                    alert["logIndex"],
                    alert["transaction"],
                    alert["address"],
                    alert["contract"],
                    alert["event"],
                    alert["message"],
                    json.dumps(alert["args"]),
                    alert["raisedAt"],
                )
                for alert in fresh
            ],
        )
        db.executemany(
            "INSERT INTO outbox (alert_id, kind, body) VALUES (?, 'alert', ?) ON CONFLICT DO NOTHING",
            [(alert["id"], json.dumps(alert)) for alert in fresh],
        )
        return fresh

    def undo_after(self, db: Db, block: int, retracted_at: str) -> list[dict[str, Any]]:
        """Forget what blocks after ``block`` brought (a reorganisation undid them): their events, the
        contracts discovered there and their block hashes; their alerts are retracted (and the
        retractions queued for every sink). Returns the retractions."""
        rows = db.execute(
            "SELECT id, rule, message, block, contract FROM alerts WHERE "
            "block > ? AND retracted = 0 ORDER BY block, log_index, rule",
            (block,),
        ).fetchall()
        retractions = []
        for alert_id, rule, message, at, contract in rows:
            body = {
                "id": alert_id,
                "kind": "retraction",
                "rule": rule,
                "block": at,
                "contract": contract,
                "message": f"retracted (block {at} was reorganised away): {message}",
                "retractedAt": retracted_at,
            }
            retractions.append(body)
            db.execute("UPDATE alerts SET retracted = 1 WHERE id = ?", (alert_id,))
            db.execute(
                "INSERT INTO outbox (alert_id, kind, body) VALUES (?, 'retraction', ?) ON CONFLICT DO NOTHING",
                (alert_id, json.dumps(body)),
            )
        db.execute("DELETE FROM events WHERE block > ?", (block,))
        db.execute("DELETE FROM transactions WHERE block > ?", (block,))
        db.execute("DELETE FROM contracts WHERE block > ?", (block,))
        db.execute("DELETE FROM blocks WHERE number > ?", (block,))
        return retractions

    def alerts(self) -> list[dict[str, Any]]:
        columns = (
            "id",
            "rule",
            "severity",
            "block",
            "log_index",
            "tx",
            "address",
            "contract",
            "event",
            "message",
            "args",
            "raised_at",
            "retracted",
        )
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
            f"SELECT seq, body FROM outbox o WHERE {UNDELIVERED} ORDER BY seq LIMIT ?",
            (sink, limit),
        )
        return [(int(seq), json.loads(body)) for seq, body in rows]

    def mark_delivered(self, sink: str, seqs: Sequence[int]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT INTO delivered VALUES (?, ?) ON CONFLICT DO NOTHING", [(sink, s) for s in seqs])

    def undelivered(self, sink: str) -> int:
        row = self.db.execute(f"SELECT COUNT(*) FROM outbox o WHERE {UNDELIVERED}", (sink,)).fetchone()
        return int(row[0])


def json_text(args: dict[str, Any]) -> str:
    """``json.dumps(args)``: written by the decoder's plan when the arguments came from it (faster)."""
    return args.json_text() if isinstance(args, Arguments) else json.dumps(args)


#: Alert ids asked about in one statement (SQLite takes up to 32,766 parameters).
ID_BATCH = 500
UPSERT_META = "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
UNDELIVERED = "NOT EXISTS (SELECT 1 FROM delivered d WHERE d.sink = ? AND d.seq = o.seq)"
