// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";
import {
    IMintScreen,
    MINT_SCREEN_PAUSED,
    MINT_SCREEN_VERIFIED,
    MINT_SCREEN_FROZEN,
    MINT_SCREEN_COMPLIANCE
} from "../interfaces/IMintScreen.sol";
import {CUSTODIAN_ROLE} from "../interfaces/Custody.sol";

/// @dev What an offering asks of its property: the token's own views, its mint and its roles.
interface IOfferedProperty {
    function paused() external view returns (bool);
    function identityRegistry() external view returns (address);
    function compliance() external view returns (address);
    function complianceActive() external view returns (bool);
    function isFrozen(address wallet) external view returns (bool);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function mint(address to, uint256 amount) external;
    function transfer(address to, uint256 amount) external returns (bool);
    function balanceOf(address wallet) external view returns (uint256);
    function renounceRole(bytes32 role, address callerConfirmation) external;
}

/// @dev The property's compliance, asked about a mint (a transfer from the zero address) without making it.
interface IMintCompliance {
    function transferViolation(address from, address to, uint256 amount) external view returns (bytes memory);
}

/**
 * @title PropertyOffering
 * @notice One primary offering of a property's tokens for a stablecoin, at a fixed price, with a hard
 * cap, an optional soft cap, minimum and maximum per investor and opening and closing times, proceeds
 * to the network's treasury. Made by {PropertyOfferingFactory} as an EIP-1167 clone whose terms are
 * appended to its code: fixed at creation, read without storage.
 *
 * @dev The flows:
 *
 * - No soft cap, no review: {subscribe} mints at once and the payment goes straight to the treasury.
 * - Soft cap: payments are escrowed here; after {close}, if the accepted tokens reach the soft cap the
 *   escrow goes to the treasury in one transfer and each subscriber {claim}s their tokens (pull: closing
 *   is O(1) whatever the number of subscribers); otherwise everyone {refund}s every unit they paid. When the
 *   property made the offering its custodian ({CUSTODIAN_ROLE}), the close mints every claim's tokens to
 *   the offering in one mint and the claims transfer them through the token's ordinary compliant transfer.
 * - Review (ERC-7540's request shape): subscriptions are requests held in escrow until an agent of the
 *   property (a `MINTER_ROLE` holder) {accept}s or {reject}s them, singly or in batches; rejected ones
 *   are refundable at once, and requests still pending at the close are refundable too.
 *
 * Compliance comes first: before any money moves, {subscribe} asks the token's own views whether a mint
 * to the investor could happen (paused, verified by the token's identity registry, frozen, and the
 * token's compliance's `transferViolation` from the zero address: country, accredited, max holders, max
 * balance, supply cap) and refuses with the reason. The token's mint checks everything again when it
 * mints, so an investor sanctioned or revoked after subscribing gets no tokens.
 *
 * Price: `price` is in the stablecoin's base units per whole token (`unit` = 10^decimals base units of
 * the token). An investor names the tokens they buy; they pay `ceil(amount * price / unit)` (the
 * smallest payable amount that covers them) and receive `floor(paid * unit / price)` ≥ amount: every
 * token base unit their money buys, so what is left unbought is worth less than one token base unit.
 * Money in is what arrived: a fee-on-transfer stablecoin's net is what buys tokens.
 *
 * The offering mints with the property's `MINTER_ROLE`, granted by the property's admin (the timelock,
 * through the usual proposal) and renounced as soon as nothing is left to mint (at {close} or {cancel},
 * or, without custody, at the last {claim}); it can never mint beyond `hardCap`. The custodian role, granted
 * with it, is renounced at a close or cancel that needs no custody, else by {endCustody} once every claim
 * has left. {cancel} (the property's admin) makes every
 * escrowed payment refundable; tokens already minted stay minted, their payment in the treasury. While
 * the property is paused, nothing that mints or takes money happens; refunds and rejections go on. A
 * sanctioned wallet can neither claim nor be refunded: its money stays here until the sanction is lifted
 * (after a successful close its money is in the treasury, and its tokens, in custody, stay its claim).
 */
