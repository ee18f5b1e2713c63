"""A T-REX-style conformance suite of our own for PropertyToken and its compliance: each ERC-3643 act,
tried the way T-REX's own tests try a token and the way an auditor would, with the events checked as
well as the state. Every path that moves value must honour compliance (issue 13).

Wallets: alice and alice2 are investor 1 (US, accredited), bob investor 2 (GB), carol investor 3 (FR,
accredited); ``stranger`` is unknown to the registry. ``agent`` holds every agent role, ``admin`` (the
timelock) owns the token and its compliance.
"""

import pytest
from eth_utils import keccak
from helpers import KYC_AML, US, ZERO_ADDRESS, create_property, reverts

E18 = 10**18
USDC = 10**6
COUNTRY, MAX_BALANCE, MAX_HOLDERS, LOCKUP, SUPPLY_CAP, ACCREDITED = 1, 2, 4, 8, 16, 32
ALLOW, REFUSE, REVERT, BURN_GAS, GARBAGE, REVERT_HOOKS = range(6)


@pytest.fixture
def holders(token, agent, alice, bob):
    token.mint(alice, 100 * E18, sender=agent)
    token.mint(bob, 50 * E18, sender=agent)
    return alice, bob


def transfers(token, receipt):
    return [(e["from"], e.to, e.value) for e in token.Transfer.from_receipt(receipt)]


def frozen_events(token, receipt):
    return [(e._userAddress, e._isFrozen) for e in token.AddressFrozen.from_receipt(receipt)]


# ================================================================================================
# Transfers
# ================================================================================================


def test_transfer_moves_and_announces(token, holders, alice, bob):
    receipt = token.transfer(bob, 10 * E18, sender=alice)
    assert transfers(token, receipt) == [(alice, bob, 10 * E18)]
    assert (token.balanceOf(alice), token.balanceOf(bob)) == (90 * E18, 60 * E18)


def test_transfer_from_spends_the_allowance(token, holders, alice, bob, carol):
    receipt = token.approve(carol, 20 * E18, sender=alice)
    assert [(e.owner, e.spender, e.value) for e in token.Approval.from_receipt(receipt)] == [(alice, carol, 20 * E18)]
    receipt = token.transferFrom(alice, bob, 15 * E18, sender=carol)
    assert transfers(token, receipt) == [(alice, bob, 15 * E18)]
    assert token.allowance(alice, carol) == 5 * E18
    with reverts(token.ERC20InsufficientAllowance, spender=carol, allowance=5 * E18, needed=6 * E18):
        token.transferFrom(alice, bob, 6 * E18, sender=carol)


def test_transfer_from_refuses_a_frozen_spender(token, holders, agent, alice, bob, carol):
    # Issue 13: only the sender's and the receiver's freezes were checked.
    token.approve(carol, 20 * E18, sender=alice)
    token.setAddressFrozen(carol, True, sender=agent)
    with reverts(token.WalletFrozen, wallet=carol):
        token.transferFrom(alice, bob, E18, sender=carol)
    token.setAddressFrozen(carol, False, sender=agent)
    token.transferFrom(alice, bob, E18, sender=carol)


def test_batch_transfer_is_all_or_nothing(token, holders, agent, alice, bob, carol):
    receipt = token.batchTransfer([bob, carol], [E18, 2 * E18], sender=alice)
    assert transfers(token, receipt) == [(alice, bob, E18), (alice, carol, 2 * E18)]
    token.setAddressFrozen(carol, True, sender=agent)
    with reverts(token.WalletFrozen, wallet=carol):
        token.batchTransfer([bob, carol], [E18, E18], sender=alice)
    assert token.balanceOf(bob) == 51 * E18


# ================================================================================================
# Agents' acts
# ================================================================================================


def test_mint_and_burn_announce(token, agent, alice):
    receipt = token.mint(alice, 5 * E18, sender=agent)
    assert transfers(token, receipt) == [(ZERO_ADDRESS, alice, 5 * E18)]
    receipt = token.burn(alice, 2 * E18, sender=agent)
    assert transfers(token, receipt) == [(alice, ZERO_ADDRESS, 2 * E18)]
    assert token.totalSupply() == 3 * E18


