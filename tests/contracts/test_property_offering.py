"""PropertyOffering and its factory: every path, its events, and every refusal (issue 19)."""

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from helpers import DEFAULT_ADMIN_ROLE, GB, US, record_gas, reverts
from offering_helpers import (
    CANCELLED,
    CLOSED,
    FAILED,
    MINTER_ROLE,
    OPEN,
    PRICE,
    TOKEN,
    USDC,
    fund,
    make_offering,
    offering_input,
)

from rwa.core.abi import EIP712_DOMAIN_TYPE
from rwa.domain.offerings import PERMIT_TYPES

WEEK = 7 * 24 * 3600


@pytest.fixture
def new_offering(project, offering_factory, token, stablecoin, agent, admin, chain):
    def make(coin=None, **overrides):
        return make_offering(project, offering_factory, token, coin or stablecoin, agent, admin, chain, **overrides)

    return make


@pytest.fixture
def treasury(offering_factory):
    return offering_factory.treasury()


def events(receipt, name):
    return [log for log in receipt.events if log.event_name == name]


# ---- the factory -------------------------------------------------------------------------------


def test_treasury_is_the_admins_safe(offering_factory, suite):
    assert offering_factory.treasury() == suite["contracts"]["Safe"]["address"]
    assert offering_factory.implementation() == suite["contracts"]["PropertyOffering"]["address"]


def test_create_at_the_predicted_address_with_its_terms(project, offering_factory, token, stablecoin, agent, chain, treasury):
    data = offering_input(token, stablecoin, chain.pending_timestamp, softCap=100 * TOKEN, review=True)
    predicted = offering_factory.predictOffering(data)
    receipt = offering_factory.createOffering(data, sender=agent)
    record_gas("offering create", receipt)
    (created,) = events(receipt, "OfferingCreated")
    assert created.offering == predicted
    assert created.property == token.address
    assert created.creator == agent.address
    assert created.index == 0
    assert offering_factory.offeringsOf(token) == [predicted]
    assert offering_factory.offeringCount(token) == 1
    offering = project.PropertyOffering.at(predicted)
    terms = offering.terms()
    assert terms.property == token.address
    assert terms.stablecoin == stablecoin.address
    assert terms.treasury == treasury
    assert terms.price == PRICE and terms.unit == TOKEN
    assert terms.hardCap == 1_000 * TOKEN and terms.softCap == 100 * TOKEN
    assert terms.minPerInvestor == 10 * TOKEN and terms.maxPerInvestor == 400 * TOKEN
    assert terms.review is True
    assert offering.status() == OPEN
    # The same terms again make another offering (the index is in the salt).
    second = offering_factory.predictOffering(data)
    assert second != predicted
    offering_factory.createOffering(data, sender=agent)
    assert offering_factory.offeringsOf(token) == [predicted, second]


def test_the_property_admin_may_create(offering_factory, token, stablecoin, admin, chain):
    offering_factory.createOffering(offering_input(token, stablecoin, chain.pending_timestamp), sender=admin)
    assert offering_factory.offeringCount(token) == 1


def test_others_may_not_create(offering_factory, token, stablecoin, stranger, alice, chain):
    data = offering_input(token, stablecoin, chain.pending_timestamp)
    for caller in (stranger, alice):
        with reverts(offering_factory.NotPropertyAgent, caller=caller, property=token):
            offering_factory.createOffering(data, sender=caller)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"price": 0}, "ZeroPrice"),
        ({"hardCap": 0}, "ZeroCap"),
        ({"softCap": 1_001 * TOKEN}, "SoftCapAboveHardCap"),
        ({"minPerInvestor": 500 * TOKEN}, "MinimumAboveMaximum"),
        ({"minPerInvestor": 2_000 * TOKEN, "maxPerInvestor": 0}, "MinimumAboveHardCap"),
        ({"hardCap": 2**96}, "CapTooLarge"),
        ({"price": 2**200}, "PriceTooLarge"),
        ({"closesAt": 1}, "ClosesBeforeOpening"),
    ],
)
def test_bad_terms_are_refused(offering_factory, token, stablecoin, agent, chain, overrides, error):
    data = offering_input(token, stablecoin, chain.pending_timestamp, **overrides)
    with reverts(getattr(offering_factory, error)):
        offering_factory.terms(data)
    with reverts(getattr(offering_factory, error)):
        offering_factory.createOffering(data, sender=agent)


