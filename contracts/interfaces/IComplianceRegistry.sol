// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IComplianceRegistry
/// @notice One compliance record per wallet (KYC, AML, accreditation, sanctions, country, expiry),
/// shared by every contract of the suite. `isVerified` and `investorCountry` carry the names that
/// ERC-3643's identity registry gives them, so ERC-3643 tokens can read this registry directly.
interface IComplianceRegistry {
    /// @notice What an attestor states about a wallet. Packed with the sanctions flag into one slot.
    /// @param investorId The person or entity behind the wallet; several wallets may share one id.
    /// @param country ISO-3166-1 numeric country code (1..999).
    /// @param flags Bit set of `FLAG_KYC`, `FLAG_AML`, `FLAG_ACCREDITED`.
    /// @param expiry Unix time after which the attestation no longer verifies the wallet.
    struct Attestation {
        uint128 investorId;
        uint16 country;
        uint8 flags;
        uint40 expiry;
    }

    event IdentityRegistered(
        address indexed wallet, uint128 indexed investorId, uint16 country, uint8 flags, uint40 expiry, address attestor
    );
    event IdentityRevoked(address indexed wallet, uint128 indexed investorId, address attestor);
    event SanctionsUpdated(address indexed wallet, bool sanctioned, address officer);

    error ZeroAddress();
    error InvalidInvestorId();
    error InvalidCountry(uint16 country);
    error InvalidFlags(uint8 flags);
    error ExpiryInPast(uint40 expiry);
    error NotRegistered(address wallet);
    error LengthMismatch(uint256 wallets, uint256 attestations);
    error BatchTooLarge(uint256 size, uint256 maxSize);
    error SignatureExpired(uint256 deadline);
    error InvalidAttestor(address signer);

    /// @notice True when the wallet has a KYC and AML attestation that has not expired and is not sanctioned.
    function isVerified(address wallet) external view returns (bool);

    /// @notice The ISO-3166-1 numeric country of the wallet's investor, 0 when unregistered.
    function investorCountry(address wallet) external view returns (uint16);

    /// @notice The investor id the wallet belongs to, 0 when unregistered.
    function investorIdOf(address wallet) external view returns (uint128);

    /// @notice True when the wallet is verified and its investor is accredited.
    function isAccredited(address wallet) external view returns (bool);

    /// @notice True when a sanctions officer has flagged the wallet.
    function isSanctioned(address wallet) external view returns (bool);
}
