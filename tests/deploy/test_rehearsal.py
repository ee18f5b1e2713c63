"""A rehearsal of a live deploy (tests/support/rehearsal.py): the whole manifest to a chain that presents
itself as Sepolia, as an operator runs it (real `rwa` processes, a keystore account unlocked from
APE_ACCOUNTS_<ALIAS>_PASSPHRASE, --yes), then a Safe proposal through it (its `rwa safe execute` killed and
rerun). Before that, each bad input is refused with one line and nothing sent: missing team parameters, a development key, a
wrong passphrase, an external contract whose code is not what the manifest expects.

The tests of this module share one chain and run in order (make test runs them beside the rest,
with the live-like scenarios). Its blocks come every quarter of a second (livelike.FAST_BLOCK_TIME): nothing
here depends on the block time, and the same deploy and killed `rwa safe execute` run on one-second blocks on
Hardhat's node (test_rehearsal_nodes.py)."""

from __future__ import annotations

import json
import os
import time

import pytest
from eth_abi import encode
from eth_utils import keccak
from livelike import FAST_BLOCK_TIME, ROOT, base_port
from rehearsal import NETWORK, RWA, rehearsal

from rwa.core.devkeys import DEVELOPMENT_ADDRESSES

pytestmark = pytest.mark.slow  # `rwa` processes against a live-like chain

ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#: Keystore accounts beyond the deployer and the Safe owners: the team's attestor and property agent (the
#: parameters name their addresses) and two investors, for the primary offering run through `rwa`.
PEOPLE = ("attestor", "agent", "investor1", "investor2")
USDC = 10**6
E18 = 10**18


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    keys = {"friendly": ANVIL_KEY_0, **{alias: "0x" + os.urandom(32).hex() for alias in PEOPLE}}
    home = tmp_path_factory.mktemp("sepolia")
    with rehearsal(base_port(), home, params=False, extra_keys=keys, block_time=FAST_BLOCK_TIME) as found:
        for alias in PEOPLE:
            found.chain.rpc("anvil_setBalance", found.address(alias), hex(10**19))
        yield found


def refused(staged, *args, env=None) -> str:
    """A refusal: exit 1, one `error:` line, and the deployer sent nothing."""
    done = staged.rwa(*args, expect=1, env=env)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert staged.chain.mined_nonce(staged.address("ops")) == 0
    return lines[0]


def test_missing_team_parameters_are_listed_by_the_plan(staged):
    # No account is needed to plan, and --rpc-url stands in for SEPOLIA_RPC_URL.
    done = staged.rwa(
        "deploy", "--network", NETWORK, "--plan", "--rpc-url", staged.chain.url, expect=1, env={"SEPOLIA_RPC_URL": ""}
    )
    for key in (
        "safe_owners",
        "safe_threshold",
        "attestor",
        "sanctions_officer",
        "property_minter",
        "property_forced_transfer",
        "property_creator",
        "vault_operator",
    ):
        assert f"missing parameter '{key}' for network sepolia" in done.stderr, done.stderr
    staged.write_params()


def test_a_development_key_is_refused_whatever_its_name(staged):
    assert staged.address("friendly") == DEVELOPMENT_ADDRESSES[0]
    line = refused(staged, "deploy", "--network", NETWORK, "--account", "friendly", "--plan")
    assert "development key 0 of the well-known test mnemonic" in line and "refused on sepolia" in line


def test_a_wrong_passphrase_is_one_line(staged):
    line = refused(
        staged, "deploy", "--network", NETWORK, "--account", "ops", "--yes", env={"APE_ACCOUNTS_ops_PASSPHRASE": "wrong"}
    )
    assert "wrong passphrase for Ape account 'ops' (APE_ACCOUNTS_ops_PASSPHRASE)" in line


def test_external_code_that_does_not_match_is_refused(staged):
    factory = "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67"
    kept = staged.chain.rpc("eth_getCode", factory, "latest")
    staged.chain.rpc("anvil_setCode", factory, "0x6001600155")
    try:
        line = refused(staged, "deploy", "--network", NETWORK, "--account", "ops", "--yes")
        assert f"SafeProxyFactory: the code at {factory} on sepolia has hash" in line and "nothing was sent" in line
    finally:
        staged.chain.rpc("anvil_setCode", factory, kept)


