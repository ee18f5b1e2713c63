// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {IFanPayments, IPaymentTerms} from "./IFanPayments.sol";
import {NILVaultState} from "./NILVaultState.sol";

/**
 * @title FanPayments
 * @notice Fans paying an athlete's vault: tips ({tip}, {tipWithPermit}, the native coin too) and
 * merchandise orders ({payOrder}, each order id payable once, {refundOrder} in full to its payer).
 * A payment goes where released deal revenue goes: the vault's splitter, or the vault's free balance
 * when it has none; never into deal escrow. It is screened first: a sanctioned payer is refused, and
 * above the vault's AML threshold for the token ({setAmlThreshold}, the admin's) the payer must be
 * verified in the registry. A paused vault refuses payments. What is credited, and emitted in
 * {FanPaid}, is what arrived (a token that takes a fee on transfer is credited the net).
 *
 * @dev A module of {NILVault}: each vault's implementation deploys one and delegates to it every call
 * its own functions do not answer, so these functions run in the vault's storage and the deal
 * functions' dispatch costs what it did. It shares the vault's namespace and checks through
 * {NILVaultState}, which also declares the payments' own ERC-7201 namespace (so that the vault's
 * storage layout, checked on every upgrade, shows it): vaults created before it get it through a
 * beacon upgrade with their storage intact. Called directly (not through a vault)
 * its payments revert ({NILVaultState.NotAVault}).
 *
 * Orders are packed eight to a storage word (32 bits each: paid, refunded and a 30-bit fingerprint
 * of payer, token and amount): a shop numbering its orders consecutively writes a fresh word once
 * every eight orders. A refund names the payer, token and amount (from the {FanPaid} event), and
 * the fingerprint catches a refund that does not match what was paid.
 */
