"""A stateful property-based test (hypothesis ``RuleBasedStateMachine``) of a primary offering: random
sequences of subscribe, accept, reject, cancel, close, claim and refund by four wallets of three investors
(alice and alice2 are one investor), one of them (bob) sanctioned and cleared mid-way, one (carol) revoked
and re-registered, on an offering drawn from the four shapes (immediate, soft cap, review, both), a soft-capped
one with or without custody (the close mints every claim to the offering, claims transfer). A model follows each
wallet's pending, accepted, refundable and minted amounts from the events. After every step:

- the offering holds exactly what is refundable, plus pending requests while open, plus the accepted
  escrow not yet sent to the treasury;
- the tokens minted never exceed the hard cap, and no investor's total exceeds the maximum;
- the tokens the offering holds are exactly the claims still due in custody (none otherwise): held plus claimed
  is what was minted; it holds the minter role only while open or while claims still mint;
- every wallet's tokens are those the model minted it, and a wallet whose balance grew was verified;
- the offering's totals are the model's.

At the end the offering is closed (if it is still open), sanctions lifted and revocations undone, every
wallet claims and refunds: each holds the tokens it paid for and got every other unit back.

Runs: ``make test`` the bounded profile (a few short examples); ``RWA_FUZZ_PROFILE=fuzz`` many long ones.
"""

import os

from ape.exceptions import ContractLogicError
from helpers import KYC_AML, US
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from offering_helpers import CLOSED, CUSTODIAN_ROLE, FAILED, MINTER_ROLE, OPEN, TOKEN, USDC, fund, make_offering

PROFILES = {
    "ci": settings(max_examples=2, stateful_step_count=10, deadline=None),
    "fuzz": settings(max_examples=100, stateful_step_count=40, deadline=None),
}
PROFILE = os.environ.get("RWA_FUZZ_PROFILE", "ci")
HARD_CAP, SOFT_CAP, MINIMUM, MAXIMUM = 800 * TOKEN, 200 * TOKEN, 10 * TOKEN, 300 * TOKEN
SHAPES = [(0, False), (SOFT_CAP, False), (0, True), (SOFT_CAP, True)]  # (soft cap, review)
WEEK = 7 * 24 * 3600
FUNDS = 100_000 * USDC

wallet_index = st.integers(0, 3)


