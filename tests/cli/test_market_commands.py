"""`rwa market`, run in this process against the session's deployed suite: two investors trade DEMO1.

owner1 (alice, accounts[3]) sells, owner2 (bob, accounts[4]) buys, owner3 matches; every success is checked
on chain, every refusal is one line that sends and stores nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

E18 = 10**18
USDC = 10**6
US, GB, KYC_AML = 840, 826, 3
YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def demo(project, suite, deployer, listed_market, registry, attestor, stablecoin, chain, accounts):
    """DEMO1 with owner1 holding 100 and owner2 10, both verified and holding 100,000 mUSDC."""
    alice, bob = accounts[3], accounts[4]
    expiry = chain.pending_timestamp + YEAR
    registry.registerBatch([alice, bob], [(1, US, KYC_AML, expiry), (2, GB, KYC_AML, expiry)], sender=attestor)
    token = project.PropertyToken.at(suite["contracts"]["DemoProperty"]["address"])
    token.mint(alice, 100 * E18, sender=deployer)
    token.mint(bob, 10 * E18, sender=deployer)
    for who in (alice, bob):
        stablecoin.mint(who, 100_000 * USDC, sender=deployer)
    return token, alice, bob


@pytest.fixture
def market_cli(rwa, tmp_path, monkeypatch, demo):
    monkeypatch.setenv("RWA_STATE_DIR", str(tmp_path / "state"))
    return rwa


def test_two_investors_sell_buy_and_a_matcher_settles_them_at_the_ask(
    market_cli, demo, stablecoin, listed_market, tmp_path, chain
):
    token, alice, bob = demo
    ask = market_cli.json("market", "sell", "DEMO-1", "10", "--price", "250", "--account", "owner1")
    bid = market_cli.json("market", "buy", "DEMO1", "4", "--price", "255", "--account", "owner2")
    assert ask["order"]["side"] == "sell" and ask["approvalTransaction"]
    book = market_cli.json("market", "book", "DEMO-1")
    assert [(o["hash"], o["fillable"]) for o in book["asks"]] == [(ask["hash"], str(10 * E18))]
    assert [(o["hash"], o["fillable"]) for o in book["bids"]] == [(bid["hash"], str(4 * E18))]

    before = (token.balanceOf(alice), token.balanceOf(bob), stablecoin.balanceOf(alice), stablecoin.balanceOf(bob))
    planned = market_cli.json("market", "match", "DEMO-1", "--dry-run", "--account", "owner3")
    assert planned["matches"] == [{"sell": ask["hash"], "buy": bid["hash"], "amount": str(4 * E18), "price": str(250 * USDC)}]
    assert planned["trades"] == []
    done = market_cli.json("market", "match", "DEMO-1", "--account", "owner3")
    (trade,) = done["trades"]
    assert (trade["seller"], trade["buyer"], trade["amount"], trade["quote"]) == (
        alice.address,
        bob.address,
        str(4 * E18),
        str(1000 * USDC),
    )
    assert token.balanceOf(alice) == before[0] - 4 * E18 and token.balanceOf(bob) == before[1] + 4 * E18
    assert stablecoin.balanceOf(alice) == before[2] + 1000 * USDC - int(trade["fee"])
    assert stablecoin.balanceOf(bob) == before[3] - 1000 * USDC
    assert stablecoin.balanceOf(listed_market) == 0

    book = market_cli.json("market", "book", "DEMO-1")
    assert [(o["hash"], o["fillable"]) for o in book["asks"]] == [(ask["hash"], str(6 * E18))]
    assert book["bids"] == []
    assert "no crossing orders" in market_cli.run("market", "match", "DEMO-1", "--account", "owner3").stdout

    taken = market_cli.json("market", "fill", ask["hash"][:12], "--amount", "2", "--account", "owner2")
    assert (taken["amount"], taken["buyer"]) == (str(2 * E18), bob.address)
    cancelled = market_cli.json("market", "cancel", ask["hash"], "--account", "owner1")
    assert cancelled["cancelled"] == ask["hash"]
    assert listed_market.remainingOf(tuple(_order_tuple(ask))) == 0

    # The watcher raises each trade, and `rwa history trades` lists them with their volume-weighted price.
    db = str(tmp_path / "watch.sqlite")
    watched = market_cli.run("watch", "--once", "--db", db, expect=3).stdout  # 3: critical alerts (the deploy's own) raised
    assert watched.count("market.TradeExecuted") == 2
    rows = market_cli.json("history", "trades", "DEMO-1", "--db", db)["rows"]
    assert [(r["seller"], r["buyer"], r["amount"], r["price"]) for r in rows[:-2]] == [
        (alice.address, bob.address, "4", str(250 * USDC)),
        (alice.address, bob.address, "2", str(250 * USDC)),
    ]
    # Each day's volume and volume-weighted price (the day of the trades' blocks, UTC), then the total's.
    day = datetime.fromtimestamp(chain.provider.web3.eth.get_block(int(rows[0]["block"]))["timestamp"], UTC).strftime("%Y-%m-%d")
    assert (rows[-2]["block"], rows[-2]["amount"], rows[-2]["price"]) == (f"day {day}", "6", f"{250 * USDC} (vwap)")
    assert (rows[-1]["block"], rows[-1]["amount"], rows[-1]["price"]) == ("total", "6", f"{250 * USDC} (vwap)")
    # Holders' history follows the trades.
    holders = {r["wallet"]: r["balance"] for r in market_cli.json("history", "holders", "DEMO-1", "--db", db)["rows"]}
    assert (holders[alice.address], holders[bob.address]) == (
        str(token.balanceOf(alice) // E18),
        str(token.balanceOf(bob) // E18),
    )


def _order_tuple(signed):
    from rwa.core.orders import Order

    return Order.from_json(signed["order"]).as_tuple()


def test_orders_travel_as_files_and_an_edited_or_forged_one_is_refused(market_cli, demo, tmp_path):
    ask = market_cli.json("market", "sell", "DEMO-1", "5", "--price", "100", "--account", "owner1")
    exported = tmp_path / "orders.json"
    assert market_cli.json("market", "export", str(exported), "--property", "DEMO-1")["orders"] == 1
    other = tmp_path / "other.sqlite"
    assert market_cli.json("market", "import", str(exported), "--db", str(other))["added"] == 1
    assert market_cli.json("market", "import", str(exported), "--db", str(other))["added"] == 0

    body = json.loads(exported.read_text())
    edited = json.loads(json.dumps(body))
    edited["orders"][0]["order"]["price"] = "1000000"
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    assert "was changed after signing" in market_cli.refused(
        "market", "import", str(tmp_path / "edited.json"), "--db", str(tmp_path / "x.sqlite")
    )

    forged = json.loads(json.dumps(body))
    bid = market_cli.json("market", "buy", "DEMO-1", "1", "--price", "100", "--account", "owner2")
    forged["orders"][0]["signature"] = bid["signature"]  # another key's signature
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert "is not signed by its maker" in market_cli.refused(
        "market", "import", str(tmp_path / "forged.json"), "--db", str(tmp_path / "y.sqlite")
    )
    assert (
        not (tmp_path / "x.sqlite").exists()
        or market_cli.json("market", "book", "DEMO-1", "--db", str(tmp_path / "x.sqlite"))["asks"] == []
    )
    assert ask["hash"] in exported.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("NOPE-9", "1", "--price", "10"), "unknown property 'NOPE-9'"),
        (("DEMO-1", "0", "--price", "10"), "amount 0 is zero"),
        (("DEMO-1", "1", "--price", "-10"), "is negative"),
        (("DEMO-1", "1", "--price", "0"), "amount 0 is zero"),
        (("DEMO-1", "1", "--price", "10", "--expires", "0s"), "is not in the future"),
        (("DEMO-1", "1000", "--price", "10"), "less than the 1000 the order sells"),
        (("DEMO-1", "0.0000001", "--price", "3"), "trades in multiples of"),
        (("DEMO-1", "-1", "--price", "10"), "is negative"),
        (("DEMO-1", "1", "--price", "10", "--expires", "-1h"), "bad duration '-1h'"),
    ],
)
def test_bad_orders_are_refused_in_one_line_and_nothing_is_stored(market_cli, demo, args, message, chain):
    _, alice, _ = demo
    sent = chain.provider.web3.eth.get_transaction_count(alice.address)
    assert message in market_cli.refused("market", "sell", *args, "--account", "owner1")
    assert market_cli.json("market", "book", "DEMO-1", "--all")["asks"] == []
    assert chain.provider.web3.eth.get_transaction_count(alice.address) == sent  # nothing sent (no allowance either)


def test_a_buy_order_beyond_the_makers_stablecoin_is_refused(market_cli, demo, chain):
    _, alice, _ = demo
    sent = chain.provider.web3.eth.get_transaction_count(alice.address)
    assert "less than the" in market_cli.refused("market", "buy", "DEMO-1", "100000", "--price", "10", "--account", "owner1")
    assert market_cli.json("market", "book", "DEMO-1", "--all")["bids"] == []
    assert chain.provider.web3.eth.get_transaction_count(alice.address) == sent


@pytest.mark.slow  # a PostgreSQL server
def test_the_order_book_lives_in_the_watchers_store_on_postgresql_too(market_cli, demo, postgres, monkeypatch):
    token, alice, bob = demo
    url = postgres.database()
    monkeypatch.setenv("RWA_WATCH_STORE", url)  # as `rwa watch` and `rwa history` take it
    ask = market_cli.json("market", "sell", "DEMO-1", "3", "--price", "200", "--account", "owner1")
    bid = market_cli.json("market", "buy", "DEMO-1", "3", "--price", "200", "--account", "owner2", "--store", url)
    book = market_cli.json("market", "book", "DEMO-1")
    assert ([o["hash"] for o in book["asks"]], [o["hash"] for o in book["bids"]]) == ([ask["hash"]], [bid["hash"]])
    before = token.balanceOf(bob)
    (trade,) = market_cli.json("market", "match", "DEMO-1", "--account", "owner3")["trades"]
    assert (trade["seller"], trade["buyer"], trade["amount"]) == (alice.address, bob.address, str(3 * E18))
    assert token.balanceOf(bob) == before + 3 * E18
    # The default SQLite book never saw these orders.
    monkeypatch.delenv("RWA_WATCH_STORE")
    assert market_cli.json("market", "book", "DEMO-1", "--all")["asks"] == []


def test_a_safe_makes_an_order_through_a_proposal_and_it_settles(
    market_cli, demo, suite, registry, attestor, stablecoin, listed_market, deployer, chain
):
    token, alice, _ = demo
    guardian = suite["contracts"]["GuardianSafe"]["address"]
    registry.register(guardian, (2**101, US, KYC_AML, chain.pending_timestamp + YEAR), sender=attestor)
    stablecoin.mint(guardian, 10_000 * USDC, sender=deployer)
    bid = market_cli.json("market", "buy", "DEMO-1", "2", "--price", "300", "--via", "guardian")
    assert (bid["order"]["maker"], bid["signature"]) == (guardian, "0x")
    proposal = bid["proposal"]
    assert [c["function"] for c in proposal["calls"]] == ["approve", "presign"]  # the allowance, then the order
    (row,) = [o for o in market_cli.json("market", "book", "DEMO-1", "--all")["bids"] if o["hash"] == bid["hash"]]
    assert (row["fillable"], row["reason"]) == ("0", "its maker's proposal to sign it has not run")
    assert "nothing left that can fill" in market_cli.refused("market", "fill", bid["hash"], "--account", "owner1")

    market_cli.run("safe", "sign", proposal["id"], "--account", "owner1")
    market_cli.run("safe", "execute", proposal["id"])
    assert listed_market.isPresigned(bid["hash"])
    before = stablecoin.balanceOf(guardian)
    taken = market_cli.json("market", "fill", bid["hash"], "--account", "owner1")  # alice sells into the Safe's bid
    assert (taken["seller"], taken["buyer"], taken["amount"]) == (alice.address, guardian, str(2 * E18))
    assert token.balanceOf(guardian) == 2 * E18
    assert stablecoin.balanceOf(guardian) == before - 600 * USDC
