"""The rehearsal's live flow on Hardhat's node (EDR), as test_rehearsal.py runs it on anvil: `rwa`
processes against a chain that presents itself as Sepolia (chain id 11155111, one-second blocks,
tests/support/rehearsal.py). The whole manifest deploys, a Safe proposal is signed, and a `rwa safe execute`
killed while its `execTransaction` waits in the node's pool is rerun: the rerun waits for the
transaction already sent and reports it executed, and nothing is sent a second time (Hardhat's node
answers a resent transaction "Known transaction: 0x…", anvil "already known": neither is parsed)."""

from __future__ import annotations

import pytest
from livelike import base_port
from rehearsal import NETWORK, rehearsal

pytestmark = pytest.mark.slow  # `rwa` processes against a live-like chain


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    with rehearsal(base_port(), tmp_path_factory.mktemp("sepolia-hardhat"), kind="hardhat") as found:
        yield found


def test_deploy_propose_and_a_killed_execute_rerun_on_hardhat(staged):
    staged.rwa("deploy", "--network", NETWORK, "--account", "ops", "--yes")
    record = staged.record()
    assert int(staged.chain.rpc("eth_chainId"), 16) == record["chainId"] == 11155111
    call = f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {staged.people['guardian']})"
    proposal = staged.propose_and_sign(call, "second attestor")
    executor = staged.address("owner1")
    before = staged.chain.mined_nonce(executor)
    results = staged.execute_killed_then_rerun(proposal)
    assert results[0]["status"] == "executed", results[0]
    assert staged.chain.mined_nonce(executor) == before + 1  # one execTransaction: none sent a second time
