"""The last unclear errors (issue 23 item 6): each is now one line that names what is wrong and what
to do. (``--account nobody`` listing the known accounts is in test_kyc_commands.py.)"""

from __future__ import annotations

import pytest
from tampering import GRANT

from rwa.admin.decode import _difference

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_watch_from_beyond_the_head_names_the_option_and_the_head(rwa, chain, tmp_path):
    head = chain.blocks.height
    line = rwa.refused("watch", "--once", "--from", str(head + 1000), "--db", str(tmp_path / "w.db"))
    assert f"--from {head + 1000} is beyond the chain's head (block " in line and "pass a block up to" in line


@pytest.mark.parametrize("command", ["watch", "export"])
def test_an_unwritable_path_is_named(rwa, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "inside.json"
    if command == "watch":
        line = rwa.refused("watch", "--once", "--db", str(target))
        assert line == f"error: cannot open the watch database {target}: {blocker} is not a folder"
    else:
        proposal = rwa.json("safe", "propose", "--call", GRANT)
        line = rwa.refused("safe", "export", proposal["id"], "-o", str(target))
        assert line == f"error: cannot write {target}: {blocker} is not a folder"


@pytest.mark.parametrize(
    "url, words",
    [("http://bad:url:99", "Port could not be cast to integer"), ("127.0.0.1:8545", "it needs http://HOST:PORT")],
)
def test_node_status_flags_a_malformed_node_url(rwa, url, words):
    line = rwa.refused("node", "status", env={"APE_FOUNDRY_HOST": url})
    assert f"the local node's URL {url!r} (APE_FOUNDRY_HOST) is malformed: {words}" in line


def test_an_edited_argument_shows_the_part_that_differs():
    signed = "0x" + "ab" * 40 + "01"
    edited = "0x" + "ab" * 40 + "02"
    line = _difference("calls[0].args", ["0x" + "11" * 32, signed], ["0x" + "11" * 32, edited])
    assert line.startswith("calls[0].args[1]: the file says …") and "ab01'" in line and "ab02'" in line


def test_enabling_a_holder_counting_module_on_a_token_with_supply_says_resync_first(rwa):
    rwa.run("kyc", "set", ALICE, "--investor-id", "7", "--country", "840", "--expires", "30d")
    rwa.run("property", "mint", "DEMO-1", ALICE, "1")
    line = rwa.refused("property", "compliance", "enable", "DEMO-1", "max-holders", "--via", "safe")
    assert "ModuleNeedsEmptyToken(" in line and "resync it first (ModularCompliance.resync(" in line
