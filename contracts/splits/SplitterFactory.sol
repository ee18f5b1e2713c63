// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";

/**
 * @title SplitterFactory
 * @notice Creates immutable revenue splits: each split (payees and their shares in basis points,
 * summing to 10,000) is a {RevenueSplitter} EIP-1167 clone at a CREATE2 address derived from the
 * split itself, so identical splits share one address and the address of a split can be known
 * ({predict}) before it exists.
 *
 * @dev The split is stored nowhere but in the clone's code, as OpenZeppelin's "immutable args":
 * one 22-byte record per payee (20-byte address, 2-byte bps). Payees must be listed in strictly
 * ascending address order (as 0xSplits requires): one pass then rules out duplicates and gives
 * every split a single canonical form, hence a single address. The CREATE2 salt is the hash of
 * the records. Creation is permissionless and idempotent: creating an existing split
 * returns its address.
 */
contract SplitterFactory {
    /// @notice The largest number of payees of a split.
    uint256 public constant MAX_PAYEES = 32;

    /// @notice What the shares of a split sum to, in basis points.
    uint256 public constant TOTAL_BPS = 10_000;

    /// @notice The {RevenueSplitter} implementation every split delegates to.
    address public immutable implementation;

    uint256 private constant _CLONE_CODE_SIZE = 45;
    uint256 private constant _RECORD_SIZE = 22;
    uint256 private constant _INITCODE_PREFIX = 55;

    /// @notice A split was created at `split` (its payees and shares: the split's `payees()` and `shares()`).
    event SplitCreated(address indexed split);

    /// @notice The implementation has no code.
    error InvalidImplementation(address implementation);
    /// @notice Payees and shares differ in length.
    error LengthMismatch(uint256 payees, uint256 shares);
    /// @notice A split needs between 1 and `MAX_PAYEES` payees.
    error InvalidPayeeCount(uint256 count, uint256 maxCount);
    /// @notice The zero address cannot be a payee.
    error ZeroPayee();
    /// @notice A payee appears more than once.
    error DuplicatePayee(address payee);
    /// @notice Payees must be listed in ascending address order; the one at `index` is not.
    error PayeesNotSorted(uint256 index);
    /// @notice Every payee needs a share between 1 and `TOTAL_BPS` basis points.
    error InvalidShare(address payee, uint256 share);
    /// @notice The shares do not sum to `TOTAL_BPS`.
    error InvalidTotalShares(uint256 total);

    /// @param implementation_ The deployed {RevenueSplitter} implementation.
    constructor(address implementation_) {
        if (implementation_.code.length == 0) revert InvalidImplementation(implementation_);
        implementation = implementation_;
    }

    /**
     * @notice Creates the split of `payees` and `shares` unless it exists, and returns its address.
     * @param payees The payees in ascending address order: distinct, non-zero, 1 to `MAX_PAYEES` of them.
     * @param shares Each payee's share in basis points (1 to `TOTAL_BPS`), summing to `TOTAL_BPS`.
     * @return split The split's address.
     */
    function createSplit(address[] calldata payees, uint256[] calldata shares) external returns (address split) {
        (bytes memory code, bytes32 salt) = _initcode(payees, shares);
        split = Create2.computeAddress(salt, keccak256(code));
        if (split.code.length == 0) {
            // Create2.deploy would copy the code again; the address is known already.
            address created;
            assembly ("memory-safe") {
                created := create2(0, add(code, 32), mload(code), salt)
            }
            if (created == address(0)) revert Errors.FailedDeployment();
            emit SplitCreated(split);
        }
    }

    /**
     * @notice The address of the split of `payees` and `shares`, whether or not it exists yet.
     * @dev Reverts, like {createSplit}, on an invalid split.
     * @param payees The payees, in ascending address order.
     * @param shares Their shares in basis points.
     * @return The split's address.
     */
    function predict(address[] calldata payees, uint256[] calldata shares) external view returns (address) {
        (bytes memory code, bytes32 salt) = _initcode(payees, shares);
        return Create2.computeAddress(salt, keccak256(code));
    }

    /**
     * @notice Whether `account` is a split this factory created.
     * @dev Derived from the account's code alone: no storage is kept per split.
     * @param account The address to check.
     * @return True for a split made by this factory.
     */
    function isSplit(address account) external view returns (bool) {
        uint256 size = account.code.length;
        if (size <= _CLONE_CODE_SIZE || (size - _CLONE_CODE_SIZE) % _RECORD_SIZE != 0) return false;
        bytes memory args = new bytes(size - _CLONE_CODE_SIZE);
        assembly ("memory-safe") {
            extcodecopy(account, add(args, 32), _CLONE_CODE_SIZE, mload(args))
        }
        return Create2.computeAddress(keccak256(args), keccak256(_initcodeOf(args))) == account;
    }

    /// @dev The creation code of an EIP-1167 clone of `implementation` with `args` appended, exactly as
    /// OpenZeppelin's `Clones.cloneDeterministicWithImmutableArgs` builds it.
    function _initcodeOf(bytes memory args) private view returns (bytes memory) {
        return abi.encodePacked(
            hex"61",
            uint16(args.length + _CLONE_CODE_SIZE),
            hex"3d81600a3d39f3363d3d373d3d3d363d73",
            implementation,
            hex"5af43d82803e903d91602b57fd5bf3",
            args
        );
    }

    /**
     * @dev Validates the split and returns the clone's creation code (same bytes as {_initcodeOf}) and
     * its CREATE2 salt, the hash of the records. One pass, in place, to keep {createSplit} cheap.
     */
    function _initcode(address[] calldata payees, uint256[] calldata shares)
        private
        view
        returns (bytes memory code, bytes32 salt)
    {
        uint256 n = payees.length;
        if (n != shares.length) revert LengthMismatch(n, shares.length);
        if (n == 0 || n > MAX_PAYEES) revert InvalidPayeeCount(n, MAX_PAYEES);

        uint256 argsLength = n * _RECORD_SIZE;
        address impl = implementation;
        assembly ("memory-safe") {
            // Allocate without zeroing: every byte is written below.
            code := mload(0x40)
            let length := add(_INITCODE_PREFIX, argsLength)
            mstore(code, length)
            // One spare word: the last record's store runs 10 bytes past the end.
            mstore(0x40, add(code, and(add(length, 95), not(31))))
            let p := add(code, 32)
            // 61 <runtime length> 3d81600a3d39f3 | 363d3d373d3d3d363d73 <implementation> 5af43d82803e903d91602b57fd5bf3
            // Each store is 32 bytes; stores go in ascending order so each one overwrites only
            // the zero tail of the previous one.
            mstore(p, shl(96, or(or(shl(152, 0x61), shl(136, add(argsLength, 45))), 0x3d81600a3d39f3363d3d373d3d3d363d73)))
            mstore(add(p, 20), shl(96, impl))
            mstore(add(p, 40), shl(136, 0x5af43d82803e903d91602b57fd5bf3))
        }

        uint256 total;
        uint256 previous;
        unchecked {
            for (uint256 i; i < n; ++i) {
                uint256 payee;
                uint256 share;
                // In bounds: i < n == payees.length == shares.length. The address is masked to
                // 160 bits, as the ABI decoder would check it.
                assembly ("memory-safe") {
                    payee := calldataload(add(payees.offset, shl(5, i)))
                    share := calldataload(add(shares.offset, shl(5, i)))
                }
                if (payee >> 160 != 0) revert(); // malformed calldata, as the ABI decoder treats it
                if (payee <= previous) {
                    if (payee == 0) revert ZeroPayee();
                    if (payee == previous) revert DuplicatePayee(address(uint160(payee)));
                    revert PayeesNotSorted(i);
                }
                if (share == 0 || share > TOTAL_BPS) revert InvalidShare(address(uint160(payee)), share);
                total += share; // at most 32 shares of at most TOTAL_BPS: no overflow
                previous = payee;
                assembly ("memory-safe") {
                    mstore(add(add(code, 87), mul(i, 22)), or(shl(96, payee), shl(80, share)))
                }
            }
        }
        if (total != TOTAL_BPS) revert InvalidTotalShares(total);
        assembly ("memory-safe") {
            salt := keccak256(add(code, 87), argsLength)
        }
    }
}
