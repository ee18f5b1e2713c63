"""`rwa watch` and `rwa history` on the session's chain (in this process), and as real processes
killed with kill -9 behind an RPC that drops and refuses large log ranges."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from watchkit import (
    PROPERTY,
    ZERO32,
    ZERO_ADDRESS,
    Kit,
    Proxy,
    Receiver,
    Watcher,
    a_property,
    read_jsonl,
    rule_counts,
    watch_env,
)

from rwa.testing.runners import RWA
from rwa.testing.suite import create_property, suite_contract


def funded(project, suite, admin, distributor):
    """The admin holds stablecoin and has approved the distributor."""
    stablecoin = suite_contract(project, suite, "MockStablecoin")
    stablecoin.mint(admin, 10**15, sender=admin)
    stablecoin.approve(distributor, 2**256 - 1, sender=admin)
    return admin


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])  # slow: a PostgreSQL server
def store(request: Any, tmp_path: Path) -> str:
    """The watcher's store, each test run against both: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "w.sqlite")
    return str(request.getfixturevalue("postgres").database())


def watch_once(rwa: Any, tmp_path: Path, store: str, start: int | None, *extra: str, expect: int | None = None) -> Any:
    args = ["watch", "--once", "--store", store, "--jsonl", str(tmp_path / "alerts.jsonl"), *extra]
    if start is not None:
        args += ["--from", str(start)]
    return rwa.run(*args, expect=expect)


def test_each_built_in_rule_fires_once_for_its_event(rwa, tmp_path, store, chain, accounts, project, suite):
    k = Kit(project, suite, accounts)
    token, compliance, _ = a_property(project, suite, accounts, chain)
    start = chain.blocks.head.number + 1
    token.mint(k.alice, 100 * 10**18, sender=k.agent)
    token.forcedTransfer(k.alice, k.bob, 10 * 10**18, sender=k.agent)
    token.transfer(k.bob, 10**18, sender=k.alice)  # a plain transfer: no alert
    token.freezePartialTokens(k.bob, 10**18, sender=k.agent)
    token.setAddressFrozen(k.carol, True, sender=k.agent)
    token.recoveryAddress(k.alice, k.alice2, ZERO_ADDRESS, sender=k.agent)
    token.pause(sender=k.agent)
    token.unpause(sender=k.admin)
    compliance.setMaxHolders(10, sender=k.admin)
    k.registry.setSanctioned(k.stranger, True, sender=k.sanctions_officer)
    proposer = accounts[k.safe.address]
    proposer.balance += 10**18
    grant = k.registry.grantRole.encode_input(keccak(text="ATTESTOR_ROLE"), k.outsider)
    k.timelock.schedule(k.registry, 0, grant, ZERO32, ZERO32, 0, sender=proposer)
    k.timelock.execute(k.registry, 0, grant, ZERO32, ZERO32, sender=proposer)
    k.timelock.schedule(k.registry, 0, grant, ZERO32, b"\x01" * 32, 0, sender=proposer)
    k.timelock.cancel(k.timelock.hashOperation(k.registry, 0, grant, ZERO32, b"\x01" * 32), sender=proposer)
    k.safe.addOwnerWithThreshold(k.outsider, 2, sender=proposer)
    k.safe.changeThreshold(3, sender=proposer)
    k.token_beacon.upgradeTo(k.token_beacon.implementation(), sender=k.admin)

    result = watch_once(rwa, tmp_path, store, start, expect=3)
    alerts = read_jsonl(tmp_path / "alerts.jsonl")
    # One alert per transaction: the recovery's freezing of the lost wallet is told in the recovery's,
    # the timelock's execution in the role grant's; the beacon "upgraded" to the implementation it
    # had changed nothing and raises nothing.
    assert rule_counts(alerts) == {
        "property.Minted": 1,
        "property.ForcedTransfer": 1,
        "property.TokensFrozen": 1,
        "property.AddressFrozen": 1,
        "property.RecoverySuccess": 1,
        "property.Paused": 1,
        "property.Unpaused": 1,
        "compliance.MaxHoldersSet": 1,
        "registry.SanctionsUpdated": 1,
        "timelock.CallScheduled": 2,
        "timelock.Cancelled": 1,
        "roles.RoleGranted": 1,
        "safe.AddedOwner": 1,
        "safe.ChangedThreshold": 1,
    }, [a["message"] for a in alerts]
    said = {a["rule"]: a for a in alerts}
    scheduled = said["timelock.CallScheduled"]
    assert f"scheduled grant ATTESTOR_ROLE on ComplianceRegistry to {k.outsider.address}" in scheduled["message"]
    assert "executable now" in scheduled["message"]
    assert said["roles.RoleGranted"]["parts"] == ["roles.RoleGranted", "timelock.CallExecuted"]
    assert f"ATTESTOR_ROLE granted to {k.outsider.address}" in said["roles.RoleGranted"]["message"]
    assert "through Timelock operation 0x" in said["roles.RoleGranted"]["message"]
    assert (
        f"it would have: grant ATTESTOR_ROLE on ComplianceRegistry to {k.outsider.address}"
        in said["timelock.Cancelled"]["message"]
    )
    assert "forced transfer of 10 MAIN1 from" in said["property.ForcedTransfer"]["message"]
    assert "100 MAIN1 minted to" in said["property.Minted"]["message"]
    assert said["property.RecoverySuccess"]["parts"] == ["property.AddressFrozen", "property.RecoverySuccess"]
    assert "threshold 2 → 3 of 4 owners" in said["safe.ChangedThreshold"]["message"]
    assert "(now 2 of 4 owners)" in said["safe.AddedOwner"]["message"]
    assert "max holders 0 → 10" in said["compliance.MaxHoldersSet"]["message"]
    assert f"{len(alerts)} alert(s) raised" in result.stderr
    assert "[critical] property.Paused" in result.stdout  # the terminal sink

    # Run again: nothing new, nothing raised twice (exit 0), and history answers from the database.
    watch_once(rwa, tmp_path, store, None, expect=0)
    assert len(read_jsonl(tmp_path / "alerts.jsonl")) == len(alerts)
    holders = rwa.json("history", "holders", PROPERTY, "--db", store)["rows"]
    assert {h["wallet"]: h["balance"] for h in holders} == {k.alice2.address: "89", k.bob.address: "11"}
    early = rwa.json("history", "holders", PROPERTY, "--block", str(start), "--db", store)["rows"]
    assert early == [{"wallet": k.alice.address, "balance": "100"}]
    csv_text = rwa.run("history", "alerts", "--csv", "--db", store).stdout
    assert csv_text.splitlines()[0] == "block,severity,rule,message,retracted,id"


