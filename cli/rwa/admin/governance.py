"""Admin acts through the Safes and the timelock: propose, sign, execute, reject.

`--via safe` routes calls through the admins' Safe *and* the timelock (a schedule proposal, then an
execute proposal once the delay has passed); `--via guardian` sends them straight from the guardian
Safe (pauses, which must not wait). Every step checks the chain first (owners, threshold, nonce,
the timelock's state, a simulation), so a refusal sends nothing and leaves the proposal file as it
was.

Proposal files are brought up to date with the chain whenever they are listed, shown or executed
(:func:`rwa.admin.reconcile.reconcile`). ``execute`` writes the transaction it signed into the file
before it broadcasts, so a rerun after a crash at any point picks the job up where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from rwa.admin import service as txservice
from rwa.admin import txbuilder
from rwa.admin.actions import Action, Deployed, deployed
from rwa.admin.control import role_names
from rwa.admin.decode import DecodedCall, Known, decode_safe_tx
from rwa.admin.proposals import (
    ZERO_BYTES32,
    Execution,
    PlannedCall,
    Proposal,
    ProposalStatus,
    ProposalStore,
    cancel_call,
    new_proposal,
    new_salt,
    timelock_call,
    timelock_operation_id,
    with_outcome,
    with_signature,
)
from rwa.admin.reconcile import MULTISEND, decoded, known, optional_address, reconcile, reconcile_all, store
from rwa.admin.safe import SAFES, SafeOperation, SafeTx, pack_signatures, typed_data
from rwa.admin.timelock import TIMELOCK, OperationState, operation_state
from rwa.chain.client import NONCE_USED, REFUSED, Receipt, raw_facts
from rwa.chain.reverts import decode_revert
from rwa.core import callspec
from rwa.core.abi import encode_call, function_abi, jsonable
from rwa.core.errors import RwaError, parsed
from rwa.deploy.records import contracts_of
from rwa.deploy.target import Target, load_record


@dataclass(frozen=True)
class SafeState:
    contract: Deployed
    owners: list[str]
    threshold: int
    nonce: int


def safe_state(target: Target, name: str) -> SafeState:
    contract = deployed(target, name)
    chain = target.chain
    owners: list[str] = [to_checksum_address(o) for o in chain.call(contract.address, contract.abi, "getOwners", [])]
    threshold = int(chain.call(contract.address, contract.abi, "getThreshold", []))
    nonce = int(chain.call(contract.address, contract.abi, "nonce", []))
    return SafeState(contract, owners, threshold, nonce)


def planned_calls(target: Target, texts: list[str]) -> list[PlannedCall]:
    """Command-line calls, read against the deployment's ABIs."""
    contracts = contracts_of(load_record(target))
    addresses = {name: entry["address"] for name, entry in contracts.items()}
    calls = []
    for text in texts:
        spec = callspec.parse(text)
        if spec.contract not in contracts:
            raise RwaError(f"unknown contract '{spec.contract}' on {target.network.name}")
        entry = contracts[spec.contract]
        function = parsed(function_abi, entry["abi"], spec.contract, spec.function, len(spec.args))
        args = [callspec.convert(a, i, addresses) for a, i in zip(spec.args, function["inputs"])]
        _check_role_names(spec, function, contracts)
        data = encode_call(entry["abi"], spec.function, args)
        calls.append(PlannedCall(spec.contract, entry["address"], spec.function, jsonable(args), "0x" + data.hex()))
    return calls


def _check_role_names(spec: callspec.CallSpec, function: Mapping[str, Any], contracts: Mapping[str, Any]) -> None:
    """A role written by name must be one a contract of the deployment declares: any other name hashes
    to a role nobody checks, and the proposal would grant or revoke nothing that matters."""
    declared = {"DEFAULT_ADMIN_ROLE"} | {name for entry in contracts.values() for name in role_names(entry.get("abi") or [])}
    for value, spec_input in zip(spec.args, function["inputs"]):
        text = str(value).strip().strip('"').strip("'")
        if spec_input["type"] == "bytes32" and callspec.is_role_name(text) and text not in declared:
            own = role_names(contracts[spec.contract].get("abi") or [])
            roles = f"{spec.contract} declares {', '.join(own)}" if own else f"{spec.contract} declares no roles"
            raise RwaError(f"no contract of the deployment declares {text}: nothing would check it ({roles})")


