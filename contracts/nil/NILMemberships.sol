// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";
import {IFanPayments, IPaymentTerms} from "./IFanPayments.sol";

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

/// @notice What the memberships contract asks of the vault factory and its vaults.
interface IVaultDirectory {
    function isVault(address account) external view returns (bool);
}

interface IAthleteVault {
    function athlete() external view returns (address);
}

/**
 * @title NILMemberships
 * @notice Fans' memberships of athletes, as ERC-5643 subscription NFTs. An athlete creates plans for
 * their vault (a stablecoin, a price per period, a period length). A fan subscribes for N periods
 * paid ahead ({subscribe}; {renewSubscription} pays further periods ahead), and may pre-authorise
 * renewal (`autoRenew` and an allowance to this contract): then any keeper may {renew} a membership
 * once it is due ({RENEWAL_WINDOW} before it expires), one period at a time, at the lower of the
 * fan's subscribed price and the plan's current price. A price rise reaches a fan only when the fan
 * accepts it ({acceptPrice}). {cancelSubscription} stops every renewal; the membership stays valid
 * until it expires and nothing is refunded: each period was paid to the athlete when it was bought.
 *
 * Payments go straight from the fan to where the vault's payments go ({IPaymentTerms.paymentTerms}:
 * its splitter, or its free balance), under the vault's rules: refused while the vault is paused,
 * from a sanctioned fan, or above the vault's AML threshold from an unverified fan. Each emits one
 * {IFanPayments.FanPaid} of kind `Subscription`, whose `ref` is the membership's token id.
 *
 * @dev Memberships are not transferable (the fan who pre-authorised renewal is the one charged).
 * One contract serves every vault of the factory, as {ContractNFT} does for deals.
 */
