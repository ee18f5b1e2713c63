"""A counting JSON-RPC relay: what a command asks the node, by method.

    with counting_relay(upstream_url) as (url, counts): ...run a command against url...; counts()

Each request (a JSON-RPC batch counts each of its requests, and once as an HTTP round trip under
``http``) is forwarded unchanged to the node.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rwa.testing import environment


@contextmanager
def counting_relay(upstream: str) -> Iterator[tuple[str, Callable[[], Counter[str]]]]:
    """A relay on a free local port in front of ``upstream``; ``counts()`` returns and resets the tally."""
    tally: Counter[str] = Counter()
    lock = threading.Lock()

    class Relay(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            message = json.loads(body)
            with lock:
                tally.update(m["method"] for m in (message if isinstance(message, list) else [message]))
                tally["http"] += 1
            request = urllib.request.Request(upstream, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                reply = response.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = environment.server_thread(server)
    thread.start()

    def counts() -> Counter[str]:
        with lock:
            found = Counter(tally)
            tally.clear()
        return found

    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", counts
    finally:
        server.shutdown()
        server.server_close()