def _proposal_of(target: Target, safe: SafeState, **fields: Any) -> Proposal:
    """A new proposal to ``safe``, with what the target and the Safe say of themselves (network,
    chain, the Safe's name and address, the genesis the proposal is bound to)."""
    return new_proposal(
        network=target.network.name,
        chain_id=target.chain.chain_id,
        safe_name=safe.contract.name,
        safe_address=safe.contract.address,
        genesis_hash=target.chain.genesis_hash,
        **fields,
    )


def _next_nonce(target: Target, safe: SafeState) -> int:
    pending: list[int] = [
        p["safeTx"]["nonce"]
        for p in reconcile_all(target)
        if p.get("status") == ProposalStatus.PROPOSED and p.get("safe", {}).get("address") == safe.contract.address
    ]
    return max([safe.nonce, *(n + 1 for n in pending if n >= safe.nonce)])


def _simulate(target: Target, sender: str, call: PlannedCall, abi: list[dict[str, Any]]) -> None:
    try:
        target.chain.web3.eth.call({"from": sender, "to": call.address, "data": call.data, "value": call.value})
    except Exception as exc:
        raise RwaError(f"{call.contract}.{call.function} would fail when run by {sender}: {decode_revert(abi, exc)}") from None


def propose(target: Target, texts: list[str], via: str, title: str | None = None) -> Proposal:
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
    after_upgrade: int = 0,
) -> Proposal:
    """Write a proposal for ``calls``, each simulated as the Safe (or the timelock) would run it.

    Calls go to recorded contracts, or to ones named in ``extra_abis`` (a beacon, a proxy admin). The last
    ``after_upgrade`` calls need the upgrade before them to have run, so they cannot be simulated alone: the
    timelock runs the batch as one transaction, so if one of them fails, nothing of the batch happens.
    """
    if via not in SAFES:
        raise RwaError(f"--via must be one of {', '.join(SAFES)}")
    safe = safe_state(target, SAFES[via])
    multisend = optional_address(target, MULTISEND)
    abis = {name: entry["abi"] for name, entry in contracts_of(load_record(target)).items()} | (extra_abis or {})
    timelock = None
    if via == "safe":
        timelock_contract = deployed(target, TIMELOCK)
        for call in calls[: len(calls) - after_upgrade]:
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
    proposal = _proposal_of(
        target,
        safe,
        nonce=_next_nonce(target, safe),
        title=title or "; ".join(f"{c.contract}.{c.function}" for c in calls),
        calls=calls,
        safe_calls=safe_calls,
        multisend=multisend,
        timelock=timelock,
    )
    return store(target).create(proposal)


def sign(target: Target, proposal_id: str) -> Proposal:
    """Add the signing account's signature, once checked against the Safe's current owners.

    The signature is made outside the lock (a hardware wallet may take its time) and merged into
    the file as it is then, so owners signing at the same moment all end up in it.
    """
    proposals = store(target)
    proposal = reconcile(target, proposals.load(proposal_id))
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
    signed = proposals.add_signature(proposal["id"], signer, encoded)
    if txservice.service_url(target):
        try:
            txservice.sync(target, signed, safe.owners)
        except RwaError as exc:
            raise RwaError(
                f"signature saved in {proposal['id']}, but {exc}; retry with `rwa safe sync {proposal['id']}`"
            ) from None
    return signed


def sync(target: Target, proposal_id: str) -> tuple[Proposal, txservice.SyncResult]:
    """Push the proposal and its signatures to the network's Safe Transaction Service, and save the
    confirmations owners made there (each checked against the Safe's current owners)."""
    proposals = store(target)
    proposal = proposals.load(proposal_id)
    safe = safe_state(target, proposal["safe"]["name"])
    result = txservice.sync(target, proposal, safe.owners)

    def merge(current: Proposal) -> Proposal:
        for owner, signature in result.pulled.items():
            if owner not in current["signatures"]:
                current = with_signature(current, owner, signature)
        return current

    return (proposals.update(proposal["id"], merge) if result.pulled else proposal), result


