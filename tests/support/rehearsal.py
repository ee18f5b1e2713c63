"""A rehearsal of a live deploy: the whole manifest to a chain that presents itself as Sepolia (or
another live network of the manifest: `rehearsal(network=, chain_id=, block_time=)`).

An anvil with Sepolia's chain id and one-second blocks (tests/support/livelike.py), Safe v1.4.1 (the
project's build of the singleton, proxy factory and MultiSendCallOnly), Multicall3 and a
stablecoin placed with ``anvil_setCode`` at the addresses the manifest names for Sepolia, keystore
accounts made by Ape's own import (``ape_accounts.import_account_from_private_key``) in a
temporary ``APE_DATA_FOLDER``, the team's parameters in a temporary ``RWA_PARAMS_DIR``, and ``rwa``
run as real processes, as an operator would run it. Used by tests/deploy/test_rehearsal.py and
bench/sepolia_rehearsal.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from livelike import CHAIN_ID, CREATE2_DEPLOYER_CODE, ROOT, LiveChain, live_chain

from rwa.chain.artifacts import load as load_artifacts
from rwa.core.evm import CREATE2_DEPLOYER, MULTICALL3, MULTICALL3_TYPE
from rwa.core.project import ProjectPaths
from rwa.deploy.manifest import load as load_manifest

NETWORK = "sepolia"
PASSPHRASE = "rehearsal passphrase"
#: The keystore accounts of the rehearsal: the deployer and three Safe owners (not development keys).
ACCOUNTS = ("ops", "owner1", "owner2", "owner3")
RWA = str(ROOT / ".venv" / "bin" / "rwa")


@dataclass
class Rehearsal:
    chain: LiveChain
    home: Path
    keys: dict[str, str]  # alias -> private key
    env: dict[str, str]
    people: dict[str, str] = field(default_factory=dict)  # role -> address (attestor, agent, ...)
    network: str = NETWORK  # the live network the chain stands in for
    commands: list[tuple[list[str], float]] = field(default_factory=list)  # each `rwa` run and its seconds

    def address(self, alias: str) -> str:
        return str(Account.from_key(self.keys[alias]).address)

    def rwa(
        self, *args: str, expect: int | None = 0, env: dict[str, str] | None = None, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        """`rwa ARGS` as a process, as an operator runs it (stdin is not a terminal)."""
        started = time.monotonic()
        done = subprocess.run(
            [RWA, *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.commands.append(([*args], time.monotonic() - started))
        if expect is not None:
            assert done.returncode == expect, f"rwa {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done

    def propose_and_sign(self, call: str, title: str) -> str:
        """A Safe proposal of ``call``, signed by two of the three owners (the threshold): its id."""
        proposed = self.rwa("safe", "propose", "--network", NETWORK, "--call", call, "--title", title, "--json")
        proposal = json.loads(proposed.stdout)
        for owner in ("owner1", "owner2"):
            self.rwa("safe", "sign", proposal["id"], "--network", NETWORK, "--account", owner)
        return str(proposal["id"])

    def execute_killed_then_rerun(self, proposal: str) -> list[dict[str, Any]]:
        """`rwa safe execute` killed while its execTransaction waits in the node's pool (blocks paused),
        then run again while blocks resume: the rerun's results. The executor (owner1) must have sent
        exactly one transaction: the caller checks its nonce."""
        execute = ["safe", "execute", proposal, "--network", NETWORK, "--account", "owner1", "--json"]
        executor = self.address("owner1")
        before = self.chain.mined_nonce(executor)
        self.chain.pause_mining()
        first = subprocess.Popen(
            [RWA, *execute], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 120
            while self.chain.pending_nonce(executor) == before:  # its execTransaction reached the pool
                assert first.poll() is None, first.stderr.read() if first.stderr else ""
                assert time.monotonic() < deadline, "rwa safe execute sent nothing in 120 s"
                time.sleep(0.05)
        finally:
            first.kill()
            first.wait()
        assert self.chain.mined_nonce(executor) == before  # killed while its transaction waits
        resume = threading.Timer(2.0, self.chain.resume_mining)  # blocks come back while the rerun waits
        resume.start()
        try:
            return list(json.loads(self.rwa(*execute).stdout))
        finally:
            resume.join()

    def write_params(self) -> None:
        """The team's parameters for Sepolia, in the folder RWA_PARAMS_DIR names."""
        self.write_params_of(team_params(self))

    def write_params_of(self, params: dict[str, Any]) -> None:
        (self.home / "params" / f"{self.network}.py").write_text(f"PARAMS = {params!r}\n")

    def record(self) -> dict[str, Any]:
        return dict(json.loads((self.home / "deployments" / f"{self.network}.json").read_text()))


