"""`rwa vault tip | order | plan | subscribe | renew | cancel | renew-due` and `rwa history payments`,
run in the test process (the `rwa` fixture) against the session's deployed suite.

Local accounts (deployments/manifest.py): the fan is test:7, the demo athlete test:8 (DemoVault's,
which has no splitter: payments land in its free balance).
"""

from __future__ import annotations

import pytest

from rwa.domain.fanpay import parse_kind, parse_memo, parse_period, parse_periods, parse_since

FAN = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
USD = 10**6
DAY = 86400


@pytest.fixture
def fan_funds(stablecoin, deployer):
    stablecoin.mint(FAN, 1000 * USD, sender=deployer)
    return stablecoin


def nonce(chain, address: str) -> int:
    return chain.provider.get_nonce(address)


def test_parsing():
    assert parse_memo("gm") == "gm"
    with pytest.raises(ValueError, match="281 bytes"):
        parse_memo("é" * 140 + "x")
    assert parse_periods("3") == 3 and parse_period("30d") == 30 * DAY
    assert parse_kind("Merchandise") == 1 and parse_since("1970-01-02") == DAY
    for bad, parse in (
        ("0", parse_periods),
        ("121", parse_periods),
        ("12h", parse_period),
        ("gift", parse_kind),
        ("soon", parse_since),
    ):
        with pytest.raises(ValueError):
            parse(bad)


def test_tip_order_refund_and_the_books(rwa, chain, fan_funds, demo_vault):
    usd = fan_funds
    tip = rwa.json("vault", "tip", "demo-athlete", "2.50", "--memo", "great game")
    assert (tip["kind"], tip["amount"], tip["to"], tip["payer"]) == ("tip", str(2_500_000), demo_vault.address, FAN)
    assert demo_vault.freeBalance(usd) == 2_500_000
    paid = rwa.json("vault", "order", "pay", "demo-athlete", "17", "12.5")
    assert (paid["kind"], paid["ref"]) == ("merchandise", "17")
    sent = nonce(chain, FAN)
    assert "order 17 of 'demo-athlete' is paid already" in rwa.refused("vault", "order", "pay", "demo-athlete", "17", "1")
    assert nonce(chain, FAN) == sent
    before = usd.balanceOf(FAN)
    refund = rwa.json("vault", "order", "refund", "demo-athlete", "17")
    assert (refund["payer"], refund["amount"]) == (FAN, str(12_500_000))
    assert usd.balanceOf(FAN) - before == 12_500_000
    assert "refunded already" in rwa.refused("vault", "order", "refund", "demo-athlete", "17")
    assert "never paid" in rwa.refused("vault", "order", "refund", "demo-athlete", "18")

    books = rwa.json("history", "payments", "demo-athlete")
    rows = books["payments"]
    assert [(r["type"], r["amount"], r["from"], r["status"]) for r in rows] == [
        ("tip", "2500000", FAN, "confirmed"),
        ("merchandise", "12500000", FAN, "confirmed"),
    ]
    assert [r["transactionHash"] for r in rows] == [tip["transactionHash"], paid["transactionHash"]]
    assert rows[0]["gasUsed"] == tip["gasUsed"] and rows[0]["memo"] == "great game"
    assert [r["type"] for r in rwa.json("history", "payments", "demo-athlete", "--kind", "tip")["payments"]] == ["tip"]
    assert rwa.json("history", "payments", "demo-athlete", "--since", "2999-01-01")["payments"] == []
    table = rwa.run("history", "payments", "demo-athlete").stdout
    assert "merchandise" in table and "12.5" in table


def test_bad_input_is_one_line_and_sends_nothing(
    rwa, chain, fan_funds, demo_vault, guardian, admin, registry, sanctions_officer, fan_payments
):
    sent = nonce(chain, FAN)
    for args, message in (
        (("vault", "tip", "demo-athlete", "0"), "is zero"),
        (("vault", "tip", "nobody", "1"), "unknown athlete 'nobody'"),
        (("vault", "tip", "demo-athlete", "1", "--memo", "x" * 281), "at most 280"),
        (("vault", "tip", "demo-athlete", "5000"), "holds 1000 mUSDC; the payment needs 5000 mUSDC"),
        (("vault", "order", "pay", "demo-athlete", "x1", "1"), "an order id is a whole number"),
        (("vault", "tip", "demo-athlete", "1", "--token", "0x" + "12" * 20), "no token at 0x"),
        (("vault", "tip", "demo-athlete", "0.0000001"), "0.0000001"),
        (("vault", "subscribe", "3"), "no plan 3"),
        (("vault", "renew", "1"), "no membership 1"),
        (("history", "payments", "demo-athlete", "--kind", "gift"), "not one of tip, merchandise, subscription"),
    ):
        assert message in rwa.refused(*args), args
    demo_vault.pause(sender=guardian)
    assert "is paused: it refuses payments" in rwa.refused("vault", "tip", "demo-athlete", "1")
    demo_vault.unpause(sender=admin)
    registry.setSanctioned(FAN, True, sender=sanctions_officer)
    assert f"payer {FAN} is sanctioned" in rwa.refused("vault", "tip", "demo-athlete", "1")
    registry.setSanctioned(FAN, False, sender=sanctions_officer)
    fan_payments.setAmlThreshold(demo_vault, fan_funds, 10 * USD, sender=admin)
    assert "above the vault's AML threshold of 10 mUSDC" in rwa.refused("vault", "tip", "demo-athlete", "10.01")
    assert nonce(chain, FAN) == sent


