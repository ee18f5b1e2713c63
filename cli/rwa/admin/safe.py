"""Safe v1.4.1 transactions, computed offline: EIP-712 hashes, signatures and MultiSend batches.

Pure functions only. The hash is the one the Safe contract computes in ``getTransactionHash``
(bench/safe_check.py compares the two on random transactions), so owners can sign a proposal file
on any machine, with any Ape account, and no Safe Transaction Service.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any, TypedDict, cast

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from rwa.core.abi import ZERO_ADDRESS


class SafeOperation(enum.IntEnum):
    """How a Safe runs its transaction (the ``operation`` field it signs); an int in the files."""

    CALL = 0
    DELEGATECALL = 1


#: The manifest's Safes a proposal goes through, by their --via name.
SAFES = {"safe": "Safe", "guardian": "GuardianSafe"}

DOMAIN_TYPEHASH = keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)")
SAFE_TX_TYPEHASH = keccak(
    text="SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,"
    "uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)


class SafeTxJson(TypedDict):
    """A :class:`SafeTx` in a proposal file."""

    to: str
    value: int
    data: str
    operation: int
    safeTxGas: int
    baseGas: int
    gasPrice: int
    gasToken: str
    refundReceiver: str
    nonce: int


@dataclass(frozen=True)
class SafeTx:
    """The fields a Safe signs (names as in the contract and the Transaction Service)."""

    to: str
    value: int
    data: str  # 0x-hex
    operation: int
    safeTxGas: int
    baseGas: int
    gasPrice: int
    gasToken: str
    refundReceiver: str
    nonce: int

    @classmethod
    def call(cls, to: str, data: bytes, nonce: int, value: int = 0, operation: int = SafeOperation.CALL) -> SafeTx:
        return cls(to_checksum_address(to), value, "0x" + data.hex(), operation, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, nonce)

    def as_json(self) -> SafeTxJson:
        return cast(SafeTxJson, asdict(self))

    @classmethod
    def from_json(cls, data: SafeTxJson) -> SafeTx:
        fields = cast(dict[str, Any], data)
        return cls(**{name: fields[name] for name in cls.__dataclass_fields__})

    def hash_args(self) -> list[Any]:
        """Arguments of the Safe's ``getTransactionHash``, in order (what ``safe_tx_hash`` computes offline)."""
        return [
            self.to,
            self.value,
            bytes.fromhex(self.data[2:]),
            self.operation,
            self.safeTxGas,
            self.baseGas,
            self.gasPrice,
            self.gasToken,
            self.refundReceiver,
            self.nonce,
        ]

    def exec_args(self, signatures: bytes) -> list[Any]:
        """Arguments of ``execTransaction``, in order: the signed fields but the nonce (the Safe's own), then the signatures."""
        return [*self.hash_args()[:-1], signatures]


def domain_separator(chain_id: int, safe: str) -> bytes:
    return keccak(encode(["bytes32", "uint256", "address"], [DOMAIN_TYPEHASH, chain_id, to_checksum_address(safe)]))


def struct_hash(tx: SafeTx) -> bytes:
    return keccak(
        encode(
            [
                "bytes32",
                "address",
                "uint256",
                "bytes32",
                "uint8",
                "uint256",
                "uint256",
                "uint256",
                "address",
                "address",
                "uint256",
            ],
            [
                SAFE_TX_TYPEHASH,
                to_checksum_address(tx.to),
                tx.value,
                keccak(bytes.fromhex(tx.data[2:])),
                tx.operation,
                tx.safeTxGas,
                tx.baseGas,
                tx.gasPrice,
                to_checksum_address(tx.gasToken),
                to_checksum_address(tx.refundReceiver),
                tx.nonce,
            ],
        )
    )


def safe_tx_hash(chain_id: int, safe: str, tx: SafeTx) -> str:
    """The EIP-712 digest owners sign: ``keccak(0x1901 ‖ domainSeparator ‖ structHash)``."""
    return "0x" + keccak(b"\x19\x01" + domain_separator(chain_id, safe) + struct_hash(tx)).hex()


def typed_data(chain_id: int, safe: str, tx: SafeTx) -> dict[str, Any]:
    """The same message as EIP-712 typed data, for wallets that sign typed data (hardware wallets)."""
    return {
        "types": {
            "EIP712Domain": [{"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "SafeTx": [
                {"name": "to", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "data", "type": "bytes"},
                {"name": "operation", "type": "uint8"},
                {"name": "safeTxGas", "type": "uint256"},
                {"name": "baseGas", "type": "uint256"},
                {"name": "gasPrice", "type": "uint256"},
                {"name": "gasToken", "type": "address"},
                {"name": "refundReceiver", "type": "address"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "SafeTx",
        "domain": {"chainId": chain_id, "verifyingContract": to_checksum_address(safe)},
        "message": {**tx.as_json(), "data": bytes.fromhex(tx.data[2:])},
    }


def recover_signer(digest: str, signature: str) -> str | None:
    """The owner behind a Safe ECDSA signature (v 27/28 over the digest, or v 31/32 eth_sign)."""
    from eth_keys import keys
    from eth_keys.exceptions import BadSignature

    raw = bytes.fromhex(signature[2:])
    if len(raw) != 65:
        return None
    r, s, v = raw[:32], raw[32:64], raw[64]
    message = bytes.fromhex(digest[2:])
    if v in (31, 32):
        message = keccak(b"\x19Ethereum Signed Message:\n32" + message)
        v -= 4
    if v not in (27, 28):
        return None
    try:
        key = keys.Signature(r + s + bytes([v - 27])).recover_public_key_from_msg_hash(message)
    except (BadSignature, ValueError):
        return None
    return key.to_checksum_address()


def pack_signatures(signatures: dict[str, str]) -> bytes:
    """Signatures concatenated in ascending owner order, as ``execTransaction`` requires."""
    ordered = sorted(signatures.items(), key=lambda item: int(item[0], 16))
    return b"".join(bytes.fromhex(sig[2:]) for _, sig in ordered)


def multisend_payload(calls: list[tuple[str, int, bytes]]) -> bytes:
    """MultiSendCallOnly's packed ``transactions`` bytes: operation, to, value, length, data."""
    packed = b""
    for to, value, data in calls:
        packed += (
            bytes([SafeOperation.CALL])
            + bytes.fromhex(to_checksum_address(to)[2:])
            + value.to_bytes(32, "big")
            + len(data).to_bytes(32, "big")
            + data
        )
    return packed


def multisend_call(calls: list[tuple[str, int, bytes]]) -> bytes:
    """Calldata of ``multiSend(bytes)`` for a batch of calls."""
    return keccak(text="multiSend(bytes)")[:4] + encode(["bytes"], [multisend_payload(calls)])
