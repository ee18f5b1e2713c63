"""ModularCompliance: each module's success path and refusal, module management, who may call what.

alice and alice2 are two wallets of investor 1 (US, accredited); bob is investor 2 (GB); carol is
investor 3 (FR, accredited). The compliance's owner is the token's admin (the timelock, ``admin``).
"""

from eth_utils import keccak
from helpers import FR, GB, US, ZERO_ADDRESS, create_property, reverts
from hexbytes import HexBytes

E18 = 10**18
COUNTRY, MAX_BALANCE, MAX_HOLDERS, LOCKUP, SUPPLY_CAP, ACCREDITED = 1, 2, 4, 8, 16, 32


def enable(compliance, admin, *modules):
    for module in modules:
        compliance.addModule(module, sender=admin)


def test_initial_state(compliance, token):
    assert compliance.getTokenBound() == token.address
    assert compliance.modules() == 0
    assert not compliance.hasModules()
    assert (
        compliance.MODULE_COUNTRY_ALLOW(),
        compliance.MODULE_MAX_BALANCE(),
        compliance.MODULE_MAX_HOLDERS(),
        compliance.MODULE_LOCKUP(),
        compliance.MODULE_SUPPLY_CAP(),
        compliance.MODULE_ACCREDITED_ONLY(),
    ) == (1, 2, 4, 8, 16, 32)
    assert compliance.canTransfer(ZERO_ADDRESS, ZERO_ADDRESS, 1)


def test_initialize_only_once(compliance, token, project, suite, outsider):
    with reverts(compliance.AlreadyInitialized):
        compliance.initialize(token, sender=outsider)
    implementation = project.ModularCompliance.at(suite["contracts"]["ModularComplianceBeacon"]["proxy"]["implementation"])
    with reverts(implementation.AlreadyInitialized):
        implementation.initialize(token, sender=outsider)


def test_add_and_remove_modules(compliance, token, admin):
    receipt = compliance.addModule(COUNTRY, sender=admin)
    assert [e.module for e in compliance.ModuleAdded.from_receipt(receipt)] == [COUNTRY]
    assert compliance.isModuleEnabled(COUNTRY) and compliance.hasModules()
    assert token.complianceActive()  # the token was told
    with reverts(compliance.ModuleAlreadyEnabled, module=COUNTRY):
        compliance.addModule(COUNTRY, sender=admin)
    for bad in (0, 3, 64, 128):
        with reverts(compliance.UnknownModule, module=bad):
            compliance.addModule(bad, sender=admin)
    enable(compliance, admin, SUPPLY_CAP)
    assert compliance.modules() == COUNTRY | SUPPLY_CAP
    compliance.removeModule(COUNTRY, sender=admin)
    assert token.complianceActive()
    receipt = compliance.removeModule(SUPPLY_CAP, sender=admin)
    assert [e.module for e in compliance.ModuleRemoved.from_receipt(receipt)] == [SUPPLY_CAP]
    assert not token.complianceActive() and compliance.modules() == 0
    with reverts(compliance.ModuleNotEnabled, module=COUNTRY):
        compliance.removeModule(COUNTRY, sender=admin)


def test_tracked_modules_need_an_empty_token(compliance, token, admin, agent, alice):
    token.mint(alice, E18, sender=agent)
    for module in (MAX_BALANCE, MAX_HOLDERS):
        with reverts(compliance.ModuleNeedsEmptyToken, module=module, supply=E18):
            compliance.addModule(module, sender=admin)


def test_tracking_survives_disabling_while_a_module_remains(compliance, token, admin, agent, alice, bob):
    enable(compliance, admin, MAX_HOLDERS, SUPPLY_CAP)
    compliance.setMaxHolders(10, sender=admin)
    compliance.setSupplyCap(10 * E18, sender=admin)
    token.mint(alice, E18, sender=agent)
    compliance.removeModule(MAX_HOLDERS, sender=admin)
    assert token.complianceActive() and compliance.isTracking()  # the supply cap keeps the token calling
    token.mint(bob, E18, sender=agent)
    assert compliance.holderCount() == 2
    compliance.addModule(MAX_HOLDERS, sender=admin)  # allowed with supply: the balances are known


