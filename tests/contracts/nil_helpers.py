"""Helpers of the NIL contract tests (vaults, deals, splitters)."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import ape
from ape.exceptions import CustomError
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

ZERO_ADDRESS = "0x" + "00" * 20
FLAG_KYC, FLAG_AML, FLAG_ACCREDITED = 1, 2, 4
KYC_AML = FLAG_KYC | FLAG_AML
YEAR = 365 * 24 * 3600
DAY = 24 * 3600


def address_of(value):
    return value.address if hasattr(value, "address") else value


@contextmanager
def reverts(error, **inputs):
    """Stricter ``ape.reverts``: the revert must decode to exactly ``error`` with exactly these inputs."""
    with ape.reverts(error) as info:
        yield info
    raised = info.value
    if isinstance(raised, CustomError):
        assert raised.name == error.__name__, f"expected {error.__name__}, got {raised.name}"
        actual_inputs = raised.inputs
    else:
        actual_inputs = _decode_error_data(error.abi, raised, bool(inputs))
    for name, expected in inputs.items():
        assert name in actual_inputs, f"{error.__name__} has no input {name!r}"
        actual = actual_inputs[name]
        expected = address_of(expected)
        if isinstance(actual, bytes) and isinstance(expected, str) and expected.startswith("0x"):
            expected = bytes.fromhex(expected[2:])
        if isinstance(actual, str) and isinstance(expected, str):
            actual, expected = actual.lower(), expected.lower()
        assert actual == expected, f"{error.__name__}.{name}: expected {expected!r}, got {actual!r}"


def _decode_error_data(error_abi, raised, with_inputs=True):
    data = _revert_data(raised)
    assert data is not None, f"expected {error_abi.name}, got {raised!r}"
    selector = keccak(text=error_abi.selector)[:4]
    assert data[:4] == selector, f"expected {error_abi.name} ({selector.hex()}), got 0x{data[:4].hex()}"
    if not with_inputs:
        return {}
    values = decode([i.canonical_type for i in error_abi.inputs], data[4:])
    return {i.name: value for i, value in zip(error_abi.inputs, values)}


def _revert_data(raised):
    """The raw revert data of an error Ape left undecoded (eth_call reverts, failed deployments)."""
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
    # anvil, for eth_call: "custom error 0x<selector>: <the arguments as text>". Only the selector
    # survives reliably (bytes above 0x7f are lost), so the arguments come back only when intact.
    match = re.fullmatch(r"custom error 0x([0-9a-fA-F]{8}):? ?(.*)", message, re.DOTALL)
    if match:
        selector = bytes.fromhex(match.group(1))
        if re.fullmatch(r"(?:0x)?(?:[0-9a-fA-F]{64})+", match.group(2)):  # arguments given as hex
            return selector + bytes.fromhex(match.group(2).removeprefix("0x"))
        try:
            arguments = match.group(2).encode("latin-1")
        except UnicodeEncodeError:
            return selector + b"?"
        return selector + arguments
    return None


def random_address():
    return to_checksum_address(os.urandom(20))


def balance_of(chain, account):
    return chain.provider.get_balance(address_of(account))


def later(chain, seconds=YEAR):
    return chain.pending_timestamp + seconds


def attestation(chain, investor_id=1, country=840, flags=KYC_AML, expiry=None):
    return (investor_id, country, flags, later(chain) if expiry is None else expiry)


def report_gas(label, value, bound=None):
    """Print a gas figure (visible with ``-s``) next to its documented bound."""
    suffix = f" (bound {bound:,})" if bound else ""
    print(f"\nGAS {label}: {value:,}{suffix}")
