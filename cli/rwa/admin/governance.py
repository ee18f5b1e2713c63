"""Admin acts through the Safes and the timelock: propose, sign, execute, reject.

`--via safe` routes calls through the admins' Safe *and* the timelock (a schedule proposal, then an
execute proposal once the delay has passed); `--via guardian` sends them straight from the guardian
Safe (pauses, which must not wait). Every step checks the chain first (owners, threshold, nonce,
the timelock's state, a simulation), so a refusal sends nothing and leaves the proposal file as it
was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from rwa.admin import service as txservice
from rwa.admin.actions import Action, Deployed, deployed
from rwa.admin.proposals import (
    ZERO_BYTES32,
    PlannedCall,
    ProposalStore,
    cancel_call,
    new_proposal,
    new_salt,
    timelock_call,
    timelock_operation_id,
    with_outcome,
    with_signature,
)
from rwa.admin.safe import SafeTx, pack_signatures, recover_signer, typed_data
from rwa.chain.client import Receipt, decode_revert
from rwa.core import callspec
from rwa.core.abi import encode_call, function_abi, jsonable
from rwa.core.errors import RwaError, parsed
from rwa.deploy.context import Target, load_record

SAFES = {"safe": "Safe", "guardian": "GuardianSafe"}
TIMELOCK = "Timelock"
MULTISEND = "MultiSend"
OPERATION_STATES = ("unset", "waiting", "ready", "done")


@dataclass(frozen=True)
class SafeState:
    contract: Deployed
    owners: list[str]
    threshold: int
    nonce: int


def store(target: Target) -> ProposalStore:
    return ProposalStore(target.paths.deployments_dir, target.network.name)


def safe_state(target: Target, name: str) -> SafeState:
    contract = deployed(target, name)
    chain = target.chain
    owners: list[str] = [to_checksum_address(o) for o in chain.call(contract.address, contract.abi, "getOwners", [])]
    threshold = int(chain.call(contract.address, contract.abi, "getThreshold", []))
    nonce = int(chain.call(contract.address, contract.abi, "nonce", []))
    return SafeState(contract, owners, threshold, nonce)


def planned_calls(target: Target, texts: list[str]) -> list[PlannedCall]:
    """Command-line calls, read against the deployment's ABIs."""
    record = load_record(target) or {}
    contracts = record.get("contracts", {})
    addresses = {name: entry["address"] for name, entry in contracts.items()}
    calls = []
    for text in texts:
        spec = callspec.parse(text)
        if spec.contract not in contracts:
            raise RwaError(f"unknown contract '{spec.contract}' on {target.network.name}")
        entry = contracts[spec.contract]
        function = parsed(function_abi, entry["abi"], spec.contract, spec.function, len(spec.args))
        args = [callspec.convert(a, i, addresses) for a, i in zip(spec.args, function["inputs"])]
        data = encode_call(entry["abi"], spec.function, args)
        calls.append(PlannedCall(spec.contract, entry["address"], spec.function, jsonable(args), "0x" + data.hex()))
    return calls


def _next_nonce(target: Target, safe: SafeState) -> int:
    pending: list[int] = [
        p["safeTx"]["nonce"]
        for p in store(target).all()
        if p.get("status") == "proposed" and p.get("safe", {}).get("address") == safe.contract.address
    ]
    return max([safe.nonce, *(n + 1 for n in pending if n >= safe.nonce)])


def _simulate(target: Target, sender: str, call: PlannedCall, abi: list[dict[str, Any]]) -> None:
    try:
        target.chain.web3.eth.call({"from": sender, "to": call.address, "data": call.data, "value": call.value})
    except Exception as exc:
        raise RwaError(f"{call.contract}.{call.function} would fail when run by {sender}: {decode_revert(abi, exc)}") from None


def propose(target: Target, texts: list[str], via: str, title: str | None = None) -> dict[str, Any]:
    """Write a proposal for ``texts`` (one or more calls); nothing is sent."""
    return propose_calls(target, planned_calls(target, texts), via, title)


def planned(action: Action) -> PlannedCall:
    """An admin action as a call a proposal can carry."""
    data = encode_call(action.contract.abi, action.function, list(action.args))
    return PlannedCall(
        action.contract.name,
        action.contract.address,
        action.function,
        jsonable(list(action.args)),
        "0x" + data.hex(),
        action.value,
    )


