// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {NILVault} from "../nil/NILVault.sol";

// Test-only contracts for the NIL vault.

/// @notice An open-mint ERC-20 that, once armed, calls `target` with `data` on every transfer
/// (as an ERC-777-style hook would) and records whether the call succeeded.
contract CallbackToken is ERC20 {
    address public target;
    bytes public data;
    uint256 public attempts;
    bool public lastSucceeded;
    bytes public lastError;

    constructor() ERC20("Callback", "CBK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = target;
        if (t != address(0) && from != address(0)) {
            target = address(0); // one attempt per arming
            (bool ok, bytes memory err) = t.call(data);
            ++attempts;
            lastSucceeded = ok;
            lastError = err;
        }
    }
}

/**
 * @title NILVaultV2Mock
 * @notice Test helper: a later vault implementation (same storage, one more function), for beacon upgrades.
 * @custom:oz-upgrades-unsafe-allow state-variable-immutable constructor
 */
contract NILVaultV2Mock is NILVault {
    constructor(address registry_, address factory_, address nft_, address splitterFactory_, address hub_)
        NILVault(registry_, factory_, nft_, splitterFactory_, hub_)
    {}

    /// @notice Identifies the upgraded implementation.
    function version() external pure returns (string memory) {
        return "2";
    }
}
