"""Shared helpers of the contract tests (strict custom-error matching, gas reporting)."""

import re
from contextlib import contextmanager

import ape
from ape.exceptions import CustomError
from eth_abi import decode
from eth_utils import keccak

ZERO_ADDRESS = "0x" + "00" * 20
KYC_AML = 1 | 2
ACCREDITED = 4
US, GB, FR, DE = 840, 826, 250, 276
DEFAULT_ADMIN_ROLE = b"\x00" * 32
YEAR = 365 * 24 * 3600


def address_of(value):
    return value.address if hasattr(value, "address") else value


@contextmanager
def reverts(error, **inputs):
    """Stricter ``ape.reverts``: the revert must decode to exactly ``error`` with exactly these inputs.

    ``ape.reverts(SomeError)`` alone accepts a revert that does not decode to a custom error at all
    and silently skips input names it does not know, so both are checked here again.
    """
    # Any revert, then matched here by signature: Ape may decode an error raised by another contract
    # (a compliance behind the token) with the class of another instance of the same contract type,
    # which `ape.reverts(error)` compares by identity.
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
        actual_inputs = _decode_error_data(error.abi, raised)
    for name, expected in inputs.items():
        assert name in actual_inputs, f"{error.__name__} has no input {name!r}"
        actual = actual_inputs[name]
        expected = address_of(expected)
        if isinstance(expected, str) and isinstance(actual, str):
            actual, expected = actual.lower(), expected.lower()
        assert actual == expected, f"{error.__name__}.{name}: expected {expected!r}, got {actual!r}"


def _decode_error_data(error_abi, raised):
    # "custom error 0x..." or, for an error another contract raised (Ape decodes with the callee's ABI
    # only), the bare revert data.
    match = re.fullmatch(r"(?:custom error )?0x([0-9a-fA-F]*)(?:: ?([0-9a-fA-F]*))?", str(raised.revert_message or ""))
    assert match, f"expected {error_abi.name}, got {raised!r}"
    data = bytes.fromhex(match.group(1) + (match.group(2) or ""))
    selector = keccak(text=error_abi.selector)[:4]
    assert data[:4] == selector, f"expected {error_abi.name} ({selector.hex()}), got 0x{data[:4].hex()}"
    values = decode([i.canonical_type for i in error_abi.inputs], data[4:])
    return {i.name: value for i, value in zip(error_abi.inputs, values)}


def role(name):
    return keccak(text=name)


GAS = {}


def record_gas(label, receipt_or_gas):
    """Remember (and print, with -s) a gas figure: a receipt's gas used, or a number."""
    gas = receipt_or_gas if isinstance(receipt_or_gas, int) else receipt_or_gas.gas_used
    GAS[label] = gas
    print(f"GAS {label}: {gas}")
    return gas


def about(actual, expected, tolerance=1):
    """Dividends round down: `actual` is `expected` or at most `tolerance` wei below it."""
    return expected - tolerance <= actual <= expected


def property_input(property_id=b"MAIN-ST-1", name="1 Main Street", symbol="MAIN1", decimals=18):
    return (
        keccak(text=property_id.decode()) if isinstance(property_id, bytes) else property_id,
        name,
        symbol,
        decimals,
        keccak(text="deed of 1 Main Street"),
        "ipfs://bafy-main-street-deed",
    )


def create_property(project, factory, deployer, agent, **kwargs):
    data = property_input(**kwargs)
    receipt = factory.createProperty(data, (agent,) * 6, sender=deployer)
    token, compliance, distributor = factory.predictAddresses(data[0])
    return (
        project.PropertyToken.at(token),
        project.ModularCompliance.at(compliance),
        project.DividendDistributor.at(distributor),
        receipt,
    )
