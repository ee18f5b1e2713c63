"""`rwa property compliance`: show, enable, disable, set and external modules, on the manifest's DEMO-1 (the
timelock owns it, so writes go --via safe and through the timelock, as for any factory-made property).
Module names, bits and settings come from the compliance's ABI, never from a copy in the CLI.
"""

from __future__ import annotations

E18 = 10**18


def test_show_lists_every_module_from_the_abi(rwa, project, suite):
    state = rwa.json("property", "compliance", "show", "DEMO-1")
    compliance = project.ModularCompliance.at(state["compliance"])
    assert {m["module"]: m["bit"] for m in state["modules"]} == {
        "country-allow": compliance.MODULE_COUNTRY_ALLOW(),
        "max-balance": compliance.MODULE_MAX_BALANCE(),
        "max-holders": compliance.MODULE_MAX_HOLDERS(),
        "lockup": compliance.MODULE_LOCKUP(),
        "supply-cap": compliance.MODULE_SUPPLY_CAP(),
        "accredited-only": compliance.MODULE_ACCREDITED_ONLY(),
    }
    assert set(state["settings"]) == {"max-balance", "max-holders", "lockup-period", "supply-cap"}
    assert state["externalModules"] == [] and state["maxExternalModules"] == 8
    assert "max-holders" in rwa.run("property", "compliance", "show", "DEMO-1").stdout


def test_owner_writes_go_through_the_timelock(rwa, project, deployer):
    compliance = project.ModularCompliance.at(rwa.json("property", "compliance", "show", "DEMO-1")["compliance"])
    refusal = rwa.refused("property", "compliance", "set", "DEMO-1", "max-holders", "5")
    assert refusal.startswith("error: setMaxHolders refused: OnlyTokenAdmin(") and refusal.endswith("--via safe)")
    rwa.through_the_timelock(rwa.json("property", "compliance", "enable", "DEMO-1", "supply-cap", "--via", "safe"))
    assert compliance.isModuleEnabled(compliance.MODULE_SUPPLY_CAP())
    state = rwa.json("property", "compliance", "show", "DEMO-1")
    assert state["active"] and [m["module"] for m in state["modules"] if m["enabled"]] == ["supply-cap"]
    # Every other write is simulated as the timelock would run it, then proposed.
    module = deployer.deploy(project.NoopComplianceModule)
    for args in (
        ("set", "DEMO-1", "supply-cap", "1000"),
        ("set", "DEMO-1", "lockup-period", "30d"),
        ("set", "DEMO-1", "countries", "840,826"),
        ("disable", "DEMO-1", "supply-cap"),
        ("add-module", "DEMO-1", module.address),
    ):
        proposal = rwa.json("property", "compliance", *args, "--via", "safe")
        assert proposal["timelock"]["stage"] == "schedule", args


def test_bad_input_is_one_line(rwa):
    assert rwa.refused("property", "compliance", "enable", "DEMO-1", "no-such", "--via", "safe").startswith(
        "error: unknown module 'no-such': the compliance has country-allow, max-balance"
    )
    assert rwa.refused("property", "compliance", "disable", "DEMO-1", "lockup", "--via", "safe") == (
        "error: module lockup is not enabled on DEMO1"
    )
    assert rwa.refused("property", "compliance", "set", "DEMO-1", "colour", "red", "--via", "safe").startswith(
        "error: unknown setting 'colour'"
    )
    assert rwa.refused("property", "compliance", "set", "DEMO-1", "max-holders", "many", "--via", "safe") == (
        "error: max-holders must be a whole number, not 'many'"
    )
    assert rwa.refused("property", "compliance", "set", "DEMO-1", "countries", "US", "--via", "safe").startswith(
        "error: countries must be ISO-3166 numeric codes"
    )
