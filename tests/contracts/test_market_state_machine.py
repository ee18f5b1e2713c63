"""A stateful property-based test of PropertyMarket (hypothesis ``RuleBasedStateMachine``): random sequences of
signing orders, fills (partial), matches, cancellations (order, nonce, epoch), time passing (expiry, lockups),
freezes, sanctions, pauses and mints under a lockup. After every step:

- tokens and stablecoin are conserved across the traders, the treasury and the market, and the market holds
  nothing;
- no order is filled beyond its amount (the model's sum of its fills, and the market's own `remainingOf`);

and on every trade that went through:

- the property's compliance would have allowed it (not paused, neither party frozen, unverified or sanctioned,
  the seller's free balance enough, and the compliance's `canTransfer`, lockup included);
- the seller got exactly the quote at its price less a fee of at most the property's rate, the buyer paid
  exactly the quote, at a price no higher than its own.

Runs: the bounded profile by default (a few short examples); ``RWA_FUZZ_PROFILE=fuzz`` for many long ones.
"""

import os

from ape.exceptions import ContractLogicError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from market_helpers import refusal, sign

from rwa.core.orders import Order, Side, order_digest

E18 = 10**18
USDC = 10**6
FEE_BPS = 50
LOCKUP = 8  # ModularCompliance.MODULE_LOCKUP
PROFILES = {
    "ci": settings(max_examples=2, stateful_step_count=10, deadline=None),
    "fuzz": settings(max_examples=100, stateful_step_count=40, deadline=None),
}
PROFILE = os.environ.get("RWA_FUZZ_PROFILE", "ci")

trader = st.integers(0, 2)
other = st.integers(1, 2)  # added to a trader's index: another trader
percent = st.integers(1, 100)
lots = st.integers(1, 6)
price = st.integers(1, 5)


