"""The terminal: consoles, progress on stderr, and JSON on stdout.

Kept apart from render.py (tables and trees) and free of package imports so that the entry point
can use it without loading the toolkit: `rwa --help` stays instant.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # Piped output (logs, CI) gets room for full addresses instead of rich's 80 columns.
    width = None if stream.isatty() or "COLUMNS" in os.environ else 200
    # NO_COLOR (no-color.org) means no styling at all: rich alone drops the colours but keeps bold
    # and dim. Off a terminal rich writes no styling either way.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width, color_system=None if plain else "auto")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def status(label: str) -> AbstractContextManager[object]:
    """A spinner on stderr while a long step runs, on a terminal only: logs and pipes stay clean."""
    err = console(stderr=True)
    if not err.is_terminal:
        return nullcontext()
    return err.status(f"{label}…")


def progress_bar(label: str, as_json: bool) -> Progress:
    """A bar on stderr for rows sent in batches, shown on a terminal only (and never with --json)."""
    err = console(stderr=True)
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err, disable=as_json or not err.is_terminal, transient=False)
