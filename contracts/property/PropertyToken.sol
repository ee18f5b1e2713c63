// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC3643} from "../interfaces/IERC3643.sol";
import {IAgentRole} from "../interfaces/IAgentRole.sol";
import {IComplianceRegistry, IIdentityRegistryView} from "../interfaces/IComplianceRegistry.sol";
import {IPropertyCompliance, IComplianceAwareToken, IComplianceErrors} from "../interfaces/IPropertyCompliance.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";
import {
    IMintScreen,
    MINT_SCREEN_PAUSED,
    MINT_SCREEN_VERIFIED,
    MINT_SCREEN_FROZEN,
    MINT_SCREEN_COMPLIANCE
} from "../interfaces/IMintScreen.sol";
import {CUSTODIAN_ROLE} from "../interfaces/Custody.sol";

/// @dev The registry's full-record view, used only to name the reason a wallet is refused.
interface IComplianceRecords {
    function recordOf(address wallet)
        external
        view
        returns (IComplianceRegistry.Attestation memory attestation, bool sanctioned);
}

/// @dev What the token needs from its dividend distributor.
interface IDividendVault {
    function token() external view returns (address);
    function stablecoin() external view returns (address);
    function handOver(address successor) external;
    function refreshAllowance() external;
}

/**
 * @title PropertyToken
 * @notice An ERC-3643 permissioned token for one tokenized property. Only wallets the suite's
 * {IComplianceRegistry} verifies (KYC and AML, not sanctioned, not expired) may send, receive or spend
 * it; the property's {ModularCompliance} adds per-property rules; rent deposited in the property's
 * {DividendDistributor} is claimable pro rata to balances at deposit time.
 *
 * @dev Deployed behind a beacon proxy by {PropertyTokenFactory}; ERC-7201 namespaced storage.
 *
 * Gas: each wallet's balance, freeze flags and dividend correction share ONE storage slot
 * (`{uint96 balance; uint8 flags; int152 correction}`), so an ordinary transfer writes two slots; the
 * amount of partially frozen tokens lives apart and is read only for wallets whose flag says they
 * have some; the compliance contract is called only when it has modules.
 *
 * Compliance in T-REX's order: the rules are checked before balances move and the compliance (and through it
 * every external module) is told after, so a module reading the token in a hook sees the new balances. While
 * the token calls out to its compliance for a notification, every state-changing entry point refuses
 * ({ReentrantCall}, a transient flag); the checking call itself calls out only with STATICCALL.
 *
 * Dividends use dividends-per-share accounting kept beside the balances, so that the token never
 * calls out on a transfer: `dividendsPerShare` grows by `amount * 2^96 / totalSupply` on each
 * deposit, and each balance change adjusts the wallet's correction so that its entitlement
 * `(dividendsPerShare * balance >> 64) + correction` (in units of 2^-32 wei) is unchanged. Every
 * rounding goes against the holder, so the claims can never exceed the deposits; each holder loses
 * less than one wei in total. Holders claim here ({claimDividends}), which pays them straight from
 * the distributor's funds: one call fewer than claiming through the distributor. `dividendsPerShare`
 * (below 2^160, {MAX_DIVIDENDS_PER_SHARE}) shares slot 0 with the flags, so a transfer reads one configuration slot. Frozen
 * tokens and frozen wallets keep earning; a frozen wallet cannot claim until it is unfrozen.
 *
 * Rent for decades: `dividendsPerShare * totalSupply` stays below 2^215 ({MAX_DIVIDENDS_TIMES_SUPPLY}, checked by
 * each deposit and each mint), so `dividendsPerShare * balance` fits every correction (int152, 2^-32 wei) for
 * every balance. At a constant supply of `S` units, lifetime deposits of up to min(2^64 * S, 2^119) stablecoin
 * units are accepted: with one whole token of 0 decimals (S = 1), 1.8 * 10^19 units (1.8 * 10^13 USDC); with more
 * supply, more. A mint that would take `dividendsPerShare * totalSupply` past the bound is refused
 * ({SupplyOverflow} names the largest supply allowed). Claims are exact to one unit per holder: a deposit rounds a
 * holder down by less than `balance / 2^96` units and a balance change by less than 2^-32 units, so a holder of 10^6
 * whole tokens of 18 decimals (2^80 units) loses one unit only after some 65,000 deposits.
 *
 * Custodians ({CUSTODIAN_ROLE}, granted by the admin; see contracts/interfaces/Custody.sol): a contract holding
 * tokens for investors it delivers them to later, such as a primary offering between its close and its claims.
 * A mint to one is allowed although the registry does not verify it, and marks its account; a marked account
 * sends without its own verification (every receiver faces every rule) and never receives a transfer. Both are
 * asked only where an ordinary mint or transfer would refuse or a flagged account sends, so neither costs
 * anything more.
 *
 * Roles (granular, instead of ERC-3643's single agent): `DEFAULT_ADMIN_ROLE` (owner setters and
 * unpause), `MINTER_ROLE`, `BURNER_ROLE`, `FREEZER_ROLE`, `FORCED_TRANSFER_ROLE`, `RECOVERY_ROLE`,
 * `PAUSER_ROLE` (pause only: a pause needs no delay, lifting it goes through the owner's timelock).
 * ERC-3643's agent interface ({IAgentRole}) sits on top: {addAgent} grants all six agent roles, {removeAgent}
 * revokes them, and {isAgent} answers whether an account holds `FORCED_TRANSFER_ROLE`, the power to move any
 * holder's tokens, which bounds whatever other ERC-3643 software lets a token's agent do.
 */
