"""What the `rwa property` and `rwa property compliance` commands share: the PROPERTY argument, the
owner's account help, and the property's token opened on the command's target."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from rwa.cli.context import CommandContext
from rwa.domain.properties import Properties
from rwa.domain.token import Token

property_argument = click.argument("reference", metavar="PROPERTY")
OWNER_IS_TIMELOCK = "deployer (the owner is the timelock: use --via safe)"


@contextmanager
def opened(ctx: CommandContext, reference: str) -> Iterator[Token]:
    """The property's token, on the command's connected target."""
    with ctx.target() as target:
        prop = Properties(target).find(reference)
        yield Token(target, prop, ctx.via)
