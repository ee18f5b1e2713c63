// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {INILVault} from "./INILVault.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";

/// @notice ERC-5192: minimal soulbound NFTs.
interface IERC5192 {
    /// @notice Emitted when the locking status of a token changes to locked.
    event Locked(uint256 tokenId);
    /// @notice Emitted when the locking status of a token changes to unlocked.
    event Unlocked(uint256 tokenId);

    /// @notice The locking status of a soulbound token.
    function locked(uint256 tokenId) external view returns (bool);
}

interface IVaultRegistry {
    function isVault(address account) external view returns (bool);
}

/**
 * @title ContractNFT
 * @notice One non-transferable token per funded NIL deal, held by the athlete's vault: the public
 * record of the deal (vault, brand, amount, currency, deliverables hash, `ipfs://` URI, status).
 *
 * @dev Only vaults made by the {NILVaultFactory} mint, each its own deals. The token id is the
 * vault's address and the deal id (`uint160(vault) << 96 | dealId`), so the collection stores no
 * more than ownership: the deal itself is read from the vault, which announces each status change
 * through {notifyStatus} (ERC-4906 `MetadataUpdate`). Tokens are locked for good (ERC-5192):
 * transfers and approvals revert.
 */
contract ContractNFT is ERC721, IERC4906, IERC5192 {
    /// @notice The factory whose vaults may mint.
    address public immutable factory;

    /// @notice The caller is not a vault of the factory.
    error NotVault(address caller);
    /// @notice The token is locked to its vault.
    error TokenLocked(uint256 tokenId);
    /// @notice Deal ids must fit in 96 bits.
    error DealIdTooLarge(uint256 dealId);

    /// @param factory_ The {NILVaultFactory}; must not be zero.
    constructor(address factory_) ERC721("NIL Deal Contract", "NILDEAL") {
        if (factory_ == address(0)) revert ZeroAddress();
        factory = factory_;
    }

    /**
     * @notice Mints the token of the caller's deal `dealId` to the caller; vaults of the factory only.
     * @param dealId The deal in the calling vault.
     * @return tokenId The new token.
     */
    function mint(uint256 dealId) external returns (uint256 tokenId) {
        if (!IVaultRegistry(factory).isVault(msg.sender)) revert NotVault(msg.sender);
        tokenId = tokenIdOf(msg.sender, dealId);
        _mint(msg.sender, tokenId);
        emit Locked(tokenId);
    }

    /**
     * @notice Announces that the caller's deal `dealId` changed status (ERC-4906). Only the vault
     * that minted the token can, since the token id derives from the caller.
     * @param dealId The deal in the calling vault.
     */
    function notifyStatus(uint256 dealId) external {
        uint256 tokenId = tokenIdOf(msg.sender, dealId);
        _requireOwned(tokenId);
        emit MetadataUpdate(tokenId);
    }

    /**
     * @notice The token id of deal `dealId` of `vault`.
     * @param vault The vault.
     * @param dealId The deal.
     * @return The token id.
     */
    function tokenIdOf(address vault, uint256 dealId) public pure returns (uint256) {
        if (dealId >> 96 != 0) revert DealIdTooLarge(dealId);
        return (uint256(uint160(vault)) << 96) | dealId;
    }

    /**
     * @notice The deal behind a token.
     * @param tokenId The token.
     * @return vault The athlete's vault.
     * @return dealId The deal's id in the vault.
     * @return deal The deal (brand, status, amounts, currency, hash, URI...).
     */
    function dealOf(uint256 tokenId)
        public
        view
        returns (address vault, uint256 dealId, INILVault.Deal memory deal)
    {
        vault = _requireOwned(tokenId);
        dealId = tokenId & type(uint96).max;
        deal = INILVault(vault).deal(dealId);
    }

    /**
     * @notice The deal's `ipfs://` metadata URI.
     * @param tokenId The token.
     * @return The URI.
     */
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        (,, INILVault.Deal memory deal) = dealOf(tokenId);
        return deal.uri;
    }

    /**
     * @notice Always true for an existing token (ERC-5192); reverts otherwise.
     * @param tokenId The token.
     * @return True.
     */
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice Approvals are meaningless for locked tokens: always reverts.
    function approve(address, uint256 tokenId) public pure override(ERC721, IERC721) {
        revert TokenLocked(tokenId);
    }

    /// @notice Approvals are meaningless for locked tokens: always reverts.
    function setApprovalForAll(address, bool) public pure override(ERC721, IERC721) {
        revert TokenLocked(0);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(IERC5192).interfaceId || interfaceId == bytes4(0x49064906)
            || super.supportsInterface(interfaceId);
    }

    /// @dev Only mints: every transfer reverts.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        if (_ownerOf(tokenId) != address(0)) revert TokenLocked(tokenId);
        return super._update(to, tokenId, auth);
    }
}
