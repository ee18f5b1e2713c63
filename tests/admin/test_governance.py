"""Safe proposals and the timelock through `rwa` commands, owners signing in turn.

The commands run in the test process (the `rwa` fixture); tests/e2e/test_story.py runs the same
flow with each step a separate process.
"""

from __future__ import annotations

import json

import pytest
from web3 import Web3

NEW_ATTESTOR = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
ATTESTOR_ROLE = Web3.keccak(text="ATTESTOR_ROLE")


def view(chain, suite, name, function, *args):
    entry = suite["contracts"][name]
    contract = chain.provider.web3.eth.contract(address=entry["address"], abi=entry["abi"])
    return contract.get_function_by_name(function)(*args).call()


def wait(chain, seconds: int) -> None:
    chain.pending_timestamp += seconds
    chain.mine()


def propose(rwa, *calls, via="safe"):
    args = ["safe", "propose", "--via", via]
    for call in calls:
        args += ["--call", call]
    return rwa.json(*args)


def sign_and_execute(rwa, proposal_id, signers=("owner1", "owner2")):
    for signer in signers:
        rwa.run("safe", "sign", proposal_id, "--account", signer)
    return rwa.json("safe", "execute", proposal_id)


def test_role_grant_through_safe_and_timelock(rwa, chain, suite):
    proposal = propose(rwa, f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    assert proposal["timelock"]["stage"] == "schedule" and proposal["safeCalls"][0]["function"] == "schedule"
    assert not view(chain, suite, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)

    first = rwa.json("safe", "sign", proposal["id"], "--account", "owner1")
    assert list(first["signatures"]) == ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"]
    executed, follow_up = sign_and_execute(rwa, proposal["id"], signers=("owner3",))
    assert executed["status"] == "executed"
    assert follow_up["timelock"]["operationId"] == proposal["timelock"]["operationId"]
    assert follow_up["timelock"]["stage"] == "execute"
    assert not view(chain, suite, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)

    [done] = sign_and_execute(rwa, follow_up["id"])
    assert done["status"] == "executed"
    assert view(chain, suite, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)
    [operation] = [o for o in rwa.json("timelock", "list") if o["operationId"] == proposal["timelock"]["operationId"]]
    assert operation["state"] == "done"


def test_signing_refusals_leave_the_file_untouched(rwa, chain, suite):
    proposal = propose(rwa, "ComplianceRegistry.grantRole(SANCTIONS_ROLE, Safe)")
    path = rwa.deployments / "proposals" / "local" / f"{proposal['id']}.json"
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    before = path.read_text()
    assert "already signed" in rwa.refused("safe", "sign", proposal["id"], "--account", "owner1")
    assert "is not an owner" in rwa.refused("safe", "sign", proposal["id"], "--account", "guardian1")
    assert "1 of 2 required signatures" in rwa.refused("safe", "execute", proposal["id"])
    assert path.read_text() == before


def test_tampered_or_truncated_proposal_is_refused(rwa, chain, suite):
    proposal = propose(rwa, f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    path = rwa.deployments / "proposals" / "local" / f"{proposal['id']}.json"
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    original = path.read_text()
    try:
        tampered = json.loads(original)
        tampered["safeCalls"][0]["data"] = tampered["safeCalls"][0]["data"][:-2] + "ff"
        path.write_text(json.dumps(tampered))
        assert "safeCalls[0].data: the file says" in rwa.refused("safe", "sign", proposal["id"], "--account", "owner2")

        tampered = json.loads(original)
        tampered["safeTx"]["to"] = NEW_ATTESTOR
        path.write_text(json.dumps(tampered))
        assert "no longer matches its safeTxHash" in rwa.refused("safe", "execute", proposal["id"])

        forged = json.loads(original)
        forged["signatures"]["0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"] = next(iter(forged["signatures"].values()))
        path.write_text(json.dumps(forged))
        assert "was not made by" in rwa.refused("safe", "execute", proposal["id"])

        path.write_text(original[: len(original) // 2])
        assert "unreadable" in rwa.refused("safe", "show", proposal["id"])
        assert path.read_text() == original[: len(original) // 2]
    finally:
        path.write_text(original)


def test_rejected_nonce_cannot_be_executed_twice(rwa, chain, suite):
    proposal = propose(rwa, f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    rejection = rwa.json("safe", "reject", proposal["id"])
    assert rejection["safeTx"]["nonce"] == proposal["safeTx"]["nonce"]
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    rwa.run("safe", "sign", proposal["id"], "--account", "owner2")
    [done] = sign_and_execute(rwa, rejection["id"])
    assert done["status"] == "executed"
    assert "is superseded" in rwa.refused("safe", "execute", proposal["id"])
    assert "is executed" in rwa.refused("safe", "execute", rejection["id"])
    assert not view(chain, suite, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)


def test_guardian_acts_at_once_and_admin_waits_out_the_delay(rwa, chain, suite):
    # Raise the delay through the timelock itself, then a new action must wait it out.
    schedule = propose(rwa, "Timelock.updateDelay(3600)")
    _, run = sign_and_execute(rwa, schedule["id"])
    sign_and_execute(rwa, run["id"])
    assert view(chain, suite, "Timelock", "getMinDelay") == 3600

    waiting = propose(rwa, f"ComplianceRegistry.revokeRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    assert waiting["timelock"]["delay"] == 3600
    _, run = sign_and_execute(rwa, waiting["id"])
    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", run["id"], "--account", signer)
    assert "is waiting, ready at" in rwa.refused("safe", "execute", run["id"])
    wait(chain, 3601)
    [done] = rwa.json("safe", "execute", run["id"])
    assert done["status"] == "executed"

    # The guardian Safe holds no registry role: a direct call is refused at proposal time.
    refused = rwa.refused("safe", "propose", "--via", "guardian", "--call", f"ComplianceRegistry.revoke({NEW_ATTESTOR})")
    assert "AccessControlUnauthorizedAccount" in refused


@pytest.mark.parametrize(
    "call, message",
    [
        ("Nope.pause()", "unknown contract 'Nope'"),
        ("ComplianceRegistry.grantRole(ATTESTOR_ROLE)", "takes 2 argument(s), got 1"),
        ("ComplianceRegistry.grantRole(ATTESTOR_ROLE, 0x12)", "not an address"),
        ("ComplianceRegistry.nothing()", "has no function 'nothing'"),
        ("not a call", "cannot read call"),
    ],
)
def test_bad_calls_are_one_line_and_write_nothing(rwa, call, message):
    folder = rwa.deployments / "proposals" / "local"
    before = sorted(folder.glob("*.json")) if folder.exists() else []
    assert message in rwa.refused("safe", "propose", "--call", call)
    assert (sorted(folder.glob("*.json")) if folder.exists() else []) == before


def test_kyc_action_via_guardian_after_the_admins_grant_it_the_role(rwa, chain, suite):
    wallet = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
    assert "AccessControlUnauthorizedAccount" in rwa.refused("kyc", "sanction", wallet, "--via", "guardian")

    schedule = propose(rwa, "ComplianceRegistry.grantRole(SANCTIONS_ROLE, GuardianSafe)")
    _, run = sign_and_execute(rwa, schedule["id"])
    wait(chain, int(run["timelock"]["delay"]) + 1)
    sign_and_execute(rwa, run["id"])

    proposal = rwa.json("kyc", "sanction", wallet, "--via", "guardian")
    assert proposal["safe"]["name"] == "GuardianSafe" and proposal["timelock"] is None
    assert rwa.json("kyc", "show", wallet)["sanctioned"] is False
    [done] = sign_and_execute(rwa, proposal["id"], signers=("guardian1",))  # 1-of-2: acts at once
    assert done["status"] == "executed"
    assert rwa.json("kyc", "show", wallet)["sanctioned"] is True