def test_closing_in_the_past_is_refused(offering_factory, token, stablecoin, agent, chain):
    data = offering_input(token, stablecoin, 1, closesAt=2)
    with reverts(offering_factory.ClosesInThePast, closesAt=2):
        offering_factory.createOffering(data, sender=agent)


def test_a_key_cannot_be_the_treasury(project, deployer, offering_factory, alice):
    with reverts(project.PropertyOfferingFactory.NotATreasury, treasury=alice):
        project.PropertyOfferingFactory.deploy(offering_factory.implementation(), alice, sender=deployer)


def test_the_implementation_takes_nothing(project, offering_factory, alice):
    implementation = project.PropertyOffering.at(offering_factory.implementation())
    assert implementation.status() == CANCELLED
    with reverts(implementation.NotOpen, status=CANCELLED):
        implementation.subscribe(TOKEN, sender=alice)


# ---- subscribing without soft cap or review: minted at once --------------------------------------


def test_subscribe_mints_and_pays_the_treasury(new_offering, token, stablecoin, alice, verified, treasury):
    offering = new_offering()
    fund(stablecoin, offering, alice)
    cost, tokens = offering.quote(20 * TOKEN)
    assert (cost, tokens) == (1_000 * USDC, 20 * TOKEN)
    before = stablecoin.balanceOf(treasury)
    receipt = offering.subscribe(20 * TOKEN, sender=alice)
    record_gas("offering subscribe (immediate mint)", receipt)
    assert token.balanceOf(alice) == 20 * TOKEN
    assert stablecoin.balanceOf(treasury) - before == cost
    assert stablecoin.balanceOf(offering) == 0
    (subscribed,) = events(receipt, "Subscribed")
    assert (subscribed.wallet, subscribed.investorId, subscribed.tokens, subscribed.paid) == (alice.address, 1, 20 * TOKEN, cost)
    assert subscribed.minted and not subscribed.pending
    assert not events(receipt, "ProceedsSent")  # paid straight to the treasury: the stablecoin's Transfer says so
    assert [(e.to, e.value) for e in events(receipt, "Transfer") if e.contract_address == stablecoin.address] == [
        (treasury, cost)
    ]
    assert offering.subscribed() == offering.accepted() == 20 * TOKEN
    assert offering.investorTotal(1) == 20 * TOKEN
    assert offering.remaining() == 980 * TOKEN


def test_price_rounding_favours_nobody_by_more_than_a_unit(new_offering, token, stablecoin, bob, verified):
    # 3 per whole token: a token base unit costs 3e-18 USDC. One base unit of USDC buys 333_333_333_333 base
    # units: asking for 1e11 costs that one unit, and buys every token unit it pays for.
    offering = new_offering(price=3, minPerInvestor=0)
    cost, tokens = offering.quote(10**11)
    assert cost == 1 and tokens == 10**18 // 3
    fund(stablecoin, offering, bob)
    offering.subscribe(10**11, sender=bob)
    assert token.balanceOf(bob) == tokens


def test_without_limits_no_investor_totals_are_kept(new_offering, token, stablecoin, alice, verified):
    offering = new_offering(minPerInvestor=0, maxPerInvestor=0)
    fund(stablecoin, offering, alice)
    receipt = offering.subscribe(1, sender=alice)  # one base unit of USDC: it buys 2 * 10**10 token units
    assert (events(receipt, "Subscribed")[0].investorId, token.balanceOf(alice)) == (1, 2 * 10**10)
    offering.subscribe(offering.remaining(), sender=alice)
    assert token.balanceOf(alice) == 1_000 * TOKEN
    assert offering.investorTotal(1) == 0 and offering.remaining() == 0


def test_two_wallets_of_one_investor_share_the_maximum(new_offering, stablecoin, alice, alice2, verified):
    offering = new_offering()
    fund(stablecoin, offering, alice, alice2)
    offering.subscribe(300 * TOKEN, sender=alice)
    with reverts(offering.AboveMaximum, investorId=1, total=401 * TOKEN, maximum=400 * TOKEN):
        offering.subscribe(101 * TOKEN, sender=alice2)
    offering.subscribe(100 * TOKEN, sender=alice2)
    assert offering.investorTotal(1) == 400 * TOKEN


