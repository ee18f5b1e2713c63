"""The local node refusing to start: one line with anvil's own reason, and the way out."""

from __future__ import annotations

import subprocess

import pytest

from rwa.chain import node
from rwa.testing import environment


@pytest.mark.slow  # starts anvil
def test_a_truncated_saved_state_is_one_line_naming_the_cause_and_the_way_out(project_paths, tmp_path):
    state = tmp_path / "state.json"
    state.write_text('{"block": {"number": ')  # cut short, as a crash mid-write leaves it
    done = subprocess.run(
        [node.anvil_binary(project_paths), "--port", str(environment.live_like_port()), "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    reason = node.exit_reason(done.stdout + done.stderr)
    assert "For more information" not in reason and "EOF while parsing" in reason
    message = node.start_failure(reason, state, tmp_path / "anvil.log")
    assert message.startswith("anvil cannot load the local chain's saved state (error: invalid value")
    assert f"move {state} aside" in message and "rwa node reset" in message and "\n" not in message


def test_other_start_failures_name_anvils_last_words_and_its_log(tmp_path):
    log = tmp_path / "anvil.log"
    reason = node.exit_reason("starting\nError: address already in use (os error 98)\n\nFor more information, try '--help'.\n")
    assert reason == "Error: address already in use (os error 98)"
    assert node.start_failure(reason, tmp_path / "state.json", log) == f"anvil exited at start ({reason}); see {log}"
    assert node.exit_reason("") == "no output"
