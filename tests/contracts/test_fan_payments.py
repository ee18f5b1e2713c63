"""Tests of fans paying athletes through the payments hub (FanPayments): tips and orders into a
NILVault, and memberships (ERC-5643 subscription NFTs); the vault's side (NILVaultPaymentsModule: refunds out of its
free balance) and the hub's copy of the vault's terms, kept in step.

Every payment must land where released deal revenue goes (the splitter, or the vault's free balance),
emit one FanPaid, and be refused from a sanctioned payer, above the AML threshold from an unverified
one, and while the vault is paused. Gas figures are in bench/fan_gas.py, not here.
"""

import json
from pathlib import Path

import ape
import pytest
from eth_account import Account
from eth_utils import keccak
from nil_helpers import (
    DAY,
    ZERO_ADDRESS,
    attestation,
    fresh_wallet,
    make_split,
    make_vault,
    random_address,
    reverts,
    set_up_first,
)

ETH = ZERO_ADDRESS
TIP, KIND_TIP, KIND_ORDER, KIND_SUBSCRIPTION = 2 * 10**6, 0, 1, 2
PERIOD = 30 * DAY
PRICE = 5 * 10**6
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
ERC5643_ID = bytes.fromhex("8c65f84d")
BEFORE_PAYMENTS = Path(__file__).parent / "fixtures" / "nil_vault_before_payments.json"


_wide_fixtures_first = set_up_first("fan_payments", "fan", "fan2")


@pytest.fixture(scope="module")
def athlete(accounts):
    return fresh_wallet(accounts)


@pytest.fixture(scope="module")
def fan(accounts):
    return fresh_wallet(accounts)


@pytest.fixture(scope="module")
def fan2(accounts):
    return fresh_wallet(accounts)


@pytest.fixture(scope="module")
def agent():
    return random_address()


@pytest.fixture
def split(project, splitter_factory, deployer, athlete, agent, registry, attestor, chain):
    """The athlete's split (80% athlete, 20% agent); the athlete is verified."""
    registry.register(athlete, attestation(chain, investor_id=5), sender=attestor)
    return make_split(project, splitter_factory, deployer, athlete, agent)


@pytest.fixture
def vault(project, vault_factory, operator, athlete, split):
    return make_vault(project, vault_factory, operator, "fan-athlete", athlete, split)


@pytest.fixture
def bare_vault(project, vault_factory, operator, athlete):
    """A vault without a splitter: payments stay in its free balance."""
    return make_vault(project, vault_factory, operator, "fan-athlete-bare", athlete)


@pytest.fixture
def usd(stablecoin, fan, fan2, deployer):
    for who in (fan, fan2):
        stablecoin.mint(who, 10**12, sender=deployer)
    return stablecoin


class pay:  # noqa: N801 - read as a function: pay(vault).tip(...)
    """The payments hub's functions for one vault (passed as their first argument), and its errors and
    events: ``pay(vault).tip(token, amount, memo)`` is ``hub.tip(vault, token, amount, memo)``."""

    def __init__(self, vault):
        self.vault = vault
        self.hub = ape.project.FanPayments.at(ape.project.NILVaultPaymentsModule.at(vault.address).paymentsHub())

    def __getattr__(self, name):
        found = getattr(self.hub, name)
        if name[0].isupper():  # an error or an event
            return found
        return lambda *args, **kwargs: found(self.vault, *args, **kwargs)


def fan_paid(receipt, contract):
    logs = list(receipt.decode_logs(contract.FanPaid))
    assert len(logs) == 1
    return logs[0]


# ================================================================================================
# Tips
# ================================================================================================


def test_tip_goes_to_the_splitter_with_one_event(vault, split, usd, fan):
    usd.approve(pay(vault).hub, TIP, sender=fan)
    before = usd.balanceOf(split)
    receipt = pay(vault).tip(usd, TIP, "go team", sender=fan)
    assert usd.balanceOf(split) - before == TIP
    assert usd.balanceOf(vault) == 0 and vault.escrowed(usd) == 0
    log = fan_paid(receipt, pay(vault))
    assert (log.vault, log.kind, log.payer, log.token) == (vault.address, KIND_TIP, fan.address, usd.address)
    assert (log.amount, log.ref, log.to, log.memo) == (TIP, 0, split.address, "go team")


