// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IFanPayments
 * @notice What fans pay an athlete: tips, merchandise orders and subscription periods. Every payment
 * emits one {FanPaid}, from the vault (tips, orders) or from the memberships contract (subscriptions),
 * so that one event signature is the whole of the books.
 */
interface IFanPayments {
    /// @notice The kinds of fan payment (the platform's transaction types, deals aside).
    enum Kind {
        Tip,
        Merchandise,
        Subscription
    }

    /**
     * @notice A fan paid an athlete.
     * @param vault The athlete's vault.
     * @param kind What the payment is.
     * @param payer Who paid.
     * @param token The ERC-20 paid, or `address(0)` for the native coin.
     * @param amount What arrived (net of any fee the token takes on transfer).
     * @param ref The order id (merchandise), the membership NFT (subscription), 0 for a tip.
     * @param to Where the money went: the vault's splitter, or the vault (free balance).
     * @param memo The fan's message (tips; empty otherwise).
     */
    event FanPaid(
        address indexed vault,
        Kind indexed kind,
        address indexed payer,
        address token,
        uint256 amount,
        uint256 ref,
        address to,
        string memo
    );

    /// @notice A paid order was refunded in full to its payer, from the vault's free balance.
    event OrderRefunded(uint256 indexed orderId, address indexed payer, address token, uint256 amount, address by);

    /// @notice Above `threshold` of `token` a payer must be verified in the registry (0: no threshold).
    event AmlThresholdSet(address indexed token, uint256 threshold);

    error ZeroAmount();
    error InvalidToken(address token);
    error MemoTooLong(uint256 length, uint256 maxLength);
    error OrderAlreadyPaid(uint256 orderId);
    error OrderNotRefundable(uint256 orderId);
    error NotAthleteOrAdmin(address caller);
    error VaultPaused(address vault);
    error WrongValue(uint256 expected, uint256 received);
}

/// @title IPaymentTerms
/// @notice What a payment into a vault must respect, for contracts that collect payments for it.
interface IPaymentTerms {
    /**
     * @notice Where a payment of `token` into this vault goes, and what applies to it.
     * @param token The ERC-20, or `address(0)` for the native coin.
     * @return to The splitter, or the vault itself when it has none.
     * @return paused Whether the vault refuses payments.
     * @return amlThreshold Above this amount the payer must be verified (0: no threshold).
     */
    function paymentTerms(address token) external view returns (address to, bool paused, uint256 amlThreshold);
}
