"""Gas of the NIL half (vaults, splits, a deal from proposal to release), beside its targets.

    make bench        (or: .venv/bin/python bench/nil_gas.py)

Starts a private anvil on a free port with its own state and deployments folders, deploys the
suite through the engine exactly as `rwa deploy` does, then measures one run of each operation.
Figures are whole transactions (the 21,000 intrinsic gas included), as the targets and the
0xSplits v1 figures are. Distributions are "later" ones (the payees' accounts exist), as 0xSplits
publishes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from private_chain import deployed_suite, private_chain

ZERO = "0x" + "00" * 20
ETH = ZERO
TOTAL_BPS = 10_000
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
WEEK = 7 * 86400


@dataclass(frozen=True)
class Figure:
    operation: str
    ours: int
    bound: int | None = None  # the target: ours must be at most this
    anchor: str = ""
    why_missed: str = ""  # one line, printed under a MISS

    @property
    def verdict(self) -> str:
        if self.bound is None:
            return ""
        return "PASS" if self.ours <= self.bound else "MISS"


def print_table(title: str, figures: list[Figure]) -> None:
    print(f"\n{title}")
    print(f"  {'operation':<44} {'ours':>9}   {'target':<10} {'verdict':<7} anchor")
    for f in figures:
        target = f"≤ {f.bound:,}" if f.bound else ""
        print(f"  {f.operation:<44} {f.ours:>9,}   {target:<10} {f.verdict:<7} {f.anchor}")
        if f.verdict == "MISS":
            print(f"  {'':<44} {'':>9}   ↳ {f.why_missed}")


def addresses(n: int, seed: int) -> list[str]:
    """``n`` fresh payees, in the ascending order the SplitterFactory requires."""
    from eth_utils import keccak, to_checksum_address

    found = [to_checksum_address(keccak(f"bench-payee-{seed}-{i}".encode())[12:]) for i in range(n)]
    return sorted(found, key=lambda a: int(a, 16))


def even_shares(n: int) -> list[int]:
    return [TOTAL_BPS // n] * (n - 1) + [TOTAL_BPS - TOTAL_BPS // n * (n - 1)]


def measure(env: dict[str, str]) -> list[tuple[str, list[Figure]]]:
    with deployed_suite(env) as (provider, _, at):
        from ape import accounts, chain, project
        from eth_utils import keccak

        test = accounts.test_accounts
        deployer, attestor, athlete, brand = test[0], test[1], test[8], test[9]
        vaults, splits = at("NILVaultFactory"), at("SplitterFactory")
        registry, stablecoin = at("ComplianceRegistry"), at("MockStablecoin")

        def gas(call: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
            return int(call(*args, **kwargs).gas_used)

        def make_split(payees: list[str]) -> Any:
            shares = even_shares(len(payees))
            splits.createSplit(payees, shares, sender=deployer)
            return project.RevenueSplitter.at(splits.predict(payees, shares))

        # --- vaults and splits (the deploy made DemoVault: these are later vaults, as in use) ---
        create_vault = gas(vaults.createVault, keccak(text="bench-athlete-1"), athlete, ZERO, sender=deployer)
        payees4 = addresses(4, 4)
        create_split = gas(splits.createSplit, payees4, even_shares(4), sender=deployer)
        split4 = project.RevenueSplitter.at(splits.predict(payees4, even_shares(4)))
        create_vault_split = gas(vaults.createVault, keccak(text="bench-athlete-2"), athlete, split4, sender=deployer)

        distributions, allocations = {}, {}
        for n in (2, 4, 10):
            split = split4 if n == 4 else make_split(addresses(n, n))
            deployer.transfer(split, 10**18)
            split.distribute(ETH, sender=deployer)  # the first round creates the payees' accounts
            deployer.transfer(split, 10**18)
            distributions[n] = gas(split.distribute, ETH, sender=deployer)
            # Credit rounds, 0xSplits' model: later rounds update balances already credited.
            deployer.transfer(split, 10**18)
            split.allocate(ETH, sender=deployer)
            deployer.transfer(split, 10**18)
            allocations[n] = gas(split.allocate, ETH, sender=deployer)
        per_payee = (distributions[10] - distributions[4]) // 6
        per_credit = (allocations[10] - allocations[4]) // 6

        split_figures = [
            Figure(
                "createVault",
                create_vault,
                215_000,
                "bare OZ BeaconProxy ≈143,000",
                "issue 23: a compiled, verifiable proxy with its beacon in ERC-1967's slot (≈ +34,700) and the athlete "
                "id recorded by the factory (+22,100; the old raw-code proxy carried it): 153,282 before",
            ),
            Figure(
                "createVault with a splitter",
                create_vault_split,
                215_000,
                "bare OZ BeaconProxy ≈143,000",
                "stores the splitter (a fresh slot, 22,100) and asks the SplitterFactory isSplit (code hash check)",
            ),
            Figure("createSplit, 4 payees", create_split, 90_000, "0xSplits v1: 100,741 for 2"),
            Figure("distribute ETH, 2 payees", distributions[2], None, "0xSplits v1: 57,390 for 2"),
            Figure(
                "distribute ETH, 4 payees",
                distributions[4],
                80_000,
                "",
                "each push first asks the registry whether its payee is sanctioned (issue 13: a cold record read "
                "and a call, ≈3,500 a payee); allocate credits instead and checks at claim",
            ),
            Figure("distribute ETH, 10 payees", distributions[10], None, "0xSplits v1: 110,069 for 10"),
            Figure(
                "distribute ETH, each extra payee (10 vs 4)",
                per_payee,
                7_000,
                "0xSplits v1: ≈6,585 ((110,069 − 57,390) / 8)",
                "a push costs ≥ 9,300 (cold account 2,600 + value CALL 9,000 − unused stipend 2,300); "
                "0xSplits only credits storage",
            ),
            Figure("allocate ETH (credit, payees claim), 2 payees", allocations[2], None, "0xSplits v1: 57,390 for 2"),
            Figure("allocate ETH, 4 payees", allocations[4], 80_000),
            Figure("allocate ETH, 10 payees", allocations[10], None, "0xSplits v1: 110,069 for 10"),
            Figure("allocate ETH, each extra payee (10 vs 4)", per_credit, 7_000, "0xSplits v1: ≈6,585 ((110,069 − 57,390) / 8)"),
        ]

        # --- one deal, from proposal to release through the 4-payee split ---
        vault = project.NILVault.at(vaults.predictVault(keccak(text="bench-athlete-2")))
        expiry = chain.pending_timestamp + 365 * 86400
        registry.register(athlete, (1, 840, 3, expiry), sender=attestor)  # a release pays verified athletes only
        terms = (brand.address, ETH, 10**18, keccak(text="3 posts"), WEEK, URI)
        steps = [
            ("propose (brand)", gas(vault.propose, terms, sender=brand)),
            ("accept (athlete)", gas(vault.accept, 1, sender=athlete)),
            ("fund, ETH, + mint the deal NFT (brand)", gas(vault.fund, 1, sender=brand, value=10**18)),
            ("markDelivered (athlete)", gas(vault.markDelivered, 1, sender=athlete)),
            ("confirm: release + distribute to 4 (brand)", gas(vault.confirm, 1, sender=brand)),
        ]
        deal_figures = [Figure(f"  {label}", used) for label, used in steps]
        deal_figures.append(Figure("whole deal, propose → release (sum)", sum(used for _, used in steps)))

        # The same funding in the stablecoin: the brand approves, then funds.
        stablecoin.mint(brand, 10**9, sender=deployer)
        vault.propose((brand.address, stablecoin.address, 10**9, keccak(text="3 posts"), WEEK, URI), sender=brand)
        vault.accept(2, sender=athlete)
        approve = gas(stablecoin.approve, vault, 10**9, sender=brand)
        fund_token = gas(vault.fund, 2, sender=brand)
        fund_figures = [
            Figure("fund + mint NFT, ETH", steps[2][1], 200_000),
            Figure("fund + mint NFT, ERC-20 (after its approve)", fund_token, 200_000),
            Figure("  approve, ERC-20 (brand, before funding)", approve),
        ]
    return [
        ("Vaults and splits", split_figures),
        ("A deal, per transaction (ETH, released through a 4-payee split whose accounts exist)", deal_figures),
        ("Funding", fund_figures),
    ]


def main() -> None:
    with private_chain("rwa-nil-gas-") as env:
        tables = measure(env)
    print("NIL gas (anvil, cancun, optimizer 200 runs; whole transactions, 21,000 intrinsic included)")
    for title, figures in tables:
        print_table(title, figures)


if __name__ == "__main__":
    main()
