"""Check: unsafe upgrades are refused and safe ones accepted (bench/upgrades/Variants.sol).

    .venv/bin/python bench/upgrade_check.py

Every ``Unsafe*`` contract is an upgrade of ``VaultV1`` that must be refused (insert, remove,
reorder, retype, rename without annotation, a new immutable, selfdestruct, delegatecall, a
constructor that sets state, a gap not shrunk, a changed or reordered namespace); every ``Safe*``
must pass. Prints each verdict with its first reason, then the tally.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "bench/upgrades/Variants.sol"


def verdicts() -> list[tuple[str, bool, list[str]]]:
    from rwa.chain.layouts import compare, extract, solc_output
    from rwa.core.project import SOLC_VERSION

    output = solc_output(ROOT, ROOT / ".rwa" / "solc" / f"solc-v{SOLC_VERSION}", SOURCE)
    base = extract(output, SOURCE, "VaultV1")
    names = sorted(n for n in output["contracts"][SOURCE] if n.startswith(("Safe", "Unsafe")))
    return [(name, name.startswith("Safe"), compare(base, extract(output, SOURCE, name))) for name in names]


def main() -> None:
    results = verdicts()
    right = 0
    for name, should_pass, problems in results:
        ok = should_pass == (not problems)
        right += ok
        verdict = "accepted" if not problems else "refused"
        print(f"  {'ok ' if ok else 'BAD'} {name:<26} {verdict:<9} {problems[0] if problems else ''}")
    unsafe = sum(1 for _, should_pass, _ in results if not should_pass)
    refused = sum(1 for _, should_pass, p in results if not should_pass and p)
    accepted = sum(1 for _, should_pass, p in results if should_pass and not p)
    print(f"unsafe upgrades refused: {refused}/{unsafe}; safe upgrades accepted: {accepted}/{len(results) - unsafe}")
    sys.exit(0 if right == len(results) else 1)


if __name__ == "__main__":
    main()
