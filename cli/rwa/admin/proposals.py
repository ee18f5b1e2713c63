"""Multisig proposals as files: what a Safe is asked to do, readable in a pull request.

A proposal lives in ``deployments/proposals/<network>/<id>.json``. It holds the decoded calls, the
Safe transaction, its EIP-712 ``safeTxHash`` and the owners' signatures so far; the file travels
between owners (each may sign on another machine) and is checked whole every time it is read, so
a tampered or truncated file is refused. Calls that need the timelock become a *schedule*
proposal, and once that has executed, an *execute* proposal for the same timelock operation.
Everything here is pure file and data handling; the chain side is in ``governance``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from rwa.admin.safe import (
    CALL,
    DELEGATECALL,
    SafeTx,
    multisend_call,
    recover_signer,
    safe_tx_hash,
)
from rwa.core.abi import encode_call, jsonable
from rwa.core.atomic import write_json
from rwa.core.errors import RwaError

FORMAT = "rwa-proposal/1"
ZERO_BYTES32 = "0x" + "00" * 32


@dataclass(frozen=True)
class PlannedCall:
    """One contract call, with what a reviewer needs to read it."""

    contract: str
    address: str
    function: str
    args: list[Any]  # JSON-able, in ABI order
    data: str  # 0x-hex calldata
    value: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "address": self.address,
            "function": self.function,
            "args": self.args,
            "data": self.data,
            "value": self.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedCall:
        return cls(data["contract"], data["address"], data["function"], data["args"], data["data"], data.get("value", 0))

    @property
    def calldata(self) -> bytes:
        return bytes.fromhex(self.data[2:])


def timelock_operation_id(calls: list[PlannedCall], predecessor: str, salt: str) -> str:
    """TimelockController's ``hashOperation`` (one call) or ``hashOperationBatch`` (several)."""
    pred, salt_bytes = bytes.fromhex(predecessor[2:]), bytes.fromhex(salt[2:])
    if len(calls) == 1:
        call = calls[0]
        encoded = encode(
            ["address", "uint256", "bytes", "bytes32", "bytes32"],
            [to_checksum_address(call.address), call.value, call.calldata, pred, salt_bytes],
        )
    else:
        encoded = encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
            [[to_checksum_address(c.address) for c in calls], [c.value for c in calls], [c.calldata for c in calls], pred, salt_bytes],
        )
    return "0x" + keccak(encoded).hex()


def timelock_call(
    timelock_name: str, timelock: str, timelock_abi: list[dict[str, Any]], stage: str, calls: list[PlannedCall], salt: str, delay: int
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
        return SafeTx.call(call.address, call.calldata, nonce, value=call.value, operation=CALL)
    if multisend is None:
        raise RwaError("batching several calls needs a MultiSend contract on this network")
    data = multisend_call([(c.address, c.value, c.calldata) for c in safe_calls])
    return SafeTx.call(multisend, data, nonce, operation=DELEGATECALL)


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
    timelock: dict[str, Any] | None = None,
    rejects: str | None = None,
) -> dict[str, Any]:
    tx = safe_transaction(safe_calls, nonce, multisend)
    digest = safe_tx_hash(chain_id, safe_address, tx)
    return {
        "format": FORMAT,
        "id": f"{nonce:04d}-{digest[2:10]}",
        "network": network,
        "chainId": chain_id,
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
        "status": "proposed",
        "execution": None,
        "createdAt": _now(),
    }


def new_salt() -> str:
    return "0x" + secrets.token_bytes(32).hex()


def problems(proposal: dict[str, Any]) -> list[str]:
    """Everything that makes a proposal untrustworthy: its content must still match its hash."""
    found = []
    try:
        tx = SafeTx.from_json(proposal["safeTx"])
        safe_calls = [PlannedCall.from_json(c) for c in proposal["safeCalls"]]
        digest = safe_tx_hash(proposal["chainId"], proposal["safe"]["address"], tx)
        rebuilt = safe_transaction(safe_calls, tx.nonce, proposal.get("multisend"))
    except (KeyError, TypeError, ValueError) as exc:
        return [f"malformed proposal ({type(exc).__name__}: {exc})"]
    if digest != proposal.get("safeTxHash"):
        found.append("its Safe transaction no longer matches its safeTxHash")
    if rebuilt != tx:
        found.append("its decoded calls no longer match its Safe transaction")
    if proposal.get("timelock"):
        operation = proposal["timelock"]
        calls = [PlannedCall.from_json(c) for c in proposal["calls"]]
        if timelock_operation_id(calls, ZERO_BYTES32, operation["salt"]) != operation["operationId"]:
            found.append("its calls no longer match the timelock operation id")
    for owner, signature in (proposal.get("signatures") or {}).items():
        if (recover_signer(digest, signature) or "").lower() != owner.lower():
            found.append(f"the signature recorded for {owner} was not made by {owner} over this hash")
    return found


class ProposalStore:
    """``deployments/proposals/<network>/``: one JSON file per proposal."""

    def __init__(self, deployments_dir: Path, network: str):
        self.directory = deployments_dir / "proposals" / network
        self.network = network

    def path(self, proposal_id: str) -> Path:
        return self.directory / f"{proposal_id}.json"

    def save(self, proposal: dict[str, Any]) -> Path:
        path = self.path(proposal["id"])
        write_json(path, proposal)
        return path

    def load(self, proposal_id: str) -> dict[str, Any]:
        """A proposal, refused (one line) if it is missing, unreadable or tampered with."""
        matches = sorted(self.directory.glob(f"{proposal_id}*.json")) if self.directory.is_dir() else []
        if not matches:
            raise RwaError(f"no proposal '{proposal_id}' under {self.directory}")
        if len(matches) > 1:
            raise RwaError(f"'{proposal_id}' matches {len(matches)} proposals: {', '.join(p.stem for p in matches)}")
        path = matches[0]
        try:
            proposal = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RwaError(f"proposal {path.name} is unreadable ({exc}); restore it from version control") from None
        if not isinstance(proposal, dict) or proposal.get("format") != FORMAT:
            raise RwaError(f"{path.name} is not an rwa proposal")
        found = problems(proposal)
        if found:
            raise RwaError(f"proposal {path.stem} refused: {'; '.join(found)}")
        return proposal

    def all(self) -> list[dict[str, Any]]:
        if not self.directory.is_dir():
            return []
        loaded = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                loaded.append(self.load(path.stem))
            except RwaError as exc:
                loaded.append({"id": path.stem, "status": "invalid", "title": str(exc), "signatures": {}})
        return loaded


def with_signature(proposal: dict[str, Any], owner: str, signature: str) -> dict[str, Any]:
    return {**proposal, "signatures": {**proposal["signatures"], to_checksum_address(owner): signature}}


def with_outcome(proposal: dict[str, Any], status: str, execution: dict[str, Any] | None) -> dict[str, Any]:
    return {**proposal, "status": status, "execution": execution}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
