"""Gas of the tokenized-property operations, asserted against the documented upper bounds only.

Figures are printed (run with ``-s``): transfers are measured between two wallets that already hold
tokens, after a first dividend deposit (so dividend bookkeeping is live); the claim by a holder that
already holds the stablecoin.

Bounds: compliant transfer, no module ≤ 62,000; with country allow-list + max balance + max holders
≤ 100,000; claim ≤ 70,000 (it asks the registry whether the holder is verified: +10,755 since issue 13);
a property's full suite (token, compliance, distributor) ≤ 645,000 (600,000 until issue 23 made the three
proxies compiled Solidity with metadata, which explorers verify: 84 more bytes of runtime each, 50,400 gas);
deposit gas with 10 and with 200 holders within 5% of each other.
"""

import os

import pytest
from eth_utils import to_checksum_address
from helpers import GB, KYC_AML, US, create_property, record_gas

E18 = 10**18
USDC = 10**6


@pytest.fixture
def live(token, distributor, funded, agent, alice, bob, carol, stablecoin):
    token.batchMint([alice, bob, carol], [100 * E18, 100 * E18, 100 * E18], sender=agent)
    distributor.deposit(1000 * USDC, sender=funded)
    stablecoin.mint(alice, 1, sender=alice)  # the claimant already holds the stablecoin
    return token


def test_transfer_gas_without_modules(live, alice, bob):
    gas = record_gas("transfer, no module", live.transfer(bob, E18, sender=alice))
    assert gas <= 62_000


def test_transfer_gas_with_three_modules(project, factory, deployer, agent, admin, funded, stablecoin, alice, bob, carol):
    token, compliance, distributor, _ = create_property(project, factory, deployer, agent, property_id=b"GAS3")
    compliance.setCountriesAllowed([US, GB, 250], True, sender=admin)
    compliance.setMaxBalance(10**6 * E18, sender=admin)
    compliance.setMaxHolders(1000, sender=admin)
    for module in (1, 2, 4):
        compliance.addModule(module, sender=admin)
    token.batchMint([alice, bob, carol], [100 * E18] * 3, sender=agent)
    stablecoin.approve(distributor, 2**256 - 1, sender=funded)
    distributor.deposit(1000 * USDC, sender=funded)
    gas = record_gas("transfer, country + max balance + max holders", token.transfer(bob, E18, sender=alice))
    assert gas <= 100_000
    token.approve(carol, 10 * E18, sender=alice)
    record_gas("transferFrom, three modules", token.transferFrom(alice, bob, E18, sender=carol))


def test_claim_gas(live, alice, bob):
    gas = record_gas("claim", live.claimDividends(sender=alice))
    assert gas <= 70_000
    record_gas("first claim, claimant holding no stablecoin", live.claimDividends(sender=bob))


def test_other_operations(live, agent, alice, bob, carol, distributor, funded):
    record_gas("transfer to a holder", live.transfer(carol, E18, sender=alice))
    record_gas("mint to a verified holder", live.mint(alice, E18, sender=agent))
    record_gas("batchTransfer of 10", live.batchTransfer([bob, carol] * 5, [E18] * 10, sender=alice))
    record_gas("deposit (not the first)", distributor.deposit(USDC, sender=funded))


def test_suite_creation_gas(project, factory, deployer, agent):
    *_, receipt = create_property(project, factory, deployer, agent, property_id=b"GAS-SUITE")
    gas = record_gas("create property suite", receipt)
    assert gas <= 645_000


def test_deposit_gas_independent_of_holders(
    project, factory, deployer, agent, registry, attestor, funded, stablecoin, chain, alice
):
    expiry = chain.pending_timestamp + 365 * 24 * 3600
    wallets = [to_checksum_address(os.urandom(20)) for _ in range(200)]
    registry.registerBatch(wallets, [(1000 + i, US, KYC_AML, expiry) for i in range(200)], sender=attestor)
    gases = {}
    for count in (10, 200):
        token, _, distributor, _ = create_property(project, factory, deployer, agent, property_id=f"DEP{count}".encode())
        for start in range(0, count, 100):
            batch = wallets[start : min(count, start + 100)]
            token.batchMint(batch, [E18] * len(batch), sender=agent)
        stablecoin.approve(distributor, 2**256 - 1, sender=funded)
        distributor.deposit(USDC, sender=funded)  # the first deposit sets up storage and the allowance
        gases[count] = record_gas(f"deposit, {count} holders", distributor.deposit(USDC, sender=funded))
    assert abs(gases[200] - gases[10]) <= 0.05 * gases[10]
