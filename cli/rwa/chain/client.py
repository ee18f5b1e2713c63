"""The one place that talks to a chain.

Everything the toolkit reads from or sends to a node goes through :class:`Chain`, a thin layer over
the Ape provider that is connected (by the CLI, by ``ape run`` or by ``ape test``). Transactions are
built and signed here but broadcast separately, so the engine can journal a signed transaction
before it leaves the machine.
"""

from __future__ import annotations

import http.client
import itertools
import json
import time
import urllib.error
import urllib.request
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from eth_utils import keccak, to_checksum_address

from rwa.chain import jsonstream
from rwa.chain.reverts import decode_revert, describe_revert, node_message, revert_text
from rwa.core.abi import (
    decode_aggregate3,
    decode_word,
    encode_aggregate3,
    encode_args,
    function_abi,
    signature,
    type_string,
)
from rwa.core.errors import RwaError
from rwa.core.evm import MULTICALL3
from rwa.core.quiet import quiet_ape

if TYPE_CHECKING:
    from ape.api import AccountAPI, ProviderAPI

#: The longest pause between two looks for a receipt (four looks a second on slow chains).
MAX_POLL_SECONDS = 0.25
#: The first pause before a receipt is asked again: anvil answers a send before its automine seals the
#: block, so the receipt is often missing at once and there a millisecond later.
FIRST_POLL_SECONDS = 0.002


#: Calls per aggregate3 and requests per JSON-RPC batch: under the gas and size caps of public RPCs.
BATCH_SIZE = 250


#: What nodes say when an ``eth_getLogs`` range is too large for them (geth, Infura, Alchemy,
#: QuickNode, anvil's proxies): the watcher halves the range.
RANGE_REFUSALS = ("too large", "too many", "more than", "exceed", "limit", "range is too", "response size")


#: Logs per ``eth_getLogs`` answer the watcher keeps at most (and the rest of its last block):
#: past it, the answer is handed on from the end of that block (:meth:`Chain.log_pieces`).
LOGS_PER_RANGE = 10_000
#: ``eth_getLogs`` calls the watcher has in flight at once: the node builds the next answer while the
#: one before is read and worked on.
CALLS_AHEAD = 2
#: Bytes read at a time from a streamed answer.
STREAM_CHUNK = 1 << 18


class RangeRefused(RwaError):
    """A node refused an ``eth_getLogs`` range as too large."""


def rpc_request(url: str, method: str, params: Sequence[Any] = (), timeout: float = 2.0) -> Any:
    """A bare JSON-RPC call, for probing a node without loading Ape."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RwaError(f"{method} failed: {reply['error'].get('message')}")
    return reply["result"]


class RpcUnreachable(RwaError):
    """The node did not answer (refused, dropped, timed out): one that waits for it may try again."""


class JsonRpc:
    """A node's JSON-RPC over plain HTTP, with the two calls :meth:`Chain.rpc_batch` makes of web3's
    providers (``make_request``, ``make_batch_request``): a reader's whole transport, with no web3.
    A dropped connection or a timeout is retried as web3's HTTP provider retries it (five tries,
    0.125 s doubling between them): a reader only reads, so asking again is always safe."""

    RETRIES = 5
    BACKOFF = 0.125

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)  # next() is atomic: the watcher fetches logs in a thread of its own

    def _post(self, body: Any) -> Any:
        request = urllib.request.Request(self.url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        for attempt in range(self.RETRIES):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except (OSError, http.client.HTTPException) as exc:
                if attempt == self.RETRIES - 1:
                    raise RpcUnreachable(f"cannot read from {self.url}: {exc}") from None
                time.sleep(self.BACKOFF * 2**attempt)
            except ValueError as exc:
                raise RwaError(f"cannot read from {self.url}: {exc}") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _body(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}

    def make_request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        reply: dict[str, Any] = self._post(self._body(method, params))
        return reply

    def stream(self, method: str, params: Sequence[Any]) -> Iterator[Any]:
        """The elements of a call's result array, each as it arrives (:func:`jsonstream.result_items`;
        :class:`jsonstream.ReplyError` for an error answer); closing the iterator drops the connection."""
        request = urllib.request.Request(
            self.url, json.dumps(self._body(method, params)).encode(), {"Content-Type": "application/json"}
        )
        for attempt in range(self.RETRIES):
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
                break
            except (OSError, http.client.HTTPException) as exc:
                if attempt == self.RETRIES - 1:
                    raise RpcUnreachable(f"cannot read from {self.url}: {exc}") from None
                time.sleep(self.BACKOFF * 2**attempt)
        with response:
            try:
                yield from jsonstream.result_items(iter(lambda: response.read(STREAM_CHUNK), b""))
            except (OSError, http.client.HTTPException) as exc:
                raise RpcUnreachable(f"cannot read from {self.url}: {exc}") from None

    def make_batch_request(self, requests: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
        bodies = [self._body(method, params) for method, params in requests]
        replies = self._post(bodies)
        if not isinstance(replies, list):  # a node that does not batch answers with one error
            return [dict(replies) for _ in bodies]
        by_id = {reply.get("id"): reply for reply in replies}
        return [dict(by_id.get(body["id"], {"error": {"message": "no reply"}})) for body in bodies]


def next_call_blocks(blocks: int, logs: int, span: int, cap: int) -> int:
    """How many blocks the next ``eth_getLogs`` asks for, after an answer whose last ``blocks`` blocks
    held ``logs`` logs: as many as hold ``cap`` logs at that density, but at most twice as many (the
    blocks ahead may be busier, and a node builds the whole answer it is asked for before sending the
    first log), and within ``[1, span]``."""
    fitting = cap * blocks // logs if logs else 2 * blocks
    return max(1, min(span, 2 * blocks, fitting))


def _in_order(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw logs of two answers over the same blocks, in the chain's order."""
    return sorted(logs, key=lambda log: (int(str(log["blockNumber"]), 16), int(str(log["logIndex"]), 16)))