def test_mint_refuses_a_frozen_wallet(token, agent, alice):
    token.setAddressFrozen(alice, True, sender=agent)
    with reverts(token.WalletFrozen, wallet=alice):
        token.mint(alice, E18, sender=agent)


def test_forced_transfer_unfreezes_what_it_takes(token, holders, agent, alice, bob):
    token.freezePartialTokens(alice, 95 * E18, sender=agent)
    receipt = token.forcedTransfer(alice, bob, 10 * E18, sender=agent)
    assert transfers(token, receipt) == [(alice, bob, 10 * E18)]
    assert [(e._userAddress, e._amount) for e in token.TokensUnfrozen.from_receipt(receipt)] == [(alice, 5 * E18)]
    assert token.getFrozenTokens(alice) == 90 * E18


def test_freezes_announce_and_bind(token, holders, agent, alice, bob):
    receipt = token.setAddressFrozen(alice, True, sender=agent)
    assert frozen_events(token, receipt) == [(alice, True)]
    with reverts(token.WalletFrozen, wallet=alice):
        token.transfer(bob, 1, sender=alice)
    with reverts(token.WalletFrozen, wallet=alice):
        token.transfer(alice, 1, sender=bob)
    receipt = token.batchSetAddressFrozen([alice], [False], sender=agent)
    assert frozen_events(token, receipt) == [(alice, False)]
    receipt = token.freezePartialTokens(alice, 60 * E18, sender=agent)
    assert [(e._userAddress, e._amount) for e in token.TokensFrozen.from_receipt(receipt)] == [(alice, 60 * E18)]
    with reverts(token.InsufficientFreeBalance, wallet=alice, free=40 * E18, needed=41 * E18):
        token.transfer(bob, 41 * E18, sender=alice)
    receipt = token.unfreezePartialTokens(alice, 60 * E18, sender=agent)
    assert [(e._userAddress, e._amount) for e in token.TokensUnfrozen.from_receipt(receipt)] == [(alice, 60 * E18)]
    token.transfer(bob, 41 * E18, sender=alice)


def test_pause_stops_holders_not_agents(token, holders, agent, admin, alice, bob):
    receipt = token.pause(sender=agent)
    assert [e._userAddress for e in token.Paused.from_receipt(receipt)] == [agent]
    with reverts(token.TokenPaused):
        token.transfer(bob, 1, sender=alice)
    token.mint(alice, 1, sender=agent)
    token.forcedTransfer(alice, bob, 1, sender=agent)
    receipt = token.unpause(sender=admin)
    assert [e._userAddress for e in token.Unpaused.from_receipt(receipt)] == [admin]


def test_setters_refuse_empty_name_and_symbol(token, admin, outsider):
    with reverts(token.EmptyName):
        token.setName("", sender=admin)
    with reverts(token.EmptySymbol):
        token.setSymbol("", sender=admin)
    receipt = token.setName("9 Elm Street", sender=admin)
    assert len(token.UpdatedTokenInformation.from_receipt(receipt)) == 1 and token.name() == "9 Elm Street"
    with reverts(token.AccessControlUnauthorizedAccount, account=outsider, neededRole=b"\x00" * 32):
        token.setName("x", sender=outsider)


def test_factory_refuses_empty_name_and_symbol(project, factory, deployer, agent):
    with reverts(factory.EmptyName):
        create_property(project, factory, deployer, agent, property_id=b"EMPTY-NAME", name="")
    with reverts(factory.EmptySymbol):
        create_property(project, factory, deployer, agent, property_id=b"EMPTY-SYMBOL", symbol="")


# ================================================================================================
# Recovery
# ================================================================================================


def test_recovery_leaves_the_lost_wallet_frozen_and_dead(token, holders, agent, alice, alice2, bob):
    # Issue 13: the lost wallet came back unfrozen (and verified) and could receive and send again.
    receipt = token.recoveryAddress(alice, alice2, ZERO_ADDRESS, sender=agent)
    assert transfers(token, receipt) == [(alice, alice2, 100 * E18)]
    assert frozen_events(token, receipt) == [(alice, True)]
    assert [(e._lostWallet, e._newWallet) for e in token.RecoverySuccess.from_receipt(receipt)] == [(alice, alice2)]
    assert token.isFrozen(alice) and token.balanceOf(alice) == 0 and token.balanceOf(alice2) == 100 * E18
    with reverts(token.WalletFrozen, wallet=alice):
        token.transfer(alice, E18, sender=bob)
    with reverts(token.WalletFrozen, wallet=alice):
        token.mint(alice, E18, sender=agent)
    token.transfer(bob, E18, sender=alice2)


