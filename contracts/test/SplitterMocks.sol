// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

// Test-only contracts: hostile payees and awkward tokens.

/// @notice A payee whose every receipt of ETH reverts.
contract RevertingPayee {
    error NoThanks();

    receive() external payable {
        revert NoThanks();
    }
}

/// @notice A payee that burns all the gas it is given when it receives ETH, unless switched off.
contract GasBurningPayee {
    bool public burning = true;

    function setBurning(bool on) external {
        burning = on;
    }

    receive() external payable {
        if (burning) {
            uint256 i;
            while (true) {
                unchecked {
                    ++i;
                }
            }
        }
    }
}

/// @notice A payee that calls back into `target` with `data` when it receives ETH, and records the outcome.
contract ReentrantPayee {
    address public target;
    bytes public data;
    uint256 public attempts;
    bool public lastSucceeded;

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    receive() external payable {
        if (target != address(0)) {
            (bool ok,) = target.call(data);
            ++attempts;
            lastSucceeded = ok;
        }
    }
}

/// @notice An open-mint ERC-20 with an optional fee on transfer (taken from what the recipient
/// gets, and burned) and a blocklist of recipients (transfers to them revert).
contract AwkwardToken is ERC20 {
    uint256 public feeBps;
    mapping(address => bool) public blocked;

    error Blocked(address account);

    constructor() ERC20("Awkward", "AWK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFee(uint256 bps) external {
        feeBps = bps;
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert Blocked(to);
        uint256 fee = from == address(0) || to == address(0) ? 0 : (value * feeBps) / 10_000;
        super._update(from, to, value - fee);
        if (fee != 0) super._update(from, address(0), fee);
    }
}
