"""Shared helpers of the contract tests (strict custom-error matching, gas reporting, example counts)."""

import os

from eth_utils import keccak
from reverts import address_of, reverts  # noqa: F401 - the tests import them from here

from rwa.testing.suite import (  # noqa: F401 - the tests import them from here
    ACCREDITED,
    DE,
    FR,
    GB,
    KYC_AML,
    US,
    YEAR,
    create_property,
    property_input,
)

ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = b"\x00" * 32


#: The hypothesis profile: ``make test`` the bounded one ("ci"), ``make fuzz`` sets ``RWA_FUZZ_PROFILE=fuzz``.
FUZZ_PROFILE = os.environ.get("RWA_FUZZ_PROFILE", "ci")


def examples(ci, fuzz):
    """Examples of a ``@given`` test: a few under ``make test`` (each sends transactions; the invariant is checked in
    every one), many under ``make fuzz``."""
    return fuzz if FUZZ_PROFILE == "fuzz" else ci


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


BEACON_SLOT = int(keccak(text="eip1967.proxy.beacon").hex(), 16) - 1


def beacon_proxy_runtime(project, beacon):
    """The code a factory-made proxy of ``beacon`` must have: PropertyBeaconProxy as compiled (metadata
    included, so explorers match it fully), the beacon in its one immutable."""
    compiled = bytes.fromhex(project.PropertyBeaconProxy.contract_type.runtime_bytecode.bytecode.removeprefix("0x"))
    placeholder = compiled.index(bytes(32))
    return compiled[:placeholder] + bytes(12) + bytes.fromhex(str(beacon)[2:]) + compiled[placeholder + 32 :]
