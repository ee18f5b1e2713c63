// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev A property token's custodian role: a contract that holds tokens for investors it delivers them to later (a
 * primary offering between its close and its claims). Granted by the token's admin (`DEFAULT_ADMIN_ROLE`, through
 * the usual proposal) with `grantRole`, given up with `renounceRole`, kept in AccessControl's own storage.
 *
 * A custodian is not an investor: it is not registered in the identity registry (so it counts under investor id 0,
 * outside max-balance and max-holders, as a mint's source does). The token lets it receive a mint and send a
 * transfer although the registry does not verify it; the receiver of its transfers faces every rule. The compliance
 * exempts it from the rules about the custodian's own standing (country and accreditation when it receives a mint,
 * the lockup when it sends) and hands its lock on to whoever it sends to. Both are asked only on the paths that
 * would otherwise refuse, so no ordinary transfer or mint pays for it.
 */
bytes32 constant CUSTODIAN_ROLE = keccak256("CUSTODIAN_ROLE");
