"""Options and output shared by the commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click
from click.parser import OptionParser, ParsingState
from rich.table import Table

from rwa.admin.governance import SAFES
from rwa.cli.render import console, emit_json
from rwa.core.errors import parsed
from rwa.core.parse import parse_wallet
from rwa.deploy import session

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


def _use_rpc_url(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    session.RPC_URL_OPTION.set(value)  # every run sets it, so no earlier run's value lingers


def network_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--network, and --rpc-url for it: every command that talks to a chain has both."""
    command = click.option(
        "--rpc-url", default=None, expose_value=False, callback=_use_rpc_url,
        help="The live network's RPC URL [default: <NETWORK>_RPC_URL, then ape-config.yaml].",
    )(command)  # fmt: skip
    return click.option("--network", "-n", default=None, help="Network of the manifest [default: local].")(command)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
via_option = click.option(
    "--via",
    type=click.Choice(list(SAFES)),
    default=None,
    help="Write a multisig proposal instead of sending (safe: through the timelock; guardian: at once).",
)


def account_option(local_default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--account, naming who signs by default on local chains."""
    return click.option(
        "--account",
        "-a",
        default=None,
        help=f"Ape account alias, or a manifest account name on local [local default: {local_default}].",
    )


def wallet(text: str) -> str:
    """A wallet address typed on the command line, or the command's one-line error."""
    return parsed(parse_wallet, text)


def proposed(proposal: dict[str, Any] | None, as_json: bool) -> None:
    assert proposal is not None, "a --via command always collects its write"
    if as_json:
        emit_json(proposal)
    else:
        written = f"proposal {proposal['id']} written ({proposal['title']})"
        console().print(f"{written}: owners sign with `rwa safe sign {proposal['id']}`")


def fields(rows: list[tuple[str, Any]]) -> Table:
    """Label/value lines, aligned."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 2))
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, "-" if value is None else str(value))
    return table


def sent(result: dict[str, Any], as_json: bool, summary: str) -> None:
    """A write's result: JSON, or one summary line and the transaction."""
    if as_json:
        emit_json(result)
        return
    console().print(summary)
    console().print(f"[dim]tx {result['transactionHash']}[/]")
