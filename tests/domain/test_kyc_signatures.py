"""`rwa kyc sign | relay | cancel | void`: signed attestations that anyone relays, and the ways an
attestor takes them back (the registry's side is in tests/contracts/test_compliance_registry.py)."""

from __future__ import annotations

import json

#: A wallet no other test module touches (the suite's named accounts are registered by whichever module
#: first asks for the test property): tests here may assume it starts unregistered.
WALLET = "0x6D961bFea7DFFE9D69A885A71Cd5e22C6Ff31724"
RECORD = ("--investor-id", "42", "--country", "840", "--expires", "365d")


def test_sign_then_relay(rwa, chain, tmp_path):
    out = tmp_path / "signed.json"
    height = chain.blocks.height
    signed = rwa.json("kyc", "sign", WALLET, *RECORD, "--flags", "kyc,aml,accredited", "--out", str(out))
    assert chain.blocks.height == height  # nothing sent
    assert json.loads(out.read_text()) == signed
    assert signed["wallet"] == WALLET and signed["generation"] == 0 and signed["flags"] == 7
    record = rwa.json("kyc", "relay", str(out))
    assert record["verified"] is True and record["investorId"] == "42" and record["generation"] == 1
    # Relayed once only.
    assert "was used or cancelled" in rwa.refused("kyc", "relay", str(out))


def test_revoked_investor_cannot_relay_a_renewal(rwa, chain, tmp_path):
    rwa.run("kyc", "set", WALLET, *RECORD)
    renewal = tmp_path / "renewal.json"
    rwa.run("kyc", "sign", WALLET, *RECORD, "--out", str(renewal))
    rwa.run("kyc", "revoke", WALLET)
    height = chain.blocks.height
    line = rwa.refused("kyc", "relay", str(renewal))
    assert line.startswith("error: the signed attestation of") and "is void" in line, line
    assert chain.blocks.height == height
    assert rwa.json("kyc", "show", WALLET)["verified"] is False


def test_cancel_and_void(rwa, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    rwa.run("kyc", "sign", WALLET, *RECORD, "--out", str(first), "--nonce", "5")
    rwa.run("kyc", "sign", WALLET, *RECORD, "--out", str(second))
    cancelled = rwa.json("kyc", "cancel", str(first))
    assert cancelled["cancelled"] == ["5"] and len(cancelled["transactions"]) == 1
    assert "was used or cancelled" in rwa.refused("kyc", "relay", str(first))
    assert "nonce 5 of" in rwa.refused("kyc", "sign", WALLET, *RECORD, "--nonce", "5")
    rwa.run("kyc", "void", WALLET)
    assert "is void" in rwa.refused("kyc", "relay", str(second))


def test_bad_input(rwa, chain, tmp_path):
    height = chain.blocks.height
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"wallet": 1}')
    assert "not a signed attestation (missing" in rwa.refused("kyc", "relay", str(garbage))
    assert "no such file" in rwa.refused("kyc", "relay", str(tmp_path / "none.json"))
    assert "nonce" in rwa.refused("kyc", "sign", WALLET, *RECORD, "--nonce", "-1")
    assert "their files, or --nonce" in rwa.refused("kyc", "cancel")
    # An account without ATTESTOR_ROLE: the registry's refusal, before anything is signed away.
    assert "registerWithSig refused: InvalidAttestor" in rwa.refused(
        "kyc", "sign", WALLET, *RECORD, "--account", "sanctions_officer"
    )
    assert chain.blocks.height == height
