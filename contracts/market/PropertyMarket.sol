// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/**
 * @title PropertyMarket
 * @notice The secondary market of the suite's property tokens: settles EIP-712 signed orders (limit
 * orders to sell or buy a property's tokens for the network's stablecoin) in one transaction, both
 * legs at once (delivery versus payment).
 *
 * - A taker fills a resting order ({fill}); anyone (a matching engine) pairs a sell order with a buy
 *   order ({matchOrders}). A match settles at the **sell order's price**: the seller gets exactly
 *   what it asked, the buyer pays no more than it bid and keeps the whole spread; the matcher, who
 *   takes no custody, cannot pocket it, and the rule does not depend on which order the matcher
 *   claims came first (which the chain cannot know).
 * - The token leg is the property's own `transferFrom(seller, buyer, amount)`, so the property's
 *   registry checks, compliance modules, freezes, lockups and pause decide; the stablecoin leg is the
 *   stablecoin's `transferFrom(buyer, seller, quote - fee)` and `transferFrom(buyer, treasury, fee)`.
 *   Both parties are checked against the registry's sanctions by the token leg itself: a property
 *   verifies the sender, the receiver and the spender (the market) in its registry, which refuses a
 *   sanctioned wallet ({WalletSanctioned} of the token), so the market asks the registry nothing
 *   twice. Either everything moves or nothing does; the market holds no funds, before or after, and
 *   no agent power on any token.
 * - Quotes are exact: `quote = amount * price / 10**decimals` must have no remainder
 *   ({InexactQuote}), so no party is ever paid less, or charged more, than its order states by a
 *   rounding. The fee, `quote * feeBps / 10_000` rounded down, comes out of the seller's proceeds.
 * - Orders fill partially, up to their amount ({remainingOf}); a maker cancels one order ({cancel}),
 *   every order with given nonces (an unordered bitmap, as the registry's attestation nonces:
 *   {invalidateNonces}), or everything signed under its current epoch ({advanceEpoch}). A nonce is
 *   spent when its order fills completely: give each order its own nonce (orders that share one are
 *   alternatives: the first to fill completely voids the others). Only partial fills are recorded per
 *   order, so the common case (a resting order taken whole, its nonce below 128) reads and writes one
 *   slot of the maker's, which holds its epoch and first nonces ({Maker}).
 * - Makers sign with a key (65-byte ECDSA, low `s` only), through ERC-1271 (a Safe with its
 *   CompatibilityFallbackHandler), or on chain ({presign}: the maker's own call, as a Safe's proposal
 *   makes it; the order then fills with an empty signature).
 * - Where a property has an approver (its agent, named by the admin), each trade also needs the
 *   approver's consent for that order and counterparty: given on chain ({approveTrade}) or as a
 *   signature carried with the fill ({fillApproved}, {matchApproved}).
 *
 * @dev Deployed behind a {UUPSProxy}; `DEFAULT_ADMIN_ROLE` (the timelock) sets fees and approvers and
 * authorises upgrades. ERC-7201 namespaced storage. The stablecoin and the treasury are immutables of
 * the implementation (a new treasury is an upgrade, by the same admin); each order names the
 * stablecoin it is priced in, so an upgrade to another stablecoin cannot reprice an order already
 * signed.
 */
