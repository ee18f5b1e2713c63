"""PropertyMarket: signed orders settled in one transaction, both legs compliance-checked."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from helpers import DEFAULT_ADMIN_ROLE, KYC_AML, US, reverts, role
from market_helpers import (
    PRICE,
    TOKEN,
    ZERO,
    create_safe,
    error_data,
    high_s,
    make_order,
    refusal,
    safe_sign,
    sign,
    sign_approval,
)

from rwa.core.orders import Order, Side, order_digest, typed_data

FEE_BPS = 30
AGENT_ROLES = ("MINTER_ROLE", "BURNER_ROLE", "FREEZER_ROLE", "FORCED_TRANSFER_ROLE", "RECOVERY_ROLE", "PAUSER_ROLE")


@pytest.fixture(scope="module")
def trading(listed_market, token, agent, stablecoin, alice, bob, carol, admin, registry, sanctions_officer, outsider, expiry):
    """alice, bob and carol hold 1,000 tokens and 1,000,000 mUSDC each and have approved the market (the
    session fixtures the tests use are asked for here, before any test: Ape rebases its snapshots otherwise)."""
    for holder in (alice, bob, carol):
        token.mint(holder, 1000 * TOKEN, sender=agent)
        stablecoin.mint(holder, 10**12, sender=holder)
        token.approve(listed_market, 2**256 - 1, sender=holder)
        stablecoin.approve(listed_market, 2**256 - 1, sender=holder)
    listed_market.setFee(token, FEE_BPS, sender=admin)
    return listed_market


def quote(amount, price=PRICE):
    return amount * price // TOKEN


def sell(trading, maker, token, **kw):
    return make_order(trading, maker, token, Side.SELL, **kw)


def buy(trading, maker, token, **kw):
    return make_order(trading, maker, token, Side.BUY, **kw)


def balances(token, stablecoin, *wallets):
    return [(token.balanceOf(w), stablecoin.balanceOf(w)) for w in wallets]


# --- digests ------------------------------------------------------------------------------------


def test_order_digest_is_eip712_as_eth_account_and_the_contract_compute_it(trading, token, alice, chain):
    order = sell(trading, alice, token, taker=ZERO, nonce=7)
    ours = order_digest(order, chain.chain_id, trading.address)
    theirs = encode_typed_data(full_message=typed_data(order, chain.chain_id, trading.address))
    assert ours == keccak_of(theirs)
    assert ours == bytes(trading.hashOrder(order.as_tuple()))
    # The domain the contract hashes from constants is the one it describes (ERC-5267).
    domain = trading.eip712Domain()
    assert (domain[1], domain[2], domain[3], domain[4]) == ("PropertyMarket", "1", chain.chain_id, trading.address)
    signed = Account.sign_typed_data(alice.private_key, full_message=typed_data(order, chain.chain_id, trading.address))
    assert bytes(signed.signature) == sign(order, alice, chain.chain_id, trading)


def keccak_of(signable):
    from eth_utils import keccak

    return keccak(b"\x19" + signable.version + signable.header + signable.body)


@pytest.mark.slow  # a node.js process
@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_order_digest_as_ethers_computes_it(trading, token, alice, chain):
    root = Path(__file__).resolve().parents[2]
    if not (root / "node_modules" / "ethers").is_dir():
        pytest.skip("ethers is not in node_modules")
    order = buy(trading, alice, token, nonce=2**200 + 5, taker=token.address)
    data = typed_data(order, chain.chain_id, trading.address)
    message = {k: str(v) for k, v in data["message"].items()}
    script = (
        "const {_TypedDataEncoder} = require('ethers/lib/utils');"
        "const d = JSON.parse(process.argv[1]);"
        "const t = {...d.types}; delete t.EIP712Domain;"
        "console.log(_TypedDataEncoder.hash(d.domain, t, d.message));"
    )
    out = subprocess.run(
        ["node", "-e", script, json.dumps({**data, "message": message})], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0x" + order_digest(order, chain.chain_id, trading.address).hex()


# --- fills --------------------------------------------------------------------------------------


def test_fill_of_a_sell_order_moves_both_legs_and_the_fee(trading, token, stablecoin, alice, bob, chain, suite):
    treasury = trading.treasury()
    assert treasury == suite["contracts"]["Safe"]["address"]
    order = sell(trading, alice, token)
    signature = sign(order, alice, chain.chain_id, trading)
    before = balances(token, stablecoin, alice, bob, treasury)
    receipt = trading.fill(order.as_tuple(), signature, 4 * TOKEN, sender=bob)
    paid, fee = quote(4 * TOKEN), quote(4 * TOKEN) * FEE_BPS // 10_000
    after = balances(token, stablecoin, alice, bob, treasury)
    assert after[0] == (before[0][0] - 4 * TOKEN, before[0][1] + paid - fee)
    assert after[1] == (before[1][0] + 4 * TOKEN, before[1][1] - paid)
    assert after[2] == (before[2][0], before[2][1] + fee)
    assert (token.balanceOf(trading), stablecoin.balanceOf(trading)) == (0, 0)
    digest = order_digest(order, chain.chain_id, trading.address)
    events = list(receipt.decode_logs(trading.TradeExecuted))
    assert len(events) == 1
    e = events[0]
    assert (bytes(e.orderHash), e.property, e.seller, e.buyer) == (digest, token.address, alice.address, bob.address)
    assert (e.amount, e.price, e.fee) == (4 * TOKEN, PRICE, fee)
    assert trading.filledOf(digest) == (4 * TOKEN, False)


def test_fill_of_a_buy_order_makes_the_caller_the_seller(trading, token, stablecoin, alice, bob, chain):
    order = buy(trading, bob, token)
    before = balances(token, stablecoin, alice, bob)
    receipt = trading.fill(order.as_tuple(), sign(order, bob, chain.chain_id, trading), 2 * TOKEN, sender=alice)
    paid = quote(2 * TOKEN)
    fee = paid * FEE_BPS // 10_000
    assert balances(token, stablecoin, alice, bob) == [
        (before[0][0] - 2 * TOKEN, before[0][1] + paid - fee),
        (before[1][0] + 2 * TOKEN, before[1][1] - paid),
    ]
    (e,) = receipt.decode_logs(trading.TradeExecuted)
    assert (e.seller, e.buyer) == (alice.address, bob.address)


def test_partial_fills_add_up_and_an_overfill_is_refused(trading, token, alice, bob, carol, chain):
    order = sell(trading, alice, token, amount=5 * TOKEN)
    signature = sign(order, alice, chain.chain_id, trading)
    digest = order_digest(order, chain.chain_id, trading.address)
    trading.fill(order.as_tuple(), signature, 2 * TOKEN, sender=bob)
    trading.fill(order.as_tuple(), signature, 2 * TOKEN, sender=carol)
    with reverts(trading.Overfilled, orderHash=digest, filled=4 * TOKEN, requested=2 * TOKEN, orderAmount=5 * TOKEN):
        trading.fill(order.as_tuple(), signature, 2 * TOKEN, sender=bob)
    trading.fill(order.as_tuple(), signature, TOKEN, sender=bob)
    assert trading.filledOf(digest) == (5 * TOKEN, False)
    with reverts(trading.Overfilled):
        trading.fill(order.as_tuple(), signature, 1, sender=bob)


def test_a_whole_fill_spends_the_nonce_and_voids_orders_that_share_it(trading, token, alice, bob, carol, chain):
    order = sell(trading, alice, token, amount=3 * TOKEN, nonce=40)
    twin = sell(trading, alice, token, amount=5 * TOKEN, price=PRICE * 2, nonce=40)  # an alternative offer
    signature = sign(order, alice, chain.chain_id, trading)
    assert trading.remainingOf(order.as_tuple()) == 3 * TOKEN
    trading.fill(order.as_tuple(), signature, 3 * TOKEN, sender=bob)
    assert trading.isNonceCancelled(alice, 40)
    assert trading.remainingOf(order.as_tuple()) == 0
    assert trading.remainingOf(twin.as_tuple()) == 0
    with reverts(trading.NonceUsed, maker=alice, nonce=40):
        trading.fill(order.as_tuple(), signature, TOKEN, sender=carol)
    with reverts(trading.NonceUsed, maker=alice, nonce=40):
        trading.fill(twin.as_tuple(), sign(twin, alice, chain.chain_id, trading), TOKEN, sender=carol)


def test_a_makers_slot_keeps_its_first_nonces_and_a_filter_of_recorded_orders(trading, token, alice, bob, chain, admin):
    # invalidateNonces(0, mask) covers nonces 0-255 whichever storage holds them (0-127 beside the epoch).
    mask = (1 << 5) | (1 << 200)
    trading.invalidateNonces(0, mask, sender=alice)
    assert trading.nonceBitmap(alice, 0) == mask
    assert (trading.isNonceCancelled(alice, 5), trading.isNonceCancelled(alice, 200), trading.isNonceCancelled(alice, 6)) == (
        True,
        True,
        False,
    )
    for nonce in (5, 200):
        order = sell(trading, alice, token, nonce=nonce)
        with reverts(trading.NonceUsed, maker=alice, nonce=nonce):
            trading.fill(order.as_tuple(), sign(order, alice, chain.chain_id, trading), 10 * TOKEN, sender=bob)
    # A whole fill spends its nonce below 128 and above it alike.
    for nonce in (6, 201):
        order = sell(trading, alice, token, nonce=nonce, amount=TOKEN)
        trading.fill(order.as_tuple(), sign(order, alice, chain.chain_id, trading), TOKEN, sender=bob)
        assert trading.isNonceCancelled(alice, nonce)
    assert trading.nonceBitmap(alice, 0) == mask | (1 << 6) | (1 << 201)

    # An order in part filled sets its bit of the filter; another order whose digest has the same bit still
    # fills whole (its own record is read: none), and the first one's record still counts.
    part = sell(trading, alice, token, nonce=7, amount=4 * TOKEN)
    part_hash = order_digest(part, chain.chain_id, trading.address)
    trading.fill(part.as_tuple(), sign(part, alice, chain.chain_id, trading), TOKEN, sender=bob)
    twin = next(
        o
        for o in (sell(trading, alice, token, nonce=n, amount=TOKEN) for n in range(8, 4000) if n != 201)
        if int.from_bytes(order_digest(o, chain.chain_id, trading.address), "big") % 64 == int.from_bytes(part_hash, "big") % 64
    )
    trading.fill(twin.as_tuple(), sign(twin, alice, chain.chain_id, trading), TOKEN, sender=bob)
    with reverts(trading.Overfilled, orderHash=part_hash, filled=TOKEN, requested=4 * TOKEN, orderAmount=4 * TOKEN):
        trading.fill(part.as_tuple(), sign(part, alice, chain.chain_id, trading), 4 * TOKEN, sender=bob)

    # An order signed for a later epoch and cancelled before it comes stays cancelled once it has come.
    later = sell(trading, alice, token, nonce=5000, epoch=trading.epochOf(alice) + 1)
    trading.cancel(later.as_tuple(), sender=alice)
    trading.advanceEpoch(sender=alice)
    with reverts(trading.OrderCancelledAlready, orderHash=order_digest(later, chain.chain_id, trading.address)):
        trading.fill(later.as_tuple(), sign(later, alice, chain.chain_id, trading), 10 * TOKEN, sender=bob)


def test_match_settles_at_the_sell_price_and_the_buyer_keeps_the_spread(trading, token, stablecoin, alice, bob, carol, chain):
    ask = sell(trading, alice, token, amount=3 * TOKEN, price=PRICE)
    bid = buy(trading, bob, token, amount=5 * TOKEN, price=PRICE + 10 * 10**6)
    before = balances(token, stablecoin, alice, bob, carol)
    receipt = trading.matchOrders(
        ask.as_tuple(),
        sign(ask, alice, chain.chain_id, trading),
        bid.as_tuple(),
        sign(bid, bob, chain.chain_id, trading),
        3 * TOKEN,
        sender=carol,
    )
    paid = quote(3 * TOKEN)
    fee = paid * FEE_BPS // 10_000
    assert balances(token, stablecoin, alice, bob, carol) == [
        (before[0][0] - 3 * TOKEN, before[0][1] + paid - fee),
        (before[1][0] + 3 * TOKEN, before[1][1] - paid),
        before[2],  # the matcher takes nothing
    ]
    ask_hash, bid_hash = (order_digest(o, chain.chain_id, trading.address) for o in (ask, bid))
    (e,) = receipt.decode_logs(trading.TradeExecuted)
    assert (bytes(e.orderHash), e.price, e.amount, e.fee) == (ask_hash, PRICE, 3 * TOKEN, fee)
    (m,) = receipt.decode_logs(trading.OrdersMatched)
    assert (bytes(m.sellHash), bytes(m.buyHash), m.matcher) == (ask_hash, bid_hash, carol.address)
    assert trading.filledOf(bid_hash) == (3 * TOKEN, False)


def test_match_refuses_prices_that_do_not_cross_and_orders_on_the_wrong_side(trading, token, alice, bob, carol, chain):
    ask = sell(trading, alice, token, price=PRICE + 1)
    bid = buy(trading, bob, token, price=PRICE)
    args = (ask.as_tuple(), sign(ask, alice, chain.chain_id, trading), bid.as_tuple(), sign(bid, bob, chain.chain_id, trading))
    with reverts(trading.PricesDoNotCross, sellPrice=PRICE + 1, buyPrice=PRICE):
        trading.matchOrders(*args, TOKEN, sender=carol)
    other_bid = buy(trading, carol, token, price=PRICE)
    with reverts(trading.WrongSide, orderHash=order_digest(other_bid, chain.chain_id, trading.address)):
        trading.matchOrders(
            other_bid.as_tuple(), sign(other_bid, carol, chain.chain_id, trading), args[2], args[3], TOKEN, sender=alice
        )


# --- refusals -----------------------------------------------------------------------------------


def test_expired_cancelled_and_stale_orders_are_refused_with_their_own_errors(trading, token, alice, bob, chain):
    now = chain.pending_timestamp
    expired = sell(trading, alice, token, expiry=now - 1)
    with reverts(trading.OrderExpired, expiry=now - 1):
        trading.fill(expired.as_tuple(), sign(expired, alice, chain.chain_id, trading), TOKEN, sender=bob)

    order = sell(trading, alice, token, nonce=11)
    signature = sign(order, alice, chain.chain_id, trading)
    digest = order_digest(order, chain.chain_id, trading.address)
    with reverts(trading.NotMaker, caller=bob, maker=alice):
        trading.cancel(order.as_tuple(), sender=bob)
    receipt = trading.cancel(order.as_tuple(), sender=alice)
    assert [(bytes(e.orderHash), e.maker) for e in receipt.decode_logs(trading.OrderCancelled)] == [(digest, alice.address)]
    with reverts(trading.OrderCancelledAlready, orderHash=digest):
        trading.fill(order.as_tuple(), signature, TOKEN, sender=bob)
    assert trading.filledOf(digest) == (0, True)

    by_nonce = sell(trading, alice, token, nonce=(3 << 8) | 9)
    receipt = trading.invalidateNonces(3, 1 << 9, sender=alice)
    (e,) = receipt.decode_logs(trading.NonceInvalidation)
    assert (e.maker, e.wordPos, e.mask) == (alice.address, 3, 1 << 9)
    assert trading.isNonceCancelled(alice, (3 << 8) | 9)
    with reverts(trading.NonceUsed, maker=alice, nonce=(3 << 8) | 9):
        trading.fill(by_nonce.as_tuple(), sign(by_nonce, alice, chain.chain_id, trading), TOKEN, sender=bob)

    old = sell(trading, alice, token, nonce=12)
    receipt = trading.advanceEpoch(sender=alice)
    assert [(e.maker, e.epoch) for e in receipt.decode_logs(trading.EpochAdvanced)] == [(alice.address, 1)]
    with reverts(trading.StaleEpoch, maker=alice, signedEpoch=0, currentEpoch=1):
        trading.fill(old.as_tuple(), sign(old, alice, chain.chain_id, trading), TOKEN, sender=bob)
    new = old.with_(epoch=1)
    trading.fill(new.as_tuple(), sign(new, alice, chain.chain_id, trading), TOKEN, sender=bob)


def test_bad_orders_are_refused(trading, token, stablecoin, alice, bob, carol, chain):
    private = sell(trading, alice, token, taker=carol.address)
    with reverts(trading.WrongTaker, taker=carol, counterparty=bob):
        trading.fill(private.as_tuple(), sign(private, alice, chain.chain_id, trading), TOKEN, sender=bob)
    trading.fill(private.as_tuple(), sign(private, alice, chain.chain_id, trading), TOKEN, sender=carol)

    own = sell(trading, alice, token)
    with reverts(trading.SelfTrade, wallet=alice):
        trading.fill(own.as_tuple(), sign(own, alice, chain.chain_id, trading), TOKEN, sender=alice)
    with reverts(trading.ZeroAmount):
        trading.fill(own.as_tuple(), sign(own, alice, chain.chain_id, trading), 0, sender=bob)
    other_currency = own.with_(currency=token.address)
    with reverts(trading.WrongCurrency, currency=token):
        trading.fill(other_currency.as_tuple(), sign(other_currency, alice, chain.chain_id, trading), TOKEN, sender=bob)
    with reverts(trading.InexactQuote, amount=1, price=PRICE, decimals=18):
        trading.fill(own.as_tuple(), sign(own, alice, chain.chain_id, trading), 1, sender=bob)
    with reverts(trading.InvalidSignature, maker=alice):
        trading.fill(own.as_tuple(), sign(own, bob, chain.chain_id, trading), TOKEN, sender=carol)
    bigger = own.with_(amount=own.amount + 1)  # edited after signing
    with reverts(trading.InvalidSignature, maker=alice):
        trading.fill(bigger.as_tuple(), sign(own, alice, chain.chain_id, trading), TOKEN, sender=bob)


def test_malleable_high_s_signatures_are_refused(trading, token, alice, bob, chain):
    order = sell(trading, alice, token)
    signature = sign(order, alice, chain.chain_id, trading)
    twin = high_s(signature)
    digest = order_digest(order, chain.chain_id, trading.address)
    # The twin is a valid ECDSA signature of the same digest (ecrecover gives alice back)...
    assert Account._recover_hash(digest, signature=twin) == alice.address
    # ...which the market refuses, so one signature has one encoding.
    with reverts(trading.InvalidSignature, maker=alice):
        trading.fill(order.as_tuple(), twin, TOKEN, sender=bob)
    trading.fill(order.as_tuple(), signature, TOKEN, sender=bob)


def test_replay_on_another_chain_or_market_is_refused(trading, project, token, alice, bob, chain, deployer, admin, suite):
    order = sell(trading, alice, token)
    with reverts(trading.InvalidSignature, maker=alice):
        trading.fill(order.as_tuple(), sign(order, alice, chain.chain_id + 1, trading), TOKEN, sender=bob)
    # A second market (another proxy of the same implementation) refuses what was signed for the first.
    implementation = suite["contracts"]["PropertyMarket"]["proxy"]["implementation"]
    init = trading.initialize.encode_input(admin.address)
    proxy = project.UUPSProxy.deploy(implementation, init, sender=deployer)
    other = project.PropertyMarket.at(proxy.address)
    with reverts(other.InvalidSignature, maker=alice):
        other.fill(order.as_tuple(), sign(order, alice, chain.chain_id, trading), TOKEN, sender=bob)


def test_a_sanctioned_party_is_refused_before_anything_moves(
    trading, token, stablecoin, registry, sanctions_officer, alice, bob, chain
):
    # The token leg verifies seller, buyer and spender in the registry, which refuses a sanctioned wallet: the
    # market asks nothing twice, and neither leg moves.
    for sanctioned, maker, taker in ((bob, alice, bob), (alice, alice, bob)):
        order = sell(trading, maker, token, nonce=90)
        signature = sign(order, maker, chain.chain_id, trading)
        registry.setSanctioned(sanctioned, True, sender=sanctions_officer)
        before = balances(token, stablecoin, alice, bob)
        assert refusal(trading, "fill", order.as_tuple(), signature, TOKEN, sender=taker) == error_data(
            "WalletSanctioned(address)", sanctioned
        )
        assert balances(token, stablecoin, alice, bob) == before
        registry.setSanctioned(sanctioned, False, sender=sanctions_officer)


def test_the_property_compliance_decides_the_token_leg(trading, token, agent, alice, bob, chain):
    order = sell(trading, alice, token)
    signature = sign(order, alice, chain.chain_id, trading)
    token.setAddressFrozen(alice, True, sender=agent)
    assert refusal(trading, "fill", order.as_tuple(), signature, TOKEN, sender=bob) == error_data("WalletFrozen(address)", alice)
    token.setAddressFrozen(alice, False, sender=agent)
    token.pause(sender=agent)
    assert refusal(trading, "fill", order.as_tuple(), signature, TOKEN, sender=bob) == error_data("TokenPaused()")


def test_the_market_holds_no_agent_power(trading, token):
    for t in (token,):
        assert not any(t.hasRole(role(name), trading) for name in AGENT_ROLES)
        assert not t.hasRole(DEFAULT_ADMIN_ROLE, trading)


# --- ERC-1271: a Safe's order -------------------------------------------------------------------


def test_an_order_a_safe_signs_settles_like_an_eoas(
    trading, token, stablecoin, registry, attestor, agent, alice, bob, carol, chain, suite, expiry
):
    owners = [alice, carol]
    vault = create_safe(suite, owners, 2, 2026, sender=alice)
    registry.register(vault.address, (77, US, KYC_AML, expiry), sender=attestor)
    token.mint(vault.address, 10 * TOKEN, sender=agent)
    # The Safe approves the market through its own transaction (two owners' approvals).
    data = token.approve.encode_input(trading.address, 2**256 - 1)
    tx_hash = vault.getTransactionHash(token.address, 0, data, 0, 0, 0, 0, ZERO, ZERO, 0)  # a new Safe: nonce 0
    sigs = b"".join(
        bytes(Account.unsafe_sign_hash(bytes(tx_hash), o.private_key).signature)
        for o in sorted(owners, key=lambda o: int(o.address, 16))
    )
    vault.execTransaction(token.address, 0, data, 0, 0, 0, 0, ZERO, ZERO, sigs, sender=alice)

    order = sell(trading, vault.address, token, amount=4 * TOKEN)
    digest = order_digest(order, chain.chain_id, trading.address)
    one_owner = safe_sign(vault.address, digest, [alice], chain.chain_id)
    with reverts(trading.InvalidSignature, maker=vault.address):  # below the threshold
        trading.fill(order.as_tuple(), one_owner + one_owner, 4 * TOKEN, sender=bob)
    receipt = trading.fill(order.as_tuple(), safe_sign(vault.address, digest, owners, chain.chain_id), 4 * TOKEN, sender=bob)
    (e,) = receipt.decode_logs(trading.TradeExecuted)
    assert (e.seller, e.buyer, e.amount) == (vault.address, bob.address, 4 * TOKEN)
    assert token.balanceOf(vault.address) == 6 * TOKEN
    assert stablecoin.balanceOf(vault.address) == quote(4 * TOKEN) - quote(4 * TOKEN) * FEE_BPS // 10_000


# --- approvals and administration ---------------------------------------------------------------


def test_a_property_with_an_approver_trades_only_with_its_consent(trading, token, admin, agent, alice, bob, carol, chain):
    receipt = trading.setApprover(token, agent, sender=admin)
    assert [(e.property, e.approver) for e in receipt.decode_logs(trading.ApproverSet)] == [(token.address, agent.address)]
    order = sell(trading, alice, token)
    signature = sign(order, alice, chain.chain_id, trading)
    digest = order_digest(order, chain.chain_id, trading.address)
    with reverts(trading.TradeNotApproved, orderHash=digest, counterparty=bob):
        trading.fill(order.as_tuple(), signature, TOKEN, sender=bob)
    # Signed consent, carried with the fill.
    deadline = chain.pending_timestamp + 3600
    consent = sign_approval(digest, bob, deadline, agent, chain.chain_id, trading)
    trading.fillApproved(order.as_tuple(), signature, TOKEN, deadline, consent, sender=bob)
    with reverts(trading.TradeNotApproved, orderHash=digest, counterparty=carol):  # consent names bob, not carol
        trading.fillApproved(order.as_tuple(), signature, TOKEN, deadline, consent, sender=carol)
    stale = sign_approval(digest, bob, chain.pending_timestamp - 1, agent, chain.chain_id, trading)
    with reverts(trading.ApprovalExpired):
        trading.fillApproved(order.as_tuple(), signature, TOKEN, chain.pending_timestamp - 1, stale, sender=bob)
    # Consent on chain, by the approver only.
    with reverts(trading.NotApprover, caller=bob, property=token):
        trading.approveTrade(token, digest, carol, True, sender=bob)
    receipt = trading.approveTrade(token, digest, carol, True, sender=agent)
    (e,) = receipt.decode_logs(trading.TradeApproved)
    assert (bytes(e.orderHash), e.counterparty, e.approved, e.approver) == (digest, carol.address, True, agent.address)
    trading.fill(order.as_tuple(), signature, TOKEN, sender=carol)


def test_admin_functions_refuse_everyone_but_the_timelock(trading, token, outsider, admin):
    admin_role = DEFAULT_ADMIN_ROLE
    for call in (
        lambda s: trading.setFee(token, 10, sender=s),
        lambda s: trading.setApprover(token, outsider, sender=s),
        lambda s: trading.upgradeToAndCall(token, b"", sender=s),
    ):
        with reverts(trading.AccessControlUnauthorizedAccount, account=outsider, neededRole=admin_role):
            call(outsider)
    with reverts(trading.FeeTooHigh, feeBps=101, maxFeeBps=100):
        trading.setFee(token, 101, sender=admin)
    receipt = trading.setFee(token, 100, sender=admin)
    assert [(e.property, e.feeBps) for e in receipt.decode_logs(trading.FeeSet)] == [(token.address, 100)]
    assert trading.termsOf(token) == (100, ZERO)
    assert trading.hasRole(admin_role, admin)


def test_the_implementation_cannot_be_initialized(project, suite, outsider):
    implementation = project.PropertyMarket.at(suite["contracts"]["PropertyMarket"]["proxy"]["implementation"])
    with reverts(implementation.InvalidInitialization):
        implementation.initialize(outsider, sender=outsider)


def test_orders_round_trip_through_json(trading, token, alice):
    order = sell(trading, alice, token, nonce=2**255, taker=token.address)
    assert Order.from_json(json.loads(json.dumps(order.to_json()))) == order


def test_a_maker_signs_on_chain_and_the_order_fills_with_an_empty_signature(trading, token, alice, bob, carol, chain):
    order = sell(trading, alice, token, nonce=70, amount=2 * TOKEN)
    digest = order_digest(order, chain.chain_id, trading.address)
    with reverts(trading.InvalidSignature, maker=alice):
        trading.fill(order.as_tuple(), b"", TOKEN, sender=bob)
    with reverts(trading.NotMaker, caller=bob, maker=alice):
        trading.presign(order.as_tuple(), sender=bob)
    receipt = trading.presign(order.as_tuple(), sender=alice)
    assert [(bytes(e.orderHash), e.maker) for e in receipt.decode_logs(trading.OrderPresigned)] == [(digest, alice.address)]
    assert trading.isPresigned(digest)
    trading.fill(order.as_tuple(), b"", TOKEN, sender=bob)
    other = order.with_(nonce=71)  # presigning one order signs no other
    with reverts(trading.InvalidSignature, maker=alice):
        trading.fill(other.as_tuple(), b"", TOKEN, sender=bob)
    trading.cancel(order.as_tuple(), sender=alice)  # cancel undoes it
    with reverts(trading.OrderCancelledAlready, orderHash=digest):
        trading.fill(order.as_tuple(), b"", TOKEN, sender=carol)
