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
A command that only reads says ``plain_rpc=True`` and skips Ape's provider on local chains.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import click

from rwa.admin.proposals import Proposal
from rwa.admin.safe import SAFES
from rwa.cli.terminal import console, emit_json
from rwa.core import project
from rwa.deploy.session import Opener, TargetRequest
from rwa.deploy.target import Target

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
    plain_rpc: bool = False

    @property
    def proposing(self) -> bool:
        return self.via is not None

    def target(
        self, *, plain_rpc: bool | None = None, wait_lock: bool | None = None, signs: bool | None = None
    ) -> AbstractContextManager[Target]:
        """The command's network, connected, with its signer. A SEND or PROPOSE command signs unless
        it proposes (``signs`` overrides: deploy --plan reads); ``plain_rpc`` overrides the command's."""
        if plain_rpc is None:
            plain_rpc = self.plain_rpc
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

    def proposed(self, proposal: Proposal | None) -> None:
        """A proposal written instead of sending (--via), and how its owners sign it."""
        assert proposal is not None, "a --via command always collects its write"
        if self.as_json:
            emit_json(proposal)
        else:
            written = f"proposal {proposal['id']} written ({proposal['title']})"
            console().print(f"{written}: owners sign with `rwa safe sign {proposal['id']}`")


JSON_HELP = "Print JSON."
#: --json for the commands that print but open no chain (``rwa node``, ``rwa history``).
json_option = click.option("--json", "as_json", is_flag=True, help=JSON_HELP)


def _options(access: Access, account_help: str, with_json: bool) -> list[click.Option]:
    """The shared options, in the order --help lists them (after the command's own)."""
    options = [
        click.Option(["--network", "-n"], default=None, help="Network of the manifest [default: local]."),
        click.Option(
            ["--rpc-url"],
            default=None,
            help="The live network's RPC URL [default: <NETWORK>_RPC_URL, then ape-config.yaml].",
        ),
    ]
    if access is not Access.READ:
        options.append(
            click.Option(
                ["--account", "-a"],
                default=None,
                help=f"Ape account alias, or a manifest account name on local [local default: {account_help}].",
            )
        )
    if access is Access.PROPOSE:
        options.append(
            click.Option(
                ["--via"],
                type=click.Choice(list(SAFES)),
                default=None,
                help="Write a multisig proposal instead of sending (safe: through the timelock; guardian: at once).",
            )
        )
    if with_json:
        options.append(click.Option(["--json", "as_json"], is_flag=True, help=JSON_HELP))
    return options


def chain_command(
    group: click.Group | None,
    access: Access = Access.READ,
    *,
    name: str | None = None,
    signer: str | None = "deployer",
    account_help: str | None = None,
    plain_rpc: bool = False,
    with_json: bool = True,
    listed_first: tuple[str, ...] = (),
) -> Callable[[Callable[Concatenate[CommandContext, P], R]], click.Command]:
    """A command of ``group`` (None: a command of ``rwa`` itself) that talks to a chain
    with ``access``; ``signer`` is the manifest account that signs on local chains when no --account is
    given (None: the command loads none); ``plain_rpc``: it only reads (see :class:`TargetRequest`);
    ``with_json``: it has --json. --help lists the command's own options, then the shared ones, except
    ``listed_first`` (parameter names), listed before all in that order."""

    def decorate(body: Callable[Concatenate[CommandContext, P], R]) -> click.Command:
        options = _options(access, account_help or str(signer), with_json)

        @functools.wraps(body)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            # Only the options this access added: a READ command may have a --via of its own.
            shared: dict[str, Any] = {o.name: kwargs.pop(o.name) for o in options if o.name is not None}
            opener = click.get_current_context().find_object(Opener) or Opener()
            context = CommandContext(
                access=access,
                network=shared["network"],
                rpc_url=shared["rpc_url"],
                account=shared.get("account"),
                via=shared.get("via"),
                as_json=bool(shared.get("as_json")),
                local_signer=signer,
                opener=opener,
                plain_rpc=plain_rpc,
            )
            return body(context, *args, **kwargs)

        # Click lists parameters in the reverse of the order they were attached.
        own: list[click.Parameter] = list(reversed(getattr(run, "__click_params__", [])))
        listed = [*own, *options]
        first = [p for name in listed_first for p in listed if p.name == name]
        assert len(first) == len(listed_first), f"listed_first names a parameter {body.__name__} lacks"
        run.__click_params__ = list(reversed([*first, *(p for p in listed if p not in first)]))  # type: ignore[attr-defined]
        return (group.command if group is not None else click.command)(name)(run)

    return decorate
