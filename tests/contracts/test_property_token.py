"""PropertyToken: the ERC-3643 surface, registry integration, freezes, agents, batches.

The property comes from the suite's factory (the `created` fixture of rwa.testing.plugin). Ape reverts the chain
after each test. Agent roles all belong to ``agent``; the owner (DEFAULT_ADMIN_ROLE) is the timelock
(``admin``).
"""

import pytest
from eth_utils import keccak
from helpers import (
    DEFAULT_ADMIN_ROLE,
    KYC_AML,
    US,
    ZERO_ADDRESS,
    create_property,
    reverts,
    role,
)

E18 = 10**18
MINTER, BURNER, FREEZER, FORCER, RECOVERER, PAUSER = (
    role(n) for n in ("MINTER_ROLE", "BURNER_ROLE", "FREEZER_ROLE", "FORCED_TRANSFER_ROLE", "RECOVERY_ROLE", "PAUSER_ROLE")
)

# The standard's IToken (ERC-3643 / T-REX v4): every function and event must keep its selector/topic.
ERC3643_FUNCTIONS = [
    "onchainID()",
    "version()",
    "identityRegistry()",
    "compliance()",
    "paused()",
    "isFrozen(address)",
    "getFrozenTokens(address)",
    "setName(string)",
    "setSymbol(string)",
    "setOnchainID(address)",
    "pause()",
    "unpause()",
    "setAddressFrozen(address,bool)",
    "freezePartialTokens(address,uint256)",
    "unfreezePartialTokens(address,uint256)",
    "setIdentityRegistry(address)",
    "setCompliance(address)",
    "forcedTransfer(address,address,uint256)",
    "mint(address,uint256)",
    "burn(address,uint256)",
    "recoveryAddress(address,address,address)",
    "batchTransfer(address[],uint256[])",
    "batchForcedTransfer(address[],address[],uint256[])",
    "batchMint(address[],uint256[])",
    "batchBurn(address[],uint256[])",
    "batchSetAddressFrozen(address[],bool[])",
    "batchFreezePartialTokens(address[],uint256[])",
    "batchUnfreezePartialTokens(address[],uint256[])",
    "totalSupply()",
    "balanceOf(address)",
    "transfer(address,uint256)",
    "allowance(address,address)",
    "approve(address,uint256)",
    "transferFrom(address,address,uint256)",
    "name()",
    "symbol()",
    "decimals()",
]
ERC3643_EVENTS = [
    "UpdatedTokenInformation(string,string,uint8,string,address)",
    "IdentityRegistryAdded(address)",
    "ComplianceAdded(address)",
    "RecoverySuccess(address,address,address)",
    "AddressFrozen(address,bool,address)",
    "TokensFrozen(address,uint256)",
    "TokensUnfrozen(address,uint256)",
    "Paused(address)",
    "Unpaused(address)",
]


def _signature(abi):
    return f"{abi.name}({','.join(i.canonical_type for i in abi.inputs)})"


@pytest.fixture
def holders(token, agent, alice, bob):
    token.mint(alice, 100 * E18, sender=agent)
    token.mint(bob, 50 * E18, sender=agent)
    return alice, bob


# ================================================================================================
# Interface and initial state
# ================================================================================================


def test_erc3643_selectors_and_events(token):
    functions = {_signature(m) for m in token.contract_type.mutable_methods} | {
        _signature(m) for m in token.contract_type.view_methods
    }
    for signature in ERC3643_FUNCTIONS:
        assert signature in functions, signature
    events = {_signature(e) for e in token.contract_type.events}
    for signature in ERC3643_EVENTS:
        assert signature in events, signature


def test_initial_state(token, compliance, distributor, registry, stablecoin, admin, agent, deployer, factory):
    assert token.name() == "1 Main Street"
    assert token.symbol() == "MAIN1"
    assert token.decimals() == 18
    assert token.version() == "1.1.0"
    assert token.onchainID() == ZERO_ADDRESS
    assert token.identityRegistry() == registry.address
    assert token.compliance() == compliance.address
    assert token.dividendDistributor() == distributor.address
    assert token.dividendToken() == stablecoin.address
    assert not token.paused()
    assert not token.complianceActive()
    assert token.totalSupply() == 0
    assert token.MAX_BATCH() == 100
    assert token.hasRole(DEFAULT_ADMIN_ROLE, admin)
    for r in (MINTER, BURNER, FREEZER, FORCER, RECOVERER, PAUSER):
        assert token.hasRole(r, agent)
        assert not token.hasRole(r, admin)
        assert not token.hasRole(r, deployer)
    for account in (deployer, factory):
        assert not token.hasRole(DEFAULT_ADMIN_ROLE, account)


