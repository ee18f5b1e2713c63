"""The `rwa` command. Subcommands load on first use, so `rwa --help` stays instant."""

from __future__ import annotations

import importlib
import os
import sys

import click

from rwa import __version__
from rwa.errors import RwaError

COMMANDS = {
    "deploy": ("rwa.commands.deploy", "deploy", "Make a network match the manifest (or --plan to preview)."),
    "status": ("rwa.commands.deploy", "status", "Show a network's deployment and its live drift."),
    "export": ("rwa.commands.deploy", "export", "Write the deployments in another tool's format."),
    "node": ("rwa.commands.node", "node", "Start, stop, inspect or reset the local chain."),
    "kyc": ("rwa.commands.kyc", "kyc", "Set, show, revoke and import compliance records."),
    "safe": ("rwa.commands.safe", "safe", "Multisig proposals: propose, list, show, sign, sync, execute, reject."),
    "timelock": ("rwa.commands.safe", "timelock", "Timelock operations: list, execute, cancel."),
    "property": ("rwa.commands.property", "property_group", "Tokenized properties: create, list, show, holders, agents' actions."),
    "dividends": ("rwa.commands.dividends", "dividends", "Rent dividends of a property: deposit, claim, status."),
    "vault": ("rwa.commands.vault", "vault", "Athletes' vaults: predict, create, show, list, set-splitter, pause, recover."),
    "deal": ("rwa.commands.deal", "deal", "NIL deals: propose, accept, fund, deliver, confirm, release, show, list..."),
    "split": ("rwa.commands.split", "split", "Revenue splits: create, show, distribute, claim."),
    "upgrade": ("rwa.commands.upgrade", "upgrade", "Check and upgrade a proxied contract (directly or by proposal)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rwa")
def app() -> None:
    """Deploy, upgrade and administer the NIL and tokenized-property contract suite."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit, never a traceback."""
    from rwa.quiet import silence_warnings

    silence_warnings()
    try:
        app.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RwaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: rerun the same command to resume", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("RWA_DEBUG"):
            raise
        message = " ".join(str(exc).split())[:300]
        click.echo(f"error: {type(exc).__name__}: {message} (set RWA_DEBUG=1 for the traceback)", err=True)
        sys.exit(2)
    sys.exit(0)

