// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";
import {IFanPayments, IPaymentsHub, IHubVault} from "./IFanPayments.sol";

/// @notice ERC-5643 subscription NFTs (https://eips.ethereum.org/EIPS/eip-5643), interface id 0x8c65f84d.
/// @dev The EIP marks `renewSubscription` and `cancelSubscription` payable; payability is not part of
/// the selectors, and these memberships are paid in stablecoins, so they are not payable here.
interface IERC5643 {
    /// @notice The expiry of `tokenId` changed.
    event SubscriptionUpdate(uint256 indexed tokenId, uint64 expiration);

    /// @notice Extends `tokenId` by `duration` seconds, paid by its owner.
    function renewSubscription(uint256 tokenId, uint64 duration) external;

    /// @notice Stops the renewals of `tokenId`.
    function cancelSubscription(uint256 tokenId) external;

    /// @notice When `tokenId` expires.
    function expiresAt(uint256 tokenId) external view returns (uint64);

    /// @notice Whether `tokenId` can be renewed.
    function isRenewable(uint256 tokenId) external view returns (bool);
}

/// @notice What the hub asks of the vault factory.
interface IVaultDirectory {
    function isVault(address account) external view returns (bool);
}

/**
 * @title FanPayments
 * @notice The fans' payments hub: every payment a fan makes to an athlete goes through it. Tips
 * ({tip}, {tipWithPermit}, the native coin too), merchandise orders ({payOrder}, each order id of a
 * vault payable once, {refundOrder} in full to its payer) and memberships, as ERC-5643 subscription
 * NFTs: an athlete creates plans for their vault (a stablecoin, a price per period, a period length);
 * a fan subscribes for N periods paid ahead ({subscribe}; {renewSubscription} pays further periods
 * ahead), and may pre-authorise renewal (`autoRenew` and an allowance to this contract): then any
 * keeper may {renew} a membership once it is due ({RENEWAL_WINDOW} before it expires), one period at
 * a time, at the lower of the fan's subscribed price and the plan's current price. A price rise
 * reaches a fan only when the fan accepts it ({acceptPrice}). {cancelSubscription} stops every
 * renewal; the membership stays valid until it expires and nothing is refunded.
 *
 * A payment goes straight from the fan to where released deal revenue goes: the vault's splitter, or
 * the vault's free balance when it has none; never into deal escrow. It is screened first: refused
 * while the vault is paused, from a sanctioned fan, and above the vault's AML threshold for the token
 * ({setAmlThreshold}, the suite admin's) from a fan who is not verified. What is credited, and emitted
 * in {IFanPayments.FanPaid}, is what arrived (a token that takes a fee on transfer is credited the net).
 *
 * @dev Gas: each vault's payment terms are one slot here (payout address, paused, and how many AML
 * thresholds it has), so a payment reads one slot, not the vault through its proxies. The vault is the
 * only source of its splitter and pause: this slot is a copy that only {syncTerms} writes, from the
 * vault's own views, and the vault calls {syncTerms} whenever either changes (its code names this hub,
 * {IHubVault.paymentsHub}; a vault is synced lazily on its first payment or plan). The AML thresholds
 * live only here. A membership is one slot (owner, expiry, plan, the price version the fan agreed to,
 * renewal flags); a plan two (vault, period, price version, closed; token, price); a renewal reads the
 * member's slot, the plan's and the vault's terms. Memberships are not transferable (the fan who
 * pre-authorised renewal is the one charged). One hub serves every vault of the factory; it has no
 * owner (plans are the athletes', thresholds the factory admin's).
 */
