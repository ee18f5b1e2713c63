"""The engine against a real chain: first deploy, idempotent rerun, drift, chain identity, resume."""

from __future__ import annotations

import json

import pytest
from eth_utils import keccak

from rwa.core.errors import ChainMismatchError, DriftError, RwaError
from rwa.core.evm import IMPLEMENTATION_SLOT, create_address
from rwa.deploy.engine import apply_deployment, plan_deployment
from rwa.deploy.records import recorded_contracts


def test_first_deploy_records_every_contract(suite, deploy_target, chain):
    contracts = suite["contracts"]
    assert set(contracts) == {entry.name for entry in deploy_target.manifest.entries("local")}
    assert {"Safe", "GuardianSafe", "Timelock", "ComplianceRegistry", "MockStablecoin"} <= set(contracts)
    for entry in contracts.values():
        assert chain.provider.get_code(entry["address"]), entry["name"]
    registry = contracts["ComplianceRegistry"]
    assert registry["proxy"]["kind"] == "uups"
    slot = chain.provider.get_storage(registry["address"], IMPLEMENTATION_SLOT)
    assert slot[-20:].hex().lower() == registry["proxy"]["implementation"][2:].lower()
    assert suite["chainId"] == chain.chain_id
    assert registry["args"]["initializer"] == {"function": "initialize", "args": {"admin": contracts["Timelock"]["deployer"]}}


def test_rerun_sends_nothing(suite, deploy_target, deployer):
    nonce = deployer.nonce
    plan, record = apply_deployment(deploy_target)
    assert not plan.sends
    assert deployer.nonce == nonce
    assert {s.action for s in plan.steps} == {"skip"}
    assert record["contracts"].keys() == suite["contracts"].keys()
    assert not deploy_target.store.journal_path("local").exists()


def test_post_deploy_calls_took_effect(registry, timelock, deployer, attestor, sanctions_officer):
    admin_role = bytes(32)
    assert registry.hasRole(registry.ATTESTOR_ROLE(), attestor)
    assert registry.hasRole(registry.SANCTIONS_ROLE(), sanctions_officer)
    assert registry.hasRole(admin_role, timelock)
    assert not registry.hasRole(admin_role, deployer)


def test_undone_call_is_planned_then_redone(suite, deploy_target, registry, admin, attestor):
    registry.revokeRole(registry.ATTESTOR_ROLE(), attestor, sender=admin)
    plan, _ = plan_deployment(deploy_target)
    assert [s.action for s in plan.steps if s.action != "skip"] == ["call"]
    # The deployer renounced its admin role, so the engine cannot redo this one itself.
    with pytest.raises(RwaError, match="reverted"):
        apply_deployment(deploy_target)


def test_implementation_swapped_behind_our_back_is_drift(suite, deploy_target, registry, admin, project, deployer):
    other = project.ComplianceRegistry.deploy(sender=deployer)
    registry.upgradeToAndCall(other, b"", sender=admin)
    plan, _ = plan_deployment(deploy_target)
    drift = [s for s in plan.steps if s.action == "drift"]
    assert drift and drift[0].name == "ComplianceRegistry" and "implementation" in drift[0].detail
    with pytest.raises(DriftError):
        apply_deployment(deploy_target)


def test_record_of_another_chain_is_refused(suite, deploy_target):
    store = deploy_target.store
    record = store.load("local")
    store.save("local", {**record, "genesisHash": "0x" + "ab" * 32})
    try:
        with pytest.raises(ChainMismatchError, match="refusing to mix"):
            plan_deployment(deploy_target)
    finally:
        store.save("local", record)


def test_deployments_file_is_sorted_and_complete(suite, deploy_target):
    path = deploy_target.store.path("local")
    text = path.read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    for key in ("chainId", "genesisHash", "manifestHash", "gitCommit", "toolkitVersion", "updatedAt"):
        assert key in data


