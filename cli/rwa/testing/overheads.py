"""What Ape and its HTTP stack redo for every transaction, done once in a test process.

A contract test sends hundreds of transactions to the session's anvil, and a fifth of what each one
cost was not the chain: Ape rebuilt its provider's settings (a pydantic-settings model read from the
environment) several times per request, ``requests`` scanned the environment for HTTP proxies
twice per JSON-RPC request, for a node on this machine, and Ape's isolation asked the node whether
it mines automatically about twenty times per test. The plugin applies both at configure time;
what the chain answers, and what a test sees, are unchanged.

Of the twenty-odd JSON-RPC requests Ape made per transaction, a third asked what had not changed: the
chain id, whether the node mines automatically, the block gas limit (once per transaction built) and
the code of the contract called (twice); it also traced every transaction sent to a contract for
``console.log`` output, which no contract of the project writes, and asked the sender's nonce again
after the node had handed over the receipt of its mined transaction. Those answers are remembered
(:class:`NodeAnswers`) until a request that could change them (anything but a read or an ordinary
transaction), and the two look-ups are skipped.
"""

from __future__ import annotations

import http.client
import json
import select
import threading
from typing import Any
from urllib.parse import urlsplit

from rwa.testing import environment

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

#: Requests that change none of the answers remembered: reads, snapshots, and transactions, which can
#: give an address code but not take it away (Cancun) nor change the gas limit, chain id or mining.
#: Anything else (a revert to a snapshot, anvil_setCode, evm_setAutomine, evm_setBlockGasLimit, a
#: reset, a state loaded...) forgets them all. A transaction of type 4 (EIP-7702) sets an account's
#: code and is not in this set (:func:`_keeps_answers`).
KEEPS_ANSWERS = frozenset(
    {
        "eth_blockNumber",
        "eth_call",
        "eth_chainId",
        "eth_createAccessList",
        "eth_estimateGas",
        "eth_feeHistory",
        "eth_gasPrice",
        "eth_getBalance",
        "eth_getBlockByHash",
        "eth_getBlockByNumber",
        "eth_getCode",
        "eth_getLogs",
        "eth_getStorageAt",
        "eth_getTransactionByHash",
        "eth_getTransactionCount",
        "eth_getTransactionReceipt",
        "eth_maxPriorityFeePerGas",
        "eth_sendRawTransaction",
        "eth_sendTransaction",
        "anvil_getAutomine",
        "debug_traceCall",
        "debug_traceTransaction",
        "trace_transaction",
        "txpool_content",
        "txpool_contentFrom",
        "evm_snapshot",
        "net_version",
        "web3_clientVersion",
    }
)
#: What is remembered: the chain id, whether the node mines by itself, and an address's code once it
#: has some (an address without code may get some from the next transaction: asked every time).
REMEMBERED = frozenset({"eth_chainId", "anvil_getAutomine", "eth_getCode"})
SENDS = frozenset({"eth_sendRawTransaction", "eth_sendTransaction"})


class NodeAnswers:
    """The remembered answers of the session's chain, forgotten together at each request that could
    change one of them; ``epoch`` counts those requests, and ``mined`` says whether a transaction was
    sent since the last (the block gas limit is kept against both). Only the session's chain (on
    ``session_port``) is remembered: the test process changes it only through web3, where every request is
    seen; other chains (a live-like chain rewound with ``evm_revert`` by a bare request, a private chain
    that `rwa` processes change) answer every question themselves."""

    def __init__(self, session_port: int) -> None:
        self.session_port = session_port
        self.epoch = 0
        self.mined = False
        self.answers: dict[tuple[str, str], dict[str, Any]] = {}

    def remembers(self, url: str) -> bool:
        target = urlsplit(url)
        return target.hostname in LOOPBACK and target.port == self.session_port

    def forget(self) -> None:
        self.epoch += 1
        self.mined = False
        self.answers.clear()

    def key(self, url: str, method: str, params: Any) -> tuple[str, str] | None:
        if method not in REMEMBERED or not self.remembers(url):
            return None
        if method == "eth_getCode" and (len(params) != 2 or params[1] not in ("latest", None)):
            return None  # the code at a given block: asked as asked
        return (url, json.dumps([method, params], default=str))

    def keep(self, key: tuple[str, str] | None, method: str, response: Any) -> None:
        if key is None or not isinstance(response, dict) or "result" not in response or "error" in response:
            return
        if method == "eth_getCode" and response["result"] in ("0x", "", None):
            return
        self.answers[key] = response


