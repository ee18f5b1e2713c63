"""Speed and gas figures of the foundation, printed beside their targets and references.

    make bench        (or: .venv/bin/python bench/run.py)

Runs against a private anvil on a free port with its own state and deployments folders, so it
never touches the developer's local chain. Timings are medians of several runs; gas figures are
what the chain reports for one run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from private_chain import ROOT, RWA, private_chain, rwa
from rpc_count import counting_relay

INTRINSIC_GAS = 21_000


def timed(command: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def row(label: str, ours: str, target: str, reference: str = "") -> None:
    print(f"  {label:<46} {ours:>12}   {target:<12} {reference}")


def requests(command: list[str], env: dict[str, str]) -> str:
    """How many JSON-RPC requests (and HTTP round trips) one run of ``command`` makes, by method."""
    with counting_relay(env["APE_FOUNDRY_HOST"]) as (url, counts):
        subprocess.run(command, cwd=ROOT, env={**env, "APE_FOUNDRY_HOST": url}, check=True, capture_output=True)
        found = counts()
    http = found.pop("http", 0)
    calls = ", ".join(f"{method} {n}" for method, n in found.most_common())
    return f"{sum(found.values())} requests in {http} round trips ({calls})"


def speed(env: dict[str, str]) -> None:
    print("\nspeed (median wall time)")
    row("what", "ours", "target", "")
    ape = str(Path(sys.executable).parent / "ape")
    ape_help = timed([ape, "--help"], env, 5)
    row("ape --help (the floor of any Ape command)", f"{ape_help:.3f} s", "")
    row("rwa --help", f"{timed([RWA, '--help'], env, 7):.3f} s", "< 0.3 s")
    rwa(env, "node", "start")
    rwa(env, "deploy", "--plan")  # compile once
    first = []
    for _ in range(3):
        rwa(env, "node", "reset", "--yes")
        rwa(env, "node", "start")
        start = time.perf_counter()
        rwa(env, "deploy")
        first.append(time.perf_counter() - start)
    row("rwa deploy, first full deploy (compiled)", f"{statistics.median(first):.2f} s", "< 15 s")
    # Reads need no Ape (plain JSON-RPC, the compiled ABIs, eth-abi): measured beside `ape --help`
    # again, so a busy machine slows both alike.
    beside = f"ape --help {timed([ape, '--help'], env, 5):.2f} s"
    row("rwa status, fresh deployment", f"{timed([RWA, 'status'], env, 5):.2f} s", "< 0.5 s", beside)
    row("rwa deploy --plan, up to date", f"{timed([RWA, 'deploy', '--plan'], env, 5):.2f} s", "< 0.5 s", beside)
    row("rwa deploy, rerun with nothing to do", f"{timed([RWA, 'deploy'], env, 3):.2f} s", "")
    print(f"  rwa status: {requests([RWA, 'status'], env)}")
    print(f"  rwa deploy --plan: {requests([RWA, 'deploy', '--plan'], env)}")


def gas(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.chdir(ROOT)
    from ape import accounts, chain, networks, project

    from rwa.chain import artifacts
    from rwa.chain.client import Chain
    from rwa.core.evm import IMPLEMENTATION_SLOT
    from rwa.core.project import ProjectPaths
    from rwa.core.quiet import quiet_ape
    from rwa.deploy import manifest
    from rwa.deploy.engine import apply_deployment
    from rwa.deploy.target import Target
    from trex_reference import measure_reference

    quiet_ape()
    paths = ProjectPaths(ROOT, deployments_override=Path(env["RWA_DEPLOYMENTS_DIR"]))
    suite = manifest.load(paths.manifest_file)
    compiled = artifacts.load(paths)
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        deployer, attestor = accounts.test_accounts[0], accounts.test_accounts[1]
        target = Target(paths, suite, suite.network("local"), Chain(provider), deployer, compiled)
        _, record = apply_deployment(target)
        registry = project.ComplianceRegistry.at(record["contracts"]["ComplianceRegistry"]["address"])
        expiry = chain.pending_timestamp + 365 * 86400

        def wallet(i: int) -> str:
            return "0x" + (0xBE0000 + i).to_bytes(20, "big").hex()

        single = registry.register(wallet(0), (1, 840, 3, expiry), sender=attestor).gas_used
        overwrite = registry.register(wallet(0), (1, 840, 7, expiry), sender=attestor).gas_used
        wallets = [wallet(i) for i in range(1, 101)]
        batch = registry.registerBatch(wallets, [(i + 2, 276, 3, expiry) for i in range(100)], sender=attestor).gas_used
        consumer = project.RegistryConsumer.deploy(registry, sender=deployer)
        _, cold = consumer.measureIsVerified(wallet(0))
        _, warm = consumer.measureIsVerifiedWarm(wallets[0], wallet(0))
        # The same implementation behind a plain UUPSProxy (every call delegated), as registries deployed before
        # ComplianceRegistryProxy are: its cold screen is what the fast path saves.
        implementation = "0x" + bytes(provider.get_storage(registry.address, IMPLEMENTATION_SLOT))[-20:].hex()
        plain = project.UUPSProxy.deploy(
            implementation, project.ComplianceRegistry.at(implementation).initialize.encode_input(deployer), sender=deployer
        )
        plain_registry = project.ComplianceRegistry.at(plain.address)
        plain_registry.grantRole(plain_registry.ATTESTOR_ROLE(), attestor, sender=deployer)
        plain_registry.register(wallet(0), (1, 840, 3, expiry), sender=attestor)
        _, cold_plain = project.RegistryConsumer.deploy(plain, sender=deployer).measureIsVerified(wallet(0))
        reference = measure_reference(provider.web3, accounts.test_accounts)

    print("\nComplianceRegistry gas (anvil, cancun, optimizer 200 runs), beside T-REX 4.1.6 measured in the same run")
    row("what", "ours", "target", "reference (T-REX + ONCHAINID)")
    row(
        "onboard one investor: transaction", f"{single:,}", "", f"{reference['onboard_investor']:,} (identity + claim + register)"
    )
    row("onboard one investor: execution (−21,000)", f"{single - INTRINSIC_GAS:,}", "≤ 50,000")
    row("update an existing record (transaction)", f"{overwrite:,}", "")
    row("registerBatch of 100: per investor", f"{batch // 100:,}", "≤ 30,000")
    row("isVerified from a contract, registry warm", f"{warm:,}", "≤ 8,000", f"{reference['is_verified']:,}")
    row("isVerified from a contract, cold (EIP-2929)", f"{cold:,}", "", f"{reference['is_verified']:,}")
    row("  the same behind a plain UUPSProxy (delegated)", f"{cold_plain:,}", "", "the fast path saves the difference")
    ratio = reference["onboard_investor"] / single
    print(f"  onboarding costs {ratio:.1f}x less than the reference; full reference figures: python bench/trex_reference.py")


def main() -> None:
    with private_chain("rwa-bench-", start=False) as env:
        speed(env)
        rwa(env, "node", "reset", "--yes")
        rwa(env, "node", "start")
        gas(env)


if __name__ == "__main__":
    main()
