"""Files that are either fully written or not written at all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rwa.core.errors import RwaError


class UnwritablePath(RwaError):
    """A file the command was told to write cannot be written there: one line naming the path."""


def unwritable(path: Path, exc: OSError, what: str = "write") -> UnwritablePath:
    """The one line for ``path`` that cannot be written: which folder is not one, or the system's reason."""
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        reason = f"{exc.filename} is not a folder"
    else:
        reason = exc.strerror or type(exc).__name__
    return UnwritablePath(f"cannot {what} {path}: {reason}")


def sync(fd: int) -> None:
    """What was written to ``fd`` is on the disk and survives a power cut (``os.fsync``). The test plugin
    skips it (as the tests' PostgreSQL runs with fsync=off): a test's files never outlive the machine,
    and each fsync is milliseconds of waiting on a busy disk."""
    os.fsync(fd)


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, fsync, then rename over the target."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            sync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        sync(dir_fd)
    finally:
        os.close(dir_fd)


def dumps(data: Any) -> str:
    """Stable JSON: sorted keys and a trailing newline keep diffs small. The text of
    ``json.dumps(data, indent=2, sort_keys=True)``, made faster for records written again and again
    (the engine writes the deployments file after each contract, every ABI in it): see :func:`_indented`."""
    return _indented(data, 0) + "\n"


#: How deep objects are laid out here, key by key; what is below (a record's contract entries) is
#: laid out by json once per content (:data:`_LAID_OUT`).
_COMPOSED_LEVELS = 2
#: Indented JSON by compact JSON of the same value: json's indenting encoder is written in Python
#: (the compact one in C, ten times as fast), and most entries are the same from one write to the next.
_LAID_OUT: dict[str, str] = {}
_LAID_OUT_KEPT = 256


def _indented(value: Any, level: int) -> str:
    if level < _COMPOSED_LEVELS and isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        inner = "  " * (level + 1)
        members = (f"{inner}{json.dumps(key)}: {_indented(item, level + 1)}" for key, item in sorted(value.items()))
        return "{\n" + ",\n".join(members) + "\n" + "  " * level + "}"
    compact = json.dumps(value, sort_keys=True)
    text = _LAID_OUT.get(compact)
    if text is None:
        if len(_LAID_OUT) >= _LAID_OUT_KEPT:
            _LAID_OUT.clear()
        text = _LAID_OUT[compact] = json.dumps(value, indent=2, sort_keys=True)
    return text.replace("\n", "\n" + "  " * level)  # JSON text has no newline inside a string


def write_json(path: Path, data: Any) -> None:
    write_text(path, dumps(data))
