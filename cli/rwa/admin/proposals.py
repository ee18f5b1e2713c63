"""Multisig proposals as files: what a Safe is asked to do, readable in a pull request.

A proposal lives in ``deployments/proposals/<network>/<id>.json``. It holds the decoded calls, the
Safe transaction, its EIP-712 ``safeTxHash`` and the owners' signatures so far; the file travels
between owners (each may sign on another machine) and is checked whole every time it is read, so
a tampered or truncated file is refused. Calls that need the timelock become a *schedule*
proposal, and once that has executed, an *execute* proposal for the same timelock operation.
Everything here is pure file and data handling; the chain side is in ``governance``.
"""

from __future__ import annotations

import enum
import fcntl
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from eth_utils import to_checksum_address

from rwa.admin.decode import Known, Undecodable, decode_proposal, mismatches, operation_id
from rwa.admin.safe import (
    SafeOperation,
    SafeTx,
    SafeTxJson,
    multisend_call,
    recover_signer,
    safe_tx_hash,
)
from rwa.core.abi import encode_call, jsonable
from rwa.core.atomic import write_json
from rwa.core.errors import RwaError

FORMAT = "rwa-proposal/1"
#: Locks this thread holds (by path): a held lock is re-entered, not waited for (flock would
#: wait on itself through a second open file).
_HELD = threading.local()
ZERO_BYTES32 = "0x" + "00" * 32


class PlannedCallJson(TypedDict):
    """A :class:`PlannedCall` in a file."""

    contract: str
    address: str
    function: str
    args: list[Any]
    data: str
    value: int


class SafeRef(TypedDict):
    name: str
    address: str


class TimelockOperation(TypedDict):
    """The timelock operation a *schedule* or *execute* proposal is for."""

    address: str
    operationId: str
    salt: str
    delay: int
    stage: str  # "schedule" or "execute"
    schedule: NotRequired[str]  # an execute proposal: the id of the proposal that scheduled it


class Execution(TypedDict, total=False):
    """What became of a proposal: the transaction that ran it (``raw`` while it is on its way) or,
    for one that will never run, the ``reason``."""

    transactionHash: str | None
    raw: str
    executor: str | None
    block: int | None
    success: bool
    reason: str
    proposal: str | None  # superseded: the proposal that used its Safe nonce


class Proposal(TypedDict):
    """A proposal file, as read back (``new_proposal`` writes every key). A file that does not read as
    a proposal is listed by ``ProposalStore.all`` with only the first four keys (status INVALID)."""

    id: str
    status: ProposalStatus  # a string in the file
    title: str
    signatures: dict[str, str]  # owner -> signature, in signing order
    format: NotRequired[str]
    network: NotRequired[str]
    chainId: NotRequired[int]
    genesisHash: NotRequired[str | None]
    safe: NotRequired[SafeRef]
    calls: NotRequired[list[PlannedCallJson]]
    safeCalls: NotRequired[list[PlannedCallJson]]
    multisend: NotRequired[str | None]
    timelock: NotRequired[TimelockOperation | None]
    rejects: NotRequired[str | None]
    safeTx: NotRequired[SafeTxJson]
    safeTxHash: NotRequired[str]
    execution: NotRequired[Execution | None]
    createdAt: NotRequired[str]


class ProposalStatus(enum.StrEnum):
    """Where a proposal stands; only PROPOSED may still be signed or executed. The files hold the values."""

    PROPOSED = "proposed"
    EXECUTED = "executed"
    FAILED = "failed"  # executed, and the Safe reported its call failed
    SUPERSEDED = "superseded"  # its Safe nonce went to another transaction, or its operation was cancelled
    STALE = "stale"  # made on a chain (genesis) or for a Safe this node no longer has
    INVALID = "invalid"  # a file that does not read as a proposal


@dataclass(frozen=True)
class PlannedCall:
    """One contract call, with what a reviewer needs to read it."""

    contract: str
    address: str
    function: str
    args: list[Any]  # JSON-able, in ABI order
    data: str  # 0x-hex calldata
    value: int = 0

    def as_json(self) -> PlannedCallJson:
        return cast(PlannedCallJson, asdict(self))

    @classmethod
    def from_json(cls, data: PlannedCallJson) -> PlannedCall:
        return cls(data["contract"], data["address"], data["function"], data["args"], data["data"], data.get("value", 0))

    @property
    def calldata(self) -> bytes:
        return bytes.fromhex(self.data[2:])


