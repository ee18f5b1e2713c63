"""Tests of RevenueSplitter (Vyper) and SplitterFactory.

Gas figures are printed (``-s``) and asserted only against the documented targets: creating a
split of 4 payees ≤ 90,000; distributing ETH to 4 payees ≤ 80,000 (plus the registry's sanctions
check, about 12,500). The third target, ≤ 7,000 per further payee, cannot be met by a *push* of ETH
(see ``test_gas_distribute_eth``).
"""

import ape
import pytest
from helpers import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nil_helpers import (
    ZERO_ADDRESS,
    address_of,
    balance_of,
    random_address,
    report_gas,
    reverts,
)

ETH = ZERO_ADDRESS
TOTAL = 10_000

# Each example creates a split and distributes up to four rounds; conservation is checked after every round.
PROPERTY_SETTINGS = settings(
    max_examples=examples(10, 100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def sorted_split(payees, shares):
    pairs = sorted(zip((address_of(p) for p in payees), shares), key=lambda pair: int(pair[0], 16))
    return [p for p, _ in pairs], [s for _, s in pairs]


def make_split(factory, payees, shares, sender):
    """Create the split (payees listed in ascending order, as the factory requires)."""
    payees, shares = sorted_split(payees, shares)
    address = factory.predict(payees, shares)
    factory.createSplit(payees, shares, sender=sender)
    return ape.project.RevenueSplitter.at(address)


@pytest.fixture
def four(accounts):
    """Four fresh payee addresses in ascending order (no code, never send transactions)."""
    return sorted((random_address() for _ in range(4)), key=lambda a: int(a, 16))


@pytest.fixture
def split4(splitter_factory, deployer, four):
    return make_split(splitter_factory, four, [4000, 3000, 2000, 1000], deployer)


@pytest.fixture
def token(project, deployer):
    return deployer.deploy(project.AwkwardToken)


def owed_all(split, token, payees):
    return sum(split.owed(token, p) for p in payees)


# ================================================================================================
# Factory: creation, prediction, validation
# ================================================================================================


def test_factory_constants(splitter_factory, splitter_implementation):
    assert splitter_factory.MAX_PAYEES() == 32
    assert splitter_factory.TOTAL_BPS() == TOTAL
    assert splitter_factory.implementation() == splitter_implementation.address
    assert splitter_implementation.MAX_PAYEES() == 32
    assert splitter_implementation.TOTAL_BPS() == TOTAL


def test_create_split(splitter_factory, deployer, four, chain):
    shares = [4000, 3000, 2000, 1000]
    predicted = splitter_factory.predict(four, shares)
    assert not chain.provider.get_code(predicted)
    receipt = splitter_factory.createSplit(four, shares, sender=deployer)
    assert receipt.return_value == predicted
    payees, sorted_shares = four, shares
    assert receipt.events == [splitter_factory.SplitCreated(split=predicted)]
    split = ape.project.RevenueSplitter.at(predicted)
    assert split.payees() == payees
    assert split.shares() == sorted_shares
    assert split.payeeCount() == 4
    for payee, share in zip(four, shares):
        assert split.shareOf(payee) == share
    assert split.shareOf(random_address()) == 0
    assert splitter_factory.isSplit(predicted)
    # EIP-1167 code, then the records.
    code = bytes(chain.provider.get_code(predicted))
    assert code[:10] == bytes.fromhex("363d3d373d3d3d363d73")
    assert code[10:30] == bytes.fromhex(splitter_factory.implementation()[2:])
    assert len(code) == 45 + 22 * 4


def test_identical_splits_share_an_address(splitter_factory, deployer, outsider, four):
    shares = [4000, 3000, 2000, 1000]
    first = splitter_factory.createSplit(four, shares, sender=deployer).return_value
    # The same split again, by someone else: same address, nothing new.
    receipt = splitter_factory.createSplit(four, shares, sender=outsider)
    assert receipt.return_value == first
    assert receipt.events == []
    assert splitter_factory.predict(four, shares) == first
    # A different split: a different address.
    assert splitter_factory.predict(four, [3000, 4000, 2000, 1000]) != first


def test_single_payee_and_max_payees(splitter_factory, deployer):
    solo = make_split(splitter_factory, [random_address()], [TOTAL], deployer)
    assert solo.shares() == [TOTAL]
    payees = [random_address() for _ in range(32)]
    shares = [312] * 31 + [TOTAL - 312 * 31]
    big = make_split(splitter_factory, payees, shares, deployer)
    assert big.payeeCount() == 32
    assert sorted(big.payees()) == sorted(payees)


@pytest.mark.parametrize(
    "payees, shares, error, inputs",
    [
        (2, [TOTAL], "LengthMismatch", {"payees": 2, "shares": 1}),
        (0, [], "InvalidPayeeCount", {"count": 0, "maxCount": 32}),
        (33, [300] * 32 + [400], "InvalidPayeeCount", {"count": 33, "maxCount": 32}),
        (2, [TOTAL, 0], "InvalidShare", {"share": 0}),
        (2, [TOTAL + 1, 0], "InvalidShare", {"share": TOTAL + 1}),
        (2, [5000, 4999], "InvalidTotalShares", {"total": 9999}),
        (3, [5000, 5000, 1], "InvalidTotalShares", {"total": 10001}),
        (2, [2**255, 2**255 + TOTAL], "InvalidShare", {"share": 2**255}),
    ],
)
def test_create_rejects_bad_splits(splitter_factory, deployer, payees, shares, error, inputs):
    addresses = sorted((random_address() for _ in range(payees)), key=lambda a: int(a, 16))
    with reverts(getattr(splitter_factory, error), **inputs):
        splitter_factory.createSplit(addresses, shares, sender=deployer)
    # eth_call reverts reach the test with their arguments mangled: check the error alone.
    with reverts(getattr(splitter_factory, error)):
        splitter_factory.predict(addresses, shares)


def test_create_rejects_duplicates_zero_and_disorder(splitter_factory, deployer):
    a, b = sorted((random_address(), random_address()), key=lambda x: int(x, 16))
    with reverts(splitter_factory.DuplicatePayee, payee=a):
        splitter_factory.createSplit([a, a, b], [3000, 3000, 4000], sender=deployer)
    with reverts(splitter_factory.DuplicatePayee, payee=b):
        splitter_factory.createSplit([a, b, b], [3000, 3000, 4000], sender=deployer)
    with reverts(splitter_factory.DuplicatePayee):
        splitter_factory.predict([a, a], [5000, 5000])
    with reverts(splitter_factory.ZeroPayee):
        splitter_factory.createSplit([ZERO_ADDRESS, a], [5000, 5000], sender=deployer)
    with reverts(splitter_factory.PayeesNotSorted, index=1):
        splitter_factory.createSplit([b, a], [5000, 5000], sender=deployer)
    with reverts(splitter_factory.ZeroPayee):
        splitter_factory.createSplit([a, b, ZERO_ADDRESS], [3000, 3000, 4000], sender=deployer)


def test_factory_rejects_implementation_without_code(project, deployer):
    target = random_address()
    with reverts(project.SplitterFactory.InvalidImplementation, implementation=target):
        deployer.deploy(project.SplitterFactory, target)


def test_is_split(splitter_factory, splitter_implementation, split4, deployer, project, registry):
    assert splitter_factory.isSplit(split4)
    assert not splitter_factory.isSplit(random_address())
    assert not splitter_factory.isSplit(splitter_implementation)
    assert not splitter_factory.isSplit(registry)
    # The same clone made by another factory is not this factory's split.
    other = deployer.deploy(project.SplitterFactory, splitter_implementation)
    payees = split4.payees()
    clone = other.createSplit(payees, split4.shares(), sender=deployer).return_value
    assert other.isSplit(clone)
    assert not splitter_factory.isSplit(clone)


def test_implementation_refuses_to_split(splitter_implementation, deployer):
    deployer.transfer(splitter_implementation, 1000)
    with ape.reverts("splitter: not a clone"):
        splitter_implementation.distribute(ETH, sender=deployer)
    with ape.reverts("splitter: not a clone"):
        splitter_implementation.claim(ETH, deployer, sender=deployer)


# ================================================================================================
# ETH
# ================================================================================================


def test_receive_eth(split4, deployer):
    receipt = deployer.transfer(split4, 10**18)
    assert receipt.events == [split4.Received(sender=deployer, amount=10**18)]
    assert split4.unallocated(ETH) == 10**18


def test_distribute_eth(split4, deployer, outsider, four, chain):
    deployer.transfer(split4, 10**18)
    receipt = split4.distribute(ETH, sender=outsider)
    assert receipt.events == [split4.Distributed(token=ETH, amount=10**18, caller=outsider)]
    for payee, share in zip(four, [4000, 3000, 2000, 1000]):
        assert balance_of(chain, payee) == 10**18 * share // TOTAL
    assert balance_of(chain, split4) == 0
    with ape.reverts("splitter: nothing to distribute"):
        split4.distribute(ETH, sender=outsider)


def test_dust_stays_for_next_round(split4, deployer, four, chain):
    shares = [4000, 3000, 2000, 1000]
    deployer.transfer(split4, 13)  # 5.2, 3.9, 2.6, 1.3 -> 5, 3, 2, 1; dust 2
    split4.distribute(ETH, sender=deployer)
    assert [balance_of(chain, p) for p in four] == [5, 3, 2, 1]
    assert balance_of(chain, split4) == split4.unallocated(ETH) == 2
    deployer.transfer(split4, 8)  # 10 = 2 dust + 8 -> 4, 3, 2, 1
    split4.distribute(ETH, sender=deployer)
    assert [balance_of(chain, p) for p in four] == [9, 6, 4, 2]
    assert balance_of(chain, split4) == 0
    assert sum(shares) == TOTAL


def test_allocate_credits_every_payee_and_sends_nothing(split4, deployer, outsider, four, chain):
    deployer.transfer(split4, 1003)  # 401.2, 300.9, 200.6, 100.3 -> dust 2
    receipt = split4.allocate(ETH, sender=outsider)
    assert receipt.return_value == 1001
    assert receipt.events == [split4.Allocated(token=ETH, amount=1001)]
    assert [split4.owed(ETH, p) for p in four] == [401, 300, 200, 100]
    assert [balance_of(chain, p) for p in four] == [0, 0, 0, 0]
    assert split4.reserved(ETH) == 1001 and split4.unallocated(ETH) == 2
    with ape.reverts("splitter: nothing to allocate"):
        split4.allocate(ETH, sender=outsider)  # the dust alone gives every payee nothing
    assert split4.claim(ETH, four[2], sender=outsider).return_value == 200
    assert balance_of(chain, four[2]) == 200 and split4.reserved(ETH) == 801


# ================================================================================================
# Sanctions: a sanctioned payee is never paid, and its share is kept for it
# ================================================================================================


def test_implementation_knows_the_registry(splitter_implementation, split4, registry, project, deployer):
    assert splitter_implementation.REGISTRY() == registry.address
    assert split4.REGISTRY() == registry.address  # the clones read the implementation's immutable
    with ape.reverts("splitter: registry is not a contract"):
        deployer.deploy(project.RevenueSplitter, random_address())


def test_sanctioned_payee_is_credited_not_paid(split4, registry, sanctions_officer, deployer, outsider, four, chain):
    flagged = four[1]
    registry.setSanctioned(flagged, True, sender=sanctions_officer)
    deployer.transfer(split4, 1000)
    receipt = split4.distribute(ETH, sender=outsider)
    assert split4.Withheld(token=ETH, payee=flagged, amount=300) in receipt.events
    assert [balance_of(chain, p) for p in four] == [400, 0, 200, 100]
    assert split4.owed(ETH, flagged) == 300 and split4.reserved(ETH) == 300
    # Claims refuse it while the flag stands, whoever asks (allocation included).
    with ape.reverts("splitter: payee sanctioned"):
        split4.claim(ETH, flagged, sender=outsider)
    deployer.transfer(split4, 100)
    with ape.reverts("splitter: payee sanctioned"):
        split4.claim(ETH, flagged, sender=outsider)
    # The others' claims are not blocked by it.
    assert split4.claim(ETH, four[0], sender=outsider).return_value == 40
    # Cleared, it is paid what was kept.
    registry.setSanctioned(flagged, False, sender=sanctions_officer)
    receipt = split4.claim(ETH, flagged, sender=outsider)
    assert receipt.return_value == 330
    assert split4.Claimed(token=ETH, payee=flagged, amount=330) in receipt.events
    assert balance_of(chain, flagged) == 330


def test_sanctioned_payee_of_a_token_split(split4, token, registry, sanctions_officer, deployer, four):
    registry.setSanctioned(four[3], True, sender=sanctions_officer)
    token.mint(split4, 10_000, sender=deployer)
    split4.distribute(token, sender=deployer)
    assert [token.balanceOf(p) for p in four] == [4000, 3000, 2000, 0]
    assert split4.owed(token, four[3]) == 1000
    with ape.reverts("splitter: payee sanctioned"):
        split4.claim(token, four[3], sender=deployer)


def test_claim_eth(split4, deployer, outsider, four, chain):
    deployer.transfer(split4, 1000)
    assert split4.claimable(ETH, four[1]) == 300
    receipt = split4.claim(ETH, four[1], sender=outsider)  # anyone may trigger; the payee is paid
    assert receipt.return_value == 300
    assert receipt.events == [
        split4.Allocated(token=ETH, amount=1000),
        split4.Claimed(token=ETH, payee=four[1], amount=300),
    ]
    assert balance_of(chain, four[1]) == 300
    # Everyone else's share is credited, not re-split by the next round.
    assert [split4.owed(ETH, p) for p in four] == [400, 0, 200, 100]
    assert split4.reserved(ETH) == 700
    assert split4.unallocated(ETH) == 0
    with ape.reverts("splitter: nothing to distribute"):
        split4.distribute(ETH, sender=deployer)
    with ape.reverts("splitter: nothing to claim"):
        split4.claim(ETH, four[1], sender=outsider)
    with ape.reverts("splitter: nothing to claim"):
        split4.claim(ETH, outsider, sender=outsider)
    # New income is split again; credited amounts stay credited.
    deployer.transfer(split4, 100)
    split4.distribute(ETH, sender=deployer)
    assert balance_of(chain, four[0]) == 40
    assert split4.claimable(ETH, four[0]) == 400
    split4.claim(ETH, four[0], sender=deployer)
    assert balance_of(chain, four[0]) == 440
    assert split4.reserved(ETH) == 300


# ================================================================================================
# Hostile payees
# ================================================================================================


@pytest.fixture
def hostile(project, deployer):
    return {
        "reverting": deployer.deploy(project.RevertingPayee),
        "burning": deployer.deploy(project.GasBurningPayee),
        "reentrant": deployer.deploy(project.ReentrantPayee),
    }


@pytest.mark.parametrize("kind", ["reverting", "burning", "reentrant"])
def test_hostile_payee_cannot_block_others(splitter_factory, deployer, hostile, chain, kind):
    bad = hostile[kind]
    good = [random_address(), random_address()]
    split = make_split(splitter_factory, [bad, *good], [5000, 2500, 2500], deployer)
    if kind == "reentrant":
        bad.arm(split, split.distribute.encode_input(ETH), sender=deployer)
    deployer.transfer(split, 4000)
    receipt = split.distribute(ETH, sender=deployer, gas_limit=1_000_000)
    assert receipt.gas_used < 200_000  # the burner only gets its bounded budget
    assert [balance_of(chain, g) for g in good] == [1000, 1000]
    assert split.PushFailed(token=ETH, payee=bad, amount=2000) in receipt.events
    assert split.owed(ETH, bad) == 2000
    assert split.reserved(ETH) == 2000
    assert balance_of(chain, split) == 2000
    # More income: the others are paid again, the credit stays.
    deployer.transfer(split, 4000)
    split.distribute(ETH, sender=deployer, gas_limit=1_000_000)
    assert [balance_of(chain, g) for g in good] == [2000, 2000]
    assert split.owed(ETH, bad) == 4000


def test_reverting_payee_claim_reverts_and_keeps_credit(splitter_factory, deployer, hostile):
    bad = hostile["reverting"]
    split = make_split(splitter_factory, [bad, random_address()], [5000, 5000], deployer)
    deployer.transfer(split, 1000)
    split.distribute(ETH, sender=deployer)
    with ape.reverts():
        split.claim(ETH, bad, sender=deployer)
    assert split.owed(ETH, bad) == 500


def test_gas_burner_claims_once_fixed(splitter_factory, deployer, hostile, chain):
    burner = hostile["burning"]
    split = make_split(splitter_factory, [burner, random_address()], [5000, 5000], deployer)
    deployer.transfer(split, 1000)
    split.distribute(ETH, sender=deployer)
    assert split.owed(ETH, burner) == 500
    burner.setBurning(False, sender=deployer)
    split.claim(ETH, burner, sender=deployer)
    assert balance_of(chain, burner) == 500
    assert split.owed(ETH, burner) == split.reserved(ETH) == 0


def test_reentrancy_is_impossible(splitter_factory, deployer, hostile, chain):
    """On claim (all gas forwarded) the payee re-enters distribute, allocate and claim: all refused."""
    attacker = hostile["reentrant"]
    other = random_address()
    split = make_split(splitter_factory, [attacker, other], [5000, 5000], deployer)
    attacker.arm(split, split.distribute.encode_input(ETH), sender=deployer)
    deployer.transfer(split, 1000)
    split.distribute(ETH, sender=deployer)  # the attacker's push fails (re-entry refused, budget too small)
    assert attacker.attempts() == 0
    assert split.owed(ETH, attacker) == 500
    deployer.transfer(split, 1000)  # fresh income the attacker would like to re-split
    for data in (
        split.distribute.encode_input(ETH),
        split.allocate.encode_input(ETH),
        split.claim.encode_input(ETH, attacker),
    ):
        attacker.arm(split, data, sender=deployer)
        attempts = attacker.attempts()
        with chain.isolate():
            split.claim(ETH, attacker, sender=deployer)
            assert attacker.attempts() == attempts + 1
            assert not attacker.lastSucceeded()
            # It got its credit plus its share of the new income, and nothing more.
            assert balance_of(chain, attacker) == 1000
            assert split.owed(ETH, other) == 500
            assert balance_of(chain, other) == 500
            assert balance_of(chain, split) == 500 == split.reserved(ETH)


def test_distribute_needs_enough_gas_per_push(split4, deployer, four):
    """Too little gas reverts the whole distribution, rather than starving pushes into credits."""
    deployer.transfer(split4, 10**18)
    with ape.reverts():
        split4.distribute(ETH, sender=deployer, gas_limit=60_000)
    assert owed_all(split4, ETH, four) == 0


# ================================================================================================
# ERC-20, fee-on-transfer, blocked recipients
# ================================================================================================


def test_distribute_and_claim_token(split4, token, deployer, four):
    token.mint(split4, 10_001, sender=deployer)
    receipt = split4.distribute(token, sender=deployer)
    assert split4.Distributed(token=token, amount=10_000, caller=deployer) in receipt.events
    assert [token.balanceOf(p) for p in four] == [4000, 3000, 2000, 1000]
    assert split4.unallocated(token) == 1  # dust
    token.mint(split4, 999, sender=deployer)
    assert split4.claim(token, four[3], sender=deployer).return_value == 100
    assert token.balanceOf(four[3]) == 1100
    assert owed_all(split4, token, four) == split4.reserved(token) == 900
    assert token.balanceOf(split4) == 900


def test_blocked_token_recipient_is_credited(split4, token, deployer, four):
    token.setBlocked(four[0], True, sender=deployer)
    token.mint(split4, 10_000, sender=deployer)
    receipt = split4.distribute(token, sender=deployer)
    assert split4.PushFailed(token=token, payee=four[0], amount=4000) in receipt.events
    assert [token.balanceOf(p) for p in four] == [0, 3000, 2000, 1000]
    assert split4.owed(token, four[0]) == 4000
    with ape.reverts("splitter: transfer failed"):
        split4.claim(token, four[0], sender=deployer)
    token.setBlocked(four[0], False, sender=deployer)
    split4.claim(token, four[0], sender=deployer)
    assert token.balanceOf(four[0]) == 4000
    assert token.balanceOf(split4) == 0


def test_fee_on_transfer_token_accounted_by_balance(split4, token, deployer, four):
    token.setFee(100, sender=deployer)  # 1% of every transfer is burned
    token.mint(deployer, 100_000, sender=deployer)
    token.transfer(split4, 100_000, sender=deployer)  # 99,000 arrive
    assert split4.unallocated(token) == 99_000
    split4.distribute(token, sender=deployer)
    # Each push of a share loses 1% on the way: the payees get 99% of their share of what arrived.
    assert [token.balanceOf(p) for p in four] == [39_204, 29_403, 19_602, 9_801]
    assert token.balanceOf(split4) == 0
    # Credits survive the fee too: a claim pays the credit (the recipient bears the fee).
    token.setBlocked(four[0], True, sender=deployer)
    token.mint(deployer, 10_000, sender=deployer)
    token.transfer(split4, 10_000, sender=deployer)  # 9,900 arrive
    split4.distribute(token, sender=deployer)
    assert split4.owed(token, four[0]) == 3960
    assert token.balanceOf(split4) == 3960 == split4.reserved(token)


def test_token_without_code_refused(split4, deployer):
    for call in (split4.distribute, split4.unallocated):
        with ape.reverts("splitter: token is not a contract"):
            call(random_address(), sender=deployer) if call is split4.distribute else call(random_address())
    with ape.reverts("splitter: token is not a contract"):
        split4.claim(random_address(), split4.payees()[0], sender=deployer)


# ================================================================================================
# Property: nothing is lost, nothing is over-paid
# ================================================================================================


@st.composite
def splits(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    cuts = sorted(draw(st.lists(st.integers(1, TOTAL - 1), min_size=n - 1, max_size=n - 1, unique=True)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, TOTAL])]
    hostile = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    rounds = draw(
        st.lists(
            st.tuples(
                st.one_of(st.integers(0, 50), st.integers(0, 10**21)),
                st.sampled_from(["distribute", "allocate", "claim"]),
                st.integers(0, n - 1),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return shares, hostile, rounds


@PROPERTY_SETTINGS
@given(case=splits())
def test_property_conservation(splitter_factory, deployer, chain, project, case):
    shares, hostile_flags, rounds = case
    reverting = deployer.deploy(project.RevertingPayee) if any(hostile_flags) else None
    payees = []
    for bad in hostile_flags:
        if bad and reverting is not None and reverting.address not in payees:
            payees.append(reverting.address)
        else:
            payees.append(random_address())
    payees, shares = sorted_split(payees, shares)
    split = make_split(splitter_factory, payees, shares, deployer)
    deposited = 0
    for amount, action, who in rounds:
        if amount:
            deployer.transfer(split, amount)
            deposited += amount
        split_now = False
        if action == "distribute" and split.unallocated(ETH) != 0:
            split.distribute(ETH, sender=deployer)
            split_now = True
        elif action == "allocate" and split.unallocated(ETH) >= len(payees):  # a smaller rest allocates nothing
            split.allocate(ETH, sender=deployer)
            split_now = True
        elif action == "claim" and payees[who] != (reverting and reverting.address) and split.claimable(ETH, payees[who]):
            split.claim(ETH, payees[who], sender=deployer)
            split_now = True
        received = sum(balance_of(chain, p) for p in payees)
        owed = owed_all(split, ETH, payees)
        dust = split.unallocated(ETH)
        assert owed == split.reserved(ETH)
        assert received + owed + dust == deposited == received + balance_of(chain, split)
        if split_now:
            assert dust < len(payees)  # right after a round, the dust is below the number of payees
    if split.unallocated(ETH) >= len(payees):
        split.distribute(ETH, sender=deployer)
    assert split.unallocated(ETH) < len(payees)
    paid_out = 0
    for payee, share in zip(payees, shares):
        got = balance_of(chain, payee) + split.owed(ETH, payee)
        paid_out += got
        # Each round is floor-fair; re-splitting the dust moves a payee at most a few wei off its
        # exact share of everything deposited.
        assert abs(got * TOTAL - deposited * share) <= TOTAL * len(payees) * (len(rounds) + 1)
    assert paid_out + split.unallocated(ETH) == deposited  # never over-paid, never lost


# ================================================================================================
# Gas
# ================================================================================================


def test_gas_create_split(splitter_factory, deployer, four):
    payees = four
    receipt = splitter_factory.createSplit(payees, [4000, 3000, 2000, 1000], sender=deployer)
    report_gas("createSplit (4 payees)", receipt.gas_used, 90_000)
    assert receipt.gas_used <= 90_000
    receipt = splitter_factory.createSplit(
        sorted_split([random_address(), random_address()], [1, 1])[0], [5000, 5000], sender=deployer
    )
    report_gas("createSplit (2 payees), cf. 0xSplits v1 100,741", receipt.gas_used)


# What the registry's sanctions check adds to a distribution (see test_gas_distribute_eth).
SANCTIONS_CHECK_4 = 12_500
SANCTIONS_CHECK_PER_PAYEE = 3_200


def test_gas_distribute_eth(splitter_factory, deployer):
    """Later distributions (payees already hold ETH), like 0xSplits' published figures.

    Per further payee, a push of ETH costs at least 2,600 (cold account) + 9,000 (value-bearing
    CALL) - 2,300 (unused stipend returned) = 9,300 gas before any bookkeeping: the 7,000 target
    (met by 0xSplits only because its `distribute` credits balances in storage and pays nothing)
    is below what a push can cost. We assert the 4-payee target and print the marginal figure.

    Each push first asks the registry whether the payee is sanctioned: the registry proxy, its
    implementation slot and code cold once (7,300), and each payee's record cold (2,100) plus the
    call (about 1,000): some 12,000 gas for 4 payees and 3,100 for each further one, on top of the
    targets set before the check existed (80,000 for 4 payees; 9,300 + 1,500 a payee).
    """
    figures = {}
    for n in (2, 4, 10):
        payees = [random_address() for _ in range(n)]
        shares = [TOTAL // n] * (n - 1) + [TOTAL - TOTAL // n * (n - 1)]
        split = make_split(splitter_factory, payees, shares, deployer)
        deployer.transfer(split, 10**18)
        split.distribute(ETH, sender=deployer)  # first round creates the payees' accounts
        deployer.transfer(split, 10**18)
        figures[n] = split.distribute(ETH, sender=deployer).gas_used
        report_gas(f"distribute ETH ({n} payees)", figures[n], 80_000 + SANCTIONS_CHECK_4 if n == 4 else None)
    per_payee = (figures[10] - figures[4]) // 6
    report_gas("distribute ETH, each further payee", per_payee, 7_000)
    assert figures[4] <= 80_000 + SANCTIONS_CHECK_4
    assert per_payee < 9_300 + 1_500 + SANCTIONS_CHECK_PER_PAYEE


def test_gas_distribute_token(splitter_factory, deployer, token):
    figures = {}
    for n in (4, 10):
        payees = [random_address() for _ in range(n)]
        shares = [TOTAL // n] * (n - 1) + [TOTAL - TOTAL // n * (n - 1)]
        split = make_split(splitter_factory, payees, shares, deployer)
        token.mint(split, 10**18, sender=deployer)
        split.distribute(token, sender=deployer)
        token.mint(split, 10**18, sender=deployer)
        figures[n] = split.distribute(token, sender=deployer).gas_used
        report_gas(f"distribute ERC-20 ({n} payees)", figures[n])
    report_gas("distribute ERC-20, each further payee", (figures[10] - figures[4]) // 6)
