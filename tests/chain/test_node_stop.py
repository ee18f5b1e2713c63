"""`rwa node stop` stops the anvil this project started, by its pid file, and nothing else; its past states go too."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from rwa.chain import node
from rwa.chain.client import rpc_request
from rwa.core.errors import RwaError
from rwa.core.project import ProjectPaths
from rwa.testing import environment
from rwa.testing.plugin import PRIVATE_CHAIN_COUNTER


def test_a_pid_file_naming_another_process_stops_nothing(tmp_path, monkeypatch):
    """A stale pid file whose pid now belongs to another process (another engineer's anvil, say)
    is not a node of this project: stop leaves that process alone and forgets the file."""
    monkeypatch.delenv("RWA_STATE_DIR", raising=False)
    monkeypatch.setenv("APE_FOUNDRY_HOST", "http://127.0.0.1:1")  # nothing answers there
    paths = ProjectPaths(tmp_path)
    other = subprocess.Popen(["sleep", "60"])
    try:
        paths.node_dir.mkdir(parents=True)
        (paths.node_dir / "anvil.pid").write_text(str(other.pid))
        assert node.status(paths).pid is None
        assert node.stop(paths, timeout=1).running is False
        assert other.poll() is None
        assert not (paths.node_dir / "anvil.pid").exists()
    finally:
        other.kill()
        other.wait()


def test_a_nodes_past_states_stay_in_its_folder_and_go_with_it(tmp_path, monkeypatch, request):
    """anvil moves the states of past blocks out of memory to files, by default under ~/.foundry/anvil/tmp,
    which it never removes (a day of tests left 67 GB there). The project's node keeps them in its own
    folder: a killed node's are removed when the next one starts, and a stopped node's when it stops."""
    port = environment.private_port(next(request.config.stash[PRIVATE_CHAIN_COUNTER]))
    monkeypatch.delenv("RWA_STATE_DIR", raising=False)
    monkeypatch.setenv("APE_FOUNDRY_HOST", environment.rpc_url(port))
    paths = ProjectPaths(tmp_path)
    folder = paths.node_dir / "past-states"
    killed = node.start(paths)
    try:
        rpc_request(killed.rpc_url, "anvil_mine", ["0x400"])
        stale = _written_within(folder, seconds=10)
        assert stale, "anvil wrote no past state into the node's folder"
        os.kill(killed.pid, signal.SIGKILL)
        os.waitpid(killed.pid, 0)
        assert all(path.exists() for path in stale)

        restarted = node.start(paths)
        assert restarted.pid != killed.pid
        assert not any(path.exists() for path in stale)
    finally:
        node.stop(paths)
    assert not folder.exists()


def _written_within(folder, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        written = list(folder.rglob("*.json"))
        if written:
            return written
        time.sleep(0.1)
    return []


@pytest.mark.slow  # starts anvil
def test_starting_beside_a_node_too_busy_to_answer_keeps_its_pid_file(tmp_path, monkeypatch, request):
    """A busy node misses the status probe's second; `rwa node start` then started a second anvil, which
    found the port taken, exited, and removed the pid file: the first node ran on with nothing to stop it
    by ("not started by this project"). Start now waits for the node it has, and says so if it stays silent."""
    port = environment.private_port(next(request.config.stash[PRIVATE_CHAIN_COUNTER]))
    monkeypatch.delenv("RWA_STATE_DIR", raising=False)
    monkeypatch.setenv("APE_FOUNDRY_HOST", environment.rpc_url(port))
    paths = ProjectPaths(tmp_path)
    first = node.start(paths)
    try:
        os.kill(first.pid, signal.SIGSTOP)  # it answers nothing until continued
        with pytest.raises(RwaError, match=rf"the local node \(pid {first.pid}\) is running but did not answer"):
            node.start(paths, timeout=2)
        assert (paths.node_dir / "anvil.pid").read_text().strip() == str(first.pid)
        os.kill(first.pid, signal.SIGCONT)
        assert node.start(paths).pid == first.pid
    finally:
        os.kill(first.pid, signal.SIGCONT)
        node.stop(paths)
    assert node.status(paths).pid is None
