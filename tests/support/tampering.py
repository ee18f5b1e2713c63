"""Tampering with a proposal file, field by field: what tests/admin/test_proposal_integrity.py asserts
is refused, and what bench/governance_check.py counts."""

from __future__ import annotations

import copy
from typing import Any

NEW_ATTESTOR = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
OTHER = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
GRANT = f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {NEW_ATTESTOR})"

#: (field named in the refusal, dotted path edited, new value) on a timelock schedule proposal for
#: GRANT, signed by owner1: every readable field of the format.
SCHEDULE_TAMPERS: list[tuple[str, str, Any]] = [
    ("calls[0].contract", "calls.0.contract", "DemoProperty"),
    ("calls[0].address", "calls.0.address", OTHER),
    ("calls[0].function", "calls.0.function", "revokeRole"),
    ("calls[0].args", "calls.0.args.1", OTHER),
    ("calls[0].data", "calls.0.data", "0x2f2ff15d"),
    ("calls[0].value", "calls.0.value", 1),
    ("calls", "calls", []),
    ("safeCalls[0].contract", "safeCalls.0.contract", "GuardianSafe"),
    ("safeCalls[0].address", "safeCalls.0.address", OTHER),
    ("safeCalls[0].function", "safeCalls.0.function", "execute"),
    ("safeCalls[0].args", "safeCalls.0.args.5", 3600),
    ("safeCalls[0].data", "safeCalls.0.data", "0x01d5062a"),
    ("safeCalls[0].value", "safeCalls.0.value", 5),
    ("safeCalls", "safeCalls", []),
    ("timelock.delay", "timelock.delay", 3600),
    ("timelock.operationId", "timelock.operationId", "0x" + "00" * 32),
    ("timelock.salt", "timelock.salt", "0x" + "11" * 32),
    ("timelock.stage", "timelock.stage", "execute"),
    ("timelock.address", "timelock.address", OTHER),
    ("timelock", "timelock", None),
    ("safe.name", "safe.name", "GuardianSafe"),
    ("safeTxHash", "safe.address", OTHER),
    ("chainId", "chainId", 1),
    ("network", "network", "sepolia"),
    ("multisend", "multisend", OTHER),
    ("rejects", "rejects", "0000-00000000"),
    ("id", "id", "0042-deadbeef"),
    ("safeTxHash", "safeTx.to", OTHER),
    ("safeTxHash", "safeTx.data", "0x"),
    ("safeTxHash", "safeTx.value", 1),
    ("safeTxHash", "safeTx.operation", 1),
    ("safeTxHash", "safeTx.nonce", 7),
    ("safeTxHash", "safeTxHash", "0x" + "22" * 32),
    ("signature recorded for", "signatures.0x90F79bf6EB2c4f870365E785982E1f101E93b906", "0x" + "33" * 65),
]

#: And on a MultiSend batch of the guardian Safe (two inner calls).
BATCH_TAMPERS: list[tuple[str, str, Any]] = [
    ("safeCalls[1].function", "safeCalls.1.function", "unpause"),
    ("calls[1].args", "calls.1.args", [OTHER]),
    ("safeCalls", "safeCalls", "drop-last"),
    ("calls[0].address", "calls.0.address", OTHER),
]


def edit(proposal: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """The proposal with one field (a dotted path; list indexes as numbers) set to ``value``."""
    changed = copy.deepcopy(proposal)
    *parents, last = path.split(".")
    node = changed
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value == "drop-last":
        node[last] = node[last][:-1]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed
