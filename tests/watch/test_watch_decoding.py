"""The watcher's decoder written per event (rwa.watch.rules.EventPlan.fast) against eth_abi: for random
values of every event of every contract the watcher knows, it decodes what eth_abi decodes and writes
the JSON text json.dumps writes; data the ABI's encoder would not write (cut short, longer) is
decoded as eth_abi decodes it, or left out as eth_abi refuses it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from rwa.core.abi import jsonable, signature, type_string
from rwa.watch.rules import Decoder, Subject

ADDRESS = "0x" + "ab" * 20


def events_known(compiled: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(contract type, event ABI) of every event of every compiled contract, each event once."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for kind, artifact in sorted(compiled.items()):
        for item in artifact.abi:
            if item.get("type") == "event" and not item.get("anonymous"):
                found.setdefault(signature(item) + str([i.get("indexed") for i in item["inputs"]]), (kind, item))
    return sorted(found.values(), key=lambda pair: (pair[0], pair[1]["name"]))


class Known:
    """The decoder and the events it knows (shown short in hypothesis's reports)."""

    def __init__(self, compiled: Mapping[str, Any]):
        self.decoder = Decoder(compiled)
        self.events = events_known(compiled)

    def __repr__(self) -> str:
        return f"<{len(self.events)} events>"


@pytest.fixture(scope="module")
def known(compiled):
    found = Known(compiled)
    assert len(found.events) > 100
    assert {"PropertyCreated", "SafeSetup", "OfferingCreated"} <= {item["name"] for _, item in found.events}
    return found


def values_of(kind: str) -> st.SearchStrategy[Any]:
    """Random values eth_abi encodes as ``kind``."""
    if kind.endswith("[]"):
        return st.lists(values_of(kind[:-2]), max_size=4)
    if kind.startswith("("):
        return st.tuples(*(values_of(member) for member in kind[1:-1].split(",")))
    if kind == "address":
        return st.binary(min_size=20, max_size=20)
    if kind == "bool":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=70)
    if kind == "bytes":
        return st.binary(max_size=70)
    if kind.startswith("bytes"):
        return st.binary(min_size=int(kind[5:]), max_size=int(kind[5:]))
    bits = int(kind.removeprefix("u").removeprefix("int") or 256)
    if kind.startswith("uint"):
        edges = [edge for edge in (0, 2**53 - 1, 2**53, 2**bits - 1) if edge < 2**bits]  # where JSON's ints end
        return st.one_of(st.integers(0, 2**bits - 1), st.sampled_from(edges))
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def expected(item: dict[str, Any], topics: list[str], data: str) -> dict[str, Any] | None:
    """The arguments as eth_abi decodes them (None: it refuses the data), by name, as JSON values."""
    plain = [type_string(i) for i in item["inputs"] if not i.get("indexed")]
    try:
        values = iter(decode(plain, bytes.fromhex(data[2:])))
    except Exception:
        return None
    args, topic = {}, 1
    for n, spec in enumerate(item["inputs"]):
        kind = type_string(spec)
        if spec.get("indexed"):
            word = bytes.fromhex(topics[topic][2:])
            dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
            args[spec["name"] or f"arg{n}"] = "0x" + word.hex() if dynamic else jsonable(decode([kind], word)[0])
            topic += 1
        else:
            args[spec["name"] or f"arg{n}"] = jsonable(next(values))
    return args


@settings(max_examples=300, deadline=None)
@given(choice=st.data(), change=st.sampled_from(["none", "none", "cut", "longer"]))
def test_known_events_decode_as_eth_abi_decodes_them(known: Known, choice: st.DataObject, change: str) -> None:
    kind, item = choice.draw(st.sampled_from(known.events))
    check(
        known.decoder,
        kind,
        item,
        lambda type_: choice.draw(values_of(type_)),
        change,
        lambda *within: choice.draw(st.integers(*within)),
    )


def test_every_known_event_has_a_written_decoder_that_decodes_as_eth_abi(known: Known) -> None:
    """Each event once (the random test above picks some of them each run), with values at the edges."""
    for kind, item in known.events:
        check(known.decoder, kind, item, edge_value, "none", min)


def edge_value(kind: str) -> Any:
    if kind.endswith("[]"):
        return [edge_value(kind[:-2])] * 2
    if kind.startswith("("):
        return tuple(edge_value(member) for member in kind[1:-1].split(","))
    if kind == "address":
        return bytes.fromhex("fe" * 20)
    if kind == "string":
        return "h\u00e9 \u2713 " * 5
    if kind == "bytes":
        return bytes(range(40))
    if kind.startswith("bytes"):
        return b"\xee" * int(kind[5:])
    if kind == "bool":
        return True
    bits = int(kind.removeprefix("u").removeprefix("int") or 256)
    return 2**bits - 1 if kind.startswith("uint") else -(2 ** (bits - 1))


def check(
    decoder: Decoder,
    kind: str,
    item: dict[str, Any],
    value_of: Callable[[str], Any],
    change: str,
    between: Callable[[int, int], int],
) -> None:
    """A log of the event made by eth_abi from values of each type (``value_of``), its data left as it
    is or changed (``cut``, or made ``longer`` by a number of bytes ``between`` two): ``decoder`` decodes
    it as eth_abi does."""
    topics = ["0x" + keccak(text=signature(item)).hex()]
    plain_types, plain_values = [], []
    for spec in item["inputs"]:
        value = value_of(type_string(spec))
        if not spec.get("indexed"):
            plain_types.append(type_string(spec))
            plain_values.append(value)
        elif type_string(spec) in ("string", "bytes") or type_string(spec).endswith("]"):
            topics.append("0x" + keccak(encode([type_string(spec)], [value])).hex())  # only a hash is logged
        else:
            topics.append("0x" + encode([type_string(spec)], [value]).hex())
    data = "0x" + encode(plain_types, plain_values).hex()
    if change == "cut" and len(data) > 2:
        data = data[: between(2, len(data) - 2)]
    elif change == "longer":
        data += "00" * between(1, 64)
    plan = decoder.plan(kind, topics[0], len(topics))
    assert plan is not None and plan.fast is not None, f"{kind}.{item['name']} is not decoded by a written decoder"
    raw = {
        "address": ADDRESS,
        "blockNumber": "0x2a",
        "logIndex": "0x3",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "data": data,
        "topics": topics,
    }
    log = decoder.decode(Subject(ADDRESS, "a contract", kind), raw)
    wanted = expected(item, topics, data)
    if wanted is None:
        assert log is None, (kind, item["name"], change)
        return
    assert log is not None and log.name == item["name"]
    assert log.args == wanted and list(log.args) == list(wanted), (kind, item["name"], change)
    assert log.args.json_text() == json.dumps(wanted)  # type: ignore[attr-defined]
    if change == "none":
        assert plan.fast(topics, data) == wanted  # the written decoder itself, not eth_abi behind it
