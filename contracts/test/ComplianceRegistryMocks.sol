// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ComplianceRegistry} from "../compliance/ComplianceRegistry.sol";

/**
 * @title ComplianceRegistryV2Mock
 * @notice Test helper: a later implementation of the registry, used to check that an upgrade keeps
 * every record. Same storage, one extra function.
 */
contract ComplianceRegistryV2Mock is ComplianceRegistry {
    /// @notice Identifies the upgraded implementation.
    /// @return The version string "2".
    function version() external pure returns (string memory) {
        return "2";
    }
}

/**
 * @title ComplianceRegistryOtherLayoutMock
 * @notice Test helper: a registry implementation that declares another record layout, which a
 * {ComplianceRegistryProxy} must refuse to run (its fast answers would read the wrong bits).
 */
contract ComplianceRegistryOtherLayoutMock is ComplianceRegistry {
    /// @notice A layout id other than the one the proxy reads.
    /// @return The id of a made-up second layout.
    function recordLayout() external pure override returns (bytes32) {
        return keccak256("rwa.ComplianceRegistry.record.v2");
    }
}

/**
 * @title ERC1271SignerMock
 * @notice Test helper: a contract account (ERC-1271) that accepts the ECDSA signatures of its owner,
 * used to check that contract attestors can sign for {ComplianceRegistry-registerWithSig}.
 */
contract ERC1271SignerMock is IERC1271 {
    /// @notice The key whose signatures this contract accepts.
    address public immutable owner;

    /// @param owner_ The key whose signatures this contract accepts.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? this.isValidSignature.selector : bytes4(0xffffffff);
    }
}

/**
 * @title ComplianceRegistryUnsafeMock
 * @notice Test helper: an upgrade that must be refused (an implementation able to selfdestruct).
 */
contract ComplianceRegistryUnsafeMock is ComplianceRegistry {
    /// @notice Destroys the contract's code; never acceptable behind a proxy.
    function destroy() external {
        selfdestruct(payable(msg.sender));
    }
}
