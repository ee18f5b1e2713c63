"""Fans paying an athlete through `rwa` commands on a chain that presents itself as Polygon's Amoy
(chain id 80002, two-second blocks; tests/support/rehearsal.py): the whole manifest deployed as an
operator deploys it (on quarter-second blocks, to keep the run short: the deploy is tested elsewhere), a
vault made by the team's vault operator, two fans tip, one buys merchandise and is refunded by the
athlete, one subscribes and is renewed by the keeper (`rwa vault renew-due`); then `rwa history
payments` lists exactly the payments that were sent, pending until Amoy's confirmations and confirmed
after, the same from the watcher's store as from the chain. Run beside the rest (LIVE_TESTS)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from eth_utils import keccak
from livelike import FAST_BLOCK_TIME, base_port
from rehearsal import rehearsal, team_params

pytestmark = pytest.mark.slow  # `rwa` processes against a live-like chain

AMOY, AMOY_ID = "amoy", 80002
#: Anvil's first development account: unlocked on the node, it stands in for a faucet.
FAUCET = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
USD = 10**6


def test_tips_an_order_refunded_and_a_renewed_membership_are_the_books(tmp_path):
    people = ("operator", "athlete", "fan1", "fan2")
    keys = {alias: "0x" + os.urandom(32).hex() for alias in people}
    fast = FAST_BLOCK_TIME  # while the deploy runs; Amoy's two seconds after it
    with rehearsal(base_port(), tmp_path, params=False, extra_keys=keys, network=AMOY, chain_id=AMOY_ID, block_time=fast) as r:
        params = team_params(r)
        params["vault_operator"] = r.address("operator")
        r.write_params_of(params)
        for alias in people:
            r.chain.rpc("anvil_setBalance", r.address(alias), hex(10**20))

        def rwa(*args: str) -> Any:
            return json.loads(r.rwa(*args, "--network", AMOY, "--json").stdout)

        r.rwa("deploy", "--network", AMOY, "--account", "ops", "--yes")  # not what is tested here: fast blocks
        r.chain.resume_mining(2)
        usdc = r.record()["contracts"]["Stablecoin"]["address"]
        for fan in ("fan1", "fan2"):
            mint = (
                keccak(text="mint(address,uint256)")[:4].hex()
                + r.address(fan)[2:].lower().rjust(64, "0")
                + hex(100 * USD)[2:].rjust(64, "0")
            )
            r.chain.rpc("eth_sendTransaction", {"from": FAUCET, "to": usdc, "data": "0x" + mint})
        rwa("vault", "create", "star", "--athlete", r.address("athlete"), "--account", "operator")

        sent = [
            rwa("vault", "tip", "star", "2", "--memo", "great game", "--account", "fan1", "--yes"),
            rwa("vault", "tip", "star", "3.5", "--account", "fan2", "--yes"),
            rwa("vault", "order", "pay", "star", "7", "12.5", "--account", "fan1", "--yes"),
        ]
        refund = rwa("vault", "order", "refund", "star", "7", "--account", "athlete", "--yes")
        assert (refund["payer"], refund["amount"]) == (r.address("fan1"), str(12_500_000))
        plan = rwa("vault", "plan", "create", "star", "5", "--period", "1d", "--account", "athlete", "--yes")
        member = rwa("vault", "subscribe", str(plan["planId"]), "--auto-renew", "--renewals", "2", "--account", "fan2", "--yes")
        sent.append(member)
        assert rwa("vault", "renew-due", "--account", "ops")["renewed"] == []  # not due yet
        r.chain.rpc("evm_increaseTime", 86400)
        r.chain.wait_for_block()
        renewed = rwa("vault", "renew-due", "--account", "ops")
        assert renewed["renewed"] == [member["tokenId"]]
        assert rwa("vault", "renew-due", "--account", "ops")["renewed"] == []  # safe to run twice

        # The books: from the chain, then from the watcher's store: the payments sent, nothing else.
        r.chain.pause_mining()  # the head stays where it is while the books are read
        head = int(r.chain.rpc("eth_blockNumber"), 16)
        store = str(tmp_path / "amoy.sqlite")
        r.rwa("watch", "--once", "--network", AMOY, "--store", store, "--confirmations", "0", expect=None)
        from_chain = rwa("history", "payments", "star")
        from_store = rwa("history", "payments", "star", "--store", store)
        rows = from_chain["payments"]
        assert from_chain["source"] == "chain" and from_store["source"].startswith("store for blocks")
        assert from_store["payments"] == rows
        expected = [
            ("tip", r.address("fan1"), "2000000"),
            ("tip", r.address("fan2"), "3500000"),
            ("merchandise", r.address("fan1"), "12500000"),
            ("subscription", r.address("fan2"), "5000000"),
            ("subscription", r.address("fan2"), "5000000"),
        ]
        assert [(p["type"], p["from"], p["amount"]) for p in rows] == expected
        hashes = [s["transactionHash"] for s in sent] + [renewed["transactions"][0]["transactionHash"]]
        assert [p["transactionHash"] for p in rows] == hashes
        # (The stand-in stablecoin is the mock's code at Amoy's USDC address: its symbol, in storage, is empty.)
        assert all(p["currency"] == rows[0]["currency"] and p["gasUsed"] > 0 and p["gasPrice"] > 0 for p in rows)
        assert from_chain["confirmations"] == 72 and rows[-1]["status"] == "pending"  # the renewal, just mined
        assert [p["status"] for p in rows] == ["confirmed" if head - p["block"] >= 72 else "pending" for p in rows]

        r.chain.rpc("anvil_mine", hex(80))  # Amoy's 72 confirmations and more
        r.rwa("watch", "--once", "--network", AMOY, "--store", store, "--confirmations", "0", expect=None)
        assert {p["status"] for p in rwa("history", "payments", "star", "--store", store)["payments"]} == {"confirmed"}
        import sqlite3

        with sqlite3.connect(store) as db:
            kept = db.execute("SELECT transaction_hash, status FROM transactions ORDER BY block, log_index").fetchall()
        assert kept == [(h, "confirmed") for h in hashes]
