"""The watcher's rules without a chain: every built-in rule fires for its event on its contracts and
no other rule does; custom rules from a Python file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rwa.core.errors import RwaError
from rwa.watch.rules import (
    ACTIVITY,
    BUILT_IN,
    FACTORIES,
    LARGE_PAYMENT,
    PROXY_TYPES,
    Decoder,
    Log,
    Subject,
    built_in_rules,
    describe,
    load_custom,
)

ADDRESS = "0x" + "ab" * 20
SAMPLE = {"address": ADDRESS, "address[]": [ADDRESS], "bool": True, "bytes32": "0x" + "00" * 32, "string": "x", "bytes": "0x"}


def log_of(decoder: Decoder, kind: str, event: str) -> Log:
    inputs = decoder.event_inputs(kind, event)
    assert inputs is not None, (kind, event)
    args = {i["name"]: SAMPLE.get(i["type"], 7) for i in inputs}
    return Log(Subject(ADDRESS, f"a {kind}", kind), event, 10, "0x" + "11" * 32, "0x" + "22" * 32, 0, args)


@pytest.fixture(scope="module")
def decoder(compiled):
    return Decoder(compiled)


def test_each_built_in_rule_fires_for_its_event_and_no_other_rule_does(decoder):
    rules = built_in_rules()
    kinds = sorted(
        {
            "Timelock",
            "SafeL2",
            "PropertyToken",
            "ModularCompliance",
            "ComplianceRegistry",
            "NILVault",
            "Beacon",
            "NILVaultFactory",
            "PropertyTokenFactory",
        }
    )
    checked = 0
    for category, event, rule_kinds, _ in BUILT_IN:
        for kind in sorted(rule_kinds) if rule_kinds else [k for k in kinds if event in decoder.event_names(k)]:
            log = log_of(decoder, kind, event)
            fired = [rule.name for rule in rules if rule.applies(log)]
            assert fired == [f"{category}.{event}"], (kind, event, fired)
            assert describe(rules[0], log, {}) and "{" not in describe(next(r for r in rules if r.name == fired[0]), log, {})
            checked += 1
    assert checked >= len(BUILT_IN)
    # Events no rule is about raise nothing: a plain transfer, a deposit, a deal proposal.
    for kind, event in (("PropertyToken", "Transfer"), ("DividendDistributor", "Deposited"), ("NILVault", "DealProposed")):
        assert not [r for r in rules if r.applies(log_of(decoder, kind, event))]
    # Supply made or destroyed is (a Transfer from or to no one).
    minted = log_of(decoder, "PropertyToken", "Transfer")
    for key, name in (("from", "property.Minted"), ("to", "property.Burned")):
        moved = Log(minted.subject, "Transfer", 1, "0x", "0x", 0, {**minted.args, key: "0x" + "00" * 20})
        assert [r.name for r in rules if r.applies(moved)] == [name]


def test_every_event_of_every_deployed_contract_has_a_rule_or_is_not_an_admin_act(decoder, project_paths):
    """Every event the manifest's contracts (their proxies, and factory-made properties, vaults and
    offerings) can emit is a built-in rule's, or named in ACTIVITY with why it is not an admin act: an
    event added to a contract fails here until it is one or the other."""
    from rwa.deploy import manifest

    kinds = {entry.contract_type for entry in manifest.load(project_paths.root / "deployments" / "manifest.py").entries("local")}
    kinds |= {kind for _, made in FACTORIES.values() for _, kind, _ in made} | set(PROXY_TYPES)
    kinds -= {"MockStablecoin"}  # the stablecoin is others' token: the watcher does not watch it
    ruled = {(rule.event, rule.kinds) for rule in built_in_rules()}
    missing = []
    for kind in sorted(kinds & set(decoder.artifacts)):
        for event in sorted(decoder.event_names(kind)):
            covered = any(event == e and (ks is None or kind in ks) for e, ks in ruled)
            if not covered and event not in ACTIVITY:
                missing.append(f"{kind}.{event}")
    assert not missing, f"events with no rule, and not named in ACTIVITY: {missing}"
    expected = {"PropertyToken", "ModularCompliance", "ComplianceRegistry", "Timelock", "SafeL2", "PropertyMarket", "NILVault"}
    assert expected | {"ContractNFT", "FanPayments", "PropertyOffering", "DividendDistributor"} <= kinds


def test_a_python_rules_file_may_filter_with_a_function(decoder, tmp_path: Path):
    subjects = [Subject(ADDRESS, "DemoProperty", "PropertyToken")]
    path = tmp_path / "rules.py"
    path.write_text(
        "RULES = [\n"
        "    "
        "{'name': 'odd-value', 'event': 'Transfer', 'contract': 'DemoProperty', 'where': lambda a: int(a['value']) % 2 == 1},\n"
        "]\n"
    )
    [rule] = load_custom(path, subjects, decoder)
    log = log_of(decoder, "PropertyToken", "Transfer")
    assert rule.applies(log)  # value 7
    assert not rule.applies(Log(log.subject, "Transfer", 1, "0x", "0x", 0, {**log.args, "value": 8}))
    path.write_text("RULES = 'nope'\n")
    with pytest.raises(RwaError, match="needs a RULES list of rules"):
        load_custom(path, subjects, decoder)
    path.write_text("RULES = [\n")
    with pytest.raises(RwaError, match="cannot be read"):
        load_custom(path, subjects, decoder)


def test_a_subscription_above_the_threshold_raises_an_alert(decoder):
    from rwa.watch.rules import LARGE_SUBSCRIPTION

    rules = built_in_rules()
    small = log_of(decoder, "PropertyOffering", "Subscribed")
    large = Log(small.subject, "Subscribed", 1, "0x", "0x", 0, {**small.args, "paid": LARGE_SUBSCRIPTION + 1})
    assert [r.name for r in rules if r.applies(small)] == []
    assert [r.name for r in rules if r.applies(large)] == ["offering.LargeSubscription"]
    assert not [
        r
        for r in rules
        if r.applies(Log(small.subject, "Subscribed", 1, "0x", "0x", 0, {**small.args, "paid": LARGE_SUBSCRIPTION}))
    ]


def test_a_large_payment_raises_an_alert_and_a_small_one_does_not(decoder):
    rules = built_in_rules()
    log = log_of(decoder, "FanPayments", "FanPaid")  # the payments hub: every fan payment
    assert [r.name for r in rules if r.applies(log)] == []
    large = Log(log.subject, "FanPaid", 10, log.block_hash, log.tx, 0, {**log.args, "amount": LARGE_PAYMENT + 1})
    fired = [r for r in rules if r.applies(large)]
    assert [r.name for r in fired] == ["payments.large"]
    assert "payment of 10000000001" in describe(fired[0], large, {})