def test_offering_state_machine(
    chain,
    project,
    offering_factory,
    token,
    stablecoin,
    registry,
    agent,
    admin,
    attestor,
    sanctions_officer,
    alice,
    bob,
    carol,
    alice2,
    verified,
    expiry,
):
    wallets = [alice, bob, carol, alice2]
    investor_of = [1, 2, 3, 1]

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()

        @initialize(shape=st.sampled_from(SHAPES), custody=st.booleans())
        def create(self, shape, custody):
            self.soft_cap, self.review = shape
            self.offering = make_offering(
                project,
                offering_factory,
                token,
                stablecoin,
                agent,
                admin,
                chain,
                hardCap=HARD_CAP,
                softCap=self.soft_cap,
                minPerInvestor=MINIMUM,
                maxPerInvestor=MAXIMUM,
                review=self.review,
                custody=custody and self.soft_cap != 0,
            )
            fund(stablecoin, self.offering, *wallets, amount=FUNDS)
            self.coins = [stablecoin.balanceOf(w) for w in wallets]
            self.pending = [[0, 0] for _ in wallets]  # tokens, paid
            self.accepted = [[0, 0] for _ in wallets]
            self.refundable = [0] * 4
            self.minted = [0] * 4
            self.spent = [0] * 4  # paid for minted tokens
            self.rejected = set()  # investors with a rejected request: may sit below the minimum
            self.balances = [0] * 4

        def teardown(self):
            chain.restore(self.snapshot)

        def send(self, call, *args, **kwargs):
            try:
                return call(*args, **kwargs)
            except ContractLogicError:
                return None

        def status(self):
            return self.offering.status()

        # --- investors ---

        @rule(i=wallet_index, whole=st.integers(1, 350))
        def subscribe(self, i, whole):
            receipt = self.send(self.offering.subscribe, whole * TOKEN, sender=wallets[i])
            if receipt is None:
                return
            (event,) = [e for e in receipt.events if e.event_name == "Subscribed"]
            if event.minted:
                self.minted[i] += event.tokens
                self.spent[i] += event.paid
            else:
                bucket = self.pending[i] if event.pending else self.accepted[i]
                bucket[0] += event.tokens
                bucket[1] += event.paid

        @rule(i=wallet_index)
        def claim(self, i):
            if self.send(self.offering.claim, sender=wallets[i]) is not None:
                self.minted[i] += self.accepted[i][0]
                self.spent[i] += self.accepted[i][1]
                self.accepted[i] = [0, 0]

        @rule(i=wallet_index)
        def refund(self, i):
            if self.send(self.offering.refund, sender=wallets[i]) is not None:
                self.refundable[i] = 0
                status = self.status()
                if status != OPEN:
                    self.pending[i] = [0, 0]
                if status not in (OPEN, CLOSED):
                    self.accepted[i] = [0, 0]

        # --- the property's agent and admin ---

        @rule(picks=st.lists(wallet_index, min_size=1, max_size=3, unique=True))
        def accept(self, picks):
            if self.send(self.offering.accept, [wallets[i] for i in picks], sender=agent) is None:
                return
            for i in picks:
                tokens, paid = self.pending[i]
                if self.soft_cap:
                    self.accepted[i] = [self.accepted[i][0] + tokens, self.accepted[i][1] + paid]
                else:
                    self.minted[i] += tokens
                    self.spent[i] += paid
                self.pending[i] = [0, 0]

        @rule(picks=st.lists(wallet_index, min_size=1, max_size=3, unique=True))
        def reject(self, picks):
            if self.send(self.offering.reject, [wallets[i] for i in picks], sender=agent) is None:
                return
            for i in picks:
                self.refundable[i] += self.pending[i][1]
                self.pending[i] = [0, 0]
                self.rejected.add(investor_of[i])

        @rule(early=st.booleans())
        def close(self, early):
            if not early:
                chain.pending_timestamp += WEEK
            self.send(self.offering.close, sender=agent if early else bob)

        @rule()
        def cancel(self):
            self.send(self.offering.cancel, sender=admin)

        # --- compliance changes mid-way ---

        @rule(sanctioned=st.booleans())
        def sanction_bob(self, sanctioned):
            registry.setSanctioned(bob, sanctioned, sender=sanctions_officer)

        @rule()
        def revoke_carol(self):
            self.send(registry.revoke, carol, sender=attestor)

        @rule()
        def register_carol(self):
            self.send(registry.register, carol, (3, US, KYC_AML, expiry), sender=attestor)

        # --- invariants ---

        @invariant()
        def escrow_is_accounted(self):
            offering = self.offering
            status = self.status()
            owed = sum(offering.refundableOf(w) for w in wallets)
            if status == OPEN:
                owed += sum(p[1] for p in self.pending)
            assert stablecoin.balanceOf(offering) == owed + offering.escrowedAccepted()

        @invariant()
        def caps_and_limits(self):
            assert token.totalSupply() == sum(self.minted) + token.balanceOf(self.offering) <= HARD_CAP
            assert self.offering.subscribed() <= HARD_CAP
            for investor in (1, 2, 3):
                total = self.offering.investorTotal(investor)
                assert total <= MAXIMUM
                assert total == 0 or total >= MINIMUM or investor in self.rejected
                held = sum(token.balanceOf(w) for w, inv in zip(wallets, investor_of) if inv == investor)
                assert held <= MAXIMUM

        @invariant()
        def custody_holds_what_is_owed(self):
            offering, status = self.offering, self.status()
            held = token.balanceOf(offering)
            assert held == (sum(a[0] for a in self.accepted) if offering.custody() else 0)
            if status != OPEN and (offering.custody() or offering.toMint() == 0):
                assert not token.hasRole(MINTER_ROLE, offering)
            if status != OPEN and not offering.custody():
                assert not token.hasRole(CUSTODIAN_ROLE, offering)

        @invariant()
        def only_verified_wallets_receive(self):
            for i, w in enumerate(wallets):
                balance = token.balanceOf(w)
                assert balance == self.minted[i]
                if balance > self.balances[i]:
                    assert registry.isVerified(w)
                self.balances[i] = balance

        @invariant()
        def model_agrees(self):
            for i, w in enumerate(wallets):
                position = self.offering.positionOf(w)
                if self.status() == OPEN or self.status() == CLOSED:
                    assert position.acceptedTokens == self.accepted[i][0]
                    assert position.pendingTokens == self.pending[i][0] or self.status() != OPEN

        def settle(self):
            """Close if open, lift sanctions and revocations, claim and refund everything."""
            if self.status() == OPEN:
                chain.pending_timestamp += WEEK
                self.offering.close(sender=bob)
            registry.setSanctioned(bob, False, sender=sanctions_officer)
            if not registry.isVerified(carol):
                registry.register(carol, (3, US, KYC_AML, expiry), sender=attestor)
            for i in range(4):
                self.claim(i)
                self.refund(i)
            status = self.status()
            assert status in (CLOSED, FAILED) or self.offering.toMint() == 0
            for i, w in enumerate(wallets):
                assert token.balanceOf(w) == self.minted[i]
                assert self.coins[i] - stablecoin.balanceOf(w) == self.spent[i], w
            assert stablecoin.balanceOf(self.offering) == 0
            assert self.offering.toMint() == 0
            if self.offering.custody():
                self.offering.endCustody(sender=bob)
            assert token.balanceOf(self.offering) == 0
            assert not token.hasRole(CUSTODIAN_ROLE, self.offering)

    class Settled(Machine):
        def teardown(self):
            if hasattr(self, "offering"):
                self.settle()
            super().teardown()

    Settled.TestCase.settings = settings(
        PROFILES[PROFILE], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    run_state_machine_as_test(Settled, settings=Settled.TestCase.settings)
