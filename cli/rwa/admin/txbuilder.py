"""Safe{Wallet} Transaction Builder files, to and from proposals.

The web app's Transaction Builder saves and loads batches as JSON (``{version, chainId, createdAt,
meta, transactions[{to, value, data, contractMethod, contractInputsValues}]}``). Exporting writes a
proposal's Safe calls (a MultiSend batch call by call: the app batches them itself). Importing
trusts only ``to``, ``value`` and the calldata: a transaction without ``data`` is encoded with the
toolkit's ABI for its ``to`` (never the file's ``contractMethod``), and a ``contractMethod`` or
input value that disagrees with the decoded calldata refuses the file, naming the field. Pure
functions; the proposal itself is made (and checked again) by ``governance``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin.decode import DecodedCall, Known, Undecodable, decode_call, function_by_selector
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


def export(proposal: Mapping[str, Any], safe_calls: list[DecodedCall], known: Known, created_ms: int) -> dict[str, Any]:
    """The Transaction Builder JSON of a proposal's Safe calls."""
    return {
        "version": VERSION,
        "chainId": str(proposal["chainId"]),
        "createdAt": created_ms,
        "meta": {
            "name": proposal["title"],
            "description": f"rwa proposal {proposal['id']} (Safe nonce {proposal['safeTx']['nonce']}, safeTxHash {proposal['safeTxHash']})",
            "txBuilderVersion": TX_BUILDER_VERSION,
            "createdFromSafeAddress": proposal["safe"]["address"],
            "createdFromOwnerAddress": "",
        },
        "transactions": [_transaction(call, known) for call in safe_calls],
    }


def _transaction(call: DecodedCall, known: Known) -> dict[str, Any]:
    entry: dict[str, Any] = {"to": call.address, "value": str(call.value), "data": call.data}
    data = bytes.fromhex(call.data[2:])
    item = _abi_item(known, call.address, data[:4]) if data else None
    if item is None:
        entry["contractMethod"] = None
        entry["contractInputsValues"] = None
        return entry
    inputs = item.get("inputs", [])
    entry["contractMethod"] = {
        "inputs": [{"internalType": i.get("internalType", i["type"]), "name": i.get("name") or f"arg{n}", "type": type_string(i)} for n, i in enumerate(inputs)],
        "name": item["name"],
        "payable": item.get("stateMutability") == "payable",
    }
    entry["contractInputsValues"] = {
        (spec.get("name") or f"arg{n}"): _text(value) for n, (spec, value) in enumerate(zip(inputs, call.args))
    }
    return entry


def read(document: Any, known: Known) -> Batch:
    """A Transaction Builder file's calls, each decoded from its calldata and checked against what
    the file says about it; RwaError names the first field that is wrong."""
    if not isinstance(document, Mapping) or not isinstance(document.get("transactions"), list) or not document["transactions"]:
        raise RwaError("not a Transaction Builder file (no transactions)")
    try:
        chain_id = int(document.get("chainId"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RwaError(f"chainId: {document.get('chainId')!r} is not a chain id") from None
    meta = document.get("meta") or {}
    calls = [_read_transaction(known, index, tx) for index, tx in enumerate(document["transactions"])]
    safe = meta.get("createdFromSafeAddress") or None
    return Batch(chain_id, to_checksum_address(safe) if safe else None, meta.get("name"), calls)


def _read_transaction(known: Known, index: int, tx: Any) -> DecodedCall:
    label = f"transactions[{index}]"
    if not isinstance(tx, Mapping):
        raise RwaError(f"{label}: not a transaction")
    try:
        to = to_checksum_address(tx["to"])
        value = int(tx.get("value") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise RwaError(f"{label}.to/value: {exc}") from None
    method = tx.get("contractMethod")
    inputs = tx.get("contractInputsValues") or {}
    data = tx.get("data")
    if data:
        payload = bytes.fromhex(str(data)[2:])
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
        stated = [inputs.get(i.get("name")) for i in method.get("inputs", [])]
        if inputs and [_text(a) for a in call.args] != [None if s is None else str(s) for s in stated]:
            raise RwaError(f"{label}.contractInputsValues: the file says {stated}, the calldata {[_text(a) for a in call.args]}")
    return call


def _encode(known: Known, label: str, to: str, method: Mapping[str, Any], values: Mapping[str, Any]) -> bytes:
    """Calldata for a transaction given as a method and input values, with the toolkit's ABI for ``to``."""
    abi = known.contracts.get(to, (None, list(known.fallback)))[1]
    name, arity = method.get("name"), len(method.get("inputs", []))
    item = next((i for i in abi if i.get("type") == "function" and i.get("name") == name and len(i.get("inputs", [])) == arity), None)
    if item is None:
        raise RwaError(f"{label}.contractMethod: no trusted ABI for {to} has {name} with {arity} input(s)")
    args = []
    for spec, stated in zip(item["inputs"], method.get("inputs", [])):
        raw = values.get(stated.get("name"))
        if raw is None:
            raise RwaError(f"{label}.contractInputsValues: no value for {stated.get('name')}")
        parsed = json.loads(raw) if str(spec["type"]).endswith("]") or spec["type"] == "tuple" else raw
        args.append(callspec.convert(parsed, spec, {}))
    return encode_call(abi, str(name), args)


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
