"""The registry's proxy (ComplianceRegistryProxy) answers the screening views itself: its answers must be the
implementation's, for any record word, and it must refuse an implementation that keeps another record layout.

The reference is the same implementation behind a plain UUPSProxy (every call delegated), with the same record
word written into both proxies' storage: the fast answers are compared with the implementation's, in one block.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reverts import reverts

from rwa.chain.client import Chain
from rwa.core.evm import IMPLEMENTATION_SLOT
from rwa.core.project import ProjectPaths
from rwa.deploy.engine import DeployOptions, apply_deployment, plan_deployment
from rwa.deploy.target import Target

# keccak256(abi.encode(uint256(keccak256("rwa.storage.ComplianceRegistry")) - 1)) & ~0xff
RECORDS_LOCATION = 0x99F36C048382437F4AF984137DB7C0292E7A488DA2994AE374F9AA017ED4E400
RECORD_LAYOUT_ID = keccak(text="rwa.ComplianceRegistry.record.v1")
VIEWS = ("isVerified", "isSanctioned", "recordOf", "investorIdOf", "isAccredited", "investorCountry")
# The views the proxy does not answer itself: delegated, they must read the same record.
DELEGATED_VIEWS = ("contains", "identity", "attestationGeneration")


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def record_slot(wallet: str) -> int:
    return int.from_bytes(keccak(encode(["address", "bytes32"], [wallet, RECORDS_LOCATION.to_bytes(32, "big")])), "big")


@pytest.fixture
def reference(project, registry, chain, deployer):
    """The suite registry's implementation behind a plain UUPSProxy: every answer is the implementation's."""
    implementation = to_checksum_address(chain.provider.get_storage(registry.address, IMPLEMENTATION_SLOT)[-20:])
    return deployer.deploy(project.UUPSProxy, implementation, b"")


def raw_call(chain, to: str, data: bytes, block, value: int = 0, sender: str | None = None) -> tuple[bool, bytes]:
    """(succeeded, return or revert data) of an eth_call at `block`."""
    web3 = chain.provider.web3
    call = {"to": to, "data": data, "value": value, **({"from": sender} if sender else {})}
    try:
        return True, bytes(web3.eth.call(call, block))
    except Exception as failure:  # web3 raises on a revert; the data is in the exception
        data_hex = getattr(failure, "data", None) or ""
        return False, bytes.fromhex(data_hex[2:]) if isinstance(data_hex, str) and data_hex.startswith("0x") else b""


def answers(chain, proxy: str, wallet: str, block: int) -> dict[str, tuple[bool, bytes]]:
    arg = encode(["address"], [wallet])
    return {name: raw_call(chain, proxy, selector(f"{name}(address)") + arg, block) for name in VIEWS + DELEGATED_VIEWS}


def runtime_of(container) -> bytes:
    return bytes.fromhex(container.contract_type.runtime_bytecode.bytecode[2:])


def write_record(chain, proxy: str, wallet: str, word: int) -> None:
    chain.provider.set_storage(proxy, record_slot(wallet), word.to_bytes(32, "big"))


# Record words with their fields chosen around the edges: expiry at the block's timestamp (± a little), every
# flag combination (also bits the registry never writes), sanctioned or not, any generation and upper bits.
def record_words(now: int):
    return st.builds(
        lambda investor, country, flags, delta, sanctioned, high: (
            investor | country << 128 | flags << 144 | max(0, now + delta) << 152 | int(sanctioned) << 192 | high << 193
        ),
        st.sampled_from([0, 1, 2**128 - 1]) | st.integers(0, 2**128 - 1),
        st.sampled_from([0, 1, 840, 999, 2**16 - 1]),
        st.integers(0, 255),
        st.sampled_from([-1, 0, 1, 2]) | st.integers(-(10**9), 10**9),
        st.booleans(),
        st.integers(0, 2**63 - 1),
    )


def test_fast_answers_equal_the_implementations(registry, reference, chain):
    chain.mine()  # a block after the writes below' baseline: calls at it see its timestamp
    head = chain.blocks.head
    wallet = to_checksum_address("0x" + "be" * 20)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(word=record_words(head.timestamp))
    def check(word):
        write_record(chain, registry.address, wallet, word)
        write_record(chain, reference.address, wallet, word)
        fast = answers(chain, registry.address, wallet, "latest")
        assert fast == answers(chain, reference.address, wallet, "latest"), hex(word)
        assert all(ok for ok, _ in fast.values())

    check()


def test_the_edges_of_expiry(registry, reference, chain):
    """Verified while expiry > block.timestamp: one second either side of the block's time."""
    chain.mine()
    now = chain.blocks.head.timestamp
    wallet = to_checksum_address("0x" + "ed" * 20)
    for delta, verified in ((-1, False), (0, False), (1, True)):
        word = 7 | 840 << 128 | 7 << 144 | (now + delta) << 152
        for proxy in (registry.address, reference.address):
            write_record(chain, proxy, wallet, word)
        fast = answers(chain, registry.address, wallet, "latest")
        assert fast == answers(chain, reference.address, wallet, "latest")
        assert decode(["bool"], fast["isVerified"][1]) == (verified,)
        assert decode(["bool"], fast["isAccredited"][1]) == (verified,)