def test_tip_without_a_splitter_is_free_balance(bare_vault, usd, fan):
    usd.approve(pay(bare_vault).hub, TIP, sender=fan)
    receipt = pay(bare_vault).tip(usd, TIP, "", sender=fan)
    assert bare_vault.freeBalance(usd) == TIP
    assert fan_paid(receipt, pay(bare_vault)).to == bare_vault.address


def test_native_tips(vault, bare_vault, split, fan):
    before = split.balance
    receipt = pay(vault).tip(ETH, 10**15, "gm", sender=fan, value=10**15)
    assert split.balance - before == 10**15
    assert fan_paid(receipt, pay(vault)).token == ETH
    pay(bare_vault).tip(ETH, 10**15, "", sender=fan, value=10**15)
    assert bare_vault.freeBalance(ETH) == 10**15
    with reverts(pay(vault).WrongValue, expected=10**15, received=10**14):
        pay(vault).tip(ETH, 10**15, "", sender=fan, value=10**14)
    with reverts(pay(vault).WrongValue, expected=0, received=1):
        pay(vault).tip(vault.address, 10**15, "", sender=fan, value=1)


def test_tip_with_permit(project, vault, split, deployer, chain):
    token = deployer.deploy(project.PermitStablecoin)
    signer = fresh_wallet(ape.accounts.test_accounts)  # a key of ours, to sign the permit
    token.mint(signer, 10**9, sender=deployer)
    deadline = chain.pending_timestamp + 3600
    message = {
        "owner": signer.address,
        "spender": pay(vault).hub.address,
        "value": TIP,
        "nonce": 0,
        "deadline": deadline,
    }
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "Permit USD", "version": "1", "chainId": chain.chain_id, "verifyingContract": token.address},
        "message": message,
    }
    signed = Account.sign_typed_data(signer.private_key, full_message=typed)
    pay(vault).tipWithPermit(
        token, TIP, "permit", deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"), sender=signer
    )
    assert token.balanceOf(split) == TIP
    # The same permit again (already used): ignored, and the tip then needs an allowance there is not.
    with ape.reverts():
        pay(vault).tipWithPermit(
            token, TIP, "", deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"), sender=signer
        )


def test_fee_on_transfer_token_is_credited_the_net(project, vault, split, fan, deployer):
    fee_token = deployer.deploy(project.FeeOnTransferStablecoin)
    fee_token.mint(fan, 10**9, sender=deployer)
    fee_token.approve(pay(vault).hub, 10**9, sender=fan)
    receipt = pay(vault).tip(fee_token, 100 * 10**6, "", sender=fan)
    assert fee_token.balanceOf(split) == 99 * 10**6
    assert fan_paid(receipt, pay(vault)).amount == 99 * 10**6


def test_tip_refusals(vault, usd, fan, guardian, admin, registry, sanctions_officer):
    usd.approve(pay(vault).hub, 10**9, sender=fan)
    with reverts(pay(vault).ZeroAmount):
        pay(vault).tip(usd, 0, "", sender=fan)
    with reverts(pay(vault).MemoTooLong, length=281, maxLength=280):
        pay(vault).tip(usd, TIP, "x" * 281, sender=fan)
    with reverts(pay(vault).InvalidToken, token=fan.address):
        pay(vault).tip(fan, TIP, "", sender=fan)
    with ape.reverts():  # too little allowance
        pay(vault).tip(usd, 10**10, "", sender=fan)
    vault.pause(sender=guardian)
    with reverts(pay(vault).VaultPaused, vault=vault):
        pay(vault).tip(usd, TIP, "", sender=fan)
    vault.unpause(sender=admin)
    registry.setSanctioned(fan, True, sender=sanctions_officer)
    with reverts(pay(vault).Sanctioned, account=fan):
        pay(vault).tip(usd, TIP, "", sender=fan)


def test_aml_threshold(vault, usd, fan, admin, athlete, outsider, registry, attestor, chain):
    usd.approve(pay(vault).hub, 10**9, sender=fan)
    for caller in (athlete, outsider):
        with reverts(pay(vault).NotAthleteOrAdmin, caller=caller):
            pay(vault).setAmlThreshold(usd, 10 * 10**6, sender=caller)
    receipt = pay(vault).setAmlThreshold(usd, 10 * 10**6, sender=admin)
    assert [(e.token, e.threshold) for e in receipt.decode_logs(pay(vault).AmlThresholdSet)] == [(usd.address, 10 * 10**6)]
    assert pay(vault).amlThreshold(usd) == 10 * 10**6
    pay(vault).tip(usd, 10 * 10**6, "at the threshold", sender=fan)
    with reverts(pay(vault).NotVerified, account=fan):
        pay(vault).tip(usd, 10 * 10**6 + 1, "", sender=fan)
    registry.register(fan, attestation(chain, investor_id=9), sender=attestor)
    pay(vault).tip(usd, 10 * 10**6 + 1, "verified", sender=fan)
    assert pay(vault).paymentTerms(usd) == (vault.splitter(), False, 10 * 10**6)


