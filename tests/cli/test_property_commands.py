"""`rwa property` and `rwa dividends`, run in this process against the session's deployed suite.

Every success asserts its effect on chain; every refusal is one line and leaves the chain as it was.
The demo property DEMO-1 (symbol DEMO1) is the manifest's: the deployer holds its agent roles, the
guardian Safe pauses it, the timelock owns it.
"""

from __future__ import annotations

import json
import re

import pytest
from eth_utils import keccak, to_checksum_address

from rwa.core.units import format_units, parse_amount

E18 = 10**18
USDC = 10**6
US, GB = 840, 826
KYC_AML = 3
YEAR = 365 * 24 * 3600
DEMO_ID = "0x" + keccak(text="DEMO-1").hex()
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
MINTER_ROLE = keccak(text="MINTER_ROLE")


def wallet(label: str) -> str:
    """A wallet nobody signs for (CSV rows, recovery targets)."""
    return to_checksum_address(keccak(text=label)[:20])


@pytest.fixture(scope="module")
def alice(accounts):
    return accounts[3]  # `--account owner1`: investor 1, US


@pytest.fixture(scope="module")
def bob(accounts):
    return accounts[4]  # `--account owner2`: investor 2, GB


@pytest.fixture(scope="module")
def investors(chain, registry, attestor, alice, bob):
    """Verified wallets: alice, bob, alice's second wallet, and five for CSV files (investors 10..14)."""
    expiry = chain.pending_timestamp + YEAR
    extra = [wallet(f"csv {i}") for i in range(5)]
    registry.registerBatch(
        [alice, bob, wallet("alice 2"), *extra],
        [(1, US, KYC_AML, expiry), (2, GB, KYC_AML, expiry), (1, US, KYC_AML, expiry)]
        + [(10 + i, US, KYC_AML, expiry) for i in range(5)],
        sender=attestor,
    )
    return extra


@pytest.fixture(scope="module")
def demo(project, suite, deployer, investors, alice, bob):
    """DEMO-1, with alice holding 100 and bob 50."""
    token = project.PropertyToken.at(suite["contracts"]["DemoProperty"]["address"])
    token.batchMint([alice, bob], [100 * E18, 50 * E18], sender=deployer)
    return token