def apply() -> None:
    _remember_provider_settings()
    _remember_default_transaction_type()
    _no_proxy_lookup_for_loopback()
    _plain_http_to_loopback()
    _ask_for_automine_last()
    answers = NodeAnswers(environment.test_port())
    _remember_node_answers(answers)
    _remember_block_gas_limit(answers)
    _no_nonce_wait_for_a_mined_receipt()
    _quick_receipt_polls()
    _no_console_log_traces()
    _addresses_used_without_frame_models()


def _keeps_answers(method: str, params: Any) -> bool:
    if method not in KEEPS_ANSWERS:
        return False
    if method == "eth_sendRawTransaction":
        return not (params and str(params[0]).startswith("0x04"))
    if method == "eth_sendTransaction":
        return not (params and isinstance(params[0], dict) and "authorizationList" in params[0])
    return True


def _remember_node_answers(answers: NodeAnswers) -> None:
    """web3's HTTP provider carries every request of the test process (Ape's and the Chain facade's):
    what it remembers is answered from memory, anything that could change it forgets it all."""
    from web3.providers.rpc import HTTPProvider

    original_request, original_batch = HTTPProvider.make_request, HTTPProvider.make_batch_request
    if getattr(original_request, "remembers", False):
        return

    def make_request(self: Any, method: Any, params: Any) -> Any:
        if not _keeps_answers(method, params):
            answers.forget()
            return original_request(self, method, params)
        if method in SENDS:
            answers.mined = True
        key = answers.key(str(self.endpoint_uri), method, params)
        if key is not None and key in answers.answers:
            return dict(answers.answers[key])  # the same answer, in a reply of its own
        response = original_request(self, method, params)
        answers.keep(key, method, response)
        return response

    def make_batch_request(self: Any, requests: Any) -> Any:
        if not all(_keeps_answers(method, params) for method, params in requests):
            answers.forget()
        elif any(method in SENDS for method, _ in requests):
            answers.mined = True
        return original_batch(self, requests)

    make_request.remembers = True  # type: ignore[attr-defined]
    HTTPProvider.make_request = make_request  # type: ignore[method-assign]
    HTTPProvider.make_batch_request = make_batch_request  # type: ignore[method-assign,assignment]


def _remember_block_gas_limit(answers: NodeAnswers) -> None:
    """Each transaction Ape builds on the local network takes the block gas limit ("max"), read from
    the latest block at each read (about three per transaction). A new limit (evm_setBlockGasLimit, a
    request that forgets the remembered answers) shows in the blocks mined after it: the limit is
    remembered once read after a transaction of the same epoch, so from a block mined under it."""
    from ape_ethereum.provider import Web3Provider

    original: property = Web3Provider.__dict__["max_gas"]
    read = original.fget
    if read is None or getattr(read, "remembers", False):
        return
    known: dict[int, tuple[Any, int, int]] = {}

    def max_gas(self: Any) -> int:
        entry = known.get(id(self))
        if entry is not None and entry[0] is self and entry[1] == answers.epoch:
            return entry[2]
        value: int = read(self)
        if answers.mined and answers.remembers(str(self.web3.provider.endpoint_uri)):
            known[id(self)] = (self, answers.epoch, value)
        return value

    max_gas.remembers = True  # type: ignore[attr-defined]
    Web3Provider.max_gas = property(max_gas)  # type: ignore[method-assign,assignment]


