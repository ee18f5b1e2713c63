"""Batched reads: Chain.call_many through Multicall3 (or JSON-RPC batched eth_call without it), and
the Multicall3 the engine places on local chains."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rwa.admin import control
from rwa.chain.client import MULTICALL3, MULTICALL3_TYPE, Chain, Read
from rwa.core.abi import role_id
from rwa.core.errors import RwaError
from rwa.deploy.engine import plan_deployment, ready_local_chain


def _reads(suite, attestor, deployer):
    contracts = suite["contracts"]
    registry, nft, safe = contracts["ComplianceRegistry"], contracts["ContractNFT"], contracts["Safe"]
    beacon = contracts["NILVaultBeacon"]
    return [
        Read(registry["address"], registry["abi"], "hasRole", (role_id("ATTESTOR_ROLE"), attestor.address)),
        Read(registry["address"], registry["abi"], "hasRole", (role_id("DEFAULT_ADMIN_ROLE"), deployer.address)),
        Read(nft["address"], nft["abi"], "ownerOf", (999,)),  # no such token: reverts with a custom error
        Read(safe["address"], safe["abi"], "getOwners"),
        Read(safe["address"], safe["abi"], "getThreshold"),
        Read(beacon["address"], beacon["abi"], "owner"),
        Read(deployer.address, beacon["abi"], "owner"),  # no code there: returns nothing
    ]


def _check_batch(chain: Chain, reads: list[Read]) -> None:
    results = chain.call_many(reads)
    assert [r.ok for r in results] == [True, True, False, True, True, True, False]
    for read, result in zip(reads, results):
        assert result.read is read
        if result.ok:  # the same values (types included) as one call at a time
            assert result.value == chain.call(read.address, read.abi, read.function, list(read.args))
            assert type(result.value) is type(chain.call(read.address, read.abi, read.function, list(read.args)))
    assert results[0].value is True and results[1].value is False
    assert "ERC721NonexistentToken(999)" in results[2].error
    with pytest.raises(RwaError, match=r"view ownerOf on 0x[0-9a-fA-F]{40} failed: .*ERC721NonexistentToken\(999\)"):
        results[2].unwrap()
    assert "no data" in results[6].error


def test_call_many_through_multicall3_keeps_each_failure_apart(deploy_target, suite, attestor, deployer):
    chain = Chain(deploy_target.chain.provider)
    assert chain.has_multicall  # the session deploy placed it
    _check_batch(chain, _reads(suite, attestor, deployer))


def _without_multicall3(chain: Chain) -> None:
    chain.rpc_batch([("anvil_setCode", [MULTICALL3, "0x"])])


def test_call_many_falls_back_to_single_calls_without_multicall3(deploy_target, suite, attestor, deployer):
    _without_multicall3(deploy_target.chain)
    try:
        chain = Chain(deploy_target.chain.provider)
        assert not chain.has_multicall
        sent: list[str] = []
        batch = chain.rpc_batch

        def counting(requests):
            sent.extend(params[0]["to"] for method, params in requests if method == "eth_call")
            return batch(requests)

        chain.rpc_batch = counting  # type: ignore[method-assign]
        reads = _reads(suite, attestor, deployer)
        _check_batch(chain, reads)
        assert MULTICALL3 not in sent
    finally:
        ready_local_chain(deploy_target)


def test_powers_are_read_in_one_aggregate3(deploy_target, suite, accounts):
    chain = Chain(deploy_target.chain.provider)
    calls: list[str] = []
    batch = chain.rpc_batch

    def counting(requests):
        calls.extend(params[0]["to"] for method, params in requests if method == "eth_call")
        return batch(requests)

    chain.rpc_batch = counting  # type: ignore[method-assign]
    candidates = {*(e["address"] for e in suite["contracts"].values()), *(a.address for a in accounts[:8])}
    found = control.powers(chain, suite, candidates)
    one_by_one = control.powers(Chain(deploy_target.chain.provider), suite, candidates)
    assert found == one_by_one and found
    assert calls == [MULTICALL3] * len(calls) and 1 <= len(calls) <= 3  # hundreds of views, a few eth_call


def test_engine_places_multicall3_on_local_chains_only(deploy_target):
    runtime = deploy_target.artifacts[MULTICALL3_TYPE].runtime
    assert runtime and deploy_target.chain.code(MULTICALL3) == runtime
    _without_multicall3(deploy_target.chain)
    try:
        live = replace(deploy_target, network=replace(deploy_target.network, local=False))
        ready_local_chain(live)
        assert deploy_target.chain.code(MULTICALL3) == b""
        ready_local_chain(deploy_target)
        ready_local_chain(deploy_target)  # idempotent
        assert deploy_target.chain.code(MULTICALL3) == runtime
        assert deploy_target.chain.has_multicall
    finally:
        ready_local_chain(deploy_target)


def test_plan_is_the_same_with_and_without_multicall3(deploy_target, suite, registry, admin, attestor):
    registry.revokeRole(registry.ATTESTOR_ROLE(), attestor, sender=admin)
    batched, _ = plan_deployment(deploy_target)
    _without_multicall3(deploy_target.chain)
    try:
        single = replace(deploy_target, chain=Chain(deploy_target.chain.provider))
        assert not single.chain.has_multicall
        unbatched, _ = plan_deployment(single)
    finally:
        ready_local_chain(deploy_target)
    assert batched.steps == unbatched.steps
    assert [s.action for s in batched.steps if s.action != "skip"] == ["call"]
