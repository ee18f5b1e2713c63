"""The local chain killed by `kill -9` with its last save taken mid-deploy, for the tests
(test_resume.py) and the figures (bench/resume_figures.py): it restarts as the same chain, behind
the record, and the next `rwa deploy` recreates what it lost."""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rwa.chain.client import rpc_request
from rwa.testing.runners import Cli

DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def journal_lines(cli: Cli) -> int:
    path = cli.deployments / "local.journal.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def genesis(cli: Cli) -> str:
    return str(rpc_request(cli.env["APE_FOUNDRY_HOST"], "eth_getBlockByNumber", ["0x0", False])["hash"])


def kill_9_node(cli: Cli) -> None:
    pid = int((cli.state / "node" / "anvil.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text():
        time.sleep(0.01)


def crash_after_deploy_saved_at(cli: Cli, journal_line: int) -> dict[str, Any]:
    """A fresh chain and a whole deploy, whose chain is then killed with its last save taken when
    the journal had ``journal_line`` lines; the chain is restarted. The record before the crash."""
    cli.run("node", "reset", "--yes")
    process = cli.spawn("deploy")
    deadline = time.monotonic() + 120
    while journal_lines(cli) < journal_line and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    saved = rpc_request(cli.env["APE_FOUNDRY_HOST"], "anvil_dumpState")  # the last save before the crash
    assert process.wait(120) == 0
    before: dict[str, Any] = json.loads((cli.deployments / "local.json").read_text())
    kill_9_node(cli)
    (cli.state / "node" / "state.json").write_bytes(gzip.decompress(bytes.fromhex(saved[2:])))
    cli.run("node", "start")
    return before


@dataclass(frozen=True)
class Saves:
    """What :func:`deploy_saving` keeps: the record of the whole deploy and the chain's saves."""

    record: dict[str, Any]
    between_blocks: str  # the state.json anvil writes between two blocks
    without_last_block: str  # and the one it writes while a block is mined: that block's state, not the block


def deploy_saving(cli: Cli, journal_line: int, mined: str) -> Saves:
    """A fresh chain and a whole deploy whose blocks are mined one at a time (automine off), so
    that the chain's saves are taken at exact points, as :func:`crash_after_deploy_saved_at` takes
    them at points that depend on timing: one between two blocks, once the journal has
    ``journal_line`` lines; one as anvil writes it when the block holding the transaction of the
    journal key starting ``mined`` is mined meanwhile (anvil dumps its blocks, then its accounts,
    each under a lock of its own: the save holds that transaction's state but not its block)."""
    url = cli.env["APE_FOUNDRY_HOST"]
    cli.run("node", "reset", "--yes")
    cli.run("node", "start")
    rpc_request(url, "evm_setAutomine", [False])
    process = cli.spawn("deploy")
    between = without = None
    deadline = time.monotonic() + 120
    while (between is None or without is None) and process.poll() is None and time.monotonic() < deadline:
        pending = {tx["hash"] for txs in rpc_request(url, "txpool_content")["pending"].values() for tx in txs.values()}
        if not pending:
            time.sleep(0.005)
            continue
        if between is None and journal_lines(cli) >= journal_line:
            between = _state(rpc_request(url, "anvil_dumpState"))
        rpc_request(url, "evm_mine")
        if without is None and any(i["key"].startswith(mined) and i["hash"] in pending for i in _intents(cli)):
            without = _without_last_block(_state(rpc_request(url, "anvil_dumpState")))
    rpc_request(url, "evm_setAutomine", [True])
    rpc_request(url, "evm_mine")  # a transaction sent meanwhile
    assert process.wait(120) == 0, process.stderr.read() if process.stderr else ""
    assert between is not None and without is not None, (between is None, without is None)
    return Saves(json.loads((cli.deployments / "local.json").read_text()), between, without)


def restart_from(cli: Cli, saves: Saves, state: str) -> None:
    """The chain killed by ``kill -9`` and restarted from ``state``, the record as the deploy left it."""
    kill_9_node(cli)
    (cli.state / "node" / "state.json").write_text(state)
    (cli.deployments / "local.json").write_text(json.dumps(saves.record))
    cli.run("node", "start")


def _state(dumped: str) -> str:
    return gzip.decompress(bytes.fromhex(dumped[2:])).decode()


def _intents(cli: Cli) -> list[dict[str, Any]]:
    path = cli.deployments / "local.journal.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [entry for entry in map(json.loads, lines) if entry["event"] == "intent"]


def _without_last_block(state: str) -> str:
    """A save with its last block (and that block's transactions) taken out, its state left whole."""
    saved = json.loads(state)
    last = _number(saved["best_block_number"])
    saved["blocks"] = [b for b in saved["blocks"] if _number(b["header"]["number"]) < last]
    saved["transactions"] = [t for t in saved["transactions"] if _number(t["block_number"]) < last]
    saved["best_block_number"] = last - 1
    saved["block"]["number"] = hex(_number(saved["block"]["number"]) - 1)
    return json.dumps(saved)


def _number(value: int | str) -> int:
    """A number of anvil's save: JSON's own, or hex."""
    return int(value, 16) if isinstance(value, str) else int(value)


def lost_in_plan(cli: Cli) -> list[str]:
    """The entries `rwa deploy --plan` says the chain lost; none of its steps may block a deploy."""
    steps = cli.json("deploy", "--plan")["steps"]
    assert not any(s["blocking"] for s in steps), steps
    return [s["contract"] for s in steps if "the local chain lost it" in s["detail"]]