def _stage(suite_manifest, **changes):
    """The suite's manifest with one extra non-local network, served by the test chain."""
    from dataclasses import replace

    from rwa.deploy.manifest import Manifest, Network, ref
    from rwa.deploy.powers import AGENT_POWERS

    local = suite_manifest.network("local")
    live_addresses = {
        key: "0x" + f"{i + 1:02x}" * 20 for i, key in enumerate(("stablecoin", "safe_singleton", "safe_factory", "multisend"))
    }
    owners = ["0x" + "0a" * 20, "0x" + "0b" * 20]
    params = {
        **local.params,
        **live_addresses,
        "safe_owners": owners,
        "guardian_owners": owners,
        # Burn, forced transfer and recovery: never a key on a live network (the admins' Safe stands in).
        **{p.param: ref("Safe") for p in AGENT_POWERS if p.contract_only},
    }
    stage = Network("stage", local.ape_choice, local=False, params=params, accounts=changes.pop("accounts", {}))
    return Manifest(suite_manifest.contracts, {**suite_manifest.networks, "stage": replace(stage, **changes)})


def _target(deploy_target, suite_manifest, account, tmp_path, **changes):
    from rwa.chain.client import Chain
    from rwa.core.project import ProjectPaths
    from rwa.deploy.target import Target

    manifest = _stage(suite_manifest, **changes)
    return Target(
        ProjectPaths(deploy_target.paths.root, deployments_override=tmp_path),
        manifest,
        manifest.network("stage"),
        Chain.active(),
        account,
        deploy_target.artifacts,
    )


def test_live_network_refuses_local_test_keys(deploy_target, suite_manifest, deployer, tmp_path):
    from rwa.core.errors import ManifestError

    target = _target(
        deploy_target, suite_manifest, deployer, tmp_path, accounts={"attestor": "test:1", "sanctions_officer": "test:2"}
    )
    with pytest.raises(ManifestError, match="uses a local test key on a live network"):
        plan_deployment(target)


def test_deploy_that_cannot_be_paid_for_is_refused_before_sending(deploy_target, suite_manifest, accounts, tmp_path):
    from rwa.core.errors import RwaError

    broke = accounts.generate_test_account()
    people = {"attestor": accounts[1].address, "sanctions_officer": accounts[2].address}
    target = _target(deploy_target, suite_manifest, broke, tmp_path, accounts=people)
    with pytest.raises(RwaError, match=r"holds 0\.000000 ETH but this deploy may cost up to .* nothing was sent"):
        apply_deployment(target)
    assert broke.nonce == 0
    assert not (tmp_path / "stage.json").exists()
    assert not (tmp_path / "stage.journal.jsonl").exists()


def _control_of(deploy_target, suite, accounts):
    from rwa.admin import control

    candidates = {*(e["address"] for e in suite["contracts"].values()), *(a.address for a in accounts[:8])}
    found = control.powers(deploy_target.chain, suite, candidates)
    kinds = control.holders(deploy_target.chain, suite, {}, {p.holder for p in found})
    return found, kinds, control.single_key_powers(found, kinds)


def test_control_tree_has_no_single_key_admin_after_deploy(deploy_target, suite, accounts):
    from rwa.admin import control

    found, kinds, single = _control_of(deploy_target, suite, accounts)
    contracts = suite["contracts"]
    held = {(p.contract, p.power, p.holder) for p in found}
    assert ("ComplianceRegistry", "DEFAULT_ADMIN_ROLE", contracts["Timelock"]["address"]) in held
    assert ("Timelock", "PROPOSER_ROLE", contracts["Safe"]["address"]) in held
    assert ("Timelock", "EXECUTOR_ROLE", contracts["Safe"]["address"]) in held
    assert kinds[contracts["Safe"]["address"]].kind == "safe" and kinds[contracts["Safe"]["address"]].threshold == 2
    assert [p for p in single if p.power in control.ADMIN_POWERS] == []


