"""A private anvil for a bench script: a free port, its own state and deployments folders, stopped on exit.

The scripts run `rwa` as a user does, so the development chain of `make deploy` is never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RWA = str(Path(sys.executable).parent / "rwa")


def free_port() -> int:
    """``RWA_BENCH_PORT`` when set (to keep a bench inside the ports one owns), else any free port."""
    if os.environ.get("RWA_BENCH_PORT"):
        return int(os.environ["RWA_BENCH_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rwa(env: dict[str, str], *args: str) -> None:
    """Run one `rwa` command against the private chain; its output is kept quiet, a failure raises."""
    subprocess.run([RWA, *args], cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def private_chain(prefix: str, start: bool = True) -> Iterator[dict[str, str]]:
    """The environment that points `rwa` and Ape at a private chain; the node is started unless `start` is false."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        env = {
            **os.environ,
            "APE_FOUNDRY_HOST": f"http://127.0.0.1:{free_port()}",
            "RWA_STATE_DIR": f"{scratch}/state",
            "RWA_DEPLOYMENTS_DIR": f"{scratch}/deployments",
        }
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)  # as on Ctrl-C: the node is stopped on the way out
        try:
            if start:
                rwa(env, "node", "start")
            yield env
        finally:
            stop = subprocess.run([RWA, "node", "stop"], cwd=ROOT, env=env, capture_output=True, text=True)
            if stop.returncode != 0:
                print(f"the private chain at {env['APE_FOUNDRY_HOST']} may still run: {stop.stderr.strip()}", file=sys.stderr)
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def deployed_suite(env: dict[str, str]) -> Iterator[tuple[Any, dict[str, Any], Callable[[str], Any]]]:
    """The manifest deployed on the private chain in this process, by the first test account, as `rwa deploy`
    deploys it: Ape's provider, connected, the deployment record, and a lookup of a deployed contract by its
    manifest name."""
    os.environ.update(env)
    os.chdir(ROOT)
    from ape import accounts, networks, project

    from rwa.chain import artifacts
    from rwa.chain.client import Chain
    from rwa.core.project import ProjectPaths
    from rwa.core.quiet import quiet_ape, silence_warnings
    from rwa.deploy import manifest
    from rwa.deploy.engine import apply_deployment
    from rwa.deploy.target import Target

    silence_warnings()
    quiet_ape()
    paths = ProjectPaths(ROOT, deployments_override=Path(env["RWA_DEPLOYMENTS_DIR"]))
    suite = manifest.load(paths.manifest_file)
    compiled = artifacts.load(paths)
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        deployer = accounts.test_accounts[0]
        _, record = apply_deployment(Target(paths, suite, suite.network("local"), Chain(provider), deployer, compiled))

        def at(name: str) -> Any:
            entry = record["contracts"][name]
            return getattr(project, entry["contractType"]).at(entry["address"])

        yield provider, record, at
