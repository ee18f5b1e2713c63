"""The sending paths on a node other than anvil: Hardhat's (EDR), beside anvil, each as a live-like
chain (Sepolia's chain id, one-second blocks, the pool on; tests/support/livelike.py).

Nodes word the same answer differently (anvil "already known", Hardhat "Known transaction: 0x…",
ganache "transaction underpriced"), so the toolkit decides what to do by asking the node about the
transaction's hash and its sender's nonce: a transaction the node holds is never sent a second time,
a deploy or a `rwa safe execute` killed while its transaction waits in the pool resumes by waiting
for it, and a refusal is one line whatever the node. One node of each kind serves the whole module;
each test sends from its own account.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import livelike
import pytest
from eth_account import Account
from eth_utils import keccak
from livelike import CHAIN_ID, CREATE2_DEPLOYER_CODE, NETWORK, ROOT, Run, connected, live_chain

from rwa.admin import governance
from rwa.chain.client import ACCEPTED, NONCE_USED, REFUSED, Chain
from rwa.core.errors import RwaError
from rwa.core.evm import CREATE2_DEPLOYER
from rwa.core.project import ProjectPaths
from rwa.deploy.target import Target
from rwa.testing import environment

pytestmark = pytest.mark.slow  # anvil and Hardhat's node as processes, one-second blocks waited for

#: Development keys of the well-known mnemonic (accounts 3 and 4): each test its own sender.
KEYS = {
    "offer": "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "execute": "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
}
GWEI = 10**9


@pytest.fixture(scope="module", params=["anvil", "hardhat"])
def started(request):
    # One port for both: pytest finishes every test of one node (and stops it) before starting the other.
    with live_chain(environment.live_like_port(), kind=request.param) as chain:
        if chain.kind == "hardhat":  # public chains and anvil have the deterministic deployer; Hardhat's node not
            chain.rpc("hardhat_setCode", CREATE2_DEPLOYER, CREATE2_DEPLOYER_CODE)
        yield chain


@pytest.fixture
def node(started):
    """Ape connected to the node for one test (as test_live_conditions.py does: connecting for a
    whole module would leave Ape's snapshots of the session chain to the wrong provider)."""
    with connected(started) as connection:
        yield started, connection


def signed(chain: livelike.LiveChain, key: str, nonce: int, **fields) -> str:
    """A transfer (or ``fields``' call) signed with ``key`` at ``nonce``, as raw hex."""
    tx = {
        "to": livelike.ATTESTOR,
        "value": 1,
        "gas": 60_000,
        "nonce": nonce,
        "chainId": CHAIN_ID,
        "type": 2,
        "maxFeePerGas": 20 * GWEI,
        "maxPriorityFeePerGas": 2 * GWEI,
        **fields,
    }
    return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()


def mined_in(chain: livelike.LiveChain, tx_hash: str) -> None:
    for _ in range(20):
        if chain.rpc("eth_getTransactionReceipt", tx_hash):
            return
        chain.wait_for_block()
    raise AssertionError(f"{tx_hash} not mined")


def one_line(said: str) -> None:
    assert said and "\n" not in said and "{" not in said and "    at " not in said, said


def test_a_transaction_the_node_holds_is_never_sent_twice(node):
    chain, connection = node
    sender = Account.from_key(KEYS["offer"]).address
    chain.pause_mining()
    first = signed(chain, KEYS["offer"], 0)
    tx_hash = "0x" + keccak(hexstr=first).hex()
    assert connection.offer(first) == (ACCEPTED, "")
    assert connection.offer(first) == (ACCEPTED, "")  # held in the pool: not sent again
    connection.broadcast(first)  # nor by a command's broadcast, whatever the node would have said
    status, said = connection.offer(signed(chain, KEYS["offer"], 0, value=2, maxFeePerGas=10 * GWEI))  # underpriced
    assert status == REFUSED
    one_line(said)
    with pytest.raises(RwaError) as refused:
        connection.broadcast(signed(chain, KEYS["offer"], 1, value=10**30))  # more than the balance
    one_line(str(refused.value))
    chain.resume_mining()
    mined_in(chain, tx_hash)
    assert connection.offer(first) == (ACCEPTED, "")  # mined: known, not sent
    assert connection.offer(signed(chain, KEYS["offer"], 0, value=2))[0] == NONCE_USED
    assert chain.mined_nonce(sender) == 1


@pytest.mark.parametrize("dropped", [False, True], ids=["in the pool", "dropped by the node"])
def test_safe_execute_killed_with_its_transaction_pending_resumes_it(node, dropped):
    """`rwa safe execute` wrote the transaction it signed into the proposal, broadcast it and was
    killed while it waited in the pool: the rerun waits for that very transaction (sending it again
    only if the node no longer has it) and never signs a second one."""
    chain, connection = node
    sender = Account.from_key(KEYS["execute"]).address
    nonce = chain.mined_nonce(sender)
    chain.pause_mining()
    raw = signed(chain, KEYS["execute"], nonce)
    connection.broadcast(raw)
    tx_hash = "0x" + keccak(hexstr=raw).hex()
    if dropped:
        chain.drop(tx_hash)
    proposal = {"execution": {"transactionHash": tx_hash, "raw": raw, "executor": sender, "block": None}}
    threading.Timer(1.0, chain.resume_mining).start()
    receipt = governance._resume(SimpleNamespace(chain=connection), proposal)
    assert receipt is not None and receipt.hash == tx_hash and receipt.status == 1
    assert chain.mined_nonce(sender) == nonce + 1  # exactly one transaction


def test_a_deploy_killed_with_its_transaction_in_the_pool_completes_once(node, compiled, accounts, tmp_path):
    chain, connection = node
    the_manifest = livelike.manifest()
    paths = ProjectPaths(ROOT, deployments_override=tmp_path)
    target = Target(paths, the_manifest, the_manifest.network(NETWORK), connection, accounts[0], compiled)
    figures = livelike.pending_at_resume(Run(chain, target, chain.kind))
    assert figures.sent == figures.clean and figures.duplicates == 0, figures
    assert any(note.startswith("resume Registry: waiting for") for note in figures.notes), figures.notes


def test_chain_nonce_counts_the_pool_where_pending_does_not():
    """ganache's ``pending`` count leaves the pool out; its ``txpool_content`` shows it."""

    class Ganache:
        def make_request(self, method, params):
            if method == "txpool_content":
                return {"result": {"pending": {livelike.DEPLOYER.lower(): {"4": {}, "5": {}}}, "queued": {}}}
            if method == "eth_getTransactionCount":
                return {"result": "0x4"}
            return {"error": {"code": -32601, "message": "Method not found"}}

    chain = Chain(None, Ganache())
    assert chain.pooled_nonces(livelike.DEPLOYER) == [4, 5]
    assert chain.nonce(livelike.DEPLOYER) == 6
