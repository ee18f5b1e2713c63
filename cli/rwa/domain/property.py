"""Tokenized properties, what their modules share: parsing (property references, hashes, CSV rows of
wallets and amounts; pure), a property as the factory lists it, and one property's contracts with
their reads (:class:`TokenReads`).

The rest is by room, as the NIL half is: :mod:`rwa.domain.properties` the factory (list, find,
create), :mod:`rwa.domain.token` one property's token (agents' and holders' writes),
:mod:`rwa.domain.compliance` its compliance (modules, settings, tracking).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from rwa.admin import actions
from rwa.admin.writer import Writer
from rwa.core.abi import ZERO_ADDRESS
from rwa.core.errors import RwaError
from rwa.core.parse import parse_wallet
from rwa.core.units import amount_of, format_units, parse_amount
from rwa.deploy.target import Target
from rwa.domain.kyc import flag_names

FACTORY = "PropertyTokenFactory"
PROPOSED = "(proposed)"
PAGE = 50
MAX_DECIMALS = 18


BYTES32_RE = re.compile(r"0x[0-9a-fA-F]{64}")


# --- parsing (pure) ----------------------------------------------------------------------------


def property_id(text: str) -> bytes:
    """A property's on-chain id: a ``0x`` 32-byte id as given, any other text hashed (keccak256)."""
    text = text.strip()
    if not text:
        raise ValueError("a property id cannot be empty")
    if BYTES32_RE.fullmatch(text):
        return bytes.fromhex(text[2:])
    return keccak(text=text)


def parse_hash(text: str) -> bytes:
    if not BYTES32_RE.fullmatch(text.strip()):
        raise ValueError(f"not a 32-byte hash: {text!r} (0x and 64 hex digits)")
    return bytes.fromhex(text.strip()[2:])


