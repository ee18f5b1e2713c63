// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @dev The dividend side of a {PropertyToken}.
interface IDividendToken {
    function distributeDividends(uint256 amount) external;
    function claimableDividendsOf(address holder) external view returns (uint256);
    function dividendDistributor() external view returns (address);
}

/**
 * @title DividendDistributor
 * @notice Where a property's rent is paid: anyone deposits the stablecoin, and each deposit becomes
 * claimable by the token's holders pro rata to their balances at that moment. Holders claim with
 * {PropertyToken-claimDividends}, which pays them from this contract's funds.
 *
 * @dev Deployed behind a beacon proxy by {PropertyTokenFactory}; ERC-7201 namespaced storage. The token
 * address doubles as the initialization flag (one storage write to create a property's distributor);
 * the implementation itself is locked at construction.
 *
 * The dividends-per-share bookkeeping lives in the token, beside each balance (see {PropertyToken}):
 * that way a transfer costs no call here, and a claim costs one call fewer. This contract holds the
 * funds, approves its token to pay claims from them, and records deposits: O(1) whatever the number
 * of holders.
 */
contract DividendDistributor is ContextUpgradeable {
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:rwa.storage.DividendDistributor
    struct DividendDistributorStorage {
        address token;
        uint256 totalDeposited;
    }

    /// @notice The stablecoin rent is paid in: one per network, shared by every property.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable stablecoin;

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.DividendDistributor")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant DividendDistributorStorageLocation =
        0x8a4b10dca59bf3434fe87e22b7ceb137db9c91f00f7ab1b78ba5475a26ab1f00;

    /// @notice Emitted for each deposit.
    event Deposited(address indexed depositor, uint256 amount);

    error ZeroAddress();
    error ZeroAmount();
    error AlreadyInitialized();

    function _getStorage() private pure returns (DividendDistributorStorage storage $) {
        assembly {
            $.slot := DividendDistributorStorageLocation
        }
    }

    /// @param stablecoin_ The network's rent stablecoin (USDC-like).
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address stablecoin_) {
        if (stablecoin_ == address(0)) revert ZeroAddress();
        stablecoin = stablecoin_;
        _getStorage().token = address(this); // locks the implementation
    }

    /**
     * @notice Binds the distributor to `token`.
     * @dev The token is allowed to pay claims from this contract's funds from the first deposit on.
     * @param token_ The property token whose holders receive the deposits.
     */
    function initialize(address token_) external {
        DividendDistributorStorage storage $ = _getStorage();
        if ($.token != address(0)) revert AlreadyInitialized();
        if (token_ == address(0)) revert ZeroAddress();
        $.token = token_;
    }

    /**
     * @notice Deposits `amount` of the stablecoin (approved beforehand) for the token's current holders.
     * @dev O(1). Reverts when the token has no supply. Emits {Deposited}.
     */
    function deposit(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        DividendDistributorStorage storage $ = _getStorage();
        address depositor = _msgSender();
        address token_ = $.token;
        IERC20 coin = IERC20(stablecoin);
        coin.safeTransferFrom(depositor, address(this), amount);
        // The token pays claims from these funds; (re)approve it whenever the allowance runs low.
        if (coin.allowance(address(this), token_) < type(uint128).max) coin.forceApprove(token_, type(uint256).max);
        IDividendToken(token_).distributeDividends(amount);
        $.totalDeposited += amount;
        emit Deposited(depositor, amount);
    }

    /**
     * @notice Restores the token's unlimited allowance on this contract's funds (stablecoins such as USDC
     * decrease even an unlimited allowance as it is used).
     * @dev Anyone may call; the allowance only ever goes to the bound token.
     */
    function refreshAllowance() external {
        IERC20(stablecoin).forceApprove(_getStorage().token, type(uint256).max);
    }

    /// @notice The property token.
    function token() external view returns (address) {
        return _getStorage().token;
    }

    /// @notice Everything ever deposited.
    function totalDeposited() external view returns (uint256) {
        return _getStorage().totalDeposited;
    }

    /// @notice What `holder` could claim now.
    function claimable(address holder) external view returns (uint256) {
        return IDividendToken(_getStorage().token).claimableDividendsOf(holder);
    }
}
