// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {
    IComplianceRecordLayout,
    RECORDS_LOCATION,
    RECORD_COUNTRY_SHIFT,
    RECORD_FLAGS_SHIFT,
    RECORD_EXPIRY_SHIFT,
    RECORD_SANCTIONED_SHIFT,
    RECORD_LAYOUT_ID
} from "../compliance/ComplianceRecord.sol";

/**
 * @title ComplianceRegistryProxy
 * @notice The {ComplianceRegistry}'s proxy: an ERC-1967 proxy, upgraded by its implementation (UUPS) exactly
 * as a {UUPSProxy}, that answers the screening views itself. Every value path of the suite screens wallets
 * through the registry; each answer is one storage slot, so through a plain proxy most of a screen's cost
 * was the proxy (the implementation slot read and the DELEGATECALL to a cold implementation, about 4,700
 * gas). This proxy reads the record slot directly for `isVerified`, `isSanctioned`, `recordOf`,
 * `investorIdOf`, `isAccredited` and `investorCountry`, and delegates everything else.
 *
 * @dev The answers follow the record layout {IComplianceRecordLayout} documents, which is therefore frozen:
 * the proxy accepts an implementation (at construction, and after any delegated call that changed the
 * implementation slot: an upgrade) only if its `recordLayout()` answers {RECORD_LAYOUT_ID}; anything else
 * reverts with {RecordLayoutMismatch}, undoing the upgrade. The fast answers revert (empty) wherever the
 * implementation's ABI decoder would: value sent, calldata shorter than a word of argument, an address
 * argument with dirty upper bits.
 *
 * Explorers see an ERC-1967 proxy (the implementation in its slot, `Upgraded` emitted); its runtime is this
 * contract compiled, so Sourcify and Etherscan verify it as they verify {UUPSProxy}.
 */
contract ComplianceRegistryProxy is ERC1967Proxy {
    /// @notice `implementation` does not keep the record layout this proxy reads ({RECORD_LAYOUT_ID}).
    error RecordLayoutMismatch(address implementation);

    /**
     * @param implementation The first implementation: a registry keeping the record layout {RECORD_LAYOUT_ID}.
     * @param data The initialization call delegated to it (the registry's `initialize(admin)`).
     */
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {
        _requireRecordLayout(implementation);
    }

    /**
     * @notice The screening views answered from the record slot; every other call (and plain value) runs the
     * implementation.
     */
    // solhint-disable-next-line no-complex-fallback
    fallback() external payable override {
        // Scratch memory from 0: control never returns to Solidity code after a fast answer.
        assembly {
            // The record of the wallet in the first argument, as the implementation would decode it.
            function record() -> r {
                let wallet := calldataload(4)
                if or(or(callvalue(), lt(calldatasize(), 0x24)), shr(160, wallet)) { revert(0, 0) }
                mstore(0, wallet)
                mstore(0x20, RECORDS_LOCATION)
                r := sload(keccak256(0, 0x40))
            }
            function unexpired(r) -> yes {
                yes := gt(and(shr(RECORD_EXPIRY_SHIFT, r), 0xffffffffff), timestamp())
            }
            // KYC and AML set, sanctions clear (and, for accredited, FLAG_ACCREDITED set).
            function holds(r, flags) -> yes {
                let mask := or(shl(RECORD_FLAGS_SHIFT, flags), shl(RECORD_SANCTIONED_SHIFT, 1))
                yes := and(eq(and(r, mask), shl(RECORD_FLAGS_SHIFT, flags)), unexpired(r))
            }
            // The hottest first: each miss costs the calls after it a comparison.
            switch shr(224, calldataload(0))
            case 0xb9209e33 {
                // isVerified(address)
                mstore(0, holds(record(), 3))
                return(0, 0x20)
            }
            case 0xdf592f7d {
                // isSanctioned(address)
                mstore(0, and(shr(RECORD_SANCTIONED_SHIFT, record()), 1))
                return(0, 0x20)
            }
            case 0xc06ac6a3 {
                // recordOf(address): ((investorId, country, flags, expiry), sanctioned)
                let r := record()
                mstore(0x00, and(r, 0xffffffffffffffffffffffffffffffff))
                mstore(0x20, and(shr(RECORD_COUNTRY_SHIFT, r), 0xffff))
                mstore(0x40, and(shr(RECORD_FLAGS_SHIFT, r), 0xff))
                mstore(0x60, and(shr(RECORD_EXPIRY_SHIFT, r), 0xffffffffff))
                mstore(0x80, and(shr(RECORD_SANCTIONED_SHIFT, r), 1))
                return(0, 0xa0)
            }
            case 0x62a6f511 {
                // investorIdOf(address)
                mstore(0, and(record(), 0xffffffffffffffffffffffffffffffff))
                return(0, 0x20)
            }
            case 0x2d598d7b {
                // isAccredited(address)
                mstore(0, holds(record(), 7))
                return(0, 0x20)
            }
            case 0x7e42683b {
                // investorCountry(address)
                mstore(0, and(shr(RECORD_COUNTRY_SHIFT, record()), 0xffff))
                return(0, 0x20)
            }
        }
        _delegateGuarded();
    }

    /// @dev Delegates the call; if it changed the implementation (an upgrade), the new one must keep the layout.
    function _delegateGuarded() private {
        bytes32 slot = ERC1967Utils.IMPLEMENTATION_SLOT;
        bytes32 layout = RECORD_LAYOUT_ID;
        bytes4 mismatch = RecordLayoutMismatch.selector;
        // Memory from 0: control never returns to Solidity code after this block.
        assembly {
            let implementation := sload(slot)
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), implementation, 0, calldatasize(), 0, 0)
            let size := returndatasize()
            returndatacopy(0, 0, size)
            if iszero(ok) { revert(0, size) }
            let upgraded := sload(slot)
            if iszero(eq(upgraded, implementation)) {
                // Asked past the return data, which is kept for the answer.
                let question := add(size, 0x20)
                mstore(question, 0x90ec52eb) // recordLayout(), in the word's last 4 bytes
                let asked := staticcall(gas(), upgraded, add(question, 0x1c), 4, question, 0x20)
                if iszero(and(and(asked, iszero(lt(returndatasize(), 0x20))), eq(mload(question), layout))) {
                    mstore(0, mismatch)
                    mstore(4, upgraded)
                    revert(0, 0x24)
                }
            }
            return(0, size)
        }
    }

    /// @dev Reverts with {RecordLayoutMismatch} unless `implementation` keeps the record layout this proxy reads.
    function _requireRecordLayout(address implementation) private view {
        try IComplianceRecordLayout(implementation).recordLayout() returns (bytes32 layout) {
            if (layout == RECORD_LAYOUT_ID) return;
        } catch {}
        revert RecordLayoutMismatch(implementation);
    }
}