def timelock_operation_id(calls: list[PlannedCall], predecessor: str, salt: str) -> str:
    """TimelockController's ``hashOperation`` (one call) or ``hashOperationBatch`` (several)."""
    return operation_id(
        [to_checksum_address(c.address) for c in calls],
        [c.value for c in calls],
        [c.calldata for c in calls],
        bytes.fromhex(predecessor[2:]),
        bytes.fromhex(salt[2:]),
        batch=len(calls) > 1,
    )


def timelock_call(
    timelock_name: str,
    timelock: str,
    timelock_abi: list[dict[str, Any]],
    stage: str,
    calls: list[PlannedCall],
    salt: str,
    delay: int,
) -> PlannedCall:
    """The timelock call that schedules (or executes) ``calls`` as one operation."""
    batch = len(calls) > 1
    targets = [c.address for c in calls]
    values = [c.value for c in calls]
    payloads = [c.calldata for c in calls]
    if stage == "schedule":
        function = "scheduleBatch" if batch else "schedule"
        args: list[Any] = [targets, values, payloads] if batch else [targets[0], values[0], payloads[0]]
        args += [bytes(32), bytes.fromhex(salt[2:]), delay]
    elif stage == "execute":
        function = "executeBatch" if batch else "execute"
        args = [targets, values, payloads] if batch else [targets[0], values[0], payloads[0]]
        args += [bytes(32), bytes.fromhex(salt[2:])]
    else:
        raise ValueError(stage)
    data = encode_call(timelock_abi, function, args)
    return PlannedCall(timelock_name, timelock, function, jsonable(args), "0x" + data.hex())


def cancel_call(timelock_name: str, timelock: str, timelock_abi: list[dict[str, Any]], operation_id: str) -> PlannedCall:
    data = encode_call(timelock_abi, "cancel", [bytes.fromhex(operation_id[2:])])
    return PlannedCall(timelock_name, timelock, "cancel", [operation_id], "0x" + data.hex())


def safe_transaction(safe_calls: list[PlannedCall], nonce: int, multisend: str | None) -> SafeTx:
    """One call goes straight; several are delegate-called through MultiSendCallOnly."""
    if len(safe_calls) == 1:
        call = safe_calls[0]
        return SafeTx.call(call.address, call.calldata, nonce, value=call.value, operation=SafeOperation.CALL)
    if multisend is None:
        raise RwaError("batching several calls needs a MultiSend contract on this network")
    data = multisend_call([(c.address, c.value, c.calldata) for c in safe_calls])
    return SafeTx.call(multisend, data, nonce, operation=SafeOperation.DELEGATECALL)


def new_proposal(
    *,
    network: str,
    chain_id: int,
    safe_name: str,
    safe_address: str,
    nonce: int,
    title: str,
    calls: list[PlannedCall],
    safe_calls: list[PlannedCall],
    multisend: str | None,
    timelock: TimelockOperation | None = None,
    rejects: str | None = None,
    genesis_hash: str | None = None,
) -> Proposal:
    """A proposal without its id yet: :meth:`ProposalStore.create` numbers it."""
    tx = safe_transaction(safe_calls, nonce, multisend)
    digest = safe_tx_hash(chain_id, safe_address, tx)
    return {
        "format": FORMAT,
        "id": "",  # numbered by ProposalStore.create
        "network": network,
        "chainId": chain_id,
        "genesisHash": genesis_hash,
        "title": title,
        "safe": {"name": safe_name, "address": to_checksum_address(safe_address)},
        "calls": [c.as_json() for c in calls],
        "safeCalls": [c.as_json() for c in safe_calls],
        "multisend": multisend,
        "timelock": timelock,
        "rejects": rejects,
        "safeTx": tx.as_json(),
        "safeTxHash": digest,
        "signatures": {},
        "status": ProposalStatus.PROPOSED,
        "execution": None,
        "createdAt": _now(),
    }


def new_salt() -> str:
    return "0x" + secrets.token_bytes(32).hex()


