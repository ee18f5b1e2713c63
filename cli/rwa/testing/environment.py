"""Where the tests' chains run, and the tools Ape needs to start them.

A test run owns ``TEST_PORT`` (default 8546, away from the development chain on 8545) and the
``PRIVATE_CHAINS`` ports above it: the session's chain, the one Ape starts and every fixture
deploys to, listens on ``TEST_PORT``; each private chain that ``rwa`` processes start (the ``cli``
fixture) takes the next port of ``TEST_PORT + 1 .. TEST_PORT + PRIVATE_CHAINS`` in turn. Two runs whose
``TEST_PORT`` differ by more than ``PRIVATE_CHAINS`` never share a port.
"""

from __future__ import annotations

import os
import socket
import socketserver
import threading
from pathlib import Path

from rwa.chain.node import anvil_binary
from rwa.core.errors import RwaError
from rwa.core.project import ProjectPaths

DEFAULT_TEST_PORT = 8546
#: How often a test's HTTP server looks for a shutdown request: ``shutdown()`` waits up to this long
#: (socketserver's default, half a second, was eight seconds of a test run).
SERVER_POLL_SECONDS = 0.01
#: Ports above TEST_PORT for the private chains of `rwa` processes; the one above them is the
#: live-like chain's, so a run uses TEST_PORT .. TEST_PORT + 9.
PRIVATE_CHAINS = 8
RUN_PORTS = PRIVATE_CHAINS + 2


def test_port() -> int:
    """The session chain's port: ``TEST_PORT`` from the environment, else the default."""
    text = os.environ.get("TEST_PORT") or str(DEFAULT_TEST_PORT)
    try:
        port = int(text)
    except ValueError:
        raise RwaError(f"TEST_PORT={text!r} is not a port number") from None
    if not 1024 <= port <= 65536 - RUN_PORTS:
        raise RwaError(f"TEST_PORT={port} out of range 1024..{65536 - RUN_PORTS}")
    return port


def private_port(index: int) -> int:
    """The port of the ``index``-th private chain of this run (they take turns in the range)."""
    return test_port() + 1 + index % PRIVATE_CHAINS


def live_like_port() -> int:
    """The port of the chain that behaves like a live network (slow blocks, the pool on)."""
    return test_port() + PRIVATE_CHAINS + 1


def rpc_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def port_answers(port: int) -> bool:
    """Whether something already listens on the port (another run, or a leftover anvil)."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def prepare(paths: ProjectPaths) -> None:
    """Set up the environment before Ape reads its configuration or starts its provider.

    ``ape test`` run straight from the virtual environment has neither the npm anvil on PATH nor
    py-solc-x pointed at the project's solc (``make`` exports both), and without this Ape's
    foundry provider would start (or attach to) a node at ``foundry.host``, the development chain.
    """
    os.environ["APE_FOUNDRY_HOST"] = rpc_url(test_port())
    os.environ.setdefault("SOLCX_BINARY_PATH", str(paths.solc_dir))
    try:
        anvil_dir = str(Path(anvil_binary(paths)).parent)
    except RwaError:
        return  # Ape says anvil is missing when it needs it; `make setup` installs it
    path = os.environ.get("PATH", "")
    if anvil_dir not in path.split(os.pathsep):
        os.environ["PATH"] = anvil_dir + os.pathsep + path


def server_thread(server: socketserver.BaseServer) -> threading.Thread:
    """A daemon thread (not started) serving ``server`` until its ``shutdown()``, which returns promptly."""
    return threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SERVER_POLL_SECONDS}, daemon=True)
