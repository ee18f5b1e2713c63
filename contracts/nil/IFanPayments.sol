// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IFanPayments
 * @notice What fans pay an athlete: tips, merchandise orders and subscription periods, all through the
 * payments hub ({FanPayments}). Every payment emits one {FanPaid}, so that one event signature is
 * the whole of the books.
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

    /// @notice A paid order of `vault` was refunded in full to its payer, from the vault's free balance.
    event OrderRefunded(
        address indexed vault, uint256 indexed orderId, address indexed payer, address token, uint256 amount, address by
    );

    /// @notice Above `threshold` of `token` a payer into `vault` must be verified in the registry (0: no threshold).
    event AmlThresholdSet(address indexed vault, address indexed token, uint256 threshold);

    /// @notice The hub's copy of `vault`'s payment terms was taken from the vault (on first use, and at
    /// every change of its splitter or pause).
    event PaymentTermsSynced(address indexed vault, address payout, bool paused);

    error ZeroAmount();
    error InvalidToken(address token);
    error MemoTooLong(uint256 length, uint256 maxLength);
    error OrderAlreadyPaid(uint256 orderId);
    error OrderNotRefundable(uint256 orderId);
    error NotAthleteOrAdmin(address caller);
    error VaultPaused(address vault);
    error WrongValue(uint256 expected, uint256 received);
}

/// @title IPaymentsHub
/// @notice What a vault asks of the payments hub: to take its payment terms again after a change.
interface IPaymentsHub {
    /**
     * @notice Copies `vault`'s payment terms (where payments go, whether it is paused) from the vault.
     * Anyone may call it; a vault calls it whenever its splitter or pause changes.
     * @param vault A vault of the factory whose implementation names this hub.
     */
    function syncTerms(address vault) external;
}

/// @title IHubVault
/// @notice What the payments hub asks of a vault (its own functions, and its module's, {NILVaultPaymentsModule}).
interface IHubVault {
    function athlete() external view returns (address);
    function splitter() external view returns (address);
    function paused() external view returns (bool);
    /// @notice The payments hub this vault's code keeps its terms in step with.
    function paymentsHub() external view returns (address);
    /// @notice Pays an order's refund out of the vault's free balance; the hub only.
    function payRefund(address token, address to, uint256 amount) external;
}
