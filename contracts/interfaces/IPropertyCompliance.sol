// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

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
}

/// @title IPropertyCompliance
/// @notice What a PropertyToken asks of its compliance contract. The ERC-3643 hooks `transferred`,
/// `created` and `destroyed` only record a movement; `enforceTransfer` and `enforceMint` check the
/// rules and record in a single call (reverting with the broken rule's error), which is what ordinary
/// transfers and mints use.
interface IPropertyCompliance {
    /// @notice The token this compliance is bound to.
    function getTokenBound() external view returns (address);
    /// @notice Whether any module is enabled (the token skips compliance entirely when none is).
    function hasModules() external view returns (bool);
    /// @notice Whether a transfer (or a mint when `from` is zero) passes every enabled module.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool);
    /// @notice Checks a transfer against every module and records it; reverts with the rule broken.
    function enforceTransfer(address from, address to, uint256 amount) external;
    /// @notice Checks a mint against every module and records it; reverts with the rule broken.
    function enforceMint(address to, uint256 amount) external;
    /// @notice Records a transfer the rules do not apply to (forced transfer, recovery).
    function transferred(address from, address to, uint256 amount) external;
    /// @notice Records a mint without checking it.
    function created(address to, uint256 amount) external;
    /// @notice Records a burn.
    function destroyed(address from, uint256 amount) external;
}

/// @notice What the compliance calls back on its token.
interface IComplianceAwareToken {
    /// @notice Told by the bound compliance whether it has modules, so the token calls it only when it does.
    function complianceModulesChanged(bool active) external;
}