def test_removing_every_module_stops_tracking(compliance, token, admin, agent, alice, bob):
    # Issue 13: complianceActive stayed true once tracking had started.
    enable(compliance, admin, MAX_HOLDERS)
    compliance.setMaxHolders(10, sender=admin)
    token.mint(alice, E18, sender=agent)
    receipt = compliance.removeModule(MAX_HOLDERS, sender=admin)
    assert not token.complianceActive() and not compliance.hasModules() and not compliance.isTracking()
    assert [e.tracking for e in compliance.TrackingChanged.from_receipt(receipt)] == [False]
    assert [e.active for e in token.ComplianceEnforcementChanged.from_receipt(receipt)] == [False]
    token.mint(bob, E18, sender=agent)  # not seen by the compliance
    with reverts(compliance.ModuleNeedsEmptyToken, module=MAX_HOLDERS, supply=2 * E18):
        compliance.addModule(MAX_HOLDERS, sender=admin)
    receipt = compliance.resync([1], ascending(alice, bob), sender=admin)
    assert [(e.investorId, e.previousBalance) for e in compliance.InvestorBalanceReset.from_receipt(receipt)] == [(1, E18)]
    assert token.complianceActive() and compliance.isTracking()
    assert compliance.holderCount() == 2
    assert compliance.investorBalance(1) == E18 and compliance.investorBalance(2) == E18
    compliance.addModule(MAX_HOLDERS, sender=admin)
    assert token.complianceActive()


def ascending(*wallets):
    return sorted(wallets, key=lambda w: int(w.address, 16))


def test_tracking_never_restarts_from_stale_counts(compliance, token, admin, agent, alice, bob, carol):
    # Issue 21: the holders left while untracked; re-enabling max-holders resumed from the old count, and the
    # first mint on the empty token was refused MaxHoldersExceeded(3, 2).
    compliance.setMaxHolders(2, sender=admin)
    enable(compliance, admin, MAX_HOLDERS)
    token.batchMint([alice, bob], [E18, E18], sender=agent)
    compliance.removeModule(MAX_HOLDERS, sender=admin)
    token.batchBurn([alice, bob], [E18, E18], sender=agent)  # not seen: tracking is off
    with reverts(compliance.StaleTracking, holders=2):
        compliance.addModule(MAX_HOLDERS, sender=admin)
    with reverts(compliance.StaleTracking, holders=1):
        compliance.resync([1], [], sender=admin)  # investor 2 left stale
    receipt = compliance.resync([1, 2], [], sender=admin)
    assert [e.tracking for e in compliance.TrackingChanged.from_receipt(receipt)] == [True]
    assert compliance.holderCount() == 0 and compliance.investorBalance(2) == 0
    compliance.addModule(MAX_HOLDERS, sender=admin)
    token.batchMint([carol, alice], [E18, E18], sender=agent)
    assert compliance.holderCount() == 2


def test_tracking_restarts_on_an_empty_token_that_ended_with_no_holder(compliance, token, admin, agent, alice):
    enable(compliance, admin, MAX_HOLDERS)
    compliance.setMaxHolders(1, sender=admin)
    token.mint(alice, E18, sender=agent)
    token.burn(alice, E18, sender=agent)  # seen: the last holder left while tracked
    compliance.removeModule(MAX_HOLDERS, sender=admin)
    compliance.addModule(MAX_HOLDERS, sender=admin)
    token.mint(alice, E18, sender=agent)
    assert compliance.holderCount() == 1 and compliance.investorBalance(1) == E18


def test_a_restarting_resync_must_count_every_holder(compliance, token, admin, agent, alice, bob):
    enable(compliance, admin, MAX_HOLDERS)
    compliance.setMaxHolders(10, sender=admin)
    token.mint(alice, E18, sender=agent)
    compliance.removeModule(MAX_HOLDERS, sender=admin)
    token.mint(bob, 2 * E18, sender=agent)
    with reverts(compliance.ResyncIncomplete, wallet=ZERO_ADDRESS, counted=E18, supply=3 * E18):
        compliance.resync([1], [alice], sender=admin)  # bob missing
    first, second = ascending(alice, bob)
    with reverts(compliance.ResyncIncomplete, wallet=first):
        compliance.resync([1], [second, first], sender=admin)
    with reverts(compliance.ResyncIncomplete, wallet=first):
        compliance.resync([1], [first, first], sender=admin)
    assert not compliance.isTracking()
    compliance.resync([1], [first, second], sender=admin)
    assert compliance.isTracking() and compliance.holderCount() == 2
    assert (compliance.investorBalance(1), compliance.investorBalance(2)) == (E18, 2 * E18)


