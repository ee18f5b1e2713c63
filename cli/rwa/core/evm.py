"""Facts of the EVM itself, the same on every chain: where contracts land (CREATE, CREATE2), the
EIP-1967 proxy slots, and the addresses of the contracts every chain the toolkit uses carries."""

from __future__ import annotations

from eth_utils import keccak, to_checksum_address

# EIP-1967 storage slots: bytes32(uint256(keccak256("eip1967.proxy.<name>")) - 1).
IMPLEMENTATION_SLOT = int.from_bytes(keccak(text="eip1967.proxy.implementation"), "big") - 1
ADMIN_SLOT = int.from_bytes(keccak(text="eip1967.proxy.admin"), "big") - 1
BEACON_SLOT = int.from_bytes(keccak(text="eip1967.proxy.beacon"), "big") - 1

#: The deterministic deployment proxy (Arachnid's), present on anvil and on most public chains.
CREATE2_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c"

#: Multicall3, at this address on public chains; on local chains the engine puts the project's own
#: (contracts/external/Multicall3.sol) there. Reads of many views go through its ``aggregate3``.
MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"
MULTICALL3_TYPE = "Multicall3"


def create_address(sender: str, nonce: int) -> str:
    """The address of the contract a CREATE from ``sender`` at ``nonce`` makes."""
    import rlp

    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def create2_address(deployer: str, salt: bytes, initcode: bytes) -> str:
    digest = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + keccak(initcode))
    return to_checksum_address(digest[12:])
