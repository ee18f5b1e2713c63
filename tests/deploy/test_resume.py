"""A deploy that dies part way resumes where it stopped: no duplicate contract, nothing lost."""

from __future__ import annotations

import json
import signal
import time

import local_crash
import pytest
from local_crash import DEPLOYER, journal_lines

from rwa.chain.client import Chain, decode_raw, rpc_request
from rwa.core.errors import RwaError
from rwa.core.project import ProjectPaths
from rwa.deploy.engine import apply_deployment
from rwa.deploy.journal import Journal
from rwa.deploy.preflight import DeployOptions
from rwa.deploy.target import Target


def assert_complete_and_unique(cli, suite_transactions: int) -> None:
    record = json.loads((cli.deployments / "local.json").read_text())
    for entry in record["contracts"].values():
        assert rpc_request(cli.env["APE_FOUNDRY_HOST"], "eth_getCode", [entry["address"], "latest"]) != "0x"
    assert cli.nonce(DEPLOYER) == suite_transactions  # as many as an uninterrupted deploy: no duplicate
    assert not (cli.deployments / "local.journal.jsonl").exists()


@pytest.fixture(scope="module")
def saves(cli) -> local_crash.Saves:
    """One deploy, its chain saved at exact points: between two blocks, and while the block of
    NILVaultBeacon's implementation is mined."""
    return local_crash.deploy_saving(cli, 40, "NILVaultBeacon/implementation")


@pytest.mark.parametrize("save", ["between_blocks", "without_last_block"])
def test_a_crashed_local_chain_gets_back_exactly_what_it_lost(cli, saves, suite_transactions, save):
    """The local chain dies by kill -9 after a deploy, its last save taken mid-deploy: it restarts
    as the same chain, behind the record. `rwa deploy` names what was lost and recreates exactly
    that, at the same addresses, with as many transactions as one clean deploy in all. A save
    taken while a block is mined holds that block's state but not the block: NILVaultBeacon's
    implementation is there with no transaction to show for it, and is adopted, not sent again."""
    local_crash.restart_from(cli, saves, getattr(saves, save))
    assert cli.nonce(DEPLOYER) < suite_transactions
    assert local_crash.lost_in_plan(cli)
    kept = save == "without_last_block"
    url, implementation = cli.env["APE_FOUNDRY_HOST"], saves.record["contracts"]["NILVaultBeacon"]["proxy"]
    code = rpc_request(url, "eth_getCode", [implementation["implementation"], "latest"])
    shown = rpc_request(url, "eth_getTransactionByHash", [implementation["implementationTransactionHash"]])
    assert (code != "0x" and shown is None) == kept
    deployed = cli.run("deploy").stdout
    assert_complete_and_unique(cli, suite_transactions)
    assert ("kept by the local chain" in deployed) == kept
    after = json.loads((cli.deployments / "local.json").read_text())
    assert {n: c["address"] for n, c in after["contracts"].items()} == {
        n: c["address"] for n, c in saves.record["contracts"].items()
    }
    assert after["genesisHash"] == saves.record["genesisHash"]


@pytest.mark.parametrize("kill_after_lines", [1, 29, 63])
def test_kill_9_mid_deploy_then_rerun_finishes_the_job(cli, suite_transactions, kill_after_lines):
    cli.run("node", "reset", "--yes")
    process = cli.spawn("deploy")  # starts the node on demand, as users see it
    deadline = time.monotonic() + 120
    while journal_lines(cli) < kill_after_lines and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    cli.run("deploy")
    assert_complete_and_unique(cli, suite_transactions)
    block = cli.block()
    assert "nothing sent" in cli.run("deploy").stdout
    assert cli.block() == block


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing catches it."""


@pytest.fixture
def fresh_target(deploy_target: Target, tmp_path) -> Target:
    """The suite's target with an empty deployments folder: a second, independent deploy."""
    return Target(
        ProjectPaths(deploy_target.paths.root, deployments_override=tmp_path),
        deploy_target.manifest,
        deploy_target.network,
        Chain.active(),
        deploy_target.account,
        deploy_target.artifacts,
    )


# Each crash point is a deploy from scratch: the first keeps both stages in `make test-fast`, `make test` runs all three.
@pytest.mark.parametrize("crash_at", [1, pytest.param(17, marks=pytest.mark.slow), pytest.param(34, marks=pytest.mark.slow)])
@pytest.mark.parametrize("stage", ["signed, never sent", "sent, never recorded"])
def test_crash_between_journal_and_chain_resumes(fresh_target, suite, suite_transactions, monkeypatch, deployer, crash_at, stage):
    calls = {"n": 0}
    original_broadcast, original_wait = Chain.broadcast, Chain.wait

    def broadcast(self, raw):
        calls["n"] += 1
        if stage == "signed, never sent" and calls["n"] == crash_at:
            raise Crash()
        return original_broadcast(self, raw)

    def wait(self, tx_hash, timeout=180.0):
        if stage == "sent, never recorded" and calls["n"] == crash_at:
            raise Crash()
        return original_wait(self, tx_hash, timeout)

    start = deployer.nonce
    monkeypatch.setattr(Chain, "broadcast", broadcast)
    monkeypatch.setattr(Chain, "wait", wait)
    with pytest.raises(Crash):
        apply_deployment(fresh_target, options=DeployOptions(fresh=True))  # the session's suite is there too
    journal = Journal(fresh_target.store.journal_path("local"))
    assert len(journal.open_intents()) == 1
    monkeypatch.undo()

    _, record = apply_deployment(fresh_target)
    assert deployer.nonce - start == suite_transactions
    assert record["contracts"].keys() == suite["contracts"].keys()
    assert not fresh_target.store.journal_path("local").exists()