def propose_calls(
    target: Target,
    calls: list[PlannedCall],
    via: str,
    title: str | None = None,
    extra_abis: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Write a proposal for ``calls``, each simulated as the Safe (or the timelock) would run it.

    Calls go to recorded contracts, or to ones named in ``extra_abis`` (a beacon, a proxy admin).
    """
    if via not in SAFES:
        raise RwaError(f"--via must be one of {', '.join(SAFES)}")
    safe = safe_state(target, SAFES[via])
    multisend = _optional_address(target, MULTISEND)
    record = load_record(target) or {}
    abis = {name: entry["abi"] for name, entry in record.get("contracts", {}).items()} | (extra_abis or {})
    timelock = None
    if via == "safe":
        timelock_contract = deployed(target, TIMELOCK)
        for call in calls:
            _simulate(target, timelock_contract.address, call, abis[call.contract])
        delay = int(target.chain.call(timelock_contract.address, timelock_contract.abi, "getMinDelay", []))
        salt = new_salt()
        schedule = timelock_call(TIMELOCK, timelock_contract.address, timelock_contract.abi, "schedule", calls, salt, delay)
        _simulate(target, safe.contract.address, schedule, timelock_contract.abi)
        safe_calls = [schedule]
        timelock = {
            "address": timelock_contract.address,
            "operationId": timelock_operation_id(calls, ZERO_BYTES32, salt),
            "salt": salt,
            "delay": delay,
            "stage": "schedule",
        }
    else:
        for call in calls:
            _simulate(target, safe.contract.address, call, abis[call.contract])
        safe_calls = calls
    proposal = new_proposal(
        network=target.network.name,
        chain_id=target.chain.chain_id,
        safe_name=safe.contract.name,
        safe_address=safe.contract.address,
        nonce=_next_nonce(target, safe),
        title=title or "; ".join(f"{c.contract}.{c.function}" for c in calls),
        calls=calls,
        safe_calls=safe_calls,
        multisend=multisend,
        timelock=timelock,
    )
    store(target).save(proposal)
    return proposal


def sign(target: Target, proposal_id: str) -> dict[str, Any]:
    """Add the signing account's signature, once checked against the Safe's current owners."""
    proposals = store(target)
    proposal = proposals.load(proposal_id)
    _require_open(proposal)
    account = _account(target)
    safe = safe_state(target, proposal["safe"]["name"])
    signer = to_checksum_address(account.address)
    if signer not in safe.owners:
        raise RwaError(f"{signer} is not an owner of {safe.contract.name} ({', '.join(safe.owners)})")
    if signer in proposal["signatures"]:
        raise RwaError(f"{signer} has already signed {proposal['id']}")
    tx = SafeTx.from_json(proposal["safeTx"])
    message = encode_typed_data(full_message=typed_data(proposal["chainId"], proposal["safe"]["address"], tx))
    signature = account.sign_message(message)
    if signature is None:
        raise RwaError(f"{signer} declined to sign")
    encoded = "0x" + bytes(signature.encode_rsv()).hex()
    if recover_signer(proposal["safeTxHash"], encoded) != signer:
        raise RwaError(f"the signature from {signer} does not recover to {signer}; nothing saved")
    signed = with_signature(proposal, signer, encoded)
    proposals.save(signed)
    if txservice.service_url(target):
        try:
            txservice.sync(target, signed, safe.owners)
        except RwaError as exc:
            raise RwaError(f"signature saved in {proposal['id']}, but {exc}; retry with `rwa safe sync {proposal['id']}`") from None
    return signed


def sync(target: Target, proposal_id: str) -> tuple[dict[str, Any], txservice.SyncResult]:
    """Push the proposal and its signatures to the network's Safe Transaction Service, and save the
    confirmations owners made there (each checked against the Safe's current owners)."""
    proposals = store(target)
    proposal = proposals.load(proposal_id)
    safe = safe_state(target, proposal["safe"]["name"])
    result = txservice.sync(target, proposal, safe.owners)
    for owner, signature in result.pulled.items():
        proposal = with_signature(proposal, owner, signature)
    if result.pulled:
        proposals.save(proposal)
    return proposal, result


def execute(target: Target, proposal_id: str) -> list[dict[str, Any]]:
    """Execute a fully signed proposal; returns it, plus the follow-up execute proposal it opens."""
    proposals = store(target)
    proposal = proposals.load(proposal_id)
    _require_open(proposal)
    account = _account(target)
    safe = safe_state(target, proposal["safe"]["name"])
    tx = SafeTx.from_json(proposal["safeTx"])
    if tx.nonce < safe.nonce:
        raise RwaError(f"{proposal['id']}: Safe nonce {tx.nonce} is already used (the Safe is at {safe.nonce})")
    if tx.nonce > safe.nonce:
        raise RwaError(f"{proposal['id']}: Safe nonce {tx.nonce} must wait for nonce {safe.nonce} to execute first")
    valid = {o: s for o, s in proposal["signatures"].items() if o in safe.owners}
    if len(valid) < safe.threshold:
        raise RwaError(
            f"{proposal['id']}: {len(valid)} of {safe.threshold} required signatures from current owners; "
            "collect more with `rwa safe sign`"
        )
    operation = proposal.get("timelock")
    if operation and operation["stage"] == "execute":
        state = operation_state(target, operation["operationId"])
        if state != "ready":
            ready_at = _ready_at(target, operation["operationId"])
            raise RwaError(f"timelock operation {operation['operationId'][:10]}… is {state}, ready at {ready_at}")
    args = tx.exec_args(pack_signatures(valid))
    try:
        target.chain.web3.eth.call(
            {"from": account.address, "to": safe.contract.address, "data": encode_call(safe.contract.abi, "execTransaction", args)}
        )
    except Exception as exc:
        raise RwaError(f"{proposal['id']} would fail: {decode_revert(safe.contract.abi + _inner_abis(target), exc)}") from None
    receipt = target.chain.transact(account, safe.contract.address, safe.contract.abi, "execTransaction", args)
    succeeded = _execution_succeeded(target, safe.contract, receipt)
    executed = with_outcome(
        proposal,
        "executed" if succeeded else "failed",
        {"transactionHash": receipt.hash, "block": receipt.block, "executor": account.address, "success": succeeded},
    )
    proposals.save(executed)
    results = [executed]
    if succeeded and operation and operation["stage"] == "schedule":
        results.append(_follow_up(target, executed, safe))
    return results


def reject(target: Target, proposal_id: str) -> dict[str, Any]:
    """A proposal that spends the same Safe nonce on nothing, so the original can never run."""
    proposal = store(target).load(proposal_id)
    _require_open(proposal)
    safe = safe_state(target, proposal["safe"]["name"])
    nothing = PlannedCall(safe.contract.name, safe.contract.address, "(reject)", [], "0x")
    rejection = new_proposal(
        network=target.network.name,
        chain_id=target.chain.chain_id,
        safe_name=safe.contract.name,
        safe_address=safe.contract.address,
        nonce=proposal["safeTx"]["nonce"],
        title=f"reject {proposal['id']}",
        calls=[nothing],
        safe_calls=[nothing],
        multisend=None,
        rejects=proposal["id"],
    )
    store(target).save(rejection)
    return rejection


def cancel_operation(target: Target, operation_id: str) -> dict[str, Any]:
    """A Safe proposal cancelling a scheduled timelock operation."""
    timelock_contract = deployed(target, TIMELOCK)
    state = operation_state(target, operation_id)
    if state not in ("waiting", "ready"):
        raise RwaError(f"timelock operation {operation_id[:10]}… is {state}: nothing to cancel")
    safe = safe_state(target, SAFES["safe"])
    call = cancel_call(TIMELOCK, timelock_contract.address, timelock_contract.abi, operation_id)
    _simulate(target, safe.contract.address, call, timelock_contract.abi)
    proposal = new_proposal(
        network=target.network.name,
        chain_id=target.chain.chain_id,
        safe_name=safe.contract.name,
        safe_address=safe.contract.address,
        nonce=_next_nonce(target, safe),
        title=f"cancel timelock operation {operation_id[:10]}…",
        calls=[call],
        safe_calls=[call],
        multisend=None,
    )
    store(target).save(proposal)
    return proposal


def operation_state(target: Target, operation_id: str) -> str:
    timelock_contract = deployed(target, TIMELOCK)
    state = target.chain.call(
        timelock_contract.address, timelock_contract.abi, "getOperationState", [bytes.fromhex(operation_id[2:])]
    )
    return OPERATION_STATES[int(state)]


def operations(target: Target) -> list[dict[str, Any]]:
    """Every timelock operation the proposals know, with its live state."""
    found: dict[str, dict[str, Any]] = {}
    for proposal in store(target).all():
        operation = proposal.get("timelock")
        if not operation:
            continue
        entry = found.setdefault(
            operation["operationId"],
            {"operationId": operation["operationId"], "title": proposal["title"], "proposals": {}},
        )
        entry["proposals"][operation["stage"]] = {"id": proposal["id"], "status": proposal["status"]}
    for operation_id, entry in found.items():
        entry["state"] = operation_state(target, operation_id)
        entry["readyAt"] = _ready_at(target, operation_id)
    return sorted(found.values(), key=lambda e: e["proposals"].get("schedule", {}).get("id", ""))


def execute_operation(target: Target, operation_id: str) -> dict[str, Any]:
    """The execute proposal of a scheduled operation (written if it is not there yet)."""
    for item in operations(target):
        if item["operationId"].startswith(operation_id):
            if "execute" in item["proposals"]:
                return store(target).load(item["proposals"]["execute"]["id"])
            schedule = store(target).load(item["proposals"]["schedule"]["id"])
            if schedule["status"] != "executed":
                raise RwaError(f"operation {operation_id[:10]}… is not scheduled yet: execute {schedule['id']} first")
            return _follow_up(target, schedule, safe_state(target, schedule["safe"]["name"]))
    raise RwaError(f"no timelock operation '{operation_id}' in the proposals of {target.network.name}")


def _follow_up(target: Target, schedule: dict[str, Any], safe: SafeState) -> dict[str, Any]:
    operation = schedule["timelock"]
    timelock_contract = deployed(target, TIMELOCK)
    calls = [PlannedCall.from_json(c) for c in schedule["calls"]]
    run = timelock_call(TIMELOCK, timelock_contract.address, timelock_contract.abi, "execute", calls, operation["salt"], 0)
    proposal = new_proposal(
        network=target.network.name,
        chain_id=target.chain.chain_id,
        safe_name=safe.contract.name,
        safe_address=safe.contract.address,
        nonce=_next_nonce(target, safe_state(target, safe.contract.name)),
        title=f"execute: {schedule['title']}",
        calls=calls,
        safe_calls=[run],
        multisend=None,
        timelock={**operation, "stage": "execute", "schedule": schedule["id"]},
    )
    store(target).save(proposal)
    return proposal


def _ready_at(target: Target, operation_id: str) -> int | None:
    timelock_contract = deployed(target, TIMELOCK)
    timestamp = int(
        target.chain.call(timelock_contract.address, timelock_contract.abi, "getTimestamp", [bytes.fromhex(operation_id[2:])])
    )
    return timestamp if timestamp > 1 else None


def _execution_succeeded(target: Target, safe: Deployed, receipt: Receipt) -> bool:
    from eth_utils import keccak

    success = "0x" + keccak(text="ExecutionSuccess(bytes32,uint256)").hex()
    for log in receipt.logs:
        topics = ["0x" + bytes(t).hex() for t in log["topics"]]
        if log["address"].lower() == safe.address.lower() and topics and topics[0] == success:
            return True
    return False


def _inner_abis(target: Target) -> list[dict[str, Any]]:
    record = load_record(target) or {}
    return [item for entry in record.get("contracts", {}).values() for item in entry["abi"] if item.get("type") == "error"]


def _optional_address(target: Target, name: str) -> str | None:
    entry = ((load_record(target) or {}).get("contracts") or {}).get(name)
    if entry:
        return str(entry["address"])
    configured = target.network.params.get("multisend")
    return configured if isinstance(configured, str) else None


def _require_open(proposal: dict[str, Any]) -> None:
    if proposal["status"] != "proposed":
        raise RwaError(f"proposal {proposal['id']} is {proposal['status']}")


def _account(target: Target) -> Any:
    if target.account is None:
        raise RwaError("this needs an account (--account)")
    return target.account

