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
 * The runtime has no function of its own, so every selector reaches the implementation:
 *
 * ```
 * 635c60da1b5f5260205f6004601c73<beacon>5afa156043575f51365f5f375f5f365f845af43d5f5f3e3d5f8260415
 * 7fd5bf35b5f5ffd
 * ```
 *
 * `implementation()` is asked of the beacon (reverting with nothing if it fails), the calldata is
 * delegated to the answer, and its return data is returned, or bubbled up as the revert.
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
            hex"5afa156043575f51365f5f375f5f365f845af43d5f5f3e3d5f82604157fd5bf35b5f5ffd"
        );
        assembly {
            return(add(runtime, 32), mload(runtime))
        }
    }
}