@pytest.mark.parametrize(
    "calldata, value",
    [
        (selector("isVerified(address)") + b"\x01" * 31, 0),  # short of a word of argument
        (selector("isSanctioned(address)") + b"\x01" + b"\x00" * 31, 0),  # dirty upper bits
        (selector("recordOf(address)") + encode(["address"], ["0x" + "11" * 20]), 1),  # value sent to a view
        (selector("investorIdOf(address)"), 0),
    ],
    ids=["short", "dirty-address", "value", "no-argument"],
)
def test_fast_answers_refuse_what_the_decoder_refuses(registry, reference, chain, deployer, calldata, value):
    chain.provider.set_balance(deployer.address, 10**18)
    for proxy in (registry.address, reference.address):
        assert raw_call(chain, proxy, calldata, "latest", value, deployer.address) == (False, b"")


def test_proxy_refuses_an_implementation_of_another_layout(project, registry, chain, deployer, admin):
    other = deployer.deploy(project.ComplianceRegistryOtherLayoutMock)
    before = chain.provider.get_storage(registry.address, IMPLEMENTATION_SLOT)
    proxy = project.ComplianceRegistryProxy.at(registry.address)
    with reverts(proxy.RecordLayoutMismatch, implementation=other.address):
        registry.upgradeToAndCall(other, b"", sender=admin)
    assert chain.provider.get_storage(registry.address, IMPLEMENTATION_SLOT) == before
    # An unauthorised caller is refused by the implementation first, as before.
    with reverts(registry.AccessControlUnauthorizedAccount):
        registry.upgradeToAndCall(other, b"", sender=deployer)


def test_proxy_is_not_made_in_front_of_another_layout(project, deployer, admin):
    other = deployer.deploy(project.ComplianceRegistryOtherLayoutMock)
    init = other.initialize.encode_input(admin)
    with reverts(project.ComplianceRegistryProxy.RecordLayoutMismatch, implementation=other.address):
        deployer.deploy(project.ComplianceRegistryProxy, other, init)
    registry_v1_like = deployer.deploy(project.RegistryConsumer, other)  # any contract without recordLayout()
    with reverts(project.ComplianceRegistryProxy.RecordLayoutMismatch, implementation=registry_v1_like.address):
        deployer.deploy(project.ComplianceRegistryProxy, registry_v1_like, b"")


def test_upgrade_to_the_same_layout_keeps_the_fast_answers(project, registry, chain, deployer, admin, attestor):
    wallet = to_checksum_address("0x" + "ab" * 20)
    registry.register(wallet, (5, 276, 3, chain.pending_timestamp + 86400), sender=attestor)
    upgraded = deployer.deploy(project.ComplianceRegistryV2Mock)
    receipt = registry.upgradeToAndCall(upgraded, b"", sender=admin)
    assert receipt.events == [registry.Upgraded(implementation=upgraded)]
    assert registry.recordLayout() == RECORD_LAYOUT_ID
    assert registry.isVerified(wallet) and registry.investorIdOf(wallet) == 5 and registry.investorCountry(wallet) == 276
    assert project.ComplianceRegistryV2Mock.at(registry.address).version() == "2"


def test_deployed_behind_the_fast_proxy(project, suite, chain, registry):
    entry = suite["contracts"]["ComplianceRegistry"]
    assert entry["proxy"]["kind"] == "uups"
    assert entry["proxy"]["proxyContractType"] == "ComplianceRegistryProxy"
    assert bytes(chain.provider.get_code(registry.address)) == runtime_of(project.ComplianceRegistryProxy)


def test_a_registry_deployed_behind_a_uups_proxy_still_reconciles_and_upgrades(
    project, suite_manifest, project_paths, compiled, accounts, tmp_path, chain
):
    """A deployment the previous manifest made (the registry behind a plain UUPSProxy) stays as it is."""
    entries = suite_manifest.contracts
    upto = entries[: [e.name for e in entries].index("ComplianceRegistry") + 1]
    previous = replace(
        suite_manifest,
        contracts=tuple(replace(e, proxy_contract=None) if e.name == "ComplianceRegistry" else e for e in upto),
    )
    current = replace(suite_manifest, contracts=upto)
    paths = ProjectPaths(project_paths.root, deployments_override=tmp_path)

    def target(manifest):
        return Target(paths, manifest, manifest.network("local"), Chain.active(), accounts[0], compiled)

    # Fresh: the session's deployer has sent the suite already, on this chain.
    _, record = apply_deployment(target(previous), options=DeployOptions(fresh=True))
    registry = record["contracts"]["ComplianceRegistry"]
    assert registry["proxy"]["proxyContractType"] == "UUPSProxy"
    assert bytes(chain.provider.get_code(registry["address"])) == runtime_of(project.UUPSProxy)

    plan, _ = plan_deployment(target(current))
    assert {(s.name, s.action) for s in plan.steps if s.name == "ComplianceRegistry"} == {("ComplianceRegistry", "skip")}
    nonce = accounts[0].nonce
    plan, after = apply_deployment(target(current))
    assert not plan.sends and accounts[0].nonce == nonce
    assert after["contracts"]["ComplianceRegistry"]["proxy"] == registry["proxy"]

    # Its admin (the timelock) upgrades it as before.
    old = project.ComplianceRegistry.at(registry["address"])
    timelock = accounts[record["contracts"]["Timelock"]["address"]]
    chain.provider.set_balance(timelock.address, 10**18)
    upgraded = accounts[0].deploy(project.ComplianceRegistryV2Mock)
    receipt = old.upgradeToAndCall(upgraded, b"", sender=timelock)
    assert receipt.events == [old.Upgraded(implementation=upgraded)]
    assert project.ComplianceRegistryV2Mock.at(old.address).version() == "2"
