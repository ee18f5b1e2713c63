"""The command line's parsing and output shared by the commands (their options: ``rwa.cli.context``)."""

from __future__ import annotations

import re
from typing import Any

import click
from click.parser import OptionParser, ParsingState
from rich.table import Table

from rwa.core.errors import parsed
from rwa.core.parse import parse_wallet

_NEGATIVE_NUMBER = re.compile(r"-(\d[\d_]*(\.\d*)?|\.\d+)")


class _NumbersParser(OptionParser):
    """Click's parser, except that ``-5`` or ``-0.5`` is an argument when no option is so named:
    Click would say "No such option: -5"; the amount parsers refuse it as a negative amount."""

    def _process_opts(self, arg: str, state: ParsingState) -> None:
        if _NEGATIVE_NUMBER.fullmatch(arg) and arg not in self._short_opt and arg not in self._long_opt:
            state.largs.append(arg)
            return
        super()._process_opts(arg, state)


class Command(click.Command):
    def make_parser(self, ctx: click.Context) -> OptionParser:
        parser = _NumbersParser(ctx)
        for param in self.get_params(ctx):
            param.add_to_parser(parser, ctx)
        return parser


class Group(click.Group):
    """A command group whose commands read negative numbers as arguments (see ``_NumbersParser``)."""

    command_class = Command


def wallet(text: str) -> str:
    """A wallet address typed on the command line, or the command's one-line error."""
    return parsed(parse_wallet, text)


def fields(rows: list[tuple[str, Any]]) -> Table:
    """Label/value lines, aligned."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 2))
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, "-" if value is None else str(value))
    return table
