"""Webhook delivery delay when the receiver fails now and then: the watcher's own queue and
delivery (rwa.watch.store, rwa.watch.sinks) against a loopback receiver that fails each request
with a given probability, alerts queued at a steady pace, delivery tried as often as the watcher
does at --poll 0.1. Each alert's delay runs from its queueing to the receiver's first success.

Reference: issue 24 measured a median of 83 s at a 25% failure rate when the retry wait reset only
once the whole backlog was delivered; each failing delivery now has a wait of its own, and a
healthy request resets it.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rwa.testing import environment
from rwa.watch.sinks import Delivery, WebhookSink
from rwa.watch.store import open_store

ALERTS = 80
EVERY_SECONDS = 0.25
POLL_SECONDS = 0.1
RATES = (0.05, 0.25)
REFERENCE_MEDIAN_AT_25 = 83.0


class Receiver:
    """Fails each request with probability ``rate`` (HTTP 503); notes when each id first arrived."""

    def __init__(self, rate: float, seed: int):
        self.arrived: dict[str, float] = {}
        self.requests = 0
        rng = random.Random(seed)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests += 1
                if rng.random() < rate:
                    self.send_response(503)
                else:
                    receiver.arrived.setdefault(str(self.headers.get("Idempotency-Key")).split(":")[0], time.monotonic())
                    self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        environment.server_thread(self.server).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def alert(number: int) -> dict[str, Any]:
    return {
        "id": f"0x{number:032x}",
        "kind": "alert",
        "rule": "bench",
        "severity": "info",
        "block": number,
        "logIndex": 0,
        "transaction": "0x",
        "address": "0x",
        "contract": "bench",
        "event": "Bench",
        "message": f"alert {number}",
        "args": {},
        "raisedAt": "now",
    }


def run(rate: float, scratch: Path) -> tuple[list[float], int]:
    store = open_store(str(scratch / f"webhook-{rate}.sqlite"), scratch / "unused.sqlite")
    store.claim("bench", 1, "0x00")
    receiver = Receiver(rate, seed=24)
    delivery = Delivery(store, [WebhookSink(receiver.url)], lambda line: None)
    queued: dict[str, float] = {}
    begin = time.monotonic()
    try:
        while len(receiver.arrived) < ALERTS:
            due = min(ALERTS, int((time.monotonic() - begin) / EVERY_SECONDS) + 1)
            for number in range(len(queued), due):
                with store.transaction() as db:
                    store.add_alert(db, alert(number))
                queued[alert(number)["id"]] = time.monotonic()
            delivery.deliver()
            time.sleep(POLL_SECONDS)
    finally:
        receiver.close()
        store.close()
    return [receiver.arrived[key] - at for key, at in queued.items()], receiver.requests


def main() -> None:
    print(
        f"webhook delivery delay: {ALERTS} alerts, one every {EVERY_SECONDS} s, delivery tried every {POLL_SECONDS} s, "
        "a receiver failing at random"
    )
    with tempfile.TemporaryDirectory() as scratch:
        for rate in RATES:
            delays, requests = run(rate, Path(scratch))
            ordered = sorted(delays)
            p95 = ordered[int(0.95 * (len(ordered) - 1))]
            reference = f"   (issue 24, backlog-wide backoff: median {REFERENCE_MEDIAN_AT_25:.0f} s)" if rate == 0.25 else ""
            print(
                f"  {rate:4.0%} failing: median {statistics.median(delays):5.2f} s, p95 {p95:5.2f} s, "
                f"max {ordered[-1]:5.2f} s, {requests} requests for {ALERTS} alerts{reference}"
            )


if __name__ == "__main__":
    main()
