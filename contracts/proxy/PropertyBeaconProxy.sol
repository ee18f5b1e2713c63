// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title PropertyBeaconProxy
 * @notice The beacon proxy the suite's factories create (a property's token, compliance and distributor,
 * an athlete's vault): it asks its beacon (an OpenZeppelin {UpgradeableBeacon}, set once at
 * construction) for the implementation on every call and delegates to it, so upgrading the beacon
 * upgrades every proxy of it at once.
 *
 * @dev Explorers and tools recognise it as they recognise OpenZeppelin's BeaconProxy: the beacon is in
 * ERC-1967's beacon slot and `BeaconUpgraded(beacon)` is emitted at construction. Its runtime is this
 * contract compiled (with its metadata), so Etherscan and Sourcify verify it by a full match, runtime and
 * creation code alike; the beacon is an immutable, which both explorers recognise. Creating one is
 * cheaper than a BeaconProxy: it has no initialization call of its own (the factory initializes what it
 * creates in the same transaction), no check of the beacon at construction (the factories check their
 * beacons once, when they are set), and reading the beacon from code rather
 * than from the slot saves a storage read per call.
 *
 * The runtime has no function of its own, so every selector reaches the implementation.
 * `implementation()` is asked of the beacon; a beacon that reverts, has no code or answers less than a
 * word makes the call revert empty (OpenZeppelin's BeaconProxy refuses such a beacon at construction).
 * The calldata (and any value) is delegated to the answer, and its return data is returned, or bubbled
 * up as the revert.
 */
contract PropertyBeaconProxy {
    /// @notice ERC-1967's event: the proxy follows `beacon`.
    event BeaconUpgraded(address indexed beacon);

    /// @dev ERC-1967's beacon slot: `bytes32(uint256(keccak256("eip1967.proxy.beacon")) - 1)`.
    bytes32 internal constant BEACON_SLOT = 0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50;

    address private immutable _beacon;

    /// @param beacon_ The beacon whose implementation this proxy runs.
    constructor(address beacon_) {
        _beacon = beacon_;
        assembly {
            sstore(BEACON_SLOT, beacon_)
        }
        emit BeaconUpgraded(beacon_);
    }

    /// @notice Every call (and plain value) runs the beacon's current implementation.
    // solhint-disable-next-line no-complex-fallback
    fallback() external payable {
        address beacon_ = _beacon;
        // Scratch memory from 0: control never returns to Solidity code after this block.
        assembly {
            mstore(0, 0x5c60da1b) // implementation(), in the word's last 4 bytes
            let asked := staticcall(gas(), beacon_, 0x1c, 4, 0, 0x20)
            if or(iszero(asked), lt(returndatasize(), 0x20)) { revert(0, 0) }
            let implementation := mload(0)
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), implementation, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if ok { return(0, returndatasize()) }
            revert(0, returndatasize())
        }
    }
}