contract FanPayments is ERC721, IERC5643, IFanPayments, IPaymentsHub, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A plan: what a period of membership of an athlete costs (two slots).
    struct Plan {
        address vault;
        uint40 period;
        uint16 priceVersion;
        bool closed;
        address token;
        uint96 price;
    }

    /// @notice A membership, as {membership} returns it: its plan, expiry, the price the fan agreed to
    /// and its renewal state.
    struct Membership {
        uint64 planId;
        uint40 expiresAt;
        uint96 price;
        bool autoRenew;
        bool cancelled;
    }

    /// @dev A membership as stored: one slot. `priceVersion` is the plan's price the fan agreed to.
    struct Member {
        address owner;
        uint40 expiresAt;
        uint32 planId;
        uint16 priceVersion;
        uint8 flags;
    }

    /// @notice How long before expiry a membership is due for renewal.
    uint256 public constant RENEWAL_WINDOW = 1 hours;
    /// @notice The shortest and the longest period a plan may have.
    uint256 public constant MIN_PERIOD = 1 days;
    uint256 public constant MAX_PERIOD = 366 days;
    /// @notice The most periods paid ahead at once.
    uint256 public constant MAX_PERIODS = 120;
    /// @notice The longest memo a tip may carry, in bytes.
    uint256 public constant MAX_MEMO_LENGTH = 280;

    uint8 private constant _AUTO_RENEW = 1;
    uint8 private constant _CANCELLED = 2;

    // A vault's terms slot: payout address (bits 0-159), paused (bit 160), known (bit 161: synced at
    // least once), the number of tokens with an AML threshold (bits 168-199).
    uint256 private constant _PAYOUT_MASK = (1 << 160) - 1;
    uint256 private constant _PAUSED = 1 << 160;
    uint256 private constant _KNOWN = 1 << 161;
    uint256 private constant _COUNT_SHIFT = 168;

    // Orders: eight to a word, 32 bits each (paid, refunded and a 30-bit fingerprint of payer, token, amount).
    uint256 private constant _PAID = 1;
    uint256 private constant _REFUNDED = 2;
    uint256 private constant _ENTRY_MASK = 0xffffffff;
    uint256 private constant _FINGERPRINT_MASK = 0xfffffffc;

    bytes32 private constant _ADMIN_ROLE = 0x00;

    /// @notice The compliance registry that screens fans.
    IComplianceRegistry public immutable registry;
    /// @notice The vault factory whose vaults fans pay (its admin sets AML thresholds).
    IVaultDirectory public immutable vaultFactory;

    uint64 private _planCount;
    uint256 private _tokenCount;
    mapping(uint256 planId => Plan) private _plans;
    mapping(uint256 planId => mapping(uint256 version => uint96)) private _pastPrices;
    mapping(address vault => uint256[]) private _plansOf;
    mapping(uint256 tokenId => Member) private _members;
    mapping(address owner => uint256) private _balances;
    mapping(address vault => uint256) private _terms;
    mapping(address vault => mapping(address token => uint256)) private _amlThresholds;
    mapping(address vault => mapping(uint256 word => uint256)) private _orders;

    event PlanCreated(uint256 indexed planId, address indexed vault, address token, uint256 price, uint256 period);
    event PlanPriceChanged(uint256 indexed planId, uint256 price);
    event PlanClosed(uint256 indexed planId);
    event AutoRenewSet(uint256 indexed tokenId, bool autoRenew);
    event PriceAccepted(uint256 indexed tokenId, uint256 price);
    event SubscriptionCancelled(uint256 indexed tokenId, uint64 expiresAt);

    error NotVault(address account);
    error NotAthlete(address caller);
    error NotMember(address caller, uint256 tokenId);
    error UnknownPlan(uint256 planId);
    error PlanIsClosed(uint256 planId);
    error UnknownMembership(uint256 tokenId);
    error InvalidPlan();
    error InvalidPeriods(uint256 periods);
    error InvalidDuration(uint64 duration, uint256 period);
    error Cancelled(uint256 tokenId);
    error NotAutoRenewing(uint256 tokenId);
    error NotDue(uint256 tokenId, uint256 dueAt);
    error NotTransferable();
    error Sanctioned(address account);
    error NotVerified(address account);
    /// @notice The vault's code does not keep its terms in step with this hub (an implementation before it).
    error NotWiredToHub(address vault);
    error TooManyPriceChanges(uint256 planId);

    /**
     * @param registry_ The compliance registry.
     * @param vaultFactory_ The {NILVaultFactory}.
     */
    constructor(address registry_, address vaultFactory_) ERC721("NIL Membership", "NILM") {
        if (registry_.code.length == 0 || vaultFactory_.code.length == 0) revert InvalidPlan();
        registry = IComplianceRegistry(registry_);
        vaultFactory = IVaultDirectory(vaultFactory_);
    }

    // ---------------------------------------------------------------------------------------------
    // Tips and orders (the fans')
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Tips the athlete of `vault` `amount` of `token` (approved to this hub, or `address(0)`
     * with the native coin as `msg.value`), with a message.
     * @param vault The athlete's vault.
     * @param token The ERC-20, or `address(0)` for the native coin.
     * @param amount The amount (non-zero).
     * @param memo The fan's message, at most {MAX_MEMO_LENGTH} bytes.
     */
    function tip(address vault, address token, uint256 amount, string calldata memo) external payable nonReentrant {
        _pay(vault, Kind.Tip, token, amount, 0, memo);
    }

    /**
     * @notice {tip} with an EIP-2612 permit to this hub instead of an earlier approval. A permit
     * already used (someone relayed it first) is ignored: the tip then needs the allowance it granted.
     * @param vault The athlete's vault.
     * @param token The ERC-20 (it must support EIP-2612).
     * @param amount The amount (non-zero); the permit's value.
     * @param memo The fan's message.
     * @param deadline The permit's deadline.
     * @param v The permit signature's v.
     * @param r The permit signature's r.
     * @param s The permit signature's s.
     */
    function tipWithPermit(
        address vault,
        address token,
        uint256 amount,
        string calldata memo,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        if (token == address(0)) revert InvalidToken(token);
        // A front-run permit is not an error: the allowance it set is there (if not, the transfer fails).
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _pay(vault, Kind.Tip, token, amount, 0, memo);
    }

    /**
     * @notice Pays merchandise order `orderId` of `vault`: once per order id.
     * @param vault The athlete's vault.
     * @param orderId The shop's order number (consecutive numbers share storage: cheaper).
     * @param token The ERC-20, or `address(0)` with the native coin as `msg.value`.
     * @param amount The order's price (non-zero).
     */
    function payOrder(address vault, uint256 orderId, address token, uint256 amount) external payable nonReentrant {
        mapping(uint256 => uint256) storage orders = _orders[vault];
        uint256 index = orderId >> 3;
        uint256 shift = (orderId & 7) << 5;
        uint256 word = orders[index];
        if ((word >> shift) & _ENTRY_MASK != 0) revert OrderAlreadyPaid(orderId);
        orders[index] = word | (_PAID << shift); // taken before any call
        uint256 received = _pay(vault, Kind.Merchandise, token, amount, orderId, "");
        orders[index] = word | (_orderEntry(msg.sender, token, received) << shift);
    }

    /**
     * @notice Refunds a paid order in full to its payer, from the vault's free balance in its token
     * (top it up first if the payment went to the splitter); the vault's athlete or the suite admin
     * (only the admin while the vault is paused). The payer, token and amount are those of the
     * order's {FanPaid} event.
     * @param vault The athlete's vault.
     * @param orderId The order.
     * @param payer Who paid it.
     * @param token What it was paid in.
     * @param amount What arrived for it (the event's amount).
     */
    function refundOrder(address vault, uint256 orderId, address payer, address token, uint256 amount)
        external
        nonReentrant
    {
        if (!_isAdmin(msg.sender)) {
            if (!vaultFactory.isVault(vault) || msg.sender != IHubVault(vault).athlete()) {
                revert NotAthleteOrAdmin(msg.sender);
            }
            if (IHubVault(vault).paused()) revert VaultPaused(vault);
        }
        mapping(uint256 => uint256) storage orders = _orders[vault];
        uint256 index = orderId >> 3;
        uint256 shift = (orderId & 7) << 5;
        uint256 word = orders[index];
        if ((word >> shift) & _ENTRY_MASK != _orderEntry(payer, token, amount)) revert OrderNotRefundable(orderId);
        if (registry.isSanctioned(payer)) revert Sanctioned(payer);
        orders[index] = word | (_REFUNDED << shift);
        emit OrderRefunded(vault, orderId, payer, token, amount, msg.sender);
        IHubVault(vault).payRefund(token, payer, amount);
    }

    /**
     * @notice Sets `vault`'s AML threshold for `token`: a payment above it needs a verified payer;
     * the suite admin (the vault factory's) only.
     * @param vault The athlete's vault.
     * @param token The ERC-20, or `address(0)` for the native coin.
     * @param threshold The largest amount an unverified payer may pay at once (0: no threshold).
     */
    function setAmlThreshold(address vault, address token, uint256 threshold) external {
        if (!_isAdmin(msg.sender)) revert NotAthleteOrAdmin(msg.sender);
        uint256 terms = _termsOf(vault);
        uint256 previous = _amlThresholds[vault][token];
        _amlThresholds[vault][token] = threshold;
        if ((previous == 0) != (threshold == 0)) {
            _terms[vault] = threshold == 0 ? terms - (1 << _COUNT_SHIFT) : terms + (1 << _COUNT_SHIFT);
        }
        emit AmlThresholdSet(vault, token, threshold);
    }

    /// @inheritdoc IPaymentsHub
    function syncTerms(address vault) external {
        // A vault calling for itself runs code that names this hub; anyone else's call is checked.
        if (msg.sender != vault) _requireWired(vault);
        else if (!vaultFactory.isVault(vault)) revert NotVault(vault);
        _sync(vault, _terms[vault]);
    }

    // ---------------------------------------------------------------------------------------------
    // Plans (the athlete's)
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Creates a plan for `vault`; its athlete only.
     * @param vault The athlete's vault.
     * @param token The stablecoin a period is paid in.
     * @param price The price of a period, in the token's smallest unit (non-zero).
     * @param period The length of a period in seconds ({MIN_PERIOD}..{MAX_PERIOD}).
     * @return planId The plan (from 1).
     */
    function createPlan(address vault, address token, uint96 price, uint40 period) external returns (uint256 planId) {
        if (!vaultFactory.isVault(vault)) revert NotVault(vault);
        if (msg.sender != IHubVault(vault).athlete()) revert NotAthlete(msg.sender);
        if (token.code.length == 0 || price == 0 || period < MIN_PERIOD || period > MAX_PERIOD) revert InvalidPlan();
        _termsOf(vault); // the athlete pays for the vault's first sync, not its first fan
        planId = ++_planCount;
        _plans[planId] = Plan(vault, period, 0, false, token, price);
        _plansOf[vault].push(planId);
        emit PlanCreated(planId, vault, token, price, period);
    }

    /**
     * @notice Changes a plan's price for new members; existing members keep theirs unless it falls
     * (renewals charge the lower) or they {acceptPrice}. The vault's athlete only.
     * @param planId The plan.
     * @param price The new price of a period (non-zero).
     */
    function setPlanPrice(uint256 planId, uint96 price) external {
        Plan storage p = _planOf(planId);
        _requireAthlete(p.vault);
        if (price == 0) revert InvalidPlan();
        uint16 version = p.priceVersion;
        if (version == type(uint16).max) revert TooManyPriceChanges(planId);
        _pastPrices[planId][version] = p.price;
        p.priceVersion = version + 1;
        p.price = price;
        emit PlanPriceChanged(planId, price);
    }

    /**
     * @notice Closes a plan: no new members and no renewals (memberships run until they expire).
     * The vault's athlete only.
     * @param planId The plan.
     */
    function closePlan(uint256 planId) external {
        Plan storage p = _planOf(planId);
        _requireAthlete(p.vault);
        p.closed = true;
        emit PlanClosed(planId);
    }

    // ---------------------------------------------------------------------------------------------
    // Memberships (the fan's, and the keepers')
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Buys a membership of plan `planId` for `periods` periods paid now (the plan's token,
     * approved to this contract), minted to the caller.
     * @param planId The plan.
     * @param periods How many periods to pay ahead (1..{MAX_PERIODS}).
     * @param autoRenew Whether keepers may renew it (one period at a time, from the caller's allowance).
     * @return tokenId The membership NFT.
     */
    function subscribe(uint256 planId, uint256 periods, bool autoRenew) external nonReentrant returns (uint256 tokenId) {
        Plan memory p = _planOf(planId);
        if (p.closed) revert PlanIsClosed(planId);
        if (periods == 0 || periods > MAX_PERIODS) revert InvalidPeriods(periods);
        uint40 expiry = uint40(block.timestamp + uint256(p.period) * periods);
        tokenId = ++_tokenCount;
        _members[tokenId] =
            Member(msg.sender, expiry, uint32(planId), p.priceVersion, autoRenew ? _AUTO_RENEW : 0);
        unchecked {
            ++_balances[msg.sender];
        }
        emit Transfer(address(0), msg.sender, tokenId);
        emit SubscriptionUpdate(tokenId, expiry);
        _collect(p, msg.sender, uint256(p.price) * periods, tokenId);
    }

    /**
     * @notice Pays `duration` more seconds of `tokenId` ahead (a whole number of periods), from
     * its expiry or, once lapsed, from now; its owner only, not once cancelled.
     * @param tokenId The membership.
     * @param duration Seconds to add: a multiple of the plan's period.
     */
    function renewSubscription(uint256 tokenId, uint64 duration) external nonReentrant {
        Member memory m = _memberOf(tokenId);
        if (msg.sender != m.owner) revert NotMember(msg.sender, tokenId);
        if (m.flags & _CANCELLED != 0) revert Cancelled(tokenId);
        Plan memory p = _plans[m.planId];
        if (p.closed) revert PlanIsClosed(m.planId);
        uint256 period = p.period;
        uint256 periods = duration / period;
        if (duration == 0 || duration % period != 0) revert InvalidDuration(duration, period);
        if (periods > MAX_PERIODS) revert InvalidPeriods(periods);
        uint256 amount = _chargedPrice(m, p) * periods;
        _extend(tokenId, m.expiresAt, duration);
        _collect(p, m.owner, amount, tokenId);
    }

    /**
     * @notice Renews a due membership by one period, charging its owner's allowance; anyone (a
     * keeper). Due: auto-renewing, not cancelled, and at most {RENEWAL_WINDOW} before expiry.
     * @param tokenId The membership.
     */
    function renew(uint256 tokenId) external nonReentrant {
        Member memory m = _memberOf(tokenId);
        if (m.flags & _CANCELLED != 0) revert Cancelled(tokenId);
        if (m.flags & _AUTO_RENEW == 0) revert NotAutoRenewing(tokenId);
        uint256 dueAt = uint256(m.expiresAt) - RENEWAL_WINDOW;
        if (block.timestamp < dueAt) revert NotDue(tokenId, dueAt);
        Plan memory p = _plans[m.planId];
        if (p.closed) revert PlanIsClosed(m.planId);
        uint256 amount = _chargedPrice(m, p);
        _extend(tokenId, m.expiresAt, p.period);
        _collect(p, m.owner, amount, tokenId);
    }

    /**
     * @notice Stops every renewal of `tokenId`: it stays valid until {expiresAt}; nothing is
     * refunded. Its owner only.
     * @param tokenId The membership.
     */
    function cancelSubscription(uint256 tokenId) external {
        Member storage m = _ownMember(tokenId);
        if (m.flags & _CANCELLED != 0) revert Cancelled(tokenId);
        m.flags = _CANCELLED;
        emit SubscriptionCancelled(tokenId, m.expiresAt);
    }

    /**
     * @notice Turns keeper renewal of `tokenId` on or off; its owner only.
     * @param tokenId The membership.
     * @param autoRenew Whether keepers may renew it.
     */
    function setAutoRenew(uint256 tokenId, bool autoRenew) external {
        Member storage m = _ownMember(tokenId);
        if (m.flags & _CANCELLED != 0) revert Cancelled(tokenId);
        m.flags = autoRenew ? _AUTO_RENEW : 0;
        emit AutoRenewSet(tokenId, autoRenew);
    }

    /**
     * @notice Accepts the plan's current price for the renewals of `tokenId`; its owner only.
     * @param tokenId The membership.
     */
    function acceptPrice(uint256 tokenId) external {
        Member storage m = _ownMember(tokenId);
        Plan storage p = _plans[m.planId];
        m.priceVersion = p.priceVersion;
        emit PriceAccepted(tokenId, p.price);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Where a payment of `token` into `vault` goes, and what applies to it (the vault's own
     * state when the hub has not synced it yet).
     * @return to The splitter, or the vault itself when it has none.
     * @return paused Whether the vault refuses payments.
     * @return threshold Above this amount the payer must be verified (0: no threshold).
     */
    function paymentTerms(address vault, address token)
        external
        view
        returns (address to, bool paused, uint256 threshold)
    {
        uint256 terms = _terms[vault];
        if (terms & _KNOWN == 0) terms = _read(vault);
        return (address(uint160(terms & _PAYOUT_MASK)), terms & _PAUSED != 0, _amlThresholds[vault][token]);
    }

    /// @notice Whether the hub holds `vault`'s terms (synced at least once).
    function isSynced(address vault) external view returns (bool) {
        return _terms[vault] & _KNOWN != 0;
    }

    /// @notice `vault`'s AML threshold for `token` (0: none).
    function amlThreshold(address vault, address token) external view returns (uint256) {
        return _amlThresholds[vault][token];
    }

    /// @notice Whether order `orderId` of `vault` was paid, and whether it was refunded.
    function orderStatus(address vault, uint256 orderId) external view returns (bool paid, bool refunded) {
        uint256 entry = (_orders[vault][orderId >> 3] >> ((orderId & 7) << 5)) & _ENTRY_MASK;
        return (entry & _PAID != 0, entry & _REFUNDED != 0);
    }

    /// @inheritdoc IERC5643
    function expiresAt(uint256 tokenId) external view returns (uint64) {
        return _memberOf(tokenId).expiresAt;
    }

    /// @inheritdoc IERC5643
    function isRenewable(uint256 tokenId) external view returns (bool) {
        Member memory m = _memberOf(tokenId);
        return m.flags & _CANCELLED == 0 && !_plans[m.planId].closed;
    }

    /// @notice Whether a keeper may {renew} `tokenId` now.
    function isDue(uint256 tokenId) external view returns (bool) {
        Member memory m = _members[tokenId];
        return m.flags & _AUTO_RENEW != 0 && !_plans[m.planId].closed && block.timestamp + RENEWAL_WINDOW >= m.expiresAt;
    }

    /// @notice The membership `tokenId`.
    function membership(uint256 tokenId) external view returns (Membership memory) {
        Member memory m = _memberOf(tokenId);
        return Membership(
            m.planId, m.expiresAt, _agreedPrice(m, _plans[m.planId]), m.flags & _AUTO_RENEW != 0, m.flags & _CANCELLED != 0
        );
    }

    /// @notice What the next period of `tokenId` costs its owner.
    function renewalPrice(uint256 tokenId) external view returns (uint256) {
        Member memory m = _memberOf(tokenId);
        return _chargedPrice(m, _plans[m.planId]);
    }

    /// @notice The plan `planId`.
    function plan(uint256 planId) external view returns (Plan memory) {
        return _planOf(planId);
    }

    /// @notice The plans of `vault`, in creation order.
    function plansOf(address vault) external view returns (uint256[] memory) {
        return _plansOf[vault];
    }

    /// @notice The number of plans (ids run from 1 to this).
    function planCount() external view returns (uint256) {
        return _planCount;
    }

    /// @notice The number of memberships minted (token ids run from 1 to this).
    function membershipCount() external view returns (uint256) {
        return _tokenCount;
    }

    /// @inheritdoc ERC721
    function balanceOf(address owner) public view override returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner];
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC5643).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev A membership's owner is in its slot (ERC721's own owner and balance storage is unused).
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        return _members[tokenId].owner;
    }

    /// @dev Memberships are minted by {subscribe}, never transferred or burnt.
    function _update(address, uint256, address) internal pure override returns (address) {
        revert NotTransferable();
    }

    /// @dev Screens `msg.sender` under `vault`'s terms, moves the payment (`msg.value` for the native
    /// coin) to the vault's payout address and emits {FanPaid}.
    function _pay(address vault, Kind kind, address token, uint256 amount, uint256 ref, string memory memo)
        private
        returns (uint256 received)
    {
        if (amount == 0) revert ZeroAmount();
        if (bytes(memo).length > MAX_MEMO_LENGTH) revert MemoTooLong(bytes(memo).length, MAX_MEMO_LENGTH);
        address to = _screen(vault, token, amount, msg.sender);
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(amount, msg.value);
            received = amount;
            Address.sendValue(payable(to), amount);
        } else {
            if (msg.value != 0) revert WrongValue(0, msg.value);
            if (token.code.length == 0) revert InvalidToken(token);
            received = _transferIn(IERC20(token), msg.sender, to, amount);
        }
        emit FanPaid(vault, kind, msg.sender, token, received, ref, to, memo);
    }

    /// @dev {_pay} for a membership's periods, in the plan's token.
    function _collect(Plan memory p, address payer, uint256 amount, uint256 tokenId) private {
        address to = _screen(p.vault, p.token, amount, payer);
        uint256 received = _transferIn(IERC20(p.token), payer, to, amount);
        emit FanPaid(p.vault, Kind.Subscription, payer, p.token, received, tokenId, to, "");
    }

    /// @dev Applies `vault`'s terms to a payment of `amount` of `token` by `payer`; returns where it goes.
    function _screen(address vault, address token, uint256 amount, address payer) private returns (address to) {
        uint256 terms = _termsOf(vault);
        if (terms & _PAUSED != 0) revert VaultPaused(vault);
        if (terms >> _COUNT_SHIFT != 0) {
            uint256 threshold = _amlThresholds[vault][token];
            if (threshold != 0 && amount > threshold) {
                if (!registry.isVerified(payer)) {
                    if (registry.isSanctioned(payer)) revert Sanctioned(payer);
                    revert NotVerified(payer);
                }
                return address(uint160(terms & _PAYOUT_MASK));
            }
        }
        if (registry.isSanctioned(payer)) revert Sanctioned(payer);
        return address(uint160(terms & _PAYOUT_MASK));
    }

    /// @dev Moves `amount` of `token` from `payer` to `to`; returns what arrived.
    function _transferIn(IERC20 token, address payer, address to, uint256 amount) private returns (uint256 received) {
        uint256 before = token.balanceOf(to);
        token.safeTransferFrom(payer, to, amount);
        received = token.balanceOf(to) - before;
        if (received == 0) revert ZeroAmount();
    }

    /// @dev `vault`'s terms slot, synced from the vault first if the hub has never seen it.
    function _termsOf(address vault) private returns (uint256 terms) {
        terms = _terms[vault];
        if (terms & _KNOWN == 0) {
            _requireWired(vault);
            terms = _sync(vault, terms);
        }
    }

    /// @dev Writes `vault`'s terms from its own views, keeping the threshold count of `terms`.
    function _sync(address vault, uint256 terms) private returns (uint256 synced) {
        uint256 read = _read(vault);
        synced = read | _KNOWN | (terms & ~(_PAYOUT_MASK | _PAUSED | _KNOWN));
        _terms[vault] = synced;
        emit PaymentTermsSynced(vault, address(uint160(read & _PAYOUT_MASK)), read & _PAUSED != 0);
    }

    /// @dev `vault`'s payout address and pause, read from the vault.
    function _read(address vault) private view returns (uint256) {
        address split = IHubVault(vault).splitter();
        address to = split == address(0) ? vault : split;
        return uint256(uint160(to)) | (IHubVault(vault).paused() ? _PAUSED : 0);
    }

    /// @dev Reverts unless `vault` is a vault of the factory whose code keeps its terms in step with this hub.
    function _requireWired(address vault) private view {
        if (!vaultFactory.isVault(vault)) revert NotVault(vault);
        (bool ok, bytes memory answer) = vault.staticcall(abi.encodeCall(IHubVault.paymentsHub, ()));
        if (!ok || answer.length != 32 || abi.decode(answer, (address)) != address(this)) revert NotWiredToHub(vault);
    }

    /// @dev Adds `duration` to the expiry `from`, from now once lapsed (a fan never pays for a gap).
    function _extend(uint256 tokenId, uint256 from, uint256 duration) private {
        if (from < block.timestamp) from = block.timestamp;
        uint40 expiry = uint40(from + duration);
        _members[tokenId].expiresAt = expiry;
        emit SubscriptionUpdate(tokenId, expiry);
    }

    /// @dev The price the fan agreed to: the plan's current one, or the one of the version they accepted.
    function _agreedPrice(Member memory m, Plan memory p) private view returns (uint96) {
        return m.priceVersion == p.priceVersion ? p.price : _pastPrices[m.planId][m.priceVersion];
    }

    /// @dev What a period costs the fan: the lower of the agreed price and the plan's current one.
    function _chargedPrice(Member memory m, Plan memory p) private view returns (uint256) {
        if (m.priceVersion == p.priceVersion) return p.price;
        uint96 agreed = _pastPrices[m.planId][m.priceVersion];
        return p.price < agreed ? p.price : agreed;
    }

    /// @dev Whether `account` holds the suite's admin role (the vault factory's).
    function _isAdmin(address account) private view returns (bool) {
        return IAccessControl(address(vaultFactory)).hasRole(_ADMIN_ROLE, account);
    }

    function _requireAthlete(address vault) private view {
        if (msg.sender != IHubVault(vault).athlete()) revert NotAthlete(msg.sender);
    }

    function _ownMember(uint256 tokenId) private view returns (Member storage m) {
        m = _members[tokenId];
        if (m.planId == 0) revert UnknownMembership(tokenId);
        if (msg.sender != m.owner) revert NotMember(msg.sender, tokenId);
    }

    function _planOf(uint256 planId) private view returns (Plan storage p) {
        p = _plans[planId];
        if (p.vault == address(0)) revert UnknownPlan(planId);
    }

    function _memberOf(uint256 tokenId) private view returns (Member memory m) {
        m = _members[tokenId];
        if (m.planId == 0) revert UnknownMembership(tokenId);
    }

    /// @dev An order's 32-bit entry: paid, and the fingerprint of who paid what.
    function _orderEntry(address payer, address token, uint256 amount) private pure returns (uint256) {
        return (uint256(keccak256(abi.encode(payer, token, amount))) & _FINGERPRINT_MASK) | _PAID;
    }
}