def test_the_other_built_in_rules_fire_once_for_theirs(rwa, tmp_path, store, chain, accounts, project, suite):
    k = Kit(project, suite, accounts)
    token, compliance, _ = a_property(project, suite, accounts, chain)
    guardian = accounts[suite["contracts"]["GuardianSafe"]["address"]]
    guardian.balance += 10**18
    start = chain.blocks.head.number + 1
    token.mint(k.bob, 5 * 10**18, sender=k.agent)
    token.freezePartialTokens(k.bob, 10**18, sender=k.agent)
    token.unfreezePartialTokens(k.bob, 10**18, sender=k.agent)
    token.setIdentityRegistry(k.registry, sender=k.admin)
    compliance.setCountriesAllowed([840], True, sender=k.admin)
    compliance.setMaxBalance(10**24, sender=k.admin)
    compliance.setSupplyCap(10**30, sender=k.admin)
    compliance.setLockupPeriod(3600, sender=k.admin)
    k.registry.revokeRole(keccak(text="ATTESTOR_ROLE"), k.attestor, sender=k.admin)
    k.timelock.updateDelay(5, sender=k.admin)
    k.token_beacon.transferOwnership(k.outsider, sender=k.admin)
    owner = accounts[k.safe.address]
    owner.balance += 10**18
    k.safe.enableModule(k.outsider, sender=owner)
    k.safe.disableModule("0x" + "00" * 19 + "01", k.outsider, sender=owner)
    k.safe.setGuard(ZERO_ADDRESS, sender=owner)
    k.safe.setFallbackHandler(k.outsider, sender=owner)
    deal = k.demo_vault.propose((k.alice, ZERO_ADDRESS, 10**18, b"\x11" * 32, 3600, "ipfs://deal"), sender=k.alice).return_value
    k.demo_vault.accept(deal, sender=k.agent)  # the demo athlete is test:8
    k.demo_vault.fund(deal, sender=k.alice, value=10**18)
    k.demo_vault.dispute(deal, sender=k.alice)
    k.demo_vault.pause(sender=guardian)
    k.demo_vault.unpause(sender=k.admin)

    watch_once(rwa, tmp_path, store, start, expect=3)
    assert rule_counts(read_jsonl(tmp_path / "alerts.jsonl")) == {
        "property.Minted": 1,
        "property.TokensFrozen": 1,
        "property.TokensUnfrozen": 1,
        "compliance.IdentityRegistryAdded": 1,
        "compliance.CountryAllowed": 1,
        "compliance.MaxBalanceSet": 1,
        "compliance.SupplyCapSet": 1,
        "compliance.LockupPeriodSet": 1,
        "roles.RoleRevoked": 1,
        "timelock.MinDelayChange": 1,
        "ownership.OwnershipTransferred": 1,
        "safe.EnabledModule": 1,
        "safe.DisabledModule": 1,
        "safe.ChangedGuard": 1,
        "safe.ChangedFallbackHandler": 1,
        "vault.DealDisputed": 1,
        "vault.Paused": 1,
        "vault.Unpaused": 1,
    }
    deals = rwa.json("history", "deals", "DemoVault", "--db", store)["rows"]
    assert deals == [
        {"deal": deal, "brand": k.alice.address, "amount": str(10**18), "state": "disputed", "since": deals[0]["since"]}
    ]


