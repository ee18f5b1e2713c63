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

/// @notice Creation code an explorer can match, runtime of its own making: the hand-written beacon proxy
/// the property contracts had before issue 23, which Etherscan and Sourcify refuse for its runtime.
contract HandWrittenRuntime {
    constructor(address beacon_) {
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
