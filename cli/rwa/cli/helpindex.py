"""`rwa GROUP --help` without loading the group: its listing, kept from the last time it was loaded.

A group's module loads the toolkit (eth-utils, eth-abi, the domain: half a second), while its help needs
only names and help texts. The first `rwa GROUP --help` loads the group and keeps what its help shows in
``.rwa/help/GROUP.json``, keyed by the sources it came from (the size and time of every module of
``rwa.cli``, where each of those texts is written); later ones build a stand-in group from it, which
Click renders exactly as it renders the group (tests/cli/test_help_index.py compares the two). A group
whose help is not plain Click's (options of its own, a formatting of its own) is never kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import click

from rwa import __version__
from rwa.core import atomic, project
from rwa.core.errors import RwaError

#: The modules every text of a group's help is written in (docstrings, options, the command table).
SOURCES = Path(__file__).parent

#: What Click renders a group's help and its commands' lines with: a class that changes one of them
#: renders its own way, and is not kept.
GROUP_RENDERING = (
    "format_help",
    "format_usage",
    "collect_usage_pieces",
    "format_help_text",
    "format_options",
    "format_epilog",
    "format_commands",
    "list_commands",
    "get_help",
)


def folder() -> Path | None:
    """Where listings are kept (None outside a project: nothing is kept)."""
    try:
        return project.paths().root / ".rwa" / "help"
    except RwaError:
        return None


def sources() -> str:
    """The key of the sources a listing came from: rwa's version and each module's size and time."""
    with os.scandir(SOURCES) as entries:
        stats = sorted((e.name, e.stat()) for e in entries if e.name.endswith(".py"))
    text = "\n".join([__version__, *(f"{name} {st.st_size} {st.st_mtime_ns}" for name, st in stats)])
    return hashlib.sha256(text.encode()).hexdigest()


def keepable(group: click.Command) -> bool:
    """Whether a stand-in renders this group's help as the group does: plain Click rendering, no options of
    its own, and commands whose line is their help's."""
    if not isinstance(group, click.Group) or group.params or group.context_settings:
        return False
    if any(getattr(type(group), m) is not getattr(click.Group, m) for m in GROUP_RENDERING):
        return False
    return all(type(c).get_short_help_str is click.Command.get_short_help_str for c in group.commands.values())


def listing(group: click.Group) -> dict[str, Any]:
    """What the group's help shows, as JSON."""

    def texts(command: click.Command) -> dict[str, Any]:
        return {
            "help": command.help,
            "short_help": command.short_help,
            "epilog": command.epilog,
            "hidden": command.hidden,
            "deprecated": command.deprecated,
        }

    return {
        **texts(group),
        "options_metavar": group.options_metavar,
        "subcommand_metavar": group.subcommand_metavar,
        "commands": {name: texts(command) for name, command in group.commands.items()},
    }


def stand_in(name: str, kept: dict[str, Any]) -> click.Group:
    """A group that renders the same help as the one ``kept`` came from (and does nothing else)."""
    commands = {n: click.Command(n, **c) for n, c in kept["commands"].items()}
    fields = {k: v for k, v in kept.items() if k != "commands"}
    return click.Group(name, commands=commands, **fields)


def kept(name: str) -> click.Group | None:
    """The stand-in for group ``name``, when a listing of it is kept from these very sources."""
    where = folder()
    if where is None:
        return None
    try:
        data = json.loads((where / f"{name}.json").read_text(encoding="utf-8"))
        if data["sources"] != sources():
            return None
        return stand_in(name, data["listing"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none kept, or unreadable: the group is loaded


def keep(name: str, group: click.Command) -> None:
    """Keep ``group``'s listing for the next `rwa NAME --help` (nothing when it cannot be kept or written)."""
    where = folder()
    if where is None or not keepable(group):
        return
    assert isinstance(group, click.Group)
    try:
        atomic.write_json(where / f"{name}.json", {"sources": sources(), "listing": listing(group)})
    except (OSError, RwaError):
        pass  # a read-only project: the help is the same, only slower
