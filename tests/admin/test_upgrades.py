"""Upgrade safety: each unsafe variant of the fixture is refused for the right reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from rwa.chain.layouts import Layout, compare, extract, solc_output
from rwa.core.project import SOLC_VERSION

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "bench/upgrades/Variants.sol"


@pytest.fixture(scope="module")
def variants():
    return solc_output(ROOT, ROOT / ".rwa" / "solc" / f"solc-v{SOLC_VERSION}", SOURCE)


@pytest.fixture(scope="module")
def v1(variants):
    return extract(variants, SOURCE, "VaultV1")


def test_v1_layout_has_storage_and_namespaces(v1):
    assert [v.label for v in v1.storage] == ["total", "owner", "balances", "__gap"]
    assert [v.label for v in v1.namespaces["rwa.fixture.Vault"]] == ["deposits", "token"]
    assert "openzeppelin.storage.Initializable" in v1.namespaces
    assert v1.unsafe == ()


@pytest.mark.parametrize(
    "name, reason",
    [
        ("UnsafeInsert", "`fee` inserted before `total`"),
        ("UnsafeRemove", "`owner` was removed"),
        ("UnsafeReorder", "`owner` inserted before `total`"),
        ("UnsafeRetype", "`total` changed type from uint256 to uint128"),
        ("UnsafeRename", "`total` was renamed to `sum` without @custom:oz-renamed-from total"),
        ("UnsafeImmutable", "UnsafeImmutable.cap: immutable variable"),
        ("UnsafeSelfdestruct", "UnsafeSelfdestruct.close: selfdestruct"),
        ("UnsafeDelegatecall", "UnsafeDelegatecall.run: delegatecall"),
        ("UnsafeConstructorState", "constructor sets state"),
        ("UnsafeGapNotShrunk", "gap `__gap` went from 47 to 47 slots but 1 slot(s) were added"),
        ("UnsafeNamespaceChanged", "namespace erc7201:rwa.fixture.Vault: gone"),
        ("UnsafeNamespaceReorder", "namespace erc7201:rwa.fixture.Vault: `token` inserted before `deposits`"),
    ],
)
def test_unsafe_upgrade_is_refused_naming_variable_and_rule(variants, v1, name, reason):
    problems = compare(v1, extract(variants, SOURCE, name))
    assert any(reason in p for p in problems), problems


@pytest.mark.parametrize(
    "name", ["SafeAppendBeforeGap", "SafeRenameAnnotated", "SafeRetypeAnnotated", "SafeNamespaceAppend", "SafeNewFunction"]
)
def test_safe_upgrade_is_accepted(variants, v1, name):
    assert compare(v1, extract(variants, SOURCE, name)) == []


def test_layout_round_trips_through_the_deployments_json(v1):
    assert Layout.from_json(v1.as_json()).storage == v1.storage
    assert Layout.from_json(v1.as_json()).namespaces == v1.namespaces
