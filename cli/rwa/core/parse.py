"""What people type, read exactly: addresses, whole numbers, durations and moments in time.

Every function is pure and raises ValueError with a message fit to show as it is; commands turn
that into their one-line error with :func:`rwa.core.errors.parsed`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"(\d+)\s*([smhdw]?)")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNIX_TIME_RE = re.compile(r"\d{9,}")
#: Times the contracts keep in 40 bits (expiries, deadlines) must stay below this.
MAX_TIME = 2**40


def parse_wallet(text: str) -> str:
    """A 0x address, checksummed; a mixed-case address must carry a valid checksum."""
    text = text.strip()
    if not text.startswith(("0x", "0X")):
        raise ValueError(f"not an address: {text!r} (an address is 0x followed by 40 hex digits)")
    if not is_hex_address(text):
        raise ValueError(f"not an address: {text!r}")
    body = text[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(text):
        raise ValueError(f"bad checksum: {text} (check the address, or write it all in lower case)")
    return to_checksum_address(text)


def parse_int(text: str, what: str, low: int, high: int) -> int:
    """A whole number within ``low..high``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} {value} out of range {low}..{high}")
    return value


def parse_duration(text: str) -> int:
    """``7d``, ``12h``, ``30m``, ``3600s``, ``2w`` or a bare number of seconds."""
    match = _DURATION_RE.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"bad duration {text!r} (like 7d, 12h, 30m, 2w or 3600s)")
    return int(match.group(1)) * DURATION_UNITS[match.group(2) or "s"]


def format_duration(seconds: int) -> str:
    """``90061`` → ``1d 1h 1m 1s``: the largest units first, zero parts left out."""
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts)


def parse_future_time(text: str, now: int, what: str) -> int:
    """A date (``2027-06-30``, midnight UTC), a unix time, or a duration from now (``365d``,
    ``12h``); it must be in the future and fit the contracts' 40-bit times."""
    text = text.strip()
    if _DATE_RE.fullmatch(text):
        value = int(datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).timestamp())
    elif _UNIX_TIME_RE.fullmatch(text):
        value = int(text)
    else:
        try:
            value = now + parse_duration(text)
        except ValueError:
            raise ValueError(
                f"bad {what} {text!r} (a date like 2027-06-30, a duration from now like 365d or 12h, or a unix time)"
            ) from None
    if value <= now:
        raise ValueError(f"{what} {text} is not in the future")
    if value >= MAX_TIME:
        raise ValueError(f"{what} {text} is too far away")
    return value