def test_supports_interface(token):
    interface_id = bytes(4)
    for signature in ERC3643_FUNCTIONS[:28]:  # IERC3643's own functions, without the inherited ERC-20 ones
        interface_id = bytes(a ^ b for a, b in zip(interface_id, keccak(text=signature)[:4]))
    assert token.supportsInterface(interface_id)
    assert token.supportsInterface("0x36372b07")  # IERC20
    assert token.supportsInterface("0x7965db0b")  # IAccessControl
    assert not token.supportsInterface("0xffffffff")


def test_initialize_only_once(token, admin, agent, compliance):
    config = ("x", "X", 18, ZERO_ADDRESS, compliance.address, ZERO_ADDRESS, ZERO_ADDRESS)
    with reverts(token.InvalidInitialization):
        token.initialize(config, admin, (agent,) * 6, sender=admin)


def test_implementation_is_locked(project, suite, admin, agent, compliance):
    implementation = project.PropertyToken.at(suite["contracts"]["PropertyTokenBeacon"]["proxy"]["implementation"])
    config = ("x", "X", 18, ZERO_ADDRESS, compliance.address, ZERO_ADDRESS, ZERO_ADDRESS)
    with reverts(implementation.InvalidInitialization):
        implementation.initialize(config, admin, (agent,) * 6, sender=admin)


# ================================================================================================
# Mint
# ================================================================================================


def test_mint(token, agent, alice):
    receipt = token.mint(alice, 5 * E18, sender=agent)
    assert token.balanceOf(alice) == 5 * E18
    assert token.totalSupply() == 5 * E18
    assert [(e["from"], e.to, e.value) for e in token.Transfer.from_receipt(receipt)] == [(ZERO_ADDRESS, alice, 5 * E18)]


def test_mint_refusals(token, agent, alice, stranger, registry, attestor, sanctions_officer, chain, carol):
    with reverts(token.ERC20InvalidReceiver, receiver=ZERO_ADDRESS):
        token.mint(ZERO_ADDRESS, 1, sender=agent)
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.mint(stranger, 1, sender=agent)
    registry.setSanctioned(carol, True, sender=sanctions_officer)
    with reverts(token.WalletSanctioned, wallet=carol):
        token.mint(carol, 1, sender=agent)
    expiry = chain.pending_timestamp + 50
    registry.register(stranger, (9, US, KYC_AML, expiry), sender=attestor)
    chain.pending_timestamp = expiry + 1
    chain.mine()
    with reverts(token.VerificationExpired, wallet=stranger, expiry=expiry):
        token.mint(stranger, 1, sender=agent)
    max_supply = token.MAX_SUPPLY()
    token.mint(alice, max_supply, sender=agent)
    with reverts(token.SupplyOverflow, supply=max_supply + 1, maxSupply=max_supply):
        token.mint(alice, 1, sender=agent)


def test_batch_mint(token, agent, alice, bob, carol):
    token.batchMint([alice, bob, carol], [1, 2, 3], sender=agent)
    assert [token.balanceOf(w) for w in (alice, bob, carol)] == [1, 2, 3]
    with reverts(token.BatchLengthMismatch, expected=2, actual=1):
        token.batchMint([alice, bob], [1], sender=agent)
    with reverts(token.BatchTooLarge, size=101, maxSize=100):
        token.batchMint([alice] * 101, [1] * 101, sender=agent)


def test_batch_mint_is_all_or_nothing(token, agent, alice, stranger):
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.batchMint([alice, stranger], [1, 1], sender=agent)
    assert token.balanceOf(alice) == 0


# ================================================================================================
# Transfers and their refusals
# ================================================================================================


def test_transfer(token, holders, alice, bob):
    receipt = token.transfer(bob, 10 * E18, sender=alice)
    assert receipt.return_value is True or receipt.return_value is None
    assert token.balanceOf(alice) == 90 * E18
    assert token.balanceOf(bob) == 60 * E18
    assert token.totalSupply() == 150 * E18


