"""Check: what a signer sees is what the Safe runs, with several signers and under crashes.

    .venv/bin/python bench/governance_check.py

Deploys the suite on a private anvil, then, with `rwa` commands run in this process:
every readable field of a proposal is tampered with in turn (each must be refused by show, sign and
execute, naming the field, the file unchanged); three owner processes sign the same proposal at
the same moment, 20 rounds (every signature must be kept); `rwa safe execute` is killed at each
step (before send, after send, after mined, before the outcome and the follow-up are written) and
rerun (it must finish the job, with the Safe's nonce moved exactly once). Prints the three tallies.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

from private_chain import private_chain, rwa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from tampering import GRANT, SCHEDULE_TAMPERS, edit  # noqa: E402

MNEMONIC = "test test test test test test test test test test test junk"
OWNERS = (3, 4, 5)  # test accounts owner1..3 of the local manifest
ROUNDS = 20


class Crash(BaseException):
    """A kill at that line: no handler catches it, nothing after it runs."""


def run(*args: str) -> tuple[int, str, str]:
    """One `rwa` command in this process: exit code, stdout, stderr."""
    from rwa.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def ok(*args: str) -> Any:
    code, out, err = run(*args, "--json")
    if code:
        raise SystemExit(f"rwa {' '.join(args)} failed: {err.strip()}")
    return json.loads(out)


def tampering(folder: Path) -> tuple[int, int]:
    proposal = ok("safe", "propose", "--call", GRANT)
    ok("safe", "sign", proposal["id"], "--account", "owner1")
    path = folder / f"{proposal['id']}.json"
    original = path.read_text()
    refused = 0
    for field, where, value in SCHEDULE_TAMPERS:
        path.write_text(json.dumps(edit(json.loads(original), where, value)))
        before = path.read_text()
        lines = [
            run("safe", command, proposal["id"], *extra)
            for command, *extra in (("show",), ("sign", "--account", "owner2"), ("execute",))
        ]
        each = all(code != 0 and field in err and len(err.strip().splitlines()) == 1 for code, _, err in lines)
        listed = [p for p in ok("safe", "list") if p["id"] == proposal["id"]]
        each = each and listed[0]["status"] == "invalid" and path.read_text() == before
        refused += each
        print(f"  {'ok ' if each else 'BAD'} tampered {where:<58} {lines[0][2].strip()[:90] if not each else ''}")
    path.unlink()  # out of the way: the next parts start at the Safe's nonce again
    return refused, len(SCHEDULE_TAMPERS)


def _sign_at_once(barrier: Any, deployments: str, proposal_id: str, owner: str, signature: str) -> None:
    from rwa.admin.proposals import ProposalStore

    store = ProposalStore(Path(deployments), "local")
    barrier.wait()
    store.add_signature(proposal_id, owner, signature)


def concurrent_signers(folder: Path, deployments: str) -> tuple[int, int]:
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    from rwa.admin.safe import SafeTx, typed_data

    Account.enable_unaudited_hdwallet_features()
    proposal = ok("safe", "propose", "--call", GRANT)
    tx = SafeTx.from_json(proposal["safeTx"])
    message = encode_typed_data(full_message=typed_data(proposal["chainId"], proposal["safe"]["address"], tx))
    signatures = {}
    for index in OWNERS:
        key = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        signatures[key.address] = "0x" + bytes(Account.sign_message(message, key.key).signature).hex()
    path = folder / f"{proposal['id']}.json"
    context = multiprocessing.get_context("fork")
    kept = 0
    for _ in range(ROUNDS):
        path.write_text(json.dumps(proposal))
        barrier = context.Barrier(len(signatures))
        workers = [
            context.Process(target=_sign_at_once, args=(barrier, deployments, proposal["id"], owner, signature))
            for owner, signature in signatures.items()
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        kept += len(json.loads(path.read_text())["signatures"])
    path.unlink()
    return kept, ROUNDS * len(signatures)


def killed_once(owner: Any, name: str, after: bool) -> Any:
    """``owner.name`` that dies (before its work, or right after it), then is itself again."""
    original = getattr(owner, name)

    def dying(*args: Any, **kwargs: Any) -> Any:
        setattr(owner, name, original)
        if after:
            original(*args, **kwargs)
        raise Crash(name)

    return dying


def crashes(rpc_url: str, deployments: str) -> tuple[int, int]:
    from web3 import Web3

    from rwa.admin import governance
    from rwa.chain.client import Chain

    safe = json.loads(Path(deployments, "local.json").read_text())["contracts"]["Safe"]
    safe_nonce = Web3(Web3.HTTPProvider(rpc_url)).eth.contract(address=safe["address"], abi=safe["abi"]).functions.nonce

    points = {
        "before send": (Chain, "broadcast", False),
        "after send": (Chain, "broadcast", True),
        "after mined": (Chain, "wait", True),
        "before the outcome is written": (governance, "_execution_succeeded", False),
        "before the follow-up is written": (governance, "_follow_up", False),
    }
    reconciled = 0
    for point, (owner, name, after) in points.items():
        proposal = ok("safe", "propose", "--call", GRANT)
        for signer in ("owner1", "owner2"):
            ok("safe", "sign", proposal["id"], "--account", signer)
        nonce = safe_nonce().call()
        original = getattr(owner, name)
        setattr(owner, name, killed_once(owner, name, after))
        try:
            run("safe", "execute", proposal["id"])
            crashed = False
        except Crash:
            crashed = True
        finally:
            setattr(owner, name, original)
        results = ok("safe", "execute", proposal["id"])
        follow_ups = [p for p in ok("safe", "list") if (p.get("timelock") or {}).get("schedule") == proposal["id"]]
        done = (
            crashed
            and results[0]["status"] == "executed"
            and len(results) == 2
            and len(follow_ups) == 1
            and safe_nonce().call() == nonce + 1
            and run("safe", "execute", proposal["id"])[0] != 0
        )
        reconciled += done
        print(
            f"  {'ok ' if done else 'BAD'} killed {point}: rerun {'completed' if done else 'did not complete'} {proposal['id']}"
        )
        # leave the Safe free for the next round: execute the follow-up too
        for signer in ("owner1", "owner2"):
            ok("safe", "sign", results[-1]["id"], "--account", signer)
        ok("safe", "execute", results[-1]["id"])
    return reconciled, len(points)


def main() -> None:
    with private_chain("rwa-governance-check-") as env:
        rwa(env, "deploy")
        os.environ.update({**env, "NO_COLOR": "1", "COLUMNS": "200"})
        folder = Path(env["RWA_DEPLOYMENTS_DIR"], "proposals", "local")
        refused, tried = tampering(folder)
        kept, made = concurrent_signers(folder, env["RWA_DEPLOYMENTS_DIR"])
        reconciled, killed = crashes(env["APE_FOUNDRY_HOST"], env["RWA_DEPLOYMENTS_DIR"])
    print(f"tampered fields refused: {refused}/{tried}")
    print(f"signatures kept under {ROUNDS} concurrent rounds of {len(OWNERS)} owners: {kept}/{made}")
    print(f"execute crashes reconciled: {reconciled}/{killed}")
    sys.exit(0 if (refused, kept, reconciled) == (tried, made, killed) else 1)


if __name__ == "__main__":
    main()
