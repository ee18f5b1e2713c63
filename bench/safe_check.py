"""Check: the toolkit's offline safeTxHash equals the Safe contract's getTransactionHash.

    .venv/bin/python bench/safe_check.py [COUNT]

Deploys the suite (Safe v1.4.1 included) on a private anvil, then compares the two hashes for
COUNT (default 200) random Safe transactions and prints the tally.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from private_chain import private_chain, rwa


def random_tx(rng: random.Random):  # type: ignore[no-untyped-def]
    from eth_utils import to_checksum_address

    from rwa.admin.safe import SafeTx

    def address() -> str:
        return to_checksum_address(rng.randbytes(20).hex())

    def uint() -> int:
        return rng.choice([0, 1, rng.getrandbits(64), rng.getrandbits(256)])

    return SafeTx(
        address(),
        uint(),
        "0x" + rng.randbytes(rng.randint(0, 200)).hex(),
        rng.choice([0, 1]),
        uint(),
        uint(),
        uint(),
        address(),
        address(),
        uint(),
    )


def main() -> None:
    import json

    from web3 import Web3

    from rwa.admin.safe import safe_tx_hash

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with private_chain("rwa-safe-check-", start=False) as env:
        rwa(env, "deploy")
        record = json.loads(Path(env["RWA_DEPLOYMENTS_DIR"], "local.json").read_text())
        safe = record["contracts"]["Safe"]
        web3 = Web3(Web3.HTTPProvider(env["APE_FOUNDRY_HOST"]))
        contract = web3.eth.contract(address=safe["address"], abi=safe["abi"])
        rng = random.Random(20261122)
        agree = 0
        for _ in range(count):
            tx = random_tx(rng)
            onchain = contract.functions.getTransactionHash(*tx.hash_args()).call()
            agree += "0x" + bytes(onchain).hex() == safe_tx_hash(record["chainId"], safe["address"], tx)
    print(f"safeTxHash: toolkit == Safe.getTransactionHash for {agree} of {count} random transactions")
    sys.exit(0 if agree == count else 1)


if __name__ == "__main__":
    main()