def test_recovery_carries_freezes_lockup_and_tracking(token, compliance, admin, agent, alice, alice2, bob, chain):
    compliance.setLockupPeriod(30 * 24 * 3600, sender=admin)
    compliance.setMaxHolders(10, sender=admin)
    for module in (LOCKUP, MAX_HOLDERS):
        compliance.addModule(module, sender=admin)
    token.mint(alice, 100 * E18, sender=agent)
    token.freezePartialTokens(alice, 10 * E18, sender=agent)
    token.setAddressFrozen(alice, True, sender=agent)
    until = compliance.lockedUntil(alice)
    receipt = token.recoveryAddress(alice, alice2, ZERO_ADDRESS, sender=agent)
    assert [(e.wallet, e.until) for e in compliance.WalletLocked.from_receipt(receipt)] == [(alice2, until)]
    assert compliance.lockedUntil(alice2) == until and compliance.lockedUntil(alice) == 0
    assert frozen_events(token, receipt) == [(alice2, True), (alice, True)]
    assert token.getFrozenTokens(alice2) == 10 * E18 and token.isFrozen(alice2)
    assert compliance.countedInvestor(alice2) == 1 and compliance.investorBalance(1) == 100 * E18
    assert compliance.holderCount() == 1
    token.setAddressFrozen(alice2, False, sender=agent)
    with reverts(compliance.TokensLocked, wallet=alice2, until=until):
        token.transfer(bob, E18, sender=alice2)  # the new wallet inherits the lockup


def test_recovery_as_trex_tools_call_it(token, registry, holders, agent, alice, alice2, bob):
    # Issue 21: T-REX passes the identity the registry reports; it was refused RecoveryInvestorMismatch.
    identity = registry.identity(alice)
    assert identity != ZERO_ADDRESS and identity == registry.identity(alice2)
    with reverts(token.RecoveryInvestorMismatch, lostWallet=alice, newWallet=alice2):
        token.recoveryAddress(alice, alice2, registry.identity(bob), sender=agent)  # another investor's
    receipt = token.recoveryAddress(alice, alice2, identity, sender=agent)
    events = token.RecoverySuccess.from_receipt(receipt)
    assert [(e._lostWallet, e._newWallet, e._investorOnchainID) for e in events] == [(alice, alice2, identity)]


def test_recovery_without_an_identity_still_names_it(token, registry, holders, agent, alice, alice2):
    receipt = token.recoveryAddress(alice, alice2, ZERO_ADDRESS, sender=agent)
    events = token.RecoverySuccess.from_receipt(receipt)
    assert [e._investorOnchainID for e in events] == [registry.identity(alice)]  # indexers join on it


# ================================================================================================
# ERC-3643's agent interface (IAgentRole) over the fine-grained roles
# ================================================================================================

AGENT_ROLES = [
    keccak(text=name)
    for name in (
        "MINTER_ROLE",
        "BURNER_ROLE",
        "FREEZER_ROLE",
        "FORCED_TRANSFER_ROLE",
        "RECOVERY_ROLE",
        "PAUSER_ROLE",
    )
]


def test_add_and_remove_agent(token, admin, agent, carol, alice):
    assert token.isAgent(agent) and not token.isAgent(carol)
    receipt = token.addAgent(carol, sender=admin)
    assert [e._agent for e in token.AgentAdded.from_receipt(receipt)] == [carol]
    assert sorted(e.role for e in token.RoleGranted.from_receipt(receipt)) == sorted(AGENT_ROLES)
    assert token.isAgent(carol) and all(token.hasRole(r, carol) for r in AGENT_ROLES)
    token.mint(alice, E18, sender=carol)
    with reverts(token.AlreadyAgent, agent=carol):
        token.addAgent(carol, sender=admin)
    with reverts(token.ZeroAddress):
        token.addAgent(ZERO_ADDRESS, sender=admin)
    receipt = token.removeAgent(carol, sender=admin)
    assert [e._agent for e in token.AgentRemoved.from_receipt(receipt)] == [carol]
    assert sorted(e.role for e in token.RoleRevoked.from_receipt(receipt)) == sorted(AGENT_ROLES)
    assert not token.isAgent(carol) and not any(token.hasRole(r, carol) for r in AGENT_ROLES)
    with reverts(token.NotAgent, agent=carol):
        token.removeAgent(carol, sender=admin)


