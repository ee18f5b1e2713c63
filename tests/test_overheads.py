"""What the test process remembers of the node (rwa.testing.overheads) is forgotten when the node changes it."""

from __future__ import annotations

import http.server
import socket
from pathlib import Path

import pytest
import requests
from ape_ethereum.trace import Trace
from eth_utils import keccak
from web3._utils.http_session_manager import HTTPSessionManager

from rwa.testing import environment, overheads

ZERO_ADDRESS = "0x" + "00" * 20


def test_code_remembered_is_forgotten_with_the_revert_that_removes_it(chain, project, deployer):
    snapshot = chain.snapshot()
    stablecoin = deployer.deploy(project.MockStablecoin)
    assert chain.provider.get_code(stablecoin.address)  # remembered from here
    assert chain.provider.get_code(stablecoin.address)
    chain.restore(snapshot)
    assert not chain.provider.get_code(stablecoin.address)


def test_code_remembered_is_forgotten_when_set_anew(chain, project, registry):
    multicall = project.Multicall3.contract_type.runtime_bytecode.bytecode
    assert bytes(chain.provider.get_code(registry.address)).hex() != multicall.removeprefix("0x")
    chain.provider.set_code(registry.address, multicall)
    assert bytes(chain.provider.get_code(registry.address)).hex() == multicall.removeprefix("0x")


def test_an_address_without_code_is_asked_again(chain, project, deployer):
    address = deployer.get_deployment_address()
    assert not chain.provider.get_code(address)
    deployer.deploy(project.MockStablecoin)  # an ordinary transaction: nothing is forgotten
    assert chain.provider.get_code(address)


def test_automine_is_asked_again_once_switched(chain):
    assert chain.provider.auto_mine is True
    chain.provider.auto_mine = False
    try:
        assert chain.provider.auto_mine is False
    finally:
        chain.provider.auto_mine = True
    assert chain.provider.auto_mine is True


def test_a_new_block_gas_limit_is_seen_from_the_first_block_mined_under_it(chain, deployer, outsider):
    before = chain.provider.max_gas
    deployer.transfer(outsider, 1)
    assert chain.provider.max_gas == before  # remembered from here, until the limit is set
    chain.provider.set_block_gas_limit(before + 1_000_000)
    try:
        assert chain.provider.max_gas == before  # the latest block is still mined under the old limit
        deployer.transfer(outsider, 1)  # the first under the new: no request in between forgets anything
        assert chain.provider.max_gas == before + 1_000_000
        deployer.transfer(outsider, 1)
        assert chain.provider.max_gas == before + 1_000_000
    finally:
        chain.provider.set_block_gas_limit(before)
        chain.mine()
    assert chain.provider.max_gas == before


def test_the_addresses_a_transaction_used_are_evm_traces(chain, vault_factory, operator, alice):
    """The same addresses, in the same order, as from evm_trace's model of every step: a vault's
    creation makes a beacon proxy (CREATE2) whose constructor calls the beacon and initialises it."""
    receipt = vault_factory.createVault(keccak(text="overheads"), alice, ZERO_ADDRESS, sender=operator)
    trace = chain.provider.get_transaction_trace(receipt.txn_hash)
    frames = list(trace.frames)
    expected = [trace._ecosystem.decode_address(f.address) for f in frames if f.address]
    assert any("CREATE" in f.op for f in frames) and any(f.op in overheads.CALLS for f in frames)
    assert list(Trace.get_addresses_used(trace)) == expected
    assert list(Trace.get_addresses_used(trace, reverse=True)) == expected[::-1]
    assert receipt.return_value in expected


def test_no_contract_writes_to_the_console():
    """The test process does not trace transactions for ``console.log`` output (overheads): a
    contract that wrote some would have it hidden."""
    contracts = Path(__file__).resolve().parents[1] / "contracts"
    writers = [p for p in contracts.rglob("*") if p.suffix in (".sol", ".vy") and "console" in p.read_text()]
    assert not writers, f"{writers}: console output is not traced in tests (rwa.testing.overheads)"


def test_requests_that_change_the_node_forget_what_is_remembered():
    assert overheads._keeps_answers("eth_getCode", ["0x" + "11" * 20, "latest"])
    assert overheads._keeps_answers("eth_sendRawTransaction", ["0x02f8"])
    assert not overheads._keeps_answers("eth_sendRawTransaction", ["0x04f8"])  # EIP-7702 sets code
    assert not overheads._keeps_answers("eth_sendTransaction", [{"authorizationList": []}])
    for method in ("evm_revert", "anvil_setCode", "evm_setAutomine", "evm_setBlockGasLimit", "anvil_reset", "anvil_loadState"):
        assert not overheads._keeps_answers(method, [])


class _Node(http.server.BaseHTTPRequestHandler):
    """A loopback server answering each POST with its body, or with the status the path names."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = int(self.path.strip("/") or 200)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def node():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    environment.server_thread(server).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_loopback_posts_keep_their_connection_and_fail_as_requests_does(node):
    manager = HTTPSessionManager()
    assert manager.make_post_request(node, b'{"a": 1}', headers={"Content-Type": "application/json"}) == b'{"a": 1}'
    assert manager.make_post_request(node, b"[2]", timeout=5) == b"[2]"
    with pytest.raises(requests.HTTPError) as refused:
        manager.make_post_request(f"{node}/429", b"{}")
    assert refused.value.response.status_code == 429 and refused.value.response.json() == {}
    port = int(node.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(requests.ConnectionError):
            manager.make_post_request(f"http://127.0.0.1:{closed}", b"{}")
    assert port != closed


def test_a_receipt_not_there_yet_is_asked_again_within_milliseconds(chain, monkeypatch):
    """web3 polls a receipt the node has not sealed yet every 100 ms; the test process every 2 ms."""
    from web3._utils import threads

    waits = []
    monkeypatch.setattr(threads.Timeout, "sleep", lambda self, seconds: waits.append(seconds))
    answers = iter([None, None, {"blockNumber": 1}])
    monkeypatch.setattr(chain.provider.web3.eth, "_transaction_receipt", lambda tx: next(answers))
    assert chain.provider.web3.eth.wait_for_transaction_receipt(b"\x01" * 32, timeout=5) == {"blockNumber": 1}
    assert waits == [overheads.RECEIPT_POLL_SECONDS] * 2


def test_only_the_session_chain_is_remembered():
    """Another chain (a live-like one rewound by a bare evm_revert, a private one `rwa` processes change)
    can change without a request of this process's web3: its answers are never remembered (a deploy
    test's rewound chain kept showing a contract the revert had removed)."""
    answers = overheads.NodeAnswers(session_port=8546)
    code = ["0x" + "11" * 20, "latest"]
    assert answers.key("http://127.0.0.1:8546", "eth_getCode", code) is not None
    assert answers.key("http://localhost:8546", "eth_chainId", []) is not None
    assert answers.key("http://127.0.0.1:8595", "eth_getCode", code) is None
    assert answers.key("http://10.0.0.1:8546", "eth_getCode", code) is None