def test_a_key_holding_burn_forced_transfer_or_recovery_is_refused(staged):
    """Issue 21: on a live network those three powers go to a contract (a Safe); a key is refused before anything
    is sent (`rwa property create` too, below). Mint and freeze may be a key (the rehearsal's are)."""
    key = staged.people["agent"]
    params = staged.home / "params" / f"{NETWORK}.py"
    good = params.read_text()
    try:
        for param, power in (("property_forced_transfer", "forced transfer"), ("property_recovery", "recovery")):
            params.write_text(good + f"PARAMS[{param!r}] = {key!r}\n")
            line = refused(staged, "deploy", "--network", NETWORK, "--account", "ops", "--plan")
            assert line == (
                f"error: the {power} power ({param}) would go to {key}, a key: on sepolia it must be held by a "
                "contract (a Safe of the team's); nothing was sent"
            )
    finally:
        params.write_text(good)


def test_no_terminal_and_no_yes_is_refused(staged):
    line = refused(staged, "deploy", "--network", NETWORK, "--account", "ops")
    assert "asks for confirmation and there is no terminal to ask on: pass --yes" in line


def test_a_deploy_asks_once_at_a_terminal_and_no_sends_nothing(staged):
    import pexpect

    child = pexpect.spawn(
        RWA, ["deploy", "--network", NETWORK, "--account", "ops"], env=staged.env, encoding="utf-8", timeout=120
    )
    child.expect(r"Send these (\d+) step\(s\) to sepolia\? \[y/N\]")
    assert int(child.match.group(1)) > 20 and "estimated:" in child.before
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and "error: not confirmed: nothing was sent" in child.before
    assert staged.chain.mined_nonce(staged.address("ops")) == 0


def test_the_whole_manifest_deploys_with_yes(staged):
    done = staged.rwa("deploy", "--network", NETWORK, "--account", "ops", "--yes")
    assert "Sign:" not in done.stdout + done.stderr and "passphrase" not in done.stdout.lower()
    assert "estimated:" in done.stdout and "used:" in done.stdout, done.stdout
    record = staged.record()
    externals = {n for n, c in record["contracts"].items() if c.get("external")}
    assert externals == {"SafeSingleton", "SafeProxyFactory", "MultiSend", "Stablecoin", "SafeFallbackHandler"}
    assert record["contracts"]["Safe"]["createdBy"]["address"] == "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67"
    assert "MockStablecoin" not in record["contracts"]


def test_a_property_is_not_created_with_a_key_holding_burn(staged):
    key, ops = staged.people["agent"], staged.address("ops")
    sent = staged.chain.mined_nonce(ops)
    done = staged.rwa(
        "property",
        "create",
        "KEY-1",
        "--name",
        "k",
        "--symbol",
        "K",
        "--network",
        NETWORK,
        "--account",
        "ops",
        "--agent",
        key,
        "--pauser",
        key,
        expect=1,
    )
    assert staged.chain.mined_nonce(ops) == sent
    assert done.stderr.strip() == (
        f"error: the burn power (property_burner) would go to {key}, a key: on sepolia it must be held by a "
        "contract (a Safe of the team's); nothing was sent"
    )


def test_the_deployer_keeps_no_power_and_status_flags_single_keys(staged):
    status = json.loads(staged.rwa("status", "--network", NETWORK, "--json").stdout)
    ops = staged.address("ops")
    assert not [p for p in status["control"]["powers"] if p["holder"] == ops]
    single = {(p["contract"], p["power"]) for p in status["control"]["singleKey"]}
    # The rehearsal's team named one key as creator and operator: flagged, as an operational power.
    assert ("PropertyTokenFactory", "CREATOR_ROLE") in single and ("NILVaultFactory", "OPERATOR_ROLE") in single
    assert not [p for p in single if p[1] in ("DEFAULT_ADMIN_ROLE", "owner")]


def test_a_safe_proposal_runs_through_the_rehearsed_deployment(staged):
    """Its `rwa safe execute` is killed while the execTransaction waits in the pool, then rerun: the rerun
    waits for it and nothing is sent twice (tests/deploy/test_rehearsal_nodes.py does the same on Hardhat's node)."""
    newcomer = staged.people["guardian"]
    proposal = staged.propose_and_sign(f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {newcomer})", "second attestor")
    executor = staged.address("owner1")
    before = staged.chain.mined_nonce(executor)
    results = staged.execute_killed_then_rerun(proposal)
    assert results[0]["status"] == "executed", results[0]
    assert len(results) == 2  # the timelock operation, executable once its delay (an hour on Sepolia) has passed
    assert staged.chain.mined_nonce(executor) == before + 1  # one execTransaction: none sent a second time
    after_the_delay(staged, results[1]["id"])  # the Safe's next nonce is free for the tests that follow


