"""No wait without an end (tests/support/livelike.py's live-like anvil, the engine in the test process).

A chain that came back from an older state (a local anvil restarted from its last save) holds the
journal's transaction behind a gap of nonces it will never fill: on a local chain the deploy gives
it up and recreates what the chain lost; on a live network it stops with one line. A fee spike the
account cannot pay for stops the deploy with one line before anything is signed, and once the spike
has passed a rerun completes, whatever replacements the node refused before.
"""

from __future__ import annotations

import time
from dataclasses import replace

import livelike
import pytest
from livelike import DEPLOYER, FAST_BLOCK_TIME, GWEI, NETWORK, ROOT, Run, connected, live_chain

from rwa.core.project import ProjectPaths
from rwa.deploy.journal import Journal
from rwa.deploy.manifest import Manifest, Network
from rwa.deploy.target import Target


def run_on(chain, connection, accounts, compiled, tmp_path, name: str, local: bool) -> Run:
    base = livelike.manifest()
    network = Network(NETWORK, f"ethereum:{NETWORK}:node", local=local)
    the_manifest = Manifest(base.contracts, {NETWORK: network})
    paths = ProjectPaths(ROOT, deployments_override=tmp_path)
    return Run(chain, Target(paths, the_manifest, network, connection, accounts[0], compiled), name)


def _live(compiled, accounts, tmp_path, block_time):
    with live_chain(livelike.base_port(), block_time) as chain, connected(chain) as connection:
        yield chain, connection, accounts, compiled, tmp_path


@pytest.fixture
def live(compiled, accounts, tmp_path):
    """A live-like anvil of quarter-second blocks."""
    yield from _live(compiled, accounts, tmp_path, FAST_BLOCK_TIME)


@pytest.fixture
def real_live(compiled, accounts, tmp_path):
    """The same on one-second blocks, for a test whose outcome depends on how fast a fee spike decays."""
    yield from _live(compiled, accounts, tmp_path, 1)


def rewound_with_our_transaction_queued(run: Run) -> None:
    """The deploy is killed with its third transaction in the pool; the chain then goes back to
    its state before the deploy (as an anvil restarted from an older save), and the transaction
    stays in the pool behind nonces the chain no longer has."""
    snapshot = run.chain.rpc("evm_snapshot")
    livelike.crash_while_pending(run, 3)
    run.chain.rpc("evm_revert", snapshot)
    assert run.chain.mined_nonce() == 0
    run.chain.resume_mining()


@pytest.mark.slow  # a live-like anvil (quarter-second blocks), waited for
@pytest.mark.parametrize("local", [True, False], ids=["local", "live"])
def test_a_journal_ahead_of_the_chain_never_waits_forever(live, local):
    run = run_on(*live, "rewound", local=local)
    rewound_with_our_transaction_queued(run)
    started = time.monotonic()
    record = run.deploy()
    assert time.monotonic() - started < 30
    if local:  # what the chain lost is recreated; the queued transaction can never mine later
        livelike.complete(run, record)
        assert any("the local chain lost nonces 0..1" in note for note in run.notes), run.notes
        run.chain.wait_for_block()
        assert run.chain.mined_nonce() == livelike.CLEAN_DEPLOY_TRANSACTIONS
        assert livelike.created_by_deployer(run.chain) == livelike.CREATE_CONTRACTS
    else:  # nothing sent; one line saying what the chain shows and what to do
        assert record is None and "Coin: no code at" in run.refusals[0]  # the record is ahead of the chain too
        run.target.store.path(NETWORK).unlink()  # with it aside, the journal is what is ahead
        assert run.deploy() is None
        line = run.refusals[-1]
        assert "has nonce 2 but on sepolia" in line and "0 transaction(s) mined" in line and "none known at nonce 0" in line
        assert "nothing was sent" in line and "rwa deploy --adopt" in line
        run.chain.wait_for_block()
        assert run.chain.mined_nonce() == 0