contract PropertyMarket is Initializable, AccessControlUpgradeable, EIP712Upgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    /// @notice Which side of the trade an order's maker takes.
    enum Side {
        Sell,
        Buy
    }

    /**
     * @notice A signed limit order.
     * @param maker Who signs (an EOA, or a contract through ERC-1271) and trades.
     * @param property The property token traded.
     * @param currency The stablecoin the price is in; must be this market's {stablecoin}.
     * @param side Sell (the maker delivers tokens) or Buy (the maker pays).
     * @param amount Most token base units the order trades, over all its fills.
     * @param price Stablecoin base units per whole token (10**decimals base units).
     * @param expiry Last unix time the order may fill.
     * @param epoch The maker's epoch the order was signed under ({epochOf}); advancing it cancels the order.
     * @param nonce Cancellation handle: {invalidateNonces} cancels every order of the maker with this nonce.
     * @param taker The only counterparty allowed (a private deal), or zero for anyone.
     */
    struct Order {
        address maker;
        address property;
        address currency;
        Side side;
        uint256 amount;
        uint256 price;
        uint64 expiry;
        uint64 epoch;
        uint256 nonce;
        address taker;
    }

    /// @notice A property's terms: its fee, its approver, and its decimals as the market has read them.
    struct Terms {
        uint16 feeBps;
        uint8 decimalsPlusOne; // 0: not read yet
        address approver;
    }

    /**
     * @dev What a maker's common fill needs, in one slot: its epoch, a filter of which of its orders have a
     * record in `filled`, and its first 128 nonces' bits. The filter (bit `orderHash % 64`) is set for every
     * order with a record (a partial fill or a cancellation by hash): a clear bit proves the order has none,
     * so a fresh order taken whole reads no record of its own; a set bit (perhaps another order's) only means
     * the record is read. The filter is never cleared (an order signed for a later epoch may be cancelled
     * before that epoch comes). Nonces from 128 up live in `nonceBitmaps` (word 0 holds bits 128-255 only); the CLI numbers a
     * maker's orders from zero, so a fill usually reads and writes this slot alone.
     */
    struct Maker {
        uint64 epoch;
        uint64 recorded;
        uint128 lowNonces;
    }

    /// @notice EIP-712 type hash of an {Order}.
    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address maker,address property,address currency,uint8 side,uint256 amount,uint256 price,uint64 expiry,uint64 epoch,uint256 nonce,address taker)"
    );

    /// @notice EIP-712 type hash of an approver's consent to a trade: order `orderHash` may trade with `counterparty`.
    bytes32 public constant APPROVAL_TYPEHASH =
        keccak256("TradeApproval(bytes32 orderHash,address counterparty,uint256 deadline)");

    /// @notice Highest fee the admin may set on any property: 1%.
    uint16 public constant MAX_FEE_BPS = 100;

    uint256 private constant _BPS = 10_000;
    /// @dev The most decimals a property may have here: 10**77 is the largest power of ten a word holds.
    uint256 private constant _MAX_DECIMALS = 77;
    /// @dev Where {Maker.recorded} and {Maker.lowNonces} start in the maker's slot.
    uint256 private constant _RECORDED_SHIFT = 64;
    uint256 private constant _LOW_NONCES_SHIFT = 128;
    /// @dev The highest `s` of a signature accepted (half the secp256k1 order, as ECDSA.tryRecover).
    uint256 private constant _MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// @dev The `filled` value of a cancelled order.
    uint256 private constant _CANCELLED = type(uint256).max;

    string private constant _EIP712_NAME = "PropertyMarket";
    string private constant _EIP712_VERSION = "1";
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    // The hashes of _EIP712_NAME and _EIP712_VERSION, as literals the compiler folds (a test checks the domain).
    bytes32 private constant _NAME_HASH = keccak256("PropertyMarket");
    bytes32 private constant _VERSION_HASH = keccak256("1");

    /// @custom:storage-location erc7201:rwa.storage.PropertyMarket
    struct PropertyMarketStorage {
        mapping(address property => Terms) terms;
        mapping(bytes32 orderHash => uint256 filled) filled;
        mapping(address maker => mapping(uint256 wordPos => uint256 bitmap)) nonceBitmaps;
        mapping(address maker => Maker) makers;
        mapping(bytes32 orderHash => mapping(address counterparty => bool)) approvals;
        mapping(bytes32 orderHash => bool) presigned;
    }

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.PropertyMarket")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant PropertyMarketStorageLocation =
        0xfa3f4ea22747b43f215cfe7bc898651ca255f59f5e931f85be4085fef052bf00;

    /// @notice The stablecoin every order is priced and paid in.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable stablecoin;

    /// @notice Where fees are paid (an immutable, as the stablecoin: a new treasury is an upgrade, by the same
    /// admin, and no trade reads it from storage).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable treasury;

    /// @notice A trade settled: `seller` delivered `amount` of `property` to `buyer` for `amount * price /
    /// 10**decimals` of the stablecoin, `fee` of it to the treasury. `orderHash` is the filled order (in a
    /// match, the sell order; {OrdersMatched} names both).
    event TradeExecuted(
        bytes32 indexed orderHash,
        address indexed property,
        address indexed seller,
        address buyer,
        uint256 amount,
        uint256 price,
        uint256 fee
    );
    /// @notice The trade just executed matched `sellHash` with `buyHash`.
    event OrdersMatched(bytes32 indexed sellHash, bytes32 indexed buyHash, address matcher);
    /// @notice `maker` signed the order `orderHash` on chain ({presign}).
    event OrderPresigned(bytes32 indexed orderHash, address indexed maker);
    /// @notice `maker` cancelled the order `orderHash`.
    event OrderCancelled(bytes32 indexed orderHash, address indexed maker);
    /// @notice `maker` cancelled its orders whose nonces are set in `mask` of word `wordPos`.
    event NonceInvalidation(address indexed maker, uint256 wordPos, uint256 mask);
    /// @notice `maker` moved to `epoch`: every order it signed under an earlier one is void.
    event EpochAdvanced(address indexed maker, uint64 epoch);
    /// @notice The admin set `property`'s fee.
    event FeeSet(address indexed property, uint16 feeBps);
    /// @notice The admin set who approves `property`'s trades (zero: nobody needs to).
    event ApproverSet(address indexed property, address approver);
    /// @notice `approver` consented (or withdrew consent) to order `orderHash` trading with `counterparty`.
    event TradeApproved(bytes32 indexed orderHash, address indexed counterparty, bool approved, address approver);

    error ZeroAmount();
    error FeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error WrongCurrency(address currency);
    error WrongSide(bytes32 orderHash);
    error NotMaker(address caller, address maker);
    error WrongTaker(bytes32 orderHash, address taker, address counterparty);
    error SelfTrade(address wallet);
    error OrderExpired(bytes32 orderHash, uint64 expiry);
    error OrderCancelledAlready(bytes32 orderHash);
    /// @notice The maker cancelled this nonce, or an order with it filled completely.
    error NonceUsed(address maker, uint256 nonce);
    error StaleEpoch(address maker, uint64 signedEpoch, uint64 currentEpoch);
    error Overfilled(bytes32 orderHash, uint256 filled, uint256 requested, uint256 orderAmount);
    error InvalidSignature(bytes32 orderHash, address maker);
    error MismatchedOrders(bytes32 sellHash, bytes32 buyHash);
    error PricesDoNotCross(uint256 sellPrice, uint256 buyPrice);
    error InexactQuote(uint256 amount, uint256 price, uint8 decimals);
    error TradeNotApproved(bytes32 orderHash, address counterparty);
    error ApprovalExpired(uint256 deadline);
    error NotApprover(address caller, address property);

    function _getStorage() private pure returns (PropertyMarketStorage storage $) {
        assembly {
            $.slot := PropertyMarketStorageLocation
        }
    }

    /// @param stablecoin_ The network's stablecoin.
    /// @param treasury_ Where fees are paid.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address stablecoin_, address treasury_) {
        if (stablecoin_ == address(0) || treasury_ == address(0)) revert ZeroAddress();
        stablecoin = stablecoin_;
        treasury = treasury_;
        _disableInitializers();
    }

    /**
     * @notice Initializes the market behind its proxy.
     * @param admin Receives `DEFAULT_ADMIN_ROLE` (the timelock).
     */
    function initialize(address admin) external initializer {
        if (admin == address(0)) revert ZeroAddress();
        __AccessControl_init();
        __EIP712_init(_EIP712_NAME, _EIP712_VERSION);
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------------------------------------
    // Trading
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Takes `amount` of a resting order: the caller is the counterparty (the buyer of a sell
     * order, the seller of a buy order).
     * @dev Refused when the property needs an approver's consent that was not given on chain (use
     * {fillApproved}). Emits {TradeExecuted}.
     * @param order The maker's order.
     * @param signature The maker's signature of the order's EIP-712 digest.
     * @param amount Token base units to trade now (at most what remains of the order).
     * @return orderHash The order's EIP-712 digest.
     */
    function fill(Order calldata order, bytes calldata signature, uint256 amount)
        external
        nonReentrant
        returns (bytes32 orderHash)
    {
        orderHash = _fill(order, signature, amount, "");
    }

    /**
     * @notice As {fill}, with the property approver's signed consent to this order trading with the caller.
     * @param order The maker's order.
     * @param signature The maker's signature.
     * @param amount Token base units to trade now.
     * @param approvalDeadline Last unix time the consent holds.
     * @param approvalSignature The approver's signature of `TradeApproval(orderHash, caller, approvalDeadline)`.
     * @return orderHash The order's EIP-712 digest.
     */
    function fillApproved(
        Order calldata order,
        bytes calldata signature,
        uint256 amount,
        uint256 approvalDeadline,
        bytes calldata approvalSignature
    ) external nonReentrant returns (bytes32 orderHash) {
        orderHash = _fill(order, signature, amount, abi.encode(approvalDeadline, approvalSignature));
    }

    /**
     * @notice Settles `amount` between a sell order and a buy order of the same property, at the sell
     * order's price. Anyone may call; the caller takes no custody and no part of the trade.
     * @dev Emits {TradeExecuted} (with the sell order's hash) and {OrdersMatched}.
     * @param sell The sell order.
     * @param sellSignature Its maker's signature.
     * @param buy The buy order; its price must be at least the sell order's.
     * @param buySignature Its maker's signature.
     * @param amount Token base units to trade (at most what remains of either order).
     * @return sellHash The sell order's digest.
     * @return buyHash The buy order's digest.
     */
    function matchOrders(
        Order calldata sell,
        bytes calldata sellSignature,
        Order calldata buy,
        bytes calldata buySignature,
        uint256 amount
    ) external nonReentrant returns (bytes32 sellHash, bytes32 buyHash) {
        (sellHash, buyHash) = _match(sell, sellSignature, buy, buySignature, amount, "");
    }

    /**
     * @notice As {matchOrders}, with the property approver's signed consent to the sell order trading
     * with the buy order's maker.
     * @param sell The sell order.
     * @param sellSignature Its maker's signature.
     * @param buy The buy order.
     * @param buySignature Its maker's signature.
     * @param amount Token base units to trade.
     * @param approvalDeadline Last unix time the consent holds.
     * @param approvalSignature The approver's signature of `TradeApproval(sellHash, buy.maker, approvalDeadline)`.
     * @return sellHash The sell order's digest.
     * @return buyHash The buy order's digest.
     */
    function matchApproved(
        Order calldata sell,
        bytes calldata sellSignature,
        Order calldata buy,
        bytes calldata buySignature,
        uint256 amount,
        uint256 approvalDeadline,
        bytes calldata approvalSignature
    ) external nonReentrant returns (bytes32 sellHash, bytes32 buyHash) {
        (sellHash, buyHash) =
            _match(sell, sellSignature, buy, buySignature, amount, abi.encode(approvalDeadline, approvalSignature));
    }

    // ---------------------------------------------------------------------------------------------
    // Signing on chain
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Signs `order` on chain: the maker (the caller) approves it, so it fills with an empty signature.
     * A Safe signs this way through an ordinary proposal (a call, no message signatures); {cancel} undoes it.
     * @dev Only the maker. Emits {OrderPresigned}.
     * @param order The caller's order.
     */
    function presign(Order calldata order) external {
        if (order.maker != msg.sender) revert NotMaker(msg.sender, order.maker);
        bytes32 orderHash = hashOrder(order);
        _getStorage().presigned[orderHash] = true;
        emit OrderPresigned(orderHash, order.maker);
    }

    // ---------------------------------------------------------------------------------------------
    // Cancellation
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Cancels one of the caller's orders for good, whatever of it is unfilled.
     * @dev Only the maker. Emits {OrderCancelled}.
     * @param order The order.
     */
    function cancel(Order calldata order) external {
        if (order.maker != msg.sender) revert NotMaker(msg.sender, order.maker);
        bytes32 orderHash = hashOrder(order);
        PropertyMarketStorage storage $ = _getStorage();
        $.filled[orderHash] = _CANCELLED;
        $.makers[order.maker].recorded |= _recordBit(orderHash);
        emit OrderCancelled(orderHash, order.maker);
    }

    /**
     * @notice Cancels every order of the caller whose nonce is set in `mask` of word `wordPos` of its
     * nonce bitmap (nonce = `wordPos << 8 | bit`).
     * @dev Only ever affects the caller's own orders. Emits {NonceInvalidation}.
     * @param wordPos The word (a nonce's upper 248 bits).
     * @param mask The bits to set (each a nonce's lower 8 bits, as `1 << bit`).
     */
    function invalidateNonces(uint256 wordPos, uint256 mask) external {
        address maker = msg.sender;
        PropertyMarketStorage storage $ = _getStorage();
        if (wordPos == 0) {
            $.makers[maker].lowNonces |= uint128(mask);
            $.nonceBitmaps[maker][0] |= mask & ~uint256(type(uint128).max);
        } else {
            $.nonceBitmaps[maker][wordPos] |= mask;
        }
        emit NonceInvalidation(maker, wordPos, mask);
    }

    /**
     * @notice Cancels every order the caller signed under its current epoch: only orders naming the new
     * epoch fill from now on.
     * @dev Emits {EpochAdvanced}.
     * @return epoch The caller's new epoch.
     */
    function advanceEpoch() external returns (uint64 epoch) {
        address maker = msg.sender;
        PropertyMarketStorage storage $ = _getStorage();
        Maker storage m = $.makers[maker];
        epoch = m.epoch + 1;
        m.epoch = epoch;
        emit EpochAdvanced(maker, epoch);
    }

    // ---------------------------------------------------------------------------------------------
    // Approvals
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice The property's approver consents (or withdraws consent) to order `orderHash` trading with
     * `counterparty` (the taker of a fill; for a match, the sell order with the buy order's maker).
     * @dev Only the approver the admin named for `property`. Emits {TradeApproved}.
     * @param property The order's property.
     * @param orderHash The order.
     * @param counterparty Who it may trade with.
     * @param approved True to consent, false to withdraw.
     */
    function approveTrade(address property, bytes32 orderHash, address counterparty, bool approved) external {
        address approver = msg.sender;
        if (approver != _getStorage().terms[property].approver) revert NotApprover(approver, property);
        _getStorage().approvals[orderHash][counterparty] = approved;
        emit TradeApproved(orderHash, counterparty, approved, approver);
    }

    // ---------------------------------------------------------------------------------------------
    // Administration
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Sets `property`'s fee, at most {MAX_FEE_BPS}.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {FeeSet}.
     * @param property The property token.
     * @param feeBps The fee in basis points of each trade's quote, paid by the seller.
     */
    function setFee(address property, uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (property == address(0)) revert ZeroAddress();
        if (feeBps > MAX_FEE_BPS) revert FeeTooHigh(feeBps, MAX_FEE_BPS);
        _getStorage().terms[property].feeBps = feeBps;
        emit FeeSet(property, feeBps);
    }

    /**
     * @notice Names who must consent to each of `property`'s trades (zero: nobody).
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {ApproverSet}.
     * @param property The property token.
     * @param approver The property's agent that approves trades, or zero.
     */
    function setApprover(address property, address approver) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (property == address(0)) revert ZeroAddress();
        _getStorage().terms[property].approver = approver;
        emit ApproverSet(property, approver);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The EIP-712 digest of `order` in this market's domain: what its maker signs.
    function hashOrder(Order calldata order) public view returns (bytes32 digest) {
        // The order is a static struct: its ten words are hashed where they lie in calldata, after the type hash.
        bytes32 typeHash = ORDER_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), order, 0x140)
            structHash := keccak256(ptr, 0x160)
        }
        return MessageHashUtils.toTypedDataHash(_domainSeparator(), structHash);
    }

    /// @notice The record of order `orderHash`'s partial fills (zero for an order filled whole in one go:
    /// its nonce is spent instead), and whether it was cancelled by hash.
    function filledOf(bytes32 orderHash) external view returns (uint256 filled, bool cancelled) {
        filled = _getStorage().filled[orderHash];
        cancelled = filled == _CANCELLED;
        if (cancelled) filled = 0;
    }

    /**
     * @notice What of `order` could still fill now, as far as the market's records go (zero when it is
     * expired, cancelled, its nonce used or its epoch past; the maker's balance and allowance are not read).
     * @param order The order.
     * @return The token base units left.
     */
    function remainingOf(Order calldata order) external view returns (uint256) {
        PropertyMarketStorage storage $ = _getStorage();
        address maker = order.maker;
        uint256 filled = $.filled[hashOrder(order)];
        if (
            block.timestamp > order.expiry || filled == _CANCELLED || order.epoch != $.makers[maker].epoch
                || _nonceWord($, maker, order.nonce >> 8) & (1 << (order.nonce & 0xff)) != 0
        ) return 0;
        return order.amount - filled;
    }

    /// @notice Whether `maker` cancelled its orders with nonce `nonce`.
    function isNonceCancelled(address maker, uint256 nonce) external view returns (bool) {
        return _nonceWord(_getStorage(), maker, nonce >> 8) & (1 << (nonce & 0xff)) != 0;
    }

    /// @notice The word `wordPos` of `maker`'s bitmap of cancelled nonces.
    function nonceBitmap(address maker, uint256 wordPos) external view returns (uint256) {
        return _nonceWord(_getStorage(), maker, wordPos);
    }

    /// @notice The epoch `maker`'s orders must name to fill.
    function epochOf(address maker) external view returns (uint64) {
        return _getStorage().makers[maker].epoch;
    }

    /// @notice `property`'s fee in basis points and the approver of its trades (zero: none needed).
    function termsOf(address property) external view returns (uint16 feeBps, address approver) {
        Terms memory t = _getStorage().terms[property];
        return (t.feeBps, t.approver);
    }

    /// @notice Whether the maker of order `orderHash` signed it on chain ({presign}).
    function isPresigned(bytes32 orderHash) external view returns (bool) {
        return _getStorage().presigned[orderHash];
    }

    /// @notice Whether the approver consented on chain to order `orderHash` trading with `counterparty`.
    function isTradeApproved(bytes32 orderHash, address counterparty) external view returns (bool) {
        return _getStorage().approvals[orderHash][counterparty];
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _fill(Order calldata order, bytes calldata signature, uint256 amount, bytes memory approval)
        private
        returns (bytes32 orderHash)
    {
        address taker = msg.sender;
        orderHash = _use(order, signature, amount, taker);
        _trade(order, orderHash, taker, amount, approval);
    }

    function _match(
        Order calldata sell,
        bytes calldata sellSignature,
        Order calldata buy,
        bytes calldata buySignature,
        uint256 amount,
        bytes memory approval
    ) private returns (bytes32 sellHash, bytes32 buyHash) {
        sellHash = _use(sell, sellSignature, amount, buy.maker);
        buyHash = _use(buy, buySignature, amount, sell.maker);
        if (sell.side != Side.Sell) revert WrongSide(sellHash);
        if (buy.side != Side.Buy) revert WrongSide(buyHash);
        if (sell.property != buy.property) revert MismatchedOrders(sellHash, buyHash);
        if (sell.price > buy.price) revert PricesDoNotCross(sell.price, buy.price);
        _trade(sell, sellHash, buy.maker, amount, approval);
        emit OrdersMatched(sellHash, buyHash, msg.sender);
    }

    /// @dev Settles `amount` of `order` with `counterparty` at the order's price (a match: the sell order with the
    /// buy order's maker), once the approver's consent (if needed) is checked.
    function _trade(Order calldata order, bytes32 orderHash, address counterparty, uint256 amount, bytes memory approval)
        private
    {
        address property = order.property;
        uint256 price = order.price;
        (uint256 quote, uint256 fee) = _quote(property, amount, price, orderHash, counterparty, approval);
        (address seller, address buyer) =
            order.side == Side.Sell ? (order.maker, counterparty) : (counterparty, order.maker);
        _settle(orderHash, property, seller, buyer, amount, price, quote, fee);
    }

    /// @dev Checks that `order` may trade `amount` with `counterparty` now and records the fill.
    function _use(Order calldata order, bytes calldata signature, uint256 amount, address counterparty)
        private
        returns (bytes32 orderHash)
    {
        orderHash = hashOrder(order);
        if (amount == 0) revert ZeroAmount();
        if (order.currency != stablecoin) revert WrongCurrency(order.currency);
        if (block.timestamp > order.expiry) revert OrderExpired(orderHash, order.expiry);
        address maker = order.maker;
        address taker = order.taker;
        if (taker != address(0) && taker != counterparty) revert WrongTaker(orderHash, taker, counterparty);
        if (counterparty == maker) revert SelfTrade(maker);
        _recordFill(order, maker, orderHash, amount);
        if (!_validSignature(maker, orderHash, signature)) revert InvalidSignature(orderHash, maker);
    }

    /// @dev Refuses an order its maker voided or that has less than `amount` left, and records the fill. The
    /// maker's {Maker} slot is read and written as one word (fields at bits 0, 64 and 128): one read, one write.
    function _recordFill(Order calldata order, address maker, bytes32 orderHash, uint256 amount) private {
        PropertyMarketStorage storage $ = _getStorage();
        Maker storage slot = $.makers[maker];
        uint256 state;
        assembly {
            state := sload(slot.slot)
        }
        uint64 epoch = uint64(state);
        if (order.epoch != epoch) revert StaleEpoch(maker, order.epoch, epoch);
        uint256 recordBit = 1 << (_RECORDED_SHIFT + uint256(orderHash) % 64);
        uint256 filled;
        if (state & recordBit != 0) {
            filled = $.filled[orderHash];
            if (filled == _CANCELLED) revert OrderCancelledAlready(orderHash);
        }
        uint256 total = filled + amount;
        uint256 orderAmount = order.amount;
        if (total > orderAmount) revert Overfilled(orderHash, filled, amount, orderAmount);
        // A complete fill spends the order's nonce; only a partial fill, or the completion of one, needs the
        // order's own record (and its bit in the filter).
        bool complete = total == orderAmount;
        uint256 nonce = order.nonce;
        if (nonce < 128) {
            uint256 bit = 1 << (_LOW_NONCES_SHIFT + nonce);
            if (state & bit != 0) revert NonceUsed(maker, nonce);
            if (complete) state |= bit;
        } else {
            mapping(uint256 => uint256) storage bitmaps = $.nonceBitmaps[maker];
            uint256 word = bitmaps[nonce >> 8];
            uint256 bit = 1 << (nonce & 0xff);
            if (word & bit != 0) revert NonceUsed(maker, nonce);
            if (complete) bitmaps[nonce >> 8] = word | bit;
        }
        if (!complete || filled != 0) {
            $.filled[orderHash] = total;
            state |= recordBit;
        }
        assembly {
            sstore(slot.slot, state)
        }
    }

    /// @dev Word `wordPos` of `maker`'s nonce bitmap, wherever its bits are kept (see {Maker}).
    function _nonceWord(PropertyMarketStorage storage $, address maker, uint256 wordPos) private view returns (uint256) {
        uint256 word = $.nonceBitmaps[maker][wordPos];
        return wordPos == 0 ? word | $.makers[maker].lowNonces : word;
    }

    /// @dev The bit of {Maker.recorded} that stands for `orderHash`.
    function _recordBit(bytes32 orderHash) private pure returns (uint64) {
        return uint64(1) << (uint256(orderHash) % 64);
    }

    /// @dev A key's 65-byte ECDSA signature (low `s` only) first, read from calldata without looking at the
    /// maker's code; an empty signature stands for the maker's {presign}; otherwise the maker's ERC-1271 answer
    /// (a Safe's, through its fallback handler).
    function _validSignature(address maker, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (signature.length == 65) {
            // ECDSA.tryRecover's rules, with r, s and v read in place: `s` in the lower half order (a malleable
            // twin of a signature is refused), `v` 27 or 28 (the precompile answers nothing otherwise).
            uint256 maxS = _MAX_S;
            address recovered;
            assembly ("memory-safe") {
                let s := calldataload(add(signature.offset, 0x20))
                if iszero(gt(s, maxS)) {
                    let ptr := mload(0x40)
                    mstore(ptr, digest)
                    mstore(add(ptr, 0x20), byte(0, calldataload(add(signature.offset, 0x40))))
                    mstore(add(ptr, 0x40), calldataload(signature.offset))
                    mstore(add(ptr, 0x60), s)
                    let ok := staticcall(gas(), 1, ptr, 0x80, 0x00, 0x20)
                    // (Yul evaluates arguments right to left: the answer's size is read after the call.)
                    if and(ok, eq(returndatasize(), 0x20)) { recovered := mload(0x00) }
                }
            }
            if (recovered != address(0) && recovered == maker) return true;
        }
        if (signature.length == 0) return _getStorage().presigned[digest];
        return maker.code.length != 0 && SignatureChecker.isValidERC1271SignatureNow(maker, digest, signature);
    }

    /// @dev This market's EIP-712 domain separator (the one {eip712Domain} describes), from constants: no
    /// storage read, no string hashed per order.
    function _domainSeparator() private view returns (bytes32 separator) {
        bytes32 typeHash = _DOMAIN_TYPEHASH;
        bytes32 nameHash = _NAME_HASH;
        bytes32 versionHash = _VERSION_HASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), nameHash)
            mstore(add(ptr, 0x40), versionHash)
            mstore(add(ptr, 0x60), chainid())
            mstore(add(ptr, 0x80), address())
            separator := keccak256(ptr, 0xa0)
        }
    }

    /**
     * @dev What `amount` of `property` at `price` costs, and the fee out of it, once the property's approver (if
     * it has one) consented to `orderHash` trading with `counterparty`. Reads the property's decimals once.
     */
    function _quote(
        address property,
        uint256 amount,
        uint256 price,
        bytes32 orderHash,
        address counterparty,
        bytes memory approval
    ) private returns (uint256 quote, uint256 fee) {
        PropertyMarketStorage storage $ = _getStorage();
        Terms storage slot = $.terms[property];
        uint256 terms; // the slot as one word: feeBps (bits 0-15), decimalsPlusOne (16-23), approver (24-183)
        assembly {
            terms := sload(slot.slot)
        }
        address approver = address(uint160(terms >> 24));
        if (approver != address(0)) _requireApproval($, approver, orderHash, counterparty, approval);
        uint256 decimals = uint8(terms >> 16);
        if (decimals == 0) {
            decimals = IERC20Metadata(property).decimals();
            if (decimals > _MAX_DECIMALS) revert InexactQuote(amount, price, uint8(decimals));
            slot.decimalsPlusOne = uint8(decimals + 1); // read once per property: decimals never change
        } else {
            decimals -= 1;
        }
        uint256 value = amount * price;
        uint256 unit;
        assembly {
            unit := exp(10, decimals) // at most 10**77: no overflow
        }
        if (value % unit != 0) revert InexactQuote(amount, price, uint8(decimals));
        quote = value / unit;
        fee = quote * uint16(terms) / _BPS;
    }

    /// @dev Both legs and the fee; either all move or the transaction reverts.
    function _settle(
        bytes32 orderHash,
        address property,
        address seller,
        address buyer,
        uint256 amount,
        uint256 price,
        uint256 quote,
        uint256 fee
    ) private {
        _transferFrom(property, seller, buyer, amount);
        _transferFrom(stablecoin, buyer, seller, quote - fee);
        if (fee != 0) _transferFrom(stablecoin, buyer, treasury, fee);
        // emit TradeExecuted(orderHash, property, seller, buyer, amount, price, fee), its data written past the
        // free-memory pointer without the ABI encoder (the hottest line of every trade).
        bytes32 topic = TradeExecuted.selector;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, buyer)
            mstore(add(ptr, 0x20), amount)
            mstore(add(ptr, 0x40), price)
            mstore(add(ptr, 0x60), fee)
            log4(ptr, 0x80, topic, orderHash, property, seller)
        }
    }

    /// @dev `token.transferFrom(from, to, value)` with SafeERC20's rules (a refusal bubbles up; the answer must be
    /// `true`, or nothing from a contract), the call written past the free-memory pointer: no ABI encoder.
    function _transferFrom(address token, address from, address to, uint256 value) private {
        bytes4 selector = IERC20.transferFrom.selector;
        bool ok;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), from)
            mstore(add(ptr, 0x24), to)
            mstore(add(ptr, 0x44), value)
            if iszero(call(gas(), token, 0, ptr, 0x64, 0x00, 0x20)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            switch returndatasize()
            case 0 { ok := gt(extcodesize(token), 0) }
            default { ok := and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)) }
        }
        if (!ok) revert SafeERC20.SafeERC20FailedOperation(token);
    }

    /// @dev Reverts unless the approver consented on chain, or `approval` (`abi.encode(deadline, signature)`,
    /// empty when none is carried) is its unexpired signed consent.
    function _requireApproval(
        PropertyMarketStorage storage $,
        address approver,
        bytes32 orderHash,
        address counterparty,
        bytes memory approval
    ) private view {
        if ($.approvals[orderHash][counterparty]) return;
        if (approval.length == 0) revert TradeNotApproved(orderHash, counterparty);
        (uint256 deadline, bytes memory signature) = abi.decode(approval, (uint256, bytes));
        if (block.timestamp > deadline) revert ApprovalExpired(deadline);
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            _domainSeparator(), keccak256(abi.encode(APPROVAL_TYPEHASH, orderHash, counterparty, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(approver, digest, signature)) revert TradeNotApproved(orderHash, counterparty);
    }

    /// @dev The EIP-712 domain name as a constant (no storage read per signature), equal to the stored one.
    function _EIP712Name() internal pure override returns (string memory) {
        return _EIP712_NAME;
    }

    /// @dev The EIP-712 domain version, a constant for the same reason as {_EIP712Name}.
    function _EIP712Version() internal pure override returns (string memory) {
        return _EIP712_VERSION;
    }

    /// @dev Only `DEFAULT_ADMIN_ROLE` may upgrade the implementation.
    function _authorizeUpgrade(address) internal virtual override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
