"""Every test in exactly one of the two runs: `make test` or `make test-slow`.

Each run is one or more `ape test` selections (paths, --ignore, -m), as the Makefile passes them. This collects
every selection and the whole suite (`ape test tests examples`, what pytest's testpaths name) with
``--collect-only`` and checks that no test is selected twice (within a run or across the two), and that
every test is selected once. `make test-split` runs it; it prints the counts, and each test in error by its id.

    python tools/test_split.py --test "SELECTION" ... --slow "SELECTION" ...
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Queue

from rwa.testing.environment import RUN_PORTS, test_port

ROOT = Path(__file__).resolve().parent.parent
APE = ROOT / ".venv" / "bin" / "ape"
#: What `ape test` collects with no paths (pyproject's testpaths), the whole suite.
EVERYTHING = "tests examples"


def collect(selection: str, ports: Queue[int]) -> list[str]:
    """The node ids `ape test SELECTION` would run, in order (a failure to collect is an error). Ape starts
    the session's chain even to collect: each collection takes a run's ports of ``ports`` while it lasts."""
    port = ports.get()
    try:
        done = subprocess.run(
            [str(APE), "test", *shlex.split(selection), "--collect-only", "-q"],
            cwd=ROOT,
            env={**os.environ, "TEST_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        ports.put(port)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    # pytest exits 5 when a selection collects nothing: that is a count of 0, not an error.
    if done.returncode not in (0, 5):
        raise SystemExit(f"ape test {selection} --collect-only failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return ids


def problems(everything: list[str], runs: dict[str, list[list[str]]]) -> list[str]:
    """Each test selected twice or never, as a line; nothing when the runs split the suite exactly."""
    found = []
    chosen: Counter[str] = Counter()
    for run, selections in runs.items():
        for ids in selections:
            chosen.update(ids)
            found += [f"{test}: not in the suite, yet selected by make {run}" for test in set(ids) - set(everything)]
    found += [f"{test}: selected {count} times" for test, count in sorted(chosen.items()) if count > 1]
    found += [f"{test}: in no run" for test in everything if test not in chosen]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="append", default=[], help="a selection of `make test` (repeat)")
    parser.add_argument("--slow", action="append", default=[], help="a selection of `make test-slow` (repeat)")
    args = parser.parse_args(argv)
    selections = [EVERYTHING, *args.test, *args.slow]
    # Two collections at a time (one a core), on the ports of `make test`'s two runs.
    ports: Queue[int] = Queue()
    for port in (test_port(), test_port() + RUN_PORTS):
        ports.put(port)
    with ThreadPoolExecutor(ports.qsize()) as pool:
        collected = list(pool.map(lambda selection: collect(selection, ports), selections))
    everything = collected[0]
    runs = {"test": collected[1 : 1 + len(args.test)], "test-slow": collected[1 + len(args.test) :]}
    for run, ids in runs.items():
        print(f"make {run}: {sum(len(i) for i in ids)} tests ({' + '.join(str(len(i)) for i in ids)})")
    print(f"the suite: {len(everything)} tests")
    found = problems(everything, runs)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"error: {len(found)} test(s) not in exactly one of make test and make test-slow", file=sys.stderr)
        return 1
    print("every test is in exactly one of make test and make test-slow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
