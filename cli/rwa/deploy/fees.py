"""The fee policy of one network: what a transaction offers, and how a stuck one is outbid.

Every EIP-1559 fee the engine signs comes from here, so the rules live in one place: the max fee
is the base fee times a headroom (room for the base fee to rise while the transaction waits) plus
the priority fee; the operator's cap (``--max-fee``, or the network's ``fees`` in the manifest)
is never exceeded; and a replacement outbids the transaction it replaces by at least 12.5% on both
fields, the rule of geth's pool (others ask 10%), or the node refuses it as underpriced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_duration
from rwa.core.units import format_units, parse_amount
from rwa.deploy.manifest import Network

GWEI = 10**9
#: A replacement offers at least old * 9/8 on both fee fields (+12.5%).
BUMP = (9, 8)
DEFAULT_HEADROOM = 2.0
#: Seconds a transaction may stay unmined before it is replaced with higher fees.
DEFAULT_STUCK_AFTER = 120
#: The keys a network's ``fees`` may set in the manifest.
FEE_KEYS = ("headroom", "priority_fee", "max_fee", "stuck_after")


@dataclass(frozen=True)
class Fees:
    """What one signed transaction offers, in wei per gas."""

    max_fee: int
    priority_fee: int

    def fits(self, base_fee: int) -> bool:
        """Whether the transaction can be included at this base fee."""
        return self.max_fee >= base_fee


class FeeCapError(RwaError):
    """The network asks more than the operator allows: nothing is sent, a rerun resumes."""


@dataclass(frozen=True)
class FeePolicy:
    headroom: float = DEFAULT_HEADROOM
    priority_fee: int | None = None  # wei; None: the node's suggestion
    max_fee: int | None = None  # wei; the cap no transaction exceeds
    stuck_after: int = DEFAULT_STUCK_AFTER  # seconds

    def price(self, base_fee: int, suggested_priority: int) -> Fees:
        """The fees of a new transaction at the current base fee; refused when over the cap."""
        if self.max_fee is not None and base_fee > self.max_fee:
            raise FeeCapError(
                f"the base fee is {gwei(base_fee)} gwei, above the max fee of {gwei(self.max_fee)} gwei: "
                "nothing more was sent; rerun when fees fall (pending transactions are kept) or raise --max-fee"
            )
        priority = self.priority_fee if self.priority_fee is not None else suggested_priority
        max_fee = math.ceil(base_fee * self.headroom) + priority
        if self.max_fee is not None:
            max_fee = min(max_fee, self.max_fee)
        return Fees(max_fee, min(priority, max_fee))

    def bump(self, old: Fees, fresh: Fees) -> Fees | None:
        """The fees that replace ``old``: at least +12.5% on both fields and no less than the fresh
        price; None when that would pass the cap (the transaction can only wait)."""
        bumped = Fees(max(_bumped(old.max_fee), fresh.max_fee), max(_bumped(old.priority_fee), fresh.priority_fee))
        if self.max_fee is not None and bumped.max_fee > self.max_fee:
            return None
        return Fees(bumped.max_fee, min(bumped.priority_fee, bumped.max_fee))


def _bumped(value: int) -> int:
    return -(-value * BUMP[0] // BUMP[1])


def gwei(wei: int) -> str:
    return format_units(wei, 9) if wei else "0"


def _wei(value: Any, key: str) -> int:
    try:
        return parse_amount(str(value), 9, "gwei")
    except ValueError as exc:
        raise RwaError(f"fees.{key}: {exc}") from None


def policy_for(network: Network, max_fee: int | None = None, stuck_after: int | None = None) -> FeePolicy:
    """The network's policy (its ``fees`` in the manifest, gwei and durations as people write
    them), with the command line's ``--max-fee`` and ``--stuck-after`` over it."""
    settings: Mapping[str, Any] = network.fees
    unknown = sorted(set(settings) - set(FEE_KEYS))
    if unknown:
        raise RwaError(f"network {network.name}: unknown fees setting(s) {', '.join(unknown)} (known: {', '.join(FEE_KEYS)})")
    policy = FeePolicy(
        headroom=float(settings.get("headroom", DEFAULT_HEADROOM)),
        priority_fee=_wei(settings["priority_fee"], "priority_fee") if "priority_fee" in settings else None,
        max_fee=_wei(settings["max_fee"], "max_fee") if "max_fee" in settings else None,
        stuck_after=parsed(parse_duration, str(settings.get("stuck_after", DEFAULT_STUCK_AFTER))),
    )
    if policy.headroom < 1:
        raise RwaError(f"network {network.name}: fees.headroom must be at least 1, not {policy.headroom}")
    return FeePolicy(
        policy.headroom,
        policy.priority_fee,
        max_fee if max_fee is not None else policy.max_fee,
        stuck_after if stuck_after is not None else policy.stuck_after,
    )