def _no_nonce_wait_for_a_mined_receipt() -> None:
    """Ape waits for the sender's nonce to pass the transaction's before it hands over a receipt
    (one request, repeated each second until it does); a receipt the node gave with a block number
    is of a mined transaction, which has used its nonce."""
    from ape.api.transactions import ReceiptAPI

    original: Any = ReceiptAPI._await_sender_nonce_increment
    if getattr(original, "skips_mined", False):
        return

    def await_sender_nonce_increment(self: Any) -> None:
        if isinstance(self.block_number, int) and self.block_number >= 0:
            return
        original(self)

    await_sender_nonce_increment.skips_mined = True  # type: ignore[attr-defined]
    ReceiptAPI._await_sender_nonce_increment = await_sender_nonce_increment  # type: ignore[method-assign]


#: How long web3 waits before asking again for a receipt the node did not have yet, in the test process.
RECEIPT_POLL_SECONDS = 0.002


def _quick_receipt_polls() -> None:
    """anvil answers a sent transaction before its automine has sealed the block, so a receipt asked
    at once is sometimes not there yet, and web3 then waits its default 100 ms before asking again:
    with requests on kept-alive connections (a tenth of a millisecond each), a third of the contract
    tests' wall time went to those waits. The test process asks again after 2 ms; the answer is the same."""
    from web3.eth import Eth

    original: Any = Eth.wait_for_transaction_receipt
    if getattr(original, "polls_quickly", False):
        return

    def wait_for_transaction_receipt(self: Any, transaction_hash: Any, timeout: float = 120, poll_latency: float = 0.1) -> Any:
        return original(self, transaction_hash, timeout=timeout, poll_latency=min(poll_latency, RECEIPT_POLL_SECONDS))

    wait_for_transaction_receipt.polls_quickly = True  # type: ignore[attr-defined]
    Eth.wait_for_transaction_receipt = wait_for_transaction_receipt  # type: ignore[method-assign]


def _no_console_log_traces() -> None:
    """After each transaction sent to a contract, Ape traces it to print what it wrote with
    ``console.log``: no contract of the project does (tests/test_overheads.py checks the sources), so
    only the line Ape logs of each confirmed transaction is kept."""
    import ape_ethereum.provider as provider_module
    from ape.logging import logger

    original = provider_module._post_send_transaction
    if getattr(original, "skips_console_logs", False):
        return

    def post_send_transaction(tx: Any, receipt: Any) -> None:
        logger.info(f"Confirmed {receipt.txn_hash} (total fees paid = {receipt.total_fees_paid})")

    post_send_transaction.skips_console_logs = True  # type: ignore[attr-defined]
    provider_module._post_send_transaction = post_send_transaction


def _remember_provider_settings() -> None:
    """``ProviderAPI.settings`` validates ape-config.yaml's section merged with the provider's own
    settings anew at each read (a few milliseconds: Ape reads it to find the node's URI on every
    request). The same provider, configuration and provider settings give the same settings."""
    from ape.api.providers import ProviderAPI

    original: property = ProviderAPI.__dict__["settings"]
    read = original.fget
    if read is None or getattr(read, "remembers", False):
        return
    known: dict[int, tuple[Any, tuple[int, str], Any]] = {}

    def settings(self: Any) -> Any:
        key = (id(self.config), repr(self.provider_settings))
        entry = known.get(id(self))
        if entry is not None and entry[0] is self and entry[1] == key:
            return entry[2]
        value = read(self)
        known[id(self)] = (self, key, value)  # the provider is kept: its id is never another's
        return value

    settings.remembers = True  # type: ignore[attr-defined]
    ProviderAPI.settings = property(settings)  # type: ignore[method-assign,assignment]


