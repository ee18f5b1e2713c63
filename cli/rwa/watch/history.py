"""`rwa history`: answers from the watcher's database, with no node: a property's holders at a
block, its dividend deposits and claims, a vault's deals and their states, a Safe's executed
proposals, and the alerts raised."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_utils import keccak

from rwa.core.errors import RwaError
from rwa.watch.schema import DEAL_STATES
from rwa.watch.store import MissingStore, open_store


@dataclass(frozen=True)
class Answer:
    """Rows of one question, with their columns in order."""

    title: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "rows": self.rows}


class History:
    def __init__(self, store: str | None, default: Path, network: str):
        try:
            self.store = open_store(store, default, create=False)
        except MissingStore as missing:
            raise RwaError(f"no watcher database for {network} ({missing}): run `rwa watch --network {network}` first") from None
        try:
            claimed = self.store.identity()["network"]
            if claimed is None:
                raise RwaError(f"no watcher data for {network} in {self.store.where}: run `rwa watch --network {network}` first")
            if claimed != network:
                raise RwaError(
                    f"{self.store.where} holds the watcher data of network {claimed}, "
                    f"not {network}: pass --network {claimed} or another --store"
                )
        except BaseException:
            self.store.close()
            raise
        self.cursor = self.store.cursor
        self.contracts = self.store.contracts()

    def close(self) -> None:
        self.store.close()

    def find(self, reference: str, kinds: tuple[str, ...], what: str) -> dict[str, Any]:
        """A watched contract of one of ``kinds`` by label, label prefix (``MAIN-ST-1``), property id
        text or address."""
        text = reference.strip().lower()
        pid = "0x" + keccak(text=reference.strip()).hex()
        candidates = [c for c in self.known() if c["kind"] in kinds]
        stages: list[Callable[[dict[str, Any]], bool]] = [
            lambda c: str(c["address"]).lower() == text or str(c["label"]).lower() == text,
            lambda c: str(c["label"]).lower().split(".")[0] == text,
            lambda c: str(c.get("property_id") or "").lower() == pid,
        ]
        for test in stages:
            found = [c for c in candidates if test(c)]
            if len(found) == 1:
                return found[0]
        names = ", ".join(sorted(c["label"] for c in candidates)) or "none yet"
        raise RwaError(f"no {what} '{reference}' in the watcher's database (known: {names})")

    def known(self) -> list[dict[str, Any]]:
        """The contracts the database has seen events of, with the discovered ones' facts."""
        by_address = {c["address"]: c for c in self.contracts}
        labels = {a: dict(c) for a, c in by_address.items()}
        for address in self.store.event_addresses():
            labels.setdefault(
                address,
                {"address": address, "label": address, "kind": "?", "property_id": None, "decimals": None, "parent": None},
            )
        return list(labels.values())

    def _at(self, block: int | None) -> int | None:
        if block is not None and self.cursor is not None and block > self.cursor:
            raise RwaError(f"block {block} is past what the watcher has seen (block {self.cursor}): run `rwa watch` first")
        return block

    # --- questions -----------------------------------------------------------------------------

    def holders(self, reference: str, block: int | None) -> Answer:
        token = self.find(reference, ("PropertyToken",), "property")
        at = self._at(block)
        balances: dict[str, int] = defaultdict(int)
        for event in self.store.events([token["address"]], ["Transfer"], at):
            value = int(event.args["value"])
            balances[event.args["from"]] -= value
            balances[event.args["to"]] += value
        decimals = token.get("decimals")
        rows = [
            {"wallet": wallet, "balance": _units(amount, decimals)}
            for wallet, amount in sorted(balances.items(), key=lambda kv: (-kv[1], kv[0]))
            if amount > 0 and int(wallet, 16) != 0
        ]
        where = f"block {at}" if at is not None else f"block {self.cursor} (the latest seen)"
        return Answer(f"{token['label']}: holders at {where}", ("wallet", "balance"), rows)

    def dividends(self, reference: str) -> Answer:
        token = self.find(reference, ("PropertyToken",), "property")
        parts = [c["address"] for c in self.contracts if c.get("parent") == token["address"]]
        rows = []
        for event in self.store.events([token["address"], *parts], ["Deposited", "DividendsClaimed"]):
            deposit = event.name == "Deposited"
            rows.append(
                {
                    "block": event.block,
                    "kind": "deposit" if deposit else "claim",
                    "wallet": event.args["depositor" if deposit else "holder"],
                    "amount": str(event.args["amount"]),
                    "transaction": event.tx,
                }
            )
        return Answer(
            f"{token['label']}: dividend deposits and claims (stablecoin base units)",
            ("block", "kind", "wallet", "amount", "transaction"),
            rows,
        )

    def deals(self, reference: str) -> Answer:
        vault = self.find(reference, ("NILVault",), "vault")
        deals: dict[int, dict[str, Any]] = {}
        for event in self.store.events([vault["address"]], list(DEAL_STATES)):
            deal_id = int(event.args["dealId"])
            deal = deals.setdefault(deal_id, {"deal": deal_id, "brand": None, "amount": None, "state": None, "since": None})
            if event.name == "DealProposed":
                deal.update(brand=event.args["brand"], amount=str(event.args["amount"]))
            deal.update(state=DEAL_STATES[event.name], since=event.block)
        return Answer(
            f"{vault['label']}: deals", ("deal", "brand", "amount", "state", "since"), [deals[k] for k in sorted(deals)]
        )

    def proposals(self, reference: str) -> Answer:
        safe = self.find(reference, ("SafeL2",), "Safe")
        events = self.store.events([safe["address"]], ["SafeMultiSigTransaction", "ExecutionSuccess", "ExecutionFailure"])
        calls = {e.tx: e.args for e in events if e.name == "SafeMultiSigTransaction"}
        rows = []
        for event in events:
            if event.name == "SafeMultiSigTransaction":
                continue
            call = calls.get(event.tx, {})
            data = str(call.get("data", "0x"))
            rows.append(
                {
                    "block": event.block,
                    "safeTxHash": event.args["txHash"],
                    "outcome": "executed" if event.name == "ExecutionSuccess" else "FAILED",
                    "to": call.get("to"),
                    "selector": data[:10] if len(data) >= 10 else "-",
                    "transaction": event.tx,
                }
            )
        return Answer(
            f"{safe['label']}: executed proposals", ("block", "safeTxHash", "outcome", "to", "selector", "transaction"), rows
        )

    def offerings(self) -> Answer:
        """Every offering the factory made, with its terms and how it ended."""
        factories = [c["address"] for c in self.contracts if c["kind"] == "PropertyOfferingFactory"]
        ends: dict[str, tuple[str, int]] = {}
        offerings = [c["address"] for c in self.contracts if c["kind"] == "PropertyOffering"]
        for event in self.store.events(offerings, ["OfferingClosed", "OfferingCancelled"]):
            state = (
                "cancelled" if event.name == "OfferingCancelled" else ("closed" if int(event.args["status"]) == 1 else "failed")
            )
            ends[event.address] = (state, event.block)
        rows = []
        for event in self.store.events(factories, ["OfferingCreated"]):
            terms = event.args["terms"]
            offering = event.args["offering"]
            state, since = ends.get(offering, ("open", event.block))
            rows.append(
                {
                    "block": event.block,
                    "offering": offering,
                    "property": event.args["property"],
                    "creator": event.args["creator"],
                    "price": str(terms["price"] if isinstance(terms, dict) else terms[3]),
                    "hardCap": str(terms["hardCap"] if isinstance(terms, dict) else terms[5]),
                    "state": state,
                    "since": since,
                }
            )
        columns = ("block", "offering", "property", "creator", "price", "hardCap", "state", "since")
        return Answer("offerings (price in stablecoin base units per token, cap in token base units)", columns, rows)

    def subscriptions(self, reference: str) -> Answer:
        """An offering's subscriptions and what became of them: accepted, rejected, claimed, refunded."""
        offering = self.find(reference, ("PropertyOffering",), "offering")
        rows = []
        names = ["Subscribed", "Accepted", "Rejected", "Claimed", "Refunded"]
        for event in self.store.events([offering["address"]], names):
            args = event.args
            if event.name == "Subscribed":
                kind = "minted" if args["minted"] else ("requested" if args["pending"] else "escrowed")
            else:
                kind = event.name.lower()
            rows.append(
                {
                    "block": event.block,
                    "event": kind,
                    "wallet": args["wallet"],
                    "tokens": str(args["tokens"]) if "tokens" in args else None,
                    "paid": str(args.get("paid", args.get("amount"))) if ("paid" in args or "amount" in args) else None,
                    "transaction": event.tx,
                }
            )
        columns = ("block", "event", "wallet", "tokens", "paid", "transaction")
        return Answer(f"{offering['label']}: subscriptions (base units)", columns, rows)

    def treasury_inflows(self) -> Answer:
        """What offerings paid the treasury: immediate subscriptions, and escrow sent at acceptance or close."""
        offerings = [c["address"] for c in self.contracts if c["kind"] == "PropertyOffering"]
        labels = {c["address"]: c["label"] for c in self.contracts}
        rows = []
        for event in self.store.events(offerings, ["Subscribed", "ProceedsSent"]):
            if event.name == "Subscribed" and not event.args["minted"]:
                continue
            amount = event.args["paid"] if event.name == "Subscribed" else event.args["amount"]
            kind = "subscription" if event.name == "Subscribed" else "escrow"
            rows.append(
                {
                    "block": event.block,
                    "offering": labels.get(event.address, event.address),
                    "kind": kind,
                    "amount": str(amount),
                    "transaction": event.tx,
                }
            )
        return Answer("treasury inflows (stablecoin base units)", ("block", "offering", "kind", "amount", "transaction"), rows)

    def trades(self, reference: str) -> Answer:
        """A property's trades on the market, each with its price, then each day's volume and volume-weighted
        price (stablecoin base units per whole token; UTC days, from the times the watcher kept of the trades'
        blocks), and the total's."""
        token = self.find(reference, ("PropertyToken",), "property")
        markets = [c["address"] for c in self.known() if c["kind"] == "PropertyMarket"]
        decimals = token.get("decimals")
        rows: list[dict[str, Any]] = []
        times = self.store.block_times()
        days: dict[str, list[int]] = {}  # day -> [volume, volume * price]
        for event in self.store.events(markets, ["TradeExecuted"]):
            if str(event.args["property"]).lower() != str(token["address"]).lower():
                continue
            amount, price = int(event.args["amount"]), int(event.args["price"])
            at = times.get(event.block)
            totals = days.setdefault(
                datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d") if at is not None else "unknown", [0, 0]
            )
            totals[0] += amount
            totals[1] += amount * price
            rows.append(
                {
                    "block": event.block,
                    "seller": event.args["seller"],
                    "buyer": event.args["buyer"],
                    "amount": _units(amount, decimals),
                    "price": str(price),
                    "fee": str(event.args["fee"]),
                    "transaction": event.tx,
                }
            )
        for day, (volume, paid) in sorted(days.items()):
            rows.append({"block": f"day {day}", "amount": _units(volume, decimals), "price": f"{paid // volume} (vwap)"})
        if rows:
            volume, paid = (sum(d[i] for d in days.values()) for i in (0, 1))
            rows.append({"block": "total", "amount": _units(volume, decimals), "price": f"{paid // volume} (vwap)"})
        columns = ("block", "seller", "buyer", "amount", "price", "fee", "transaction")
        return Answer(f"{token['label']}: trades (price and fee in stablecoin base units)", columns, rows)

    def alerts(self) -> Answer:
        rows = [
            {
                "block": a["block"],
                "severity": a["severity"],
                "rule": a["rule"],
                "message": a["message"],
                "retracted": a["retracted"],
                "id": a["id"],
            }
            for a in self.store.alerts()
        ]
        return Answer("alerts raised", ("block", "severity", "rule", "message", "retracted", "id"), rows)


def _units(amount: int, decimals: int | None) -> str:
    if decimals is None:
        return str(amount)
    text = format(Decimal(amount).scaleb(-decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
