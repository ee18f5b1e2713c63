"""The token's hand-written `isVerified` call (PropertyToken._requireVerified, in assembly on every
transfer) against a registry that misbehaves: only a whole 32-byte `true` verifies a wallet; a short
answer, an empty one, a revert or a word that is not a boolean refuses the transfer, naming the wallet
(the receiver, which the token asks about before the sender)."""

import pytest
from helpers import reverts

E18 = 10**18
VERIFIES = ("TRUE_WORD", "TRUE_AND_MORE")
REFUSES = ("SHORT", "ONE_BYTE_SHORT", "REVERTS", "GARBAGE", "EMPTY")


@pytest.fixture
def misbehaving(project, deployer, token, admin, agent, alice):
    token.mint(alice, 10 * E18, sender=agent)  # minted while the suite's registry verifies alice
    registry = deployer.deploy(project.MisbehavingRegistryMock)
    token.setIdentityRegistry(registry, sender=admin)
    return registry


@pytest.mark.parametrize("mode", VERIFIES)
def test_a_whole_true_word_verifies(token, misbehaving, alice, bob, mode):
    misbehaving.setMode(getattr(misbehaving, mode)(), sender=alice)
    receipt = token.transfer(bob, E18, sender=alice)
    assert [(e["from"], e.to, e.value) for e in token.Transfer.from_receipt(receipt)] == [(alice, bob, E18)]
    assert token.balanceOf(bob) == E18


@pytest.mark.parametrize("mode", REFUSES)
def test_any_other_answer_refuses_the_transfer(token, misbehaving, alice, bob, mode):
    misbehaving.setMode(getattr(misbehaving, mode)(), sender=alice)
    with reverts(token.WalletNotVerified, wallet=bob):
        token.transfer(bob, E18, sender=alice)
    assert token.balanceOf(alice) == 10 * E18 and token.balanceOf(bob) == 0
