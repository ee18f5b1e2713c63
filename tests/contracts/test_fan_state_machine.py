"""A stateful property-based test (hypothesis ``RuleBasedStateMachine``) over fans paying an athlete:
tips, orders, refunds, subscribe, keeper renewals (on time, early, twice), paying ahead, cancel, price
changes, a payer sanctioned mid-way, pause and a beacon upgrade, with a funded deal in escrow all along.
After every step:

- every unit the fans paid is at the splitter, in the vault's free balance, or back with the fans
  (what the athlete topped up for refunds aside);
- no order is paid twice (a second payment of an order id is refused);
- a payment, a renewal or a refund goes through exactly when it may: a sanctioned fan's and a paused
  vault's are refused, a tip or an order that may be paid is;
- a keeper renews only a due, auto-renewing, uncancelled membership, by one period from its expiry
  (from the renewal when it had lapsed);
- no fan is charged twice for a period (a second keeper renewal in a row is refused) nor above the
  price they subscribed at (each renewal charges the lower of it and the plan's price);
- ``expiresAt`` never moves backwards;
- the payments hub's copy of the vault's terms (where payments go, whether it is paused) is the vault's
  own, through pauses and upgrades;
- the deal's escrow is untouched by any payment.

Refused acts are part of the sequences: they must revert and change nothing. Each example starts from a
chain snapshot and is rolled back after it. Profiles as in test_property_state_machine.py: ``make test``
runs a few short examples; ``RWA_FUZZ_PROFILE=fuzz`` many long ones.
"""

import os

import pytest
from ape.exceptions import ContractLogicError
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from nil_helpers import DAY, attestation, fresh_wallet, make_split, make_vault, random_address

PROFILES = {
    "ci": settings(max_examples=2, stateful_step_count=12, deadline=None),
    "fuzz": settings(max_examples=100, stateful_step_count=40, deadline=None),
}
PROFILE = os.environ.get("RWA_FUZZ_PROFILE", "ci")
PERIOD = 30 * DAY
PRICE = 5 * 10**6
ESCROW = 10**8
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"

fan_index = st.integers(0, 1)
amount = st.integers(1, 50 * 10**6)
order_id = st.integers(0, 9)
membership_index = st.integers(0, 3)


@pytest.fixture(scope="module")
def athlete(accounts):
    return fresh_wallet(accounts)


