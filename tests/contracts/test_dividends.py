"""Rent dividends: deposits in the DividendDistributor, dividends-per-share accounting in the token,
claims through the token. Correct across transfers, mints, burns, freezes, forced transfers and
recoveries; never pays more than was deposited."""

import pytest
from helpers import ZERO_ADDRESS, about, reverts

E18 = 10**18
USDC = 10**6


@pytest.fixture
def holders(token, agent, alice, bob):
    token.mint(alice, 75 * E18, sender=agent)
    token.mint(bob, 25 * E18, sender=agent)
    return alice, bob


def test_initial_state(distributor, token, stablecoin):
    assert distributor.token() == token.address
    assert distributor.stablecoin() == stablecoin.address
    assert distributor.totalDeposited() == 0
    assert token.dividendsPerShare() == 0


def test_initialize_only_once(distributor, token, outsider, project, suite):
    with reverts(distributor.AlreadyInitialized):
        distributor.initialize(token, sender=outsider)
    implementation = project.DividendDistributor.at(suite["contracts"]["DividendDistributorBeacon"]["proxy"]["implementation"])
    with reverts(implementation.AlreadyInitialized):
        implementation.initialize(token, sender=outsider)


def test_deposit_and_claim_pro_rata(token, distributor, stablecoin, funded, holders, alice, bob):
    receipt = distributor.deposit(1000 * USDC, sender=funded)
    assert [(e.depositor, e.amount) for e in distributor.Deposited.from_receipt(receipt)] == [(funded, 1000 * USDC)]
    assert distributor.totalDeposited() == 1000 * USDC
    assert stablecoin.balanceOf(distributor) == 1000 * USDC
    assert about(token.claimableDividendsOf(alice), 750 * USDC)
    assert about(distributor.claimable(bob), 250 * USDC)
    receipt = token.claimDividends(sender=alice)
    [event] = token.DividendsClaimed.from_receipt(receipt)
    assert event.holder == alice and about(event.amount, 750 * USDC)
    assert stablecoin.balanceOf(alice) == event.amount
    assert token.claimableDividendsOf(alice) == 0
    with reverts(token.NothingToClaim, holder=alice):
        token.claimDividends(sender=alice)


def test_deposit_refusals(token, distributor, funded):
    with reverts(distributor.ZeroAmount):
        distributor.deposit(0, sender=funded)
    with reverts(distributor.SupplyTooSmall, supply=0, minSupply=E18):
        distributor.deposit(1, sender=funded)


def test_balances_at_deposit_time_count(token, distributor, funded, holders, agent, alice, bob, carol):
    distributor.deposit(100 * USDC, sender=funded)  # alice 75, bob 25
    token.transfer(carol, 50 * E18, sender=alice)  # alice 25, bob 25, carol 50
    token.mint(bob, 100 * E18, sender=agent)  # bob 125; supply 200
    distributor.deposit(200 * USDC, sender=funded)
    token.burn(bob, 125 * E18, sender=agent)  # bob keeps what he earned
    distributor.deposit(75 * USDC, sender=funded)  # alice 25, carol 50; supply 75
    assert about(token.claimableDividendsOf(alice), 75 * USDC + 25 * USDC + 25 * USDC)
    assert about(token.claimableDividendsOf(bob), 25 * USDC + 125 * USDC)
    assert about(token.claimableDividendsOf(carol), 50 * USDC + 50 * USDC)


def test_freezes_do_not_change_entitlement_but_block_claims(token, distributor, funded, holders, agent, alice, bob):
    token.freezePartialTokens(alice, 50 * E18, sender=agent)
    token.setAddressFrozen(bob, True, sender=agent)
    distributor.deposit(100 * USDC, sender=funded)
    assert about(token.claimableDividendsOf(alice), 75 * USDC)
    assert about(token.claimableDividendsOf(bob), 25 * USDC)
    token.claimDividends(sender=alice)
    with reverts(token.WalletFrozen, wallet=bob):
        token.claimDividends(sender=bob)
    token.setAddressFrozen(bob, False, sender=agent)
    token.claimDividends(sender=bob)


