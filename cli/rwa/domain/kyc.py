"""Compliance records: parsing and validating attestations, and writing them to the registry.

Parsing is pure: a CSV is validated whole, every bad row reported with its line number, before
anything is sent. The chain side reads the registry from the network's deployment record.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rwa.admin import actions
from rwa.admin.writer import Writer
from rwa.core import csvfile
from rwa.core.errors import RwaError
from rwa.core.parse import parse_future_time, parse_int, parse_wallet
from rwa.deploy.context import Target

FLAG_BITS = {"kyc": 1, "aml": 2, "accredited": 4}
MAX_BATCH = 200
CSV_COLUMNS = ("wallet", "investor_id", "country", "flags", "expiry")
REGISTRY = "ComplianceRegistry"


@dataclass(frozen=True)
class Attestation:
    wallet: str
    investor_id: int
    country: int
    flags: int
    expiry: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.investor_id, self.country, self.flags, self.expiry)


def parse_flags(text: str) -> int:
    bits = 0
    for name in filter(None, (part.strip().lower() for part in re.split(r"[,|+ ]", text))):
        if name not in FLAG_BITS:
            raise ValueError(f"unknown flag {name!r} (use {', '.join(FLAG_BITS)})")
        bits |= FLAG_BITS[name]
    return bits


def flag_names(bits: int) -> list[str]:
    return [name for name, bit in FLAG_BITS.items() if bits & bit]


def attestation(wallet: str, investor_id: str, country: str, flags: str, expiry: str, now: int) -> Attestation:
    return Attestation(
        wallet=parse_wallet(wallet),
        investor_id=parse_int(investor_id, "investor id", 1, 2**128 - 1),
        country=parse_int(country, "country", 1, 999),
        flags=parse_flags(flags),
        expiry=parse_future_time(expiry, now, "expiry"),
    )


def parse_csv(path: Path, now: int) -> list[Attestation]:
    """Every row of a CSV, or a RwaError listing every bad row with its line number."""
    text = csvfile.read_text(path)
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RwaError(f"{path.name}: missing column(s) {', '.join(missing)} (need {','.join(CSV_COLUMNS)})")
    rows: list[Attestation] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            wallet, investor_id, country, flags, expiry = (row.get(c) or "" for c in CSV_COLUMNS)
            parsed = attestation(wallet, investor_id, country, flags, expiry, now=now)
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if parsed.wallet in seen:
            errors.append(f"line {line}: wallet {parsed.wallet} already on line {seen[parsed.wallet]}")
            continue
        seen[parsed.wallet] = line
        rows.append(parsed)
    if errors:
        shown = "; ".join(errors[:20]) + (f"; and {len(errors) - 20} more" if len(errors) > 20 else "")
        raise RwaError(f"{path.name}: {len(errors)} bad row(s), nothing sent: {shown}")
    if not rows:
        raise RwaError(f"{path.name}: no rows")
    return rows


def batches(rows: list[Attestation], size: int) -> Iterable[list[Attestation]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Registry:
    """The network's ComplianceRegistry, as recorded in its deployments file.

    With ``via`` ("safe" or "guardian"), writes become one multisig proposal instead of
    transactions: ``proposal`` holds it once written.
    """

    def __init__(self, target: Target, via: str | None = None):
        self.target = target
        self.contract = actions.deployed(target, REGISTRY)
        self.writer = Writer(target, via)

    def now(self) -> int:
        return int(self.target.chain.web3.eth.get_block("latest")["timestamp"]) or int(time.time())

    def show(self, wallet: str) -> dict[str, Any]:
        (investor_id, country, flags, expiry), sanctioned = actions.read(self.target, self.contract, "recordOf", wallet)
        verified = actions.read(self.target, self.contract, "isVerified", wallet)
        return {
            "wallet": wallet,
            "registered": investor_id != 0,
            "investorId": str(investor_id),
            "country": country,
            "flags": flag_names(flags),
            "expiry": expiry,
            "expiryDate": datetime.fromtimestamp(expiry, UTC).isoformat() if expiry else None,
            "sanctioned": sanctioned,
            "verified": verified,
        }

    def _send(self, function: str, *args: Any) -> str:
        receipt = self.writer.send(actions.Action(self.contract, function, args))
        return receipt.hash if receipt else "(proposed)"

    def propose(self, title: str) -> dict[str, Any] | None:
        return self.writer.propose(title)

    def register(self, item: Attestation) -> str:
        return self._send("register", item.wallet, item.as_tuple())

    def register_batch(self, items: list[Attestation]) -> str:
        return self._send("registerBatch", [i.wallet for i in items], [i.as_tuple() for i in items])

    def revoke(self, wallet: str) -> str:
        return self._send("revoke", wallet)

    def set_sanctioned(self, wallet: str, sanctioned: bool) -> str:
        return self._send("setSanctioned", wallet, sanctioned)

    def downgrades(self, rows: list[Attestation]) -> list[str]:
        """Rows that would take flags away from a wallet's current record (kyc, aml or accredited):
        a re-import from an older or narrower sheet would otherwise quietly unverify investors."""
        found = []
        for item in rows:
            (investor_id, _, flags, _), _ = actions.read(self.target, self.contract, "recordOf", item.wallet)
            lost = flag_names(flags & ~item.flags)
            if investor_id and lost:
                found.append(f"{item.wallet} loses {','.join(lost)} ({','.join(flag_names(flags))} -> {','.join(flag_names(item.flags)) or 'none'})")
        return found

    def import_rows(self, rows: list[Attestation], size: int, advance: Callable[[int], None]) -> list[str]:
        """Send rows in batches; each batch is simulated before it is signed."""
        hashes = []
        for batch in batches(rows, size):
            hashes.append(self.register_batch(batch))
            advance(len(batch))
        return hashes