def test_transfer_to_second_wallet_of_same_investor(token, holders, alice, alice2):
    token.transfer(alice2, E18, sender=alice)
    assert token.balanceOf(alice2) == E18


def test_transfer_refused_when_paused(token, holders, agent, admin, alice, bob):
    token.pause(sender=agent)
    with reverts(token.TokenPaused):
        token.transfer(bob, 1, sender=alice)
    token.unpause(sender=admin)
    token.transfer(bob, 1, sender=alice)


def test_transfer_refused_for_frozen_wallets(token, holders, agent, alice, bob):
    token.setAddressFrozen(alice, True, sender=agent)
    with reverts(token.WalletFrozen, wallet=alice):
        token.transfer(bob, 1, sender=alice)
    token.setAddressFrozen(alice, False, sender=agent)
    token.setAddressFrozen(bob, True, sender=agent)
    with reverts(token.WalletFrozen, wallet=bob):
        token.transfer(bob, 1, sender=alice)


def test_transfer_refused_above_free_balance(token, holders, agent, alice, bob):
    token.freezePartialTokens(alice, 30 * E18, sender=agent)
    with reverts(token.InsufficientFreeBalance, wallet=alice, free=70 * E18, needed=70 * E18 + 1):
        token.transfer(bob, 70 * E18 + 1, sender=alice)
    token.transfer(bob, 70 * E18, sender=alice)
    assert token.balanceOf(alice) == 30 * E18


def test_transfer_refused_above_balance(token, holders, alice, bob):
    with reverts(token.ERC20InsufficientBalance, sender=alice, balance=100 * E18, needed=100 * E18 + 1):
        token.transfer(bob, 100 * E18 + 1, sender=alice)


def test_transfer_refused_to_zero(token, holders, alice):
    with reverts(token.ERC20InvalidReceiver, receiver=ZERO_ADDRESS):
        token.transfer(ZERO_ADDRESS, 1, sender=alice)


def test_transfer_refused_for_unverified_parties(token, holders, alice, bob, stranger, registry, attestor):
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.transfer(stranger, 1, sender=alice)
    registry.revoke(alice, sender=attestor)
    with reverts(token.WalletNotVerified, wallet=alice):
        token.transfer(bob, 1, sender=alice)


def test_transfer_refused_for_sanctioned_parties(token, holders, alice, bob, registry, sanctions_officer):
    registry.setSanctioned(bob, True, sender=sanctions_officer)
    with reverts(token.WalletSanctioned, wallet=bob):
        token.transfer(bob, 1, sender=alice)
    with reverts(token.WalletSanctioned, wallet=bob):
        token.transfer(alice, 1, sender=bob)


def test_transfer_refused_for_expired_parties(token, holders, alice, bob, registry, attestor, chain):
    expiry = chain.pending_timestamp + 50
    registry.register(bob, (2, 826, KYC_AML, expiry), sender=attestor)
    chain.pending_timestamp = expiry + 10
    chain.mine()
    with reverts(token.VerificationExpired, wallet=bob, expiry=expiry):
        token.transfer(bob, 1, sender=alice)
    with reverts(token.VerificationExpired, wallet=bob, expiry=expiry):
        token.transfer(alice, 1, sender=bob)


def test_transfer_from_checks_spender(token, holders, alice, bob, carol, stranger):
    token.approve(carol, 5 * E18, sender=alice)
    token.transferFrom(alice, bob, 2 * E18, sender=carol)
    assert token.allowance(alice, carol) == 3 * E18
    with reverts(token.ERC20InsufficientAllowance, spender=carol, allowance=3 * E18, needed=4 * E18):
        token.transferFrom(alice, bob, 4 * E18, sender=carol)
    token.approve(stranger, 5 * E18, sender=alice)
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.transferFrom(alice, bob, 1, sender=stranger)


def test_transfer_from_checks_parties(token, holders, agent, alice, bob, carol):
    token.approve(carol, 2**256 - 1, sender=alice)
    token.transferFrom(alice, bob, E18, sender=carol)
    assert token.allowance(alice, carol) == 2**256 - 1  # unlimited allowances are not spent
    token.setAddressFrozen(alice, True, sender=agent)
    with reverts(token.WalletFrozen, wallet=alice):
        token.transferFrom(alice, bob, 1, sender=carol)


