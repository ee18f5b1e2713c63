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
    /// @notice Every unused signed attestation of `wallet` is void: only one signed against `generation` can be relayed.
    event AttestationsVoided(address indexed wallet, uint32 generation, address attestor);
    /// @notice `attestor`'s unordered nonce `nonce` was used by a relayed signed attestation.
    event NonceUsed(address indexed attestor, uint256 nonce);
    /// @notice `attestor` cancelled the nonces set in `mask` of word `word` of its nonce bitmap.
    event UnorderedNonceInvalidation(address indexed attestor, uint256 word, uint256 mask);

    error InvalidInvestorId();
    error InvalidCountry(uint16 country);
    error InvalidFlags(uint8 flags);
    error ExpiryInPast(uint40 expiry);
    error NotRegistered(address wallet);
    error LengthMismatch(uint256 wallets, uint256 attestations);
    error BatchTooLarge(uint256 size, uint256 maxSize);
    error SignatureExpired(uint256 deadline);
    error InvalidAttestor(address signer);
    /// @notice The signed attestation's nonce was used or cancelled already.
    error NonceAlreadyUsed(address attestor, uint256 nonce);
    /// @notice The signed attestation names an earlier generation of the wallet's record: a revocation or a
    /// later write voided it.
    error StaleAttestation(address wallet, uint32 signedGeneration, uint32 currentGeneration);

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

/// @title IIdentityRegistryView
/// @notice The read side of ERC-3643's identity registry (`IIdentityRegistry`), so that ERC-3643 tooling
/// can read the compliance registry. `identity` returns an address (ERC-3643 types it `IIdentity`).
interface IIdentityRegistryView {
    /// @notice True when the wallet has an attestation (expired or not).
    function contains(address wallet) external view returns (bool);

    /// @notice The identity the wallet is linked to, shared by every wallet of one investor; zero when unregistered.
    function identity(address wallet) external view returns (address);

    /// @notice The ISO-3166-1 numeric country of the wallet's investor, 0 when unregistered.
    function investorCountry(address wallet) external view returns (uint16);

    /// @notice True when the wallet has a KYC and AML attestation that has not expired and is not sanctioned.
    function isVerified(address wallet) external view returns (bool);
}
