// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Multicall3
/// @notice The part of Multicall3 (the batching contract at 0xcA11bde05977b3631167028862bE2a173976CA11 on
/// public chains) that the toolkit uses, with the same ABI, so `rwa status` and `rwa deploy --plan` read a whole
/// deployment in one `eth_call`. Public chains already have the canonical contract; on local chains the engine
/// puts this one's runtime code at the canonical address (`anvil_setCode`), as nothing is downloaded at run time.
/// @dev Stateless and ownerless. `aggregate3` is payable only to keep the canonical ABI; it forwards no value.
contract Multicall3 {
    /// @notice One call of a batch.
    /// @param target The contract called.
    /// @param allowFailure Whether the batch goes on when this call reverts.
    /// @param callData The calldata sent to `target`.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    /// @notice What one call of a batch gave.
    /// @param success Whether the call returned (false: it reverted).
    /// @param returnData Its return data, or its revert data when it reverted.
    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call that did not allow failure reverted.
    /// @param index Its position in the batch.
    /// @param returnData Its revert data.
    error CallFailed(uint256 index, bytes returnData);

    /// @notice Make every call in order and return each outcome; a failing call reverts the whole batch
    /// unless it allows failure.
    /// @param calls The calls.
    /// @return returnData One result per call, in the order of `calls`.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        uint256 length = calls.length;
        returnData = new Result[](length);
        for (uint256 i = 0; i < length; ++i) {
            Call3 calldata call = calls[i];
            (bool success, bytes memory data) = call.target.call(call.callData);
            if (!success && !call.allowFailure) revert CallFailed(i, data);
            returnData[i] = Result(success, data);
        }
    }

    /// @notice The number of the current block.
    /// @return blockNumber `block.number`.
    function getBlockNumber() external view returns (uint256 blockNumber) {
        blockNumber = block.number;
    }

    /// @notice The ether balance of an address.
    /// @param addr The address.
    /// @return balance Its balance in wei.
    function getEthBalance(address addr) external view returns (uint256 balance) {
        balance = addr.balance;
    }
}
