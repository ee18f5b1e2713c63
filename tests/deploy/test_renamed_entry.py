"""An entry the manifest renamed (`Contract("FanPayments", ..., formerly=("NILMemberships",))`): a deployment
the previous manifest made is adopted under the new name with nothing sent, its record written so; a deploy
of the previous manifest interrupted after the hub was mined resumes on it rather than making a second hub.

The previous manifest is the current one with the payments hub called NILMemberships again, deployed
from the code compiled under that name: the same code, solc's metadata (which covers the contract's
name) aside.
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from eth_utils import keccak

from rwa.admin import upgrades
from rwa.chain.client import Chain
from rwa.core.errors import DriftError
from rwa.core.project import ProjectPaths
from rwa.deploy.engine import DeployOptions, apply_deployment, plan_deployment
from rwa.deploy.manifest import Contract, Ref
from rwa.deploy.renames import SOLC_METADATA, Creations, Rename, adopt, same_but_metadata, same_creation, without_metadata
from rwa.deploy.target import Target, load_record, make_resolver

HUB, FORMER = "FanPayments", "NILMemberships"


class Stop(Exception):
    """A deploy killed at an exact point."""


def other_metadata(bytecode: bytes, label: str, keep: bytes = b"") -> bytes:
    """``bytecode`` as solc makes it from other names or comments: its metadata hashes others (those
    inside ``keep``, the creation code of a contract it makes, excepted)."""
    kept = bytecode.find(keep) if keep else -1
    for metadata in SOLC_METADATA.finditer(bytecode):
        if kept <= metadata.start() < kept + len(keep):
            continue
        digest = metadata.start() + 8  # after a2 64 "ipfs" 58 22 12 20: the 32-byte digest
        bytecode = bytecode[:digest] + keccak(text=label) + bytecode[digest + 32 :]
    return bytecode


def compiled_as_before(compiled):
    """The artifacts of the build before the rename: the hub's code under its former name, its metadata
    hash another (as solc's for another contract name)."""
    hub = compiled[HUB]
    bytecode = other_metadata(hub.bytecode, FORMER)
    assert bytecode != hub.bytecode and without_metadata(bytecode) == without_metadata(hub.bytecode)
    return {**compiled, FORMER: replace(hub, name=FORMER, bytecode=bytecode)}


def manifests(suite_manifest, last: str = "NILVaultBeacon"):
    """The current manifest up to ``last``, and the previous one (the hub under its former name)."""
    entries = suite_manifest.contracts
    upto = entries[: [e.name for e in entries].index(last) + 1]

    def back(value: Any) -> Any:
        return Ref(FORMER, value.facet) if isinstance(value, Ref) and value.name == HUB else value

    previous = tuple(
        replace(e, name=FORMER, contract_type=FORMER, formerly=()) if e.name == HUB else replace(e, args=tuple(map(back, e.args)))
        for e in upto
    )
    return replace(suite_manifest, contracts=upto), replace(suite_manifest, contracts=previous)


@pytest.fixture
def targets(suite_manifest, project_paths, compiled, accounts, tmp_path):
    paths = ProjectPaths(project_paths.root, deployments_override=tmp_path)

    def target(manifest, artifacts=compiled, signer=None):
        return Target(paths, manifest, manifest.network("local"), Chain.active(), signer or accounts[0], artifacts)

    return target


def on_disk(target) -> dict[str, Any]:
    return json.loads(target.store.path("local").read_text())


def test_a_deployment_recording_the_former_name_is_adopted_with_nothing_sent(suite_manifest, compiled, accounts, targets):
    current, previous = manifests(suite_manifest)
    before = targets(previous, compiled_as_before(compiled))
    _, record = apply_deployment(before, options=DeployOptions(fresh=True))  # the session's deployer has sent already
    hub = record["contracts"][FORMER]
    assert hub["contractType"] == FORMER and hub["bytecodeHash"] != compiled[HUB].bytecode_hash

    after = targets(current)
    # Every reader sees it under the new name at once: the vaults' beacon upgrades against it, the hub
    # being the compiled code (an upgrade against older hub code is refused).
    assert make_resolver(after, load_record(after)).value(Ref(HUB)) == hub["address"]
    written = on_disk(after)
    due = json.loads(json.dumps(written))
    due["contracts"]["NILVaultBeacon"]["bytecodeHash"] = "0x" + "00" * 32  # not what runs: an upgrade is due
    after.store.path("local").write_text(json.dumps(due))
    assert upgrades.check(after, "NILVaultBeacon").problems == []
    after.store.path("local").write_text(json.dumps(written))

    plan, _ = plan_deployment(after)
    assert [(s.action, s.name) for s in plan.steps if s.action not in ("skip",)] == [("rename", HUB)]
    assert "recorded as NILMemberships" in plan.steps[[s.name for s in plan.steps].index(HUB)].detail
    nonce = accounts[0].nonce
    plan, _ = apply_deployment(after)
    assert not plan.sends and accounts[0].nonce == nonce

    written = on_disk(after)["contracts"]
    assert FORMER not in written
    assert {k: v for k, v in written[HUB].items() if k not in ("name", "contractType", "abi", "bytecodeHash", "formerNames")} == {
        k: v for k, v in hub.items() if k not in ("name", "contractType", "abi", "bytecodeHash")
    }
    assert written[HUB]["name"] == written[HUB]["contractType"] == HUB
    assert written[HUB]["formerNames"] == [FORMER]
    assert written[HUB]["bytecodeHash"] == compiled[HUB].bytecode_hash and written[HUB]["abi"] == compiled[HUB].abi
    assert written["NILVaultBeacon"]["args"]["constructor"]["hub_"] == hub["address"]

    plan, _ = plan_deployment(after)  # done: nothing left to do
    assert not plan.writes and not plan.blocking


def test_a_renamed_contract_s_creation_is_read_once_not_at_every_load(
    suite_manifest, compiled, targets, monkeypatch, tmp_path_factory
):
    """Until the next deploy writes the rename, every command loads the record with it: only the first reads
    the hub's creating transaction from the node (each used to), the others take its kept answer."""
    current, previous = manifests(suite_manifest)
    apply_deployment(targets(previous, compiled_as_before(compiled)), options=DeployOptions(fresh=True))
    monkeypatch.setenv("RWA_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    read: list[str] = []
    transaction = Chain.transaction
    monkeypatch.setattr(Chain, "transaction", lambda chain, tx_hash: read.append(tx_hash) or transaction(chain, tx_hash))

    first = load_record(targets(current))
    assert first is not None and first["contracts"][HUB]["bytecodeHash"] == compiled[HUB].bytecode_hash  # the same code
    assert read == [first["contracts"][HUB]["transactionHash"]]
    again = targets(current)  # another command: a target of its own
    assert load_record(again) == first and load_record(again) == first
    assert upgrades.check(again, "NILVaultBeacon").up_to_date
    assert len(read) == 1


def test_a_contract_compiled_anew_to_the_same_code_is_recorded_with_nothing_sent(suite_manifest, compiled, accounts, targets):
    """NILVault's sources changed in names and comments only (its module renamed): the vaults run the same code,
    the demo vault (the factory's beacon proxy) too."""
    current, _ = manifests(suite_manifest, last="DemoVault")
    vault, module = compiled["NILVault"], compiled["NILVaultPaymentsModule"]
    edited = replace(vault, bytecode=other_metadata(vault.bytecode, "comments", keep=module.bytecode))
    before = targets(current, {**compiled, "NILVault": edited})
    apply_deployment(before, options=DeployOptions(fresh=True))
    older = on_disk(before)
    assert older["contracts"]["NILVaultBeacon"]["bytecodeHash"] == edited.bytecode_hash != vault.bytecode_hash
    older["modules"]["NILVaultBeacon"]["contracts"]["paymentsModule"]["contractType"] = HUB  # the module's name before
    before.store.path("local").write_text(json.dumps(older))

    after = targets(current)
    assert upgrades.check(after, "NILVaultBeacon").up_to_date  # no upgrade to send: the same code runs
    plan, _ = plan_deployment(after)
    assert [(s.action, s.name) for s in plan.steps if s.action != "skip"] == [
        ("recompiled", "NILVaultBeacon"),
        ("recompiled", "DemoVault"),
    ]
    nonce = accounts[0].nonce
    plan, _ = apply_deployment(after)
    assert not plan.sends and accounts[0].nonce == nonce

    written = on_disk(after)
    beacon = written["contracts"]["NILVaultBeacon"]
    assert beacon["bytecodeHash"] == vault.bytecode_hash
    assert {k: v for k, v in beacon.items() if k != "bytecodeHash"} == {
        k: v for k, v in older["contracts"]["NILVaultBeacon"].items() if k != "bytecodeHash"
    }
    assert written["contracts"]["DemoVault"]["bytecodeHash"] == vault.bytecode_hash
    part = written["modules"]["NILVaultBeacon"]["contracts"]["paymentsModule"]
    assert part["contractType"] == "NILVaultPaymentsModule" and part["abi"] == module.abi
    plan, _ = plan_deployment(after)
    assert not plan.writes and not plan.blocking


def test_a_former_contract_whose_code_differs_is_refused_not_adopted(suite_manifest, compiled, accounts, targets):
    current, previous = manifests(suite_manifest)
    before = targets(previous, compiled_as_before(compiled))
    _, record = apply_deployment(before, options=DeployOptions(fresh=True))
    # Its creating transaction made other code (the deal NFT's): not the hub's, metadata aside.
    edited = on_disk(before)
    edited["contracts"][FORMER]["transactionHash"] = record["contracts"]["ContractNFT"]["transactionHash"]
    before.store.path("local").write_text(json.dumps(edited))
    nonce = accounts[0].nonce

    after = targets(current)
    with pytest.raises(DriftError) as refused:
        apply_deployment(after)
    assert "first: FanPayments: compiled FanPayments changed since it was deployed" in str(refused.value)
    plan, _ = plan_deployment(after)
    assert ("drift", HUB, "recorded as NILMemberships, manifest says FanPayments") in {
        (s.action, s.name, s.detail) for s in plan.steps
    }
    assert accounts[0].nonce == nonce and on_disk(after) == edited


def test_a_deploy_interrupted_after_the_former_hub_was_mined_resumes_on_it(suite_manifest, compiled, accounts, targets):
    current, previous = manifests(suite_manifest)
    made: dict[str, str] = {}

    def killed_after_the_hub(action: str, name: str, detail: str) -> None:
        if (action, name) == ("created", FORMER):
            made["hub"] = detail.split(" at ")[-1]
            raise Stop  # mined and journaled, not yet recorded

    before = targets(previous, compiled_as_before(compiled))
    with pytest.raises(Stop):
        apply_deployment(before, killed_after_the_hub, DeployOptions(fresh=True))
    assert FORMER not in on_disk(before)["contracts"]

    reported: list[tuple[str, str, str]] = []
    plan, record = apply_deployment(targets(current), lambda *line: reported.append(line))
    assert record["contracts"][HUB]["address"] == made["hub"]
    assert ("adopted", HUB) in {(a, n) for a, n, _ in reported} and ("created", HUB) not in {(a, n) for a, n, _ in reported}
    assert record["contracts"]["NILVaultBeacon"]["args"]["constructor"]["hub_"] == made["hub"]
    assert not targets(current).store.journal_path("local").exists()


def test_a_rename_interrupted_before_its_record_was_written_resumes(suite_manifest, compiled, accounts, targets):
    current, _ = manifests(suite_manifest)
    _, previous = manifests(suite_manifest, last=HUB)  # the previous deploy stopped at the hub
    before = targets(previous, compiled_as_before(compiled))
    _, record = apply_deployment(before, options=DeployOptions(fresh=True))

    made: dict[str, str] = {}

    def killed_after_the_implementation(action: str, name: str, detail: str) -> None:
        if (action, name) == ("created", "NILVaultBeacon"):
            made["implementation"] = detail.split(" at ")[-1]
            raise Stop  # the rename is in memory only: the file still says NILMemberships

    after = targets(current)
    with pytest.raises(Stop):
        apply_deployment(after, killed_after_the_implementation)
    assert FORMER in on_disk(after)["contracts"] and HUB not in on_disk(after)["contracts"]

    plan, resumed = apply_deployment(after)
    assert ("rename", HUB) in {(s.action, s.name) for s in plan.steps}
    assert resumed["contracts"][HUB]["address"] == record["contracts"][FORMER]["address"]
    assert FORMER not in on_disk(after)["contracts"] and on_disk(after)["contracts"][HUB]["formerNames"] == [FORMER]
    assert resumed["contracts"]["NILVaultBeacon"]["proxy"]["implementation"] == made["implementation"]  # journaled
    assert resumed["contracts"]["NILVaultBeacon"]["args"]["constructor"]["hub_"] == record["contracts"][FORMER]["address"]


def test_a_lost_record_is_rebuilt_on_the_hub_made_under_its_former_name(suite_manifest, compiled, accounts, targets):
    current, previous = manifests(suite_manifest)
    operator = accounts.generate_test_account()  # its own account: --adopt reads only its transactions
    operator.balance = 10**21
    before = targets(previous, compiled_as_before(compiled), operator)
    _, record = apply_deployment(before)
    before.store.path("local").unlink()  # the record is lost (the journal went when the deploy ended)

    nonce = operator.nonce
    plan, rebuilt = apply_deployment(targets(current, signer=operator), options=DeployOptions(adopt=True))
    assert operator.nonce == nonce  # every creation adopted, the hub's by its code, metadata aside
    assert rebuilt["contracts"][HUB]["address"] == record["contracts"][FORMER]["address"]
    assert rebuilt["contracts"]["NILVaultBeacon"]["args"]["constructor"]["hub_"] == record["contracts"][FORMER]["address"]


def test_of_two_former_names_recorded_the_newest_is_the_entry():
    record: Any = {"contracts": {name: {"name": name, "contractType": "Plain", "proxy": None} for name in ("Older", "Old")}}
    view, made = adopt(record, [Contract("Plain", formerly=("Older", "Old"))], {}, creations=None)
    assert made == [Rename("Old", "Plain", same_code=False)]
    assert view is not None and set(view["contracts"]) == {"Older", "Plain"}
    assert view["contracts"]["Plain"] == {"name": "Plain", "contractType": "Plain", "proxy": None, "formerNames": ["Old"]}
    assert set(record["contracts"]) == {"Older", "Old"}  # the record itself is left as it is


def test_a_renamed_vyper_contract_is_the_compiled_code_but_for_its_trailer(compiled, tmp_path):
    """Vyper 0.4 closes a creation code with a CBOR trailer (a hash of its sources, its sizes, its version) and the
    trailer's length in two bytes: a splitter made under a former name differs there alone, and is adopted as the
    compiled code (it used to be reported as changed: only solc's metadata was known)."""
    splitter = compiled["RevenueSplitter"]
    length = int.from_bytes(splitter.bytecode[-2:], "big")
    code, trailer = splitter.bytecode[:-length], splitter.bytecode[-length:]
    assert trailer.startswith(b"\x85\x58\x20")  # an array of five, its integrity hash (32 bytes) first
    former = code + trailer[:3] + keccak(text="FormerSplitter") + trailer[35:]
    argument = bytes(12) + bytes.fromhex("11" * 20)
    assert former != splitter.bytecode and without_metadata(former) == without_metadata(splitter.bytecode)
    assert same_but_metadata(former + argument, splitter.bytecode)
    assert same_creation(former + argument, splitter.bytecode + argument)
    other_code = code[:-1] + bytes([code[-1] ^ 1]) + trailer
    assert not same_but_metadata(other_code + argument, splitter.bytecode)

    recorded: Any = {
        "name": "FormerSplitter",
        "contractType": "FormerSplitter",
        "proxy": None,
        "transactionHash": "0x" + "ab" * 32,
    }
    node = SimpleNamespace(transaction=lambda tx_hash: SimpleNamespace(data=former + argument))
    view, made = adopt(
        {"contracts": {"FormerSplitter": recorded}},
        [Contract("RevenueSplitter", formerly=("FormerSplitter",))],
        compiled,
        Creations(node, tmp_path),  # type: ignore[arg-type]
    )
    assert made == [Rename("FormerSplitter", "RevenueSplitter", same_code=True)]
    assert view is not None and view["contracts"]["RevenueSplitter"]["bytecodeHash"] == splitter.bytecode_hash