contract FanPayments is IFanPayments, IPaymentTerms, NILVaultState, PausableUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The longest memo a tip may carry, in bytes.
    uint256 public constant MAX_MEMO_LENGTH = 280;

    uint256 private constant _PAID = 1;
    uint256 private constant _REFUNDED = 2;
    uint256 private constant _ENTRY_MASK = 0xffffffff;
    uint256 private constant _FINGERPRINT_MASK = 0xfffffffc;

    /**
     * @param registry_ The compliance registry.
     * @param factory_ The {NILVaultFactory} whose vaults delegate to this module.
     */
    constructor(address registry_, address factory_) NILVaultState(registry_, factory_) {}

    /**
     * @notice Tips the athlete `amount` of `token` (an approved ERC-20, or `address(0)` with the
     * native coin as `msg.value`), with a message.
     * @param token The ERC-20, or `address(0)` for the native coin.
     * @param amount The amount (non-zero).
     * @param memo The fan's message, at most {MAX_MEMO_LENGTH} bytes.
     */
    function tip(address token, uint256 amount, string calldata memo) external payable whenNotPaused nonReentrant {
        _collect(Kind.Tip, token, amount, 0, memo, msg.value);
    }

    /**
     * @notice {tip} with an EIP-2612 permit instead of an earlier approval. A permit already used
     * (someone relayed it first) is ignored: the tip then needs the allowance it granted.
     * @param token The ERC-20 (it must support EIP-2612).
     * @param amount The amount (non-zero); the permit's value.
     * @param memo The fan's message.
     * @param deadline The permit's deadline.
     * @param v The permit signature's v.
     * @param r The permit signature's r.
     * @param s The permit signature's s.
     */
    function tipWithPermit(
        address token,
        uint256 amount,
        string calldata memo,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused nonReentrant {
        if (token == address(0)) revert InvalidToken(token);
        // A front-run permit is not an error: the allowance it set is there (if not, the transfer fails).
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _collect(Kind.Tip, token, amount, 0, memo, 0);
    }

    /**
     * @notice Pays merchandise order `orderId`: once per order id.
     * @param orderId The shop's order number (consecutive numbers share storage: cheaper).
     * @param token The ERC-20, or `address(0)` with the native coin as `msg.value`.
     * @param amount The order's price (non-zero).
     */
    function payOrder(uint256 orderId, address token, uint256 amount) external payable whenNotPaused nonReentrant {
        mapping(uint256 => uint256) storage orders = _payments().orders;
        uint256 index = orderId >> 3;
        uint256 shift = (orderId & 7) << 5;
        uint256 word = orders[index];
        if ((word >> shift) & _ENTRY_MASK != 0) revert OrderAlreadyPaid(orderId);
        orders[index] = word | (_PAID << shift); // taken before any call
        uint256 received = _collect(Kind.Merchandise, token, amount, orderId, "", msg.value);
        orders[index] = word | (_orderEntry(msg.sender, token, received) << shift);
    }

    /**
     * @notice Refunds a paid order in full to its payer, from the vault's free balance in its token
     * (top it up first if the payment went to the splitter); the athlete or the admin (only the
     * admin while the vault is paused). The payer, token and amount are those of the order's
     * {FanPaid} event.
     * @param orderId The order.
     * @param payer Who paid it.
     * @param token What it was paid in.
     * @param amount What arrived for it (the event's amount).
     */
    function refundOrder(uint256 orderId, address payer, address token, uint256 amount) external nonReentrant {
        bool admin = _isAdmin(msg.sender);
        if (!admin) {
            if (msg.sender != _vault().athlete) revert NotAthleteOrAdmin(msg.sender);
            _requireNotPaused();
        }
        mapping(uint256 => uint256) storage orders = _payments().orders;
        uint256 index = orderId >> 3;
        uint256 shift = (orderId & 7) << 5;
        uint256 word = orders[index];
        if ((word >> shift) & _ENTRY_MASK != _orderEntry(payer, token, amount)) revert OrderNotRefundable(orderId);
        _requireNotSanctioned(payer);
        orders[index] = word | (_REFUNDED << shift);
        emit OrderRefunded(orderId, payer, token, amount, msg.sender);
        _sendFree(token, payer, amount);
    }

    /**
     * @notice Sets the AML threshold of `token`: a payment above it needs a verified payer; admin only.
     * @param token The ERC-20, or `address(0)` for the native coin.
     * @param threshold The largest amount an unverified payer may pay at once (0: no threshold).
     */
    function setAmlThreshold(address token, uint256 threshold) external {
        if (!_isAdmin(msg.sender)) revert NotAthleteOrAdmin(msg.sender);
        _payments().amlThreshold[token] = threshold;
        emit AmlThresholdSet(token, threshold);
    }

    /// @notice The AML threshold of `token` (0: none).
    function amlThreshold(address token) external view returns (uint256) {
        return _payments().amlThreshold[token];
    }

    /// @notice Whether order `orderId` was paid, and whether it was refunded.
    function orderStatus(uint256 orderId) external view returns (bool paid, bool refunded) {
        uint256 entry = (_payments().orders[orderId >> 3] >> ((orderId & 7) << 5)) & _ENTRY_MASK;
        return (entry & _PAID != 0, entry & _REFUNDED != 0);
    }

    /// @inheritdoc IPaymentTerms
    function paymentTerms(address token) external view returns (address to, bool paused_, uint256 threshold) {
        return (_payoutAddress(), paused(), _payments().amlThreshold[token]);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Screens the payer, moves the payment (`value`: the native coin sent with it) to the payout
    /// address and emits {FanPaid}.
    function _collect(Kind kind, address token, uint256 amount, uint256 ref, string memory memo, uint256 value)
        private
        returns (uint256 received)
    {
        if (amount == 0) revert ZeroAmount();
        if (bytes(memo).length > MAX_MEMO_LENGTH) revert MemoTooLong(bytes(memo).length, MAX_MEMO_LENGTH);
        uint256 threshold = _payments().amlThreshold[token];
        if (threshold != 0 && amount > threshold) _requireVerified(msg.sender);
        else _requireNotSanctioned(msg.sender);
        address to = _payoutAddress();
        if (token == address(0)) {
            if (value != amount) revert WrongValue(amount, value);
            received = amount;
            if (to != address(this)) _send(address(0), to, amount);
        } else {
            if (value != 0) revert WrongValue(0, value);
            if (token.code.length == 0) revert InvalidToken(token);
            IERC20 erc20 = IERC20(token);
            uint256 before = erc20.balanceOf(to);
            erc20.safeTransferFrom(msg.sender, to, amount);
            received = erc20.balanceOf(to) - before;
            if (received == 0) revert ZeroAmount();
        }
        emit FanPaid(address(this), kind, msg.sender, token, received, ref, to, memo);
    }

    /// @dev An order's 32-bit entry: paid, and the fingerprint of who paid what.
    function _orderEntry(address payer, address token, uint256 amount) private pure returns (uint256) {
        return (uint256(keccak256(abi.encode(payer, token, amount))) & _FINGERPRINT_MASK) | _PAID;
    }
}
