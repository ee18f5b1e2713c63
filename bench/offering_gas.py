"""Gas of a primary offering (PropertyOffering, issue 19) beside its floor, measured in one run.

    make bench        (or: .venv/bin/python bench/offering_gas.py)

Starts a private anvil, deploys the suite through the engine exactly as `rwa deploy` does, and measures
one transaction each (21,000 intrinsic gas included). Exits 1 when a figure misses its target.

Scenario: a property with supply (one holder already), an offering already under way (one subscriber
before, so its totals and the treasury's balance are not zero), and a new investor: verified, holding the
stablecoin, the offering approved. The floor of a subscription with an immediate mint is what the same
two movements cost as plain transactions of their own: one compliant mint to a new holder (by an agent)
plus one stablecoin `transferFrom` from a holder to the treasury (by an approved spender).
A claim is a subscriber's, after a successful close, with other claims still due: by transfer from the offering's
custody (the property's admin made it the custodian with the minter role, so the close minted every claim to it
once), beside its floor, a compliant transfer to a new holder; and, for comparison, a claim that mints (an offering
without custody, as on a property whose admin did not grant it). Creating an offering is a property's first.
The property's own operations are measured by bench/property_gas.py: PropertyToken gained `screenMint` (the
offering's one question before money moves; its selector leaves every other function's dispatch as it was) and a
cheaper mint to a new holder, which lowers the floor here too; custody is asked only on paths that would otherwise
refuse (a mint to an unverified wallet, a compliance rule broken) or that a flagged sender takes.
"""

from __future__ import annotations

import sys
from typing import Any

from private_chain import deployed_suite, private_chain

E18 = 10**18
USDC = 10**6
US = 840
KYC_AML = 3
YEAR = 365 * 24 * 3600
MINTER_ROLE_TEXT = "MINTER_ROLE"
CUSTODIAN_ROLE_TEXT = "CUSTODIAN_ROLE"
TARGETS = {"subscribe": 130_000, "claim": 80_000, "create": 250_000}
# What the EVM charges for what an offering cannot avoid (EIP-2929, EIP-2200, EIP-3529, the yellow paper).
INTRINSIC = 21_000
COLD_ACCOUNT = 2_600  # the first call to a contract that is not the transaction's target
COLD_SLOAD = 2_100
SSTORE_DIRTY = 2_900  # a non-zero slot changed (after its cold read)
CLEAR_REFUND = 4_800  # a slot set back to zero
LOG, TOPIC, DATA_BYTE = 375, 375, 8
# Measured with anvil --steps-tracing (debug_traceTransaction) in a subscription and a claim, each a warm call
# (CALL 100 + the callee's frames): the least that one more question costs once its contract is warm.
WARM_TOKEN_VIEW = 815  # the token's paused(), through its beacon proxy (a claim's pause check)
WARM_TOKEN_SCREEN = 2_475  # the token's screenMint, its registry question included (its cold reads move from the mint)
WARM_VERIFIED = 517  # the registry's isVerified, answered by its proxy (issue 21's fast path): the mint asks it again
WARM_INVESTOR_ID = 506  # the registry's investorIdOf, likewise
WARM_BALANCE_OF = 659  # the stablecoin's balanceOf after the transfer (money in is what arrived)