# ================================================================================================
# Orders
# ================================================================================================


def test_order_paid_once_and_refunded_in_full(bare_vault, usd, fan, athlete):
    vault = bare_vault
    usd.approve(pay(vault).hub, 10**9, sender=fan)
    receipt = pay(vault).payOrder(41, usd, 3 * TIP, sender=fan)
    log = fan_paid(receipt, pay(vault))
    assert (log.kind, log.ref, log.amount) == (KIND_ORDER, 41, 3 * TIP)
    assert pay(vault).orderStatus(41) == (True, False) and pay(vault).orderStatus(42) == (False, False)
    with reverts(pay(vault).OrderAlreadyPaid, orderId=41):
        pay(vault).payOrder(41, usd, 3 * TIP, sender=fan)
    pay(vault).payOrder(42, usd, TIP, sender=fan)  # its neighbour in the same storage word
    with reverts(pay(vault).OrderNotRefundable, orderId=41):  # not what was paid
        pay(vault).refundOrder(41, fan, usd, 3 * TIP - 1, sender=athlete)
    before = usd.balanceOf(fan)
    receipt = pay(vault).refundOrder(41, fan, usd, 3 * TIP, sender=athlete)
    assert usd.balanceOf(fan) - before == 3 * TIP
    assert [(e.orderId, e.payer, e.amount, e.by) for e in receipt.decode_logs(pay(vault).OrderRefunded)] == [
        (41, fan.address, 3 * TIP, athlete.address)
    ]
    assert pay(vault).orderStatus(41) == (True, True) and pay(vault).orderStatus(42) == (True, False)
    with reverts(pay(vault).OrderNotRefundable, orderId=41):
        pay(vault).refundOrder(41, fan, usd, 3 * TIP, sender=athlete)
    with reverts(pay(vault).OrderAlreadyPaid, orderId=41):  # refunded is not payable again
        pay(vault).payOrder(41, usd, 3 * TIP, sender=fan)
    with reverts(pay(vault).OrderNotRefundable, orderId=7):
        pay(vault).refundOrder(7, fan, usd, 3 * TIP, sender=athlete)


def test_order_refund_callers_and_pause(bare_vault, usd, fan, athlete, admin, guardian, outsider):
    vault = bare_vault
    usd.approve(pay(vault).hub, 10**9, sender=fan)
    pay(vault).payOrder(1, usd, TIP, sender=fan)
    pay(vault).payOrder(2, usd, TIP, sender=fan)
    for caller in (outsider, fan):
        with reverts(pay(vault).NotAthleteOrAdmin, caller=caller):
            pay(vault).refundOrder(1, fan, usd, TIP, sender=caller)
    vault.pause(sender=guardian)
    with reverts(pay(vault).VaultPaused, vault=vault):
        pay(vault).payOrder(3, usd, TIP, sender=fan)
    with reverts(pay(vault).VaultPaused, vault=vault):
        pay(vault).refundOrder(1, fan, usd, TIP, sender=athlete)
    pay(vault).refundOrder(1, fan, usd, TIP, sender=admin)  # the admin may, while paused
    assert pay(vault).orderStatus(1) == (True, True)


