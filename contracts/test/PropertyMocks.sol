// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {PropertyToken} from "../property/PropertyToken.sol";
import {IComplianceModule} from "../interfaces/IPropertyCompliance.sol";

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

/// @notice Test-only: a PropertyToken implementation from before {PropertyToken-screenMint}: it refuses the question
/// as an implementation without the function does (an empty revert), so an offering asks the older views one by one.
contract PropertyTokenWithoutMintScreen is PropertyToken {
    constructor(address dividendToken_, address defaultIdentityRegistry_)
        PropertyToken(dividendToken_, defaultIdentityRegistry_)
    {}

    /// @notice Refused, as by an implementation that lacks it.
    function screenMint(address) external pure override returns (uint256, address) {
        assembly {
            revert(0, 0)
        }
    }
}

/// @notice Test-only: a stablecoin that keeps 1% of every transfer (fee-on-transfer), anyone may mint.
contract FeeOnTransferStablecoin is ERC20 {
    constructor() ERC20("Fee USD", "fUSD") {}

    /// @notice 6 decimals, as USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/**
 * @notice Test-only: an external compliance module whose behaviour the test chooses: allow, refuse,
 * revert, burn all its gas, or answer garbage. Counts the hooks it is told of, per calling compliance.
 */
contract ComplianceModuleMock is IComplianceModule {
    enum Mode {
        Allow,
        Refuse,
        Revert,
        BurnGas,
        Garbage,
        RevertHooks
    }

    /// @notice How the module answers.
    Mode public mode;
    /// @notice A wallet refused as receiver even in Allow mode (zero: none).
    address public blocked;
    /// @notice Hooks received, per compliance: transferred, created, destroyed.
    mapping(address compliance => uint256[3]) private _hooks;

    /// @notice Sets how the module answers.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Refuses `wallet` as a receiver.
    function setBlocked(address wallet) external {
        blocked = wallet;
    }

    /// @notice The hooks `compliance` told this module of: transferred, created, destroyed.
    function hooks(address compliance) external view returns (uint256 transfers, uint256 mints, uint256 burns) {
        uint256[3] storage h = _hooks[compliance];
        return (h[0], h[1], h[2]);
    }

    /// @inheritdoc IComplianceModule
    function checkTransfer(address, address to, uint256) external view returns (bool) {
        Mode m = mode;
        if (m == Mode.Refuse) return false;
        if (m == Mode.Revert) revert("module says no");
        if (m == Mode.BurnGas) {
            uint256 i;
            while (gasleft() > 0) ++i;
        }
        if (m == Mode.Garbage) {
            assembly {
                mstore(0, 7)
                return(0, 0x20)
            }
        }
        return to != blocked;
    }

    /// @inheritdoc IComplianceModule
    function transferred(address, address, uint256) external {
        _hook(0);
    }

    /// @inheritdoc IComplianceModule
    function created(address, uint256) external {
        _hook(1);
    }

    /// @inheritdoc IComplianceModule
    function destroyed(address, uint256) external {
        _hook(2);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IComplianceModule).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function _hook(uint256 kind) private {
        if (mode == Mode.RevertHooks) revert("hook says no");
        ++_hooks[msg.sender][kind];
    }
}

/// @notice Test-only: the cheapest external module (always allows, ignores hooks), to measure the overhead.
contract NoopComplianceModule is IComplianceModule {
    /// @inheritdoc IComplianceModule
    function checkTransfer(address, address, uint256) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc IComplianceModule
    function transferred(address, address, uint256) external {}

    /// @inheritdoc IComplianceModule
    function created(address, uint256) external {}

    /// @inheritdoc IComplianceModule
    function destroyed(address, uint256) external {}

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IComplianceModule).interfaceId || interfaceId == type(IERC165).interfaceId;
    }
}

/**
 * @notice Test-only: an external module that reads the token in its hooks, as T-REX modules do, and may try
 * to re-enter it: in `transferred` it spends an allowance the sender gave it (`take` tokens to `payee`).
 * It records what it saw, and how the re-entry ended, instead of reverting (in one slot: hooks get bounded gas).
 */
contract TokenReadingModule is IComplianceModule {
    /// @notice What the last hook saw: the two parties' balances (0 for the zero address), and the hooks so far.
    struct Seen {
        uint96 sender;
        uint96 receiver;
        uint64 hooks;
    }

    /// @notice The token whose balances the hooks read.
    IERC20 public immutable token;
    /// @notice How much a `transferred` hook tries to take from the sender through `transferFrom` (0: none).
    uint96 public take;
    /// @notice Who receives what the hook takes.
    address public payee;
    /// @notice What the last hook saw.
    Seen public seen;
    /// @notice The revert data of the last re-entry (empty: it succeeded, or none was tried).
    bytes public reentryError;

    constructor(IERC20 token_) {
        token = token_;
    }

    /// @notice Makes the next `transferred` hooks try to take `amount` of the sender's tokens for `payee_`.
    function setTake(uint96 amount, address payee_) external {
        take = amount;
        payee = payee_;
    }

    /// @inheritdoc IComplianceModule
    function checkTransfer(address, address, uint256) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc IComplianceModule
    function transferred(address from, address to, uint256) external {
        _see(from, to);
        if (take != 0) {
            try token.transferFrom(from, payee, take) {}
            catch (bytes memory reason) {
                reentryError = reason;
            }
        }
    }

    /// @inheritdoc IComplianceModule
    function created(address to, uint256) external {
        _see(address(0), to);
    }

    /// @inheritdoc IComplianceModule
    function destroyed(address from, uint256) external {
        _see(from, address(0));
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IComplianceModule).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function _see(address from, address to) private {
        seen = Seen({
            sender: from == address(0) ? 0 : uint96(token.balanceOf(from)),
            receiver: to == address(0) ? 0 : uint96(token.balanceOf(to)),
            hooks: seen.hooks + 1
        });
    }
}