def test_forced_transfer_moves_future_dividends_only(token, distributor, funded, holders, agent, alice, bob):
    distributor.deposit(100 * USDC, sender=funded)
    token.forcedTransfer(alice, bob, 75 * E18, sender=agent)
    distributor.deposit(100 * USDC, sender=funded)
    assert about(token.claimableDividendsOf(alice), 75 * USDC)
    assert about(token.claimableDividendsOf(bob), 25 * USDC + 100 * USDC)


def test_recovery_carries_unclaimed_dividends(token, distributor, stablecoin, funded, holders, agent, alice, alice2):
    distributor.deposit(100 * USDC, sender=funded)
    token.transfer(alice2, 5 * E18, sender=alice)  # the new wallet already holds some
    distributor.deposit(100 * USDC, sender=funded)
    before = token.claimableDividendsOf(alice) + token.claimableDividendsOf(alice2)
    token.recoveryAddress(alice, alice2, ZERO_ADDRESS, sender=agent)
    assert token.claimableDividendsOf(alice) == 0
    # Merged entitlements are floored once instead of twice: up to one wei more than the two parts.
    assert before <= token.claimableDividendsOf(alice2) <= before + 1
    token.claimDividends(sender=alice2)
    assert stablecoin.balanceOf(alice2) >= before


def test_rounding_never_pays_more_than_deposited(token, distributor, stablecoin, funded, agent, alice, bob, carol):
    minimum = distributor.minSupply()
    token.batchMint([alice, bob, carol], [minimum // 3 + 1, minimum // 3, minimum // 3 + 1], sender=agent)
    for amount in (1, 2, 5, 7):
        distributor.deposit(amount, sender=funded)
    paid = 0
    for holder in (alice, bob, carol):
        if token.claimableDividendsOf(holder):
            paid += token.claimDividends(sender=holder).return_value or 0
    total = sum(stablecoin.balanceOf(h) for h in (alice, bob, carol))
    assert total <= 15
    assert total >= 15 - 3
    assert stablecoin.balanceOf(distributor) == 15 - total


def test_refresh_allowance(distributor, stablecoin, token, outsider, funded, holders):
    distributor.deposit(USDC, sender=funded)
    distributor.refreshAllowance(sender=outsider)
    assert stablecoin.allowance(distributor, token) == 2**256 - 1


@pytest.fixture
def successor(project, deployer, distributor, suite, token):
    """A second distributor of the same token, behind the suite's distributor beacon."""
    beacon = suite["contracts"]["DividendDistributorBeacon"]["proxy"]["beacon"]
    proxy = project.BeaconInstanceProxy.deploy(beacon, distributor.initialize.encode_input(token), sender=deployer)
    return project.DividendDistributor.at(proxy.address)


def test_replacing_the_distributor_strands_nothing(
    token, distributor, successor, stablecoin, funded, holders, admin, outsider, alice, bob
):
    # Issue 21: the new distributor owed the holders what the old one kept.
    distributor.deposit(1001 * USDC + 3, sender=funded)
    token.claimDividends(sender=alice)
    owed = token.claimableDividendsOf(bob)
    dust = distributor.dust()
    held = stablecoin.balanceOf(distributor)
    with reverts(distributor.OnlyToken, caller=outsider):
        distributor.handOver(outsider, sender=outsider)
    receipt = token.setDividendDistributor(successor, sender=admin)
    assert [(e.successor, e.amount) for e in distributor.HandedOver.from_receipt(receipt)] == [(successor, held - dust)]
    assert stablecoin.balanceOf(successor) == held - dust and stablecoin.balanceOf(distributor) == dust
    assert token.dividendDistributor() == successor.address
    token.claimDividends(sender=bob)  # paid by the new distributor
    assert stablecoin.balanceOf(successor) == held - dust - owed