def test_order_refund_comes_from_free_balance_never_escrow(
    vault, split, usd, fan, athlete, deployer, registry, sanctions_officer
):
    brand = deployer
    usd.approve(pay(vault).hub, 10**9, sender=fan)
    pay(vault).payOrder(5, usd, TIP, sender=fan)  # went to the splitter
    # A deal's escrow is in the vault; the refund may not take it.
    usd.mint(brand, 10**9, sender=deployer)
    deal = vault.propose((brand.address, usd.address, 10**8, keccak(text="x"), 7 * DAY, URI), sender=brand).return_value
    vault.accept(deal, sender=athlete)
    usd.approve(vault, 10**8, sender=brand)
    vault.fund(deal, sender=brand)
    with reverts(vault.InsufficientFreeBalance, token=usd, available=0, requested=TIP):
        pay(vault).refundOrder(5, fan, usd, TIP, sender=athlete)
    usd.mint(vault, TIP, sender=athlete)  # the athlete tops the free balance up
    registry.setSanctioned(fan, True, sender=sanctions_officer)
    with reverts(pay(vault).Sanctioned, account=fan):
        pay(vault).refundOrder(5, fan, usd, TIP, sender=athlete)
    registry.setSanctioned(fan, False, sender=sanctions_officer)
    pay(vault).refundOrder(5, fan, usd, TIP, sender=athlete)
    assert vault.escrowed(usd) == 10**8 and usd.balanceOf(vault) == 10**8


def test_payments_never_touch_escrow(vault, usd, fan, athlete, deployer):
    brand = deployer
    usd.mint(brand, 10**9, sender=deployer)
    deal = vault.propose((brand.address, usd.address, 10**8, keccak(text="x"), 7 * DAY, URI), sender=brand).return_value
    vault.accept(deal, sender=athlete)
    usd.approve(vault, 10**8, sender=brand)
    vault.fund(deal, sender=brand)
    usd.approve(pay(vault).hub, 10**9, sender=fan)
    pay(vault).tip(usd, TIP, "", sender=fan)
    pay(vault).payOrder(9, usd, TIP, sender=fan)
    pay(vault).tip(ETH, 10**15, "", sender=fan, value=10**15)
    assert vault.escrowed(usd) == 10**8 and usd.balanceOf(vault) == 10**8 and vault.escrowed(ETH) == 0


# ================================================================================================
# Upgrade: a vault made before payments gets them through the beacon, its state intact
# ================================================================================================


def test_beacon_upgrade_brings_payments_to_an_existing_vault(
    project, deployer, registry, splitter_factory, athlete, split, usd, fan, outsider
):
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType

    before = ContractContainer(ContractType.model_validate(json.loads(BEFORE_PAYMENTS.read_text())))
    factory = deployer.deploy(project.NILVaultFactory, deployer)
    nft = deployer.deploy(project.ContractNFT, factory)
    hub = deployer.deploy(project.FanPayments, registry, factory)
    old = deployer.deploy(before, registry, factory, nft, splitter_factory)
    beacon = deployer.deploy(project.Beacon, old, deployer)
    factory.setBeacon(beacon, sender=deployer)
    factory.grantRole(keccak(text="OPERATOR_ROLE"), deployer, sender=deployer)
    address = factory.createVault(keccak(text="old-vault"), athlete, split, sender=deployer).return_value
    brand = deployer
    usd.mint(brand, 10**9, sender=deployer)
    vault_v1 = before.at(address)
    vault_v1.propose((brand.address, usd.address, 10**8, keccak(text="x"), 7 * DAY, URI), sender=brand)
    vault_v1.accept(1, sender=athlete)
    usd.approve(address, 10**8, sender=brand)
    vault_v1.fund(1, sender=brand)
    usd.approve(hub, 10**9, sender=fan)
    # Its code does not tell the hub of changes yet: the hub refuses to keep its terms.
    with reverts(hub.NotWiredToHub, vault=address):
        hub.tip(address, usd, TIP, "", sender=fan)
    with reverts(hub.NotWiredToHub, vault=address):
        hub.syncTerms(address, sender=outsider)

    new = deployer.deploy(project.NILVault, registry, factory, nft, splitter_factory, hub)
    beacon.upgradeTo(new, sender=deployer)
    vault = project.NILVault.at(address)
    assert (vault.athlete(), vault.splitter(), vault.dealCount(), vault.escrowed(usd)) == (
        athlete.address,
        split.address,
        1,
        10**8,
    )
    assert vault.deal(1).status == 3  # Active
    assert not hub.isSynced(vault)
    receipt = hub.tip(vault, usd, TIP, "after the upgrade", sender=fan)  # the first payment takes the terms
    assert [(e.vault, e.payout, e.paused) for e in receipt.decode_logs(hub.PaymentTermsSynced)] == [
        (vault.address, split.address, False)
    ]
    assert usd.balanceOf(split) == TIP and vault.escrowed(usd) == 10**8
    assert hub.isSynced(vault) and hub.paymentTerms(vault, usd) == (split.address, False, 0)


