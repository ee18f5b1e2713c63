// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Bench-only (bench/watch_figures.py): many events per transaction, cheaply, so the watcher
/// can be measured on a chain holding a hundred thousand of them.
contract WatchBenchEmitter {
    /// @notice The event emitted in bulk (the shape of an ERC-20 transfer).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice The event a bench rule alerts on.
    event Paused(address account);

    /// @notice Emit `count` Transfer events from the zero address to the caller.
    /// @param count How many events.
    function emitTransfers(uint256 count) external {
        for (uint256 i; i < count; ++i) {
            emit Transfer(address(0), msg.sender, i);
        }
    }

    /// @notice Emit one Paused event (the bench's alert).
    function emitPaused() external {
        emit Paused(msg.sender);
    }
}
