"""`ape run deploy`: the same deploy as `rwa deploy`, through the same code."""

import click

from rwa.cli.app import main


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def cli(args: tuple[str, ...]) -> None:
    """Deploy the manifest; takes the options of `rwa deploy` (--network, --account, --plan, --json)."""
    main(["deploy", *args])
