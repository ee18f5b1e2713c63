"""ABI facts computed offline: encoding calls, canonical types, role ids and JSON-safe values.

Nothing here needs a node; the chain layer and everything above it share these helpers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from eth_hash.auto import keccak as keccak_hash
from eth_utils import keccak, to_checksum_address

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
_HEX40 = re.compile("[0-9a-f]{40}")
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"
#: The EIP-712 domain of OpenZeppelin's EIP712 contracts (name, version, chain, contract), as typed data lists it.
EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

AbiItem = Mapping[str, Any]
Abi = Sequence[AbiItem]


def type_string(spec: AbiItem) -> str:
    """An ABI parameter's canonical type (tuples spelled out), as selectors and topics need it."""
    kind = str(spec["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(type_string(c) for c in spec["components"]) + ")" + kind[5:]
    return kind


def signature(item: AbiItem) -> str:
    """``name(type,...)`` of a function, event or error."""
    return f"{item['name']}({','.join(type_string(i) for i in item.get('inputs', []))})"


@lru_cache(maxsize=65536)
def selector(signature_text: str) -> bytes:
    """The 4-byte selector of ``name(type,...)``, kept once worked out: reading a proposal back tries
    every function of every compiled contract, thousands of hashes for one command."""
    return keccak(text=signature_text)[:4]


def role_id(name: str) -> bytes:
    """An OpenZeppelin AccessControl role id: keccak256 of its name, zero for the admin role."""
    return bytes(32) if name == DEFAULT_ADMIN_ROLE else keccak(text=name)


def function_abi(abi: Abi, contract: str, function: str, arity: int) -> AbiItem:
    """The ABI of ``contract.function`` taking ``arity`` arguments; ValueError names what exists."""
    candidates = [i for i in abi if i.get("type") == "function" and i.get("name") == function]
    if not candidates:
        raise ValueError(f"{contract} has no function '{function}'")
    for item in candidates:
        if len(item.get("inputs", [])) == arity:
            return item
    wanted = " or ".join(str(len(i.get("inputs", []))) for i in candidates)
    raise ValueError(f"{contract}.{function} takes {wanted} argument(s), got {arity}")


def encode_call(abi: Abi, function: str, args: Sequence[Any]) -> bytes:
    """ABI-encode a call offline (no node needed): selector and arguments."""
    for item in abi:
        if item.get("type") == "function" and item.get("name") == function and len(item.get("inputs", [])) == len(args):
            types = [type_string(i) for i in item["inputs"]]
            return selector(f"{function}({','.join(types)})") + encode_args(types, args)
    raise ValueError(f"no function {function} taking {len(args)} argument(s)")


def encode_args(types: Sequence[str], args: Sequence[Any]) -> bytes:
    """ABI-encode arguments of known types; ``0x`` text is taken as an address (42 characters) or bytes.

    One-word arguments (an address, a bool, a bytes32, a uint) are laid out here directly: a status
    encodes hundreds of ``hasRole(bytes32,address)`` and eth_abi costs far more per call.
    """
    from eth_abi import encode

    words = [_word(kind, value) for kind, value in zip(types, args)]
    if len(words) == len(args) and all(w is not None for w in words):
        return b"".join(w for w in words if w is not None)
    return encode(list(types), [_abi_value(a) for a in args])


def _word(kind: str, value: Any) -> bytes | None:
    """A one-word static argument as its 32 bytes; None when the value is not plainly of that type."""
    if kind == "address" and isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return bytes(12) + bytes.fromhex(value[2:])
    if kind == "bool" and isinstance(value, bool):
        return int(value).to_bytes(32, "big")
    if kind == "bytes32" and isinstance(value, bytes) and len(value) == 32:
        return value
    if kind.startswith("uint") and type(value) is int and 0 <= value < 2 ** int(kind[4:] or 256):
        return value.to_bytes(32, "big")
    return None


def decode_word(kind: str, data: bytes) -> tuple[bool, Any]:
    """Return data of one one-word static type, decoded as eth_abi would (addresses checksummed);
    (False, None) when the shortcut does not apply and eth_abi must decide."""
    if len(data) != 32:
        return False, None
    number = int.from_bytes(data, "big")
    if kind == "bool" and number in (0, 1):
        return True, number == 1
    if kind == "address" and not any(data[:12]):
        return True, to_checksum_address(data[12:])
    if kind == "bytes32":
        return True, data
    if kind.startswith("uint") and number < 2 ** int(kind[4:] or 256):
        return True, number
    return False, None


#: Multicall3's batch call; its calldata and return data are laid out here directly (hundreds of calls).
AGGREGATE3 = "aggregate3((address,bool,bytes)[])"
AGGREGATE3_SELECTOR = keccak(text=AGGREGATE3)[:4]


def encode_aggregate3(calls: Sequence[tuple[str, bool, bytes]]) -> bytes:
    """Calldata of ``aggregate3`` for (target, allowFailure, callData) calls."""
    heads, tails, offset = [], [], 32 * len(calls)
    for target, allow_failure, data in calls:
        body = b"".join(
            (
                bytes(12) + bytes.fromhex(target[2:]),
                _uint(int(allow_failure)),
                _uint(96),
                _uint(len(data)),
                data,
                bytes(-len(data) % 32),
            )
        )
        heads.append(_uint(offset))
        tails.append(body)
        offset += len(body)
    return AGGREGATE3_SELECTOR + _uint(32) + _uint(len(calls)) + b"".join(heads) + b"".join(tails)


def decode_aggregate3(data: bytes) -> list[tuple[bool, bytes]]:
    """The (success, returnData) results of ``aggregate3``; ValueError when the data is not that shape."""

    def word(at: int) -> int:
        if at + 32 > len(data):
            raise ValueError(f"aggregate3 returned {len(data)} bytes: not a result array")
        return int.from_bytes(data[at : at + 32], "big")

    start = word(0) + 32
    results = []
    for index in range(word(start - 32)):
        at = start + word(start + 32 * index)
        where = at + word(at + 32)
        length = word(where)
        if where + 32 + length > len(data) or word(at) > 1:
            raise ValueError(f"aggregate3 result {index} is malformed")
        results.append((word(at) == 1, data[where + 32 : where + 32 + length]))
    return results


def bytes32(value: int | bytes) -> bytes:
    """``value`` as a 32-byte word, left-padded: a signature's r or s starts with a zero byte once in 256
    signatures, and an int, or bytes cut to its significant ones, drops it (the ABI then refuses a bytes32)."""
    number = value if isinstance(value, int) else int.from_bytes(bytes(value), "big")
    return number.to_bytes(32, "big")


def _uint(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _abi_value(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, str) and value.startswith("0x"):
        return bytes.fromhex(value[2:])
    if isinstance(value, list):
        return [_abi_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_abi_value(v) for v in value)
    return value


def event_topic(abi: Abi, name: str) -> str:
    """``<topic0>#<n>``: the event, and which topic holds the new address (its first indexed
    address argument)."""
    for item in abi:
        if item.get("type") == "event" and item.get("name") == name:
            indexed = [i for i in item.get("inputs", []) if i.get("indexed")]
            position = next((n + 1 for n, i in enumerate(indexed) if i["type"] == "address"), None)
            if position is None:
                raise ValueError(f"event {name} has no indexed address")
            return "0x" + keccak(text=signature(item)).hex() + f"#{position}"
    raise ValueError(f"no event {name} in the ABI")


@lru_cache(maxsize=65536)
def checksummed(address: str) -> str:
    """``address`` checksummed (EIP-55; ValueError when it is not an address), cached and worked out
    directly (eth_utils takes 150 µs an address, this 30): a watcher meets thousands in every range."""
    digits = address[2:].lower()
    if len(address) != 42 or address[:2] not in ("0x", "0X") or _HEX40.fullmatch(digits) is None:
        return str(to_checksum_address(address))  # another form, or not an address: eth_utils says which
    digest = keccak_hash(digits.encode()).hex()
    return "0x" + "".join(digit.upper() if nibble in "89abcdef" else digit for digit, nibble in zip(digits, digest))


def jsonable(value: Any) -> Any:
    """ABI values as stable JSON: checksummed addresses, hex bytes, big ints as strings."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        try:
            return checksummed(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def named_args(inputs: Sequence[AbiItem], values: Sequence[Any]) -> dict[str, Any]:
    """Argument values by their ABI names (``arg<i>`` where a name is missing), as JSON."""
    return {(spec.get("name") or f"arg{i}"): jsonable(v) for i, (spec, v) in enumerate(zip(inputs, values))}