def test_operational_powers_of_one_key_are_flagged(deploy_target, suite, accounts, deployer):
    from rwa.admin import control

    # On local chains the deployer keeps the operational roles (the local network names it): flagged.
    _, _, single = _control_of(deploy_target, suite, accounts)
    flagged = {(p.contract, p.power, p.holder) for p in single}
    assert ("PropertyTokenFactory", "CREATOR_ROLE", deployer.address) in flagged
    assert ("NILVaultFactory", "OPERATOR_ROLE", deployer.address) in flagged
    assert ("DemoProperty", "FORCED_TRANSFER_ROLE", deployer.address) in flagged
    assert all(p.power in control.OPERATIONAL_POWERS for p in single)


def test_admin_role_on_a_key_is_flagged(deploy_target, suite, accounts, registry, admin, outsider):
    from rwa.admin import control

    registry.grantRole(bytes(32), outsider, sender=admin)
    _, _, single = _control_of(deploy_target, suite, accounts)
    admin_powers = [(p.contract, p.power, p.holder) for p in single if p.power in control.ADMIN_POWERS]
    assert admin_powers == [("ComplianceRegistry", "DEFAULT_ADMIN_ROLE", outsider.address)]


def test_powers_over_factory_made_contracts_are_read_too(deploy_target, suite, deployer):
    from rwa.admin import control

    # The demo property, as `rwa property create` would record it (under "properties", not "contracts").
    demo = suite["contracts"]["DemoProperty"]
    made = {
        "createdBy": {"factory": "PropertyTokenFactory"},
        "contracts": {"token": {"address": demo["address"], "abi": demo["abi"]}},
    }
    record = {
        **suite,
        "contracts": {n: c for n, c in suite["contracts"].items() if n != "DemoProperty"},
        "properties": {"DEMO-1": made},
    }
    found = control.powers(deploy_target.chain, record, {deployer.address})
    kinds = control.holders(deploy_target.chain, record, {}, {p.holder for p in found})
    flagged = {(p.contract, p.power) for p in control.single_key_powers(found, kinds) if p.holder == deployer.address}
    assert {("DEMO-1.token", "MINTER_ROLE"), ("DEMO-1.token", "FORCED_TRANSFER_ROLE")} <= flagged


def test_external_contracts_are_checked_before_anything_is_planned(deploy_target, suite, deployer, tmp_path):
    from rwa.chain.client import Chain
    from rwa.core.errors import RwaError
    from rwa.core.project import ProjectPaths
    from rwa.deploy.manifest import Contract, External, Manifest, Network
    from rwa.deploy.target import Target

    coin = suite["contracts"]["MockStablecoin"]["address"]
    registry = suite["contracts"]["ComplianceRegistry"]["address"]

    def planned(address):
        entry = Contract("Coin", "MockStablecoin", external={"stage": External(address, "0x" + "ab" * 32)})
        manifest = Manifest((entry,), {"stage": Network("stage", "ethereum:local:foundry")})
        target = Target(
            ProjectPaths(deploy_target.paths.root, deployments_override=tmp_path),
            manifest,
            manifest.network("stage"),
            Chain.active(),
            deployer,
            deploy_target.artifacts,
        )
        return plan_deployment(target)[0]

    with pytest.raises(
        RwaError, match=r"Coin: no code at 0x7777.* on stage, where the manifest says this external contract already exists"
    ):
        planned("0x" + "77" * 20)
    with pytest.raises(RwaError, match=r"Coin: the code at .* has hash 0x.*, not the 0xabab.* the manifest expects there"):
        planned(registry)
    plan = planned(coin)  # the project's own build of MockStablecoin is accepted whatever hash is named
    assert [(s.action, s.name) for s in plan.steps] == [("external", "Coin")]


