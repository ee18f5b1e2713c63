"""Admin actions on deployed contracts: one call described, simulated, then sent.

Commands build :class:`Action` values and hand them here, so every admin command refuses the same
way (the contract's custom error, decoded, before anything is signed) and routes the same way
(:class:`rwa.admin.writer.Writer`: a direct send, or a Safe proposal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rwa.chain.client import Receipt
from rwa.core.abi import role_id
from rwa.core.errors import RwaError
from rwa.deploy.records import contracts_of
from rwa.deploy.target import Target, contracts_read


@dataclass(frozen=True)
class Deployed:
    """A contract the network's record knows: where it is and how to talk to it."""

    name: str
    address: str
    abi: list[dict[str, Any]]


@dataclass(frozen=True)
class Action:
    contract: Deployed
    function: str
    args: tuple[Any, ...]
    value: int = 0
    gas: int | None = None  # the transaction's gas limit (None: estimated)

    def describe(self) -> str:
        return f"{self.contract.name}.{self.function}({', '.join(map(str, self.args))})"


def deployed(target: Target, name: str) -> Deployed:
    """An entry of the network's deployments record, or a clear error if it is not there."""
    entry = contracts_read(target).get(name)
    if entry is None:
        raise RwaError(f"{name} is not deployed on {target.network.name}: run `rwa deploy` first")
    return Deployed(name, entry["address"], entry["abi"])


def instance(target: Target, name: str, address: str, contract_type: str) -> Deployed:
    """A contract made at run time (by a factory), with the ABI of its compiled type."""
    if not target.chain.code(address):
        raise RwaError(f"no contract at {address} on {target.network.name}")
    return Deployed(name, address, target.artifacts[contract_type].abi)


def read(target: Target, contract: Deployed, function: str, *args: Any) -> Any:
    return target.chain.call(contract.address, contract.abi, function, list(args))


#: Who may act for a role the signer lacks, and how to reach them.
VIA_HINTS = (("GuardianSafe", "--via guardian"), ("Timelock", "--via safe"))
#: A refusal for a missing role, as OpenZeppelin's AccessControl and the vaults word it (decoded).
ROLE_REFUSAL = re.compile(r"(?:AccessControlUnauthorizedAccount|MissingRole)\((0x[0-9a-fA-F]{40}), ([A-Z_]+)\)")


def explain_refusal(target: Target, message: str, roles: Deployed) -> str:
    """A missing-role refusal, completed with who holds the role in ``roles`` (the contract that
    keeps them) when that is one of the suite's Safes or the timelock: the --via that reaches it."""
    match = ROLE_REFUSAL.search(message)
    if not match:
        return message
    role = match.group(2)
    contracts = contracts_of(target.store.load(target.network.name))
    for name, option in VIA_HINTS:
        entry = contracts.get(name)
        if entry and read(target, roles, "hasRole", role_id(role), entry["address"]):
            return f"{message}: the signer lacks {role}; {name} holds it ({option})"
    return f"{message}: the signer lacks {role}"


def send(target: Target, action: Action) -> Receipt:
    """Simulate (refusals become one line naming the custom error), then sign and send."""
    if target.account is None:
        raise RwaError("this action needs an account (--account)")
    return target.chain.transact(
        target.account,
        action.contract.address,
        action.contract.abi,
        action.function,
        list(action.args),
        action.value,
        action.gas,
    )
