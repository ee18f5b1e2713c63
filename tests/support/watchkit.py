"""Helpers of the watcher's tests: a loopback JSON-RPC proxy that can drop and refuse large log
ranges, a loopback webhook receiver, and reading the JSON-lines sink."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Proxy:
    """Forwards JSON-RPC to ``upstream``; ``down`` drops every connection, and an ``eth_getLogs``
    over more than ``max_range`` blocks is refused as too large (as public RPCs do)."""

    def __init__(self, upstream: str, max_range: int | None = None):
        self.upstream = upstream
        self.max_range = max_range
        self.down = False
        self.refused = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.down:
                    self.close_connection = True
                    self.connection.close()
                    return
                refusal = proxy._refusal(json.loads(body))
                if refusal is not None:
                    answer = json.dumps(refusal).encode()
                else:
                    request = urllib.request.Request(proxy.upstream, body, {"Content-Type": "application/json"})
                    with urllib.request.urlopen(request, timeout=30) as response:
                        answer = response.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _refusal(self, payload: Any) -> Any:
        if self.max_range is None or isinstance(payload, list) or payload.get("method") != "eth_getLogs":
            return None
        query = payload["params"][0]
        if int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1 > self.max_range:
            self.refused += 1
            return {
                "jsonrpc": "2.0",
                "id": payload.get("id"),
                "error": {"code": -32005, "message": f"query exceeds max block range {self.max_range}"},
            }
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Receiver:
    """A webhook receiver on a loopback port; ``start`` (again) on the same port after ``stop``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.server: ThreadingHTTPServer | None = None
        probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        self.port = probe.server_address[1]
        probe.server_close()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(json.loads(body))
                receiver.keys.append(str(self.headers.get("Idempotency-Key")))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rule_counts(messages: list[dict[str, Any]], kind: str = "alert") -> Counter[str]:
    return Counter(m["rule"] for m in messages if m.get("kind", "alert") == kind)
