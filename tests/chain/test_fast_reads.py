"""Fast reads: Chain.call_many through Multicall3 (or JSON-RPC batched eth_call without it), the
Multicall3 the engine places on local chains, and artifacts read from Ape's last compile."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from eth_utils import to_checksum_address

from rwa.admin import control
from rwa.chain import artifacts
from rwa.chain.client import Chain, Read, connect_reader
from rwa.core.abi import role_id
from rwa.core.errors import RwaError
from rwa.core.evm import MULTICALL3, MULTICALL3_TYPE
from rwa.core.project import ProjectPaths
from rwa.deploy.engine import plan_deployment, ready_local_chain
from rwa.testing import environment


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


def _web3_view(web3: Any, read: Read) -> Any:
    """What web3's own contract call returns for ``read``: the values Chain's decoding must match."""
    contract = web3.eth.contract(address=to_checksum_address(read.address), abi=read.abi)
    return contract.get_function_by_name(read.function)(*read.args).call()


def _check_batch(chain: Chain, reads: list[Read], web3: Any) -> None:
    results = chain.call_many(reads)
    assert [r.ok for r in results] == [True, True, False, True, True, True, False]
    for read, result in zip(reads, results):
        assert result.read is read
        if result.ok:  # the same values (types included) as one call at a time, and as web3 decodes them
            one = chain.call(read.address, read.abi, read.function, list(read.args))
            assert result.value == one == _web3_view(web3, read)
            assert type(result.value) is type(one) is type(_web3_view(web3, read))
    assert results[0].value is True and results[1].value is False
    assert "ERC721NonexistentToken(999)" in results[2].error
    with pytest.raises(RwaError, match=r"view ownerOf on 0x[0-9a-fA-F]{40} failed: .*ERC721NonexistentToken\(999\)"):
        results[2].unwrap()
    assert "no data" in results[6].error


def test_call_many_through_multicall3_keeps_each_failure_apart(deploy_target, suite, attestor, deployer):
    chain = Chain(deploy_target.chain.provider)
    assert chain.has_multicall  # the session deploy placed it
    _check_batch(chain, _reads(suite, attestor, deployer), deploy_target.chain.web3)


def _eth_call_targets(chain: Chain) -> list[str]:
    """The addresses ``chain``'s eth_calls go to from now on, in order (a list that fills as it reads)."""
    targets: list[str] = []
    batch = chain.rpc_batch

    def counting(requests):
        targets.extend(params[0]["to"] for method, params in requests if method == "eth_call")
        return batch(requests)

    chain.rpc_batch = counting  # type: ignore[method-assign]
    return targets


def _without_multicall3(chain: Chain) -> None:
    chain.rpc_batch([("anvil_setCode", [MULTICALL3, "0x"])])


def test_call_many_falls_back_to_single_calls_without_multicall3(deploy_target, suite, attestor, deployer):
    _without_multicall3(deploy_target.chain)
    try:
        chain = Chain(deploy_target.chain.provider)
        assert not chain.has_multicall
        sent = _eth_call_targets(chain)
        reads = _reads(suite, attestor, deployer)
        _check_batch(chain, reads, deploy_target.chain.web3)
        assert MULTICALL3 not in sent
    finally:
        ready_local_chain(deploy_target)


def test_a_view_call_is_one_eth_call_and_reads_what_web3_reads(deploy_target, suite, attestor):
    """Not through web3's contract, whose middleware asked the node its chain id on every view."""
    chain = Chain(deploy_target.chain.provider)
    asked: list[str] = []
    request = chain.rpc.make_request

    def counting(method: str, params: Any) -> Any:
        asked.append(method)
        return request(method, params)

    chain.rpc = SimpleNamespace(make_request=counting)
    registry, safe, timelock = (suite["contracts"][n] for n in ("ComplianceRegistry", "Safe", "Timelock"))
    operation = bytes(range(32))
    views = [
        Read(registry["address"], registry["abi"], "hasRole", (role_id("ATTESTOR_ROLE"), attestor.address)),
        Read(safe["address"], safe["abi"], "getOwners"),
        Read(
            safe["address"],
            safe["abi"],
            "getTransactionHash",
            (safe["address"], 1, b"\x01", 0, 0, 0, 0, MULTICALL3, MULTICALL3, 5),
        ),
        Read(timelock["address"], timelock["abi"], "getOperationState", (operation,)),
    ]
    for view in views:
        asked.clear()
        value = chain.call(view.address, view.abi, view.function, list(view.args))
        assert asked == ["eth_call"]
        expected = _web3_view(deploy_target.chain.web3, view)
        assert value == expected and type(value) is type(expected)
    with pytest.raises(RwaError, match=r"^view getOwners on 0x[0-9a-fA-F]{40} failed: returned no data"):
        chain.call(attestor.address, safe["abi"], "getOwners", [])


