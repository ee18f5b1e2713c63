"""The local chain killed by `kill -9` with its last save taken mid-deploy, for the tests
(test_resume.py) and the figures (bench/resume_figures.py): it restarts as the same chain, behind
the record, and the next `rwa deploy` recreates what it lost."""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
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


def lost_in_plan(cli: Cli) -> list[str]:
    """The entries `rwa deploy --plan` says the chain lost; none of its steps may block a deploy."""
    steps = cli.json("deploy", "--plan")["steps"]
    assert not any(s["blocking"] for s in steps), steps
    return [s["contract"] for s in steps if "the local chain lost it" in s["detail"]]
