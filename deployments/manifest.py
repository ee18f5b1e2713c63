"""The deployment manifest: what must exist on each network.

`rwa deploy` (and `ape run deploy`, and the test fixtures) make a network match this file. Entries
are deployed in dependency order; arguments may refer to other entries (`ref`), to named accounts
(`account`), to per-network parameters (`param`) and to role ids (`role`). Each post-deploy call
names a view check, so a rerun skips calls whose effect already holds.
"""

from typing import Any

from eth_utils import keccak

from rwa.deploy.manifest import (
    Call,
    Check,
    Contract,
    FactoryCall,
    Manifest,
    Network,
    ProxyKind,
    account,
    encoded,
    param,
    ref,
    role,
)

DEFAULT_ADMIN_ROLE = bytes(32)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# Live networks: the stablecoin is Circle's USDC and Safe v1.4.1 is its canonical deployment.
# The owners and thresholds of both Safes, the attestor and the sanctions officer must be named
# here before a real deploy: until then `rwa deploy --plan` lists them as missing parameters.
LIVE_PARAMS = {
    "timelock_delay": 2 * 24 * 3600,
    "safe_singleton": "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762",
    "safe_factory": "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67",
    "multisend": "0x9641d764fc13c8B624c04430C7356C1C7C8102e2",
    "property_creator": account("deployer"),
    "property_agent": account("deployer"),
    "property_pauser": ref("GuardianSafe"),
    "guardian": ref("GuardianSafe"),
    "vault_operator": account("deployer"),
}