def test_powers_are_read_in_one_aggregate3(deploy_target, suite, accounts):
    chain = Chain(deploy_target.chain.provider)
    calls = _eth_call_targets(chain)
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


def _project_copy(root: Path, tmp_path: Path) -> ProjectPaths:
    """The files that decide whether Ape's last compile is still the project's, copied."""
    shutil.copytree(root / "contracts", tmp_path / "contracts", ignore=shutil.ignore_patterns(".cache"))
    shutil.copy2(root / "ape-config.yaml", tmp_path / "ape-config.yaml")
    (tmp_path / ".build").mkdir()
    shutil.copy2(root / artifacts.BUILD_MANIFEST, tmp_path / artifacts.BUILD_MANIFEST)
    return ProjectPaths(tmp_path)


def test_unchanged_project_reads_the_last_compile_as_ape_would_give_it(project_paths, compiled):
    built = artifacts._built(project_paths)
    assert built is not None
    assert {**built, **artifacts.safe_artifacts()} == compiled  # equal to Ape's compile: tests/cli/test_terminal.py
    assert built[MULTICALL3_TYPE].runtime and built[MULTICALL3_TYPE].abi


@pytest.mark.parametrize("change", ["edit", "add", "remove", "config"])
def test_changed_project_is_compiled_by_ape(project_paths, tmp_path, change):
    paths = _project_copy(project_paths.root, tmp_path / "project")
    assert artifacts._built(paths) is not None
    source = paths.root / "contracts" / "external" / "Multicall3.sol"
    if change == "edit":
        source.write_text(source.read_text() + "\n// changed\n")
    elif change == "add":
        (paths.root / "contracts" / "external" / "Extra.sol").write_text("// SPDX-License-Identifier: MIT\n")
    elif change == "remove":
        source.unlink()
    else:
        config = paths.root / "ape-config.yaml"
        os.utime(config, (time.time() + 10, time.time() + 10))
    assert artifacts._built(paths) is None


def test_multicall_codec_matches_eth_abi():
    from eth_abi import decode, encode

    from rwa.core.abi import AGGREGATE3_SELECTOR, decode_aggregate3, encode_aggregate3

    calls = [
        ("0x" + "11" * 20, True, b""),
        ("0xcA11bde05977b3631167028862bE2a173976CA11", False, bytes(range(4))),
        ("0x" + "ab" * 20, True, bytes(range(36))),
        ("0x" + "cd" * 20, True, bytes(range(33))),
    ]
    assert encode_aggregate3(calls) == AGGREGATE3_SELECTOR + encode(["(address,bool,bytes)[]"], [calls])
    assert encode_aggregate3([]) == AGGREGATE3_SELECTOR + encode(["(address,bool,bytes)[]"], [[]])
    results = [(True, b""), (False, bytes(range(68))), (True, bytes(32))]
    assert decode_aggregate3(encode(["(bool,bytes)[]"], [results])) == results
    for odd in (b"", bytes(31), encode(["(bool,bytes)[]"], [results])[:-40]):
        with pytest.raises(ValueError):
            decode_aggregate3(odd)
    assert decode(["(bool,bytes)[]"], encode(["(bool,bytes)[]"], [results]))[0] == tuple(results)


@pytest.mark.parametrize(
    "types, args",
    [
        (["bytes32", "address"], [role_id("MINTER_ROLE"), "0xcA11bde05977b3631167028862bE2a173976CA11"]),
        (["uint256", "bool", "uint8"], [2**256 - 1, True, 255]),
        (["uint256"], [0]),
    ],
)
def test_one_word_arguments_encode_as_eth_abi_does(types, args):
    from eth_abi import decode, encode

    from rwa.core.abi import decode_word, encode_args

    encoded = encode_args(types, args)
    assert encoded == encode(types, args)
    for index, kind in enumerate(types):
        done, value = decode_word(kind, encoded[32 * index : 32 * index + 32])
        expected = decode([kind], encoded[32 * index : 32 * index + 32])[0]
        assert done and value == (to_checksum_address(expected) if kind == "address" else expected)
    assert decode_word("bool", (2).to_bytes(32, "big")) == (False, None)  # not a bool: eth_abi decides
    assert decode_word("address", bytes(32)) == (True, "0x0000000000000000000000000000000000000000")