contract NILMemberships is ERC721, IERC5643, IFanPayments, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A plan: what a period of membership of an athlete costs (two slots).
    struct Plan {
        address vault;
        uint40 period;
        bool closed;
        address token;
        uint96 price;
    }

    /// @notice A membership (one slot): its plan, expiry, the price the fan agreed to and its renewal state.
    struct Membership {
        uint64 planId;
        uint40 expiresAt;
        uint96 price;
        bool autoRenew;
        bool cancelled;
    }

    /// @notice How long before expiry a membership is due for renewal.
    uint256 public constant RENEWAL_WINDOW = 1 hours;
    /// @notice The shortest and the longest period a plan may have.
    uint256 public constant MIN_PERIOD = 1 days;
    uint256 public constant MAX_PERIOD = 366 days;
    /// @notice The most periods paid ahead at once.
    uint256 public constant MAX_PERIODS = 120;

    /// @notice The compliance registry that screens fans.
    IComplianceRegistry public immutable registry;
    /// @notice The vault factory whose vaults may have plans.
    IVaultDirectory public immutable vaultFactory;

    uint64 private _planCount;
    uint256 private _tokenCount;
    mapping(uint256 planId => Plan) private _plans;
    mapping(address vault => uint256[]) private _plansOf;
    mapping(uint256 tokenId => Membership) private _memberships;

    event PlanCreated(
        uint256 indexed planId, address indexed vault, address token, uint256 price, uint256 period
    );
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
        if (msg.sender != IAthleteVault(vault).athlete()) revert NotAthlete(msg.sender);
        if (token.code.length == 0 || price == 0 || period < MIN_PERIOD || period > MAX_PERIOD) revert InvalidPlan();
        planId = ++_planCount;
        _plans[planId] = Plan(vault, period, false, token, price);
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
        Plan storage p = _planOf(planId);
        if (p.closed) revert PlanIsClosed(planId);
        if (periods == 0 || periods > MAX_PERIODS) revert InvalidPeriods(periods);
        uint96 price = p.price;
        uint40 expiry = uint40(block.timestamp + uint256(p.period) * periods);
        tokenId = ++_tokenCount;
        _memberships[tokenId] = Membership(uint64(planId), expiry, price, autoRenew, false);
        _mint(msg.sender, tokenId);
        emit SubscriptionUpdate(tokenId, expiry);
        _collect(p, msg.sender, uint256(price) * periods, tokenId);
    }

    /**
     * @notice Pays `duration` more seconds of `tokenId` ahead (a whole number of periods), from
     * its expiry or, once lapsed, from now; its owner only, not once cancelled.
     * @param tokenId The membership.
     * @param duration Seconds to add: a multiple of the plan's period.
     */
    function renewSubscription(uint256 tokenId, uint64 duration) external nonReentrant {
        Membership storage m = _membershipOf(tokenId);
        address owner = _requireOwner(tokenId);
        if (m.cancelled) revert Cancelled(tokenId);
        Plan storage p = _plans[m.planId];
        if (p.closed) revert PlanIsClosed(m.planId);
        uint256 period = p.period;
        uint256 periods = duration / period;
        if (duration == 0 || duration % period != 0) revert InvalidDuration(duration, period);
        if (periods > MAX_PERIODS) revert InvalidPeriods(periods);
        uint256 amount = _chargedPrice(m, p) * periods;
        _extend(tokenId, m, duration);
        _collect(p, owner, amount, tokenId);
    }

    /**
     * @notice Renews a due membership by one period, charging its owner's allowance; anyone (a
     * keeper). Due: auto-renewing, not cancelled, and at most {RENEWAL_WINDOW} before expiry.
     * @param tokenId The membership.
     */
    function renew(uint256 tokenId) external nonReentrant {
        Membership storage m = _membershipOf(tokenId);
        if (m.cancelled) revert Cancelled(tokenId);
        if (!m.autoRenew) revert NotAutoRenewing(tokenId);
        uint256 dueAt = uint256(m.expiresAt) - RENEWAL_WINDOW;
        if (block.timestamp < dueAt) revert NotDue(tokenId, dueAt);
        Plan storage p = _plans[m.planId];
        if (p.closed) revert PlanIsClosed(m.planId);
        uint256 amount = _chargedPrice(m, p);
        _extend(tokenId, m, p.period);
        _collect(p, _ownerOf(tokenId), amount, tokenId);
    }

    /**
     * @notice Stops every renewal of `tokenId`: it stays valid until {expiresAt}; nothing is
     * refunded. Its owner only.
     * @param tokenId The membership.
     */
    function cancelSubscription(uint256 tokenId) external {
        Membership storage m = _membershipOf(tokenId);
        _requireOwner(tokenId);
        if (m.cancelled) revert Cancelled(tokenId);
        m.cancelled = true;
        m.autoRenew = false;
        emit SubscriptionCancelled(tokenId, m.expiresAt);
    }

    /**
     * @notice Turns keeper renewal of `tokenId` on or off; its owner only.
     * @param tokenId The membership.
     * @param autoRenew Whether keepers may renew it.
     */
    function setAutoRenew(uint256 tokenId, bool autoRenew) external {
        Membership storage m = _membershipOf(tokenId);
        _requireOwner(tokenId);
        if (m.cancelled) revert Cancelled(tokenId);
        m.autoRenew = autoRenew;
        emit AutoRenewSet(tokenId, autoRenew);
    }

    /**
     * @notice Accepts the plan's current price for the renewals of `tokenId`; its owner only.
     * @param tokenId The membership.
     */
    function acceptPrice(uint256 tokenId) external {
        Membership storage m = _membershipOf(tokenId);
        _requireOwner(tokenId);
        uint96 price = _plans[m.planId].price;
        m.price = price;
        emit PriceAccepted(tokenId, price);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IERC5643
    function expiresAt(uint256 tokenId) external view returns (uint64) {
        return _membershipOf(tokenId).expiresAt;
    }

    /// @inheritdoc IERC5643
    function isRenewable(uint256 tokenId) external view returns (bool) {
        Membership storage m = _membershipOf(tokenId);
        return !m.cancelled && !_plans[m.planId].closed;
    }

    /// @notice Whether a keeper may {renew} `tokenId` now.
    function isDue(uint256 tokenId) external view returns (bool) {
        Membership storage m = _memberships[tokenId];
        return m.autoRenew && !m.cancelled && !_plans[m.planId].closed
            && block.timestamp + RENEWAL_WINDOW >= m.expiresAt;
    }

    /// @notice The membership `tokenId`.
    function membership(uint256 tokenId) external view returns (Membership memory) {
        return _membershipOf(tokenId);
    }

    /// @notice What the next period of `tokenId` costs its owner.
    function renewalPrice(uint256 tokenId) external view returns (uint256) {
        Membership storage m = _membershipOf(tokenId);
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
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC5643).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Memberships are minted, never transferred.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert NotTransferable();
        return super._update(to, tokenId, auth);
    }

    /// @dev Adds `duration` to the expiry, from now once lapsed (a fan never pays for a gap).
    function _extend(uint256 tokenId, Membership storage m, uint256 duration) private {
        uint256 from = m.expiresAt;
        if (from < block.timestamp) from = block.timestamp;
        uint40 expiry = uint40(from + duration);
        m.expiresAt = expiry;
        emit SubscriptionUpdate(tokenId, expiry);
    }

    /// @dev Screens `payer` under the vault's terms, moves `amount` of the plan's token from `payer`
    /// to the vault's payout address and emits {FanPaid}.
    function _collect(Plan storage p, address payer, uint256 amount, uint256 tokenId) private {
        address vault = p.vault;
        address token = p.token;
        (address to, bool paused, uint256 threshold) = IPaymentTerms(vault).paymentTerms(token);
        if (paused) revert VaultPaused(vault);
        if (threshold != 0 && amount > threshold) {
            if (!registry.isVerified(payer)) {
                if (registry.isSanctioned(payer)) revert Sanctioned(payer);
                revert NotVerified(payer);
            }
        } else if (registry.isSanctioned(payer)) {
            revert Sanctioned(payer);
        }
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(to);
        erc20.safeTransferFrom(payer, to, amount);
        emit FanPaid(vault, Kind.Subscription, payer, token, erc20.balanceOf(to) - before, tokenId, to, "");
    }

    function _chargedPrice(Membership storage m, Plan storage p) private view returns (uint256) {
        uint96 agreed = m.price;
        uint96 current = p.price;
        return current < agreed ? current : agreed;
    }

    function _requireAthlete(address vault) private view {
        if (msg.sender != IAthleteVault(vault).athlete()) revert NotAthlete(msg.sender);
    }

    function _requireOwner(uint256 tokenId) private view returns (address owner) {
        owner = _ownerOf(tokenId);
        if (msg.sender != owner) revert NotMember(msg.sender, tokenId);
    }

    function _planOf(uint256 planId) private view returns (Plan storage p) {
        p = _plans[planId];
        if (p.vault == address(0)) revert UnknownPlan(planId);
    }

    function _membershipOf(uint256 tokenId) private view returns (Membership storage m) {
        m = _memberships[tokenId];
        if (m.planId == 0) revert UnknownMembership(tokenId);
    }
}