def test_the_rehearsed_deployment_is_verified_on_the_loopback_explorer(staged):
    """Every contract the deploy created is verified on a loopback Etherscan that checks each
    submission against the project and the chain; the networks' own contracts are left to their
    publishers, and a second run sends nothing."""
    from rwa.testing.explorer import FakeExplorer

    with FakeExplorer(staged.chain.url, ROOT, key="rehearsal-key") as explorer:
        env = {"RWA_EXPLORER_URL": explorer.url, "ETHERSCAN_API_KEY": "rehearsal-key"}
        first = json.loads(staged.rwa("verify", "--network", NETWORK, "--json", env=env).stdout)
        statuses = {c["contract"]: c["status"] for c in first["contracts"]}
        assert {statuses[name] for name in ("SafeSingleton", "SafeProxyFactory", "MultiSend", "Stablecoin")} == {"unsupported"}
        assert statuses["ComplianceRegistry"] == statuses["PropertyTokenFactory"] == "verified", statuses
        assert "failed" not in statuses.values(), statuses
        assert first["submissions"] >= len(explorer.verified) > 10  # proxies are linked too
        again = json.loads(staged.rwa("verify", "--network", NETWORK, "--json", env=env).stdout)
        assert again["submissions"] == 0
    assert staged.record()["contracts"]["ComplianceRegistry"]["verified"]["status"] == "verified"


def through_the_timelock(staged, proposal_id: str) -> None:
    """Two owners sign and execute a proposal through the Safe: the timelock schedules it; after its delay (an
    hour on Sepolia, skipped on the chain's clock) the follow-up proposal executes it."""
    net = ("--network", NETWORK)
    for owner in ("owner1", "owner2"):
        staged.rwa("safe", "sign", proposal_id, *net, "--account", owner)
    scheduled = json.loads(staged.rwa("safe", "execute", proposal_id, *net, "--account", "owner1", "--json").stdout)
    assert scheduled[0]["status"] == "executed" and len(scheduled) == 2, scheduled
    after_the_delay(staged, scheduled[1]["id"])


def after_the_delay(staged, follow_up_id: str) -> None:
    """The timelock's delay passes (on the chain's clock) and two owners sign and execute the follow-up
    proposal that runs the scheduled operation."""
    net = ("--network", NETWORK)
    staged.chain.rpc("evm_increaseTime", 3601)
    staged.chain.wait_for_block()
    for owner in ("owner1", "owner2"):
        staged.rwa("safe", "sign", follow_up_id, *net, "--account", owner)
    executed = json.loads(staged.rwa("safe", "execute", follow_up_id, *net, "--account", "owner1", "--json").stdout)
    assert executed[0]["status"] == "executed", executed


def faucet(staged, coin: str, wallet: str, amount: int) -> None:
    """The stand-in USDC (the local mock's code at USDC's Sepolia address) mints to ``wallet``, sent as it."""
    data = "0x" + (keccak(text="mint(address,uint256)")[:4] + encode(["address", "uint256"], [wallet, amount])).hex()
    staged.chain.rpc("anvil_impersonateAccount", wallet)
    sent = staged.chain.rpc("eth_sendTransaction", {"from": wallet, "to": coin, "data": data})
    staged.chain.rpc("anvil_stopImpersonatingAccount", wallet)
    deadline = time.monotonic() + 30
    while staged.chain.rpc("eth_getTransactionReceipt", sent) is None:
        assert time.monotonic() < deadline, "the faucet's mint was not mined"
        time.sleep(0.2)


def minter_role_held(staged, token: str, offering: str) -> bool:
    data = keccak(text="hasRole(bytes32,address)")[:4] + encode(["bytes32", "address"], [keccak(text="MINTER_ROLE"), offering])
    return int(staged.chain.rpc("eth_call", {"to": token, "data": "0x" + data.hex()}, "latest"), 16) == 1