def test_minimum_and_hard_cap(new_offering, stablecoin, alice, bob, carol, verified):
    offering = new_offering(hardCap=500 * TOKEN)
    fund(stablecoin, offering, alice, bob, carol)
    with reverts(offering.BelowMinimum, investorId=2, total=9 * TOKEN, minimum=10 * TOKEN):
        offering.subscribe(9 * TOKEN, sender=bob)
    offering.subscribe(10 * TOKEN, sender=bob)
    offering.subscribe(1 * TOKEN, sender=bob)  # the minimum is the investor's total
    offering.subscribe(400 * TOKEN, sender=alice)
    with reverts(offering.HardCapExceeded, requested=90 * TOKEN, remaining=89 * TOKEN):
        offering.subscribe(90 * TOKEN, sender=carol)
    offering.subscribe(89 * TOKEN, sender=carol)
    assert offering.remaining() == 0


def test_before_opening_and_after_closing(new_offering, stablecoin, alice, verified, chain):
    now = chain.pending_timestamp
    offering = new_offering(opensAt=now + 3600, closesAt=now + 7200)
    fund(stablecoin, offering, alice)
    with reverts(offering.ZeroAmount):
        offering.subscribe(0, sender=alice)
    with reverts(offering.NotStarted, opensAt=now + 3600):
        offering.subscribe(10 * TOKEN, sender=alice)
    chain.pending_timestamp = now + 7200
    with reverts(offering.Ended, closesAt=now + 7200):
        offering.subscribe(10 * TOKEN, sender=alice)


def test_compliance_is_asked_before_money_moves(
    new_offering, token, compliance, stablecoin, registry, alice, bob, stranger, sanctions_officer, agent, admin, verified
):
    offering = new_offering()
    fund(stablecoin, offering, alice, bob, stranger)
    with reverts(offering.InvestorNotVerified, wallet=stranger):
        offering.subscribe(10 * TOKEN, sender=stranger)
    registry.setSanctioned(bob, True, sender=sanctions_officer)
    with reverts(offering.InvestorSanctioned, wallet=bob):
        offering.subscribe(10 * TOKEN, sender=bob)
    token.setAddressFrozen(alice, True, sender=agent)
    with reverts(offering.InvestorFrozen, wallet=alice):
        offering.subscribe(10 * TOKEN, sender=alice)
    token.setAddressFrozen(alice, False, sender=agent)
    # The token's own compliance answers, with its own error: alice (US) is not on the allow-list.
    compliance.addModule(compliance.MODULE_COUNTRY_ALLOW(), sender=admin)
    compliance.setCountriesAllowed([GB], True, sender=admin)
    with reverts(compliance.CountryNotAllowed, wallet=alice, country=US):
        offering.subscribe(10 * TOKEN, sender=alice)
    compliance.setCountriesAllowed([US], True, sender=admin)
    compliance.addModule(compliance.MODULE_SUPPLY_CAP(), sender=admin)
    compliance.setSupplyCap(15 * TOKEN, sender=admin)
    with reverts(compliance.SupplyCapExceeded, supply=20 * TOKEN, cap=15 * TOKEN):
        offering.subscribe(20 * TOKEN, sender=alice)
    assert stablecoin.balanceOf(offering) == 0 and token.totalSupply() == 0
    receipt = offering.subscribe(15 * TOKEN, sender=alice)
    record_gas("offering subscribe (immediate mint, compliance with modules)", receipt)
    assert token.balanceOf(alice) == 15 * TOKEN


def test_the_token_screens_a_mint_in_one_answer(token, compliance, registry, alice, stranger, agent, admin, verified):
    paused, verified_, frozen, modules = 1, 2, 4, 8  # the MINT_SCREEN_* flags
    assert token.screenMint(alice) == (verified_, registry.address)
    assert token.screenMint(stranger) == (0, registry.address)
    token.setAddressFrozen(alice, True, sender=agent)
    token.pause(sender=agent)
    compliance.addModule(compliance.MODULE_COUNTRY_ALLOW(), sender=admin)
    assert token.screenMint(alice) == (paused | verified_ | frozen | modules, registry.address)


