"""PropertyTokenFactory: one call creates and wires a property; listing; beacon upgrades; roles."""

from eth_utils import keccak, to_checksum_address
from helpers import (
    BEACON_SLOT,
    DEFAULT_ADMIN_ROLE,
    ZERO_ADDRESS,
    beacon_proxy_runtime,
    create_property,
    property_input,
    reverts,
    role,
)

CREATOR = role("CREATOR_ROLE")


def test_factory_configuration(factory, suite, registry, stablecoin, timelock, deployer):
    contracts = suite["contracts"]
    assert factory.tokenBeacon() == contracts["PropertyTokenBeacon"]["address"]
    assert factory.complianceBeacon() == contracts["ModularComplianceBeacon"]["address"]
    assert factory.distributorBeacon() == contracts["DividendDistributorBeacon"]["address"]
    assert factory.identityRegistry() == registry.address
    assert factory.stablecoin() == stablecoin.address
    assert factory.propertyOwner() == timelock.address
    assert factory.hasRole(DEFAULT_ADMIN_ROLE, timelock)
    assert not factory.hasRole(DEFAULT_ADMIN_ROLE, deployer)
    assert factory.hasRole(CREATOR, deployer)


def test_beacons_are_owned_by_the_timelock(project, suite, timelock):
    for name in ("PropertyTokenBeacon", "ModularComplianceBeacon", "DividendDistributorBeacon"):
        assert project.Beacon.at(suite["contracts"][name]["address"]).owner() == timelock.address


def test_create_property_wires_everything(created, factory, registry, timelock, agent, deployer):
    token, compliance, distributor, receipt = created
    data = property_input()
    assert factory.predictAddresses(data[0]) == (token.address, compliance.address, distributor.address)
    events = factory.PropertyCreated.from_receipt(receipt)
    assert len(events) == 1
    event = events[0]
    assert (event.token, event.propertyId, event.compliance, event.distributor) == (
        token.address,
        data[0],
        compliance.address,
        distributor.address,
    )
    assert token.compliance() == compliance.address
    assert token.dividendDistributor() == distributor.address
    assert token.identityRegistry() == registry.address
    assert compliance.getTokenBound() == token.address
    assert distributor.token() == token.address
    assert token.hasRole(DEFAULT_ADMIN_ROLE, timelock)
    for account in (factory, deployer, agent):
        assert not token.hasRole(DEFAULT_ADMIN_ROLE, account)


#: ERC-1967's beacon slot, where explorers look for a beacon proxy's beacon.


def test_property_proxies_are_erc1967_beacon_proxies(chain, project, created, suite):
    """Each of a property's three proxies holds its beacon in ERC-1967's beacon slot and announced it
    with ERC-1967's BeaconUpgraded, as OpenZeppelin's BeaconProxy does, so explorers see a proxy."""
    assert BEACON_SLOT == 0xA3F0AD74E5423AEBFD80D3EF4346578335A9A72AEAEE59FF6CB3582B35133D50
    token, compliance, distributor, receipt = created
    contracts = suite["contracts"]
    beacons = {
        token.address: contracts["PropertyTokenBeacon"]["address"],
        compliance.address: contracts["ModularComplianceBeacon"]["address"],
        distributor.address: contracts["DividendDistributorBeacon"]["address"],
    }
    for proxy, beacon in beacons.items():
        stored = chain.provider.get_storage(proxy, BEACON_SLOT)
        assert to_checksum_address(stored[-20:]) == beacon
    announced = [log for log in receipt.decode_logs(project.PropertyBeaconProxy.BeaconUpgraded)]
    assert {(log.contract_address, log.beacon) for log in announced} == set(beacons.items())
    for proxy, beacon in beacons.items():
        assert bytes(chain.provider.get_code(proxy)) == beacon_proxy_runtime(project, beacon)


def test_property_listing(created, factory):
    token, compliance, distributor, _ = created
    data = property_input()
    assert factory.propertyExists(data[0])
    assert not factory.propertyExists(keccak(text="nothing"))
    count = factory.propertyCount()
    assert factory.propertyIdAt(count - 1) == data[0]
    info = factory.property(data[0])
    assert (info.propertyId, info.token, info.compliance, info.distributor) == (
        data[0],
        token.address,
        compliance.address,
        distributor.address,
    )
    assert (info.name, info.symbol, info.decimals) == ("1 Main Street", "MAIN1", 18)
    assert (info.legalDocHash, info.legalDocURI) == (data[4], data[5])
    listed = factory.properties(0, 100)
    assert [p.propertyId for p in listed][-1] == data[0]
    assert len(factory.properties(count, 10)) == 0
    assert len(factory.properties(count - 1, 10)) == 1
    with reverts(factory.UnknownProperty, propertyId=keccak(text="nothing")):
        factory.property(keccak(text="nothing"))


