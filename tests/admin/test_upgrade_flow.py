"""`rwa upgrade`: checked against the layout recorded at deploy, then proposed through the Safe.

The commands run in the test process (the `rwa` fixture) against the session's suite, with a
manifest of the test's own for the new implementation (RWA_MANIFEST, as a user would set it);
tests/cli/test_commands.py runs `rwa upgrade --check` as a real process.
"""

from __future__ import annotations

import json
from pathlib import Path

from rwa.core.evm import create_address

ROOT = Path(__file__).resolve().parents[2]
WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def manifest_with(rwa, contract_type: str) -> dict[str, str]:
    """The project manifest with the registry's implementation swapped for ``contract_type``."""
    text = (ROOT / "deployments" / "manifest.py").read_text()
    patched = text.replace(
        '        "ComplianceRegistry",\n        proxy=ProxyKind.UUPS,',
        f'        "ComplianceRegistry",\n        "{contract_type}",\n        proxy=ProxyKind.UUPS,',
    )
    assert patched != text
    path = rwa.deployments.parent / f"manifest_{contract_type}.py"
    path.write_text(patched)
    return {"RWA_MANIFEST": str(path)}


def registry_view(chain, rwa, function):
    record = json.loads((rwa.deployments / "local.json").read_text())
    entry = record["contracts"]["ComplianceRegistry"]
    return chain.provider.web3.eth.contract(address=entry["address"], abi=entry["abi"]).get_function_by_name(function)


def test_check_without_changes(rwa):
    assert "already runs the compiled code" in rwa.run("upgrade", "ComplianceRegistry", "--check").stdout
    assert "not behind a proxy" in rwa.refused("upgrade", "Timelock", "--check")
    # Without --check, nothing to do is said the same way (it was a KeyError), nothing sent.
    assert "ComplianceRegistry: up to date (0x" in rwa.run("upgrade", "ComplianceRegistry").stdout


def test_unsafe_upgrade_is_refused_with_a_report_and_nothing_sent(rwa, chain):
    env = manifest_with(rwa, "ComplianceRegistryUnsafeMock")
    block = chain.blocks.height
    result = rwa.run("upgrade", "ComplianceRegistry", expect=1, env=env)
    lines = result.stderr.strip().splitlines()
    assert any("ComplianceRegistryUnsafeMock.destroy: selfdestruct" in line for line in lines)
    assert lines[-1].startswith("error: upgrade of ComplianceRegistry refused")
    assert chain.blocks.height == block


def test_safe_upgrade_goes_through_safe_and_timelock_and_keeps_state(rwa, chain):
    rwa.run("kyc", "set", WALLET, "--investor-id", "77", "--country", "756", "--expires", "365d")
    env = manifest_with(rwa, "ComplianceRegistryV2Mock")
    assert "can be upgraded safely" in rwa.run("upgrade", "ComplianceRegistry", "--check", env=env).stdout
    before = registry_view(chain, rwa, "recordOf")(WALLET).call()

    result = rwa.json("upgrade", "ComplianceRegistry", env=env)
    assert result["status"].startswith("proposed in") and result["proposal"]
    record = json.loads((rwa.deployments / "local.json").read_text())
    assert record["contracts"]["ComplianceRegistry"]["pendingUpgrade"]["implementation"] == result["implementation"]

    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", result["proposal"], "--account", signer, env=env)
    _, follow_up = rwa.json("safe", "execute", result["proposal"], env=env)
    for signer in ("owner2", "owner3"):
        rwa.run("safe", "sign", follow_up["id"], "--account", signer, env=env)
    rwa.run("safe", "execute", follow_up["id"], env=env)

    out = rwa.run("deploy", env=env).stdout
    assert "recorded" in out
    entry = json.loads((rwa.deployments / "local.json").read_text())["contracts"]["ComplianceRegistry"]
    assert entry["proxy"]["implementation"] == result["implementation"]
    assert entry["contractType"] == "ComplianceRegistryV2Mock" and "pendingUpgrade" not in entry
    assert registry_view(chain, rwa, "version")().call() == "2"
    assert registry_view(chain, rwa, "recordOf")(WALLET).call() == before
    assert rwa.json("status", env=env)["drift"] == {}


