"""A deploy that dies part way resumes where it stopped: no duplicate contract, nothing lost."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from rwa.chain.client import Chain
from rwa.core.project import ProjectPaths
from rwa.deploy.context import Target
from rwa.deploy.engine import DeployOptions, apply_deployment
from rwa.deploy.journal import Journal

DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"



def journal_lines(cli) -> int:
    path = cli.deployments / "local.journal.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def assert_complete_and_unique(cli, suite_transactions: int) -> None:
    record = json.loads((cli.deployments / "local.json").read_text())
    from rwa.chain.client import rpc_request

    for entry in record["contracts"].values():
        assert rpc_request(cli.env["APE_FOUNDRY_HOST"], "eth_getCode", [entry["address"], "latest"]) != "0x"
    assert cli.nonce(DEPLOYER) == suite_transactions  # as many as an uninterrupted deploy: no duplicate
    assert not (cli.deployments / "local.journal.jsonl").exists()


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


@pytest.mark.parametrize("crash_at", [1, 17, 34])
@pytest.mark.parametrize("stage", ["signed, never sent", "sent, never recorded"])
def test_crash_between_journal_and_chain_resumes(
    fresh_target, suite, suite_transactions, monkeypatch, deployer, crash_at, stage
):
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


def _genesis(cli) -> str:
    from rwa.chain.client import rpc_request

    return rpc_request(cli.env["APE_FOUNDRY_HOST"], "eth_getBlockByNumber", ["0x0", False])["hash"]


def _kill_9_the_node(cli) -> None:
    import os

    pid = int((cli.state / "node" / "anvil.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text():
        time.sleep(0.01)


def test_a_new_local_chain_keeps_its_genesis_through_kill_9(cli):
    """Killed before anvil's own first save, the chain still comes back as itself."""
    cli.run("node", "reset", "--yes")
    cli.run("node", "start")
    genesis = _genesis(cli)
    _kill_9_the_node(cli)
    cli.run("node", "start")
    assert _genesis(cli) == genesis


def test_a_crashed_local_chain_gets_back_exactly_what_it_lost(cli, suite_transactions):
    """The local chain dies by kill -9 after a deploy, its last save taken mid-deploy: it restarts
    as the same chain, behind the record. `rwa deploy` names what was lost and recreates exactly
    that, at the same addresses, with as many transactions as one clean deploy in all."""
    import gzip

    from rwa.chain.client import rpc_request

    cli.run("node", "reset", "--yes")
    process = cli.spawn("deploy")
    deadline = time.monotonic() + 120
    while journal_lines(cli) < 40 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    saved = rpc_request(cli.env["APE_FOUNDRY_HOST"], "anvil_dumpState")  # the last save before the crash
    assert process.wait(120) == 0
    before = json.loads((cli.deployments / "local.json").read_text())
    _kill_9_the_node(cli)
    (cli.state / "node" / "state.json").write_bytes(gzip.decompress(bytes.fromhex(saved[2:])))
    cli.run("node", "start")
    assert cli.nonce(DEPLOYER) < suite_transactions
    planned = cli.json("deploy", "--plan")["steps"]
    lost = [s["contract"] for s in planned if "the local chain lost it" in s["detail"]]
    assert lost and not any(s["blocking"] for s in planned), planned
    cli.run("deploy")
    assert_complete_and_unique(cli, suite_transactions)
    after = json.loads((cli.deployments / "local.json").read_text())
    assert {n: c["address"] for n, c in after["contracts"].items()} == {n: c["address"] for n, c in before["contracts"].items()}
    assert after["genesisHash"] == before["genesisHash"]
