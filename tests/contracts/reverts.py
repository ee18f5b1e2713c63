"""A stricter ``ape.reverts`` for every contract test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ape
from ape.exceptions import CustomError
from eth_abi import decode
from eth_utils import keccak


def address_of(value: Any) -> Any:
    return value.address if hasattr(value, "address") else value


@contextmanager
def reverts(error: Any, **inputs: Any) -> Iterator[Any]:
    """The revert must decode to exactly ``error`` with exactly these inputs.

    ``ape.reverts(SomeError)`` alone accepts a revert that does not decode to a custom error at all
    and silently skips input names it does not know, so both are checked here again. Any revert is
    caught first and then matched by selector: Ape may decode an error raised by another contract (a
    compliance behind the token) with the class of another instance of the same contract type, which
    ``ape.reverts(error)`` compares by identity.
    """
    with ape.reverts() as info:
        yield info
    raised = info.value
    if isinstance(raised, CustomError):
        assert raised.name == error.__name__, f"expected {error.__name__}, got {raised.name}"
        raised_abi = getattr(raised, "abi", None)
        if raised_abi is not None:
            assert raised_abi.selector == error.abi.selector, f"expected {error.abi.selector}, got {raised_abi.selector}"
        actual_inputs = raised.inputs
    else:
        actual_inputs = _decode_error_data(error.abi, raised, with_inputs=bool(inputs))
    for name, expected in inputs.items():
        assert name in actual_inputs, f"{error.__name__} has no input {name!r}"
        actual = actual_inputs[name]
        expected = address_of(expected)
        if isinstance(actual, bytes) and isinstance(expected, str) and expected.startswith("0x"):
            expected = bytes.fromhex(expected[2:])
        if isinstance(actual, str) and isinstance(expected, str):
            actual, expected = actual.lower(), expected.lower()
        assert actual == expected, f"{error.__name__}.{name}: expected {expected!r}, got {actual!r}"


def _decode_error_data(error_abi: Any, raised: Any, with_inputs: bool) -> dict[str, Any]:
    data = _revert_data(raised)
    assert data is not None, f"expected {error_abi.name}, got {raised!r}"
    selector = keccak(text=error_abi.selector)[:4]
    assert data[:4] == selector, f"expected {error_abi.name} ({selector.hex()}), got 0x{data[:4].hex()}"
    if not with_inputs:
        return {}
    values = decode([i.canonical_type for i in error_abi.inputs], data[4:])
    return {i.name: value for i, value in zip(error_abi.inputs, values)}


def _revert_data(raised: Any) -> bytes | None:
    """The raw revert data of an error Ape left undecoded (eth_call reverts, failed deployments,
    errors another contract raised, which Ape decodes with the callee's ABI only)."""
    base = getattr(raised, "base_err", None)
    data = getattr(base, "data", None)
    if isinstance(data, str) and re.fullmatch(r"0x[0-9a-fA-F]*", data):
        return bytes.fromhex(data[2:])
    message = str(raised.revert_message or "")
    if isinstance(base, Exception) and base.args and isinstance(base.args[0], str):
        message = base.args[0].removeprefix("execution reverted: ")  # not stripped of trailing bytes
    match = re.fullmatch(r"(?:custom error )?(0x[0-9a-fA-F]+)", message)
    if match:
        return bytes.fromhex(match.group(1)[2:])
    # anvil, for eth_call: "custom error 0x<selector>: <the arguments>", as hex or as text. Only the
    # selector survives reliably (bytes above 0x7f are lost), so the arguments come back only when intact.
    match = re.fullmatch(r"(?:custom error )?0x([0-9a-fA-F]{8}):? ?(.*)", message, re.DOTALL)
    if match:
        selector = bytes.fromhex(match.group(1))
        if re.fullmatch(r"(?:0x)?(?:[0-9a-fA-F]{64})+", match.group(2)):
            return selector + bytes.fromhex(match.group(2).removeprefix("0x"))
        try:
            arguments = match.group(2).encode("latin-1")
        except UnicodeEncodeError:
            return selector + b"?"
        return selector + arguments
    return None
