"""Setting up a watcher for a command: its database, rules and sinks, all checked before it starts."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rwa.core.errors import RwaError
from rwa.deploy.records import now as records_now
from rwa.deploy.target import Target
from rwa.watch import rules as rules_module
from rwa.watch.sinks import Delivery, JsonLinesSink, TerminalSink, webhooks_from
from rwa.watch.store import Store, open_store
from rwa.watch.watcher import DEFAULT_SPAN, LIVE_CONFIRMATIONS, LOCAL_CONFIRMATIONS, Watcher, database_path

#: How often a standby tries for the lead: the bound on a takeover after the leader's lock is let go.
LEAD_POLL_SECONDS = 0.25
#: How long a watcher that is not a standby tries for the lead before refusing (a leader killed a
#: moment ago may still hold it).
LEAD_GRACE_SECONDS = 3.0


@dataclass
class Settings:
    from_block: int | None = None
    until: int | None = None
    once: bool = False
    confirmations: int | None = None
    rules_file: Path | None = None
    jsonl: Path | None = None
    webhooks: tuple[str, ...] = ()
    terminal: bool = True
    poll: float = 1.0
    span: int = DEFAULT_SPAN
    #: The store: a PostgreSQL URL, or a SQLite file (None: the network's file under the state dir).
    store: str | None = None
    #: Wait as a standby while another watcher leads this network on the store, and take over when it stops.
    standby: bool = False
    #: Raise the alerts of the deployment's own transactions too (by default a watcher started on an
    #: existing deployment pages nobody for the deploy itself).
    deployment_alerts: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def default_confirmations(target: Target) -> int:
    """The network's ``watch_confirmations`` parameter when the manifest sets one, else 0 on local
    chains and 12 elsewhere."""
    value = target.network.params.get("watch_confirmations")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return LOCAL_CONFIRMATIONS if target.network.local else LIVE_CONFIRMATIONS


def open_watcher(
    target: Target, settings: Settings, show: Callable[[dict[str, Any]], None], say: Callable[[str], None]
) -> Watcher:
    """A watcher ready to run: every refusal (another chain's database, a bad rules file, a bad
    webhook URL) comes before anything is fetched."""
    hooks = webhooks_from(settings.webhooks)
    if settings.once and settings.from_block is not None and settings.from_block > (head := target.chain.head()):
        raise RwaError(
            f"--from {settings.from_block} is beyond the chain's head (block {head}): --once reads up to the head; "
            f"pass a block up to {head}, or follow without --once"
        )
    if settings.from_block is not None and settings.until is not None and settings.until < settings.from_block:
        raise RwaError(f"--until {settings.until} is before --from {settings.from_block}: nothing to watch")
    if settings.jsonl is not None and settings.jsonl.is_dir():
        raise RwaError(f"--jsonl {settings.jsonl} is a folder: name the file alerts are appended to")
    sinks: list[Any] = [TerminalSink(show)] if settings.terminal else []
    if settings.jsonl is not None:
        sinks.append(JsonLinesSink(settings.jsonl))
    sinks.extend(hooks)
    store = open_store(settings.store, database_path(target.paths, target.network.name))
    try:
        store.claim(target.network.name, target.chain.chain_id, target.chain.genesis_hash)
        confirmations = settings.confirmations
        if confirmations is None:
            confirmations = default_confirmations(target)
        watcher = Watcher(
            target,
            store,
            [],
            Delivery(store, sinks, say),
            say,
            confirmations,
            settings.span,
            deployment_alerts=settings.deployment_alerts,
        )
        rules = rules_module.built_in_rules()
        if settings.rules_file is not None:
            rules += rules_module.load_custom(
                settings.rules_file, watcher.subjects.values(), watcher.decoder, [r.name for r in rules]
            )
        watcher.rules = rules
        # Ready before it leads: a standby that takes over only reloads what the leader discovered.
        lead(store, target.network.name, settings.standby, say)
        watcher.reload()
    except BaseException:
        store.close()
        raise
    for hook in hooks:
        reason = hook.reachable()
        if reason is not None:
            say(f"webhook {hook.label} unreachable at start ({reason}): alerts are kept and retried until it answers")
    return watcher


def lead(store: Store, network: str, standby: bool, say: Callable[[str], None]) -> None:
    """Take the lead of the store's watchers of ``network``. While another holds it: wait as its
    standby (``standby``), taking over within ``LEAD_POLL_SECONDS`` of its end (a process killed
    outright ends its lock at once; a vanished host's, within the server's keepalive), or refuse in one
    line, after a grace for a leader that has just died."""
    me = f"pid {os.getpid()} on {socket.gethostname()}"
    grace = time.monotonic() + LEAD_GRACE_SECONDS
    waiting_since: float | None = None
    while not store.try_lead(network, f"{me} since {records_now()}"):
        leader = store.meta("leader") or "another watcher"
        if not standby and time.monotonic() > grace:
            raise RwaError(
                f"{leader} already leads the watcher of {network} on {store.where}: stop it, or pass --standby to "
                "wait as its standby"
            )
        if standby and waiting_since is None:
            waiting_since = time.monotonic()
            say(f"standby: {leader} leads the watcher of {network} on {store.where}; taking over when it stops")
        time.sleep(LEAD_POLL_SECONDS)
    if waiting_since is not None:
        say(f"took the lead of {network} after {time.monotonic() - waiting_since:.1f}s as standby")