def test_approve(token, alice, bob):
    receipt = token.approve(bob, 7, sender=alice)
    assert token.allowance(alice, bob) == 7
    assert [(e.owner, e.spender, e.value) for e in token.Approval.from_receipt(receipt)] == [(alice, bob, 7)]
    with reverts(token.ERC20InvalidSpender, spender=ZERO_ADDRESS):
        token.approve(ZERO_ADDRESS, 1, sender=alice)


def test_batch_transfer(token, holders, alice, bob, carol):
    token.batchTransfer([bob, carol], [E18, 2 * E18], sender=alice)
    assert token.balanceOf(carol) == 2 * E18
    assert token.balanceOf(alice) == 97 * E18
    with reverts(token.BatchLengthMismatch, expected=2, actual=1):
        token.batchTransfer([bob, carol], [E18], sender=alice)
    with reverts(token.BatchTooLarge, size=101, maxSize=100):
        token.batchTransfer([bob] * 101, [1] * 101, sender=alice)


# ================================================================================================
# Freezes
# ================================================================================================


def test_set_address_frozen(token, agent, alice):
    receipt = token.setAddressFrozen(alice, True, sender=agent)
    assert token.isFrozen(alice)
    assert [(e._userAddress, e._isFrozen, e._owner) for e in token.AddressFrozen.from_receipt(receipt)] == [(alice, True, agent)]
    token.setAddressFrozen(alice, False, sender=agent)
    assert not token.isFrozen(alice)
    with reverts(token.ZeroAddress):
        token.setAddressFrozen(ZERO_ADDRESS, True, sender=agent)


def test_partial_freeze(token, holders, agent, alice):
    receipt = token.freezePartialTokens(alice, 40 * E18, sender=agent)
    assert token.getFrozenTokens(alice) == 40 * E18
    assert [(e._userAddress, e._amount) for e in token.TokensFrozen.from_receipt(receipt)] == [(alice, 40 * E18)]
    with reverts(token.FreezeExceedsBalance, wallet=alice, balance=100 * E18, frozen=100 * E18 + 1):
        token.freezePartialTokens(alice, 60 * E18 + 1, sender=agent)
    receipt = token.unfreezePartialTokens(alice, 15 * E18, sender=agent)
    assert token.getFrozenTokens(alice) == 25 * E18
    assert [(e._userAddress, e._amount) for e in token.TokensUnfrozen.from_receipt(receipt)] == [(alice, 15 * E18)]
    with reverts(token.UnfreezeExceedsFrozen, wallet=alice, frozen=25 * E18, amount=25 * E18 + 1):
        token.unfreezePartialTokens(alice, 25 * E18 + 1, sender=agent)
    token.unfreezePartialTokens(alice, 25 * E18, sender=agent)
    assert token.getFrozenTokens(alice) == 0


def test_batch_freezes(token, holders, agent, alice, bob):
    token.batchSetAddressFrozen([alice, bob], [True, False], sender=agent)
    assert token.isFrozen(alice) and not token.isFrozen(bob)
    token.batchFreezePartialTokens([alice, bob], [E18, 2 * E18], sender=agent)
    assert (token.getFrozenTokens(alice), token.getFrozenTokens(bob)) == (E18, 2 * E18)
    token.batchUnfreezePartialTokens([alice, bob], [E18, E18], sender=agent)
    assert (token.getFrozenTokens(alice), token.getFrozenTokens(bob)) == (0, E18)
    for function in (token.batchFreezePartialTokens, token.batchUnfreezePartialTokens):
        with reverts(token.BatchLengthMismatch, expected=1, actual=2):
            function([alice], [1, 1], sender=agent)
        with reverts(token.BatchTooLarge, size=101, maxSize=100):
            function([alice] * 101, [0] * 101, sender=agent)
    with reverts(token.BatchLengthMismatch, expected=2, actual=1):
        token.batchSetAddressFrozen([alice, bob], [True], sender=agent)
    with reverts(token.BatchTooLarge, size=101, maxSize=100):
        token.batchSetAddressFrozen([alice] * 101, [True] * 101, sender=agent)


# ================================================================================================
# Burn, forced transfer, recovery
# ================================================================================================


