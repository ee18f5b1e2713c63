"""Proposal files against the chain: the network's proposals, each checked against its calldata,
this chain and this record (:func:`store`), and each brought up to date with what the chain shows
(:func:`reconcile`): the Safe's nonce and its ExecutionSuccess/ExecutionFailure events say whether a
proposal ran, failed, or lost its nonce to another transaction, and the chain's genesis hash whether
the chain it was made for still exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin.decode import PROXY_ADMIN_ABI, Decoded, Known, decode_proposal
from rwa.admin.proposals import Execution, Expected, Proposal, ProposalStatus, ProposalStore, with_outcome
from rwa.admin.timelock import TIMELOCK, OperationState, operation_state
from rwa.chain.client import Event
from rwa.deploy.target import Target, contracts_read

MULTISEND = "MultiSend"


def known(target: Target) -> Known:
    """The ABIs proposals are decoded with: the record's contracts by address, and every compiled
    contract's (plus the proxy admin's) by selector, for contracts a factory made."""
    contracts = contracts_read(target).items()
    by_address: dict[str, tuple[str, list[dict[str, Any]]]] = {
        to_checksum_address(entry["address"]): (name, entry["abi"]) for name, entry in contracts
    }
    fallback = [item for artifact in target.artifacts.values() for item in artifact.abi] + PROXY_ADMIN_ABI
    timelock = contracts_read(target).get(TIMELOCK)
    return Known(by_address, fallback, optional_address(target, MULTISEND), timelock["address"] if timelock else None)


def store(target: Target) -> ProposalStore:
    """The network's proposals, each checked against its calldata, this chain and this record."""
    expected = Expected(target.network.name, target.chain.chain_id, known(target))
    return ProposalStore(target.paths.deployments_dir, target.network.name, expected)


def decoded(target: Target, proposal: Proposal) -> Decoded:
    """What the proposal's calldata does (what `show` prints; the file's text was checked against it)."""
    return decode_proposal(known(target), proposal)


def reconcile(target: Target, proposal: Proposal) -> Proposal:
    """The proposal with its status as the chain has it now (saved if it changed)."""
    return _reconcile(target, [proposal])[0]


def reconcile_all(target: Target) -> list[Proposal]:
    """Every proposal of the network (invalid ones as such), each brought up to date."""
    return _reconcile(target, store(target).all())


def _reconcile(target: Target, proposals: list[Proposal]) -> list[Proposal]:
    genesis = target.chain.genesis_hash
    history = _SafeHistory(target)
    updated = []
    for proposal in proposals:
        outcome = _outcome(target, proposal, genesis, history)
        if outcome is not None:
            proposal = store(target).update(proposal["id"], _settle(proposal["status"], *outcome))
        updated.append(proposal)
    return updated


def _settle(seen: ProposalStatus, status: ProposalStatus, execution: Execution) -> Callable[[Proposal], Proposal]:
    """The change that records an outcome, unless another process moved the file on meanwhile."""

    def change(current: Proposal) -> Proposal:
        return with_outcome(current, status, execution) if current["status"] == seen else current

    return change


def _outcome(target: Target, proposal: Proposal, genesis: str, history: _SafeHistory) -> tuple[ProposalStatus, Execution] | None:
    """A new (status, execution) for a proposal the chain has moved past; None if it stands."""
    status = proposal.get("status")
    if status in (ProposalStatus.INVALID, ProposalStatus.STALE):
        return None
    made_on = proposal.get("genesisHash")
    if made_on and made_on != genesis:
        return ProposalStatus.STALE, {"reason": f"made on a chain with genesis {made_on[:10]}…, which this node no longer runs"}
    safe = proposal["safe"]["address"]
    if not history.exists(safe):
        return ProposalStatus.STALE, {"reason": f"no Safe at {safe} on this chain any more"}
    if status != ProposalStatus.PROPOSED:
        return None
    nonce = int(proposal["safeTx"]["nonce"])
    if nonce >= history.nonce(safe):
        return _cancelled(target, proposal)
    ran = history.by_hash(safe, proposal["safeTxHash"])
    if ran is not None:
        success = ran.name == "ExecutionSuccess"
        execution: Execution = {
            "transactionHash": ran.transaction,
            "block": ran.block,
            "executor": _sender(target, ran),
            "success": success,
        }
        return (ProposalStatus.EXECUTED if success else ProposalStatus.FAILED), execution
    spent = history.at_nonce(safe, nonce)
    by = {p["id"] for p in store(target).all() if spent is not None and p.get("safeTxHash") == spent.safeTxHash}
    return ProposalStatus.SUPERSEDED, {
        "reason": f"Safe nonce {nonce} was used by another transaction",
        "transactionHash": spent.transaction if spent else None,
        "proposal": next(iter(by), None),
    }


