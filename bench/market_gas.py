"""Gas of one PropertyMarket fill beside T-REX's DVDTransferManager and the floor, measured in one run.

    make bench        (or: .venv/bin/python bench/market_gas.py)

Starts a private anvil, deploys our suite through the engine as `rwa deploy` does, and measures on it:

- ours: one `fill` of a resting sell order, taken whole, between two existing holders (both already
  hold the property and the stablecoin), both legs and a 0.30% fee to the treasury (which already
  holds some stablecoin). The property has traded before (the market has read its decimals) and the
  maker's earlier order filled (its nonce word is written: the fill spends one more bit of it). A
  new order filled in part (its own fill record written from zero) and a second part of it are
  printed too.
- the floor: the sum of one compliant transfer of the property and one stablecoin transfer between
  the same holders (two transactions, so two intrinsic 21,000s: what a trade costs when the two
  parties trust each other and move each leg themselves).
- T-REX 4.x's DVDTransferManager for the same trade, from its npm artifacts on the same chain
  (bench/trex_reference.py deploys T-REX and ONCHAINID): the seller's `initiateDVDTransfer` plus the
  buyer's `takeDVDTransfer`, a 0.30% fee on the stablecoin leg (feeBase 4, 30), the same stablecoin
  contract, holders that already hold both, after one earlier trade (so the transfer nonce is non-zero).

Exits 1 when the fill misses its target (≤ 125,000).
"""

from __future__ import annotations

import sys
from typing import Any

from private_chain import deployed_suite, private_chain

E18 = 10**18
USDC = 10**6
PRICE = 250 * USDC
FEE_BPS = 30
US, KYC_AML = 840, 3
YEAR = 365 * 24 * 3600
TARGET = 125_000


def measure_ours(project: Any, accounts: Any, record: dict[str, Any], chain_id: int, expiry: int) -> dict[str, int]:
    from eth_account import Account
    from eth_utils import keccak

    from rwa.core.orders import Order, Side, order_digest

    def at(name: str) -> Any:
        entry = record["contracts"][name]
        return getattr(project, entry["contractType"]).at(entry["address"])

    factory, registry, stablecoin, market = (
        at(n) for n in ("PropertyTokenFactory", "ComplianceRegistry", "MockStablecoin", "PropertyMarket")
    )
    deployer, attestor = accounts.test_accounts[0], accounts.test_accounts[1]
    alice, bob = accounts.test_accounts[3], accounts.test_accounts[4]
    timelock = accounts[record["contracts"]["Timelock"]["address"]]
    timelock.balance += E18
    treasury = market.treasury()

    pid = keccak(text="MARKET-BENCH")
    factory.createProperty(
        (pid, "1 Market Street", "MKT1", 18, keccak(text="deed"), "ipfs://deed"), (deployer,) * 6, sender=deployer
    )
    token = project.PropertyToken.at(factory.predictAddresses(pid)[0])
    registry.registerBatch(
        [alice, bob, market], [(1, US, KYC_AML, expiry), (2, US, KYC_AML, expiry), (3, US, KYC_AML, expiry)], sender=attestor
    )
    for holder in (alice, bob):
        token.mint(holder, 1000 * E18, sender=deployer)
        stablecoin.mint(holder, 10**6 * USDC, sender=holder)
        token.approve(market, 2**256 - 1, sender=holder)
        stablecoin.approve(market, 2**256 - 1, sender=holder)
    stablecoin.mint(treasury, USDC, sender=deployer)
    market.setFee(token, FEE_BPS, sender=timelock)

    def order(nonce: int) -> tuple[tuple[Any, ...], bytes]:
        o = Order(alice.address, token.address, stablecoin.address, Side.SELL, 10 * E18, PRICE, 2**40, 0, nonce)
        signature = Account.unsafe_sign_hash(order_digest(o, chain_id, market.address), alice.private_key).signature
        return o.as_tuple(), bytes(signature)

    first, first_sig = order(1)
    market.fill(first, first_sig, 10 * E18, sender=bob)  # the property's first trade, alice's earlier order
    resting, signature = order(2)
    partial, partial_sig = order(3)
    figures = {
        "fill": market.fill(resting, signature, 10 * E18, sender=bob).gas_used,
        "fill_partial": market.fill(partial, partial_sig, 2 * E18, sender=bob).gas_used,
        "fill_again": market.fill(partial, partial_sig, 2 * E18, sender=bob).gas_used,
        "floor_token": token.transfer(bob, 2 * E18, sender=alice).gas_used,
        "floor_stablecoin": stablecoin.transfer(alice, 500 * USDC, sender=bob).gas_used,
    }
    return figures


