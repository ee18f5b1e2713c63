"""Terminal and JSON output (`rwa` in the test process): tables that fit 100 columns without cutting
a name or a digit, no styling under NO_COLOR or off a terminal, progress only on terminals, JSON
errors, the deployments record of factory-made contracts, the export, and the error corners."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import jsonschema
import pytest
from eth_utils import keccak, to_checksum_address

from rwa.cli import terminal
from rwa.core import progress
from rwa.core.callspec import convert
from rwa.core.errors import RwaError
from rwa.deploy import records, session

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "deployments" / "deployments.schema.json").read_text())
#: A wallet no other test module touches (the suite's named accounts are registered by whichever module
#: first asks for the test property): tests here may assume it starts unregistered.
WALLET = "0xd4D17544fFA3903ae28E73e21220a96e6CA32524"
BIG = "12345678901.123456789012345678"  # 30 characters, under the 2**96 supply cap: more than rich leaves


def record_of(rwa) -> dict:
    return json.loads((rwa.deployments / "local.json").read_text())


def verified(rwa, wallet: str, flags: str = "kyc,aml") -> None:
    rwa.run("kyc", "set", wallet, "--investor-id", "7", "--country", "840", "--flags", flags, "--expires", "365d")


# --- 1. tables fit 100 columns ---


def test_status_at_100_columns_keeps_every_name_and_address(rwa, monkeypatch):
    rwa.run("property", "create", "WIDE-PROPERTY-ID-1", "--name", "A Long Property Name", "--symbol", "WIDE1")
    monkeypatch.setenv("COLUMNS", "100")
    out = rwa.run("status").stdout
    assert max(len(line) for line in out.splitlines()) <= 100
    record = record_of(rwa)
    for name, entry in records.recorded_contracts(record):
        assert name in out, name
        assert entry["address"] in out, name
        if entry["proxy"]:
            assert entry["proxy"]["implementation"] in out, name
    assert "WIDE-PROPERTY-ID-1.token" in out and "…" not in out


def test_wide_consoles_keep_the_one_row_table(rwa):
    out = rwa.run("status").stdout  # COLUMNS=200
    assert "implementation" in out.splitlines()[2] and "block" in out


def test_holders_at_100_columns_keep_every_digit(rwa, monkeypatch):
    verified(rwa, WALLET)
    rwa.run("property", "mint", "DEMO-1", WALLET, BIG)
    monkeypatch.setenv("COLUMNS", "100")
    out = rwa.run("property", "holders", "DEMO-1").stdout
    assert WALLET in out and BIG in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_a_console_too_narrow_for_any_table_gets_a_block_per_row(rwa, monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")
    out = rwa.run("status").stdout
    for name, entry in record_of(rwa)["contracts"].items():
        assert name in out and entry["address"] in out
    assert max(len(line) for line in out.splitlines()) <= 70


# --- 2. no styling under NO_COLOR or off a terminal ---


def test_no_color_means_no_styling_at_all_even_on_a_terminal(rwa, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats the capture as a terminal
    monkeypatch.delenv("NO_COLOR")
    styled = rwa.run("status").stdout
    assert "\x1b[" in styled  # the check below would see styling
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in rwa.run("status").stdout


def test_piped_output_is_plain(rwa, monkeypatch):
    monkeypatch.delenv("NO_COLOR")
    result = rwa.run("status")
    assert "\x1b[" not in result.stdout and "\x1b[" not in result.stderr


# --- 3. progress: on terminals only ---


def test_progress_shows_on_terminals_only(monkeypatch):
    assert not terminal.console(stderr=True).is_terminal
    with terminal.status("validating x.csv") as shown:
        assert shown is None  # nothing: a pipe or a log
    assert terminal.progress_bar("mint rows", as_json=False).disable
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert type(terminal.status("validating x.csv")).__name__ == "Status"
    assert not terminal.progress_bar("mint rows", as_json=False).disable
    assert terminal.progress_bar("mint rows", as_json=True).disable


def test_compiling_is_announced_and_reading_the_last_build_is_not(project_paths, monkeypatch):
    from rwa.chain import artifacts

    seen: list[str] = []

    def announce(label: str):
        seen.append(label)
        return terminal.status(label)  # off a terminal: nothing shown

    progress.set_announcer(announce)
    try:
        current = artifacts.load(project_paths)  # the session compiled: Ape's last build is current
        assert seen == []
        monkeypatch.setattr(artifacts, "_built", lambda paths: None)  # as if a source had changed
        # Ape's compile gives what its last build's manifest holds (read by _built): the same artifacts.
        assert artifacts.load(project_paths) == current
    finally:
        progress.set_announcer(None)
    assert seen == ["compiling contracts (only what changed)"]


def test_csv_commands_print_no_progress_off_a_terminal(rwa, tmp_path):
    sheet = tmp_path / "kyc.csv"
    sheet.write_text(f"wallet,investor_id,country,flags,expiry\n{WALLET},9,840,kyc+aml,2099-01-01\n")
    result = rwa.run("kyc", "import", str(sheet))
    assert result.stderr == "" and "registered 1 wallet(s)" in result.stdout


# --- 4. --json errors ---


def test_json_errors_are_json_on_stdout_too(rwa):
    result = rwa.run("kyc", "show", "0x123", "--json", expect=1)
    assert json.loads(result.stdout) == {"error": "not an address: '0x123'", "exitCode": 1}
    assert result.stderr.strip() == "error: not an address: '0x123'"
    usage = rwa.run("kyc", "show", "--json", "--bogus", expect=2)
    assert json.loads(usage.stdout)["error"] == "No such option: --bogus"
    plain = rwa.run("kyc", "show", "0x123", expect=1)
    assert plain.stdout == "" and plain.stderr.startswith("error: not an address")


# --- 5. the record of what factories make ---


def test_property_create_records_its_three_beacon_proxies(rwa, suite):
    created = rwa.json("property", "create", "MAIN-ST-9", "--name", "9 Main Street", "--symbol", "MAIN9")
    record = record_of(rwa)
    jsonschema.validate(record, SCHEMA)
    entry = record["properties"]["MAIN-ST-9"]
    assert entry["id"] == "0x" + keccak(text="MAIN-ST-9").hex() and entry["symbol"] == "MAIN9"
    assert entry["createdBy"]["factory"] == "PropertyTokenFactory"
    assert entry["createdBy"]["address"] == suite["contracts"]["PropertyTokenFactory"]["address"]
    assert entry["createdBy"]["transactionHash"] == created["transactionHash"]
    beacons = {
        "token": "PropertyTokenBeacon",
        "compliance": "ModularComplianceBeacon",
        "distributor": "DividendDistributorBeacon",
    }
    for part, beacon in beacons.items():
        recorded = entry["contracts"][part]
        assert recorded["address"] == created[part]
        assert recorded["proxy"]["kind"] == "beacon"
        assert recorded["proxy"]["beacon"] == suite["contracts"][beacon]["address"]
        assert recorded["proxy"]["implementation"] == suite["contracts"][beacon]["proxy"]["implementation"]


def test_manifest_factory_entries_record_their_beacon_and_factory(suite):
    demo = suite["contracts"]["DemoProperty"]
    assert demo["proxy"]["kind"] == "beacon"
    assert demo["proxy"]["beacon"] == suite["contracts"]["PropertyTokenBeacon"]["address"]
    assert demo["createdBy"]["factory"] == "PropertyTokenFactory" and demo["createdBy"]["function"] == "createProperty"
    assert suite["contracts"]["DemoVault"]["proxy"]["beacon"] == suite["contracts"]["NILVaultBeacon"]["address"]
    assert (
        suite["contracts"]["Safe"]["proxy"] is None and suite["contracts"]["Safe"]["createdBy"]["factory"] == "SafeProxyFactory"
    )
    jsonschema.validate(suite, SCHEMA)


def test_vault_create_records_the_vault(rwa, suite):
    created = rwa.json("vault", "create", "record-athlete", "--athlete", "owner3")
    entry = record_of(rwa)["vaults"]["record-athlete"]
    jsonschema.validate(record_of(rwa), SCHEMA)
    assert entry["contracts"]["vault"]["address"] == created["vault"]
    assert entry["contracts"]["vault"]["proxy"]["beacon"] == suite["contracts"]["NILVaultBeacon"]["address"]
    assert entry["createdBy"] == {
        "factory": "NILVaultFactory",
        "address": suite["contracts"]["NILVaultFactory"]["address"],
        "function": "createVault",
        "transactionHash": created["transactionHash"],
        "blockNumber": created["block"],
        "sender": entry["createdBy"]["sender"],
    }


def test_a_save_keeps_what_another_process_recorded(tmp_path):
    store = records.DeploymentStore(tmp_path)
    base = records.new_record("local", 31337, "0x" + "11" * 32)
    store.save("local", base)
    in_memory = store.load("local")  # a deploy holds this for minutes...
    part = {"contractType": "NILVault", "address": WALLET, "abi": [], "codeHash": None, "proxy": None}

    def create(i: int) -> None:  # ...while vaults are created, each under the lock
        records.record_created(store, "local", "vaults", f"athlete-{i}", {"contracts": {"vault": part}})

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert in_memory is not None
    in_memory["contracts"]["Late"] = {"name": "Late", "contractType": "X", "address": WALLET, "abi": [], "proxy": None}
    store.save("local", in_memory)
    saved = store.load("local")
    assert saved is not None
    assert sorted(saved["vaults"]) == [f"athlete-{i}" for i in range(8)] and "Late" in saved["contracts"]


def test_the_checks_on_load_are_part_of_the_schema():
    assert set(records.REQUIRED) <= set(SCHEMA["required"])
    assert set(records.REQUIRED_CONTRACT) <= set(SCHEMA["$defs"]["contract"]["required"])


# --- 6. export ---


def test_export_keeps_blocks_transactions_implementations_and_filters_networks(rwa, suite, monkeypatch):
    monkeypatch.setenv("RWA_DEPLOYMENTS_DIR", str(rwa.deployments))  # export reads files, not a target
    created = rwa.json("property", "create", "EXPORT-1", "--name", "Export House", "--symbol", "EXP1")
    exported = json.loads(rwa.run("export", "--network", "local").stdout)
    [network] = exported["31337"]
    registry = network["contracts"]["ComplianceRegistry"]
    recorded = suite["contracts"]["ComplianceRegistry"]
    assert registry["receipt"]["blockNumber"] == recorded["blockNumber"]
    assert registry["transactionHash"] == recorded["transactionHash"]
    assert registry["implementation"] == recorded["proxy"]["implementation"]
    token = network["contracts"]["EXPORT-1.token"]
    assert token["address"] == created["token"] and token["transactionHash"] == created["transactionHash"]
    assert token["receipt"]["blockNumber"] > recorded["blockNumber"] and "implementation" in token
    assert "nothing recorded for sepolia" in rwa.refused("export", "--network", "sepolia")


# --- 7. error corners ---


def test_negative_amounts_are_amounts_refused_as_negative(rwa, chain):
    verified(rwa, WALLET)
    height = chain.blocks.height
    assert rwa.refused("property", "mint", "DEMO-1", WALLET, "-5") == "error: amount -5 is negative"
    assert rwa.refused("property", "burn", "DEMO-1", WALLET, "-0.5") == "error: amount -0.5 is negative"
    assert "No such option: -x" in rwa.run("property", "mint", "DEMO-1", WALLET, "-x", expect=2).stderr
    assert chain.blocks.height == height


def test_addresses_without_0x_say_so_on_every_path(rwa):
    bare = WALLET[2:]
    for args in (
        ("kyc", "show", bare),
        ("property", "mint", "DEMO-1", bare, "1"),
        ("vault", "show", bare),
        ("split", "show", bare),
    ):
        line = rwa.refused(*args)
        assert "not an address" in line and "0x" in line and "checksum" not in line, line
    with pytest.raises(RwaError, match="not an address.*0x followed by 40 hex digits"):
        convert(bare, {"type": "address"}, {})
    with pytest.raises(RwaError, match="bad checksum"):
        convert(WALLET[:4] + WALLET[4].swapcase() + WALLET[5:], {"type": "address"}, {})
    assert convert(WALLET.lower(), {"type": "address"}, {}) == WALLET


def test_a_csv_that_is_not_utf8_is_one_line(rwa, chain, tmp_path):
    sheet = tmp_path / "latin1.csv"
    sheet.write_bytes(f"wallet,investor_id,country,flags,expiry\n{WALLET},1,840,kyc,2099-01-01 Zürich\n".encode("latin-1"))
    height = chain.blocks.height
    for args in (("kyc", "import", str(sheet)), ("property", "mint", "DEMO-1", "--csv", str(sheet))):
        line = rwa.refused(*args)
        assert line.startswith("error: latin1.csv is not UTF-8 text (byte 0xfc on line 2)"), line
    assert chain.blocks.height == height


def test_a_record_missing_a_key_names_it(rwa):
    path = rwa.deployments / "local.json"
    record = json.loads(path.read_text())
    del record["chainId"]
    del record["contracts"]["Timelock"]["address"]
    path.write_text(json.dumps(record))
    line = rwa.refused("status")
    assert "lacks chainId, contracts.Timelock.address; the local record is not under version control" in line
    assert json.loads(path.read_text()) == record  # nothing rewritten


def test_an_edited_address_is_that_entry_s_drift(rwa):
    path = rwa.deployments / "local.json"
    record = json.loads(path.read_text())
    original = record["contracts"]["Timelock"]["address"]
    edited = original[:-1] + ("0" if original[-1] != "0" else "1")  # no code there, and a bad checksum
    record["contracts"]["Timelock"]["address"] = edited
    path.write_text(json.dumps(record))
    status = rwa.json("status")
    assert status["drift"]["Timelock"] == [f"no code at {edited} (the chain lost it, or the record is wrong)"]
    out = rwa.run("status").stdout
    assert "Timelock" in out and "no code at" in out


def test_node_stop_with_no_node_says_so(rwa, monkeypatch, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("APE_FOUNDRY_HOST", url)
    monkeypatch.setenv("RWA_STATE_DIR", str(tmp_path))
    assert rwa.run("node", "stop").stdout.strip() == f"no node was running at {url}"
    assert rwa.json("node", "stop") == {**rwa.json("node", "status"), "wasRunning": False}


@pytest.mark.parametrize("value", ["notaurl", "ftp://host/x", "https://"])
def test_an_rpc_url_that_is_not_one_is_named(suite_manifest, project_paths, monkeypatch, value):
    monkeypatch.setenv("SEPOLIA_RPC_URL", value)
    with pytest.raises(RwaError, match=r"^SEPOLIA_RPC_URL is not an http\(s\) or ws\(s\) URL"):
        session.rpc_url_for(suite_manifest.network("sepolia"), project_paths)
    monkeypatch.setenv("SEPOLIA_RPC_URL", "wss://node.example/v3/key")
    assert session.rpc_url_for(suite_manifest.network("sepolia"), project_paths) == "wss://node.example/v3/key"


def test_kyc_import_refuses_a_downgrade_unless_allowed(rwa, chain, tmp_path):
    other = to_checksum_address(keccak(text="downgrade other")[:20])
    verified(rwa, WALLET, "kyc,aml,accredited")
    sheet = tmp_path / "narrow.csv"
    sheet.write_text(f"wallet,investor_id,country,flags,expiry\n{WALLET},7,840,kyc,2099-01-01\n{other},8,840,kyc,2099-01-01\n")
    height = chain.blocks.height
    line = rwa.refused("kyc", "import", str(sheet))
    assert "narrow.csv: 1 row(s) would downgrade a registered wallet, nothing sent" in line
    assert f"{WALLET} loses aml,accredited (kyc,aml,accredited -> kyc)" in line and other not in line
    assert "--allow-downgrade" in line and chain.blocks.height == height
    assert rwa.json("kyc", "show", WALLET)["verified"] is True
    rwa.run("kyc", "import", str(sheet), "--allow-downgrade")
    shown = rwa.json("kyc", "show", WALLET)
    assert shown["flags"] == ["kyc"] and shown["verified"] is False
