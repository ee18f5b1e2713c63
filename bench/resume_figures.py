"""Figures of the deployment engine under live-network conditions, printed (not timed).

    .venv/bin/python bench/resume_figures.py

Each scenario runs against its own anvil behaving like a live network (chain id 11155111, a block
every second, the pool on; tests/support/livelike.py, the same scenarios as
tests/deploy/test_live_conditions.py) with a five-transaction manifest, and prints: the transactions
the deployer mined against a clean deploy's, contracts created twice (must be 0), the reruns an
operator needed, and the files they had to edit by hand (must be none).

Then the local chain itself: the whole manifest deployed by `rwa` processes, the chain killed with
`kill -9` with its last save taken at random points of the deploy (tests/support/local_crash.py), and
one `rwa deploy` to recover: transactions against a clean deploy's, contracts recreated.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from private_chain import ROOT, free_port, private_chain

sys.path.insert(0, str(ROOT / "tests" / "support"))

import livelike  # noqa: E402
import local_crash  # noqa: E402

Scenario = Callable[[livelike.Run], livelike.Figures]


def scenarios() -> list[tuple[str, Scenario]]:
    def clean(run: livelike.Run) -> livelike.Figures:
        livelike.complete(run, run.deploy())
        return run.figures()

    rng = random.Random(10)
    offsets = sorted(rng.random() for _ in range(10))
    return [
        ("clean deploy", clean),
        ("killed while pending, resumed while pending", livelike.pending_at_resume),
        ("killed while pending, node dropped it", lambda run: livelike.pending_at_resume(run, dropped=True)),
        ("nonce taken by the same call elsewhere", lambda run: livelike.nonce_taken(run, same_call=True)),
        ("nonce taken by a stranger's transfer", lambda run: livelike.nonce_taken(run, same_call=False)),
        ("fee spike over --max-fee, then normal", lambda run: livelike.fee_spike(run, capped=True)),
        ("fee spike, no cap (replaced)", lambda run: livelike.fee_spike(run, capped=False)),
        ("stuck past --stuck-after (replaced)", livelike.stuck),
        ("two operators at once (lock)", livelike.two_operators),
        ("record deleted, then --adopt", lambda run: livelike.record_deleted(run, "adopt")),
        ("journal damaged mid-file", livelike.journal_damaged),
        *[
            (f"journal truncated at {fraction:.0%}", lambda run, f=fraction: livelike.journal_truncated(run, f))
            for fraction in offsets
        ],
    ]


def main() -> None:
    os.chdir(ROOT)
    from ape import accounts

    from rwa.chain import artifacts
    from rwa.core.project import ProjectPaths
    from rwa.core.quiet import quiet_ape, silence_warnings
    from rwa.deploy.target import Target

    silence_warnings()
    quiet_ape()
    compiled = artifacts.load(ProjectPaths(ROOT))
    port = int(os.environ.get("RWA_BENCH_PORT") or free_port())
    manifest = livelike.manifest()
    print("\nrwa deploy under live-network conditions (anvil: chain 11155111, 1 s blocks, pool on; 5-transaction manifest)")
    print(f"  {'scenario':<46} {'sent/clean':>10} {'duplicates':>10} {'reruns':>6} {'hand edits':>10}  refusals")
    totals: dict[str, Any] = {"sent": 0, "clean": 0, "duplicates": 0, "edits": 0}
    for name, scenario in scenarios():
        with (
            tempfile.TemporaryDirectory(prefix="rwa-resume-") as scratch,
            livelike.live_chain(port) as chain,
            livelike.connected(chain) as connection,
        ):
            paths = ProjectPaths(ROOT, deployments_override=Path(scratch))
            network = manifest.network(livelike.NETWORK)
            target = Target(paths, manifest, network, connection, accounts.test_accounts[0], compiled)
            figures = scenario(livelike.Run(chain, target, name))
        totals["sent"] += figures.sent
        totals["clean"] += figures.clean
        totals["duplicates"] += figures.duplicates
        totals["edits"] += figures.hand_edits
        sent = f"{figures.sent}/{figures.clean}"
        print(
            f"  {name:<46} {sent:>10} {figures.duplicates:>10} {figures.reruns:>6} "
            f"{figures.hand_edits:>10}  {len(figures.refusals)}"
        )
    ratio = f"{totals['sent']}/{totals['clean']}"
    print(f"  {'all':<46} {ratio:>10} {totals['duplicates']:>10} {'':>6} {totals['edits']:>10}")
    local_chain_crashes()


def local_chain_crashes(points: int = 6) -> None:
    from rwa.testing.runners import Cli

    print("\nthe local chain killed (kill -9) after a deploy, its last save taken mid-deploy; one `rwa deploy` recovers")
    print(f"  {'last save at journal line':<46} {'sent/clean':>10} {'duplicates':>10} {'lost':>6} {'hand edits':>10}")
    with private_chain("rwa-crash-") as env:
        cli = Cli(env, Path(env["RWA_DEPLOYMENTS_DIR"]), Path(env["RWA_STATE_DIR"]), ROOT)
        cli.run("deploy")
        clean = cli.nonce(local_crash.DEPLOYER)
        lines = sorted(random.Random(7).sample(range(1, 2 * clean), points))
        for line in lines:
            before = local_crash.crash_after_deploy_saved_at(cli, line)
            lost = local_crash.lost_in_plan(cli)
            cli.run("deploy")
            after = json.loads((cli.deployments / "local.json").read_text())
            sent = cli.nonce(local_crash.DEPLOYER)
            same = {n: c["address"] for n, c in after["contracts"].items()} == {
                n: c["address"] for n, c in before["contracts"].items()
            }
            print(f"  {line:<46} {f'{sent}/{clean}':>10} {sent - clean + (0 if same else 1):>10} {len(lost):>6} {0:>10}")


if __name__ == "__main__":
    main()