def test_is_agent_means_the_power_to_move_tokens(token, admin, carol):
    token.grantRole(AGENT_ROLES[0], carol, sender=admin)  # a minting backend is not an agent to T-REX tools
    assert not token.isAgent(carol)
    token.grantRole(AGENT_ROLES[3], carol, sender=admin)
    assert token.isAgent(carol)
    token.addAgent(carol, sender=admin)  # completes a partial agent
    assert all(token.hasRole(r, carol) for r in AGENT_ROLES)


def test_agent_role_interface_is_announced(token):
    selectors = [keccak(text=f"{name}(address)")[:4] for name in ("addAgent", "removeAgent", "isAgent")]
    interface_id = bytes(a ^ b ^ c for a, b, c in zip(*selectors))
    assert token.supportsInterface(interface_id)


# ================================================================================================
# Holder tracking that cannot drift (max holders, max balance)
# ================================================================================================


@pytest.fixture
def tracked(compliance, admin):
    compliance.setMaxHolders(2, sender=admin)
    compliance.setMaxBalance(1000 * E18, sender=admin)
    for module in (MAX_HOLDERS, MAX_BALANCE):
        compliance.addModule(module, sender=admin)
    return compliance


def test_re_registered_wallet_keeps_counts_exact(token, tracked, registry, attestor, agent, alice, bob, carol, expiry):
    # Issue 13: re-registering a wallet under another id left a phantom holder behind.
    token.mint(bob, 10 * E18, sender=agent)  # investor 2
    registry.register(bob, (7, US, KYC_AML, expiry), sender=attestor)  # bob is now investor 7
    token.burn(bob, 10 * E18, sender=agent)  # leaves investor 2, under which it was counted
    assert tracked.investorBalance(2) == 0 and tracked.holderCount() == 0
    token.mint(alice, E18, sender=agent)
    token.mint(carol, E18, sender=agent)  # two holders: within the cap of 2
    assert tracked.holderCount() == 2


def test_re_registered_receiver_moves_its_balance(token, tracked, registry, attestor, agent, alice, bob, expiry):
    token.mint(bob, 10 * E18, sender=agent)
    registry.register(bob, (7, US, KYC_AML, expiry), sender=attestor)
    receipt = token.mint(bob, E18, sender=agent)
    assert [(e.wallet, e.previousInvestorId, e.investorId) for e in tracked.WalletCounted.from_receipt(receipt)] == [(bob, 2, 7)]
    assert (tracked.investorBalance(2), tracked.investorBalance(7)) == (0, 11 * E18)
    assert tracked.holderCount() == 1


def test_revoked_wallet_burned_and_forced_leaves_no_phantom(token, tracked, registry, attestor, agent, alice, bob, carol):
    token.mint(alice, 10 * E18, sender=agent)
    token.mint(bob, 10 * E18, sender=agent)
    registry.revoke(bob, sender=attestor)  # id 0 now
    token.forcedTransfer(bob, alice, 4 * E18, sender=agent)
    token.burn(bob, 6 * E18, sender=agent)
    assert tracked.investorBalance(2) == 0 and tracked.holderCount() == 1
    assert tracked.investorBalance(1) == 14 * E18
    token.mint(carol, E18, sender=agent)  # was MaxHoldersExceeded(3, 2) with a phantom investor 2


