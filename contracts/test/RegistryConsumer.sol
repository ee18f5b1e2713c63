// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";

/**
 * @title RegistryConsumer
 * @notice Test and benchmark helper: calls {IComplianceRegistry-isVerified} the way a token or deal
 * contract would, and reports the gas the call cost the caller (CALL, proxy, and lookup; with a DELEGATECALL
 * behind a plain UUPSProxy, none behind the suite's ComplianceRegistryProxy).
 * @dev The functions are `view` (they change nothing) but can equally be sent as transactions. Under
 * `eth_call` every call starts with cold accounts and slots, exactly as a fresh transaction would.
 */
contract RegistryConsumer {
    /// @notice The registry (its proxy) being measured.
    IComplianceRegistry public immutable registry;

    /// @param registry_ The registry (its proxy) to call.
    constructor(IComplianceRegistry registry_) {
        registry = registry_;
    }

    /**
     * @notice Calls `isVerified(wallet)` once, cold: the registry proxy, its implementation and the
     * wallet's record have not been touched earlier in the transaction.
     * @param wallet The wallet looked up.
     * @return verified What the registry answered.
     * @return gasUsed Gas spent by the call, as seen from this contract.
     */
    function measureIsVerified(address wallet) external view returns (bool verified, uint256 gasUsed) {
        uint256 before = gasleft();
        verified = registry.isVerified(wallet);
        gasUsed = before - gasleft();
    }

    /**
     * @notice Calls `isVerified(warmupWallet)` first, so the proxy, its implementation slot and the
     * implementation are warm, then measures `isVerified(wallet)`. Pass a different `wallet` to measure
     * a warm contract but a cold record (the usual case for a second transfer party), or the same
     * wallet to measure a fully warm lookup.
     * @param warmupWallet The wallet looked up first, unmeasured.
     * @param wallet The wallet whose lookup is measured.
     * @return verified What the registry answered for `wallet`.
     * @return gasUsed Gas spent by the measured call, as seen from this contract.
     */
    function measureIsVerifiedWarm(address warmupWallet, address wallet)
        external
        view
        returns (bool verified, uint256 gasUsed)
    {
        registry.isVerified(warmupWallet);
        uint256 before = gasleft();
        verified = registry.isVerified(wallet);
        gasUsed = before - gasleft();
    }
}
