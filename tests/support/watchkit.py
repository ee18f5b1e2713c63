"""Helpers of the watcher's tests: the suite's contracts and a property made in the test (:class:`Kit`,
:func:`a_property`), `rwa watch` as a real process that a test kills with kill -9 (:class:`Watcher`,
:func:`watch_env`), a loopback JSON-RPC proxy that can drop and refuse large log ranges, a loopback
webhook receiver, and reading the JSON-lines sink."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rwa.testing import environment
from rwa.testing.runners import RWA
from rwa.testing.suite import YEAR, create_property, register_investors, suite_contract

ZERO32 = bytes(32)
ZERO_ADDRESS = "0x" + "00" * 20


# The suite's session fixtures of a property and its investors are first asked for by later test
# modules: asked for by the watcher's tests, they would register and create for the rest of the session
# (and make Ape rebase its snapshots). These tests make their own, per test, and Ape reverts them with the test.


class Kit:
    """The suite's contracts and accounts, looked up in the test (not as the plugin's session
    fixtures: first asked for in this module, each would make Ape rebase its snapshots)."""

    def __init__(self, project: Any, suite: dict[str, Any], accounts: Any):
        self.registry = suite_contract(project, suite, "ComplianceRegistry")
        self.timelock = suite_contract(project, suite, "Timelock")
        self.safe = suite_contract(project, suite, "Safe")
        self.factory = suite_contract(project, suite, "PropertyTokenFactory")
        self.demo_vault = suite_contract(project, suite, "DemoVault")
        self.token_beacon = project.Beacon.at(suite["contracts"]["PropertyTokenBeacon"]["address"])
        self.deployer, self.attestor, self.sanctions_officer = accounts[0], accounts[1], accounts[2]
        self.alice, self.bob, self.carol, self.alice2 = accounts[3], accounts[4], accounts[5], accounts[6]
        self.outsider, self.agent, self.stranger = accounts[7], accounts[8], accounts[9]
        self.admin = accounts[self.timelock.address]  # the timelock, impersonated
        self.guardian = accounts[suite["contracts"]["GuardianSafe"]["address"]]  # the guardian Safe, impersonated
        self.admin.balance += 10**18  # in the test: Ape reverts it with the test
        self.guardian.balance += 10**18


#: The id of the watcher tests' property (`rwa history holders WATCH-ST-1`): not the session fixtures'
#: MAIN-ST-1, which a test run before it (in whatever order a selection such as `make test-slow` runs them)
#: may have made for the rest of the session.
PROPERTY = "WATCH-ST-1"


def a_property(project, suite, accounts, chain):
    """WATCH-ST-1 (symbol MAIN1), made in the calling test (so Ape reverts it with the test) through the
    suite's factory, ``agent`` holding its agent roles, its investors registered as the suite's session
    fixtures have them: (token, compliance, distributor)."""
    alice, bob, carol, alice2 = (accounts[i] for i in (3, 4, 5, 6))
    expiry = chain.pending_timestamp + 10 * YEAR
    register_investors(suite_contract(project, suite, "ComplianceRegistry"), alice, bob, carol, alice2, expiry, accounts[1])
    factory = suite_contract(project, suite, "PropertyTokenFactory")
    return create_property(project, factory, accounts[0], accounts[8], property_id=PROPERTY.encode())[:3]


def watch_env(rpc: str, project_paths: Any, tmp_path: Path) -> dict[str, str]:
    """The environment of a watcher process on the test chain (or a proxy in front of it) at ``rpc``."""
    return {
        **os.environ,
        "APE_FOUNDRY_HOST": rpc,
        "RWA_DEPLOYMENTS_DIR": str(project_paths.deployments_dir),
        "RWA_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }


class Watcher:
    """A real `rwa watch --quiet --poll 0.1 ARGS...` process, its stderr lines read as they come; ``kill``
    is kill -9 of its process group (the watcher and anything it started)."""

    def __init__(self, env: dict[str, str], root: Path, *args: str):
        self.process = subprocess.Popen(
            [RWA, "watch", "--quiet", "--poll", "0.1", *args],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.strip())

    def line(self, timeout: float = 60.0) -> str:
        return self.lines.get(timeout=timeout)

    def said(self) -> str:
        """What it wrote to stderr and nobody has read yet."""
        found = []
        while not self.lines.empty():
            found.append(self.lines.get_nowait())
        return "\n".join(found)

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Proxy:
    """Forwards JSON-RPC to ``upstream``; ``down`` drops every connection, and an ``eth_getLogs``
    over more than ``max_range`` blocks is refused as too large (as public RPCs do)."""

    def __init__(self, upstream: str, max_range: int | None = None):
        self.upstream = upstream
        self.max_range = max_range
        self.down = False
        self.refused = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.down:
                    self.close_connection = True
                    self.connection.close()
                    return
                refusal = proxy._refusal(json.loads(body))
                if refusal is not None:
                    answer = json.dumps(refusal).encode()
                else:
                    request = urllib.request.Request(proxy.upstream, body, {"Content-Type": "application/json"})
                    with urllib.request.urlopen(request, timeout=30) as response:
                        answer = response.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        environment.server_thread(self.server).start()

    def _refusal(self, payload: Any) -> Any:
        if self.max_range is None or isinstance(payload, list) or payload.get("method") != "eth_getLogs":
            return None
        query = payload["params"][0]
        if int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1 > self.max_range:
            self.refused += 1
            return {
                "jsonrpc": "2.0",
                "id": payload.get("id"),
                "error": {"code": -32005, "message": f"query exceeds max block range {self.max_range}"},
            }
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Receiver:
    """A webhook receiver on a loopback port; ``start`` (again) on the same port after ``stop``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.server: ThreadingHTTPServer | None = None
        probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        self.port = probe.server_address[1]
        probe.server_close()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(json.loads(body))
                receiver.keys.append(str(self.headers.get("Idempotency-Key")))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        environment.server_thread(self.server).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rule_counts(messages: list[dict[str, Any]], kind: str = "alert") -> Counter[str]:
    return Counter(m["rule"] for m in messages if m.get("kind", "alert") == kind)
