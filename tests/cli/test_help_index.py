"""`rwa GROUP --help` from a kept listing (rwa.cli.helpindex): the same help, without loading the toolkit."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from rwa.cli import helpindex
from rwa.cli.app import COMMANDS, app

GROUPS = [name for name in COMMANDS if isinstance(app.get_command(click.Context(app), name), click.Group)]


def rendered(command: click.Command, name: str, width: int) -> str:
    with click.Context(app, info_name="rwa", terminal_width=width, help_option_names=["-h", "--help"]) as parent:
        return command.get_help(click.Context(command, info_name=name, parent=parent))


def same_help(group: click.Group, stand_in: click.Group, name: str) -> int:
    """Assert that ``stand_in`` renders ``group``'s help, and its nested groups' (how many groups that was)."""
    assert helpindex.keepable(group), f"{name} --help would load the toolkit every time"
    for width in (60, 200):
        assert rendered(stand_in, name, width) == rendered(group, name, width)
    nested = [n for n, c in group.commands.items() if isinstance(c, click.Group)]
    assert all(isinstance(stand_in.commands[n], click.Group) for n in nested)
    return 1 + sum(same_help(group.commands[n], stand_in.commands[n], n) for n in nested)  # type: ignore[arg-type]


def test_every_group_is_kept_and_its_stand_in_renders_the_same_help():
    checked = 0
    for name in GROUPS:
        group = app.get_command(click.Context(app), name)
        assert isinstance(group, click.Group)
        checked += same_help(group, helpindex.stand_in(name, helpindex.listing(group)), name)
    assert len(GROUPS) >= 10 and checked >= len(GROUPS) + 3  # vault plan, vault order, property compliance


def test_a_listing_is_used_only_while_its_sources_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(helpindex, "folder", lambda: tmp_path)
    assert helpindex.kept(["vault"]) is None
    helpindex.keep("vault", app.get_command(click.Context(app), "vault"))  # type: ignore[arg-type]
    assert isinstance(helpindex.kept(["vault"]), click.Group) and isinstance(helpindex.kept(["vault", "plan"]), click.Group)
    assert helpindex.kept(["vault", "tip"]) is None  # a command's help shows its options: the group is loaded
    assert helpindex.kept(["vault", "nosuch"]) is None
    monkeypatch.setattr(helpindex, "sources", lambda: "another edit of rwa/cli")
    assert helpindex.kept(["vault"]) is None
    (tmp_path / "vault.json").write_text("{cut short")
    assert helpindex.kept(["vault"]) is None


def test_a_command_or_a_group_rendered_its_own_way_is_not_kept():
    class Own(click.Group):
        def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            formatter.write("mine")

    assert not helpindex.keepable(app.get_command(click.Context(app), "status"))  # type: ignore[arg-type]
    assert not helpindex.keepable(Own("own"))
    assert not helpindex.keepable(click.Group("opts", params=[click.Option(["--flag"], is_flag=True)]))


#: `rwa kyc --help` in a fresh process: its output, then whether it loaded eth-utils.
HELP_RUN = """
import sys
from rwa.cli.app import main
try:
    main(["kyc", "--help"])
except SystemExit:
    pass
print("eth_utils" in sys.modules)
"""


@pytest.mark.slow
def test_a_groups_second_help_loads_no_toolkit(tmp_path):
    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", HELP_RUN], env={"RWA_PROJECT": str(tmp_path), "PATH": ""}, capture_output=True, text=True
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return done.stdout.splitlines()

    (tmp_path / "ape-config.yaml").write_text("")
    (tmp_path / "deployments").mkdir()
    first, second = run(), run()
    assert first[-1] == "True" and second[-1] == "False"
    assert first[:-1] == second[:-1] and "Commands:" in first
    assert (tmp_path / ".rwa" / "help" / "kyc.json").is_file()