def test_fan_payments_state_machine(
    chain,
    project,
    stablecoin,
    registry,
    attestor,
    sanctions_officer,
    vault_factory,
    splitter_factory,
    vault_beacon,
    contract_nft,
    fan_payments,
    operator,
    deployer,
    admin,
    guardian,
    outsider,
    athlete,
    accounts,
):
    usd = stablecoin
    fans = [fresh_wallet(accounts), fresh_wallet(accounts)]
    keeper, brand = outsider, deployer
    registry.register(athlete, attestation(chain, investor_id=5), sender=attestor)
    split = make_split(project, splitter_factory, deployer, athlete, random_address()).address
    vault = make_vault(project, vault_factory, operator, "machine", athlete, split)
    usd.mint(brand, ESCROW, sender=deployer)
    vault.propose((brand.address, usd.address, ESCROW, keccak(text="x"), 7 * DAY, URI), sender=brand)
    vault.accept(1, sender=athlete)
    usd.approve(vault, ESCROW, sender=brand)
    vault.fund(1, sender=brand)
    for fan in fans:
        usd.mint(fan, 10**12, sender=deployer)
        usd.approve(fan_payments, 2**256 - 1, sender=fan)  # the payments hub: tips, orders and memberships
    plan = fan_payments.createPlan(vault, usd, PRICE, PERIOD, sender=athlete).return_value

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            self.fans_start = sum(usd.balanceOf(f) for f in fans)
            self.split_start = usd.balanceOf(split)
            self.topped_up = 0
            self.orders = {}  # order id -> (payer, amount, refunded)
            self.tokens = []  # membership token ids
            self.expiries = {}
            self.sanctioned = set()

        def refused_now(self, fan):
            """Whether the vault refuses ``fan``'s payments now (sanctioned, or the vault paused)."""
            return str(getattr(fan, "address", fan)) in self.sanctioned or vault.paused()

        def teardown(self):
            chain.restore(self.snapshot)

        def attempt(self, call, *args, **kwargs):
            try:
                return call(*args, **kwargs)
            except ContractLogicError:
                return None

        def charged(self, fan, call, *args, **kwargs):
            """Sends; returns what the fan paid (None when refused)."""
            before = usd.balanceOf(fan)
            return None if self.attempt(call, *args, **kwargs) is None else before - usd.balanceOf(fan)

        # --- payments into the vault ---

        @rule(i=fan_index, value=amount)
        def tip(self, i, value):
            refused = self.refused_now(fans[i])
            paid = self.charged(fans[i], fan_payments.tip, vault, usd, value, "tip", sender=fans[i])
            assert paid == (None if refused else value)

        @rule(i=fan_index, oid=order_id, value=amount)
        def pay_order(self, i, oid, value):
            paid = self.charged(fans[i], fan_payments.payOrder, vault, oid, usd, value, sender=fans[i])
            if oid in self.orders:
                assert paid is None, f"order {oid} paid twice"
            else:
                assert paid == (None if self.refused_now(fans[i]) else value)
                if paid is not None:
                    self.orders[oid] = (fans[i], value, False)

        @rule(oid=order_id, by_admin=st.booleans(), top_up=st.booleans())
        def refund(self, oid, by_admin, top_up):
            if oid not in self.orders:
                return
            payer, value, refunded = self.orders[oid]
            if top_up:
                usd.mint(vault, value, sender=athlete)
                self.topped_up += value
            back = self.charged(
                payer, fan_payments.refundOrder, vault, oid, payer, usd, value, sender=admin if by_admin else athlete
            )
            if back is not None:
                assert not refunded and back == -value and payer.address not in self.sanctioned
                self.orders[oid] = (payer, value, True)

        # --- memberships ---

        @rule(i=fan_index, periods=st.integers(1, 3), auto=st.booleans())
        def subscribe(self, i, periods, auto):
            refused = self.refused_now(fans[i])
            receipt = self.attempt(fan_payments.subscribe, plan, periods, auto, sender=fans[i])
            assert (receipt is None) == refused
            if receipt is not None:
                token_id = receipt.return_value
                self.tokens.append(token_id)
                self.expiries[token_id] = fan_payments.expiresAt(token_id)

        @rule(k=membership_index, twice=st.booleans())
        def keeper_renews(self, k, twice):
            if k >= len(self.tokens):
                return
            token_id = self.tokens[k]
            owner = fan_payments.ownerOf(token_id)
            m = fan_payments.membership(token_id)
            agreed, price = m.price, fan_payments.plan(plan).price
            refused, before = self.refused_now(owner), fan_payments.expiresAt(token_id)
            paid = self.charged(owner, fan_payments.renew, token_id, sender=keeper)
            if paid is not None:
                now = chain.blocks.head.timestamp
                assert m.autoRenew and not m.cancelled and not refused, "renewed when it may not be"
                assert now + fan_payments.RENEWAL_WINDOW() >= before, "renewed before it was due"
                assert fan_payments.expiresAt(token_id) == max(before, now) + PERIOD
                assert paid == min(agreed, price) <= agreed
                if twice:
                    assert self.charged(owner, fan_payments.renew, token_id, sender=keeper) is None, "a period charged twice"

        @rule(k=membership_index)
        def pay_ahead(self, k):
            if k < len(self.tokens):
                token_id = self.tokens[k]
                owner = fan_payments.ownerOf(token_id)
                cancelled, refused = fan_payments.membership(token_id).cancelled, self.refused_now(owner)
                paid = self.charged(owner, fan_payments.renewSubscription, token_id, PERIOD, sender=owner)
                assert (paid is None) == (cancelled or refused)

        @rule(k=membership_index)
        def cancel(self, k):
            if k < len(self.tokens):
                token_id = self.tokens[k]
                self.attempt(fan_payments.cancelSubscription, token_id, sender=fan_payments.ownerOf(token_id))

        @rule(k=membership_index)
        def accept_price(self, k):
            if k < len(self.tokens):
                token_id = self.tokens[k]
                fan_payments.acceptPrice(token_id, sender=fan_payments.ownerOf(token_id))

        @rule(new_price=st.integers(1, 3 * PRICE))
        def change_price(self, new_price):
            fan_payments.setPlanPrice(plan, new_price, sender=athlete)

        @rule(days=st.integers(1, 40))
        def time_passes(self, days):
            chain.mine(timestamp=chain.pending_timestamp + days * DAY)

        # --- compliance and operations ---

        @rule(i=fan_index, flag=st.booleans())
        def sanction(self, i, flag):
            registry.setSanctioned(fans[i], flag, sender=sanctions_officer)
            (self.sanctioned.add if flag else self.sanctioned.discard)(fans[i].address)

        @rule(paused=st.booleans())
        def pause(self, paused):
            if paused != vault.paused():
                (vault.pause if paused else vault.unpause)(sender=guardian if paused else admin)

        @rule()
        def upgrade(self):
            implementation = deployer.deploy(
                project.NILVault, registry, vault_factory, contract_nft, splitter_factory, fan_payments
            )
            vault_beacon.upgradeTo(implementation, sender=admin)

        # --- invariants ---

        @invariant()
        def every_unit_is_accounted_for(self):
            fans_paid = self.fans_start - sum(usd.balanceOf(f) for f in fans)
            at_split = usd.balanceOf(split) - self.split_start
            free = vault.freeBalance(usd) - self.topped_up
            assert fans_paid == at_split + free

        @invariant()
        def hub_terms_follow_the_vault(self):
            # The hub's copy (once it has one) is the vault's own splitter and pause, whatever happened.
            if fan_payments.isSynced(vault):
                assert fan_payments.paymentTerms(vault, usd)[:2] == (split, vault.paused())

        @invariant()
        def escrow_untouched(self):
            assert vault.escrowed(usd) == ESCROW and usd.balanceOf(vault) >= ESCROW

        @invariant()
        def expiries_never_go_back(self):
            for token_id in self.tokens:
                expiry = fan_payments.expiresAt(token_id)
                assert expiry >= self.expiries[token_id]
                self.expiries[token_id] = expiry

    Machine.TestCase.settings = settings(
        PROFILES[PROFILE], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    run_state_machine_as_test(Machine, settings=Machine.TestCase.settings)
