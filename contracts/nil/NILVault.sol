// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {IRevenueSplitter, ISplitterFactory} from "../interfaces/IRevenueSplitter.sol";
import {INILVault, IVaultAthleteIds} from "./INILVault.sol";
import {ContractNFT} from "./ContractNFT.sol";
import {NILVaultPaymentsModule} from "./NILVaultPaymentsModule.sol";
import {NILVaultState} from "./NILVaultState.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/**
 * @title NILVault
 * @notice An athlete's vault and the escrow of the athlete's deals. A brand proposes terms, the
 * athlete accepts (either may relay the other's EIP-712 signature), the brand funds the escrow and
 * the deal NFT is minted; the athlete marks the deal delivered, and the brand confirms it or the
 * confirmation period passes; the escrow is then released to the athlete's revenue splitter.
 *
 * Every movement of money, and every hand-over of what controls it, checks the {IComplianceRegistry}:
 *
 * - a sanctioned brand cannot propose, fund or be refunded;
 * - releases ({confirm}, {release}, {settle}) need a verified athlete (KYC/AML current, not sanctioned)
 *   and a splitter none of whose payees is sanctioned;
 * - {withdraw} needs the athlete and the recipient verified;
 * - {setAthlete} needs the current athlete and the new wallet verified, {recoverAthlete} the new wallet;
 * - {setSplitter} needs the athlete verified and no payee of the new split sanctioned;
 * - fans' payments (through the payments hub, {FanPayments}) refuse a sanctioned payer, and above
 *   the vault's AML threshold an unverified one;
 * - a vault is never created for a sanctioned athlete, nor with a split paying a sanctioned payee.
 *
 * A refusal names the party: {Sanctioned} when it is flagged, {NotVerified} otherwise.
 *
 * @dev Runs behind the factory's minimal beacon proxies. Per-vault state lives in one ERC-7201
 * namespace; the suite's addresses are immutables of the implementation (a beacon upgrade can
 * change them). The factory's roles govern every vault: `DEFAULT_ADMIN_ROLE` recovers the
 * athlete's wallet, refunds or settles disputed deals, and unpauses; `GUARDIAN_ROLE` pauses. A
 * pause needs no delay, but lifting it goes through the admin (the timelock). While paused, no
 * money moves except by the admin.
 *
 * Initialisation is the factory's single {initialize} call (no `Initializable` slot: a vault is
 * initialised once its athlete is set). EIP-712 is OpenZeppelin's immutable variant: the name and
 * version are short, so its two fallback string slots are never written, and the domain separator
 * is rebuilt for each proxy's address.
 *
 * The immutables (its own and EIP712's) and the constructor that sets them are deliberate: they are
 * the same for every vault of a network, and an upgrade may change them.
 *
 * Fans pay through the payments hub ({FanPayments}), which keeps one slot of this vault's payment
 * terms (where payments go, whether it is paused): the vault is their only source, and tells the hub
 * of every change ({setSplitter}, {pause}, {unpause} call {IPaymentsHub.syncTerms}). The vault's side
 * of payments (order refunds out of its free balance) is {NILVaultPaymentsModule}, a module the constructor
 * deploys: every call the vault's own functions do not answer is delegated to it (its functions run in
 * the vault's storage, and the deal functions' dispatch costs what it did without them). Its ABI is
 * the vault's too.
 * @custom:oz-upgrades-unsafe-allow state-variable-immutable constructor delegatecall
 */
