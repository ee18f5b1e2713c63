// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev {IMintScreen-screenMint}'s flags: the token is paused (its agents may still mint).
uint256 constant MINT_SCREEN_PAUSED = 1;
/// @dev The token's identity registry verifies the wallet (the mint's own question).
uint256 constant MINT_SCREEN_VERIFIED = 2;
/// @dev The wallet is frozen.
uint256 constant MINT_SCREEN_FROZEN = 4;
/// @dev The token's compliance has modules: its rules apply to a mint (ask it, through `compliance()`).
uint256 constant MINT_SCREEN_COMPLIANCE = 8;

/// @title IMintScreen
/// @notice One question that answers what a mint to a wallet would face from the token itself, for a caller that
/// must ask before any money moves (a primary offering) and then mints.
interface IMintScreen {
    /// @notice `flags` (the `MINT_SCREEN_*` bits) for a mint to `to`, and the token's identity registry.
    function screenMint(address to) external view returns (uint256 flags, address registry);
}
