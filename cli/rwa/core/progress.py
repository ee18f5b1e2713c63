"""Long steps (compiling, validating a large CSV) announced to whoever shows progress.

Lower layers name the step; they never decide how, or whether, it is shown: the CLI installs a
spinner on stderr when it runs on a terminal, and libraries, pipes and tests stay silent.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

Announcer = Callable[[str], AbstractContextManager[object]]

_announcer: Announcer | None = None


def set_announcer(announcer: Announcer | None) -> None:
    """Install (or, with None, remove) what shows long steps."""
    global _announcer
    _announcer = announcer


def activity(label: str) -> AbstractContextManager[object]:
    """``with activity("compiling contracts"):`` shows the step while it lasts, if anyone shows steps."""
    return _announcer(label) if _announcer is not None else nullcontext()
