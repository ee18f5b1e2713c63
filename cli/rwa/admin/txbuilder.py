"""Safe{Wallet} Transaction Builder files, to and from proposals.

The web app's Transaction Builder saves and loads batches as JSON (``{version, chainId, createdAt,
meta, transactions[{to, value, data, contractMethod, contractInputsValues}]}``). Exporting writes a
proposal's Safe calls (a MultiSend batch call by call: the app batches them itself) the way the app
writes them: a call whose method the toolkit knows as that method and its inputs (``data`` null, so
reviewers in the app see the method, not hex), anything else as raw data, and ``meta.checksum``
computed as the app computes it (:func:`checksum`), so the app does not warn that the batch changed.

Importing trusts only ``to``, ``value`` and the calldata: a transaction without ``data`` is encoded
with the toolkit's ABI for its ``to`` (never the file's ``contractMethod``), and a ``contractMethod``
or input value that disagrees with the decoded calldata refuses the file, naming the field. Values
are read as the app reads them (addresses in any case, inputs keyed by name or by position, arrays
and tuples as JSON or in the app's unquoted form, ``True``/``1``, numbers with spaces), and a file
whose ``meta.checksum`` does not match is refused, as the app warns, unless the caller accepts it.
Pure functions; the proposal itself is made (and checked again) by ``governance``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address

from rwa.admin.decode import DecodedCall, Known, Undecodable, decode_call, function_by_selector
from rwa.admin.proposals import Proposal
from rwa.admin.safe import multisend_call
from rwa.core import callspec
from rwa.core.abi import encode_call, jsonable, type_string
from rwa.core.errors import RwaError

VERSION = "1.0"
TX_BUILDER_VERSION = "1.17.0"


@dataclass(frozen=True)
class Batch:
    """What a Transaction Builder file asks of which Safe, read back from its calldata."""

    chain_id: int
    safe: str | None
    name: str | None
    calls: list[DecodedCall]
    warnings: tuple[str, ...] = ()  # what the app would warn of (a checksum that does not match, accepted)


def export(proposal: Proposal, safe_calls: list[DecodedCall], known: Known, created_ms: int) -> dict[str, Any]:
    """The Transaction Builder JSON of a proposal's Safe calls, with the app's ``meta.checksum``."""
    document: dict[str, Any] = {
        "version": VERSION,
        "chainId": str(proposal["chainId"]),
        "createdAt": created_ms,
        "meta": {
            "name": proposal["title"],
            "description": f"rwa proposal {proposal['id']} (Safe nonce "
            f"{proposal['safeTx']['nonce']}, safeTxHash {proposal['safeTxHash']})",
            "txBuilderVersion": TX_BUILDER_VERSION,
            "createdFromSafeAddress": proposal["safe"]["address"],
            "createdFromOwnerAddress": "",
        },
        "transactions": [_transaction(call, known) for call in safe_calls],
    }
    document["meta"]["checksum"] = checksum(document)
    return document


def checksum(document: Mapping[str, Any]) -> str:
    """``meta.checksum`` as the Transaction Builder computes it: keccak256 of the file serialized
    its own way (every object as the JSON list of its sorted keys followed by each value and a
    comma, in braces), with ``meta.name`` null and no ``meta.checksum``."""
    meta = {k: v for k, v in (document.get("meta") or {}).items() if k != "checksum"}
    return "0x" + keccak(text=_serialized({**document, "meta": {**meta, "name": None}})).hex()


def _serialized(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_serialized(v) for v in value) + "]"
    if isinstance(value, Mapping):
        keys = sorted(value)
        return "{" + _json(keys) + "".join(_serialized(value[k]) + "," for k in keys) + "}"
    return _json(value)


def _json(value: Any) -> str:
    """JSON as JavaScript's ``JSON.stringify`` writes it (no spaces, non-ASCII as is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _transaction(call: DecodedCall, known: Known) -> dict[str, Any]:
    entry: dict[str, Any] = {"to": call.address, "value": str(call.value), "data": call.data}
    data = bytes.fromhex(call.data[2:])
    item = _abi_item(known, call.address, data[:4]) if data else None
    if item is None:
        entry["contractMethod"] = None
        entry["contractInputsValues"] = None
        return entry
    inputs = item.get("inputs", [])
    entry["data"] = None  # as the app writes a method call: it encodes the method and its inputs itself
    entry["contractMethod"] = {
        "inputs": [
            {"internalType": i.get("internalType", i["type"]), "name": i.get("name") or f"arg{n}", "type": type_string(i)}
            for n, i in enumerate(inputs)
        ],
        "name": item["name"],
        "payable": item.get("stateMutability") == "payable",
    }
    entry["contractInputsValues"] = {
        (spec.get("name") or f"arg{n}"): _text(value) for n, (spec, value) in enumerate(zip(inputs, call.args))
    }
    return entry


