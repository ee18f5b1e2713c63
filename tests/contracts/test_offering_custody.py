"""A soft-capped offering in custody (issue 19's claim): the close mints every claim once, to the offering, which
the property made its custodian; claims transfer through the token's ordinary compliant transfer. The custodian is
not an investor: the token lets it receive that mint and send without its own verification, the compliance
excuses it from country, accreditation and lockup (its lock passes to its buyers), and max-holders never counts it.
"""

import pytest
from helpers import US, reverts
from offering_helpers import CLOSED, CUSTODIAN_ROLE, MINTER_ROLE, TOKEN, USDC, fund, make_offering

WEEK = 7 * 24 * 3600
MONTH = 30 * 24 * 3600


@pytest.fixture
def custody_offering(project, offering_factory, token, stablecoin, agent, admin, chain):
    def make(**overrides):
        overrides.setdefault("softCap", 100 * TOKEN)
        return make_offering(project, offering_factory, token, stablecoin, agent, admin, chain, custody=True, **overrides)

    return make


def events(receipt, name):
    return [log for log in receipt.events if log.event_name == name]


def test_the_close_mints_once_into_custody_and_claims_transfer(
    custody_offering, offering_factory, token, stablecoin, alice, bob, verified, chain, stranger, agent, admin
):
    offering = custody_offering()
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(60 * TOKEN, sender=alice)
    offering.subscribe(40 * TOKEN, sender=bob)
    with reverts(offering.NoCustody):
        offering.endCustody(sender=stranger)
    chain.pending_timestamp += WEEK
    receipt = offering.close(sender=stranger)
    assert events(receipt, "OfferingClosed")[0].status == CLOSED
    assert [e.tokens for e in events(receipt, "CustodyTaken")] == [100 * TOKEN]
    assert events(receipt, "MinterRenounced")  # given up at the close: nothing is minted after it
    assert not events(receipt, "CustodianRenounced")
    minted = [
        (e.event_arguments["from"], e.event_arguments["to"], e.value)
        for e in receipt.events
        if e.event_name == "Transfer" and e.contract_address == token.address
    ]
    assert minted == [("0x" + "00" * 20, offering.address, 100 * TOKEN)]
    assert token.balanceOf(offering) == token.totalSupply() == 100 * TOKEN
    assert offering.custody() and offering.toMint() == 0 and offering.claimableOf(alice) == 60 * TOKEN
    assert not token.hasRole(MINTER_ROLE, offering) and token.hasRole(CUSTODIAN_ROLE, offering)
    # A paused property pauses the claims: the token refuses the transfer.
    token.pause(sender=agent)
    with reverts(token.TokenPaused):
        offering.claim(sender=alice)
    token.unpause(sender=admin)
    receipt = offering.claim(sender=alice)
    assert [(e.wallet, e.tokens) for e in events(receipt, "Claimed")] == [(alice.address, 60 * TOKEN)]
    moved = [(e.event_arguments["from"], e.event_arguments["to"], e.value) for e in receipt.events if e.event_name == "Transfer"]
    assert moved == [(offering.address, alice.address, 60 * TOKEN)]
    assert token.balanceOf(alice) == 60 * TOKEN and token.balanceOf(offering) == 40 * TOKEN
    with reverts(offering.NothingToClaim, wallet=alice):
        offering.claim(sender=alice)
    with reverts(offering.StillHolding, tokens=40 * TOKEN):
        offering.endCustody(sender=stranger)
    offering.claim(sender=bob)
    receipt = offering.endCustody(sender=stranger)
    assert events(receipt, "CustodianRenounced")
    assert not token.hasRole(CUSTODIAN_ROLE, offering)
    assert token.totalSupply() == 100 * TOKEN and token.balanceOf(offering) == 0


