// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

// Test-only contracts for fans' payments.

/// @notice An open-mint stablecoin with EIP-2612 permits (USDC has them), for {FanPayments.tipWithPermit}.
contract PermitStablecoin is ERC20Permit {
    constructor() ERC20("Permit USD", "pUSD") ERC20Permit("Permit USD") {}

    /// @notice 6 decimals, as USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
