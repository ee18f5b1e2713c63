"""`rwa upgrade`: checked against the layout recorded at deploy, then proposed through the Safe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def manifest_with(cli, contract_type: str) -> dict[str, str]:
    """The project manifest with the registry's implementation swapped for ``contract_type``."""
    text = (ROOT / "deployments" / "manifest.py").read_text()
    patched = text.replace('        "ComplianceRegistry",\n        proxy=ProxyKind.UUPS,', f'        "ComplianceRegistry",\n        "{contract_type}",\n        proxy=ProxyKind.UUPS,')
    assert patched != text
    path = cli.deployments.parent / f"manifest_{contract_type}.py"
    path.write_text(patched)
    return {"RWA_MANIFEST": str(path)}


@pytest.fixture(scope="module")
def deployed(cli):
    cli.run("node", "reset", "--yes")
    cli.run("deploy")
    cli.run("kyc", "set", WALLET, "--investor-id", "77", "--country", "756", "--expires", "365d")
    return cli


def registry_view(cli, function):
    record = json.loads((cli.deployments / "local.json").read_text())
    entry = record["contracts"]["ComplianceRegistry"]
    web3 = Web3(Web3.HTTPProvider(cli.env["APE_FOUNDRY_HOST"]))
    return web3.eth.contract(address=entry["address"], abi=entry["abi"]).get_function_by_name(function)


def test_check_without_changes(deployed):
    assert "already runs the compiled code" in deployed.run("upgrade", "ComplianceRegistry", "--check").stdout
    line = deployed.run("upgrade", "Timelock", "--check", expect=1).stderr.strip()
    assert "not behind a proxy" in line


def test_unsafe_upgrade_is_refused_with_a_report_and_nothing_sent(deployed):
    env = manifest_with(deployed, "ComplianceRegistryUnsafeMock")
    block = deployed.block()
    result = deployed.run("upgrade", "ComplianceRegistry", expect=1, env=env)
    lines = result.stderr.strip().splitlines()
    assert any("ComplianceRegistryUnsafeMock.destroy: selfdestruct" in line for line in lines)
    assert lines[-1].startswith("error: upgrade of ComplianceRegistry refused")
    assert deployed.block() == block


def test_safe_upgrade_goes_through_safe_and_timelock_and_keeps_state(deployed):
    env = manifest_with(deployed, "ComplianceRegistryV2Mock")
    assert "can be upgraded safely" in deployed.run("upgrade", "ComplianceRegistry", "--check", env=env).stdout
    before = registry_view(deployed, "recordOf")(WALLET).call()

    result = json.loads(deployed.run("upgrade", "ComplianceRegistry", "--json", env=env).stdout)
    assert result["status"].startswith("proposed in") and result["proposal"]
    record = json.loads((deployed.deployments / "local.json").read_text())
    assert record["contracts"]["ComplianceRegistry"]["pendingUpgrade"]["implementation"] == result["implementation"]

    for signer in ("owner1", "owner2"):
        deployed.run("safe", "sign", result["proposal"], "--account", signer, env=env)
    _, follow_up = json.loads(deployed.run("safe", "execute", result["proposal"], "--json", env=env).stdout)
    for signer in ("owner2", "owner3"):
        deployed.run("safe", "sign", follow_up["id"], "--account", signer, env=env)
    deployed.run("safe", "execute", follow_up["id"], env=env)

    out = deployed.run("deploy", env=env).stdout
    assert "recorded" in out
    entry = json.loads((deployed.deployments / "local.json").read_text())["contracts"]["ComplianceRegistry"]
    assert entry["proxy"]["implementation"] == result["implementation"]
    assert entry["contractType"] == "ComplianceRegistryV2Mock" and "pendingUpgrade" not in entry
    assert registry_view(deployed, "version")().call() == "2"
    assert registry_view(deployed, "recordOf")(WALLET).call() == before
    assert json.loads(deployed.run("status", "--json", env=env).stdout)["drift"] == {}