def measure(project: Any, accounts: Any, chain: Any, record: dict[str, Any]) -> dict[str, int]:
    from eth_utils import keccak

    def at(name: str) -> Any:
        entry = record["contracts"][name]
        return getattr(project, entry["contractType"]).at(entry["address"])

    factory, registry, coin = at("PropertyTokenFactory"), at("ComplianceRegistry"), at("MockStablecoin")
    offerings = at("PropertyOfferingFactory")
    treasury = offerings.treasury()
    deployer, attestor = accounts.test_accounts[0], accounts.test_accounts[1]
    owner = accounts[record["contracts"]["Timelock"]["address"]]
    owner.balance += E18
    investors = [accounts.test_accounts[i] for i in range(3, 10)]
    expiry = chain.pending_timestamp + YEAR
    registry.registerBatch(investors, [(10 + i, US, KYC_AML, expiry) for i in range(len(investors))], sender=attestor)
    for wallet in investors:
        coin.mint(wallet, 10**6 * USDC, sender=wallet)

    def new_property(n: int) -> Any:
        pid = keccak(text=f"OFFERING-BENCH-{n}")
        data = (pid, f"{n} Offering Street", f"OFFER{n}", 18, keccak(text="deed"), "ipfs://deed")
        factory.createProperty(data, (deployer,) * 6, sender=deployer)
        return project.PropertyToken.at(factory.predictAddresses(pid)[0])

    def new_offering(token: Any, soft_cap: int = 0, limits: bool = True, custody: bool = True) -> tuple[Any, int]:
        now = chain.pending_timestamp
        low, high = (E18, 10**5 * E18) if limits else (0, 0)
        data = (token, coin, 50 * USDC, 10**6 * E18, soft_cap, low, high, now, now + 30 * 24 * 3600, False)
        address = offerings.predictOffering(data)
        gas = offerings.createOffering(data, sender=deployer).gas_used
        token.grantRole(keccak(text=MINTER_ROLE_TEXT), address, sender=owner)
        if soft_cap and custody:  # `rwa offering create`'s grant proposal makes it the property's custodian too
            token.grantRole(keccak(text=CUSTODIAN_ROLE_TEXT), address, sender=owner)
        offering = project.PropertyOffering.at(address)
        for wallet in investors:
            coin.approve(offering, 2**256 - 1, sender=wallet)
        return offering, gas

    figures: dict[str, int] = {}
    # The floor: on a property with a holder, a mint to a new verified holder; a transferFrom to the
    # treasury (which holds the stablecoin already) by an approved spender, from a holder.
    floor_token = new_property(1)
    floor_token.mint(investors[0], 10 * E18, sender=deployer)
    figures["floor_mint"] = floor_token.mint(investors[1], 10 * E18, sender=deployer).gas_used
    figures["floor_transfer_new"] = floor_token.transfer(investors[2], E18, sender=investors[0]).gas_used
    coin.mint(treasury, USDC, sender=deployer)
    coin.approve(deployer, 2**256 - 1, sender=investors[2])
    figures["floor_transfer"] = coin.transferFrom(investors[2], treasury, 500 * USDC, sender=deployer).gas_used

    token = new_property(2)
    offering, figures["create"] = new_offering(token)
    offering.subscribe(10 * E18, sender=investors[0])
    figures["subscribe"] = offering.subscribe(10 * E18, sender=investors[1]).gas_used
    figures["subscribe_again"] = offering.subscribe(10 * E18, sender=investors[1]).gas_used

    token = new_property(4)
    offering, _ = new_offering(token, limits=False)
    offering.subscribe(10 * E18, sender=investors[0])
    figures["subscribe_unlimited"] = offering.subscribe(10 * E18, sender=investors[1]).gas_used

    token = new_property(3)
    offering, _ = new_offering(token, soft_cap=20 * E18)
    figures["subscribe_escrow_first"] = offering.subscribe(10 * E18, sender=investors[0]).gas_used
    figures["subscribe_escrow"] = offering.subscribe(10 * E18, sender=investors[1]).gas_used
    offering.subscribe(10 * E18, sender=investors[2])
    chain.pending_timestamp += 31 * 24 * 3600
    figures["close"] = offering.close(sender=deployer).gas_used
    figures["claim_first"] = offering.claim(sender=investors[0]).gas_used
    figures["claim"] = offering.claim(sender=investors[1]).gas_used
    figures["claim_last"] = offering.claim(sender=investors[2]).gas_used
    figures["end_custody"] = offering.endCustody(sender=deployer).gas_used

    token = new_property(5)
    offering, _ = new_offering(token, soft_cap=20 * E18, custody=False)
    for wallet in investors[:3]:
        offering.subscribe(10 * E18, sender=wallet)
    chain.pending_timestamp += 31 * 24 * 3600
    figures["close_minting"] = offering.close(sender=deployer).gas_used
    offering.claim(sender=investors[0])
    figures["claim_minting"] = offering.claim(sender=investors[1]).gas_used
    return figures


def report(figures: dict[str, int]) -> bool:
    floor = figures["floor_mint"] + figures["floor_transfer"]
    rows = [
        (
            "subscribe, immediate mint",
            figures["subscribe"],
            TARGETS["subscribe"],
            f"floor {floor:,} = mint {figures['floor_mint']:,} + transferFrom {figures['floor_transfer']:,}",
        ),
        (
            "subscribe, immediate mint, no per-investor limit",
            figures["subscribe_unlimited"],
            TARGETS["subscribe"],
            "no investor total to keep (a new slot: 22,100)",
        ),
        ("subscribe again (same investor)", figures["subscribe_again"], None, ""),
        (
            "claim (other claims still due)",
            figures["claim"],
            TARGETS["claim"],
            f"floor {figures['floor_transfer_new']:,}: a compliant transfer to a new holder (itemised below)",
        ),
        ("create an offering (a property's first)", figures["create"], TARGETS["create"], ""),
        ("subscribe into escrow (soft cap), first", figures["subscribe_escrow_first"], None, "the offering's first"),
        ("subscribe into escrow (soft cap)", figures["subscribe_escrow"], None, ""),
        ("close, soft cap met (escrow to the treasury)", figures["close"], None, "mints every claim into custody, once"),
        ("claim, the offering's first", figures["claim_first"], None, ""),
        ("claim, the last", figures["claim_last"], None, ""),
        ("end custody (anyone, once every claim left)", figures["end_custody"], None, "renounces the custodian role"),
        ("close without custody", figures["close_minting"], None, "the claims will mint"),
        ("claim without custody (mints)", figures["claim_minting"], None, f"floor {figures['floor_mint']:,}: a mint"),
    ]
    print("\nPropertyOffering gas (anvil, cancun, optimizer 200 runs), one transaction each")
    header = f"  {'operation':<46} {'gas':>9}   {'target':<10} {'verdict':<7} reference"
    print(header)
    print("  " + "-" * (len(header) + 40))
    ok = True
    for label, gas, target, note in rows:
        verdict = "" if target is None else ("PASS" if gas <= target else "MISS")
        ok = ok and verdict != "MISS"
        limit = f"≤ {target:,}" if target else ""
        print(f"  {label:<46} {gas:>9,}   {limit:<10} {verdict:<7} {note}".rstrip())
    print("  The property's own operations: bench/property_gas.py (custody costs none of them anything).")
    explain(figures)
    return ok


