"""`rwa offering` and `rwa treasury`, run in the test process (the `rwa` fixture) against the session's
suite: DemoProperty (DEMO-1, the deployer is its agent, the timelock its admin), the local treasury (the
admins' Safe), and brand (test:9) as the investor.
"""

from __future__ import annotations

from eth_utils import keccak

BRAND = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
OWNER3 = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
USDC = 10**6
E18 = 10**18
WEEK = 7 * 24 * 3600


def investor(rwa, stablecoin, deployer, wallet: str = BRAND, investor_id: str = "7") -> None:
    rwa.run("kyc", "set", wallet, "--investor-id", investor_id, "--country", "840", "--expires", "365d")
    stablecoin.mint(wallet, 100_000 * USDC, sender=deployer)


def created(rwa, admin, demo_property, *terms: str, through_the_safe: bool = False) -> dict:
    """An offering of DEMO-1 made by its agent, granted the minter role by the property's admin: through the
    Safe and the timelock (the proposal `offering create` wrote), or by the impersonated timelock at once."""
    result = rwa.json("offering", "create", "DEMO-1", "--price", "50", "--cap", "1000", "--closes", "7d", *terms)
    if through_the_safe:
        rwa.through_the_timelock(result["proposal"])
    else:
        demo_property.grantRole(keccak(text="MINTER_ROLE"), result["offering"], sender=admin)
    return result


def test_create_subscribe_and_the_treasury(
    rwa, chain, stablecoin, deployer, admin, demo_property, offering_factory, suite, tmp_path
):
    start = chain.blocks.head.number + 1
    investor(rwa, stablecoin, deployer)
    result = created(rwa, admin, demo_property, "--min", "10", "--max", "400", through_the_safe=True)
    assert result["name"] == "DEMO1-0" and "transactionHash" in result
    assert offering_factory.offeringsOf(demo_property) == [result["offering"]]
    recorded = rwa.json("offering", "show", "DEMO1-0")
    assert recorded["minterRole"] is True and recorded["status"] == "open"
    assert recorded["terms"]["treasury"] == suite["contracts"]["Safe"]["address"]
    # The deployments file records it like a factory-made property.
    record = (rwa.deployments / "local.json").read_text()
    assert '"DEMO1-0"' in record and result["offering"] in record

    out = rwa.run("offering", "subscribe", "DEMO1-0", "20", "--account", "brand").stdout
    assert "20 DEMO1 at 50 mUSDC each: 1000 mUSDC (approving it first); allowance 0 mUSDC, 1000 DEMO1 remain" in out
    assert "subscribed 20 DEMO1 of DEMO1-0: minted" in out
    assert demo_property.balanceOf(BRAND) == 20 * E18
    treasury = rwa.json("treasury")
    assert treasury["treasury"] == suite["contracts"]["Safe"]["address"]
    assert treasury["balances"][0]["balance"] == str(1_000 * USDC)
    listed = rwa.json("offering", "list")
    assert [(o["name"], o["subscribed"]) for o in listed] == [("DEMO1-0", str(20 * E18))]
    assert "DEMO1-0" in rwa.run("offering", "list", "DEMO-1").stdout
    # The watcher sees the creation (a built-in rule) and the subscription; history answers from its database.
    db = ("--db", str(tmp_path / "w.sqlite"))
    rwa.run("watch", "--once", *db, "--from", str(start), expect=None)
    [row] = rwa.json("history", "offerings", *db)["rows"]
    assert (row["offering"], row["state"], row["price"]) == (result["offering"], "open", str(50 * USDC))
    [sub] = rwa.json("history", "subscriptions", "DEMO1-0", *db)["rows"]
    assert (sub["event"], sub["wallet"], sub["tokens"], sub["paid"]) == ("minted", BRAND, str(20 * E18), str(1_000 * USDC))