def test_hub_terms_follow_the_vault(project, vault, split, usd, fan, athlete, guardian, admin, outsider, deployer):
    """The vault is the only source of its splitter and pause: every change reaches the hub's copy at once."""
    hub = pay(vault).hub
    usd.approve(hub, 10**9, sender=fan)
    for caller in (outsider, fan):  # anyone may ask for a sync: it copies the vault's own state
        hub.syncTerms(vault, sender=caller)
    with reverts(hub.NotVault, account=outsider):
        hub.syncTerms(outsider, sender=outsider)
    receipt = vault.pause(sender=guardian)
    assert [(e.vault, e.paused) for e in receipt.decode_logs(hub.PaymentTermsSynced)] == [(vault.address, True)]
    assert hub.paymentTerms(vault, usd) == (split.address, True, 0)
    with reverts(hub.VaultPaused, vault=vault):
        hub.tip(vault, usd, TIP, "", sender=fan)
    vault.unpause(sender=admin)
    assert hub.paymentTerms(vault, usd) == (split.address, False, 0)
    other = make_split(project, project.SplitterFactory.at(vault.suite().splitterFactory), deployer, athlete, fan, 5000)
    vault.setSplitter(other, sender=athlete)
    assert hub.paymentTerms(vault, usd) == (other, False, 0)
    assert fan_paid(hub.tip(vault, usd, TIP, "", sender=fan), hub).to == other


# ================================================================================================
# Memberships
# ================================================================================================


@pytest.fixture
def plan(fan_payments, vault, usd, athlete):
    return fan_payments.createPlan(vault, usd, PRICE, PERIOD, sender=athlete).return_value


def test_plans_athlete_only(fan_payments, vault, usd, athlete, outsider, project):
    with reverts(fan_payments.NotAthlete, caller=outsider):
        fan_payments.createPlan(vault, usd, PRICE, PERIOD, sender=outsider)
    with reverts(fan_payments.NotVault, account=outsider):
        fan_payments.createPlan(outsider, usd, PRICE, PERIOD, sender=athlete)
    for token, price, period in ((outsider, PRICE, PERIOD), (usd, 0, PERIOD), (usd, PRICE, DAY - 1), (usd, PRICE, 367 * DAY)):
        with reverts(fan_payments.InvalidPlan):
            fan_payments.createPlan(vault, token, price, period, sender=athlete)
    receipt = fan_payments.createPlan(vault, usd, PRICE, PERIOD, sender=athlete)
    plan_id = receipt.return_value
    assert [(e.planId, e.vault, e.token, e.price, e.period) for e in receipt.decode_logs(fan_payments.PlanCreated)] == [
        (plan_id, vault.address, usd.address, PRICE, PERIOD)
    ]
    assert list(fan_payments.plansOf(vault)) == [plan_id]
    assert fan_payments.plan(plan_id).price == PRICE
    with reverts(fan_payments.NotAthlete, caller=outsider):
        fan_payments.setPlanPrice(plan_id, 1, sender=outsider)
    with reverts(fan_payments.NotAthlete, caller=outsider):
        fan_payments.closePlan(plan_id, sender=outsider)
    with reverts(fan_payments.UnknownPlan, planId=99):
        fan_payments.setPlanPrice(99, 1, sender=athlete)
    assert fan_payments.supportsInterface(ERC5643_ID)


def test_subscribe_pays_ahead_and_mints(fan_payments, vault, split, usd, fan, plan, chain):
    usd.approve(fan_payments, 10**9, sender=fan)
    before = usd.balanceOf(split)
    receipt = fan_payments.subscribe(plan, 3, False, sender=fan)
    token_id = receipt.return_value
    assert fan_payments.ownerOf(token_id) == fan.address
    assert usd.balanceOf(split) - before == 3 * PRICE
    expiry = fan_payments.expiresAt(token_id)
    assert expiry == chain.blocks.head.timestamp + 3 * PERIOD
    log = fan_paid(receipt, fan_payments)
    assert (log.vault, log.kind, log.payer, log.amount, log.ref, log.to) == (
        vault.address,
        KIND_SUBSCRIPTION,
        fan.address,
        3 * PRICE,
        token_id,
        split.address,
    )
    assert [(e.tokenId, e.expiration) for e in receipt.decode_logs(fan_payments.SubscriptionUpdate)] == [(token_id, expiry)]
    with reverts(fan_payments.NotTransferable):
        fan_payments.transferFrom(fan, vault, token_id, sender=fan)
    for periods in (0, 121):
        with reverts(fan_payments.InvalidPeriods, periods=periods):
            fan_payments.subscribe(plan, periods, False, sender=fan)


