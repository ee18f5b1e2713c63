// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IBeacon} from "@openzeppelin/contracts/proxy/beacon/IBeacon.sol";
import {PropertyBeaconProxy} from "../proxy/PropertyBeaconProxy.sol";
import {PropertyToken} from "./PropertyToken.sol";
import {ModularCompliance} from "./ModularCompliance.sol";
import {DividendDistributor} from "./DividendDistributor.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/**
 * @title PropertyTokenFactory
 * @notice Creates each tokenized property in one call: its {PropertyToken}, {ModularCompliance} and
 * {DividendDistributor}, as beacon proxies ({PropertyBeaconProxy}) at CREATE2 addresses derived from the property id, wired
 * to each other and to the suite's ComplianceRegistry, with the agent roles granted and ownership
 * handed to the property owner (the timelock). Upgrading one of the three beacons moves every
 * property at once. Lists the properties with their metadata.
 *
 * @dev Roles: `CREATOR_ROLE` creates properties; `DEFAULT_ADMIN_ROLE` manages roles, the property
 * owner and the legal documents.
 */
contract PropertyTokenFactory is AccessControl {
    /// @notice Role allowed to create properties.
    bytes32 public constant CREATOR_ROLE = keccak256("CREATOR_ROLE");

    uint8 private constant _TOKEN = 0;
    uint8 private constant _COMPLIANCE = 1;
    uint8 private constant _DISTRIBUTOR = 2;

    /// @notice The beacon of every property token.
    address public immutable tokenBeacon;
    /// @notice The beacon of every property's compliance.
    address public immutable complianceBeacon;
    /// @notice The beacon of every property's dividend distributor.
    address public immutable distributorBeacon;
    /// @notice The suite's ComplianceRegistry, every token's identity registry.
    address public immutable identityRegistry;
    /// @notice The stablecoin rent is paid in.
    address public immutable stablecoin;

    bytes32 private immutable _tokenInitCodeHash;
    bytes32 private immutable _complianceInitCodeHash;
    bytes32 private immutable _distributorInitCodeHash;

    /// @notice A property as created.
    struct PropertyInput {
        bytes32 propertyId;
        string name;
        string symbol;
        uint8 decimals;
        bytes32 legalDocHash;
        string legalDocURI;
    }

    /// @notice A property as listed.
    struct PropertyInfo {
        bytes32 propertyId;
        address token;
        address compliance;
        address distributor;
        string name;
        string symbol;
        uint8 decimals;
        bytes32 legalDocHash;
        string legalDocURI;
    }

    struct Property {
        bytes32 legalDocHash;
        string legalDocURI;
    }

    /// @notice Who owns every new property (the token's admin, who also configures its compliance): the timelock.
    address public propertyOwner;

    mapping(bytes32 propertyId => Property) private _properties;
    bytes32[] private _propertyIds;

    /// @notice Emitted when a property is created.
    event PropertyCreated(
        address indexed token,
        bytes32 indexed propertyId,
        address compliance,
        address distributor,
        string name,
        string symbol,
        bytes32 legalDocHash,
        string legalDocURI
    );
    /// @notice Emitted when a property's legal document changes.
    event LegalDocumentUpdated(bytes32 indexed propertyId, bytes32 legalDocHash, string legalDocURI);
    /// @notice Emitted when the owner of new properties changes.
    event PropertyOwnerSet(address indexed propertyOwner);

    error InvalidPropertyId();
    error PropertyExists(bytes32 propertyId);
    error UnknownProperty(bytes32 propertyId);
    error StablecoinMismatch(address stablecoin);
    error EmptyName();
    error EmptySymbol();
    error BeaconWithoutCode(address beacon);

    /**
     * @param tokenBeacon_ Beacon of {PropertyToken}.
     * @param complianceBeacon_ Beacon of {ModularCompliance}.
     * @param distributorBeacon_ Beacon of {DividendDistributor}.
     * @param identityRegistry_ The suite's ComplianceRegistry.
     * @param stablecoin_ The rent stablecoin; must be the token implementation's `dividendToken`.
     * @param propertyOwner_ Owner of every property created (the timelock).
     * @param admin Receives `DEFAULT_ADMIN_ROLE` and `CREATOR_ROLE` (the deployer, until it hands over).
     */
    constructor(
        address tokenBeacon_,
        address complianceBeacon_,
        address distributorBeacon_,
        address identityRegistry_,
        address stablecoin_,
        address propertyOwner_,
        address admin
    ) {
        if (
            tokenBeacon_ == address(0) || complianceBeacon_ == address(0) || distributorBeacon_ == address(0)
                || identityRegistry_ == address(0) || stablecoin_ == address(0) || propertyOwner_ == address(0)
                || admin == address(0)
        ) revert ZeroAddress();
        // The proxies would revert on every call to a beacon without code: refuse it now, for all three.
        if (tokenBeacon_.code.length == 0) revert BeaconWithoutCode(tokenBeacon_);
        if (complianceBeacon_.code.length == 0) revert BeaconWithoutCode(complianceBeacon_);
        if (distributorBeacon_.code.length == 0) revert BeaconWithoutCode(distributorBeacon_);
        if (
            PropertyToken(IBeacon(tokenBeacon_).implementation()).dividendToken() != stablecoin_
                || DividendDistributor(IBeacon(distributorBeacon_).implementation()).stablecoin() != stablecoin_
        ) revert StablecoinMismatch(stablecoin_);
        tokenBeacon = tokenBeacon_;
        complianceBeacon = complianceBeacon_;
        distributorBeacon = distributorBeacon_;
        identityRegistry = identityRegistry_;
        stablecoin = stablecoin_;
        _tokenInitCodeHash = _initCodeHash(tokenBeacon_);
        _complianceInitCodeHash = _initCodeHash(complianceBeacon_);
        _distributorInitCodeHash = _initCodeHash(distributorBeacon_);
        propertyOwner = propertyOwner_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CREATOR_ROLE, admin);
        emit PropertyOwnerSet(propertyOwner_);
    }

    /**
     * @notice Creates a property: token, compliance and distributor, wired and owned by {propertyOwner}.
     * @dev Requires `CREATOR_ROLE`. The property id must be new and non-zero, the name and symbol non-empty
     * ({EmptyName}, {EmptySymbol}). Compliance starts with no
     * module: the owner enables them (before minting, for max balance and max holders).
     * Emits {PropertyCreated}.
     * @param input Property id, name, symbol, decimals, legal document hash and URI.
     * @param agents Who receives each operational role of the token (zero: nobody).
     * @return token The token proxy.
     * @return compliance The compliance proxy.
     * @return distributor The distributor proxy.
     */
    function createProperty(PropertyInput calldata input, PropertyToken.Agents calldata agents)
        external
        onlyRole(CREATOR_ROLE)
        returns (address token, address compliance, address distributor)
    {
        bytes32 id = input.propertyId;
        if (id == bytes32(0)) revert InvalidPropertyId();
        if (bytes(input.name).length == 0) revert EmptyName();
        if (bytes(input.symbol).length == 0) revert EmptySymbol();
        if (_exists(id)) revert PropertyExists(id);

        token = address(new PropertyBeaconProxy{salt: _salt(id, _TOKEN)}(tokenBeacon));
        compliance = address(new PropertyBeaconProxy{salt: _salt(id, _COMPLIANCE)}(complianceBeacon));
        distributor = address(new PropertyBeaconProxy{salt: _salt(id, _DISTRIBUTOR)}(distributorBeacon));

        address owner = propertyOwner;
        PropertyToken(token).initialize(
            PropertyToken.TokenConfig({
                name: input.name,
                symbol: input.symbol,
                decimals: input.decimals,
                identityRegistry: identityRegistry,
                compliance: compliance,
                distributor: distributor,
                onchainID: address(0)
            }),
            owner,
            agents
        );
        ModularCompliance(compliance).initialize(token);
        DividendDistributor(distributor).initialize(token);

        _record(input, token, compliance, distributor);
    }

    /**
     * @notice Replaces a property's legal document reference.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {LegalDocumentUpdated}.
     */
    function setLegalDocument(bytes32 propertyId, bytes32 legalDocHash, string calldata legalDocURI)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (!_exists(propertyId)) revert UnknownProperty(propertyId);
        Property storage property = _properties[propertyId];
        property.legalDocHash = legalDocHash;
        property.legalDocURI = legalDocURI;
        emit LegalDocumentUpdated(propertyId, legalDocHash, legalDocURI);
    }

    /**
     * @notice Sets who owns the properties created from now on.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {PropertyOwnerSet}.
     */
    function setPropertyOwner(address propertyOwner_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (propertyOwner_ == address(0)) revert ZeroAddress();
        propertyOwner = propertyOwner_;
        emit PropertyOwnerSet(propertyOwner_);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The addresses a property's contracts have (or will have) for `propertyId`.
    function predictAddresses(bytes32 propertyId)
        public
        view
        returns (address token, address compliance, address distributor)
    {
        token = _predict(_salt(propertyId, _TOKEN), _tokenInitCodeHash);
        compliance = _predict(_salt(propertyId, _COMPLIANCE), _complianceInitCodeHash);
        distributor = _predict(_salt(propertyId, _DISTRIBUTOR), _distributorInitCodeHash);
    }

    /// @notice Whether a property with this id exists.
    function propertyExists(bytes32 propertyId) external view returns (bool) {
        return _exists(propertyId);
    }

    /// @notice The number of properties created.
    function propertyCount() external view returns (uint256) {
        return _propertyIds.length;
    }

    /// @notice The id of the `index`-th property created.
    function propertyIdAt(uint256 index) external view returns (bytes32) {
        return _propertyIds[index];
    }

    /// @notice A property and its metadata; reverts with {UnknownProperty} when it does not exist.
    function property(bytes32 propertyId) public view returns (PropertyInfo memory info) {
        if (!_exists(propertyId)) revert UnknownProperty(propertyId);
        Property storage p = _properties[propertyId];
        (address token, address compliance, address distributor) = predictAddresses(propertyId);
        info = PropertyInfo({
            propertyId: propertyId,
            token: token,
            compliance: compliance,
            distributor: distributor,
            name: IERC20Metadata(token).name(),
            symbol: IERC20Metadata(token).symbol(),
            decimals: IERC20Metadata(token).decimals(),
            legalDocHash: p.legalDocHash,
            legalDocURI: p.legalDocURI
        });
    }

    /// @notice Up to `limit` properties from position `offset`, in creation order.
    function properties(uint256 offset, uint256 limit) external view returns (PropertyInfo[] memory list) {
        uint256 total = _propertyIds.length;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        list = new PropertyInfo[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            list[i - offset] = property(_propertyIds[i]);
        }
    }

    /// @dev Lists the new property and emits {PropertyCreated}.
    function _record(PropertyInput calldata input, address token, address compliance, address distributor) private {
        bytes32 id = input.propertyId;
        Property storage p = _properties[id];
        if (input.legalDocHash != bytes32(0)) p.legalDocHash = input.legalDocHash;
        if (bytes(input.legalDocURI).length != 0) p.legalDocURI = input.legalDocURI;
        _propertyIds.push(id);
        emit PropertyCreated(
            token, id, compliance, distributor, input.name, input.symbol, input.legalDocHash, input.legalDocURI
        );
    }

    /// @dev A property exists once its token does (the factory alone deploys at these addresses).
    function _exists(bytes32 propertyId) private view returns (bool) {
        return _predict(_salt(propertyId, _TOKEN), _tokenInitCodeHash).code.length != 0;
    }

    function _salt(bytes32 propertyId, uint8 kind) private pure returns (bytes32) {
        return keccak256(abi.encode(propertyId, kind));
    }

    function _initCodeHash(address beacon) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(type(PropertyBeaconProxy).creationCode, abi.encode(beacon)));
    }

    function _predict(bytes32 salt, bytes32 initCodeHash) private view returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }
}
