"""The deployment manifest: what must exist on each network.

`rwa deploy` (and `ape run deploy`, and the test fixtures) make a network match this file. Entries
are deployed in dependency order; arguments may refer to other entries (`ref`), to named accounts
(`account`), to per-network parameters (`param`) and to role ids (`role`). Each post-deploy call
names a view check, so a rerun skips calls whose effect already holds.
"""

import os
import runpy
from pathlib import Path
from typing import Any

from eth_utils import keccak

from rwa.deploy.manifest import (
    Call,
    Check,
    Contract,
    External,
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
from rwa.deploy.powers import AGENT_PARAMS

DEFAULT_ADMIN_ROLE = bytes(32)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# ---- live networks ----
# Safe v1.4.1 at its canonical addresses, with the runtime code hashes safe-deployments publishes
# (src/assets/v1.4.1/*.json); the project's own build of the same contracts is accepted too.
SAFE_SINGLETON = External(
    "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762", "0xb1f926978a0f44a2c0ec8fe822418ae969bd8c3f18d61e5103100339894f81ff"
)
SAFE_PROXY_FACTORY = External(
    "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67", "0x50c3cdc4074750a7a974204a716c999edd37482f907608d960b2b025ee0b3317"
)
MULTISEND_CALL_ONLY = External(
    "0x9641d764fc13c8B624c04430C7356C1C7C8102e2", "0xecd5bd14a08c5d2122379900b2f272bdf107a7e92423c10dd5fe3254386c9939"
)
# The fallback handler that makes a Safe answer ERC-1271 (so a Safe can sign market orders); only its
# presence is checked.
SAFE_FALLBACK_HANDLER = External("0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99")

#: Each live network: its Ape choice, Circle's USDC there (developers.circle.com, "USDC Contract
#: Addresses"; a proxy, so only its presence is checked), the native currency and the timelock delay.
LIVE = {
    "sepolia": ("ethereum:sepolia:node", "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "ETH", 3600),
    "mainnet": ("ethereum:mainnet:node", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "ETH", 2 * 24 * 3600),
    "polygon": ("polygon:mainnet:node", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", "POL", 2 * 24 * 3600),
    "amoy": ("polygon:amoy:node", "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582", "POL", 3600),
    "base": ("base:mainnet:node", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "ETH", 2 * 24 * 3600),
    "base-sepolia": ("base:sepolia:node", "0x036CbD53842c5426634e7929541eC2318f3dCF7e", "ETH", 3600),
}

#: Blocks after which a fan's payment counts as confirmed (`rwa history payments`): Ethereum's 12 (about
#: two and a half minutes), and as long in time on the 2-second blocks of Polygon and Base.
PAYMENT_CONFIRMATIONS = {"sepolia": 12, "mainnet": 12, "polygon": 72, "amoy": 72, "base": 72, "base-sepolia": 72}

#: What only a team can choose: who owns the Safes, who attests, who operates. Required on every live
#: network (`rwa deploy --plan` lists those missing) and never defaulted to the deploying key. Each of
#: the five agent powers over properties has its own (rwa/deploy/powers.py): burn, forced transfer and
#: recovery must name a contract (a Safe) there, and a deploy is refused when one names a key. They
#: come from deployments/params/<network>.py (`PARAMS = {...}`; RWA_PARAMS_DIR names another
#: folder): deployments/examples/sepolia.params.py is a filled-in example.
TEAM_PARAMS = (
    "safe_owners",
    "safe_threshold",
    "guardian_owners",
    "guardian_threshold",
    "attestor",
    "sanctions_officer",
    *AGENT_PARAMS,
    "property_creator",
    "vault_operator",
    "treasury",
)
PARAMS_DIR = Path(os.environ.get("RWA_PARAMS_DIR") or Path(__file__).resolve().parent / "params")


def team_params(network: str) -> dict[str, Any]:
    """The team's parameters for a live network, from ``<PARAMS_DIR>/<network>.py`` (none: {})."""
    path = PARAMS_DIR / f"{network}.py"
    return dict(runpy.run_path(str(path)).get("PARAMS", {})) if path.is_file() else {}


def live_network(name: str) -> Network:
    ape_choice, _, currency, delay = LIVE[name]
    params = {
        "timelock_delay": delay,
        "stablecoin": ref("Stablecoin"),
        "safe_singleton": ref("SafeSingleton"),
        "safe_factory": ref("SafeProxyFactory"),
        "multisend": ref("MultiSend"),
        # The guardian Safe pauses properties and vaults at once.
        "property_pauser": ref("GuardianSafe"),
        "guardian": ref("GuardianSafe"),
        "payment_confirmations": PAYMENT_CONFIRMATIONS[name],
        **team_params(name),
    }
    return Network(name=name, ape_choice=ape_choice, params=params, required=TEAM_PARAMS, currency=currency)


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
            # A fan who tips and subscribes (`rwa vault tip ... --account fan`, its default there).
            "fan": "test:7",
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
            # Local only: the deployer creates properties and vaults and holds the demo property's five agent powers.
            "property_creator": account("deployer"),
            **dict.fromkeys(AGENT_PARAMS, account("deployer")),
            "property_pauser": ref("GuardianSafe"),
            # The guardian Safe pauses vaults as it pauses properties; the deployer creates vaults.
            "guardian": ref("GuardianSafe"),
            "vault_operator": account("deployer"),
            # Where market fees (and offering proceeds) go: the admins' Safe locally; a Safe the team names live.
            "treasury": ref("Safe"),
        },
    ),
    **{name: live_network(name) for name in LIVE},
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
    # Live networks' stablecoin: Circle's USDC, which exists there (any ERC-20's ABI will do).
    Contract("Stablecoin", "MockStablecoin", networks=set(LIVE), external={n: External(LIVE[n][1]) for n in LIVE}),
    # Safe v1.4.1: local chains deploy the bytecode ape-safe ships; live networks refer to the canonical one.
    Contract("SafeSingleton", "SafeL2", external=dict.fromkeys(LIVE, SAFE_SINGLETON)),
    Contract("SafeProxyFactory", external=dict.fromkeys(LIVE, SAFE_PROXY_FACTORY)),
    Contract("MultiSend", "MultiSendCallOnly", external=dict.fromkeys(LIVE, MULTISEND_CALL_ONLY)),
    # The admins' Safe proposes to (and executes on) the timelock, which holds every admin role;
    # the guardian Safe, with a lower threshold, holds the pauser roles and acts at once.
    safe("Safe", "safe_owners", "safe_threshold", 1),
    safe("GuardianSafe", "guardian_owners", "guardian_threshold", 2),
    # The guardian Safe may cancel what the admins' Safe scheduled: a veto while the delay runs, should
    # the admins' keys be lost. The timelock administers itself, so the grant is its own act.
    Contract(
        "Timelock",
        args=(param("timelock_delay"), [ref("Safe")], [ref("Safe")], ZERO_ADDRESS),
        calls=(
            Call(
                "grantRole",
                (role("CANCELLER_ROLE"), ref("GuardianSafe")),
                check=Check("hasRole", (role("CANCELLER_ROLE"), ref("GuardianSafe"))),
                by=ref("Timelock"),
            ),
        ),
    ),
    # Behind its own UUPS proxy, which answers the screening views without delegating (so the
    # record layout is frozen). A registry deployed before keeps its UUPSProxy: the engine checks the kind.
    Contract(
        "ComplianceRegistry",
        proxy=ProxyKind.UUPS,
        proxy_contract="ComplianceRegistryProxy",
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
    # Fans' payments hub (issue 26): tips, orders and memberships (ERC-5643 subscription NFTs) of every
    # vault; no owner, athletes make plans, the factory's admin sets AML thresholds. Before the vault
    # implementation, which names it (a vault tells it of every change of its splitter or pause).
    # Named NILMemberships until it took tips and orders too: a deployment recording it so is adopted.
    Contract("FanPayments", args=(ref("ComplianceRegistry"), ref("NILVaultFactory")), formerly=("NILMemberships",)),
    # The vault implementation and its beacon (owned by the timelock: one upgrade moves every vault).
    Contract(
        "NILVaultBeacon",
        "NILVault",
        args=(
            ref("ComplianceRegistry"),
            ref("NILVaultFactory"),
            ref("ContractNFT"),
            ref("SplitterFactory"),
            ref("FanPayments"),
        ),
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
            # The constructor makes the deployer a creator too; on live networks it gives that up.
            Call(
                "renounceRole",
                (role("CREATOR_ROLE"), account("deployer")),
                check=Check("hasRole", (role("CREATOR_ROLE"), account("deployer")), expect=False),
                networks=set(LIVE),
            ),
            *hand_over_to_timelock(),
        ),
    ),
    # Primary offerings (issue 19): the implementation each offering is a clone of, and the factory
    # that makes them (no owner: a property's admin or agents create its offerings), paying every
    # offering's proceeds to the network's treasury.
    Contract("PropertyOffering"),
    Contract("PropertyOfferingFactory", args=(ref("PropertyOffering"), param("treasury"))),
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

    The entry's address is the token's; the property id on chain is ``keccak256(property_id)``. Each
    agent role goes to its network parameter (``property_minter`` ... ``property_recovery``), pausing to
    ``property_pauser`` (the guardian Safe); ownership goes to the timelock.
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
                tuple(param(p) for p in AGENT_PARAMS) + (param("property_pauser"),),
            ),
            "PropertyCreated",
        ),
        networks=networks,
    )