def test_a_primary_offering_through_rwa_on_the_rehearsed_deployment(staged, tmp_path):
    """Issue 19 on a live-like network, every step an `rwa` command: the team's agent creates a property and an
    offering of it with a soft cap, the Safe grants the offering the minter role through the timelock, the
    attestor verifies two investors, they subscribe (escrowed), the agent closes early with the soft cap met
    (the escrow goes to the treasury), each claims, and `rwa treasury` shows the proceeds in the treasury (a
    Safe). (Each `rwa` here is a process on a live network: the slowest test of the module.)"""
    net = ("--network", NETWORK)
    agent = ("--account", "agent")
    investors = {alias: staged.address(alias) for alias in ("investor1", "investor2")}
    made = json.loads(
        staged.rwa(
            "property", "create", "REHEARSAL-1", "--name", "1 Rehearsal Row", "--symbol", "REH1", *net, *agent, "--json"
        ).stdout
    )
    created = json.loads(
        staged.rwa(
            "offering",
            "create",
            "REH1",
            "--price",
            "50",
            "--cap",
            "1000",
            "--soft-cap",
            "40",
            "--min",
            "5",
            "--max",
            "400",
            "--closes",
            "30d",
            *net,
            *agent,
            "--json",
        ).stdout
    )
    token, offering = made["token"], created["offering"]
    assert created["name"] == "REH1-0" and created["proposal"]["timelock"]["stage"] == "schedule", created
    assert not minter_role_held(staged, token, offering)
    through_the_timelock(staged, created["proposal"]["id"])
    assert minter_role_held(staged, token, offering)

    coin = staged.record()["contracts"]["Stablecoin"]["address"]
    rows = [f"{wallet},{investor_id},840,kyc+aml,2030-06-30" for investor_id, wallet in enumerate(investors.values(), 101)]
    (tmp_path / "investors.csv").write_text("wallet,investor_id,country,flags,expiry\n" + "\n".join(rows) + "\n")
    staged.rwa("kyc", "import", str(tmp_path / "investors.csv"), *net, "--account", "attestor")
    for (alias, wallet), amount in zip(investors.items(), (20, 30), strict=True):
        faucet(staged, coin, wallet, 10_000 * USDC)
        done = staged.rwa("offering", "subscribe", "REH1-0", str(amount), *net, "--account", alias, "--yes")
        assert f"{amount} REH1 at 50" in done.stdout and "escrowed until the close" in done.stdout, done.stdout
    assert json.loads(staged.rwa("offering", "close", "REH1-0", *net, *agent, "--json").stdout)["status"] == "closed"
    for (alias, wallet), amount in zip(investors.items(), (20, 30), strict=True):
        claimed = json.loads(staged.rwa("offering", "claim", "REH1-0", *net, "--account", alias, "--json").stdout)
        assert (claimed["wallet"], claimed["tokens"]) == (wallet, str(amount * E18))
    assert not minter_role_held(staged, token, offering)  # the last claim gave it up

    treasury = json.loads(staged.rwa("treasury", *net, "--json").stdout)
    assert treasury["treasury"] == staged.people["treasury"]
    assert [(b["address"], b["balance"]) for b in treasury["balances"]] == [(coin, str(2_500 * USDC))]


def test_two_investors_trade_on_the_market_through_rwa(staged, tmp_path):
    """Issue 20 on a live-like network, every step an `rwa` command, after the offering above (investor1 holds 20
    REH1, investor2 30): the attestor registers the market (tokens verify every spender), investor1 signs a sell
    order, investor2 a buy order above it, the agent matches them at the ask, and `rwa history trades` (after
    `rwa watch --once`) lists the trade with the day's volume and volume-weighted price."""
    net = ("--network", NETWORK)
    investor1, investor2 = staged.address("investor1"), staged.address("investor2")
    market = staged.record()["contracts"]["PropertyMarket"]["address"]
    staged.rwa(
        "kyc", "set", market, "--investor-id", "9000", "--country", "840", "--expires", "3650d", *net, "--account", "attestor"
    )
    ask = json.loads(staged.rwa("market", "sell", "REH1", "5", "--price", "60", *net, "--account", "investor1", "--json").stdout)
    bid = json.loads(staged.rwa("market", "buy", "REH1", "5", "--price", "62", *net, "--account", "investor2", "--json").stdout)
    assert (ask["order"]["maker"], bid["order"]["maker"]) == (investor1, investor2)
    (trade,) = json.loads(staged.rwa("market", "match", "REH1", *net, "--account", "agent", "--json").stdout)["trades"]
    assert (trade["seller"], trade["buyer"], trade["amount"], trade["price"]) == (
        investor1,
        investor2,
        str(5 * E18),
        str(60 * USDC),
    )

    store = str(tmp_path / "watch.sqlite")
    staged.rwa("watch", "--once", *net, "--confirmations", "0", "--store", store, expect=None)
    answer = json.loads(staged.rwa("history", "trades", "REHEARSAL-1", *net, "--store", store, "--json").stdout)
    trades = [r for r in answer["rows"] if r["block"] not in ("total",) and not str(r["block"]).startswith("day")]
    assert [(r["seller"], r["buyer"], r["amount"], r["price"]) for r in trades] == [(investor1, investor2, "5", str(60 * USDC))]
    holders = json.loads(staged.rwa("history", "holders", "REHEARSAL-1", *net, "--store", store, "--json").stdout)["rows"]
    assert {r["wallet"]: r["balance"] for r in holders} == {investor1: "15", investor2: "35"}  # holders follow the trade
