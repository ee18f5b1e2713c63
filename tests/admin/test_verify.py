"""`rwa verify` and `rwa deploy --verify` against a loopback Etherscan (rwa.testing.explorer), which
checks each submission against the project and the chain as the real explorer does."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import jsonschema
import pytest
from eth_abi import encode

from rwa.admin.verify import items_of
from rwa.chain.client import rpc_request
from rwa.testing import environment
from rwa.testing.explorer import FakeExplorer

KEY = "test-key"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "deployments" / "deployments.schema.json").read_text())


@pytest.fixture
def explorer(project_paths: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from rwa.admin import verify

    # The loopback explorer answers at once: the polls of a verdict come as they would, with shorter pauses.
    monkeypatch.setattr(verify, "POLL_FIRST", 0.01)
    with FakeExplorer(environment.rpc_url(environment.test_port()), project_paths.root, key=KEY) as fake:
        yield fake


def _env(explorer: FakeExplorer) -> dict[str, str]:
    return {"RWA_EXPLORER_URL": explorer.url, "ETHERSCAN_API_KEY": KEY}


def _record(rwa: Any) -> dict[str, Any]:
    return json.loads((Path(rwa.deployments) / "local.json").read_text())


# A second suite deployed and every contract published: the tests below keep `rwa verify` in `make test-fast`.
@pytest.mark.slow
def test_deploy_verify_publishes_every_contract_and_a_second_run_skips_them(rwa, explorer, suite):
    split = rwa.json("split", "create", "--payee", f"0x{'a1' * 20}:5000", "--payee", f"0x{'b2' * 20}:5000")["split"]
    out = rwa.run("deploy", "--verify", env=_env(explorer)).stdout
    assert "local is up to date: nothing sent" in out
    record = _record(rwa)
    jsonschema.validate(record, SCHEMA)  # the outcomes as deployments.schema.json describes them
    items = items_of(record)
    sources = [i for i in items if i.contract_type and not i.unsupported]
    proxies = [i for i in items if i.proxy]
    # Implementations, proxies, beacons, factories, the Vyper splitter, the demo property's proxy.
    assert {i.label for i in sources} >= {
        "ComplianceRegistry",
        "ComplianceRegistry implementation",
        "PropertyTokenBeacon",
        "PropertyTokenBeacon implementation",
        "PropertyTokenFactory",
        "RevenueSplitter",
        "SplitterFactory",
        "Timelock",
        "DemoProperty",
    }
    assert {i.address.lower() for i in sources} == set(explorer.verified)
    assert len(explorer.submissions()) == len(sources)
    # Every proxy is linked to the implementation it runs (the demo property through its beacon).
    beacon = record["contracts"]["PropertyTokenBeacon"]
    assert explorer.proxies[record["contracts"]["DemoProperty"]["address"].lower()] == beacon["proxy"]["implementation"]
    clones = [i for i in items if i.clone]
    assert {p.address.lower() for p in proxies + clones} == set(explorer.proxies)
    # A split `rwa split create` made is recorded, and linked as the EIP-1167 clone it is.
    assert [c.label for c in clones if c.address == split] == [f"{split}.split"]
    assert explorer.proxies[split.lower()] == suite["contracts"]["RevenueSplitter"]["address"]
    for item in items:
        holder = record
        for key in item.path:
            holder = holder[key]
        outcome = holder[item.key]
        assert outcome["status"] == ("unsupported" if item.unsupported else "verified"), item.label
        if item.contract_type and not item.unsupported:
            assert outcome["guid"] and outcome["at"].endswith("Z")
    assert record["contracts"]["Safe"]["verified"]["message"].startswith("Safe v1.4.1")
    assert record["contracts"]["DemoVault"]["verified"]["status"] == "verified"  # a PropertyBeaconProxy (issue 23)
    vault = record["contracts"]["DemoVault"]
    assert explorer.proxies[vault["address"].lower()] == vault["proxy"]["implementation"]
    assert "verified RevenueSplitter" in " ".join(out.split())
    assert f"{len(sources) + len(clones)} verified" in out

    # Vyper goes as vyper-json; Solidity as a standard-JSON input with the contract's imports only.
    splitter = next(s for s in explorer.submissions() if s["contractname"] == "RevenueSplitter")
    assert (splitter["codeformat"], splitter["compilerversion"]) == ("vyper-json", "vyper:0.4.3")
    proxy = next(s for s in explorer.submissions() if s["contractaddress"] == record["contracts"]["DemoProperty"]["address"])
    assert proxy["contractname"] == "contracts/proxy/PropertyBeaconProxy.sol:PropertyBeaconProxy"
    assert list(json.loads(proxy["sourceCode"])["sources"]) == ["contracts/proxy/PropertyBeaconProxy.sol"]
    assert proxy["constructorArguements"] == encode(["address"], [beacon["address"]]).hex()
    # The NILVaultPaymentsModule NILVault's constructor deployed goes with the arguments the constructor passed it.
    module = record["modules"]["NILVaultBeacon"]["contracts"]["paymentsModule"]
    assert "NILVaultBeacon.paymentsModule" in {i.label for i in sources}
    assert module["verified"]["status"] == "verified"
    submitted = next(s for s in explorer.submissions() if s["contractaddress"] == module["address"])
    assert submitted["contractname"] == "contracts/nil/NILVaultPaymentsModule.sol:NILVaultPaymentsModule"
    passed = record["contracts"]["NILVaultBeacon"]["args"]["constructor"]
    assert (
        submitted["constructorArguements"]
        == encode(["address", "address", "address"], [passed["registry_"], passed["factory_"], passed["hub_"]]).hex()
    )

    sent = len(explorer.requests)
    again = rwa.json("verify", env=_env(explorer))
    assert again["submissions"] == 0
    assert {c["status"] for c in again["contracts"]} == {"skipped", "unsupported"}
    assert len(explorer.requests) == sent  # recorded as verified: not even asked


def test_a_refused_source_is_one_line_and_recorded_as_failed(rwa, explorer, suite):
    timelock = suite["contracts"]["Timelock"]["address"]
    explorer.refuse.add(timelock.lower())
    result = rwa.run("verify", "Timelock", "MockStablecoin", expect=1, env=_env(explorer))
    failed = [line for line in result.stdout.splitlines() if line.split()[:1] == ["failed"]]
    assert len(failed) == 1
    assert "Timelock" in failed[0] and "source refused: Fail - Unable to verify" in failed[0]
    assert result.stderr.strip() == "error: 1 contract(s) not verified: Timelock"
    record = _record(rwa)
    assert record["contracts"]["Timelock"]["verified"]["status"] == "failed"
    assert "Fail - Unable to verify" in record["contracts"]["Timelock"]["verified"]["message"]
    assert record["contracts"]["MockStablecoin"]["verified"]["status"] == "verified"
    assert "verified" not in record["contracts"]["ContractNFT"]  # not named: not touched

    # Once the explorer accepts it, a rerun submits the failed one alone.
    explorer.refuse.clear()
    rwa.run("verify", "Timelock", "MockStablecoin", env=_env(explorer))
    sent = [s["contractaddress"] for s in explorer.submissions()]
    assert (sent.count(timelock), len(sent)) == (2, 3)  # the stablecoin's once, the timelock's twice
    record = _record(rwa)
    assert record["contracts"]["Timelock"]["verified"]["status"] == "verified"
    jsonschema.validate(record, SCHEMA)


def test_a_verdict_still_pending_is_recorded_and_collected_by_the_next_run(rwa, explorer, suite, monkeypatch):
    from rwa.admin import verify

    explorer.pending_polls = 1_000
    monkeypatch.setattr(verify, "WAIT_SECONDS", 0.0)
    out = rwa.run("verify", "Timelock", env=_env(explorer)).stdout
    assert "pending Timelock  still Pending in queue: run `rwa verify` again later" in " ".join(out.split(" "))
    recorded = _record(rwa)["contracts"]["Timelock"]["verified"]
    assert recorded["status"] == "pending" and recorded["guid"]

    explorer.pending_polls = 0
    monkeypatch.setattr(verify, "WAIT_SECONDS", 60.0)
    rwa.run("verify", "Timelock", env=_env(explorer))
    assert len(explorer.submissions()) == 1  # the receipt of the first run was polled, nothing sent again
    assert _record(rwa)["contracts"]["Timelock"]["verified"] == {"status": "verified", "guid": recorded["guid"], "at": ANY}


def test_the_stand_in_refuses_what_etherscan_would(rwa, explorer, suite, project_paths, project):
    """The loopback explorer is a real check: a wrong argument, source or setting fails."""
    from rwa.chain.artifacts import StandardInputs

    entry = suite["contracts"]["SplitterFactory"]
    standard_input = StandardInputs.of(project_paths).for_source("contracts/splits/SplitterFactory.sol")
    args = encode(["address"], [suite["contracts"]["RevenueSplitter"]["address"]]).hex()
    base = {
        "apikey": KEY,
        "chainid": str(explorer.chain_id),
        "module": "contract",
        "action": "verifysourcecode",
        "contractaddress": entry["address"],
        "codeformat": "solidity-standard-json-input",
        "contractname": "contracts/splits/SplitterFactory.sol:SplitterFactory",
        "compilerversion": "v0.8.28+commit.7893614a",
    }

    def verdict(standard: dict[str, Any], **changes: str) -> str:
        answer = explorer.answer({**base, "sourceCode": json.dumps(standard), "constructorArguements": args, **changes})
        assert explorer.answer({**base, "action": "checkverifystatus", "guid": answer["result"]})["result"] == "Pending in queue"
        return explorer.answer({**base, "action": "checkverifystatus", "guid": answer["result"]})["result"]

    wrong_runs = json.loads(json.dumps(standard_input))
    wrong_runs["settings"]["optimizer"]["runs"] = 1000
    edited = json.loads(json.dumps(standard_input))
    edited["sources"]["contracts/splits/SplitterFactory.sol"]["content"] += "\n// edited\n"
    assert "constructor arguments differ" in verdict(standard_input, constructorArguements="00" * 32)
    assert "optimizer" in verdict(wrong_runs)
    assert "differs from the project's" in verdict(edited)
    assert "compiler" in verdict(standard_input, compilerversion="v0.8.27+commit.40a35a09")
    assert explorer.answer({**base, "apikey": "wrong"})["result"].startswith("Invalid API Key")
    assert verdict(standard_input) == "Pass - Verified"

    # Creation code alone is not enough: a constructor that returns runtime of its own making (the property
    # proxies' hand-written runtime before issue 23) is refused, as Etherscan and Sourcify refuse it.
    beacon = suite["contracts"]["PropertyTokenBeacon"]["address"]
    creation = project.HandWrittenRuntime.constructor.serialize_transaction(beacon).data
    hand_written = _deploy_raw(explorer.rpc_url, creation)
    mocks = StandardInputs.of(project_paths).for_source("contracts/test/ProxyMocks.sol")
    refused = verdict(
        mocks,
        contractaddress=hand_written,
        contractname="contracts/test/ProxyMocks.sol:HandWrittenRuntime",
        constructorArguements=encode(["address"], [beacon]).hex(),
    )
    assert refused == "Fail - Unable to verify. the compiled runtime code does not match the code at the address"


def _deploy_raw(rpc_url: str, creation: bytes) -> str:
    """Sent raw by the node's first development account: Ape would ask a proxy-looking contract's beacon."""
    sender = rpc_request(rpc_url, "eth_accounts")[0]
    sent = rpc_request(rpc_url, "eth_sendTransaction", [{"from": sender, "data": "0x" + bytes(creation).hex()}])
    for _ in range(100):
        receipt = rpc_request(rpc_url, "eth_getTransactionReceipt", [sent])
        if receipt:
            return str(receipt["contractAddress"])
        time.sleep(0.05)
    raise AssertionError("the creation was not mined")


def test_a_missing_key_or_explorer_is_one_line_and_nothing_is_sent(rwa, explorer):
    refused = rwa.refused("verify", env={"RWA_EXPLORER_URL": explorer.url, "ETHERSCAN_API_KEY": ""})
    assert (
        refused
        == "error: ETHERSCAN_API_KEY is not set: create a key at https://etherscan.io/myapikey and export it (nothing was sent)"
    )
    refused = rwa.refused("deploy", "--verify", env={"RWA_EXPLORER_URL": explorer.url, "ETHERSCAN_API_KEY": ""})
    assert refused.startswith("error: ETHERSCAN_API_KEY is not set")
    refused = rwa.refused("verify", env={"RWA_EXPLORER_URL": "", "ETHERSCAN_API_KEY": KEY})
    assert refused.startswith("error: local is a local chain with no explorer: set RWA_EXPLORER_URL")
    assert explorer.requests == []
    assert "verified" not in _record(rwa)["contracts"]["Timelock"]


def test_an_explorer_that_is_down_is_one_line(rwa, project_paths):
    with FakeExplorer(environment.rpc_url(environment.test_port()), project_paths.root, key=KEY) as gone:
        url = gone.url
    refused = rwa.refused("verify", "Timelock", env={"RWA_EXPLORER_URL": url, "ETHERSCAN_API_KEY": KEY})
    assert refused.startswith(f"error: the explorer at {url} is unreachable (")
    assert "verified" not in _record(rwa)["contracts"]["Timelock"]


def test_unknown_names_are_refused(rwa, explorer):
    assert rwa.refused("verify", "Nope", env=_env(explorer)) == "error: no recorded contract named Nope (see `rwa status`)"
    assert explorer.requests == []