contract PropertyToken is
    IERC3643,
    IAgentRole,
    IERC20Errors,
    IComplianceErrors,
    IComplianceAwareToken,
    IMintScreen,
    Initializable,
    AccessControlUpgradeable
{
    using SafeERC20 for IERC20;

    /// @notice Role allowed to mint.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    /// @notice Role allowed to burn.
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");
    /// @notice Role allowed to freeze and unfreeze wallets and tokens.
    bytes32 public constant FREEZER_ROLE = keccak256("FREEZER_ROLE");
    /// @notice Role allowed to force transfers.
    bytes32 public constant FORCED_TRANSFER_ROLE = keccak256("FORCED_TRANSFER_ROLE");
    /// @notice Role allowed to recover lost wallets.
    bytes32 public constant RECOVERY_ROLE = keccak256("RECOVERY_ROLE");
    /// @notice Role allowed to pause (lifting a pause is the owner's, through the timelock).
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Largest number of entries a batch function accepts.
    uint256 public constant MAX_BATCH = 100;
    /// @notice Largest total supply (balances are stored as uint96).
    uint256 public constant MAX_SUPPLY = type(uint96).max;
    /// @notice Bound on `dividendsPerShare` (scaled by 2^96): it is stored in 160 bits.
    uint256 public constant MAX_DIVIDENDS_PER_SHARE = 1 << 160;
    /// @notice Bound on `dividendsPerShare * totalSupply`: below it, `(dividendsPerShare * balance) >> 64` stays
    /// below 2^151 for every balance, so every dividend correction fits its int152.
    uint256 public constant MAX_DIVIDENDS_TIMES_SUPPLY = 1 << 215;

    string private constant _VERSION = "1.1.0"; // 1.1.0: custodians (CUSTODIAN_ROLE)

    uint256 private constant _AGENT_ROLE_COUNT = 6; // MINTER_ROLE .. PAUSER_ROLE, bits 0-5 of `agentRoles`
    uint8 private constant _ALL_AGENT_ROLES = 63;
    uint8 private constant _MINTER_BIT = 1; // MINTER_ROLE's bit of `agentRoles` (see {_agentBit})
    uint8 private constant _FLAG_FROZEN = 1; // the wallet is frozen
    uint8 private constant _FLAG_PARTIAL = 2; // the wallet has partially frozen tokens
    uint8 private constant _FLAG_CUSTODY = 4; // a custodian's wallet: it sends what it holds for investors (see below)
    uint256 private constant _DPS_SHIFT = 96; // dividendsPerShare = sum(amount << 96 / supply)
    uint256 private constant _ENTITLEMENT_SHIFT = 64; // entitlement units: wei << 32
    uint256 private constant _WEI_SHIFT = 32;
    uint256 private constant _ROUND_UP = (1 << _ENTITLEMENT_SHIFT) - 1;
    // An account's word (see {Account} and {_store}): balance in bits 0-95, flags 96-103, correction 104-255.
    uint256 private constant _FLAGS_SHIFT = 96;
    uint256 private constant _CORRECTION_SHIFT = 104;
    uint256 private constant _BALANCE_AND_FLAGS = (1 << _CORRECTION_SHIFT) - 1;
    // {PropertyTokenStorage}'s slot 2: distributor (bits 0-159), totalSupply (160-255).
    uint256 private constant _SUPPLY_SLOT = 2;
    uint256 private constant _SUPPLY_SHIFT = 160;
    uint256 private constant _ADDRESS_MASK = (1 << 160) - 1;
    // Bit offsets of slot 0's flags (see {PropertyTokenStorage}).
    uint256 private constant _PAUSED_BIT = 160;
    uint256 private constant _ACTIVE_BIT = 168;
    uint256 private constant _OVERRIDDEN_BIT = 176;

    /// @dev One wallet, in one slot.
    struct Account {
        uint96 balance;
        uint8 flags;
        int152 correction;
    }

    /// @notice What a new token is initialized with.
    struct TokenConfig {
        string name;
        string symbol;
        uint8 decimals;
        address identityRegistry;
        address compliance;
        address distributor;
        address onchainID;
    }

    /// @notice Who gets which role at initialization (zero addresses are skipped).
    struct Agents {
        address minter;
        address burner;
        address freezer;
        address forcedTransfer;
        address recovery;
        address pauser;
    }

    /// @custom:storage-location erc7201:rwa.storage.PropertyToken
    struct PropertyTokenStorage {
        // slot 0: everything an ordinary transfer reads (dividendsPerShare below 2^160, see {distributeDividends})
        uint160 dividendsPerShare;
        bool paused;
        bool complianceActive;
        bool registryOverridden;
        // slot 1
        address compliance;
        uint8 decimals;
        // slot 2
        address distributor;
        uint96 totalSupply;
        // slot 3: read only when `registryOverridden`; otherwise {defaultIdentityRegistry}
        IComplianceRegistry registry;
        address onchainID;
        string name;
        string symbol;
        mapping(address wallet => Account) accounts;
        mapping(address wallet => uint256) frozenTokens;
        mapping(address owner => mapping(address spender => uint256)) allowances;
        mapping(address agent => uint8 roles) agentRoles;
    }

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.PropertyToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant PropertyTokenStorageLocation =
        0xd4737aa09f69e2ca8119986beec815a9c452f22a63b739f1f9a3db0267c9f100;
    // Transient (EIP-1153): non-zero while the token is calling its compliance, which may call external modules.
    // uint256(keccak256("rwa.transient.PropertyToken.complianceCall")) - 1
    uint256 private constant _COMPLIANCE_CALL_SLOT =
        0xd3aa1dddb107b032fc91462bd51800936b57e29cd03fc15b872b058a3ea636e4;

    /// @notice Emitted when a deposit raises the dividends per share.
    event DividendsDistributed(uint256 amount, uint256 dividendsPerShare);
    /// @notice Emitted when a holder claims dividends.
    event DividendsClaimed(address indexed holder, uint256 amount);
    /// @notice Emitted when the dividend distributor (and its stablecoin) is set.
    event DividendDistributorSet(address indexed distributor, address indexed stablecoin);
    /// @notice Emitted when the compliance starts or stops having modules.
    event ComplianceEnforcementChanged(bool active);
    /// @notice Emitted with the {Transfer} of a forced transfer: tokens moved without the holder's consent, by `agent`.
    event ForcedTransfer(address indexed from, address indexed to, uint256 value, address indexed agent);

    error InvalidDecimals(uint8 decimals);
    error TokenPaused();
    error TokenNotPaused();
    error WalletNotVerified(address wallet);
    error WalletSanctioned(address wallet);
    error VerificationExpired(address wallet, uint40 expiry);
    error WalletFrozen(address wallet);
    error InsufficientFreeBalance(address wallet, uint256 free, uint256 needed);
    error FreezeExceedsBalance(address wallet, uint256 balance, uint256 frozen);
    error UnfreezeExceedsFrozen(address wallet, uint256 frozen, uint256 amount);
    error SupplyOverflow(uint256 supply, uint256 maxSupply);
    error BatchLengthMismatch(uint256 expected, uint256 actual);
    error BatchTooLarge(uint256 size, uint256 maxSize);
    error NothingToRecover(address lostWallet);
    error RecoveryInvestorMismatch(address lostWallet, address newWallet);
    error UnauthorizedCaller(address caller);
    error ComplianceNotBound(address compliance);
    error DistributorNotBound(address distributor);
    error NoSupply();
    error DividendsPerShareOverflow();
    error NothingToClaim(address holder);
    error EmptyName();
    error EmptySymbol();
    /// @notice The token was called back while it was calling its compliance (a module's hook re-entering it).
    error ReentrantCall();
    /// @notice {addAgent} of an account that already holds every agent role.
    error AlreadyAgent(address agent);
    /// @notice {removeAgent} of an account that holds no agent role.
    error NotAgent(address agent);

    /// @dev Refuses every state-changing entry while the token is calling its compliance: checks before the
    /// movement and notifications after it (T-REX's order) must not be interleaved with another movement.
    modifier notInComplianceCall() {
        _requireNoComplianceCall();
        _;
    }

    function _getStorage() private pure returns (PropertyTokenStorage storage $) {
        assembly {
            $.slot := PropertyTokenStorageLocation
        }
    }

    /// @notice The stablecoin dividends are paid in: one per network, shared by every property, so that
    /// a claim reads it from the code rather than from storage.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable dividendToken;

    /// @notice The suite's ComplianceRegistry: every token's identity registry unless its owner sets another.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable defaultIdentityRegistry;

    /// @param dividendToken_ The network's rent stablecoin.
    /// @param defaultIdentityRegistry_ The suite's ComplianceRegistry.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address dividendToken_, address defaultIdentityRegistry_) {
        if (dividendToken_ == address(0) || defaultIdentityRegistry_ == address(0)) revert ZeroAddress();
        dividendToken = dividendToken_;
        defaultIdentityRegistry = defaultIdentityRegistry_;
        _disableInitializers();
    }

    /**
     * @notice Initializes the token behind its proxy.
     * @dev The compliance and distributor may not exist yet (the factory predicts their CREATE2
     * addresses); the token trusts the addresses it is given. Compliance starts with no modules.
     * @param config Name, symbol, decimals (≤ 18), identity registry (zero: the default), compliance,
     * distributor (may be zero), ONCHAINID.
     * @param admin Receives `DEFAULT_ADMIN_ROLE` (the owner: the timelock).
     * @param agents Receive the operational roles.
     */
    function initialize(TokenConfig calldata config, address admin, Agents calldata agents) external initializer {
        if (admin == address(0) || config.compliance == address(0)) revert ZeroAddress();
        if (config.decimals > 18) revert InvalidDecimals(config.decimals);
        _requireNameAndSymbol(config.name, config.symbol);
        PropertyTokenStorage storage $ = _getStorage();
        $.name = config.name;
        $.symbol = config.symbol;
        $.decimals = config.decimals;
        address registry = config.identityRegistry;
        if (registry == address(0)) registry = defaultIdentityRegistry;
        else if (registry != defaultIdentityRegistry) _overrideRegistry($, registry);
        $.compliance = config.compliance;
        $.onchainID = config.onchainID;
        if (config.distributor != address(0)) {
            $.distributor = config.distributor;
            emit DividendDistributorSet(config.distributor, dividendToken);
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantAgent(MINTER_ROLE, agents.minter);
        _grantAgent(BURNER_ROLE, agents.burner);
        _grantAgent(FREEZER_ROLE, agents.freezer);
        _grantAgent(FORCED_TRANSFER_ROLE, agents.forcedTransfer);
        _grantAgent(RECOVERY_ROLE, agents.recovery);
        _grantAgent(PAUSER_ROLE, agents.pauser);
        emit IdentityRegistryAdded(registry);
        emit ComplianceAdded(config.compliance);
        emit UpdatedTokenInformation(config.name, config.symbol, config.decimals, _VERSION, config.onchainID);
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-20
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IERC20Metadata
    function name() external view returns (string memory) {
        return _getStorage().name;
    }

    /// @inheritdoc IERC20Metadata
    function symbol() external view returns (string memory) {
        return _getStorage().symbol;
    }

    /// @inheritdoc IERC20Metadata
    function decimals() external view returns (uint8) {
        return _getStorage().decimals;
    }

    /// @inheritdoc IERC20
    function totalSupply() external view returns (uint256) {
        return _getStorage().totalSupply;
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view returns (uint256) {
        return _getStorage().accounts[account].balance;
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _getStorage().allowances[owner][spender];
    }

    /**
     * @notice Approves `spender` to move up to `value` of the caller's tokens.
     * @dev The spender must itself be verified when it spends. Emits {Approval}.
     */
    function approve(address spender, uint256 value) external notInComplianceCall returns (bool) {
        address owner = msg.sender;
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _getStorage().allowances[owner][spender] = value;
        emit Approval(owner, spender, value);
        return true;
    }

    /**
     * @notice Transfers `value` tokens to `to`.
     * @dev Refused when paused, when either wallet is frozen, unverified, sanctioned or expired,
     * when the sender's unfrozen balance is too small, or when a compliance module refuses.
     */
    function transfer(address to, uint256 value) external notInComplianceCall returns (bool) {
        address from = msg.sender;
        _checkedTransfer(_getStorage(), from, to, value, from);
        return true;
    }

    /**
     * @notice Transfers `value` tokens from `from` to `to` on an allowance.
     * @dev As {transfer}, and the spender (the caller) must be verified and not frozen too.
     */
    function transferFrom(address from, address to, uint256 value) external notInComplianceCall returns (bool) {
        address spender = msg.sender;
        PropertyTokenStorage storage $ = _getStorage();
        if (spender != from && $.accounts[spender].flags & _FLAG_FROZEN != 0) revert WalletFrozen(spender);
        _spendAllowance(from, spender, value);
        _checkedTransfer($, from, to, value, spender);
        return true;
    }

    /**
     * @notice Transfers to each of `_toList` the amount at the same index, with the rules of {transfer}.
     * @dev All or nothing; at most {MAX_BATCH} entries.
     */
    function batchTransfer(address[] calldata _toList, uint256[] calldata _amounts) external notInComplianceCall {
        _checkBatch(_toList.length, _amounts.length);
        PropertyTokenStorage storage $ = _getStorage();
        address from = msg.sender;
        for (uint256 i; i < _toList.length; ++i) {
            _checkedTransfer($, from, _toList[i], _amounts[i], from);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Agents: mint, burn, forced transfer, recovery
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Mints `_amount` tokens to the verified, unfrozen wallet `_to`.
     * @dev Requires `MINTER_ROLE`. Compliance modules apply (supply cap, max balance, ...). Allowed while paused.
     */
    function mint(address _to, uint256 _amount) external notInComplianceCall {
        PropertyTokenStorage storage $ = _getStorage();
        // `onlyRole(MINTER_ROLE)`, read straight from the agent's role bits (see {hasRole}): the same refusal.
        if ($.agentRoles[msg.sender] & _MINTER_BIT == 0) revert AccessControlUnauthorizedAccount(msg.sender, MINTER_ROLE);
        _checkedMint($, _to, _amount);
    }

    /**
     * @notice Mints to each wallet of `_toList` the amount at the same index.
     * @dev Requires `MINTER_ROLE`. All or nothing; at most {MAX_BATCH} entries.
     */
    function batchMint(address[] calldata _toList, uint256[] calldata _amounts) external notInComplianceCall onlyRole(MINTER_ROLE) {
        _checkBatch(_toList.length, _amounts.length);
        PropertyTokenStorage storage $ = _getStorage();
        for (uint256 i; i < _toList.length; ++i) {
            _checkedMint($, _toList[i], _amounts[i]);
        }
    }

    /**
     * @notice Burns `_amount` of `_userAddress`'s tokens; frozen tokens are unfrozen as needed.
     * @dev Requires `BURNER_ROLE`. Emits {TokensUnfrozen} when frozen tokens are burned.
     */
    function burn(address _userAddress, uint256 _amount) external notInComplianceCall onlyRole(BURNER_ROLE) {
        _agentBurn(_getStorage(), _userAddress, _amount);
    }

    /**
     * @notice Burns from each wallet the amount at the same index.
     * @dev Requires `BURNER_ROLE`. All or nothing; at most {MAX_BATCH} entries.
     */
    function batchBurn(address[] calldata _userAddresses, uint256[] calldata _amounts)
        external
        notInComplianceCall onlyRole(BURNER_ROLE)
    {
        _checkBatch(_userAddresses.length, _amounts.length);
        PropertyTokenStorage storage $ = _getStorage();
        for (uint256 i; i < _userAddresses.length; ++i) {
            _agentBurn($, _userAddresses[i], _amounts[i]);
        }
    }

    /**
     * @notice Moves `_amount` tokens from `_from` to the verified wallet `_to` without the holder's consent.
     * @dev Requires `FORCED_TRANSFER_ROLE`. Ignores pause, freezes and compliance rules (compliance
     * still records the move); frozen tokens are unfrozen as needed.
     */
    function forcedTransfer(address _from, address _to, uint256 _amount)
        external
        notInComplianceCall
        onlyRole(FORCED_TRANSFER_ROLE)
        returns (bool)
    {
        _forcedTransfer(_getStorage(), _from, _to, _amount);
        return true;
    }

    /**
     * @notice Forced transfers, one per index.
     * @dev Requires `FORCED_TRANSFER_ROLE`. All or nothing; at most {MAX_BATCH} entries.
     */
    function batchForcedTransfer(
        address[] calldata _fromList,
        address[] calldata _toList,
        uint256[] calldata _amounts
    ) external notInComplianceCall
        onlyRole(FORCED_TRANSFER_ROLE) {
        _checkBatch(_fromList.length, _toList.length);
        _checkBatch(_fromList.length, _amounts.length);
        PropertyTokenStorage storage $ = _getStorage();
        for (uint256 i; i < _fromList.length; ++i) {
            _forcedTransfer($, _fromList[i], _toList[i], _amounts[i]);
        }
    }

    /**
     * @notice Moves everything of `_lostWallet` to `_newWallet`, a verified wallet of the same investor:
     * balance, frozen tokens, the wallet freeze, unclaimed dividends, and the compliance's per-wallet state
     * (lockup, investor tracking, external modules are told). The lost wallet ends frozen: a possibly
     * compromised wallet can neither send nor receive again until a freezer lifts it.
     * @dev Requires `RECOVERY_ROLE`. The registry must give both wallets the same investor id.
     * `_investorOnchainID` is what T-REX tools pass: the identity the registry reports for the lost wallet
     * (`identityRegistry().identity(_lostWallet)`), or zero to let the token look it up. Emits {Transfer},
     * {TokensUnfrozen}/{TokensFrozen} for frozen tokens carried over, {AddressFrozen} for the lost wallet (and for
     * the new one when it inherits a freeze), and {RecoverySuccess} with the registry's identity of the investor
     * (zero only from a registry that reports none), so indexers can join on it.
     */
    function recoveryAddress(address _lostWallet, address _newWallet, address _investorOnchainID)
        external
        notInComplianceCall
        onlyRole(RECOVERY_ROLE)
        returns (bool)
    {
        PropertyTokenStorage storage $ = _getStorage();
        Account memory lost = $.accounts[_lostWallet];
        if (lost.balance == 0) revert NothingToRecover(_lostWallet);
        if (_newWallet == address(0) || _newWallet == _lostWallet) revert ERC20InvalidReceiver(_newWallet);
        IComplianceRegistry registry = _registry($);
        _requireVerified(registry, _newWallet);
        uint128 investorId = registry.investorIdOf(_lostWallet);
        address investorIdentity = _identityOf(registry, _lostWallet);
        if (
            investorId == 0 || registry.investorIdOf(_newWallet) != investorId
                || (_investorOnchainID != address(0) && _investorOnchainID != investorIdentity)
        ) revert RecoveryInvestorMismatch(_lostWallet, _newWallet);

        Account memory target = $.accounts[_newWallet];
        uint256 frozenCarried = lost.flags & _FLAG_PARTIAL != 0 ? $.frozenTokens[_lostWallet] : 0;
        if (frozenCarried != 0) {
            delete $.frozenTokens[_lostWallet];
            $.frozenTokens[_newWallet] += frozenCarried;
        }
        // Entitlements add up; the floor of a sum can exceed the sum of floors by one unit: take it back.
        int256 correction = int256(target.correction) + lost.correction;
        if ($.dividendsPerShare != 0) correction -= 1;
        $.accounts[_newWallet] = Account({
            balance: target.balance + lost.balance,
            flags: target.flags | lost.flags,
            correction: _toInt152(correction)
        });
        // The lost wallet keeps nothing but its freeze (no balance, no partial freeze, no entitlement).
        $.accounts[_lostWallet] = Account({balance: 0, flags: _FLAG_FROZEN, correction: 0});
        emit Transfer(_lostWallet, _newWallet, lost.balance);
        if (frozenCarried != 0) {
            emit TokensUnfrozen(_lostWallet, frozenCarried);
            emit TokensFrozen(_newWallet, frozenCarried);
        }
        if (lost.flags & _FLAG_FROZEN != 0 && target.flags & _FLAG_FROZEN == 0) {
            emit AddressFrozen(_newWallet, true, msg.sender);
        }
        emit AddressFrozen(_lostWallet, true, msg.sender);
        emit RecoverySuccess(_lostWallet, _newWallet, investorIdentity);
        // The compliance is told after the move, as of every movement (it follows the new wallet's balance).
        if ($.complianceActive) {
            _tellCompliance($, abi.encodeCall(IPropertyCompliance.recovered, (_lostWallet, _newWallet, lost.balance)));
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Agents: freezes and pause
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Freezes (`_freeze` true) or unfreezes a wallet: a frozen wallet neither sends nor receives.
     * @dev Requires `FREEZER_ROLE`. Emits {AddressFrozen}.
     */
    function setAddressFrozen(address _userAddress, bool _freeze) external notInComplianceCall onlyRole(FREEZER_ROLE) {
        _setAddressFrozen(_getStorage(), _userAddress, _freeze);
    }

    /**
     * @notice Freezes or unfreezes each wallet as told at the same index.
     * @dev Requires `FREEZER_ROLE`. At most {MAX_BATCH} entries.
     */
    function batchSetAddressFrozen(address[] calldata _userAddresses, bool[] calldata _freeze)
        external
        notInComplianceCall onlyRole(FREEZER_ROLE)
    {
        _checkBatch(_userAddresses.length, _freeze.length);
        PropertyTokenStorage storage $ = _getStorage();
        for (uint256 i; i < _userAddresses.length; ++i) {
            _setAddressFrozen($, _userAddresses[i], _freeze[i]);
        }
    }

    /**
     * @notice Freezes `_amount` more of the wallet's tokens; frozen tokens cannot be transferred.
     * @dev Requires `FREEZER_ROLE`. The frozen total may not exceed the balance. Emits {TokensFrozen}.
     */
    function freezePartialTokens(address _userAddress, uint256 _amount) external notInComplianceCall onlyRole(FREEZER_ROLE) {
        _freezePartial(_getStorage(), _userAddress, _amount);
    }

    /**
     * @notice Partially freezes each wallet by the amount at the same index.
     * @dev Requires `FREEZER_ROLE`. At most {MAX_BATCH} entries.
     */
    function batchFreezePartialTokens(address[] calldata _userAddresses, uint256[] calldata _amounts)
        external
        notInComplianceCall onlyRole(FREEZER_ROLE)
    {
        _checkBatch(_userAddresses.length, _amounts.length);
        PropertyTokenStorage storage $ = _getStorage();
        for (uint256 i; i < _userAddresses.length; ++i) {
            _freezePartial($, _userAddresses[i], _amounts[i]);
        }
    }

    /**
     * @notice Unfreezes `_amount` of the wallet's frozen tokens.
     * @dev Requires `FREEZER_ROLE`. Emits {TokensUnfrozen}.
     */
    function unfreezePartialTokens(address _userAddress, uint256 _amount) external notInComplianceCall onlyRole(FREEZER_ROLE) {
        _unfreezePartial(_getStorage(), _userAddress, _amount);
    }

    /**
     * @notice Partially unfreezes each wallet by the amount at the same index.
     * @dev Requires `FREEZER_ROLE`. At most {MAX_BATCH} entries.
     */
    function batchUnfreezePartialTokens(address[] calldata _userAddresses, uint256[] calldata _amounts)
        external
        notInComplianceCall onlyRole(FREEZER_ROLE)
    {
        _checkBatch(_userAddresses.length, _amounts.length);
        PropertyTokenStorage storage $ = _getStorage();
        for (uint256 i; i < _userAddresses.length; ++i) {
            _unfreezePartial($, _userAddresses[i], _amounts[i]);
        }
    }

    /**
     * @notice Stops ordinary transfers (agents may still mint, burn, force and recover).
     * @dev Requires `PAUSER_ROLE`. Emits {Paused}.
     */
    function pause() external notInComplianceCall onlyRole(PAUSER_ROLE) {
        PropertyTokenStorage storage $ = _getStorage();
        if ($.paused) revert TokenPaused();
        $.paused = true;
        emit Paused(msg.sender);
    }

    /**
     * @notice Resumes ordinary transfers.
     * @dev Requires `DEFAULT_ADMIN_ROLE` (the owner), not `PAUSER_ROLE`: a guardian alone cannot undo
     * a pause. Emits {Unpaused}.
     */
    function unpause() external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        PropertyTokenStorage storage $ = _getStorage();
        if (!$.paused) revert TokenNotPaused();
        $.paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-3643 agents (IAgentRole), on top of the fine-grained roles
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Makes `_agent` a full ERC-3643 agent: grants it every agent role it lacks (mint, burn, freeze,
     * forced transfer, recovery, pause; unpausing stays the owner's).
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {RoleGranted} per role granted, then {AgentAdded}.
     */
    function addAgent(address _agent) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_agent == address(0)) revert ZeroAddress();
        if (_getStorage().agentRoles[_agent] == _ALL_AGENT_ROLES) revert AlreadyAgent(_agent);
        for (uint256 i; i < _AGENT_ROLE_COUNT; ++i) {
            _grantRole(_agentRole(i), _agent);
        }
        emit AgentAdded(_agent);
    }

    /**
     * @notice Takes every agent role from `_agent`.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {RoleRevoked} per role revoked, then {AgentRemoved}.
     */
    function removeAgent(address _agent) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_getStorage().agentRoles[_agent] == 0) revert NotAgent(_agent);
        for (uint256 i; i < _AGENT_ROLE_COUNT; ++i) {
            _revokeRole(_agentRole(i), _agent);
        }
        emit AgentRemoved(_agent);
    }

    /// @notice Whether `_agent` holds `FORCED_TRANSFER_ROLE` (see the contract's notes on roles).
    function isAgent(address _agent) external view returns (bool) {
        return hasRole(FORCED_TRANSFER_ROLE, _agent);
    }

    // ---------------------------------------------------------------------------------------------
    // Owner setters
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Renames the token.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. The name cannot be empty. Emits {UpdatedTokenInformation}.
     */
    function setName(string calldata _name) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bytes(_name).length == 0) revert EmptyName();
        PropertyTokenStorage storage $ = _getStorage();
        $.name = _name;
        _emitTokenInformation($);
    }

    /**
     * @notice Changes the token symbol.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. The symbol cannot be empty. Emits {UpdatedTokenInformation}.
     */
    function setSymbol(string calldata _symbol) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bytes(_symbol).length == 0) revert EmptySymbol();
        PropertyTokenStorage storage $ = _getStorage();
        $.symbol = _symbol;
        _emitTokenInformation($);
    }

    /**
     * @notice Sets the token's own ONCHAINID (may be zero).
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {UpdatedTokenInformation}.
     */
    function setOnchainID(address _onchainID) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        PropertyTokenStorage storage $ = _getStorage();
        $.onchainID = _onchainID;
        _emitTokenInformation($);
    }

    /**
     * @notice Points the token at another identity registry (an {IComplianceRegistry}).
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {IdentityRegistryAdded}.
     */
    function setIdentityRegistry(address _identityRegistry) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_identityRegistry == address(0)) revert ZeroAddress();
        _overrideRegistry(_getStorage(), _identityRegistry);
        emit IdentityRegistryAdded(_identityRegistry);
    }

    /**
     * @notice Replaces the compliance contract; it must already be bound to this token.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Emits {ComplianceAdded}.
     */
    function setCompliance(address _compliance) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_compliance == address(0)) revert ZeroAddress();
        IPropertyCompliance c = IPropertyCompliance(_compliance);
        if (c.getTokenBound() != address(this)) revert ComplianceNotBound(_compliance);
        PropertyTokenStorage storage $ = _getStorage();
        $.compliance = _compliance;
        $.complianceActive = c.hasModules();
        emit ComplianceAdded(_compliance);
    }

    /**
     * @notice Replaces the dividend distributor; it must name this token and {dividendToken}.
     * @dev Requires `DEFAULT_ADMIN_ROLE`. Nothing is stranded: unclaimed dividends stay claimable, from the new
     * distributor, and the old one hands its funds over to it in the same call (all but its sweepable
     * rounding dust); an old distributor that cannot hand over refuses the switch. The new one approves
     * the token to pay claims. Emits {DividendDistributorSet} (and the old one's {HandedOver}).
     */
    function setDividendDistributor(address distributor_) external notInComplianceCall onlyRole(DEFAULT_ADMIN_ROLE) {
        if (distributor_ == address(0)) revert ZeroAddress();
        if (
            IDividendVault(distributor_).token() != address(this)
                || IDividendVault(distributor_).stablecoin() != dividendToken
        ) revert DistributorNotBound(distributor_);
        PropertyTokenStorage storage $ = _getStorage();
        address previous = $.distributor;
        $.distributor = distributor_;
        emit DividendDistributorSet(distributor_, dividendToken);
        if (previous != address(0) && previous != distributor_) IDividendVault(previous).handOver(distributor_);
        IDividendVault(distributor_).refreshAllowance();
    }

    /**
     * @notice Told by the bound compliance whether it has modules; the token calls it only when it has.
     * @dev Only the current compliance may call. Emits {ComplianceEnforcementChanged}.
     */
    function complianceModulesChanged(bool active) external notInComplianceCall {
        PropertyTokenStorage storage $ = _getStorage();
        if (msg.sender != $.compliance) revert UnauthorizedCaller(msg.sender);
        $.complianceActive = active;
        emit ComplianceEnforcementChanged(active);
    }

    // ---------------------------------------------------------------------------------------------
    // Dividends
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Records that `amount` of the stablecoin was deposited for the current holders, pro rata.
     * @dev Only the distributor, which holds the funds. O(1). Refused ({DividendsPerShareOverflow}) when
     * `dividendsPerShare` would reach {MAX_DIVIDENDS_PER_SHARE} (its storage) or `dividendsPerShare * totalSupply`
     * {MAX_DIVIDENDS_TIMES_SUPPLY}: below it, `dividendsPerShare * balance` stays within a correction (int152, in
     * units of 2^-32 wei) for every balance, so no later transfer can overflow (and a mint checks it). Emits
     * {DividendsDistributed}.
     * @return uncredited What of `amount` no holder can ever claim (the rounding down of the increment), in
     * units of 2^-96 wei (below the supply): the distributor adds it up and may sweep it once it makes wei.
     */
    function distributeDividends(uint256 amount) external notInComplianceCall returns (uint256 uncredited) {
        PropertyTokenStorage storage $ = _getStorage();
        if (msg.sender != $.distributor) revert UnauthorizedCaller(msg.sender);
        uint256 supply = $.totalSupply;
        if (supply == 0) revert NoSupply();
        // Above 2^119, `amount << 96` alone would exceed the bound (and could wrap).
        if (amount >= MAX_DIVIDENDS_TIMES_SUPPLY >> _DPS_SHIFT) revert DividendsPerShareOverflow();
        uint256 increment = (amount << _DPS_SHIFT) / supply;
        uint256 dps = $.dividendsPerShare + increment;
        if (dps >= MAX_DIVIDENDS_PER_SHARE || dps * supply >= MAX_DIVIDENDS_TIMES_SUPPLY) {
            revert DividendsPerShareOverflow();
        }
        $.dividendsPerShare = uint160(dps);
        // Holders' entitlements to this deposit sum to at most increment * supply / 2^96 (each rounds down).
        uncredited = (amount << _DPS_SHIFT) - increment * supply;
        emit DividendsDistributed(amount, dps);
    }

    /**
     * @notice Pays the caller every dividend it has not claimed yet, from the distributor's funds.
     * @dev A frozen wallet cannot claim, nor one the registry does not verify now (sanctioned, revoked,
     * expired): its dividends stay accrued and are paid once it is cleared. Emits {DividendsClaimed}.
     * @return amount What was paid, in stablecoin units.
     */
    function claimDividends() external notInComplianceCall returns (uint256 amount) {
        address holder = msg.sender;
        PropertyTokenStorage storage $ = _getStorage();
        Account storage account = $.accounts[holder];
        Account memory a = account;
        if (a.flags & _FLAG_FROZEN != 0) revert WalletFrozen(holder);
        amount = _claimable(a, $.dividendsPerShare);
        if (amount == 0) revert NothingToClaim(holder);
        _requireVerified(_registry($), holder);
        account.correction = _toInt152(int256(a.correction) - int256(amount << _WEI_SHIFT));
        emit DividendsClaimed(holder, amount);
        IERC20(dividendToken).safeTransferFrom($.distributor, holder, amount);
    }

    /// @notice What `holder` could claim now.
    function claimableDividendsOf(address holder) external view returns (uint256) {
        PropertyTokenStorage storage $ = _getStorage();
        return _claimable($.accounts[holder], $.dividendsPerShare);
    }

    /// @notice Dividends per token unit since issuance, scaled by 2^96.
    function dividendsPerShare() external view returns (uint256) {
        return _getStorage().dividendsPerShare;
    }

    /// @notice The distributor that holds this token's dividends.
    function dividendDistributor() external view returns (address) {
        return _getStorage().distributor;
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IERC3643
    function onchainID() external view returns (address) {
        return _getStorage().onchainID;
    }

    /// @inheritdoc IERC3643
    function version() external pure returns (string memory) {
        return _VERSION;
    }

    /// @inheritdoc IERC3643
    function identityRegistry() external view returns (address) {
        return address(_registry(_getStorage()));
    }

    /// @inheritdoc IERC3643
    function compliance() external view returns (address) {
        return _getStorage().compliance;
    }

    /// @notice Whether the token calls its compliance (it does when the compliance has modules).
    function complianceActive() external view returns (bool) {
        return _getStorage().complianceActive;
    }

    /// @inheritdoc IERC3643
    function paused() external view returns (bool) {
        return _getStorage().paused;
    }

    /**
     * @inheritdoc IMintScreen
     * @dev The mint asks all of it again. Its verification is the mint's own question ({_requireVerified}'s).
     */
    function screenMint(address to) external view virtual returns (uint256 flags, address registry) {
        PropertyTokenStorage storage $ = _getStorage();
        // Slot 0 once, as {_checkedMint}: paused, complianceActive, registryOverridden.
        uint256 word;
        assembly {
            word := sload($.slot)
        }
        registry = (word >> _OVERRIDDEN_BIT) & 1 != 0 ? address($.registry) : defaultIdentityRegistry;
        if ((word >> _PAUSED_BIT) & 1 != 0) flags = MINT_SCREEN_PAUSED;
        if ((word >> _ACTIVE_BIT) & 1 != 0) flags |= MINT_SCREEN_COMPLIANCE;
        if ($.accounts[to].flags & _FLAG_FROZEN != 0) flags |= MINT_SCREEN_FROZEN;
        bytes4 question = IComplianceRegistry.isVerified.selector;
        bool verified;
        assembly ("memory-safe") {
            mstore(0x00, question)
            mstore(0x04, to)
            let ok := staticcall(gas(), registry, 0x00, 0x24, 0x00, 0x20)
            verified := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0x00), 1))
        }
        if (verified) flags |= MINT_SCREEN_VERIFIED;
    }

    /// @inheritdoc IERC3643
    function isFrozen(address _userAddress) external view returns (bool) {
        return _getStorage().accounts[_userAddress].flags & _FLAG_FROZEN != 0;
    }

    /// @inheritdoc IERC3643
    function getFrozenTokens(address _userAddress) external view returns (uint256) {
        return _getStorage().frozenTokens[_userAddress];
    }

    /**
     * @notice Whether `account` has `role`.
     * @dev The six agent roles are kept as bits of one slot per agent (granting all six to one agent costs
     * one storage write); every other role, `DEFAULT_ADMIN_ROLE` included, is AccessControl's own.
     */
    function hasRole(bytes32 role, address account) public view virtual override returns (bool) {
        uint8 bit = _agentBit(role);
        if (bit == 0) return super.hasRole(role, account);
        return _getStorage().agentRoles[account] & bit != 0;
    }

    /// @inheritdoc AccessControlUpgradeable
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IERC3643).interfaceId || interfaceId == type(IERC20).interfaceId
            || interfaceId == type(IAgentRole).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /**
     * @dev Every balance change goes through here: balances, total supply, dividend corrections and the
     * {Transfer} event. Mints when `from` is zero, burns when `to` is zero. Checks nothing but amounts.
     */
    function _update(PropertyTokenStorage storage $, address from, address to, uint256 value) internal virtual {
        uint256 dps = $.dividendsPerShare;
        if (from == address(0)) {
            uint256 supply = uint256($.totalSupply) + value;
            if (supply > MAX_SUPPLY) revert SupplyOverflow(supply, MAX_SUPPLY);
            // Every balance's dividend correction must stay in range: see {MAX_DIVIDENDS_TIMES_SUPPLY}.
            if (dps != 0 && supply * dps >= MAX_DIVIDENDS_TIMES_SUPPLY) {
                revert SupplyOverflow(supply, (MAX_DIVIDENDS_TIMES_SUPPLY - 1) / dps);
            }
            $.totalSupply = uint96(supply);
        } else {
            Account storage sender = $.accounts[from];
            Account memory a = sender;
            if (a.balance < value) revert ERC20InsufficientBalance(from, a.balance, value);
            unchecked {
                a.balance -= uint96(value);
            }
            // Sending keeps what was earned: the correction rises by dps * value (rounded down).
            if (dps != 0) a.correction = _toInt152(int256(a.correction) + int256((dps * value) >> _ENTITLEMENT_SHIFT));
            _store(sender, a);
        }
        if (to == address(0)) {
            unchecked {
                $.totalSupply -= uint96(value);
            }
        } else {
            Account storage receiver = $.accounts[to];
            Account memory b = receiver;
            unchecked {
                // Cannot overflow: every balance is at most the total supply, itself at most MAX_SUPPLY.
                b.balance += uint96(value);
            }
            // Receiving earns nothing from the past: the correction falls by dps * value (rounded up).
            if (dps != 0) {
                b.correction =
                    _toInt152(int256(b.correction) - int256((dps * value + _ROUND_UP) >> _ENTITLEMENT_SHIFT));
            }
            _store(receiver, b);
        }
        emit Transfer(from, to, value);
    }

    /// @dev An ordinary transfer (or one leg of {batchTransfer}), with every check.
    function _checkedTransfer(
        PropertyTokenStorage storage $,
        address from,
        address to,
        uint256 value,
        address spender
    ) private {
        // Slot 0 once (the registry calls are static, so it cannot change before the compliance call):
        // dividendsPerShare (bits 0-159), paused (160), complianceActive (168), registryOverridden (176).
        uint256 word;
        assembly {
            word := sload($.slot)
        }
        if ((word >> _PAUSED_BIT) & 1 != 0) revert TokenPaused();
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        IComplianceRegistry registry =
            (word >> _OVERRIDDEN_BIT) & 1 != 0 ? $.registry : IComplianceRegistry(defaultIdentityRegistry);
        _requireVerified(registry, to);
        if (spender != from) _requireVerified(registry, spender);
        Account memory a = $.accounts[from];
        if (a.flags != 0) {
            _requireFlaggedSender(registry, from, a, value);
        } else {
            _requireVerified(registry, from);
        }
        if ($.accounts[to].flags & _FLAG_FROZEN != 0) revert WalletFrozen(to);
        if ((word >> _ACTIVE_BIT) & 1 == 0) return _update($, from, to, value);
        address target = $.compliance;
        // Checks before the movement, notifications after it (see {_moveThenNotify}). The question is written
        // past the free-memory pointer without moving it: no ABI encoder on the hottest path with modules.
        bytes4 question = IPropertyCompliance.enforceTransfer.selector;
        bool notify;
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, question)
            mstore(add(data, 0x04), registry)
            mstore(add(data, 0x24), from)
            mstore(add(data, 0x44), to)
            mstore(add(data, 0x64), value)
            if iszero(call(gas(), target, 0, data, 0x84, 0, 0x20)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
            notify := and(gt(returndatasize(), 0x1f), eq(mload(0), 1))
        }
        _moveThenNotify($, target, notify, from, to, value);
    }

    /**
     * @dev The sender's checks when its account has a flag: verified (unless it is a custodian's wallet, which sends
     * what it holds for investors: see {_requireVerifiedOrCustodian}), not frozen, and enough unfrozen tokens.
     */
    function _requireFlaggedSender(IComplianceRegistry registry, address from, Account memory a, uint256 value)
        private
        view
    {
        if (a.flags & _FLAG_CUSTODY == 0) _requireVerified(registry, from);
        if (a.flags & _FLAG_FROZEN != 0) revert WalletFrozen(from);
        if (a.flags & _FLAG_PARTIAL == 0) return;
        uint256 frozen = _getStorage().frozenTokens[from];
        uint256 free = a.balance > frozen ? a.balance - frozen : 0;
        if (value > free) revert InsufficientFreeBalance(from, free, value);
    }

    /**
     * @dev The movement after the compliance's check, then (when the check asked for it) the external modules are told
     * of it. The check needs no lock: it calls out only with STATICCALL (the registry, the token's views, the modules'
     * `checkTransfer`), where the EVM itself refuses any state change; the notification calls modules' hooks,
     * so the token refuses re-entry ({ReentrantCall}) until it returns.
     */
    function _moveThenNotify(
        PropertyTokenStorage storage $,
        address target,
        bool notify,
        address from,
        address to,
        uint256 value
    ) private {
        if (!notify) return _update($, from, to, value);
        _enterComplianceCall();
        _update($, from, to, value);
        // Encoded past the free-memory pointer, as the check (see {_checkedTransfer}).
        bytes4 notice = IPropertyCompliance.notifyModules.selector;
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, notice)
            mstore(add(data, 0x04), from)
            mstore(add(data, 0x24), to)
            mstore(add(data, 0x44), value)
            if iszero(call(gas(), target, 0, data, 0x64, 0, 0)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
        _leaveComplianceCall();
    }

    function _checkedMint(PropertyTokenStorage storage $, address to, uint256 value) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        // Slot 0 once, as {_checkedTransfer}: dividendsPerShare, complianceActive, registryOverridden.
        uint256 word;
        assembly {
            word := sload($.slot)
        }
        IComplianceRegistry registry =
            (word >> _OVERRIDDEN_BIT) & 1 != 0 ? $.registry : IComplianceRegistry(defaultIdentityRegistry);
        _requireVerifiedOrCustodian(registry, to);
        Account storage receiver = $.accounts[to];
        uint256 account;
        assembly {
            account := sload(receiver.slot)
        }
        if ((account >> _FLAGS_SHIFT) & _FLAG_FROZEN != 0) revert WalletFrozen(to);
        if ((word >> _ACTIVE_BIT) & 1 == 0) return _mintTo($, receiver, account, uint160(word), to, value);
        address target = $.compliance;
        bool notify =
            _callCompliance(target, abi.encodeCall(IPropertyCompliance.enforceMint, (address(registry), to, value)));
        _moveThenNotify($, target, notify, address(0), to, value);
    }

    /**
     * @dev {_update} of a mint that no compliance hears of, from the words {_checkedMint} has read: the receiver's
     * account (`account`, one slot) and slot 0's `dps`. The same supply bounds and the same dividend correction
     * (receiving earns nothing from the past: it falls by dps * value, rounded up), without reading them again.
     */
    function _mintTo(
        PropertyTokenStorage storage $,
        Account storage receiver,
        uint256 account,
        uint256 dps,
        address to,
        uint256 value
    ) private {
        // Slot 2 as one word: distributor (bits 0-159), totalSupply (160-255).
        uint256 slot2;
        assembly {
            slot2 := sload(add($.slot, _SUPPLY_SLOT))
        }
        uint256 supply = (slot2 >> _SUPPLY_SHIFT) + value;
        if (supply > MAX_SUPPLY) revert SupplyOverflow(supply, MAX_SUPPLY);
        if (dps != 0 && supply * dps >= MAX_DIVIDENDS_TIMES_SUPPLY) {
            revert SupplyOverflow(supply, (MAX_DIVIDENDS_TIMES_SUPPLY - 1) / dps);
        }
        assembly {
            sstore(add($.slot, _SUPPLY_SLOT), or(and(slot2, _ADDRESS_MASK), shl(_SUPPLY_SHIFT, supply)))
        }
        if (dps != 0) {
            int256 correction = int256(account) >> _CORRECTION_SHIFT;
            correction -= int256((dps * value + _ROUND_UP) >> _ENTITLEMENT_SHIFT);
            account = (account & _BALANCE_AND_FLAGS) | (uint256(uint152(_toInt152(correction))) << _CORRECTION_SHIFT);
        }
        unchecked {
            // Cannot overflow its 96 bits: every balance is at most the total supply, itself at most MAX_SUPPLY.
            account += value;
        }
        assembly {
            sstore(receiver.slot, account)
        }
        emit Transfer(address(0), to, value);
    }

    function _agentBurn(PropertyTokenStorage storage $, address from, uint256 value) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        _unfreezeForAgent($, from, value);
        _update($, from, address(0), value);
        if ($.complianceActive) _tellCompliance($, abi.encodeCall(IPropertyCompliance.destroyed, (from, value)));
    }

    function _forcedTransfer(PropertyTokenStorage storage $, address from, address to, uint256 value) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _requireVerified(_registry($), to);
        _unfreezeForAgent($, from, value);
        _update($, from, to, value);
        emit ForcedTransfer(from, to, value, _msgSender());
        if ($.complianceActive) _tellCompliance($, abi.encodeCall(IPropertyCompliance.transferred, (from, to, value)));
    }

    /// @dev Before an agent takes `value` from `from`: unfreezes whatever part of it is frozen.
    function _unfreezeForAgent(PropertyTokenStorage storage $, address from, uint256 value) private {
        Account storage account = $.accounts[from];
        uint256 balance = account.balance;
        if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
        if (account.flags & _FLAG_PARTIAL == 0) return;
        uint256 frozen = $.frozenTokens[from];
        uint256 free = balance - frozen;
        if (value > free) {
            uint256 release = value - free;
            frozen -= release;
            $.frozenTokens[from] = frozen;
            if (frozen == 0) account.flags &= ~_FLAG_PARTIAL;
            emit TokensUnfrozen(from, release);
        }
    }

    function _setAddressFrozen(PropertyTokenStorage storage $, address wallet, bool freeze) private {
        if (wallet == address(0)) revert ZeroAddress();
        Account storage account = $.accounts[wallet];
        account.flags = freeze ? account.flags | _FLAG_FROZEN : account.flags & ~_FLAG_FROZEN;
        emit AddressFrozen(wallet, freeze, msg.sender);
    }

    function _freezePartial(PropertyTokenStorage storage $, address wallet, uint256 amount) private {
        Account storage account = $.accounts[wallet];
        uint256 frozen = $.frozenTokens[wallet] + amount;
        if (frozen > account.balance) revert FreezeExceedsBalance(wallet, account.balance, frozen);
        $.frozenTokens[wallet] = frozen;
        if (frozen != 0) account.flags |= _FLAG_PARTIAL;
        emit TokensFrozen(wallet, amount);
    }

    function _unfreezePartial(PropertyTokenStorage storage $, address wallet, uint256 amount) private {
        uint256 frozen = $.frozenTokens[wallet];
        if (amount > frozen) revert UnfreezeExceedsFrozen(wallet, frozen, amount);
        unchecked {
            frozen -= amount;
        }
        $.frozenTokens[wallet] = frozen;
        if (frozen == 0) $.accounts[wallet].flags &= ~_FLAG_PARTIAL;
        emit TokensUnfrozen(wallet, amount);
    }

    function _spendAllowance(address owner, address spender, uint256 value) private {
        mapping(address => uint256) storage allowances = _getStorage().allowances[owner];
        uint256 current = allowances[spender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(spender, current, value);
            unchecked {
                allowances[spender] = current - value;
            }
        }
    }

    /// @dev Reverts unless the registry verifies `wallet`, naming why: sanctioned, expired or not verified.
    function _requireVerified(IComplianceRegistry registry, address wallet) private view {
        // The question in scratch space, answered in scratch space: no ABI encoder or free-memory use on
        // the hottest path of every transfer. A registry that reverts, or answers anything but `true`,
        // does not verify the wallet.
        bytes4 question = IComplianceRegistry.isVerified.selector;
        bool verified;
        assembly ("memory-safe") {
            mstore(0x00, question)
            mstore(0x04, wallet)
            let ok := staticcall(gas(), registry, 0x00, 0x24, 0x00, 0x20)
            verified := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0x00), 1))
        }
        if (verified) return;
        // Only to name the reason; a registry without `recordOf` just gets the generic error.
        try IComplianceRecords(address(registry)).recordOf(wallet) returns (
            IComplianceRegistry.Attestation memory a, bool sanctioned
        ) {
            if (sanctioned) revert WalletSanctioned(wallet);
            if (a.investorId != 0 && a.flags & 3 == 3 && a.expiry <= block.timestamp) {
                revert VerificationExpired(wallet, a.expiry);
            }
        } catch {}
        revert WalletNotVerified(wallet);
    }

    /**
     * @dev A mint's receiver: {_requireVerified}, or a custodian ({CUSTODIAN_ROLE}, asked only once the registry has
     * said no, so a verified wallet pays nothing for it), whose account the mint marks `_FLAG_CUSTODY`: from then on
     * it sends what it holds without being verified itself ({_requireFlaggedSender}), every receiver of its tokens
     * facing every rule. The mark never lets it receive a transfer, and a mint only while it holds the role; the
     * token's freeze, forced transfer and burn apply to it as to any wallet.
     */
    function _requireVerifiedOrCustodian(IComplianceRegistry registry, address wallet) private {
        // {_requireVerified}'s question, written out again: the optimizer does not inline a shared private function,
        // which made every mint and transfer 38 gas dearer (measured with bench/property_gas.py and offering_gas.py).
        bytes4 question = IComplianceRegistry.isVerified.selector;
        bool verified;
        assembly ("memory-safe") {
            mstore(0x00, question)
            mstore(0x04, wallet)
            let ok := staticcall(gas(), registry, 0x00, 0x24, 0x00, 0x20)
            verified := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0x00), 1))
        }
        if (verified) return;
        // Not verified: a custodian, or refused with the reason (the registry asked once more, on a failing mint only).
        if (!hasRole(CUSTODIAN_ROLE, wallet)) _requireVerified(registry, wallet);
        Account storage custodian = _getStorage().accounts[wallet];
        if (custodian.flags & _FLAG_CUSTODY == 0) custodian.flags |= _FLAG_CUSTODY;
    }

    /// @dev The identity the registry reports for `wallet` (ERC-3643's `identity`); zero from a registry without it.
    function _identityOf(IComplianceRegistry registry, address wallet) private view returns (address) {
        try IIdentityRegistryView(address(registry)).identity(wallet) returns (address id) {
            return id;
        } catch {
            return address(0);
        }
    }

    function _registry(PropertyTokenStorage storage $) private view returns (IComplianceRegistry) {
        return $.registryOverridden ? $.registry : IComplianceRegistry(defaultIdentityRegistry);
    }

    function _overrideRegistry(PropertyTokenStorage storage $, address registry) private {
        bool overridden = registry != defaultIdentityRegistry;
        $.registryOverridden = overridden;
        $.registry = IComplianceRegistry(overridden ? registry : address(0));
    }

    /**
     * @dev Calls the compliance, bubbling its refusal up (a plain call: the compliance exists, no code-size check),
     * inside {_enterComplianceCall} .. {_leaveComplianceCall}. Returns the answer's first word as a boolean (false
     * when there is none).
     */
    function _callCompliance(address target, bytes memory data) private returns (bool answer) {
        assembly {
            if iszero(call(gas(), target, 0, add(data, 0x20), mload(data), 0, 0x20)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
            answer := and(gt(returndatasize(), 0x1f), eq(mload(0), 1))
        }
    }

    /// @dev Tells the compliance of a movement already made, refusing re-entry meanwhile.
    function _tellCompliance(PropertyTokenStorage storage $, bytes memory data) private {
        _enterComplianceCall();
        _callCompliance($.compliance, data);
        _leaveComplianceCall();
    }

    function _enterComplianceCall() private {
        assembly {
            tstore(_COMPLIANCE_CALL_SLOT, 1)
        }
    }

    function _leaveComplianceCall() private {
        assembly {
            tstore(_COMPLIANCE_CALL_SLOT, 0)
        }
    }

    function _requireNoComplianceCall() private view {
        assembly {
            if tload(_COMPLIANCE_CALL_SLOT) {
                mstore(0, 0x37ed32e8) // ReentrantCall()
                revert(0x1c, 0x04)
            }
        }
    }

    /// @dev Writes a whole account in one SSTORE (the compiler would write it field by field).
    function _store(Account storage account, Account memory a) private {
        uint256 word = uint256(a.balance) | (uint256(a.flags) << 96)
            | (uint256(uint152(a.correction)) << 104);
        assembly {
            sstore(account.slot, word)
        }
    }

    function _claimable(Account memory a, uint256 dps) private pure returns (uint256) {
        int256 entitlement = int256((dps * a.balance) >> _ENTITLEMENT_SHIFT) + a.correction;
        return entitlement > 0 ? uint256(entitlement) >> _WEI_SHIFT : 0;
    }

    function _toInt152(int256 value) private pure returns (int152) {
        if (value > type(int152).max || value < type(int152).min) revert DividendsPerShareOverflow();
        return int152(value);
    }

    function _requireNameAndSymbol(string calldata name_, string calldata symbol_) private pure {
        if (bytes(name_).length == 0) revert EmptyName();
        if (bytes(symbol_).length == 0) revert EmptySymbol();
    }

    function _checkBatch(uint256 length, uint256 otherLength) private pure {
        if (length != otherLength) revert BatchLengthMismatch(length, otherLength);
        if (length > MAX_BATCH) revert BatchTooLarge(length, MAX_BATCH);
    }

    function _grantAgent(bytes32 role, address agent) private {
        if (agent != address(0)) _grantRole(role, agent);
    }

    /// @dev Agent roles live in {PropertyTokenStorage-agentRoles}; the events are AccessControl's.
    function _grantRole(bytes32 role, address account) internal virtual override returns (bool) {
        uint8 bit = _agentBit(role);
        if (bit == 0) return super._grantRole(role, account);
        mapping(address => uint8) storage roles = _getStorage().agentRoles;
        uint8 current = roles[account];
        if (current & bit != 0) return false;
        roles[account] = current | bit;
        emit RoleGranted(role, account, msg.sender);
        return true;
    }

    /// @dev See {_grantRole}.
    function _revokeRole(bytes32 role, address account) internal virtual override returns (bool) {
        uint8 bit = _agentBit(role);
        if (bit == 0) return super._revokeRole(role, account);
        mapping(address => uint8) storage roles = _getStorage().agentRoles;
        uint8 current = roles[account];
        if (current & bit == 0) return false;
        roles[account] = current & ~bit;
        emit RoleRevoked(role, account, msg.sender);
        return true;
    }

    /// @dev The i-th agent role, in the order of their bits (see {_agentBit}).
    function _agentRole(uint256 i) private pure returns (bytes32) {
        return [MINTER_ROLE, BURNER_ROLE, FREEZER_ROLE, FORCED_TRANSFER_ROLE, RECOVERY_ROLE, PAUSER_ROLE][i];
    }

    function _agentBit(bytes32 role) private pure returns (uint8) {
        if (role == MINTER_ROLE) return _MINTER_BIT;
        if (role == BURNER_ROLE) return 2;
        if (role == FREEZER_ROLE) return 4;
        if (role == FORCED_TRANSFER_ROLE) return 8;
        if (role == RECOVERY_ROLE) return 16;
        if (role == PAUSER_ROLE) return 32;
        return 0;
    }

    function _emitTokenInformation(PropertyTokenStorage storage $) private {
        emit UpdatedTokenInformation($.name, $.symbol, $.decimals, _VERSION, $.onchainID);
    }
}
