"""What a signer sees is what the Safe runs: every readable field is checked against the calldata,
signers may sign at once, and files follow the chain (executed, superseded, stale), even after a
crash in the middle of `rwa safe execute`.
"""

from __future__ import annotations

import json
import threading

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st
from tampering import BATCH_TAMPERS, GRANT, NEW_ATTESTOR, OTHER, SCHEDULE_TAMPERS, edit

from rwa.admin import governance
from rwa.admin.decode import MULTISEND_SELECTOR, Known, Undecodable, decode_safe_tx
from rwa.admin.proposals import ProposalStore
from rwa.admin.safe import SafeTx, typed_data
from rwa.chain.client import Chain

TIMELOCK, MULTISEND = "0x" + "11" * 20, "0x" + "22" * 20
TIMELOCK_ABI = [
    {
        "type": "function",
        "name": "schedule",
        "stateMutability": "nonpayable",
        "outputs": [],
        "inputs": [
            {"name": n, "type": t}
            for n, t in (
                ("target", "address"),
                ("value", "uint256"),
                ("data", "bytes"),
                ("predecessor", "bytes32"),
                ("salt", "bytes32"),
                ("delay", "uint256"),
            )
        ],
    },
]


def proposal_file(rwa, proposal: dict):
    return rwa.deployments / "proposals" / "local" / f"{proposal['id']}.json"


def assert_refused_everywhere(rwa, proposal: dict, field: str) -> None:
    path = proposal_file(rwa, proposal)
    before = path.read_text()
    for command in (("show",), ("sign", "--account", "owner1"), ("execute",)):
        line = rwa.refused("safe", command[0], proposal["id"], *command[1:])
        assert f"proposal {proposal['id']} refused: " in line and field in line, (field, line)
    [listed] = [p for p in rwa.json("safe", "list") if p["id"] == proposal["id"]]
    assert listed["status"] == "invalid" and field in listed["title"]
    assert path.read_text() == before


