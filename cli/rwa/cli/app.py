"""The `rwa` command: one table of its commands, each loaded on first use so `rwa --help` stays
instant (`rwa <command> --help` lists a command's own subcommands)."""

from __future__ import annotations

import importlib
import os
import sys

import click

from rwa import __version__
from rwa.cli.terminal import emit_json, status
from rwa.core.errors import RwaError
from rwa.core.progress import set_announcer
from rwa.core.quiet import silence_warnings

COMMANDS = {
    "deploy": ("rwa.cli.deploy", "deploy", "Make a network match the manifest (or --plan to preview)."),
    "status": ("rwa.cli.deploy", "status", "Show a network's deployment, its live drift and who controls what."),
    "export": ("rwa.cli.deploy", "export", "Write the deployments in another tool's format."),
    "node": ("rwa.cli.node", "node", "The local chain (anvil) and its saved state."),
    "kyc": ("rwa.cli.kyc", "kyc", "Compliance records in the ComplianceRegistry."),
    "safe": ("rwa.cli.safe", "safe", "Multisig proposals that the Safes' owners review and sign."),
    "timelock": ("rwa.cli.safe", "timelock", "Operations waiting out the timelock's delay."),
    "property": ("rwa.cli.property", "property_group", "Tokenized properties (ERC-3643) and their agents' acts."),
    "dividends": ("rwa.cli.dividends", "dividends", "Rent dividends of a property, paid pro rata."),
    "offering": ("rwa.cli.offering", "offering", "Primary offerings: investors buy a property's tokens."),
    "treasury": ("rwa.cli.offering", "treasury", "The treasury Safe that offering proceeds go to."),
    # rwa.cli.vault_fans adds fans' payments (tips, orders, plans, memberships) to rwa.cli.vault's group.
    "vault": ("rwa.cli.vault_fans", "vault", "Athletes' vaults, one per athlete."),
    "deal": ("rwa.cli.deal", "deal", "NIL deals between brands and athletes, escrowed in vaults."),
    "split": ("rwa.cli.split", "split", "Revenue splits between payees."),
    "upgrade": ("rwa.cli.upgrade", "upgrade", "Check and upgrade a proxied contract (directly or by proposal)."),
    "verify": ("rwa.cli.verify", "verify", "Publish the deployed contracts' source on the network's explorer."),
    "watch": ("rwa.cli.watch", "watch", "Follow the chain and raise alerts on the events that matter."),
    "history": ("rwa.cli.history", "history", "What the watcher saw: holders, dividends, deals, Safe proposals."),
    "market": ("rwa.cli.market", "market", "Signed orders for property tokens, settled in one transaction."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rwa")
def app() -> None:
    """Deploy, upgrade and administer the NIL and tokenized-property contract suite."""


def wants_json(args: list[str]) -> bool:
    """Whether the command line asks for JSON (before any ``--``), known even when parsing fails."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def main(argv: list[str] | None = None, obj: object | None = None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit, never a traceback;
    with --json, also ``{"error": "..."}`` on stdout, so a script reading stdout sees why. ``obj``
    goes on Click's context (the test plugin's target opener, found by ``rwa.cli.context``)."""
    silence_warnings()
    set_announcer(status)
    as_json = wants_json(sys.argv[1:] if argv is None else argv)

    def fail(message: str, code: int, shown: bool = False, reason: str | None = None) -> None:
        if not shown:
            click.echo(message, err=True)
        if as_json:
            emit_json({"error": reason or message.removeprefix("error: "), "exitCode": code})
        sys.exit(code)

    try:
        app.main(args=argv, prog_name="rwa", standalone_mode=False, obj=obj)
    except click.exceptions.Abort:
        fail("aborted", 130)
    except click.UsageError as exc:  # one line like every other refusal, not Click's usage block
        path = exc.ctx.command_path if exc.ctx is not None else "rwa"
        reason = exc.format_message()
        fail(f"error: {reason.rstrip('.')} (`{path} -h` shows how to use it)", exc.exit_code, reason=reason)
    except click.ClickException as exc:
        exc.show()
        fail(exc.format_message(), exc.exit_code, shown=True)
    except RwaError as exc:
        fail(f"error: {exc}", exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted: rerun the same command to resume", 130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("RWA_DEBUG"):
            raise
        message = " ".join(str(exc).split())[:300]
        fail(f"error: {type(exc).__name__}: {message} (set RWA_DEBUG=1 for the traceback)", 2)
    sys.exit(0)
