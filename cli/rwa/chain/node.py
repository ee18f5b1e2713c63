"""The local chain: an anvil process whose state outlives one command.

anvil comes from the npm package ``@foundry-rs/anvil-linux-amd64``; its state is loaded from and
dumped to ``.rwa/node/state.json`` (on a clean stop and every few seconds), so what was deployed
on the local chain is still there on the next command. Ape's foundry provider then attaches to
the running process instead of starting its own.

A new chain's state is saved as soon as it answers, so its genesis (and with it the chain's
identity in the deployments record) survives even a ``kill -9`` before anvil's first own save;
what a crash loses is only the blocks mined since the last save, which ``rwa deploy`` recreates.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

from rwa.chain.client import rpc_request
from rwa.core import atomic
from rwa.core.errors import RwaError
from rwa.core.project import ProjectPaths

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
STATE_INTERVAL_SECONDS = 2


def past_states_args(folder: Path) -> list[str]:
    """anvil's options that keep the states of past blocks it moves out of memory in ``folder``.

    By default anvil writes them under ~/.foundry/anvil/tmp and never removes them, not even on a
    clean stop: about 80 MB per thousand blocks, and a day of this project's tests left 67 GB there.
    Whoever starts an anvil gives it a folder of its own and removes it once the node has stopped.
    """
    return ["--cache-path", str(folder)]


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    rpc_url: str
    chain_id: int | None
    block_number: int | None
    pid: int | None
    state_file: str

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def rpc_url(paths: ProjectPaths) -> str:
    """The local RPC: APE_FOUNDRY_HOST, else ``foundry.host`` of ape-config.yaml."""
    if os.environ.get("APE_FOUNDRY_HOST"):
        return os.environ["APE_FOUNDRY_HOST"]
    import yaml

    config = yaml.safe_load((paths.root / "ape-config.yaml").read_text()) or {}
    host = (config.get("foundry") or {}).get("host") or DEFAULT_RPC_URL
    return host if host.startswith("http") else f"http://{host}"


def anvil_binary(paths: ProjectPaths) -> str:
    bundled = paths.root / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if bundled.is_file():
        return str(bundled)
    found = shutil.which("anvil")
    if found:
        return found
    raise RwaError("anvil not found: run `make setup` (it installs @foundry-rs/anvil-linux-amd64 from npm)")


def _files(paths: ProjectPaths) -> tuple[Path, Path, Path]:
    folder = paths.node_dir
    return folder / "state.json", folder / "anvil.pid", folder / "anvil.log"


def _past_states(paths: ProjectPaths) -> Path:
    """The running node's past states (a restarted node loads only the saved state, never these)."""
    return paths.node_dir / "past-states"


def _pid(pid_file: Path, state_file: Path) -> int | None:
    """The anvil this project started, by its pid file; None once it is gone. A pid whose process
    does not name this project's state file on its command line is another process (the pid was
    reused): it is not ours to stop. Without /proc, a live pid is taken on trust."""
    try:
        pid = int(pid_file.read_text().strip())
        if not Path("/proc/self").exists():
            os.kill(pid, 0)
            return pid
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")  # a zombie's is empty
    except (OSError, ValueError):
        return None
    return pid if os.fsencode(state_file) in command else None


def checked_url(url: str) -> str:
    """The local node's URL, or one line naming what is wrong with it (where it was set included)."""
    try:
        parts = urlparse(url)
        parts.port  # noqa: B018 - reading it is the check: a port that is no number raises
    except ValueError as exc:
        problem = str(exc)
    else:
        problem = "" if parts.scheme in ("http", "https") and parts.hostname else "it needs http://HOST:PORT"
    if problem:
        source = "APE_FOUNDRY_HOST" if os.environ.get("APE_FOUNDRY_HOST") else "foundry.host in ape-config.yaml"
        raise RwaError(f"the local node's URL {url!r} ({source}) is malformed: {problem}")
    return url


def status(paths: ProjectPaths) -> NodeStatus:
    url = checked_url(rpc_url(paths))
    state_file, pid_file, _ = _files(paths)
    chain_id: int | None
    block: int | None
    try:
        chain_id = int(rpc_request(url, "eth_chainId", timeout=1.0), 16)
        block = int(rpc_request(url, "eth_blockNumber", timeout=1.0), 16)
    except (OSError, RwaError, ValueError):
        chain_id = block = None
    return NodeStatus(chain_id is not None, url, chain_id, block, _pid(pid_file, state_file), str(state_file))


