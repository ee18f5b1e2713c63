"""Fixtures of the tokenized-property tests: a property created through the suite's factory, with
verified investors. Addresses come from the deployed suite (tests/conftest.py); nothing of the suite
is deployed here."""

import pytest
from helpers import ACCREDITED, FR, GB, KYC_AML, US, YEAR, create_property


def _at(project, suite, name, contract_type=None):
    entry = suite["contracts"][name]
    return getattr(project, contract_type or entry["contractType"]).at(entry["address"])


@pytest.fixture(scope="session")
def factory(project, suite):
    return _at(project, suite, "PropertyTokenFactory")


@pytest.fixture  # per test: first asked for mid-module, a session fixture would make Ape rebase its snapshots
def token_beacon(project, suite):
    return project.Beacon.at(suite["contracts"]["PropertyTokenBeacon"]["address"])


@pytest.fixture(scope="session")
def agent(accounts):
    """Holds every operational role of the test property."""
    return accounts[8]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def alice2(accounts):
    """A second wallet of alice's investor (same investor id)."""
    return accounts[6]


@pytest.fixture  # per test: see token_beacon
def stranger(accounts):
    """A wallet the registry knows nothing about."""
    return accounts[9]


@pytest.fixture(scope="session")
def expiry(chain):
    return chain.pending_timestamp + 10 * YEAR


@pytest.fixture(scope="session")
def verified(registry, attestor, alice, bob, carol, alice2, expiry):
    """alice (investor 1, US, accredited), alice2 (investor 1), bob (investor 2, GB), carol (investor 3, FR, accredited)."""
    registry.registerBatch(
        [alice, bob, carol, alice2],
        [
            (1, US, KYC_AML | ACCREDITED, expiry),
            (2, GB, KYC_AML, expiry),
            (3, FR, KYC_AML | ACCREDITED, expiry),
            (1, US, KYC_AML | ACCREDITED, expiry),
        ],
        sender=attestor,
    )
    return (alice, bob, carol, alice2)


@pytest.fixture(scope="session")
def created(project, factory, deployer, agent, verified):
    return create_property(project, factory, deployer, agent)


@pytest.fixture(scope="session")
def token(created):
    return created[0]


@pytest.fixture(scope="session")
def compliance(created):
    return created[1]


@pytest.fixture(scope="session")
def distributor(created):
    return created[2]


@pytest.fixture  # per test: first asked for mid-module, a session fixture would make Ape rebase its snapshots
def funded(stablecoin, admin, distributor):
    """The admin (rent collector) holds stablecoin and has approved the distributor."""
    stablecoin.mint(admin, 10**15, sender=admin)
    stablecoin.approve(distributor, 2**256 - 1, sender=admin)
    return admin


# --- NIL (vaults, deals, splitters): addresses always come from the deployed suite ---
@pytest.fixture(scope="session")
def splitter_factory(project, suite):
    return _at(project, suite, "SplitterFactory")


@pytest.fixture(scope="session")
def splitter_implementation(project, suite):
    return _at(project, suite, "RevenueSplitter")


@pytest.fixture(scope="session")
def vault_factory(project, suite):
    return _at(project, suite, "NILVaultFactory")


@pytest.fixture(scope="session")
def contract_nft(project, suite):
    return _at(project, suite, "ContractNFT")


@pytest.fixture(scope="session")
def vault_beacon(project, suite):
    return project.Beacon.at(suite["contracts"]["NILVaultBeacon"]["address"])


@pytest.fixture(scope="session")
def guardian(accounts, suite):
    """GUARDIAN_ROLE of the vault factory: the guardian Safe, impersonated (what its owners may do at once)."""
    account = accounts[suite["contracts"]["GuardianSafe"]["address"]]
    account.balance += 10**18
    return account


@pytest.fixture(scope="session")
def operator(accounts):
    """OPERATOR_ROLE of the vault factory (the deployer, on the local network)."""
    return accounts[0]