@dataclass(frozen=True)
class Expected:
    """What the network says a proposal must agree with: its name, chain and trusted ABIs."""

    network: str
    chain_id: int
    known: Known


def problems(proposal: Proposal, expected: Expected | None = None) -> list[str]:
    """Everything that makes a proposal untrustworthy: its content must still match its hash, and
    (given the network's ``expected`` facts) every readable field must say what its calldata does."""
    found = []
    try:
        tx = SafeTx.from_json(proposal["safeTx"])
        safe_calls = [PlannedCall.from_json(c) for c in proposal["safeCalls"]]
        digest = safe_tx_hash(proposal["chainId"], proposal["safe"]["address"], tx)
        rebuilt = safe_transaction(safe_calls, tx.nonce, proposal.get("multisend"))
    except (KeyError, TypeError, ValueError, RwaError) as exc:
        return [f"malformed proposal ({type(exc).__name__}: {exc})"]
    if digest != proposal.get("safeTxHash"):
        found.append("its Safe transaction no longer matches its safeTxHash")
    if expected is None:
        if rebuilt != tx:
            found.append("its decoded calls no longer match its Safe transaction")
        operation = proposal.get("timelock")
        if operation:
            calls = [PlannedCall.from_json(c) for c in proposal["calls"]]
            if timelock_operation_id(calls, ZERO_BYTES32, operation["salt"]) != operation["operationId"]:
                found.append("its calls no longer match the timelock operation id")
    else:
        found += _against(expected, proposal)
    for owner, signature in (proposal.get("signatures") or {}).items():
        if (recover_signer(digest, signature) or "").lower() != owner.lower():
            found.append(f"the signature recorded for {owner} was not made by {owner} over this hash")
    return found


def _against(expected: Expected, proposal: Proposal) -> list[str]:
    found = []
    if proposal.get("network") != expected.network:
        found.append(f"network: the file says {proposal.get('network')!r}, this is {expected.network!r}")
    if proposal.get("chainId") != expected.chain_id:
        found.append(f"chainId: the file says {proposal.get('chainId')}, this chain is {expected.chain_id}")
    safe = proposal["safe"]
    recorded = expected.known.name(safe["address"])
    if recorded != safe.get("name"):
        found.append(
            f"safe.name: the file says {safe.get('name')!r}, {safe['address']} is {recorded or 'not a recorded contract'}"
        )
    try:
        decoded = decode_proposal(expected.known, proposal)
    except (Undecodable, ValueError, TypeError) as exc:
        return [*found, f"safeTx.data: {exc}"]
    return found + mismatches(expected.known, decoded, proposal)


