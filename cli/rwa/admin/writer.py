"""Where a command's writes go: sent one by one, or collected into one multisig proposal."""

from __future__ import annotations

from collections.abc import Callable

from rwa.admin import governance
from rwa.admin.actions import Action, send
from rwa.admin.proposals import Proposal
from rwa.chain.client import Receipt
from rwa.core.errors import RwaError
from rwa.deploy.target import Target


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
        self.proposal: Proposal | None = None

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

    def propose(self, title: str) -> Proposal | None:
        """Write the collected writes as one proposal (each simulated as its executor would run it)."""
        if self.via is None or not self.pending:
            return None
        calls = [governance.planned(a) for a in self.pending]
        abis = {a.contract.name: a.contract.abi for a in self.pending}
        try:
            self.proposal = governance.propose_calls(self.target, calls, self.via, title, extra_abis=abis)
        except RwaError as exc:
            raise RwaError(self.explain(str(exc))) from None
        return self.proposal