def execute(target: Target, proposal_id: str) -> list[Proposal]:
    """Execute a fully signed proposal; returns it, plus the follow-up execute proposal it opens.

    Crash-safe: the signed transaction is written into the file before it is broadcast, and the
    whole run holds the proposal's lock. A rerun finds a sent transaction and waits for it (sending
    it again if the node lost it), finds a mined one through the Safe's events, and writes a
    timelock follow-up that a crash left unwritten.
    """
    proposals = store(target)
    with proposals.locked(proposal_id) as locked_id:
        proposal = reconcile(target, proposals.load(locked_id))
        if proposal["status"] == ProposalStatus.EXECUTED:
            follow_up = _missing_follow_up(target, proposal)
            if follow_up is None:
                raise RwaError(f"proposal {proposal['id']} is {proposal['status']}")
            return [proposal, follow_up]
        _require_open(proposal)
        account = _account(target)
        safe = safe_state(target, proposal["safe"]["name"])
        receipt = _resume(target, proposal)
        if receipt is None:
            receipt = _send(target, proposals, proposal, safe, account)
        succeeded = _execution_succeeded(target, safe.contract, receipt)
        executed = with_outcome(
            proposal,
            ProposalStatus.EXECUTED if succeeded else ProposalStatus.FAILED,
            {
                "transactionHash": receipt.hash,
                "block": receipt.block,
                "executor": _executor(proposal, account),
                "success": succeeded,
            },
        )
        proposals.save(executed)
    results = [executed]
    follow_up = _missing_follow_up(target, executed) if succeeded else None
    if follow_up is not None:
        results.append(follow_up)
    return results


def _send(target: Target, proposals: ProposalStore, proposal: Proposal, safe: SafeState, account: Any) -> Receipt:
    """Check, sign, journal into the file, broadcast, wait: the first run of an execution."""
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
        if state != OperationState.READY:
            ready_at = _ready_at(target, operation["operationId"])
            raise RwaError(f"timelock operation {operation['operationId'][:10]}… is {state}, ready at {ready_at}")
    args = tx.exec_args(pack_signatures(valid))
    data = encode_call(safe.contract.abi, "execTransaction", args)
    try:
        target.chain.web3.eth.call({"from": account.address, "to": safe.contract.address, "data": data})
    except Exception as exc:
        raise RwaError(f"{proposal['id']} would fail: {decode_revert(safe.contract.abi + _inner_abis(target), exc)}") from None
    signed = target.chain.sign(account, safe.contract.address, data, target.chain.nonce(account.address))
    sent: Execution = {"transactionHash": signed.hash, "raw": signed.raw, "executor": signed.sender, "block": None}
    proposals.save({**proposal, "execution": sent})
    target.chain.broadcast(signed.raw)
    return _mined(target, signed.hash)


def _resume(target: Target, proposal: Proposal) -> Receipt | None:
    """The receipt of a transaction a crashed run signed and journalled; None if there is none
    (or it reverted, or its account nonce went to another transaction: then the run starts afresh).
    Whether it is still on its way is asked of the node (its hash, its sender's nonce), never read
    from the words a node refuses a second copy with."""
    sent = proposal.get("execution")
    if not sent or not sent.get("raw") or not (transaction := sent.get("transactionHash")):
        return None
    found = target.chain.receipt(transaction)
    if found is not None:
        return found if found.status == 1 else None  # reverted: the Safe nonce is unspent, check afresh
    if _behind_a_gap(target, sent):
        return None
    status, _ = target.chain.offer(sent["raw"])  # sends it only if the node has it not
    if status == NONCE_USED:
        found = target.chain.receipt(transaction)  # mined meanwhile, or another took its nonce
        return found if found is not None and found.status == 1 else None
    if status == REFUSED:
        return None  # the node will not take it (its fees, the balance): a fresh transaction is signed
    return _mined(target, transaction)


def _behind_a_gap(target: Target, sent: Execution) -> bool:
    """Whether the transaction a crashed run signed has a nonce the chain cannot reach (the node
    restarted from an older state): waiting for it would never end. On a local chain it is taken
    out of the pool and a fresh one is signed; on a live network the run stops with one line."""
    facts = raw_facts(sent["raw"])
    missing = target.chain.gap_before(facts.sender, facts.nonce)
    if missing is None:
        return False
    if not target.network.local:
        raise RwaError(
            f"the execution signed before ({facts.hash[:12]}…) has nonce {facts.nonce} of {facts.sender}, which on "
            f"{target.network.name} has no transaction at nonce {missing}: it can never be mined; nothing was sent. "
            "Check that --rpc-url is the chain the proposal was executed on"
        )
    target.chain.forget_pending(facts.sender, facts.hash)
    return True


def _mined(target: Target, tx_hash: str) -> Receipt:
    return _checked(target.chain.wait(tx_hash))


def _checked(receipt: Receipt) -> Receipt:
    if receipt.status != 1:
        raise RwaError(f"execTransaction reverted in {receipt.hash}")
    return receipt