def test_a_token_from_before_the_screen_is_asked_view_by_view(
    project,
    deployer,
    new_offering,
    token,
    token_beacon,
    compliance,
    stablecoin,
    registry,
    alice,
    bob,
    stranger,
    sanctions_officer,
    agent,
    admin,
    verified,
):
    # An existing property whose token implementation predates `screenMint`: the same refusals, the same subscription.
    token_beacon.upgradeTo(deployer.deploy(project.PropertyTokenWithoutMintScreen, stablecoin, registry), sender=admin)
    offering = new_offering()
    fund(stablecoin, offering, alice, bob, stranger)
    with reverts(offering.InvestorNotVerified, wallet=stranger):
        offering.subscribe(10 * TOKEN, sender=stranger)
    registry.setSanctioned(bob, True, sender=sanctions_officer)
    with reverts(offering.InvestorSanctioned, wallet=bob):
        offering.subscribe(10 * TOKEN, sender=bob)
    token.setAddressFrozen(alice, True, sender=agent)
    with reverts(offering.InvestorFrozen, wallet=alice):
        offering.subscribe(10 * TOKEN, sender=alice)
    token.setAddressFrozen(alice, False, sender=agent)
    token.pause(sender=agent)
    with reverts(offering.PropertyPaused):
        offering.subscribe(10 * TOKEN, sender=alice)
    token.unpause(sender=admin)
    compliance.addModule(compliance.MODULE_COUNTRY_ALLOW(), sender=admin)
    with reverts(compliance.CountryNotAllowed, wallet=alice, country=US):
        offering.subscribe(10 * TOKEN, sender=alice)
    compliance.setCountriesAllowed([US], True, sender=admin)
    offering.subscribe(10 * TOKEN, sender=alice)
    assert token.balanceOf(alice) == 10 * TOKEN and stablecoin.balanceOf(alice) == 100_000 * USDC - 500 * USDC


def test_a_paused_property_pauses_its_offering(new_offering, token, stablecoin, alice, agent, admin, verified):
    offering = new_offering()
    fund(stablecoin, offering, alice)
    token.pause(sender=agent)
    with reverts(offering.PropertyPaused):
        offering.subscribe(10 * TOKEN, sender=alice)
    token.unpause(sender=admin)
    offering.subscribe(10 * TOKEN, sender=alice)


def test_without_the_minter_role_nothing_is_taken(new_offering, token, stablecoin, alice, verified):
    offering = new_offering(grant=False)
    fund(stablecoin, offering, alice)
    with reverts(token.AccessControlUnauthorizedAccount, account=offering, neededRole=MINTER_ROLE):
        offering.subscribe(10 * TOKEN, sender=alice)
    assert stablecoin.balanceOf(alice) == 100_000 * USDC


def test_too_little_allowance_or_balance(new_offering, stablecoin, alice, bob, verified):
    offering = new_offering()
    stablecoin.approve(offering, 10 * USDC, sender=alice)
    stablecoin.mint(alice, 10_000 * USDC, sender=alice)
    with reverts(stablecoin.ERC20InsufficientAllowance):
        offering.subscribe(10 * TOKEN, sender=alice)
    stablecoin.approve(offering, 2**256 - 1, sender=bob)
    with reverts(stablecoin.ERC20InsufficientBalance):
        offering.subscribe(10 * TOKEN, sender=bob)


def test_fee_on_transfer_is_credited_its_net(project, deployer, new_offering, token, alice, verified, treasury):
    coin = project.FeeOnTransferStablecoin.deploy(sender=deployer)
    offering = new_offering(coin=coin)
    fund(coin, offering, alice)
    receipt = offering.subscribe(100 * TOKEN, sender=alice)
    # 5,000 USDC sent, 1% burnt on the way: 4,950 arrived, which buys 99 tokens.
    assert coin.balanceOf(treasury) == 4_950 * USDC
    assert token.balanceOf(alice) == 99 * TOKEN
    (subscribed,) = events(receipt, "Subscribed")
    assert (subscribed.tokens, subscribed.paid) == (99 * TOKEN, 4_950 * USDC)
    assert offering.investorTotal(1) == 99 * TOKEN


