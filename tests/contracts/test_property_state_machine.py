"""A stateful property-based test (hypothesis ``RuleBasedStateMachine``) over token + compliance + registry +
distributor: random sequences of mint, transfer, transferFrom, forced transfer, burn, freezes, recovery,
register, re-register, revoke, sanction, deposit and claim. After every step:

- the balances sum to the total supply, and no wallet has more frozen tokens than it holds;
- holder tracking says what the balances say: each investor's tracked balance is the sum of the balances
  of the wallets counted under it, and the holder count is the number of investors with a balance;
- dividends are conserved: claimed + claimable lies in [deposited - DUST, deposited], DUST being one wei
  per wallet (each wallet's sub-wei remainder), and the distributor holds at least what is claimable;
- no wallet was paid dividends while sanctioned or unverified.

Refused acts (a frozen sender, an unverified party, ...) are part of the sequences: they must revert and
change nothing. Each example starts from a chain snapshot and is rolled back after it.

Runs: ``make test`` runs the bounded profile (a few short examples, about 20 s); ``make fuzz`` sets
``RWA_FUZZ_PROFILE=fuzz`` (many long examples). The profile is read here, so other hypothesis tests keep theirs.
"""

import os

from ape.exceptions import ContractLogicError
from helpers import GB, KYC_AML, US
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

E18 = 10**18
MAX_BALANCE, MAX_HOLDERS = 2, 4
INVESTOR_IDS = (1, 2, 3, 7)  # 7: an id the fixtures never use, for re-registration
PROFILES = {
    "ci": settings(max_examples=2, stateful_step_count=10, deadline=None),
    "fuzz": settings(max_examples=200, stateful_step_count=40, deadline=None),
}
PROFILE = os.environ.get("RWA_FUZZ_PROFILE", "ci")

wallet_index = st.integers(0, 3)
percent = st.integers(1, 100)


def test_token_compliance_registry_distributor(
    chain, token, compliance, distributor, registry, stablecoin, funded, agent, admin, attestor, sanctions_officer,
    alice, bob, carol, alice2, expiry,
):  # fmt: skip
    wallets = [alice, bob, carol, alice2]

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            compliance.setMaxHolders(1000, sender=admin)
            compliance.setMaxBalance(10**30, sender=admin)
            compliance.addModule(MAX_HOLDERS, sender=admin)
            compliance.addModule(MAX_BALANCE, sender=admin)
            token.batchMint(wallets, [10 * E18, 3 * E18, 7 * E18, E18], sender=agent)
            self.deposited = 0
            self.coins = [stablecoin.balanceOf(w) for w in wallets]
            self.claimed = 0

        def teardown(self):
            chain.restore(self.snapshot)

        def attempt(self, call, *args, **kwargs):
            """Send; a refusal must leave everything as it was (the invariants then check it)."""
            try:
                call(*args, **kwargs)
            except ContractLogicError:
                pass

        # --- holders' acts ---

        @rule(i=wallet_index, j=wallet_index, pct=percent)
        def transfer(self, i, j, pct):
            w = wallets[i]
            self.attempt(token.transfer, wallets[j], token.balanceOf(w) * pct // 100, sender=w)

        @rule(i=wallet_index, j=wallet_index, k=wallet_index, pct=percent)
        def transfer_from(self, i, j, k, pct):
            owner, spender = wallets[i], wallets[k]
            amount = token.balanceOf(owner) * pct // 100
            token.approve(spender, amount, sender=owner)
            self.attempt(token.transferFrom, owner, wallets[j], amount, sender=spender)

        @rule(i=wallet_index)
        def claim(self, i):
            w = wallets[i]
            cleared = registry.isVerified(w) and not token.isFrozen(w)
            owed = token.claimableDividendsOf(w)
            self.attempt(token.claimDividends, sender=w)
            paid = stablecoin.balanceOf(w) - self.coins[i]
            assert paid in ((owed,) if cleared and owed else (0,)), (w, cleared, owed, paid)
            self.coins[i] += paid
            self.claimed += paid

        # --- agents' acts ---

        @rule(i=wallet_index, pct=percent)
        def mint(self, i, pct):
            self.attempt(token.mint, wallets[i], pct * E18 // 7, sender=agent)

        @rule(i=wallet_index, pct=percent)
        def burn(self, i, pct):
            w = wallets[i]
            self.attempt(token.burn, w, token.balanceOf(w) * pct // 100, sender=agent)

        @rule(i=wallet_index, j=wallet_index, pct=percent)
        def forced_transfer(self, i, j, pct):
            w = wallets[i]
            self.attempt(token.forcedTransfer, w, wallets[j], token.balanceOf(w) * pct // 100, sender=agent)

        @rule(i=wallet_index, pct=percent)
        def freeze_partial(self, i, pct):
            w = wallets[i]
            free = token.balanceOf(w) - token.getFrozenTokens(w)
            self.attempt(token.freezePartialTokens, w, free * pct // 100, sender=agent)

        @rule(i=wallet_index, pct=percent)
        def unfreeze_partial(self, i, pct):
            w = wallets[i]
            self.attempt(token.unfreezePartialTokens, w, token.getFrozenTokens(w) * pct // 100, sender=agent)

        @rule(i=wallet_index)
        def toggle_wallet_freeze(self, i):
            w = wallets[i]
            token.setAddressFrozen(w, not token.isFrozen(w), sender=agent)

        @rule(i=wallet_index, j=wallet_index)
        def recovery(self, i, j):
            self.attempt(token.recoveryAddress, wallets[i], wallets[j], "0x" + "00" * 20, sender=agent)

        # --- the registry's acts ---

        @rule(i=wallet_index, investor=st.sampled_from(INVESTOR_IDS))
        def register(self, i, investor):
            registry.register(wallets[i], (investor, US if investor % 2 else GB, KYC_AML, expiry), sender=attestor)

        @rule(i=wallet_index)
        def revoke(self, i):
            self.attempt(registry.revoke, wallets[i], sender=attestor)

        @rule(i=wallet_index, sanctioned=st.booleans())
        def sanction(self, i, sanctioned):
            registry.setSanctioned(wallets[i], sanctioned, sender=sanctions_officer)

        # --- rent ---

        @precondition(lambda self: token.totalSupply() >= distributor.MIN_SUPPLY())
        @rule(amount=st.integers(1, 10**9))
        def deposit(self, amount):
            distributor.deposit(amount, sender=funded)
            self.deposited += amount

        # --- invariants ---

        @invariant()
        def books_balance(self):
            balances = [token.balanceOf(w) for w in wallets]
            assert sum(balances) == token.totalSupply()
            for w, balance in zip(wallets, balances):
                assert token.getFrozenTokens(w) <= balance

        @invariant()
        def tracking_matches_balances(self):
            counted = {}
            for w in wallets:
                investor = compliance.countedInvestor(w)
                counted[investor] = counted.get(investor, 0) + token.balanceOf(w)
            for investor in INVESTOR_IDS:
                assert compliance.investorBalance(investor) == counted.get(investor, 0), investor
            holding = sum(1 for investor in INVESTOR_IDS if counted.get(investor, 0))
            assert compliance.holderCount() == holding

        @invariant()
        def dividends_conserved(self):
            claimable = sum(token.claimableDividendsOf(w) for w in wallets)
            dust = len(wallets)
            assert self.deposited - dust <= self.claimed + claimable <= self.deposited
            assert stablecoin.balanceOf(distributor) >= claimable

    Machine.TestCase.settings = settings(
        PROFILES[PROFILE], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    run_state_machine_as_test(Machine, settings=Machine.TestCase.settings)