def _remember_default_transaction_type() -> None:
    """Each transaction Ape builds asks the ecosystem for its default transaction type (more than
    once), which looks the key up in the ecosystem's configuration and, absent, builds a network
    configuration (a pydantic-settings model, read from the environment) to take it from: some 7 % of
    a contract test's time. The same network and configuration objects give the same type."""
    from ape_ethereum.ecosystem import Ethereum

    original: property = Ethereum.__dict__["default_transaction_type"]
    read = original.fget
    if read is None or getattr(read, "remembers", False):
        return
    known: dict[int, tuple[Any, Any, Any, Any]] = {}

    def default_transaction_type(self: Any) -> Any:
        provider = self.network_manager.active_provider
        network = provider.network if provider else None
        config = self.config  # the ecosystem's, kept by Ape's configuration until it is loaded anew
        entry = known.get(id(self))
        if entry is not None and entry[0] is self and entry[1] is network and entry[2] is config:
            return entry[3]
        value = read(self)
        known[id(self)] = (self, network, config, value)  # kept: their ids are never another's
        return value

    default_transaction_type.remembers = True  # type: ignore[attr-defined]
    Ethereum.default_transaction_type = property(default_transaction_type)  # type: ignore[method-assign,assignment]


def _no_proxy_lookup_for_loopback() -> None:
    """A request to a node on this machine never goes through a proxy: ``requests`` need not read
    the environment's proxy variables for it (it did, twice per JSON-RPC request)."""
    import requests.sessions

    original = requests.sessions.get_environ_proxies
    if getattr(original, "skips_loopback", False):
        return

    def get_environ_proxies(url: str, no_proxy: Any = None) -> dict[str, str]:
        if urlsplit(url).hostname in LOOPBACK:
            return {}
        found: dict[str, str] = original(url, no_proxy=no_proxy)
        return found

    get_environ_proxies.skips_loopback = True  # type: ignore[attr-defined]
    requests.sessions.get_environ_proxies = get_environ_proxies  # type: ignore[assignment]


def _plain_http_to_loopback() -> None:
    """web3 posts each JSON-RPC request through a ``requests`` session: some 0.6 ms of CPU and, on a
    busy machine, 2 ms or more of waiting per request, against 0.1 ms and 0.3 ms for the same POST
    on a kept-alive ``http.client`` connection. A node on this machine gets the latter (one
    connection per thread and node); the same bytes are sent and the same answer handed back, a
    failure raised as ``requests`` raises it (ConnectionError, Timeout, HTTPError with its response),
    so web3's and Ape's retries are unchanged. Anything else (another host, a streamed answer,
    other options) goes through ``requests`` as before."""
    from web3._utils.http_session_manager import HTTPSessionManager

    original = HTTPSessionManager.make_post_request
    if getattr(original, "plain_to_loopback", False):
        return
    poster = LoopbackPoster()

    def make_post_request(self: Any, endpoint_uri: Any, data: Any, **kwargs: Any) -> Any:
        target = urlsplit(str(endpoint_uri))
        if (
            target.scheme != "http"
            or target.hostname not in LOOPBACK
            or target.username
            or not isinstance(data, bytes)
            or not set(kwargs) <= {"headers", "timeout"}
        ):
            return original(self, endpoint_uri, data, **kwargs)
        return poster.post(target, data, kwargs.get("headers") or {}, kwargs.get("timeout") or DEFAULT_HTTP_TIMEOUT)

    make_post_request.plain_to_loopback = True  # type: ignore[attr-defined]
    HTTPSessionManager.make_post_request = make_post_request  # type: ignore[method-assign]


#: web3's own default, for a request that names none.
DEFAULT_HTTP_TIMEOUT = 30.0


