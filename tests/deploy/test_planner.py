"""The planner on its own: given a record and what the chain says, what should happen."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak

from rwa.deploy.manifest import (
    Call,
    Check,
    Contract,
    Network,
    ProxyKind,
    account,
    ref,
    role,
)
from rwa.deploy.planner import Observation, Resolver, plan

IMPL = "0x" + "11" * 20
PROXY = "0x" + "22" * 20
OWNER = "0x" + "33" * 20
CODE = "0x" + "ab" * 32
NETWORK = Network("local", "ethereum:local:foundry", local=True)


@dataclass
class Art:
    name: str
    abi: list
    bytecode: bytes = b"\x60\x80"
    compiler: dict = None

    @property
    def bytecode_hash(self):
        return "0x" + keccak(self.bytecode).hex()

    def constructor_inputs(self):
        return []

    def function(self, name):
        return {"name": name, "inputs": [{"name": "admin", "type": "address"}]}


ARTS = {"Reg": Art("Reg", [])}
ENTRY = Contract(
    "Reg",
    proxy=ProxyKind.UUPS,
    initializer="initialize",
    init_args=(account("deployer"),),
    calls=(Call("grantRole", (role("R"), ref("Reg")), Check("hasRole", (role("R"), ref("Reg")))),),
)


def recorded(**changes):
    entry = {
        "address": PROXY,
        "contractType": "Reg",
        "codeHash": CODE,
        "bytecodeHash": ARTS["Reg"].bytecode_hash,
        "args": {"constructor": {}, "initializer": {"function": "initialize", "args": {"admin": OWNER}}},
        "proxy": {"kind": "uups", "implementation": IMPL, "admin": None, "beacon": None},
    }
    entry.update(changes)
    return {"contracts": {"Reg": entry}}


def resolver():
    r = Resolver(NETWORK, OWNER, {})
    r.facets["Reg"] = {"address": PROXY, "implementation": IMPL, "admin": None, "beacon": None}
    return r


def actions(p):
    return [(s.action, s.blocking) for s in p.steps]


def test_nothing_recorded_means_create_and_calls():
    p = plan([ENTRY], None, ARTS, {}, Resolver(NETWORK, OWNER, {}))
    assert actions(p) == [("create", False), ("call", False)]
    assert "grantRole(R, Reg) unless hasRole(R, Reg) == True" in p.steps[1].detail


def test_up_to_date_is_all_skips():
    p = plan([ENTRY], recorded(), ARTS, {"Reg": Observation(CODE, implementation=IMPL, checks=(True,))}, resolver())
    assert actions(p) == [("skip", False), ("skip", False)]
    assert not p.sends


def test_undone_call_is_a_call():
    p = plan([ENTRY], recorded(), ARTS, {"Reg": Observation(CODE, implementation=IMPL, checks=(False,))}, resolver())
    assert actions(p) == [("skip", False), ("call", False)]


def test_missing_code_is_blocking_drift():
    p = plan([ENTRY], recorded(), ARTS, {"Reg": Observation(None, checks=(None,))}, resolver())
    assert p.blocking and "no code" in p.blocking[0].detail


def test_changed_source_argument_and_implementation_are_drift():
    record = recorded(bytecodeHash="0x" + "00" * 32)
    record["contracts"]["Reg"]["args"]["initializer"]["args"]["admin"] = "0x" + "44" * 20
    observed = {"Reg": Observation(CODE, implementation="0x" + "55" * 20, checks=(True,))}
    details = [s.detail for s in plan([ENTRY], record, ARTS, observed, resolver()).blocking]
    assert any("implementation is" in d for d in details)
    assert any("compiled Reg changed" in d and "upgrade it" in d for d in details)
    assert any("arguments differ" in d for d in details)


def test_recorded_entry_missing_from_manifest_is_reported_not_blocking():
    p = plan([], recorded(), ARTS, {}, resolver())
    assert actions(p) == [("drift", False)]
