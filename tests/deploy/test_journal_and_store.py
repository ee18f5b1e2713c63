"""The journal, the deployments store and the export format: pure file handling."""

from __future__ import annotations

import json

import pytest

from rwa.core.atomic import dumps, write_json
from rwa.core.errors import ChainMismatchError, RwaError
from rwa.deploy import records
from rwa.deploy.journal import Intent, Journal, Mined


def intent(key, nonce, hash_):
    return Intent(key, nonce, hash_, "0xraw", "0x" + "11" * 20, None)


def test_journal_tracks_open_intents(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_intent(intent("A/contract/1", 0, "0xa"))
    journal.record_intent(intent("B/contract/2", 1, "0xb"))
    journal.record_mined(Mined("A/contract/1", "0xa", 1, 5, "0x" + "22" * 20, 100))
    assert [i.key for i in journal.open_intents()] == ["B/contract/2"]
    assert journal.mined("A/contract/1").block == 5
    assert journal.mined("B/contract/2") is None
    journal.record_abandoned("B/contract/2", "0xb", "nonce taken")
    assert journal.open_intents() == []


def test_journal_ignores_a_line_cut_short_by_a_crash(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.record_intent(intent("A", 0, "0xa"))
    with open(path, "a") as handle:
        handle.write('{"event": "intent", "key": "B", "no')
    assert [i.key for i in journal.open_intents()] == ["A"]


def test_reverted_outcome_is_not_reused(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_mined(Mined("A", "0xa", 0, 5, None, 100))
    assert journal.mined("A") is None


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "local.json"
    write_json(path, {"b": 1, "a": 2})
    assert path.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", explode)
    with pytest.raises(OSError):
        write_json(path, {"c": 3})
    assert json.loads(path.read_text()) == {"a": 2, "b": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["local.json"]


def test_json_files_are_laid_out_as_json_indents_them(suite):
    def as_json(value):
        return json.dumps(value, indent=2, sort_keys=True) + "\n"

    record = json.loads(json.dumps(suite))
    odd = {
        "é": {"b": [], "a": {}, "c": [1, {"z": None, "y": 1.5, "x": "a\nb"}], "d": {"1": {"2": {"3": [True]}}}},
        "n": {10: "keys that are not text", 9: "sort as what they are"},
        "e": {},
    }
    for value in (record, odd, {}, [], [{"a": {"b": 1}}], "text", 7, None):
        assert dumps(value) == as_json(value)
    # Written again after a change deep inside an entry: the new content, not the one laid out before.
    name = next(iter(record["contracts"]))
    record["contracts"][name]["abi"].append({"type": "event", "name": "Changed", "inputs": []})
    assert dumps(record) == as_json(record)
    record["contracts"][name]["abi"].pop()
    assert dumps(record) == as_json(record)


def test_store_refuses_garbage(tmp_path):
    store = records.DeploymentStore(tmp_path)
    store.path("local").write_text("{not json")
    with pytest.raises(RwaError, match="not valid JSON"):
        store.load("local")
    store.path("local").write_text('{"format": "other"}')
    with pytest.raises(RwaError, match="not an rwa deployments file"):
        store.load("local")
    assert store.load("sepolia") is None


def test_chain_identity_is_checked():
    record = records.new_record("local", 31337, "0x" + "aa" * 32)
    records.check_chain(record, "local", 31337, "0x" + "AA" * 32)
    with pytest.raises(ChainMismatchError):
        records.check_chain(record, "local", 1, "0x" + "aa" * 32)
    with pytest.raises(ChainMismatchError):
        records.check_chain(record, "local", 31337, "0x" + "bb" * 32)


def test_export_matches_hardhat_deploy_export_all():
    record = records.new_record("sepolia", 11155111, "0x" + "aa" * 32)
    record["contracts"] = {"Reg": {"address": "0x" + "11" * 20, "abi": [{"type": "function"}], "other": 1}}
    exported = records.export_hardhat_deploy([record])
    assert exported == {
        "11155111": [
            {
                "name": "sepolia",
                "chainId": "11155111",
                "contracts": {"Reg": {"address": "0x" + "11" * 20, "abi": [{"type": "function"}]}},
            }
        ]
    }


def test_damaged_line_is_refused_with_a_recovery_instruction(tmp_path):
    from rwa.deploy.journal import JournalDamaged

    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.record_intent(intent("A", 0, "0xa"))
    journal.record_intent(intent("B", 1, "0xb"))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0].replace('"nonce": 0', '"nonce": 5') + lines[1])
    with pytest.raises(JournalDamaged, match=r"damaged at line 1 .* run `rwa deploy --adopt`"):
        journal.open_intents()
    path.write_text(lines[0][:-1] + "\n" + "garbage\n" + lines[1])
    with pytest.raises(JournalDamaged, match="damaged at line 2"):
        journal.entries()


def test_appending_after_a_torn_line_drops_it(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.record_intent(intent("A", 0, "0xa"))
    with open(path, "a") as handle:
        handle.write('{"event": "intent", "key": "B", "no')
    journal.record_intent(intent("C", 1, "0xc"))
    assert [i.key for i in journal.open_intents()] == ["A", "C"]


def test_a_replacement_joins_its_flight_and_either_mined_closes_it(tmp_path):
    from dataclasses import replace

    journal = Journal(tmp_path / "j.jsonl")
    first = intent("A", 4, "0xa")
    journal.record_intent(first)
    journal.record_intent(replace(first, hash="0xa2", replaces="0xa", max_fee=9))
    journal.record_intent(intent("B", 5, "0xb"))
    assert [[i.hash for i in flight] for flight in journal.open_flights()] == [["0xa", "0xa2"], ["0xb"]]
    journal.record_mined(Mined("A", "0xa2", 1, 7, None, 21000))
    assert [[i.hash for i in flight] for flight in journal.open_flights()] == [["0xb"]]


def test_begin_is_kept(tmp_path):
    from rwa.deploy.journal import Begin

    journal = Journal(tmp_path / "j.jsonl")
    assert journal.begin() is None
    journal.record_begin(Begin("0x" + "11" * 20, 3, 120))
    journal.record_intent(intent("A", 3, "0xa"))
    assert journal.begin() == Begin("0x" + "11" * 20, 3, 120)
