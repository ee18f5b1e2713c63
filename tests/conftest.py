"""Project fixtures: the suite is deployed through the same manifest and engine as `rwa deploy`."""

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

from rwa.chain import artifacts
from rwa.chain.client import Chain
from rwa.core.project import ProjectPaths
from rwa.deploy import manifest
from rwa.deploy.context import Target
from rwa.deploy.engine import apply_deployment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_paths(tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    return ProjectPaths(ROOT, deployments_override=tmp_path_factory.mktemp("deployments"))


@pytest.fixture(scope="session")
def suite_manifest() -> manifest.Manifest:
    return manifest.load(ROOT / "deployments" / "manifest.py")


@pytest.fixture(scope="session", autouse=True)
def compiled(project_paths: ProjectPaths) -> dict[str, artifacts.Artifact]:
    """Compile in this process before any test starts an `rwa` process that would compile too:
    Ape's in-memory project does not see artifacts that another process wrote after it loaded."""
    return artifacts.load(project_paths)


@pytest.fixture(scope="session")
def deploy_target(project_paths, suite_manifest, compiled, accounts, networks) -> Target:
    return Target(
        project_paths, suite_manifest, suite_manifest.network("local"), Chain.active(), accounts[0], compiled
    )


@pytest.fixture(scope="session")
def suite_deploy(deploy_target: Target) -> tuple[dict[str, Any], int]:
    """The whole manifest, deployed once per session on the test chain, and how many
    transactions the deployer sent for it."""
    before = deploy_target.account.nonce
    _, record = apply_deployment(deploy_target)
    return record, deploy_target.account.nonce - before


@pytest.fixture(scope="session")
def suite(suite_deploy: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """The deployment record of the suite (tests revert to the chain it was made on)."""
    return suite_deploy[0]


@pytest.fixture(scope="session")
def suite_transactions(suite_deploy: tuple[dict[str, Any], int]) -> int:
    """What an uninterrupted first deploy of the local manifest sends."""
    return suite_deploy[1]


def _at(project, suite: dict[str, Any], name: str):
    entry = suite["contracts"][name]
    return getattr(project, entry["contractType"]).at(entry["address"])


@pytest.fixture(scope="session")
def registry(project, suite):
    return _at(project, suite, "ComplianceRegistry")


@pytest.fixture(scope="session")
def timelock(project, suite):
    return _at(project, suite, "Timelock")


@pytest.fixture(scope="session")
def stablecoin(project, suite):
    return _at(project, suite, "MockStablecoin")


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def attestor(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def sanctions_officer(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def outsider(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def admin(accounts, timelock):
    """The timelock, impersonated: what it may do once a proposal has waited out its delay."""
    account = accounts[timelock.address]
    account.balance += 10**18
    return account


@pytest.fixture(scope="session", autouse=True)
def _session_actors(suite, admin, deployer, attestor, sanctions_officer, outsider):
    """Create the session's fixtures before any test's isolation starts (Ape snapshots them once)."""


# --- `rwa` in the test process: the commands against the session's chain and deployment ---


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


class InProcessCli:
    """`rwa` commands run in this process against the test chain and the session deploy.

    Parsing, refusals and rendering are the real ones; only the connection is the test's (each
    command's `session.open_target` yields the session's target with the command's signer), so a
    call costs milliseconds rather than a process start. `Cli` below runs real processes.
    """

    def __init__(self, capsys: pytest.CaptureFixture[str], deployments: Path):
        self.capsys = capsys
        self.deployments = deployments

    def run(self, *args: str, expect: int | None = 0) -> Outcome:
        from rwa.cli.app import main

        self.capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        result = Outcome(code, captured.out, captured.err)
        assert "Traceback" not in result.stderr, result.stderr
        if expect is not None:
            assert result.exit_code == expect, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def refused(self, *args: str) -> str:
        """The one-line error of a command that must fail (and send nothing)."""
        result = self.run(*args, expect=None)
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


@pytest.fixture
def rwa(monkeypatch, capsys, tmp_path, project_paths, suite_manifest, compiled, suite) -> InProcessCli:
    """`rwa` in this process; files it writes (proposals) go to a copy of the deployments folder,
    so they vanish with the test, as its transactions do."""
    import shutil
    from contextlib import contextmanager

    from rwa.core.errors import RwaError
    from rwa.deploy import session

    deployments = shutil.copytree(project_paths.deployments_dir, tmp_path / "deployments")
    test_paths = ProjectPaths(ROOT, deployments_override=deployments)

    @contextmanager
    def test_target(network_name, account_alias, command_paths, read_only=False, local_signer="deployer", reads_only=False):
        if network_name not in (None, "local"):
            raise RwaError(f"the in-process test runner has only the local network, not {network_name}")
        network = suite_manifest.network("local")
        account = session.select_account(network, account_alias, local_signer)
        yield Target(test_paths, suite_manifest, network, Chain.active(), account, compiled)

    monkeypatch.setattr(session, "open_target", test_target)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return InProcessCli(capsys, deployments)


# --- `rwa` as users run it: a separate process, against its own local node and folders ---

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
        from rwa.chain.client import rpc_request

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
