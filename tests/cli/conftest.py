"""Running `rwa` as users do: a separate process, against its own local node and folders."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RWA = str(Path(sys.executable).parent / "rwa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cli:
    env: dict[str, str]
    deployments: Path
    state: Path

    def run(self, *args: str, expect: int | None = 0, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [RWA, *args], cwd=ROOT, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert "Warning" not in result.stderr, result.stderr
        if expect is not None:
            assert result.returncode == expect, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [RWA, *args], cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def block(self) -> int:
        return self.json("node", "status")["block_number"]

    def nonce(self, address: str) -> int:
        from rwa.chain import rpc_request

        return int(rpc_request(self.env["APE_FOUNDRY_HOST"], "eth_getTransactionCount", [address, "latest"]), 16)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory):
    """A private local chain and deployments folder for one test module."""
    base = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": f"http://127.0.0.1:{free_port()}",
        "RWA_STATE_DIR": str(base / "state"),
        "RWA_DEPLOYMENTS_DIR": str(base / "deployments"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.pop("RWA_MANIFEST", None)
    runner = Cli(env, base / "deployments", base / "state")
    runner.run("node", "start")
    yield runner
    runner.run("node", "stop", expect=None)
