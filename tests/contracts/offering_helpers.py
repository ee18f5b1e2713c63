"""Shared by the offering tests: terms, creation, the minter grant and funded investors."""

from __future__ import annotations

from typing import Any

from helpers import role

MINTER_ROLE = role("MINTER_ROLE")
CUSTODIAN_ROLE = role("CUSTODIAN_ROLE")
TOKEN = 10**18  # the test property's unit (18 decimals)
USDC = 10**6  # the stablecoin's unit (6 decimals)
PRICE = 50 * USDC  # per whole token
OPEN, CLOSED, FAILED, CANCELLED = range(4)


def offering_input(token: Any, coin: Any, now: int, **overrides: Any) -> tuple[Any, ...]:
    """The factory's OfferingInput, defaults overridden by name."""
    terms = {
        "property": token.address,
        "stablecoin": coin.address,
        "price": PRICE,
        "hardCap": 1_000 * TOKEN,
        "softCap": 0,
        "minPerInvestor": 10 * TOKEN,
        "maxPerInvestor": 400 * TOKEN,
        "opensAt": now,
        "closesAt": now + 7 * 24 * 3600,
        "review": False,
    }
    terms.update(overrides)
    return tuple(terms.values())


def make_offering(
    project: Any,
    offering_factory: Any,
    token: Any,
    coin: Any,
    creator: Any,
    admin: Any,
    chain: Any,
    grant: bool = True,
    custody: bool = False,
    **overrides: Any,
) -> Any:
    """An offering made by ``creator`` (an agent of ``token``), granted the minter role by ``admin`` (and the
    custodian role with ``custody``: its claims are then minted at the close into its custody)."""
    data = offering_input(token, coin, chain.pending_timestamp, **overrides)
    address = offering_factory.predictOffering(data)
    offering_factory.createOffering(data, sender=creator)
    offering = project.PropertyOffering.at(address)
    if grant:
        token.grantRole(MINTER_ROLE, offering, sender=admin)
    if custody:
        token.grantRole(CUSTODIAN_ROLE, offering, sender=admin)
    return offering


def fund(coin: Any, offering: Any, *wallets: Any, amount: int = 100_000 * USDC) -> None:
    """Each wallet holds ``amount`` of ``coin`` and has approved the offering."""
    for wallet in wallets:
        coin.mint(wallet, amount, sender=wallet)
        coin.approve(offering, 2**256 - 1, sender=wallet)
