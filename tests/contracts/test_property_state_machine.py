"""A stateful property-based test (hypothesis ``RuleBasedStateMachine``) over token + compliance + registry +
distributor: random sequences of mint, transfer, transferFrom, forced transfer, burn, freezes, recovery,
register, re-register, revoke, sanction, deposit and claim, distributor replacement, lockup changes between
mints, time passing, and holder tracking switched off (every module removed, movements made untracked) and on
again. An external module that reads the token in its hooks is attached throughout. After every step:

- the balances sum to the total supply, and no wallet has more frozen tokens than it holds;
- holder tracking says what the balances say: each investor's tracked balance is the sum of the balances
  of the wallets counted under it, and the holder count is the number of investors with a balance;
- dividends are conserved: claimed + claimable lies in [deposited - DUST, deposited], DUST being one wei
  per wallet (each wallet's sub-wei remainder), and the current distributor holds at least what is claimable;
- no wallet was paid dividends while sanctioned or unverified;
- no wallet's lockup ever moved earlier (a recovered wallet's goes to the new one);
- after each movement, the module's hook saw the balances after it (issue 21: hooks ran before the movement).

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
MAX_BALANCE, MAX_HOLDERS, LOCKUP = 2, 4, 8
INVESTOR_IDS = (1, 2, 3, 7)  # 7: an id the fixtures never use, for re-registration
PROFILES = {
    "ci": settings(max_examples=2, stateful_step_count=10, deadline=None),
    "fuzz": settings(max_examples=200, stateful_step_count=40, deadline=None),
}
PROFILE = os.environ.get("RWA_FUZZ_PROFILE", "ci")

wallet_index = st.integers(0, 3)
percent = st.integers(1, 100)


def test_token_compliance_registry_distributor(
    chain,
    project,
    deployer,
    suite,
    token,
    compliance,
    distributor,
    registry,
    stablecoin,
    funded,
    agent,
    admin,
    attestor,
    sanctions_officer,
    alice,
    bob,
    carol,
    alice2,
    expiry,
):
    wallets = [alice, bob, carol, alice2]
    reader = deployer.deploy(project.TokenReadingModule, token)

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            compliance.setMaxHolders(1000, sender=admin)
            compliance.setMaxBalance(10**30, sender=admin)
            compliance.setLockupPeriod(10, sender=admin)
            self.enable_modules()
            token.batchMint(wallets, [10 * E18, 3 * E18, 7 * E18, E18], sender=agent)
            self.deposited = 0
            self.coins = [stablecoin.balanceOf(w) for w in wallets]
            self.claimed = 0
            self.locks = {w: compliance.lockedUntil(w) for w in wallets}
            self.distributor = distributor

        def enable_modules(self):
            for module in (MAX_HOLDERS, MAX_BALANCE, LOCKUP):
                compliance.addModule(module, sender=admin)
            compliance.addExternalModule(reader, sender=admin)

        def moved(self, call, source, dest, *args, **kwargs):
            """A movement from `source` to `dest` (None: minted or burned): when it happens, the module's hook must
            have seen the balances after it."""
            hooks = reader.seen().hooks
            self.attempt(call, *args, **kwargs)
            seen = reader.seen()
            if seen.hooks != hooks:
                after = [token.balanceOf(w) if w is not None else 0 for w in (source, dest)]
                assert [seen.sender, seen.receiver] == after, (call, seen, after)

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
            self.moved(token.transfer, w, wallets[j], wallets[j], token.balanceOf(w) * pct // 100, sender=w)

        @rule(i=wallet_index, j=wallet_index, k=wallet_index, pct=percent)
        def transfer_from(self, i, j, k, pct):
            owner, spender = wallets[i], wallets[k]
            amount = token.balanceOf(owner) * pct // 100
            token.approve(spender, amount, sender=owner)
            self.moved(token.transferFrom, owner, wallets[j], owner, wallets[j], amount, sender=spender)

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
            self.moved(token.mint, None, wallets[i], wallets[i], pct * E18 // 7, sender=agent)

        @rule(i=wallet_index, pct=percent)
        def burn(self, i, pct):
            w = wallets[i]
            self.moved(token.burn, w, None, w, token.balanceOf(w) * pct // 100, sender=agent)

        @rule(i=wallet_index, j=wallet_index, pct=percent)
        def forced_transfer(self, i, j, pct):
            w = wallets[i]
            amount = token.balanceOf(w) * pct // 100
            self.moved(token.forcedTransfer, w, wallets[j], w, wallets[j], amount, sender=agent)

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
            lost, new = wallets[i], wallets[j]
            self.moved(token.recoveryAddress, lost, new, lost, new, "0x" + "00" * 20, sender=agent)
            if token.balanceOf(lost) == 0 and compliance.lockedUntil(lost) == 0:
                self.locks[lost] = 0  # recovered: its lock went to the new wallet

        # --- the owner's acts ---

        @rule(period=st.sampled_from([0, 10, 1000]))
        def set_lockup(self, period):
            compliance.setLockupPeriod(period, sender=admin)

        @rule(seconds=st.sampled_from([1, 100, 2000]))
        def wait(self, seconds):
            chain.mine(timestamp=chain.pending_timestamp + seconds)

        @rule(i=wallet_index, pct=percent)
        def tracking_off_and_on(self, i, pct):
            """Every module removed (tracking stops), a mint made untracked, then tracking restarted exactly."""
            for module in (MAX_HOLDERS, MAX_BALANCE, LOCKUP):
                compliance.removeModule(module, sender=admin)
            compliance.removeExternalModule(reader, sender=admin)
            assert not compliance.isTracking() and not token.complianceActive()
            self.attempt(token.mint, wallets[i], pct * E18 // 7, sender=agent)  # untracked (if the wallet may hold)
            stale = [investor for investor in INVESTOR_IDS if compliance.investorBalance(investor)]
            holding = sorted((w for w in wallets if token.balanceOf(w)), key=lambda w: int(w.address, 16))
            self.attempt(compliance.addModule, MAX_HOLDERS, sender=admin)  # refused: supply, or stale counts
            assert not compliance.isTracking()
            compliance.resync(stale, holding, sender=admin)
            self.enable_modules()

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

        @precondition(lambda self: token.totalSupply() >= distributor.minSupply())
        @rule(amount=st.integers(1, 10**9))
        def deposit(self, amount):
            self.distributor.deposit(amount, sender=funded)
            self.deposited += amount

        @rule()
        def replace_distributor(self):
            """A new distributor of the same token: what the holders are owed must follow."""
            beacon = suite["contracts"]["DividendDistributorBeacon"]["proxy"]["beacon"]
            data = distributor.initialize.encode_input(token)
            successor = project.DividendDistributor.at(project.BeaconInstanceProxy.deploy(beacon, data, sender=deployer))
            token.setDividendDistributor(successor, sender=admin)
            stablecoin.approve(successor, 2**256 - 1, sender=funded)
            self.distributor = successor

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
        def lockups_never_shortened(self):
            for w in wallets:
                until = compliance.lockedUntil(w)
                assert until >= self.locks[w], (w, until, self.locks[w])
                self.locks[w] = until

        @invariant()
        def dividends_conserved(self):
            claimable = sum(token.claimableDividendsOf(w) for w in wallets)
            dust = len(wallets)
            assert self.deposited - dust <= self.claimed + claimable <= self.deposited
            assert stablecoin.balanceOf(self.distributor) >= claimable

    Machine.TestCase.settings = settings(
        PROFILES[PROFILE], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )
    run_state_machine_as_test(Machine, settings=Machine.TestCase.settings)
