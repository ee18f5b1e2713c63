"""Property-based tests: random sequences of transfers, mints, burns, freezes, forced transfers,
deposits and claims keep the token's books straight.

- total supply == sum of balances;
- frozen tokens never exceed the balance;
- dividends claimed + claimable == deposited, minus at most one wei per holder (never more).

The invariants are checked after every operation, so a failing example names the step that broke
them. Each example runs from the same chain snapshot and is reverted afterwards.
"""

from helpers import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

E18 = 10**18

OPS = ("transfer", "mint", "burn", "freeze", "unfreeze", "freeze_wallet", "forced", "deposit", "claim")

operation = st.tuples(
    st.sampled_from(OPS),
    st.integers(0, 3),  # actor
    st.integers(0, 3),  # counterparty
    st.integers(1, 100),  # amount, in percent of what is possible (or units for deposits)
)


def assert_books_balanced(token, distributor, stablecoin, holders, paid_before, deposited, step):
    balances = [token.balanceOf(h) for h in holders]
    assert token.totalSupply() == sum(balances), step
    for holder, balance in zip(holders, balances):
        assert token.getFrozenTokens(holder) <= balance, step
    claimed = sum(stablecoin.balanceOf(h) for h in holders) - paid_before
    claimable = sum(token.claimableDividendsOf(h) for h in holders)
    assert deposited - len(holders) <= claimed + claimable <= deposited, step
    assert stablecoin.balanceOf(distributor) >= claimable, step


# 6 examples of up to 12 operations under make test (12 before; 20 when the books were checked only at the end),
# 60 under make fuzz.
@settings(max_examples=examples(6, 60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=3, max_size=12))
def test_books_stay_balanced(chain, token, distributor, stablecoin, funded, agent, alice, bob, carol, alice2, ops):
    holders = [alice, bob, carol, alice2]
    snapshot = chain.snapshot()
    try:
        token.batchMint(holders, [10 * E18, 3 * E18, 7 * E18, 1], sender=agent)
        paid_before = sum(stablecoin.balanceOf(h) for h in holders)
        deposited = 0
        for step, (op, i, j, pct) in enumerate(ops):
            actor, other = holders[i], holders[j]
            balance = token.balanceOf(actor)
            frozen = token.getFrozenTokens(actor)
            free = balance - frozen
            if op == "transfer" and free and not token.isFrozen(actor) and not token.isFrozen(other):
                token.transfer(other, free * pct // 100, sender=actor)
            elif op == "mint" and not token.isFrozen(actor):
                token.mint(actor, pct * E18 // 7, sender=agent)
            elif op == "burn" and balance:
                token.burn(actor, balance * pct // 100, sender=agent)
            elif op == "freeze" and free:
                token.freezePartialTokens(actor, free * pct // 100, sender=agent)
            elif op == "unfreeze" and frozen:
                token.unfreezePartialTokens(actor, frozen * pct // 100, sender=agent)
            elif op == "freeze_wallet":
                token.setAddressFrozen(actor, not token.isFrozen(actor), sender=agent)
            elif op == "forced" and balance and actor != other:
                token.forcedTransfer(actor, other, balance * pct // 100, sender=agent)
            elif op == "deposit" and token.totalSupply():
                amount = pct * 1_000_003 + j  # odd amounts, to exercise rounding
                distributor.deposit(amount, sender=funded)
                deposited += amount
            elif op == "claim" and token.claimableDividendsOf(actor) and not token.isFrozen(actor):
                token.claimDividends(sender=actor)
            assert_books_balanced(token, distributor, stablecoin, holders, paid_before, deposited, (step, op))
    finally:
        chain.restore(snapshot)