@pytest.mark.slow  # a live-like anvil of one-second blocks, waited for
def test_a_fee_spike_the_account_cannot_pay_stops_then_a_rerun_completes(real_live):
    """The base fee jumps a thousandfold right after the second transaction leaves, on an account
    holding 1 ETH: the replacement is refused before it is signed, with one line. A replacement the
    node once refused (as older versions journaled them) is not what the next run prices from:
    once the spike passes, the rerun completes with nothing sent twice."""
    run = run_on(*real_live, "spike", local=False)
    run.chain.rpc("anvil_setBalance", DEPLOYER, hex(10**18))

    def spike(chain, raw, send):
        send()
        run.chain.set_next_base_fee(1000 * GWEI)

    with livelike.on_broadcast(2, spike):
        assert run.deploy(stuck_after=1) is None
    [line] = run.refusals
    assert "may cost" in line and "holds 0.99" in line and "ETH: nothing was signed" in line, line
    journal = Journal(run.target.store.journal_path(NETWORK))
    [pending] = journal.open_intents()
    # A replacement at an absurd price, journaled but refused by the node (the state of the issue).
    from rwa.chain.client import decode_raw

    fields = decode_raw(pending.raw)
    refused = run.target.chain.sign_priced(
        run.target.account, fields.to, fields.data, pending.nonce, 2_000_000 * GWEI, 2 * GWEI, fields.gas, fields.value
    )
    journal.record_intent(replace(pending, hash=refused.hash, raw=refused.raw, max_fee=2_000_000 * GWEI, replaces=pending.hash))
    run.chain.set_next_base_fee(GWEI // 10)  # the spike passes
    livelike.complete(run, run.deploy())
    assert run.chain.mined_nonce() == livelike.CLEAN_DEPLOY_TRANSACTIONS
    assert livelike.created_by_deployer(run.chain) == livelike.CREATE_CONTRACTS


def test_waiting_for_the_lock_has_an_end(tmp_path, monkeypatch):
    from rwa.deploy import lock

    monkeypatch.setattr(lock, "WAIT_LIMIT_SECONDS", 0.3)
    heard = []
    with lock.hold(tmp_path, NETWORK, DEPLOYER, "rwa deploy"):
        started = time.monotonic()
        with pytest.raises(lock.LockHeld) as held, lock.hold(tmp_path, NETWORK, DEPLOYER, "rwa deploy", True, heard.append):
            pass
    assert time.monotonic() - started < 5 and heard
    assert f"{NETWORK} is still locked by pid" in str(held.value) and "after waiting 0s: nothing was done" in str(held.value)


@pytest.mark.slow  # a live-like anvil (quarter-second blocks), waited for
@pytest.mark.parametrize("local", [True, False], ids=["local", "live"])
def test_an_execution_signed_before_the_chain_went_back_is_not_waited_for(live, local):
    """`rwa safe execute` signed and journaled its transaction at a nonce the chain no longer
    reaches: a local chain forgets it (a fresh one is signed), a live one stops with one line."""
    from types import SimpleNamespace

    from eth_account import Account

    from rwa.admin import governance
    from rwa.core.errors import RwaError

    chain, connection = live[0], live[1]
    chain.pause_mining()
    tx = {
        "to": DEPLOYER,
        "value": 1,
        "gas": 21_000,
        "nonce": 2,
        "chainId": livelike.CHAIN_ID,
        "type": 2,
        "maxFeePerGas": 20 * GWEI,
        "maxPriorityFeePerGas": GWEI,
    }
    raw = "0x" + bytes(Account.sign_transaction(tx, livelike.DEPLOYER_KEY).raw_transaction).hex()
    tx_hash = chain.rpc("eth_sendRawTransaction", raw)  # queued behind nonces 0 and 1, which never come
    proposal = {"execution": {"transactionHash": tx_hash, "raw": raw, "executor": DEPLOYER, "block": None}}
    target = SimpleNamespace(chain=connection, network=Network(NETWORK, f"ethereum:{NETWORK}:node", local=local))
    if local:
        assert governance._resume(target, proposal) is None
        assert chain.rpc("eth_getTransactionByHash", tx_hash) is None  # out of the pool: it can never mine later
    else:
        chain.drop(tx_hash)  # a live node that forgot it, or another chain behind the same URL
        with pytest.raises(RwaError) as refused:
            governance._resume(target, proposal)
        assert "has nonce 2 of" in str(refused.value) and "on sepolia has no transaction at nonce 0" in str(refused.value)
