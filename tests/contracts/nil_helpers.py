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


def make_split(project, splitter_factory, deployer, athlete, other, athlete_share=8000):
    """The athlete's split (80% athlete, 20% ``other`` unless told), its payees in the ascending order the
    SplitterFactory requires."""
    pairs = sorted(
        [(address_of(athlete), athlete_share), (address_of(other), 10_000 - athlete_share)], key=lambda p: int(p[0], 16)
    )
    payees, shares = [p for p, _ in pairs], [s for _, s in pairs]
    splitter_factory.createSplit(payees, shares, sender=deployer)
    return project.RevenueSplitter.at(splitter_factory.predict(payees, shares))


def make_vault(project, vault_factory, operator, name, athlete, split=ZERO_ADDRESS):
    """A vault the factory creates for the athlete id ``keccak(name)``, paying ``split`` (none unless told)."""
    from eth_utils import keccak

    return project.NILVault.at(vault_factory.createVault(keccak(text=name), athlete, split, sender=operator).return_value)
