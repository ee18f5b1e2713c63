// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IComplianceRegistry, IIdentityRegistryView} from "../interfaces/IComplianceRegistry.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";
import {
    IComplianceRecordLayout,
    RECORDS_LOCATION,
    RECORD_COUNTRY_SHIFT,
    RECORD_FLAGS_SHIFT,
    RECORD_EXPIRY_SHIFT,
    RECORD_SANCTIONED_SHIFT,
    RECORD_GENERATION_SHIFT,
    RECORD_LAYOUT_ID
} from "./ComplianceRecord.sol";

/**
 * @title ComplianceRegistry
 * @notice The suite's single source of truth on who may hold or receive its assets: one compliance
 * record per wallet (investor id, country, KYC/AML/accreditation flags, expiry and a sanctions flag),
 * written by attestors and sanctions officers and read by every NIL deal and ERC-3643 property token.
 *
 * @dev Deployed behind a {ComplianceRegistryProxy} (a {UUPSProxy} for registries deployed before it);
 * upgrades are authorised by `DEFAULT_ADMIN_ROLE`.
 *
 * Each wallet's record lives in ONE storage slot, packed as {IComplianceRecordLayout} documents
 * (investor id, country, flags, expiry, sanctions bit, generation), so that {isVerified} costs a single
 * SLOAD, and a registration a single SSTORE. The layout is frozen: {ComplianceRegistryProxy} answers the
 * screening views from the slot itself, and accepts only implementations whose {recordLayout} names it.
 *
 * Signed attestations ({registerWithSig}) hold until they are used, cancelled or voided:
 *
 * - each names the wallet's record *generation* it was signed against ({attestationGeneration}); every
 *   write of the wallet's attestation ({register}, {registerBatch}, {registerWithSig}, {revoke}) and
 *   {voidAttestations} starts a new generation, so a revoked investor can never relay a renewal signed
 *   before the revocation, nor an older signature undo a newer write;
 * - nonces are unordered, as Permit2's: any unused nonce of an attestor may be relayed in any order
 *   (a bitmap per attestor, {nonceBitmap}), and the attestor cancels any unused one with
 *   {invalidateUnorderedNonces}.
 *
 * ERC-3643's identity registry is answered on its read side ({IIdentityRegistryView}): {contains},
 * {identity}, {investorCountry} and {isVerified}. This registry keeps no ONCHAINID contracts: the
 * identity of a wallet is an address derived from its investor id ({identityOfInvestor}), shared by
 * every wallet of the same investor, as T-REX links an investor's wallets to one identity.
 *
 * Roles:
 *
 * - `DEFAULT_ADMIN_ROLE` grants and revokes the other roles and authorises upgrades.
 * - `ATTESTOR_ROLE` registers and revokes attestations, directly or by EIP-712 signature ({registerWithSig}).
 * - `SANCTIONS_ROLE` sets and clears the sanctions flag, which survives re-registration and revocation.
 *
 * `nonces(address)` (OpenZeppelin's `Nonces`) is the ordered counter the first version consumed; it is kept
 * so that the storage and the ABI stay as they were, and nothing advances it any more.
 */
