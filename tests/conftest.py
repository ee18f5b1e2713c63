"""Project fixtures: the suite is deployed through the same manifest and engine as `rwa deploy`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rwa import artifacts, manifest
from rwa.chain import Chain
from rwa.engine import Target, apply_deployment
from rwa.project import ProjectPaths

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_paths(tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    return ProjectPaths(ROOT, deployments_override=tmp_path_factory.mktemp("deployments"))


@pytest.fixture(scope="session")
def suite_manifest() -> manifest.Manifest:
    return manifest.load(ROOT / "deployments" / "manifest.py")


@pytest.fixture(scope="session", autouse=True)
def compiled(project_paths: ProjectPaths) -> dict[str, artifacts.Artifact]:
    """Compile in this process before any test starts an `rwa` process that would compile too:
    Ape's in-memory project does not see artifacts that another process wrote after it loaded."""
    return artifacts.load(project_paths)


@pytest.fixture(scope="session")
def deploy_target(project_paths, suite_manifest, compiled, accounts, networks) -> Target:
    return Target(
        project_paths, suite_manifest, suite_manifest.network("local"), Chain.active(), accounts[0], compiled
    )


@pytest.fixture(scope="session")
def suite(deploy_target: Target) -> dict[str, Any]:
    """The whole manifest, deployed once per session on the test chain (tests revert to it)."""
    _, record = apply_deployment(deploy_target)
    return record


def _at(project, suite: dict[str, Any], name: str):
    entry = suite["contracts"][name]
    return getattr(project, entry["contractType"]).at(entry["address"])


@pytest.fixture(scope="session")
def registry(project, suite):
    return _at(project, suite, "ComplianceRegistry")


@pytest.fixture(scope="session")
def timelock(project, suite):
    return _at(project, suite, "Timelock")


@pytest.fixture(scope="session")
def stablecoin(project, suite):
    return _at(project, suite, "MockStablecoin")


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def attestor(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def sanctions_officer(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def outsider(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def admin(accounts, timelock):
    """The timelock, impersonated: what it may do once a proposal has waited out its delay."""
    account = accounts[timelock.address]
    account.balance += 10**18
    return account


@pytest.fixture(scope="session", autouse=True)
def _session_actors(suite, admin, deployer, attestor, sanctions_officer, outsider):
    """Create the session's fixtures before any test's isolation starts (Ape snapshots them once)."""