def _permit(coin, owner, spender, value, deadline, chain):
    data = {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **PERMIT_TYPES},
        "primaryType": "Permit",
        "domain": {"name": coin.name(), "version": "1", "chainId": chain.chain_id, "verifyingContract": coin.address},
        "message": {
            "owner": owner.address,
            "spender": spender.address,
            "value": value,
            "nonce": coin.nonces(owner),
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=data), owner.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def test_subscribe_with_permit(project, deployer, new_offering, token, alice, verified, chain):
    coin = project.PermitStablecoin.deploy(sender=deployer)
    offering = new_offering(coin=coin)
    coin.mint(alice, 1_000 * USDC, sender=alice)
    deadline = chain.pending_timestamp + 3600
    v, r, s = _permit(coin, alice, offering, 500 * USDC, deadline, chain)
    offering.subscribeWithPermit(10 * TOKEN, 500 * USDC, deadline, v, r, s, sender=alice)
    assert token.balanceOf(alice) == 10 * TOKEN
    assert coin.allowance(alice, offering) == 0
    # A used permit is ignored: with no allowance left the subscription fails on the allowance.
    with reverts(coin.ERC20InsufficientAllowance):
        offering.subscribeWithPermit(10 * TOKEN, 500 * USDC, deadline, v, r, s, sender=alice)


# ---- soft cap: escrow, close, claim or refund ----------------------------------------------------


def test_soft_cap_met_claims_mint_and_the_last_one_renounces(
    new_offering, token, stablecoin, alice, bob, carol, verified, chain, treasury, stranger, agent, admin
):
    offering = new_offering(softCap=100 * TOKEN)
    fund(stablecoin, offering, alice, bob)
    receipt = offering.subscribe(60 * TOKEN, sender=alice)
    record_gas("offering subscribe (escrow)", receipt)
    (subscribed,) = events(receipt, "Subscribed")
    assert not subscribed.minted and not subscribed.pending
    offering.subscribe(40 * TOKEN, sender=bob)
    assert token.balanceOf(alice) == 0
    assert stablecoin.balanceOf(offering) == 5_000 * USDC
    assert offering.escrowedAccepted() == 5_000 * USDC
    with reverts(offering.StillRunning):
        offering.close(sender=stranger)
    with reverts(offering.NotClosed, status=OPEN):
        offering.claim(sender=alice)
    chain.pending_timestamp += WEEK
    before = stablecoin.balanceOf(treasury)
    receipt = offering.close(sender=stranger)
    (closed,) = events(receipt, "OfferingClosed")
    assert (closed.status, closed.subscribed, closed.accepted, closed.by) == (CLOSED, 100 * TOKEN, 100 * TOKEN, stranger.address)
    assert stablecoin.balanceOf(treasury) - before == 5_000 * USDC
    assert stablecoin.balanceOf(offering) == 0
    assert offering.claimableOf(alice) == 60 * TOKEN
    assert token.hasRole(MINTER_ROLE, offering)  # claims are due
    with reverts(offering.NothingToRefund, wallet=alice):
        offering.refund(sender=alice)
    token.pause(sender=agent)
    with reverts(offering.PropertyPaused):
        offering.claim(sender=alice)
    token.unpause(sender=admin)
    receipt = offering.claim(sender=alice)
    record_gas("offering claim", receipt)
    assert [(e.wallet, e.tokens) for e in events(receipt, "Claimed")] == [(alice.address, 60 * TOKEN)]
    assert token.balanceOf(alice) == 60 * TOKEN
    with reverts(offering.NothingToClaim, wallet=alice):
        offering.claim(sender=alice)
    with reverts(offering.NothingToClaim, wallet=carol):
        offering.claim(sender=carol)
    receipt = offering.claim(sender=bob)
    assert events(receipt, "MinterRenounced")
    assert not token.hasRole(MINTER_ROLE, offering)
    assert offering.toMint() == 0
    with reverts(offering.NotOpen, status=CLOSED):
        offering.close(sender=stranger)


def test_soft_cap_missed_refunds_every_unit(project, deployer, new_offering, token, alice, bob, verified, chain, stranger):
    coin = project.FeeOnTransferStablecoin.deploy(sender=deployer)
    offering = new_offering(coin=coin, softCap=100 * TOKEN)
    fund(coin, offering, alice, bob, amount=10_000 * USDC)
    offering.subscribe(20 * TOKEN, sender=alice)  # 1,000 sent, 990 arrived
    chain.pending_timestamp += WEEK
    receipt = offering.close(sender=stranger)
    assert events(receipt, "OfferingClosed")[0].status == FAILED
    assert events(receipt, "MinterRenounced")
    assert offering.refundableOf(alice) == 990 * USDC
    with reverts(offering.NotClosed, status=FAILED):
        offering.claim(sender=alice)
    receipt = offering.refund(sender=alice)
    assert [(e.wallet, e.amount) for e in events(receipt, "Refunded")] == [(alice.address, 990 * USDC)]
    assert coin.balanceOf(offering) == 0
    with reverts(offering.NothingToRefund, wallet=alice):
        offering.refund(sender=alice)
    with reverts(offering.NothingToRefund, wallet=bob):
        offering.refund(sender=bob)
    assert token.totalSupply() == 0