def test_resync_repairs_a_drifted_property(token, tracked, admin, agent, outsider, alice, bob):
    token.mint(alice, 10 * E18, sender=agent)
    token.mint(bob, 5 * E18, sender=agent)
    receipt = tracked.resync([1, 2], sorted([alice, bob], key=lambda w: int(w.address, 16)), sender=admin)
    resets = [(e.investorId, e.previousBalance) for e in tracked.InvestorBalanceReset.from_receipt(receipt)]
    assert resets == [(1, 10 * E18), (2, 5 * E18)]
    assert (tracked.investorBalance(1), tracked.investorBalance(2), tracked.holderCount()) == (10 * E18, 5 * E18, 2)
    with reverts(tracked.OnlyTokenAdmin, caller=outsider):
        tracked.resync([], [alice], sender=outsider)


def test_module_bitmap_has_room(compliance, admin):
    with reverts(compliance.UnknownModule, module=1 << 8):
        compliance.addModule(1 << 8, sender=admin)  # a bit for a future built-in, unknown to this version
    compliance.addModule(ACCREDITED, sender=admin)
    assert compliance.modules() == ACCREDITED and compliance.isModuleEnabled(ACCREDITED)


# ================================================================================================
# External modules
# ================================================================================================


@pytest.fixture
def module(project, deployer):
    return deployer.deploy(project.ComplianceModuleMock)


def test_external_module_decides_and_is_told(token, compliance, module, admin, agent, alice, bob, carol):
    receipt = compliance.addExternalModule(module, sender=admin)
    assert [e.module for e in compliance.ExternalModuleAdded.from_receipt(receipt)] == [module]
    assert token.complianceActive() and compliance.externalModules() == [module]
    token.mint(alice, 10 * E18, sender=agent)
    token.transfer(bob, E18, sender=alice)
    token.forcedTransfer(bob, alice, E18, sender=agent)
    token.burn(alice, E18, sender=agent)
    assert module.hooks(compliance) == (2, 1, 1)  # transferred (ordinary + forced), created, destroyed
    module.setBlocked(carol, sender=admin)
    with reverts(compliance.ExternalModuleRefused, module=module, **{"from": alice}, to=carol, amount=E18):
        token.transfer(carol, E18, sender=alice)
    assert not compliance.canTransfer(alice, carol, E18)
    receipt = compliance.removeExternalModule(module, sender=admin)
    assert [e.module for e in compliance.ExternalModuleRemoved.from_receipt(receipt)] == [module]
    assert not token.complianceActive()
    token.transfer(carol, E18, sender=alice)


@pytest.mark.parametrize("mode", [REVERT, BURN_GAS, GARBAGE, REVERT_HOOKS])
def test_broken_module_refuses_and_can_always_be_removed(token, compliance, module, admin, agent, alice, bob, mode):
    compliance.addExternalModule(module, sender=admin)
    token.mint(alice, 10 * E18, sender=agent)
    module.setMode(mode, sender=admin)
    with reverts(token.ExternalModuleFailed, module=module):
        token.transfer(bob, E18, sender=alice, gas=3_000_000)
    compliance.removeExternalModule(module, sender=admin)
    token.transfer(bob, E18, sender=alice)


def test_adding_modules_is_checked(project, deployer, token, compliance, module, admin, outsider, registry):
    with reverts(compliance.NotAComplianceModule, module=registry):
        compliance.addExternalModule(registry, sender=admin)  # ERC-165, but not a module
    with reverts(compliance.NotAComplianceModule, module=outsider):
        compliance.addExternalModule(outsider, sender=admin)  # no code
    compliance.addExternalModule(module, sender=admin)
    with reverts(compliance.ExternalModuleAlreadyAdded, module=module):
        compliance.addExternalModule(module, sender=admin)
    for _ in range(compliance.MAX_EXTERNAL_MODULES() - 1):
        compliance.addExternalModule(deployer.deploy(project.NoopComplianceModule), sender=admin)
    with reverts(compliance.TooManyExternalModules, max=8):
        compliance.addExternalModule(deployer.deploy(project.NoopComplianceModule), sender=admin)
    with reverts(compliance.ExternalModuleNotAdded, module=outsider):
        compliance.removeExternalModule(outsider, sender=admin)


# ================================================================================================
# Dividends: what reaches a holder honours compliance; the distributor stays solvent
# ================================================================================================