def test_keeper_renews_one_period_when_due(fan_payments, split, usd, fan, outsider, plan, chain):
    usd.approve(fan_payments, 10**9, sender=fan)
    token_id = fan_payments.subscribe(plan, 1, True, sender=fan).return_value
    expiry = fan_payments.expiresAt(token_id)
    with reverts(fan_payments.NotDue, tokenId=token_id, dueAt=expiry - 3600):
        fan_payments.renew(token_id, sender=outsider)
    assert not fan_payments.isDue(token_id)
    chain.mine(timestamp=expiry - 3600)
    assert fan_payments.isDue(token_id)
    before = usd.balanceOf(fan)
    receipt = fan_payments.renew(token_id, sender=outsider)
    assert before - usd.balanceOf(fan) == PRICE
    assert fan_payments.expiresAt(token_id) == expiry + PERIOD
    assert fan_paid(receipt, fan_payments).amount == PRICE
    with reverts(fan_payments.NotDue, tokenId=token_id, dueAt=expiry + PERIOD - 3600):  # twice: one period at a time
        fan_payments.renew(token_id, sender=outsider)


def test_lapsed_membership_renews_from_now(fan_payments, usd, fan, plan, chain):
    usd.approve(fan_payments, 10**9, sender=fan)
    token_id = fan_payments.subscribe(plan, 1, True, sender=fan).return_value
    chain.pending_timestamp = fan_payments.expiresAt(token_id) + 10 * DAY
    fan_payments.renew(token_id, sender=fan)
    assert fan_payments.expiresAt(token_id) == chain.blocks.head.timestamp + PERIOD