def start(paths: ProjectPaths, timeout: float = 20.0) -> NodeStatus:
    """Start anvil in the background unless a node already answers at the local RPC."""
    current = status(paths)
    if current.running:
        return current
    if current.pid is not None:
        return _await_answer(paths, current.pid, timeout)
    url = urlparse(rpc_url(paths))
    if url.hostname not in ("127.0.0.1", "localhost"):
        raise RwaError(f"the local node's RPC {url.geturl()} is not on this machine; start it there")
    state_file, pid_file, log_file = _files(paths)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    new_chain = not state_file.is_file() or state_file.stat().st_size == 0
    command = [
        anvil_binary(paths),
        "--host",
        url.hostname,
        "--port",
        str(url.port or 8545),
        "--state",
        str(state_file),
        "--state-interval",
        str(STATE_INTERVAL_SECONDS),
        "--hardfork",
        "cancun",
        *past_states_args(_past_states(paths)),
    ]
    shutil.rmtree(_past_states(paths), ignore_errors=True)  # a killed node's
    with open(log_file, "ab") as log:
        written_before = log.tell()
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_file.unlink(missing_ok=True)
            with open(log_file, "rb") as log:
                log.seek(written_before)
                reason = exit_reason(log.read().decode(errors="replace"))
            raise RwaError(start_failure(reason, state_file, log_file))
        current = status(paths)
        if current.running:
            if new_chain:
                save_genesis(current.rpc_url, state_file)
            return current
        time.sleep(0.05)
    raise RwaError(f"anvil did not answer at {url.geturl()} within {timeout:.0f}s; see {log_file}")


def _await_answer(paths: ProjectPaths, pid: int, timeout: float) -> NodeStatus:
    """The project's node is alive but did not answer the status probe (busy, or still loading its state):
    another anvil started now would find the port taken, exit, and take the pid file with it, leaving
    this one running with nothing to stop it by. Wait for it instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = status(paths)
        if current.running or current.pid is None:
            return current if current.running else start(paths, max(deadline - time.monotonic(), 1.0))
        time.sleep(0.2)
    raise RwaError(
        f"the local node (pid {pid}) is running but did not answer at {rpc_url(paths)} within {timeout:.0f}s; "
        "wait for it, or `rwa node stop` it"
    )


def save_genesis(url: str, state_file: Path) -> None:
    """Write a new chain's state at once (anvil's own first save comes only after its interval)."""
    dumped = bytes.fromhex(str(rpc_request(url, "anvil_dumpState"))[2:])
    atomic.write_text(state_file, gzip.decompress(dumped).decode() if dumped[:2] == b"\x1f\x8b" else dumped.decode())


def exit_reason(output: str) -> str:
    """Why anvil stopped, from what it printed: its ``error:`` line (its last words are only a
    pointer to ``--help``), else its last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return " ".join((errors or lines or ["no output"])[-1].split())[:300]


def start_failure(reason: str, state_file: Path, log_file: Path) -> str:
    """One line for a node that would not start, with the way out when its saved state is the cause."""
    if str(state_file) in reason or "--state" in reason:
        return (
            f"anvil cannot load the local chain's saved state ({reason}); move {state_file} aside to "
            "start a fresh chain, or run `rwa node reset` (the local deployment record goes too)"
        )
    return f"anvil exited at start ({reason}); see {log_file}"


def stop(paths: ProjectPaths, timeout: float = 20.0) -> NodeStatus:
    """Stop the anvil this project started, whether or not it answers (a busy node may not within
    the status probe's second, and is stopped all the same); it writes its state on the way out,
    and is killed if it has not exited within ``timeout``."""
    state_file, pid_file, _ = _files(paths)
    pid = _pid(pid_file, state_file)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _pid(pid_file, state_file) is not None:
            _reap(pid)
            time.sleep(0.05)
        if _pid(pid_file, state_file) is not None:
            os.kill(pid, signal.SIGKILL)
            _reap(pid, block=True)
        shutil.rmtree(_past_states(paths), ignore_errors=True)
    pid_file.unlink(missing_ok=True)
    return status(paths)


def _reap(pid: int, block: bool = False) -> None:
    """Collect the exit of a node this process started (else it stays a zombie until this process ends)."""
    try:
        os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        pass


def reset(paths: ProjectPaths) -> NodeStatus:
    """Stop the node and forget its chain state."""
    stop(paths)
    state_file, _, _ = _files(paths)
    state_file.unlink(missing_ok=True)
    return status(paths)