# The schedule's many fields, each refused three ways, are a long loop: `make test` runs it, and the batch
# keeps the same checks in `make test-fast`.
@pytest.mark.parametrize("kind", [pytest.param("schedule", marks=pytest.mark.slow), "batch"])
def test_every_readable_field_is_checked_against_the_calldata(rwa, chain, kind):
    if kind == "schedule":
        proposal, tampers = rwa.json("safe", "propose", "--call", GRANT), SCHEDULE_TAMPERS
    else:
        calls = ["--call", "DemoProperty.pause()", "--call", "ComplianceRegistry.hasRole(ATTESTOR_ROLE, Safe)"]
        proposal, tampers = rwa.json("safe", "propose", "--via", "guardian", *calls), BATCH_TAMPERS
        assert proposal["safeTx"]["operation"] == 1  # a MultiSend delegate call
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    path = proposal_file(rwa, proposal)
    original = path.read_text()
    nonce = chain.provider.web3.eth.get_transaction_count("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    for field, where, value in tampers:
        path.write_text(json.dumps(edit(json.loads(original), where, value)))
        assert_refused_everywhere(rwa, proposal, field)
    path.write_text(original)
    assert chain.provider.web3.eth.get_transaction_count("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266") == nonce


def test_show_prints_what_the_calldata_does(rwa):
    proposal = rwa.json("safe", "propose", "--call", "ComplianceRegistry.grantRole(ATTESTOR_ROLE, Safe)", "--call", GRANT)
    shown = rwa.run("safe", "show", proposal["id"]).stdout
    operation = proposal["timelock"]["operationId"]
    assert f"schedule operation {operation} (delay 0 s) salt {proposal['timelock']['salt']}" in shown
    assert proposal["safeCalls"][0]["function"] == "scheduleBatch"
    assert shown.count("call      ComplianceRegistry.grantRole(0xa7e0cd0f") == 2
    assert NEW_ATTESTOR in shown


def test_ids_are_unique_and_references_unambiguous(rwa):
    first = rwa.json("safe", "propose", "--call", GRANT)
    second = rwa.json("safe", "propose", "--via", "guardian", "--call", "DemoProperty.pause()")
    assert first["safeTx"]["nonce"] == second["safeTx"]["nonce"] == 0  # two Safes, both at nonce 0
    assert first["id"][:4] != second["id"][:4]
    assert rwa.json("safe", "show", second["id"][:4])["id"] == second["id"]
    assert rwa.json("safe", "show", first["id"].split("-")[1])["id"] == first["id"]
    assert "matches 2 proposals" in rwa.refused("safe", "sign", "000", "--account", "owner1")
    assert "no proposal 'nope'" in rwa.refused("safe", "show", "nope")


def owner_signature(account, proposal: dict) -> str:
    tx = SafeTx.from_json(proposal["safeTx"])
    message = encode_typed_data(full_message=typed_data(proposal["chainId"], proposal["safe"]["address"], tx))
    return "0x" + bytes(Account.sign_message(message, account.private_key).signature).hex()


def sign_at_once(rwa, barrier: threading.Barrier, proposal_id: str, owner: str, signature: str) -> None:
    store = ProposalStore(rwa.deployments, "local")  # each signer its own store, as a process would
    barrier.wait()
    store.add_signature(proposal_id, owner, signature)


def test_concurrent_signers_all_end_up_in_the_file(rwa, accounts):
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    owners = [accounts[3], accounts[4], accounts[5]]
    signatures = {owner.address: owner_signature(owner, proposal) for owner in owners}
    path = proposal_file(rwa, proposal)
    kept = 0
    for _ in range(20):
        path.write_text(json.dumps(proposal))
        barrier = threading.Barrier(len(owners))
        threads = [
            threading.Thread(target=sign_at_once, args=(rwa, barrier, proposal["id"], o, s)) for o, s in signatures.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        kept += len(json.loads(path.read_text())["signatures"])
    assert kept == 3 * 20
    [executed, _] = rwa.json("safe", "execute", proposal["id"])  # a merged file is a valid one
    assert executed["status"] == "executed"


def test_a_rejection_supersedes_the_proposal_it_rejects(rwa, chain, suite):
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    rejection = rwa.json("safe", "reject", proposal["id"])
    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", rejection["id"], "--account", signer)
    [done] = rwa.json("safe", "execute", rejection["id"])
    listed = {p["id"]: p for p in rwa.json("safe", "list")}
    superseded = listed[proposal["id"]]
    assert superseded["status"] == "superseded"
    assert superseded["execution"]["proposal"] == rejection["id"]
    assert superseded["execution"]["transactionHash"] == done["execution"]["transactionHash"]
    assert "is superseded: Safe nonce 0 was used by another transaction" in rwa.refused(
        "safe", "sign", proposal["id"], "--account", "owner1"
    )
    # The next proposal takes the next nonce, not the superseded one's.
    assert rwa.json("safe", "propose", "--call", GRANT)["safeTx"]["nonce"] == 1


def test_proposals_from_a_reset_chain_are_stale_and_free_their_nonce(rwa):
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    path = proposal_file(rwa, proposal)
    from_before = {**json.loads(path.read_text()), "genesisHash": "0x" + "ab" * 32}
    path.write_text(json.dumps(from_before))
    [listed] = [p for p in rwa.json("safe", "list") if p["id"] == proposal["id"]]
    assert listed["status"] == "stale" and "genesis 0xabababab" in listed["execution"]["reason"]
    before = path.read_text()
    assert "is stale: made on a chain with genesis" in rwa.refused("safe", "sign", proposal["id"], "--account", "owner1")
    assert "is stale" in rwa.refused("safe", "execute", proposal["id"])
    assert path.read_text() == before
    assert rwa.json("safe", "propose", "--call", GRANT)["safeTx"]["nonce"] == 0


def test_a_signature_from_another_safe_or_chain_is_refused(rwa):
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    path = proposal_file(rwa, proposal)
    before = path.read_text()
    assert "is not an owner of Safe" in rwa.refused("safe", "sign", proposal["id"], "--account", "guardian1")
    assert path.read_text() == before


class Crash(BaseException):
    """A kill at that line: nothing after it runs (no handler catches a BaseException)."""


def crash_once(monkeypatch, owner, name: str, after: bool = False) -> None:
    """Make ``owner.name`` die once, before doing its work, or right after it."""
    original = getattr(owner, name)
    state = {"armed": True}

    def dying(*args, **kwargs):
        if state["armed"] and not after:
            state["armed"] = False
            raise Crash(name)
        result = original(*args, **kwargs)
        if state["armed"]:
            state["armed"] = False
            raise Crash(name)
        return result

    monkeypatch.setattr(owner, name, dying)


CRASH_POINTS = {
    "before send": (Chain, "broadcast", False),
    "after send": (Chain, "broadcast", True),
    "after mined": (Chain, "wait", True),
    "before the outcome is written": (governance, "_execution_succeeded", False),
    "before the follow-up is written": (governance, "_follow_up", False),
}


@pytest.mark.parametrize("point", sorted(CRASH_POINTS))
def test_execute_completes_after_a_crash(rwa, chain, suite, point):
    safe = suite["contracts"]["Safe"]
    web3 = chain.provider.web3
    safe_nonce = web3.eth.contract(address=safe["address"], abi=safe["abi"]).functions.nonce
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", proposal["id"], "--account", signer)
    owner, name, after = CRASH_POINTS[point]
    with pytest.MonkeyPatch.context() as patch, pytest.raises(Crash):
        crash_once(patch, owner, name, after)
        rwa.run("safe", "execute", proposal["id"], expect=None)

    executed, follow_up = rwa.json("safe", "execute", proposal["id"])
    assert executed["status"] == "executed" and executed["execution"]["success"] is True
    assert safe_nonce().call() == 1  # run exactly once
    assert follow_up["timelock"] == {**proposal["timelock"], "stage": "execute", "schedule": proposal["id"]}
    assert "is executed" in rwa.refused("safe", "execute", proposal["id"])
    listed = rwa.json("safe", "list")
    assert [p["id"] for p in listed if (p.get("timelock") or {}).get("stage") == "execute"] == [follow_up["id"]]
    receipt = web3.eth.get_transaction_receipt(executed["execution"]["transactionHash"])
    assert receipt["blockNumber"] == executed["execution"]["block"]


def test_an_execute_proposal_keeps_the_delay_of_its_schedule(rwa):
    schedule = rwa.json("safe", "propose", "--call", GRANT)
    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", schedule["id"], "--account", signer)
    _, follow_up = rwa.json("safe", "execute", schedule["id"])
    path = proposal_file(rwa, follow_up)
    path.write_text(json.dumps(edit(json.loads(path.read_text()), "timelock.delay", 86400)))
    assert_refused_everywhere(rwa, follow_up, "timelock.delay")


@settings(max_examples=200, deadline=None)
@given(to=st.sampled_from([TIMELOCK, MULTISEND, OTHER]), data=st.binary(max_size=200), operation=st.sampled_from([0, 1, 2]))
def test_decoding_arbitrary_calldata_refuses_or_explains(to, data, operation):
    known = Known({TIMELOCK: ("Timelock", TIMELOCK_ABI)}, TIMELOCK_ABI, MULTISEND, TIMELOCK)
    for payload in (data, bytes.fromhex("01d5062a") + data, MULTISEND_SELECTOR + data):
        try:
            decoded = decode_safe_tx(known, to, 0, payload, operation)
        except Undecodable:
            continue
        assert decoded.safe_calls and all(c.data == "0x" + bytes.fromhex(c.data[2:]).hex() for c in decoded.calls)


def test_a_proposal_goes_to_the_transaction_builder_and_back(rwa, tmp_path):
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    exported = tmp_path / "batch.json"
    rwa.run("safe", "export", proposal["id"], "--format", "tx-builder", "-o", str(exported))
    document = json.loads(exported.read_text())
    assert document["chainId"] == "31337" and document["meta"]["createdFromSafeAddress"] == proposal["safe"]["address"]
    [tx] = document["transactions"]
    assert tx["to"] == proposal["safeTx"]["to"] and tx["data"] is None and tx["value"] == "0"  # the method, as the app writes it
    assert tx["contractMethod"]["name"] == "schedule"
    assert [i["name"] for i in tx["contractMethod"]["inputs"]] == ["target", "value", "data", "predecessor", "salt", "delay"]
    assert tx["contractInputsValues"]["delay"] == "0" and tx["contractInputsValues"]["salt"] == proposal["timelock"]["salt"]

    imported = rwa.json("safe", "import", str(exported))
    assert imported["id"] != proposal["id"] and imported["safeTx"]["nonce"] == proposal["safeTx"]["nonce"] + 1
    for key in ("calls", "safeCalls", "timelock", "safe"):
        assert imported[key] == proposal[key], key
    assert imported["safeTx"]["data"] == proposal["safeTx"]["data"]

    # The calldata beside the method (the app's custom data): checked against it.
    with_data = {**document, "transactions": [{**tx, "data": proposal["safeTx"]["data"]}]}
    exported.write_text(json.dumps(with_data))
    assert rwa.json("safe", "import", str(exported), "--accept-changed")["safeTx"]["data"] == proposal["safeTx"]["data"]


@pytest.mark.parametrize(
    "field, change",
    [
        ("transactions[0].contractMethod.name", lambda d: d["transactions"][0]["contractMethod"].update(name="cancel")),
        ("transactions[0].contractInputsValues", lambda d: d["transactions"][0]["contractInputsValues"].update(delay="86400")),
        ("chainId", lambda d: d.update(chainId="1")),
        ("meta.createdFromSafeAddress", lambda d: d["meta"].update(createdFromSafeAddress=OTHER)),
        ("transactions[0].data", lambda d: d["transactions"][0].update(data="0xdeadbeef")),
    ],
)
def test_a_transaction_builder_file_that_misdescribes_its_calldata_is_refused(rwa, tmp_path, field, change):
    proposal = rwa.json("safe", "propose", "--call", GRANT)
    exported = tmp_path / "batch.json"
    rwa.run("safe", "export", proposal["id"], "-o", str(exported))
    document = json.loads(exported.read_text())
    document["transactions"][0]["data"] = proposal["safeTx"]["data"]  # the calldata beside its description
    del document["meta"]["checksum"]  # (a file changed by hand and checksummed again is what is tested)
    change(document)
    exported.write_text(json.dumps(document))
    folder = rwa.deployments / "proposals" / "local"
    before = sorted(p.name for p in folder.glob("*.json"))
    assert rwa.refused("safe", "import", str(exported)).startswith(f"error: {field}")
    assert sorted(p.name for p in folder.glob("*.json")) == before


def test_cancelling_an_operation_supersedes_its_execute_proposal(rwa):
    schedule = rwa.json("safe", "propose", "--call", GRANT)
    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", schedule["id"], "--account", signer)
    _, follow_up = rwa.json("safe", "execute", schedule["id"])
    operation = schedule["timelock"]["operationId"]
    cancel = rwa.json("timelock", "cancel", operation)
    assert cancel["safeTx"]["nonce"] == follow_up["safeTx"]["nonce"]  # only one of the two can run
    for signer in ("owner1", "owner2"):
        rwa.run("safe", "sign", cancel["id"], "--account", signer)
    rwa.json("safe", "execute", cancel["id"])
    listed = {p["id"]: p for p in rwa.json("safe", "list")}
    assert listed[follow_up["id"]]["status"] == "superseded"
    assert listed[follow_up["id"]]["execution"]["proposal"] == cancel["id"]
    [entry] = [o for o in rwa.json("timelock", "list") if o["operationId"] == operation]
    assert entry["state"] == "unset"
