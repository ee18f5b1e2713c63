// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @notice Test-only: an implementation to compare proxies with, call by call. It echoes what it was
 * sent (value, sender, calldata), reverts with any data it is given, and accepts plain ether.
 */
contract ProxyProbe {
    /// @notice Ether received with empty calldata, in the proxy's storage.
    uint256 public received;

    /// @notice What reached the implementation: the value, the sender and `data`.
    function echo(bytes calldata data) external payable returns (uint256 value, address sender, bytes memory echoed) {
        return (msg.value, msg.sender, data);
    }

    /// @notice Reverts with exactly `data` (raw, not wrapped in an error).
    function fail(bytes calldata data) external pure {
        assembly {
            calldatacopy(0, data.offset, data.length)
            revert(0, data.length)
        }
    }

    receive() external payable {
        received += msg.value;
    }
}

/// @notice Test-only: a beacon that answers `implementation()` with a single byte.
contract ShortAnswerBeacon {
    /// @notice One byte instead of a word.
    function implementation() external pure returns (address) {
        assembly {
            mstore(0, 0)
            return(0, 1)
        }
    }
}

/// @notice Test-only: a beacon whose `implementation()` reverts.
contract RevertingBeacon {
    /// @notice Always reverts.
    function implementation() external pure returns (address) {
        revert("no implementation");
    }
}