@dataclass
class _LogsCall:
    """An ``eth_getLogs`` being read piece by piece: its pieces, the addresses it asked for and its last
    block; and the logs, over the rest of its blocks, of contracts added since it was made (read in one
    call once they are added, handed on with the pieces they fall in)."""

    pieces: Iterator[tuple[list[dict[str, Any]], int]]
    wanted: set[str]
    end: int
    added: list[dict[str, Any]] = field(default_factory=list)
    #: Its next piece, being read in a thread.
    reading: Future[tuple[list[dict[str, Any]], int, dict[int, str | None]]] | None = None

    def drop(self) -> None:
        """Closed (its connection dropped) once no thread reads it."""
        pieces = self.pieces
        if self.reading is None or self.reading.done():
            pieces.close()  # type: ignore[attr-defined]
        else:
            self.reading.add_done_callback(lambda _: pieces.close())  # type: ignore[attr-defined]

    def with_added(
        self, chain: Chain, addresses: Sequence[str], found: list[dict[str, Any]], start: int, last: int
    ) -> list[dict[str, Any]]:
        """A piece ``[start, last]`` of this call with the logs of the contracts in ``addresses`` it did not ask for."""
        new = [address for address in addresses if address not in self.wanted]
        if new:
            self.added = _in_order(self.added + chain.logs_between(new, start, self.end))
            self.wanted.update(new)
        if not self.added:
            return found
        cut = next((n for n, log in enumerate(self.added) if int(str(log["blockNumber"]), 16) > last), len(self.added))
        here, self.added = self.added[:cut], self.added[cut:]
        return _in_order(found + here) if here else found


@dataclass(frozen=True)
class SignedTransaction:
    sender: str
    nonce: int
    hash: str
    raw: str
    to: str | None
    max_fee: int | None = None  # EIP-1559 fees, when the caller chose them (sign_priced)
    priority_fee: int | None = None


@dataclass(frozen=True)
class SentTransaction:
    """A transaction as a node knows it: in its pool (``block`` None) or mined."""

    hash: str
    sender: str
    nonce: int
    to: str | None
    data: bytes
    block: int | None


@dataclass(frozen=True)
class RawFields:
    """What a signed transaction asks, read back from its bytes (to sign its replacement)."""

    to: str | None
    data: bytes
    value: int
    gas: int
    max_fee: int
    priority_fee: int


def decode_raw(raw: str) -> RawFields:
    """The fields of a signed EIP-1559 transaction."""
    from eth_account.typed_transactions.typed_transaction import TypedTransaction
    from hexbytes import HexBytes

    fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    to = bytes(fields.get("to") or b"")
    return RawFields(
        to=to_checksum_address(to) if to else None,
        data=bytes(fields["data"]),
        value=int(fields["value"]),
        gas=int(fields["gas"]),
        max_fee=int(fields["maxFeePerGas"]),
        priority_fee=int(fields["maxPriorityFeePerGas"]),
    )


#: How a broadcast ended (:meth:`Chain.offer`), as the node tells when asked about the transaction's
#: hash and its sender's nonce afterwards, never as its error message words it (nodes word the same
#: refusal differently: anvil's "already known", Hardhat's "Known transaction: 0x…", ganache's
#: "transaction underpriced" for a transaction it already has): ``ACCEPTED`` the node has it (pending
#: or mined), ``NONCE_USED`` another transaction was mined at its nonce, ``REFUSED`` neither (too
#: low a fee, too little balance, anything else: the node's words say which).
ACCEPTED, NONCE_USED, REFUSED = "accepted", "nonce used", "refused"


@dataclass(frozen=True)
class RawFacts:
    """Who sent a signed transaction, at which nonce, under which hash: read from its bytes."""

    hash: str
    sender: str
    nonce: int


def raw_facts(raw: str) -> RawFacts:
    """The hash, sender and nonce of a signed transaction (typed or legacy)."""
    import rlp
    from eth_account import Account

    data = bytes.fromhex(raw[2:] if raw.startswith("0x") else raw)
    fields = rlp.decode(data[1:] if data[0] < 0x7F else data)
    nonce_field = fields[1] if data[0] < 0x7F else fields[0]  # typed: [chainId, nonce, …]; legacy: [nonce, …]
    return RawFacts(
        hash="0x" + keccak(data).hex(),
        sender=to_checksum_address(Account.recover_transaction(data)),
        nonce=int.from_bytes(bytes(nonce_field), "big"),
    )


@dataclass(frozen=True)
class Receipt:
    hash: str
    status: int
    block: int
    gas_used: int
    contract_address: str | None
    logs: list[Any]
    effective_gas_price: int = 0  # wei per gas paid (gas_used * this is the cost)


@dataclass(frozen=True)
class Event:
    """A decoded log."""

    name: str
    address: str
    block: int
    transaction: str
    log_index: int
    args: dict[str, Any]


def _event(log: Any) -> Event:
    return Event(
        name=log["event"],
        address=to_checksum_address(log["address"]),
        block=int(log["blockNumber"]),
        transaction="0x" + bytes(log["transactionHash"]).hex(),
        log_index=int(log["logIndex"]),
        args=dict(log["args"]),
    )


def _sent(tx: Any) -> SentTransaction:
    to = tx.get("to")
    block = tx.get("blockNumber")
    return SentTransaction(
        hash="0x" + bytes(tx["hash"]).hex(),
        sender=to_checksum_address(tx["from"]),
        nonce=int(tx["nonce"]),
        to=to_checksum_address(to) if to else None,
        data=bytes(tx["input"]),
        block=int(block) if block is not None else None,
    )


@dataclass(frozen=True, eq=False)
class Read:
    """One view call of a batch (:meth:`Chain.call_many`): ``function`` of ``abi`` on ``address``."""

    address: str
    abi: list[dict[str, Any]]
    function: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True, eq=False)
class ReadResult:
    """What one read of a batch gave: its decoded value (as :meth:`Chain.call` returns it), or why it failed.

    A batch does not stop at a failed read, so each caller decides: ``unwrap`` raises as ``call`` does.
    """

    read: Read
    ok: bool
    value: Any = None
    error: str = ""

    def unwrap(self) -> Any:
        if not self.ok:
            raise RwaError(f"view {self.read.function} on {self.read.address} failed: {self.error}")
        return self.value


#: Output types that decode to what web3 returns with no normalizing (addresses are checksummed apart).
_PLAIN_OUTPUT = ("bool", "uint", "int", "bytes", "string", "address")


def _decoded(item: dict[str, Any], data: bytes) -> Any:
    """Return data as web3's ``call()`` gives it: one value alone, several as a list; checksummed addresses."""
    from eth_abi import decode

    outputs = item.get("outputs", [])
    types = [type_string(o) for o in outputs]
    if len(types) == 1:
        done, value = decode_word(types[0], data)
        if done:
            return value
    values = list(decode(types, data))
    if all(t.startswith(_PLAIN_OUTPUT) and not t.endswith("]") for t in types):
        values = [to_checksum_address(v) if t == "address" else v for t, v in zip(types, values)]
    else:
        from eth_abi.grammar import parse

        values = [_checksummed(parse(t), v) for t, v in zip(types, values)]
    return values[0] if len(values) == 1 else values


