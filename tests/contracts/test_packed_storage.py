"""The packed storage of PropertyToken and ModularCompliance, read word by word with the node's
eth_getStorageAt and taken apart as the contracts document it (and as their assembly reads it:
PropertyToken's `_PAUSED_BIT`.. and `_store`, ModularCompliance's `_slot0`), then compared with what
their getters say. A field moved by a reordering, or a shift that no longer matches the compiler's
packing, fails here before it misreads a balance."""

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from helpers import US

E18 = 10**18
USDC = 10**6
COUNTRY, MAX_BALANCE, MAX_HOLDERS, LOCKUP, SUPPLY_CAP = 1, 2, 4, 8, 16
TRACKING, EXTENDED = 128, 64


def namespace(name):
    """ERC-7201: keccak256(abi.encode(uint256(keccak256(name)) - 1)) & ~0xff."""
    return int.from_bytes(keccak(encode(["uint256"], [int.from_bytes(keccak(text=name), "big") - 1])), "big") & ~0xFF


def word(chain, contract, slot):
    return int.from_bytes(bytes(chain.provider.get_storage(contract.address, slot)), "big")


def bits(value, low, width):
    return (value >> low) & ((1 << width) - 1)


def address_at(value, low=0):
    return to_checksum_address(bits(value, low, 160).to_bytes(20, "big"))


def signed(value, width):
    return value - (1 << width) if value >> (width - 1) else value


def mapping_slot(key, slot, key_type="address"):
    return int.from_bytes(keccak(encode([key_type, "uint256"], [key, slot])), "big")


# ------------------------------------------------------------------------------------------------
# PropertyToken (erc7201:rwa.storage.PropertyToken)
# ------------------------------------------------------------------------------------------------

TOKEN = namespace("rwa.storage.PropertyToken")
# slot 0 dividendsPerShare|paused|complianceActive|registryOverridden, 1 compliance|decimals,
# 2 distributor|totalSupply, 3 registry, 4 onchainID, 5 name, 6 symbol, 7 accounts, 8 frozenTokens
ACCOUNTS = 7


def account(chain, token, wallet):
    """One wallet's slot: {uint96 balance; uint8 flags; int152 correction}."""
    value = word(chain, token, mapping_slot(wallet.address, TOKEN + ACCOUNTS))
    return bits(value, 0, 96), bits(value, 96, 8), signed(bits(value, 104, 152), 152)


@pytest.fixture
def busy_token(token, distributor, funded, agent, admin, alice, bob, carol, project, deployer):
    """A token whose every packed field holds something: dividends paid, a transfer after them (a
    correction), a partial freeze, a frozen wallet, the registry overridden, the token paused."""
    token.mint(alice, 75 * E18, sender=agent)
    token.mint(bob, 25 * E18, sender=agent)
    distributor.deposit(1000 * USDC, sender=funded)
    token.transfer(carol, 5 * E18, sender=alice)
    token.freezePartialTokens(alice, 10 * E18, sender=agent)
    token.setAddressFrozen(bob, True, sender=agent)
    token.setIdentityRegistry(deployer.deploy(project.MisbehavingRegistryMock), sender=admin)  # another: slot 3
    token.setOnchainID(deployer, sender=admin)
    token.pause(sender=agent)
    return token


def test_token_slot_0_is_dividends_per_share_and_three_flags(chain, busy_token):
    value = word(chain, busy_token, TOKEN)
    assert bits(value, 0, 160) == busy_token.dividendsPerShare() > 0
    assert bits(value, 160, 8) == busy_token.paused() == 1
    assert bits(value, 168, 8) == busy_token.complianceActive()
    assert bits(value, 176, 8) == 1  # registryOverridden
    assert bits(value, 184, 72) == 0


def test_token_slots_1_to_4(chain, busy_token, compliance, distributor, registry, deployer):
    assert busy_token.identityRegistry() != registry.address
    one, two = word(chain, busy_token, TOKEN + 1), word(chain, busy_token, TOKEN + 2)
    assert address_at(one) == busy_token.compliance() == compliance.address
    assert bits(one, 160, 8) == busy_token.decimals() and bits(one, 168, 88) == 0
    assert address_at(two) == busy_token.dividendDistributor() == distributor.address
    assert bits(two, 160, 96) == busy_token.totalSupply() == 100 * E18
    assert address_at(word(chain, busy_token, TOKEN + 3)) == busy_token.identityRegistry()
    assert address_at(word(chain, busy_token, TOKEN + 4)) == busy_token.onchainID() == deployer.address