def test_a_resync_made_before_holders_changed_is_refused(compliance, token, admin, agent, alice, bob):
    # A resync is computed off chain and may be executed later (a proposal): a new holder meanwhile refuses it.
    enable(compliance, admin, MAX_HOLDERS)
    compliance.setMaxHolders(10, sender=admin)
    token.mint(alice, E18, sender=agent)
    token.mint(bob, E18, sender=agent)  # after the resync below was computed
    with reverts(compliance.ResyncIncomplete, wallet=ZERO_ADDRESS, counted=E18, supply=2 * E18):
        compliance.resync([1], [alice], sender=admin)


def test_a_forced_transfer_to_itself_of_a_re_registered_wallet_keeps_counts(
    compliance, token, registry, attestor, admin, agent, bob, expiry
):
    # Found by the state machine: told after the move, the compliance took the amount off a balance that had
    # not grown (the wallet sent to itself), and recounted the re-registered wallet short.
    enable(compliance, admin, MAX_HOLDERS)
    compliance.setMaxHolders(10, sender=admin)
    token.mint(bob, 10 * E18, sender=agent)
    registry.register(bob, (1, US, 3, expiry), sender=attestor)  # investor 2 -> 1
    token.forcedTransfer(bob, bob, 4 * E18, sender=agent)
    assert (compliance.investorBalance(1), compliance.investorBalance(2)) == (10 * E18, 0)
    assert compliance.holderCount() == 1


def test_resync_keeps_two_wallets_of_one_investor(compliance, token, admin, agent, alice, alice2):
    # Counting one wallet must not take from another wallet of the same investor counted just before it.
    enable(compliance, admin, MAX_HOLDERS)
    compliance.setMaxHolders(10, sender=admin)
    token.batchMint([alice, alice2], [E18, 2 * E18], sender=agent)
    compliance.resync([], ascending(alice, alice2), sender=admin)
    assert compliance.investorBalance(1) == 3 * E18 and compliance.holderCount() == 1


def test_country_allow_list(compliance, token, admin, agent, alice, bob, carol):
    receipt = compliance.setCountriesAllowed([US, GB], True, sender=admin)
    assert [(e.country, e.allowed) for e in compliance.CountryAllowed.from_receipt(receipt)] == [(US, True), (GB, True)]
    assert compliance.isCountryAllowed(US) and not compliance.isCountryAllowed(FR)
    enable(compliance, admin, COUNTRY)
    token.mint(alice, 10 * E18, sender=agent)
    token.transfer(bob, E18, sender=alice)
    with reverts(compliance.CountryNotAllowed, wallet=carol, country=FR):
        token.transfer(carol, E18, sender=alice)
    with reverts(compliance.CountryNotAllowed, wallet=carol, country=FR):
        token.mint(carol, E18, sender=agent)
    # The token's ABI carries the rules' errors too: a client holding only the token decodes the refusal.
    with reverts(token.CountryNotAllowed, wallet=carol, country=FR):
        token.transfer(carol, E18, sender=alice)
    assert not compliance.canTransfer(alice, carol, E18)
    violation = bytes(compliance.transferViolation(alice, carol, E18))
    assert violation[:4] == keccak(text="CountryNotAllowed(address,uint16)")[:4]
    assert compliance.transferViolation(alice, bob, E18) in (b"", "0x", HexBytes(b""))
    compliance.setCountriesAllowed([US], False, sender=admin)
    with reverts(compliance.CountryNotAllowed, wallet=alice, country=US):
        token.transfer(alice, E18, sender=bob)
    for bad in (0, 1000):
        with reverts(compliance.InvalidCountry, country=bad):
            compliance.setCountriesAllowed([bad], True, sender=admin)