def test_a_keystore_account_is_unlocked_once_for_a_run(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ape_accounts.accounts import KeyfileAccount
    from ape_ethereum.transactions import DynamicFeeTransaction
    from eth_account import Account

    from rwa.core.errors import RwaError
    from rwa.deploy import session
    from rwa.deploy.manifest import Network

    key = Account.create()
    path = tmp_path / "ops.json"
    path.write_text(json.dumps(Account.encrypt(key.key, "right", kdf="pbkdf2", iterations=1000)))
    target = SimpleNamespace(account=KeyfileAccount(keyfile_path=path), network=Network("stage", "ethereum:sepolia:node"))
    monkeypatch.delenv("APE_ACCOUNTS_ops_PASSPHRASE", raising=False)
    asked = []
    with pytest.raises(RwaError, match=r"^wrong passphrase for Ape account 'ops' \(as typed\); nothing was sent$"):
        session.unlock_for_run(target, lambda text: asked.append(text) or "wrong")
    session.unlock_for_run(target, lambda text: asked.append(text) or "right")
    assert asked == ["Passphrase of Ape account 'ops'"] * 2
    # Every transaction of the run is now signed without a "Sign:" question (click.confirm would fail here).
    transaction = DynamicFeeTransaction(receiver=key.address, gas_limit=21000, nonce=0, chain_id=1, max_fee=1, max_priority_fee=1)
    assert target.account.sign_transaction(transaction).signature is not None


def test_a_live_power_naming_the_deployer_is_refused(deploy_target, suite_manifest, deployer, accounts, tmp_path):
    from rwa.core.errors import RwaError

    people = {"attestor": accounts[1].address, "sanctions_officer": accounts[2].address}
    # The local parameters hand vault operation to @deployer; a live network may not.
    target = _target(deploy_target, suite_manifest, deployer, tmp_path, accounts=people, required=("vault_operator",))
    with pytest.raises(
        RwaError, match=rf"parameter 'vault_operator' of stage is the deploying account {deployer.address}: on a live network"
    ):
        plan_deployment(target)


def test_the_module_a_constructor_deploys_is_recorded_with_its_creation(suite, deploy_target, chain):
    # Issue 23: NILVault's constructor deploys its payments module (NILVaultPaymentsModule), which no record named.
    beacon = suite["contracts"]["NILVaultBeacon"]
    implementation = beacon["proxy"]["implementation"]
    made = suite["modules"]["NILVaultBeacon"]
    module = made["contracts"]["paymentsModule"]
    assert module["address"] == create_address(implementation, 1)
    assert module["contractType"] == "NILVaultPaymentsModule"
    assert module["abi"] == deploy_target.artifacts["NILVaultPaymentsModule"].abi
    assert module["codeHash"] == "0x" + keccak(chain.provider.get_code(module["address"])).hex()
    receipt = chain.provider.web3.eth.get_transaction_receipt(beacon["proxy"]["implementationTransactionHash"])
    assert receipt["contractAddress"] == implementation
    assert made["createdBy"] == {
        "factory": "NILVaultBeacon",
        "address": implementation,
        "function": "constructor",
        "transactionHash": beacon["proxy"]["implementationTransactionHash"],
        "blockNumber": receipt["blockNumber"],
        "sender": beacon["deployer"],
    }
    # The vaults run the same implementation: the module is recorded once, not again for DemoVault.
    assert list(suite["modules"]) == ["NILVaultBeacon"]
    assert ("NILVaultBeacon.paymentsModule", {**module, "createdBy": made["createdBy"]}) in recorded_contracts(suite)


def test_a_record_from_before_modules_gets_them_with_nothing_sent(suite, deploy_target, deployer):
    path = deploy_target.store.path("local")
    record = json.loads(path.read_text())
    modules = record.pop("modules")
    path.write_text(json.dumps(record))
    nonce = deployer.nonce
    plan, _ = apply_deployment(deploy_target)
    assert not plan.sends and deployer.nonce == nonce
    assert json.loads(path.read_text())["modules"] == modules