def test_burn(token, holders, agent, alice):
    token.burn(alice, 10 * E18, sender=agent)
    assert token.balanceOf(alice) == 90 * E18
    assert token.totalSupply() == 140 * E18
    with reverts(token.ERC20InsufficientBalance, sender=alice, balance=90 * E18, needed=90 * E18 + 1):
        token.burn(alice, 90 * E18 + 1, sender=agent)
    with reverts(token.ERC20InvalidSender, sender=ZERO_ADDRESS):
        token.burn(ZERO_ADDRESS, 1, sender=agent)


def test_burn_unfreezes_what_it_needs(token, holders, agent, alice):
    token.freezePartialTokens(alice, 80 * E18, sender=agent)
    receipt = token.burn(alice, 50 * E18, sender=agent)
    assert [(e._userAddress, e._amount) for e in token.TokensUnfrozen.from_receipt(receipt)] == [(alice, 30 * E18)]
    assert token.getFrozenTokens(alice) == 50 * E18
    assert token.balanceOf(alice) == 50 * E18


def test_batch_burn(token, holders, agent, alice, bob):
    token.batchBurn([alice, bob], [E18, 2 * E18], sender=agent)
    assert token.totalSupply() == 147 * E18
    with reverts(token.BatchLengthMismatch, expected=1, actual=2):
        token.batchBurn([alice], [1, 1], sender=agent)
    with reverts(token.BatchTooLarge, size=101, maxSize=100):
        token.batchBurn([alice] * 101, [0] * 101, sender=agent)


def test_forced_transfer_ignores_pause_and_freezes(token, holders, agent, alice, bob):
    token.pause(sender=agent)
    token.setAddressFrozen(alice, True, sender=agent)
    token.setAddressFrozen(bob, True, sender=agent)
    token.freezePartialTokens(alice, 90 * E18, sender=agent)
    receipt = token.forcedTransfer(alice, bob, 20 * E18, sender=agent)
    assert [(e._userAddress, e._amount) for e in token.TokensUnfrozen.from_receipt(receipt)] == [(alice, 10 * E18)]
    # Told as what it is (the watcher raises it whoever the agent acts through), beside its Transfer.
    assert [(e["from"], e.to, e.value, e.agent) for e in token.ForcedTransfer.from_receipt(receipt)] == [
        (alice, bob, 20 * E18, agent)
    ]
    assert [(e["from"], e.to, e.value) for e in token.Transfer.from_receipt(receipt)] == [(alice, bob, 20 * E18)]
    assert token.balanceOf(alice) == 80 * E18
    assert token.getFrozenTokens(alice) == 80 * E18
    assert token.balanceOf(bob) == 70 * E18


def test_forced_transfer_refusals(token, holders, agent, alice, stranger, bob):
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.forcedTransfer(alice, stranger, 1, sender=agent)
    with reverts(token.ERC20InsufficientBalance, sender=alice, balance=100 * E18, needed=100 * E18 + 1):
        token.forcedTransfer(alice, bob, 100 * E18 + 1, sender=agent)
    with reverts(token.ERC20InvalidReceiver, receiver=ZERO_ADDRESS):
        token.forcedTransfer(alice, ZERO_ADDRESS, 1, sender=agent)
    with reverts(token.ERC20InvalidSender, sender=ZERO_ADDRESS):
        token.forcedTransfer(ZERO_ADDRESS, bob, 1, sender=agent)


def test_batch_forced_transfer(token, holders, agent, alice, bob, carol):
    receipt = token.batchForcedTransfer([alice, bob], [carol, carol], [E18, 2 * E18], sender=agent)
    assert [(e["from"], e.value) for e in token.ForcedTransfer.from_receipt(receipt)] == [(alice, E18), (bob, 2 * E18)]
    assert token.balanceOf(carol) == 3 * E18
    with reverts(token.BatchLengthMismatch, expected=2, actual=1):
        token.batchForcedTransfer([alice, bob], [carol], [1, 1], sender=agent)
    with reverts(token.BatchLengthMismatch, expected=2, actual=1):
        token.batchForcedTransfer([alice, bob], [carol, carol], [1], sender=agent)
    with reverts(token.BatchTooLarge, size=101, maxSize=100):
        token.batchForcedTransfer([alice] * 101, [carol] * 101, [0] * 101, sender=agent)


