"""Figures of `rwa watch`, printed (not timed tests).

    .venv/bin/python bench/watch_figures.py

On a private anvil with the manifest deployed and a bench-only contract (contracts/test/
WatchBenchEmitter.sol, added to the deployment record so the watcher watches it) that emits
thousands of events per transaction:

- backfill speed: events indexed per second by `rwa watch --once` over >= 100,000 events, into
  SQLite and into PostgreSQL (a throwaway server, rwa.testing.postgres);
- memory: the peak RSS of that watcher process;
- alert latency, in blocks, at one-second blocks: from the block of an event to the block the chain
  is at when its alert reaches the JSON-lines sink;
- exactly once: alerts raised versus expected after 20 kill -9 of a running watcher at random moments.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from private_chain import ROOT, RWA, private_chain, rwa
from rwa.core.errors import RwaError
from rwa.testing import postgres
from rwa.watch.store import open_store

EVENTS = int(os.environ.get("WATCH_BENCH_EVENTS", "100000"))
PER_TRANSACTION = 5000
LATENCY_SAMPLES = 8
KILLS = 20
RULES = "rules:\n  - name: bench-paused\n    event: Paused\n    contract: WatchBenchEmitter\n    severity: info\n"


def call(url: str, method: str, params: list[Any]) -> Any:
    from rwa.chain.client import rpc_request

    return rpc_request(url, method, params, timeout=120)


def send(url: str, sender: str, to: str | None, data: bytes, gas: int = 29_000_000) -> int:
    tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(gas)}
    if to:
        tx["to"] = to
    return int(mined(url, call(url, "eth_sendTransaction", [tx]))["blockNumber"], 16)


def mined(url: str, tx_hash: str) -> dict[str, Any]:
    while True:
        receipt = call(url, "eth_getTransactionReceipt", [tx_hash])
        if receipt:
            assert int(receipt["status"], 16) == 1, receipt
            return dict(receipt)
        time.sleep(0.05)


def add_emitter(env: dict[str, str], url: str, sender: str) -> str:
    """Deploy the emitter and add it to the deployment record, as a contract of the suite."""
    from eth_utils import keccak, to_checksum_address

    from rwa.chain import artifacts
    from rwa.core.project import ProjectPaths
    from rwa.deploy.records import DeploymentStore

    artifact = artifacts.load(ProjectPaths(ROOT))["WatchBenchEmitter"]
    tx_hash = call(url, "eth_sendTransaction", [{"from": sender, "data": "0x" + artifact.bytecode.hex(), "gas": hex(1_000_000)}])
    receipt = mined(url, tx_hash)
    address = to_checksum_address(receipt["contractAddress"])

    def add(record: dict[str, Any]) -> None:
        record["contracts"]["WatchBenchEmitter"] = {
            "name": "WatchBenchEmitter",
            "contractType": "WatchBenchEmitter",
            "address": address,
            "abi": artifact.abi,
            "proxy": None,
            "blockNumber": int(receipt["blockNumber"], 16),
            "transactionHash": tx_hash,
            "deployer": sender,
            "args": [],
            "bytecodeHash": "0x" + keccak(artifact.bytecode).hex(),
        }

    DeploymentStore(Path(env["RWA_DEPLOYMENTS_DIR"])).update("local", add)
    return address


def selector(signature: str) -> bytes:
    from eth_utils import keccak

    return keccak(text=signature)[:4]


def watch_args(scratch: Path) -> list[str]:
    """The watcher of the latency and kill figures: the database that indexed the events, the bench rule."""
    return [
        "--quiet",
        "--db",
        str(scratch / "backfill.sqlite"),
        "--rules",
        str(scratch / "rules.yaml"),
        "--jsonl",
        str(scratch / "alerts.jsonl"),
    ]


def spawn(env: dict[str, str], scratch: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [RWA, "watch", "--poll", "0.2", *watch_args(scratch)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    process.stderr.readline()  # "watching local: ..."
    return process


def alerts(scratch: Path) -> list[dict[str, Any]]:
    path = scratch / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def free_port_any() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backfill(env: dict[str, str], first: int, store: str) -> tuple[int, float, float, float]:
    """One `rwa watch --once` from ``first`` into ``store``: (events indexed, seconds running, seconds
    with the process's start, peak RSS in MiB)."""
    started = time.monotonic()
    # Run through a small parent that reports its one child's peak RSS (as the last line of stderr).
    parent = (
        "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", parent, RWA, "watch", "--once", "--quiet", "--from", str(first), "--store", store],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    started_line = process.stderr.readline()  # "watching local: ...": loaded, connected, rules checked (or why not)
    running = time.monotonic()
    rest = process.stderr.read()
    assert process.wait() in (0, 3), started_line + rest
    done = time.monotonic()
    peak_mib = int(rest.strip().splitlines()[-1]) / 1024
    kept = open_store(store, Path("unused"), create=False)
    indexed = int(kept.db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    kept.close()
    return indexed, done - running, done - started, peak_mib


def report_backfill(kind: str, figures: tuple[int, float, float, float]) -> None:
    indexed, running, total, peak_mib = figures
    print(
        f"  backfill into {kind}: {indexed} events indexed in {running:.1f}s: {indexed / running:,.0f} events/s "
        f"({indexed / total:,.0f} events/s counting the {total - running:.1f}s the process took to start); "
        f"peak RSS of that watcher {peak_mib:.0f} MiB"
    )


def main() -> None:
    os.chdir(ROOT)
    with private_chain("rwa-watch-bench-") as env, tempfile.TemporaryDirectory(prefix="rwa-watch-bench-") as folder:
        scratch = Path(folder)
        (scratch / "rules.yaml").write_text(RULES)
        url = env["APE_FOUNDRY_HOST"]
        rwa(env, "deploy")
        sender = call(url, "eth_accounts", [])[0]
        emitter = add_emitter(env, url, sender)
        first = int(call(url, "eth_blockNumber", []), 16)
        count = 0
        started = time.monotonic()
        while count < EVENTS:
            batch = min(PER_TRANSACTION, EVENTS - count)
            send(url, sender, emitter, selector("emitTransfers(uint256)") + batch.to_bytes(32, "big"))
            count += batch
        print(
            f"\nrwa watch (a private anvil; {count} events in {count // PER_TRANSACTION} "
            f"transactions, made in {time.monotonic() - started:.0f}s)"
        )

        # Backfill: one --once run over everything, in a process of its own (its peak RSS is its own),
        # into SQLite, then into PostgreSQL when its initdb is installed (make test installs it).
        report_backfill("SQLite", backfill(env, first, str(scratch / "backfill.sqlite")))
        try:
            server = postgres.start(int(os.environ.get("RWA_BENCH_POSTGRES_PORT") or free_port_any()))
        except RwaError as exc:
            print(f"  backfill into PostgreSQL: skipped ({exc})")
        else:
            try:
                report_backfill("PostgreSQL", backfill(env, first, server.database("bench")))
            finally:
                server.stop()

        # Latency at one-second blocks.
        call(url, "evm_setAutomine", [False])
        call(url, "evm_setIntervalMining", [1])
        process = spawn(env, scratch)
        lags = []
        try:
            for _ in range(LATENCY_SAMPLES):
                seen = len(alerts(scratch))
                block = send(url, sender, emitter, selector("emitPaused()"), gas=100_000)
                while len(alerts(scratch)) == seen:
                    time.sleep(0.05)
                lags.append(int(call(url, "eth_blockNumber", []), 16) - block)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        print(
            f"  alert latency at 1 s blocks: {sum(lags) / len(lags):.1f} "
            f"blocks on average, {max(lags)} at most ({len(lags)} alerts)"
        )

        # Exactly once across kill -9.
        rng = random.Random(20)
        expected = len(alerts(scratch))
        process = spawn(env, scratch)
        try:
            for _ in range(KILLS):
                for _ in range(rng.randint(1, 3)):
                    call(
                        url,
                        "eth_sendTransaction",
                        [{"from": sender, "to": emitter, "data": "0x" + selector("emitPaused()").hex(), "gas": hex(100_000)}],
                    )
                    expected += 1
                time.sleep(rng.uniform(0.0, 1.5))
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                process = spawn(env, scratch)
            time.sleep(3)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        final = subprocess.run(
            [RWA, "watch", "--once", *watch_args(scratch)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert final.returncode in (0, 3), final.stderr
        raised = alerts(scratch)
        unique = len({a["id"] for a in raised})
        print(f"  after {KILLS} kill -9: {len(raised)} alerts delivered, {unique} distinct, {expected} expected")
        if unique != expected or len(raised) != unique:
            sys.exit(1)


if __name__ == "__main__":
    main()
