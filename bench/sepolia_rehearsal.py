"""Figures of a rehearsed live deploy, printed (not timed by a test).

    .venv/bin/python bench/sepolia_rehearsal.py

The whole manifest goes to an anvil that presents itself as Sepolia (chain id 11155111, a block
every second, Safe v1.4.1 and a stablecoin at their canonical addresses, a keystore account
unlocked from APE_ACCOUNTS_<ALIAS>_PASSPHRASE; tests/support/rehearsal.py), twice: once at a terminal
(a pseudo-terminal answering the one question), once with --yes. Each prints the questions asked,
the transactions sent, the gas estimated before sending against the gas used (over the
transactions that have an estimate), and the wall time; the --yes run then verifies the contracts on
a loopback Etherscan (cli/rwa/testing/explorer.py) and prints how many were verified.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from private_chain import ROOT, free_port

sys.path.insert(0, str(ROOT / "tests" / "support"))

from rehearsal import NETWORK, RWA, Rehearsal, rehearsal  # noqa: E402

QUESTION = re.compile(r"(Send these \d+ step\(s\) to \w+\?|Sign:|[Pp]assphrase)")


def at_a_terminal(env: dict[str, str]) -> tuple[int, str]:
    """`rwa deploy` on a pseudo-terminal, answering yes to each question; (questions, output)."""
    import pexpect

    child = pexpect.spawn(
        RWA, ["deploy", "--network", NETWORK, "--account", "ops"], cwd=str(ROOT), env=env, encoding="utf-8", timeout=600
    )
    questions, output = 0, []
    while True:
        found = child.expect([QUESTION, pexpect.EOF])
        output.append(child.before or "")
        if found == 1:
            break
        questions += 1
        output.append(child.after)
        child.sendline("y")
    child.close()
    if child.exitstatus != 0:
        raise SystemExit(f"rwa deploy exited {child.exitstatus}:\n{''.join(output)[-3000:]}")
    return questions, "".join(output)


def figures(label: str, port: int, terminal: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="rwa-rehearsal-") as home, rehearsal(port, Path(home)) as run:
        started = time.monotonic()
        if terminal:
            questions, output = at_a_terminal(run.env)
        else:
            done = run.rwa("deploy", "--network", NETWORK, "--account", "ops", "--yes")
            questions, output = len(QUESTION.findall(done.stdout + done.stderr)), done.stdout
        wall = time.monotonic() - started
        sent = run.chain.mined_nonce(run.address("ops"))
        used = re.search(r"where estimated: ([\d,]+) used for ([\d,]+) estimated \(([-+\d.]+)%\)", output)
        estimated_line = re.search(r"estimated: ([\d,]+) gas( \+ (\d+) transaction\(s\) n/a)?", output)
        print(f"{label}:")
        print(f"  questions asked              {questions}")
        print(f"  transactions sent            {sent}")
        if estimated_line:
            unknown = estimated_line.group(3) or "0"
            print(
                f"  transactions estimated       {sent - int(unknown)} of "
                f"{sent} ({unknown} n/a: they need contracts deployed first)"
            )
        if used:
            print(f"  gas, where estimated         {used.group(2)} estimated, {used.group(1)} used ({used.group(3)}%)")
        print(f"  wall time, 1-second blocks   {wall:.1f} s (the `rwa deploy` process, start to exit)")
        if not terminal:
            verified(run)


def verified(run: Rehearsal) -> None:
    import json
    from collections import Counter

    from rwa.testing.explorer import FakeExplorer

    with FakeExplorer(run.chain.url, ROOT, key="bench-key") as explorer:
        env = {"RWA_EXPLORER_URL": explorer.url, "ETHERSCAN_API_KEY": "bench-key"}
        summary = json.loads(run.rwa("verify", "--network", NETWORK, "--json", env=env).stdout)
    counts = Counter(c["status"] for c in summary["contracts"])
    print(
        f"  contracts verified           {counts['verified']} ({summary['submissions']} submissions; "
        f"{counts['unsupported']} left to their publishers or without source, {counts['failed']} failed)"
    )


def main() -> None:
    figures("sepolia rehearsal at a terminal (one question, passphrase from the environment)", free_port(), terminal=True)
    figures("sepolia rehearsal with --yes (CI)", free_port(), terminal=False)


if __name__ == "__main__":
    main()