# Properties each network must have, e.g.
#   property_entry("Property_MainSt1", "MAIN-ST-1", "1 Main Street", "MAIN1",
#                  legal_doc_hash=bytes.fromhex("..."), legal_doc_uri="ipfs://...", networks={"sepolia"}),
# (`rwa property create` makes others without touching this file.)
PROPERTIES: tuple[Contract, ...] = (property_entry("DemoProperty", "DEMO-1", "1 Demo Street", "DEMO1", networks={"local"}),)


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

# ---- secondary market (issue 20) ----
# Signed orders settled in one transaction, both legs compliance-checked; fees to the treasury. The
# timelock sets fees and approvers and upgrades it. Last in the manifest, so that adding them moved
# no address the deployer had made. The property tokens check every spender against
# the registry, so an attestor registers the market once (`rwa kyc register`) before its first trade.
MARKET_CONTRACTS = (
    # Makes a Safe answer ERC-1271, so that a Safe can sign orders (a Safe set up with it, or that sets it).
    Contract("SafeFallbackHandler", "CompatibilityFallbackHandler", external=dict.fromkeys(LIVE, SAFE_FALLBACK_HANDLER)),
    Contract(
        "PropertyMarket",
        args=(param("stablecoin"), param("treasury")),
        proxy=ProxyKind.UUPS,
        initializer="initialize",
        init_args=(ref("Timelock"),),
    ),
)

MANIFEST = Manifest(contracts=CONTRACTS + PROPERTY_CONTRACTS + PROPERTIES + VAULTS + MARKET_CONTRACTS, networks=NETWORKS)