NETWORKS = {
    "local": Network(
        name="local",
        ape_choice="ethereum:local:foundry",
        local=True,
        accounts={
            "attestor": "test:1",
            "sanctions_officer": "test:2",
            "owner1": "test:3",
            "owner2": "test:4",
            "owner3": "test:5",
            "guardian1": "test:6",
            "athlete": "test:8",
            # A brand for local NIL deals (`rwa deal propose ... --account brand`, its default there).
            "brand": "test:9",
        },
        params={
            "timelock_delay": 0,
            "attestor": account("attestor"),
            "sanctions_officer": account("sanctions_officer"),
            "stablecoin": ref("MockStablecoin"),
            "safe_singleton": ref("SafeSingleton"),
            "safe_factory": ref("SafeProxyFactory"),
            "multisend": ref("MultiSend"),
            "safe_owners": [account("owner1"), account("owner2"), account("owner3")],
            "safe_threshold": 2,
            "guardian_owners": [account("owner1"), account("guardian1")],
            "guardian_threshold": 1,
            "property_creator": account("deployer"),
            "property_agent": account("deployer"),
            "property_pauser": ref("GuardianSafe"),
            # The guardian Safe pauses vaults as it pauses properties; the deployer creates vaults.
            "guardian": ref("GuardianSafe"),
            "vault_operator": account("deployer"),
        },
    ),
    "sepolia": Network(
        name="sepolia",
        ape_choice="ethereum:sepolia:node",
        params={**LIVE_PARAMS, "timelock_delay": 3600, "stablecoin": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238"},
    ),
    "mainnet": Network(
        name="mainnet",
        ape_choice="ethereum:mainnet:node",
        params={**LIVE_PARAMS, "stablecoin": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"},
    ),
    "polygon": Network(
        name="polygon",
        ape_choice="polygon:mainnet:node",
        params={**LIVE_PARAMS, "stablecoin": "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"},
    ),
    "amoy": Network(
        name="amoy",
        ape_choice="polygon:amoy:node",
        params={**LIVE_PARAMS, "timelock_delay": 3600, "stablecoin": "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582"},
    ),
}

def grant(role_id: Any, holder: Any, target: str | None = None) -> Call:
    """Grant a role unless the holder has it already."""
    return Call("grantRole", (role_id, holder), check=Check("hasRole", (role_id, holder)), target=target)


def hand_over_to_timelock(target: str | None = None) -> tuple[Call, Call]:
    """The timelock takes the admin role, then the deployer gives up its own: keep these last."""
    deployer_is_admin = Check("hasRole", (DEFAULT_ADMIN_ROLE, account("deployer")), expect=False)
    return (
        grant(DEFAULT_ADMIN_ROLE, ref("Timelock"), target),
        Call("renounceRole", (DEFAULT_ADMIN_ROLE, account("deployer")), check=deployer_is_admin, target=target),
    )


def safe(name: str, owners: str, threshold: str, salt_nonce: int) -> Contract:
    """A Safe v1.4.1 proxy made by the Safe factory, set up with its owners and threshold."""
    setup = encoded(
        "SafeL2", "setup", param(owners), param(threshold), ZERO_ADDRESS, b"", ZERO_ADDRESS, ZERO_ADDRESS, 0, ZERO_ADDRESS
    )
    return Contract(
        name,
        "SafeL2",
        created_by=FactoryCall(
            param("safe_factory"), "createProxyWithNonce", (param("safe_singleton"), setup, salt_nonce), "ProxyCreation"
        ),
    )


CONTRACTS = (
    Contract("MockStablecoin", networks={"local"}),
    # Safe v1.4.1 itself, from the bytecode ape-safe ships; live networks use the canonical one.
    Contract("SafeSingleton", "SafeL2", networks={"local"}),
    Contract("SafeProxyFactory", networks={"local"}),
    Contract("MultiSend", "MultiSendCallOnly", networks={"local"}),
    # The admins' Safe proposes to (and executes on) the timelock, which holds every admin role;
    # the guardian Safe, with a lower threshold, holds the pauser roles and acts at once.
    safe("Safe", "safe_owners", "safe_threshold", 1),
    safe("GuardianSafe", "guardian_owners", "guardian_threshold", 2),
    Contract("Timelock", args=(param("timelock_delay"), [ref("Safe")], [ref("Safe")], ZERO_ADDRESS)),
    Contract(
        "ComplianceRegistry",
        proxy=ProxyKind.UUPS,
        initializer="initialize",
        init_args=(account("deployer"),),
        calls=(
            grant(role("ATTESTOR_ROLE"), param("attestor")),
            grant(role("SANCTIONS_ROLE"), param("sanctions_officer")),
            *hand_over_to_timelock(),
        ),
    ),
    # ---- NIL deals (issue 4) ----
    # The revenue splitter implementation (Vyper) and the factory of its EIP-1167 clones.
    # Neither has an owner: splits are immutable and creation is permissionless.
    Contract("RevenueSplitter", args=(ref("ComplianceRegistry"),)),
    Contract("SplitterFactory", args=(ref("RevenueSplitter"),)),
    # The vault factory holds the roles every vault obeys; the deployer sets it up (below, with the
    # beacon) and then hands DEFAULT_ADMIN_ROLE to the timelock.
    Contract(
        "NILVaultFactory",
        args=(account("deployer"),),
        calls=(
            grant(role("OPERATOR_ROLE"), param("vault_operator")),
            grant(role("GUARDIAN_ROLE"), param("guardian")),
        ),
    ),
    # The deal NFT collection: only the factory's vaults mint.
    Contract("ContractNFT", args=(ref("NILVaultFactory"),)),
    # The vault implementation and its beacon (owned by the timelock: one upgrade moves every vault).
    Contract(
        "NILVaultBeacon",
        "NILVault",
        args=(ref("ComplianceRegistry"), ref("NILVaultFactory"), ref("ContractNFT"), ref("SplitterFactory")),
        proxy=ProxyKind.BEACON,
        admin=ref("Timelock"),
        # Calls on the factory, declared here because they need the beacon.
        calls=(
            Call(
                "setBeacon",
                (ref("NILVaultBeacon"),),
                check=Check("beacon", (), expect=ref("NILVaultBeacon")),
                target="NILVaultFactory",
            ),
            *hand_over_to_timelock("NILVaultFactory"),
        ),
    ),
)

# Tokenized property: one beacon per contract kind (owned by the timelock, so one upgrade moves every
# property) and the factory that creates each property's token, compliance and distributor.
PROPERTY_CONTRACTS = (
    Contract(
        "PropertyTokenBeacon",
        "PropertyToken",
        # The implementation's immutables: the dividend stablecoin and the default identity registry.
        args=(param("stablecoin"), ref("ComplianceRegistry")),
        proxy=ProxyKind.BEACON,
        admin=ref("Timelock"),
    ),
    Contract("ModularComplianceBeacon", "ModularCompliance", proxy=ProxyKind.BEACON, admin=ref("Timelock")),
    Contract(
        "DividendDistributorBeacon",
        "DividendDistributor",
        args=(param("stablecoin"),),
        proxy=ProxyKind.BEACON,
        admin=ref("Timelock"),
    ),
    Contract(
        "PropertyTokenFactory",
        args=(
            ref("PropertyTokenBeacon"),
            ref("ModularComplianceBeacon"),
            ref("DividendDistributorBeacon"),
            ref("ComplianceRegistry"),
            param("stablecoin"),
            ref("Timelock"),
            account("deployer"),
        ),
        calls=(
            grant(role("CREATOR_ROLE"), param("property_creator")),
            *hand_over_to_timelock(),
        ),
    ),
)


def property_entry(
    name: str,
    property_id: str,
    token_name: str,
    symbol: str,
    *,
    decimals: int = 18,
    legal_doc_hash: bytes = bytes(32),
    legal_doc_uri: str = "",
    networks: set[str] | None = None,
) -> Contract:
    """A property (token, compliance and distributor) that the factory creates on the listed networks.

    The entry's address is the token's; the property id on chain is ``keccak256(property_id)``. The
    agent roles go to the network's ``property_agent``, pausing to ``property_pauser`` (the guardian
    Safe); ownership goes to the timelock.
    """
    return Contract(
        name,
        "PropertyToken",
        created_by=FactoryCall(
            ref("PropertyTokenFactory"),
            "createProperty",
            (
                (keccak(text=property_id), token_name, symbol, decimals, legal_doc_hash, legal_doc_uri),
                # Minter, burner, freezer, forced transfer and recovery agents; the guardian Safe pauses.
                (param("property_agent"),) * 5 + (param("property_pauser"),),
            ),
            "PropertyCreated",
        ),
        networks=networks,
    )


# Properties each network must have, e.g.
#   property_entry("Property_MainSt1", "MAIN-ST-1", "1 Main Street", "MAIN1",
#                  legal_doc_hash=bytes.fromhex("..."), legal_doc_uri="ipfs://...", networks={"sepolia"}),
# (`rwa property create` makes others without touching this file.)
PROPERTIES: tuple[Contract, ...] = (
    property_entry("DemoProperty", "DEMO-1", "1 Demo Street", "DEMO1", networks={"local"}),
)


def vault_entry(name: str, athlete_id: str, athlete: Any, *, networks: set[str] | None = None) -> Contract:
    """An athlete's vault that the vault factory creates (at the address `predictVault` gives)."""
    return Contract(
        name,
        "NILVault",
        created_by=FactoryCall(
            ref("NILVaultFactory"), "createVault", (keccak(text=athlete_id), athlete, ZERO_ADDRESS), "VaultCreated"
        ),
        after=("NILVaultBeacon",),  # the factory needs its beacon set
        networks=networks,
    )


VAULTS: tuple[Contract, ...] = (vault_entry("DemoVault", "demo-athlete", account("athlete"), networks={"local"}),)

MANIFEST = Manifest(contracts=CONTRACTS + PROPERTY_CONTRACTS + PROPERTIES + VAULTS, networks=NETWORKS)
