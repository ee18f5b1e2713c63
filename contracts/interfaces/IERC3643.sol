// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title IERC3643
/// @notice The token interface of ERC-3643 (T-REX): same function names, selectors and events as the
/// standard's `IToken`. `identityRegistry()` and `compliance()` return addresses (the standard types them
/// as its registry and compliance interfaces, which encode identically).
interface IERC3643 is IERC20, IERC20Metadata {
    /// @notice Emitted when the token's name, symbol, decimals, version or ONCHAINID is set.
    event UpdatedTokenInformation(
        string indexed _newName,
        string indexed _newSymbol,
        uint8 _newDecimals,
        string _newVersion,
        address indexed _newOnchainID
    );
    /// @notice Emitted when the identity registry is set.
    event IdentityRegistryAdded(address indexed _identityRegistry);
    /// @notice Emitted when the compliance contract is set.
    event ComplianceAdded(address indexed _compliance);
    /// @notice Emitted when an investor's tokens move from a lost wallet to a new one.
    event RecoverySuccess(address indexed _lostWallet, address indexed _newWallet, address indexed _investorOnchainID);
    /// @notice Emitted when a wallet is frozen or unfrozen.
    event AddressFrozen(address indexed _userAddress, bool indexed _isFrozen, address indexed _owner);
    /// @notice Emitted when part of a wallet's tokens is frozen.
    event TokensFrozen(address indexed _userAddress, uint256 _amount);
    /// @notice Emitted when part of a wallet's frozen tokens is unfrozen.
    event TokensUnfrozen(address indexed _userAddress, uint256 _amount);
    /// @notice Emitted when the token is paused.
    event Paused(address _userAddress);
    /// @notice Emitted when the token is unpaused.
    event Unpaused(address _userAddress);

    /// @notice Sets the token name.
    function setName(string calldata _name) external;
    /// @notice Sets the token symbol.
    function setSymbol(string calldata _symbol) external;
    /// @notice Sets the token's own ONCHAINID.
    function setOnchainID(address _onchainID) external;
    /// @notice Stops ordinary transfers.
    function pause() external;
    /// @notice Resumes ordinary transfers.
    function unpause() external;
    /// @notice Freezes or unfreezes a wallet.
    function setAddressFrozen(address _userAddress, bool _freeze) external;
    /// @notice Freezes `_amount` of a wallet's tokens.
    function freezePartialTokens(address _userAddress, uint256 _amount) external;
    /// @notice Unfreezes `_amount` of a wallet's frozen tokens.
    function unfreezePartialTokens(address _userAddress, uint256 _amount) external;
    /// @notice Sets the identity registry.
    function setIdentityRegistry(address _identityRegistry) external;
    /// @notice Sets the compliance contract.
    function setCompliance(address _compliance) external;
    /// @notice Moves tokens between wallets without the holder's consent.
    function forcedTransfer(address _from, address _to, uint256 _amount) external returns (bool);
    /// @notice Issues tokens.
    function mint(address _to, uint256 _amount) external;
    /// @notice Destroys tokens.
    function burn(address _userAddress, uint256 _amount) external;
    /// @notice Moves an investor's tokens from a lost wallet to a new wallet of the same investor.
    function recoveryAddress(address _lostWallet, address _newWallet, address _investorOnchainID)
        external
        returns (bool);
    /// @notice Transfers to several wallets.
    function batchTransfer(address[] calldata _toList, uint256[] calldata _amounts) external;
    /// @notice Forced transfers in one call.
    function batchForcedTransfer(
        address[] calldata _fromList,
        address[] calldata _toList,
        uint256[] calldata _amounts
    ) external;
    /// @notice Mints to several wallets.
    function batchMint(address[] calldata _toList, uint256[] calldata _amounts) external;
    /// @notice Burns from several wallets.
    function batchBurn(address[] calldata _userAddresses, uint256[] calldata _amounts) external;
    /// @notice Freezes or unfreezes several wallets.
    function batchSetAddressFrozen(address[] calldata _userAddresses, bool[] calldata _freeze) external;
    /// @notice Partially freezes several wallets.
    function batchFreezePartialTokens(address[] calldata _userAddresses, uint256[] calldata _amounts) external;
    /// @notice Partially unfreezes several wallets.
    function batchUnfreezePartialTokens(address[] calldata _userAddresses, uint256[] calldata _amounts) external;

    /// @notice The token's own ONCHAINID.
    function onchainID() external view returns (address);
    /// @notice The implementation version.
    function version() external view returns (string memory);
    /// @notice The identity registry (here: the suite's ComplianceRegistry).
    function identityRegistry() external view returns (address);
    /// @notice The compliance contract.
    function compliance() external view returns (address);
    /// @notice Whether ordinary transfers are paused.
    function paused() external view returns (bool);
    /// @notice Whether the wallet is frozen.
    function isFrozen(address _userAddress) external view returns (bool);
    /// @notice The wallet's frozen tokens.
    function getFrozenTokens(address _userAddress) external view returns (uint256);
}
