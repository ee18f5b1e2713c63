// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";
import {INILVault, INILVaultErrors} from "./INILVault.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";
import {IPaymentsHub} from "./IFanPayments.sol";

/**
 * @title NILVaultState
 * @notice What a vault's code and the module it delegates to ({NILVaultPaymentsModule}) share: the vault's
 * ERC-7201 namespace, the suite's registry, factory and fans' payments hub, and the checks and sends
 * on them.
 * @dev Both run in the vault's storage (the module by delegatecall from {NILVault}), so the namespace
 * is declared once, here. The immutables are the same for every vault of a network; an upgrade may
 * change them.
 * @custom:oz-upgrades-unsafe-allow state-variable-immutable constructor
 */
abstract contract NILVaultState is INILVaultErrors {
    using SafeERC20 for IERC20;

    IComplianceRegistry internal immutable _registry;
    address internal immutable _factory;
    /// @dev The fans' payments hub, which keeps a copy of the vault's payment terms (splitter, pause).
    IPaymentsHub internal immutable _hub;

    /// @custom:storage-location erc7201:rwa.storage.NILVault
    struct VaultStorage {
        address athlete;
        address splitter;
        uint96 dealCount;
        mapping(uint256 dealId => INILVault.Deal) deals;
        mapping(address token => uint256) escrowed;
    }

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.NILVault")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE = 0xff87ed5bbf67dafb8010ae70682e0d8971cf1e0bfecb3b8ef8eeabd17d40f500;

    /**
     * @param registry_ The compliance registry.
     * @param factory_ The {NILVaultFactory} whose vaults run this code (and whose roles they obey).
     * @param hub_ The fans' payments hub ({FanPayments}).
     */
    constructor(address registry_, address factory_, address hub_) {
        if (registry_ == address(0) || factory_ == address(0) || hub_ == address(0)) revert ZeroAddress();
        _registry = IComplianceRegistry(registry_);
        _factory = factory_;
        _hub = IPaymentsHub(hub_);
    }

    /// @notice The part of the vault's balance of `token` (`address(0)`: ETH) the athlete may withdraw.
    function freeBalance(address token) public view returns (uint256) {
        uint256 balance = token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
        uint256 locked = _vault().escrowed[token];
        return balance > locked ? balance - locked : 0;
    }

    /// @dev Reverts unless `account` is verified: {Sanctioned} when it is flagged, {NotVerified} otherwise.
    function _requireVerified(address account) internal view {
        if (!_registry.isVerified(account)) {
            if (_registry.isSanctioned(account)) revert Sanctioned(account);
            revert NotVerified(account);
        }
    }

    /// @dev Sends `amount` of `token` out of the free balance (reverts when it is short).
    function _sendFree(address token, address to, uint256 amount) internal {
        uint256 available = freeBalance(token);
        if (amount > available) revert InsufficientFreeBalance(token, available, amount);
        _send(token, to, amount);
    }

    /// @dev Sends `amount` of `token` (`address(0)`: ETH) from the vault to `to`.
    function _send(address token, address to, uint256 amount) internal {
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _vault() internal pure returns (VaultStorage storage $) {
        assembly {
            $.slot := _STORAGE
        }
    }
}
