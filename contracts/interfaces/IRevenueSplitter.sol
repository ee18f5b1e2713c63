// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRevenueSplitter
/// @notice What Solidity contracts use of the Vyper RevenueSplitter and of its SplitterFactory.
interface IRevenueSplitter {
    /// @notice Splits the unallocated balance of `token` (`address(0)` for ETH) and pushes the shares.
    function distribute(address token) external;

    /// @notice The payees, in ascending address order.
    function payees() external view returns (address[] memory);
}

interface ISplitterFactory {
    /// @notice Whether `account` is a split the factory created.
    function isSplit(address account) external view returns (bool);
}
