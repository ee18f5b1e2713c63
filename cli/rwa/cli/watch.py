"""`rwa watch`: follow a network's chain and raise alerts on the events that matter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rwa.cli.context import CommandContext, chain_command
from rwa.cli.render import console
from rwa.watch.service import Settings, open_watcher
from rwa.watch.sinks import text_of
from rwa.watch.store import STORE_ENV

#: `rwa watch --once` exits with this when it raised an alert (for CI and cron).
ALERTS_EXIT = 3
STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


#: The watcher's store, for `rwa watch` and `rwa history` (--db is its older name).
store_option = click.option(
    "--store",
    "--db",
    "store",
    envvar=STORE_ENV,
    metavar="PATH|URL",
    help="The store: a SQLite file, or postgresql://USER@HOST/DATABASE "
    f"[env {STORE_ENV}; default: <state dir>/watch/<network>.sqlite].",
)


def show(message: dict[str, Any]) -> None:
    style = "dim" if message.get("kind") == "retraction" else STYLE.get(str(message.get("severity")), "")
    console().print(text_of(message), style=style, markup=False, highlight=False, soft_wrap=True)


def say(line: str) -> None:
    click.echo(line, err=True)


@chain_command(None, signer=None, plain_rpc=True, with_json=False, listed_first=("network", "rpc_url"))
@click.option(
    "--from",
    "from_block",
    type=click.IntRange(min=0),
    help="Start (or go back to) this block [default: the record's first block].",
)
@click.option("--until", type=click.IntRange(min=0), help="Stop after this block.")
@click.option(
    "--once", is_flag=True, help=f"Check up to the confirmed head (or --until) and exit: {ALERTS_EXIT} when an alert was raised."
)
@click.option(
    "--confirmations",
    type=click.IntRange(min=0),
    help="Blocks to wait before a block counts [default: the network's "
    "watch_confirmations param, else 0 on local chains, 12 elsewhere].",
)
@click.option(
    "--rules", "rules_file", type=click.Path(path_type=Path, resolve_path=True), help="A YAML or Python file of your own rules."
)
@click.option(
    "--jsonl", type=click.Path(path_type=Path, resolve_path=True), help="Also append each alert to this JSON-lines file."
)
@click.option(
    "--webhook",
    "webhooks",
    multiple=True,
    help="Also POST each alert here (repeatable; slack+URL or discord+URL picks the body).",
)
@click.option("--quiet", "-q", is_flag=True, help="No alerts on the terminal (the other sinks still get them).")
@click.option(
    "--poll", type=click.FloatRange(min=0.05), default=1.0, show_default=True, help="Seconds between looks at the chain."
)
@click.option(
    "--span",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Blocks per eth_getLogs range at most (halved when the node refuses).",
)
@store_option
@click.option(
    "--standby", is_flag=True, help="While another watcher leads this network on the store, wait and take over when it stops."
)
@click.option(
    "--deployment-alerts",
    is_flag=True,
    help=(
        "Also raise alerts for the deployment's own transactions "
        "(by default its deployer's acts up to its last contract raise none)."
    ),
)
def watch(
    ctx: CommandContext,
    from_block: int | None,
    until: int | None,
    once: bool,
    confirmations: int | None,
    rules_file: Path | None,
    jsonl: Path | None,
    webhooks: tuple[str, ...],
    quiet: bool,
    poll: float,
    span: int,
    store: str | None,
    standby: bool,
    deployment_alerts: bool,
) -> None:
    """Follow the chain and raise an alert for each event that matters: timelock operations, roles,
    ownership and upgrades, Safe owners and failures, pauses, freezes, forced transfers, compliance
    and sanctions changes, deal disputes (and your own --rules). Killed and restarted, it resumes
    where it was and raises each alert once."""
    settings = Settings(
        from_block,
        until,
        once,
        confirmations,
        rules_file,
        jsonl,
        webhooks,
        not quiet,
        poll,
        span,
        store,
        standby,
        deployment_alerts,
    )
    with ctx.target() as target:
        watcher = open_watcher(target, settings, show, say)
        try:
            say(
                f"watching {target.network.name}: {len(watcher.subjects)} contracts, {len(watcher.rules)} rules, "
                f"{watcher.confirmations} confirmation(s); store {watcher.store.where}"
            )
            raised = watcher.run(once, until, poll, from_block)
            cursor = watcher.store.cursor
            waiting = watcher.delivery.waiting()
        finally:
            watcher.store.close()
    say(f"up to block {cursor}: {raised} alert(s) raised" + (f", {waiting} message(s) waiting for a sink" if waiting else ""))
    if once and raised:
        sys.exit(ALERTS_EXIT)
