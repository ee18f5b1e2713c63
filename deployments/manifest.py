"""The deployment manifest: what must exist on each network.

`rwa deploy` (and `ape run deploy`, and the test fixtures) make a network match this file. Entries
are deployed in dependency order; arguments may refer to other entries (`ref`), to named accounts
(`account`), to per-network parameters (`param`) and to role ids (`role`). Each post-deploy call
names a view check, so a rerun skips calls whose effect already holds.
"""

from rwa.manifest import Call, Check, Contract, Manifest, Network, ProxyKind, account, param, ref, role

DEFAULT_ADMIN_ROLE = bytes(32)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# Live networks: the stablecoin is Circle's USDC. The attestor and sanctions officer default to
# the deploying account; name dedicated wallets here before a real deploy.
LIVE_PARAMS = {
    "timelock_delay": 2 * 24 * 3600,
    "timelock_proposers": [account("deployer")],
    "timelock_executors": [account("deployer")],
    "attestor": account("deployer"),
    "sanctions_officer": account("deployer"),
}

NETWORKS = {
    "local": Network(
        name="local",
        ape_choice="ethereum:local:foundry",
        local=True,
        accounts={"attestor": "test:1", "sanctions_officer": "test:2"},
        params={
            "timelock_delay": 0,
            "timelock_proposers": [account("deployer")],
            "timelock_executors": [account("deployer")],
            "attestor": account("attestor"),
            "sanctions_officer": account("sanctions_officer"),
            "stablecoin": ref("MockStablecoin"),
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

CONTRACTS = (
    Contract("MockStablecoin", networks={"local"}),
    Contract(
        "Timelock",
        args=(param("timelock_delay"), param("timelock_proposers"), param("timelock_executors"), ZERO_ADDRESS),
    ),
    Contract(
        "ComplianceRegistry",
        proxy=ProxyKind.UUPS,
        initializer="initialize",
        init_args=(account("deployer"),),
        calls=(
            Call(
                "grantRole",
                (role("ATTESTOR_ROLE"), param("attestor")),
                check=Check("hasRole", (role("ATTESTOR_ROLE"), param("attestor"))),
            ),
            Call(
                "grantRole",
                (role("SANCTIONS_ROLE"), param("sanctions_officer")),
                check=Check("hasRole", (role("SANCTIONS_ROLE"), param("sanctions_officer"))),
            ),
            Call(
                "grantRole",
                (DEFAULT_ADMIN_ROLE, ref("Timelock")),
                check=Check("hasRole", (DEFAULT_ADMIN_ROLE, ref("Timelock"))),
            ),
            # Last: the deployer gives up the admin role once the timelock holds it.
            Call(
                "renounceRole",
                (DEFAULT_ADMIN_ROLE, account("deployer")),
                check=Check("hasRole", (DEFAULT_ADMIN_ROLE, account("deployer")), expect=False),
            ),
        ),
    ),
)

MANIFEST = Manifest(contracts=CONTRACTS, networks=NETWORKS)
