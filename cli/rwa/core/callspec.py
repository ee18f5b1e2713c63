"""Contract calls written on the command line: ``ComplianceRegistry.grantRole(ATTESTOR_ROLE, 0xab…)``.

Arguments are read against the function's ABI: addresses may be given as entry names of the
deployment (``Timelock``), ``bytes32`` role arguments as role names (``ATTESTOR_ROLE``,
``DEFAULT_ADMIN_ROLE``), numbers in decimal or hex, lists in brackets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import is_hex_address

from rwa.core.abi import role_id
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_wallet

CALL_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\((.*)\)\s*$", re.S)


@dataclass(frozen=True)
class CallSpec:
    contract: str
    function: str
    args: list[Any]  # strings and nested lists, as typed


def parse(text: str) -> CallSpec:
    match = CALL_RE.match(text)
    if not match:
        raise RwaError(f"cannot read call {text!r}: write Contract.function(arg, ...)")
    contract, function, body = match.groups()
    return CallSpec(contract, function, _split(body, text))


def _split(body: str, text: str) -> list[Any]:
    items: list[Any] = []
    stack: list[list[Any]] = [items]
    token = ""
    for char in body:
        if char == "[":
            nested: list[Any] = []
            stack[-1].append(nested)
            stack.append(nested)
        elif char == "]":
            if token.strip():
                stack[-1].append(token.strip())
            token = ""
            if len(stack) == 1:
                raise RwaError(f"unbalanced ']' in {text!r}")
            stack.pop()
        elif char == ",":
            if token.strip():
                stack[-1].append(token.strip())
            token = ""
        else:
            token += char
    if token.strip():
        stack[-1].append(token.strip())
    if len(stack) != 1:
        raise RwaError(f"unbalanced '[' in {text!r}")
    return items


def convert(value: Any, spec: Mapping[str, Any], addresses: Mapping[str, str]) -> Any:
    """One argument, read against its ABI input ``spec``; a clear error names what could not be read."""
    abi_type = spec["type"]
    if abi_type.endswith("[]"):
        if not isinstance(value, list):
            raise RwaError(f"expected a list [..] for {abi_type}, got {value!r}")
        return [convert(v, {**spec, "type": abi_type[:-2]}, addresses) for v in value]
    if abi_type == "tuple":
        components = spec.get("components", [])
        if not isinstance(value, list) or len(value) != len(components):
            raise RwaError(f"expected [{', '.join(c['name'] for c in components)}] for a tuple, got {value!r}")
        return tuple(convert(v, c, addresses) for v, c in zip(value, components))
    if isinstance(value, list):
        raise RwaError(f"a list is not a {abi_type}")
    text = str(value).strip().strip('"').strip("'")
    if abi_type == "address":
        if text in addresses:
            return addresses[text]
        if not is_hex_address(text) and not text.lower().startswith("0x"):
            raise RwaError(f"not an address or a deployed contract name: {text!r}")
        return parsed(parse_wallet, text)  # the one reading of addresses: 0x, and checksums checked
    if abi_type.startswith(("uint", "int")):
        try:
            return int(text, 0)
        except ValueError:
            raise RwaError(f"not a number for {abi_type}: {text!r}") from None
    if abi_type == "bool":
        if text.lower() not in ("true", "false"):
            raise RwaError(f"not a bool: {text!r}")
        return text.lower() == "true"
    if abi_type == "bytes32":
        if is_role_name(text):
            return role_id(text)
        return _hex(text, abi_type, 32)
    if abi_type.startswith("bytes"):
        return _hex(text, abi_type, int(abi_type[5:]) if abi_type != "bytes" else None)
    if abi_type == "string":
        return text
    raise RwaError(f"arguments of type {abi_type} are not supported on the command line")


def is_role_name(text: str) -> bool:
    """Whether a bytes32 argument is written as a role's name (``ATTESTOR_ROLE``), read as its id."""
    return re.fullmatch(r"[A-Z][A-Z0-9_]*", text) is not None


def _hex(text: str, abi_type: str, size: int | None) -> bytes:
    try:
        raw = bytes.fromhex(text[2:] if text.startswith("0x") else text)
    except ValueError:
        raise RwaError(f"not hex for {abi_type}: {text!r}") from None
    if size is not None and len(raw) != size:
        raise RwaError(f"{abi_type} needs {size} bytes, got {len(raw)}")
    return raw
