"""The engine on a chain that behaves like a live network (tests/support/livelike.py): a pending
transaction at resume, nonces taken by someone else, fee spikes, a stuck transaction, two
operators, a deleted record, a damaged or truncated journal. Each asserts the exact number of
transactions the deployer mined and that no contract exists twice. The scenarios run on quarter-second
blocks (livelike.FAST_BLOCK_TIME), but those whose outcome depends on the block time (``real_run``: a fee
spike decays block by block, a stuck transaction is judged against --stuck-after, a second operator comes
while the first is sending) on one-second blocks, and the two operator processes on two-second blocks."""

from __future__ import annotations

import livelike
import pytest
from livelike import FAST_BLOCK_TIME, NETWORK, ROOT, Run, base_port, connected, live_chain, manifest

from rwa.core.project import ProjectPaths
from rwa.deploy.target import Target

pytestmark = pytest.mark.slow  # a chain of one-second blocks, waited for


def _run(request, compiled, accounts, tmp_path, block_time):
    with live_chain(base_port(), block_time) as chain, connected(chain) as connection:
        the_manifest = manifest()
        paths = ProjectPaths(ROOT, deployments_override=tmp_path)
        target = Target(paths, the_manifest, the_manifest.network(NETWORK), connection, accounts[0], compiled)
        yield Run(chain, target, request.node.name)


@pytest.fixture
def run(request, compiled, accounts, tmp_path):
    """The engine against a fresh live-like anvil of quarter-second blocks."""
    yield from _run(request, compiled, accounts, tmp_path, FAST_BLOCK_TIME)


@pytest.fixture
def real_run(request, compiled, accounts, tmp_path):
    """The same on one-second blocks, for a scenario that counts blocks against seconds."""
    yield from _run(request, compiled, accounts, tmp_path, 1)


def exact(figures: livelike.Figures, sent: int | None = None) -> None:
    assert figures.sent == (figures.clean if sent is None else sent), figures
    assert figures.duplicates == 0, figures


def test_clean_deploy(run):
    livelike.complete(run, run.deploy())
    exact(run.figures())


def test_pending_at_resume_is_waited_for(run):
    figures = livelike.pending_at_resume(run)
    exact(figures)
    assert any(note.startswith("resume Registry: waiting for") for note in figures.notes), figures.notes


def test_pending_dropped_by_the_node_is_rebroadcast(run):
    figures = livelike.pending_at_resume(run, dropped=True)
    exact(figures)
    assert any(note.startswith("resume Registry: re-broadcast") for note in figures.notes), figures.notes


def test_nonce_taken_by_the_same_call_is_adopted(run):
    figures = livelike.nonce_taken(run, same_call=True)
    exact(figures)
    assert any(note.startswith("adopted Registry") for note in figures.notes), figures.notes


def test_nonce_taken_by_another_transaction_redoes_the_step(run):
    figures = livelike.nonce_taken(run, same_call=False)
    exact(figures)  # ours again at the next nonce; the stranger's transfer is not counted
    assert any(note.startswith("abandoned Registry") for note in figures.notes), figures.notes


def test_fee_spike_over_the_cap_stops_then_a_rerun_completes(real_run):
    figures = livelike.fee_spike(real_run, capped=True)
    exact(figures)
    assert figures.reruns == 1
    assert "above the max fee of 10 gwei" in figures.refusals[0]


def test_fee_spike_under_no_cap_is_outbid(real_run):
    figures = livelike.fee_spike(real_run, capped=False)
    exact(figures)
    assert any(note.startswith("replaced Registry") for note in figures.notes), figures.notes


def test_stuck_transaction_is_replaced_at_the_same_nonce(real_run):
    figures = livelike.stuck(real_run)
    exact(figures)
    assert any(note.startswith("replaced Registry") for note in figures.notes), figures.notes


def test_second_operator_is_refused_by_the_lock(real_run):
    figures = livelike.two_operators(real_run)  # one-second blocks: the first is still sending when the second comes
    exact(figures)
    assert len(figures.refusals) == 1


