"""The watcher's backfill path, without a chain: answers read as they arrive, ranges cut by the logs
they return (against a loopback node), events decoded by plans as eth_abi decodes them, and events
written once to either store."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from rwa.chain import client
from rwa.chain.client import Chain, JsonRpc, next_call_blocks
from rwa.chain.jsonstream import ReplyError, result_items
from rwa.core.abi import checksummed, jsonable, signature
from rwa.core.errors import RwaError
from rwa.testing import environment
from rwa.watch.compose import Composer
from rwa.watch.rules import Decoder, Log, Subject
from rwa.watch.store import StoredEvent, open_store
from rwa.watch.watcher import YOUNG_COLLECTION, fewer_collections

WATCHED, OTHER, LATE = (to_checksum_address("0x" + c * 40) for c in "abc")


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[n : n + size] for n in range(0, len(body), size)]


@pytest.mark.parametrize("size", [3, 300, 1 << 20])
def test_a_streamed_answer_gives_what_parsing_it_whole_gives(size: int) -> None:
    logs = [{"blockNumber": hex(n), "topics": ["0x" + "ab" * 32], "data": "0x", "removed": False} for n in range(200)]
    nested = [{"a": [{"b": n}, {"c": "},{"}], "s": "}, {é"} for n in range(50)]  # "}," inside: parsed one by one
    for reply in (
        {"jsonrpc": "2.0", "id": 1, "result": logs},
        {"id": 7, "result": nested, "jsonrpc": "2.0"},
        {"result": logs, "id": 2},  # another order of members
        {"jsonrpc": "2.0", "id": 1, "result": []},
        {"jsonrpc": "2.0", "id": 1, "result": None},
    ):
        for body in (json.dumps(reply), json.dumps(reply, indent=2), json.dumps(reply, separators=(",", ":"))):
            assert list(result_items(chunked(body.encode(), size))) == (reply["result"] or [])


def test_a_streamed_error_or_cut_answer_is_refused() -> None:
    with pytest.raises(ReplyError, match=r"^query returned more than 10000 results \[x\]$") as refused:
        list(
            result_items(
                [b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query returned more than 10000 results [x]"}}']
            )
        )
    assert refused.value.error["code"] == -32005
    with pytest.raises(RwaError, match="ended mid-way"):
        list(result_items(chunked(b'{"jsonrpc":"2.0","id":1,"result":[{"a":1},{"b":', 5)))


# --- ranges against a loopback node --------------------------------------------------------------


class Node:
    """A node's eth_getLogs over blocks holding ``counts[n]`` logs of WATCHED (and one of OTHER in
    each block), LATE's logs in the blocks ``late``; it refuses ranges of more than ``refuse_over``
    logs as a public RPC does, and counts the logs it served."""

    def __init__(self, counts: list[int], late: set[int] = frozenset(), refuse_over: int | None = None):  # type: ignore[assignment]
        self.refuse_over = refuse_over
        self.calls = self.served = 0
        self.logs: list[dict[str, Any]] = []
        for block, count in enumerate(counts):
            emitters = [WATCHED] * count + [OTHER] + ([LATE] if block in late else [])
            for index, address in enumerate(emitters):
                self.logs.append(
                    {"address": address.lower(), "blockNumber": hex(block), "logIndex": hex(index), "topics": [], "data": "0x"}
                )

    def answer(self, query: dict[str, Any]) -> dict[str, Any]:
        wanted = {a.lower() for a in query["address"]}
        first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        found = [log for log in self.logs if log["address"] in wanted and first <= int(log["blockNumber"], 16) <= last]
        if self.refuse_over is not None and len(found) > self.refuse_over:
            return {"error": {"code": -32005, "message": f"query returned more than {self.refuse_over} results"}}
        self.calls += 1
        self.served += len(found)
        return {"result": found}


@pytest.fixture
def serve() -> Iterator[Any]:
    servers = []

    def start(node: Node) -> Chain:
        def reply(request: dict[str, Any]) -> dict[str, Any]:
            if request["method"] == "eth_getBlockByNumber":  # the hashes of a range's blocks
                return {"jsonrpc": "2.0", "id": request["id"], "result": {"hash": f"0x{int(request['params'][0], 16):064x}"}}
            return {"jsonrpc": "2.0", "id": request["id"], **node.answer(request["params"][0])}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body = json.dumps([reply(r) for r in request] if isinstance(request, list) else reply(request)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the reader had enough and hung up

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        environment.server_thread(server).start()
        servers.append(server)
        return Chain(None, JsonRpc(f"http://127.0.0.1:{server.server_address[1]}"))

    yield start
    for server in servers:
        server.shutdown()


def keys(logs: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(int(log["blockNumber"], 16), int(log["logIndex"], 16)) for log in logs]


@pytest.mark.parametrize("start", [0, 40])
def test_ranges_are_cut_by_the_logs_they_return_whatever_the_start(serve: Any, monkeypatch: Any, start: int) -> None:
    monkeypatch.setattr(client, "LOGS_PER_RANGE", 100)
    # Quiet blocks (the span grows), then a run of busy ones it would take in one range.
    counts = [0] * 50 + [30] * 40 + [0] * 20 + [2] * 30
    node = Node(counts)
    chain = serve(node)
    ranges = list(chain.logs_in_ranges([WATCHED], start, len(counts) - 1, span=64))
    assert ranges[0][0] == start and ranges[-1][1] == len(counts) - 1
    assert all(later[0] == earlier[1] + 1 for earlier, later in zip(ranges, ranges[1:]))  # contiguous, in order
    got = [log for _, _, logs in ranges for log in logs]
    expected = [log for log in node.logs if log["address"] == WATCHED.lower() and int(log["blockNumber"], 16) >= start]
    assert keys(got) == keys(expected)  # every log once, in order
    assert max(len(logs) for _, _, logs in ranges) <= 100 + 30  # the cap and the rest of one block
    assert all(int(log["blockNumber"], 16) <= last for _, last, logs in ranges for log in logs)
    # The call that reached the busy blocks from quiet ones was read on, not asked again in smaller ranges.
    assert node.served == len(expected)


def test_the_next_call_asks_for_the_blocks_that_hold_the_cap_at_the_density_last_seen_growing_at_most_twofold() -> None:
    cap, span = 10_000, 2000
    assert next_call_blocks(1, 0, span, cap) == 2  # quiet: twice as many
    assert next_call_blocks(1500, 3, span, cap) == span
    assert next_call_blocks(1, 5_000, span, cap) == 2  # 5,000 logs a block: two blocks hold the cap
    assert next_call_blocks(2, 10_000, span, cap) == 2
    assert next_call_blocks(100, 1_000, span, cap) == 200  # 1,000 blocks would hold it, the next may be busier
    assert next_call_blocks(100, 8_000, span, cap) == 125
    assert next_call_blocks(4, 30_000, span, cap) == 1
    assert next_call_blocks(1, 50_000, span, cap) == 1  # one block over the cap: one block still


@given(st.integers(1, 5000), st.integers(0, 10**6), st.integers(1, 5000), st.integers(1, 20_000))
def test_no_call_asks_for_more_blocks_than_hold_the_cap_at_the_density_last_seen(
    blocks: int, logs: int, span: int, cap: int
) -> None:
    following = next_call_blocks(blocks, logs, span, cap)
    assert 1 <= following <= min(span, 2 * blocks)
    assert following == 1 or following * logs <= cap * blocks  # the cap's worth of blocks at that density
    if logs * 2 <= cap:
        assert following == min(span, 2 * blocks)  # quiet: grows twofold up to the span


def test_logs_known_to_be_sparse_are_asked_for_a_span_at_a_time_from_the_first_call(serve: Any) -> None:
    node = Node([1] * 100)  # the factories' logs of the blocks before --from
    ranges = list(serve(node).logs_in_ranges([WATCHED], 0, 99, span=64, first=64))
    assert [(first, last) for first, last, _ in ranges] == [(0, 63), (64, 99)] and node.calls == 2


def test_the_hashes_of_a_range_come_with_it_and_only_for_it(serve: Any) -> None:
    chain = serve(Node([3] * 10))
    ranges = chain.logs_in_ranges([WATCHED], 0, 9, span=4)
    first, last, _ = next(ranges)
    asked = []
    chain._block_hashes = lambda numbers: asked.append(list(numbers)) or {n: "fresh" for n in numbers}  # type: ignore[method-assign]
    assert chain.block_hashes([first, last, 50]) == {first: f"0x{first:064x}", last: f"0x{last:064x}", 50: "fresh"}
    assert asked == [[50]]  # read with the range: not asked again
    assert chain.block_hashes([last]) == {last: "fresh"}  # taken once: a later look asks the node
    ranges.close()
    assert chain.block_hashes([first]) == {first: "fresh"}


def test_a_refused_range_is_halved_and_added_contracts_join_the_next_ranges(serve: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(client, "LOGS_PER_RANGE", 1000)
    counts = [5] * 100
    node = Node(counts, late={10, 60, 99}, refuse_over=40)
    chain = serve(node)
    addresses = [WATCHED]
    got = []
    for first, last, logs in chain.logs_in_ranges(addresses, 0, 99, span=64):
        assert len(logs) <= 40
        got += logs
        if first <= 30 <= last:
            addresses.append(LATE)  # discovered here: the following ranges are fetched with it
    late = [int(log["blockNumber"], 16) for log in got if log["address"] == LATE.lower()]
    assert late == [60, 99]
    assert len([log for log in got if log["address"] == WATCHED.lower()]) == 500


def test_a_range_read_whole_goes_on_past_cut_answers_and_halves_refused_ones_leaving_the_hashes_ahead(
    serve: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(client, "LOGS_PER_RANGE", 30)
    node = Node([7] * 40, refuse_over=50)
    chain = serve(node)
    ranges = chain.logs_in_ranges([WATCHED], 0, 39, span=64)
    first, last, _ = next(ranges)
    kept = dict(chain._hashes_ahead)
    found = chain.logs_between([WATCHED], 0, 39)  # the watcher's fetch of contracts it discovered
    expected = [log for log in node.logs if log["address"] == WATCHED.lower()]
    assert keys(found) == keys(expected) and chain._hashes_ahead == kept  # the range's hashes stay for its caller
    ranges.close()


# --- decoding -------------------------------------------------------------------------------------

EVENT = {
    "type": "event",
    "name": "Everything",
    "anonymous": False,
    "inputs": [
        {"name": "who", "type": "address", "indexed": True},
        {"name": "tag", "type": "string", "indexed": True},
        {"name": "small", "type": "int8", "indexed": True},
        {"name": "amount", "type": "uint256", "indexed": False},
        {"name": "delta", "type": "int256", "indexed": False},
        {"name": "flag", "type": "bool", "indexed": False},
        {"name": "id", "type": "bytes32", "indexed": False},
        {"name": "selector", "type": "bytes4", "indexed": False},
        {"name": "", "type": "uint64", "indexed": False},
    ],
}
DYNAMIC = {
    "type": "event",
    "name": "Dynamic",
    "anonymous": False,
    "inputs": [
        {"name": "who", "type": "address", "indexed": False},
        {"name": "note", "type": "string", "indexed": False},
        {"name": "amounts", "type": "uint256[]", "indexed": False},
        {
            "name": "pair",
            "type": "tuple",
            "indexed": False,
            "components": [{"name": "a", "type": "address"}, {"name": "b", "type": "bool"}],
        },
    ],
}


def raw_log(item: dict[str, Any], topics: list[bytes], values: list[Any]) -> dict[str, Any]:
    plain = [i for i in item["inputs"] if not i["indexed"]]
    types = [signature({"name": "", "inputs": [i]})[1:-1] for i in plain]
    return {
        "address": WATCHED.lower(),
        "blockNumber": "0x2a",
        "logIndex": "0x3",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "removed": False,
        "data": "0x" + encode(types, values).hex(),
        "topics": ["0x" + keccak(text=signature(item)).hex(), *("0x" + t.hex() for t in topics)],
    }


@pytest.mark.parametrize(
    "amount, delta, flag", [(0, 0, False), (2**53 - 1, -1, True), (2**256 - 1, -(2**255), True), (2**53, 2**255 - 1, False)]
)
def test_plans_decode_as_eth_abi_and_write_the_json_json_dumps_writes(amount: int, delta: int, flag: bool) -> None:
    decoder = Decoder({}, {"Kind": [EVENT, DYNAMIC]})
    subject = Subject(WATCHED, "w", "Kind")
    who = "0x" + "ab" * 20
    topics = [bytes(12) + bytes.fromhex(who[2:]), keccak(text="a tag"), (-5).to_bytes(32, "big", signed=True)]
    log = decoder.decode(subject, raw_log(EVENT, topics, [amount, delta, flag, b"\x07" * 32, b"\xde\xad\xbe\xef", 64]))
    assert log is not None and log.name == "Everything" and (log.block, log.log_index) == (42, 3)
    assert log.args == {
        "who": to_checksum_address(who),
        "tag": "0x" + keccak(text="a tag").hex(),
        "small": -5,
        "amount": jsonable(amount),
        "delta": jsonable(delta),
        "flag": flag,
        "id": "0x" + "07" * 32,
        "selector": "0xdeadbeef",
        "arg8": 64,
    }
    assert log.args.json_text() == json.dumps(log.args)  # type: ignore[attr-defined]

    values = [who, 'a "quoted" note é', [amount, 1], (who, flag)]
    dynamic = decoder.decode(subject, raw_log(DYNAMIC, [], values))
    assert dynamic is not None
    assert dynamic.args == {
        "who": to_checksum_address(who),
        "note": values[1],
        "amounts": [jsonable(amount), 1],
        "pair": [to_checksum_address(who), flag],
    }
    assert dynamic.args.json_text() == json.dumps(dynamic.args)  # type: ignore[attr-defined]


def test_the_written_decoder_and_the_field_by_field_one_agree_and_decode_all_leaves_out_what_decode_does() -> None:
    decoder = Decoder({}, {"Kind": [EVENT]})
    subject = Subject(WATCHED, "w", "Kind")
    topics = [bytes(12) + bytes.fromhex("ab" * 20), keccak(text="t"), (-1).to_bytes(32, "big", signed=True)]
    good = raw_log(EVENT, topics, [2**53, -(2**200), True, b"\xab" * 32, b"\x01\x02\x03\x04", 7])
    plan = decoder.plan("Kind", good["topics"][0], 4)
    assert plan is not None and plan.fast is not None
    fast = plan.arguments(good["topics"], good["data"])
    slow = replace(plan, fast=None).arguments(good["topics"], good["data"].upper().replace("0X", "0x"))
    assert fast == slow and fast.json_text() == slow.json_text() == json.dumps(fast)
    removed, foreign = {**good, "removed": True}, {**good, "address": OTHER.lower()}
    short = {**good, "data": good["data"][:-64]}  # a word missing: read by eth_abi, as decode reads it
    logs = decoder.decode_all([good, removed, foreign, short, good], {WATCHED.lower(): subject})
    assert logs == [decoder.decode(subject, item) for item in (good, short, good)] and logs[0].args == fast


def test_no_past_state_is_asked_of_contracts_made_in_the_block_or_recorded_before_it() -> None:
    asked: list[tuple[str, list[Any]]] = []

    class Node:
        def rpc_batch(self, requests: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
            asked.extend(requests)
            return [{"result": "0x" + "00" * 32} for _ in requests]

    composer = Composer(Node(), None, {}, "local", dict, created={OTHER: 5})  # type: ignore[arg-type]
    made = Subject(WATCHED, "P.token", "PropertyToken", "0x01", 10)
    factory = Subject(OTHER, "PropertyTokenFactory", "PropertyTokenFactory")
    found = composer._before(
        [
            Log(made, "MaxHoldersSet", 10, "0xh", "0xt", 0, {}),
            Log(made, "Upgraded", 10, "0xh", "0xt", 1, {}),
            Log(factory, "PropertyCreated", 10, "0xh", "0xt", 2, {}),
        ]
    )
    assert asked == [] and found == {(WATCHED, 10, "code"): False, (OTHER, 10, "code"): True}
    composer._before([Log(Subject(LATE, "late", "PropertyToken"), "MaxHoldersSet", 10, "0xh", "0xt", 0, {})])
    assert [method for method, _ in asked] == ["eth_call", "eth_getCode"]  # of a block the record does not tell


def test_the_collector_settings_are_restored_after_the_watcher_runs() -> None:
    threshold = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == YOUNG_COLLECTION and gc.get_freeze_count() > 0
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0


@given(st.binary(min_size=20, max_size=20))
def test_addresses_are_checksummed_as_eth_utils_checksums_them(raw: bytes) -> None:
    lower = "0x" + raw.hex()
    assert checksummed(lower) == checksummed("0X" + raw.hex().upper()) == to_checksum_address(lower)


@pytest.mark.parametrize("text", ["", "0x12", "0x" + "g" * 40, "0x" + "a" * 41, "not an address"])
def test_what_is_not_an_address_is_not_checksummed(text: str) -> None:
    with pytest.raises(ValueError):
        checksummed(text)


def test_logs_of_unknown_or_malformed_events_are_not_decoded() -> None:
    decoder = Decoder({}, {"Kind": [EVENT]})
    subject = Subject(WATCHED, "w", "Kind")
    good = raw_log(EVENT, [bytes(32)] * 3, [1, 2, True, bytes(32), bytes(4), 3])
    assert decoder.decode(subject, {**good, "topics": good["topics"][:2]}) is None  # another number of topics
    assert decoder.decode(subject, {**good, "topics": ["0x" + "00" * 32, *good["topics"][1:]]}) is None
    assert decoder.decode(subject, {**good, "data": good["data"][:-3]}) is None  # not whole bytes


# --- the stores -------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def spec(request: Any, tmp_path: Path) -> str:
    return str(tmp_path / "w.sqlite") if request.param == "sqlite" else str(request.getfixturevalue("postgres").database())


def test_events_written_again_stay_as_first_written_in_either_store(spec: str, tmp_path: Path) -> None:
    store = open_store(spec, tmp_path / "unused.sqlite")
    store.claim("local", 31337, "0xabc")
    decoder = Decoder({}, {"Kind": [EVENT]})
    log = decoder.decode(
        Subject(WATCHED, "w", "Kind"), raw_log(EVENT, [bytes(32)] * 3, [10**30, -1, True, bytes(32), bytes(4), 3])
    )
    assert log is not None
    events = [StoredEvent(block, index, "0xh", "0xt", WATCHED, "Everything", log.args) for block in (1, 2) for index in range(3)]
    with store.transaction() as db:
        store.add_events(db, events[:4])
    with store.transaction() as db:  # a range written again after a restart: the first four stay, two are added
        store.add_events(db, [StoredEvent(e.block, e.log_index, "0xother", e.tx, e.address, e.name, {"x": 1}) for e in events])
    kept = store.events([WATCHED], ["Everything"])
    assert [(e.block, e.log_index, e.block_hash) for e in kept] == [
        (1, 0, "0xh"),
        (1, 1, "0xh"),
        (1, 2, "0xh"),
        (2, 0, "0xh"),
        (2, 1, "0xother"),
        (2, 2, "0xother"),
    ]
    assert kept[0].args == json.loads(json.dumps(log.args)) and kept[0].args["amount"] == str(10**30)
    store.close()
