"""Keep third-party chatter out of the CLI's output."""

from __future__ import annotations

import warnings


def silence_warnings() -> None:
    """pydantic-settings warns about ape-solidity's config on some versions; users never need it."""
    warnings.filterwarnings("ignore", message=r".*import_remapping.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def quiet_ape() -> None:
    """Ape logs INFO lines (connecting, compiling) that would interleave with our tables."""
    from ape.logging import LogLevel, logger

    logger.set_level(LogLevel.ERROR)
