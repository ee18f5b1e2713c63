// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {PropertyOffering} from "./PropertyOffering.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/**
 * @title PropertyOfferingFactory
 * @notice Creates each {PropertyOffering} as an EIP-1167 clone at a CREATE2 address that depends on the
 * property, its offering index and the terms (appended to the clone's code, so fixed for good), with the
 * proceeds going to the network's treasury (a Safe, fixed at construction). Lists each property's offerings.
 *
 * @dev An offering of a property is created by that property's admin (`DEFAULT_ADMIN_ROLE`: the timelock)
 * or one of its agents (`MINTER_ROLE`); it can mint only once the admin grants it `MINTER_ROLE`.
 */
contract PropertyOfferingFactory {
    bytes32 private constant _MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice The offering implementation every clone runs.
    address public immutable implementation;
    /// @notice Where every offering's proceeds go: the network's treasury Safe.
    address public immutable treasury;

    /// @notice What a creator chooses (the factory adds the treasury and the token's unit).
    struct OfferingInput {
        address property;
        address stablecoin;
        uint256 price; // stablecoin base units per whole token
        uint256 hardCap; // token base units
        uint256 softCap; // 0: none
        uint256 minPerInvestor; // 0: none
        uint256 maxPerInvestor; // 0: up to the hard cap
        uint64 opensAt;
        uint64 closesAt;
        bool review;
    }

    mapping(address property => address[]) private _offerings;

    /// @notice Emitted for each offering, with its terms.
    event OfferingCreated(
        address indexed offering,
        address indexed property,
        address indexed creator,
        uint256 index,
        PropertyOffering.Terms terms
    );

    error NotATreasury(address treasury);
    error NotPropertyAgent(address caller, address property);
    error ZeroPrice();
    error ZeroCap();
    error SoftCapAboveHardCap(uint256 softCap, uint256 hardCap);
    error MinimumAboveMaximum(uint256 minimum, uint256 maximum);
    error MinimumAboveHardCap(uint256 minimum, uint256 hardCap);
    error ClosesBeforeOpening(uint64 opensAt, uint64 closesAt);
    error ClosesInThePast(uint64 closesAt);
    error CapTooLarge(uint256 cap);
    error PriceTooLarge(uint256 price);

    /**
     * @param implementation_ The {PropertyOffering} implementation.
     * @param treasury_ The treasury: a contract (a Safe), never a key.
     */
    constructor(address implementation_, address treasury_) {
        if (implementation_ == address(0)) revert ZeroAddress();
        if (treasury_.code.length == 0) revert NotATreasury(treasury_);
        implementation = implementation_;
        treasury = treasury_;
    }

    /**
     * @notice Creates an offering of `input.property`'s tokens on `input`'s terms.
     * @dev The property's admin or one of its agents only. Price and hard cap non-zero, the whole cap's cost
     * within 128 bits, soft cap and minimum within the hard cap, minimum within the maximum, closing after
     * opening and in the future.
     * Emits {OfferingCreated}.
     */
    function createOffering(OfferingInput calldata input) external returns (address offering) {
        PropertyOffering.Terms memory t = terms(input);
        address property = input.property;
        if (!_isAgent(property, msg.sender)) revert NotPropertyAgent(msg.sender, property);
        if (input.closesAt <= block.timestamp) revert ClosesInThePast(input.closesAt);
        address[] storage list = _offerings[property];
        uint256 index = list.length;
        offering = Clones.cloneDeterministicWithImmutableArgs(implementation, abi.encode(t), _salt(property, index));
        list.push(offering);
        emit OfferingCreated(offering, property, msg.sender, index, t);
    }

    /// @notice The address {createOffering} would give an offering on `input`'s terms, created next.
    function predictOffering(OfferingInput calldata input) external view returns (address) {
        address property = input.property;
        return Clones.predictDeterministicAddressWithImmutableArgs(
            implementation, abi.encode(terms(input)), _salt(property, _offerings[property].length)
        );
    }

    /**
     * @notice The full terms of an offering on `input`: checked, with the treasury and the token's unit.
     * @dev Reverts with the first problem (so it also validates terms before a transaction is proposed).
     */
    function terms(OfferingInput calldata input) public view returns (PropertyOffering.Terms memory t) {
        if (input.property == address(0) || input.stablecoin == address(0)) revert ZeroAddress();
        if (input.price == 0) revert ZeroPrice();
        if (input.hardCap == 0) revert ZeroCap();
        if (input.hardCap > type(uint96).max) revert CapTooLarge(input.hardCap);
        if (input.softCap > input.hardCap) revert SoftCapAboveHardCap(input.softCap, input.hardCap);
        if (input.maxPerInvestor != 0 && input.minPerInvestor > input.maxPerInvestor) {
            revert MinimumAboveMaximum(input.minPerInvestor, input.maxPerInvestor);
        }
        if (input.minPerInvestor > input.hardCap) revert MinimumAboveHardCap(input.minPerInvestor, input.hardCap);
        if (input.closesAt <= input.opensAt) revert ClosesBeforeOpening(input.opensAt, input.closesAt);
        uint256 unit = 10 ** IERC20Metadata(input.property).decimals();
        // Every payment is kept in 128 bits: the whole cap's cost must fit.
        if (Math.mulDiv(input.hardCap, input.price, unit, Math.Rounding.Ceil) > type(uint128).max) {
            revert PriceTooLarge(input.price);
        }
        t = PropertyOffering.Terms({
            property: input.property,
            stablecoin: input.stablecoin,
            treasury: treasury,
            price: input.price,
            unit: unit,
            hardCap: input.hardCap,
            softCap: input.softCap,
            minPerInvestor: input.minPerInvestor,
            maxPerInvestor: input.maxPerInvestor,
            opensAt: input.opensAt,
            closesAt: input.closesAt,
            review: input.review
        });
    }

    /// @notice The offerings of `property`, oldest first.
    function offeringsOf(address property) external view returns (address[] memory) {
        return _offerings[property];
    }

    /// @notice The number of offerings of `property`.
    function offeringCount(address property) external view returns (uint256) {
        return _offerings[property].length;
    }

    function _isAgent(address property, address account) private view returns (bool) {
        return IRoles(property).hasRole(bytes32(0), account) || IRoles(property).hasRole(_MINTER_ROLE, account);
    }

    function _salt(address property, uint256 index) private pure returns (bytes32) {
        return keccak256(abi.encode(property, index));
    }
}

/// @dev The property's role view.
interface IRoles {
    function hasRole(bytes32 role, address account) external view returns (bool);
}