def test_token_account_slot_is_balance_flags_and_correction(chain, busy_token, alice, bob, carol):
    dps = busy_token.dividendsPerShare()
    for wallet, flags in ((alice, 2), (bob, 1), (carol, 0)):  # partial freeze, frozen wallet, neither
        balance, stored_flags, correction = account(chain, busy_token, wallet)
        assert balance == busy_token.balanceOf(wallet)
        assert stored_flags == flags
        assert bool(stored_flags & 1) == busy_token.isFrozen(wallet)
        entitlement = ((dps * balance) >> 64) + correction  # in 2^-32 wei, as the contract documents
        assert max(entitlement, 0) >> 32 == busy_token.claimableDividendsOf(wallet)
    assert account(chain, busy_token, carol)[2] < 0  # she received after the deposit: no past dividends
    assert account(chain, busy_token, alice)[2] > 0  # she sent after it: she keeps what she had earned
    frozen = word(chain, busy_token, mapping_slot(alice.address, TOKEN + ACCOUNTS + 1))
    assert frozen == busy_token.getFrozenTokens(alice) == 10 * E18


# ------------------------------------------------------------------------------------------------
# ModularCompliance (erc7201:rwa.storage.ModularCompliance)
# ------------------------------------------------------------------------------------------------

COMPLIANCE = namespace("rwa.storage.ModularCompliance")
# slot 0 token|modules|holderCount|maxHolders, 1 maxBalance|supplyCap, 2 lockupPeriod,
# 3 allowedCountries, 4 investorBalances, 5 lockedUntil, 6 externalModule0|externalCount|moreModules,
# 7..13 externalModulesRest[7], 14 countedInvestor


@pytest.fixture
def busy_compliance(compliance, token, admin, agent, alice, bob, project, deployer):
    for module in (COUNTRY, MAX_BALANCE, MAX_HOLDERS, LOCKUP, SUPPLY_CAP):
        compliance.addModule(module, sender=admin)
    compliance.setCountriesAllowed([US, 826], True, sender=admin)
    compliance.setMaxBalance(1_000 * E18, sender=admin)
    compliance.setMaxHolders(99, sender=admin)
    compliance.setSupplyCap(1_000_000 * E18, sender=admin)
    compliance.setLockupPeriod(3600, sender=admin)
    token.mint(alice, 70 * E18, sender=agent)
    token.mint(bob, 30 * E18, sender=agent)
    modules = [deployer.deploy(project.NoopComplianceModule) for _ in range(2)]
    for module in modules:
        compliance.addExternalModule(module, sender=admin)
    return compliance, modules


def test_compliance_slot_0_is_token_modules_and_holder_counts(chain, busy_compliance, token):
    compliance, _ = busy_compliance
    value = word(chain, compliance, COMPLIANCE)
    assert address_at(value) == compliance.getTokenBound() == token.address
    modules = bits(value, 160, 8)
    assert modules & 0x3F == compliance.modules() == COUNTRY | MAX_BALANCE | MAX_HOLDERS | LOCKUP | SUPPLY_CAP
    assert bool(modules & TRACKING) == compliance.isTracking()
    assert modules & EXTENDED  # external modules are in use
    assert bits(value, 168, 32) == compliance.holderCount() == 2
    assert bits(value, 200, 32) == compliance.maxHolders() == 99
    assert bits(value, 232, 24) == 0


def test_compliance_slots_1_to_6_and_its_mappings(chain, busy_compliance, alice, bob, registry):
    compliance, modules = busy_compliance
    one = word(chain, compliance, COMPLIANCE + 1)
    assert bits(one, 0, 128) == compliance.maxBalance() == 1_000 * E18
    assert bits(one, 128, 128) == compliance.supplyCap() == 1_000_000 * E18
    assert word(chain, compliance, COMPLIANCE + 2) == compliance.lockupPeriod() == 3600
    countries = word(chain, compliance, mapping_slot(US >> 8, COMPLIANCE + 3, "uint256"))
    assert bits(countries, US & 0xFF, 1) == compliance.isCountryAllowed(US) == 1
    six = word(chain, compliance, COMPLIANCE + 6)
    assert address_at(six) == modules[0].address
    assert bits(six, 160, 8) == len(compliance.externalModules()) == 2
    assert bits(six, 168, 16) == 0  # moreModules: no built-in beyond bit 5 yet
    assert address_at(word(chain, compliance, COMPLIANCE + 7)) == modules[1].address
    for wallet, amount in ((alice, 70 * E18), (bob, 30 * E18)):
        investor = word(chain, compliance, mapping_slot(wallet.address, COMPLIANCE + 14))
        assert investor == compliance.countedInvestor(wallet) == registry.investorIdOf(wallet) != 0
        balance = word(chain, compliance, mapping_slot(investor, COMPLIANCE + 4, "uint128"))
        assert balance == compliance.investorBalance(investor) == amount
        locked = word(chain, compliance, mapping_slot(wallet.address, COMPLIANCE + 5))
        assert locked == compliance.lockedUntil(wallet) > 0