def test_a_custodian_receives_only_its_mint(custody_offering, token, stablecoin, alice, bob, verified, chain, stranger, agent):
    offering = custody_offering()
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(100 * TOKEN, sender=alice)
    chain.pending_timestamp += WEEK
    offering.close(sender=stranger)
    offering.claim(sender=alice)
    # Custody never lets the offering receive a transfer; a mint only while it holds the role.
    with reverts(token.WalletNotVerified, wallet=offering):
        token.transfer(offering, TOKEN, sender=alice)
    offering.endCustody(sender=stranger)
    with reverts(token.WalletNotVerified, wallet=offering):
        token.mint(offering, TOKEN, sender=agent)
    # Nor does anyone else without the role receive a mint unverified.
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.mint(stranger, TOKEN, sender=agent)


def test_only_the_property_admin_grants_custody(token, alice, stranger, agent, admin):
    for caller in (stranger, agent):
        with reverts(token.AccessControlUnauthorizedAccount, account=caller, neededRole=b"\x00" * 32):
            token.grantRole(CUSTODIAN_ROLE, alice, sender=caller)
    token.grantRole(CUSTODIAN_ROLE, stranger, sender=admin)
    assert token.hasRole(CUSTODIAN_ROLE, stranger)
    token.mint(stranger, TOKEN, sender=agent)  # an unverified custodian receives a mint
    assert token.balanceOf(stranger) == TOKEN


def test_sanctioned_or_revoked_after_subscribing_their_tokens_wait_in_custody(
    custody_offering,
    offering_factory,
    token,
    stablecoin,
    registry,
    alice,
    bob,
    carol,
    attestor,
    sanctions_officer,
    verified,
    chain,
    stranger,
):
    offering = custody_offering()
    fund(stablecoin, offering, alice, bob, carol)
    offering.subscribe(60 * TOKEN, sender=alice)
    offering.subscribe(50 * TOKEN, sender=bob)
    offering.subscribe(20 * TOKEN, sender=carol)
    registry.setSanctioned(bob, True, sender=sanctions_officer)
    registry.revoke(carol, sender=attestor)
    treasury = offering_factory.treasury()
    before = stablecoin.balanceOf(treasury)
    chain.pending_timestamp += WEEK
    offering.close(sender=stranger)  # every accepted subscription counts toward the soft cap, and is minted into custody
    assert stablecoin.balanceOf(treasury) - before == 6_500 * USDC  # their money went to the treasury with the rest
    with reverts(token.WalletSanctioned, wallet=bob):
        offering.claim(sender=bob)
    with reverts(token.WalletNotVerified, wallet=carol):
        offering.claim(sender=carol)
    offering.claim(sender=alice)
    assert token.balanceOf(bob) == token.balanceOf(carol) == 0
    assert token.balanceOf(offering) == 70 * TOKEN
    assert offering.claimableOf(bob) == 50 * TOKEN and offering.claimableOf(carol) == 20 * TOKEN
    with reverts(offering.StillHolding, tokens=70 * TOKEN):
        offering.endCustody(sender=stranger)
    with reverts(offering.NothingToRefund, wallet=bob):
        offering.refund(sender=bob)
    registry.setSanctioned(bob, False, sender=sanctions_officer)
    offering.claim(sender=bob)
    assert token.balanceOf(bob) == 50 * TOKEN and token.balanceOf(offering) == 20 * TOKEN


