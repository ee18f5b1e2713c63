// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVaultAthleteIds
/// @notice What the vaults ask their factory: the athlete id each was created for.
interface IVaultAthleteIds {
    /// @notice The athlete id `vault` was created for (zero: not a vault of this factory).
    function athleteIdOf(address vault) external view returns (bytes32);
}

/// @title INILVaultErrors
/// @notice The vault's errors, shared by its code and by the fans' payments module it delegates to.
interface INILVaultErrors {
    error NotFactory(address caller);
    error AlreadyInitialized();
    error NotAthlete(address caller);
    error NotBrand(address caller);
    error NotParty(address caller);
    error MissingRole(address caller, bytes32 role);
    error UnknownDeal(uint256 dealId);
    error InvalidTerms();
    error InvalidURI();
    error SignatureExpired(uint256 deadline);
    error InvalidSignature(address expectedSigner);
    error Sanctioned(address account);
    error NotVerified(address account);
    error InvalidSplitter(address splitter);
    error NoSplitter();
    error WrongPayment(uint256 expected, uint256 received);
    error ConfirmationPending(uint256 dealId, uint256 releasableAt);
    error InsufficientFreeBalance(address token, uint256 available, uint256 requested);
    error TransferFailed();
}

/**
 * @title INILVault
 * @notice An athlete's vault: it holds ETH and ERC-20 balances, and the escrow of every deal between
 * a brand and the athlete, from proposal to release through the athlete's revenue splitter.
 */
interface INILVault is INILVaultErrors {
    /// @notice The life of a deal. `Active` is funded (the deal NFT exists from then on).
    enum Status {
        None,
        Proposed,
        Accepted,
        Active,
        Delivered,
        Released,
        Cancelled,
        Disputed,
        Refunded
    }

    /// @notice What a brand proposes.
    /// @param brand The brand's wallet, which funds the deal and confirms delivery.
    /// @param currency The ERC-20 paid, or `address(0)` for ETH.
    /// @param amount The price (non-zero).
    /// @param deliverablesHash Hash of the off-chain description of the deliverables.
    /// @param confirmationPeriod Seconds the brand has to confirm a delivery before anyone may release.
    /// @param uri The deal's metadata, an `ipfs://` URI.
    struct Terms {
        address brand;
        address currency;
        uint256 amount;
        bytes32 deliverablesHash;
        uint32 confirmationPeriod;
        string uri;
    }

    /// @notice A deal as stored (three slots and the URI).
    struct Deal {
        address brand;
        Status status;
        uint32 confirmationPeriod;
        uint40 deliveredAt;
        address currency;
        uint256 amount;
        bytes32 deliverablesHash;
        string uri;
    }

    event DealProposed(
        uint256 indexed dealId,
        address indexed brand,
        address currency,
        uint256 amount,
        bytes32 deliverablesHash,
        uint32 confirmationPeriod,
        string uri
    );
    event DealAccepted(uint256 indexed dealId, address indexed athlete);
    event DealFunded(uint256 indexed dealId, uint256 indexed tokenId, address currency, uint256 amount);
    event DealDelivered(uint256 indexed dealId, uint40 deliveredAt);
    event DealReleased(uint256 indexed dealId, address indexed splitter, uint256 amount, address by);
    event DealCancelled(uint256 indexed dealId, address by);
    event DealDisputed(uint256 indexed dealId, address by);
    event DealRefunded(uint256 indexed dealId, address indexed brand, uint256 amount);
    event DealSettled(uint256 indexed dealId, address indexed splitter, uint256 amount);
    event AthleteChanged(address indexed previousAthlete, address indexed newAthlete, address by);
    event SplitterChanged(address indexed previousSplitter, address indexed newSplitter);
    event Withdrawn(address indexed token, address indexed to, uint256 amount);

    error WrongStatus(uint256 dealId, Status status);

    /// @notice Sets the athlete and the splitter of a new vault; called once, by the factory.
    function initialize(address athlete, address splitter) external;

    /// @notice The deal `dealId` (reverts for an unknown deal).
    function deal(uint256 dealId) external view returns (Deal memory);
}