def _executor(proposal: Proposal, account: Any) -> str:
    return str((proposal.get("execution") or {}).get("executor") or to_checksum_address(account.address))


def _missing_follow_up(target: Target, proposal: Proposal) -> Proposal | None:
    """The timelock execute proposal an executed schedule opens, written if it is not there yet."""
    operation = proposal.get("timelock")
    if not operation or operation["stage"] != "schedule":
        return None
    for other in store(target).all():
        timelock = other.get("timelock")
        if timelock and timelock["stage"] == "execute" and timelock["operationId"] == operation["operationId"]:
            return None
    return _follow_up(target, proposal, safe_state(target, proposal["safe"]["name"]))


def export_tx_builder(target: Target, proposal_id: str, created_ms: int) -> dict[str, Any]:
    """A proposal as a Safe{Wallet} Transaction Builder file (its Safe calls, decoded)."""
    proposal = store(target).load(proposal_id)
    return txbuilder.export(proposal, decoded(target, proposal).safe_calls, known(target), created_ms)


def import_tx_builder(
    target: Target,
    document: Any,
    title: str | None = None,
    accept_changed: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Proposal:
    """A proposal from a Transaction Builder file: its calldata decoded with the toolkit's ABIs,
    each call simulated as the Safe would run it, the file written and read back like any other.
    A file whose checksum does not match is refused, or with ``accept_changed`` told to ``warn``."""
    trusted = known(target)
    batch = txbuilder.read(document, trusted, accept_changed)
    for warning in batch.warnings:
        if warn is not None:
            warn(warning)
    if batch.chain_id != target.chain.chain_id:
        raise RwaError(f"chainId: the file is for chain {batch.chain_id}, {target.network.name} is {target.chain.chain_id}")
    safe_name = trusted.name(batch.safe) if batch.safe else None
    if safe_name not in SAFES.values():
        raise RwaError(f"meta.createdFromSafeAddress: {batch.safe} is not one of the Safes of {target.network.name}")
    safe = safe_state(target, str(safe_name))
    if len(batch.calls) == 1:
        tx = (batch.calls[0].address, batch.calls[0].value, bytes.fromhex(batch.calls[0].data[2:]), SafeOperation.CALL)
    elif trusted.multisend is None:
        raise RwaError(f"transactions: batching {len(batch.calls)} calls needs a MultiSend contract on {target.network.name}")
    else:
        tx = (trusted.multisend, 0, txbuilder.multisend_data(batch.calls), SafeOperation.DELEGATECALL)
    story = decode_safe_tx(trusted, *tx)  # each call was decoded already: this only adds the timelock's story
    for call in story.safe_calls:
        _simulate(target, safe.contract.address, _planned(call), _abi_for(trusted, call))
    timelock = None
    if story.timelock and story.timelock.stage != "cancel":
        op = story.timelock
        delay = (
            op.delay
            if op.delay is not None
            else int(target.chain.call(op.address, _abi_for(trusted, story.safe_calls[0]), "getMinDelay", []))
        )
        timelock = {"address": op.address, "operationId": op.operationId, "salt": op.salt, "delay": delay, "stage": op.stage}
    proposal = _proposal_of(
        target,
        safe,
        nonce=_next_nonce(target, safe),
        title=title or batch.name or "; ".join(f"{c.contract or c.address}.{c.function}" for c in story.calls),
        calls=[_planned(c) for c in story.calls],
        safe_calls=[_planned(c) for c in story.safe_calls],
        multisend=trusted.multisend,
        timelock=timelock,
    )
    created = store(target).create(proposal)
    return store(target).load(created["id"])


def _planned(call: DecodedCall) -> PlannedCall:
    return PlannedCall(call.contract or call.address, call.address, call.function, call.args, call.data, call.value)


def _abi_for(trusted: Known, call: DecodedCall) -> list[dict[str, Any]]:
    entry = trusted.contracts.get(call.address)
    return entry[1] if entry else list(trusted.fallback)


def reject(target: Target, proposal_id: str) -> Proposal:
    """A proposal that spends the same Safe nonce on nothing, so the original can never run."""
    proposal = reconcile(target, store(target).load(proposal_id))
    _require_open(proposal)
    safe = safe_state(target, proposal["safe"]["name"])
    nothing = PlannedCall(safe.contract.name, safe.contract.address, "(reject)", [], "0x")
    rejection = _proposal_of(
        target,
        safe,
        nonce=proposal["safeTx"]["nonce"],
        title=f"reject {proposal['id']}",
        calls=[nothing],
        safe_calls=[nothing],
        multisend=None,
        rejects=proposal["id"],
    )
    return store(target).create(rejection)


def cancel_operation(target: Target, operation_id: str, via: str = "safe") -> Proposal:
    """A proposal of the admins' Safe (``via`` safe) or the guardian Safe (``guardian``: its veto,
    which needs no admin key) cancelling a scheduled timelock operation.

    The admins' proposal takes the Safe nonce of the operation's open execute proposal, if there is
    one: only one of the two can ever run, and the other is then superseded (rather than blocking
    the Safe's queue).
    """
    if via not in SAFES:
        raise RwaError(f"--via must be one of {', '.join(SAFES)}")
    timelock_contract = deployed(target, TIMELOCK)
    if len(operation_id) != 66 or not operation_id.startswith("0x"):
        raise RwaError(f"'{operation_id}' is not a timelock operation id (0x and 64 hex digits, as the watcher's alert gives it)")
    state = operation_state(target, operation_id)
    if state not in (OperationState.WAITING, OperationState.READY):
        raise RwaError(f"timelock operation {operation_id[:10]}… is {state}: nothing to cancel")
    safe = safe_state(target, SAFES[via])
    call = cancel_call(TIMELOCK, timelock_contract.address, timelock_contract.abi, operation_id)
    _simulate(target, safe.contract.address, call, timelock_contract.abi)
    pending = [
        p["safeTx"]["nonce"]
        for p in reconcile_all(target)
        if p["status"] == ProposalStatus.PROPOSED
        and (timelock := p.get("timelock")) is not None
        and timelock["operationId"] == operation_id
        and timelock["stage"] == "execute"
        and p["safe"]["name"] == safe.contract.name
    ]
    proposal = _proposal_of(
        target,
        safe,
        nonce=pending[0] if pending else _next_nonce(target, safe),
        title=f"cancel timelock operation {operation_id[:10]}…" + (" (guardian veto)" if via == "guardian" else ""),
        calls=[call],
        safe_calls=[call],
        multisend=None,
    )
    return store(target).create(proposal)


def operations(target: Target) -> list[dict[str, Any]]:
    """Every timelock operation the proposals know, with its live state."""
    found: dict[str, dict[str, Any]] = {}
    for proposal in reconcile_all(target):
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


def execute_operation(target: Target, operation_id: str) -> Proposal:
    """The execute proposal of a scheduled operation (written if it is not there yet)."""
    for item in operations(target):
        if item["operationId"].startswith(operation_id):
            if "execute" in item["proposals"]:
                return store(target).load(item["proposals"]["execute"]["id"])
            schedule = reconcile(target, store(target).load(item["proposals"]["schedule"]["id"]))
            if schedule["status"] != ProposalStatus.EXECUTED:
                raise RwaError(f"operation {operation_id[:10]}… is not scheduled yet: execute {schedule['id']} first")
            return _follow_up(target, schedule, safe_state(target, schedule["safe"]["name"]))
    raise RwaError(f"no timelock operation '{operation_id}' in the proposals of {target.network.name}")


def _follow_up(target: Target, schedule: Proposal, safe: SafeState) -> Proposal:
    operation = schedule.get("timelock")
    assert operation is not None, "a schedule proposal names its timelock operation"
    timelock_contract = deployed(target, TIMELOCK)
    calls = [PlannedCall.from_json(c) for c in schedule["calls"]]
    run = timelock_call(TIMELOCK, timelock_contract.address, timelock_contract.abi, "execute", calls, operation["salt"], 0)
    proposal = _proposal_of(
        target,
        safe,
        nonce=_next_nonce(target, safe_state(target, safe.contract.name)),
        title=f"execute: {schedule['title']}",
        calls=calls,
        safe_calls=[run],
        multisend=None,
        timelock={**operation, "stage": "execute", "schedule": schedule["id"]},
    )
    return store(target).create(proposal)


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
    contracts = contracts_of(load_record(target))
    return [item for entry in contracts.values() for item in entry["abi"] if item.get("type") == "error"]


def _require_open(proposal: Proposal) -> None:
    if proposal["status"] != ProposalStatus.PROPOSED:
        reason = (proposal.get("execution") or {}).get("reason")
        raise RwaError(f"proposal {proposal['id']} is {proposal['status']}" + (f": {reason}" if reason else ""))


def _account(target: Target) -> Any:
    if target.account is None:
        raise RwaError("this needs an account (--account)")
    return target.account
