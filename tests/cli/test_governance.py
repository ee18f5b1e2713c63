"""Safe proposals and the timelock, each step a separate `rwa` process, owners signing in turn."""

from __future__ import annotations

import json

import pytest
from web3 import Web3

from rwa.chain import rpc_request

NEW_ATTESTOR = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
ATTESTOR_ROLE = Web3.keccak(text="ATTESTOR_ROLE")


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def deployed(cli):
    cli.run("node", "reset", "--yes")
    cli.run("deploy")
    return json.loads((cli.deployments / "local.json").read_text())


def view(cli, deployed, name, function, *args):
    web3 = Web3(Web3.HTTPProvider(cli.env["APE_FOUNDRY_HOST"]))
    entry = deployed["contracts"][name]
    return web3.eth.contract(address=entry["address"], abi=entry["abi"]).get_function_by_name(function)(*args).call()


def propose(cli, *calls, via="safe"):
    args = ["safe", "propose", "--via", via]
    for call in calls:
        args += ["--call", call]
    return cli.json(*args)


def sign_and_execute(cli, proposal_id, signers=("owner1", "owner2")):
    for signer in signers:
        cli.run("safe", "sign", proposal_id, "--account", signer)
    return cli.json("safe", "execute", proposal_id)


def test_role_grant_through_safe_and_timelock(cli, deployed):
    proposal = propose(cli, f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    assert proposal["timelock"]["stage"] == "schedule" and proposal["safeCalls"][0]["function"] == "schedule"
    assert not view(cli, deployed, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)

    first = cli.json("safe", "sign", proposal["id"], "--account", "owner1")
    assert list(first["signatures"]) == ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"]
    executed, follow_up = sign_and_execute(cli, proposal["id"], signers=("owner3",))
    assert executed["status"] == "executed"
    assert follow_up["timelock"]["operationId"] == proposal["timelock"]["operationId"]
    assert follow_up["timelock"]["stage"] == "execute"
    assert not view(cli, deployed, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)

    [done] = sign_and_execute(cli, follow_up["id"])
    assert done["status"] == "executed"
    assert view(cli, deployed, "ComplianceRegistry", "hasRole", ATTESTOR_ROLE, NEW_ATTESTOR)
    [operation] = [o for o in cli.json("timelock", "list") if o["operationId"] == proposal["timelock"]["operationId"]]
    assert operation["state"] == "done"


def test_signing_refusals_leave_the_file_untouched(cli, deployed):
    proposal = propose(cli, "ComplianceRegistry.grantRole(SANCTIONS_ROLE, Safe)")
    path = cli.deployments / "proposals" / "local" / f"{proposal['id']}.json"
    cli.run("safe", "sign", proposal["id"], "--account", "owner1")
    before = path.read_text()
    assert "already signed" in one_line_error(cli.run("safe", "sign", proposal["id"], "--account", "owner1", expect=1))
    assert "is not an owner" in one_line_error(cli.run("safe", "sign", proposal["id"], "--account", "guardian1", expect=1))
    assert "1 of 2 required signatures" in one_line_error(cli.run("safe", "execute", proposal["id"], expect=1))
    assert path.read_text() == before


def test_tampered_or_truncated_proposal_is_refused(cli, deployed):
    proposal = propose(cli, f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    path = cli.deployments / "proposals" / "local" / f"{proposal['id']}.json"
    cli.run("safe", "sign", proposal["id"], "--account", "owner1")
    original = path.read_text()
    try:
        tampered = json.loads(original)
        tampered["safeCalls"][0]["data"] = tampered["safeCalls"][0]["data"][:-2] + "ff"
        path.write_text(json.dumps(tampered))
        assert "no longer match" in one_line_error(cli.run("safe", "sign", proposal["id"], "--account", "owner2", expect=1))

        tampered = json.loads(original)
        tampered["safeTx"]["to"] = NEW_ATTESTOR
        path.write_text(json.dumps(tampered))
        assert "no longer matches its safeTxHash" in one_line_error(cli.run("safe", "execute", proposal["id"], expect=1))

        forged = json.loads(original)
        forged["signatures"]["0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"] = next(iter(forged["signatures"].values()))
        path.write_text(json.dumps(forged))
        assert "was not made by" in one_line_error(cli.run("safe", "execute", proposal["id"], expect=1))

        path.write_text(original[: len(original) // 2])
        assert "unreadable" in one_line_error(cli.run("safe", "show", proposal["id"], expect=1))
        assert path.read_text() == original[: len(original) // 2]
    finally:
        path.write_text(original)


def test_rejected_nonce_cannot_be_executed_twice(cli, deployed):
    for stale in cli.json("safe", "list"):
        if stale["status"] == "proposed":
            cli.run("safe", "reject", stale["id"])
    # Spend every open nonce in order, rejections included, so the Safe is caught up.
    for item in sorted(cli.json("safe", "list"), key=lambda p: p["safeTx"]["nonce"]):
        if item.get("rejects") and item["status"] == "proposed":
            sign_and_execute(cli, item["id"])
    for item in cli.json("safe", "list"):
        if item["status"] == "proposed" and not item.get("rejects"):
            result = cli.run("safe", "execute", item["id"], expect=1)
            assert "is already used" in one_line_error(result) or "required signatures" in one_line_error(result)


def test_guardian_acts_at_once_and_admin_waits_out_the_delay(cli, deployed):
    # Raise the delay through the timelock itself, then a new action must wait it out.
    schedule = propose(cli, "Timelock.updateDelay(3600)")
    _, run = sign_and_execute(cli, schedule["id"])
    sign_and_execute(cli, run["id"])
    assert view(cli, deployed, "Timelock", "getMinDelay") == 3600

    waiting = propose(cli, f"ComplianceRegistry.revokeRole(ATTESTOR_ROLE, {NEW_ATTESTOR})")
    assert waiting["timelock"]["delay"] == 3600
    _, run = sign_and_execute(cli, waiting["id"])
    for signer in ("owner1", "owner2"):
        cli.run("safe", "sign", run["id"], "--account", signer)
    assert "is waiting, ready at" in one_line_error(cli.run("safe", "execute", run["id"], expect=1))
    rpc_request(cli.env["APE_FOUNDRY_HOST"], "evm_increaseTime", [3601])
    rpc_request(cli.env["APE_FOUNDRY_HOST"], "evm_mine", [])
    [done] = cli.json("safe", "execute", run["id"])
    assert done["status"] == "executed"

    # The guardian Safe holds no registry role: a direct call is refused at proposal time.
    result = cli.run("safe", "propose", "--via", "guardian", "--call", f"ComplianceRegistry.revoke({NEW_ATTESTOR})", expect=1)
    assert "AccessControlUnauthorizedAccount" in one_line_error(result)


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
def test_bad_calls_are_one_line_and_write_nothing(cli, deployed, call, message):
    folder = cli.deployments / "proposals" / "local"
    before = sorted(folder.glob("*.json")) if folder.exists() else []
    assert message in one_line_error(cli.run("safe", "propose", "--call", call, expect=1))
    assert (sorted(folder.glob("*.json")) if folder.exists() else []) == before


def test_kyc_action_via_guardian_after_the_admins_grant_it_the_role(cli, deployed):
    wallet = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
    refused = cli.run("kyc", "sanction", wallet, "--via", "guardian", expect=1)
    assert "AccessControlUnauthorizedAccount" in one_line_error(refused)

    schedule = propose(cli, "ComplianceRegistry.grantRole(SANCTIONS_ROLE, GuardianSafe)")
    _, run = sign_and_execute(cli, schedule["id"])
    rpc_request(cli.env["APE_FOUNDRY_HOST"], "evm_increaseTime", [int(run["timelock"]["delay"]) + 1])
    rpc_request(cli.env["APE_FOUNDRY_HOST"], "evm_mine", [])
    sign_and_execute(cli, run["id"])

    proposal = cli.json("kyc", "sanction", wallet, "--via", "guardian")
    assert proposal["safe"]["name"] == "GuardianSafe" and proposal["timelock"] is None
    assert cli.json("kyc", "show", wallet)["sanctioned"] is False
    [done] = sign_and_execute(cli, proposal["id"], signers=("guardian1",))  # 1-of-2: acts at once
    assert done["status"] == "executed"
    assert cli.json("kyc", "show", wallet)["sanctioned"] is True
