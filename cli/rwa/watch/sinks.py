"""Where alerts go: the terminal, a JSON-lines file, webhooks (plain JSON, Slack, Discord).

Every message (an alert, or the retraction of one a reorganisation undid) is queued in the
database when it is raised; each sink is handed the messages it has not been delivered, oldest
first, and a message counts as delivered once the sink took it. A delivery that fails is retried
with backoff of its own (0.5 s doubling to a minute while it keeps failing; the next healthy request
resets it) and the messages behind it wait in the database, in order, across restarts. Each
message carries its alert ``id``; the JSON-lines sink skips ids already in its file, and webhooks
send it as ``Idempotency-Key`` so a receiver drops the rare repeat (a kill between sending and
recording it).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from rwa.core import atomic
from rwa.core.errors import RwaError
from rwa.watch.store import Store

#: Webhook URLs from the environment (space- or comma-separated), added to any --webhook.
WEBHOOKS_ENV = "RWA_WATCH_WEBHOOKS"
STYLES = ("json", "slack", "discord")
FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 60.0
#: Failures in a row of a sink's next message before it is reported down (a flaky one is not).
DOWN_AFTER_FAILURES = 3


class Sink(Protocol):
    key: str
    label: str

    def send(self, message: dict[str, Any]) -> None: ...


def text_of(message: dict[str, Any]) -> str:
    """A message as one line of text (chat webhooks, the terminal)."""
    if message.get("kind") == "retraction":
        return f"[retracted] {message['message']}"
    return f"[{message['severity']}] {message['rule']} at block {message['block']}: {message['message']}"


@dataclass
class TerminalSink:
    show: Callable[[dict[str, Any]], None]
    key: str = "terminal"
    label: str = "terminal"

    def send(self, message: dict[str, Any]) -> None:
        self.show(message)


@dataclass
class JsonLinesSink:
    """Appends one JSON object per message; an id (and kind) already in the file is not written again."""

    path: Path
    written: set[tuple[str, str]] | None = None  # read at the first send (a standby's file moved on meanwhile)

    def __post_init__(self) -> None:
        self.key = f"jsonl:{self.path.resolve()}"
        self.label = str(self.path)

    def _written(self) -> set[tuple[str, str]]:
        if self.written is None:
            self.written = set()
            if self.path.is_file():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        item = json.loads(line)
                        self.written.add((str(item["id"]), str(item.get("kind", "alert"))))
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut short by a kill: the message is written again below it
        return self.written

    def send(self, message: dict[str, Any]) -> None:
        mark = (str(message["id"]), str(message.get("kind", "alert")))
        written = self._written()
        if mark in written:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() > 0:
                handle.seek(handle.tell() - 1)
                if handle.read(1) != "\n":
                    handle.write("\n")  # after a line a kill cut short
            handle.write(json.dumps(message, sort_keys=True) + "\n")
            handle.flush()
            atomic.sync(handle.fileno())
        written.add(mark)


@dataclass
class WebhookSink:
    """POSTs each message: as it is (``json``), or as a Slack (``text``) or Discord (``content``) body."""

    url: str
    style: str = "json"
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self.key = "webhook:" + hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.label = redacted(self.url)

    def body(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.style == "slack":
            return {"text": text_of(message)}
        if self.style == "discord":
            return {"content": text_of(message)[:2000]}
        return message

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(self.body(message)).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"{message['id']}:{message.get('kind', 'alert')}"}
        request = urllib.request.Request(self.url, data, headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"HTTP {response.status}")

    def reachable(self) -> str | None:
        """None when something listens at the webhook's host and port, else why not."""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=self.timeout):
                return None
        except OSError as exc:
            return exc.strerror or str(exc)


def redacted(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host (the path often holds the secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path not in ("", "/") else f"{parts.scheme}://{parts.netloc}"


def webhook(spec: str) -> WebhookSink:
    """A webhook from ``URL`` or ``STYLE+URL`` (``slack+https://hooks.slack.com/…``); Slack and
    Discord webhook hosts are recognised without the prefix."""
    style, _, rest = spec.partition("+")
    if rest and style in STYLES:
        url = rest
    else:
        url, style = spec, ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RwaError(f"webhook {spec[:40]!r} is not an http(s) URL (STYLE+URL picks a body: {', '.join(STYLES)})")
    if not style:
        host = parts.hostname or ""
        style = "slack" if host.endswith("slack.com") else "discord" if "discord" in host else "json"
    return WebhookSink(url, style)


def webhooks_from(options: Sequence[str]) -> list[WebhookSink]:
    specs = [*options, *os.environ.get(WEBHOOKS_ENV, "").replace(",", " ").split()]
    return [webhook(s) for s in dict.fromkeys(specs)]


@dataclass
class Delivery:
    """Hands each sink what it has not been delivered, in order, retrying a failing delivery with
    backoff of its own."""

    store: Store
    sinks: list[Any]
    say: Callable[[str], None]
    retry_at: dict[str, float] = field(default_factory=dict)
    #: Per sink: how many times in a row its next message failed (its backoff); a healthy request clears it.
    failures: dict[str, int] = field(default_factory=dict)

    def deliver(self) -> int:
        """Deliver what is due; the number of messages delivered."""
        return sum(self._deliver(sink) for sink in self.sinks if time.monotonic() >= self.retry_at.get(sink.key, 0.0))

    def _deliver(self, sink: Any) -> int:
        """What one sink is due, in order, until a request fails: that delivery is tried again after
        its own wait (0.5 s, doubling to a minute while it keeps failing), and the first request that
        succeeds resets the wait, so one failure among healthy requests costs half a second, not
        the whole backlog's backoff."""
        count = 0
        while batch := self.store.pending(sink.key):
            for seq, message in batch:
                try:
                    sink.send(message)
                except (OSError, urllib.error.URLError, ValueError) as exc:
                    failures = self.failures.get(sink.key, 0) + 1
                    self.failures[sink.key] = failures
                    self.retry_at[sink.key] = time.monotonic() + min(
                        LAST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (failures - 1)
                    )
                    if failures == DOWN_AFTER_FAILURES:
                        self.say(f"sink {sink.label} is down ({describe(exc)}): alerts are kept and retried")
                    return count
                self.store.mark_delivered(sink.key, [seq])
                count += 1
                if self.failures.pop(sink.key, 0) >= DOWN_AFTER_FAILURES:
                    self.say(f"sink {sink.label} is back: delivering what waited")
                self.retry_at.pop(sink.key, None)
        return count

    def waiting(self) -> int:
        return sum(self.store.undelivered(s.key) for s in self.sinks)


def describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return " ".join(str(reason or exc).split())[:120]