def test_recovery_carries_everything_over(token, registry, holders, agent, alice, alice2):
    token.freezePartialTokens(alice, 30 * E18, sender=agent)
    token.setAddressFrozen(alice, True, sender=agent)
    receipt = token.recoveryAddress(alice, alice2, registry.identity(alice), sender=agent)
    # The lost wallet keeps its freeze (issue 13: it must not come back to life).
    assert token.balanceOf(alice) == 0 and token.getFrozenTokens(alice) == 0 and token.isFrozen(alice)
    assert token.balanceOf(alice2) == 100 * E18
    assert token.getFrozenTokens(alice2) == 30 * E18
    assert token.isFrozen(alice2)
    assert token.totalSupply() == 150 * E18
    events = token.RecoverySuccess.from_receipt(receipt)
    assert [(e._lostWallet, e._newWallet) for e in events] == [(alice, alice2)]
    assert [(e._userAddress, e._amount) for e in token.TokensFrozen.from_receipt(receipt)] == [(alice2, 30 * E18)]
    frozen = [(e._userAddress, e._isFrozen) for e in token.AddressFrozen.from_receipt(receipt)]
    assert frozen == [(alice2, True), (alice, True)]


def test_recovery_refusals(token, holders, agent, alice, alice2, bob, carol, stranger):
    with reverts(token.NothingToRecover, lostWallet=carol):
        token.recoveryAddress(carol, alice2, ZERO_ADDRESS, sender=agent)
    with reverts(token.RecoveryInvestorMismatch, lostWallet=alice, newWallet=carol):
        token.recoveryAddress(alice, carol, ZERO_ADDRESS, sender=agent)
    with reverts(token.RecoveryInvestorMismatch, lostWallet=alice, newWallet=alice2):
        token.recoveryAddress(alice, alice2, bob.address, sender=agent)
    with reverts(token.WalletNotVerified, wallet=stranger):
        token.recoveryAddress(alice, stranger, ZERO_ADDRESS, sender=agent)
    with reverts(token.ERC20InvalidReceiver, receiver=alice):
        token.recoveryAddress(alice, alice, ZERO_ADDRESS, sender=agent)


# ================================================================================================
# Pause and owner setters
# ================================================================================================


def test_pause_unpause(token, agent, admin):
    receipt = token.pause(sender=agent)
    assert token.paused()
    assert [e._userAddress for e in token.Paused.from_receipt(receipt)] == [agent]
    with reverts(token.TokenPaused):
        token.pause(sender=agent)
    # The pauser cannot lift its own pause: that is the owner's (the timelock's) act.
    with reverts(token.AccessControlUnauthorizedAccount, account=agent, neededRole=DEFAULT_ADMIN_ROLE):
        token.unpause(sender=agent)
    receipt = token.unpause(sender=admin)
    assert not token.paused()
    assert [e._userAddress for e in token.Unpaused.from_receipt(receipt)] == [admin]
    with reverts(token.TokenNotPaused):
        token.unpause(sender=admin)


def test_token_information_setters(token, admin, alice):
    receipt = token.setName("2 Main Street", sender=admin)
    assert token.name() == "2 Main Street"
    assert len(token.UpdatedTokenInformation.from_receipt(receipt)) == 1
    token.setSymbol("MAIN2", sender=admin)
    assert token.symbol() == "MAIN2"
    receipt = token.setOnchainID(alice, sender=admin)
    assert token.onchainID() == alice.address
    assert [e._newOnchainID for e in token.UpdatedTokenInformation.from_receipt(receipt)] == [alice]


def test_set_identity_registry(token, admin, registry, project, deployer, holders, alice, bob):
    other = deployer.deploy(project.RegistryConsumer, registry)  # any contract: the token trusts its owner
    receipt = token.setIdentityRegistry(other, sender=admin)
    assert token.identityRegistry() == other.address
    assert [e._identityRegistry for e in token.IdentityRegistryAdded.from_receipt(receipt)] == [other]
    token.setIdentityRegistry(registry, sender=admin)
    assert token.identityRegistry() == registry.address
    token.transfer(bob, 1, sender=alice)
    with reverts(token.ZeroAddress):
        token.setIdentityRegistry(ZERO_ADDRESS, sender=admin)


