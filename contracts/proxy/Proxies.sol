// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {TransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";
import {UpgradeableBeacon} from "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol";
import {BeaconProxy} from "@openzeppelin/contracts/proxy/beacon/BeaconProxy.sol";

// The deployment engine deploys proxies by contract name from the project's own artifacts,
// so each OpenZeppelin proxy gets a named, unchanged subclass here.

/// @notice An ERC-1967 proxy whose implementation upgrades itself (UUPS).
contract UUPSProxy is ERC1967Proxy {
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {}
}

/// @notice A transparent proxy; its constructor deploys the ProxyAdmin owned by `initialOwner`.
contract TransparentProxy is TransparentUpgradeableProxy {
    constructor(address logic, address initialOwner, bytes memory data)
        payable
        TransparentUpgradeableProxy(logic, initialOwner, data)
    {}
}

/// @notice The beacon that every proxy of one contract kind reads its implementation from.
contract Beacon is UpgradeableBeacon {
    constructor(address implementation, address initialOwner) UpgradeableBeacon(implementation, initialOwner) {}
}

/// @notice A proxy that delegates to whatever implementation its beacon names.
contract BeaconInstanceProxy is BeaconProxy {
    constructor(address beacon, bytes memory data) payable BeaconProxy(beacon, data) {}
}
