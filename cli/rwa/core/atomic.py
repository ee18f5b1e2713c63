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
    """Stable JSON: sorted keys and a trailing newline keep diffs small."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_json(path: Path, data: Any) -> None:
    write_text(path, dumps(data))