contract NILVault is
    INILVault,
    PausableUpgradeable,
    NoncesUpgradeable,
    EIP712,
    ReentrancyGuardTransient,
    NILVaultState
{
    using SafeERC20 for IERC20;
    /// @notice EIP-712 type of a brand's proposal, relayed by {proposeWithSig}.
    bytes32 public constant PROPOSE_TYPEHASH = keccak256(
        "Propose(address brand,address currency,uint256 amount,bytes32 deliverablesHash,uint32 confirmationPeriod,string uri,uint256 nonce,uint256 deadline)"
    );

    /// @notice EIP-712 type of the athlete's acceptance, relayed by {acceptWithSig}.
    bytes32 public constant ACCEPT_TYPEHASH = keccak256(
        "Accept(uint256 dealId,address brand,address currency,uint256 amount,bytes32 deliverablesHash,uint256 nonce,uint256 deadline)"
    );

    /// @dev The factory's DEFAULT_ADMIN_ROLE: recovers the athlete's wallet, refunds or settles disputes, unpauses.
    bytes32 private constant _ADMIN_ROLE = 0x00;

    /// @notice Role (in the factory) allowed to pause (lifting a pause is the admin's, through the timelock).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice The longest confirmation period a deal may set.
    uint32 public constant MAX_CONFIRMATION_PERIOD = 90 days;

    /// @dev Vaults made before issue 23 are 76 bytes of raw-code proxy followed by their athlete id.
    uint256 private constant _LEGACY_VAULT_CODE_SIZE = 108;
    uint256 private constant _LEGACY_ATHLETE_ID_OFFSET = 76;

    ContractNFT private immutable _nft;
    ISplitterFactory private immutable _splitterFactory;
    /// @dev The fans' payments module this implementation delegates to (deployed by its constructor).
    address private immutable _paymentsModule;

    /**
     * @param registry_ The compliance registry.
     * @param factory_ The {NILVaultFactory} whose vaults run this code (and whose roles they obey).
     * @param nft_ The deal NFT collection.
     * @param splitterFactory_ The factory of revenue splits.
     * @param hub_ The fans' payments hub ({FanPayments}), told of every change of splitter or pause.
     */
    constructor(address registry_, address factory_, address nft_, address splitterFactory_, address hub_)
        NILVaultState(registry_, factory_, hub_)
        EIP712("NILVault", "1")
    {
        if (nft_ == address(0) || splitterFactory_ == address(0)) revert ZeroAddress();
        _nft = ContractNFT(nft_);
        _splitterFactory = ISplitterFactory(splitterFactory_);
        _paymentsModule = address(new NILVaultPaymentsModule(registry_, factory_, hub_));
    }

    modifier onlyAthlete() {
        if (msg.sender != _vault().athlete) revert NotAthlete(msg.sender);
        _;
    }

    modifier onlyFactoryRole(bytes32 role) {
        if (!IAccessControl(_factory).hasRole(role, msg.sender)) revert MissingRole(msg.sender, role);
        _;
    }

    /// @notice Accepts ETH (free balance of the athlete, withdrawable with {withdraw}).
    receive() external payable {}

    /// @notice Fans' payments: delegated to the {NILVaultPaymentsModule} (order refunds, the hub's address).
    fallback() external payable {
        address module = _paymentsModule;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @inheritdoc INILVault
    function initialize(address athlete_, address splitter_) external {
        if (msg.sender != _factory) revert NotFactory(msg.sender);
        VaultStorage storage $ = _vault();
        if ($.athlete != address(0)) revert AlreadyInitialized();
        if (athlete_ == address(0)) revert ZeroAddress();
        if (_registry.isSanctioned(athlete_)) revert Sanctioned(athlete_);
        // The factory's VaultCreated event records the first athlete and splitter.
        $.athlete = athlete_;
        if (splitter_ != address(0)) {
            _checkSplitter(splitter_);
            _checkPayees(splitter_);
            $.splitter = splitter_;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Deal lifecycle
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Proposes a deal; the caller must be `terms.brand`.
     * @param terms The terms.
     * @return dealId The new deal's id (from 1).
     */
    function propose(Terms calldata terms) external returns (uint256 dealId) {
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        return _propose(terms);
    }

    /**
     * @notice Proposes a deal on behalf of `terms.brand`, who signed it (EIP-712 `Propose`, or
     * ERC-1271 for a contract wallet). When the athlete relays it, the deal is accepted at once.
     * @param terms The terms.
     * @param deadline The last second at which the signature is valid.
     * @param signature The brand's signature.
     * @return dealId The new deal's id.
     */
    function proposeWithSig(Terms calldata terms, uint256 deadline, bytes calldata signature)
        external
        returns (uint256 dealId)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                PROPOSE_TYPEHASH,
                terms.brand,
                terms.currency,
                terms.amount,
                terms.deliverablesHash,
                terms.confirmationPeriod,
                keccak256(bytes(terms.uri)),
                _useNonce(terms.brand),
                deadline
            )
        );
        _checkSignature(terms.brand, structHash, deadline, signature);
        dealId = _propose(terms);
        if (msg.sender == _vault().athlete) _accept(dealId);
    }

    /**
     * @notice Accepts a proposed deal; athlete only.
     * @param dealId The deal.
     */
    function accept(uint256 dealId) external onlyAthlete {
        _accept(dealId);
    }

    /**
     * @notice Accepts a proposed deal on behalf of the athlete, who signed it (EIP-712 `Accept`).
     * @param dealId The deal.
     * @param deadline The last second at which the signature is valid.
     * @param signature The athlete's signature.
     */
    function acceptWithSig(uint256 dealId, uint256 deadline, bytes calldata signature) external {
        Deal storage d = _deal(dealId);
        address athlete_ = _vault().athlete;
        bytes32 structHash = keccak256(
            abi.encode(
                ACCEPT_TYPEHASH,
                dealId,
                d.brand,
                d.currency,
                d.amount,
                d.deliverablesHash,
                _useNonce(athlete_),
                deadline
            )
        );
        _checkSignature(athlete_, structHash, deadline, signature);
        _accept(dealId);
    }

    /**
     * @notice Funds an accepted deal's escrow (ETH as `msg.value`, or an approved ERC-20) and mints
     * the deal NFT; the brand only, when not sanctioned.
     * @param dealId The deal.
     * @return tokenId The deal NFT.
     */
    function fund(uint256 dealId) external payable whenNotPaused nonReentrant returns (uint256 tokenId) {
        Deal storage d = _deal(dealId);
        address brand = d.brand;
        if (msg.sender != brand) revert NotBrand(msg.sender);
        _requireStatus(dealId, d.status, Status.Accepted);
        if (_registry.isSanctioned(brand)) revert Sanctioned(brand);
        address currency = d.currency;
        uint256 amount = d.amount;
        if (currency == address(0)) {
            if (msg.value != amount) revert WrongPayment(amount, msg.value);
        } else {
            if (msg.value != 0) revert WrongPayment(0, msg.value);
            IERC20 token = IERC20(currency);
            uint256 before = token.balanceOf(address(this));
            token.safeTransferFrom(brand, address(this), amount);
            uint256 received = token.balanceOf(address(this)) - before;
            if (received != amount) revert WrongPayment(amount, received);
        }
        _vault().escrowed[currency] += amount;
        d.status = Status.Active;
        tokenId = _nft.mint(dealId);
        emit DealFunded(dealId, tokenId, currency, amount);
    }

    /**
     * @notice Marks an active deal delivered, starting the brand's confirmation period; athlete only.
     * @param dealId The deal.
     */
    function markDelivered(uint256 dealId) external onlyAthlete whenNotPaused {
        Deal storage d = _deal(dealId);
        _requireStatus(dealId, d.status, Status.Active);
        d.status = Status.Delivered;
        d.deliveredAt = uint40(block.timestamp);
        emit DealDelivered(dealId, uint40(block.timestamp));
        _nft.notifyStatus(dealId);
    }

    /**
     * @notice Confirms a delivered deal and releases its escrow to the athlete's splitter; brand only.
     * @param dealId The deal.
     */
    function confirm(uint256 dealId) external whenNotPaused nonReentrant {
        Deal storage d = _deal(dealId);
        if (msg.sender != d.brand) revert NotBrand(msg.sender);
        _requireStatus(dealId, d.status, Status.Delivered);
        _release(dealId, d);
    }

    /**
     * @notice Releases a delivered deal's escrow once its confirmation period has passed; anyone.
     * @param dealId The deal.
     */
    function release(uint256 dealId) external whenNotPaused nonReentrant {
        Deal storage d = _deal(dealId);
        _requireStatus(dealId, d.status, Status.Delivered);
        uint256 releasableAt = uint256(d.deliveredAt) + d.confirmationPeriod;
        if (block.timestamp < releasableAt) revert ConfirmationPending(dealId, releasableAt);
        _release(dealId, d);
    }

    /**
     * @notice Cancels a deal that is not funded yet; the brand or the athlete.
     * @param dealId The deal.
     */
    function cancel(uint256 dealId) external {
        Deal storage d = _deal(dealId);
        _requireParty(d);
        Status status = d.status;
        if (status != Status.Proposed && status != Status.Accepted) revert WrongStatus(dealId, status);
        d.status = Status.Cancelled;
        emit DealCancelled(dealId, msg.sender);
    }

    /**
     * @notice Disputes a funded deal (active or delivered), freezing its escrow until the admin
     * refunds or settles it; the brand or the athlete.
     * @param dealId The deal.
     */
    function dispute(uint256 dealId) external {
        Deal storage d = _deal(dealId);
        _requireParty(d);
        Status status = d.status;
        if (status != Status.Active && status != Status.Delivered) revert WrongStatus(dealId, status);
        d.status = Status.Disputed;
        emit DealDisputed(dealId, msg.sender);
        _nft.notifyStatus(dealId);
    }

    /**
     * @notice Refunds a disputed deal's escrow to the brand (not if sanctioned); admin only.
     * @param dealId The deal.
     */
    function refund(uint256 dealId) external onlyFactoryRole(_ADMIN_ROLE) nonReentrant {
        Deal storage d = _deal(dealId);
        _requireStatus(dealId, d.status, Status.Disputed);
        address brand = d.brand;
        if (_registry.isSanctioned(brand)) revert Sanctioned(brand);
        d.status = Status.Refunded;
        address currency = d.currency;
        uint256 amount = d.amount;
        _vault().escrowed[currency] -= amount;
        _send(currency, brand, amount);
        emit DealRefunded(dealId, brand, amount);
        _nft.notifyStatus(dealId);
    }

    /**
     * @notice Settles a disputed deal in the athlete's favour: releases the escrow as {confirm} would;
     * admin only.
     * @param dealId The deal.
     */
    function settle(uint256 dealId) external onlyFactoryRole(_ADMIN_ROLE) nonReentrant {
        Deal storage d = _deal(dealId);
        _requireStatus(dealId, d.status, Status.Disputed);
        _release(dealId, d);
    }

    // ---------------------------------------------------------------------------------------------
    // Vault control
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Hands control of the vault to another wallet; athlete only, both wallets verified (a
     * sanctioned athlete cannot move the vault to a fresh wallet).
     * @param newAthlete The new wallet, verified in the registry.
     */
    function setAthlete(address newAthlete) external onlyAthlete {
        _requireVerified(msg.sender);
        _setAthlete(newAthlete);
    }

    /**
     * @notice Recovers the vault for an athlete who lost their wallet; admin only. The new wallet must
     * be verified; the lost one is not asked (it may be compromised, or sanctioned for that reason).
     * @param newAthlete The new wallet, verified in the registry.
     */
    function recoverAthlete(address newAthlete) external onlyFactoryRole(_ADMIN_ROLE) {
        _setAthlete(newAthlete);
    }

    /**
     * @notice Sets the revenue split the escrow is released to; athlete only, verified, and no payee
     * of the split may be sanctioned.
     * @param newSplitter A split made by the SplitterFactory.
     */
    function setSplitter(address newSplitter) external onlyAthlete {
        _checkSplitter(newSplitter);
        _requireVerified(msg.sender);
        _checkPayees(newSplitter);
        VaultStorage storage $ = _vault();
        emit SplitterChanged($.splitter, newSplitter);
        $.splitter = newSplitter;
        _termsChanged();
    }

    /**
     * @notice Sends free (not escrowed) balance to a verified wallet; athlete only, and verified itself
     * (a sanctioned athlete cannot move the vault's money anywhere).
     * @param token The ERC-20, or `address(0)` for ETH.
     * @param to The recipient, who must be verified in the registry.
     * @param amount The amount.
     */
    function withdraw(address token, address to, uint256 amount) external onlyAthlete whenNotPaused nonReentrant {
        _requireVerified(msg.sender);
        _requireVerified(to);
        _sendFree(token, to, amount);
        emit Withdrawn(token, to, amount);
    }

    /// @notice Stops every movement of money but the admin's; guardian only.
    function pause() external onlyFactoryRole(GUARDIAN_ROLE) {
        _pause();
        _termsChanged();
    }

    /// @notice Lifts {pause}; admin only, so that a guardian alone cannot undo a pause.
    function unpause() external onlyFactoryRole(_ADMIN_ROLE) {
        _unpause();
        _termsChanged();
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The wallet that controls the vault.
    function athlete() external view returns (address) {
        return _vault().athlete;
    }

    /// @notice The athlete's revenue split (zero until set).
    function splitter() external view returns (address) {
        return _vault().splitter;
    }

    /// @notice The athlete id the vault's address derives from: the factory's record of it, or, in a vault
    /// made before issue 23 (whose proxy carried it), the 32 bytes after its proxy's code.
    function athleteId() external view returns (bytes32 id) {
        if (address(this).code.length != _LEGACY_VAULT_CODE_SIZE) {
            return IVaultAthleteIds(_factory).athleteIdOf(address(this));
        }
        assembly ("memory-safe") {
            extcodecopy(address(), 0, _LEGACY_ATHLETE_ID_OFFSET, 32)
            id := mload(0)
        }
    }

    /// @notice The number of deals proposed so far (deal ids run from 1 to this).
    function dealCount() external view returns (uint256) {
        return _vault().dealCount;
    }

    /// @inheritdoc INILVault
    function deal(uint256 dealId) external view returns (Deal memory) {
        return _deal(dealId);
    }

    /// @notice The part of the vault's balance of `token` held in escrow.
    function escrowed(address token) external view returns (uint256) {
        return _vault().escrowed[token];
    }

    /// @notice The deal NFT of `dealId` (it exists once the deal is funded).
    function tokenIdOf(uint256 dealId) external view returns (uint256) {
        return _nft.tokenIdOf(address(this), dealId);
    }

    /// @notice The suite's contracts this vault works with.
    function suite()
        external
        view
        returns (address registry, address factory, address contractNFT, address splitterFactory)
    {
        return (address(_registry), _factory, address(_nft), address(_splitterFactory));
    }

    /// @notice The EIP-712 domain separator of this vault.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _propose(Terms calldata terms) private returns (uint256 dealId) {
        if (
            terms.brand == address(0) || terms.amount == 0 || terms.confirmationPeriod > MAX_CONFIRMATION_PERIOD
                || (terms.currency != address(0) && terms.currency.code.length == 0)
        ) revert InvalidTerms();
        bytes calldata uri = bytes(terms.uri);
        if (uri.length <= 7 || bytes7(uri[:7]) != "ipfs://") revert InvalidURI();
        if (_registry.isSanctioned(terms.brand)) revert Sanctioned(terms.brand);
        VaultStorage storage $ = _vault();
        dealId = ++$.dealCount;
        Deal storage d = $.deals[dealId];
        d.brand = terms.brand;
        d.status = Status.Proposed;
        d.confirmationPeriod = terms.confirmationPeriod;
        d.currency = terms.currency;
        d.amount = terms.amount;
        d.deliverablesHash = terms.deliverablesHash;
        d.uri = terms.uri;
        emit DealProposed(
            dealId,
            terms.brand,
            terms.currency,
            terms.amount,
            terms.deliverablesHash,
            terms.confirmationPeriod,
            terms.uri
        );
    }

    function _accept(uint256 dealId) private {
        Deal storage d = _deal(dealId);
        _requireStatus(dealId, d.status, Status.Proposed);
        d.status = Status.Accepted;
        emit DealAccepted(dealId, _vault().athlete);
    }

    /// @dev Pays a deal's escrow into the athlete's splitter, after the registry checks.
    function _release(uint256 dealId, Deal storage d) private {
        VaultStorage storage $ = _vault();
        _requireVerified($.athlete);
        address split = $.splitter;
        if (split == address(0)) revert NoSplitter();
        _checkPayees(split);
        d.status = Status.Released;
        address currency = d.currency;
        uint256 amount = d.amount;
        $.escrowed[currency] -= amount;
        _send(currency, split, amount);
        // Push the shares on at once when possible; if not, anyone can distribute later.
        try IRevenueSplitter(split).distribute(currency) {} catch {}
        emit DealReleased(dealId, split, amount, msg.sender);
        _nft.notifyStatus(dealId);
    }

    /// @dev Tells the payments hub that the vault's payment terms changed (it copies them from the vault).
    function _termsChanged() private {
        _hub.syncTerms(address(this));
    }

    function _setAthlete(address newAthlete) private {
        if (newAthlete == address(0)) revert ZeroAddress();
        _requireVerified(newAthlete);
        VaultStorage storage $ = _vault();
        emit AthleteChanged($.athlete, newAthlete, msg.sender);
        $.athlete = newAthlete;
    }

    function _checkSplitter(address split) private view {
        if (!_splitterFactory.isSplit(split)) revert InvalidSplitter(split);
    }

    /// @dev Reverts with {Sanctioned} when a payee of `split` is sanctioned.
    function _checkPayees(address split) private view {
        address[] memory payees = IRevenueSplitter(split).payees();
        for (uint256 i; i < payees.length; ++i) {
            if (_registry.isSanctioned(payees[i])) revert Sanctioned(payees[i]);
        }
    }

    function _checkSignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata signature)
        private
        view
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature(signer);
        }
    }

    function _requireParty(Deal storage d) private view {
        if (msg.sender != d.brand && msg.sender != _vault().athlete) revert NotParty(msg.sender);
    }

    function _requireStatus(uint256 dealId, Status actual, Status expected) private pure {
        if (actual != expected) revert WrongStatus(dealId, actual);
    }

    function _deal(uint256 dealId) private view returns (Deal storage d) {
        d = _vault().deals[dealId];
        if (d.status == Status.None) revert UnknownDeal(dealId);
    }
}
