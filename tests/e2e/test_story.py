"""The whole governance story, each step an `rwa` command, on a suite deployed from scratch:

deploy and hand over to the timelock; pause a property token through the guardian Safe; propose
an upgrade of the vault beacon through the 2-of-3 Safe; two owners sign; execute the schedule; wait
out the delay; execute; every vault runs the new implementation with its state.

The commands run in the test process (the `rwa` fixture) with the deployments folder emptied, so
`deploy --fresh` makes a second suite on the session's chain from a manifest of the story's own; the smoke
tests of tests/cli run the installed `rwa` as separate processes (signing and executing proposals
in tests/admin/test_upgrade_flow.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
DELAY = 3600


def variant(story, name: str, vault_type: str) -> dict[str, str]:
    """A manifest of the story's own: the project's, as deployments/manifest.py builds it (its text
    untouched), with a one-hour timelock on the local network and the vault beacon on ``vault_type``."""
    path = story.deployments.parent / f"{name}.py"
    project = str(ROOT / "deployments" / "manifest.py")
    path.write_text(STORY_MANIFEST.format(project=project, delay=DELAY, vault_type=vault_type))
    return {"RWA_MANIFEST": str(path)}


STORY_MANIFEST = """\
from dataclasses import replace
from pathlib import Path

from rwa.deploy.manifest import load

PROJECT = load(Path({project!r}))
LOCAL = PROJECT.networks["local"]
MANIFEST = replace(
    PROJECT,
    contracts=tuple(
        replace(entry, contract_type={vault_type!r}) if entry.name == "NILVaultBeacon" else entry
        for entry in PROJECT.contracts
    ),
    networks={{**PROJECT.networks, "local": replace(LOCAL, params={{**LOCAL.params, "timelock_delay": {delay}}})}},
)
"""


def contract(chain, story, name: str, address: str | None = None, abi_of: str | None = None):
    record = json.loads((story.deployments / "local.json").read_text())["contracts"]
    return chain.provider.web3.eth.contract(address=address or record[name]["address"], abi=record[abi_of or name]["abi"])


def last_error(result) -> str:
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture
def story(rwa):
    """`rwa` with no deployment recorded: the story's `deploy` starts from nothing."""
    shutil.rmtree(rwa.deployments)
    rwa.deployments.mkdir()
    return rwa


# A long story (a second suite deployed, a dozen proposals): each of its steps has a test of its own that
# `make test-fast` runs (tests/admin/test_upgrade_flow.py, tests/cli/test_nil_commands.py); `make test` runs this.
@pytest.mark.slow
def test_the_whole_story(story, chain):
    v1 = variant(story, "manifest_v1", "NILVault")
    v2 = variant(story, "manifest_v2", "NILVaultV2Mock")

    # 1. Deploy; the manifest hands every admin power to the timelock, which only the Safe drives.
    # The deployer has sent before on this chain (the session's suite): a second suite is deliberate.
    assert "--adopt to rebuild the record" in story.refused("deploy", env=v1)
    story.run("deploy", "--fresh", env=v1)
    control = story.json("status", env=v1)["control"]
    # No admin power with one key; the local network gives the deployer the operational roles, flagged.
    operational = {
        "MINTER_ROLE",
        "BURNER_ROLE",
        "FREEZER_ROLE",
        "FORCED_TRANSFER_ROLE",
        "RECOVERY_ROLE",
        "CREATOR_ROLE",
        "OPERATOR_ROLE",
    }
    assert control["singleKey"] and {p["power"] for p in control["singleKey"]} <= operational
    record = json.loads((story.deployments / "local.json").read_text())["contracts"]
    timelock, safe, guardian = record["Timelock"]["address"], record["Safe"]["address"], record["GuardianSafe"]["address"]
    owners = {(p["contract"], p["power"]): p["holder"] for p in control["powers"]}
    assert owners[("NILVaultBeacon", "owner")] == timelock
    assert owners[("ComplianceRegistry", "DEFAULT_ADMIN_ROLE")] == timelock
    assert owners[("Timelock", "PROPOSER_ROLE")] == safe
    assert owners[("DemoProperty", "PAUSER_ROLE")] == guardian
    assert contract(chain, story, "Timelock").functions.getMinDelay().call() == DELAY

    # 2. The guardian pauses the property at once (1-of-2, no timelock).
    pause = story.json("property", "pause", "DEMO-1", "--via", "guardian", env=v1)
    story.run("safe", "sign", pause["id"], "--account", "guardian1", env=v1)
    story.run("safe", "execute", pause["id"], env=v1)
    assert contract(chain, story, "DemoProperty").functions.paused().call() is True

    # A second vault, so "every vault" means more than one.
    vault_factory = contract(chain, story, "NILVaultFactory")
    operator = Web3.to_checksum_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    second_athlete = Web3.to_checksum_address("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
    tx = vault_factory.functions.createVault(Web3.keccak(text="second-athlete"), second_athlete, "0x" + "00" * 20).transact(
        {"from": operator}
    )
    chain.provider.web3.eth.wait_for_transaction_receipt(tx)
    vaults = [record["DemoVault"]["address"], vault_factory.functions.predictVault(Web3.keccak(text="second-athlete")).call()]
    athletes = [contract(chain, story, "DemoVault", v, "DemoVault").functions.athlete().call() for v in vaults]
    assert athletes[1] == second_athlete

    # 3. Propose the vault beacon's upgrade: checked first, then scheduled through the 2-of-3 Safe.
    assert "can be upgraded safely" in story.run("upgrade", "NILVaultBeacon", "--check", env=v2).stdout
    upgrade = story.json("upgrade", "NILVaultBeacon", env=v2)
    schedule_id = upgrade["proposal"]
    assert schedule_id and upgrade["status"].startswith("proposed")

    # 4. Two owners sign, one after the other; the schedule executes.
    story.run("safe", "sign", schedule_id, "--account", "owner1", env=v2)
    story.run("safe", "sign", schedule_id, "--account", "owner3", env=v2)
    _, run = story.json("safe", "execute", schedule_id, env=v2)
    story.run("safe", "sign", run["id"], "--account", "owner2", env=v2)
    story.run("safe", "sign", run["id"], "--account", "owner3", env=v2)

    # 5. Not before the delay; then it runs.
    assert "is waiting, ready at" in last_error(story.run("safe", "execute", run["id"], expect=1, env=v2))
    chain.pending_timestamp += DELAY + 1
    chain.mine()
    [done] = story.json("safe", "execute", run["id"], env=v2)
    assert done["status"] == "executed"

    # 6. The record follows, and every vault runs the new implementation with its state.
    assert "recorded" in story.run("deploy", env=v2).stdout
    record = json.loads((story.deployments / "local.json").read_text())["contracts"]
    assert record["NILVaultBeacon"]["proxy"]["implementation"] == upgrade["implementation"]
    assert contract(chain, story, "NILVaultBeacon").functions.implementation().call() == upgrade["implementation"]
    version_abi = [
        {
            "type": "function",
            "name": "version",
            "inputs": [],
            "outputs": [{"type": "string", "name": ""}],
            "stateMutability": "pure",
        }
    ]
    for vault, athlete in zip(vaults, athletes):
        assert chain.provider.web3.eth.contract(address=vault, abi=version_abi).functions.version().call() == "2"
        assert contract(chain, story, "DemoVault", vault, "DemoVault").functions.athlete().call() == athlete
    assert story.json("status", env=v2)["drift"] == {}