def calldata_gas(data: bytes) -> int:
    return sum(16 if byte else 4 for byte in data)


def explain(figures: dict[str, int]) -> None:
    """Where a subscription's and a claim's gas go beyond their floors: the costs this design cannot avoid."""
    from eth_abi import encode
    from eth_utils import keccak

    def call(signature: str, types: list[str], args: list[Any]) -> bytes:
        return keccak(text=signature)[:4] + encode(types, args)

    wallet = "0x" + "ab" * 20
    mint_data = call("mint(address,uint256)", ["address", "uint256"], [wallet, 10 * E18])
    transfer_data = call("transferFrom(address,address,uint256)", ["address"] * 2 + ["uint256"], [wallet, wallet, 500 * USDC])
    subscribe_data = call("subscribe(uint256)", ["uint256"], [10 * E18])
    investor_total = figures["subscribe"] - figures["subscribe_unlimited"]
    subscribe = [
        ("floor, as one transaction (one intrinsic 21,000 fewer)", figures["floor_mint"] + figures["floor_transfer"] - INTRINSIC),
        (
            "their calldata (68 + 100 bytes) is not a subscription's (36)",
            calldata_gas(subscribe_data) - calldata_gas(mint_data) - calldata_gas(transfer_data),
        ),
        ("the token and the stablecoin are called, not the transaction's target", 2 * COLD_ACCOUNT),
        ("the clone's delegatecall to its implementation", COLD_ACCOUNT),
        ("the hard cap's count: the offering's state slot read and written", COLD_SLOAD + SSTORE_DIRTY),
        ("the investor's running total: a fresh slot (measured: with limits - without)", investor_total),
        ("the Subscribed event (3 topics, 4 words)", LOG + 3 * TOPIC + 4 * 32 * DATA_BYTE),
        ("compliance asked before money moves: one question to the token (screenMint)", WARM_TOKEN_SCREEN),
        ("... the mint verifies the wallet again (the registry, warm)", WARM_VERIFIED),
        ("the investor's id, from the registry (limits are per investor)", WARM_INVESTOR_ID),
        ("money in is what arrived: the stablecoin's balance read again", WARM_BALANCE_OF),
    ]
    token_transfer = call("transfer(address,uint256)", ["address", "uint256"], [wallet, E18])
    claim = [
        ("floor: a compliant transfer to a new holder, as a transaction of its own", figures["floor_transfer_new"]),
        ("its calldata (68 bytes) is not a claim's (4)", calldata_gas(bytes(4)) - calldata_gas(token_transfer)),
        ("the token is called, not the transaction's target", COLD_ACCOUNT),
        ("the clone's delegatecall to its implementation", COLD_ACCOUNT),
        ("the offering's status read (claims only after a successful close)", COLD_SLOAD),
        ("the wallet's position read and cleared (less the 4,800 refund)", COLD_SLOAD + SSTORE_DIRTY - CLEAR_REFUND),
        ("the Claimed event (2 topics, 1 word)", LOG + 2 * TOPIC + 32 * DATA_BYTE),
        ("the custodian sends unverified: its registry record is not read (cold)", -(COLD_SLOAD + WARM_VERIFIED - 100)),
    ]
    for title, rows, target, measured in (
        ("subscribe, immediate mint, per-investor limit", subscribe, TARGETS["subscribe"], figures["subscribe"]),
        ("claim (a new holder)", claim, TARGETS["claim"], figures["claim"]),
    ):
        least = sum(gas for _, gas in rows)
        verdict = "out of reach: the least already passes the target" if least > target else "within reach"
        print(f"\n  {title}: the least this design can cost, {least:,} (target {target:,}, measured {measured:,}; {verdict})")
        for label, gas in rows:
            print(f"    {gas:>+9,}  {label}")
    print("  The rest of each figure is code: the offering's (price arithmetic, limits, the reentrancy guard, the")
    print("  terms read from the clone's code), the proxies' (the token's beacon asked again on each call) and the")
    print("  stablecoin's. A claim from custody needs no count left to mint (the close minted it all, and gave up the")
    print("  minter role) and no pause question (the token's transfer refuses while paused): the 2,900 + 815 that")
    print("  kept a minting claim (below, 'claim without custody') above 80,000.")


def run(env: dict[str, str]) -> bool:
    with deployed_suite(env) as (provider, record, _):
        from ape import accounts, chain, project

        figures = measure(project, accounts, chain, record)
    return report(figures)


def main() -> None:
    with private_chain("rwa-offering-bench-") as env:
        ok = run(env)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
