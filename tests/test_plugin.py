"""The pytest plugin itself: its fixtures name the suite's contracts, and its ports follow TEST_PORT."""

from __future__ import annotations

import json
import os

import pytest

from rwa.core.errors import RwaError
from rwa.testing import environment


def test_the_safes_vault_and_property_fixtures_are_the_suites(suite, safe, guardian_safe, demo_vault, demo_property, timelock):
    assert safe.address == suite["contracts"]["Safe"]["address"] and safe.getThreshold() == 2
    assert guardian_safe.address == suite["contracts"]["GuardianSafe"]["address"] and guardian_safe.getThreshold() == 1
    assert demo_vault.address == suite["contracts"]["DemoVault"]["address"]
    assert demo_property.symbol() == "DEMO1"
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), safe.address)


def test_the_session_chain_listens_on_test_port(chain):
    assert os.environ["APE_FOUNDRY_HOST"] == environment.rpc_url(environment.test_port())
    assert chain.provider.uri.rstrip("/").endswith(f":{environment.test_port()}")


def test_private_chains_take_the_ports_above_test_port_in_turn(monkeypatch):
    monkeypatch.setenv("TEST_PORT", "9000")
    ports = [environment.private_port(i) for i in range(environment.PRIVATE_CHAINS + 1)]
    assert ports[:3] == [9001, 9002, 9003] and ports[-1] == 9001
    assert max(ports) == 9000 + environment.PRIVATE_CHAINS
    assert environment.live_like_port() == 9009 and 9009 not in ports
    monkeypatch.setenv("TEST_PORT", "80")
    with pytest.raises(RwaError, match="out of range"):
        environment.test_port()
    monkeypatch.setenv("TEST_PORT", "x")
    with pytest.raises(RwaError, match="not a port number"):
        environment.test_port()


def test_the_test_process_skips_fsync_and_rwa_keeps_it(tmp_path, monkeypatch):
    from rwa.core import atomic

    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    atomic.write_json(tmp_path / "record.json", {"a": 1})
    assert synced == [] and json.loads((tmp_path / "record.json").read_text()) == {"a": 1}
    atomic.sync.original(7)  # type: ignore[attr-defined]  # what `rwa` runs: os.fsync
    assert synced == [7]


# A revert takes Ape's memory of the contracts it undid with it: the two tests below use the same
# CREATE address (the deployer's next), the first through its isolation, the second after its revert.
def test_a_contract_deployed_in_one_test(project, deployer):
    stablecoin = deployer.deploy(project.MockStablecoin)
    assert stablecoin.contract_type.name == "MockStablecoin" and stablecoin.decimals() == 6


def test_is_forgotten_when_its_test_is_reverted(project, deployer, chain):
    address = deployer.get_deployment_address()
    assert not chain.provider.get_code(address)
    chain.provider.set_code(address, project.Multicall3.contract_type.runtime_bytecode.bytecode)
    multicall = project.Multicall3.at(address)
    assert multicall.contract_type.name == "Multicall3" and multicall.getEthBalance(deployer) == deployer.balance


def test_restoring_a_snapshot_restores_what_ape_knew_of_the_contracts(project, deployer, chain, registry):
    address = deployer.get_deployment_address()
    snapshot = chain.snapshot()
    assert deployer.deploy(project.MockStablecoin).address == address
    chain.restore(snapshot)
    chain.provider.set_code(address, project.Multicall3.contract_type.runtime_bytecode.bytecode)
    assert project.Multicall3.at(address).contract_type.name == "Multicall3"
    # What was known before the snapshot stays known.
    assert chain.contracts.get(registry.address).name == registry.contract_type.name
