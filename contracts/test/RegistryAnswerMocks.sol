// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";

/**
 * @title MisbehavingRegistryMock
 * @notice Test helper: an identity registry whose `isVerified` answers however a test sets it, including
 * ways no well-behaved registry answers, to check the token's hand-written call to it. Every other
 * function (`recordOf`, `identity`...) reverts, as a registry without them does.
 */
contract MisbehavingRegistryMock {
    /// @notice `isVerified` returns the 32-byte word `true`.
    uint8 public constant TRUE_WORD = 0;
    /// @notice `isVerified` returns one byte, 0x01: shorter than a word.
    uint8 public constant SHORT = 1;
    /// @notice `isVerified` reverts.
    uint8 public constant REVERTS = 2;
    /// @notice `isVerified` returns the word 2: not a boolean, though not zero.
    uint8 public constant GARBAGE = 3;
    /// @notice `isVerified` returns nothing.
    uint8 public constant EMPTY = 4;
    /// @notice `isVerified` returns `true` followed by another word.
    uint8 public constant TRUE_AND_MORE = 5;
    /// @notice `isVerified` returns 31 bytes: a word's worth but one.
    uint8 public constant ONE_BYTE_SHORT = 6;

    /// @notice How `isVerified` answers (one of the constants above).
    uint8 public mode;

    /// @notice Chooses how `isVerified` answers.
    /// @param mode_ One of the constants above.
    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    /// @notice Answers `isVerified(address)` as `mode` says; reverts on anything else.
    fallback() external {
        if (msg.sig != IComplianceRegistry.isVerified.selector) revert();
        uint8 m = mode;
        assembly {
            switch m
            case 0 {
                mstore(0, 1)
                return(0, 32)
            }
            case 1 {
                mstore8(0, 1)
                return(0, 1)
            }
            case 2 {
                revert(0, 0)
            }
            case 3 {
                mstore(0, 2)
                return(0, 32)
            }
            case 4 {
                return(0, 0)
            }
            case 5 {
                mstore(0, 1)
                mstore(32, 7)
                return(0, 64)
            }
            default {
                mstore(0, 1)
                return(1, 31)
            }
        }
    }
}
