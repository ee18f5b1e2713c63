"""The last unclear errors (issue 23 item 6): each is now one line that names what is wrong and what
to do. (``--account nobody`` listing the known accounts is in test_kyc_commands.py.)"""

from __future__ import annotations

import io
import json

import pytest
from tampering import GRANT

from rwa.admin.decode import _difference
from rwa.core.errors import RwaError
from rwa.deploy import session
from rwa.deploy.records import DeploymentStore

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEAD = "0x000000000000000000000000000000000000dEaD"  # no code there
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


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


#: A newcomer's careless input (issue 45): each refused in one line that names the problem, nothing sent.
#: ``{folder}``, ``{missing}`` and ``{not_sqlite}`` are a folder, a path with nothing there and a file that is not
#: a database.
CARELESS = [
    (("history", "holders", "DEMO-1", "--store", "{not_sqlite}"), "it is not a SQLite database"),
    (("history", "holders", "DEMO-1", "--store", "{folder}"), "is a folder: name a database file in it"),
    (("history", "payments", "demo-athlete", "--store", "{missing}"), "no watcher database at {missing}: run `rwa watch"),
    (("watch", "--once", "--from", "2", "--until", "1"), "--until 1 is before --from 2: nothing to watch"),
    (("watch", "--once", "--jsonl", "{folder}"), "--jsonl {folder} is a folder"),
    (("watch", "--once", "--store", "{not_sqlite}"), "it is not a SQLite database"),
    (
        ("offering", "create", "DEMO-1", "--price", "1", "--cap", "10", "--closes", "30d", "--stablecoin", DEAD),
        f"no stablecoin at {DEAD} on local: it has no code",
    ),
    (("offering", "show", "DEMO1-99"), "unknown offering 'DEMO1-99' on local"),
    (("property", "create", "NEW-45", "--name", "Twin", "--symbol", "DEMO1"), "symbol DEMO1 is taken by '1 Demo Street'"),
    (
        ("safe", "propose", "--call", f"ComplianceRegistry.grantRole(NOPE_ROLE, {ALICE})"),
        "no contract of the deployment declares NOPE_ROLE: nothing would check it (ComplianceRegistry declares ATTESTOR_ROLE",
    ),
    (("market", "import", "{not_sqlite}"), "{not_sqlite} is not an order file: it is not JSON ("),
    (("deal", "propose", "demo-athlete", "--amount", "1", "--deliverables", "{folder}", "--uri", URI), "is a folder"),
    (
        ("deal", "propose", "demo-athlete", "--amount", "1", "--deliverables", "examples/brif.md", "--uri", URI),
        "no file examples/brif.md: --deliverables takes a file, a text",
    ),
]


@pytest.mark.parametrize("args, words", CARELESS, ids=[" ".join(a[:2]) + f" {i}" for i, (a, _) in enumerate(CARELESS)])
def test_careless_input_is_one_clear_line_and_nothing_is_sent(rwa, chain, tmp_path, args, words):
    places = {"folder": str(tmp_path), "missing": str(tmp_path / "none.db"), "not_sqlite": str(tmp_path / "notes.txt")}
    (tmp_path / "notes.txt").write_text("not a database\n")
    proposals = rwa.deployments / "proposals" / "local"
    written = sorted(proposals.glob("*.json")) if proposals.is_dir() else []
    height = chain.blocks.height
    line = rwa.refused(*(a.format(**places) for a in args))
    assert line.startswith("error: ") and words.format(**places) in line, line
    assert chain.blocks.height == height
    assert (sorted(proposals.glob("*.json")) if proposals.is_dir() else []) == written


def test_a_nonce_beyond_uint256_is_refused_by_its_option_not_by_the_encoder(rwa):
    line = rwa.refused("market", "cancel", "--nonce", str(2**256), "--account", "owner2")
    assert line.startswith("error: Invalid value for '--nonce': ") and "is not in the range 0<=x<=" in line


@pytest.mark.parametrize(
    "args, line",
    [
        (("deal", "accept"), "error: Missing argument 'ATHLETE' (`rwa deal accept -h` shows how to use it)"),
        (("kyc", "set", ALICE), "error: Missing option '--investor-id' (`rwa kyc set -h` shows how to use it)"),
        (("kyc", "show", "--bogus"), "error: No such option: --bogus (`rwa kyc show -h` shows how to use it)"),
        (("nosuch",), "error: No such command 'nosuch' (`rwa -h` shows how to use it)"),
        (
            ("vault", "list", "--limit", "0"),
            "error: Invalid value for '--limit': 0 is not in the range 1<=x<=500 (`rwa vault list -h`",
        ),
        (
            ("kyc", "revoke", ALICE, "--via", "nobody"),
            "error: Invalid value for '--via': 'nobody' is not one of 'safe', 'guardian'",
        ),
    ],
)
def test_a_usage_error_is_one_line_too(rwa, args, line):
    result = rwa.run(*args, expect=2)
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and result.stderr.startswith(line), result.stderr
    assert result.stdout == ""


def test_node_reset_asks_on_stderr_so_that_json_stays_json(rwa, monkeypatch):
    monkeypatch.setattr(session, "reset_local_chain", lambda paths: pytest.fail("reset without a yes"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = rwa.run("node", "reset", "--json", expect=130)  # no answer (stdin is empty): aborted
    assert "Wipe the local chain and " in result.stderr and "local.json?" in result.stderr
    assert json.loads(result.stdout) == {"error": "aborted", "exitCode": 130}


@pytest.mark.parametrize(
    "network, advice",
    [
        ("local", "the local record is not under version control: `rwa node reset`"),
        ("sepolia", "restore it from version control"),
    ],
)
def test_a_damaged_record_says_how_to_get_it_back(tmp_path, network, advice):
    (tmp_path / f"{network}.json").write_text("{cut short")
    with pytest.raises(RwaError) as refused:
        DeploymentStore(tmp_path).load(network)
    assert str(refused.value).startswith(f"{tmp_path / network}.json is not valid JSON (") and advice in str(refused.value)