def test_price_change_reaches_a_fan_only_when_accepted(fan_payments, usd, fan, athlete, plan, chain):
    usd.approve(fan_payments, 10**9, sender=fan)
    token_id = fan_payments.subscribe(plan, 1, True, sender=fan).return_value
    receipt = fan_payments.setPlanPrice(plan, 2 * PRICE, sender=athlete)
    assert [(e.planId, e.price) for e in receipt.decode_logs(fan_payments.PlanPriceChanged)] == [(plan, 2 * PRICE)]
    chain.pending_timestamp = fan_payments.expiresAt(token_id)
    before = usd.balanceOf(fan)
    fan_payments.renew(token_id, sender=athlete)
    assert before - usd.balanceOf(fan) == PRICE  # the subscribed price, not the new one
    with reverts(fan_payments.NotMember, caller=athlete, tokenId=token_id):
        fan_payments.acceptPrice(token_id, sender=athlete)
    fan_payments.acceptPrice(token_id, sender=fan)
    assert fan_payments.renewalPrice(token_id) == 2 * PRICE
    fan_payments.setPlanPrice(plan, PRICE // 2, sender=athlete)
    assert fan_payments.renewalPrice(token_id) == PRICE // 2  # a cut reaches everyone


def test_cancel_stops_renewals_and_refunds_nothing(fan_payments, usd, fan, outsider, plan, chain):
    usd.approve(fan_payments, 10**9, sender=fan)
    token_id = fan_payments.subscribe(plan, 2, True, sender=fan).return_value
    expiry = fan_payments.expiresAt(token_id)
    balance = usd.balanceOf(fan)
    with reverts(fan_payments.NotMember, caller=outsider, tokenId=token_id):
        fan_payments.cancelSubscription(token_id, sender=outsider)
    receipt = fan_payments.cancelSubscription(token_id, sender=fan)
    assert [(e.tokenId, e.expiresAt) for e in receipt.decode_logs(fan_payments.SubscriptionCancelled)] == [(token_id, expiry)]
    assert usd.balanceOf(fan) == balance  # nothing back: each period was paid to the athlete
    assert fan_payments.expiresAt(token_id) == expiry  # valid until it expires
    assert not fan_payments.isRenewable(token_id)
    chain.pending_timestamp = expiry
    with reverts(fan_payments.Cancelled, tokenId=token_id):
        fan_payments.renew(token_id, sender=outsider)
    with reverts(fan_payments.Cancelled, tokenId=token_id):
        fan_payments.renewSubscription(token_id, PERIOD, sender=fan)
    with reverts(fan_payments.Cancelled, tokenId=token_id):
        fan_payments.cancelSubscription(token_id, sender=fan)


def test_pay_ahead_by_owner(fan_payments, usd, fan, outsider, plan):
    usd.approve(fan_payments, 10**9, sender=fan)
    token_id = fan_payments.subscribe(plan, 1, False, sender=fan).return_value
    expiry = fan_payments.expiresAt(token_id)
    with reverts(fan_payments.NotAutoRenewing, tokenId=token_id):
        fan_payments.renew(token_id, sender=outsider)
    with reverts(fan_payments.NotMember, caller=outsider, tokenId=token_id):
        fan_payments.renewSubscription(token_id, PERIOD, sender=outsider)
    with reverts(fan_payments.InvalidDuration, duration=PERIOD + 1, period=PERIOD):
        fan_payments.renewSubscription(token_id, PERIOD + 1, sender=fan)
    before = usd.balanceOf(fan)
    fan_payments.renewSubscription(token_id, 2 * PERIOD, sender=fan)
    assert fan_payments.expiresAt(token_id) == expiry + 2 * PERIOD
    assert before - usd.balanceOf(fan) == 2 * PRICE
    receipt = fan_payments.setAutoRenew(token_id, True, sender=fan)
    assert [(e.tokenId, e.autoRenew) for e in receipt.decode_logs(fan_payments.AutoRenewSet)] == [(token_id, True)]
    with reverts(fan_payments.NotMember, caller=outsider, tokenId=token_id):
        fan_payments.setAutoRenew(token_id, False, sender=outsider)


def test_memberships_screened_like_payments(
    fan_payments, vault, usd, fan, athlete, plan, chain, guardian, admin, registry, sanctions_officer
):
    usd.approve(fan_payments, 10**9, sender=fan)
    token_id = fan_payments.subscribe(plan, 1, True, sender=fan).return_value
    chain.pending_timestamp = fan_payments.expiresAt(token_id)
    vault.pause(sender=guardian)
    with reverts(fan_payments.VaultPaused, vault=vault):
        fan_payments.renew(token_id, sender=athlete)
    vault.unpause(sender=admin)
    registry.setSanctioned(fan, True, sender=sanctions_officer)
    with reverts(fan_payments.Sanctioned, account=fan):
        fan_payments.renew(token_id, sender=athlete)
    registry.setSanctioned(fan, False, sender=sanctions_officer)
    fan_payments.setAmlThreshold(vault, usd, PRICE - 1, sender=admin)
    with reverts(fan_payments.NotVerified, account=fan):
        fan_payments.renew(token_id, sender=athlete)
    fan_payments.setAmlThreshold(vault, usd, 0, sender=admin)
    receipt = fan_payments.closePlan(plan, sender=athlete)
    assert [e.planId for e in receipt.decode_logs(fan_payments.PlanClosed)] == [plan]
    with reverts(fan_payments.PlanIsClosed, planId=plan):
        fan_payments.renew(token_id, sender=athlete)
    with reverts(fan_payments.PlanIsClosed, planId=plan):
        fan_payments.subscribe(plan, 1, False, sender=fan)
    with reverts(fan_payments.UnknownMembership, tokenId=99):
        fan_payments.renew(99, sender=athlete)


def test_only_the_hub_pays_refunds_out_of_a_vault(project, vault_beacon, bare_vault, usd, fan, athlete, admin, outsider):
    from eth_utils import to_checksum_address
    from rlp import encode

    usd.mint(bare_vault, TIP, sender=fan)
    for caller in (outsider, athlete, admin):  # not even the athlete or the admin: refunds go through the hub
        with reverts(project.NILVaultPaymentsModule.NotPaymentsHub, caller=caller):
            project.NILVaultPaymentsModule.at(bare_vault.address).payRefund(usd, caller, TIP, sender=caller)
    # The module itself (the vault implementation's first creation) refuses too.
    module = to_checksum_address(keccak(encode([bytes.fromhex(vault_beacon.implementation()[2:]), 1]))[12:])
    with reverts(project.NILVaultPaymentsModule.NotPaymentsHub, caller=outsider):
        project.NILVaultPaymentsModule.at(module).payRefund(usd, outsider, 0, sender=outsider)
    assert usd.balanceOf(bare_vault) == TIP
