// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockStablecoin
/// @notice A USDC-like token (6 decimals) for local chains only: anyone may mint. The manifest
/// deploys it on local networks and points the `stablecoin` parameter at the real one elsewhere.
contract MockStablecoin is ERC20 {
    constructor() ERC20("Mock USD Coin", "mUSDC") {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint `amount` to `to`; a faucet for local development.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