def test_a_compliance_from_before_per_wallet_tracking_is_recounted_in_the_same_batch(
    rwa, project, suite, deployer, admin, verified, alice, bob
):
    # Issue 21: upgrading a compliance that counted holders per investor only left tracking stale until a
    # manual resync. Here the recorded layout is made that of such a compliance (no countedInvestor).
    demo = project.PropertyToken.at(suite["contracts"]["DemoProperty"]["address"])
    compliance = project.ModularCompliance.at(demo.compliance())
    demo.batchMint([alice, bob], [10 * 10**18, 5 * 10**18], sender=deployer)
    rwa.through_the_timelock(rwa.json("property", "compliance", "resync", "DEMO-1", "--via", "safe"))
    assert compliance.isTracking() and compliance.holderCount() == 2
    path = rwa.deployments / "local.json"
    record = json.loads(path.read_text())
    entry = record["contracts"]["ModularComplianceBeacon"]
    namespace = entry["storageLayout"]["namespaces"]["rwa.storage.ModularCompliance"]
    entry["storageLayout"]["namespaces"]["rwa.storage.ModularCompliance"] = [
        m for m in namespace if m["label"] != "countedInvestor"
    ]
    entry["bytecodeHash"] = "0x" + "00" * 32  # not what runs: an upgrade is due
    entry["proxy"]["implementationTransactionHash"] = record["contracts"]["Timelock"]["transactionHash"]  # other code
    path.write_text(json.dumps(record))

    result = rwa.json("upgrade", "ModularComplianceBeacon", "--via", "safe")
    assert result["followUps"] == [f"ModularCompliance({demo.symbol()}).resync"]
    proposal = rwa.json("safe", "show", result["proposal"])
    calls = [(c["contract"], c["function"], c["args"]) for c in proposal["calls"]]
    wallets = sorted([alice.address, bob.address], key=lambda w: int(w, 16))
    assert calls[1] == (f"ModularCompliance({demo.symbol()})", "resync", [[1, 2], wallets])
    rwa.through_the_timelock(proposal)
    beacon = project.Beacon.at(suite["contracts"]["ModularComplianceBeacon"]["address"])
    assert beacon.implementation() == result["implementation"]  # the batch ran: the upgrade, then the recount
    assert compliance.holderCount() == 2
    assert (compliance.investorBalance(1), compliance.investorBalance(2)) == (10 * 10**18, 5 * 10**18)


def test_an_upgraded_vault_implementation_records_its_new_module(rwa, chain):
    # Issue 23: each NILVault implementation deploys its own NILVaultPaymentsModule; the record follows the upgrade.
    text = (ROOT / "deployments" / "manifest.py").read_text()
    vault = '        "NILVaultBeacon",\n        "{}",'
    patched = text.replace(vault.format("NILVault"), vault.format("NILVaultV2Mock"))
    assert patched != text
    path = rwa.deployments.parent / "manifest_vault_v2.py"
    path.write_text(patched)
    env = {"RWA_MANIFEST": str(path)}
    old = json.loads((rwa.deployments / "local.json").read_text())["modules"]["NILVaultBeacon"]

    result = rwa.json("upgrade", "NILVaultBeacon", env=env)
    rwa.through_the_timelock(rwa.json("safe", "show", result["proposal"]))
    rwa.run("deploy", env=env)
    record = json.loads((rwa.deployments / "local.json").read_text())
    made = record["modules"]["NILVaultBeacon"]
    module = made["contracts"]["paymentsModule"]
    assert made["createdBy"]["address"] == result["implementation"] != old["createdBy"]["address"]
    assert made["createdBy"]["transactionHash"] == record["contracts"]["NILVaultBeacon"]["proxy"]["implementationTransactionHash"]
    assert module["address"] == create_address(result["implementation"], 1) != old["contracts"]["paymentsModule"]["address"]
    assert chain.provider.get_code(module["address"])
    assert rwa.json("status", env=env)["deployment"]["modules"] == record["modules"]
    shown = rwa.run("status", env=env).stdout
    assert module["address"] in shown and old["contracts"]["paymentsModule"]["address"] not in shown
