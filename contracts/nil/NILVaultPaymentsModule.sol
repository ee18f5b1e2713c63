// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {NILVaultState} from "./NILVaultState.sol";

/**
 * @title NILVaultPaymentsModule
 * @notice A vault's side of fans' payments, which fans make through the payments hub
 * ({FanPayments}): the hub this vault's code keeps its payment terms in step with
 * ({paymentsHub}), and the refund of a merchandise order out of the vault's free balance
 * ({payRefund}, which only the hub calls, once it has checked the refund).
 *
 * @dev A module of {NILVault}: each vault's implementation deploys one and delegates to it every call
 * its own functions do not answer, so these functions run in the vault's storage and the deal
 * functions' dispatch costs what it did.
 */
contract NILVaultPaymentsModule is NILVaultState, ReentrancyGuardTransient {
    /// @notice The caller is not the payments hub.
    error NotPaymentsHub(address caller);

    /**
     * @param registry_ The compliance registry.
     * @param factory_ The {NILVaultFactory} whose vaults delegate to this module.
     * @param hub_ The fans' payments hub.
     */
    constructor(address registry_, address factory_, address hub_) NILVaultState(registry_, factory_, hub_) {}

    /**
     * @notice Pays `amount` of `token` (`address(0)`: the native coin) to `to` out of the vault's
     * free balance, never its escrow: an order's refund, checked by the hub. The hub only.
     * @param token The ERC-20, or `address(0)`.
     * @param to The order's payer.
     * @param amount The order's amount.
     */
    function payRefund(address token, address to, uint256 amount) external nonReentrant {
        if (msg.sender != address(_hub)) revert NotPaymentsHub(msg.sender);
        _sendFree(token, to, amount);
    }

    /// @notice The payments hub this vault's code keeps its payment terms (splitter, pause) in step with.
    function paymentsHub() external view returns (address) {
        return address(_hub);
    }
}