@pytest.mark.parametrize(
    ("text", "decimals", "units", "shown"),
    [
        ("12.5", 18, 12_500_000_000_000_000_000, "12.5"),
        ("0.000001", 6, 1, "0.000001"),
        (".5", 1, 5, "0.5"),
        ("1.50", 1, 15, "1.5"),
        ("1_000", 0, 1000, "1000"),
    ],
)
def test_amounts_convert_exactly(text, decimals, units, shown):
    assert parse_amount(text, decimals, "T") == units
    assert format_units(units, decimals) == shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1", "amount -1 is negative"),
        ("0.0", "amount 0.0 is zero"),
        ("1.234", "amount 1.234 has 3 decimal places; T has 2"),
        ("1e3", "not an amount: '1e3'"),
        (".", "not an amount: '.'"),
        ("", "not an amount: ''"),
    ],
)
def test_bad_amounts_are_named(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_amount(text, 2, "T")


@pytest.fixture(scope="module", autouse=True)
def _module_state(demo, stablecoin):
    """Module-wide state and fixtures made before the first test (Ape snapshots them once)."""


def test_list_and_show_find_the_demo_property_every_way(rwa, demo):
    [listed] = [p for p in rwa.json("property", "list") if p["symbol"] == "DEMO1"]
    assert listed["id"] == DEMO_ID and listed["record"] == "DemoProperty" and listed["totalSupply"] == "150"
    for reference in ("DEMO-1", "DEMO1", "demo1", DEMO_ID, demo.address.lower()):
        assert rwa.json("property", "show", reference)["id"] == DEMO_ID
    shown = rwa.json("property", "show", "DEMO-1")
    assert shown["token"] == demo.address and shown["compliance"] == demo.compliance()
    assert (shown["name"], shown["decimals"], shown["paused"], shown["holders"]) == ("1 Demo Street", 18, False, 2)
    assert shown["modules"] == [] and shown["dividendsDeposited"] == "0" and shown["stablecoin"] == "mUSDC"
    assert "DEMO1 1 Demo Street" in rwa.run("property", "show", "DEMO1").stdout


def test_unknown_property_is_one_line(rwa, demo):
    assert rwa.refused("property", "show", "NOPE-9") == "error: unknown property 'NOPE-9' on local (rwa property list shows them)"
    assert "unknown property" in rwa.refused("property", "mint", "0x" + "11" * 20, wallet("x"), "1")


def test_create_then_list_show_pause_and_unpause(rwa, project, deployer, tmp_path, suite):
    deed = tmp_path / "deed.pdf"
    deed.write_bytes(b"deed of 1 Main Street")
    created = rwa.json(
        "property",
        "create",
        "MAIN-ST-1",
        "--name",
        "1 Main Street",
        "--symbol",
        "MAIN1",
        "--decimals",
        "2",
        "--legal-doc",
        str(deed),
        "--legal-doc-uri",
        "ipfs://bafy-deed",
        "--pauser",
        deployer.address,
    )
    expected = {
        "id": "0x" + keccak(text="MAIN-ST-1").hex(),
        "name": "1 Main Street",
        "symbol": "MAIN1",
        "decimals": 2,
        "legalDocHash": "0x" + keccak(b"deed of 1 Main Street").hex(),
        "legalDocURI": "ipfs://bafy-deed",
        "record": None,
    }
    assert {k: created[k] for k in expected} == expected and created["agent"] == deployer.address
    [listed] = [p for p in rwa.json("property", "list") if p["symbol"] == "MAIN1"]
    assert {k: listed[k] for k in expected} == expected and listed["totalSupply"] == "0"
    token = project.PropertyToken.at(created["token"])
    assert token.hasRole(MINTER_ROLE, deployer) and token.hasRole(PAUSER_ROLE, deployer)
    assert rwa.refused("property", "create", "MAIN-ST-1", "--name", "again", "--symbol", "M2").startswith(
        "error: property 'MAIN-ST-1' exists already (MAIN1, token "
    )

    assert rwa.json("property", "pause", "MAIN1")["paused"] is True and token.paused()
    assert rwa.refused("property", "pause", "MAIN1") == "error: MAIN1 is paused already"
    # The pauser cannot lift its own pause: the owner (the timelock) does.
    assert "the signer lacks DEFAULT_ADMIN_ROLE; Timelock holds it (--via safe)" in rwa.refused("property", "unpause", "MAIN1")
    rwa.through_the_timelock(rwa.json("property", "unpause", "MAIN1", "--via", "safe"))
    assert not token.paused()

    # Created with the defaults, the pauser is the manifest's guardian Safe.
    guardian = suite["contracts"]["GuardianSafe"]["address"]
    default = rwa.json("property", "create", "ELM-2", "--name", "2 Elm Street", "--symbol", "ELM2")
    assert default["pauser"] == guardian and project.PropertyToken.at(default["token"]).hasRole(PAUSER_ROLE, guardian)


AGENT_POWER_NAMES = ("mint", "burn", "freeze", "forced transfer", "recovery")


def test_status_shows_who_holds_each_agent_power(rwa, deployer):
    """Issue 21: `rwa status` names the holder of each of the five agent powers (one dev agent, locally)."""
    agents = rwa.json("status")["control"]["agentPowers"]
    assert agents["DemoProperty"] == {name: [deployer.address] for name in AGENT_POWER_NAMES}
    table = rwa.run("status").stdout.split("agent powers", 1)[1]
    assert all(name in table for name in AGENT_POWER_NAMES)
    assert re.search(r"DemoProperty\s*│(\s*deployer \(key\)\s*│){5}", table), table


def test_mint_burn_and_holders(rwa, demo, alice, bob):
    minted = rwa.json("property", "mint", "DEMO-1", alice.address, "12.5")
    assert demo.balanceOf(alice) == 112_500_000_000_000_000_000 and minted["totalSupply"] == "162.5"
    assert minted["wallets"][0]["balance"] == "112.5" and minted["transactionHash"].startswith("0x")
    rwa.run("property", "burn", "DEMO1", bob.address, "0.25")
    assert demo.balanceOf(bob) == 49_750_000_000_000_000_000 and demo.totalSupply() == 162_250_000_000_000_000_000

    holders = rwa.json("property", "holders", "DEMO-1")
    assert [(h["wallet"], h["balance"], h["investorId"], h["country"], h["verified"]) for h in holders] == [
        (alice.address, "112.5", "1", US, True),
        (bob.address, "49.75", "2", GB, True),
    ]
    assert set(holders[0]) == {
        "wallet",
        "balance",
        "frozen",
        "free",
        "walletFrozen",
        "investorId",
        "country",
        "flags",
        "sanctioned",
        "verified",
        "claimable",
    }
    table = rwa.run("property", "holders", "DEMO1").stdout
    assert alice.address in table and "112.5" in table


def test_mint_and_burn_refusals_send_nothing(rwa, demo, alice, bob):
    stranger = wallet("stranger")  # the registry knows nothing of it
    supply = demo.totalSupply()
    assert rwa.refused("property", "mint", "DEMO-1", stranger, "1") == f"error: mint refused: WalletNotVerified({stranger})"
    assert rwa.refused("property", "mint", "DEMO-1", alice.address, "1.0000000000000000001") == (
        "error: amount 1.0000000000000000001 has 19 decimal places; DEMO1 has 18"
    )
    assert rwa.refused("property", "mint", "DEMO-1", alice.address, "0.000") == "error: amount 0.000 is zero"
    assert rwa.refused("property", "burn", "DEMO-1", bob.address, "50.5") == (
        f"error: burn of 50.5 DEMO1 exceeds the balance of {bob.address}: 50"
    )
    refusal = rwa.refused("property", "mint", "DEMO-1", alice.address, "1", "--account", "owner2")
    assert refusal.startswith(f"error: mint refused: AccessControlUnauthorizedAccount({bob.address}, MINTER_ROLE)")
    assert demo.totalSupply() == supply


def test_mint_csv_is_sent_in_batches(rwa, demo, investors, tmp_path):
    rows = "wallet,amount\n" + "".join(f"{w},{i + 1}.5\n" for i, w in enumerate(investors))
    (tmp_path / "mint.csv").write_text(rows)
    result = rwa.json("property", "mint", "DEMO-1", "--csv", str(tmp_path / "mint.csv"), "--batch-size", "2")
    assert result["wallets"] == 5 and result["minted"] == "17.5" and len(result["transactions"]) == 3
    assert [demo.balanceOf(w) for w in investors] == [(i + 1) * E18 + E18 // 2 for i in range(5)]
    assert len(rwa.json("property", "holders", "DEMO-1")) == 7


def test_mint_csv_reports_every_bad_row_and_sends_nothing(rwa, demo, investors, tmp_path):
    stranger = wallet("stranger")
    good = investors[0]
    (tmp_path / "bad.csv").write_text(
        f"wallet,amount\n{good},10\n0x123,5\n{investors[1]},-1\n{good},3\n{stranger},4\n{investors[2]},0.0000000000000000001\n"
        f"{investors[3]},\n"
    )
    supply = demo.totalSupply()
    refusal = rwa.refused("property", "mint", "DEMO-1", "--csv", str(tmp_path / "bad.csv"))
    assert refusal.startswith("error: bad.csv: 6 bad row(s), nothing sent: line 3: not an address: '0x123'; ")
    for expected in (
        "line 4: amount -1 is negative",
        f"line 5: wallet {good} already on line 2",
        f"line 6: {stranger} is not verified",
        "line 7: amount 0.0000000000000000001 has 19 decimal places",
        "line 8: amount missing",
    ):
        assert expected in refusal
    assert demo.totalSupply() == supply


def test_freeze_unfreeze_and_transfer(rwa, demo, alice, bob):
    rwa.run("property", "freeze", "DEMO-1", alice.address)
    assert demo.isFrozen(alice)
    assert rwa.refused("property", "transfer", "DEMO-1", bob.address, "1", "--account", "owner1") == (
        f"error: transfer refused: WalletFrozen({alice.address})"
    )
    rwa.run("property", "unfreeze", "DEMO-1", alice.address)
    assert not demo.isFrozen(alice)

    frozen = rwa.json("property", "freeze", "DEMO-1", alice.address, "--amount", "60")["wallets"][0]
    assert demo.getFrozenTokens(alice) == 60 * E18 and (frozen["frozen"], frozen["free"]) == ("60", "40")
    assert rwa.refused("property", "freeze", "DEMO-1", alice.address, "--amount", "40.5") == (
        f"error: cannot freeze 40.5 DEMO1: the free balance of {alice.address} is 40"
    )
    assert rwa.refused("property", "transfer", "DEMO-1", bob.address, "41", "--account", "owner1") == (
        f"error: transfer of 41 DEMO1 exceeds the free balance of {alice.address}: 40 (100 held, 60 frozen)"
    )
    rwa.run("property", "transfer", "DEMO-1", bob.address, "40", "--account", "owner1")
    assert demo.balanceOf(bob) == 90 * E18

    rwa.run("property", "unfreeze", "DEMO-1", alice.address, "--amount", "20")
    assert demo.getFrozenTokens(alice) == 40 * E18
    assert rwa.refused("property", "unfreeze", "DEMO-1", alice.address, "--amount", "41") == (
        f"error: cannot unfreeze 41 DEMO1: {alice.address} has 40 frozen"
    )


def test_freeze_csv_whole_and_partial(rwa, demo, alice, bob, tmp_path):
    (tmp_path / "freeze.csv").write_text(f"wallet,amount\n{alice.address},\n{bob.address},20\n")
    result = rwa.json("property", "freeze", "DEMO-1", "--csv", str(tmp_path / "freeze.csv"))
    assert (result["walletsFrozen"], result["partialFreezes"], len(result["transactions"])) == (1, 1, 2)
    assert demo.isFrozen(alice) and demo.getFrozenTokens(bob) == 20 * E18

    (tmp_path / "over.csv").write_text(f"wallet,amount\n{bob.address},30.5\n")
    assert rwa.refused("property", "freeze", "DEMO-1", "--csv", str(tmp_path / "over.csv")) == (
        f"error: over.csv: 1 bad row(s), nothing sent: line 2: cannot freeze 30.5 DEMO1: the free balance of {bob.address} is 30"
    )


def test_force_transfer_and_recover(rwa, demo, alice, bob):
    moved = rwa.json("property", "force-transfer", "DEMO-1", bob.address, alice.address, "10")
    assert [w["balance"] for w in moved["wallets"]] == ["40", "110"]
    assert demo.balanceOf(alice) == 110 * E18

    assert rwa.refused("property", "recover", "DEMO-1", alice.address, bob.address).startswith(
        f"error: {bob.address} belongs to investor 2, not to investor 1 of {alice.address}"
    )
    rwa.run("property", "freeze", "DEMO-1", alice.address, "--amount", "5")
    new = wallet("alice 2")
    rwa.run("property", "recover", "DEMO-1", alice.address, new)
    assert (demo.balanceOf(alice), demo.balanceOf(new), demo.getFrozenTokens(new)) == (0, 110 * E18, 5 * E18)


def test_a_compliance_module_refuses_with_its_rule(rwa, project, demo, admin, bob):
    compliance = project.ModularCompliance.at(demo.compliance())
    compliance.setCountriesAllowed([US], True, sender=admin)  # the timelock owns the property
    compliance.addModule(1, sender=admin)
    assert (
        rwa.refused("property", "mint", "DEMO-1", bob.address, "1")
        == f"error: mint refused: CountryNotAllowed({bob.address}, {GB})"
    )
    assert rwa.json("property", "show", "DEMO-1")["modules"] == [{"module": "country-allow", "countries": [US]}]


def test_compliance_resync_starts_tracking_on_a_token_with_holders(rwa, project, demo, admin, alice, bob):
    compliance = project.ModularCompliance.at(demo.compliance())
    assert rwa.refused("property", "compliance", "resync", "DEMO-1").startswith("error: resync refused: OnlyTokenAdmin(")
    rwa.through_the_timelock(rwa.json("property", "compliance", "resync", "DEMO-1", "--via", "safe"))
    assert compliance.isTracking() and compliance.holderCount() == 2
    assert (compliance.investorBalance(1), compliance.investorBalance(2)) == (100 * E18, 50 * E18)
    compliance.setMaxHolders(2, sender=admin)
    compliance.addModule(4, sender=admin)  # max-holders: the counts are known now


def test_pause_is_the_guardians_and_via_guardian_writes_a_proposal(rwa, demo, suite):
    assert rwa.refused("property", "pause", "DEMO-1") == (
        "error: pause refused: AccessControlUnauthorizedAccount(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, PAUSER_ROLE): "
        "the signer lacks PAUSER_ROLE; GuardianSafe holds it (--via guardian)"
    )
    proposal = rwa.json("property", "pause", "DEMO-1", "--via", "guardian")
    saved = json.loads((rwa.deployments / "proposals" / "local" / f"{proposal['id']}.json").read_text())
    assert saved["safe"]["address"] == suite["contracts"]["GuardianSafe"]["address"]
    assert [(c["contract"], c["address"], c["function"]) for c in saved["calls"]] == [("DemoProperty", demo.address, "pause")]
    assert not demo.paused()
    assert "CREATOR_ROLE" in rwa.refused("property", "create", "X-1", "--name", "x", "--symbol", "X", "--via", "safe")


def test_dividends_deposit_status_and_claim(rwa, demo, stablecoin, alice, bob):
    assert rwa.refused("dividends", "deposit", "DEMO-1", "150") == (
        "error: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 holds 0 mUSDC; the deposit needs 150 (on local, --mint adds it first)"
    )
    deposited = rwa.json("dividends", "deposit", "DEMO-1", "150", "--mint")
    assert (deposited["deposited"], deposited["totalDeposited"], deposited["approvalHash"] is not None) == (
        "150",
        "150",
        True,
    )
    assert stablecoin.balanceOf(demo.dividendDistributor()) == 150 * USDC

    status = rwa.json("dividends", "status", "DEMO-1")
    assert (status["deposits"], status["perToken"], status["unclaimed"]) == (1, "1", "150")
    # Each holder's share rounds down (the contract never pays out more than was deposited).
    assert [(h["wallet"], h["claimable"], h["claimed"]) for h in status["holders"]] == [
        (alice.address, "99.999999", "0"),
        (bob.address, "49.999999", "0"),
    ]
    claimed = rwa.json("dividends", "claim", "DEMO-1", "--account", "owner1")
    assert claimed["claimed"] == "99.999999" and stablecoin.balanceOf(alice) == 100 * USDC - 1
    assert rwa.json("dividends", "status", "DEMO-1", alice.address)["holders"] == [
        {"wallet": alice.address, "balance": "100", "claimable": "0", "claimed": "99.999999"}
    ]
    assert rwa.refused("dividends", "claim", "DEMO-1", "--account", "owner1") == (
        f"error: claimDividends refused: NothingToClaim({alice.address})"
    )
    assert rwa.json("property", "holders", "DEMO1")[1]["claimable"] == "49.999999"


def test_deposit_needs_supply(rwa):
    rwa.run("property", "create", "EMPTY-1", "--name", "Empty", "--symbol", "EMPTY")
    assert rwa.refused("dividends", "deposit", "EMPTY", "1", "--mint") == (
        "error: EMPTY has no supply yet: nobody to pay dividends to (mint first)"
    )


def test_deposit_needs_one_whole_token(rwa, alice):
    """Issue 21: the distributor's minimum is one whole token (was 10^6 units, whatever the decimals)."""
    rwa.run("property", "create", "HALF-1", "--name", "Half", "--symbol", "HALF")
    rwa.run("property", "mint", "HALF", alice.address, "0.5")
    assert rwa.refused("dividends", "deposit", "HALF", "1", "--mint") == (
        "error: HALF's supply is 0.5: deposits need at least one whole token (the distributor's minSupply, which "
        "keeps dividends per token bounded)"
    )


def test_smoke_as_users_run_it(cli):
    """The real processes: a fresh chain, deployed, then the property commands."""
    cli.run("deploy")
    [listed] = cli.json("property", "list")
    assert listed["symbol"] == "DEMO1" and listed["id"] == DEMO_ID
    assert "1 Demo Street" in cli.run("property", "show", "DEMO-1").stdout
    assert cli.json("dividends", "status", "DEMO-1")["deposited"] == "0"