def _checksummed(abi_type: Any, value: Any) -> Any:
    """``value`` with its addresses checksummed and its arrays as lists, as web3's return
    normalizers leave it (without importing web3): tuples stay tuples."""
    from eth_abi.grammar import TupleType

    if abi_type.is_array:
        return [_checksummed(abi_type.item_type, item) for item in value]
    if isinstance(abi_type, TupleType):
        return type(value)(_checksummed(c, item) for c, item in zip(abi_type.components, value))
    return to_checksum_address(value) if abi_type.to_type_str() == "address" else value


def _chunks(items: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: web3's contract objects, by connection, then ABI and address: web3 takes tens of milliseconds to
#: build one from a large ABI, and a command (or a test process's commands) asks for the same again.
_CONTRACTS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str | None], Any]] = weakref.WeakKeyDictionary()
_CONTRACTS_KEPT = 512


class Chain:
    """A connected node, seen through the Ape provider.

    One Chain lives for one command (or test session), so facts that cannot change while it is
    connected (chain id, genesis hash) are asked once.
    """

    def __init__(self, provider: ProviderAPI | None, reader: JsonRpc | None = None):
        """Over a connected Ape provider, or (``provider`` None) over a plain JSON-RPC that only
        reads: see :func:`connect_reader` (then ``web3`` is None: what needs it is for senders)."""
        self.provider = provider
        self.web3: Any = None if provider is None else provider.web3
        #: Where raw requests go: the JSON-RPC alone, or web3's provider under Ape's.
        self.rpc: Any = reader if provider is None else provider.web3.provider
        self._multicall: bool | None = None  # is Multicall3 there? asked on first batched read
        self._views: dict[tuple[int, str, int], tuple[list[dict[str, Any]], tuple[dict[str, Any], bytes, list[str]]]] = {}
        #: The hashes of the blocks of the range logs_in_ranges gives now, read right after its logs:
        #: the next block_hashes takes what it asks of them from here (:meth:`logs_in_ranges`).
        self._hashes_ahead: dict[int, str | None] = {}

    @classmethod
    def active(cls) -> Chain:
        from ape import networks

        return cls(networks.provider)

    # --- identity -------------------------------------------------------------------------

    def ask(self, method: str, *params: Any) -> Any:
        """One raw JSON-RPC request's result (a node's error is an RwaError)."""
        return _result(self.rpc_batch([(method, list(params))])[0], method)

    @cached_property
    def chain_id(self) -> int:
        return int(str(self.ask("eth_chainId")), 16)

    @cached_property
    def genesis_hash(self) -> str:
        return str(self.ask("eth_getBlockByNumber", "0x0", False)["hash"])

    @property
    def block_number(self) -> int:
        return int(str(self.ask("eth_blockNumber")), 16)

    # --- reads ----------------------------------------------------------------------------

    def code(self, address: str) -> bytes:
        return self.codes([address])[0]

    def code_hash(self, address: str) -> str | None:
        code = self.code(address)
        return "0x" + keccak(code).hex() if code else None

    def storage_address(self, address: str, slot: int) -> str | None:
        """An address kept in a storage slot (EIP-1967 slots), or None when the slot is empty."""
        return self.storage_addresses([(address, slot)])[0]

    def codes(self, addresses: Sequence[str]) -> list[bytes]:
        """The code of many addresses, in one round trip (a JSON-RPC batch) where the node allows."""
        replies = self.rpc_batch([("eth_getCode", [to_checksum_address(a), "latest"]) for a in addresses])
        return [bytes.fromhex(str(_result(r, "eth_getCode"))[2:]) for r in replies]

    def code_hashes(self, addresses: Sequence[str]) -> list[str | None]:
        return ["0x" + keccak(code).hex() if code else None for code in self.codes(addresses)]

    def storage_addresses(self, slots: Sequence[tuple[str, int]]) -> list[str | None]:
        """:meth:`storage_address` of many (address, slot) pairs, in one round trip."""
        replies = self.rpc_batch([("eth_getStorageAt", [to_checksum_address(a), hex(slot), "latest"]) for a, slot in slots])
        words = [bytes.fromhex(str(_result(r, "eth_getStorageAt"))[2:].rjust(64, "0")) for r in replies]
        return [None if not any(w[-20:]) else to_checksum_address(w[-20:]) for w in words]

    def rpc_batch(self, requests: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Raw JSON-RPC replies to many requests, in order, sent as JSON-RPC batches (one at a time
        when the provider cannot batch). Bypasses web3's middleware: no chain id asked per request."""
        provider = self.rpc
        batch = getattr(provider, "make_batch_request", None)
        replies: list[dict[str, Any]] = []
        for chunk in _chunks(requests):
            if batch is not None and len(chunk) > 1:
                answer = batch(list(chunk))
                if isinstance(answer, list) and len(answer) == len(chunk):
                    replies.extend(dict(a) for a in answer)
                    continue
            replies.extend(dict(provider.make_request(method, params)) for method, params in chunk)
        return replies

    @property
    def has_multicall(self) -> bool:
        """Whether Multicall3 is at its canonical address (asked once per Chain)."""
        if self._multicall is None:
            self._multicall = bool(self.codes([MULTICALL3])[0])
        return self._multicall

    def place_code(self, address: str, code: bytes) -> None:
        """Put runtime code at an address of a local node (``anvil_setCode``); nothing when it is there already."""
        if self.codes([address])[0] == code:
            return
        request = ("anvil_setCode", [to_checksum_address(address), "0x" + code.hex()])
        _result(self.rpc_batch([request])[0], "anvil_setCode")
        if address.lower() == MULTICALL3.lower():
            self._multicall = None

    def send_as_local(self, sender: str, to: str, data: bytes) -> Receipt:
        """Send a call from ``sender`` on a local node, impersonated (``anvil_impersonateAccount``):
        what a contract such as the timelock does to itself, with no key to sign it."""
        sender = to_checksum_address(sender)
        balance = self.balance(sender)  # lent the fee for the call, and given back as it was
        _result(
            self.rpc_batch([("anvil_impersonateAccount", [sender]), ("anvil_setBalance", [sender, hex(balance + 10**18)])])[0],
            "anvil_impersonateAccount",
        )
        try:
            tx = {"from": sender, "to": to_checksum_address(to), "data": "0x" + data.hex()}
            receipt = self.wait(self.web3.eth.send_transaction(tx).to_0x_hex())
        finally:
            self.rpc_batch([("anvil_stopImpersonatingAccount", [sender]), ("anvil_setBalance", [sender, hex(balance)])])
        if receipt.status != 1:
            raise RwaError(f"the call from {sender} to {to} reverted (tx {receipt.hash})")
        return receipt

    def forget_pending(self, sender: str, tx_hash: str) -> None:
        """Take a transaction out of a local node's pool, so it can never be mined later: anvil's
        ``anvil_dropTransaction`` (Hardhat's ``hardhat_dropTransaction``), and where that leaves it
        (anvil keeps a transaction queued behind a gap) ``anvil_removePoolTransactions``, which
        empties the sender's part of the pool. Nothing on a node without these methods."""
        for method in ("anvil_dropTransaction", "hardhat_dropTransaction"):
            if "error" not in dict(self.rpc.make_request(method, [tx_hash])):
                break
        if self.transaction(tx_hash) is not None:
            self.rpc.make_request("anvil_removePoolTransactions", [to_checksum_address(sender)])

    def call_many(self, reads: Sequence[Read]) -> list[ReadResult]:
        """Many view calls at once, each result decoded or its failure kept (a revert does not stop
        the batch): through Multicall3's ``aggregate3`` when the chain has it, else as separate
        ``eth_call`` requests in JSON-RPC batches."""
        encoded: list[tuple[Read, dict[str, Any], bytes] | ReadResult] = []
        for read in reads:
            try:
                if not (len(read.address) == 42 and read.address.startswith("0x") and bytes.fromhex(read.address[2:])):
                    raise ValueError(f"not an address: {read.address!r}")
                item, selector, types = self._view(read)
                encoded.append((read, item, selector + encode_args(types, read.args)))
            except Exception as exc:
                encoded.append(ReadResult(read, False, error=f"cannot encode: {exc}"))
        calls = [e for e in encoded if not isinstance(e, ReadResult)]
        outcomes = iter(self._aggregate(calls) if calls and self.has_multicall else self._eth_calls(calls))
        return [e if isinstance(e, ReadResult) else next(outcomes) for e in encoded]

    def _view(self, read: Read) -> tuple[dict[str, Any], bytes, list[str]]:
        """A view's ABI item, selector and input types, worked out once per ABI and function (a
        status asks the same few views hundreds of times)."""
        key = (id(read.abi), read.function, len(read.args))
        if key not in self._views:
            item = dict(function_abi(read.abi, read.address, read.function, len(read.args)))
            types = [type_string(i) for i in item.get("inputs", [])]
            selector = keccak(text=f"{read.function}({','.join(types)})")[:4]
            self._views[key] = (read.abi, (item, selector, types))  # the ABI kept alive: its id stays its own
        return self._views[key][1]

    def _aggregate(self, calls: Sequence[tuple[Read, dict[str, Any], bytes]]) -> list[ReadResult]:
        requests = [
            (
                "eth_call",
                [
                    {"to": MULTICALL3, "data": "0x" + encode_aggregate3([(r.address, True, d) for r, _, d in chunk]).hex()},
                    "latest",
                ],
            )
            for chunk in _chunks(calls)
        ]
        results: list[ReadResult] = []
        for chunk, reply in zip(_chunks(calls), self.rpc_batch(requests)):
            try:
                outcomes = decode_aggregate3(bytes.fromhex(str(_result(reply, "aggregate3"))[2:]))
            except ValueError as exc:
                raise RwaError(f"Multicall3 at {MULTICALL3} answered oddly: {exc}") from None
            if len(outcomes) != len(chunk):
                raise RwaError(f"Multicall3 at {MULTICALL3} returned {len(outcomes)} results for {len(chunk)} calls")
            results.extend(self._read_result(read, item, ok, out) for (read, item, _), (ok, out) in zip(chunk, outcomes))
        return results

    def _eth_calls(self, calls: Sequence[tuple[Read, dict[str, Any], bytes]]) -> list[ReadResult]:
        requests = [
            ("eth_call", [{"to": to_checksum_address(read.address), "data": "0x" + data.hex()}, "latest"])
            for read, _, data in calls
        ]
        results = []
        for (read, item, _), reply in zip(calls, self.rpc_batch(requests)):
            if "error" in reply:
                error = reply["error"] if isinstance(reply["error"], dict) else {"message": str(reply["error"])}
                data = error.get("data")
                revert = bytes.fromhex(data[2:]) if isinstance(data, str) and data.startswith("0x") else None
                message = revert_text(read.abi, revert) if revert else None
                results.append(ReadResult(read, False, error=message or str(error.get("message") or "reverted")))
            else:
                results.append(self._read_result(read, item, True, bytes.fromhex(str(reply.get("result") or "0x")[2:])))
        return results

    def _read_result(self, read: Read, item: dict[str, Any], ok: bool, data: bytes) -> ReadResult:
        if not ok:
            return ReadResult(read, False, error=revert_text(read.abi, data) or "reverted")
        try:
            return ReadResult(read, True, _decoded(item, data))
        except Exception:
            where = "no data (no contract there?)" if not data else f"undecodable data 0x{data.hex()[:64]}"
            return ReadResult(read, False, error=f"returned {where}")

    def nonce(self, address: str) -> int:
        """The nonce a new transaction of ``address`` takes: past those mined and those the node
        holds in its pool. The ``pending`` count is not trusted to include the pool (ganache's does
        not): the pool is asked too, where the node shows it (:meth:`pooled_nonces`)."""
        counted = self._pending_count(address)
        pooled = self.pooled_nonces(address)
        return max(counted, max(pooled) + 1) if pooled else counted

    def pooled_nonces(self, address: str, queued: bool = False) -> list[int] | None:
        """The nonces of ``address``'s transactions that the node's pool can include next (and,
        with ``queued``, those waiting behind a gap), where the node shows its pool
        (``txpool_contentFrom``, else ``txpool_content``: geth, anvil, ganache); None where it does
        not (Hardhat's node, most public RPCs)."""
        sender = to_checksum_address(address).lower()
        parts = ("pending", "queued") if queued else ("pending",)
        for method, params in (("txpool_contentFrom", [to_checksum_address(address)]), ("txpool_content", [])):
            reply = dict(self.rpc.make_request(method, params))
            result = reply.get("result")
            if "error" in reply or not isinstance(result, dict):
                continue
            pools = [result.get(part) or {} for part in parts]
            if method == "txpool_content":  # every sender's: keep this one's
                pools = [next((txs for who, txs in pool.items() if who.lower() == sender), {}) for pool in pools]
            return sorted(int(n) for pool in pools for n in pool)
        return None

    def _pending_count(self, address: str) -> int:
        """``eth_getTransactionCount(…, "pending")``: mined, plus the pool where the node counts it."""
        return int(str(self.ask("eth_getTransactionCount", to_checksum_address(address), "pending")), 16)

    def gap_before(self, address: str, nonce: int) -> int | None:
        """The first nonce below ``nonce`` that ``address`` has neither mined nor waiting in the
        node's pool, or None: a transaction at ``nonce`` behind such a gap is never mined (the
        node restarted from an older state, or it is another chain). Where the node does not show
        its pool, its ``pending`` count stands for it."""
        mined = self.mined_nonce(address)
        if nonce <= mined:
            return None
        pooled = self.pooled_nonces(address, queued=True)
        if pooled is None:
            counted = self._pending_count(address)
            return counted if counted < nonce else None
        return next((n for n in range(mined, nonce) if n not in pooled), None)

    def balance(self, address: str) -> int:
        return int(self.web3.eth.get_balance(to_checksum_address(address)))

    def gas_price(self) -> int:
        return int(self.web3.eth.gas_price)

    def call(self, address: str, abi: list[dict[str, Any]], function: str, args: Sequence[Any]) -> Any:
        """One view call: a raw eth_call, decoded as web3 would. Not through web3's contract, whose
        middleware asks the node its chain id again on every call and costs several times the call."""
        try:
            read = Read(to_checksum_address(address), abi, function, tuple(args))
            item, selector, types = self._view(read)
            data = selector + encode_args(types, read.args)
        except Exception as exc:
            raise RwaError(f"view {function} on {address} failed: {exc}") from None
        return self._eth_calls([(read, item, data)])[0].unwrap()

    def events(
        self,
        address: str,
        abi: list[dict[str, Any]],
        event: str,
        from_block: int = 0,
        filters: dict[str, Any] | None = None,
    ) -> list[Event]:
        """Every ``event`` the contract emitted since ``from_block``, decoded, oldest first."""
        contract = self._contract(abi, to_checksum_address(address))
        try:
            logs = contract.events[event].get_logs(from_block=from_block, argument_filters=filters)
        except Exception as exc:
            raise RwaError(f"cannot read {event} events of {address}: {describe_revert(exc)}") from None
        return [_event(log) for log in logs]

    def decode_events(self, receipt: Receipt, abi: list[dict[str, Any]], event: str) -> list[Event]:
        """The ``event`` logs of a receipt (from any emitter whose ABI has that event)."""
        from web3._utils.events import get_event_data

        abi_item = next((i for i in abi if i.get("type") == "event" and i.get("name") == event), None)
        if abi_item is None:
            raise RwaError(f"the ABI has no event {event}")
        topic = "0x" + keccak(text=signature(abi_item)).hex()
        found = []
        for log in receipt.logs:
            topics = ["0x" + bytes(t).hex() for t in log["topics"]]
            if topics and topics[0] == topic:
                found.append(_event(get_event_data(self.web3.codec, abi_item, log)))
        return found

    # --- logs and blocks, raw (the watcher) -------------------------------------------------

    def logs(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        """Raw ``eth_getLogs`` of ``addresses`` over ``[from_block, to_block]``, as the node gives them
        (hex fields); :class:`RangeRefused` when the node refuses the range as too large."""
        query = {"address": [to_checksum_address(a) for a in addresses], "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        reply = dict(self.rpc.make_request("eth_getLogs", [query]))
        if "error" in reply:
            error = reply["error"]
            message = str(error.get("message") if isinstance(error, dict) else error)
            if any(hint in message.lower() for hint in RANGE_REFUSALS):
                raise RangeRefused(message)
            raise RwaError(f"eth_getLogs failed: {message}")
        return list(reply.get("result") or [])

    def log_pieces(
        self, addresses: Sequence[str], from_block: int, to_block: int, cap: int
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Raw logs of ``addresses`` over ``[from_block, to_block]`` from one ``eth_getLogs``, handed on in
        pieces as the answer arrives: ``(logs, last)``, a piece ending at the block where its ``cap``-th
        log is (that block whole), the last one at ``to_block``. Memory stays bounded by ``cap`` logs and
        one block's, whatever the range, and nothing the node built is dropped: the node builds the whole
        answer it was asked for, so an answer larger than wanted is read on rather than asked again in
        smaller ranges. Closing the iterator drops the connection. :class:`RangeRefused` as :meth:`logs`."""
        if not isinstance(self.rpc, JsonRpc):
            yield self.logs(addresses, from_block, to_block), to_block
            return
        # The addresses as given (a node takes any case; checksumming thousands per range costs).
        query = {"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        items = self.rpc.stream("eth_getLogs", [query])
        try:
            found: list[dict[str, Any]] = []
            cut: int | None = None  # the block being completed once ``cap`` logs are in
            ordered = True
            for item in items:
                if cut is not None:
                    block = int(str(item["blockNumber"]), 16)
                    if block > cut:
                        yield found, cut
                        found, cut = [], None
                    elif block < cut:
                        ordered, cut = False, None  # not in block order: the rest is read whole
                found.append(item)
                if cut is None and ordered and len(found) >= cap:
                    cut = int(str(item["blockNumber"]), 16)
        except jsonstream.ReplyError as exc:
            message = str(exc)
            if any(hint in message.lower() for hint in RANGE_REFUSALS):
                raise RangeRefused(message) from None
            raise RwaError(f"eth_getLogs failed: {message}") from None
        finally:
            items.close()  # type: ignore[attr-defined]
        yield found, to_block

    def logs_between(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        """Every raw log of ``addresses`` over ``[from_block, to_block]`` (a range whose logs the caller
        holds anyway: the watcher's current one), in as few calls as the node allows: a refused range is
        halved. Unlike :meth:`logs_in_ranges`, no slow start and nothing fetched ahead (the caller's
        ranges keep theirs)."""
        found: list[dict[str, Any]] = []
        start, end = from_block, to_block
        while start <= to_block:
            try:
                for logs, _ in self.log_pieces(addresses, start, end, LOGS_PER_RANGE):
                    found += logs
            except RangeRefused:
                if end == start:
                    raise RwaError(f"the node refuses eth_getLogs even for block {start} alone") from None
                end = start + (end - start) // 2
                continue
            start, end = end + 1, to_block
        return found

    def logs_in_ranges(
        self, addresses: Sequence[str], from_block: int, to_block: int, span: int, first: int = 1
    ) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
        """``(first, last, logs)`` ranges covering ``[from_block, to_block]`` in order, of about
        ``LOGS_PER_RANGE`` logs each: the pieces (:meth:`log_pieces`) of calls of at most ``span``
        blocks, each call as long as :func:`next_call_blocks` says from the density of the answer
        before it (the first is ``first`` blocks: one, as how many logs a block holds is unknown until
        asked, unless the caller knows its logs are sparse); a call the node refuses as too large is
        halved (down to one block).

        The next piece, and the first of the next call (``CALLS_AHEAD``), are read (in threads) while
        the caller works on this one, so the node's time and the caller's overlap, each with the hashes
        of its blocks (which the caller's next :meth:`block_hashes` of them takes: asked of the node
        while it serves the next piece, they would wait for it). ``addresses`` is read before each call: a caller that adds to it
        (contracts it discovered) has the following calls made with them too, and the logs of the
        added contracts in a piece read with the older list are read beside it."""

        def read(pieces: Iterator[tuple[list[dict[str, Any]], int]]) -> tuple[list[dict[str, Any]], int, dict[int, str | None]]:
            found, last = next(pieces)
            hashes = (
                self._block_hashes(sorted({int(block, 16) for block in {log["blockNumber"] for log in found}} | {last}))
                if isinstance(self.rpc, JsonRpc)
                else {}
            )
            return found, last, hashes

        pool = ThreadPoolExecutor(max_workers=CALLS_AHEAD, thread_name_prefix="rwa-logs")
        calls: deque[_LogsCall] = deque()  # made and not read to their end, in block order: the first is read now

        def open_call(start: int, blocks: int) -> None:
            wanted = list(addresses)
            end = min(to_block, start + blocks - 1)
            call = _LogsCall(self.log_pieces(wanted, start, end, LOGS_PER_RANGE), set(wanted), end)
            call.reading = pool.submit(read, call.pieces)
            calls.append(call)

        try:
            blocks = max(1, min(span, first))
            start = from_block
            while start <= to_block:
                self._hashes_ahead = {}
                if not calls:
                    open_call(start, blocks)
                call = calls[0]
                assert call.reading is not None
                try:
                    found, last, hashes = call.reading.result()
                except RangeRefused:
                    if call.end == start:
                        raise RwaError(f"the node refuses eth_getLogs even for block {start} alone") from None
                    blocks = max(1, (call.end - start + 1) // 2)
                    while calls:
                        calls.popleft().drop()
                    continue
                if last < call.end:
                    call.reading = pool.submit(read, call.pieces)  # the same answer goes on
                else:
                    calls.popleft()
                    blocks = next_call_blocks(last - start + 1, len(found), span, LOGS_PER_RANGE)
                while len(calls) < CALLS_AHEAD and (made := calls[-1].end if calls else last) < to_block:
                    open_call(made + 1, blocks)
                found = call.with_added(self, addresses, found, start, last)  # contracts the caller added since
                self._hashes_ahead = hashes
                yield start, last, found
                start = last + 1
        finally:
            self._hashes_ahead = {}
            pool.shutdown(wait=False, cancel_futures=True)  # what was read ahead for nothing is dropped
            while calls:
                calls.popleft().drop()

    def block_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        """The hash of each block (None for a block the node does not have yet), in one round trip
        (none for those of the range :meth:`logs_in_ranges` gives now, read just after its logs)."""
        ahead, self._hashes_ahead = self._hashes_ahead, {}
        found = {n: ahead[n] for n in numbers if n in ahead}
        missing = [n for n in numbers if n not in ahead]
        return {**found, **self._block_hashes(missing)} if missing else found

    def _block_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        replies = self.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        found: dict[int, str | None] = {}
        for number, reply in zip(numbers, replies):
            block = _result(reply, "eth_getBlockByNumber")
            found[number] = str(block["hash"]) if block else None
        return found

    def block_times(self, numbers: Sequence[int]) -> dict[int, int]:
        """The timestamp of each block, in one round trip."""
        replies = self.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {n: int(_result(r, "eth_getBlockByNumber")["timestamp"], 16) for n, r in zip(numbers, replies)}

    def head(self) -> int:
        """The latest block number, asked as a raw request (no middleware, no retries)."""
        return int(str(_result(dict(self.rpc.make_request("eth_blockNumber", [])), "eth_blockNumber")), 16)

    def transaction_inputs(self, hashes: Sequence[str]) -> dict[str, tuple[str | None, bytes]]:
        """``(to, input)`` of mined transactions by hash, in one round trip."""
        replies = self.rpc_batch([("eth_getTransactionByHash", [h]) for h in hashes])
        found: dict[str, tuple[str | None, bytes]] = {}
        for tx_hash, reply in zip(hashes, replies):
            tx = _result(reply, "eth_getTransactionByHash") or {}
            to = tx.get("to")
            found[tx_hash] = (to_checksum_address(to) if to else None, bytes.fromhex(str(tx.get("input") or "0x")[2:]))
        return found

    def timestamp(self, block: int | str = "latest") -> int:
        return int(str(self.ask("eth_getBlockByNumber", hex(block) if isinstance(block, int) else block, False)["timestamp"]), 16)

    # --- encoding -------------------------------------------------------------------------

    def _contract(self, abi: list[dict[str, Any]], address: str | None = None) -> Any:
        """web3's contract for ``abi`` (at ``address``), built once per connection, ABI and address."""
        kept = _CONTRACTS.setdefault(self.web3, {})
        key = (json.dumps(abi, separators=(",", ":")), address)
        contract = kept.get(key)
        if contract is None:
            contract = self.web3.eth.contract(abi=abi) if address is None else self.web3.eth.contract(address=address, abi=abi)
            if len(kept) >= _CONTRACTS_KEPT:
                del kept[next(iter(kept))]
            kept[key] = contract
        return contract

    def encode_call(self, abi: list[dict[str, Any]], function: str, args: Sequence[Any]) -> bytes:
        contract = self._contract(abi)
        try:
            return bytes.fromhex(contract.encode_abi(function, list(args))[2:])
        except Exception as exc:
            raise RwaError(f"cannot encode {function}({', '.join(map(repr, args))}): {exc}") from None

    def encode_deploy(self, abi: list[dict[str, Any]], bytecode: bytes, args: Sequence[Any]) -> bytes:
        contract = self.web3.eth.contract(abi=abi, bytecode=bytecode)
        try:
            return bytes.fromhex(contract.constructor(*args).data_in_transaction[2:])
        except Exception as exc:
            raise RwaError(f"cannot encode constructor arguments {list(args)!r}: {exc}") from None

    # --- writes ---------------------------------------------------------------------------

    def sign(
        self, account: AccountAPI, to: str | None, data: bytes, nonce: int, value: int = 0, gas: int | None = None
    ) -> SignedTransaction:
        """Build, estimate (unless ``gas`` is given) and sign a transaction at the node's suggested fees;
        nothing is broadcast."""
        return self._sign(account, to, data, nonce, {"value": value} if gas is None else {"value": value, "gas_limit": gas})

    def _sign(self, account: AccountAPI, to: str | None, data: bytes, nonce: int, extra: dict[str, Any]) -> SignedTransaction:
        """Build (``extra``: value, fees, gas), estimate what is missing, and sign."""
        if self.provider is None:
            raise RwaError("this connection only reads: it cannot sign")
        ecosystem = self.provider.network.ecosystem
        fields: dict[str, Any] = {"data": data, "nonce": nonce, "chain_id": self.chain_id, **extra}
        if to is not None:
            fields["receiver"] = to_checksum_address(to)
        txn = ecosystem.create_transaction(sender=account.address, **fields)
        try:
            txn = account.prepare_transaction(txn)
        except Exception as exc:
            raise RwaError(f"transaction would fail: {describe_revert(exc)}") from None
        signed = account.sign_transaction(txn)
        if signed is None:
            raise RwaError(f"account {account.address} declined to sign")
        return SignedTransaction(
            sender=to_checksum_address(account.address),
            nonce=nonce,
            hash="0x" + bytes(signed.txn_hash).hex(),
            raw="0x" + signed.serialize_transaction().hex(),
            to=to,
            max_fee=extra.get("max_fee"),
            priority_fee=extra.get("max_priority_fee"),
        )

    def broadcast(self, raw: str) -> None:
        """Send a signed transaction once: nothing when the node already has it; a refusal, or its
        nonce taken by another transaction, is one line (see :meth:`offer`)."""
        status, said = self.offer(raw)
        if status == NONCE_USED:
            facts = raw_facts(raw)
            raise RwaError(
                f"nonce {facts.nonce} of {facts.sender} is already used by another transaction; {facts.hash} was not sent"
            )
        if status == REFUSED:
            raise RwaError(f"the node refused the transaction: {said}")

    # --- the pool, nonces and fees (resuming on live networks) ------------------------------

    def mined_nonce(self, address: str) -> int:
        """Transactions of ``address`` already mined (``nonce`` counts the pool's too)."""
        return int(self.web3.eth.get_transaction_count(to_checksum_address(address), "latest"))

    def base_fee(self) -> int:
        """The base fee the next block will charge."""
        pending = self.web3.eth.get_block("pending")
        fee = pending.get("baseFeePerGas")
        if fee is None:
            fee = self.web3.eth.get_block("latest").get("baseFeePerGas") or 0
        return int(fee)

    def suggested_priority_fee(self) -> int:
        try:
            return int(self.web3.eth.max_priority_fee)
        except Exception:
            return 10**9  # nodes without eth_maxPriorityFeePerGas: 1 gwei

    def transaction(self, tx_hash: str) -> SentTransaction | None:
        """A transaction the node knows (pending or mined), or None: dropped or never seen."""
        if self.web3 is None:  # a reader (`rwa verify`): the node's own answer, read as web3 would
            [reply] = self.rpc_batch([("eth_getTransactionByHash", [tx_hash])])
            found = _result(reply, "eth_getTransactionByHash")
            if not found:
                return None
            block = found.get("blockNumber")
            return _sent(
                {
                    **found,
                    "hash": bytes.fromhex(found["hash"][2:]),
                    "nonce": int(found["nonce"], 16),
                    "input": bytes.fromhex(found["input"][2:]),
                    "blockNumber": None if block is None else int(block, 16),
                }
            )
        from web3.exceptions import TransactionNotFound

        try:
            tx = self.web3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return None
        return _sent(tx)

    def sent_by(self, sender: str, from_block: int, nonces: set[int] | None = None) -> list[SentTransaction]:
        """The mined transactions of ``sender`` from ``from_block`` on (those at ``nonces`` only),
        oldest first: how a crash's or another operator's transactions are found when no journal
        names them. The blocks that hold them are found by bisecting the sender's nonce over the
        range (a few dozen reads per transaction, however long ago), and only those are read; a
        node that keeps no old state gets a block-by-block read instead."""
        from web3.exceptions import Web3Exception

        sender = to_checksum_address(sender)
        head = self.block_number
        blocks: Sequence[int]
        try:
            blocks = self.blocks_sending(sender, max(from_block, 0), head, nonces)
        except (Web3Exception, ValueError, OSError):  # eth_getTransactionCount at an old block: no archive
            blocks = range(max(from_block, 0), head + 1)
        found: list[SentTransaction] = []
        for number in blocks:
            block = self.web3.eth.get_block(number, full_transactions=True)
            found.extend(
                _sent(tx)
                for tx in block["transactions"]
                if to_checksum_address(tx["from"]) == sender and (nonces is None or int(tx["nonce"]) in nonces)
            )
        return found

    def blocks_sending(self, sender: str, first: int, last: int, nonces: set[int] | None = None) -> list[int]:
        """The blocks in ``first..last`` where ``sender``'s nonce moves (past one of ``nonces``)."""

        def nonce_after(block: int) -> int:
            if block < 0:
                return 0
            return int(self.web3.eth.get_transaction_count(sender, block))

        def wanted(low: int, high: int) -> bool:  # nonces low..high-1 were used in the range
            return high > low and (nonces is None or any(low <= n < high for n in nonces))

        found: list[int] = []
        pending = [(first, last, nonce_after(first - 1), nonce_after(last))]
        while pending:
            low_block, high_block, low, high = pending.pop()
            if not wanted(low, high):
                continue
            if low_block == high_block:
                found.append(low_block)
                continue
            middle = (low_block + high_block) // 2
            at_middle = nonce_after(middle)
            pending.append((middle + 1, high_block, at_middle, high))
            pending.append((low_block, middle, low, at_middle))
        return found

    def sign_priced(
        self,
        account: AccountAPI,
        to: str | None,
        data: bytes,
        nonce: int,
        max_fee: int,
        priority_fee: int,
        gas: int | None = None,
        value: int = 0,
    ) -> SignedTransaction:
        """Sign an EIP-1559 transaction at the fees given (and gas, for a replacement); nothing
        is broadcast."""
        extra: dict[str, Any] = {"value": value, "type": 2, "max_fee": max_fee, "max_priority_fee": priority_fee}
        if gas is not None:
            extra["gas_limit"] = gas
        return self._sign(account, to, data, nonce, extra)

    def offer(self, raw: str) -> tuple[str, str]:
        """Broadcast a signed transaction unless the node has it already, and tell how it ended
        (``ACCEPTED``, ``NONCE_USED``, ``REFUSED``) with the node's words, if any, as one line.

        The node is asked before (so a transaction it holds is never sent again) and, after a
        refusal, asked again about the hash and the sender's mined nonce: what the refusal means is
        decided by those answers, whatever the node's wording."""
        facts = raw_facts(raw)
        if self.transaction(facts.hash) is not None:
            return ACCEPTED, ""
        if self.mined_nonce(facts.sender) > facts.nonce:
            return NONCE_USED, ""
        try:
            self.web3.eth.send_raw_transaction(raw)
        except Exception as exc:
            said = node_message(exc)
            if self.transaction(facts.hash) is not None:
                return ACCEPTED, said
            if self.mined_nonce(facts.sender) > facts.nonce:
                return NONCE_USED, said
            return REFUSED, said
        return ACCEPTED, ""

    def receipt(self, tx_hash: str) -> Receipt | None:
        from web3.exceptions import TransactionNotFound

        try:
            raw = self.web3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        address = raw.get("contractAddress")
        return Receipt(
            hash=tx_hash,
            status=int(raw["status"]),
            block=int(raw["blockNumber"]),
            gas_used=int(raw["gasUsed"]),
            contract_address=to_checksum_address(address) if address else None,
            logs=list(raw["logs"]),
            effective_gas_price=int(raw.get("effectiveGasPrice") or 0),
        )

    def wait(self, tx_hash: str, timeout: float = 180.0) -> Receipt:
        """The receipt once mined: asked at once (an instant-mining node), then with a growing
        pause up to ``MAX_POLL_SECONDS``, so a block is seen soon after it lands at any block time."""
        deadline = time.monotonic() + timeout
        delay = FIRST_POLL_SECONDS
        while True:
            found = self.receipt(tx_hash)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise RwaError(f"transaction {tx_hash} not mined after {timeout:.0f}s; rerun to resume")
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, MAX_POLL_SECONDS)

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int = 0) -> tuple[int | None, str]:
        """``eth_estimateGas`` of a creation (``to`` None) or a call: (gas, "") or (None, why not)."""
        tx: dict[str, Any] = {"from": to_checksum_address(sender), "data": "0x" + data.hex(), "value": value}
        if to is not None:
            tx["to"] = to_checksum_address(to)
        try:
            return int(self.web3.eth.estimate_gas(tx)), ""
        except Exception as exc:
            return None, f"would revert: {describe_revert(exc)}"

    def simulate(
        self, sender: str, address: str, abi: list[dict[str, Any]], function: str, args: Sequence[Any], value: int = 0
    ) -> None:
        """Run a transaction as a call first; a revert becomes one line naming the custom error."""
        data = self.encode_call(abi, function, args)
        call = {"from": to_checksum_address(sender), "to": to_checksum_address(address), "data": data, "value": value}
        try:
            self.web3.eth.call(call)
        except Exception as exc:
            raise RwaError(f"{function} refused: {decode_revert(abi, exc)}") from None

    def transact(
        self,
        account: AccountAPI,
        address: str,
        abi: list[dict[str, Any]],
        function: str,
        args: Sequence[Any],
        value: int = 0,
        gas: int | None = None,
    ) -> Receipt:
        """Simulate, sign, send and wait for one contract call (``gas``: its limit, else estimated)."""
        self.simulate(account.address, address, abi, function, args, value)
        data = self.encode_call(abi, function, args)
        signed = self.sign(account, address, data, self.nonce(account.address), value, gas)
        self.broadcast(signed.raw)
        receipt = self.wait(signed.hash)
        if receipt.status != 1:
            raise RwaError(f"{function} reverted in {signed.hash}: {self.revert_reason(signed)}")
        return receipt

    def revert_reason(self, signed: SignedTransaction) -> str:
        """Replay a reverted transaction as a call to learn why it failed."""
        tx = self.web3.eth.get_transaction(signed.hash)
        try:
            self.web3.eth.call(
                {"from": tx["from"], "to": tx.get("to"), "data": tx["input"], "value": tx["value"]},
                tx["blockNumber"] - 1,
            )
        except Exception as exc:
            return describe_revert(exc)
        return "reverted"


def _result(reply: dict[str, Any], what: str) -> Any:
    """The result of a raw JSON-RPC reply, or an RwaError with the node's message."""
    if "error" in reply:
        error = reply["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise RwaError(f"{what} failed: {message}")
    return reply.get("result")


LOCAL_FOUNDRY = "ethereum:local:foundry"


def _local_foundry_context() -> Any:
    """The anvil provider, built directly: resolving it by name imports every provider plugin,
    Ape's in-process EVM among them, which costs a second on each command."""
    from ape import networks
    from ape.api.networks import ProviderContextManager
    from ape_foundry.provider import FoundryProvider

    return ProviderContextManager(provider=FoundryProvider(name="foundry", network=networks.ethereum.local))


@contextmanager
def connect_reader(rpc_url: str) -> Iterator[Chain]:
    """A Chain that only reads, over plain JSON-RPC: no Ape provider is connected and no web3 built
    (Ape's network and chain managers, and web3, cost about a second of imports on each command), so
    it cannot sign. For commands
    that only read a local chain (status, deploy --plan), whose node the caller has started."""
    yield Chain(None, JsonRpc(rpc_url))


@contextmanager
def connect(ape_choice: str, rpc_url: str | None = None) -> Iterator[Chain]:
    """Connect to a network by Ape choice (``ethereum:sepolia:node``) and yield its Chain."""
    from ape import networks

    quiet_ape()
    choice = ape_choice
    if rpc_url:
        ecosystem, network = ape_choice.split(":")[:2]
        choice = f"{ecosystem}:{network}:{rpc_url}"
    try:
        context = _local_foundry_context() if choice == LOCAL_FOUNDRY else networks.parse_network_choice(choice)
        provider = context.__enter__()
    except Exception as exc:
        where = rpc_url or ape_choice
        raise RwaError(f"cannot connect to {where}: {describe_revert(exc)}") from None
    try:
        yield Chain(provider)
    finally:
        context.__exit__(None, None, None)
