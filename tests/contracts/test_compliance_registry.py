"""Tests of ComplianceRegistry behind its UUPS proxy.

Fixtures (``deployer``, ``admin``, ``attestor``, ``sanctions_officer``, ``outsider``, ``registry``)
come from ``rwa.testing.plugin``. Ape reverts the chain after each test.

Gas figures are printed (run with ``-s`` to see them) and asserted only against the documented
targets: a single registration ≤ 50,000 execution gas, ≤ 30,000 per wallet in a batch of 100, a warm
``isVerified`` from another contract ≤ 8,000.
"""

import os

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from helpers import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nil_helpers import fresh_wallet
from reverts import address_of, reverts

from rwa.domain import kyc

# ------------------------------------------------------------------------------------------------
# Constants mirrored from the contract
# ------------------------------------------------------------------------------------------------

ZERO_ADDRESS = "0x" + "00" * 20
FLAG_KYC, FLAG_AML, FLAG_ACCREDITED = 1, 2, 4
KYC_AML = FLAG_KYC | FLAG_AML
MAX_BATCH = 200
MAX_UINT40 = 2**40 - 1
MAX_UINT128 = 2**128 - 1
YEAR = 365 * 24 * 3600

ATTESTOR_ROLE = keccak(text="ATTESTOR_ROLE")
SANCTIONS_ROLE = keccak(text="SANCTIONS_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
# The struct the CLI signs (rwa.domain.kyc); test_initial_state checks the contract hashes the same.
ATTEST_TYPE = kyc.ATTEST_TYPE

# ERC-7201: keccak256(abi.encode(uint256(keccak256("rwa.storage.ComplianceRegistry")) - 1)) & ~0xff
STORAGE_BASE = (
    int.from_bytes(
        keccak((int.from_bytes(keccak(text="rwa.storage.ComplianceRegistry"), "big") - 1).to_bytes(32, "big")),
        "big",
    )
    & ~0xFF
)
# ERC-1967 implementation slot: bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)
IMPLEMENTATION_SLOT = int.from_bytes(keccak(text="eip1967.proxy.implementation"), "big") - 1

ATTEST_TYPES = {"Attest": kyc.typed_fields(ATTEST_TYPE)}

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def random_address():
    return to_checksum_address(os.urandom(20))


def later(chain, seconds=YEAR):
    return chain.pending_timestamp + seconds


def att(chain, investor_id=1, country=840, flags=KYC_AML, expiry=None):
    """An Attestation tuple (investorId, country, flags, expiry)."""
    return (investor_id, country, flags, later(chain) if expiry is None else expiry)


def pack(investor_id, country, flags, expiry, sanctioned=False, generation=0):
    """The record word as the contract stores it."""
    return investor_id | (country << 128) | (flags << 144) | (expiry << 152) | (int(sanctioned) << 192) | (generation << 193)


def record_slot(wallet):
    """Storage slot of `_records[wallet]` in the ERC-7201 namespace."""
    return int.from_bytes(keccak(encode(["address", "uint256"], [address_of(wallet), STORAGE_BASE])), "big")


def read_slot(chain, address, slot):
    return int.from_bytes(bytes(chain.provider.get_storage(address_of(address), slot)), "big")


def record_tuple(registry, wallet):
    attestation, sanctioned = registry.recordOf(wallet)
    return tuple(attestation), sanctioned


def implementation_of(chain, proxy):
    return to_checksum_address(read_slot(chain, proxy, IMPLEMENTATION_SLOT).to_bytes(32, "big")[12:])


def fix_next_block_time(chain, ahead=100):
    """Pin the next block's timestamp `ahead` seconds past anvil's clock and return it.

    The next transaction (or `chain.mine()`) is mined at exactly this time. Note that Ape sends a
    reverting transaction too, so it consumes the pinned time: pin again before the next one. The
    base is anvil's clock (the pending timestamp), not the head's timestamp, which Ape's snapshot
    reverts set back while the clock keeps running.
    """
    timestamp = chain.pending_timestamp + ahead
    chain.pending_timestamp = timestamp
    return timestamp


def set_time(chain, timestamp):
    """Mine a block at exactly `timestamp`; calls (run against the latest block) then see it."""
    chain.pending_timestamp = timestamp
    chain.mine()


def sign_attest(
    chain,
    key,
    registry,
    wallet,
    attestation,
    *,
    deadline,
    nonce=None,
    generation=None,
    name="ComplianceRegistry",
    version="1",
    chain_id=None,
    verifying_contract=None,
):
    """The arguments of `registerWithSig` for an Attest struct signed by `key` (an eth_account
    LocalAccount): (wallet, attestation, attestor, generation, nonce, deadline, signature). By default
    the wallet's current generation and a random unordered nonce."""
    investor_id, country, flags, expiry = attestation
    generation = registry.attestationGeneration(wallet) if generation is None else generation
    nonce = int.from_bytes(os.urandom(32), "big") if nonce is None else nonce
    domain = {
        "name": name,
        "version": version,
        "chainId": chain.chain_id if chain_id is None else chain_id,
        "verifyingContract": registry.address if verifying_contract is None else verifying_contract,
    }
    message = {
        "wallet": address_of(wallet),
        "investorId": investor_id,
        "country": country,
        "flags": flags,
        "expiry": expiry,
        "generation": generation,
        "nonce": nonce,
        "deadline": deadline,
    }
    signature = bytes(Account.sign_typed_data(key.key, domain, ATTEST_TYPES, message).signature)
    return [wallet, attestation, key.address, generation, nonce, deadline, signature]


# ------------------------------------------------------------------------------------------------
# Local fixtures
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def signer_key(registry, admin):
    """A fresh off-chain key holding ATTESTOR_ROLE (it never sends a transaction)."""
    key = Account.create()
    registry.grantRole(ATTESTOR_ROLE, key.address, sender=admin)
    return key


@pytest.fixture(scope="module")
def wallets(accounts):
    """Four funded wallets never registered: the named test accounts (accounts[5] is carol) are verified
    by any earlier module that asks for the session's test property, and this module's cases failed after one."""
    return [fresh_wallet(accounts) for _ in range(4)]


@pytest.fixture
def wallet(wallets):
    return wallets[0]


@pytest.fixture
def consumer(project, deployer, registry):
    return deployer.deploy(project.RegistryConsumer, registry)


# ================================================================================================
# Deployment, initialization, constants
# ================================================================================================


def test_initial_state(registry, chain, admin, attestor, sanctions_officer, outsider):
    assert bytes(registry.ATTESTOR_ROLE()) == ATTESTOR_ROLE
    assert bytes(registry.SANCTIONS_ROLE()) == SANCTIONS_ROLE
    assert bytes(registry.ATTEST_TYPEHASH()) == keccak(text=ATTEST_TYPE)
    assert registry.MAX_BATCH() == MAX_BATCH
    assert registry.MAX_COUNTRY() == 999
    assert (registry.FLAG_KYC(), registry.FLAG_AML(), registry.FLAG_ACCREDITED()) == (1, 2, 4)

    assert registry.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert registry.hasRole(ATTESTOR_ROLE, attestor)
    assert registry.hasRole(SANCTIONS_ROLE, sanctions_officer)
    for role in (DEFAULT_ADMIN_ROLE, ATTESTOR_ROLE, SANCTIONS_ROLE):
        assert not registry.hasRole(role, outsider)
        assert bytes(registry.getRoleAdmin(role)) == DEFAULT_ADMIN_ROLE
    # Duties are separated: the admin attests nothing and sanctions nobody unless granted.
    assert not registry.hasRole(ATTESTOR_ROLE, admin)
    assert not registry.hasRole(SANCTIONS_ROLE, admin)

    domain = registry.eip712Domain()
    assert domain.name == "ComplianceRegistry"
    assert domain.version == "1"
    assert domain.chainId == chain.chain_id
    assert domain.verifyingContract == registry.address

    assert registry.nonces(attestor) == 0
    assert registry.nonceBitmap(attestor, 0) == 0
    assert registry.attestationGeneration(outsider) == 0
    assert not registry.isVerified(outsider)
    assert record_tuple(registry, outsider) == ((0, 0, 0, 0), False)


def test_supports_interface(registry):
    selectors = [
        keccak(text=f"{name}(address)")[:4]
        for name in ("isVerified", "investorCountry", "investorIdOf", "isAccredited", "isSanctioned")
    ]
    registry_id = bytes(4)
    for selector in selectors:
        registry_id = bytes(a ^ b for a, b in zip(registry_id, selector))
    assert registry.supportsInterface(registry_id)
    # The read side of ERC-3643's identity registry.
    identity_id = bytes(4)
    for signature in ("contains(address)", "identity(address)", "investorCountry(address)", "isVerified(address)"):
        identity_id = bytes(a ^ b for a, b in zip(identity_id, keccak(text=signature)[:4]))
    assert registry.supportsInterface(identity_id)
    assert registry.supportsInterface("0x7965db0b")  # IAccessControl
    assert registry.supportsInterface("0x01ffc9a7")  # IERC165
    assert not registry.supportsInterface("0xffffffff")


def test_reinitialize_refused(registry, admin, outsider):
    with reverts(registry.InvalidInitialization):
        registry.initialize(outsider, sender=outsider)
    with reverts(registry.InvalidInitialization):
        registry.initialize(admin, sender=admin)
    assert not registry.hasRole(DEFAULT_ADMIN_ROLE, outsider)


def test_implementation_cannot_be_initialized(project, chain, registry, outsider):
    implementation = project.ComplianceRegistry.at(implementation_of(chain, registry))
    with reverts(implementation.InvalidInitialization):
        implementation.initialize(outsider, sender=outsider)
    assert not implementation.hasRole(DEFAULT_ADMIN_ROLE, outsider)
    # The implementation only answers proxiableUUID directly, never through the proxy.
    assert int.from_bytes(bytes(implementation.proxiableUUID()), "big") == IMPLEMENTATION_SLOT
    with reverts(registry.UUPSUnauthorizedCallContext):
        registry.proxiableUUID()


def test_initialize_rejects_zero_admin(project, chain, deployer, registry):
    proxy = deployer.deploy(project.UUPSProxy, implementation_of(chain, registry), b"")
    fresh = project.ComplianceRegistry.at(proxy.address)
    with reverts(fresh.ZeroAddress):
        fresh.initialize(ZERO_ADDRESS, sender=deployer)


def test_initialize_grants_admin(project, chain, deployer, registry, outsider):
    proxy = deployer.deploy(project.UUPSProxy, implementation_of(chain, registry), b"")
    fresh = project.ComplianceRegistry.at(proxy.address)
    receipt = fresh.initialize(outsider, sender=deployer)
    assert fresh.hasRole(DEFAULT_ADMIN_ROLE, outsider)
    assert not fresh.hasRole(DEFAULT_ADMIN_ROLE, deployer)
    assert receipt.events == [
        fresh.RoleGranted(role=DEFAULT_ADMIN_ROLE, account=outsider, sender=deployer),
        fresh.Initialized(version=1),
    ]


def test_reverts_helper_is_strict(registry, chain, attestor, wallet):
    """The `reverts` helper fails on the wrong error and on wrong inputs (unlike bare ape.reverts)."""
    with pytest.raises(AssertionError), reverts(registry.InvalidCountry):
        registry.register(ZERO_ADDRESS, att(chain), sender=attestor)
    with pytest.raises(AssertionError), reverts(registry.InvalidCountry, country=1):
        registry.register(wallet, att(chain, country=0), sender=attestor)
    with pytest.raises(AssertionError), reverts(registry.InvalidCountry, county=0):
        registry.register(wallet, att(chain, country=0), sender=attestor)
    with pytest.raises(AssertionError), reverts(registry.UUPSUnauthorizedCallContext):
        registry.register(wallet, att(chain), sender=attestor)


# ================================================================================================
# register
# ================================================================================================


def test_register(registry, chain, attestor, wallet):
    expiry = later(chain)
    receipt = registry.register(wallet, (42, 840, KYC_AML, expiry), sender=attestor)

    assert receipt.events == [
        registry.IdentityRegistered(wallet=wallet, investorId=42, country=840, flags=KYC_AML, expiry=expiry, attestor=attestor)
    ]
    assert registry.isVerified(wallet)
    assert not registry.isAccredited(wallet)
    assert not registry.isSanctioned(wallet)
    assert registry.investorCountry(wallet) == 840
    assert registry.investorIdOf(wallet) == 42
    assert record_tuple(registry, wallet) == ((42, 840, KYC_AML, expiry), False)


def test_register_accredited(registry, chain, attestor, wallet):
    registry.register(wallet, att(chain, flags=KYC_AML | FLAG_ACCREDITED), sender=attestor)
    assert registry.isVerified(wallet)
    assert registry.isAccredited(wallet)


@pytest.mark.parametrize("flags", [0, FLAG_KYC, FLAG_AML, FLAG_ACCREDITED, FLAG_KYC | FLAG_ACCREDITED])
def test_register_without_kyc_and_aml_is_not_verified(registry, chain, attestor, wallet, flags):
    registry.register(wallet, att(chain, flags=flags), sender=attestor)
    assert registry.investorIdOf(wallet) == 1  # registered ...
    assert not registry.isVerified(wallet)  # ... but not verified
    assert not registry.isAccredited(wallet)


def test_register_replaces_previous_attestation(registry, chain, attestor, wallet):
    registry.register(wallet, att(chain, investor_id=1, country=840, flags=7), sender=attestor)
    expiry = later(chain, 30 * 24 * 3600)
    registry.register(wallet, (2, 826, FLAG_KYC, expiry), sender=attestor)
    assert record_tuple(registry, wallet) == ((2, 826, FLAG_KYC, expiry), False)
    assert not registry.isVerified(wallet)


def test_wallets_may_share_an_investor(registry, chain, attestor, wallets):
    first, second = wallets[0], wallets[1]
    registry.register(first, att(chain, investor_id=7, country=276), sender=attestor)
    registry.register(second, att(chain, investor_id=7, country=276), sender=attestor)
    assert registry.investorIdOf(first) == registry.investorIdOf(second) == 7
    assert registry.isVerified(first) and registry.isVerified(second)


def test_register_extreme_values(registry, chain, attestor, wallet):
    registry.register(wallet, (MAX_UINT128, 999, 7, MAX_UINT40), sender=attestor)
    assert record_tuple(registry, wallet) == ((MAX_UINT128, 999, 7, MAX_UINT40), False)
    assert registry.isAccredited(wallet)
    registry.register(wallet, (1, 1, 0, chain.pending_timestamp + 60), sender=attestor)
    assert registry.investorCountry(wallet) == 1


@pytest.mark.parametrize(
    "field, value, error, inputs",
    [
        ("investor_id", 0, "InvalidInvestorId", {}),
        ("country", 0, "InvalidCountry", {"country": 0}),
        ("country", 1000, "InvalidCountry", {"country": 1000}),
        ("country", 65535, "InvalidCountry", {"country": 65535}),
        ("flags", 8, "InvalidFlags", {"flags": 8}),
        ("flags", 0x0B, "InvalidFlags", {"flags": 0x0B}),
        ("flags", 255, "InvalidFlags", {"flags": 255}),
    ],
)
def test_register_rejects_bad_fields(registry, chain, attestor, wallet, field, value, error, inputs):
    with reverts(getattr(registry, error), **inputs):
        registry.register(wallet, att(chain, **{field: value}), sender=attestor)
    assert record_tuple(registry, wallet) == ((0, 0, 0, 0), False)


def test_register_rejects_zero_wallet(registry, chain, attestor):
    with reverts(registry.ZeroAddress):
        registry.register(ZERO_ADDRESS, att(chain), sender=attestor)


def test_register_rejects_expiry_not_in_future(registry, chain, attestor, wallet):
    # A reverted transaction is still mined (Ape sends it to the local node), so pin each block's time.
    now = fix_next_block_time(chain)
    with reverts(registry.ExpiryInPast, expiry=now):
        registry.register(wallet, att(chain, expiry=now), sender=attestor)
    now = fix_next_block_time(chain)
    with reverts(registry.ExpiryInPast, expiry=now - 1000):
        registry.register(wallet, att(chain, expiry=now - 1000), sender=attestor)
    with reverts(registry.ExpiryInPast, expiry=0):
        registry.register(wallet, att(chain, expiry=0), sender=attestor)
    now = fix_next_block_time(chain)
    registry.register(wallet, att(chain, expiry=now + 1), sender=attestor)  # one second ahead is enough
    assert registry.isVerified(wallet)


def test_expired_record_is_not_verified(registry, chain, attestor, wallet):
    start = fix_next_block_time(chain)
    expiry = start + 100
    registry.register(wallet, att(chain, flags=7, expiry=expiry), sender=attestor)

    set_time(chain, expiry - 1)
    assert registry.isVerified(wallet)
    assert registry.isAccredited(wallet)

    set_time(chain, expiry)  # expiry is the first second the record no longer verifies
    assert not registry.isVerified(wallet)
    assert not registry.isAccredited(wallet)

    set_time(chain, expiry + YEAR)
    assert not registry.isVerified(wallet)
    # The stale record is still readable, e.g. for a renewal.
    assert registry.investorCountry(wallet) == 840
    assert record_tuple(registry, wallet) == ((1, 840, 7, expiry), False)

    # A renewal verifies the wallet again.
    registry.register(wallet, att(chain, flags=7), sender=attestor)
    assert registry.isVerified(wallet)


# ================================================================================================
# registerBatch
# ================================================================================================


def test_register_batch(registry, chain, attestor, wallets):
    wallets = wallets[:3]
    expiry = later(chain)
    attestations = [(11, 840, 3, expiry), (12, 826, 7, expiry + 1), (11, 840, 1, expiry + 2)]
    receipt = registry.registerBatch(wallets, attestations, sender=attestor)

    assert receipt.events == [
        registry.IdentityRegistered(wallet=w, investorId=a[0], country=a[1], flags=a[2], expiry=a[3], attestor=attestor)
        for w, a in zip(wallets, attestations)
    ]
    for w, a in zip(wallets, attestations):
        assert record_tuple(registry, w) == (a, False)
    assert [registry.isVerified(w) for w in wallets] == [True, True, False]
    assert [registry.isAccredited(w) for w in wallets] == [False, True, False]


def test_register_batch_empty_is_a_no_op(registry, attestor):
    receipt = registry.registerBatch([], [], sender=attestor)
    assert receipt.events == []


def test_register_batch_length_mismatch(registry, chain, attestor, wallets):
    with reverts(registry.LengthMismatch, wallets=2, attestations=1):
        registry.registerBatch([wallets[0], wallets[1]], [att(chain)], sender=attestor)
    with reverts(registry.LengthMismatch, wallets=0, attestations=1):
        registry.registerBatch([], [att(chain)], sender=attestor)


def test_register_batch_max_size(registry, chain, attestor):
    attestation = att(chain)
    wallets = [random_address() for _ in range(MAX_BATCH + 1)]
    with reverts(registry.BatchTooLarge, size=MAX_BATCH + 1, maxSize=MAX_BATCH):
        registry.registerBatch(wallets, [attestation] * (MAX_BATCH + 1), sender=attestor)

    receipt = registry.registerBatch(wallets[:MAX_BATCH], [attestation] * MAX_BATCH, sender=attestor)
    assert len(receipt.events) == MAX_BATCH
    assert registry.isVerified(wallets[0]) and registry.isVerified(wallets[MAX_BATCH - 1])
    assert not registry.isVerified(wallets[MAX_BATCH])


def test_register_batch_is_all_or_nothing(registry, chain, attestor, wallets):
    wallets = wallets[:3]
    attestations = [att(chain), att(chain), att(chain, country=1000)]
    with reverts(registry.InvalidCountry, country=1000):
        registry.registerBatch(wallets, attestations, sender=attestor)
    with reverts(registry.ZeroAddress):
        registry.registerBatch([wallets[0], ZERO_ADDRESS], [att(chain), att(chain)], sender=attestor)
    for w in wallets:
        assert registry.investorIdOf(w) == 0


# ================================================================================================
# registerWithSig
# ================================================================================================


def test_register_with_sig(registry, chain, signer_key, outsider, wallet):
    attestation = att(chain, investor_id=99, country=250, flags=7)
    deadline = later(chain, 3600)
    args = sign_attest(chain, signer_key, registry, wallet, attestation, deadline=deadline, nonce=(7 << 8) | 3)

    # Anyone may relay it.
    receipt = registry.registerWithSig(*args, sender=outsider)
    assert receipt.events == [
        registry.NonceUsed(attestor=signer_key.address, nonce=(7 << 8) | 3),
        registry.IdentityRegistered(
            wallet=wallet,
            investorId=99,
            country=250,
            flags=7,
            expiry=attestation[3],
            attestor=signer_key.address,
        ),
    ]
    assert record_tuple(registry, wallet) == (attestation, False)
    assert registry.isAccredited(wallet)
    assert registry.nonceBitmap(signer_key.address, 7) == 1 << 3
    assert registry.isNonceUsed(signer_key.address, (7 << 8) | 3)
    assert not registry.isNonceUsed(signer_key.address, (7 << 8) | 4)
    assert registry.attestationGeneration(wallet) == 1
    assert registry.nonces(signer_key.address) == 0  # the first version's ordered counter is no longer used


def test_register_with_sig_replay_refused(registry, chain, signer_key, outsider, wallet):
    attestation = att(chain)
    deadline = later(chain, 3600)
    args = sign_attest(chain, signer_key, registry, wallet, attestation, deadline=deadline, nonce=12)
    registry.registerWithSig(*args, sender=outsider)
    # The same signature again: its nonce is used (and the wallet's generation moved on too).
    with reverts(registry.StaleAttestation, wallet=wallet, signedGeneration=0, currentGeneration=1):
        registry.registerWithSig(*args, sender=outsider)
    # Signed again against the new generation, with the used nonce: refused for the nonce.
    again = sign_attest(chain, signer_key, registry, wallet, attestation, deadline=deadline, nonce=12)
    with reverts(registry.NonceAlreadyUsed, attestor=signer_key.address, nonce=12):
        registry.registerWithSig(*again, sender=outsider)


def test_register_with_sig_nonces_are_unordered(registry, chain, signer_key, outsider, wallets):
    """Signatures for different wallets may be relayed in any order: nonces are a bitmap, not a counter."""
    deadline = later(chain, 3600)
    wallets = wallets[:3]
    nonces = [2**255 + 1, 300, 5]
    signed = [
        sign_attest(chain, signer_key, registry, w, att(chain, investor_id=i + 1), deadline=deadline, nonce=n)
        for i, (w, n) in enumerate(zip(wallets, nonces))
    ]
    for args in reversed(signed):
        registry.registerWithSig(*args, sender=outsider)
    assert [registry.investorIdOf(w) for w in wallets] == [1, 2, 3]
    assert all(registry.isNonceUsed(signer_key.address, n) for n in nonces)
    assert registry.nonceBitmap(signer_key.address, 300 >> 8) == 1 << (300 & 0xFF)
    assert registry.nonceBitmap(signer_key.address, (2**255 + 1) >> 8) == 1 << 1


def test_revoked_investor_cannot_relay_a_signed_renewal(registry, chain, signer_key, attestor, outsider, wallet):
    """The issue's scenario: a revoked investor holding a signed renewal relays it, and is refused."""
    registry.register(wallet, att(chain, investor_id=41), sender=attestor)
    renewal = sign_attest(chain, signer_key, registry, wallet, att(chain, investor_id=41), deadline=later(chain, 3600))
    receipt = registry.revoke(wallet, sender=attestor)
    assert receipt.events == [
        registry.IdentityRevoked(wallet=wallet, investorId=41, attestor=attestor),
        registry.AttestationsVoided(wallet=wallet, generation=2, attestor=attestor),
    ]
    with reverts(registry.StaleAttestation, wallet=wallet, signedGeneration=1, currentGeneration=2):
        registry.registerWithSig(*renewal, sender=wallet)
    assert not registry.isVerified(wallet)
    assert not registry.contains(wallet)
    assert not registry.isNonceUsed(signer_key.address, renewal[4])
    # Re-registered later, the old renewal stays void: the generation never goes back.
    registry.register(wallet, att(chain, investor_id=41, flags=FLAG_KYC), sender=attestor)
    with reverts(registry.StaleAttestation, wallet=wallet, signedGeneration=1, currentGeneration=3):
        registry.registerWithSig(*renewal, sender=wallet)
    assert not registry.isVerified(wallet)


def test_a_later_write_voids_older_signatures(registry, chain, signer_key, attestor, outsider, wallet):
    """A downgrade (accreditation taken away) cannot be undone by relaying a signature made before it."""
    registry.register(wallet, att(chain, flags=7), sender=attestor)
    older = sign_attest(chain, signer_key, registry, wallet, att(chain, flags=7), deadline=later(chain, 3600))
    registry.register(wallet, att(chain, flags=KYC_AML), sender=attestor)
    with reverts(registry.StaleAttestation, wallet=wallet, signedGeneration=1, currentGeneration=2):
        registry.registerWithSig(*older, sender=wallet)
    assert not registry.isAccredited(wallet)


def test_void_attestations(registry, chain, signer_key, attestor, outsider, wallet):
    attestation = att(chain, flags=7)
    registry.register(wallet, attestation, sender=attestor)
    pending = sign_attest(chain, signer_key, registry, wallet, att(chain), deadline=later(chain, 3600))
    receipt = registry.voidAttestations(wallet, sender=attestor)
    assert receipt.events == [registry.AttestationsVoided(wallet=wallet, generation=2, attestor=attestor)]
    assert registry.attestationGeneration(wallet) == 2
    assert record_tuple(registry, wallet) == (attestation, False)  # the record itself is untouched
    assert registry.isVerified(wallet)
    with reverts(registry.StaleAttestation, wallet=wallet, signedGeneration=1, currentGeneration=2):
        registry.registerWithSig(*pending, sender=outsider)
    # Works before any registration too (a signed first attestation can be voided), but not on zero.
    fresh = random_address()
    registry.voidAttestations(fresh, sender=attestor)
    assert registry.attestationGeneration(fresh) == 1 and not registry.contains(fresh)
    with reverts(registry.ZeroAddress):
        registry.voidAttestations(ZERO_ADDRESS, sender=attestor)


def test_attestor_cancels_unused_signatures(registry, chain, attestor, outsider, wallets):
    key = Account.from_key(attestor.private_key)  # the fixture attestor signs off-chain, then cancels on-chain
    deadline = later(chain, 3600)
    first = sign_attest(chain, key, registry, wallets[0], att(chain), deadline=deadline, nonce=(9 << 8) | 1)
    second = sign_attest(chain, key, registry, wallets[1], att(chain), deadline=deadline, nonce=(9 << 8) | 200)
    kept = sign_attest(chain, key, registry, wallets[2], att(chain), deadline=deadline, nonce=(9 << 8) | 2)
    # Two of its signatures cancelled in one call.
    mask = (1 << 1) | (1 << 200)
    receipt = registry.invalidateUnorderedNonces(9, mask, sender=attestor)
    assert receipt.events == [registry.UnorderedNonceInvalidation(attestor=attestor, word=9, mask=mask)]
    assert registry.nonceBitmap(attestor, 9) == mask
    for args in (first, second):
        with reverts(registry.NonceAlreadyUsed, attestor=attestor, nonce=args[4]):
            registry.registerWithSig(*args, sender=outsider)
    registry.registerWithSig(*kept, sender=outsider)
    assert registry.nonceBitmap(attestor, 9) == mask | (1 << 2)
    assert not registry.contains(wallets[0]) and registry.contains(wallets[2])


def test_invalidate_nonces_only_touches_the_callers_own(registry, chain, signer_key, outsider, wallet):
    args = sign_attest(chain, signer_key, registry, wallet, att(chain), deadline=later(chain, 3600), nonce=3)
    registry.invalidateUnorderedNonces(0, 1 << 3, sender=outsider)
    assert registry.nonceBitmap(outsider, 0) == 1 << 3
    assert registry.nonceBitmap(signer_key.address, 0) == 0
    registry.registerWithSig(*args, sender=outsider)
    assert registry.isVerified(wallet)


def test_register_with_sig_expired_deadline(registry, chain, signer_key, outsider, wallet):
    now = fix_next_block_time(chain)
    deadline = now - 1
    args = sign_attest(chain, signer_key, registry, wallet, att(chain), deadline=deadline)
    with reverts(registry.SignatureExpired, deadline=deadline):
        registry.registerWithSig(*args, sender=outsider)
    assert not registry.isNonceUsed(signer_key.address, args[4])


def test_register_with_sig_deadline_is_inclusive(registry, chain, signer_key, outsider, wallet):
    deadline = fix_next_block_time(chain)
    args = sign_attest(chain, signer_key, registry, wallet, att(chain), deadline=deadline)
    registry.registerWithSig(*args, sender=outsider)
    assert registry.isVerified(wallet)


def test_register_with_sig_wrong_signer(registry, chain, signer_key, admin, outsider, wallet):
    other = Account.create()
    registry.grantRole(ATTESTOR_ROLE, other.address, sender=admin)
    # `other` is an attestor too, but signed a message claimed to come from `signer_key`.
    args = sign_attest(chain, other, registry, wallet, att(chain), deadline=later(chain, 3600))
    args[2] = signer_key.address
    with reverts(registry.InvalidAttestor, signer=signer_key.address):
        registry.registerWithSig(*args, sender=outsider)


def test_register_with_sig_by_non_attestor(registry, chain, outsider, wallet):
    stranger = Account.create()
    args = sign_attest(chain, stranger, registry, wallet, att(chain), deadline=later(chain, 3600))
    with reverts(registry.InvalidAttestor, signer=stranger.address):
        registry.registerWithSig(*args, sender=outsider)


def test_register_with_sig_zero_attestor(registry, chain, outsider, wallet):
    with reverts(registry.InvalidAttestor, signer=ZERO_ADDRESS):
        registry.registerWithSig(wallet, att(chain), ZERO_ADDRESS, 0, 0, later(chain, 3600), b"\x00" * 65, sender=outsider)


def test_register_with_sig_after_role_revoked(registry, chain, signer_key, admin, outsider, wallet):
    args = sign_attest(chain, signer_key, registry, wallet, att(chain), deadline=later(chain, 3600))
    registry.revokeRole(ATTESTOR_ROLE, signer_key.address, sender=admin)
    with reverts(registry.InvalidAttestor, signer=signer_key.address):
        registry.registerWithSig(*args, sender=outsider)


@pytest.mark.parametrize(
    "tamper",
    [
        "wallet",
        "investorId",
        "country",
        "flags",
        "expiry",
        "generation",
        "nonce",
        "deadline",
        "domain_name",
        "domain_chain",
        "domain_contract",
    ],
)
def test_register_with_sig_tampered(registry, chain, signer_key, attestor, outsider, wallets, tamper):
    wallet = wallets[0]
    registry.voidAttestations(wallet, sender=attestor)  # generation 1, so that a tampered 0 or 2 is stale
    attestation = att(chain, investor_id=5, country=840, flags=3)
    deadline = later(chain, 3600)
    sent = sign_attest(chain, signer_key, registry, wallet, attestation, deadline=deadline, nonce=77)
    signed = dict(wallet=wallet, attestation=attestation, deadline=deadline, nonce=77, generation=1)
    domain = {}
    if tamper == "wallet":
        signed["wallet"] = wallets[1]
    elif tamper in ("investorId", "country", "flags", "expiry"):
        index = ("investorId", "country", "flags", "expiry").index(tamper)
        fields = list(attestation)
        fields[index] = fields[index] + 1
        signed["attestation"] = tuple(fields)
    elif tamper in ("deadline", "nonce"):
        signed[tamper] += 1
    elif tamper == "generation":
        signed["generation"] = 2
    elif tamper == "domain_name":
        domain["name"] = "ComplianceRegistr"
    elif tamper == "domain_chain":
        domain["chain_id"] = chain.chain_id + 1
    elif tamper == "domain_contract":
        domain["verifying_contract"] = implementation_of(chain, registry)

    forged = sign_attest(
        chain,
        signer_key,
        registry,
        signed["wallet"],
        signed["attestation"],
        deadline=signed["deadline"],
        nonce=signed["nonce"],
        generation=signed["generation"],
        **domain,
    )
    sent[6] = forged[6]
    with reverts(registry.InvalidAttestor, signer=signer_key.address):
        registry.registerWithSig(*sent, sender=outsider)


@pytest.mark.parametrize("signature", [b"", b"\x01\x02", b"\x00" * 65, b"\xff" * 65, b"\x11" * 64])
def test_register_with_sig_malformed_signature(registry, chain, signer_key, outsider, wallet, signature):
    with reverts(registry.InvalidAttestor, signer=signer_key.address):
        registry.registerWithSig(wallet, att(chain), signer_key.address, 0, 1, later(chain, 3600), signature, sender=outsider)


def test_register_with_sig_validates_fields(registry, chain, signer_key, outsider, wallet):
    args = sign_attest(chain, signer_key, registry, wallet, att(chain, country=0), deadline=later(chain, 3600))
    with reverts(registry.InvalidCountry, country=0):
        registry.registerWithSig(*args, sender=outsider)


def test_register_with_sig_contract_attestor(project, registry, chain, deployer, admin, outsider, wallet):
    """An ERC-1271 contract (e.g. a multisig) holding ATTESTOR_ROLE can sign."""
    owner = Account.create()
    contract_attestor = deployer.deploy(project.ERC1271SignerMock, owner.address)
    registry.grantRole(ATTESTOR_ROLE, contract_attestor, sender=admin)
    attestation = att(chain, investor_id=3)
    deadline = later(chain, 3600)

    stranger = Account.create()
    forged = sign_attest(chain, stranger, registry, wallet, attestation, deadline=deadline, nonce=4)
    forged[2] = contract_attestor.address
    with reverts(registry.InvalidAttestor, signer=contract_attestor.address):
        registry.registerWithSig(*forged, sender=outsider)

    args = sign_attest(chain, owner, registry, wallet, attestation, deadline=deadline, nonce=4)
    args[2] = contract_attestor.address
    receipt = registry.registerWithSig(*args, sender=outsider)
    assert receipt.events[-1].attestor == contract_attestor.address
    assert registry.investorIdOf(wallet) == 3
    assert registry.isNonceUsed(contract_attestor, 4)


# ================================================================================================
# revoke
# ================================================================================================


def test_revoke(registry, chain, attestor, wallet):
    registry.register(wallet, att(chain, investor_id=77), sender=attestor)
    receipt = registry.revoke(wallet, sender=attestor)
    assert receipt.events == [
        registry.IdentityRevoked(wallet=wallet, investorId=77, attestor=attestor),
        registry.AttestationsVoided(wallet=wallet, generation=2, attestor=attestor),
    ]
    assert not registry.isVerified(wallet)
    assert record_tuple(registry, wallet) == ((0, 0, 0, 0), False)
    # Only the generation is left in the slot (it voids signatures made before the revocation).
    assert read_slot(chain, registry, record_slot(wallet)) == pack(0, 0, 0, 0, generation=2)


def test_revoke_unregistered(registry, chain, attestor, wallet):
    with reverts(registry.NotRegistered, wallet=wallet):
        registry.revoke(wallet, sender=attestor)
    registry.register(wallet, att(chain), sender=attestor)
    registry.revoke(wallet, sender=attestor)
    with reverts(registry.NotRegistered, wallet=wallet):
        registry.revoke(wallet, sender=attestor)


def test_revoke_keeps_sanctions(registry, chain, attestor, sanctions_officer, wallet):
    registry.register(wallet, att(chain), sender=attestor)
    registry.setSanctioned(wallet, True, sender=sanctions_officer)
    registry.revoke(wallet, sender=attestor)
    assert registry.isSanctioned(wallet)
    assert record_tuple(registry, wallet) == ((0, 0, 0, 0), True)
    assert read_slot(chain, registry, record_slot(wallet)) == pack(0, 0, 0, 0, sanctioned=True, generation=2)
    # A sanctioned wallet with no attestation cannot be revoked again ...
    with reverts(registry.NotRegistered, wallet=wallet):
        registry.revoke(wallet, sender=attestor)
    # ... and re-registering it does not clear the sanction.
    registry.register(wallet, att(chain), sender=attestor)
    assert registry.isSanctioned(wallet)
    assert not registry.isVerified(wallet)


# ================================================================================================
# ERC-3643 identity registry, read side
# ================================================================================================


def identity_of(investor_id):
    """The identity address the registry derives for an investor id (documented in the contract)."""
    return to_checksum_address(keccak(b"rwa.identity" + investor_id.to_bytes(16, "big"))[12:])


def test_identity_registry_read_side(registry, chain, attestor, sanctions_officer, wallets):
    first, second, other, unknown = wallets[0], wallets[1], wallets[2], random_address()
    registry.registerBatch(
        [first, second, other],
        [
            att(chain, investor_id=7, country=276),
            att(chain, investor_id=7, country=276),
            att(chain, investor_id=8, country=826, flags=FLAG_KYC),
        ],
        sender=attestor,
    )
    # contains: an attestation exists (verified or not); identity: one per investor, shared by its wallets.
    assert [registry.contains(w) for w in (first, second, other, unknown)] == [True, True, True, False]
    assert registry.identity(first) == registry.identity(second) == identity_of(7) == registry.identityOfInvestor(7)
    assert registry.identity(other) == identity_of(8) != identity_of(7)
    assert registry.identity(unknown) == ZERO_ADDRESS
    assert [registry.investorCountry(w) for w in (first, other, unknown)] == [276, 826, 0]
    assert [registry.isVerified(w) for w in (first, other, unknown)] == [True, False, False]

    # Sanctioned: still contained (the record exists) but not verified; revoked: gone.
    registry.setSanctioned(first, True, sender=sanctions_officer)
    assert registry.contains(first) and not registry.isVerified(first)
    registry.revoke(second, sender=attestor)
    assert not registry.contains(second)
    assert registry.identity(second) == ZERO_ADDRESS
    assert registry.investorCountry(second) == 0

    # Expired: still contained, as in T-REX (the identity is stored; its claims are what lapsed).
    set_time(chain, registry.recordOf(other)[0][3])
    assert registry.contains(other) and not registry.isVerified(other)


def test_identity_registry_read_side_through_its_interface(project, registry, chain, attestor, wallet):
    """ERC-3643 tooling reads the registry through IIdentityRegistry's selectors alone."""
    view = project.IIdentityRegistryView.at(registry.address)
    assert not view.contains(wallet)
    registry.register(wallet, att(chain, investor_id=2**128 - 1, country=999), sender=attestor)
    assert view.contains(wallet)
    assert view.identity(wallet) == identity_of(2**128 - 1)
    assert view.investorCountry(wallet) == 999
    assert view.isVerified(wallet)


# ================================================================================================
# Sanctions
# ================================================================================================


def test_set_sanctioned(registry, chain, attestor, sanctions_officer, wallet):
    attestation = att(chain, flags=7)
    registry.register(wallet, attestation, sender=attestor)

    receipt = registry.setSanctioned(wallet, True, sender=sanctions_officer)
    assert receipt.events == [registry.SanctionsUpdated(wallet=wallet, sanctioned=True, officer=sanctions_officer)]
    assert registry.isSanctioned(wallet)
    assert not registry.isVerified(wallet)
    assert not registry.isAccredited(wallet)
    assert record_tuple(registry, wallet) == (attestation, True)  # the attestation is untouched

    receipt = registry.setSanctioned(wallet, False, sender=sanctions_officer)
    assert receipt.events == [registry.SanctionsUpdated(wallet=wallet, sanctioned=False, officer=sanctions_officer)]
    assert not registry.isSanctioned(wallet)
    assert registry.isVerified(wallet)
    assert registry.isAccredited(wallet)
    assert record_tuple(registry, wallet) == (attestation, False)


def test_set_sanctioned_is_idempotent(registry, sanctions_officer, wallet):
    registry.setSanctioned(wallet, True, sender=sanctions_officer)
    registry.setSanctioned(wallet, True, sender=sanctions_officer)
    assert registry.isSanctioned(wallet)
    registry.setSanctioned(wallet, False, sender=sanctions_officer)
    registry.setSanctioned(wallet, False, sender=sanctions_officer)
    assert not registry.isSanctioned(wallet)


def test_sanction_before_registration_survives_registration(registry, chain, attestor, sanctions_officer, wallet):
    registry.setSanctioned(wallet, True, sender=sanctions_officer)
    assert registry.isSanctioned(wallet)
    assert registry.investorIdOf(wallet) == 0

    registry.register(wallet, att(chain), sender=attestor)
    assert registry.isSanctioned(wallet)
    assert not registry.isVerified(wallet)
    registry.registerBatch([wallet], [att(chain)], sender=attestor)
    assert registry.isSanctioned(wallet)
    assert not registry.isVerified(wallet)


def test_set_sanctioned_rejects_zero_wallet(registry, sanctions_officer):
    with reverts(registry.ZeroAddress):
        registry.setSanctioned(ZERO_ADDRESS, True, sender=sanctions_officer)
    with reverts(registry.ZeroAddress):
        registry.setSanctionedBatch([random_address(), ZERO_ADDRESS], True, sender=sanctions_officer)


def test_set_sanctioned_batch(registry, chain, attestor, sanctions_officer, wallets):
    wallets = wallets[:3]
    registry.registerBatch(wallets, [att(chain)] * 3, sender=attestor)

    receipt = registry.setSanctionedBatch(wallets[:2], True, sender=sanctions_officer)
    assert receipt.events == [
        registry.SanctionsUpdated(wallet=w, sanctioned=True, officer=sanctions_officer) for w in wallets[:2]
    ]
    assert [registry.isVerified(w) for w in wallets] == [False, False, True]

    receipt = registry.setSanctionedBatch(wallets[:1], False, sender=sanctions_officer)
    assert receipt.events == [registry.SanctionsUpdated(wallet=wallets[0], sanctioned=False, officer=sanctions_officer)]
    assert [registry.isVerified(w) for w in wallets] == [True, False, True]

    assert registry.setSanctionedBatch([], True, sender=sanctions_officer).events == []


def test_set_sanctioned_batch_max_size(registry, sanctions_officer):
    wallets = [random_address() for _ in range(MAX_BATCH + 1)]
    with reverts(registry.BatchTooLarge, size=MAX_BATCH + 1, maxSize=MAX_BATCH):
        registry.setSanctionedBatch(wallets, True, sender=sanctions_officer)
    registry.setSanctionedBatch(wallets[:MAX_BATCH], True, sender=sanctions_officer)
    assert registry.isSanctioned(wallets[MAX_BATCH - 1])
    assert not registry.isSanctioned(wallets[MAX_BATCH])


# ================================================================================================
# Access control: every privileged function refuses callers without the role
# ================================================================================================

PRIVILEGED_CALLS = {
    # name: (role needed, callable(registry, chain, target) -> (method, args))
    "register": (ATTESTOR_ROLE, lambda r, c, w: (r.register, [w, att(c)])),
    "registerBatch": (ATTESTOR_ROLE, lambda r, c, w: (r.registerBatch, [[w], [att(c)]])),
    "revoke": (ATTESTOR_ROLE, lambda r, c, w: (r.revoke, [w])),
    "voidAttestations": (ATTESTOR_ROLE, lambda r, c, w: (r.voidAttestations, [w])),
    "setSanctioned": (SANCTIONS_ROLE, lambda r, c, w: (r.setSanctioned, [w, True])),
    "setSanctionedBatch": (SANCTIONS_ROLE, lambda r, c, w: (r.setSanctionedBatch, [[w], True])),
    "grantRole": (DEFAULT_ADMIN_ROLE, lambda r, c, w: (r.grantRole, [ATTESTOR_ROLE, w])),
    "revokeRole": (DEFAULT_ADMIN_ROLE, lambda r, c, w: (r.revokeRole, [ATTESTOR_ROLE, w])),
    "upgradeToAndCall": (
        DEFAULT_ADMIN_ROLE,
        lambda r, c, w: (r.upgradeToAndCall, [implementation_of(c, r), b""]),
    ),
}

# Who holds which role in the fixtures; every caller below lacks the role the function needs.
UNAUTHORISED_CALLERS = [
    (name, caller)
    for name, (role, _) in PRIVILEGED_CALLS.items()
    for caller in ("outsider", "deployer", "admin", "attestor", "sanctions_officer")
    if not (
        (caller == "admin" and role == DEFAULT_ADMIN_ROLE)
        or (caller == "attestor" and role == ATTESTOR_ROLE)
        or (caller == "sanctions_officer" and role == SANCTIONS_ROLE)
    )
]


@pytest.mark.parametrize("name, caller_name", UNAUTHORISED_CALLERS)
def test_privileged_functions_refuse_unauthorised(request, registry, chain, attestor, wallet, name, caller_name):
    caller = request.getfixturevalue(caller_name)
    role, build = PRIVILEGED_CALLS[name]
    registry.register(wallet, att(chain), sender=attestor)  # so that revoke would otherwise succeed
    before = (record_tuple(registry, wallet), implementation_of(chain, registry))

    method, args = build(registry, chain, wallet)
    with reverts(registry.AccessControlUnauthorizedAccount, account=caller, neededRole=role):
        method(*args, sender=caller)
    assert (record_tuple(registry, wallet), implementation_of(chain, registry)) == before


def test_renounce_role(registry, attestor, chain, wallet):
    registry.renounceRole(ATTESTOR_ROLE, attestor, sender=attestor)
    assert not registry.hasRole(ATTESTOR_ROLE, attestor)
    with reverts(registry.AccessControlUnauthorizedAccount, account=attestor, neededRole=ATTESTOR_ROLE):
        registry.register(wallet, att(chain), sender=attestor)


def test_granted_role_can_act(registry, chain, admin, outsider, wallet):
    registry.grantRole(ATTESTOR_ROLE, outsider, sender=admin)
    registry.register(wallet, att(chain), sender=outsider)
    assert registry.isVerified(wallet)


# ================================================================================================
# Storage layout
# ================================================================================================


def test_storage_location_constant():
    # The value hard-coded in the contract.
    assert STORAGE_BASE == 0x99F36C048382437F4AF984137DB7C0292E7A488DA2994AE374F9AA017ED4E400


def test_record_is_one_slot(registry, chain, attestor, sanctions_officer, wallet):
    investor_id, country, flags, expiry = 0xDEADBEEF_CAFEBABE_0123456789ABCDEF, 756, 5, 1_900_000_123
    registry.register(wallet, (investor_id, country, flags, expiry), sender=attestor)
    registry.setSanctioned(wallet, True, sender=sanctions_officer)

    slot = record_slot(wallet)
    word = read_slot(chain, registry, slot)
    assert word == pack(investor_id, country, flags, expiry, sanctioned=True, generation=1)
    # Decode the word field by field.
    assert word & MAX_UINT128 == investor_id
    assert (word >> 128) & 0xFFFF == country
    assert (word >> 144) & 0xFF == flags
    assert (word >> 152) & MAX_UINT40 == expiry
    assert (word >> 192) & 1 == 1
    assert word >> 193 == 1  # the generation: one write so far
    # Nothing spills into the neighbouring slots, and nothing is stored at the namespace root.
    assert read_slot(chain, registry, slot + 1) == 0
    assert read_slot(chain, registry, slot - 1) == 0
    assert read_slot(chain, registry, STORAGE_BASE) == 0


# ================================================================================================
# Upgrades
# ================================================================================================


def test_upgrade_keeps_records(project, registry, chain, deployer, admin, attestor, sanctions_officer, wallets, signer_key):
    pair = wallets[:2]
    attestations = [att(chain, investor_id=1, flags=7), att(chain, investor_id=2, country=826)]
    registry.registerBatch(pair, attestations, sender=attestor)
    registry.setSanctioned(wallets[1], True, sender=sanctions_officer)
    deadline = later(chain, 3600)
    third = wallets[2]
    args = sign_attest(chain, signer_key, registry, third, attestations[0], deadline=deadline, nonce=300)
    registry.registerWithSig(*args, sender=attestor)
    before = [record_tuple(registry, w) for w in [*pair, third]]

    new_implementation = deployer.deploy(project.ComplianceRegistryV2Mock)
    receipt = registry.upgradeToAndCall(new_implementation, b"", sender=admin)
    assert receipt.events == [registry.Upgraded(implementation=new_implementation)]
    assert implementation_of(chain, registry) == new_implementation.address

    upgraded = project.ComplianceRegistryV2Mock.at(registry.address)
    assert upgraded.version() == "2"
    assert [record_tuple(upgraded, w) for w in [*pair, third]] == before
    assert upgraded.isAccredited(wallets[0])
    assert upgraded.isSanctioned(wallets[1]) and not upgraded.isVerified(wallets[1])
    assert upgraded.isNonceUsed(signer_key.address, 300)
    assert upgraded.attestationGeneration(third) == 1
    assert upgraded.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert upgraded.hasRole(ATTESTOR_ROLE, attestor)
    assert upgraded.eip712Domain().name == "ComplianceRegistry"
    # Still usable, and still not re-initializable.
    upgraded.register(wallets[3], att(chain), sender=attestor)
    assert upgraded.isVerified(wallets[3])
    with reverts(upgraded.InvalidInitialization):
        upgraded.initialize(admin, sender=admin)


def test_upgrade_with_initialize_call_refused(project, registry, deployer, admin):
    new_implementation = deployer.deploy(project.ComplianceRegistryV2Mock)
    data = registry.initialize.encode_input(admin)
    with reverts(registry.InvalidInitialization):
        registry.upgradeToAndCall(new_implementation, data, sender=admin)


def test_upgrade_to_non_uups_refused(registry, consumer, chain, admin):
    before = implementation_of(chain, registry)
    # Ape merges the proxy's ABI (which declares this error too) into the instance, so the name
    # alone is ambiguous; look it up by signature.
    error = registry.get_error_by_signature("ERC1967InvalidImplementation(address implementation)")
    with reverts(error, implementation=consumer.address):
        registry.upgradeToAndCall(consumer, b"", sender=admin)
    assert implementation_of(chain, registry) == before


def test_upgrade_on_implementation_refused(project, registry, chain, admin):
    implementation = project.ComplianceRegistry.at(implementation_of(chain, registry))
    with reverts(implementation.UUPSUnauthorizedCallContext):
        implementation.upgradeToAndCall(implementation, b"", sender=admin)


# ================================================================================================
# Gas (not timed: figures from receipts and gasleft(); printed, run with -s to see them)
# ================================================================================================

INTRINSIC_GAS = 21_000


def test_gas_register_single(registry, chain, attestor):
    wallet = random_address()
    receipt = registry.register(wallet, (123456789, 840, 7, later(chain)), sender=attestor)
    execution = receipt.gas_used - INTRINSIC_GAS
    print(f"\n[gas] register (new wallet, via proxy): tx {receipt.gas_used}, execution {execution}")
    assert execution <= 50_000

    receipt = registry.register(wallet, (123456789, 840, 3, later(chain)), sender=attestor)
    print(f"[gas] register (overwrite): tx {receipt.gas_used}, execution {receipt.gas_used - INTRINSIC_GAS}")


def test_gas_register_batch_of_100(registry, chain, attestor):
    wallets = [random_address() for _ in range(100)]
    expiry = later(chain)
    attestations = [(1_000_000 + i, 840, 7, expiry) for i in range(100)]
    receipt = registry.registerBatch(wallets, attestations, sender=attestor)
    per_wallet = receipt.gas_used / 100
    print(f"\n[gas] registerBatch x100: tx {receipt.gas_used}, per wallet {per_wallet:.0f}")
    assert per_wallet <= 30_000
    assert all(registry.isVerified(w) for w in wallets[::33])


def test_gas_other_paths(registry, chain, attestor, sanctions_officer, signer_key, outsider):
    wallet = random_address()
    attestation = att(chain)
    deadline = later(chain, 3600)
    args = sign_attest(chain, signer_key, registry, wallet, attestation, deadline=deadline)
    receipt = registry.registerWithSig(*args, sender=outsider)
    print(f"\n[gas] registerWithSig (new wallet, EOA attestor, fresh nonce word): execution {receipt.gas_used - INTRINSIC_GAS}")
    args = sign_attest(chain, signer_key, registry, wallet, attestation, deadline=deadline, nonce=args[4] ^ 1)
    receipt = registry.registerWithSig(*args, sender=outsider)
    print(f"[gas] registerWithSig (overwrite, nonce in a used word): execution {receipt.gas_used - INTRINSIC_GAS}")
    receipt = registry.setSanctioned(wallet, True, sender=sanctions_officer)
    print(f"[gas] setSanctioned: execution {receipt.gas_used - INTRINSIC_GAS}")
    receipt = registry.revoke(wallet, sender=attestor)
    print(f"[gas] revoke: execution {receipt.gas_used - INTRINSIC_GAS}")


def test_gas_is_verified_from_contract(registry, chain, attestor, consumer, wallets):
    verified_wallet, other = wallets[0], wallets[1]
    registry.registerBatch([verified_wallet, other], [att(chain), att(chain)], sender=attestor)

    verified, cold = consumer.measureIsVerified(verified_wallet)
    assert verified
    warm_verified, warm = consumer.measureIsVerifiedWarm(other, verified_wallet)
    assert warm_verified
    _, warm_same = consumer.measureIsVerifiedWarm(verified_wallet, verified_wallet)
    unverified, cold_unknown = consumer.measureIsVerified(random_address())
    assert not unverified
    print(
        f"\n[gas] isVerified from a contract: cold {cold}, warm proxy + cold record {warm}, "
        f"fully warm {warm_same}, cold unregistered {cold_unknown}"
    )
    # Cold: 2,600 (account) + 2,100 (record) under EIP-2929; through a plain UUPSProxy also 2,100
    # (implementation slot) + 2,600 (implementation), 9,400 in all. Only a loose sanity bound here.
    assert cold <= 12_000
    assert warm <= 8_000
    assert warm_same <= warm


# ================================================================================================
# Properties
# ================================================================================================

attestations_st = st.tuples(
    st.integers(min_value=1, max_value=MAX_UINT128),  # investorId
    st.integers(min_value=1, max_value=999),  # country
    st.integers(min_value=0, max_value=7),  # flags
    st.integers(min_value=1, max_value=MAX_UINT40 - 2_000_000_000),  # expiry, as seconds from now
)


@PROPERTY_SETTINGS
@given(attestation=attestations_st, sanctioned=st.booleans())
def test_property_round_trip(registry, chain, attestor, sanctions_officer, attestation, sanctioned):
    wallet = random_address()
    investor_id, country, flags, offset = attestation
    expiry = chain.pending_timestamp + offset + 60
    if sanctioned:
        registry.setSanctioned(wallet, True, sender=sanctions_officer)
    registry.register(wallet, (investor_id, country, flags, expiry), sender=attestor)

    assert record_tuple(registry, wallet) == ((investor_id, country, flags, expiry), sanctioned)
    assert registry.investorIdOf(wallet) == investor_id
    assert registry.investorCountry(wallet) == country
    assert registry.isSanctioned(wallet) == sanctioned
    assert read_slot(chain, registry, record_slot(wallet)) == pack(investor_id, country, flags, expiry, sanctioned, generation=1)


@PROPERTY_SETTINGS
@given(
    flags=st.integers(min_value=0, max_value=7),
    sanctioned=st.booleans(),
    lifetime=st.integers(min_value=1, max_value=60),
    elapsed=st.integers(min_value=1, max_value=90),
)
def test_property_is_verified(registry, chain, attestor, sanctions_officer, flags, sanctioned, lifetime, elapsed):
    wallet = random_address()
    registry.setSanctioned(wallet, sanctioned, sender=sanctions_officer)
    registered_at = fix_next_block_time(chain)
    registry.register(wallet, (1, 840, flags, registered_at + lifetime), sender=attestor)
    set_time(chain, registered_at + elapsed)

    now = chain.blocks.head.timestamp
    fresh = registered_at + lifetime > now
    expected = (flags & KYC_AML) == KYC_AML and not sanctioned and fresh
    assert registry.isVerified(wallet) == expected
    assert registry.isAccredited(wallet) == (expected and bool(flags & FLAG_ACCREDITED))


# Each example sends up to 12 transactions: 8 examples under make test (25, then 15, before), 60 under make fuzz.
@settings(PROPERTY_SETTINGS, max_examples=examples(8, 60))
@given(
    entries=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3), attestations_st, st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_property_batch_equals_singles(registry, chain, attestor, sanctions_officer, entries):
    # Two parallel pools of four wallets; an index picks the same position in both, so repeated
    # wallets inside one batch are exercised too (the last attestation wins either way).
    pool_batch = [random_address() for _ in range(4)]
    pool_single = [random_address() for _ in range(4)]
    now = chain.pending_timestamp
    attestations = [(i, c, f, now + 60 + (o % YEAR)) for _, (i, c, f, o), _ in entries]
    indices = [index for index, _, _ in entries]
    # Some wallets start out sanctioned; both registration paths must keep that.
    sanctioned = {index for index, _, flag in entries if flag}
    if sanctioned:
        registry.setSanctionedBatch([pool_batch[i] for i in sanctioned], True, sender=sanctions_officer)
        registry.setSanctionedBatch([pool_single[i] for i in sanctioned], True, sender=sanctions_officer)

    batch_receipt = registry.registerBatch([pool_batch[i] for i in indices], attestations, sender=attestor)
    single_events = []
    for index, attestation in zip(indices, attestations):
        single_events += registry.register(pool_single[index], attestation, sender=attestor).events

    for index in range(4):
        batch_wallet, single_wallet = pool_batch[index], pool_single[index]
        assert record_tuple(registry, batch_wallet) == record_tuple(registry, single_wallet)
        assert read_slot(chain, registry, record_slot(batch_wallet)) == read_slot(chain, registry, record_slot(single_wallet))
        assert registry.isVerified(batch_wallet) == registry.isVerified(single_wallet)

    def strip(event):
        return (event.investorId, event.country, event.flags, event.expiry, event.attestor)

    assert [strip(e) for e in batch_receipt.events] == [strip(e) for e in single_events]
    assert [e.wallet for e in batch_receipt.events] == [pool_batch[i] for i in indices]