def hide_from_the_chain(monkeypatch, hidden: set[str]) -> None:
    """The chain answers as if the transactions ``hidden`` names were in no block (their effects
    stay): what a restarted node shows when its save kept a block's state but not the block."""
    original_receipt, original_transaction, original_sent_by = Chain.receipt, Chain.transaction, Chain.sent_by
    monkeypatch.setattr(Chain, "receipt", lambda self, h: None if h.lower() in hidden else original_receipt(self, h))
    monkeypatch.setattr(Chain, "transaction", lambda self, h: None if h.lower() in hidden else original_transaction(self, h))
    monkeypatch.setattr(
        Chain,
        "sent_by",
        lambda self, *args, **kwargs: [t for t in original_sent_by(self, *args, **kwargs) if t.hash.lower() not in hidden],
    )


def test_a_creation_whose_block_the_chain_lost_but_whose_state_it_kept_is_adopted(
    fresh_target, suite, suite_transactions, monkeypatch, deployer
):
    """The deploy and the local chain die together: the chain restarts from a save taken while
    the block of the deploy's 17th-or-later creation was mined, so its state holds that contract
    and the deployer's nonce past it, while no block shows the transaction (nor a receipt). The
    rerun adopts the contract rather than sending it again."""
    original_broadcast, original_wait = Chain.broadcast, Chain.wait
    sent: list[str] = []
    hidden: set[str] = set()

    def broadcast(self, raw):
        sent.append(raw)
        return original_broadcast(self, raw)

    def wait(self, tx_hash, timeout=180.0):
        receipt = original_wait(self, tx_hash, timeout)
        if len(sent) >= 17 and decode_raw(sent[-1]).to is None:
            hidden.add(tx_hash.lower())
            raise Crash()  # mined, never recorded
        return receipt

    start = deployer.nonce
    monkeypatch.setattr(Chain, "broadcast", broadcast)
    monkeypatch.setattr(Chain, "wait", wait)
    with pytest.raises(Crash):
        apply_deployment(fresh_target, options=DeployOptions(fresh=True))
    monkeypatch.undo()
    hide_from_the_chain(monkeypatch, hidden)

    reports: list[tuple[str, str, str]] = []
    _, record = apply_deployment(fresh_target, report=lambda *said: reports.append(said))
    assert deployer.nonce - start == suite_transactions
    assert record["contracts"].keys() == suite["contracts"].keys()
    assert [r for r in reports if r[0] == "adopted" and "no block shows the transaction" in r[2]]


def test_a_factory_creation_whose_block_the_chain_lost_is_refused_not_sent_again(fresh_target, monkeypatch, deployer):
    """The same crash at a creation through a factory: what the factory made is known only from
    the event of a receipt no block shows, so the rerun refuses, one line, nothing sent, rather
    than make a second one."""
    journal = Journal(fresh_target.store.journal_path("local"))
    original_wait = Chain.wait
    hidden: set[str] = set()

    def wait(self, tx_hash, timeout=180.0):
        receipt = original_wait(self, tx_hash, timeout)
        if "/factory/" in journal.intents()[-1].key:
            hidden.add(tx_hash.lower())
            raise Crash()  # mined, never recorded
        return receipt

    monkeypatch.setattr(Chain, "wait", wait)
    with pytest.raises(Crash):
        apply_deployment(fresh_target, options=DeployOptions(fresh=True))
    monkeypatch.undo()
    hide_from_the_chain(monkeypatch, hidden)

    nonce = deployer.nonce
    with pytest.raises(RwaError, match=r"was used by a transaction no block shows .* nothing was sent") as refused:
        apply_deployment(fresh_target)
    assert "\n" not in str(refused.value)
    assert deployer.nonce == nonce
    assert len(journal.open_intents()) == 1


def test_a_new_local_chain_keeps_its_genesis_through_kill_9(cli):
    """Killed before anvil's own first save, the chain still comes back as itself."""
    cli.run("node", "reset", "--yes")
    cli.run("node", "start")
    before = local_crash.genesis(cli)
    local_crash.kill_9_node(cli)
    cli.run("node", "start")
    assert local_crash.genesis(cli) == before
