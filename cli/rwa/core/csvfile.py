"""CSV files people hand to the toolkit, read as text with errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

from rwa.core.errors import RwaError


def read_text(path: Path) -> str:
    """The file as UTF-8 text (a byte-order mark is dropped), or the command's one-line error: a
    spreadsheet's Latin-1 or UTF-16 export would otherwise end in a raw UnicodeDecodeError."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RwaError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise RwaError(
            f"{path.name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}); "
            "save it as CSV UTF-8 and retry; nothing was sent"
        ) from None