def test_create_property_refusals(created, factory, deployer, outsider, agent):
    data = property_input()
    with reverts(factory.PropertyExists, propertyId=data[0]):
        factory.createProperty(data, (agent,) * 6, sender=deployer)
    with reverts(factory.InvalidPropertyId):
        factory.createProperty((bytes(32), *data[1:]), (agent,) * 6, sender=deployer)
    with reverts(factory.AccessControlUnauthorizedAccount, account=outsider, neededRole=CREATOR):
        factory.createProperty(property_input(b"NEW"), (agent,) * 6, sender=outsider)
    with reverts(factory.ZeroAddress):
        factory.setPropertyOwner(ZERO_ADDRESS, sender=factory.propertyOwner())


def test_agents_may_differ_or_be_absent(project, factory, deployer, outsider):
    agents = [to_checksum_address(bytes([i]) * 20) for i in (10, 11, 12, 13, 14)] + [ZERO_ADDRESS]
    data = property_input(b"AGENTS")
    factory.createProperty(data, agents, sender=deployer)
    token = project.PropertyToken.at(factory.predictAddresses(data[0])[0])
    names = ("MINTER_ROLE", "BURNER_ROLE", "FREEZER_ROLE", "FORCED_TRANSFER_ROLE", "RECOVERY_ROLE")
    for name, agent in zip(names, agents):
        assert token.hasRole(role(name), agent)
        assert [token.hasRole(role(other), agent) for other in names].count(True) == 1
    assert not token.hasRole(role("PAUSER_ROLE"), outsider)


def test_admin_functions(factory, created, admin, outsider, alice):
    data = property_input()
    receipt = factory.setLegalDocument(data[0], keccak(text="v2"), "ipfs://v2", sender=admin)
    assert len(factory.LegalDocumentUpdated.from_receipt(receipt)) == 1
    info = factory.property(data[0])
    assert (info.legalDocHash, info.legalDocURI) == (keccak(text="v2"), "ipfs://v2")
    with reverts(factory.UnknownProperty, propertyId=keccak(text="nothing")):
        factory.setLegalDocument(keccak(text="nothing"), keccak(text="v2"), "", sender=admin)
    factory.setPropertyOwner(alice, sender=admin)
    assert factory.propertyOwner() == alice.address
    for call in (
        lambda: factory.setLegalDocument(data[0], bytes(32), "", sender=outsider),
        lambda: factory.setPropertyOwner(outsider, sender=outsider),
    ):
        with reverts(factory.AccessControlUnauthorizedAccount, account=outsider, neededRole=DEFAULT_ADMIN_ROLE):
            call()


def test_one_beacon_upgrade_moves_every_property(
    project, factory, token_beacon, created, deployer, agent, admin, stablecoin, registry, alice
):
    token = created[0]
    other, *_ = create_property(project, factory, deployer, agent, property_id=b"SECOND")
    token.mint(alice, 5, sender=agent)
    v2 = deployer.deploy(project.PropertyTokenV2Mock, stablecoin, registry)
    token_beacon.upgradeTo(v2, sender=admin)
    for t in (token, other):
        assert project.PropertyTokenV2Mock.at(t.address).upgradeMarker() == 2
    assert token.balanceOf(alice) == 5  # storage kept
    with reverts(token_beacon.OwnableUnauthorizedAccount, account=deployer):
        token_beacon.upgradeTo(v2, sender=deployer)


def test_factory_refuses_a_mismatched_stablecoin(project, deployer, suite, registry, timelock):
    contracts = suite["contracts"]
    args = [contracts[n]["address"] for n in ("PropertyTokenBeacon", "ModularComplianceBeacon", "DividendDistributorBeacon")]
    with reverts(project.PropertyTokenFactory.StablecoinMismatch, stablecoin=registry.address):
        deployer.deploy(project.PropertyTokenFactory, *args, registry, registry, timelock, deployer)


def test_manifest_property_entries_validate(compiled):
    """A property listed in the manifest is a valid factory-made entry on every network."""
    import importlib.util
    from pathlib import Path

    from rwa.deploy.manifest import Manifest, validate

    path = Path(__file__).resolve().parents[2] / "deployments" / "manifest.py"
    spec = importlib.util.spec_from_file_location("property_manifest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entry = module.property_entry("Property_Test", "TEST-1", "1 Test Street", "TEST1", legal_doc_uri="ipfs://x")
    manifest = Manifest(contracts=module.MANIFEST.contracts + (entry,), networks=module.MANIFEST.networks)
    assert validate(manifest, "local", compiled) == []
    for network in manifest.networks:
        # Live networks still wait for their Safe owners; the property entry itself must be valid.
        assert [p for p in validate(manifest, network, compiled) if "Property_Test" in p] == [], network
