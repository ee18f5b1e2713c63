"""The whole governance story on a local chain, each step a separate `rwa` process:

deploy and hand over to the timelock; pause a property token through the guardian Safe; propose
an upgrade of the vault beacon through the 2-of-3 Safe; two owners sign in two processes; execute
the schedule; wait out the delay; execute; every vault runs the new implementation with its state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from rwa.chain.client import rpc_request

ROOT = Path(__file__).resolve().parents[2]
DELAY = 3600


def variant(cli, name: str, vault_type: str) -> dict[str, str]:
    """The project manifest with a one-hour timelock and the vault beacon on ``vault_type``."""
    text = (ROOT / "deployments" / "manifest.py").read_text()
    patched = text.replace('            "timelock_delay": 0,', f'            "timelock_delay": {DELAY},')
    patched = patched.replace('        "NILVaultBeacon",\n        "NILVault",', f'        "NILVaultBeacon",\n        "{vault_type}",')
    assert patched.count(str(DELAY)) >= 1 and f'"{vault_type}"' in patched
    path = cli.deployments.parent / f"{name}.py"
    path.write_text(patched)
    return {"RWA_MANIFEST": str(path)}


def contract(cli, name: str, address: str | None = None, abi_of: str | None = None):
    record = json.loads((cli.deployments / "local.json").read_text())["contracts"]
    web3 = Web3(Web3.HTTPProvider(cli.env["APE_FOUNDRY_HOST"]))
    return web3.eth.contract(address=address or record[name]["address"], abi=record[abi_of or name]["abi"])


def last_error(result) -> str:
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def story(cli):
    cli.run("node", "reset", "--yes")
    return cli


def test_the_whole_story(story):
    v1 = variant(story, "manifest_v1", "NILVault")
    v2 = variant(story, "manifest_v2", "NILVaultV2Mock")

    # 1. Deploy; the manifest hands every admin power to the timelock, which only the Safe drives.
    story.run("deploy", env=v1)
    control = json.loads(story.run("status", "--json", env=v1).stdout)["control"]
    assert control["singleKey"] == []
    record = json.loads((story.deployments / "local.json").read_text())["contracts"]
    timelock, safe, guardian = record["Timelock"]["address"], record["Safe"]["address"], record["GuardianSafe"]["address"]
    owners = {(p["contract"], p["power"]): p["holder"] for p in control["powers"]}
    assert owners[("NILVaultBeacon", "owner")] == timelock
    assert owners[("ComplianceRegistry", "DEFAULT_ADMIN_ROLE")] == timelock
    assert owners[("Timelock", "PROPOSER_ROLE")] == safe
    assert owners[("DemoProperty", "PAUSER_ROLE")] == guardian

    # 2. The guardian pauses the property at once (1-of-2, no timelock).
    pause = json.loads(story.run("property", "pause", "DEMO-1", "--via", "guardian", "--json", env=v1).stdout)
    story.run("safe", "sign", pause["id"], "--account", "guardian1", env=v1)
    story.run("safe", "execute", pause["id"], env=v1)
    assert contract(story, "DemoProperty").functions.paused().call() is True

    # A second vault, so "every vault" means more than one.
    vault_factory = contract(story, "NILVaultFactory")
    operator = Web3.to_checksum_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    second_athlete = Web3.to_checksum_address("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
    vault_factory.functions.createVault(Web3.keccak(text="second-athlete"), second_athlete, "0x" + "00" * 20).transact({"from": operator})
    vaults = [record["DemoVault"]["address"], vault_factory.functions.predictVault(Web3.keccak(text="second-athlete")).call()]
    athletes = [contract(story, "DemoVault", v, "DemoVault").functions.athlete().call() for v in vaults]
    assert athletes[1] == second_athlete

    # 3. Propose the vault beacon's upgrade: checked first, then scheduled through the 2-of-3 Safe.
    assert "can be upgraded safely" in story.run("upgrade", "NILVaultBeacon", "--check", env=v2).stdout
    upgrade = json.loads(story.run("upgrade", "NILVaultBeacon", "--json", env=v2).stdout)
    schedule_id = upgrade["proposal"]
    assert schedule_id and upgrade["status"].startswith("proposed")

    # 4. Two owners sign, each in their own process; the schedule executes.
    story.run("safe", "sign", schedule_id, "--account", "owner1", env=v2)
    story.run("safe", "sign", schedule_id, "--account", "owner3", env=v2)
    _, run = json.loads(story.run("safe", "execute", schedule_id, "--json", env=v2).stdout)
    story.run("safe", "sign", run["id"], "--account", "owner2", env=v2)
    story.run("safe", "sign", run["id"], "--account", "owner3", env=v2)

    # 5. Not before the delay; then it runs.
    assert "is waiting, ready at" in last_error(story.run("safe", "execute", run["id"], expect=1, env=v2))
    rpc_request(story.env["APE_FOUNDRY_HOST"], "evm_increaseTime", [DELAY + 1])
    rpc_request(story.env["APE_FOUNDRY_HOST"], "evm_mine", [])
    [done] = json.loads(story.run("safe", "execute", run["id"], "--json", env=v2).stdout)
    assert done["status"] == "executed"

    # 6. The record follows, and every vault runs the new implementation with its state.
    assert "recorded" in story.run("deploy", env=v2).stdout
    record = json.loads((story.deployments / "local.json").read_text())["contracts"]
    assert record["NILVaultBeacon"]["proxy"]["implementation"] == upgrade["implementation"]
    assert contract(story, "NILVaultBeacon").functions.implementation().call() == upgrade["implementation"]
    for vault, athlete in zip(vaults, athletes):
        instance = Web3(Web3.HTTPProvider(story.env["APE_FOUNDRY_HOST"])).eth.contract(
            address=vault, abi=[{"type": "function", "name": "version", "inputs": [], "outputs": [{"type": "string", "name": ""}], "stateMutability": "pure"}]
        )
        assert instance.functions.version().call() == "2"
        assert contract(story, "DemoVault", vault, "DemoVault").functions.athlete().call() == athlete
    assert json.loads(story.run("status", "--json", env=v2).stdout)["drift"] == {}