def test_max_balance_counts_every_wallet_of_an_investor(compliance, token, admin, agent, alice, alice2, bob):
    enable(compliance, admin, MAX_BALANCE)
    receipt = compliance.setMaxBalance(10 * E18, sender=admin)
    assert [e.maxBalance for e in compliance.MaxBalanceSet.from_receipt(receipt)] == [10 * E18]
    token.mint(alice, 6 * E18, sender=agent)
    with reverts(compliance.MaxBalanceExceeded, investorId=1, balance=11 * E18, maxBalance=10 * E18):
        token.mint(alice2, 5 * E18, sender=agent)
    token.mint(alice2, 4 * E18, sender=agent)
    assert compliance.investorBalance(1) == 10 * E18
    token.transfer(alice2, 3 * E18, sender=alice)  # between one investor's wallets: no change
    token.mint(bob, 10 * E18, sender=agent)
    with reverts(compliance.MaxBalanceExceeded, investorId=1, balance=10 * E18 + 1, maxBalance=10 * E18):
        token.transfer(alice, 1, sender=bob)
    token.burn(alice, E18, sender=agent)
    assert compliance.investorBalance(1) == 9 * E18
    token.transfer(alice, E18, sender=bob)
    with reverts(compliance.ValueTooLarge, value=2**128, max=2**128 - 1):
        compliance.setMaxBalance(2**128, sender=admin)


def test_max_holders_counts_investors(compliance, token, admin, agent, alice, alice2, bob, carol):
    enable(compliance, admin, MAX_HOLDERS)
    receipt = compliance.setMaxHolders(2, sender=admin)
    assert [e.maxHolders for e in compliance.MaxHoldersSet.from_receipt(receipt)] == [2]
    token.mint(alice, 10 * E18, sender=agent)
    token.mint(alice2, 10 * E18, sender=agent)  # same investor: still one holder
    assert compliance.holderCount() == 1
    token.mint(bob, E18, sender=agent)
    assert compliance.holderCount() == 2
    with reverts(compliance.MaxHoldersExceeded, holders=3, maxHolders=2):
        token.transfer(carol, E18, sender=alice)
    with reverts(compliance.MaxHoldersExceeded, holders=3, maxHolders=2):
        token.mint(carol, E18, sender=agent)
    token.transfer(carol, E18, sender=bob)  # bob leaves as carol arrives
    assert compliance.holderCount() == 2
    token.forcedTransfer(carol, alice, E18, sender=agent)  # forced moves are recorded, not checked
    assert compliance.holderCount() == 1
    with reverts(compliance.ValueTooLarge, value=2**32, max=2**32 - 1):
        compliance.setMaxHolders(2**32, sender=admin)


def test_lockup_after_issuance(compliance, token, admin, agent, alice, bob, chain):
    receipt = compliance.setLockupPeriod(3600, sender=admin)
    assert [e.period for e in compliance.LockupPeriodSet.from_receipt(receipt)] == [3600]
    enable(compliance, admin, LOCKUP)
    receipt = token.mint(alice, E18, sender=agent)
    until = compliance.lockedUntil(alice)
    assert until == chain.blocks[receipt.block_number].timestamp + 3600
    with reverts(compliance.TokensLocked, wallet=alice, until=until):
        token.transfer(bob, 1, sender=alice)
    chain.pending_timestamp = until
    token.transfer(bob, 1, sender=alice)
    token.transfer(alice, 1, sender=bob)  # bob received by transfer, not issuance: not locked


def test_a_later_mint_never_shortens_a_lockup(compliance, token, admin, agent, alice, bob, chain):
    # Issue 21: a mint under a shorter lockup moved the wallet's lock back, freeing the first tokens early.
    compliance.setLockupPeriod(1000, sender=admin)
    enable(compliance, admin, LOCKUP)
    token.mint(alice, E18, sender=agent)
    until = compliance.lockedUntil(alice)
    compliance.setLockupPeriod(10, sender=admin)
    receipt = token.mint(alice, 1, sender=agent)
    assert compliance.lockedUntil(alice) == until
    assert compliance.WalletLocked.from_receipt(receipt) == []  # nothing changed
    chain.pending_timestamp = until - 500
    with reverts(compliance.TokensLocked, wallet=alice, until=until):
        token.transfer(bob, 1, sender=alice)
    compliance.setLockupPeriod(5000, sender=admin)
    receipt = token.mint(alice, 1, sender=agent)  # a longer lockup does move the lock later
    later = chain.blocks[receipt.block_number].timestamp + 5000
    assert [(e.wallet, e.until) for e in compliance.WalletLocked.from_receipt(receipt)] == [(alice, later)]


