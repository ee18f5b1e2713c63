"""The watcher's store on SQLite and on PostgreSQL (a real server): versioned migrations, the same
exactly-once queue and delivery order, the documented views, and bad stores refused in one line."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rwa.core.errors import RwaError
from rwa.watch import schema
from rwa.watch.sinks import FIRST_RETRY_SECONDS, Delivery
from rwa.watch.store import Store, StoredEvent, open_store

ZERO = "0x" + "00" * 20
TOKEN, DISTRIBUTOR, VAULT, SAFE = ("0x" + c * 40 for c in "abcd")
ALICE, BOB = "0x" + "a1" * 20, "0x" + "b0" * 20
BIG = 10**30  # past 64 bits: amounts stay exact


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])  # slow: a PostgreSQL server
def spec(request: Any, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "w.sqlite")
    return str(request.getfixturevalue("postgres").database())


def opened(spec: str, tmp_path: Path) -> Store:
    store = open_store(spec, tmp_path / "unused.sqlite")
    store.claim("local", 31337, "0xabc")
    return store


def alert(number: int, block: int) -> dict[str, Any]:
    return {
        "id": f"0x{number:032x}",
        "kind": "alert",
        "rule": "property.Paused",
        "severity": "critical",
        "block": block,
        "logIndex": 0,
        "transaction": "0xt",
        "address": TOKEN,
        "contract": "MAIN.token",
        "event": "Paused",
        "message": f"alert {number}",
        "args": {},
        "raisedAt": "now",
    }


def test_alerts_are_queued_once_and_delivered_in_order_with_retractions_after(spec: str, tmp_path: Path) -> None:
    store = opened(spec, tmp_path)
    with store.transaction() as db:
        raised = [store.add_alert(db, alert(n, block)) for n, block in ((1, 5), (2, 6), (3, 7))]
        again = store.add_alert(db, alert(2, 6))
        store.set_cursor(db, 7, "0x07")
    assert raised == [True, True, True] and again is False
    first = store.pending("hook", limit=2)
    assert [m["message"] for _, m in first] == ["alert 1", "alert 2"]
    store.mark_delivered("hook", [seq for seq, _ in first])
    with store.transaction() as db:
        retracted = store.undo_after(db, 5, "later")
        store.set_cursor(db, 5, None)
    assert [r["id"] for r in retracted] == [alert(2, 6)["id"], alert(3, 7)["id"]]
    # the undelivered alert first, then the retractions, in the order they were queued; another sink gets all
    assert [(m.get("kind"), m["message"].split(": ")[-1]) for _, m in store.pending("hook")] == [
        ("alert", "alert 3"),
        ("retraction", "alert 2"),
        ("retraction", "alert 3"),
    ]
    assert store.undelivered("other") == 5 and store.cursor == 5
    assert [a["retracted"] for a in store.alerts()] == [False, True, True]
    store.close()


def test_a_failed_step_writes_nothing(spec: str, tmp_path: Path) -> None:
    store = opened(spec, tmp_path)
    with pytest.raises(RuntimeError), store.transaction() as db:
        store.add_alert(db, alert(1, 5))
        store.set_cursor(db, 5, "0x05")
        raise RuntimeError("killed mid-step")
    assert store.alerts() == [] and store.pending("hook") == [] and store.cursor is None
    store.close()


def events() -> list[StoredEvent]:
    def event(block: int, index: int, address: str, name: str, **args: Any) -> StoredEvent:
        return StoredEvent(block, index, f"0x{block:02x}", f"0xt{block}", address, name, args)

    return [
        event(10, 0, TOKEN, "Transfer", **{"from": ZERO, "to": ALICE, "value": str(BIG)}),
        event(11, 0, TOKEN, "Transfer", **{"from": ALICE, "to": BOB, "value": 40}),
        event(12, 0, DISTRIBUTOR, "Deposited", depositor=BOB, amount=1000),
        event(13, 0, DISTRIBUTOR, "DividendsClaimed", holder=ALICE, amount=999),
        event(14, 0, VAULT, "DealProposed", dealId=1, brand=BOB, amount=str(BIG)),
        event(15, 0, VAULT, "DealFunded", dealId=1),
        event(15, 1, VAULT, "DealProposed", dealId=2, brand=ALICE, amount=5),
        event(16, 0, SAFE, "SafeMultiSigTransaction", to=VAULT, data="0x8456cb59", value=0),
        event(16, 1, SAFE, "ExecutionSuccess", txHash="0x" + "11" * 32, payment=0),
    ]


def test_the_documented_views_answer_what_a_backend_needs(spec: str, tmp_path: Path) -> None:
    store = opened(spec, tmp_path)
    with store.transaction() as db:
        store.add_contract(db, TOKEN, "MAIN.token", "PropertyToken", property_id="0xpid", block=1)
        store.add_contract(db, DISTRIBUTOR, "MAIN.distributor", "DividendDistributor", parent=TOKEN, block=1)
        store.add_contract(db, VAULT, "DemoVault", "NILVault")
        store.add_contract(db, SAFE, "Safe", "SafeL2")
        store.add_events(db, events())

    def rows(query: str, *params: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in store.db.execute(query, params)]

    def exact(value: Any) -> int:
        return int(Decimal(str(value)))

    transfers = rows("SELECT block, sender, recipient, amount, token_label, property_id FROM property_transfers ORDER BY block")
    assert [(b, s, r, exact(a), label, pid) for b, s, r, a, label, pid in transfers] == [
        (10, ZERO, ALICE, BIG, "MAIN.token", "0xpid"),
        (11, ALICE, BOB, 40, "MAIN.token", "0xpid"),
    ]
    dividends = rows("SELECT token_label, kind, wallet, amount FROM dividend_movements ORDER BY block")
    assert [(t, k, w, exact(a)) for t, k, w, a in dividends] == [
        ("MAIN.token", "deposit", BOB, 1000),
        ("MAIN.token", "claim", ALICE, 999),
    ]
    deals = rows("SELECT vault_label, deal_id, brand, amount, state, since_block FROM vault_deals ORDER BY deal_id")
    assert [(v, exact(d), b, exact(a), s, at) for v, d, b, a, s, at in deals] == [
        ("DemoVault", 1, BOB, BIG, "funded", 15),
        ("DemoVault", 2, ALICE, 5, "proposed", 15),
    ]
    assert rows("SELECT safe_label, outcome, target, selector FROM safe_proposals") == [("Safe", "executed", VAULT, "0x8456cb59")]
    if store.backend.dialect == "postgresql":  # exact sums of 256-bit amounts: PostgreSQL's NUMERIC
        assert rows("SELECT wallet, balance FROM holders_at(?, ?)", "MAIN.token", 10) == [(ALICE, Decimal(BIG))]
        assert rows("SELECT wallet, balance FROM holders_at(?, ?)", TOKEN.upper(), 11) == [
            (ALICE, Decimal(BIG - 40)),
            (BOB, Decimal(40)),
        ]
    store.close()


def test_an_older_database_is_upgraded_and_a_newer_one_refused(spec: str, tmp_path: Path, rwa: Any) -> None:
    store = open_store(spec, tmp_path / "unused.sqlite")
    with store.transaction() as db:  # a database as version 1 left it: its tables, claimed, an alert
        for statement in schema.render(schema.TABLES, store.backend.dialect):
            db.execute(statement)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("network", "local"), ("chainId", "31337"), ("genesisHash", "0xabc"), ("schema", "1"), ("cursor", "4")],
        )
        store.add_alert(db, alert(1, 4))
    assert store.version() == 1
    store.claim("local", 31337, "0xabc")
    assert store.version() == schema.SCHEMA_VERSION == 5
    assert store.cursor == 4 and [m["message"] for _, m in store.pending("hook")] == ["alert 1"]
    assert store.db.execute("SELECT COUNT(*) FROM vault_deals").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0  # the market's order book (migration 3)
    assert store.db.execute("SELECT COUNT(*) FROM transactions").fetchone()[0] == 0  # fans' payments (migration 4)
    assert store.block_times() == {}  # when the blocks of trades were made (migration 5)
    with store.transaction() as db:
        db.execute("UPDATE meta SET value = '6' WHERE key = 'schema'")
    store.close()
    with pytest.raises(RwaError, match=r"written by a newer rwa \(schema version 6; this one knows up to 5\): upgrade rwa"):
        open_store(spec, tmp_path / "unused.sqlite")
    line = rwa.refused("history", "alerts", "--store", spec)
    assert line.startswith("error: ") and "written by a newer rwa" in line and "\n" not in line.strip()


@pytest.mark.slow  # a PostgreSQL server
def test_bad_stores_are_refused_in_one_line(rwa: Any, postgres: Any) -> None:
    for spec, expected in [
        (
            "postgresql://nobody@127.0.0.1:1/nothing",
            "error: cannot open the PostgreSQL store postgresql://nobody@127.0.0.1:1/nothing: ",
        ),
        ("postgresql://rwa:s3cret@127.0.0.1:1/x", "error: cannot open the PostgreSQL store postgresql://rwa:***@127.0.0.1:1/x: "),
        (postgres.url.rsplit("/", 1)[0] + "/missing_db", "error: cannot open the PostgreSQL store"),
        ("mysql://host/db", "error: store 'mysql://host/db': a file path, sqlite:///PATH or postgresql://USER@HOST/DATABASE"),
    ]:
        line = rwa.refused("watch", "--once", "--store", spec)
        assert line.startswith(expected) and "s3cret" not in line, line
    other = postgres.database()
    store = open_store(other, Path("unused"))
    store.claim("sepolia", 11155111, "0x25a5")
    store.close()
    line = rwa.refused("watch", "--once", "--store", other)
    assert "belongs to network sepolia (chain 11155111" in line and "pass another --store" in line
    assert "holds the watcher data of network sepolia, not local" in rwa.refused("history", "alerts", "--store", other)
    assert "no watcher data for local in" in rwa.refused("history", "alerts", "--store", postgres.database())


class FlakySink:
    """Fails the deliveries it is told to, in order (True: fail), then takes every message."""

    key = label = "flaky"

    def __init__(self, plan: list[bool]):
        self.plan = plan
        self.taken: list[str] = []

    def send(self, message: dict[str, Any]) -> None:
        if self.plan and self.plan.pop(0):
            raise OSError("HTTP 503")
        self.taken.append(message["message"])


def test_each_failing_delivery_backs_off_on_its_own_and_a_healthy_request_resets_the_wait(spec: str, tmp_path: Path) -> None:
    store = opened(spec, tmp_path)
    with store.transaction() as db:
        for n in range(1, 5):
            store.add_alert(db, alert(n, n))
    # alert 1 taken, 2 fails, (retried) 2 taken, 3 fails, (retried) 3 taken, 4 fails 3 times, then taken
    sink = FlakySink([False, True, False, True, False, True, True, True])
    said: list[str] = []
    delivery = Delivery(store, [sink], said.append)

    def waits() -> float:
        wait = delivery.retry_at[sink.key] - time.monotonic()
        delivery.retry_at[sink.key] = 0.0  # the wait is over
        return wait

    assert delivery.deliver() == 1 and sink.taken == ["alert 1"]
    assert delivery.deliver() == 0 and sink.taken == ["alert 1"]  # alert 2 waits for its retry, in order
    assert 0.4 < waits() <= FIRST_RETRY_SECONDS
    assert delivery.deliver() == 1
    assert 0.4 < waits() <= FIRST_RETRY_SECONDS  # alert 3's first failure: the wait starts over
    assert delivery.deliver() == 1
    assert 0.4 < waits() <= FIRST_RETRY_SECONDS and delivery.deliver() == 0
    assert 0.9 < waits() <= 2 * FIRST_RETRY_SECONDS and delivery.deliver() == 0  # alert 4 again: doubled
    assert 1.9 < waits() <= 4 * FIRST_RETRY_SECONDS and said == ["sink flaky is down (HTTP 503): alerts are kept and retried"]
    assert delivery.deliver() == 1 and sink.taken == ["alert 1", "alert 2", "alert 3", "alert 4"]
    assert said[1:] == ["sink flaky is back: delivering what waited"] and not delivery.failures
    assert store.undelivered(sink.key) == 0
    store.close()


def test_one_watcher_leads_a_network_on_a_store_until_it_closes(spec: str, tmp_path: Path) -> None:
    leader, second = opened(spec, tmp_path), opened(spec, tmp_path)
    assert leader.try_lead("local", "pid 1 on a") and leader.meta("leader") == "pid 1 on a"
    assert not second.try_lead("local", "pid 2 on b") and second.meta("leader") == "pid 1 on a"
    leader.close()  # as a killed process's connection or file lock ends
    deadline = time.monotonic() + 5
    while not second.try_lead("local", "pid 2 on b"):
        assert time.monotonic() < deadline, "the lead was not let go"
        time.sleep(0.05)
    assert second.meta("leader") == "pid 2 on b"
    second.close()


@pytest.mark.slow  # a PostgreSQL server
def test_a_store_whose_server_drops_it_fails_in_one_line(postgres: Any, tmp_path: Path) -> None:
    url = postgres.database()
    store = opened(url, tmp_path)
    admin = open_store(postgres.url, tmp_path / "unused.sqlite")
    admin.db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?", (url.rsplit("/", 1)[1],))
    admin.close()
    with pytest.raises(
        RwaError, match=r"^the PostgreSQL store postgresql://postgres@127\.0\.0\.1:\d+/watch_\w+ failed: "
    ) as failed:
        store.cursor  # noqa: B018 (a read of the store)
    assert "\n" not in str(failed.value)
    store.close()
