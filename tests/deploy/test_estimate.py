"""The one gas estimator: what a plan's transactions cost, and the most a deploy may spend (the
balance check before a live deploy sends anything)."""

from __future__ import annotations

from rwa.deploy.estimate import CALL_BOUND, CostEstimate, GasLine, creation_bound


def test_the_most_a_deploy_may_spend_counts_each_unknown_transaction_at_its_rule_of_thumb():
    proxy_bound = creation_bound(b"\x00" * 1000)
    lines = (
        GasLine(
            "Registry", "implementation", "implementation ComplianceRegistry", 2_000_000, "", creation_bound(b"\x00" * 20_000)
        ),
        GasLine("Registry", "proxy", "proxy UUPSProxy", None, "initialises through its implementation", proxy_bound),
        GasLine("Registry", "call0", "grantRole", None, "needs Registry deployed first", CALL_BOUND),
    )
    cost = CostEstimate(lines, base_fee=10, priority_fee=1, max_fee=21, currency="ETH")
    assert proxy_bound == 53_000 + 220 * 1000 + 150_000
    assert cost.gas == 2_000_000  # what eth_estimateGas could tell
    assert cost.most == (2_000_000 + proxy_bound + CALL_BOUND) * 21  # every transaction, at the max fee
    assert cost.cost == 2_000_000 * 11