def test_supply_cap(compliance, token, admin, agent, alice):
    receipt = compliance.setSupplyCap(10 * E18, sender=admin)
    assert [e.cap for e in compliance.SupplyCapSet.from_receipt(receipt)] == [10 * E18]
    enable(compliance, admin, SUPPLY_CAP)
    token.mint(alice, 10 * E18, sender=agent)
    with reverts(compliance.SupplyCapExceeded, supply=10 * E18 + 1, cap=10 * E18):
        token.mint(alice, 1, sender=agent)
    with reverts(compliance.ValueTooLarge, value=2**128, max=2**128 - 1):
        compliance.setSupplyCap(2**128, sender=admin)


def test_accredited_only(compliance, token, admin, agent, alice, bob, carol):
    enable(compliance, admin, ACCREDITED)
    token.mint(alice, E18, sender=agent)
    token.transfer(carol, 1, sender=alice)
    with reverts(compliance.NotAccredited, wallet=bob):
        token.transfer(bob, 1, sender=alice)
    with reverts(compliance.NotAccredited, wallet=bob):
        token.mint(bob, 1, sender=agent)


def test_modules_combine(compliance, token, admin, agent, alice, bob, carol):
    compliance.setCountriesAllowed([US, GB, FR], True, sender=admin)
    compliance.setMaxBalance(50 * E18, sender=admin)
    compliance.setMaxHolders(3, sender=admin)
    compliance.setSupplyCap(100 * E18, sender=admin)
    enable(compliance, admin, COUNTRY, MAX_BALANCE, MAX_HOLDERS, SUPPLY_CAP)
    token.batchMint([alice, bob, carol], [40 * E18, 30 * E18, 30 * E18], sender=agent)
    token.transfer(alice, 10 * E18, sender=bob)
    assert [compliance.investorBalance(i) for i in (1, 2, 3)] == [50 * E18, 20 * E18, 30 * E18]
    assert compliance.holderCount() == 3


def test_only_the_token_admin_configures(compliance, outsider, agent):
    for function, args in (
        ("addModule", (1,)),
        ("removeModule", (1,)),
        ("setCountriesAllowed", ([US], True)),
        ("setMaxBalance", (1,)),
        ("setMaxHolders", (1,)),
        ("setLockupPeriod", (1,)),
        ("setSupplyCap", (1,)),
        ("addExternalModule", (agent,)),
        ("removeExternalModule", (agent,)),
        ("resync", ([], [])),
    ):
        for caller in (outsider, agent):
            with reverts(compliance.OnlyTokenAdmin, caller=caller):
                getattr(compliance, function)(*args, sender=caller)


def test_only_the_token_calls_the_hooks(compliance, outsider, admin, alice, bob):
    for function, args in (
        ("enforceTransfer", (alice, alice, bob, 1)),
        ("enforceMint", (alice, alice, 1)),
        ("recovered", (alice, bob, 1)),
        ("transferred", (alice, bob, 1)),
        ("created", (alice, 1)),
        ("destroyed", (alice, 1)),
    ):
        for caller in (outsider, admin):
            with reverts(compliance.OnlyBoundToken, caller=caller):
                getattr(compliance, function)(*args, sender=caller)


def test_new_compliance_is_adopted_with_its_modules(project, factory, deployer, agent, admin):
    """A compliance configured before its token adopts it: the token reads `hasModules` on adoption."""
    token, compliance, _, _ = create_property(project, factory, deployer, agent, property_id=b"ADOPT")
    compliance.addModule(SUPPLY_CAP, sender=admin)
    assert token.complianceActive()
    token.setCompliance(compliance, sender=admin)
    assert token.complianceActive()
