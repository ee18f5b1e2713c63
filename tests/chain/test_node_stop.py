"""`rwa node stop` stops the anvil this project started, by its pid file, and nothing else."""

from __future__ import annotations

import subprocess

from rwa.chain import node
from rwa.core.project import ProjectPaths


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
