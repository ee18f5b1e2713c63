// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAgentRole
/// @notice ERC-3643's agent interface (T-REX's `AgentRole`), as other ERC-3643 software asks it of a token
/// (T-REX's DvD and DvA managers among them).
interface IAgentRole {
    /// @notice Emitted when `_agent` is made an agent.
    event AgentAdded(address indexed _agent);
    /// @notice Emitted when `_agent` stops being an agent.
    event AgentRemoved(address indexed _agent);

    /// @notice Makes `_agent` an agent of the token (owner only).
    function addAgent(address _agent) external;
    /// @notice Takes the agent powers from `_agent` (owner only).
    function removeAgent(address _agent) external;
    /// @notice Whether `_agent` is an agent of the token.
    function isAgent(address _agent) external view returns (bool);
}