def test_reader_reads_what_the_ape_connection_reads_and_cannot_sign(deploy_target, suite, attestor, deployer):
    with connect_reader(deploy_target.chain.provider.uri) as reader:
        assert reader.provider is None
        assert (reader.chain_id, reader.genesis_hash) == (deploy_target.chain.chain_id, deploy_target.chain.genesis_hash)
        _check_batch(reader, _reads(suite, attestor, deployer), deploy_target.chain.web3)
        read_plan, read_record = plan_deployment(replace(deploy_target, chain=reader))
        plan, record = plan_deployment(deploy_target)
        assert read_plan.steps == plan.steps and read_record == record
        with pytest.raises(RwaError, match="only reads"):
            reader.sign(deployer, None, b"", 0)
        registry = suite["contracts"]["ComplianceRegistry"]
        ape = deploy_target.chain
        assert reader.web3 is None  # no web3 built: the reader is plain JSON-RPC
        assert reader.call(registry["address"], registry["abi"], "hasRole", [role_id("ATTESTOR_ROLE"), attestor.address])
        assert reader.code(registry["address"]) == ape.code(registry["address"])
        head = reader.head()
        assert (reader.block_number, reader.timestamp(head)) == (head, ape.timestamp(head))
        assert reader.logs([registry["address"]], 0, head) == ape.logs([registry["address"]], 0, head)


def test_the_reader_asks_again_when_a_connection_drops():
    """As web3's HTTP provider does: `rwa watch` reads through proxies and nodes that drop connections."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from rwa.chain.client import JsonRpc

    asked = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(body)
            if len(asked) < 3:
                self.close_connection = True  # dropped without an answer, twice
                return
            reply = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": "0x7a69"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    environment.server_thread(server).start()
    try:
        assert Chain(None, JsonRpc(f"http://127.0.0.1:{server.server_port}")).chain_id == 31337
        assert len(asked) == 3
    finally:
        server.shutdown()


def test_returned_tuples_and_arrays_are_normalized_as_web3_does():
    from eth_abi import decode, encode
    from eth_abi.grammar import parse
    from web3._utils.abi import map_abi_data
    from web3._utils.normalizers import BASE_RETURN_NORMALIZERS

    from rwa.chain.client import _checksummed

    wallet = "0x" + "ab" * 20
    types = ["address[]", "(address,uint256)[]", "(address,(address[],bytes32))", "uint256[2]", "address"]
    values = list(decode(types, encode(types, [[wallet], [(wallet, 1)], (wallet, ([wallet], b"\x01" * 32)), [1, 2], wallet])))
    ours = [_checksummed(parse(t), v) for t, v in zip(types, values)]
    theirs = list(map_abi_data(BASE_RETURN_NORMALIZERS, types, values))
    assert ours == theirs and [type(v) for v in ours] == [type(v) for v in theirs]


def test_test_accounts_are_named_without_ape_unless_configured(tmp_path, monkeypatch):
    from rwa.chain.accounts import _derived_address, _test_accounts_config, test_address
    from rwa.core import devkeys

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ape-config.yaml").write_text("name: x\n")
    assert _test_accounts_config() == (devkeys.MNEMONIC, devkeys.HD_PATH)
    assert [_derived_address(i) for i in range(20)] == list(devkeys.DEVELOPMENT_ADDRESSES)
    assert test_address(3) == devkeys.DEVELOPMENT_ADDRESSES[3]
    import ape

    configured = SimpleNamespace(mnemonic="other words", hd_path="m/44'/60'/1'/0")
    monkeypatch.setattr(ape, "accounts", SimpleNamespace(test_accounts=configured))
    (tmp_path / "ape-config.yaml").write_text("name: x\ntest:\n  mnemonic: other words\n")
    assert _test_accounts_config() == ("other words", "m/44'/60'/1'/0")  # configured: as Ape reads it


def test_the_blocks_an_account_sent_in_are_found_by_bisecting_its_nonce(deploy_target, suite_transactions):
    """--adopt and resume find the deployer's transactions by bisection: the same blocks a full
    read finds, in far fewer reads, and only the wanted nonces' blocks when some are asked."""
    chain = deploy_target.chain
    deployer = deploy_target.account.address
    head = chain.block_number
    every_block = [
        n
        for n in range(head + 1)
        if any(tx["from"] == deployer for tx in chain.web3.eth.get_block(n, full_transactions=True)["transactions"])
    ]
    assert chain.blocks_sending(deployer, 0, head) == every_block
    sent = chain.sent_by(deployer, 0)
    assert [tx.nonce for tx in sent][:suite_transactions] == list(range(suite_transactions))
    third = chain.sent_by(deployer, 0, {2})
    assert [tx.hash for tx in third] == [sent[2].hash]
    assert chain.blocks_sending(deployer, every_block[-1] + 1, head) == []
