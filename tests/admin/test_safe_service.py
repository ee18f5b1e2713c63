"""Proposals mirrored to a Safe Transaction Service (a loopback one that checks like the real one)."""

import pytest
from eth_account import Account
from fake_safe_service import FakeSafeService


@pytest.fixture
def service(monkeypatch, chain):
    with FakeSafeService(chain.provider.web3) as fake:
        monkeypatch.setenv("LOCAL_SAFE_SERVICE_URL", fake.url)
        yield fake


@pytest.fixture
def proposal(rwa, outsider):
    """A 2-of-3 Safe proposal (through the timelock) to make the outsider an attestor."""
    return rwa.json("safe", "propose", "--call", f"ComplianceRegistry.grantRole(ATTESTOR_ROLE, {outsider.address})")


def web_app_signature(account, digest: str) -> str:
    """What an owner signing in the Safe web app leaves on the service."""
    signed = Account.unsafe_sign_hash(bytes.fromhex(digest[2:]), account.private_key)
    return "0x" + bytes(signed.signature).hex()


def test_first_signature_posts_the_transaction_and_later_ones_confirm(rwa, service, proposal, accounts):
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    stored = service.transactions[proposal["safeTxHash"]]
    assert stored["nonce"] == proposal["safeTx"]["nonce"]
    assert [c["owner"] for c in stored["confirmations"]] == [accounts[3].address]

    rwa.run("safe", "sign", proposal["id"], "--account", "owner2")
    assert [c["owner"] for c in stored["confirmations"]] == [accounts[3].address, accounts[4].address]


def test_sync_pulls_confirmations_made_in_the_web_app_and_the_proposal_executes(rwa, service, proposal, accounts):
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    service.confirm(proposal["safeTxHash"], web_app_signature(accounts[5], proposal["safeTxHash"]))

    synced = rwa.json("safe", "sync", proposal["id"])
    assert synced["pulled"] == [accounts[5].address] and synced["pushed"] == []
    assert set(synced["proposal"]["signatures"]) == {accounts[3].address, accounts[5].address}

    executed = rwa.json("safe", "execute", proposal["id"], "--account", "owner1")
    assert executed[0]["status"] == "executed"
    operation = executed[0]["timelock"]["operationId"]
    assert rwa.json("timelock", "list")[0]["operationId"] == operation


def test_sync_pushes_signatures_collected_while_the_service_was_not_configured(rwa, proposal, chain, monkeypatch, accounts):
    rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
    rwa.run("safe", "sign", proposal["id"], "--account", "owner3")
    with FakeSafeService(chain.provider.web3) as fake:
        monkeypatch.setenv("LOCAL_SAFE_SERVICE_URL", fake.url)
        synced = rwa.json("safe", "sync", proposal["id"])
        assert synced["posted"] and synced["pushed"] == [accounts[3].address, accounts[5].address]
        owners = [c["owner"] for c in fake.transactions[proposal["safeTxHash"]]["confirmations"]]
        assert owners == [accounts[3].address, accounts[5].address]


def test_confirmations_from_non_owners_are_not_pulled(rwa, chain, proposal, monkeypatch, accounts, project_paths):
    with FakeSafeService(chain.provider.web3, accept_any_confirmation=True) as careless:
        monkeypatch.setenv("LOCAL_SAFE_SERVICE_URL", careless.url)
        rwa.run("safe", "sign", proposal["id"], "--account", "owner1")
        careless.confirm(proposal["safeTxHash"], web_app_signature(accounts[7], proposal["safeTxHash"]))
        synced = rwa.json("safe", "sync", proposal["id"])
    assert synced["pulled"] == []
    assert list(synced["proposal"]["signatures"]) == [accounts[3].address]


def test_an_unreachable_service_keeps_the_signature_and_says_how_to_retry(rwa, proposal, monkeypatch, accounts):
    monkeypatch.setenv("LOCAL_SAFE_SERVICE_URL", "http://127.0.0.1:9/api")
    line = rwa.refused("safe", "sign", proposal["id"], "--account", "owner1")
    assert "signature saved" in line and f"rwa safe sync {proposal['id']}" in line, line
    assert list(rwa.json("safe", "show", proposal["id"])["signatures"]) == [accounts[3].address]


def test_sync_without_a_service_is_refused(rwa, proposal, monkeypatch):
    monkeypatch.delenv("LOCAL_SAFE_SERVICE_URL", raising=False)
    assert "LOCAL_SAFE_SERVICE_URL" in rwa.refused("safe", "sync", proposal["id"])