def file_hash(path: Path) -> bytes:
    """keccak256 of a legal document's bytes, the fingerprint kept on chain."""
    try:
        return keccak(path.read_bytes())
    except OSError as exc:
        raise RwaError(f"cannot read {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class Row:
    """One row of a CSV: ``amount`` None means the whole wallet (a freeze)."""

    line: int
    wallet: str
    amount: int | None


def parse_rows(text: str, decimals: int, unit: str, amount_required: bool) -> tuple[list[Row], list[str]]:
    """The rows of a ``wallet,amount`` CSV and every problem found, each with its line number."""
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    if "wallet" not in columns or (amount_required and "amount" not in columns):
        return [], [
            f"need the column(s) wallet{',amount' if amount_required else '[,amount]'}, found {','.join(columns) or 'none'}"
        ]
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        try:
            wallet = parse_wallet(record.get("wallet") or "")
            amount_text = (record.get("amount") or "").strip()
            if not amount_text and amount_required:
                raise ValueError("amount missing")
            amount = parse_amount(amount_text, decimals, unit) if amount_text else None
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if wallet in seen:
            errors.append(f"line {line}: wallet {wallet} already on line {seen[wallet]}")
            continue
        seen[wallet] = line
        rows.append(Row(line, wallet, amount))
    if not rows and not errors:
        errors.append("no rows")
    return rows, errors


def refuse_rows(name: str, errors: Sequence[str]) -> None:
    """One error line listing every bad row (the first twenty, then a count)."""
    if errors:
        shown = "; ".join(errors[:20]) + (f"; and {len(errors) - 20} more" if len(errors) > 20 else "")
        raise RwaError(f"{name}: {len(errors)} bad row(s), nothing sent: {shown}")


def chunks(items: Sequence[Row], size: int) -> Iterable[Sequence[Row]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- what the factory lists ---------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """A property as the factory lists it."""

    id: bytes
    name: str
    symbol: str
    decimals: int
    token: str
    compliance: str
    distributor: str
    legal_doc_hash: bytes
    legal_doc_uri: str
    factory: str
    record_name: str | None  # its entry in the deployments record, when the manifest made it

    @property
    def label(self) -> str:
        """How proposals and messages name the token contract."""
        return self.record_name or f"PropertyToken({self.symbol})"

    def amount(self, text: str) -> int:
        return amount_of(text, self.decimals, self.symbol)

    def units(self, value: int) -> str:
        return format_units(value, self.decimals)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": "0x" + self.id.hex(),
            "name": self.name,
            "symbol": self.symbol,
            "decimals": self.decimals,
            "token": self.token,
            "compliance": self.compliance,
            "distributor": self.distributor,
            "legalDocHash": "0x" + self.legal_doc_hash.hex(),
            "legalDocURI": self.legal_doc_uri,
            "record": self.record_name,
        }


@dataclass(frozen=True)
class Coin:
    """The stablecoin dividends are paid in."""

    contract: actions.Deployed
    symbol: str
    decimals: int

    def amount(self, text: str) -> int:
        return amount_of(text, self.decimals, self.symbol)

    def units(self, value: int) -> str:
        return format_units(value, self.decimals)


# --- one property ------------------------------------------------------------------------------


class TokenReads:
    """One property's contracts (its token, compliance and registry) and what the token says of its
    holders; :class:`rwa.domain.token.Token` adds the writes, :class:`rwa.domain.compliance.TokenCompliance`
    the compliance."""

    def __init__(self, target: Target, prop: Property, via: str | None = None):
        self.target = target
        self.prop = prop
        self.contract = actions.instance(target, prop.label, prop.token, "PropertyToken")
        self.compliance = actions.Deployed(
            f"ModularCompliance({prop.symbol})", prop.compliance, target.artifacts["ModularCompliance"].abi
        )
        self.writer = Writer(target, via, explain=self._explain)
        registry = to_checksum_address(self.read("identityRegistry"))
        self.registry = actions.Deployed("ComplianceRegistry", registry, target.artifacts["ComplianceRegistry"].abi)

    # --- reads ---

    def read(self, function: str, *args: Any) -> Any:
        return actions.read(self.target, self.contract, function, *args)

    @cached_property
    def coin(self) -> Coin:
        address = to_checksum_address(self.read("dividendToken"))
        # Any ERC-20 will do: the local MockStablecoin's ABI has every function used here.
        contract = actions.Deployed("Stablecoin", address, self.target.artifacts["MockStablecoin"].abi)
        symbol = actions.read(self.target, contract, "symbol")
        return Coin(contract, symbol, int(actions.read(self.target, contract, "decimals")))

    def signer(self) -> str:
        if self.target.account is None:
            raise RwaError("this action needs an account (--account)")
        return to_checksum_address(self.target.account.address)

    def balance(self, wallet: str) -> int:
        return int(self.read("balanceOf", wallet))

    def frozen_tokens(self, wallet: str) -> int:
        return int(self.read("getFrozenTokens", wallet))

    def created_block(self) -> int:
        """The block the factory created the property in: where its history starts."""
        abi = self.target.artifacts[FACTORY].abi
        events = self.target.chain.events(self.prop.factory, abi, "PropertyCreated", 0, {"propertyId": self.prop.id})
        return events[0].block if events else 0

    def received_wallets(self) -> list[str]:
        """Every wallet that ever received tokens, in the order they first did."""
        events = self.target.chain.events(self.prop.token, self.contract.abi, "Transfer", self.created_block())
        return list(dict.fromkeys(str(to_checksum_address(e.args["to"])) for e in events if e.args["to"] != ZERO_ADDRESS))

    def holder_wallets(self) -> list[str]:
        """Every wallet that ever received tokens and holds some now, largest balance first."""
        balances = {wallet: self.balance(wallet) for wallet in self.received_wallets()}
        return sorted((w for w, b in balances.items() if b), key=lambda w: -balances[w])

    def position(self, wallet: str) -> dict[str, Any]:
        """What a wallet holds, what of it is frozen, and who the registry says it is."""
        balance, frozen = self.balance(wallet), self.frozen_tokens(wallet)
        (investor_id, country, flags, _), sanctioned = actions.read(self.target, self.registry, "recordOf", wallet)
        return {
            "wallet": wallet,
            "balance": self.prop.units(balance),
            "frozen": self.prop.units(frozen),
            "free": self.prop.units(max(balance - frozen, 0)),
            "walletFrozen": bool(self.read("isFrozen", wallet)),
            "investorId": str(investor_id),
            "country": country,
            "flags": flag_names(flags),
            "sanctioned": sanctioned,
            "verified": self.verified(wallet),
            "claimable": self.coin.units(int(self.read("claimableDividendsOf", wallet))),
        }

    def verified(self, wallet: str) -> bool:
        return bool(actions.read(self.target, self.registry, "isVerified", wallet))

    def holders(self) -> list[dict[str, Any]]:
        return [self.position(wallet) for wallet in self.holder_wallets()]

    def _explain(self, message: str) -> str:
        if "ModuleNeedsEmptyToken(" in message:  # a holder-counting module on a token whose holders are not counted
            return (
                f"{message}: {self.prop.symbol} has supply and its compliance does not count its holders; resync it "
                f"first (ModularCompliance.resync(staleInvestors, wallets) on {self.prop.compliance}, by its owner), "
                "then enable the module"
            )
        return actions.explain_refusal(self.target, message, self.contract)