def test_an_agent_may_close_early(new_offering, token, stablecoin, alice, agent, verified):
    offering = new_offering()
    fund(stablecoin, offering, alice)
    offering.subscribe(10 * TOKEN, sender=alice)
    receipt = offering.close(sender=agent)
    assert events(receipt, "OfferingClosed")[0].status == CLOSED
    assert not token.hasRole(MINTER_ROLE, offering)
    with reverts(offering.NotOpen, status=CLOSED):
        offering.subscribe(10 * TOKEN, sender=alice)


def test_sanctioned_after_subscribing_gets_no_tokens_and_its_money_waits(
    new_offering, token, stablecoin, registry, alice, bob, sanctions_officer, verified, chain, stranger
):
    offering = new_offering(softCap=100 * TOKEN)
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(60 * TOKEN, sender=alice)
    offering.subscribe(50 * TOKEN, sender=bob)
    registry.setSanctioned(bob, True, sender=sanctions_officer)
    chain.pending_timestamp += WEEK
    offering.close(sender=stranger)  # the soft cap counts bob's accepted subscription: met
    with reverts(token.WalletSanctioned, wallet=bob):
        offering.claim(sender=bob)
    assert token.balanceOf(bob) == 0 and offering.claimableOf(bob) == 50 * TOKEN
    registry.setSanctioned(bob, False, sender=sanctions_officer)
    offering.claim(sender=bob)
    assert token.balanceOf(bob) == 50 * TOKEN


def test_sanctioned_wallet_is_not_refunded_until_lifted(
    new_offering, stablecoin, registry, alice, sanctions_officer, verified, chain, stranger
):
    offering = new_offering(softCap=500 * TOKEN)
    fund(stablecoin, offering, alice)
    offering.subscribe(20 * TOKEN, sender=alice)
    registry.setSanctioned(alice, True, sender=sanctions_officer)
    chain.pending_timestamp += WEEK
    offering.close(sender=stranger)
    with reverts(offering.InvestorSanctioned, wallet=alice):
        offering.refund(sender=alice)
    assert stablecoin.balanceOf(offering) == 1_000 * USDC
    registry.setSanctioned(alice, False, sender=sanctions_officer)
    offering.refund(sender=alice)
    assert stablecoin.balanceOf(offering) == 0


# ---- review: requests, accept and reject -------------------------------------------------------------


def test_review_accept_mints_in_a_batch_and_reject_refunds(
    new_offering, token, stablecoin, alice, bob, carol, agent, verified, treasury, stranger
):
    offering = new_offering(review=True)
    fund(stablecoin, offering, alice, bob, carol)
    receipt = offering.subscribe(20 * TOKEN, sender=alice)
    assert events(receipt, "Subscribed")[0].pending
    offering.subscribe(30 * TOKEN, sender=bob)
    offering.subscribe(40 * TOKEN, sender=carol)
    assert token.totalSupply() == 0 and offering.subscribed() == 90 * TOKEN and offering.accepted() == 0
    for caller in (stranger, alice):
        with reverts(offering.NotAgent, caller=caller):
            offering.accept([alice], sender=caller)
        with reverts(offering.NotAgent, caller=caller):
            offering.reject([alice], sender=caller)
    before = stablecoin.balanceOf(treasury)
    receipt = offering.accept([alice, bob], sender=agent)
    assert [(e.wallet, e.tokens, e.paid, bool(e.minted)) for e in events(receipt, "Accepted")] == [
        (alice.address, 20 * TOKEN, 1_000 * USDC, True),
        (bob.address, 30 * TOKEN, 1_500 * USDC, True),
    ]
    assert [e.amount for e in events(receipt, "ProceedsSent")] == [2_500 * USDC]
    assert stablecoin.balanceOf(treasury) - before == 2_500 * USDC
    assert token.balanceOf(alice) == 20 * TOKEN and token.balanceOf(bob) == 30 * TOKEN
    with reverts(offering.NothingPending, wallet=alice):
        offering.accept([alice], sender=agent)
    receipt = offering.reject([carol], sender=agent)
    assert [(e.wallet, e.tokens, e.paid) for e in events(receipt, "Rejected")] == [(carol.address, 40 * TOKEN, 2_000 * USDC)]
    assert offering.subscribed() == 50 * TOKEN and offering.investorTotal(3) == 0
    assert offering.refundableOf(carol) == 2_000 * USDC
    offering.refund(sender=carol)  # at once, while open
    assert stablecoin.balanceOf(offering) == 0
    with reverts(offering.BatchTooLarge, size=101, maxSize=100):
        offering.accept([alice] * 101, sender=agent)


