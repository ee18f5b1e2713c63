"""Figures of `rwa verify` against a loopback Etherscan that compiles what it is sent, printed.

    .venv/bin/python bench/verify_figures.py        (make bench runs it)

On a private anvil (bench/private_chain.py) the manifest is deployed and a property created with
`rwa`, then `rwa verify` runs twice as a process against rwa.testing.explorer.FakeExplorer with
``compile=True``: every submitted standard-JSON input is compiled again (the project's solc, or
vyper-json) and its creation code compared with the code that created the address, as Etherscan
does. Printed: contracts verified, linked as proxies, left unsupported, submissions and requests
made, and the wall time of each run (the second finds everything recorded and sends nothing).
Exits 1 unless every supported contract is verified and the second run submits nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from private_chain import ROOT, RWA, private_chain, rwa


def verify_run(env: dict[str, str]) -> tuple[dict[str, object], float]:
    started = time.monotonic()
    done = subprocess.run([RWA, "verify", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"rwa verify failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout)
    return result, elapsed


def main() -> None:
    from rwa.testing.explorer import FakeExplorer

    with private_chain("rwa-verify-bench-") as env:
        rwa(env, "deploy")
        rwa(env, "property", "create", "BENCH-1", "--name", "1 Bench Street", "--symbol", "BENCH1")
        with FakeExplorer(env["APE_FOUNDRY_HOST"], ROOT, key="bench", compile=True) as explorer:
            env = {**env, "RWA_EXPLORER_URL": explorer.url, "ETHERSCAN_API_KEY": "bench"}
            first, first_time = verify_run(env)
            second, second_time = verify_run(env)
    rows = first["contracts"]
    assert isinstance(rows, list)
    statuses = [row["status"] for row in rows]
    linked = len(explorer.proxies)
    print("\nrwa verify against a loopback Etherscan that compiles each submission (solc 0.8.28 WebAssembly, vyper 0.4.3)")
    print(f"  contracts verified (source)          {len(explorer.verified):>6}")
    print(f"  proxies linked (verifyproxycontract) {linked:>6}")
    print(f"  unsupported (no source to submit)    {statuses.count('unsupported'):>6}")
    print(f"  failed                               {statuses.count('failed'):>6}")
    print(f"  submissions, first run               {first['submissions']:>6}")
    print(f"  requests, first run                  {first['requests']:>6}")
    print(f"  wall time, first run                 {first_time:>5.1f}s  (the explorer's compiles included)")
    print(f"  submissions, second run              {second['submissions']:>6}")
    print(f"  requests, second run                 {second['requests']:>6}")
    print(f"  wall time, second run                {second_time:>5.1f}s")
    ok = statuses.count("failed") == 0 and statuses.count("pending") == 0 and second["submissions"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.chdir(ROOT)
    main()
