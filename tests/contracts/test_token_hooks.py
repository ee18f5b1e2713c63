"""Compliance hooks in T-REX's order (issue 21): rules are checked before a movement, modules are told after it,
so a module that reads the token in a hook sees the new balances; and no hook can re-enter the token.

alice and alice2 are investor 1, bob investor 2, carol investor 3; ``agent`` holds every agent role.
"""

import pytest
from eth_utils import keccak
from helpers import KYC_AML, US

E18 = 10**18


@pytest.fixture
def reader(project, deployer, token, compliance, admin, registry, attestor, expiry):
    """A module that reads the token in its hooks, registered as a verified wallet so it could spend allowances."""
    module = deployer.deploy(project.TokenReadingModule, token)
    registry.register(module, (9, US, KYC_AML, expiry), sender=attestor)
    compliance.addExternalModule(module, sender=admin)
    return module


def test_hooks_see_the_balances_after_the_movement(token, reader, agent, alice, bob, carol):
    token.mint(alice, 100 * E18, sender=agent)
    assert reader.seen() == (0, 100 * E18, 1)  # created: alice already holds the minted tokens
    token.transfer(bob, 30 * E18, sender=alice)
    assert reader.seen() == (70 * E18, 30 * E18, 2)
    token.approve(carol, 10 * E18, sender=alice)
    token.transferFrom(alice, bob, 10 * E18, sender=carol)
    assert reader.seen() == (60 * E18, 40 * E18, 3)
    token.forcedTransfer(bob, carol, 5 * E18, sender=agent)
    assert reader.seen() == (35 * E18, 5 * E18, 4)
    token.burn(carol, 5 * E18, sender=agent)
    assert reader.seen() == (0, 0, 5)


def test_recovery_hook_sees_the_recovered_wallet(token, reader, agent, alice, alice2):
    token.mint(alice, 100 * E18, sender=agent)
    token.recoveryAddress(alice, alice2, "0x" + "00" * 20, sender=agent)
    assert reader.seen() == (0, 100 * E18, 2)


def test_a_hook_cannot_reenter_the_token(token, compliance, reader, agent, alice, bob, carol):
    # Issue 21: a module the sender had approved took 40 more tokens inside the sender's own transfer.
    token.mint(alice, 100 * E18, sender=agent)
    token.approve(reader, 40 * E18, sender=alice)
    reader.setTake(40 * E18, carol, sender=alice)
    receipt = token.transfer(bob, 10 * E18, sender=alice)
    assert [(e["from"], e.to, e.value) for e in token.Transfer.from_receipt(receipt)] == [(alice, bob, 10 * E18)]
    assert reader.reentryError() == keccak(text="ReentrantCall()")[:4]
    assert (token.balanceOf(alice), token.balanceOf(bob), token.balanceOf(carol)) == (90 * E18, 10 * E18, 0)
    assert token.allowance(alice, reader) == 40 * E18


def test_no_agent_act_can_be_reentered_from_a_hook(token, reader, agent, alice, bob, carol):
    token.mint(alice, 100 * E18, sender=agent)
    token.approve(reader, 40 * E18, sender=alice)
    reader.setTake(40 * E18, carol, sender=alice)
    token.forcedTransfer(alice, bob, 10 * E18, sender=agent)
    assert reader.reentryError() == keccak(text="ReentrantCall()")[:4]
    assert (token.balanceOf(alice), token.balanceOf(carol)) == (90 * E18, 0)