def read(document: Any, known: Known, accept_changed: bool = False) -> Batch:
    """A Transaction Builder file's calls, each decoded from its calldata and checked against what
    the file says about it; RwaError names the first field that is wrong. A ``meta.checksum`` that
    does not match the file is refused, or with ``accept_changed`` kept as a warning."""
    if not isinstance(document, Mapping) or not isinstance(document.get("transactions"), list) or not document["transactions"]:
        raise RwaError("not a Transaction Builder file (no transactions)")
    try:
        chain_id = int(document.get("chainId"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RwaError(f"chainId: {document.get('chainId')!r} is not a chain id") from None
    meta = document.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise RwaError("meta: not an object")
    warnings = []
    stated = meta.get("checksum")
    if stated is not None and str(stated).lower() != checksum(document):
        problem = (
            f"meta.checksum: {stated} does not match the file ({checksum(document)}): it was changed since the app "
            "(or the tool that wrote it) saved it"
        )
        if not accept_changed:
            raise RwaError(f"{problem}; check it, then rerun with --accept-changed to import it anyway")
        warnings.append(problem)
    calls = [_read_transaction(known, index, tx) for index, tx in enumerate(document["transactions"])]
    safe = meta.get("createdFromSafeAddress") or None
    return Batch(chain_id, to_checksum_address(safe) if safe else None, meta.get("name"), calls, tuple(warnings))


def _read_transaction(known: Known, index: int, tx: Any) -> DecodedCall:
    label = f"transactions[{index}]"
    if not isinstance(tx, Mapping):
        raise RwaError(f"{label}: not a transaction")
    try:
        to = to_checksum_address(tx["to"])
    except (KeyError, TypeError, ValueError):
        raise RwaError(f"{label}.to: {tx.get('to')!r} is not an address") from None
    value = _wei(label, tx.get("value"))
    method = tx.get("contractMethod")
    inputs = tx.get("contractInputsValues") or {}
    if method is not None and not isinstance(method, Mapping):
        raise RwaError(f"{label}.contractMethod: not an object")
    if not isinstance(inputs, Mapping):
        raise RwaError(f"{label}.contractInputsValues: not an object")
    data = tx.get("data")
    if data:
        payload = _hex_data(label, data)
    elif method:
        payload = _encode(known, label, to, method, inputs)
    else:
        payload = b""
    try:
        call = decode_call(known, to, value, payload)
    except Undecodable as exc:
        raise RwaError(f"{label}.data: {exc}") from None
    if method:
        if method.get("name") != call.function:
            raise RwaError(f"{label}.contractMethod.name: the file says {method.get('name')!r}, the calldata {call.function!r}")
        if inputs:
            specs = _specs(known, to, method)
            said = [_stated(inputs, n, i) for n, i in enumerate(method.get("inputs", []))]
            for n, (spec, text, arg) in enumerate(zip(specs, said, call.args)):
                if text is None or _same(_value(label, spec, text), arg):
                    continue
                name = spec.get("name") or str(n)
                raise RwaError(f"{label}.contractInputsValues.{name}: the file says {text}, the calldata {_text(arg)}")
    return call


def _wei(label: str, value: Any) -> int:
    """``value`` as the app writes it: wei as a string of digits. A JSON number is refused: past
    2**53 JavaScript (the app) reads it rounded, so the file does not say one amount."""
    if value is None or value == "":
        return 0
    if not isinstance(value, str):
        raise RwaError(
            f"{label}.value: {value!r} is a JSON {type(value).__name__}; write wei as a string of digits, as the app does"
        )
    text = "".join(str(value).split())
    if not text.isdigit():
        raise RwaError(f"{label}.value: {value!r} is not an amount of wei (a string of digits)")
    return int(text)


def _hex_data(label: str, data: Any) -> bytes:
    text = str(data).strip()
    body = text[2:] if text[:2].lower() == "0x" else None
    try:
        if body is None or len(body) % 2:
            raise ValueError
        return bytes.fromhex(body)
    except ValueError:
        raise RwaError(f"{label}.data: {text[:20]!r}… is not hex calldata (0x and an even number of hex digits)") from None


def _stated(values: Mapping[str, Any], position: int, spec: Mapping[str, Any]) -> Any:
    """An input's value in the file: keyed by its name, or (as the app keys unnamed inputs) by its position."""
    name = spec.get("name")
    if name and name in values:
        return values[name]
    return values.get(str(position))


def _specs(known: Known, to: str, method: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The inputs of ``method`` as the toolkit's ABI for ``to`` has them (with tuple components),
    else as the file states them."""
    abi = known.contracts.get(to, (None, list(known.fallback)))[1]
    name, arity = method.get("name"), len(method.get("inputs", []))
    item = next(
        (i for i in abi if i.get("type") == "function" and i.get("name") == name and len(i.get("inputs", [])) == arity), None
    )
    return list(item["inputs"]) if item else list(method.get("inputs", []))


def _encode(known: Known, label: str, to: str, method: Mapping[str, Any], values: Mapping[str, Any]) -> bytes:
    """Calldata for a transaction given as a method and input values, with the toolkit's ABI for ``to``."""
    abi = known.contracts.get(to, (None, list(known.fallback)))[1]
    name, arity = method.get("name"), len(method.get("inputs", []))
    item = next(
        (i for i in abi if i.get("type") == "function" and i.get("name") == name and len(i.get("inputs", [])) == arity), None
    )
    if item is None:
        raise RwaError(f"{label}.contractMethod: no trusted ABI for {to} has {name} with {arity} input(s)")
    args = []
    for position, (spec, stated) in enumerate(zip(item["inputs"], method.get("inputs", []))):
        raw = _stated(values, position, stated)
        if raw is None:
            raise RwaError(f"{label}.contractInputsValues: no value for {stated.get('name') or position}")
        args.append(_value(label, spec, raw))
    return encode_call(abi, str(name), args)


def _value(label: str, spec: Mapping[str, Any], raw: Any) -> Any:
    """An input value read as the app reads it, then as the ABI type asks (one line when it cannot be)."""
    try:
        return callspec.convert(_app_value(str(spec["type"]), raw), spec, {})
    except (RwaError, ValueError) as exc:
        raise RwaError(f"{label}.contractInputsValues.{spec.get('name') or '?'}: {exc}") from None


def _app_value(abi_type: str, raw: Any) -> Any:
    """The app's reading: arrays and tuples as JSON or unquoted (``[0xab…, 5]``), spaces anywhere
    in them; booleans ``true``/``True``/``1`` and ``false``/``False``/``0``; numbers with spaces."""
    if abi_type.endswith("]") or abi_type.startswith("tuple"):
        if isinstance(raw, list):
            return raw
        text = str(raw).strip()
        try:
            return json.loads(text)
        except ValueError:
            return _unquoted_list(text)
    text = str(raw).strip()
    if abi_type == "bool":
        return {"true": "true", "1": "true", "false": "false", "0": "false"}.get(text.lower(), text)
    if abi_type.startswith(("uint", "int")):
        return "".join(text.strip("\"'").split())
    return text


def _unquoted_list(text: str) -> Any:
    """``[a, [b, c], "d"]`` without JSON's quotes: nested lists of trimmed, unquoted items."""
    if not (text.startswith("[") and text.endswith("]")):
        return text.strip().strip("\"'")
    items, depth, current = [], 0, ""
    for char in text[1:-1]:
        if char == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        current += char
    if current.strip() or items:
        items.append(current)
    return [_unquoted_list(item.strip()) for item in items]


def _same(stated: Any, actual: Any) -> bool:
    """Whether a value read from the file is the calldata's (addresses and hex in any case)."""

    def plain(value: Any) -> Any:
        value = jsonable(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value.lower() if isinstance(value, str) else value

    return bool(plain(stated) == plain(actual))


def multisend_data(calls: list[DecodedCall]) -> bytes:
    """The MultiSend call that runs a batch of imported calls in one Safe transaction."""
    return multisend_call([(c.address, c.value, bytes.fromhex(c.data[2:])) for c in calls])


def _abi_item(known: Known, address: str, selector: bytes) -> Mapping[str, Any] | None:
    entry = known.contracts.get(to_checksum_address(address))
    return (function_by_selector(entry[1], selector) if entry else None) or function_by_selector(known.fallback, selector)


def _text(value: Any) -> str:
    """An input value as the Transaction Builder writes it: arrays and tuples as JSON, the rest as text."""
    value = jsonable(value)
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
