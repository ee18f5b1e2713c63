"""How many alerts `rwa watch` raises, and how severe, for the deployment and for one property made:
on a private anvil, `rwa deploy`, then `rwa watch --once` (by default, and with --deployment-alerts),
then `rwa property create MAIN-ST-1` and the watcher again.

    .venv/bin/python bench/alert_figures.py

Reference: issue 24 counted 42 alerts (14 critical) for the deploy and 12 for one property (none
saying a property was created), one alert per event; on the manifest of the merge it was 46 (16
critical) and 12 (3 critical). The watcher now raises one alert per transaction, skips changes that change
nothing, and raises nothing for the deployment's own transactions unless asked.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from private_chain import ROOT, RWA, private_chain, rwa

REFERENCE = {"deploy": (42, 14), "property": (12, 3)}


def watched(env: dict[str, str], jsonl: Path, store: Path, *extra: str) -> list[dict[str, object]]:
    """The alerts a `rwa watch --once` adds to ``jsonl``."""
    before = jsonl.read_text().count("\n") if jsonl.exists() else 0
    args = [RWA, "watch", "--once", "--quiet", "--store", str(store), "--jsonl", str(jsonl), *extra]
    subprocess.run(args, cwd=ROOT, env=env, capture_output=True, check=False)
    return [json.loads(line) for line in jsonl.read_text().splitlines()[before:]] if jsonl.exists() else []


def line(name: str, alerts: list[dict[str, object]], reference: tuple[int, int] | None = None) -> str:
    severity = Counter(str(a["severity"]) for a in alerts)
    counts = f"{severity['critical']} critical, {severity['warning']} warning, {severity['info']} info"
    text = f"  {name:<44} {len(alerts):>3} alert(s): {counts}"
    return text + (f"   (reference: {reference[0]}, {reference[1]} critical)" if reference else "")


def main() -> None:
    with private_chain("rwa-alert-bench-") as env, tempfile.TemporaryDirectory(prefix="rwa-alert-bench-") as folder:
        scratch = Path(folder)
        rwa(env, "deploy")
        print("rwa watch, alerts raised (a private anvil)")
        quiet = watched(env, scratch / "quiet.jsonl", scratch / "quiet.sqlite")
        print(line("the deploy", quiet, REFERENCE["deploy"]))
        loud = watched(env, scratch / "loud.jsonl", scratch / "loud.sqlite", "--deployment-alerts")
        print(line("the deploy, with --deployment-alerts", loud))
        rwa(
            env,
            "property",
            "create",
            "MAIN-ST-1",
            "--name",
            "1 Main Street",
            "--symbol",
            "MAIN1",
            "--legal-doc",
            "examples/deed.md",
        )
        made = watched(env, scratch / "quiet.jsonl", scratch / "quiet.sqlite")
        print(line("creating one property", made, REFERENCE["property"]))
        for alert in made:
            print(f"    [{alert['severity']}] {alert['rule']}: {alert['message']}")


if __name__ == "__main__":
    main()
