"""A deployment made before the payments hub redesign (the hub unproxied, from other code; the vaults'
beacon on a NILVault that did not name it): `rwa deploy` and `rwa upgrade NILVaultBeacon` refuse
in one line naming what to do, and send nothing. The old hub cannot be upgraded in place and the new
vault code calls functions it lacks, so only a new suite holds both. (Such a deployment records the hub as
NILMemberships: tests/deploy/test_renamed_entry.py refuses one whose code differs, as here.)
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rwa.admin import upgrades
from rwa.chain.client import Chain
from rwa.core.errors import DriftError
from rwa.core.project import ProjectPaths
from rwa.deploy.engine import DeployOptions, apply_deployment
from rwa.deploy.target import Target

OLDER = "0x" + "11" * 32  # the bytecode hash of code compiled before the redesign


def test_a_deployment_from_before_the_payments_hub_is_refused_whole(
    suite_manifest, project_paths, compiled, accounts, tmp_path, chain
):
    entries = suite_manifest.contracts
    manifest = replace(suite_manifest, contracts=entries[: [e.name for e in entries].index("NILVaultBeacon") + 1])
    target = Target(
        ProjectPaths(project_paths.root, deployments_override=tmp_path),
        manifest,
        manifest.network("local"),
        Chain.active(),
        accounts[0],
        compiled,
    )
    apply_deployment(target, options=DeployOptions(fresh=True))  # the session's deployer has sent the suite already

    path = target.store.path("local")
    record = json.loads(path.read_text())
    contracts = record["contracts"]
    for name in ("FanPayments", "NILVaultBeacon"):
        contracts[name]["bytecodeHash"] = OLDER
    # Made from other code: their creating transactions (the deal NFT's, the vault factory's here) say so.
    contracts["FanPayments"]["transactionHash"] = contracts["ContractNFT"]["transactionHash"]
    contracts["NILVaultBeacon"]["proxy"]["implementationTransactionHash"] = contracts["NILVaultFactory"]["transactionHash"]
    path.write_text(json.dumps(record))
    nonce = accounts[0].nonce

    with pytest.raises(DriftError) as refused:
        apply_deployment(target)
    assert "first: FanPayments: compiled FanPayments changed since it was deployed" in str(refused.value)
    assert "(other contracts name it: deploy the suite anew)" in str(refused.value)
    assert "`rwa node reset` starts over" in str(refused.value) and "\n" not in str(refused.value)

    assert upgrades.check(target, "NILVaultBeacon").problems == [
        "its new NILVault names FanPayments, deployed from older code and not upgradable: "
        "deploy the suite anew (`rwa node reset`, then `rwa deploy`)"
    ]
    with pytest.raises(upgrades.UpgradeRefused, match="upgrade of NILVaultBeacon refused: 1 problem"):
        upgrades.apply(target, "NILVaultBeacon", None, lambda *_: None)
    assert accounts[0].nonce == nonce

    # The refusal is the hub's: with the hub current, the vaults' beacon upgrades as any other.
    record["contracts"]["FanPayments"]["bytecodeHash"] = compiled["FanPayments"].bytecode_hash
    path.write_text(json.dumps(record))
    plan = upgrades.check(target, "NILVaultBeacon")
    assert plan.problems == [] and not plan.up_to_date
