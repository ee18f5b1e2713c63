// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PropertyToken} from "../property/PropertyToken.sol";

/// @notice Test-only: a second PropertyToken implementation, to check that one beacon upgrade moves every
/// property. Same storage, one extra function.
contract PropertyTokenV2Mock is PropertyToken {
    constructor(address dividendToken_, address defaultIdentityRegistry_)
        PropertyToken(dividendToken_, defaultIdentityRegistry_)
    {}

    /// @notice Tells the upgraded implementation apart.
    function upgradeMarker() external pure returns (uint256) {
        return 2;
    }
}
