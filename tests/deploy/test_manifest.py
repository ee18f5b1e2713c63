"""Manifest validation and ordering: pure, no chain."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from rwa.core.errors import ManifestError, RwaError
from rwa.deploy.manifest import (
    Call,
    Check,
    Contract,
    Manifest,
    Network,
    ProxyKind,
    account,
    dependency_order,
    load,
    manifest_hash,
    param,
    ref,
    role,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeArtifact:
    abi: list


def fn(name, *types):
    return {"type": "function", "name": name, "inputs": [{"name": f"a{i}", "type": t} for i, t in enumerate(types)]}


def ctor(*types):
    return {"type": "constructor", "inputs": [{"name": f"a{i}", "type": t} for i, t in enumerate(types)]}


ARTIFACTS = {
    "Token": FakeArtifact([ctor("address"), fn("grant", "address"), fn("granted", "address")]),
    "Registry": FakeArtifact([fn("initialize", "address")]),
    "Plain": FakeArtifact([]),
}
LOCAL = Network("local", "ethereum:local:foundry", local=True, accounts={"ops": "test:1"}, params={"coin": ref("Plain")})


def manifest(*contracts, networks=None):
    return Manifest(contracts=contracts, networks=networks or {"local": LOCAL})


def test_the_project_manifest_is_valid_on_every_network():
    suite = load(ROOT / "deployments" / "manifest.py")
    assert "local" in suite.networks
    for entry in suite.contracts:
        assert entry.name


def test_every_problem_is_listed_at_once():
    bad = manifest(
        Contract("A", "Missing"),
        Contract("B", "Token", args=()),  # missing constructor argument
        Contract("C", "Token", args=(ref("Nowhere"),)),
        Contract("D", "Token", args=(param("absent"),)),
        Contract("E", "Token", args=("0x00000000000000000000000000000000000000zz",)),
        Contract("F", "Token", args=(account("stranger"),)),
    )
    problems = validate(bad, "local", ARTIFACTS)
    text = "\n".join(problems)
    assert "A: unknown contract type 'Missing'" in text
    assert "B: constructor takes 1 argument(s), manifest gives 0" in text
    assert "C: refers to unknown contract 'Nowhere'" in text
    assert "D: missing parameter 'absent'" in text
    assert "E: bad address" in text
    assert "F: account 'stranger' is not defined" in text
    assert len(problems) == 6


def test_reference_cycle_is_reported():
    cyclic = manifest(Contract("A", "Token", args=(ref("B"),)), Contract("B", "Token", args=(ref("A"),)))
    problems = validate(cyclic, "local", ARTIFACTS)
    assert any("reference cycle: A -> B -> A" in p for p in problems)


def test_cycle_through_a_parameter_is_found():
    network = replace(LOCAL, params={"coin": ref("A")})
    cyclic = manifest(
        Contract("A", "Token", args=(ref("B"),)), Contract("B", "Token", args=(param("coin"),)), networks={"local": network}
    )
    with pytest.raises(ManifestError, match="cycle"):
        dependency_order(cyclic.entries("local"), network)


def test_dependency_order_puts_referenced_entries_first():
    m = manifest(
        Contract("Token", args=(param("coin"),), calls=(Call("grant", (ref("Reg"),), Check("granted", (ref("Reg"),))),)),
        Contract("Reg", "Registry", proxy=ProxyKind.UUPS, initializer="initialize", init_args=(account("ops"),)),
        Contract("Plain"),
    )
    assert validate(m, "local", ARTIFACTS) == []
    assert [c.name for c in dependency_order(m.entries("local"), LOCAL)] == ["Plain", "Reg", "Token"]


def test_proxy_rules():
    m = manifest(
        Contract("R1", "Registry", proxy=ProxyKind.UUPS),  # no initializer
        Contract("R2", "Registry", proxy=ProxyKind.TRANSPARENT, initializer="initialize", init_args=("0x" + "11" * 20,)),
        Contract("R3", "Registry", proxy=ProxyKind.UUPS, initializer="nope"),
        Contract("P", "Plain", initializer="initialize"),
        Contract("T", "Token", args=(ref("P", "implementation"),)),
    )
    text = "\n".join(validate(m, "local", ARTIFACTS))
    assert "R1: a uups proxy needs an initializer" in text
    assert "R2: a transparent proxy needs an admin" in text
    assert "R3: Registry has no initializer 'nope'" in text
    assert "P: an initializer needs a proxy kind" in text
    assert "T: ref P.implementation: 'P' is not a proxy" in text


def test_a_proxy_contract_of_its_own_is_a_known_uups_proxy():
    init = dict(initializer="initialize", init_args=("0x" + "11" * 20,))
    m = manifest(
        Contract("R1", "Registry", proxy=ProxyKind.UUPS, proxy_contract="Plain", **init),
        Contract("R2", "Registry", proxy=ProxyKind.UUPS, proxy_contract="Nowhere", **init),
        Contract("R3", "Registry", proxy=ProxyKind.TRANSPARENT, admin="0x" + "22" * 20, proxy_contract="Plain", **init),
    )
    problems = validate(m, "local", ARTIFACTS)
    assert "R2: unknown proxy contract type 'Nowhere'" in problems
    assert "R3: a proxy contract of its own needs a uups proxy" in problems
    assert not [p for p in problems if p.startswith("R1")]


def test_former_names_are_identifiers_no_entry_has_claimed_once():
    renamed = Contract("Plain", formerly=("OldPlain",))
    assert validate(manifest(renamed), "local", ARTIFACTS) == []
    problems = validate(
        manifest(
            Contract("Plain", formerly=("Token", "bad name")),
            Contract("Token", "Token", args=(ref("Plain"),), formerly=("Older",)),
            Contract("Other", "Plain", formerly=("Older",)),
        ),
        "local",
        ARTIFACTS,
    )
    assert problems == [
        "Plain: former name 'Token' must be an identifier no entry has now",
        "Plain: former name 'bad name' must be an identifier no entry has now",
        "Token: former name 'Older' is claimed by more than one entry",
        "Other: former name 'Older' is claimed by more than one entry",
    ]


def test_calls_are_checked_against_the_abi():
    m = manifest(Contract("T", "Token", args=("0x" + "11" * 20,), calls=(Call("mint", (1,), Check("granted", ())),)))
    text = "\n".join(validate(m, "local", ARTIFACTS))
    assert "Token has no function 'mint'" in text
    assert "granted takes 1 argument(s), manifest gives 0" in text


def test_test_keys_are_refused_on_live_networks():
    live = Network("sepolia", "ethereum:sepolia:node", accounts={"ops": "test:3"})
    problems = validate(manifest(Contract("Plain"), networks={"sepolia": live}), "sepolia", ARTIFACTS)
    assert problems == ["network sepolia: account 'ops' uses a local test key on a live network"]


def test_unknown_network():
    assert validate(manifest(Contract("Plain")), "nowhere", ARTIFACTS)[0].startswith("unknown network 'nowhere'")
    with pytest.raises(RwaError, match="unknown network"):
        manifest(Contract("Plain")).network("nowhere")


def test_local_only_entries_are_skipped_elsewhere():
    live = Network("sepolia", "ethereum:sepolia:node", params={"coin": "0x" + "22" * 20})
    m = manifest(
        Contract("Plain", networks={"local"}),
        Contract("T", "Token", args=(param("coin"),)),
        networks={"local": LOCAL, "sepolia": live},
    )
    assert [c.name for c in m.entries("sepolia")] == ["T"]
    assert validate(m, "sepolia", ARTIFACTS) == []


def test_manifest_hash_changes_with_content_only():
    a = manifest(Contract("T", "Token", args=(role("X"),)))
    b = manifest(Contract("T", "Token", args=(role("X"),)))
    c = manifest(Contract("T", "Token", args=(role("Y"),)))
    assert manifest_hash(a, "local") == manifest_hash(b, "local") != manifest_hash(c, "local")


def test_broken_manifest_file_is_one_clear_line(tmp_path):
    broken = tmp_path / "manifest.py"
    broken.write_text(
        "from rwa.deploy.manifest import Manifest\nx = 1\nMANIFEST = Manifest(contracts=(), networks=undefined_name)\n"
    )
    with pytest.raises(RwaError, match=r"manifest manifest.py:3: NameError"):
        load(broken)
    broken.write_text("def (:\n")
    with pytest.raises(RwaError, match="SyntaxError"):
        load(broken)
    broken.write_text("MANIFEST = 3\n")
    with pytest.raises(RwaError, match="must define MANIFEST"):
        load(broken)
    with pytest.raises(RwaError, match="manifest not found"):
        load(tmp_path / "absent.py")


LIVE_NETWORKS = {"sepolia", "mainnet", "polygon", "amoy", "base", "base-sepolia"}


def _project(monkeypatch, params_dir):
    monkeypatch.setenv("RWA_PARAMS_DIR", str(params_dir))
    return load(ROOT / "deployments" / "manifest.py")


def test_live_networks_list_every_missing_team_parameter(monkeypatch, tmp_path, compiled):
    suite = _project(monkeypatch, tmp_path)
    assert set(suite.networks) >= LIVE_NETWORKS
    for name in LIVE_NETWORKS:
        problems = validate(suite, name, compiled)
        missing = {p.split("'")[1] for p in problems}
        assert all("missing parameter" in p for p in problems), problems
        assert (
            missing
            == set(suite.network(name).required)
            >= {"safe_owners", "attestor", "property_minter", "property_forced_transfer", "property_creator", "vault_operator"}
        )


def test_the_example_parameters_complete_sepolia(monkeypatch, tmp_path, compiled):
    (tmp_path / "sepolia.py").write_text((ROOT / "deployments" / "examples" / "sepolia.params.py").read_text())
    suite = _project(monkeypatch, tmp_path)
    assert validate(suite, "sepolia", compiled) == []


def test_no_power_defaults_to_the_deployer_on_a_live_network(monkeypatch, tmp_path):
    from rwa.deploy.manifest import AccountRef, symbols

    suite = _project(monkeypatch, tmp_path)
    for name in LIVE_NETWORKS:
        network = suite.network(name)
        assert not network.local and network.accounts == {}
        assert not [s for s in symbols(dict(network.params)) if isinstance(s, AccountRef)], name
        factory = next(e for e in suite.entries(name) if e.name == "PropertyTokenFactory")
        assert [c.function for c in factory.calls].count("renounceRole") == 2  # CREATOR_ROLE, then the admin role
    local_factory = next(e for e in suite.entries("local") if e.name == "PropertyTokenFactory")
    assert [c.function for c in local_factory.calls].count("renounceRole") == 1


def test_live_networks_refer_to_the_canonical_contracts(monkeypatch, tmp_path):
    suite = _project(monkeypatch, tmp_path)
    for name in LIVE_NETWORKS:
        externals = {e.name: e.external_on(name) for e in suite.entries(name) if e.external_on(name)}
        assert set(externals) == {"Stablecoin", "SafeSingleton", "SafeProxyFactory", "MultiSend", "SafeFallbackHandler"}, name
        assert externals["SafeProxyFactory"].address == "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67"
        assert externals["SafeFallbackHandler"].address == "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99"
        assert "MockStablecoin" not in {e.name for e in suite.entries(name)}
    assert all(e.external_on("local") is None for e in suite.entries("local"))


def test_external_entries_are_validated():
    from rwa.deploy.manifest import External

    live = Network("live", "ethereum:sepolia:node")
    bad = Contract("Plain", external={"live": External("0x1234", "0xabc")})
    problems = validate(manifest(bad, networks={"live": live}), "live", ARTIFACTS)
    assert problems == [
        "Plain: external address is not an address: '0x1234'",
        "Plain: external code hash is not a 32-byte hex value: '0xabc'",
    ]


def test_development_keys_are_the_test_accounts(accounts):
    from rwa.core.devkeys import DEVELOPMENT_ADDRESSES, development_index

    assert [a.address for a in accounts[:10]] == list(DEVELOPMENT_ADDRESSES[:10])
    assert development_index(DEVELOPMENT_ADDRESSES[19].lower()) == 19 and development_index("0x" + "12" * 20) is None
