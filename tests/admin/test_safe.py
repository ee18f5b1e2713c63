"""Safe transactions computed offline agree with the Safe contract, and signatures round-trip."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rwa.admin.safe import (
    SafeTx,
    multisend_payload,
    pack_signatures,
    recover_signer,
    safe_tx_hash,
    typed_data,
)
from rwa.chain.client import Chain

addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address("0x" + b.hex()))
uints = st.integers(min_value=0, max_value=2**256 - 1)
safe_txs = st.builds(
    SafeTx,
    to=addresses,
    value=uints,
    data=st.binary(max_size=300).map(lambda b: "0x" + b.hex()),
    operation=st.sampled_from([0, 1]),
    safeTxGas=uints,
    baseGas=uints,
    gasPrice=uints,
    gasToken=addresses,
    refundReceiver=addresses,
    nonce=uints,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tx=safe_txs)
def test_hash_matches_the_safe_contract(suite, tx):
    safe = suite["contracts"]["Safe"]
    onchain = Chain.active().call(safe["address"], safe["abi"], "getTransactionHash", tx.hash_args())
    assert "0x" + bytes(onchain).hex() == safe_tx_hash(31337, safe["address"], tx)


def test_typed_data_signature_recovers_the_signer():
    key = Account.create()
    tx = SafeTx.call("0x" + "12" * 20, b"\x01\x02", nonce=7)
    digest = safe_tx_hash(31337, "0x" + "34" * 20, tx)
    signed = Account.sign_message(encode_typed_data(full_message=typed_data(31337, "0x" + "34" * 20, tx)), key.key)
    assert "0x" + bytes(signed.message_hash).hex() == digest
    assert recover_signer(digest, "0x" + bytes(signed.signature).hex()) == key.address


def test_bad_signatures_recover_nobody_or_someone_else():
    key = Account.create()
    digest = "0x" + "ab" * 32
    good = Account.unsafe_sign_hash(bytes.fromhex(digest[2:]), key.key).signature
    assert recover_signer(digest, "0x" + good.hex()) == key.address
    assert recover_signer("0x" + "cd" * 32, "0x" + good.hex()) != key.address
    assert recover_signer(digest, "0x" + good[:64].hex()) is None
    assert recover_signer(digest, "0x" + good[:64].hex() + "05") is None


def test_signatures_are_packed_in_owner_order():
    sigs = {"0x" + "bb" * 20: "0x" + "02" * 65, "0x" + "aa" * 20: "0x" + "01" * 65}
    assert pack_signatures(sigs) == bytes([1] * 65 + [2] * 65)


def test_multisend_payload_layout():
    payload = multisend_payload([("0x" + "11" * 20, 5, b"\xaa\xbb")])
    assert payload[0] == 0
    assert payload[1:21] == bytes.fromhex("11" * 20)
    assert int.from_bytes(payload[21:53], "big") == 5
    assert int.from_bytes(payload[53:85], "big") == 2
    assert payload[85:] == b"\xaa\xbb"
