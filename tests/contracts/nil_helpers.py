"""Helpers of the NIL contract tests (vaults, deals, splitters)."""

from __future__ import annotations

import inspect
import os

import pytest
from eth_utils import to_checksum_address
from reverts import address_of, reverts  # noqa: F401 - the tests import them from here

ZERO_ADDRESS = "0x" + "00" * 20
FLAG_KYC, FLAG_AML, FLAG_ACCREDITED = 1, 2, 4
KYC_AML = FLAG_KYC | FLAG_AML
YEAR = 365 * 24 * 3600
DAY = 24 * 3600

#: The session fixtures of the NIL contract tests (the deployed suite, its contracts and accounts).
NIL_SESSION_FIXTURES = (
    "suite",
    "registry",
    "stablecoin",
    "admin",
    "attestor",
    "sanctions_officer",
    "vault_factory",
    "contract_nft",
    "splitter_factory",
    "vault_beacon",
    "timelock",
    "deployer",
    "outsider",
    "operator",
    "guardian",
    "accounts",
)


def set_up_first(*module_fixtures):
    """A test module's autouse fixture (assign it to ``_wide_fixtures_first``) that takes the NIL session
    fixtures and the module's own ``module_fixtures`` as its arguments, so that pytest sets them all up,
    by scope, before Ape's isolation snapshots the chain for the module's tests: one first made inside a
    test would be reverted with it, and the tests after it would find its state gone."""

    def _wide_fixtures_first(**fixtures):
        """Session fixtures set up before any test's snapshot (keeps Ape's isolation valid)."""

    names = (*NIL_SESSION_FIXTURES, *module_fixtures)
    _wide_fixtures_first.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    )
    return pytest.fixture(scope="module", autouse=True)(_wide_fixtures_first)


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