def test_market_trades_conserve_value_and_respect_orders_and_compliance(
    chain,
    listed_market,
    token,
    compliance,
    registry,
    stablecoin,
    agent,
    admin,
    sanctions_officer,
    outsider,
    alice,
    bob,
    carol,
):
    market = listed_market
    traders = [alice, bob, carol]
    treasury = market.treasury()
    parties = [*(t.address for t in traders), treasury, market.address]

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            compliance.setLockupPeriod(3600, sender=admin)
            compliance.addModule(LOCKUP, sender=admin)
            token.batchMint(traders, [20 * E18] * 3, sender=agent)
            chain.mine(timestamp=chain.pending_timestamp + 3601)  # the first mints' lockups are over
            for t in traders:
                stablecoin.mint(t, 10_000 * USDC, sender=t)
                token.approve(market, 2**256 - 1, sender=t)
                stablecoin.approve(market, 2**256 - 1, sender=t)
            market.setFee(token, FEE_BPS, sender=admin)
            self.orders = []  # (order, signature, maker account)
            self.filled = {}  # order digest -> what the model saw fill
            self.nonce = 0
            self.supply = token.totalSupply()
            self.coins = sum(stablecoin.balanceOf(p) for p in parties)

        def teardown(self):
            chain.restore(self.snapshot)

        # --- makers ---

        @rule(i=trader, sell=st.booleans(), lots=lots, price=price, ttl=st.sampled_from([60, 10**6]))
        def sign_order(self, i, sell, lots, price, ttl):
            self.new_order(i, sell, lots, price, ttl)

        def new_order(self, i, sell, lots, price, ttl=10**6):
            maker = traders[i]
            self.nonce += 1
            order = Order(
                maker.address,
                token.address,
                stablecoin.address,
                Side.SELL if sell else Side.BUY,
                lots * E18,
                price * USDC,
                chain.pending_timestamp + ttl,
                market.epochOf(maker),
                self.nonce,
            )
            self.orders.append((order, sign(order, maker, chain.chain_id, market), maker))
            return len(self.orders) - 1

        @precondition(lambda self: self.orders)
        @rule(k=st.integers(0, 50))
        def cancel_order(self, k):
            order, _, maker = self.orders[k % len(self.orders)]
            market.cancel(order.as_tuple(), sender=maker)

        @precondition(lambda self: self.orders)
        @rule(k=st.integers(0, 50))
        def cancel_nonce(self, k):
            order, _, maker = self.orders[k % len(self.orders)]
            market.invalidateNonces(order.nonce >> 8, 1 << (order.nonce & 0xFF), sender=maker)

        @rule(i=trader)
        def advance_epoch(self, i):
            market.advanceEpoch(sender=traders[i])

        # --- takers and matchers ---

        @precondition(lambda self: self.orders)
        @rule(k=st.integers(0, 50), j=other, pct=percent)
        def fill(self, k, j, pct):
            order, signature, maker = self.orders[k % len(self.orders)]
            taker = traders[(traders.index(maker) + j) % 3]
            amount = max(1, order.amount * pct // 100 // E18) * E18
            seller, buyer = (maker, taker) if order.side == Side.SELL else (taker, maker)
            self.trade(
                order,
                None,
                amount,
                seller,
                buyer,
                order.price,
                order.price,
                order.price,
                ("fill", order.as_tuple(), signature, amount),
                taker,
            )

        @rule(i=trader, j=other, sell=st.booleans(), lots=lots, price=price, pct=percent)
        def fill_new_order(self, i, j, sell, lots, price, pct):
            self.fill(self.new_order(i, sell, lots, price), j, pct)

        @rule(i=trader, j=other, lots=lots, ask=price, spread=st.integers(0, 2), pct=percent)
        def match_new_orders(self, i, j, lots, ask, spread, pct):
            self.match(self.new_order(i, True, lots, ask), self.new_order((i + j) % 3, False, lots, ask + spread), pct)

        @precondition(lambda self: len(self.orders) >= 2)
        @rule(k=st.integers(0, 50), m=st.integers(0, 50), pct=percent)
        def match(self, k, m, pct):
            sell, sell_sig, seller = self.orders[k % len(self.orders)]
            buy, buy_sig, buyer = self.orders[m % len(self.orders)]
            amount = max(1, min(sell.amount, buy.amount) * pct // 100 // E18) * E18
            self.trade(
                sell,
                buy,
                amount,
                seller,
                buyer,
                sell.price,
                buy.price,
                sell.price,
                ("matchOrders", sell.as_tuple(), sell_sig, buy.as_tuple(), buy_sig, amount),
                outsider,
            )

        def trade(self, order, other, amount, seller, buyer, ask, bid, settle, call, sender):
            """Simulated first (a refusal is read from the node, fast); sent only when it would go through."""
            allowed = self.compliance_allows(seller, buyer, amount)
            before = [stablecoin.balanceOf(p) for p in (seller, buyer)]
            method, *args = call
            if refusal(market, method, *args, sender=sender) is not None:
                return
            receipt = getattr(market, method)(*args, sender=sender)
            assert allowed, "a trade went through that the property's compliance refuses"
            quote = amount * settle // E18
            assert settle <= bid and settle >= ask
            (event,) = receipt.decode_logs(market.TradeExecuted)
            assert event.fee <= quote * FEE_BPS // 10_000
            after = [stablecoin.balanceOf(p) for p in (seller, buyer)]
            assert after[0] - before[0] == quote - event.fee, "the seller was paid other than its price less the fee"
            assert before[1] - after[1] == quote, "the buyer was charged other than the quote"
            assert quote * E18 <= amount * bid
            for o in (order, other):
                if o is not None:
                    key = order_digest(o, chain.chain_id, market.address)
                    self.filled[key] = self.filled.get(key, 0) + amount

        def compliance_allows(self, seller, buyer, amount):
            if token.paused() or token.isFrozen(seller) or token.isFrozen(buyer):
                return False
            if not (registry.isVerified(seller) and registry.isVerified(buyer)):
                return False
            if token.balanceOf(seller) - token.getFrozenTokens(seller) < amount:
                return False
            return compliance.canTransfer(seller, buyer, amount)

        # --- the world around ---

        @rule(seconds=st.sampled_from([30, 120, 4000]))
        def time_passes(self, seconds):
            chain.mine(timestamp=chain.pending_timestamp + seconds)

        @rule(i=trader, act=st.sampled_from(["freeze", "sanction", "pause"]))
        def hostile(self, i, act):
            if act == "freeze":
                token.setAddressFrozen(traders[i], True, sender=agent)
            elif act == "sanction":
                registry.setSanctioned(traders[i], True, sender=sanctions_officer)
            elif not token.paused():
                token.pause(sender=agent)

        @rule()
        def calm_returns(self):
            """Freezes, sanctions and a pause lifted: the world is not hostile for ever."""
            for t in traders:
                if token.isFrozen(t):
                    token.setAddressFrozen(t, False, sender=agent)
                if registry.isSanctioned(t):
                    registry.setSanctioned(t, False, sender=sanctions_officer)
            if token.paused():
                token.unpause(sender=admin)

        @rule(i=trader)
        def mint_under_lockup(self, i):
            try:
                token.mint(traders[i], E18, sender=agent)
            except ContractLogicError:
                return  # a frozen, sanctioned or paused wallet gets nothing
            self.supply += E18

        # --- invariants ---

        @invariant()
        def conserved_and_the_market_holds_nothing(self):
            assert sum(token.balanceOf(p) for p in parties) == self.supply == token.totalSupply()
            assert sum(stablecoin.balanceOf(p) for p in parties) == self.coins
            assert token.balanceOf(market) == 0 and stablecoin.balanceOf(market) == 0

        @invariant()
        def no_order_filled_beyond_its_amount(self):
            for order, _, _ in self.orders:
                filled = self.filled.get(order_digest(order, chain.chain_id, market.address), 0)
                assert filled <= order.amount
                assert market.remainingOf(order.as_tuple()) <= order.amount - filled

    Machine.TestCase.settings = settings(
        PROFILES[PROFILE], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    run_state_machine_as_test(Machine, settings=Machine.TestCase.settings)
