// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IComplianceErrors
/// @notice The rules a compliance module can refuse a movement with. The token inherits them too, so its
/// ABI alone decodes a refusal that comes from its compliance.
interface IComplianceErrors {
    /// @notice The receiver's country is not on the allow-list.
    error CountryNotAllowed(address wallet, uint16 country);
    /// @notice The investor would hold more than the maximum balance.
    error MaxBalanceExceeded(uint128 investorId, uint256 balance, uint256 maxBalance);
    /// @notice More investors would hold tokens than allowed.
    error MaxHoldersExceeded(uint256 holders, uint256 maxHolders);
    /// @notice The sender's tokens are locked after issuance until `until`.
    error TokensLocked(address wallet, uint64 until);
    /// @notice The mint would raise the supply above the cap.
    error SupplyCapExceeded(uint256 supply, uint256 cap);
    /// @notice The receiver is not an accredited investor.
    error NotAccredited(address wallet);
    /// @notice An external compliance module refused the movement (`from` zero: a mint).
    error ExternalModuleRefused(address module, address from, address to, uint256 amount);
    /// @notice An external compliance module reverted, ran out of its gas allowance or returned something
    /// other than a boolean: the movement is refused until the module is fixed or removed.
    error ExternalModuleFailed(address module);
}

/// @title IPropertyCompliance
/// @notice What a PropertyToken asks of its compliance contract, in T-REX's order: checks before the token moves
/// balances, notifications after. `enforceTransfer` and `enforceMint` check the rules and record the movement in
/// the compliance's own books in a single call before it (reverting with the broken rule's error), which is what
/// ordinary transfers and mints use; when they answer true, the token calls `notifyModules` after the movement.
/// The ERC-3643 hooks `transferred`, `created`, `destroyed` (and `recovered`) record a movement the token has
/// already made and tell the external modules. The token refuses to be re-entered during any of these calls.
interface IPropertyCompliance {
    /// @notice The token this compliance is bound to.
    function getTokenBound() external view returns (address);
    /// @notice Whether the token must call the compliance (a module is enabled or investor balances are tracked).
    function hasModules() external view returns (bool);
    /// @notice Whether a transfer (or a mint when `from` is zero) passes every enabled module.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool);
    /// @notice Checks a transfer against every module and records it; reverts with the rule broken.
    /// @param registry The token's identity registry (passed to spare the compliance a call back).
    /// @return notify Whether the token must call {notifyModules} once it has moved the balances.
    function enforceTransfer(address registry, address from, address to, uint256 amount) external returns (bool notify);
    /// @notice Checks a mint against every module and records it; reverts with the rule broken.
    /// @param registry The token's identity registry.
    /// @return notify Whether the token must call {notifyModules} once it has minted.
    function enforceMint(address registry, address to, uint256 amount) external returns (bool notify);
    /// @notice Told after a transfer or mint (`from` zero) that {enforceTransfer} or {enforceMint} passed: tells
    /// the external modules, which now see the new balances.
    function notifyModules(address from, address to, uint256 amount) external;
    /// @notice Records a transfer the rules do not apply to (forced transfer), after it happened.
    function transferred(address from, address to, uint256 amount) external;
    /// @notice Records a mint without checking it, after it happened.
    function created(address to, uint256 amount) external;
    /// @notice Records a burn, after it happened.
    function destroyed(address from, uint256 amount) external;
    /// @notice Records a recovery, after it happened: `amount` moved from `lostWallet` to `newWallet`, whose
    /// per-wallet state (lockup, investor tracking) the lost wallet's follows.
    function recovered(address lostWallet, address newWallet, uint256 amount) external;
}

/// @title IComplianceModule
/// @notice An external compliance rule, added to a {ModularCompliance} by address (T-REX style). The
/// compliance asks `checkTransfer` before each ordinary transfer and mint (`from` zero), and tells the
/// module of every movement after the token made it (forced transfers and recoveries through `transferred`):
/// a hook that reads the token sees the new balances, and cannot re-enter the token.
/// Each call gets a bounded amount of gas; a module that reverts, runs out of gas or returns anything but
/// a boolean refuses the movement. `msg.sender` is the compliance: a module shared by several compliances
/// keeps its state per caller. Must answer ERC-165 for its own interface id.
interface IComplianceModule is IERC165 {
    /// @notice Whether the movement may happen (a mint when `from` is zero).
    function checkTransfer(address from, address to, uint256 amount) external view returns (bool);
    /// @notice Told after a transfer (ordinary, forced or recovery).
    function transferred(address from, address to, uint256 amount) external;
    /// @notice Told after a mint.
    function created(address to, uint256 amount) external;
    /// @notice Told after a burn.
    function destroyed(address from, uint256 amount) external;
}

/// @notice What the compliance calls back on its token.
interface IComplianceAwareToken {
    /// @notice Told by the bound compliance whether it has modules, so the token calls it only when it does.
    function complianceModulesChanged(bool active) external;
}
