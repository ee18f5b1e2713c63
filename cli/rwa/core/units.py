"""Token amounts as people write them (``12.5``) and as contracts hold them (base units), exactly:
no float ever touches an amount."""

from __future__ import annotations

import re

from rwa.core.errors import RwaError

_AMOUNT_RE = re.compile(r"(\d*)(?:\.(\d*))?")
MAX_UINT256 = 2**256 - 1


def parse_amount(text: str, decimals: int, unit: str) -> int:
    """``12.5`` in units of ``unit`` (``decimals`` places) as an exact whole number of base units."""
    raw = text.strip().replace("_", "")
    if raw.startswith("-"):
        raise ValueError(f"amount {text} is negative")
    match = _AMOUNT_RE.fullmatch(raw)
    if not raw or not match or not (match.group(1) or match.group(2)):
        raise ValueError(f"not an amount: {text!r}")
    whole, fraction = match.group(1) or "0", (match.group(2) or "").rstrip("0")
    if len(fraction) > decimals:
        raise ValueError(f"amount {text} has {len(fraction)} decimal places; {unit} has {decimals}")
    value: int = int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or "0")
    if value == 0:
        raise ValueError(f"amount {text} is zero")
    if value > MAX_UINT256:
        raise ValueError(f"amount {text} is too large")
    return value


def format_units(value: int, decimals: int) -> str:
    """Base units as an exact decimal string, without trailing zeros: ``12500…0`` → ``12.5``."""
    whole, fraction = divmod(abs(value), 10**decimals)
    text = f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return f"-{text}" if value < 0 else text


def amount_of(text: str, decimals: int, unit: str) -> int:
    """:func:`parse_amount` for a command: a bad amount is the command's one-line error."""
    try:
        return parse_amount(text, decimals, unit)
    except ValueError as exc:
        raise RwaError(str(exc)) from None
