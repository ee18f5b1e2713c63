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


def test_every_group_is_kept_and_its_stand_in_renders_the_same_help():
    assert len(GROUPS) >= 10
    for name in GROUPS:
        group = app.get_command(click.Context(app), name)
        assert group is not None and helpindex.keepable(group), f"rwa {name} --help would load the toolkit every time"
        stand_in = helpindex.stand_in(name, helpindex.listing(group))  # type: ignore[arg-type]
        for width in (60, 200):
            assert rendered(stand_in, name, width) == rendered(group, name, width)


def test_a_listing_is_used_only_while_its_sources_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(helpindex, "folder", lambda: tmp_path)
    assert helpindex.kept("kyc") is None
    helpindex.keep("kyc", app.get_command(click.Context(app), "kyc"))  # type: ignore[arg-type]
    assert isinstance(helpindex.kept("kyc"), click.Group)
    monkeypatch.setattr(helpindex, "sources", lambda: "another edit of rwa/cli")
    assert helpindex.kept("kyc") is None
    (tmp_path / "kyc.json").write_text("{cut short")
    assert helpindex.kept("kyc") is None


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
