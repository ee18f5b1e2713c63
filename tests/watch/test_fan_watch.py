"""Fans' payments in the watcher: a lapsed membership raises one alert, exactly once (rwa.watch.lapses),
and payments are kept in the platform's ``transactions`` shape that `rwa history payments` reads."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from watchkit import read_jsonl, rule_counts

from rwa.watch.lapses import Expiry, Window, lapses, windows
from rwa.watch.store import open_store

DAY = 86400
FORMER = "NILMemberships"  # the hub's name before it took tips and orders too
M = "0x" + "aa" * 20


def times(blocks):
    """Block ``n`` is at time ``1000 + 10 n``."""
    return {n: 1000 + 10 * n for n in blocks}


def test_windows_and_the_block_each_lapse_happens_in():
    entering = {(M, 1): Expiry(M, 1, 1055, 0), (M, 2): Expiry(M, 2, 1500, 0), (M, 3): Expiry(M, 3, 1005, 0)}
    renewed = Expiry(M, 2, 1700, 40)  # token 2 renewed (before it lapsed) in block 40
    fresh = Expiry(M, 4, 1125, 11)  # token 4 subscribed in block 11
    found = windows(entering, [renewed, fresh], 3, 100)
    assert Window(entering[(M, 2)], 2, 40) in found and Window(renewed, 40, 100) in found
    time_of = times
    lapsed = {(e.token_id, e.expires_at): block for e, block in lapses(found, time_of)}
    # token 1: first block after 1055 is 6; token 3 lapsed before the range (block 1 already passed 1005);
    # token 2's first expiry was replaced before it passed; its second passes in block 71; token 4 in block 13.
    assert lapsed == {(1, 1055): 6, (2, 1700): 71, (4, 1125): 13}
    # The same lapse is the same block whatever the ranges: evaluated block by block, one by one.
    one_by_one = {}
    state = dict(entering)
    for block in range(3, 101):
        updates = [u for u in (renewed, fresh) if u.block == block]
        for e, at in lapses(windows(state, updates, block, block), time_of):
            one_by_one[(e.token_id, e.expires_at)] = at
        state.update({(u.memberships, u.token_id): u for u in updates})
    assert one_by_one == lapsed


def test_a_renewal_after_the_lapse_lapsed_it_in_its_block_at_the_latest():
    entering = {(M, 1): Expiry(M, 1, 1095, 0)}
    late = Expiry(M, 1, 1300, 10)  # renewed in block 10 (time 1100): it had lapsed in that block
    assert [(e.expires_at, b) for e, b in lapses(windows(entering, [late], 5, 20), times)] == [(1095, 10)]


def _watch(rwa, tmp_path: Path, db: Path, expect: int) -> list[dict]:
    rwa.run("watch", "--once", "--store", str(db), "--jsonl", str(tmp_path / "alerts.jsonl"), expect=expect)
    return [a for a in read_jsonl(tmp_path / "alerts.jsonl") if a["rule"] == "memberships.MembershipLapsed"]


def test_a_lapsed_membership_is_one_alert_exactly_once(rwa, chain, tmp_path, stablecoin, deployer, fan_payments):
    fan = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
    stablecoin.mint(fan, 100 * 10**6, sender=deployer)
    db = tmp_path / "w.sqlite"
    plan = rwa.json("vault", "plan", "create", "demo-athlete", "5", "--period", "1d")
    member = rwa.json("vault", "subscribe", str(plan["planId"]), "--periods", "1")
    _watch(rwa, tmp_path, db, expect=None)
    assert _watch(rwa, tmp_path, db, expect=0) == []  # not lapsed yet
    chain.mine(timestamp=member["expiresAt"] + 60)
    lapsed = _watch(rwa, tmp_path, db, expect=None)
    assert [(a["args"]["tokenId"], a["args"]["expiresAt"]) for a in lapsed] == [(member["tokenId"], member["expiresAt"])]
    assert f"membership {member['tokenId']} lapsed" in lapsed[0]["message"]
    chain.mine(5)
    assert len(_watch(rwa, tmp_path, db, expect=0)) == 1  # exactly once
    # Renewed after the lapse, and lapsed again: a second alert, for the new expiry.
    renewed = rwa.json("vault", "renew", str(member["tokenId"]), "--periods", "1")
    chain.mine(timestamp=renewed["expiresAt"] + 60)
    again = _watch(rwa, tmp_path, db, expect=None)
    assert [a["args"]["expiresAt"] for a in again] == [member["expiresAt"], renewed["expiresAt"]]
    assert rule_counts(read_jsonl(tmp_path / "alerts.jsonl"))["memberships.MembershipLapsed"] == 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])  # slow: a PostgreSQL server
def store(request: Any, tmp_path: Path) -> str:
    """The watcher's store: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "w.sqlite")
    return str(request.getfixturevalue("postgres").database())


