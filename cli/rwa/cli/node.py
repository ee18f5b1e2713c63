"""The local chain."""

from __future__ import annotations

import click

from rwa.chain import node as local_node
from rwa.cli.context import json_option
from rwa.cli.render import console, emit_json
from rwa.core import project
from rwa.core.errors import RwaError
from rwa.core.project import LOCAL_NETWORK
from rwa.deploy import session
from rwa.deploy.records import DeploymentStore


def _show(status: local_node.NodeStatus, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(status.as_json())
        return
    if status.running:
        console().print(
            f"{verb}: anvil at {status.rpc_url} (chain {status.chain_id}, block {status.block_number}, "
            f"pid {status.pid or 'not ours'})"
        )
    else:
        console().print(f"{verb}: no node at {status.rpc_url}")


@click.group()
def node() -> None:
    """The local chain (anvil), whose state survives between commands."""


@node.command()
@json_option
def start(as_json: bool) -> None:
    """Start the local chain unless it is running."""
    _show(local_node.start(project.paths()), as_json, "running")


@node.command()
@json_option
def stop(as_json: bool) -> None:
    """Stop the local chain; its state is kept for the next start."""
    paths = project.paths()
    before = local_node.status(paths)
    after = local_node.stop(paths)  # by its pid file: a node too busy to answer is stopped too
    if after.running:
        raise RwaError(f"the node at {after.rpc_url} was not started by this project (no pid file): stop it yourself")
    was_running = before.running or before.pid is not None
    if as_json:
        emit_json({**after.as_json(), "wasRunning": was_running})
    elif was_running:
        console().print(f"stopped the node at {after.rpc_url}; its state is kept in {after.state_file}")
    else:
        console().print(f"no node was running at {after.rpc_url}")


@node.command()
@json_option
def status(as_json: bool) -> None:
    """Is the local chain running, where, and on which chain id."""
    _show(local_node.status(project.paths()), as_json, "status")


@node.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
def reset(yes: bool, as_json: bool) -> None:
    """Stop the local chain and wipe it, with the local deployment record."""
    paths = project.paths()
    if not yes:  # asked on stderr: with --json, stdout holds the answer only
        record = DeploymentStore(paths.deployments_dir).path(LOCAL_NETWORK)
        click.confirm(f"Wipe the local chain and {record}?", abort=True, err=True)
    _show(session.reset_local_chain(paths), as_json, "reset")
