"""Compliance records: parsing and validating attestations, and writing them to the registry.

Parsing is pure: a CSV is validated whole, every bad row reported with its line number, before
anything is sent. The chain side reads the registry from the network's deployment record.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from rwa.admin import actions
from rwa.admin.proposals import Proposal
from rwa.admin.writer import Writer
from rwa.chain.client import Read
from rwa.core import csvfile
from rwa.core.abi import EIP712_DOMAIN_TYPE
from rwa.core.errors import RwaError
from rwa.core.parse import parse_future_time, parse_int, parse_wallet
from rwa.deploy.target import Target

FLAG_BITS = {"kyc": 1, "aml": 2, "accredited": 4}
MAX_BATCH = 200
CSV_COLUMNS = ("wallet", "investor_id", "country", "flags", "expiry")
REGISTRY = "ComplianceRegistry"

# The EIP-712 struct an attestor signs for `registerWithSig`. The registry's ATTEST_TYPEHASH is its hash:
# `sign` checks the two agree before signing, so a registry of another version is refused, not mis-signed.
ATTEST_TYPE = (
    "Attest(address wallet,uint128 investorId,uint16 country,uint8 flags,uint40 expiry,"
    "uint32 generation,uint256 nonce,uint256 deadline)"
)
EIP712_NAME, EIP712_VERSION = "ComplianceRegistry", "1"
SIGNED_FIELDS = ("wallet", "investorId", "country", "flags", "expiry", "attestor", "generation", "nonce", "deadline", "signature")
NONCE_BITS = 256


def typed_fields(struct: str) -> list[dict[str, str]]:
    """The EIP-712 member list of a struct type string: ``S(uint8 a,address b)`` -> [{name, type}, ...]."""
    members = struct[struct.index("(") + 1 : -1].split(",")
    return [{"name": name, "type": kind} for kind, name in (member.split(" ") for member in members)]


def random_nonce() -> int:
    """An unordered nonce nobody else picks: 256 random bits (a fresh bitmap word for each signature)."""
    return secrets.randbits(NONCE_BITS)


def parse_nonce(text: str) -> int:
    return parse_int(text, "nonce", 0, 2**NONCE_BITS - 1)


def nonce_words(nonces: Iterable[int]) -> dict[int, int]:
    """Nonces grouped as `invalidateUnorderedNonces` takes them: {word position: mask of bits}."""
    words: dict[int, int] = {}
    for nonce in nonces:
        words[nonce >> 8] = words.get(nonce >> 8, 0) | (1 << (nonce & 0xFF))
    return words


def read_signed(path: Path) -> dict[str, Any]:
    """A signed attestation as `rwa kyc sign --out` wrote it, every field present."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise RwaError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise RwaError(f"{path}: not a signed attestation ({exc})") from None
    if not isinstance(data, dict):
        raise RwaError(f"{path}: not a signed attestation (`rwa kyc sign --out` writes one)")
    missing = [f for f in SIGNED_FIELDS if f not in data]
    if missing:
        raise RwaError(f"{path}: not a signed attestation (missing {', '.join(missing)}; `rwa kyc sign --out` writes one)")
    return dict(data)


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
            "generation": int(actions.read(self.target, self.contract, "attestationGeneration", wallet)),
        }

    def _send(self, function: str, *args: Any) -> str:
        receipt = self.writer.send(actions.Action(self.contract, function, args))
        return receipt.hash if receipt else "(proposed)"

    def propose(self, title: str) -> Proposal | None:
        return self.writer.propose(title)

    def register(self, item: Attestation) -> str:
        return self._send("register", item.wallet, item.as_tuple())

    def register_batch(self, items: list[Attestation]) -> str:
        return self._send("registerBatch", [i.wallet for i in items], [i.as_tuple() for i in items])

    def revoke(self, wallet: str) -> str:
        return self._send("revoke", wallet)

    def set_sanctioned(self, wallet: str, sanctioned: bool) -> str:
        return self._send("setSanctioned", wallet, sanctioned)

    # --- signed attestations (relayed by anyone with registerWithSig) ---------------------

    def _signer(self) -> str:
        if self.target.account is None:
            raise RwaError("signing needs an attestor account (--account)")
        return to_checksum_address(self.target.account.address)

    def _relay_args(self, signed: dict[str, Any]) -> list[Any]:
        attestation = (int(signed["investorId"]), int(signed["country"]), int(signed["flags"]), int(signed["expiry"]))
        return [
            signed["wallet"],
            attestation,
            signed["attestor"],
            int(signed["generation"]),
            int(signed["nonce"]),
            int(signed["deadline"]),
            bytes.fromhex(str(signed["signature"]).removeprefix("0x")),
        ]

    def sign(self, item: Attestation, deadline: int, nonce: int | None = None) -> dict[str, Any]:
        """The signer's (an attestor's) EIP-712 attestation of ``item``, for anyone to relay; nothing is sent.

        It names the wallet's current record generation, so a revocation (or any later write of the
        wallet's record) voids it; the nonce is random unless chosen, and `cancel` takes it back."""
        attestor = self._signer()
        if bytes(actions.read(self.target, self.contract, "ATTEST_TYPEHASH")) != keccak(text=ATTEST_TYPE):
            raise RwaError(f"the registry at {self.contract.address} signs another Attest struct than {ATTEST_TYPE}")
        chosen = random_nonce() if nonce is None else nonce
        if actions.read(self.target, self.contract, "isNonceUsed", attestor, chosen):
            raise RwaError(f"nonce {chosen} of {attestor} is used or cancelled already; choose another")
        generation = int(actions.read(self.target, self.contract, "attestationGeneration", item.wallet))
        message = {
            "wallet": item.wallet,
            "investorId": item.investor_id,
            "country": item.country,
            "flags": item.flags,
            "expiry": item.expiry,
            "generation": generation,
            "nonce": chosen,
            "deadline": deadline,
        }
        domain = {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": self.target.chain.chain_id,
            "verifyingContract": self.contract.address,
        }
        typed = {
            "types": {
                "EIP712Domain": EIP712_DOMAIN_TYPE,
                "Attest": typed_fields(ATTEST_TYPE),
            },
            "primaryType": "Attest",
            "domain": domain,
            "message": message,
        }
        signed_message = self.target.account.sign_message(encode_typed_data(full_message=typed))  # type: ignore[union-attr]
        if signed_message is None:
            raise RwaError(f"{attestor} declined to sign")
        signed = {
            **message,
            "attestor": attestor,
            "signature": "0x" + bytes(signed_message.encode_rsv()).hex(),
            "nonce": str(chosen),
            "investorId": str(item.investor_id),
        }
        # The registry is the judge: a signature it would refuse (not an attestor, ...) is reported now.
        self.target.chain.simulate(
            attestor, self.contract.address, self.contract.abi, "registerWithSig", self._relay_args(signed)
        )
        return signed

    def check_signed(self, signed: dict[str, Any]) -> None:
        """Refuses, in one line, a signed attestation the registry would refuse now (and says why)."""
        wallet, attestor = signed["wallet"], signed["attestor"]
        if actions.read(self.target, self.contract, "isNonceUsed", attestor, int(signed["nonce"])):
            raise RwaError(f"the signed attestation of {wallet} was used or cancelled (nonce {signed['nonce']} of {attestor})")
        generation = int(actions.read(self.target, self.contract, "attestationGeneration", wallet))
        if int(signed["generation"]) != generation:
            raise RwaError(
                f"the signed attestation of {wallet} is void: its record changed (or was revoked) since "
                f"it was signed (generation {signed['generation']}, now {generation}); ask for a new one"
            )
        if int(signed["deadline"]) < self.now():
            raise RwaError(f"the signed attestation of {wallet} expired at {signed['deadline']}")

    def relay(self, signed: dict[str, Any]) -> str:
        """Sends a signed attestation (any account pays); checked first, then simulated."""
        self.check_signed(signed)
        receipt = self.writer.send(actions.Action(self.contract, "registerWithSig", tuple(self._relay_args(signed))))
        if receipt is None:
            raise RwaError("a signed attestation is relayed by its sender, not proposed to a Safe: drop --via")
        return receipt.hash

    def cancel(self, nonces: list[int]) -> list[str]:
        """Cancels the signer's unused signatures with these nonces: one transaction per bitmap word."""
        return [self._send("invalidateUnorderedNonces", word, mask) for word, mask in sorted(nonce_words(nonces).items())]

    def void(self, wallet: str) -> str:
        """Voids every unused signed attestation of ``wallet``, whoever signed it (the record stays)."""
        return self._send("voidAttestations", wallet)

    def downgrades(self, rows: list[Attestation]) -> list[str]:
        """Rows that would take flags away from a wallet's current record (kyc, aml or accredited):
        a re-import from an older or narrower sheet would otherwise quietly unverify investors."""
        found = []
        reads = [Read(self.contract.address, self.contract.abi, "recordOf", (item.wallet,)) for item in rows]
        for item, result in zip(rows, self.target.chain.call_many(reads)):  # one batch, not a call per row
            (investor_id, _, flags, _), _ = result.unwrap()
            lost = flag_names(flags & ~item.flags)
            if investor_id and lost:
                found.append(
                    f"{item.wallet} loses {','.join(lost)} ({','.join(flag_names(flags))} "
                    f"-> {','.join(flag_names(item.flags)) or 'none'})"
                )
        return found

    def import_rows(self, rows: list[Attestation], size: int, advance: Callable[[int], None]) -> list[str]:
        """Send rows in batches; each batch is simulated before it is signed."""
        hashes = []
        for batch in batches(rows, size):
            hashes.append(self.register_batch(batch))
            advance(len(batch))
        return hashes
