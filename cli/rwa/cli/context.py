"""One command context: the options every chain command shares, and what they open and print.

A command says what it may do (:class:`Access`) and gets a :class:`CommandContext` as its first
argument; its body is then only its own work::

    @chain_command(vault, Access.PROPOSE, account_help="deployer, the vault operator")
    @click.argument("athlete_id")
    def create(ctx: CommandContext, athlete_id: str) -> None:
        with ctx.target() as target:
            vaults = Vaults(target, ctx.via)
            result = vaults.create(athlete_id)
            if result is None:
                return ctx.proposed(vaults.writer.propose(f"vault create {athlete_id}"))
        ctx.sent(result, f"vault of {athlete_id} created")

``--network``/``-n``, ``--rpc-url`` and ``--json`` come with every access; ``--account``/``-a``
with SEND and PROPOSE; ``--via`` with PROPOSE. The target is opened by the :class:`Opener` found on
Click's context (``main(obj=...)``: the test plugin passes the test session's), else the real one.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import click

from rwa.admin.governance import SAFES
from rwa.cli.terminal import console, emit_json
from rwa.core import project
from rwa.deploy.context import Target
from rwa.deploy.session import Opener, TargetRequest

P = ParamSpec("P")
R = TypeVar("R")


class Access(enum.Enum):
    """What a command may do to a chain, and so which options it has."""

    READ = "read"  # reads only: no account needed off local chains
    SEND = "send"  # signs and sends from --account
    PROPOSE = "propose"  # an admin act: sent from --account, or with --via written as a multisig proposal


@dataclass(frozen=True)
class CommandContext:
    """A chain command's options, and the one way it opens its target and reports what it did."""

    access: Access
    network: str | None
    rpc_url: str | None
    account: str | None
    via: str | None
    as_json: bool
    local_signer: str | None
    opener: Opener

    @property
    def proposing(self) -> bool:
        return self.via is not None

    def target(self, *, plain_rpc: bool = False, wait_lock: bool | None = None, signs: bool | None = None) -> AbstractContextManager[Target]:
        """The command's network, connected, with its signer. A SEND or PROPOSE command signs unless
        it proposes (``signs`` overrides: deploy --plan reads)."""
        if signs is None:
            signs = self.access is not Access.READ and not self.proposing
        request = TargetRequest(
            network=self.network,
            account=self.account,
            rpc_url=self.rpc_url,
            signs=signs,
            local_signer=self.local_signer,
            plain_rpc=plain_rpc,
            wait_lock=wait_lock,
        )
        return self.opener.open(request, project.paths())

    def emit(self, result: Any, render: Callable[[], None]) -> None:
        """``result`` as JSON with --json, else whatever ``render`` prints."""
        if self.as_json:
            emit_json(result)
        else:
            render()

    def sent(self, result: dict[str, Any], summary: str) -> None:
        """A write's result: JSON, or one summary line and its transaction."""
        if self.as_json:
            emit_json(result)
            return
        console().print(summary)
        console().print(f"[dim]tx {result['transactionHash']}[/]")

    def proposed(self, proposal: dict[str, Any] | None) -> None:
        """A proposal written instead of sending (--via), and how its owners sign it."""
        assert proposal is not None, "a --via command always collects its write"
        if self.as_json:
            emit_json(proposal)
        else:
            written = f"proposal {proposal['id']} written ({proposal['title']})"
            console().print(f"{written}: owners sign with `rwa safe sign {proposal['id']}`")


_CONTEXT_OPTIONS = ("network", "rpc_url", "account", "via", "as_json")


def _options(access: Access, account_help: str) -> list[click.Option]:
    """The shared options, in the order --help lists them (after the command's own)."""
    options = [
        click.Option(["--network", "-n"], default=None, help="Network of the manifest [default: local]."),
        click.Option(
            ["--rpc-url"], default=None,
            help="The live network's RPC URL [default: <NETWORK>_RPC_URL, then ape-config.yaml].",
        ),  # fmt: skip
    ]
    if access is not Access.READ:
        options.append(
            click.Option(
                ["--account", "-a"], default=None,
                help=f"Ape account alias, or a manifest account name on local [local default: {account_help}].",
            )  # fmt: skip
        )
    if access is Access.PROPOSE:
        options.append(
            click.Option(
                ["--via"], type=click.Choice(list(SAFES)), default=None,
                help="Write a multisig proposal instead of sending (safe: through the timelock; guardian: at once).",
            )  # fmt: skip
        )
    options.append(click.Option(["--json", "as_json"], is_flag=True, help="Print JSON."))
    return options


def chain_command(
    group: click.Group,
    access: Access = Access.READ,
    *,
    name: str | None = None,
    signer: str | None = "deployer",
    account_help: str | None = None,
) -> Callable[[Callable[Concatenate[CommandContext, P], R]], click.Command]:
    """A command of ``group`` that talks to a chain with ``access``; ``signer`` is the manifest
    account that signs on local chains when no --account is given (None: the command loads none)."""

    def decorate(body: Callable[Concatenate[CommandContext, P], R]) -> click.Command:
        @functools.wraps(body)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            shared: dict[str, Any] = {option: kwargs.pop(option, None) for option in _CONTEXT_OPTIONS}
            opener = click.get_current_context().find_object(Opener) or Opener()
            context = CommandContext(
                access=access,
                network=shared["network"],
                rpc_url=shared["rpc_url"],
                account=shared["account"],
                via=shared["via"],
                as_json=bool(shared["as_json"]),
                local_signer=signer,
                opener=opener,
            )
            return body(context, *args, **kwargs)

        # Click lists parameters in the reverse of the order they were attached: the shared options
        # go first in the list so that --help shows them after the command's own.
        own: list[click.Parameter] = getattr(run, "__click_params__", [])
        run.__click_params__ = [*reversed(_options(access, account_help or str(signer))), *own]  # type: ignore[attr-defined]
        return group.command(name)(run)

    return decorate