def test_claims_wait_for_a_cleared_holder(token, distributor, stablecoin, funded, holders, registry, sanctions_officer, alice):
    distributor.deposit(300 * USDC, sender=funded)
    owed = token.claimableDividendsOf(alice)
    registry.setSanctioned(alice, True, sender=sanctions_officer)
    with reverts(token.WalletSanctioned, wallet=alice):
        token.claimDividends(sender=alice)
    assert token.claimableDividendsOf(alice) == owed  # kept, not lost
    registry.setSanctioned(alice, False, sender=sanctions_officer)
    receipt = token.claimDividends(sender=alice)
    assert [(e.holder, e.amount) for e in token.DividendsClaimed.from_receipt(receipt)] == [(alice, owed)]


def test_claims_refuse_a_revoked_holder(token, distributor, funded, holders, registry, attestor, bob):
    distributor.deposit(300 * USDC, sender=funded)
    registry.revoke(bob, sender=attestor)
    with reverts(token.WalletNotVerified, wallet=bob):
        token.claimDividends(sender=bob)


def test_deposit_refused_below_the_minimum_supply(token, distributor, funded, agent, alice):
    token.mint(alice, E18 - 1, sender=agent)  # under one whole token: a deposit would give dust a huge share
    with reverts(distributor.SupplyTooSmall, supply=E18 - 1, minSupply=E18):
        distributor.deposit(10**12, sender=funded)


def test_dust_is_swept_by_the_owner_only(token, distributor, funded, agent, admin, outsider, alice, bob, carol):
    # The rounding of dividendsPerShare leaves under supply / 2^96 wei per deposit: added up exactly,
    # swept by the wei. With any realistic supply it stays under one wei, so there is nothing to sweep.
    token.batchMint([alice, bob, carol], [E18, E18, E18 + 1], sender=agent)
    for amount in (10, 11, 1_000_003):
        distributor.deposit(amount, sender=funded)
    assert distributor.dust() == 0
    with reverts(distributor.NoDust):
        distributor.sweepDust(admin, sender=admin)
    with reverts(distributor.OnlyTokenAdmin, caller=outsider):
        distributor.sweepDust(outsider, sender=outsider)


def test_dust_that_makes_a_wei_is_swept_and_holders_still_paid(token, distributor, stablecoin, funded, agent, admin, alice):
    token.mint(alice, 2**95 + 1, sender=agent)  # each 1-wei deposit then credits just over half a wei
    for _ in range(3):
        distributor.deposit(1, sender=funded)  # 1.5 wei credited, just under 1.5 wei not
    assert distributor.dust() == 1 and token.claimableDividendsOf(alice) == 1
    receipt = distributor.sweepDust(admin, sender=admin)
    assert [(e.to, e.amount) for e in distributor.DustSwept.from_receipt(receipt)] == [(admin, 1)]
    token.claimDividends(sender=alice)  # what is owed was never swept
    assert stablecoin.balanceOf(distributor) == 1 and distributor.dust() == 0


def test_fee_on_transfer_stablecoin_keeps_the_distributor_solvent(project, deployer, registry, agent, admin, alice, bob):
    """A suite of its own on a fee-taking coin: the token's and distributor's stablecoin is immutable."""
    coin = deployer.deploy(project.FeeOnTransferStablecoin)
    token_impl = deployer.deploy(project.PropertyToken, coin, registry)
    beacons = [
        deployer.deploy(project.Beacon, impl, deployer)
        for impl in (token_impl, deployer.deploy(project.ModularCompliance), deployer.deploy(project.DividendDistributor, coin))
    ]
    factory = deployer.deploy(project.PropertyTokenFactory, *beacons, registry, coin, admin, deployer)
    token, _, distributor, _ = create_property(project, factory, deployer, agent, property_id=b"FEE-1")
    token.batchMint([alice, bob], [3 * E18, E18], sender=agent)
    coin.mint(deployer, 1000 * USDC, sender=deployer)
    coin.approve(distributor, 1000 * USDC, sender=deployer)
    receipt = distributor.deposit(1000 * USDC, sender=deployer)
    received = coin.balanceOf(distributor)
    assert received == 990 * USDC
    assert [e.amount for e in distributor.Deposited.from_receipt(receipt)] == [received]
    assert distributor.totalDeposited() == received
    token.claimDividends(sender=alice)
    token.claimDividends(sender=bob)  # the last claim is funded too
    assert coin.balanceOf(distributor) <= 2
