"""The tour in docs/ runs as written: `tools/tour.py --check` replays its pages' console blocks, in
order, on a fresh private chain (its own anvil and folders, in one process) and compares every exit
and output with the pages'. When outputs change on purpose: `.venv/bin/python tools/tour.py --write`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from rwa.testing import environment

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "tour.py"


def _tour_module():
    spec = importlib.util.spec_from_file_location("tour", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("tour", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # the tour's commands as processes, on a chain of their own
def test_docs_tour_runs_as_written():
    # Its anvil on this run's live-like port (TEST_PORT + 9), free in this run while no live-like test runs: a port of
    # the run's own, not any free one of the machine's.
    port = str(environment.live_like_port())
    result = subprocess.run(
        [sys.executable, str(TOOL), "--check", "--port", port], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{result.stderr[-12000:]}\n{result.stdout[-2000:]}"


def test_only_what_varies_between_runs_is_forgiven():
    tour = _tour_module()
    runner = tour.Tour(port=1)
    readme = [
        "proposal 0000-6b89ccaf written: owners sign with `rwa safe sign 0000-6b89ccaf`",
        "tx 0x" + "ab" * 32 + "  at 2026-11-22 08:01:38 UTC",
    ]
    run = [
        "proposal 0000-1234abcd written: owners sign with `rwa safe sign 0000-1234abcd`",
        "tx 0x" + "cd" * 32 + "  at 2026-11-28 19:12:03 UTC",
    ]
    assert runner.compare(readme, run) == []
    assert runner.substitute("rwa safe sign 0000-6b89ccaf --account owner1") == "rwa safe sign 0000-1234abcd --account owner1"
    # the same README value must keep standing for the same value of this run
    assert runner.compare(["next: 0000-6b89ccaf"], ["next: 0001-99999999"])
    # anything else must match exactly
    assert runner.compare(["registered 3 wallet(s)"], ["registered 4 wallet(s)"])
    assert runner.compare(["supply 1370.5"], ["supply 1370.5", "one more line"])
    runner.scratch.rmdir()


def test_console_blocks_are_parsed_and_other_blocks_left_alone():
    tour = _tour_module()
    lines = [
        "```bash",
        "$ rwa not-replayed",
        "```",
        "```console",
        "$ rwa kyc show 0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x90F7…: verified",
        "",
        "$ rwa deploy --network nowhere",
        "error: unknown network 'nowhere'",
        "```",
    ]
    [block] = tour.parse(lines)
    assert [c.text for c in block.commands] == [
        "rwa kyc show 0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "rwa deploy --network nowhere",
    ]
    assert block.commands[0].output == ["0x90F7…: verified"]
    assert tour.expects_failure(block.commands[1].output) and not tour.expects_failure(block.commands[0].output)
