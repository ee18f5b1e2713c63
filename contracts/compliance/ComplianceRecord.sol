// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;


/// @dev ERC-7201 location of the registry's storage: `keccak256(abi.encode(uint256(keccak256(
/// "rwa.storage.ComplianceRegistry")) - 1)) & ~bytes32(uint256(0xff))`. The records mapping is its first member.
bytes32 constant RECORDS_LOCATION = 0x99f36c048382437f4af984137db7c0292e7a488da2994ae374f9aa017ed4e400;

/// @dev Bit offsets of the record's fields (the investor id is bits 0..127).
uint256 constant RECORD_COUNTRY_SHIFT = 128;
uint256 constant RECORD_FLAGS_SHIFT = 144;
uint256 constant RECORD_EXPIRY_SHIFT = 152;
uint256 constant RECORD_SANCTIONED_SHIFT = 192;
uint256 constant RECORD_GENERATION_SHIFT = 193;

/// @dev The names of the layout above and of what the screening views make of it. An implementation
/// behind a {ComplianceRegistryProxy} must answer it from `recordLayout()`; a new layout (or a new
/// meaning of `isVerified`...) needs a new id, and a new proxy (records cannot move).
bytes32 constant RECORD_LAYOUT_ID = keccak256("rwa.ComplianceRegistry.record.v1");

/**
 * @title IComplianceRecordLayout
 * @notice The compliance record's layout, frozen. {ComplianceRegistry} keeps one record per wallet in ONE storage slot, and its proxy
 * ({ComplianceRegistryProxy}) answers the screening views by reading that slot itself, without
 * delegating. Both read the layout from here, so it is written once; it cannot change for a deployed
 * registry (the proxy's code embeds it), and {RECORD_LAYOUT_ID} names it.
 *
 * The record of `wallet` is at `keccak256(abi.encode(wallet, RECORDS_LOCATION))`: the first member
 * (a `mapping(address => uint256)`) of the registry's ERC-7201 namespace `rwa.storage.ComplianceRegistry`.
 * It is packed exactly as the Solidity struct
 * `{uint128 investorId; uint16 country; uint8 flags; uint40 expiry; bool sanctioned}` would be, plus a
 * generation counter:
 *
 * ```
 * bits   0..127  investorId   (0 = no attestation)
 * bits 128..143  country      (ISO-3166-1 numeric, 1..999)
 * bits 144..151  flags        (FLAG_KYC 1 | FLAG_AML 2 | FLAG_ACCREDITED 4)
 * bits 152..191  expiry       (unix time; the attestation verifies while expiry > block.timestamp)
 * bit  192       sanctioned
 * bits 193..224  generation   (uint32)
 * ```
 *
 * A wallet is verified when KYC and AML are set, it is not sanctioned and its expiry is later than the
 * block's timestamp; accredited when FLAG_ACCREDITED is set too.
 */
interface IComplianceRecordLayout {
    /// @notice The id of the record layout and screening rules this implementation keeps ({RECORD_LAYOUT_ID}).
    function recordLayout() external pure returns (bytes32);
}
