// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title PropertyBeaconProxy
 * @notice A minimal beacon proxy: it asks its beacon (an OpenZeppelin {UpgradeableBeacon}, set once at
 * construction) for the implementation on every call and delegates to it, so upgrading the beacon
 * upgrades every proxy of it at once.
 *
 * @dev Explorers and tools recognise it as they recognise OpenZeppelin's BeaconProxy: the beacon is in
 * ERC-1967's beacon slot and `BeaconUpgraded(beacon)` is emitted at construction. Creating one is
 * cheaper than a BeaconProxy: it has no initialization call of its own ({PropertyTokenFactory} creates
 * three per property and initializes them in the same transaction), and the constructor returns a
 * 71-byte runtime written out below, with the beacon embedded in it (as EIP-1167 embeds its target),
 * instead of the compiler's runtime (152 bytes, with its metadata): every byte of runtime costs 200 gas
 * to create, and reading the beacon from code rather than from the slot saves a storage read per call.
 * The runtime (76 bytes) has no function of its own, so every selector reaches the implementation:
 *
 * ```
 * offset  bytes                 opcode                     stack after (top first)
 * 00      63 5c60da1b           PUSH4 implementation()     sel
 * 05      5f 52                 PUSH0 MSTORE               .          mem[0x1c..0x20] = sel
 * 07      60 20 5f 60 04 60 1c  PUSH1 32 PUSH0 PUSH1 4     0x1c 4 0 32
 *                               PUSH1 0x1c
 * 0e      73 <beacon>           PUSH20 beacon              beacon 0x1c 4 0 32
 * 23      5a fa                 GAS STATICCALL             ok         mem[0..0x20] = answer
 * 25      15                    ISZERO                     !ok
 * 26      60 20 3d 10           PUSH1 32 RETURNDATASIZE LT short !ok  (answer shorter than a word)
 * 2a      17 60 48 57           OR PUSH1 0x48 JUMPI        .          failed or short: to 0x48
 * 2e      5f 51                 PUSH0 MLOAD                impl
 * 30      36 5f 5f 37           CALLDATACOPY(0, 0, size)   impl
 * 34      5f 5f 36 5f 84 5a f4  DELEGATECALL(gas, impl,    ok impl
 *                               0, size, 0, 0)
 * 3b      3d 5f 5f 3e           RETURNDATACOPY(0, 0, size) ok impl
 * 3f      3d 5f 82 60 46 57     JUMPI(0x46, ok)            0 rds ok impl
 * 45      fd                    REVERT(0, rds)             the implementation's revert, bubbled up
 * 46      5b f3                 JUMPDEST RETURN(0, rds)    its answer, returned
 * 48      5b 5f 5f fd           JUMPDEST REVERT(0, 0)      the beacon failed, has no code or answered short
 * ```
 *
 * `implementation()` is asked of the beacon; a beacon that reverts, has no code or answers less than a
 * word makes the call revert (as OpenZeppelin's BeaconProxy does, whose constructor also refuses a beacon
 * without code: {PropertyTokenFactory} refuses such beacons at its own construction). The calldata (and
 * any value) is delegated to the answer, and its return data is returned, or bubbled up as the revert.
 */
contract PropertyBeaconProxy {
    /// @notice ERC-1967's event: the proxy follows `beacon`.
    event BeaconUpgraded(address indexed beacon);

    /// @dev ERC-1967's beacon slot: `bytes32(uint256(keccak256("eip1967.proxy.beacon")) - 1)`.
    bytes32 internal constant BEACON_SLOT = 0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50;

    /// @param beacon_ The beacon whose implementation this proxy runs.
    constructor(address beacon_) {
        assembly {
            sstore(BEACON_SLOT, beacon_)
        }
        emit BeaconUpgraded(beacon_);
        bytes memory runtime = abi.encodePacked(
            hex"635c60da1b5f5260205f6004601c73",
            beacon_,
            hex"5afa1560203d10176048575f51365f5f375f5f365f845af43d5f5f3e3d5f82604657fd5bf35b5f5ffd"
        );
        assembly {
            return(add(runtime, 32), mload(runtime))
        }
    }
}
