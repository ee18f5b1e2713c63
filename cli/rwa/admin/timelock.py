"""The timelock the admins' Safe acts through: its record name and the state of an operation."""

from __future__ import annotations

import enum

from rwa.admin.actions import deployed
from rwa.deploy.target import Target

TIMELOCK = "Timelock"


class OperationState(enum.StrEnum):
    """A timelock operation's state, as TimelockController's ``getOperationState`` numbers them."""

    UNSET = "unset"
    WAITING = "waiting"
    READY = "ready"
    DONE = "done"


def operation_state(target: Target, operation_id: str) -> OperationState:
    timelock_contract = deployed(target, TIMELOCK)
    state = target.chain.call(
        timelock_contract.address, timelock_contract.abi, "getOperationState", [bytes.fromhex(operation_id[2:])]
    )
    return list(OperationState)[int(state)]