def test_history_answers_dividends_and_safe_proposals_from_the_database(
    rwa,
    tmp_path,
    store,
    chain,
    accounts,
    project,
    suite,
):
    k = Kit(project, suite, accounts)
    token, _, distributor = a_property(project, suite, accounts, chain)
    payer = funded(project, suite, k.admin, distributor)
    start = chain.blocks.head.number + 1
    token.mint(k.alice, 10 * 10**18, sender=k.agent)
    distributor.deposit(1000 * 10**6, sender=payer)
    token.claimDividends(sender=k.alice)
    proposal = rwa.json("vault", "pause", "demo-athlete", "--via", "guardian")
    rwa.run("safe", "sign", proposal["id"], "--account", "guardian1")
    rwa.run("safe", "execute", proposal["id"])
    watch_once(rwa, tmp_path, store, start, expect=3)
    db = ("--db", store)
    rows = rwa.json("history", "dividends", PROPERTY, *db)["rows"]
    assert [(r["kind"], r["wallet"]) for r in rows] == [("deposit", payer.address), ("claim", k.alice.address)]
    assert rows[0]["amount"] == str(1000 * 10**6) and int(rows[1]["amount"]) > 0
    [executed] = rwa.json("history", "proposals", "GuardianSafe", *db)["rows"]
    assert executed["outcome"] == "executed" and executed["to"] == k.demo_vault.address
    assert executed["selector"] == "0x" + keccak(text="pause()")[:4].hex()
    assert rwa.refused("history", "deals", "nobody", *db).startswith(
        "error: no vault 'nobody' in the watcher's database (known: DemoVault"
    )
    assert "run `rwa watch --network local` first" in rwa.refused("history", "alerts", "--db", str(tmp_path / "none.sqlite"))