contract ComplianceRegistry is
    IComplianceRegistry,
    IIdentityRegistryView,
    IComplianceRecordLayout,
    Initializable,
    AccessControlUpgradeable,
    EIP712Upgradeable,
    NoncesUpgradeable,
    UUPSUpgradeable
{
    /// @notice Role allowed to register and revoke attestations.
    bytes32 public constant ATTESTOR_ROLE = keccak256("ATTESTOR_ROLE");

    /// @notice Role allowed to set and clear the sanctions flag.
    bytes32 public constant SANCTIONS_ROLE = keccak256("SANCTIONS_ROLE");

    /// @notice EIP-712 type hash of the attestation an attestor signs for {registerWithSig}.
    bytes32 public constant ATTEST_TYPEHASH = keccak256(
        "Attest(address wallet,uint128 investorId,uint16 country,uint8 flags,uint40 expiry,uint32 generation,uint256 nonce,uint256 deadline)"
    );

    /// @notice The wallet's investor passed know-your-customer checks.
    uint8 public constant FLAG_KYC = 1;

    /// @notice The wallet's investor passed anti-money-laundering checks.
    uint8 public constant FLAG_AML = 2;

    /// @notice The wallet's investor is an accredited investor.
    uint8 public constant FLAG_ACCREDITED = 4;

    /// @notice Largest number of wallets one batch call accepts.
    uint256 public constant MAX_BATCH = 200;

    /// @notice Largest ISO-3166-1 numeric country code.
    uint16 public constant MAX_COUNTRY = 999;

    string private constant _EIP712_NAME = "ComplianceRegistry";
    string private constant _EIP712_VERSION = "1";

    uint8 private constant _FLAGS_ALL = FLAG_KYC | FLAG_AML | FLAG_ACCREDITED;

    uint256 private constant _COUNTRY_SHIFT = RECORD_COUNTRY_SHIFT;
    uint256 private constant _FLAGS_SHIFT = RECORD_FLAGS_SHIFT;
    uint256 private constant _EXPIRY_SHIFT = RECORD_EXPIRY_SHIFT;
    uint256 private constant _SANCTIONED_BIT = 1 << RECORD_SANCTIONED_SHIFT;
    uint256 private constant _GENERATION_SHIFT = RECORD_GENERATION_SHIFT;
    uint256 private constant _GENERATION_MASK = uint256(type(uint32).max) << _GENERATION_SHIFT;
    // What a write of the attestation keeps of the previous record: the sanctions flag and the generation.
    uint256 private constant _KEPT_BITS = _SANCTIONED_BIT | _GENERATION_MASK;

    // The record bits that must read exactly `_VERIFIED_PATTERN` for a wallet to be verified:
    // KYC and AML set, sanctions clear.
    uint256 private constant _VERIFIED_MASK =
        (uint256(FLAG_KYC | FLAG_AML) << _FLAGS_SHIFT) | _SANCTIONED_BIT;
    uint256 private constant _VERIFIED_PATTERN = uint256(FLAG_KYC | FLAG_AML) << _FLAGS_SHIFT;
    uint256 private constant _ACCREDITED_PATTERN =
        uint256(FLAG_KYC | FLAG_AML | FLAG_ACCREDITED) << _FLAGS_SHIFT;
    uint256 private constant _ACCREDITED_MASK = _ACCREDITED_PATTERN | _SANCTIONED_BIT;

    /// @custom:storage-location erc7201:rwa.storage.ComplianceRegistry
    struct ComplianceRegistryStorage {
        mapping(address wallet => uint256 packedRecord) _records;
        mapping(address attestor => mapping(uint256 wordPos => uint256 bitmap)) _nonceBitmaps;
    }

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.ComplianceRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ComplianceRegistryStorageLocation = RECORDS_LOCATION;

    function _getStorage() private pure returns (ComplianceRegistryStorage storage $) {
        assembly {
            $.slot := ComplianceRegistryStorageLocation
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /**
     * @notice Initializes the registry behind its proxy and makes `admin` its first administrator.
     * @dev Can run once, through the proxy; the implementation itself cannot be initialized.
     * @param admin Account that receives `DEFAULT_ADMIN_ROLE`.
     */
    function initialize(address admin) external initializer {
        if (admin == address(0)) revert ZeroAddress();
        __AccessControl_init();
        __EIP712_init(_EIP712_NAME, _EIP712_VERSION);
        __Nonces_init();
        __UUPSUpgradeable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------------------------------------
    // Attestations
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Records (or replaces) the attestation of `wallet`. The sanctions flag is kept.
     * @dev Requires `ATTESTOR_ROLE`. Emits {IdentityRegistered}.
     * @param wallet The wallet attested; must not be the zero address.
     * @param a The attestation: non-zero investor id, country in 1..999, known flags only, expiry in the future.
     */
    function register(address wallet, Attestation calldata a) external onlyRole(ATTESTOR_ROLE) {
        _register(_getStorage(), wallet, a, msg.sender);
    }

    /**
     * @notice Records (or replaces) the attestations of up to {MAX_BATCH} wallets in one call.
     * @dev Requires `ATTESTOR_ROLE`. Same rules as {register}, all or nothing. Emits one
     * {IdentityRegistered} per wallet.
     * @param wallets The wallets attested.
     * @param attestations The attestation of each wallet, in the same order as `wallets`.
     */
    function registerBatch(address[] calldata wallets, Attestation[] calldata attestations)
        external
        onlyRole(ATTESTOR_ROLE)
    {
        uint256 length = wallets.length;
        if (length != attestations.length) revert LengthMismatch(length, attestations.length);
        if (length > MAX_BATCH) revert BatchTooLarge(length, MAX_BATCH);

        ComplianceRegistryStorage storage $ = _getStorage();
        address attestor = msg.sender;
        for (uint256 i; i < length; ) {
            _register($, wallets[i], attestations[i], attestor);
            unchecked {
                ++i;
            }
        }
    }

    /**
     * @notice Records (or replaces) the attestation of `wallet` on the strength of an attestor's EIP-712
     * signature, so anyone (the investor, a relayer) can submit it and pay for it.
     * @dev The signed struct is
     * `Attest(address wallet,uint128 investorId,uint16 country,uint8 flags,uint40 expiry,uint32 generation,uint256 nonce,uint256 deadline)`
     * in the domain `{name: "ComplianceRegistry", version: "1", chainId, verifyingContract: this proxy}`.
     * `generation` must be the wallet's {attestationGeneration} now (a revocation or any later write voids
     * the signature: {StaleAttestation}); `nonce` is any of the attestor's unused unordered nonces, marked
     * used here ({NonceAlreadyUsed} on a replay or a cancelled nonce). Contract attestors sign through
     * ERC-1271. Emits {NonceUsed} and {IdentityRegistered} with `attestor` as the attestor.
     * @param wallet The wallet attested.
     * @param a The attestation, validated as in {register}.
     * @param attestor The account that signed; must hold `ATTESTOR_ROLE`.
     * @param generation The wallet's record generation the attestor signed against.
     * @param nonce The attestor's unordered nonce the signature uses.
     * @param deadline Last unix time at which the signature may be used.
     * @param signature The attestor's signature (65-byte ECDSA, or whatever its ERC-1271 wallet accepts).
     */
    function registerWithSig(
        address wallet,
        Attestation calldata a,
        address attestor,
        uint32 generation,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!hasRole(ATTESTOR_ROLE, attestor)) revert InvalidAttestor(attestor);
        ComplianceRegistryStorage storage $ = _getStorage();
        uint32 current = uint32($._records[wallet] >> _GENERATION_SHIFT);
        if (generation != current) revert StaleAttestation(wallet, generation, current);
        _useUnorderedNonce($, attestor, nonce);

        bytes32 digest = _hashTypedDataV4(_attestHash(wallet, a, generation, nonce, deadline));
        if (!SignatureChecker.isValidSignatureNow(attestor, digest, signature)) revert InvalidAttestor(attestor);

        _register($, wallet, a, attestor);
    }

    /**
     * @notice Cancels any of the caller's unused signed attestations: marks the nonces set in `mask`, in
     * the word `wordPos` of the caller's nonce bitmap, as used (nonce = `wordPos << 8 | bit`).
     * @dev Anyone may call; it only ever affects the caller's own nonces. Emits {UnorderedNonceInvalidation}.
     * @param wordPos The word of the bitmap (the nonce's upper 248 bits).
     * @param mask The bits to set (each the nonce's lower 8 bits, as `1 << bit`).
     */
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external {
        address attestor = msg.sender;
        _getStorage()._nonceBitmaps[attestor][wordPos] |= mask;
        emit UnorderedNonceInvalidation(attestor, wordPos, mask);
    }

    /**
     * @notice Voids every unused signed attestation of `wallet`, whoever signed it, leaving its record as it is.
     * @dev Requires `ATTESTOR_ROLE`. Starts a new generation of the wallet's record. Emits {AttestationsVoided}.
     * @param wallet The wallet whose pending signed attestations are voided; must not be the zero address.
     */
    function voidAttestations(address wallet) external onlyRole(ATTESTOR_ROLE) {
        if (wallet == address(0)) revert ZeroAddress();
        ComplianceRegistryStorage storage $ = _getStorage();
        uint256 record = _nextGeneration($._records[wallet]);
        $._records[wallet] = record;
        emit AttestationsVoided(wallet, uint32(record >> _GENERATION_SHIFT), msg.sender);
    }

    /**
     * @notice Deletes the attestation of `wallet` and voids every unused signed attestation of it; its
     * sanctions flag, if any, stays.
     * @dev Requires `ATTESTOR_ROLE`. Reverts with {NotRegistered} when the wallet has no attestation.
     * Starts a new generation of the record, so no signature made before the revocation can be relayed.
     * Emits {IdentityRevoked} and {AttestationsVoided}.
     * @param wallet The wallet whose attestation is deleted.
     */
    function revoke(address wallet) external onlyRole(ATTESTOR_ROLE) {
        ComplianceRegistryStorage storage $ = _getStorage();
        uint256 record = $._records[wallet];
        uint128 investorId = uint128(record);
        if (investorId == 0) revert NotRegistered(wallet);
        record = _nextGeneration(record & _KEPT_BITS);
        $._records[wallet] = record;
        address attestor = msg.sender;
        emit IdentityRevoked(wallet, investorId, attestor);
        emit AttestationsVoided(wallet, uint32(record >> _GENERATION_SHIFT), attestor);
    }

    // ---------------------------------------------------------------------------------------------
    // Sanctions
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Sets or clears the sanctions flag of `wallet`. A sanctioned wallet is never verified.
     * @dev Requires `SANCTIONS_ROLE`. Works on unregistered wallets too, and survives {register}
     * and {revoke}. Emits {SanctionsUpdated}.
     * @param wallet The wallet flagged or cleared; must not be the zero address.
     * @param sanctioned True to flag, false to clear.
     */
    function setSanctioned(address wallet, bool sanctioned) external onlyRole(SANCTIONS_ROLE) {
        _setSanctioned(_getStorage(), wallet, sanctioned, msg.sender);
    }

    /**
     * @notice Sets or clears the sanctions flag of up to {MAX_BATCH} wallets at once.
     * @dev Requires `SANCTIONS_ROLE`. All or nothing. Emits one {SanctionsUpdated} per wallet.
     * @param wallets The wallets flagged or cleared; none may be the zero address.
     * @param sanctioned True to flag them all, false to clear them all.
     */
    function setSanctionedBatch(address[] calldata wallets, bool sanctioned) external onlyRole(SANCTIONS_ROLE) {
        uint256 length = wallets.length;
        if (length > MAX_BATCH) revert BatchTooLarge(length, MAX_BATCH);

        ComplianceRegistryStorage storage $ = _getStorage();
        address officer = msg.sender;
        for (uint256 i; i < length; ) {
            _setSanctioned($, wallets[i], sanctioned, officer);
            unchecked {
                ++i;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IComplianceRegistry
    function isVerified(address wallet) external view override(IComplianceRegistry, IIdentityRegistryView) returns (bool) {
        uint256 record = _getStorage()._records[wallet];
        return (record & _VERIFIED_MASK) == _VERIFIED_PATTERN && uint40(record >> _EXPIRY_SHIFT) > block.timestamp;
    }

    /// @inheritdoc IComplianceRegistry
    function isAccredited(address wallet) external view returns (bool) {
        uint256 record = _getStorage()._records[wallet];
        return
            (record & _ACCREDITED_MASK) == _ACCREDITED_PATTERN && uint40(record >> _EXPIRY_SHIFT) > block.timestamp;
    }

    /// @inheritdoc IComplianceRegistry
    function investorCountry(address wallet)
        external
        view
        override(IComplianceRegistry, IIdentityRegistryView)
        returns (uint16)
    {
        return uint16(_getStorage()._records[wallet] >> _COUNTRY_SHIFT);
    }

    /// @inheritdoc IComplianceRegistry
    function investorIdOf(address wallet) external view returns (uint128) {
        return uint128(_getStorage()._records[wallet]);
    }

    /// @inheritdoc IComplianceRegistry
    function isSanctioned(address wallet) external view returns (bool) {
        return _getStorage()._records[wallet] & _SANCTIONED_BIT != 0;
    }

    /**
     * @notice The full record of `wallet`, as stored (expired attestations included).
     * @param wallet The wallet looked up.
     * @return attestation The wallet's attestation; all zero when it has none.
     * @return sanctioned Whether a sanctions officer has flagged the wallet.
     */
    function recordOf(address wallet) external view returns (Attestation memory attestation, bool sanctioned) {
        uint256 record = _getStorage()._records[wallet];
        attestation = Attestation({
            investorId: uint128(record),
            country: uint16(record >> _COUNTRY_SHIFT),
            flags: uint8(record >> _FLAGS_SHIFT),
            expiry: uint40(record >> _EXPIRY_SHIFT)
        });
        sanctioned = record & _SANCTIONED_BIT != 0;
    }

    /// @inheritdoc IIdentityRegistryView
    function contains(address wallet) external view returns (bool) {
        return uint128(_getStorage()._records[wallet]) != 0;
    }

    /// @inheritdoc IIdentityRegistryView
    function identity(address wallet) external view returns (address) {
        uint128 investorId = uint128(_getStorage()._records[wallet]);
        return investorId == 0 ? address(0) : identityOfInvestor(investorId);
    }

    /**
     * @notice The identity address {identity} gives every wallet of `investorId`: the last 20 bytes of
     * `keccak256(abi.encodePacked("rwa.identity", investorId))` (the id as 16 bytes). No code lives there.
     * @param investorId The investor id (non-zero for a registered wallet).
     * @return The derived identity address.
     */
    function identityOfInvestor(uint128 investorId) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked("rwa.identity", investorId)))));
    }

    /**
     * @notice The generation of `wallet`'s record a signed attestation must name to be relayed now.
     * @param wallet The wallet.
     * @return The generation (0 until the wallet's attestation is first written).
     */
    function attestationGeneration(address wallet) external view returns (uint32) {
        return uint32(_getStorage()._records[wallet] >> _GENERATION_SHIFT);
    }

    /**
     * @notice The word `wordPos` of `attestor`'s bitmap of used (or cancelled) nonces, as Permit2's.
     * @param attestor The attestor.
     * @param wordPos The word (a nonce's upper 248 bits).
     * @return The bitmap: bit `b` set when nonce `wordPos << 8 | b` is used or cancelled.
     */
    function nonceBitmap(address attestor, uint256 wordPos) external view returns (uint256) {
        return _getStorage()._nonceBitmaps[attestor][wordPos];
    }

    /**
     * @notice Whether `attestor`'s unordered nonce `nonce` is used or cancelled.
     * @param attestor The attestor.
     * @param nonce The nonce.
     * @return True when a signature with this nonce can no longer be relayed.
     */
    function isNonceUsed(address attestor, uint256 nonce) external view returns (bool) {
        return _getStorage()._nonceBitmaps[attestor][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IComplianceRecordLayout
    function recordLayout() external pure virtual returns (bytes32) {
        return RECORD_LAYOUT_ID;
    }

    /// @inheritdoc AccessControlUpgradeable
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IComplianceRegistry).interfaceId
            || interfaceId == type(IIdentityRegistryView).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Validates `a`, stores it for `wallet` with the wallet's sanctions bit kept and its record's
    /// generation advanced, and emits the event.
    function _register(
        ComplianceRegistryStorage storage $,
        address wallet,
        Attestation calldata a,
        address attestor
    ) private {
        if (wallet == address(0)) revert ZeroAddress();
        uint128 investorId = a.investorId;
        if (investorId == 0) revert InvalidInvestorId();
        uint16 country = a.country;
        if (country == 0 || country > MAX_COUNTRY) revert InvalidCountry(country);
        uint8 flags = a.flags;
        if (flags & ~_FLAGS_ALL != 0) revert InvalidFlags(flags);
        uint40 expiry = a.expiry;
        if (expiry <= block.timestamp) revert ExpiryInPast(expiry);

        // Reading the slot first warms it, so the SSTORE below costs no more than a blind write would.
        $._records[wallet] =
            _nextGeneration($._records[wallet] & _KEPT_BITS) |
            uint256(investorId) |
            (uint256(country) << _COUNTRY_SHIFT) |
            (uint256(flags) << _FLAGS_SHIFT) |
            (uint256(expiry) << _EXPIRY_SHIFT);

        emit IdentityRegistered(wallet, investorId, country, flags, expiry, attestor);
    }

    /// @dev `record` with its generation advanced by one (wrapping after 2**32 writes of one wallet).
    function _nextGeneration(uint256 record) private pure returns (uint256) {
        uint256 next = ((record >> _GENERATION_SHIFT) + 1) & type(uint32).max;
        return (record & ~_GENERATION_MASK) | (next << _GENERATION_SHIFT);
    }

    /// @dev Marks `attestor`'s unordered `nonce` used, or reverts if it was used or cancelled already.
    function _useUnorderedNonce(ComplianceRegistryStorage storage $, address attestor, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        mapping(uint256 => uint256) storage bitmaps = $._nonceBitmaps[attestor];
        uint256 word = bitmaps[nonce >> 8];
        if (word & bit != 0) revert NonceAlreadyUsed(attestor, nonce);
        bitmaps[nonce >> 8] = word | bit;
        emit NonceUsed(attestor, nonce);
    }

    /// @dev The EIP-712 struct hash of a signed attestation.
    function _attestHash(
        address wallet,
        Attestation calldata a,
        uint32 generation,
        uint256 nonce,
        uint256 deadline
    ) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ATTEST_TYPEHASH, wallet, a.investorId, a.country, a.flags, a.expiry, generation, nonce, deadline
            )
        );
    }

    /// @dev Sets or clears the sanctions bit of `wallet`, leaving its attestation untouched, and emits the event.
    function _setSanctioned(
        ComplianceRegistryStorage storage $,
        address wallet,
        bool sanctioned,
        address officer
    ) private {
        if (wallet == address(0)) revert ZeroAddress();
        uint256 record = $._records[wallet];
        $._records[wallet] = sanctioned ? record | _SANCTIONED_BIT : record & ~_SANCTIONED_BIT;
        emit SanctionsUpdated(wallet, sanctioned, officer);
    }

    /**
     * @dev The EIP-712 domain name, returned as a constant (as OpenZeppelin suggests when gas matters) so
     * that {registerWithSig} does not read the name from storage. Equal to the value stored at initialization.
     */
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
