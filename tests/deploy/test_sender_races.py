"""The sender's races with the chain, each staged at its exact point with a chain that answers on cue."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from eth_account import Account

from rwa.core.errors import RwaError
from rwa.deploy.fees import GWEI
from rwa.deploy.journal import Intent, Journal
from rwa.deploy.sender import Sender

#: A throwaway key made for this test alone; it never holds anything anywhere.
KEY = "0x" + "42" * 32
NONCE = 7


class ChainWhoseNonceIsMinedMeanwhile:
    """Holds one stuck transaction at ``NONCE``; while its replacement is being signed, a block
    mines it, and the wallet (as Ape's does) refuses to sign for a nonce already used."""

    def __init__(self, mined_meanwhile: bool):
        self.mined_meanwhile = mined_meanwhile
        self.mined = NONCE
        self.offered: list[str] = []

    def suggested_priority_fee(self) -> int:
        return GWEI

    def balance(self, address: str) -> int:
        return 10**18

    def sign_priced(self, *args: Any, **kwargs: Any) -> Any:
        if self.mined_meanwhile:
            self.mined = NONCE + 1
        raise RwaError("transaction would fail: Invalid nonce, will not publish.")

    def mined_nonce(self, address: str) -> int:
        return self.mined

    def offer(self, raw: str) -> tuple[str, str]:
        self.offered.append(raw)
        return "accepted", ""


def stuck_intent() -> Intent:
    signed = Account.sign_transaction(
        {
            "type": 2,
            "chainId": 11155111,
            "nonce": NONCE,
            "to": "0x000000000000000000000000000000000000dEaD",
            "value": 0,
            "data": b"",
            "gas": 21000,
            "maxFeePerGas": 2 * GWEI,
            "maxPriorityFeePerGas": GWEI // 10,
        },
        KEY,
    )
    sender = Account.from_key(KEY).address
    return Intent(
        key="Stuck",
        nonce=NONCE,
        hash="0x" + signed.hash.hex().removeprefix("0x"),
        raw="0x" + signed.raw_transaction.hex().removeprefix("0x"),
        sender=sender,
        address=None,
    )


def sender_over(chain: Any, tmp_path: Any) -> Sender:
    target = SimpleNamespace(chain=chain, account=SimpleNamespace(address=Account.from_key(KEY).address))
    return Sender(target, Journal(tmp_path / "journal.jsonl"), report=lambda *a: None)  # type: ignore[arg-type]


def test_a_stuck_transaction_mined_while_its_replacement_is_priced_is_left_to_be_adopted(tmp_path):
    chain = ChainWhoseNonceIsMinedMeanwhile(mined_meanwhile=True)
    sender = sender_over(chain, tmp_path)

    assert sender.replace(stuck_intent(), base_fee=GWEI) is None
    assert chain.offered == []  # nothing broadcast
    assert sender.journal.entries() == []  # and no replacement journaled: there is none


def test_a_signing_refusal_with_the_nonce_still_open_is_reported(tmp_path):
    chain = ChainWhoseNonceIsMinedMeanwhile(mined_meanwhile=False)
    sender = sender_over(chain, tmp_path)

    with pytest.raises(RwaError, match="Invalid nonce"):
        sender.replace(stuck_intent(), base_fee=GWEI)
    assert chain.offered == []