def test_custom_rules_are_checked_at_start_and_fire_above_their_threshold(
    rwa,
    tmp_path,
    store,
    chain,
    accounts,
    project,
    suite,
):
    k = Kit(project, suite, accounts)
    token, _, _ = a_property(project, suite, accounts, chain)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n"
        "  - name: big-mint\n    event: Transfer\n    contract: NoSuchThing\n"
        "  - name: odd\n    event: Transfer\n    contract: PropertyToken\n    where: {amount: 1}\n    above: {from: 5}\n"
        "  - event: Paused\n    severity: loud\n"
    )
    result = rwa.run("watch", "--once", "--db", store, "--rules", str(bad), expect=2)
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: bad.yaml: rule 1 (big-mint): unknown contract 'NoSuchThing' (a recorded name, an address or a contract type)",
        "error: bad.yaml: rule 2 (odd): Transfer has no argument 'amount' (it has from, to, value)",
        "error: bad.yaml: rule 2 (odd): above: Transfer.from is a address, not a number",
        "error: bad.yaml: rule 3: needs a name",
        "error: bad.yaml: rule 3: severity must be one of info, warning, critical, not 'loud'",
    ], result.stderr
    assert not (tmp_path / "alerts.jsonl").exists()

    good = tmp_path / "rules.yaml"
    good.write_text(
        "rules:\n"
        "  - name: big-mint\n    event: Transfer\n    contract: PropertyToken\n"
        "    where: {from: '0x0000000000000000000000000000000000000000'}\n    above: {value: 50e18}\n"
        "    severity: critical\n    message: 'mint of {value} to {to} on {contract}'\n"
    )
    start = chain.blocks.head.number + 1
    token.mint(k.alice, 10 * 10**18, sender=k.agent)
    token.mint(k.bob, 60 * 10**18, sender=k.agent)
    # --until: the first mint's block alone (under the threshold): only the built-in mint alert; then the rest.
    assert "up to block" in watch_once(rwa, tmp_path, store, start, "--rules", str(good), "--until", str(start), expect=3).stderr
    assert [a["rule"] for a in read_jsonl(tmp_path / "alerts.jsonl")] == ["property.Minted"]
    watch_once(rwa, tmp_path, store, None, "--rules", str(good), expect=3)
    alerts = [a for a in read_jsonl(tmp_path / "alerts.jsonl") if a["rule"] != "property.Minted"]
    assert [(a["rule"], a["message"]) for a in alerts] == [
        ("big-mint", f"mint of {60 * 10**18} to {k.bob.address} on MAIN1.token")
    ]  # a property the record does not name: its symbol


def test_a_reorg_retracts_what_it_undid_and_raises_the_new_blocks(rwa, tmp_path, store, chain, accounts, project, suite):
    k = Kit(project, suite, accounts)
    token, _, _ = a_property(project, suite, accounts, chain)
    start = chain.blocks.head.number + 1
    snapshot = chain.snapshot()
    token.pause(sender=k.agent)
    token.unpause(sender=k.admin)
    watch_once(rwa, tmp_path, store, start, expect=3)
    chain.restore(snapshot)
    token.setAddressFrozen(k.carol, True, sender=k.agent)
    chain.mine(3)
    result = watch_once(rwa, tmp_path, store, None, expect=3)
    assert "reorganisation: blocks after" in result.stderr and "2 alert(s) retracted" in result.stderr
    messages = read_jsonl(tmp_path / "alerts.jsonl")
    assert [(m["kind"], m["rule"]) for m in messages] == [
        ("alert", "property.Paused"),
        ("alert", "property.Unpaused"),
        ("retraction", "property.Paused"),
        ("retraction", "property.Unpaused"),
        ("alert", "property.AddressFrozen"),
    ]
    assert messages[2]["id"] == messages[0]["id"]
    alerts = rwa.json("history", "alerts", "--db", store)["rows"]
    assert sorted((a["rule"], a["retracted"]) for a in alerts) == [
        ("property.AddressFrozen", False),
        ("property.Paused", True),
        ("property.Unpaused", True),
    ]


def test_a_webhook_down_for_a_while_receives_everything_afterwards(rwa, tmp_path, store, chain, accounts, project, suite):
    k = Kit(project, suite, accounts)
    token, _, _ = a_property(project, suite, accounts, chain)
    receiver = Receiver()  # not started yet: nothing listens on its port
    start = chain.blocks.head.number + 1
    token.pause(sender=k.agent)
    token.unpause(sender=k.admin)
    first = watch_once(rwa, tmp_path, store, start, "--webhook", receiver.url, "--quiet", expect=3)
    assert f"webhook http://127.0.0.1:{receiver.port}/… unreachable at start" in first.stderr
    assert "2 message(s) waiting for a sink" in first.stderr
    receiver.start()
    try:
        watch_once(rwa, tmp_path, store, None, "--webhook", receiver.url, "--quiet", expect=0)
        slack = Receiver()
        slack.start()
        token.pause(sender=k.agent)
        watch_once(rwa, tmp_path, store, None, "--webhook", receiver.url, "--webhook", "slack+" + slack.url, "--quiet", expect=3)
    finally:
        receiver.stop()
    assert [b["rule"] for b in receiver.bodies] == ["property.Paused", "property.Unpaused", "property.Paused"]
    assert len(set(receiver.keys)) == 3
    # A sink added later gets the backlog too, as Slack text.
    assert [b["text"].split(" at block")[0] for b in slack.bodies] == [
        "[critical] property.Paused",
        "[warning] property.Unpaused",
        "[critical] property.Paused",
    ]
    slack.stop()