def place_external_contracts(chain: LiveChain, network: str = NETWORK) -> dict[str, str]:
    """Put, at each address the manifest names for Sepolia, the runtime code of the project's build
    of that contract (and Multicall3 where public chains have it). Returns name -> address."""
    paths = ProjectPaths(ROOT)
    artifacts = load_artifacts(paths)
    manifest = load_manifest(paths.manifest_file)
    placed = {}
    for entry in manifest.entries(network):
        external = entry.external_on(network)
        if external is not None:
            chain.set_code(external.address, "0x" + artifacts[entry.contract_type].runtime.hex())
            placed[entry.name] = external.address
    chain.set_code(MULTICALL3, "0x" + artifacts[MULTICALL3_TYPE].runtime.hex())
    if chain.kind == "hardhat":  # public chains and anvil have the deterministic deployer; Hardhat's node not
        chain.set_code(CREATE2_DEPLOYER, CREATE2_DEPLOYER_CODE)
    return placed


#: The scrypt work factor of the rehearsal's keystores (eth_account's default is 2**18: about 0.7 s of CPU for
#: each unlock, and every `rwa` command that sends unlocks one). The file is Ape's keystore all the same.
KEYSTORE_SCRYPT_N = 2**12


def _import_accounts(env: dict[str, str], keys: dict[str, str]) -> None:
    """Ape's own import of each key into the keystore of ``APE_DATA_FOLDER`` (encrypted with a light work factor)."""
    script = (
        "import json, sys\n"
        "from eth_account import Account\n"
        "encrypt = Account.encrypt\n"
        f"Account.encrypt = lambda key, password, kdf=None, iterations=None: encrypt(key, password, kdf, {KEYSTORE_SCRYPT_N})\n"
        "from ape_accounts import import_account_from_private_key\n"
        "for alias, key in json.loads(sys.argv[1]).items():\n"
        f"    import_account_from_private_key(alias, {PASSPHRASE!r}, key)\n"
    )
    subprocess.run([sys.executable, "-c", script, json.dumps(keys)], env=env, check=True, capture_output=True, timeout=120)


def team_params(rehearsal: Rehearsal) -> dict[str, Any]:
    # A role whose alias the rehearsal imported as a keystore account (extra_keys) is that account; the others
    # are addresses nobody here signs for.
    people = {
        role: rehearsal.address(role) if role in rehearsal.keys else Account.create().address
        for role in ("attestor", "sanctions_officer", "agent", "guardian", "treasury", "operations")
    }
    rehearsal.people = people
    # The treasury and the operations Safe (burn, forced transfer, recovery) are Safes of the team's, created
    # beforehand (PropertyOfferingFactory refuses a key as treasury, a deploy a key as those agents): Safe code
    # at their addresses stands in for them.
    safe_code = load_artifacts(ProjectPaths(ROOT))["SafeL2"].runtime.hex()
    for safe in ("treasury", "operations"):
        rehearsal.chain.set_code(people[safe], "0x" + safe_code)
    owners = [rehearsal.address(a) for a in ("owner1", "owner2", "owner3")]
    return {
        "safe_owners": owners,
        "safe_threshold": 2,
        "guardian_owners": [owners[0], people["guardian"]],
        "guardian_threshold": 1,
        "attestor": people["attestor"],
        "sanctions_officer": people["sanctions_officer"],
        # Mint and freeze: the platform's backend key; burn, forced transfer and recovery: the operations Safe.
        "property_minter": people["agent"],
        "property_freezer": people["agent"],
        "property_burner": people["operations"],
        "property_forced_transfer": people["operations"],
        "property_recovery": people["operations"],
        "property_creator": people["agent"],
        "vault_operator": people["agent"],
        "treasury": people["treasury"],
    }


@contextmanager
def rehearsal(
    port: int,
    home: Path,
    params: bool = True,
    extra_keys: dict[str, str] | None = None,
    kind: str = "anvil",
    network: str = NETWORK,
    chain_id: int = CHAIN_ID,
    block_time: float = 1,
) -> Iterator[Rehearsal]:
    """A Sepolia stand-in (anvil, or Hardhat's node with ``kind="hardhat"``; or another live network of
    the manifest: ``network``, ``chain_id``, ``block_time``) with the canonical contracts in place, funded
    keystore accounts (and ``extra_keys`` imported as they are), the team's parameters (``params``) and
    an environment for `rwa` processes pointed at all of it."""
    keys = {alias: "0x" + os.urandom(32).hex() for alias in ACCOUNTS}
    with live_chain(port, block_time, chain_id, kind=kind) as chain:
        place_external_contracts(chain, network)
        for key in keys.values():
            chain.set_balance(Account.from_key(key).address, 10**20)
        env = {
            **os.environ,
            "APE_DATA_FOLDER": str(home / "ape"),
            "RWA_DEPLOYMENTS_DIR": str(home / "deployments"),
            "RWA_PARAMS_DIR": str(home / "params"),
            "RWA_STATE_DIR": str(home / "state"),
            f"{network.upper().replace('-', '_')}_RPC_URL": chain.url,
            "NO_COLOR": "1",
            "COLUMNS": "200",
            **{f"APE_ACCOUNTS_{alias}_PASSPHRASE": PASSPHRASE for alias in [*ACCOUNTS, *(extra_keys or {})]},
        }
        (home / "params").mkdir(parents=True, exist_ok=True)
        keys.update(extra_keys or {})
        _import_accounts(env, keys)
        found = Rehearsal(chain, home, keys, env, network=network)
        if params:
            found.write_params()
        yield found
