"""`rwa` run by tests: in the test process (fast, the session's chain) or as real processes.

:class:`InProcessCli` runs the real parsing, refusals and rendering against the session's chain and
deployment; :class:`Cli` runs the installed ``rwa`` as users do, against a private chain, to prove
the installed command works (a smoke test per family is enough).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rwa.chain.client import rpc_request
from rwa.cli.app import main
from rwa.deploy.session import Opener

RWA = str(Path(sys.executable).parent / "rwa")


@dataclass
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


class InProcessCli:
    """`rwa` commands run in this process against the test chain and the session deploy.

    Parsing, refusals and rendering are the real ones; only the connection is the test's (each
    command's target opener, passed on Click's context, yields the session's target with the command's signer), so a
    call costs milliseconds rather than a process start. :class:`Cli` runs real processes.
    """

    def __init__(self, capsys: pytest.CaptureFixture[str], deployments: Path, opener: Opener):
        self.capsys = capsys
        self.deployments = deployments
        self.opener = opener

    def run(self, *args: str, expect: int | None = 0, env: dict[str, str] | None = None) -> CommandResult:
        """One command; ``env`` holds variables for it alone (``RWA_MANIFEST``: another manifest)."""
        self.capsys.readouterr()
        saved = {name: os.environ.get(name) for name in env or {}}
        os.environ.update(env or {})
        try:
            main(list(args), obj=self.opener)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        captured = self.capsys.readouterr()
        result = CommandResult(code, captured.out, captured.err)
        assert "Traceback" not in result.stderr, result.stderr
        if expect is not None:
            assert result.exit_code == expect, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return json.loads(self.run(*args, "--json", env=env).stdout)

    def refused(self, *args: str, env: dict[str, str] | None = None) -> str:
        """The one-line error of a command that must fail (and send nothing)."""
        result = self.run(*args, expect=None, env=env)
        assert result.exit_code != 0, f"expected a refusal, got:\n{result.stdout}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]

    def through_the_timelock(self, proposal: dict[str, Any], owners: tuple[str, ...] = ("owner1", "owner2")) -> None:
        """The admins' Safe signs and executes a `--via safe` proposal: the schedule, then (the local
        delay is zero) the execute proposal that follows it."""
        assert proposal["timelock"]["stage"] == "schedule", proposal["timelock"]
        for owner in owners:
            self.run("safe", "sign", proposal["id"], "--account", owner)
        follow_up = self.json("safe", "execute", proposal["id"])[-1]
        for owner in owners:
            self.run("safe", "sign", follow_up["id"], "--account", owner)
        self.run("safe", "execute", follow_up["id"])


@dataclass
class Cli:
    """The installed `rwa` as users run it: a separate process, against its own local node and folders."""

    env: dict[str, str]
    deployments: Path
    state: Path
    root: Path

    def run(
        self, *args: str, expect: int | None = 0, env: dict[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [RWA, *args], cwd=self.root, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert "Warning" not in result.stderr, result.stderr
        if expect is not None:
            assert result.returncode == expect, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return json.loads(self.run(*args, "--json", env=env).stdout)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [RWA, *args], cwd=self.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def block(self) -> int:
        """The private chain's block number (read over RPC: `rwa node status` has tests of its own)."""
        return int(rpc_request(self.env["APE_FOUNDRY_HOST"], "eth_blockNumber"), 16)

    def nonce(self, address: str) -> int:
        return int(rpc_request(self.env["APE_FOUNDRY_HOST"], "eth_getTransactionCount", [address, "latest"]), 16)
