"""Helpers of the NIL contract tests (vaults, deals, splitters)."""

from __future__ import annotations

import os

from eth_utils import to_checksum_address
from reverts import address_of, reverts  # noqa: F401 - the tests import them from here

ZERO_ADDRESS = "0x" + "00" * 20
FLAG_KYC, FLAG_AML, FLAG_ACCREDITED = 1, 2, 4
KYC_AML = FLAG_KYC | FLAG_AML
YEAR = 365 * 24 * 3600
DAY = 24 * 3600


def random_address():
    return to_checksum_address(os.urandom(20))


def fresh_wallet(accounts, balance=10**21):
    """A funded wallet that no session fixture has registered: the suite's named test accounts (alice,
    bob, carol...) are verified by whichever earlier module first asks for the test property."""
    wallet = accounts.generate_test_account()
    wallet.balance = balance
    return wallet


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
