"""The guardian Safe's veto: it holds the timelock's canceller role (granted by the manifest, as the
timelock's own act), the watcher's alert of a scheduled operation gives the exact command, and
that command cancels it; nobody else can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ape
from eth_utils import keccak
from watchkit import read_jsonl

from rwa.deploy import planner
from rwa.testing.suite import suite_contract

CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")


def scheduled_by_the_admins(rwa: Any, outsider: str) -> str:
    """The admins' Safe schedules a grant (as compromised keys would): its timelock operation id."""
    proposal = rwa.json("safe", "propose", "--call", f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {outsider})", "--json")
    for owner in ("owner1", "owner2"):
        rwa.run("safe", "sign", proposal["id"], "--account", owner)
    rwa.run("safe", "execute", proposal["id"])
    return str(proposal["timelock"]["operationId"])


def test_the_alert_of_a_scheduled_operation_gives_the_guardians_veto_and_it_works(
    rwa: Any,
    tmp_path: Path,
    chain: Any,
    accounts: Any,
    project: Any,
    suite: dict[str, Any],
) -> None:
    timelock = suite_contract(project, suite, "Timelock")
    guardian = suite["contracts"]["GuardianSafe"]["address"]
    assert timelock.hasRole(CANCELLER_ROLE, guardian)  # the suite's deploy granted it, as the timelock
    start = chain.blocks.head.number + 1
    operation = scheduled_by_the_admins(rwa, accounts[7].address)
    assert timelock.getOperationState(operation) in (1, 2)  # waiting, or ready (the local delay is 0)

    jsonl = tmp_path / "alerts.jsonl"
    watch = ("watch", "--once", "--quiet", "--store", str(tmp_path / "w.sqlite"), "--jsonl", str(jsonl))
    rwa.run(*watch, "--from", str(start), expect=3)
    [scheduled] = [a for a in read_jsonl(jsonl) if a["rule"] == "timelock.CallScheduled"]
    command = scheduled["message"].split("; to veto: ")[1]
    assert command == f"rwa timelock cancel {operation} --via guardian --network local"

    veto = rwa.json(*command.split()[1:], "--json")
    assert veto["safe"]["name"] == "GuardianSafe" and "guardian veto" in veto["title"]
    rwa.run("safe", "sign", veto["id"], "--account", "guardian1")  # the guardian's threshold is 1
    rwa.run("safe", "execute", veto["id"])
    assert timelock.getOperationState(operation) == 0  # unset: cancelled
    rwa.run(*watch, expect=3)
    [cancelled] = [a for a in read_jsonl(jsonl) if a["rule"] == "timelock.Cancelled"]
    assert cancelled["args"]["id"] == operation
    assert "is unset: nothing to cancel" in rwa.refused(*command.split()[1:])


def test_no_one_else_can_cancel_and_a_deployment_without_the_veto_gets_it_from_rwa_deploy(
    rwa: Any,
    chain: Any,
    accounts: Any,
    project: Any,
    suite: dict[str, Any],
    deploy_target: Any,
) -> None:
    timelock = suite_contract(project, suite, "Timelock")
    guardian = suite["contracts"]["GuardianSafe"]["address"]
    operation = scheduled_by_the_admins(rwa, accounts[7].address)
    outsider = accounts[7]
    with ape.reverts():
        timelock.cancel(operation, sender=outsider)
    # A deployment made before the veto existed: the guardian Safe has no canceller role.
    itself = accounts[timelock.address]
    itself.balance += 10**18
    timelock.revokeRole(CANCELLER_ROLE, guardian, sender=itself)
    line = rwa.refused("timelock", "cancel", operation, "--via", "guardian")
    assert (
        line.startswith("error: Timelock.cancel would fail when run by " + guardian)
        and "AccessControlUnauthorizedAccount" in line
    )

    # On a live network the plan says which proposal to write; the command it gives works.
    timelock_entry = deploy_target.manifest.entry("Timelock")
    [grant] = timelock_entry.calls
    step = planner._call_step(timelock_entry, grant, False, "sepolia")
    assert step.action == planner.StepAction.PROPOSE
    command = step.detail.split("propose it through the admin Safe: ")[1]
    assert command == "rwa safe propose --network sepolia --call 'Timelock.grantRole(CANCELLER_ROLE, GuardianSafe)'"

    # On the local chain, rerunning `rwa deploy` grants it, as the timelock.
    steps = rwa.json("deploy", "--plan")["steps"]
    assert [s for s in steps if s["action"] != "skip"] == [
        {
            "action": "call",
            "contract": "Timelock",
            "detail": "grantRole(CANCELLER_ROLE, GuardianSafe) unless hasRole(CANCELLER_ROLE, GuardianSafe) == True",
            "blocking": False,
        },
    ], steps
    try:
        rwa.run("deploy")
    finally:
        # The deploy sent as the timelock and then stopped impersonating it, which the node does not
        # undo on a snapshot's revert: the session's `admin` (the timelock, impersonated) needs it back.
        chain.provider.make_request("anvil_impersonateAccount", [timelock.address])
    assert timelock.hasRole(CANCELLER_ROLE, guardian)
    assert {s["action"] for s in rwa.json("deploy", "--plan")["steps"]} == {"skip"}
