"""`rwa property compliance`: a property's compliance modules, their settings and its external
modules (the owner's acts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from rwa.cli.context import Access, CommandContext, chain_command
from rwa.cli.options import Group
from rwa.cli.options import wallet as wallet_address
from rwa.cli.property_token import OWNER_IS_TIMELOCK, opened, property_argument
from rwa.cli.render import console
from rwa.core.errors import RwaError
from rwa.domain.token import Token


@click.group("compliance", cls=Group)
def compliance_group() -> None:
    """A property's compliance: built-in modules, their settings, external modules (the owner's acts)."""


def _compliance_write(ctx: CommandContext, title: str, action: Callable[[Token], str], reference: str) -> None:
    """One owner write on the compliance, then its state; with --via, the proposal instead."""
    with opened(ctx, reference) as token:
        tx = action(token)
        if ctx.proposing:
            return ctx.proposed(token.propose(f"{title} {token.prop.symbol}"))
        state = token.compliance_state()
    ctx.emit({**state, "transactionHash": tx}, lambda: _print_compliance(state, tx))


def _print_compliance(state: dict[str, Any], tx: str | None = None) -> None:
    out = console()
    active = "[green]checked on every transfer[/]" if state["active"] else "not called (no module)"
    out.print(f"[bold]{state['property']}[/] compliance {state['compliance']}: {active}")
    for module in state["modules"]:
        mark = "[green]on [/]" if module["enabled"] else "[dim]off[/]"
        out.print(f"  {mark} {module['module']:<16} (bit {module['bit']})")
    for name, value in state["settings"].items():
        out.print(f"  {name:<20} {value}")
    out.print(f"  {'countries':<20} {', '.join(map(str, state['countries'])) or '-'}")
    tracking = f"{state['investors']} investor(s) holding" if state["tracking"] else "off"
    out.print(f"  {'tracking':<20} {tracking}")
    external = ", ".join(state["externalModules"]) or "-"
    out.print(f"  {'external modules':<20} {external} (at most {state['maxExternalModules']})")
    if tx is not None:
        out.print(f"[dim]tx {tx}[/]")


@chain_command(compliance_group, name="show")
@property_argument
def compliance_show(ctx: CommandContext, reference: str) -> None:
    """Every module (on or off), the settings, the allowed countries and the external modules."""
    with opened(ctx, reference) as token:
        state = token.compliance_state()
    ctx.emit(state, lambda: _print_compliance(state))


def _owner_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A compliance command of the property's owner (the timelock, hence normally --via safe)."""
    return chain_command(compliance_group, Access.PROPOSE, name=name, account_help=OWNER_IS_TIMELOCK)


@_owner_command("enable")
@property_argument
@click.argument("module")
def compliance_enable(ctx: CommandContext, reference: str, module: str) -> None:
    """Enable MODULE (a name `compliance show` lists, e.g. max-holders)."""
    _compliance_write(ctx, f"enable {module} on", lambda t: t.enable_module(module), reference)


@_owner_command("disable")
@property_argument
@click.argument("module")
def compliance_disable(ctx: CommandContext, reference: str, module: str) -> None:
    """Disable MODULE."""
    _compliance_write(ctx, f"disable {module} on", lambda t: t.disable_module(module), reference)


@_owner_command("set")
@property_argument
@click.argument("setting")
@click.argument("value")
@click.option("--remove", is_flag=True, help="With `countries`: take them off the allow-list.")
def compliance_set(ctx: CommandContext, reference: str, setting: str, value: str, remove: bool) -> None:
    """Set SETTING to VALUE (max-balance 1000, max-holders 99, lockup-period 30d, supply-cap 1e6), or
    allow `countries` (ISO-3166 numeric codes, comma-separated: 840,826)."""
    if setting == "countries":
        try:
            countries = [int(c) for c in value.split(",") if c.strip()]
        except ValueError:
            raise RwaError(f"countries must be ISO-3166 numeric codes separated by commas, not {value!r}") from None
        if not countries or any(not 1 <= c <= 999 for c in countries):
            raise RwaError(f"countries must be ISO-3166 numeric codes 1..999, not {value!r}")
        action: Callable[[Token], str] = lambda t: t.allow_countries(countries, not remove)  # noqa: E731
    else:
        action = lambda t: t.set_setting(setting, value)  # noqa: E731
    _compliance_write(ctx, f"set {setting} on", action, reference)


@_owner_command("add-module")
@property_argument
@click.argument("module")
def compliance_add_module(ctx: CommandContext, reference: str, module: str) -> None:
    """Add the external compliance module at address MODULE (an IComplianceModule contract)."""
    address = wallet_address(module)
    _compliance_write(ctx, "add an external module to", lambda t: t.add_external_module(address), reference)


@_owner_command("resync")
@property_argument
def compliance_resync(ctx: CommandContext, reference: str) -> None:
    """Recount holder tracking (max-holders, max-balance) from the chain, and restart it if it stopped: every
    investor id with a tracked balance reset, every holding wallet counted. The compliance refuses it unless
    the result is exact when it runs."""
    _compliance_write(ctx, "recount the holders of", lambda t: t.resync(), reference)


@_owner_command("remove-module")
@property_argument
@click.argument("module")
def compliance_remove_module(ctx: CommandContext, reference: str, module: str) -> None:
    """Remove the external compliance module at address MODULE (never calls it: always possible)."""
    address = wallet_address(module)
    _compliance_write(ctx, "remove an external module from", lambda t: t.remove_external_module(address), reference)
