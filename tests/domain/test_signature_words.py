"""A signature's r and s go to a contract as whole bytes32 words. One signature in 256 has an r (or s) whose
first byte is zero; Ape hands it over as 31 bytes, and the offering's permit subscription then failed with
"cannot encode subscribeWithPermit(...)" (caught by a test once in a while, as the deadline changes)."""

from __future__ import annotations

import pytest
from ape.types.signatures import MessageSignature
from eth_abi import encode

from rwa.core.abi import bytes32

R_WITH_A_ZERO_FIRST_BYTE = bytes.fromhex("7f9d014b340f7daada40dc4fbed8d0481da2bc1f5fa3cc211e464e06451efb")  # 31 bytes


def test_a_short_r_is_left_padded_to_a_word():
    signed = MessageSignature(v=27, r=R_WITH_A_ZERO_FIRST_BYTE, s=b"\x01" * 32)
    word = bytes32(signed.r)
    assert word == b"\x00" + R_WITH_A_ZERO_FIRST_BYTE
    # eth-abi would right-pad the 31 bytes (a different r, a signature that fails) where Ape refused them.
    assert encode(["bytes32"], [word]) == word != encode(["bytes32"], [R_WITH_A_ZERO_FIRST_BYTE])


@pytest.mark.parametrize("value", [0, 1, 2**255, 2**256 - 1])
def test_ints_and_bytes_of_one_number_give_one_word(value):
    word = value.to_bytes(32, "big")
    assert bytes32(value) == bytes32(word) == bytes32(word.lstrip(b"\x00")) == word