def _cancelled(target: Target, proposal: Proposal) -> tuple[ProposalStatus, Execution] | None:
    """An execute proposal whose operation the timelock no longer holds, though its schedule ran."""
    operation = proposal.get("timelock")
    if (
        not operation
        or operation["stage"] != "execute"
        or operation_state(target, operation["operationId"]) != OperationState.UNSET
    ):
        return None
    schedule = operation.get("schedule")
    if (
        not schedule
        or not store(target).path(schedule).is_file()
        or store(target).load(schedule)["status"] != ProposalStatus.EXECUTED
    ):
        return None
    return ProposalStatus.SUPERSEDED, {
        "reason": f"timelock operation {operation['operationId'][:10]}… was cancelled",
        "transactionHash": None,
        "proposal": None,
    }


@dataclass(frozen=True)
class _Execution:
    name: str  # ExecutionSuccess | ExecutionFailure
    safeTxHash: str
    transaction: str
    block: int


class _SafeHistory:
    """A Safe's nonce and executions, read once per Safe. Every ``execTransaction`` bumps the
    nonce and emits exactly one ExecutionSuccess or ExecutionFailure (txHash indexed), so the
    n-th of those events, oldest first, is the one that spent nonce n."""

    def __init__(self, target: Target):
        self.target = target
        self._nonces: dict[str, int] = {}
        self._code: dict[str, bool] = {}
        self._executions: dict[str, list[_Execution]] = {}

    def exists(self, safe: str) -> bool:
        if safe not in self._code:
            self._code[safe] = bool(self.target.chain.code(safe))
        return self._code[safe]

    def nonce(self, safe: str) -> int:
        if safe not in self._nonces:
            self._nonces[safe] = int(self.target.chain.call(safe, self._contract(safe)[0], "nonce", []))
        return self._nonces[safe]

    def executions(self, safe: str) -> list[_Execution]:
        if safe not in self._executions:
            abi, born = self._contract(safe)
            events: list[Event] = []
            for name in ("ExecutionSuccess", "ExecutionFailure"):
                events += self.target.chain.events(safe, abi, name, from_block=born)
            events.sort(key=lambda e: (e.block, e.log_index))
            self._executions[safe] = [
                _Execution(e.name, "0x" + bytes(e.args["txHash"]).hex(), e.transaction, e.block) for e in events
            ]
        return self._executions[safe]

    def by_hash(self, safe: str, safe_tx_hash: str) -> _Execution | None:
        return next((e for e in self.executions(safe) if e.safeTxHash == safe_tx_hash), None)

    def at_nonce(self, safe: str, nonce: int) -> _Execution | None:
        executions = self.executions(safe)
        return executions[nonce] if len(executions) == self.nonce(safe) and nonce < len(executions) else None

    def _contract(self, safe: str) -> tuple[list[dict[str, Any]], int]:
        """The Safe's ABI and the block it was made in, as the record holds them; a Safe the record does
        not hold: SafeL2's ABI, read from the first block."""
        address = to_checksum_address(safe)
        for entry in contracts_read(self.target).values():
            if to_checksum_address(entry["address"]) == address:
                return list(entry["abi"]), int(entry.get("blockNumber") or 0)
        return list(self.target.artifacts["SafeL2"].abi), 0


def _sender(target: Target, execution: _Execution) -> str | None:
    try:
        return to_checksum_address(target.chain.web3.eth.get_transaction(execution.transaction)["from"])
    except Exception:
        return None


def optional_address(target: Target, name: str) -> str | None:
    entry = contracts_read(target).get(name)
    if entry:
        return str(entry["address"])
    configured = target.network.params.get("multisend")
    return configured if isinstance(configured, str) else None
