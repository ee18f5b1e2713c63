"""Fans' payments in the watcher's store, as rows of the platform's ``transactions`` table.

Each ``FanPaid`` event the watcher sees (from the payments hub, FanPayments: tips, orders and
subscription periods, each naming its vault) becomes one row (:data:`rwa.watch.schema.TRANSACTIONS`), with its transaction's
gas used and effective gas price, the token's symbol and decimals and the block's time, all read in a
few batched round trips before the step's database transaction. A row is ``pending`` until the
network's ``payment_confirmations`` blocks are on top of it, then ``confirmed``; each step confirms
the rows that became so. `rwa history payments` reads the rows back (:func:`read`) in the same
shape as it reads the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rwa.chain.client import Chain, Read
from rwa.core.errors import RwaError
from rwa.core.units import format_units
from rwa.deploy.target import Target
from rwa.domain.fanpay import KINDS, FanPay
from rwa.domain.nil import ETHER, iso_time
from rwa.watch.rules import Log
from rwa.watch.store import MissingStore, open_store

TOKEN_ABI = [
    {"type": "function", "name": name, "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": kind}]}
    for name, kind in (("symbol", "string"), ("decimals", "uint8"))
]
COLUMNS = (
    'type, "from", "to", amount, currency, transaction_hash, block, gas_used, gas_price, status, '
    "vault, log_index, ref, memo, decimals, block_time"
)
PAID = "FanPaid"
#: The store's meta key: the first block whose payments the ``transactions`` table holds.
KEPT_FROM = "transactionsFrom"


def status(block: int, head: int, confirmations: int) -> str:
    return "confirmed" if head - block >= confirmations else "pending"


class Books:
    """What the watcher needs to turn FanPaid events into rows: the chain, and the tokens it has met."""

    def __init__(self, chain: Chain, confirmations: int):
        self.chain = chain
        self.confirmations = confirmations
        self.tokens: dict[str, tuple[str, int]] = {ETHER.address.lower(): (ETHER.symbol, ETHER.decimals)}

    def rows(self, logs: Sequence[Log], head: int) -> list[tuple[Any, ...]]:
        paid = [log for log in logs if log.name == PAID]
        if not paid:
            return []
        self._learn(sorted({str(log.args["token"]) for log in paid} - set(self.tokens)))
        receipts = self._receipts(sorted({log.tx for log in paid}))
        times = self.chain.block_times(sorted({log.block for log in paid}))
        rows = []
        for log in paid:
            args = log.args
            symbol, decimals = self.tokens[str(args["token"]).lower()]
            gas_used, gas_price = receipts.get(log.tx, (None, None))
            rows.append(
                (
                    KINDS[int(args["kind"])],
                    args["payer"],
                    args["to"],
                    str(args["amount"]),
                    symbol,
                    log.tx,
                    log.block,
                    gas_used,
                    None if gas_price is None else str(gas_price),
                    status(log.block, head, self.confirmations),
                    args["vault"],
                    log.log_index,
                    str(args["ref"]),
                    str(args.get("memo") or ""),
                    decimals,
                    times[log.block],
                )
            )
        return rows

    def _learn(self, tokens: Sequence[str]) -> None:
        reads = [Read(t, TOKEN_ABI, name) for t in tokens for name in ("symbol", "decimals")]
        results = self.chain.call_many(reads) if reads else []
        for index, token in enumerate(tokens):
            symbol, decimals = results[2 * index], results[2 * index + 1]
            self.tokens[token.lower()] = (str(symbol.value) if symbol.ok else token, int(decimals.value) if decimals.ok else 0)

    def _receipts(self, hashes: Sequence[str]) -> dict[str, tuple[int, int]]:
        replies = self.chain.rpc_batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        found = {}
        for tx, reply in zip(hashes, replies):
            receipt = reply.get("result")
            if receipt:
                found[tx] = (int(receipt["gasUsed"], 16), int(receipt.get("effectiveGasPrice") or "0x0", 16))
        return found

    def keep(self, db: Any, rows: Sequence[tuple[Any, ...]], first: int, head: int) -> None:
        """Keep the rows of a step from block ``first``, and confirm those with enough blocks on top now.
        The first step to keep any records where the table starts (a store made before it, migrated,
        has its payments from then on only)."""
        db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (KEPT_FROM, str(first)))
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO transactions ({COLUMNS}) VALUES ({marks}) ON CONFLICT DO NOTHING", list(rows))
        db.execute(
            "UPDATE transactions SET status = 'confirmed' WHERE status = 'pending' AND block <= ?", (head - self.confirmations,)
        )


def read(db: Any, vault: str, kind: str | None, since: int | None, head: int, confirmations: int) -> list[dict[str, Any]]:
    """A vault's payments kept in the store, oldest first, as `rwa history payments` shows them (the
    status as of ``head``)."""
    query = f"SELECT {COLUMNS} FROM transactions WHERE lower(vault) = lower(?)"
    params: list[Any] = [vault]
    if kind is not None:
        query += " AND type = ?"
        params.append(kind)
    if since is not None:
        query += " AND block_time >= ?"
        params.append(since)
    found = []
    for row in db.execute(query + " ORDER BY block, log_index", params):
        (kind_, payer, to, amount, currency, tx, block, gas_used, gas_price, _, _, _, ref, memo, decimals, when) = row
        found.append(
            {
                "type": kind_,
                "from": payer,
                "to": to,
                "amount": str(amount),
                "currency": currency,
                "transactionHash": tx,
                "block": int(block),
                "gasUsed": None if gas_used is None else int(gas_used),
                "gasPrice": None if gas_price is None else int(gas_price),
                "status": status(int(block), head, confirmations),
                "amountDisplay": f"{format_units(int(amount), int(decimals))} {currency}",
                "ref": ref,
                "memo": memo,
                "time": iso_time(int(when)),
            }
        )
    return found


def history(
    target: Target, store: str | None, default: Path, athlete: str, kind: int | None, since: int | None
) -> dict[str, Any]:
    """`rwa history payments`: the vault's payments from the watcher's store over the blocks it keeps
    them for, and from the chain over the others (all from the chain when there is no store, none was
    named, or the store is of another chain: a local chain started anew)."""
    fans = FanPay(target)
    network = target.network.name
    try:
        book = open_store(store, default, create=False)
    except MissingStore as missing:
        if store is not None:
            raise RwaError(
                f"no watcher database at {missing}: run `rwa watch --store {store}` first, or leave out --store"
            ) from None
        return _shown(fans.payments(athlete, kind, since), "chain")
    try:
        found = book.identity()
        if found["network"] is not None and found["network"] != network:
            raise RwaError(
                f"{book.where} holds the watcher data of network {found['network']}, not {network}: pass another --store"
            )
        genesis = target.chain.block_hashes([0])[0]
        cursor, kept_from = book.cursor, book.meta(KEPT_FROM)
        if cursor is None or kept_from is None or str(found["genesisHash"]).lower() != str(genesis).lower():
            return _shown(fans.payments(athlete, kind, since), "chain")
        first = int(kept_from)
        newer = fans.payments(athlete, kind, since, after=cursor)
        older = fans.payments(athlete, kind, since, before=first)["payments"] if first > 0 else []
        kept = read(book.db, newer["vault"], None if kind is None else KINDS[kind], since, newer["head"], newer["confirmations"])
    finally:
        book.close()
    source = f"store for blocks {first} to {cursor}, chain for the others"
    return _shown({**newer, "payments": older + kept + newer["payments"]}, source)


def _shown(result: dict[str, Any], source: str) -> dict[str, Any]:
    """The answer as shown: where it came from (the head it was read at is an internal fact)."""
    return {**{k: v for k, v in result.items() if k != "head"}, "source": source}
