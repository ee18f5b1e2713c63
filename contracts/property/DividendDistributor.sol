// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/// @dev The dividend side of a {PropertyToken}.
interface IDividendToken {
    function distributeDividends(uint256 amount) external returns (uint256 uncredited);
    function totalSupply() external view returns (uint256);
    function claimableDividendsOf(address holder) external view returns (uint256);
    function dividendDistributor() external view returns (address);
    function decimals() external view returns (uint8);
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
 *
 * Deposits credit what actually arrived (the balance delta), so a stablecoin that takes a fee on transfer
 * cannot leave claims unfunded. They are refused while the token's supply is below one whole token
 * ({minSupply}: 10^decimals units), where a deposit would give dust a huge share of the bounded dividends per
 * share. From one whole token on, the token accepts lifetime deposits of at least 2^64 stablecoin units
 * (1.8 * 10^13 USDC; more with more supply, up to 2^119 units: see {PropertyToken}), and the stablecoin may have
 * at most {MAX_STABLECOIN_DECIMALS} decimals, so that this is at least 10^12 whole stablecoins for every property.
 * What a deposit credits no holder (the
 * rounding down of `dividendsPerShare`, under `supply / 2^96` wei per deposit) is added up exactly and
 * the owner (the token's admin: the timelock) may sweep it by the wei ({sweepDust}): that much is owed to
 * nobody. Each holder's own sub-wei remainder (under one wei per wallet, see {PropertyToken}) cannot be
 * told apart from what is owed without visiting every holder, so it stays.
 */
contract DividendDistributor is ContextUpgradeable {
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:rwa.storage.DividendDistributor
    struct DividendDistributorStorage {
        address token;
        uint256 totalDeposited;
        uint256 dustScaled; // received but credited to no holder (rounding), in 2^-96 wei: sweepable by the wei
    }

    /// @notice The stablecoin rent is paid in: one per network, shared by every property.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable stablecoin;

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.DividendDistributor")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant DividendDistributorStorageLocation =
        0x8a4b10dca59bf3434fe87e22b7ceb137db9c91f00f7ab1b78ba5475a26ab1f00;

    /// @notice The most decimals the stablecoin may have: 10^12 whole units of it must fit in the 2^64 units of
    /// lifetime deposits every property accepts (10^19 < 2^64 < 10^20).
    uint8 public constant MAX_STABLECOIN_DECIMALS = 7;

    /// @notice Emitted for each deposit, with the amount received (after any transfer fee).
    event Deposited(address indexed depositor, uint256 amount);
    /// @notice Emitted when the owner sweeps the rounding dust.
    event DustSwept(address indexed to, uint256 amount);
    /// @notice Emitted when the token replaces this distributor: what holders are owed went to `successor`.
    event HandedOver(address indexed successor, uint256 amount);

    error ZeroAmount();
    error AlreadyInitialized();
    error SupplyTooSmall(uint256 supply, uint256 minSupply);
    error OnlyTokenAdmin(address caller);
    error NoDust();
    error OnlyToken(address caller);
    error StablecoinDecimalsTooHigh(uint8 decimals, uint8 maxDecimals);

    function _getStorage() private pure returns (DividendDistributorStorage storage $) {
        assembly {
            $.slot := DividendDistributorStorageLocation
        }
    }

    /// @param stablecoin_ The network's rent stablecoin (USDC-like).
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address stablecoin_) {
        if (stablecoin_ == address(0)) revert ZeroAddress();
        uint8 decimals = IERC20Metadata(stablecoin_).decimals();
        if (decimals > MAX_STABLECOIN_DECIMALS) revert StablecoinDecimalsTooHigh(decimals, MAX_STABLECOIN_DECIMALS);
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
     * @dev O(1). Credits what arrived (a fee-on-transfer coin credits less than `amount`). Reverts when the
     * token's supply is below one whole token ({minSupply}), and (in the token) when the dividends per share
     * would leave their bounds. Emits {Deposited} with the amount received.
     */
    function deposit(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        DividendDistributorStorage storage $ = _getStorage();
        address depositor = msg.sender;
        address token_ = $.token;
        uint256 supply = IDividendToken(token_).totalSupply();
        uint256 minimum = _minSupply(token_);
        if (supply < minimum) revert SupplyTooSmall(supply, minimum);
        IERC20 coin = IERC20(stablecoin);
        uint256 before = coin.balanceOf(address(this));
        coin.safeTransferFrom(depositor, address(this), amount);
        uint256 received = coin.balanceOf(address(this)) - before;
        if (received == 0) revert ZeroAmount();
        // The token pays claims from these funds; (re)approve it whenever the allowance runs low.
        if (coin.allowance(address(this), token_) < type(uint128).max) coin.forceApprove(token_, type(uint256).max);
        uint256 uncredited = IDividendToken(token_).distributeDividends(received);
        $.totalDeposited += received;
        if (uncredited != 0) $.dustScaled += uncredited;
        emit Deposited(depositor, received);
    }

    /**
     * @notice Sends the rounding dust (received by deposits but owed to no holder) to `to`.
     * @dev Only an admin (`DEFAULT_ADMIN_ROLE`) of the token: the timelock. Never touches what holders are
     * owed. Emits {DustSwept}.
     */
    function sweepDust(address to) external {
        DividendDistributorStorage storage $ = _getStorage();
        if (!IAccessControl($.token).hasRole(bytes32(0), msg.sender)) revert OnlyTokenAdmin(msg.sender);
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = $.dustScaled >> 96;
        if (amount == 0) revert NoDust();
        $.dustScaled -= amount << 96;
        emit DustSwept(to, amount);
        IERC20(stablecoin).safeTransfer(to, amount);
    }

    /**
     * @notice Restores the token's unlimited allowance on this contract's funds (stablecoins such as USDC
     * decrease even an unlimited allowance as it is used).
     * @dev Anyone may call; the allowance only ever goes to the bound token.
     */
    function refreshAllowance() external {
        IERC20(stablecoin).forceApprove(_getStorage().token, type(uint256).max);
    }

    /**
     * @notice Sends what the holders are owed (every fund but the sweepable dust, which stays for {sweepDust})
     * to `successor`, the distributor replacing this one: unclaimed dividends follow the switch.
     * @dev Only the bound token calls it, from {PropertyToken-setDividendDistributor}, which checked that
     * `successor` is bound to the same token and stablecoin. Emits {HandedOver}.
     */
    function handOver(address successor) external {
        DividendDistributorStorage storage $ = _getStorage();
        if (msg.sender != $.token) revert OnlyToken(msg.sender);
        IERC20 coin = IERC20(stablecoin);
        uint256 held = coin.balanceOf(address(this));
        uint256 dust_ = $.dustScaled >> 96;
        uint256 amount = held > dust_ ? held - dust_ : 0;
        emit HandedOver(successor, amount);
        if (amount != 0) coin.safeTransfer(successor, amount);
    }

    /// @notice The property token.
    function token() external view returns (address) {
        return _getStorage().token;
    }

    /// @notice The smallest token supply deposits are accepted at: one whole token (10^decimals units).
    function minSupply() external view returns (uint256) {
        return _minSupply(_getStorage().token);
    }

    function _minSupply(address token_) private view returns (uint256) {
        return 10 ** IDividendToken(token_).decimals();
    }

    /// @notice The rounding dust {sweepDust} would send now.
    function dust() external view returns (uint256) {
        return _getStorage().dustScaled >> 96;
    }

    /// @notice Everything ever deposited (as received).
    function totalDeposited() external view returns (uint256) {
        return _getStorage().totalDeposited;
    }

    /// @notice What `holder` could claim now.
    function claimable(address holder) external view returns (uint256) {
        return IDividendToken(_getStorage().token).claimableDividendsOf(holder);
    }
}
