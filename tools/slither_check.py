"""Slither over the project's Solidity contracts, every finding fixed or triaged (`make lint` runs it).

Runs with the Python of the Slither virtualenv that `make` creates (.rwa/slither; Slither's own
dependencies stay out of the project's venv), offline: the compiler is the project's own solc
(.rwa/solc/solc-v0.8.28, the native binary or the WebAssembly front end), OpenZeppelin comes from
node_modules/. Ape's build is not used: Slither needs solc's AST, which Ape does not keep.

The contracts analysed are every .sol under contracts/ but the test helpers (contracts/test/) and
third-party code (contracts/external/); OpenZeppelin's own code is analysed only where ours uses it
(Slither's --exclude-dependencies). The Vyper RevenueSplitter is not analysed.

slither.triage.json says what is accepted, each with its reason:

- "excluded_detectors": {detector: reason}: detectors not run at all (style and informational checks
  whose every finding is by design);
- "findings": [{"check", "where", "reason"}]: single findings accepted, matched by detector and place
  ("Contract.function", "Contract.variable" or "Contract"), not by line, so edits elsewhere in a file
  do not reopen them.

Exit status 1 when a finding is not triaged (each is printed with a ready-to-fill triage entry) or a
triage entry matches nothing any more (remove it). Usage:

    .rwa/slither/bin/python tools/slither_check.py [--json]   # --json: print every finding as JSON
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = ROOT / "slither.triage.json"
SOLC = ROOT / ".rwa" / "solc" / "solc-v0.8.28"
REMAPPINGS = "@openzeppelin/=node_modules/@openzeppelin/"
SKIPPED_FOLDERS = ("contracts/test/", "contracts/external/")
# Only what Slither reads: the AST, ABIs and NatSpec. No bytecode, so solc skips code generation
# (most of its time); crytic-compile still expects the bytecode fields, filled in empty below.
OUTPUT_SELECTION = {"*": {"*": ["abi", "devdoc", "userdoc"], "": ["ast"]}}
EMPTY_CODE = {"object": "", "sourceMap": ""}


def sources() -> list[str]:
    found = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "contracts").rglob("*.sol"))
    return [f for f in found if not f.startswith(SKIPPED_FOLDERS) and "/.cache/" not in f]


def analysis_only(run: Any) -> Any:
    """crytic-compile's solc runner, asking solc for the AST alone."""

    def run_solc(solc_input: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        solc_input["settings"]["outputSelection"] = OUTPUT_SELECTION
        output: dict[str, Any] = run(solc_input, *args, **kwargs)
        for contracts in output.get("contracts", {}).values():
            for info in contracts.values():
                info["evm"] = {"bytecode": EMPTY_CODE, "deployedBytecode": EMPTY_CODE}
        return output

    return run_solc


def findings() -> list[dict[str, Any]]:
    from crytic_compile import CryticCompile
    from crytic_compile.platform import solc_standard_json
    from slither import Slither
    from slither.detectors import all_detectors
    from slither.detectors.abstract_detector import AbstractDetector

    # Slither cannot build its IR for OpenZeppelin's transient-storage reentrancy guard (tload/tstore
    # through TransientSlot); it says so at ERROR level and analyses the rest. Not a finding.
    logging.getLogger("ContractSolcParsing").setLevel(logging.CRITICAL)
    solc_standard_json.run_solc_standard_json = analysis_only(solc_standard_json.run_solc_standard_json)
    standard = solc_standard_json.SolcStandardJson()
    standard.add_source_files(sources())
    compiled = CryticCompile(
        standard, solc=str(SOLC), solc_remaps=REMAPPINGS, solc_disable_warnings=True, solc_working_dir=str(ROOT)
    )
    slither = Slither(compiled, exclude_dependencies=True, filter_paths=["node_modules/"])
    excluded = triage()["excluded_detectors"]
    for _, detector in inspect.getmembers(all_detectors, inspect.isclass):
        if issubclass(detector, AbstractDetector) and detector.ARGUMENT not in excluded:
            slither.register_detector(detector)
    return [result for results in slither.run_detectors() for result in results]


def where(result: dict[str, Any]) -> str:
    """The finding's place, without line numbers: Contract, Contract.function or Contract.function.local
    (a statement counts as its function)."""
    element = result["elements"][0]
    if element["type"] == "node":
        element = element["type_specific_fields"]["parent"]
    names = [element["name"]]
    parent = element.get("type_specific_fields", {}).get("parent")
    while parent:
        names.insert(0, parent["name"])
        parent = parent.get("type_specific_fields", {}).get("parent")
    return ".".join(names)


def triage() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TRIAGE.read_text())
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print every finding (check, place, description) as JSON")
    args = parser.parse_args()
    started = time.monotonic()
    results = findings()
    accepted = {(entry["check"], entry["where"]): entry for entry in triage()["findings"]}
    used: set[tuple[str, str]] = set()
    open_findings = []
    for result in results:
        key = (result["check"], where(result))
        if key in accepted:
            used.add(key)
        else:
            open_findings.append((key, result))
    if args.json:
        print(
            json.dumps(
                [
                    {"check": r["check"], "where": where(r), "impact": r["impact"], "description": r["description"].strip()}
                    for r in results
                ],
                indent=1,
            )
        )
    stale = [key for key in accepted if key not in used]
    for (check, place), result in open_findings:
        print(f"slither: untriaged {result['impact'].lower()} finding {check} in {place}:")
        print("  " + result["description"].strip().replace("\n", "\n  "))
        print(f'  fix it, or triage it in slither.triage.json: {{"check": "{check}", "where": "{place}", "reason": "..."}}')
    for check, place in stale:
        print(f"slither: triage entry {check} in {place} matches no finding any more: remove it from slither.triage.json")
    seconds = time.monotonic() - started
    print(
        f"slither: {len(results)} finding(s), {len(results) - len(open_findings)} triaged, "
        f"{len(open_findings)} open, {len(stale)} stale triage entr(ies); {len(sources())} files in {seconds:.0f} s"
    )
    return 1 if open_findings or stale else 0


if __name__ == "__main__":
    sys.exit(main())
