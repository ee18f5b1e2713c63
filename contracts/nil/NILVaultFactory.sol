// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";
import {INILVault, IVaultAthleteIds} from "./INILVault.sol";
import {PropertyBeaconProxy} from "../proxy/PropertyBeaconProxy.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/**
 * @title NILVaultFactory
 * @notice Creates one {NILVault} per athlete, at a CREATE2 address derived from the athlete id alone,
 * so a vault's address can be shared before the vault exists ({predictVault}). Every vault is a
 * beacon proxy: one upgrade of the beacon moves all of them. The factory keeps the list of its
 * vaults and holds the roles the vaults obey.
 *
 * @dev Roles (read by the vaults through {hasRole}):
 *
 * - `DEFAULT_ADMIN_ROLE`: grants roles, sets the beacon once, and in the vaults recovers an athlete's
 *   wallet, refunds disputed deals and unpauses.
 * - `OPERATOR_ROLE`: creates vaults (onboarding athletes, so that nobody can squat an athlete id).
 * - `GUARDIAN_ROLE`: pauses vaults (lifting a pause is the admin's, through the timelock).
 *
 * A vault is a {PropertyBeaconProxy} of `{beacon}` (the beacon proxy every factory of the suite
 * creates): compiled with its metadata, so explorers verify it by a full match, and with the beacon in
 * ERC-1967's beacon slot, so they show the vault's implementation. Its code is the same for every
 * vault; the athlete id is the CREATE2 salt, which the factory records for {isVault} and {athleteIdOf}.
 */
contract NILVaultFactory is AccessControl, IVaultAthleteIds {
    /// @notice Role allowed to create vaults.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Role allowed to pause vaults (lifting a pause is the admin's, through the timelock).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice The beacon every vault reads its implementation from (set once).
    address public beacon;

    // Packed with `beacon`, which every creation reads anyway: the list's length costs no cold slot.
    uint96 private _vaultCount;
    mapping(uint256 index => address) private _vaults;
    mapping(address vault => bytes32 athleteId) private _athleteIdOf;

    /// @notice The beacon was set.
    event BeaconSet(address indexed beacon);
    /// @notice A vault was created for `athleteId`, controlled by `athlete`.
    event VaultCreated(bytes32 indexed athleteId, address indexed vault, address indexed athlete, address splitter);

    /// @notice The beacon was set already.
    error BeaconAlreadySet();
    /// @notice No beacon is set yet.
    error BeaconNotSet();
    /// @notice The athlete id is zero.
    error InvalidAthleteId();
    /// @notice The athlete already has a vault.
    error VaultExists(bytes32 athleteId, address vault);
    /// @notice `index` is past the end of the list of vaults.
    error IndexOutOfRange(uint256 index, uint256 count);

    /// @param admin The holder of `DEFAULT_ADMIN_ROLE` (the deployer during set-up, then the timelock).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /**
     * @notice Sets the vaults' beacon; possible once, as vault addresses depend on it.
     * @param beacon_ The {Beacon} of the {NILVault} implementation.
     */
    function setBeacon(address beacon_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (beacon_ == address(0)) revert ZeroAddress();
        if (beacon != address(0)) revert BeaconAlreadySet();
        beacon = beacon_;
        emit BeaconSet(beacon_);
    }

    /**
     * @notice Creates the vault of `athleteId`, controlled by `athlete`, paying out through `splitter`.
     * @param athleteId The athlete's id (non-zero), e.g. the hash of an off-chain identifier.
     * @param athlete The wallet that controls the vault.
     * @param splitter The athlete's split from the SplitterFactory, or zero for the athlete to set it
     * later with `setSplitter` (cheaper: a vault with a splitter stores one more slot and checks it).
     * @return vault The vault's address, equal to `predictVault(athleteId)`.
     */
    function createVault(bytes32 athleteId, address athlete, address splitter)
        external
        onlyRole(OPERATOR_ROLE)
        returns (address vault)
    {
        if (athleteId == bytes32(0)) revert InvalidAthleteId();
        bytes memory code = _initcode();
        // Checked first: a CREATE2 onto an existing contract would burn all the gas it is given.
        address predicted = Create2.computeAddress(athleteId, keccak256(code));
        if (predicted.code.length != 0) revert VaultExists(athleteId, predicted);
        assembly ("memory-safe") {
            vault := create2(0, add(code, 32), mload(code), athleteId)
        }
        if (vault == address(0)) revert Errors.FailedDeployment();
        // Recorded before the vault is initialised (checks, effects, then the call), though the call
        // only reaches the new vault, which reads the registry and the split.
        uint96 index = _vaultCount;
        _vaults[index] = vault;
        _vaultCount = index + 1;
        _athleteIdOf[vault] = athleteId;
        emit VaultCreated(athleteId, vault, athlete, splitter);
        INILVault(vault).initialize(athlete, splitter);
    }

    /**
     * @notice The address of the vault of `athleteId`, whether or not it exists yet.
     * @param athleteId The athlete's id.
     * @return The vault's address.
     */
    function predictVault(bytes32 athleteId) external view returns (address) {
        return Create2.computeAddress(athleteId, keccak256(_initcode()));
    }

    /**
     * @notice Whether `account` is a vault this factory created.
     * @param account The address to check.
     * @return True for a vault of this factory.
     */
    function isVault(address account) public view returns (bool) {
        return _athleteIdOf[account] != bytes32(0);
    }

    /**
     * @notice The athlete id `vault` was created for (its CREATE2 salt), which the vault reports.
     * @param vault The vault.
     * @return The athlete id, zero for an address that is no vault of this factory.
     */
    function athleteIdOf(address vault) external view returns (bytes32) {
        return _athleteIdOf[vault];
    }

    /**
     * @notice The number of vaults created.
     * @return The count.
     */
    function vaultCount() external view returns (uint256) {
        return _vaultCount;
    }

    /**
     * @notice The vault created `index`-th (from 0).
     * @param index The position in creation order.
     * @return The vault.
     */
    function vaultAt(uint256 index) external view returns (address) {
        if (index >= _vaultCount) revert IndexOutOfRange(index, _vaultCount);
        return _vaults[index];
    }

    /**
     * @notice Up to `limit` vaults from position `start`, in creation order.
     * @param start The first position.
     * @param limit The largest number of vaults returned.
     * @return page The vaults.
     */
    function vaults(uint256 start, uint256 limit) external view returns (address[] memory page) {
        uint256 count = _vaultCount;
        uint256 end = start >= count ? start : (limit > count - start ? count : start + limit);
        page = new address[](end - start);
        for (uint256 i = start; i < end; ++i) {
            page[i - start] = _vaults[i];
        }
    }

    /// @dev The creation code of every vault: the beacon proxy, given the beacon.
    function _initcode() private view returns (bytes memory) {
        address beacon_ = beacon;
        if (beacon_ == address(0)) revert BeaconNotSet();
        return abi.encodePacked(type(PropertyBeaconProxy).creationCode, abi.encode(beacon_));
    }
}