def test_foreign_pending_transaction_refuses_before_sending(run):
    from eth_account import Account

    run.chain.pause_mining()
    transfer = {
        "to": livelike.ATTESTOR,
        "value": 1,
        "gas": 21000,
        "nonce": 0,
        "chainId": livelike.CHAIN_ID,
        "type": 2,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
    }
    signed = Account.from_key(livelike.DEPLOYER_KEY).sign_transaction(transfer)
    run.chain.rpc("eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
    assert run.deploy(fresh=True) is None
    assert "1 pending transaction(s) this deploy did not send" in run.refusals[-1]
    assert run.chain.pending_nonce() == 1  # nothing of ours joined it
    run.chain.resume_mining()
    run.chain.wait_for_block()
    run.foreign = 1
    livelike.complete(run, run.deploy(fresh=True))
    exact(run.figures())


@pytest.mark.parametrize("how", ["adopt", "fresh"])
def test_deleted_record_is_refused_then_adopted_or_deployed_anew(run, how):
    figures = livelike.record_deleted(run, how)
    if how == "adopt":
        exact(figures)  # rebuilt from the chain: nothing more sent
    else:
        assert figures.sent == 2 * figures.clean - 1  # a second suite, deliberately (Salted is adopted)
        assert figures.duplicates == livelike.CREATE_CONTRACTS


def test_damaged_journal_is_refused(run):
    exact(livelike.journal_damaged(run))


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.93])
def test_truncated_journal_resumes_without_duplicate(run, fraction):
    exact(livelike.journal_truncated(run, fraction))


def test_code_at_a_create2_address_refuses_an_unrecorded_deploy(run, accounts, tmp_path):
    from dataclasses import replace

    livelike.complete(run, run.deploy())
    other = accounts[1]  # nonce 0 on this chain, but the Salted entry's address holds code
    run.target = replace(run.target, account=other, paths=ProjectPaths(ROOT, deployments_override=tmp_path / "other"))
    assert run.deploy() is None
    assert "code already sits at the CREATE2 address of Salted" in run.refusals[-1]
    assert other.nonce == 0


TWO_SECOND_BLOCKS_MANIFEST = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests" / "support")!r})
from livelike import manifest
from rwa.deploy.manifest import Manifest, Network

MANIFEST = Manifest(manifest().contracts, {{"local": Network("local", "ethereum:local:foundry", local=True)}})
"""


@pytest.mark.parametrize("wait", [False, True])
def test_two_operator_processes_on_two_second_blocks(tmp_path, wait):
    """Two `rwa deploy` processes started together from the same account, blocks every 2 seconds:
    the second is refused with one line naming the first (or, with --wait, waits and then has
    nothing to send); the chain sees exactly one clean deploy."""
    import os
    import subprocess

    from rwa.testing.runners import RWA

    manifest_file = tmp_path / "manifest.py"
    manifest_file.write_text(TWO_SECOND_BLOCKS_MANIFEST)
    with live_chain(base_port(), block_time=2, chain_id=31337) as chain:
        env = {
            **os.environ,
            "APE_FOUNDRY_HOST": chain.url,
            "RWA_MANIFEST": str(manifest_file),
            "RWA_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
            "RWA_STATE_DIR": str(tmp_path / "state"),
            "NO_COLOR": "1",
        }
        command = [RWA, "deploy", *(["--wait"] if wait else [])]
        operators = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        results = [(p.pid, *p.communicate(timeout=180), p.returncode) for p in operators]
        assert chain.mined_nonce() == livelike.CLEAN_DEPLOY_TRANSACTIONS
        assert chain.pending_nonce() == chain.mined_nonce()
    for _, _, stderr, _ in results:
        assert "Traceback" not in stderr and "Warning" not in stderr, stderr
    codes = sorted(code for *_, code in results)
    if wait:
        assert codes == [0, 0], results
        assert sum("is up to date: nothing sent" in out for _, out, _, _ in results) == 1, results
    else:
        assert codes == [0, 1], results
        (winner,) = [pid for pid, *_, code in results if code == 0]
        (refusal,) = [stderr.strip().splitlines() for *_, stderr, code in results if code == 1]
        assert len(refusal) == 1 and f"is locked by pid {winner} " in refusal[0], refusal
        assert refusal[0].endswith("or rerun with --wait"), refusal


def test_confirmations_wait_for_blocks_over_each_transaction(run):
    record = run.deploy(confirmations=2)
    head = int(run.chain.rpc("eth_blockNumber"), 16)
    livelike.complete(run, record)
    exact(run.figures())
    mined = [
        number
        for number in range(head + 1)
        if any(
            tx["from"].lower() == livelike.DEPLOYER.lower()
            for tx in run.chain.rpc("eth_getBlockByNumber", hex(number), True)["transactions"]
        )
    ]
    assert head >= mined[-1] + 1  # the last transaction had a block over it before the deploy returned
