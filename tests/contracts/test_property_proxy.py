"""PropertyBeaconProxy (the compiled, verifiable proxy behind every property contract) beside OpenZeppelin's BeaconProxy:
the same answer to every call (value, empty calldata, large return and revert data), and a beacon that has no
code, reverts or answers short makes every call revert (issue 21: it succeeded silently), where OpenZeppelin's
refuses the beacon at construction.
"""

import pytest
from eth_abi import encode
from eth_utils import keccak

LARGE = bytes(range(256)) * 40  # 10,240 bytes


def selector(signature):
    return keccak(text=signature)[:4]


def echo(data):
    return selector("echo(bytes)") + encode(["bytes"], [data])


def fail(data):
    return selector("fail(bytes)") + encode(["bytes"], [data])


def raw_call(chain, caller, to, data, value=0):
    """(succeeded, return or revert data) of an eth_call, byte for byte (`to` None: a creation)."""
    tx = {"from": caller.address, "data": "0x" + data.hex(), "value": hex(value)}
    if to is not None:
        tx["to"] = getattr(to, "address", to)
    reply = chain.provider.web3.provider.make_request("eth_call", [tx, "latest"])
    if "error" in reply:
        return False, bytes.fromhex((reply["error"].get("data") or "0x")[2:])
    return True, bytes.fromhex(reply["result"][2:])


@pytest.fixture
def proxies(project, deployer):
    """Ours and OpenZeppelin's, both following one beacon of a ProxyProbe."""
    beacon = deployer.deploy(project.Beacon, deployer.deploy(project.ProxyProbe), deployer)
    return deployer.deploy(project.PropertyBeaconProxy, beacon), deployer.deploy(project.BeaconInstanceProxy, beacon, b"")


@pytest.mark.parametrize(
    "data, value",
    [
        (echo(b""), 0),
        (echo(b"hello"), 5),  # payable
        (echo(LARGE), 0),  # large return data
        (fail(b""), 0),  # empty revert
        (fail(b"\x08\xc3\x79\xa0" + LARGE), 0),  # large revert data
        (b"", 7),  # empty calldata with value: the implementation's receive
        (b"", 0),
        (selector("nothing()"), 0),  # no such function, no fallback: reverts empty
        (b"\x01", 0),  # shorter than a selector
    ],
)
def test_same_answer_as_openzeppelin(chain, proxies, alice, data, value):
    ours, theirs = proxies
    assert raw_call(chain, alice, ours, data, value) == raw_call(chain, alice, theirs, data, value)


def test_value_reaches_the_implementation_as_with_openzeppelin(project, proxies, alice):
    for proxy in proxies:
        alice.transfer(proxy, 7)
        assert project.ProxyProbe.at(proxy.address).received() == 7 and proxy.balance == 7


@pytest.mark.parametrize("kind", ["no code", "short answer", "reverting"])
def test_a_broken_beacon_fails_loudly(chain, project, deployer, outsider, alice, kind):
    if kind == "no code":
        beacon = outsider
    else:
        beacon = deployer.deploy(project.ShortAnswerBeacon if kind == "short answer" else project.RevertingBeacon)
    openzeppelin = project.BeaconInstanceProxy.constructor.serialize_transaction(beacon, b"").data
    assert not raw_call(chain, deployer, None, openzeppelin)[0]  # OpenZeppelin refuses it at construction
    # Sent raw: Ape would ask the new proxy's beacon for its implementation to recognise it.
    creation = project.PropertyBeaconProxy.constructor.serialize_transaction(beacon).data
    web3 = chain.provider.web3
    receipt = web3.eth.wait_for_transaction_receipt(web3.eth.send_transaction({"from": deployer.address, "data": creation}))
    ours = receipt["contractAddress"]
    for data, value in ((echo(b"x"), 0), (b"", 1), (selector("transfer(address,uint256)"), 0)):
        assert raw_call(chain, alice, ours, data, value) == (False, b"")


def test_the_factory_refuses_a_beacon_without_code(chain, project, deployer, suite, outsider):
    contracts = suite["contracts"]
    beacons = [
        contracts[n]["proxy"]["beacon"] for n in ("PropertyTokenBeacon", "ModularComplianceBeacon", "DividendDistributorBeacon")
    ]
    registry, stablecoin = contracts["ComplianceRegistry"]["address"], contracts["MockStablecoin"]["address"]
    for i in range(3):
        given = list(beacons)
        given[i] = outsider.address
        args = (*given, registry, stablecoin, deployer.address, deployer.address)
        creation = project.PropertyTokenFactory.constructor.serialize_transaction(*args).data
        refusal = selector("BeaconWithoutCode(address)") + encode(["address"], [outsider.address])
        assert raw_call(chain, deployer, None, creation) == (False, refusal)