class ProposalStore:
    """``deployments/proposals/<network>/``: one JSON file per proposal, numbered in order.

    Every read checks the file whole (against ``expected`` when given); every change is made under
    a lock on that proposal, on the file as it is then, so concurrent signers all end up in it.
    """

    def __init__(self, deployments_dir: Path, network: str, expected: Expected | None = None):
        self.directory = deployments_dir / "proposals" / network
        self.network = network
        self.expected = expected

    def path(self, proposal_id: str) -> Path:
        return self.directory / f"{proposal_id}.json"

    def save(self, proposal: Proposal) -> Path:
        path = self.path(proposal["id"])
        write_json(path, proposal)
        return path

    def create(self, proposal: Proposal) -> Proposal:
        """Number a new proposal (one more than the highest so far) and write it; ids never repeat."""
        with self._lock(".sequence"):
            numbers = [int(p.stem.split("-")[0]) for p in self._files() if p.stem.split("-")[0].isdigit()]
            number = max(numbers, default=-1) + 1
            created: Proposal = {**proposal, "id": f"{number:04d}-{proposal['safeTxHash'][2:10]}"}
            self.save(created)
        return created

    def resolve(self, reference: str) -> str:
        """The id a reference means: the id itself, its number (``0003``), or a unique prefix."""
        stems = [p.stem for p in self._files()]
        if reference in stems:
            return reference
        numbered = [s for s in stems if s.split("-")[0] == reference]
        matches = numbered or [s for s in stems if s.startswith(reference) or s.split("-", 1)[-1].startswith(reference)]
        if not matches:
            raise RwaError(f"no proposal '{reference}' under {self.directory}")
        if len(matches) > 1:
            raise RwaError(f"'{reference}' matches {len(matches)} proposals: {', '.join(matches)}; give the full id")
        return matches[0]

    def load(self, reference: str) -> Proposal:
        """A proposal, refused (one line) if it is missing, unreadable or tampered with."""
        path = self.path(self.resolve(reference))
        try:
            proposal = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RwaError(f"proposal {path.name} is unreadable ({exc}); restore it from version control") from None
        if not isinstance(proposal, dict) or proposal.get("format") != FORMAT:
            raise RwaError(f"{path.name} is not an rwa proposal")
        if proposal.get("id") != path.stem:
            raise RwaError(f"proposal {path.stem} refused: id: the file says {proposal.get('id')!r}")
        if proposal.get("status") not in set(ProposalStatus):
            raise RwaError(f"proposal {path.stem} refused: status: the file says {proposal.get('status')!r}")
        proposal["status"] = ProposalStatus(proposal["status"])
        checked = cast(Proposal, proposal)  # checked whole below
        found = problems(checked, self.expected) or self._against_schedule(checked)
        if found:
            raise RwaError(f"proposal {path.stem} refused: {'; '.join(found)}")
        return checked

    def _against_schedule(self, proposal: Proposal) -> list[str]:
        """An execute proposal's delay is not in its calldata: it must be its schedule's (checked there)."""
        operation = proposal.get("timelock")
        schedule_id = operation.get("schedule") if operation else None
        if not operation or operation["stage"] != "execute" or not schedule_id or not self.path(schedule_id).is_file():
            return []
        scheduled = self.load(schedule_id).get("timelock")
        pairs = {
            "delay": (operation["delay"], scheduled["delay"] if scheduled else None),
            "operationId": (operation["operationId"], scheduled["operationId"] if scheduled else None),
        }
        return [
            f"timelock.{key}: the file says {ours!r}, its schedule {schedule_id} {theirs!r}"
            for key, (ours, theirs) in pairs.items()
            if ours != theirs
        ]

    @contextmanager
    def locked(self, reference: str) -> Iterator[str]:
        """Hold the proposal's lock (a sidecar file; the JSON itself is replaced on every write)."""
        proposal_id = self.resolve(reference)
        with self._lock(f".{proposal_id}"):
            yield proposal_id

    def update(self, reference: str, change: Callable[[Proposal], Proposal]) -> Proposal:
        """Apply ``change`` to the proposal as it is on disk now, under its lock, and save the result."""
        with self.locked(reference) as proposal_id:
            current = self.load(proposal_id)
            changed = change(current)
            if changed != current:
                self.save(changed)
            return changed

    def add_signature(self, reference: str, owner: str, signature: str) -> Proposal:
        """Merge one owner's signature into the file as it is now (others may be signing too)."""

        def add(proposal: Proposal) -> Proposal:
            if proposal["status"] != "proposed":
                raise RwaError(f"proposal {proposal['id']} is {proposal['status']}")
            if to_checksum_address(owner) in proposal["signatures"]:
                raise RwaError(f"{to_checksum_address(owner)} has already signed {proposal['id']}")
            if recover_signer(proposal["safeTxHash"], signature) != to_checksum_address(owner):
                raise RwaError(f"the signature from {owner} does not recover to {owner} over {proposal['safeTxHash']}")
            return with_signature(proposal, owner, signature)

        return self.update(reference, add)

    def all(self) -> list[Proposal]:
        loaded = []
        for path in self._files():
            try:
                loaded.append(self.load(path.stem))
            except RwaError as exc:
                loaded.append({"id": path.stem, "status": ProposalStatus.INVALID, "title": str(exc), "signatures": {}})
        return loaded

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.lock"
        held: set[Path] = _HELD.__dict__.setdefault("paths", set())
        if path in held:
            yield
            return
        with open(path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            held.add(path)
            try:
                yield
            finally:
                held.discard(path)
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def with_signature(proposal: Proposal, owner: str, signature: str) -> Proposal:
    return {**proposal, "signatures": {**proposal["signatures"], to_checksum_address(owner): signature}}


def with_outcome(proposal: Proposal, status: ProposalStatus, execution: Execution | None) -> Proposal:
    return {**proposal, "status": status, "execution": execution}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
