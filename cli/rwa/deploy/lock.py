"""One operator at a time: file locks next to the network's journal.

Two processes sending from the same account race for nonces: both sign nonce n, one is refused as
underpriced or "nonce too low", and each may create what the other just created. So every command
that sends holds the lock of its account on its network (:func:`account_key`) while it runs, and a
deploy also holds the network's own lock, since two deploys from different accounts would each
create the suite. The kernel drops a lock when its process ends, even by ``kill -9``, so a crash
leaves no stale lock. The file keeps who holds it, so a refusal can name them.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rwa.core.errors import RwaError
from rwa.deploy import records


class LockHeld(RwaError):
    """Another process sends on this network."""


def lock_path(directory: Path, key: str) -> Path:
    return directory / f"{key}.lock"


def account_key(network: str, account: str) -> str:
    """The lock of one account's nonces on one network: ``sepolia.0xabc…``."""
    return f"{network}.{account.lower()}"


def _what(key: str) -> str:
    network, _, account = key.partition(".")
    return f"account {account} on {network}" if account else network


def command_line(argv: list[str]) -> str:
    """The command a lock holder runs, for the refusal of another: ``rwa kyc import``."""
    words = [Path(argv[0]).name] if argv else ["rwa"]
    for word in argv[1:3]:
        if word.startswith("-") or not word.replace("-", "").isalnum():
            break
        words.append(word)
    return " ".join(words)


def describe(holder: dict[str, Any]) -> str:
    """``pid 4242 on build-1 (account 0xf39F…, since 2026-11-28T19:30:00Z, rwa deploy)``."""
    if not holder:
        return "another process (it has not written its name yet)"
    return (
        f"pid {holder.get('pid')} on {holder.get('host')} (account {holder.get('account')}, "
        f"since {holder.get('since')}, {holder.get('command')})"
    )


def _holder(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    try:
        found = json.loads(handle.read() or "{}")
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


#: How long ``--wait`` waits for another holder before giving up with one line (a deploy that
#: hangs must not hang every operator behind it).
WAIT_LIMIT_SECONDS = 3600.0


@contextmanager
def hold(
    directory: Path,
    key: str,
    account: str,
    command: str,
    wait: bool = False,
    waiting: Callable[[str], None] | None = None,
    can_wait: bool = True,
) -> Iterator[None]:
    """Hold the lock ``key`` (a network, or :func:`account_key`) for the block; refuse at once
    naming the holder, or with ``wait`` block until it is free (``waiting`` hears who is waited
    for). ``can_wait`` says whether the command has ``--wait`` to offer in the refusal."""
    path = lock_path(directory, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = describe(_holder(handle))
            if not wait:
                way_out = "wait for it to finish, or rerun with --wait" if can_wait else "rerun when it has finished"
                raise LockHeld(f"{_what(key)} is locked by {holder}: {way_out}") from None
            if waiting is not None:
                waiting(holder)
            _wait_for(handle, f"{_what(key)} is still locked by {holder}")
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "account": account,
            "since": records.now(),
            "command": command,
        }
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(me, sort_keys=True))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _wait_for(handle: IO[str], still: str, limit: float | None = None) -> None:
    """Take the lock once its holder lets go, for at most ``limit`` seconds (``WAIT_LIMIT_SECONDS``)."""
    limit = WAIT_LIMIT_SECONDS if limit is None else limit
    deadline = time.monotonic() + limit
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise LockHeld(f"{still} after waiting {limit:.0f}s: nothing was done; rerun when it has finished") from None
            time.sleep(0.1)