def test_the_compliance_sees_the_custodian_as_no_investor(
    custody_offering, token, compliance, stablecoin, registry, alice, bob, carol, verified, chain, stranger, admin
):
    for module in (compliance.MODULE_COUNTRY_ALLOW(), compliance.MODULE_MAX_HOLDERS(), compliance.MODULE_LOCKUP()):
        compliance.addModule(module, sender=admin)
    compliance.setCountriesAllowed([US, 826, 250], True, sender=admin)
    compliance.setMaxHolders(2, sender=admin)
    compliance.setLockupPeriod(MONTH, sender=admin)
    offering = custody_offering()
    fund(stablecoin, offering, alice, bob, carol)
    offering.subscribe(60 * TOKEN, sender=alice)
    offering.subscribe(30 * TOKEN, sender=bob)
    offering.subscribe(20 * TOKEN, sender=carol)
    chain.pending_timestamp += WEEK
    # The offering has no country (it is not registered): the close's mint to it is not refused for that.
    receipt = offering.close(sender=stranger)
    until = compliance.lockedUntil(offering)
    assert until == chain.blocks.head.timestamp + MONTH
    assert compliance.holderCount() == 0  # the custodian counts under investor id 0, as a mint's source
    receipt = offering.claim(sender=alice)
    # The buyer inherits the lock the close set (its holding period starts when the sale completed).
    assert [(e.wallet, e.until) for e in receipt.events if e.event_name == "WalletLocked"] == [(alice.address, until)]
    assert compliance.lockedUntil(alice) == until and compliance.holderCount() == 1
    with reverts(compliance.TokensLocked, wallet=alice, until=until):
        token.transfer(bob, TOKEN, sender=alice)
    # The claimant faces every rule: a country taken off the list, then the holders' cap.
    compliance.setCountriesAllowed([826], False, sender=admin)
    with reverts(compliance.CountryNotAllowed, wallet=bob, country=826):
        offering.claim(sender=bob)
    compliance.setCountriesAllowed([826], True, sender=admin)
    offering.claim(sender=bob)
    assert compliance.holderCount() == 2
    with reverts(compliance.MaxHoldersExceeded, holders=3, maxHolders=2):
        offering.claim(sender=carol)
    assert token.balanceOf(offering) == 20 * TOKEN
    chain.pending_timestamp += MONTH
    compliance.setMaxHolders(3, sender=admin)
    receipt = offering.claim(sender=carol)
    assert not [e for e in receipt.events if e.event_name == "WalletLocked"]  # the lock has passed: nothing to hand on
    assert compliance.holderCount() == 3


def test_accredited_only_excuses_the_custodian_not_its_buyers(
    custody_offering, token, compliance, stablecoin, alice, bob, verified, chain, stranger, admin
):
    offering = custody_offering()
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(60 * TOKEN, sender=alice)
    offering.subscribe(40 * TOKEN, sender=bob)  # bob is not accredited: the module comes after his subscription
    compliance.addModule(compliance.MODULE_ACCREDITED_ONLY(), sender=admin)
    chain.pending_timestamp += WEEK
    offering.close(sender=stranger)
    assert token.balanceOf(offering) == 100 * TOKEN
    assert compliance.canTransfer(offering, alice, TOKEN)
    assert not compliance.canTransfer(offering, bob, TOKEN)
    with reverts(compliance.NotAccredited, wallet=bob):
        offering.claim(sender=bob)
    offering.claim(sender=alice)
    assert token.balanceOf(alice) == 60 * TOKEN


def test_without_the_custodian_role_claims_mint(
    custody_offering, project, offering_factory, token, stablecoin, alice, agent, admin, verified, chain, stranger
):
    # The property's admin did not grant custody (or the token predates it): the claims mint, as before.
    offering = make_offering(project, offering_factory, token, stablecoin, agent, admin, chain, softCap=10 * TOKEN)
    fund(stablecoin, offering, alice)
    offering.subscribe(10 * TOKEN, sender=alice)
    chain.pending_timestamp += WEEK
    receipt = offering.close(sender=stranger)
    assert not events(receipt, "CustodyTaken") and not offering.custody()
    assert token.hasRole(MINTER_ROLE, offering) and token.totalSupply() == 0
    receipt = offering.claim(sender=alice)
    assert [(e.event_arguments["from"], e.event_arguments["to"]) for e in receipt.events if e.event_name == "Transfer"] == [
        ("0x" + "00" * 20, alice.address)
    ]
    assert events(receipt, "MinterRenounced")
