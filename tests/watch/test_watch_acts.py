"""Every admin act the suite's contracts can do, done directly by the holder of the power and again
through the admin Safe and the timelock (a Safe transaction scheduling it, one executing it): each
transaction raises exactly one alert, the act's, and says who acted and through what. Then what the
watcher says of the deployment itself, and of one property created."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from watchkit import PROPERTY, ZERO32, ZERO_ADDRESS, Kit, a_property, read_jsonl

from rwa.admin.safe import SafeTx
from rwa.testing.suite import ACCREDITED, GB, KYC_AML, US, YEAR, create_property, suite_contract
from rwa.watch.compose import MODULES

SENTINEL = "0x" + "00" * 19 + "01"


def safe_exec(safe: Any, owners: list[Any], sender: Any, to: str, data: bytes) -> Any:
    """A Safe transaction signed by its owners (every one: the threshold may have changed) and executed."""
    nonce = safe.call_view_method("nonce")  # `safe.nonce` is the account nonce of its address
    tx = SafeTx.call(to, data, nonce)
    digest = safe.getTransactionHash(*tx.hash_args())
    ordered = sorted(owners, key=lambda o: int(o.address, 16))
    signatures = b"".join(bytes(Account.unsafe_sign_hash(bytes(digest), o.private_key).signature) for o in ordered)
    return safe.execTransaction(*tx.exec_args(signatures), sender=sender)


# Every act three ways is a long story: tests/watch/test_watch.py's rule tests keep the alerts in `make test-fast`.
@pytest.mark.slow
def test_every_admin_act_raises_one_alert_directly_and_through_the_safe_and_the_timelock(
    rwa,
    tmp_path,
    chain,
    accounts,
    project,
    suite,
):
    k = Kit(project, suite, accounts)
    token, compliance, _ = a_property(project, suite, accounts, chain)
    factory, market = k.factory, suite_contract(project, suite, "PropertyMarket")
    owners = [accounts[3], accounts[4], accounts[5]]  # the local Safe's owners (owner1..3), threshold 2
    safe_self = accounts[k.safe.address]
    safe_self.balance += 10**18
    module = project.ComplianceModuleMock.deploy(sender=k.deployer)
    old_impl = k.token_beacon.implementation()
    new_impl = project.PropertyToken.deploy(suite_contract(project, suite, "MockStablecoin"), k.registry, sender=k.deployer)
    # The timelock holds the agents' and officers' powers too, so every act can go through it.
    for role in ("MINTER_ROLE", "BURNER_ROLE", "FREEZER_ROLE", "FORCED_TRANSFER_ROLE", "RECOVERY_ROLE", "PAUSER_ROLE"):
        token.grantRole(keccak(text=role), k.timelock, sender=k.admin)
    for role in ("SANCTIONS_ROLE", "ATTESTOR_ROLE"):
        k.registry.grantRole(keccak(text=role), k.timelock, sender=k.admin)
    expiry = chain.pending_timestamp + 10 * YEAR
    wallets = [
        [Account.create().address for _ in range(4)] for _ in range(2)
    ]  # per round: holder, receiver, its new wallet, frozen
    k.registry.registerBatch(
        [*(w for ws in wallets for w in ws[:3]), k.agent],  # (the agent is also the demo vault's athlete)
        [
            *(
                p
                for r in range(2)
                for p in (
                    (10 + r, US, KYC_AML | ACCREDITED, expiry),
                    (20 + r, GB, KYC_AML, expiry),
                    (20 + r, GB, KYC_AML, expiry),
                )
            ),
            (30, US, KYC_AML, expiry),
        ],
        sender=k.attestor,
    )
    vault = k.demo_vault
    suite_contract(project, suite, "NILVaultFactory").grantRole(keccak(text="GUARDIAN_ROLE"), k.timelock, sender=k.admin)
    disputed = []  # per round: a deal to refund
    for n in range(2):
        deal = vault.propose(
            (k.alice, ZERO_ADDRESS, 10**18, bytes([n + 1]) * 32, 3600, "ipfs://deal"), sender=k.alice
        ).return_value
        vault.accept(deal, sender=k.agent)  # the demo athlete is test:8
        vault.fund(deal, sender=k.alice, value=10**18)
        vault.dispute(deal, sender=k.alice)
        disputed.append(deal)
    unused = next(bit for bit in (32, 1, 16) if not compliance.modules() & bit)
    # The alerts name the modules as the contract does.
    assert {
        getattr(compliance, f"MODULE_{name}")(): words
        for name, words in (
            ("COUNTRY_ALLOW", "country allow-list"),
            ("MAX_BALANCE", "max balance"),
            ("MAX_HOLDERS", "max holders"),
            ("LOCKUP", "lockup"),
            ("SUPPLY_CAP", "supply cap"),
            ("ACCREDITED_ONLY", "accredited only"),
        )
    } == MODULES
    pid = keccak(text=PROPERTY)

    # (contract, function, args for round r, direct sender, the rule of its alert)
    E18 = 10**18
    acts: list[tuple[Any, str, Callable[[int], tuple[Any, ...]], Any, str]] = [
        (token, "mint", lambda r: (wallets[r][0], 100 * E18), k.agent, "property.Minted"),
        (token, "forcedTransfer", lambda r: (wallets[r][0], wallets[r][1], 10 * E18), k.agent, "property.ForcedTransfer"),
        (token, "burn", lambda r: (wallets[r][1], E18), k.agent, "property.Burned"),
        (token, "freezePartialTokens", lambda r: (wallets[r][0], E18), k.agent, "property.TokensFrozen"),
        (token, "unfreezePartialTokens", lambda r: (wallets[r][0], E18), k.agent, "property.TokensUnfrozen"),
        (token, "setAddressFrozen", lambda r: (wallets[r][3], True), k.agent, "property.AddressFrozen"),
        (token, "recoveryAddress", lambda r: (wallets[r][1], wallets[r][2], ZERO_ADDRESS), k.agent, "property.RecoverySuccess"),
        (token, "pause", lambda r: (), k.agent, "property.Paused"),
        (token, "unpause", lambda r: (), k.admin, "property.Unpaused"),
        (token, "addAgent", lambda r: (k.stranger,), k.admin, "property.AgentAdded"),
        (token, "removeAgent", lambda r: (k.stranger,), k.admin, "property.AgentRemoved"),
        (token, "grantRole", lambda r: (keccak(text="MINTER_ROLE"), k.outsider), k.admin, "roles.RoleGranted"),
        (token, "revokeRole", lambda r: (keccak(text="MINTER_ROLE"), k.outsider), k.admin, "roles.RoleRevoked"),
        (token, "setIdentityRegistry", lambda r: (k.registry,), k.admin, "compliance.IdentityRegistryAdded"),
        (compliance, "setMaxHolders", lambda r: (10 + r,), k.admin, "compliance.MaxHoldersSet"),
        (compliance, "setLockupPeriod", lambda r: (3600 + r,), k.admin, "compliance.LockupPeriodSet"),
        (compliance, "setCountriesAllowed", lambda r: ([840 + r], True), k.admin, "compliance.CountryAllowed"),
        (compliance, "addModule", lambda r: (unused,), k.admin, "compliance.ModuleAdded"),
        (compliance, "removeModule", lambda r: (unused,), k.admin, "compliance.ModuleRemoved"),
        (compliance, "addExternalModule", lambda r: (module,), k.admin, "compliance.ExternalModuleAdded"),
        (compliance, "removeExternalModule", lambda r: (module,), k.admin, "compliance.ExternalModuleRemoved"),
        (k.registry, "setSanctioned", lambda r: (k.stranger, r == 0), k.sanctions_officer, "registry.SanctionsUpdated"),
        (k.registry, "voidAttestations", lambda r: (wallets[r][0],), k.attestor, "registry.AttestationsVoided"),
        (k.registry, "revoke", lambda r: (wallets[r][2],), k.attestor, "registry.IdentityRevoked"),
        (
            factory,
            "setLegalDocument",
            lambda r: (pid, bytes([r + 1]) * 32, f"ipfs://deed-{r}"),
            k.admin,
            "property.LegalDocumentUpdated",
        ),
        (k.token_beacon, "upgradeTo", lambda r: (new_impl if r == 0 else old_impl,), k.admin, "upgrades.Upgraded"),
        (market, "setFee", lambda r: (token, 10 + r), k.admin, "market.FeeSet"),
        (market, "setApprover", lambda r: (token, k.agent if r == 0 else ZERO_ADDRESS), k.admin, "market.ApproverSet"),
        (k.token_beacon, "transferOwnership", lambda r: (k.timelock,), k.admin, "ownership.OwnershipTransferred"),
        (vault, "pause", lambda r: (), k.guardian, "vault.Paused"),
        (vault, "unpause", lambda r: (), k.admin, "vault.Unpaused"),
        (vault, "refund", lambda r: (disputed[r],), k.admin, "vault.DealRefunded"),  # (settling needs a splitter)
        (vault, "recoverAthlete", lambda r: (wallets[r][0],), k.admin, "vault.AthleteChanged"),
    ]
    # The Safe's own settings: by the Safe itself (impersonated), then by a Safe transaction.
    safe_acts: list[tuple[str, Callable[[int], tuple[Any, ...]], str]] = [
        ("addOwnerWithThreshold", lambda r: (k.outsider, 2 + r), "safe.AddedOwner"),  # the threshold kept
        ("removeOwner", lambda r: (SENTINEL, k.outsider, 2 + r), "safe.RemovedOwner"),
        ("changeThreshold", lambda r: (3 if r == 0 else 2,), "safe.ChangedThreshold"),
        ("setGuard", lambda r: (ZERO_ADDRESS,), "safe.ChangedGuard"),
    ]

    start = chain.blocks.head.number + 1
    expected: dict[str, str] = {}  # transaction -> the rule of its one alert
    for r, how in enumerate(("directly", "through the Safe and the timelock")):
        for contract, function, args, sender, rule in acts:
            method = getattr(contract, function)
            if how == "directly":
                expected[method(*args(r), sender=sender).txn_hash] = rule
                continue
            data = method.encode_input(*args(r))
            salt = keccak(text=f"{function}-{r}")
            schedule = k.timelock.schedule.encode_input(contract, 0, data, ZERO32, salt, 0)
            expected[safe_exec(k.safe, owners, owners[0], k.timelock.address, schedule).txn_hash] = "timelock.CallScheduled"
            execute = k.timelock.execute.encode_input(contract, 0, data, ZERO32, salt)
            expected[safe_exec(k.safe, owners, owners[1], k.timelock.address, execute).txn_hash] = rule
        for function, args, rule in safe_acts:
            method = getattr(k.safe, function)
            if how == "directly":
                expected[method(*args(r), sender=safe_self).txn_hash] = rule
            else:
                expected[safe_exec(k.safe, owners, owners[0], k.safe.address, method.encode_input(*args(r))).txn_hash] = rule

    watch = ("watch", "--once", "--quiet", "--store", str(tmp_path / "w.sqlite"), "--jsonl", str(tmp_path / "a.jsonl"))
    rwa.run(*watch, "--from", str(start), expect=3)
    alerts = read_jsonl(tmp_path / "a.jsonl")
    per_tx = Counter(a["transaction"] for a in alerts)
    assert {tx: n for tx, n in per_tx.items() if n != 1} == {}, "a transaction raised more than one alert"
    assert {a["transaction"].lower(): a["rule"] for a in alerts} == {str(tx).lower(): rule for tx, rule in expected.items()}
    by_rule = {(a["rule"], "through" in a["message"]): a for a in alerts}
    forced = by_rule[("property.ForcedTransfer", True)]["message"]
    assert "forced transfer of 10 MAIN1" in forced and "through Safe then Timelock operation 0x" in forced, forced
    assert f"by {k.agent.address}" in by_rule[("property.ForcedTransfer", False)]["message"]
    assert f"external module {module.address} added" in by_rule[("compliance.ExternalModuleAdded", True)]["message"]
    assert f"{MODULES[unused]} rule added" in by_rule[("compliance.ModuleAdded", False)]["message"]
    assert "threshold 2 → 3 of 3 owners" in by_rule[("safe.ChangedThreshold", False)]["message"]
    assert "threshold 3 → 2 of 3 owners" in by_rule[("safe.ChangedThreshold", True)]["message"]
    assert by_rule[("compliance.ExternalModuleAdded", True)]["severity"] == "critical"
    assert by_rule[("property.Minted", False)]["severity"] == "info"


def test_a_watcher_on_an_existing_deployment_pages_nobody_for_the_deploy_itself(rwa, tmp_path, chain, accounts, project, suite):
    """From the record's first block: the deployment raises nothing (unless --deployment-alerts), a
    property created afterwards raises one alert that says so."""
    k = Kit(project, suite, accounts)
    last = max(int(e["blockNumber"]) for e in suite["contracts"].values() if e.get("blockNumber"))
    create_property(project, k.factory, k.deployer, k.agent, property_id=b"QUIET-1", name="1 Quiet Street", symbol="QUIET1")
    quiet, loud = tmp_path / "quiet.jsonl", tmp_path / "loud.jsonl"
    result = rwa.run("watch", "--once", "--quiet", "--store", str(tmp_path / "q.sqlite"), "--jsonl", str(quiet), expect=3)
    assert "the deployment's own transactions raise no alerts" in result.stderr
    alerts = read_jsonl(quiet)
    assert [a for a in alerts if a["block"] <= last] == []
    created = [a for a in alerts if a["rule"] == "property.PropertyCreated"]
    assert len(created) == 1 and created[0]["severity"] == "info"
    assert created[0]["message"].startswith(
        "property QUIET1 created by PropertyTokenFactory: token, compliance, distributor, 7 roles granted ("
    )
    assert created[0]["message"].endswith(f"— by {k.deployer.address} (deployer)")  # who acted
    rwa.run(
        "watch", "--once", "--quiet", "--deployment-alerts", "--store", str(tmp_path / "l.sqlite"), "--jsonl", str(loud), expect=3
    )
    deployed = [a for a in read_jsonl(loud) if a["block"] <= last]
    assert any(a["message"].startswith("property DemoProperty created by PropertyTokenFactory") for a in deployed)
    assert [a["message"] for a in deployed if a["block"] <= 6 and a["severity"] != "info"] == []  # the Safes set up
    assert len({a["transaction"] for a in deployed}) == len(deployed)  # one per transaction there too
