"""Every command, as a separate `rwa` process: success paths and one-line failures.

Failures that need no process of their own (input checks, refusals) are in test_kyc_commands.py."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "deployments" / "deployments.schema.json").read_text())
DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def deployed(cli):
    """The manifest deployed on ``cli``'s chain: by `rwa deploy` here unless an earlier test of the module deployed
    it (the chain still holds the recorded registry). Each test that reads the deployment uses it, so that it passes
    alone as it does after the test that deploys (the families' smoke test used to fail alone: nothing deployed)."""
    record = cli.deployments / "local.json"
    if not record.exists() or not _has_code(cli, json.loads(record.read_text())["contracts"]["ComplianceRegistry"]["address"]):
        cli.run("deploy")
    return cli


def _has_code(cli, address: str) -> bool:
    from rwa.chain.client import rpc_request

    return rpc_request(cli.env["APE_FOUNDRY_HOST"], "eth_getCode", [address, "latest"]) not in ("0x", "0x0")


def test_help_lists_every_command(cli):
    out = cli.run("--help").stdout
    for command in ("deploy", "status", "export", "node", "kyc"):
        assert command in out


def test_node_lifecycle_keeps_state(cli):
    cli.run("node", "reset", "--yes")  # a chain with nothing deployed, whichever tests ran before
    assert cli.json("node", "stop")["running"] is False
    assert cli.json("node", "status")["running"] is False
    started = cli.json("node", "start")
    assert started["running"] is True and started["chain_id"] == 31337
    assert started["rpc_url"] == cli.env["APE_FOUNDRY_HOST"]
    cli.run("kyc", "show", WALLET, expect=1)  # nothing deployed yet
    from rwa.chain.client import rpc_request

    rpc_request(started["rpc_url"], "evm_mine", [])
    before = cli.block()
    assert cli.json("node", "stop")["running"] is False
    assert cli.json("node", "start")["block_number"] == before
    reset = cli.json("node", "reset", "--yes")
    assert reset["running"] is False
    assert cli.json("node", "start")["block_number"] == 0


def test_a_node_too_busy_to_answer_is_stopped_all_the_same(cli):
    """`rwa node stop` stops the node by its pid file, not only when it answers the status probe
    within its second: a node busy on a loaded machine (here: frozen) used to be left running,
    "no node was running" said, by every bench's private chain. Its process is gone afterwards."""
    cli.run("node", "start")
    pid = int((cli.state / "node" / "anvil.pid").read_text())
    os.kill(pid, signal.SIGSTOP)  # it answers nothing until continued
    stopping = cli.spawn("node", "stop")
    try:
        deadline = time.monotonic() + 60
        while stopping.poll() is None and not _pending(pid, signal.SIGTERM) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.kill(pid, signal.SIGCONT)  # it takes the SIGTERM: saves its state and exits
    out, _ = stopping.communicate(timeout=60)
    assert stopping.returncode == 0 and out.startswith("stopped the node"), out
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    cli.run("node", "start")


def _pending(pid: int, sig: int) -> bool:
    """Whether ``sig`` waits, undelivered, for a stopped process (/proc's ShdPnd mask)."""
    status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
    return bool(int(status["ShdPnd"], 16) & (1 << (sig - 1)))


def test_plan_sends_nothing_then_deploy_then_rerun_sends_nothing(cli):
    cli.run("node", "reset", "--yes")  # nothing deployed, whichever tests ran before
    cli.run("node", "start")
    block = cli.block()
    plan = cli.json("deploy", "--plan")
    assert {s["action"] for s in plan["steps"]} == {"create", "call"}
    assert cli.block() == block
    assert not (cli.deployments / "local.json").exists()

    out = cli.run("deploy").stdout
    assert "ComplianceRegistry" in out and "uups" in out
    record = json.loads((cli.deployments / "local.json").read_text())
    jsonschema.validate(record, SCHEMA)
    assert record["contracts"]["ComplianceRegistry"]["deployer"] == DEPLOYER

    block = cli.block()
    assert "nothing sent" in cli.run("deploy").stdout
    assert cli.block() == block
    plan = cli.json("deploy", "--plan")
    assert {s["action"] for s in plan["steps"]} == {"skip"}


#: `rwa ARGS` in a process that then names the Ape and web3 modules it imported.
IMPORTS_OF_A_RUN = """
import sys
from rwa.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(sorted(m for m in sys.modules if m.split(".")[0] in ("ape", "web3") or m.startswith("ape_")), file=sys.stderr)
"""


@pytest.mark.usefixtures("deployed")
def test_status_and_plan_read_the_local_chain_without_ape_or_web3(cli):
    import subprocess
    import sys

    for args in (["status"], ["deploy", "--plan"]):
        done = subprocess.run(
            [sys.executable, "-c", IMPORTS_OF_A_RUN, *args], cwd=ROOT, env=cli.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


@pytest.mark.usefixtures("deployed")
def test_status_and_export(cli, tmp_path):
    status = cli.json("status")
    assert status["drift"] == {}
    assert set(status["deployment"]["contracts"]) >= {"ComplianceRegistry", "Timelock"}
    out = tmp_path / "export.json"
    cli.run("export", "--format", "hardhat-deploy", "--output", str(out))
    exported = json.loads(out.read_text())
    [network] = exported["31337"]
    assert network["name"] == "local" and network["chainId"] == "31337"
    registry = network["contracts"]["ComplianceRegistry"]
    recorded = status["deployment"]["contracts"]["ComplianceRegistry"]
    assert set(registry) == {"address", "abi", "transactionHash", "receipt", "implementation"}
    assert registry["address"] == recorded["address"]
    assert registry["receipt"] == {"blockNumber": recorded["blockNumber"], "transactionHash": recorded["transactionHash"]}

    # hardhat-deploy's own folder layout (issue 23): <network>/.chainId and a <Name>.json per contract, as
    # hardhat-deploy's readers (its `deployments` folder, `hardhat-deploy`'s getters) take them.
    folder = tmp_path / "deployments"
    cli.run("export", "--format", "hardhat-deploy-folder", "-o", str(folder))
    assert (folder / "local" / ".chainId").read_text() == "31337"
    names = {p.name for p in (folder / "local").glob("*.json")}
    assert names >= {f"{n}.json" for n in network["contracts"]} | {"ComplianceRegistry_Implementation.json"}
    assert json.loads((folder / "local" / "ComplianceRegistry.json").read_text()) == registry
    implementation = json.loads((folder / "local" / "ComplianceRegistry_Implementation.json").read_text())
    assert implementation == {"address": registry["implementation"], "abi": registry["abi"]}
    refused = cli.run("export", "--format", "hardhat-deploy-folder", expect=None)
    assert refused.returncode != 0 and "name it with --output" in refused.stderr


@pytest.mark.usefixtures("deployed")
def test_upgrade_safe_and_timelock_families_answer(cli):
    """The governance families as processes too (their flows run in the test process elsewhere)."""
    assert "already runs the compiled code" in cli.run("upgrade", "ComplianceRegistry", "--check").stdout
    assert cli.json("safe", "list") == []
    assert cli.json("timelock", "list") == []


@pytest.mark.usefixtures("deployed")
def test_kyc_set_and_show(cli):
    """Sanction and revoke run in the test process (test_kyc_commands.py)."""
    record = cli.json(
        "kyc", "set", WALLET, "--investor-id", "42", "--country", "840", "--flags", "kyc,aml,accredited", "--expires", "365d"
    )
    assert record["verified"] is True and record["flags"] == ["kyc", "aml", "accredited"]
    assert cli.json("kyc", "show", WALLET)["investorId"] == "42"


def test_unreachable_rpc(cli):
    result = cli.run(
        "deploy", "--network", "sepolia", "--account", "ops", expect=1, env={"SEPOLIA_RPC_URL": "http://127.0.0.1:9"}
    )
    assert "cannot connect to http://127.0.0.1:9" in one_line_error(result)


@pytest.mark.usefixtures("deployed")
def test_unauthorised_signer_is_refused_with_the_decoded_error(cli):
    # The deployer renounced every registry role: signing as it is refused before anything is sent.
    block = cli.block()
    result = cli.run(
        "kyc", "sanction", WALLET, expect=1, env={"RWA_MANIFEST": str(_manifest_with_signer(cli, "sanctions_officer", "test:0"))}
    )
    assert "AccessControlUnauthorizedAccount" in one_line_error(result)
    assert cli.block() == block


def _manifest_with_signer(cli, name: str, value: str) -> Path:
    """The project manifest with one local account pointed elsewhere (the signer of a command)."""
    text = (ROOT / "deployments" / "manifest.py").read_text()
    patched = text.replace(f'"{name}": "test:2"', f'"{name}": "{value}"')
    assert patched != text
    path = cli.deployments.parent / "manifest_signer.py"
    path.write_text(patched)
    return path


def test_malformed_manifest_is_one_line(cli, tmp_path):
    bad = tmp_path / "manifest.py"
    bad.write_text(
        "from rwa.deploy.manifest import Manifest, Contract\nMANIFEST "
        "= Manifest(contracts=(Contract('X', 'Nope'),), networks={})\n"
    )
    line = one_line_error(cli.run("deploy", "--plan", expect=1, env={"RWA_MANIFEST": str(bad)}))
    assert "unknown network 'local'" in line


@pytest.mark.usefixtures("deployed")
def test_another_chain_is_refused(cli):
    path = cli.deployments / "local.json"
    original = path.read_text()
    record = json.loads(original)
    path.write_text(json.dumps({**record, "genesisHash": "0x" + "cd" * 32}))
    try:
        line = one_line_error(cli.run("deploy", expect=1))
        assert "refusing to mix them" in line
    finally:
        path.write_text(original)


@pytest.mark.usefixtures("deployed")
def test_corrupt_deployments_file_is_refused_and_kept(cli):
    path = cli.deployments / "local.json"
    original = path.read_text()
    path.write_text(original[: len(original) // 2])
    try:
        line = one_line_error(cli.run("status", expect=1))
        assert "not valid JSON" in line
        assert path.read_text() == original[: len(original) // 2]
    finally:
        path.write_text(original)


def test_ape_run_deploy_is_the_same_deploy(cli):
    import subprocess
    import sys

    ape = str(Path(sys.executable).parent / "ape")
    result = subprocess.run(
        [ape, "run", "deploy", "--plan", "--json"], cwd=ROOT, env=cli.env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["network"] == "local"
    assert plan["steps"] == cli.json("deploy", "--plan")["steps"]


@pytest.mark.usefixtures("deployed")
def test_export_to_an_unwritable_place_is_one_line(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    line = one_line_error(cli.run("export", "--output", str(blocker / "sub" / "out.json"), expect=None))
    assert "error:" in line


@pytest.mark.usefixtures("deployed")
def test_a_sending_command_waits_its_turn_for_its_account(cli):
    """While another process sends from the attestor's account on this network (its lock held
    here, as `rwa kyc import` would hold it), a second sender from that account is refused with
    one line naming the holder, and sends nothing; reads, and other accounts, go on."""
    import os

    from rwa.deploy import lock

    attestor = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    key = lock.account_key("local", attestor)
    nonce = cli.nonce(attestor)
    with lock.hold(cli.deployments, key, attestor, "rwa kyc import"):
        refused = one_line_error(cli.run("kyc", "import", "examples/investors.csv", expect=1))
        assert refused.startswith(f"error: account {attestor.lower()} on local is locked by pid {os.getpid()} on ")
        assert refused.endswith(
            f"(account {attestor}, since {refused.split('since ')[1].split(',')[0]}, rwa kyc import): rerun when it has finished"
        )
        assert cli.nonce(attestor) == nonce
        cli.run("status")  # a read takes no lock
        deployed = cli.run("deploy", "--account", "owner1", expect=None)  # another account: not this lock
        assert "is locked by" not in deployed.stderr
    cli.run("kyc", "import", "examples/investors.csv")
    assert cli.nonce(attestor) > nonce
