"""Memberships that lapse: time-based, so no event says so; the watcher finds them as blocks advance.

A membership (an ERC-5643 NFT of ``FanPayments``) is valid while the block time has not passed its
``expiresAt``, which each ``SubscriptionUpdate`` sets. It lapses in the first block whose time is
after the expiry in force, unless an update moved the expiry before that block. Each lapse happens in
exactly one block, so the watcher raises one ``MembershipLapsed`` per lapse, with that block (and
its hash) in the alert's identity: evaluated again (a restart, another range), the same lapse is the
same alert; reorganised away, it is retracted with its block, and found again in the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

#: The synthetic event a lapse raises (the built-in rule `memberships.MembershipLapsed`).
LAPSED = "MembershipLapsed"
#: Its arguments, as event inputs (for custom rules that name it).
LAPSED_INPUTS = [
    {"name": "tokenId", "type": "uint256", "indexed": True},
    {"name": "expiresAt", "type": "uint64", "indexed": False},
]


@dataclass(frozen=True)
class Expiry:
    """An expiry in force from ``block`` (the block of the ``SubscriptionUpdate`` that set it)."""

    memberships: str
    token_id: int
    expires_at: int
    block: int


@dataclass(frozen=True)
class Window:
    """An expiry in force over blocks ``after`` (exclusive) to ``until`` (inclusive): it lapses in this
    window when the time of ``after`` has not passed it and the time of ``until`` has."""

    expiry: Expiry
    after: int
    until: int


def latest(updates: Iterable[Expiry]) -> dict[tuple[str, int], Expiry]:
    """The expiry in force of each membership after ``updates`` (in chain order)."""
    found: dict[tuple[str, int], Expiry] = {}
    for update in updates:
        found[(update.memberships, update.token_id)] = update
    return found


def windows(entering: Mapping[tuple[str, int], Expiry], updates: Sequence[Expiry], start: int, last: int) -> list[Window]:
    """The windows of blocks ``start``..``last`` in which each expiry was in force: the expiries in force
    when the range begins (``entering``, from blocks before ``start``) and those the range's ``updates``
    set (in chain order). A window ends with the update that replaces its expiry: a renewal of a lapsed
    membership lapsed it in its own block at the latest (it extends from then: the fan had a gap)."""
    current: dict[tuple[str, int], tuple[Expiry, int]] = {key: (e, start - 1) for key, e in entering.items()}
    found: list[Window] = []
    for update in updates:
        key = (update.memberships, update.token_id)
        if key in current:
            before, after = current[key]
            if update.block > after:
                found.append(Window(before, after, update.block))
        current[key] = (update, update.block)
    found.extend(Window(e, after, last) for e, after in current.values() if last > after)
    return found


def lapses(found: Sequence[Window], time_of: Callable[[Sequence[int]], Mapping[int, int]]) -> list[tuple[Expiry, int]]:
    """The expiries that lapse in their window, each with the block it lapses in (the first block of
    the window whose time is after it). ``time_of`` gives blocks' times, many at once."""
    if not found:
        return []  # no membership in force: nothing to ask the node
    ends = time_of(sorted({n for w in found for n in (w.after, w.until) if n >= 0}))
    lapsing = [w for w in found if ends.get(w.after, -1) <= w.expiry.expires_at < ends[w.until]]
    result = []
    for window in lapsing:
        low, high = window.after, window.until  # time(low) <= expiry < time(high)
        while high - low > 1:
            middle = (low + high) // 2
            if time_of([middle])[middle] > window.expiry.expires_at:
                high = middle
            else:
                low = middle
        result.append((window.expiry, high))
    return result