def test_review_with_soft_cap_and_pending_at_close(
    new_offering, token, stablecoin, alice, bob, agent, verified, chain, stranger, treasury
):
    offering = new_offering(review=True, softCap=20 * TOKEN)
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(20 * TOKEN, sender=alice)
    offering.subscribe(30 * TOKEN, sender=bob)
    receipt = offering.accept([alice], sender=agent)
    assert not events(receipt, "Accepted")[0].minted
    assert token.balanceOf(alice) == 0 and offering.escrowedAccepted() == 1_000 * USDC
    chain.pending_timestamp += WEEK
    before = stablecoin.balanceOf(treasury)
    offering.close(sender=stranger)
    assert offering.status() == CLOSED
    assert stablecoin.balanceOf(treasury) - before == 1_000 * USDC
    # bob's request was never reviewed: refundable; reviews are over.
    with reverts(offering.NotOpen, status=CLOSED):
        offering.accept([bob], sender=agent)
    assert offering.refundableOf(bob) == 1_500 * USDC
    offering.refund(sender=bob)
    offering.claim(sender=alice)
    assert token.balanceOf(alice) == 20 * TOKEN
    assert not token.hasRole(MINTER_ROLE, offering)


def test_review_only_where_asked(new_offering, alice, agent, verified):
    offering = new_offering()
    with reverts(offering.NoReview):
        offering.accept([alice], sender=agent)


def test_a_paused_property_stops_acceptance_not_refunds(new_offering, token, stablecoin, alice, bob, agent, verified):
    offering = new_offering(review=True)
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(20 * TOKEN, sender=alice)
    offering.subscribe(20 * TOKEN, sender=bob)
    token.pause(sender=agent)
    with reverts(offering.PropertyPaused):
        offering.accept([alice], sender=agent)
    offering.reject([bob], sender=agent)
    offering.refund(sender=bob)
    assert stablecoin.balanceOf(bob) == 100_000 * USDC


# ---- cancel -----------------------------------------------------------------------------------------


def test_cancel_by_the_admin_makes_everything_refundable(
    new_offering, token, stablecoin, alice, bob, agent, admin, verified, stranger
):
    offering = new_offering(softCap=100 * TOKEN, review=True)
    fund(stablecoin, offering, alice, bob)
    offering.subscribe(20 * TOKEN, sender=alice)
    offering.subscribe(30 * TOKEN, sender=bob)
    offering.accept([alice], sender=agent)
    for caller in (agent, stranger):
        with reverts(offering.NotAdmin, caller=caller):
            offering.cancel(sender=caller)
    receipt = offering.cancel(sender=admin)
    assert [e.by for e in events(receipt, "OfferingCancelled")] == [admin.address]
    assert events(receipt, "MinterRenounced")
    assert offering.status() == CANCELLED and not token.hasRole(MINTER_ROLE, offering)
    assert token.hasRole(DEFAULT_ADMIN_ROLE, admin)
    offering.refund(sender=alice)
    offering.refund(sender=bob)
    assert stablecoin.balanceOf(offering) == 0
    assert stablecoin.balanceOf(alice) == stablecoin.balanceOf(bob) == 100_000 * USDC
    with reverts(offering.NotOpen, status=CANCELLED):
        offering.cancel(sender=admin)
    with reverts(offering.NotOpen, status=CANCELLED):
        offering.subscribe(10 * TOKEN, sender=alice)