def test_bad_input_is_one_line_and_sends_nothing(rwa, chain, stablecoin, deployer, accounts, admin, demo_property):
    investor(rwa, stablecoin, deployer)
    created(rwa, admin, demo_property, "--min", "10", "--max", "400")
    start = chain.blocks.head.number
    create = ("offering", "create", "DEMO-1", "--closes", "7d")
    assert rwa.refused(*create, "--price", "0", "--cap", "10") == "error: the price must be above zero"
    assert rwa.refused(*create, "--price", "1", "--cap", "0") == "error: the cap must be above zero"
    assert rwa.refused(*create, "--price", "1", "--cap", "10", "--min", "5", "--max", "2") == (
        "error: the minimum per investor is above the maximum"
    )
    assert "before it opens" in rwa.refused(
        "offering", "create", "DEMO-1", "--price", "1", "--cap", "10", "--opens", "5d", "--closes", "3d"
    )
    subscribe = ("offering", "subscribe", "DEMO1-0")
    assert rwa.refused(*subscribe, "5", "--account", "brand") == "error: 5 DEMO1 is below the minimum per investor (10 DEMO1)"
    assert (
        rwa.refused(*subscribe, "401", "--account", "brand") == "error: 401 DEMO1 for investor 7 is above the maximum (400 DEMO1)"
    )
    assert "is not a verified investor" in rwa.refused(*subscribe, "20", "--account", "athlete")
    assert rwa.refused("offering", "subscribe", "DEMO1-7", "20", "--account", "brand") == (
        "error: unknown offering 'DEMO1-7' on local: DEMO1-0 is its only one (rwa offering list shows them)"
    )
    assert "the allowance 0 mUSDC is below the cost 1000 mUSDC" in rwa.refused(
        *subscribe, "20", "--account", "brand", "--no-approve"
    )
    assert rwa.refused(*subscribe, "1001", "--account", "brand") == "error: 1001 DEMO1 is beyond the cap: 1000 DEMO1 remain"
    assert chain.blocks.head.number == start
    stablecoin.transfer(deployer, 99_990 * USDC, sender=accounts[9])
    start = chain.blocks.head.number
    assert "is above" in rwa.refused(*subscribe, "20", "--account", "brand")
    assert chain.blocks.head.number == start


def test_a_refusal_by_the_property_comes_before_any_approval(rwa, chain, project, stablecoin, deployer, admin, demo_property):
    """The investor has no allowance yet: the subscription is simulated before the approval is sent, so the
    property's refusal (a frozen wallet, its compliance's own rule, named) is the one line and nothing is sent."""
    investor(rwa, stablecoin, deployer)
    offering = created(rwa, admin, demo_property)["offering"]
    subscribe = ("offering", "subscribe", "DEMO1-0", "20", "--account", "brand")
    demo_property.setAddressFrozen(BRAND, True, sender=deployer)
    start = chain.blocks.head.number
    assert rwa.refused(*subscribe) == f"error: subscribe refused: InvestorFrozen({BRAND})"
    assert chain.blocks.head.number == start
    demo_property.setAddressFrozen(BRAND, False, sender=deployer)
    compliance = project.ModularCompliance.at(demo_property.compliance())
    compliance.addModule(compliance.MODULE_COUNTRY_ALLOW(), sender=admin)
    compliance.setCountriesAllowed([826], True, sender=admin)
    start = chain.blocks.head.number
    assert rwa.refused(*subscribe) == f"error: subscribe refused: CountryNotAllowed({BRAND}, 840)"
    assert chain.blocks.head.number == start and stablecoin.allowance(BRAND, offering) == 0


