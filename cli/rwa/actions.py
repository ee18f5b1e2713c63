"""Admin actions on deployed contracts: one call described, simulated, then sent.

Commands build :class:`Action` values and hand them here, so every admin command refuses the same
way (the contract's custom error, decoded, before anything is signed) and later gains the same
routing (a Safe proposal instead of a direct send) in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from rwa.errors import RwaError

if TYPE_CHECKING:
    from rwa.chain import Receipt
    from rwa.engine import Target


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

    def describe(self) -> str:
        return f"{self.contract.name}.{self.function}({', '.join(map(str, self.args))})"


def deployed(target: Target, name: str) -> Deployed:
    """An entry of the network's deployments record, or a clear error if it is not there."""
    from rwa.engine import load_record

    entry = ((load_record(target) or {}).get("contracts") or {}).get(name)
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
    role_id = bytes(32) if role == "DEFAULT_ADMIN_ROLE" else keccak(text=role)
    contracts = (target.store.load(target.network.name) or {}).get("contracts", {})
    for name, option in VIA_HINTS:
        entry = contracts.get(name)
        if entry and read(target, roles, "hasRole", role_id, entry["address"]):
            return f"{message}: the signer lacks {role}; {name} holds it ({option})"
    return f"{message}: the signer lacks {role}"


def send(target: Target, action: Action) -> Receipt:
    """Simulate (refusals become one line naming the custom error), then sign and send."""
    if target.account is None:
        raise RwaError("this action needs an account (--account)")
    return target.chain.transact(
        target.account, action.contract.address, action.contract.abi, action.function, list(action.args), action.value
    )


class Writer:
    """Where a command's writes go: sent one by one, or, with ``via`` ("safe" or "guardian"),
    collected into one multisig proposal (a MultiSend batch when there are several).

    Every write is simulated first either way, so a refusal names the contract's custom error and
    nothing is sent or written; ``explain`` may complete that line (who holds a missing role).
    """

    def __init__(self, target: Target, via: str | None = None, explain: Callable[[str], str] | None = None):
        self.target = target
        self.via = via
        self.explain = explain or (lambda message: message)
        self.pending: list[Action] = []
        self.proposal: dict[str, Any] | None = None

    @property
    def proposing(self) -> bool:
        return self.via is not None

    def send(self, action: Action) -> Receipt | None:
        """The receipt of a sent write; None when it was kept for the proposal."""
        if self.via is None:
            try:
                return send(self.target, action)
            except RwaError as exc:
                raise RwaError(self.explain(str(exc))) from None
        self.pending.append(action)
        return None

    def propose(self, title: str) -> dict[str, Any] | None:
        """Write the collected writes as one proposal (each simulated as its executor would run it)."""
        if self.via is None or not self.pending:
            return None
        from rwa import governance

        calls = [governance.planned(a) for a in self.pending]
        abis = {a.contract.name: a.contract.abi for a in self.pending}
        try:
            self.proposal = governance.propose_calls(self.target, calls, self.via, title, extra_abis=abis)
        except RwaError as exc:
            raise RwaError(self.explain(str(exc))) from None
        return self.proposal
