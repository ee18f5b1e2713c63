// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title PermitStablecoin
/// @notice Test only: a USDC-like token (6 decimals) with EIP-2612 permits; anyone may mint.
contract PermitStablecoin is ERC20, ERC20Permit {
    constructor() ERC20("Permit USD Coin", "pUSDC") ERC20Permit("Permit USD Coin") {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @title FeeOnTransferStablecoin
/// @notice Test only: a 6-decimal token that burns 1% of every transfer; anyone may mint.
contract FeeOnTransferStablecoin is ERC20 {
    constructor() ERC20("Fee USD Coin", "fUSDC") {}

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
