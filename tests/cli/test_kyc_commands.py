"""`rwa kyc` in the test process: set, show, sanction, revoke, batch import and the one-line refusals
of bad input, `rwa deploy`'s among them (tests/cli/test_commands.py runs `kyc set` and `kyc show`, and
an unreachable RPC, as processes)."""

from __future__ import annotations

import pytest

#: A wallet no other test module touches (the suite's named accounts are registered by whichever module
#: first asks for the test property): tests here may assume it starts unregistered.
WALLET = "0x4fd4BE130822d9E86094Cc5aFDc25C80f009AD83"


def test_kyc_set_show_sanction_revoke(rwa):
    record = rwa.json(
        "kyc", "set", WALLET, "--investor-id", "42", "--country", "840", "--flags", "kyc,aml,accredited", "--expires", "365d"
    )
    assert record["verified"] is True and record["flags"] == ["kyc", "aml", "accredited"]
    assert rwa.json("kyc", "show", WALLET)["investorId"] == "42"
    assert rwa.json("kyc", "sanction", WALLET)["verified"] is False
    assert rwa.json("kyc", "sanction", WALLET, "--lift")["verified"] is True
    revoked = rwa.json("kyc", "revoke", WALLET)
    assert revoked["registered"] is False and revoked["verified"] is False


@pytest.mark.parametrize(
    "args, message",
    [
        (("kyc", "set", "0x123", "--investor-id", "1", "--country", "840", "--expires", "30d"), "not an address"),
        (("kyc", "set", WALLET, "--investor-id", "1", "--country", "1000", "--expires", "30d"), "country 1000 out of range"),
        (("kyc", "set", WALLET, "--investor-id", "1", "--country", "840", "--expires", "2001-01-01"), "not in the future"),
        (("kyc", "revoke", WALLET), "revoke refused: NotRegistered"),
        (("kyc", "import", "/nonexistent.csv"), "cannot read"),
        (
            ("kyc", "set", WALLET, "--investor-id", "1", "--country", "840", "--expires", "30d", "--account", "nobody"),
            "on local also the manifest's accounts: athlete, attestor",
        ),
        (("deploy", "--network", "nowhere"), "unknown network 'nowhere'"),
        (("deploy", "--network", "sepolia"), "needs an explicit --account"),
        (("deploy", "--network", "sepolia", "--account", "ops"), "has no RPC URL: set SEPOLIA_RPC_URL"),
        (("deploy", "--network", "base-sepolia", "--plan"), "has no RPC URL: set BASE_SEPOLIA_RPC_URL"),
        (("deploy", "--network", "sepolia", "--plan", "--rpc-url", "ftp://node"), "--rpc-url is not an http(s) or ws(s) URL"),
    ],
)
def test_bad_input_is_one_line_and_sends_nothing(rwa, chain, args, message):
    height = chain.blocks.height
    line = rwa.refused(*args)
    assert line.startswith("error: ") and message in line, line
    assert chain.blocks.height == height


def test_kyc_import_validates_everything_first(rwa, chain, tmp_path):
    wallets = [f"0x{i:040x}" for i in range(1, 6)]
    good = tmp_path / "good.csv"
    good.write_text(
        "wallet,investor_id,country,flags,expiry\n"
        + "".join(f"{w},{i + 1},276,kyc+aml,2099-01-01\n" for i, w in enumerate(wallets))
    )
    result = rwa.json("kyc", "import", str(good), "--batch-size", "2")
    assert result["registered"] == 5 and len(result["transactions"]) == 3
    assert rwa.json("kyc", "show", wallets[4])["country"] == 276

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "wallet,investor_id,country,flags,expiry\n"
        f"{WALLET},1,840,kyc,2099-01-01\n"
        "0x123,2,840,kyc,2099-01-01\n"
        f"{wallets[0]},0,840,kyc,2099-01-01\n"
        f"{wallets[1]},3,840,gold,2099-01-01\n"
        f"{wallets[2]},4,840,kyc,2001-01-01\n"
        f"{WALLET},5,840,kyc,2099-01-01\n"
    )
    height = chain.blocks.height
    line = rwa.refused("kyc", "import", str(bad))
    for expected in (
        "5 bad row(s), nothing sent",
        "line 3: not an address",
        "line 4: investor id 0 out of range",
        "line 5: unknown flag 'gold'",
        "line 6: expiry",
        "line 7: wallet",
    ):
        assert expected in line
    assert chain.blocks.height == height
    assert rwa.json("kyc", "show", WALLET)["registered"] is False