def test_set_compliance(token, admin, compliance, project, factory, deployer, agent):
    _, other_compliance, other_distributor, _ = create_property(project, factory, deployer, agent, property_id=b"OTHER")
    with reverts(token.ComplianceNotBound, compliance=other_compliance):
        token.setCompliance(other_compliance, sender=admin)
    with reverts(token.ZeroAddress):
        token.setCompliance(ZERO_ADDRESS, sender=admin)
    receipt = token.setCompliance(compliance, sender=admin)
    assert [e._compliance for e in token.ComplianceAdded.from_receipt(receipt)] == [compliance]
    with reverts(token.DistributorNotBound, distributor=other_distributor):
        token.setDividendDistributor(other_distributor, sender=admin)
    with reverts(token.ZeroAddress):
        token.setDividendDistributor(ZERO_ADDRESS, sender=admin)


def test_only_compliance_and_distributor_call_their_hooks(token, outsider):
    with reverts(token.UnauthorizedCaller, caller=outsider):
        token.complianceModulesChanged(True, sender=outsider)
    with reverts(token.UnauthorizedCaller, caller=outsider):
        token.distributeDividends(1, sender=outsider)


# ================================================================================================
# Every privileged function refuses everyone else
# ================================================================================================

PRIVILEGED = [
    ("mint", MINTER, lambda a: (a, 1)),
    ("batchMint", MINTER, lambda a: ([a], [1])),
    ("burn", BURNER, lambda a: (a, 1)),
    ("batchBurn", BURNER, lambda a: ([a], [1])),
    ("setAddressFrozen", FREEZER, lambda a: (a, True)),
    ("batchSetAddressFrozen", FREEZER, lambda a: ([a], [True])),
    ("freezePartialTokens", FREEZER, lambda a: (a, 1)),
    ("batchFreezePartialTokens", FREEZER, lambda a: ([a], [1])),
    ("unfreezePartialTokens", FREEZER, lambda a: (a, 1)),
    ("batchUnfreezePartialTokens", FREEZER, lambda a: ([a], [1])),
    ("forcedTransfer", FORCER, lambda a: (a, a, 1)),
    ("batchForcedTransfer", FORCER, lambda a: ([a], [a], [1])),
    ("recoveryAddress", RECOVERER, lambda a: (a, a, ZERO_ADDRESS)),
    ("pause", PAUSER, lambda a: ()),
    ("unpause", DEFAULT_ADMIN_ROLE, lambda a: ()),
    ("setName", DEFAULT_ADMIN_ROLE, lambda a: ("n",)),
    ("setSymbol", DEFAULT_ADMIN_ROLE, lambda a: ("s",)),
    ("setOnchainID", DEFAULT_ADMIN_ROLE, lambda a: (a,)),
    ("setIdentityRegistry", DEFAULT_ADMIN_ROLE, lambda a: (a,)),
    ("setCompliance", DEFAULT_ADMIN_ROLE, lambda a: (a,)),
    ("setDividendDistributor", DEFAULT_ADMIN_ROLE, lambda a: (a,)),
    ("grantRole", DEFAULT_ADMIN_ROLE, lambda a: (MINTER, a)),
    ("revokeRole", DEFAULT_ADMIN_ROLE, lambda a: (MINTER, a)),
    ("addAgent", DEFAULT_ADMIN_ROLE, lambda a: (a,)),
    ("removeAgent", DEFAULT_ADMIN_ROLE, lambda a: (a,)),
]


def test_privileged_functions_refuse_others(token, outsider, admin, agent):
    # One test for all of them (one chain snapshot): the agent holds every agent role but not the
    # admin role; the admin holds no agent role.
    for function, needed, args in PRIVILEGED:
        callers = [outsider, agent if needed == DEFAULT_ADMIN_ROLE else admin]
        for caller in callers:
            with reverts(token.AccessControlUnauthorizedAccount, account=caller, neededRole=needed):
                getattr(token, function)(*args(outsider.address), sender=caller)


def test_agent_roles_are_granular(token, admin, agent, outsider, alice, verified):
    token.grantRole(MINTER, outsider, sender=admin)
    assert token.hasRole(MINTER, outsider) and not token.hasRole(BURNER, outsider)
    token.mint(alice, 1, sender=outsider)
    with reverts(token.AccessControlUnauthorizedAccount, account=outsider, neededRole=BURNER):
        token.burn(alice, 1, sender=outsider)
    receipt = token.revokeRole(MINTER, outsider, sender=admin)
    assert len(token.RoleRevoked.from_receipt(receipt)) == 1
    assert not token.hasRole(MINTER, outsider)
    token.renounceRole(PAUSER, agent, sender=agent)
    assert not token.hasRole(PAUSER, agent) and token.hasRole(MINTER, agent)
