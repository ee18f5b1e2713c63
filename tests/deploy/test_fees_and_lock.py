"""The fee policy and the network lock: pure, no chain."""

from __future__ import annotations

import pytest

from rwa.core.errors import RwaError
from rwa.deploy import lock
from rwa.deploy.fees import GWEI, FeeCapError, FeePolicy, Fees, policy_for
from rwa.deploy.manifest import Network


def test_price_is_base_fee_with_headroom_plus_priority_within_the_cap():
    assert FeePolicy().price(10 * GWEI, GWEI) == Fees(21 * GWEI, GWEI)
    assert FeePolicy(max_fee=15 * GWEI).price(10 * GWEI, GWEI) == Fees(15 * GWEI, GWEI)
    with pytest.raises(FeeCapError, match="base fee is 20 gwei, above the max fee of 15 gwei"):
        FeePolicy(max_fee=15 * GWEI).price(20 * GWEI, GWEI)


def test_a_replacement_outbids_by_at_least_an_eighth_on_both_fields():
    policy = FeePolicy()
    old = Fees(8 * GWEI, 8 * GWEI // 10)
    bumped = policy.bump(old, Fees(GWEI, GWEI // 10))
    assert bumped == Fees(9 * GWEI, 9 * GWEI // 10)
    assert policy.bump(old, Fees(30 * GWEI, 2 * GWEI)) == Fees(30 * GWEI, 2 * GWEI)  # the market moved more
    assert policy.bump(Fees(7, 1), Fees(1, 1)) == Fees(8, 2)  # rounded up
    assert FeePolicy(max_fee=8 * GWEI).bump(old, old) is None  # no room under the cap: wait


def test_policy_comes_from_the_network_and_the_command_line():
    network = Network("sepolia", "ethereum:sepolia:node", fees={"max_fee": "50", "priority_fee": "1.5", "stuck_after": "3m"})
    policy = policy_for(network)
    assert (policy.max_fee, policy.priority_fee, policy.stuck_after) == (50 * GWEI, 3 * GWEI // 2, 180)
    assert policy_for(network, max_fee=GWEI, stuck_after=5).max_fee == GWEI
    with pytest.raises(RwaError, match="unknown fees setting"):
        policy_for(Network("x", "ethereum:sepolia:node", fees={"maxfee": 1}))


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    with lock.hold(tmp_path, "sepolia", "0xAbc", "rwa deploy"):
        with pytest.raises(lock.LockHeld) as refused, lock.hold(tmp_path, "sepolia", "0xDef", "rwa kyc import"):
            pass
        message = str(refused.value)
        assert message.startswith("sepolia is locked by pid ") and "account 0xAbc" in message
        assert "rerun with --wait" in message and "\n" not in message
        with lock.hold(tmp_path, "amoy", "0xDef", "rwa deploy"):  # another network is free
            pass
    with lock.hold(tmp_path, "sepolia", "0xDef", "rwa deploy"):  # released
        pass


def test_an_account_lock_names_the_account_and_offers_wait_only_where_it_exists(tmp_path):
    key = lock.account_key("sepolia", "0xAbC")
    assert key == "sepolia.0xabc"
    with lock.hold(tmp_path, key, "0xAbC", "rwa kyc import"):
        with pytest.raises(lock.LockHeld) as refused, lock.hold(tmp_path, key, "0xAbC", "rwa property mint", can_wait=False):
            pass
        assert str(refused.value).startswith("account 0xabc on sepolia is locked by pid ")
        assert str(refused.value).endswith("rwa kyc import): rerun when it has finished")
        with lock.hold(tmp_path, "sepolia", "0xAbC", "rwa deploy"):  # the network's own lock is another file
            pass


def test_the_holder_is_named_by_its_command_words_not_its_arguments():
    assert lock.command_line(["/venv/bin/rwa", "kyc", "import", "investors.csv"]) == "rwa kyc import"
    assert lock.command_line(["rwa", "deploy", "--network", "sepolia"]) == "rwa deploy"
    assert lock.command_line(["rwa", "property", "0xAbc/1"]) == "rwa property"
    assert lock.command_line([]) == "rwa"