def test_plans_memberships_and_the_keeper(rwa, chain, fan_funds, fan_payments):
    assert "only the athlete" in rwa.refused("vault", "plan", "create", "demo-athlete", "5", "--account", "fan")
    assert "not ETH" in rwa.refused("vault", "plan", "create", "demo-athlete", "5", "--token", "eth")
    plan = rwa.json("vault", "plan", "create", "demo-athlete", "5", "--period", "30d")
    assert (plan["priceDisplay"], plan["period"]) == ("5 mUSDC", 30 * DAY)
    assert [p["planId"] for p in rwa.json("vault", "plan", "list", "demo-athlete")["plans"]] == [plan["planId"]]
    assert rwa.json("vault", "plan", "show", str(plan["planId"]))["price"] == "5000000"
    member = rwa.json("vault", "subscribe", str(plan["planId"]), "--periods", "2", "--auto-renew", "--renewals", "6")
    token_id = member["tokenId"]
    assert (member["kind"], member["amount"], member["owner"], member["autoRenew"]) == ("subscription", "10000000", FAN, True)
    assert rwa.json("vault", "renew-due")["renewed"] == []  # not due yet
    chain.mine(timestamp=member["expiresAt"] - 3600)  # due: an hour before it expires
    renewed = rwa.json("vault", "renew-due")
    assert renewed["renewed"] == [token_id] and len(renewed["transactions"]) == 1
    assert fan_payments.expiresAt(token_id) == member["expiresAt"] + 30 * DAY
    assert rwa.json("vault", "renew-due")["renewed"] == []  # safe to run twice
    ahead = rwa.json("vault", "renew", str(token_id), "--periods", "1")
    assert ahead["expiresAt"] == member["expiresAt"] + 60 * DAY
    cancelled = rwa.json("vault", "cancel", str(token_id))
    assert cancelled["cancelled"] and cancelled["expiresAt"] == ahead["expiresAt"]
    assert "is cancelled: it cannot be renewed" in rwa.refused("vault", "renew", str(token_id))
    assert "cancelled already" in rwa.refused("vault", "cancel", str(token_id))
    kinds = [r["type"] for r in rwa.json("history", "payments", "demo-athlete")["payments"]]
    assert kinds == ["subscription"] * 3


def test_the_keeper_sends_nothing_for_a_fan_without_allowance_or_balance(rwa, chain, fan_funds, fan_payments, deployer, accounts):
    fan = accounts[7]
    assert fan.address == FAN
    plan = rwa.json("vault", "plan", "create", "demo-athlete", "5", "--period", "1d")
    member = rwa.json("vault", "subscribe", str(plan["planId"]), "--auto-renew", "--renewals", "3")
    chain.mine(timestamp=member["expiresAt"] - 60)
    fan_funds.approve(fan_payments, 0, sender=fan)
    sent = nonce(chain, deployer.address)
    assert rwa.json("vault", "renew-due")["renewed"] == []  # due, but its renewal would fail: not sent
    assert nonce(chain, deployer.address) == sent and fan_payments.expiresAt(member["tokenId"]) == member["expiresAt"]
    fan_funds.approve(fan_payments, 10 * USD, sender=fan)
    fan_funds.transfer(deployer, fan_funds.balanceOf(FAN), sender=fan)  # allowance, but no balance
    assert rwa.json("vault", "renew-due")["renewed"] == [] and nonce(chain, deployer.address) == sent


def test_polygon_and_amoy_state_when_a_payment_is_confirmed(suite_manifest):
    for name, currency in (("polygon", "POL"), ("amoy", "POL"), ("mainnet", "ETH"), ("sepolia", "ETH")):
        network = suite_manifest.network(name)
        assert network.currency == currency and not network.local
        # As long in time as Ethereum's 12 blocks of 12 s, on Polygon's 2-second blocks.
        assert network.params["payment_confirmations"] * (2 if currency == "POL" else 12) == 144
        assert network.params["stablecoin"] is not None


def test_a_members_tip_keeps_the_allowance_of_its_renewals(rwa, chain, fan_funds, fan_payments):
    plan = rwa.json("vault", "plan", "create", "demo-athlete", "5", "--period", "1d")
    member = rwa.json("vault", "subscribe", str(plan["planId"]), "--auto-renew", "--renewals", "2")
    hub = fan_payments.address
    kept = fan_funds.allowance(FAN, hub)
    assert kept == 10 * USD  # the two renewals pre-authorised
    # Tipping from the hub's allowance alone would leave 2.50 mUSDC: short of a renewal.
    tip = rwa.run("vault", "tip", "demo-athlete", "7.50", "--json")
    assert f"first sets the payments hub's ({hub}) allowance to 17.5 mUSDC" in tip.stderr  # shown before it is signed
    assert fan_funds.allowance(FAN, hub) == kept
    chain.mine(timestamp=member["expiresAt"] - 60)
    assert rwa.json("vault", "renew-due")["renewed"] == [member["tokenId"]]
    assert fan_payments.expiresAt(member["tokenId"]) == member["expiresAt"] + DAY
    assert fan_funds.allowance(FAN, hub) == kept - 5 * USD