def test_payments_are_kept_in_the_transactions_shape_and_read_back_equal_to_the_chain(
    rwa, chain, store, stablecoin, deployer, fan_payments
):
    fan = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
    stablecoin.mint(fan, 100 * 10**6, sender=deployer)
    rwa.run("watch", "--once", "--store", store, expect=None)  # the store is at the head before the payments
    tip = rwa.json("vault", "tip", "demo-athlete", "2.50", "--memo", "gm")
    rwa.json("vault", "order", "pay", "demo-athlete", "41", "3")
    rwa.json("vault", "order", "refund", "demo-athlete", "41")
    plan = rwa.json("vault", "plan", "create", "demo-athlete", "5", "--period", "30d")
    member = rwa.json("vault", "subscribe", str(plan["planId"]), "--periods", "2")
    from_chain = rwa.json("history", "payments", "demo-athlete", "--store", store)  # the store has none of them yet
    assert from_chain["source"].startswith("store for blocks")
    assert [r["type"] for r in from_chain["payments"]] == ["tip", "merchandise", "subscription"]

    rwa.run("watch", "--once", "--store", store, expect=None)
    from_store = rwa.json("history", "payments", "demo-athlete", "--store", store)
    assert from_store["payments"] == from_chain["payments"]
    tips = rwa.json("history", "payments", "demo-athlete", "--store", store, "--kind", "tip")["payments"]
    assert [(r["transactionHash"], r["memo"], r["amountDisplay"]) for r in tips] == [(tip["transactionHash"], "gm", "2.5 mUSDC")]

    book = open_store(store, Path("unused.sqlite"), create=False)
    try:
        rows = book.db.execute(
            'SELECT type, "from", "to", amount, currency, transaction_hash, block, gas_used, gas_price, status, ref '
            "FROM transactions ORDER BY block, log_index"
        ).fetchall()
    finally:
        book.close()
    assert [(r[0], r[1], str(r[3]), r[4], r[9]) for r in rows] == [
        ("tip", fan, "2500000", "mUSDC", "confirmed"),
        ("merchandise", fan, "3000000", "mUSDC", "confirmed"),
        ("subscription", fan, "10000000", "mUSDC", "confirmed"),
    ]
    assert rows[0][5] == tip["transactionHash"] and rows[0][7] == tip["gasUsed"] and int(rows[0][8]) > 0
    assert rows[2][10] == str(member["tokenId"])

    # A store made before the table (migrated: it holds payments from a later block on): the chain
    # answers for the blocks before.
    later = from_chain["payments"][1]["block"]
    book = open_store(store, Path("unused.sqlite"), create=False)
    try:
        with book.transaction() as db:
            db.execute("DELETE FROM transactions WHERE block < ?", (later,))
            db.execute("UPDATE meta SET value = ? WHERE key = 'transactionsFrom'", (str(later),))
    finally:
        book.close()
    migrated = rwa.json("history", "payments", "demo-athlete", "--store", store)
    assert migrated["source"].startswith(f"store for blocks {later} to") and migrated["payments"] == from_chain["payments"]


def test_no_membership_asks_the_node_nothing():
    def time_of(blocks):
        raise AssertionError(f"asked the times of {blocks}")

    assert lapses(windows({}, [], 10, 20), time_of) == []


def test_a_store_that_kept_the_hub_under_its_former_name_follows_the_rename(rwa, tmp_path, fan_payments):
    db = tmp_path / "w.sqlite"
    rwa.run("watch", "--once", "--store", str(db), "--jsonl", str(tmp_path / "alerts.jsonl"))
    # A store an older toolkit wrote keeps the hub as NILMemberships; the record now names it FanPayments.
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE contracts SET label = ?, kind = ? WHERE address = ?", (FORMER, FORMER, fan_payments.address))
    path = rwa.deployments / "local.json"
    original = path.read_text()
    record = json.loads(original)
    record["contracts"]["FanPayments"]["formerNames"] = [FORMER]
    path.write_text(json.dumps(record))
    try:
        rwa.run("watch", "--once", "--store", str(db), "--jsonl", str(tmp_path / "alerts.jsonl"))
    finally:
        path.write_text(original)
    with closing(sqlite3.connect(db)) as connection:
        row = connection.execute("SELECT label, kind FROM contracts WHERE address = ?", (fan_payments.address,)).fetchone()
    assert row == ("FanPayments", "FanPayments")  # the hub's rules (payments, memberships) apply to it again
