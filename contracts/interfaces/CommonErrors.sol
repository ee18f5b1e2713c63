// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice An address argument that must not be zero was zero. Declared once for the whole suite: every
/// contract that refuses a zero address imports this one.
error ZeroAddress();
