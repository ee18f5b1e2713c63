"""Shared by the market's tests: orders signed as a maker's wallet would, and a Safe that signs through ERC-1271."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from rwa.core.orders import Order, Side, approval_digest, order_digest

ZERO = "0x" + "00" * 20
PRICE = 250 * 10**6  # 250 mUSDC per whole token
TOKEN = 10**18
#: secp256k1's group order: a signature with s above half of it is the malleable twin of a valid one.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def make_order(market: Any, maker: Any, token: Any, side: Side, amount: int = 10 * TOKEN, price: int = PRICE, **kw: Any) -> Order:
    fields = {
        "maker": getattr(maker, "address", maker),
        "property": token.address,
        "currency": market.stablecoin(),
        "side": side,
        "amount": amount,
        "price": price,
        "expiry": kw.pop("expiry", 2**40),
        "epoch": kw.pop("epoch", 0),
        "nonce": kw.pop("nonce", 1),
        "taker": kw.pop("taker", ZERO),
    }
    return Order(**fields)


def sign(order: Order, key: Any, chain_id: int, market: Any) -> bytes:
    """The maker's 65-byte signature of the order's digest (r ‖ s ‖ v)."""
    signed = Account.unsafe_sign_hash(order_digest(order, chain_id, getattr(market, "address", market)), _key(key))
    return bytes(signed.signature)


def sign_approval(order_hash: bytes, counterparty: Any, deadline: int, key: Any, chain_id: int, market: Any) -> bytes:
    digest = approval_digest(order_hash, getattr(counterparty, "address", counterparty), deadline, chain_id, market.address)
    return bytes(Account.unsafe_sign_hash(digest, _key(key)).signature)


def high_s(signature: bytes) -> bytes:
    """The malleable twin: the same (r, n - s) with the other parity; ecrecover accepts it, OpenZeppelin refuses it."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def refusal(contract: Any, method: str, *args: Any, sender: Any) -> bytes | None:
    """The revert data of a call (None when it would succeed), read straight from the node: a refusal
    raised by another contract (the token behind the market) is not run through Ape's decoding, which
    looks for its source contract at length."""
    from web3.exceptions import ContractCustomError, ContractLogicError

    data = getattr(contract, method).encode_input(*args)
    try:
        contract.provider.web3.eth.call({"from": sender.address, "to": contract.address, "data": data})
    except (ContractCustomError, ContractLogicError) as refused:
        raw = refused.data if isinstance(refused.data, str) else getattr(refused, "message", "")
        return bytes.fromhex(raw[2:]) if isinstance(raw, str) and raw.startswith("0x") else b"?"
    return None


def error_data(signature: str, *args: Any) -> bytes:
    """A custom error's revert data: its selector and ABI-encoded arguments."""
    kinds = signature[signature.index("(") + 1 : -1]
    values = [getattr(a, "address", a) for a in args]
    return keccak(text=signature)[:4] + (encode(kinds.split(","), values) if kinds else b"")


def _key(account: Any) -> Any:
    return getattr(account, "private_key", account)


# --- a Safe that signs orders -------------------------------------------------------------------

SAFE_MSG_TYPEHASH = keccak(text="SafeMessage(bytes message)")
SAFE_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)")


def safe_message_hash(safe: str, digest: bytes, chain_id: int) -> bytes:
    """What a Safe's owners sign so that CompatibilityFallbackHandler answers ERC-1271 for ``digest``
    (the handler wraps the 32-byte digest as the bytes message ``abi.encode(digest)``)."""
    separator = keccak(encode(["bytes32", "uint256", "address"], [SAFE_DOMAIN_TYPEHASH, chain_id, safe]))
    inner = keccak(encode(["bytes32", "bytes32"], [SAFE_MSG_TYPEHASH, keccak(digest)]))
    return keccak(b"\x19\x01" + separator + inner)


def safe_sign(safe: str, digest: bytes, owners: list[Any], chain_id: int) -> bytes:
    """Owners' signatures of the SafeMessage, sorted by owner address as the Safe requires."""
    message = safe_message_hash(safe, digest, chain_id)
    ordered = sorted(owners, key=lambda o: int(o.address, 16))
    return b"".join(bytes(Account.unsafe_sign_hash(message, o.private_key).signature) for o in ordered)


def create_safe(suite: dict[str, Any], owners: list[Any], threshold: int, salt: int, sender: Any) -> Any:
    """A Safe v1.4.1 made by the suite's factory with the suite's CompatibilityFallbackHandler."""
    from ape import Contract

    contracts = suite["contracts"]
    singleton = Contract(contracts["SafeSingleton"]["address"], abi=contracts["SafeSingleton"]["abi"])
    factory = Contract(contracts["SafeProxyFactory"]["address"], abi=contracts["SafeProxyFactory"]["abi"])
    handler = contracts["SafeFallbackHandler"]["address"]
    setup = singleton.setup.encode_input([o.address for o in owners], threshold, ZERO, b"", handler, ZERO, 0, ZERO)
    receipt = factory.createProxyWithNonce(singleton.address, setup, salt, sender=sender)
    address = next(iter(receipt.decode_logs(factory.ProxyCreation))).proxy
    return Contract(address, abi=contracts["SafeSingleton"]["abi"])
