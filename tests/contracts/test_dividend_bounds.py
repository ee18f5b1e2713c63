"""Rent for decades (issue 21, item 6): every property of any decimals with at least one whole token accepts
at least 10^12 whole USDC of lifetime deposits, with each holder's claim exact to one unit, and refuses exactly
at the bounds the token documents (see PropertyToken's "Rent for decades"):

- `dividendsPerShare` (2^96 per stablecoin unit per token unit) below 2^160, its storage;
- `dividendsPerShare * totalSupply` below 2^215 (so every dividend correction fits), checked by deposits and mints.

Before the fix, a property with 0 decimals and 10^6 shares stopped accepting rent after about 8.4 million USDC,
and one with fewer than 10^6 units never accepted any.
"""

import pytest
from helpers import reverts

from rwa.testing.suite import create_property

USDC = 10**6
LIFETIME = 10**12 * USDC  # what the issue asks every property to accept
DPS_BOUND, EXPOSURE_BOUND, SHIFT = 2**160, 2**215, 96


def accepts(dps, supply, amount):
    """The token's own test of a deposit (PropertyToken.distributeDividends), in Python."""
    if amount >= EXPOSURE_BOUND >> SHIFT:
        return False
    after = dps + (amount << SHIFT) // supply
    return after < DPS_BOUND and after * supply < EXPOSURE_BOUND


def largest_deposit(dps, supply):
    low, high = 0, EXPOSURE_BOUND >> SHIFT
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if accepts(dps, supply, middle) else (low, middle - 1)
    return low


@pytest.fixture
def rent(stablecoin, outsider):
    """Pays rent into a distributor from a wallet of its own."""
    payer = outsider

    def pay(distributor, amount):
        stablecoin.mint(payer, amount, sender=payer)
        stablecoin.approve(distributor, amount, sender=payer)
        return distributor.deposit(amount, sender=payer)

    return pay


@pytest.mark.parametrize(
    "decimals, shares",
    [(0, [1]), (18, [1]), (6, [1]), (0, [333_333, 666_667]), (18, [250_000, 250_000, 500_000])],
    ids=["0-decimals-1-token", "18-decimals-1-token", "6-decimals-1-token", "0-decimals-1M", "18-decimals-1M"],
)
def test_a_property_accepts_a_trillion_dollars_of_rent_exactly(
    project, factory, deployer, agent, verified, stablecoin, rent, decimals, shares
):
    token, _, distributor, _ = create_property(
        project, factory, deployer, agent, property_id=f"DECADES-{decimals}-{len(shares)}".encode(), decimals=decimals
    )
    holders = verified[: len(shares)]
    token.batchMint(holders, [s * 10**decimals for s in shares], sender=agent)
    supply = token.totalSupply()
    assert distributor.minSupply() == 10**decimals

    # Decades of rent in uneven deposits, one holder's tokens moving between two of them.
    owed = {h: 0 for h in holders}
    deposits = [LIFETIME // 3, LIFETIME // 7 + 1, LIFETIME - LIFETIME // 3 - LIFETIME // 7 - 1]
    for index, amount in enumerate(deposits):
        rent(distributor, amount)
        balances = {h: token.balanceOf(h) for h in holders}
        for h in holders:
            owed[h] = owed[h] + amount * balances[h]  # scaled by the supply, exact
        if index == 0 and len(holders) > 1:
            token.transfer(holders[1], balances[holders[0]] // 3, sender=holders[0])
    assert distributor.totalDeposited() == LIFETIME
    for h in holders:
        exact = owed[h] // supply
        claimable = token.claimableDividendsOf(h)
        assert exact - 1 <= claimable <= exact, (h, claimable, exact)
        receipt = token.claimDividends(sender=h)
        assert [(e.holder, e.amount) for e in token.DividendsClaimed.from_receipt(receipt)] == [(h, claimable)]
        assert stablecoin.balanceOf(h) == claimable

    # The bound itself: the largest further deposit the token documents passes, one unit more is refused.
    dps = token.dividendsPerShare()
    largest = largest_deposit(dps, supply)
    assert LIFETIME + largest >= min(2**64 * supply, 2**119) - supply  # the documented lifetime bound
    with reverts(token.DividendsPerShareOverflow):
        rent(distributor, largest + 1)
    rent(distributor, largest)


def test_a_mint_that_would_break_the_bound_is_refused(project, factory, deployer, agent, verified, rent):
    alice, bob = verified[:2]
    token, _, distributor, _ = create_property(project, factory, deployer, agent, property_id=b"DECADES-MINT", decimals=0)
    token.mint(alice, 1, sender=agent)
    rent(distributor, LIFETIME)  # a trillion dollars on one share
    largest = (EXPOSURE_BOUND - 1) // token.dividendsPerShare()
    with reverts(token.SupplyOverflow, supply=largest + 1, maxSupply=largest):
        token.mint(bob, largest, sender=agent)
    token.mint(bob, largest - 1, sender=agent)  # the supply reaches the bound: bob earns nothing of the past
    assert token.claimableDividendsOf(bob) == 0
    assert token.claimableDividendsOf(alice) == LIFETIME


def test_deposits_wait_for_one_whole_token(project, factory, deployer, agent, verified, rent):
    alice = verified[0]
    token, _, distributor, _ = create_property(project, factory, deployer, agent, property_id=b"DECADES-DUST", decimals=6)
    token.mint(alice, 10**6 - 1, sender=agent)
    with reverts(distributor.SupplyTooSmall, supply=10**6 - 1, minSupply=10**6):
        rent(distributor, USDC)
    token.mint(alice, 1, sender=agent)
    rent(distributor, USDC)
    assert token.claimableDividendsOf(alice) == USDC


def test_a_stablecoin_of_too_many_decimals_is_refused(project, deployer):
    """10^12 whole units of an 18-decimal coin would not fit the 2^64 units one whole token accepts."""
    coin = deployer.deploy(project.AwkwardToken)
    with reverts(project.DividendDistributor.StablecoinDecimalsTooHigh, decimals=18, maxDecimals=7):
        deployer.deploy(project.DividendDistributor, coin)
