"""The errors the toolkit reports to its users: each one prints as one clear line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class RwaError(Exception):
    """A failure the user can act on; the CLI prints it as one line and exits non-zero."""

    exit_code = 1


class ManifestError(RwaError):
    """The manifest is invalid: every problem is listed at once."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = len(problems)
        super().__init__(f"manifest invalid ({count} problem{'s' if count != 1 else ''}): " + "; ".join(problems))


class ChainMismatchError(RwaError):
    """The network's record belongs to another chain."""


class DriftError(RwaError):
    """The live chain differs from the record in a way the engine will not paper over."""


def parsed(parse: Callable[..., T], *args: Any) -> T:
    """Pure parsing's ValueError as the command's one-line error."""
    try:
        return parse(*args)
    except ValueError as exc:
        raise RwaError(str(exc)) from None