def measure_trex(web3: Any, accounts: Any, stablecoin: Any) -> dict[str, int]:
    """T-REX's DVDTransferManager, initiate then take, for the same trade (T-REX's token has 0 decimals)."""
    from trex_reference import ReferenceScenario

    scenario = ReferenceScenario(web3, accounts.test_accounts)
    suite = scenario.deploy_suite()
    alice, bob = scenario.onboard(suite), scenario.onboard(suite)
    scenario.mint(suite, alice, 1_000)
    scenario.mint(suite, bob, 1_000)
    chain, roles = scenario.chain, scenario.roles
    dvd, _ = chain.deploy("deploy DVDTransferManager", scenario.artifacts.trex("DVDTransferManager"), roles.deployer)
    usdc = web3.eth.contract(address=stablecoin.address, abi=stablecoin.contract_type.model_dump(mode="json")["abi"])
    fee_wallet = roles.token_issuer
    for who in (alice, bob):
        chain.send("mint stablecoin", usdc.functions.mint(who.address, 10**6 * USDC), roles.deployer)
        chain.send("approve stablecoin", usdc.functions.approve(dvd.address, 2**256 - 1), who.wallet)
        chain.send("approve token", suite.token.functions.approve(dvd.address, 2**256 - 1), who.wallet)
    chain.send("fee wallet holds", usdc.functions.mint(fee_wallet, USDC), roles.deployer)
    chain.send(
        "modifyFee",
        dvd.functions.modifyFee(suite.token.address, usdc.address, 0, FEE_BPS, 4, "0x" + "00" * 20, fee_wallet),
        roles.deployer,
    )

    def trade(amount: int) -> tuple[int, int]:  # amount in whole tokens (T-REX's token has 0 decimals)
        initiated = chain.send(
            "initiateDVDTransfer",
            dvd.functions.initiateDVDTransfer(suite.token.address, amount, bob.address, usdc.address, amount * PRICE),
            alice.wallet,
        )
        (event,) = dvd.events.DVDTransferInitiated().process_receipt(initiated)
        taken = chain.send("takeDVDTransfer", dvd.functions.takeDVDTransfer(event.args.transferID), bob.wallet)
        return initiated["gasUsed"], taken["gasUsed"]

    trade(1)  # the first trade of the pair (the nonce leaves zero)
    initiate, take = trade(10)
    return {"dvd_initiate": initiate, "dvd_take": take}


def run(env: dict[str, str]) -> dict[str, int]:
    with deployed_suite(env) as (provider, record, _):
        from ape import accounts, chain, project

        from trex_reference import ReferenceUnavailable

        figures = measure_ours(project, accounts, record, chain.chain_id, chain.pending_timestamp + YEAR)
        try:
            stablecoin = project.MockStablecoin.at(record["contracts"]["MockStablecoin"]["address"])
            figures.update(measure_trex(provider.web3, accounts, stablecoin))
        except ReferenceUnavailable as exc:
            print(f"T-REX reference unavailable, ours only: {exc}", file=sys.stderr)
    return figures


def print_table(f: dict[str, int]) -> bool:
    passed = f["fill"] <= TARGET
    floor = f["floor_token"] + f["floor_stablecoin"]
    print("\nPropertyMarket gas (anvil, cancun, optimizer 200 runs): one trade of 10 tokens at 250 mUSDC, 0.30% fee")
    print(f"  {'operation':<62} {'gas':>9}   {'target':<10} verdict")
    print("  " + "-" * 92)
    print(
        f"  {'fill of a resting order, whole, two existing holders, fee (ours)':<62} "
        f"{f['fill']:>9,}   {'≤ 125,000':<10} {'PASS' if passed else 'MISS'}"
    )
    print(f"  {'  a new order filled in part (its fill record written)':<62} {f['fill_partial']:>9,}")
    print(f"  {'  the same order filled in part again':<62} {f['fill_again']:>9,}")
    print(f"  {'floor: compliant transfer + stablecoin transfer (2 txs)':<62} {floor:>9,}")
    print(f"  {'    of which the property transfer':<62} {f['floor_token']:>9,}")
    print(f"  {'    of which the stablecoin transfer':<62} {f['floor_stablecoin']:>9,}")
    if "dvd_take" in f:
        dvd = f["dvd_initiate"] + f["dvd_take"]
        print(f"  {'T-REX DVDTransferManager: initiate + take (2 txs)':<62} {dvd:>9,}   ({dvd / f['fill']:.2f}x ours)")
        print(f"  {'    initiateDVDTransfer':<62} {f['dvd_initiate']:>9,}")
        print(f"  {'    takeDVDTransfer':<62} {f['dvd_take']:>9,}")
    return passed


def main() -> None:
    with private_chain("rwa-market-bench-") as env:
        figures = run(env)
    sys.exit(0 if print_table(figures) else 1)


if __name__ == "__main__":
    main()