def test_review_accept_reject_refund_close(rwa, chain, stablecoin, deployer, admin, demo_property):
    investor(rwa, stablecoin, deployer)
    investor(rwa, stablecoin, deployer, OWNER3, "8")
    created(rwa, admin, demo_property, "--review")
    out = rwa.run("offering", "subscribe", "DEMO1-0", "20", "--account", "brand").stdout
    assert "requested (awaiting review)" in out
    rwa.run("offering", "subscribe", "DEMO1-0", "30", "--account", "owner3")
    assert "accepted 1 request of DEMO1-0" in rwa.run("offering", "accept", "DEMO1-0", BRAND).stdout
    assert demo_property.balanceOf(BRAND) == 20 * E18
    rwa.run("offering", "reject", "DEMO1-0", OWNER3)
    assert rwa.json("offering", "refund", "DEMO1-0", "--account", "owner3")["amount"] == str(1_500 * USDC)
    assert "has no pending request" in rwa.refused("offering", "accept", "DEMO1-0", OWNER3)
    assert "nothing to refund" in rwa.refused("offering", "refund", "DEMO1-0", "--account", "owner3")
    assert rwa.json("offering", "close", "DEMO1-0")["status"] == "closed"
    assert rwa.refused("offering", "subscribe", "DEMO1-0", "1", "--account", "brand") == "error: offering DEMO1-0 is closed"
    assert "is closed already" in rwa.refused("offering", "close", "DEMO1-0")


def test_soft_cap_claim_and_cancel_through_the_safe(rwa, chain, stablecoin, deployer, admin, demo_property):
    investor(rwa, stablecoin, deployer)
    # A soft cap on a token that honours custody: the same proposal makes the offering the property's custodian.
    made = created(rwa, admin, demo_property, "--soft-cap", "10", through_the_safe=True)  # the Safe's nonces stay in order
    assert made["grants"] == ["MINTER_ROLE", "CUSTODIAN_ROLE"]
    assert rwa.json("offering", "show", "DEMO1-0")["custodianRole"] is True
    assert "escrowed until the close" in rwa.run("offering", "subscribe", "DEMO1-0", "20", "--account", "brand").stdout
    chain.pending_timestamp += WEEK
    chain.mine()
    assert rwa.json("offering", "close", "DEMO1-0", "--account", "owner1")["status"] == "closed"
    shown = rwa.json("offering", "show", "DEMO1-0")
    assert (shown["custody"], shown["held"], shown["minterRole"]) == (True, str(20 * E18), False)
    assert "20 DEMO1 held for claims" in rwa.run("offering", "show", "DEMO1-0").stdout
    assert rwa.json("offering", "claim", "DEMO1-0", "--account", "brand")["tokens"] == str(20 * E18)
    assert demo_property.balanceOf(BRAND) == 20 * E18 and demo_property.balanceOf(made["offering"]) == 0
    assert "gave up the custodian role" in rwa.run("offering", "end-custody", "DEMO1-0").stdout
    assert rwa.json("offering", "show", "DEMO1-0")["custodianRole"] is False
    assert "given up already" in rwa.refused("offering", "end-custody", "DEMO1-0")
    # A second offering, created and granted in one proposal, cancelled by the admin through the Safe.
    proposal = rwa.json("offering", "create", "DEMO-1", "--price", "1", "--cap", "10", "--closes", "30d", "--via", "safe")
    rwa.through_the_timelock(proposal["proposal"])
    assert rwa.json("offering", "show", "DEMO1-1")["minterRole"] is True
    assert "NotAdmin" in rwa.refused("offering", "cancel", "DEMO1-1")
    rwa.through_the_timelock(rwa.json("offering", "cancel", "DEMO1-1", "--via", "safe"))
    assert rwa.json("offering", "show", "DEMO1-1")["status"] == "cancelled"


def test_a_stablecoin_with_permits_is_paid_with_a_permit(rwa, project, deployer, admin, demo_property):
    coin = project.PermitStablecoin.deploy(sender=deployer)
    rwa.run("kyc", "set", BRAND, "--investor-id", "7", "--country", "840", "--expires", "365d")
    coin.mint(BRAND, 10_000 * USDC, sender=deployer)
    result = created(rwa, admin, demo_property, "--stablecoin", coin.address)
    done = rwa.json("offering", "subscribe", "DEMO1-0", "20", "--account", "brand")
    assert done["permit"] is True and done["approvalTransactionHash"] is None
    assert demo_property.balanceOf(BRAND) == 20 * E18
    assert coin.balanceOf(BRAND) == 9_000 * USDC and coin.allowance(BRAND, result["offering"]) == 0
