"""tools/slither_check.py's matching of findings to triage entries (Slither itself runs in `make lint`)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("slither_check", ROOT / "tools" / "slither_check.py")
assert spec and spec.loader
slither_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(slither_check)


def element(kind, name, parent=None):
    return {"type": kind, "name": name, "type_specific_fields": {"parent": parent} if parent else {}}


def test_places_ignore_lines_and_name_the_contract():
    contract = element("contract", "NILVault")
    function = element("function", "fund", contract)
    statement = element("node", "token.safeTransferFrom(brand,address(this),amount)", function)
    local = element("variable", "modules", element("function", "addModule", element("contract", "ModularCompliance")))
    assert slither_check.where({"elements": [statement]}) == "NILVault.fund"
    assert slither_check.where({"elements": [function]}) == "NILVault.fund"
    assert slither_check.where({"elements": [contract]}) == "NILVault"
    assert slither_check.where({"elements": [local]}) == "ModularCompliance.addModule.modules"


def test_every_triage_entry_has_a_reason():
    triage = json.loads((ROOT / "slither.triage.json").read_text())
    assert all(len(reason) > 40 for reason in triage["excluded_detectors"].values())
    assert all(set(entry) == {"check", "where", "reason"} and len(entry["reason"]) > 40 for entry in triage["findings"])
    keys = [(entry["check"], entry["where"]) for entry in triage["findings"]]
    assert len(keys) == len(set(keys))


def test_the_analysed_sources_leave_out_test_helpers_and_third_party_code():
    files = slither_check.sources()
    assert "contracts/compliance/ComplianceRegistry.sol" in files and "contracts/nil/NILVault.sol" in files
    assert not any(f.startswith(("contracts/test/", "contracts/external/")) for f in files)