contract PropertyOffering is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The property role that mints (held by this offering while it may mint) and reviews.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Largest number of requests one batch accepts or rejects.
    uint256 public constant MAX_BATCH = 100;
    uint256 private constant _SUBSCRIBED_SHIFT = 8; // of `_subscribed` in slot 0, after `_status`

    /// @notice Open (subscriptions, reviews), Closed (soft cap met or none: claims), Failed (soft cap
    /// missed: refunds), Cancelled (refunds).
    enum Status {
        Open,
        Closed,
        Failed,
        Cancelled
    }

    /// @notice The terms, fixed at creation (appended to the clone's code).
    struct Terms {
        address property;
        address stablecoin;
        address treasury;
        uint256 price; // stablecoin base units per whole token
        uint256 unit; // token base units per whole token: 10^decimals
        uint256 hardCap; // token base units
        uint256 softCap; // token base units; 0: none
        uint256 minPerInvestor; // token base units per investor id; 0: none
        uint256 maxPerInvestor; // token base units per investor id; 0: up to the hard cap
        uint64 opensAt;
        uint64 closesAt;
        bool review;
    }

    /// @notice One wallet's subscriptions.
    struct Position {
        uint96 pendingTokens; // requested, awaiting review
        uint128 pendingPaid;
        uint96 acceptedTokens; // accepted, not yet minted (soft cap)
        uint128 acceptedPaid; // their money, escrowed until a successful close sends it to the treasury
        uint128 refundable; // rejected: refundable now
        uint128 investorId; // the investor id its requests count under (review only)
    }

    // slot 0: what a subscription and a claim read and write
    Status private _status;
    uint96 private _subscribed; // pending + accepted + minted tokens: what the hard cap bounds
    uint96 private _toMint; // accepted tokens not yet minted (claims; 0 once the close minted them into custody)
    bool private _custody; // the close minted every claim's tokens here (custodian): claims transfer them
    // slot 1: written only by escrowed and reviewed subscriptions (immediate ones accept all they take)
    uint96 private _accepted; // accepted or minted tokens: what the soft cap measures
    uint128 private _escrowedAccepted; // money of accepted subscriptions not yet in the treasury
    mapping(address wallet => Position) private _positions;
    mapping(uint128 investorId => uint256 tokens) private _investorTotals; // pending + accepted + minted

    /// @notice Emitted for each subscription: minted at once (`paid` then went to the treasury), escrowed, or a
    /// request awaiting review (`pending`).
    event Subscribed(
        address indexed wallet, uint128 indexed investorId, uint256 tokens, uint256 paid, bool minted, bool pending
    );
    /// @notice Emitted when an agent accepts a wallet's pending request (`minted`: without a soft cap).
    event Accepted(address indexed wallet, uint256 tokens, uint256 paid, bool minted);
    /// @notice Emitted when an agent rejects a wallet's pending request; its money becomes refundable.
    event Rejected(address indexed wallet, uint256 tokens, uint256 paid);
    /// @notice Emitted when a subscriber claims their tokens after a successful close.
    event Claimed(address indexed wallet, uint256 tokens);
    /// @notice Emitted when a subscriber takes their money back.
    event Refunded(address indexed wallet, uint256 amount);
    /// @notice Emitted when escrowed money goes to the treasury (an immediate subscription pays it directly:
    /// see {Subscribed}).
    event ProceedsSent(address indexed treasury, uint256 amount);
    /// @notice Emitted at the close: `status` is Closed or Failed.
    event OfferingClosed(Status status, uint256 subscribed, uint256 accepted, address by);
    /// @notice Emitted when the property's admin cancels the offering.
    event OfferingCancelled(address indexed by);
    /// @notice Emitted when the offering gives up the property's minter role.
    event MinterRenounced();
    /// @notice Emitted at a successful close when the offering mints every claim's tokens to itself, as the property's
    /// custodian: claims then transfer them.
    event CustodyTaken(uint256 tokens);
    /// @notice Emitted when the offering gives up the property's custodian role.
    event CustodianRenounced();

    error NotOpen(Status status);
    error NotClosed(Status status);
    error InvestorChanged(address wallet, uint128 investorId);
    error NotStarted(uint64 opensAt);
    error Ended(uint64 closesAt);
    error StillRunning(uint64 closesAt);
    error ZeroAmount();
    error PropertyPaused();
    error InvestorNotVerified(address wallet);
    error InvestorSanctioned(address wallet);
    error InvestorFrozen(address wallet);
    error HardCapExceeded(uint256 requested, uint256 remaining);
    error BelowMinimum(uint128 investorId, uint256 total, uint256 minimum);
    error AboveMaximum(uint128 investorId, uint256 total, uint256 maximum);
    error NotAgent(address caller);
    error NotAdmin(address caller);
    error NoReview();
    error NothingPending(address wallet);
    error NothingToClaim(address wallet);
    error NothingToRefund(address wallet);
    error BatchTooLarge(uint256 size, uint256 maxSize);
    error NoCustody();
    error StillHolding(uint256 tokens);

    /// @dev The implementation itself is unusable: only clones (made by the factory, with terms) are open.
    constructor() {
        _status = Status.Cancelled;
    }

    // ---------------------------------------------------------------------------------------------
    // Investors
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Buys `amount` token base units (receiving every unit the payment buys, see the price rule).
     * @dev Open and between `opensAt` and `closesAt`, property not paused. Every check a mint to the
     * caller would face is asked before money moves. Needs an allowance of {quote}'s cost. Without a soft
     * cap or review, mints at once and pays the treasury. Emits {Subscribed}.
     * @return tokens The tokens subscribed (minted, escrowed or requested).
     */
    function subscribe(uint256 amount) external nonReentrant returns (uint256 tokens) {
        return _subscribe(_asTerms(_copyTerms)(), msg.sender, amount);
    }

    /**
     * @notice {subscribe}, with an EIP-2612 permit for the stablecoin instead of an allowance.
     * @dev A permit that fails (already used, e.g. by someone who saw it first) is ignored: the allowance
     * it set is used, and the subscription fails only if there is none.
     * @param value The permit's value (at least {quote}'s cost).
     */
    function subscribeWithPermit(uint256 amount, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (uint256 tokens)
    {
        Terms memory t = _asTerms(_copyTerms)();
        try IERC20Permit(t.stablecoin).permit(msg.sender, address(this), value, deadline, v, r, s) {} catch {}
        return _subscribe(t, msg.sender, amount);
    }

    /**
     * @notice Delivers the caller's accepted tokens after a successful close.
     * @dev Pull: one wallet per call; not while the property is paused. In custody (the close minted every claim's
     * tokens here, see {close}) the tokens go out through the token's ordinary compliant `transfer`; otherwise they
     * are minted now. Either way the token checks the wallet and every rule of its compliance again: a wallet
     * sanctioned, revoked or frozen since it subscribed gets nothing until that is lifted (its tokens wait here).
     * Without custody the last claim gives up the minter role; in custody, {endCustody} gives up the custodian
     * role once every claim's tokens have left. Emits {Claimed}.
     */
    function claim() external nonReentrant returns (uint256 tokens) {
        Status state = _status;
        if (state != Status.Closed) revert NotClosed(state);
        (tokens,) = _takeAccepted(_positions[msg.sender]);
        if (tokens == 0) revert NothingToClaim(msg.sender);
        address property = _propertyAddress();
        if (_custody) {
            // The token refuses a transfer while it is paused: a paused property pauses its offering's claims.
            _callProperty(property, IOfferedProperty.transfer.selector, msg.sender, tokens);
            emit Claimed(msg.sender, tokens);
            return tokens;
        }
        uint96 left = _toMint - uint96(tokens);
        _toMint = left;
        // The token's agents may mint while it is paused; its offering may not.
        if (_ask(property, IOfferedProperty.paused.selector, address(0)) != 0) revert PropertyPaused();
        _callProperty(property, IOfferedProperty.mint.selector, msg.sender, tokens);
        emit Claimed(msg.sender, tokens);
        if (left == 0) _renounceMinter(IOfferedProperty(property));
    }

    /**
     * @notice Gives up the property's custodian role once the offering holds none of its tokens (every claim
     * delivered). Anyone may call it.
     * @dev Refused before a close in custody ({NoCustody}) and while tokens are held ({StillHolding}). Emits
     * {CustodianRenounced} (nothing when the role is gone already, e.g. revoked by the property's admin).
     */
    function endCustody() external nonReentrant {
        if (!_custody) revert NoCustody();
        IOfferedProperty property = _property();
        uint256 held = property.balanceOf(address(this));
        if (held != 0) revert StillHolding(held);
        _renounceCustodian(property);
    }

    /**
     * @notice Returns every unit of the caller's money the offering owes back: rejected requests, requests
     * still pending at the close, and everything escrowed when the soft cap was missed or the offering
     * was cancelled.
     * @dev Refused while the caller is sanctioned (its money stays here until the sanction is lifted).
     * Emits {Refunded}.
     */
    function refund() external nonReentrant returns (uint256 amount) {
        Terms memory t = _asTerms(_copyTerms)();
        Status state = _status;
        Position storage position = _positions[msg.sender];
        amount = position.refundable;
        position.refundable = 0;
        if (_refundsPending(state)) {
            (, uint256 paid) = _takePending(position);
            amount += paid;
        }
        if (_refundsAccepted(state)) {
            (, uint256 paid) = _takeAccepted(position);
            amount += paid;
        }
        if (amount == 0) revert NothingToRefund(msg.sender);
        if (_registry(IOfferedProperty(t.property)).isSanctioned(msg.sender)) revert InvestorSanctioned(msg.sender);
        IERC20(t.stablecoin).safeTransfer(msg.sender, amount);
        emit Refunded(msg.sender, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // The property's agents and admin
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Accepts the pending requests of `wallets` (an offering with review).
     * @dev A property agent (`MINTER_ROLE`) only; open, property not paused. Without a soft cap, mints
     * each request at once and sends their money to the treasury in one transfer; with one, counts
     * them toward it (claimed after the close). Emits {Accepted} for each.
     */
    function accept(address[] calldata wallets) external nonReentrant {
        Terms memory t = _asTerms(_copyTerms)();
        IOfferedProperty property = IOfferedProperty(t.property);
        _requireReview(t, property, wallets.length);
        if (property.paused()) revert PropertyPaused();
        uint256 tokens = 0;
        uint256 paid = 0;
        for (uint256 i; i < wallets.length; ++i) {
            address wallet = wallets[i];
            Position storage position = _positions[wallet];
            (uint256 requested, uint256 money) = _takePending(position);
            if (requested == 0) revert NothingPending(wallet);
            bool mintNow = t.softCap == 0;
            if (mintNow) {
                property.mint(wallet, requested);
            } else {
                position.acceptedTokens += uint96(requested);
                position.acceptedPaid += uint128(money);
            }
            tokens += requested;
            paid += money;
            emit Accepted(wallet, requested, money, mintNow);
        }
        _accepted += uint96(tokens);
        if (t.softCap == 0) {
            _sendProceeds(t, paid);
        } else {
            _toMint += uint96(tokens);
            _escrowedAccepted += uint128(paid);
        }
    }

    /**
     * @notice Rejects the pending requests of `wallets`: their money is refundable at once.
     * @dev A property agent (`MINTER_ROLE`) only; open. Frees their place under the hard cap and the
     * investors' limits. Emits {Rejected} for each.
     */
    function reject(address[] calldata wallets) external nonReentrant {
        Terms memory t = _asTerms(_copyTerms)();
        _requireReview(t, IOfferedProperty(t.property), wallets.length);
        uint256 tokens = 0;
        for (uint256 i; i < wallets.length; ++i) {
            address wallet = wallets[i];
            Position storage position = _positions[wallet];
            (uint256 requested, uint256 money) = _takePending(position);
            if (requested == 0) revert NothingPending(wallet);
            position.refundable += uint128(money);
            if (_limited(t)) _investorTotals[position.investorId] -= requested;
            tokens += requested;
            emit Rejected(wallet, requested, money);
        }
        _subscribed -= uint96(tokens);
    }

    /**
     * @notice Ends the offering: after `closesAt` anyone may, an agent of the property at any time.
     * @dev With a soft cap that the accepted tokens reach, sends the escrow to the treasury in one
     * transfer and opens the claims; below it, everything is refundable (Failed). Requests still pending
     * become refundable. O(1). When claims are due and the property made the offering its custodian
     * ({CUSTODIAN_ROLE}, granted with the minter role), mints them all to itself in one mint ({CustodyTaken}):
     * the property's rules on minting (supply cap, the lockup its buyers inherit) apply now, the investors' own
     * at each claim. Gives up the minter role unless claims still mint (no custody), and the custodian role
     * unless it holds tokens for claims. Emits {OfferingClosed}.
     */
    function close() external nonReentrant {
        Terms memory t = _asTerms(_copyTerms)();
        if (_status != Status.Open) revert NotOpen(_status);
        IOfferedProperty property = IOfferedProperty(t.property);
        if (block.timestamp < t.closesAt && !property.hasRole(MINTER_ROLE, msg.sender)) revert StillRunning(t.closesAt);
        uint256 acceptedTokens = _acceptedTokens(t);
        Status state = t.softCap != 0 && acceptedTokens < t.softCap ? Status.Failed : Status.Closed;
        _status = state;
        emit OfferingClosed(state, _subscribed, acceptedTokens, msg.sender);
        uint256 escrow = _escrowedAccepted;
        _escrowedAccepted = 0; // sent now, or refundable
        if (state == Status.Failed) _toMint = 0;
        else _sendProceeds(t, escrow);
        uint256 due = _toMint;
        bool custodial = due != 0 && property.hasRole(CUSTODIAN_ROLE, address(this));
        if (custodial) {
            (_custody, _toMint) = (true, 0);
            property.mint(address(this), due);
            emit CustodyTaken(due);
        }
        if (due == 0 || custodial) _renounceMinter(property);
        if (!custodial) _renounceCustodian(property);
    }

    /**
     * @notice Cancels the offering: every escrowed payment becomes refundable.
     * @dev The property's admin (`DEFAULT_ADMIN_ROLE`: the timelock) only; open. Tokens already minted
     * stay minted. Gives up the minter role. Emits {OfferingCancelled}.
     */
    function cancel() external nonReentrant {
        if (_status != Status.Open) revert NotOpen(_status);
        IOfferedProperty property = _property();
        if (!property.hasRole(bytes32(0), msg.sender)) revert NotAdmin(msg.sender);
        _status = Status.Cancelled;
        _escrowedAccepted = 0;
        _toMint = 0;
        emit OfferingCancelled(msg.sender);
        _renounceMinter(property);
        _renounceCustodian(property);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The terms, fixed at creation.
    function terms() external view returns (Terms memory) {
        return _asTerms(_copyTerms)();
    }

    /// @notice Where the offering is: Open, Closed, Failed or Cancelled.
    function status() external view returns (Status) {
        return _status;
    }

    /// @notice Whether subscriptions are taken now.
    function isOpen() external view returns (bool) {
        Terms memory t = _asTerms(_copyTerms)();
        return _status == Status.Open && block.timestamp >= t.opensAt && block.timestamp < t.closesAt;
    }

    /// @notice Tokens subscribed (pending, accepted or minted), what the hard cap bounds.
    function subscribed() external view returns (uint256) {
        return _subscribed;
    }

    /// @notice Tokens accepted (minted or to claim), what the soft cap measures.
    function accepted() external view returns (uint256) {
        return _acceptedTokens(_asTerms(_copyTerms)());
    }

    /// @notice Accepted tokens not minted yet: claims still due after a successful close without custody (in custody
    /// the close minted them all: the offering's balance of the property's tokens is what claims still deliver).
    function toMint() external view returns (uint256) {
        return _toMint;
    }

    /// @notice Whether the close minted every claim's tokens to this offering, as the property's custodian: claims
    /// transfer them (otherwise claims mint).
    function custody() external view returns (bool) {
        return _custody;
    }

    /// @notice Money of accepted subscriptions still escrowed here (sent to the treasury at a successful close).
    function escrowedAccepted() external view returns (uint256) {
        return _escrowedAccepted;
    }

    /// @notice Tokens the hard cap still allows.
    function remaining() external view returns (uint256) {
        return _asTerms(_copyTerms)().hardCap - _subscribed;
    }

    /// @notice What `amount` token base units cost, and the tokens that payment buys (≥ amount).
    function quote(uint256 amount) public view returns (uint256 cost, uint256 tokens) {
        return _price(_asTerms(_copyTerms)(), amount);
    }

    /// @notice `wallet`'s subscriptions.
    function positionOf(address wallet) external view returns (Position memory) {
        return _positions[wallet];
    }

    /// @notice Tokens subscribed by investor `investorId` across its wallets (pending, accepted or minted);
    /// kept only when the terms set a minimum or maximum per investor (0 otherwise).
    function investorTotal(uint128 investorId) external view returns (uint256) {
        return _investorTotals[investorId];
    }

    /// @notice What {refund} would pay `wallet` now (sanction aside).
    function refundableOf(address wallet) external view returns (uint256 amount) {
        Position memory p = _positions[wallet];
        Status status_ = _status;
        amount = p.refundable;
        if (_refundsPending(status_)) amount += p.pendingPaid;
        if (_refundsAccepted(status_)) amount += p.acceptedPaid;
    }

    /// @notice What {claim} would mint to `wallet` now.
    function claimableOf(address wallet) external view returns (uint256) {
        return _status == Status.Closed ? _positions[wallet].acceptedTokens : 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _subscribe(Terms memory t, address wallet, uint256 amount) private returns (uint256 tokens) {
        if (amount == 0) revert ZeroAmount();
        uint256 slot0 = _requireOpen(t);
        uint256 cost;
        (cost, tokens) = _price(t, amount);
        uint128 investorId = _requireMintable(t.property, wallet, tokens);
        uint256 totalSlot = _totalSlot(investorId);
        uint256 before = _limited(t) ? _load(totalSlot) : 0;
        _requireLimits(t, investorId, slot0, before, tokens);

        uint256 paid = _pull(t.stablecoin, wallet, _immediate(t) ? t.treasury : address(this), cost);
        if (paid != cost) {
            // A fee-on-transfer stablecoin: what arrived buys the tokens, within the limits again.
            tokens = Math.mulDiv(paid, t.unit, t.price);
            if (tokens == 0) revert ZeroAmount();
            _requireLimits(t, investorId, slot0, before, tokens);
        }
        if (_limited(t)) _store(totalSlot, before + tokens);
        _addSubscribed(slot0, tokens);
        if (_immediate(t)) _callProperty(t.property, IOfferedProperty.mint.selector, wallet, tokens);
        else _hold(t, wallet, investorId, tokens, paid);
        _emitSubscribed(wallet, investorId, tokens, paid, t);
    }

    /// @dev Whether subscriptions mint at once (no soft cap, no review).
    function _immediate(Terms memory t) private pure returns (bool) {
        return t.softCap == 0 && !t.review;
    }

    /// @dev What `amount` token base units cost, `ceil(amount * price / unit)`, and the tokens that buys,
    /// `floor(cost * unit / price)`: plain arithmetic while nothing can overflow (amount, price and unit below 2^128:
    /// `amount * price + unit - 1` and `cost * unit`, at most that, stay below 2^256), `Math.mulDiv` otherwise.
    function _price(Terms memory t, uint256 amount) private pure returns (uint256 cost, uint256 tokens) {
        (uint256 price, uint256 unit) = (t.price, t.unit);
        if ((amount | price | unit) >> 128 != 0) {
            cost = Math.mulDiv(amount, price, unit, Math.Rounding.Ceil);
            return (cost, Math.mulDiv(cost, unit, price));
        }
        unchecked {
            cost = (amount * price + unit - 1) / unit;
            tokens = (cost * unit) / price;
        }
    }

    /// @dev Reverts unless subscriptions are taken now; returns slot 0 as one word (`_status` bits 0-7, `_subscribed`
    /// 8-103, `_toMint` 104-199), written back by {_addSubscribed}.
    function _requireOpen(Terms memory t) private view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(_status.slot)
        }
        Status state = Status(uint8(word));
        if (state != Status.Open) revert NotOpen(state);
        if (block.timestamp < t.opensAt) revert NotStarted(t.opensAt);
        if (block.timestamp >= t.closesAt) revert Ended(t.closesAt);
    }

    /// @dev `_subscribed += tokens` on slot 0 as {_requireOpen} read it (`slot0`; nothing has written it since): the
    /// caller keeps `_subscribed + tokens` within the hard cap, below 2^96, so the sum stays in its bits.
    function _addSubscribed(uint256 slot0, uint256 tokens) private {
        assembly ("memory-safe") {
            sstore(_status.slot, add(slot0, shl(_SUBSCRIBED_SHIFT, tokens)))
        }
    }

    /// @dev The slot of `_investorTotals[investorId]`, computed once for the read and the write.
    function _totalSlot(uint128 investorId) private view returns (uint256 slot) {
        mapping(uint128 => uint256) storage totals = _investorTotals;
        assembly ("memory-safe") {
            mstore(0x00, investorId)
            mstore(0x20, totals.slot)
            slot := keccak256(0x00, 0x40)
        }
    }

    function _load(uint256 slot) private view returns (uint256 value) {
        assembly ("memory-safe") {
            value := sload(slot)
        }
    }

    function _store(uint256 slot, uint256 value) private {
        assembly ("memory-safe") {
            sstore(slot, value)
        }
    }

    /// @dev Emits {Subscribed}, encoded in place (four static words).
    function _emitSubscribed(address wallet, uint128 investorId, uint256 tokens, uint256 paid, Terms memory t) private {
        bytes32 topic = Subscribed.selector;
        bool minted = _immediate(t);
        bool pending = t.review;
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, tokens)
            mstore(add(data, 0x20), paid)
            mstore(add(data, 0x40), minted)
            mstore(add(data, 0x60), pending)
            log3(data, 0x80, topic, wallet, investorId)
        }
    }

    /// @dev Clears `position`'s pending request; returns what it asked for and paid.
    function _takePending(Position storage position) private returns (uint256 tokens, uint256 paid) {
        (tokens, paid) = (position.pendingTokens, position.pendingPaid);
        (position.pendingTokens, position.pendingPaid) = (0, 0);
    }

    /// @dev Clears `position`'s accepted subscriptions; returns their tokens and what they paid.
    function _takeAccepted(Position storage position) private returns (uint256 tokens, uint256 paid) {
        (tokens, paid) = (position.acceptedTokens, position.acceptedPaid);
        (position.acceptedTokens, position.acceptedPaid) = (0, 0);
    }

    /// @dev Whether requests still pending are refundable: once the offering is no longer open.
    function _refundsPending(Status state) private pure returns (bool) {
        return state != Status.Open;
    }

    /// @dev Whether accepted subscriptions are refundable: the soft cap was missed, or the offering cancelled.
    function _refundsAccepted(Status state) private pure returns (bool) {
        return state == Status.Failed || state == Status.Cancelled;
    }

    /// @dev Escrows a subscription: a request awaiting review, or accepted at once (soft cap, no review).
    function _hold(Terms memory t, address wallet, uint128 investorId, uint256 tokens, uint256 paid) private {
        Position storage position = _positions[wallet];
        if (t.review) {
            if (position.pendingTokens != 0 && position.investorId != investorId) {
                revert InvestorChanged(wallet, position.investorId);
            }
            position.pendingTokens += uint96(tokens);
            position.pendingPaid += uint128(paid);
            position.investorId = investorId;
        } else {
            position.acceptedTokens += uint96(tokens);
            position.acceptedPaid += uint128(paid);
            _accepted += uint96(tokens);
            _toMint += uint96(tokens);
            _escrowedAccepted += uint128(paid);
        }
    }

    /**
     * @dev Asks the property, before money moves, whether minting `tokens` to `wallet` could happen: not
     * paused, the wallet verified by the token's identity registry and not frozen (the token's answer to
     * {IMintScreen-screenMint}: one call), and no rule of the token's compliance broken (its own answer,
     * bubbled up as its custom error). Returns the investor id.
     */
    function _requireMintable(address property, address wallet, uint256 tokens) private view returns (uint128 investorId) {
        (uint256 flags, address registry) = _screenMint(property, wallet);
        if (flags & MINT_SCREEN_PAUSED != 0) revert PropertyPaused();
        if (flags & MINT_SCREEN_VERIFIED == 0) {
            if (IComplianceRegistry(registry).isSanctioned(wallet)) revert InvestorSanctioned(wallet);
            revert InvestorNotVerified(wallet);
        }
        if (flags & MINT_SCREEN_FROZEN != 0) revert InvestorFrozen(wallet);
        if (flags & MINT_SCREEN_COMPLIANCE != 0) {
            bytes memory violation =
                IMintCompliance(IOfferedProperty(property).compliance()).transferViolation(address(0), wallet, tokens);
            if (violation.length != 0) {
                assembly ("memory-safe") {
                    revert(add(violation, 0x20), mload(violation))
                }
            }
        }
        investorId = uint128(_ask(registry, IComplianceRegistry.investorIdOf.selector, wallet));
    }

    /**
     * @dev The token's {IMintScreen-screenMint} for `wallet`, in one call. A token implementation from before
     * that view (it refuses the question) is asked the same things one by one: paused, identity registry, the
     * registry's verification, frozen, compliance with modules.
     */
    function _screenMint(address property, address wallet) private view returns (uint256 flags, address registry) {
        bytes4 question = IMintScreen.screenMint.selector;
        bool answered;
        assembly ("memory-safe") {
            mstore(0x00, question)
            mstore(0x04, wallet)
            let ok := staticcall(gas(), property, 0x00, 0x24, 0x00, 0x40)
            answered := and(ok, gt(returndatasize(), 0x3f))
            flags := mload(0x00)
            registry := and(mload(0x20), 0xffffffffffffffffffffffffffffffffffffffff)
        }
        if (answered) return (flags, registry);
        IOfferedProperty token = IOfferedProperty(property);
        registry = token.identityRegistry();
        flags = (token.paused() ? MINT_SCREEN_PAUSED : 0)
            | (IComplianceRegistry(registry).isVerified(wallet) ? MINT_SCREEN_VERIFIED : 0)
            | (token.isFrozen(wallet) ? MINT_SCREEN_FROZEN : 0) | (token.complianceActive() ? MINT_SCREEN_COMPLIANCE : 0);
    }

    /// @dev `target`'s one-word answer to `selector(arg)` (asked with an argument whether it takes one or not), its
    /// refusal bubbled up: in scratch space, without the ABI encoder.
    function _ask(address target, bytes4 selector, address arg) private view returns (uint256 answer) {
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, arg)
            if iszero(staticcall(gas(), target, 0x00, 0x24, 0x00, 0x20)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0x00, 0x00) }
            answer := mload(0x00)
        }
    }

    /// @dev The property's `mint(to, amount)`, or its `transfer(to, amount)` from this offering (the token answers true or
    /// reverts), by `selector`; its refusal bubbled up (encoded past the free-memory pointer).
    function _callProperty(address property, bytes4 selector, address to, uint256 amount) private {
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, selector)
            mstore(add(data, 0x04), to)
            mstore(add(data, 0x24), amount)
            if iszero(call(gas(), property, 0, data, 0x44, 0x00, 0x00)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
        }
    }

    /// @dev The hard cap (against `_subscribed` in `slot0`, see {_requireOpen}) and the investor's limits.
    function _requireLimits(Terms memory t, uint128 investorId, uint256 slot0, uint256 before, uint256 tokens)
        private
        pure
    {
        uint256 remaining_ = t.hardCap - uint96(slot0 >> _SUBSCRIBED_SHIFT);
        if (tokens > remaining_) revert HardCapExceeded(tokens, remaining_);
        uint256 total = before + tokens;
        if (total < t.minPerInvestor) revert BelowMinimum(investorId, total, t.minPerInvestor);
        if (t.maxPerInvestor != 0 && total > t.maxPerInvestor) {
            revert AboveMaximum(investorId, total, t.maxPerInvestor);
        }
    }

    /// @dev Moves `cost` from `wallet` to `to`; returns what arrived.
    function _pull(address coin, address wallet, address to, uint256 cost) private returns (uint256) {
        uint256 balance = _ask(coin, IERC20.balanceOf.selector, to);
        _transferFrom(coin, wallet, to, cost);
        return _ask(coin, IERC20.balanceOf.selector, to) - balance;
    }

    /// @dev SafeERC20's `safeTransferFrom` (a refusal bubbled up; an answer, if any, must be `true`; no answer only
    /// from a contract), encoded past the free-memory pointer rather than through the ABI encoder.
    function _transferFrom(address coin, address from, address to, uint256 amount) private {
        bytes4 selector = IERC20.transferFrom.selector;
        bytes4 failed = SafeERC20.SafeERC20FailedOperation.selector;
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, selector)
            mstore(add(data, 0x04), from)
            mstore(add(data, 0x24), to)
            mstore(add(data, 0x44), amount)
            if iszero(call(gas(), coin, 0, data, 0x64, 0x00, 0x20)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
            if iszero(and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1))) {
                if or(returndatasize(), iszero(extcodesize(coin))) {
                    mstore(0x00, failed)
                    mstore(0x04, coin)
                    revert(0x00, 0x24)
                }
            }
        }
    }

    function _sendProceeds(Terms memory t, uint256 amount) private {
        if (amount == 0) return;
        IERC20(t.stablecoin).safeTransfer(t.treasury, amount);
        emit ProceedsSent(t.treasury, amount);
    }

    function _requireReview(Terms memory t, IOfferedProperty property, uint256 batch) private view {
        if (!t.review) revert NoReview();
        if (batch > MAX_BATCH) revert BatchTooLarge(batch, MAX_BATCH);
        if (_status != Status.Open) revert NotOpen(_status);
        if (!property.hasRole(MINTER_ROLE, msg.sender)) revert NotAgent(msg.sender);
    }

    function _renounceMinter(IOfferedProperty property) private {
        if (!property.hasRole(MINTER_ROLE, address(this))) return;
        property.renounceRole(MINTER_ROLE, address(this));
        emit MinterRenounced();
    }

    function _renounceCustodian(IOfferedProperty property) private {
        if (!property.hasRole(CUSTODIAN_ROLE, address(this))) return;
        property.renounceRole(CUSTODIAN_ROLE, address(this));
        emit CustodianRenounced();
    }

    function _registry(IOfferedProperty property) private view returns (IComplianceRegistry) {
        return IComplianceRegistry(property.identityRegistry());
    }

    /// @dev The terms, copied from the code the factory appended them to (abi.encode of the static struct:
    /// its memory layout, word for word) after the EIP-1167 clone's 45 bytes.
    /// (Solidity would allocate and zero a struct for a `Terms memory` return variable, twelve words written and then
    /// dropped: {_copyTerms} returns the pointer as a word instead, read as a `Terms memory` through {_asTerms}.)
    function _copyTerms() private view returns (uint256 t) {
        assembly ("memory-safe") {
            t := mload(0x40)
            mstore(0x40, add(t, 0x180))
            extcodecopy(address(), t, 45, 0x180)
        }
    }

    function _asTerms(function() internal view returns (uint256) copy)
        private
        pure
        returns (function() internal view returns (Terms memory) terms_)
    {
        assembly {
            terms_ := copy
        }
    }

    /// @dev The property alone (the terms' first word), without copying the rest of the terms.
    function _propertyAddress() private view returns (address property) {
        assembly ("memory-safe") {
            extcodecopy(address(), 0x00, 45, 0x20)
            property := mload(0x00)
        }
    }

    function _property() private view returns (IOfferedProperty) {
        return IOfferedProperty(_propertyAddress());
    }

    /// @dev Whether investors' totals are kept: only when the terms set a limit on them.
    function _limited(Terms memory t) private pure returns (bool) {
        return t.minPerInvestor != 0 || t.maxPerInvestor != 0;
    }

    /// @dev Tokens accepted: every subscription is, in an offering without soft cap or review.
    function _acceptedTokens(Terms memory t) private view returns (uint256) {
        return t.softCap == 0 && !t.review ? _subscribed : _accepted;
    }
}