def test_a_database_of_another_chain_is_refused(rwa, tmp_path):
    import sqlite3

    db = sqlite3.connect(tmp_path / "w.sqlite")
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta "
        "VALUES ('network', 'sepolia'), ('chainId', '11155111'), ('genesisHash', '0x25a5');"
    )
    db.close()
    line = rwa.refused("watch", "--once", "--db", str(tmp_path / "w.sqlite"))
    assert line.startswith("error: ") and "belongs to network sepolia (chain 11155111" in line


def _spawn(env: dict[str, str], root: Path, jsonl: Path, db: str, start: int) -> Watcher:
    """A watcher from ``start``: each restart goes back there and sees everything again, raising nothing twice."""
    process = Watcher(env, root, "--span", "50", "--from", str(start), "--jsonl", str(jsonl), "--store", db)
    assert process.line().startswith("watching local")  # started: killed from now on, it has work in hand
    return process


@pytest.mark.slow  # `rwa watch` processes, killed and restarted
def test_killed_at_random_moments_it_raises_each_alert_once(
    tmp_path,
    project_paths,
    chain,
    accounts,
    project,
    suite,
):
    k = Kit(project, suite, accounts)
    """A real watcher behind a proxy that refuses log ranges over 8 blocks and drops for a while,
    killed with kill -9 three times; a property created while it runs is picked up."""
    token, _, _ = a_property(project, suite, accounts, chain)
    proxy = Proxy(chain.provider.uri, max_range=8)
    env = watch_env(proxy.url, project_paths, tmp_path)
    jsonl, db = tmp_path / "alerts.jsonl", str(tmp_path / "w.sqlite")  # on PostgreSQL: test_watch_standby.py
    start = chain.blocks.head.number + 1
    rng = random.Random(15)
    process = _spawn(env, project_paths.root, jsonl, db, start)
    expected = 0
    kills = 0
    made = None
    blocks: list[int] = []
    try:
        for step in range(12):
            if step % 2 == 0:
                blocks.append(token.pause(sender=k.agent).block_number)
            else:
                blocks.append(token.unpause(sender=k.admin).block_number)
            expected += 1
            if step == 5:
                made = create_property(project, k.factory, k.deployer, k.agent, **property_input_kwargs())[0]
                made.pause(sender=k.agent)
                expected += 1 + 1  # its pause; its creation (one alert for the transaction)
            if step == 7:
                proxy.down = True
                time.sleep(1.5)
                proxy.down = False
            time.sleep(rng.uniform(0.0, 0.3))
            if step in (2, 6, 9):
                assert process.running(), "the watcher died (an RPC drop must be retried, not fatal)"
                process.kill()
                kills += 1
                process = _spawn(env, project_paths.root, jsonl, db, start)
        chain.mine(1)
    finally:
        time.sleep(0.5)
        running = process.running()
        process.kill()
        assert running, process.said()
    final = subprocess.run(
        [RWA, "watch", "--once", "--quiet", "--jsonl", str(jsonl), "--store", db],
        cwd=project_paths.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    proxy.close()
    assert final.returncode in (0, 3), final.stderr
    alerts = read_jsonl(jsonl)
    ids = [a["id"] for a in alerts]
    assert len(ids) == len(set(ids)), "an alert was delivered twice"
    assert len(alerts) == expected, (rule_counts(alerts), blocks, final.stderr)
    assert int(final.stderr.split(": ")[-1].split()[0]) < expected  # the killed watchers had raised most of them
    assert kills == 3 and proxy.refused > 0
    assert made is not None and any(a["address"] == made.address and a["rule"] == "property.Paused" for a in alerts)


def property_input_kwargs() -> dict[str, Any]:
    return {"property_id": b"WATCH-1", "name": "1 Watch Street", "symbol": "WATCH1"}