class LoopbackPoster:
    """POSTs to nodes on this machine over kept-alive connections, one per thread and node."""

    def __init__(self) -> None:
        self.local = threading.local()

    def connection(self, host: str, port: int, timeout: float) -> http.client.HTTPConnection:
        connections: dict[tuple[str, int], http.client.HTTPConnection] = self.local.__dict__.setdefault("connections", {})
        connection = connections.get((host, port))
        if connection is not None and connection.sock is not None and select.select([connection.sock], [], [], 0)[0]:
            connection.close()  # the node closed it while idle (readable at rest means closed): as urllib3 does
        if connection is None:
            connection = connections[(host, port)] = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def post(self, target: Any, data: bytes, headers: dict[str, str], timeout: float) -> bytes:
        import requests

        connection = self.connection(target.hostname, target.port or 80, timeout)
        try:
            connection.request("POST", target.path or "/", body=data, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except TimeoutError as exc:
            connection.close()
            raise requests.exceptions.ReadTimeout(exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise requests.exceptions.ConnectionError(exc) from exc
        if response.status >= 400:
            failed = requests.Response()
            failed.status_code, failed.reason, failed._content = response.status, response.reason, content
            failed.url = target.geturl()
            failed.raise_for_status()
        return content


def _ask_for_automine_last() -> None:
    """Ape's isolation asks whether each fixture of each test changed the chain (``is_stateful``),
    and asks the node whether it mines automatically (one JSON-RPC request) before looking at what it
    knows of the fixture; most times it knows nothing yet and answers None either way. The same
    answers, with the node asked only when they depend on it."""
    from ape.pytest.fixtures import FixtureManager

    original = FixtureManager.is_stateful
    if getattr(original, "asks_last", False):
        return

    def is_stateful(self: Any, name: str) -> bool | None:
        if name not in self._stateful_fixtures_cache:
            info = self._fixture_name_to_info.get(name)
            if not info or info.get("setup_block") is None or info.get("teardown_block") is None:
                return None
        answer: bool | None = original(self, name)
        return answer

    is_stateful.asks_last = True  # type: ignore[attr-defined]
    FixtureManager.is_stateful = is_stateful  # type: ignore[method-assign]


CALLS = frozenset({"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"})


def _addresses_used_without_frame_models() -> None:
    """A custom error the called contract does not declare sends Ape to the transaction's opcode
    trace for the last contract called (``get_addresses_used``), through a pydantic model of every
    step, its stack and memory (about a second for a revert in a contract called by another). The
    same addresses in the same order, from models of the steps that call or create alone."""
    from ape_ethereum.trace import Trace

    original = Trace.get_addresses_used
    if getattr(original, "steps_that_call", False):
        return

    def get_addresses_used(self: Any, reverse: bool = False) -> Any:
        found = [address for address in called_and_created(iter(self.raw_trace_frames)) if address]
        for address in reversed(found) if reverse else found:
            yield self._ecosystem.decode_address(address)

    get_addresses_used.steps_that_call = True  # type: ignore[attr-defined]
    Trace.get_addresses_used = get_addresses_used  # type: ignore[method-assign]


def called_and_created(steps: Any) -> list[Any]:
    """The ``address`` of each frame evm_trace's ``create_trace_frames`` makes of these struct logs,
    in its order (None for a step that neither calls nor creates, left out)."""
    from evm_trace.geth import TraceFrame

    found: list[Any] = []
    for step in steps:
        if "CREATE" in step["op"]:
            found.extend(_created(step, steps))
        elif step["op"] in CALLS:
            found.append(TraceFrame(**step).address)
    return found


def _created(step: dict[str, Any], steps: Any) -> list[Any]:
    """evm_trace's ``_get_create_frames``: the created address is the top of the stack at the first
    step after the CREATE at its depth or above; the steps it reads past are the creation's own."""
    from eth_pydantic_types import HexBytes, HexBytes20
    from evm_trace.geth import TraceFrame

    found: list[Any] = [None]
    depth = _depth(step)
    for following in steps:
        if "CREATE" in following["op"]:
            found.extend(_created(following, steps))
        elif _depth(following) <= depth:
            frame = TraceFrame(**following)
            if len(frame.stack) > 0:
                found[0] = HexBytes20.__eth_pydantic_validate__(HexBytes(frame.stack[-1][-40:]))
            found.append(frame.address)
            break
        elif following["op"] in CALLS:
            found.append(TraceFrame(**following).address)
    return found


def _depth(step: dict[str, Any]) -> int:
    value = step["depth"]
    return int(value, 16) if isinstance(value, str) else int(value)
