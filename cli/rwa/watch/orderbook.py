"""The off-chain order book: signed market orders kept in the watcher's database, and exchanged as JSON files.

Orders are kept in arrival order (the time of price-time priority) per market and property; what of
each can still fill is always asked of the chain, never kept here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rwa.core.atomic import write_text
from rwa.core.errors import RwaError
from rwa.watch.store import Store

#: What an order file says it is, and its version.
FILE_KIND = "rwa.market.orders"
FILE_VERSION = 1


class OrderBook:
    """The signed orders of one network's market, in the watcher's store."""

    def __init__(self, store: Store, market: str):
        self.store = store
        self.market = market

    def close(self) -> None:
        self.store.close()

    def add(self, signed: dict[str, Any]) -> bool:
        """Keep an order (``SignedOrder.to_json()``); False when it is already there."""
        order = signed["order"]
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO orders (hash, market, property, maker, nonce, body, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (hash) DO NOTHING",
                (
                    signed["hash"],
                    self.market,
                    order["property"],
                    order["maker"],
                    order["nonce"],
                    json.dumps(signed),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
        return bool(cursor.rowcount == 1)

    def orders(self, prop: str | None = None) -> list[dict[str, Any]]:
        """The kept orders (of one property token), oldest first."""
        query, args = "SELECT body FROM orders WHERE market = ?", [self.market]
        if prop is not None:
            query, args = query + " AND property = ?", [*args, prop]
        return [json.loads(row[0]) for row in self.store.db.execute(query + " ORDER BY seq", args)]

    def find(self, reference: str) -> dict[str, Any]:
        """An order by its hash, or by a unique prefix of it (at least 0x and 8 digits)."""
        text = reference.strip().lower()
        if len(text) < 10 or not text.startswith("0x"):
            raise RwaError(f"name an order by its hash (0x and at least 8 digits), not {reference!r}")
        rows = self.store.db.execute(
            "SELECT body FROM orders WHERE market = ? AND hash LIKE ?", (self.market, text + "%")
        ).fetchall()
        if not rows:
            raise RwaError(f"no order {reference} in the book (rwa market book PROPERTY lists them)")
        if len(rows) > 1:
            raise RwaError(f"{reference} names {len(rows)} orders: give more of the hash")
        found: dict[str, Any] = json.loads(rows[0][0])
        return found

    def next_nonce(self, maker: str) -> int:
        """A nonce the maker has not used in this book: one more than its highest (nonces are kept low and
        dense, so a whole fill spends a bit of a bitmap word the maker's earlier orders already wrote)."""
        rows = self.store.db.execute("SELECT nonce FROM orders WHERE market = ? AND maker = ?", (self.market, maker))
        return max((int(r[0]) for r in rows), default=0) + 1


def write_file(path: Path, chain_id: int, market: str, orders: list[dict[str, Any]]) -> None:
    """Orders as a JSON file another trader imports (written whole or not at all)."""
    body = {"kind": FILE_KIND, "version": FILE_VERSION, "chainId": chain_id, "market": market, "orders": orders}
    write_text(path, json.dumps(body, indent=2) + "\n")


def read_file(path: Path, chain_id: int, market: str) -> list[dict[str, Any]]:
    """The orders of a file written by :func:`write_file`, for this chain's market (refused otherwise)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise RwaError(f"cannot read {path}: {exc}") from None
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise RwaError(f"{path} is not an order file: it is not JSON ({exc})") from None
    if not isinstance(body, dict) or body.get("kind") != FILE_KIND:
        raise RwaError(f"{path} is not an order file (kind {FILE_KIND})")
    if body.get("chainId") != chain_id or str(body.get("market", "")).lower() != market.lower():
        raise RwaError(
            f"{path} holds orders for market {body.get('market')} on chain {body.get('chainId')}, not {market} on {chain_id}"
        )
    orders = body.get("orders")
    if not isinstance(orders, list):
        raise RwaError(f"{path} has no list of orders")
    return orders
