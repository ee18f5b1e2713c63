// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {
    IPropertyCompliance,
    IComplianceAwareToken,
    IComplianceErrors,
    IComplianceModule
} from "../interfaces/IPropertyCompliance.sol";
import {ZeroAddress} from "../interfaces/CommonErrors.sol";
import {CUSTODIAN_ROLE} from "../interfaces/Custody.sol";

/// @dev The registry's full record of a wallet: one call for the receiver's investor id and country.
interface IComplianceRecords {
    function recordOf(address wallet)
        external
        view
        returns (IComplianceRegistry.Attestation memory attestation, bool sanctioned);
}

/// @dev What the compliance reads from its token.
interface IBoundToken {
    function identityRegistry() external view returns (address);
    function compliance() external view returns (address);
    function totalSupply() external view returns (uint256);
    function balanceOf(address wallet) external view returns (uint256);
}

/**
 * @title ModularCompliance
 * @notice The per-property transfer rules of one {PropertyToken}: built-in modules the owner enables and
 * configures (country allow-list, maximum balance per investor, maximum number of investors, lockup
 * after issuance, supply cap, accredited investors only), and up to {MAX_EXTERNAL_MODULES} external
 * modules: contracts implementing {IComplianceModule}, added and removed by address (T-REX style).
 *
 * @dev Deployed behind a beacon proxy by {PropertyTokenFactory}; ERC-7201 namespaced storage. Its owner
 * is the token's owner: whoever holds the token's `DEFAULT_ADMIN_ROLE` (the timelock) configures it,
 * so one grant moves both. The token address doubles as the initialization flag (one storage write to
 * create a property's compliance); the implementation itself is locked at construction.
 *
 * Fast by default: the built-in modules are bits, so a transfer costs the token ONE call whatever the
 * number of built-ins, and each rule reads only its own storage. The six built-ins are bits 0-5 of
 * slot 0's `modules` byte (bit 7 marks investor tracking); bit 6 (`_EXTENDED`) says that the appended
 * slot holding `moreModules` (built-in bits 8-23, for new rules without a storage migration) and the
 * external modules is in use, so neither costs a transfer anything until it is. The first external
 * module's address shares that slot with the count. Each external module is called with a bounded gas allowance ({EXTERNAL_CALL_GAS}), and one that
 * reverts, runs out of gas or answers garbage refuses the movement with {ExternalModuleFailed}. Removing
 * a module never calls it, so a broken module cannot lock the owner out. The registry is read through
 * the token, so both always agree.
 *
 * Rules, each checked only while its module is enabled (a mint is a transfer from the zero address):
 *
 * - `MODULE_COUNTRY_ALLOW`: the receiver's country must be on the allow-list.
 * - `MODULE_MAX_BALANCE`: no investor (investor id, across all its wallets) may hold more than `maxBalance`.
 * - `MODULE_MAX_HOLDERS`: no more than `maxHolders` investors may hold tokens.
 * - `MODULE_LOCKUP`: tokens minted to a wallet lock that wallet's transfers for `lockupPeriod` seconds (a later
 *   mint never shortens a lock: the wallet stays locked until the latest of its locks).
 * - `MODULE_SUPPLY_CAP`: mints may not raise the total supply above `supplyCap`.
 * - `MODULE_ACCREDITED_ONLY`: the receiver must be an accredited investor.
 *
 * A custodian of the token (see contracts/interfaces/Custody.sol) is not an investor: unregistered, it counts under
 * investor id 0 (as a mint's source), is excused from country and accreditation when it receives a mint and from the
 * lockup when it sends, its lock passing to the receiver ({_custodianExcuse}, asked only once a rule has refused).
 *
 * Holder tracking (for max-balance and max-holders) starts when either module is first enabled on an
 * empty token and lasts while any module is enabled. Each wallet's balance is counted under the investor
 * id it was counted under ({countedInvestor}), not the id the registry gives now: re-registering a wallet
 * under another id, revoking it (id 0), burning or force-moving its tokens, or recovering it keeps
 * {holderCount} and {investorBalance} exact. A wallet re-registered under another id moves its whole
 * balance to the new id the next time it receives tokens (or at {resync}). When every module is removed
 * the token stops calling the compliance and tracking stops, its counts frozen. Tracking never starts again
 * from stale counts: a tracked module can be enabled again directly only on an empty token whose tracking
 * stopped with no holder; otherwise a {resync} restarts it, and refuses unless its result is exact (every
 * stale investor reset, every holding wallet counted). A resync is also how a property that predates
 * per-wallet tracking is repaired.
 */
contract ModularCompliance is IPropertyCompliance, IComplianceErrors, ContextUpgradeable {
    /// @notice Receiver's country must be allowed.
    uint256 public constant MODULE_COUNTRY_ALLOW = 1;
    /// @notice Investor balances are capped.
    uint256 public constant MODULE_MAX_BALANCE = 2;
    /// @notice The number of investors holding tokens is capped.
    uint256 public constant MODULE_MAX_HOLDERS = 4;
    /// @notice Minted tokens lock the receiving wallet for a period.
    uint256 public constant MODULE_LOCKUP = 8;
    /// @notice The total supply is capped.
    uint256 public constant MODULE_SUPPLY_CAP = 16;
    /// @notice Receivers must be accredited.
    uint256 public constant MODULE_ACCREDITED_ONLY = 32;

    /// @notice The largest number of external modules.
    uint256 public constant MAX_EXTERNAL_MODULES = 8;
    /// @notice The gas each call to an external module may use (its check, and each hook).
    uint256 public constant EXTERNAL_CALL_GAS = 100_000;

    uint256 private constant _ALL_MODULES = 63; // the built-ins this version knows
    uint256 private constant _TRACKING = 128; // investor balances are being tracked
    uint256 private constant _TRACKED_MODULES = MODULE_MAX_BALANCE | MODULE_MAX_HOLDERS;
    uint256 private constant _LOW_BITS = 0x3f; // built-in bits kept in slot 0's `modules` byte
    uint256 private constant _EXTENDED = 64; // `moreModules` or external modules are in use
    uint256 private constant _MODULES_OFFSET = 160; // of `modules` in slot 0 (see {_slot0})
    // The appended slot holding `externalModule0` (bits 0-159), `externalCount` (160-167) and `moreModules`
    // (168-183): the struct's seventh slot (see {_externals}).
    uint256 private constant _EXTERNALS_SLOT = 6;
    uint256 private constant _REST_SLOT = 7; // `externalModulesRest[0]`, the struct's eighth slot
    uint256 private constant _COUNT_OFFSET = 160;
    uint256 private constant _MORE_MODULES_OFFSET = 168;

    /// @custom:storage-location erc7201:rwa.storage.ModularCompliance
    struct ModularComplianceStorage {
        // slot 0: read by every call from the token
        address token;
        uint8 modules; // built-in bits 0-6, and `_TRACKING`
        uint32 holderCount;
        uint32 maxHolders;
        // slot 1
        uint128 maxBalance;
        uint128 supplyCap;
        // slot 2
        uint64 lockupPeriod;
        mapping(uint256 word => uint256 bits) allowedCountries;
        mapping(uint128 investorId => uint256) investorBalances;
        mapping(address wallet => uint64) lockedUntil;
        // Appended by issue 13; read only while `_EXTENDED` is set.
        address externalModule0; // the first external module, beside the count: one read for one module
        uint8 externalCount;
        uint16 moreModules; // built-in bits 8-23 (none yet): room for new rules without a migration
        address[7] externalModulesRest; // the 2nd to 8th; the first `externalCount - 1` are in use
        mapping(address wallet => uint128 investorId) countedInvestor;
    }

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.ModularCompliance")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ModularComplianceStorageLocation =
        0xbd677e34bfc8c6156431e5db8716252efa082989c9e1d0263fb242dbe5af1b00;

    /// @notice Emitted when a module is enabled.
    event ModuleAdded(uint256 indexed module);
    /// @notice Emitted when a module is disabled.
    event ModuleRemoved(uint256 indexed module);
    /// @notice Emitted when an external module is added.
    event ExternalModuleAdded(address indexed module);
    /// @notice Emitted when an external module is removed.
    event ExternalModuleRemoved(address indexed module);
    /// @notice Emitted when a country joins or leaves the allow-list.
    event CountryAllowed(uint16 indexed country, bool allowed);
    /// @notice Emitted when the maximum balance per investor changes.
    event MaxBalanceSet(uint256 maxBalance);
    /// @notice Emitted when the maximum number of investors changes.
    event MaxHoldersSet(uint256 maxHolders);
    /// @notice Emitted when the lockup period changes.
    event LockupPeriodSet(uint64 period);
    /// @notice Emitted when the supply cap changes.
    event SupplyCapSet(uint256 cap);
    /// @notice Emitted when minted tokens (or a recovery) lock a wallet.
    event WalletLocked(address indexed wallet, uint64 until);
    /// @notice Emitted when a wallet's balance is counted under another investor id (first receipt,
    /// re-registration, resync).
    event WalletCounted(address indexed wallet, uint128 indexed previousInvestorId, uint128 indexed investorId);
    /// @notice Emitted when investor tracking starts (true) or stops (false).
    event TrackingChanged(bool tracking);
    /// @notice Emitted when the owner zeroes an investor's tracked balance during a {resync}.
    event InvestorBalanceReset(uint128 indexed investorId, uint256 previousBalance);

    error AlreadyInitialized();
    error OnlyTokenAdmin(address caller);
    error OnlyBoundToken(address caller);
    error UnknownModule(uint256 module);
    error ModuleAlreadyEnabled(uint256 module);
    error ModuleNotEnabled(uint256 module);
    error ModuleNeedsEmptyToken(uint256 module, uint256 supply);
    error InvalidCountry(uint16 country);
    error ValueTooLarge(uint256 value, uint256 max);
    error NotAComplianceModule(address module);
    error ExternalModuleAlreadyAdded(address module);
    error ExternalModuleNotAdded(address module);
    error TooManyExternalModules(uint256 max);
    /// @notice Tracking stopped while `holders` investors held tokens, so their tracked balances are stale: tracking
    /// can start again only through a {resync} that resets every one of them.
    error StaleTracking(uint256 holders);
    /// @notice A {resync} counts every holding wallet once, in ascending order: `wallet` breaks the order, or (zero)
    /// the wallets hold `counted` of the `supply`.
    error ResyncIncomplete(address wallet, uint256 counted, uint256 supply);

    function _getStorage() private pure returns (ModularComplianceStorage storage $) {
        assembly {
            $.slot := ModularComplianceStorageLocation
        }
    }

    modifier onlyToken() {
        if (msg.sender != _getStorage().token) revert OnlyBoundToken(msg.sender);
        _;
    }

    /// @dev {onlyToken} for {_enforce}: checks the caller against the slot-0 word it reads anyway.
    function _requireToken(uint256 word) private view {
        if (msg.sender != address(uint160(word))) revert OnlyBoundToken(msg.sender);
    }

    /// @dev Only an admin (`DEFAULT_ADMIN_ROLE`) of the bound token.
    modifier onlyOwner() {
        if (!IAccessControl(_getStorage().token).hasRole(bytes32(0), msg.sender)) revert OnlyTokenAdmin(msg.sender);
        _;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _getStorage().token = address(this); // locks the implementation
    }

    /**
     * @notice Binds the compliance to `token` for good. No module is enabled.
     * @param token The property token whose transfers this compliance rules; its admins own this contract.
     */
    function initialize(address token) external {
        ModularComplianceStorage storage $ = _getStorage();
        if ($.token != address(0)) revert AlreadyInitialized();
        if (token == address(0)) revert ZeroAddress();
        $.token = token;
    }

    // ---------------------------------------------------------------------------------------------
    // Modules
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Enables one built-in module (one of the `MODULE_*` bits).
     * @dev Token admin only. Max-balance and max-holders start tracking investor balances: while tracking
     * is off, they can be enabled only on an empty token whose last tracking period ended with no holder
     * ({StaleTracking} otherwise), or after a {resync}. Tells the token when it
     * must start calling the compliance. Emits {ModuleAdded} (and {TrackingChanged} when tracking starts).
     */
    function addModule(uint256 module) external onlyOwner {
        _requireModule(module);
        ModularComplianceStorage storage $ = _getStorage();
        uint256 enabled = _builtins($);
        if (enabled & module != 0) revert ModuleAlreadyEnabled(module);
        bool wasActive = _isActive($);
        if (module & _TRACKED_MODULES != 0 && $.modules & _TRACKING == 0) {
            uint256 supply = IBoundToken($.token).totalSupply();
            if (supply != 0) revert ModuleNeedsEmptyToken(module, supply);
            // The counts of an earlier tracking period: all zero only if no investor held when it stopped.
            if ($.holderCount != 0) revert StaleTracking($.holderCount);
            $.modules |= uint8(_TRACKING);
            emit TrackingChanged(true);
        }
        _setBuiltins($, enabled | module);
        emit ModuleAdded(module);
        if (!wasActive) _notifyToken($.token, true);
    }

    /**
     * @notice Disables one built-in module.
     * @dev Token admin only. Investor tracking goes on while any module (built-in or external) is enabled,
     * and stops with the last one, when the token stops calling the compliance. Emits {ModuleRemoved}.
     */
    function removeModule(uint256 module) external onlyOwner {
        _requireModule(module);
        ModularComplianceStorage storage $ = _getStorage();
        uint256 enabled = _builtins($);
        if (enabled & module == 0) revert ModuleNotEnabled(module);
        _setBuiltins($, enabled & ~module);
        emit ModuleRemoved(module);
        _afterRemoval($);
    }

    /**
     * @notice Adds an external module: a contract implementing {IComplianceModule} (checked with ERC-165).
     * @dev Token admin only. At most {MAX_EXTERNAL_MODULES}; no duplicates. The module is asked about every
     * later transfer and mint and told of every movement. Emits {ExternalModuleAdded}.
     */
    function addExternalModule(address module) external onlyOwner {
        if (!ERC165Checker.supportsInterface(module, type(IComplianceModule).interfaceId)) {
            revert NotAComplianceModule(module);
        }
        ModularComplianceStorage storage $ = _getStorage();
        uint256 count = $.externalCount;
        for (uint256 i; i < count; ++i) {
            if (_externalAt($, i) == module) revert ExternalModuleAlreadyAdded(module);
        }
        if (count == MAX_EXTERNAL_MODULES) revert TooManyExternalModules(MAX_EXTERNAL_MODULES);
        bool wasActive = _isActive($);
        _setExternalAt($, count, module);
        $.externalCount = uint8(count + 1);
        _syncExtended($);
        emit ExternalModuleAdded(module);
        if (!wasActive) _notifyToken($.token, true);
    }

    /**
     * @notice Removes an external module. Never calls it, so a module that reverts or burns gas can always
     * be removed.
     * @dev Token admin only. The last module takes the removed one's place. Emits {ExternalModuleRemoved}.
     */
    function removeExternalModule(address module) external onlyOwner {
        ModularComplianceStorage storage $ = _getStorage();
        uint256 count = $.externalCount;
        for (uint256 i; i < count; ++i) {
            if (_externalAt($, i) == module) {
                _setExternalAt($, i, _externalAt($, count - 1));
                _setExternalAt($, count - 1, address(0));
                $.externalCount = uint8(count - 1);
                _syncExtended($);
                emit ExternalModuleRemoved(module);
                _afterRemoval($);
                return;
            }
        }
        revert ExternalModuleNotAdded(module);
    }

    /**
     * @notice Recounts investor tracking: zeroes the tracked balance of each of `staleInvestors`, then counts
     * each of `wallets`' current balance under the investor id the registry gives it now.
     * @dev Token admin only. For a property whose tracked balances drifted before per-wallet tracking (or
     * that stopped tracking when every module was removed): pass every investor id with a tracked balance
     * and every wallet holding tokens. Starts tracking (and tells the token to call the compliance) if it
     * was off, and then only when every stale id is reset ({StaleTracking} names how many were not). Every
     * holding wallet must be counted, once, in ascending order ({ResyncIncomplete}): a resync computed off
     * chain and executed later (a proposal) is refused, not applied stale, if holders changed meanwhile.
     * Emits {InvestorBalanceReset} per non-zero reset, {WalletCounted} per wallet whose id changes.
     */
    function resync(uint128[] calldata staleInvestors, address[] calldata wallets) external onlyOwner {
        ModularComplianceStorage storage $ = _getStorage();
        bool restart = $.modules & _TRACKING == 0;
        uint32 holders = $.holderCount;
        for (uint256 i; i < staleInvestors.length; ++i) {
            uint128 id = staleInvestors[i];
            uint256 previous = $.investorBalances[id];
            if (previous != 0) {
                delete $.investorBalances[id];
                --holders;
                emit InvestorBalanceReset(id, previous);
            }
        }
        if (restart && holders != 0) revert StaleTracking(holders);
        $.holderCount = holders;
        IBoundToken token = IBoundToken($.token);
        uint256[] memory balances = new uint256[](wallets.length);
        uint256 total = 0;
        // Every wallet leaves the id it was counted under before any is counted again, so that two wallets of
        // one investor cannot take each other's balance (saturating: the id may just have been reset).
        for (uint256 i; i < wallets.length; ++i) {
            address wallet = wallets[i];
            if (i != 0 && wallet <= wallets[i - 1]) revert ResyncIncomplete(wallet, total, token.totalSupply());
            uint256 balance = token.balanceOf(wallet);
            balances[i] = balance;
            total += balance;
            _track($, $.countedInvestor[wallet], 0, balance);
        }
        IComplianceRegistry registry = _registry($);
        for (uint256 i; i < wallets.length; ++i) {
            address wallet = wallets[i];
            uint128 counted = $.countedInvestor[wallet];
            uint128 id = registry.investorIdOf(wallet);
            _track($, 0, id, balances[i]);
            if (id != counted) {
                $.countedInvestor[wallet] = id;
                emit WalletCounted(wallet, counted, id);
            }
        }
        uint256 supply = token.totalSupply();
        if (total != supply) revert ResyncIncomplete(address(0), total, supply);
        if (restart) {
            bool wasActive = _isActive($);
            $.modules |= uint8(_TRACKING);
            emit TrackingChanged(true);
            if (!wasActive) _notifyToken($.token, true);
        }
    }

    /**
     * @notice Adds countries to (or removes them from) the allow-list of `MODULE_COUNTRY_ALLOW`.
     * @dev Token admin only. Countries are ISO-3166-1 numeric codes, 1..999. Emits {CountryAllowed} for each.
     */
    function setCountriesAllowed(uint16[] calldata countries, bool allowed) external onlyOwner {
        ModularComplianceStorage storage $ = _getStorage();
        for (uint256 i; i < countries.length; ++i) {
            uint16 country = countries[i];
            if (country == 0 || country > 999) revert InvalidCountry(country);
            uint256 bit = 1 << (country & 0xff);
            uint256 word = $.allowedCountries[country >> 8];
            $.allowedCountries[country >> 8] = allowed ? word | bit : word & ~bit;
            emit CountryAllowed(country, allowed);
        }
    }

    /**
     * @notice Sets the largest balance one investor may hold, across its wallets.
     * @dev Token admin only. Emits {MaxBalanceSet}.
     */
    function setMaxBalance(uint256 maxBalance_) external onlyOwner {
        if (maxBalance_ > type(uint128).max) revert ValueTooLarge(maxBalance_, type(uint128).max);
        _getStorage().maxBalance = uint128(maxBalance_);
        emit MaxBalanceSet(maxBalance_);
    }

    /**
     * @notice Sets the largest number of investors that may hold tokens.
     * @dev Token admin only. Emits {MaxHoldersSet}.
     */
    function setMaxHolders(uint256 maxHolders_) external onlyOwner {
        if (maxHolders_ > type(uint32).max) revert ValueTooLarge(maxHolders_, type(uint32).max);
        _getStorage().maxHolders = uint32(maxHolders_);
        emit MaxHoldersSet(maxHolders_);
    }

    /**
     * @notice Sets how long tokens minted to a wallet lock that wallet's transfers.
     * @dev Token admin only. Applies to later mints. Emits {LockupPeriodSet}.
     */
    function setLockupPeriod(uint64 period) external onlyOwner {
        _getStorage().lockupPeriod = period;
        emit LockupPeriodSet(period);
    }

    /**
     * @notice Sets the largest total supply mints may reach.
     * @dev Token admin only. Emits {SupplyCapSet}.
     */
    function setSupplyCap(uint256 cap) external onlyOwner {
        if (cap > type(uint128).max) revert ValueTooLarge(cap, type(uint128).max);
        _getStorage().supplyCap = uint128(cap);
        emit SupplyCapSet(cap);
    }

    // ---------------------------------------------------------------------------------------------
    // Hooks (bound token only)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPropertyCompliance
    function enforceTransfer(address registry, address from, address to, uint256 amount) external returns (bool) {
        return _enforce(IComplianceRegistry(registry), from, to, amount);
    }

    /// @inheritdoc IPropertyCompliance
    function enforceMint(address registry, address to, uint256 amount) external returns (bool) {
        return _enforce(IComplianceRegistry(registry), address(0), to, amount);
    }

    /// @inheritdoc IPropertyCompliance
    function notifyModules(address from, address to, uint256 amount) external {
        ModularComplianceStorage storage $ = _getStorage();
        // {onlyToken}, inline (slot 0's low bits are the token): every transfer with an external module pays for it.
        address token;
        assembly {
            token := and(sload($.slot), 0xffffffffffffffffffffffffffffffffffffffff)
        }
        if (msg.sender != token) revert OnlyBoundToken(msg.sender);
        if (from != address(0)) _tellModules($, IComplianceModule.transferred.selector, from, to, amount);
        else _tellModules($, IComplianceModule.created.selector, to, address(0), amount);
    }

    /// @inheritdoc IPropertyCompliance
    function transferred(address from, address to, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        _recordMove($, from, to, amount);
        _tellModules($, IComplianceModule.transferred.selector, from, to, amount);
    }

    /// @inheritdoc IPropertyCompliance
    function created(address to, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        _recordMove($, address(0), to, amount);
        if (_builtins($) & MODULE_LOCKUP != 0) _lock($, to);
        _tellModules($, IComplianceModule.created.selector, to, address(0), amount);
    }

    /// @inheritdoc IPropertyCompliance
    function destroyed(address from, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        if ($.modules & _TRACKING != 0) _track($, $.countedInvestor[from], 0, amount);
        _tellModules($, IComplianceModule.destroyed.selector, from, address(0), amount);
    }

    /// @inheritdoc IPropertyCompliance
    function recovered(address lostWallet, address newWallet, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        _recordMove($, lostWallet, newWallet, amount);
        uint64 lost = $.lockedUntil[lostWallet];
        if (lost != 0) {
            delete $.lockedUntil[lostWallet];
            if (lost > $.lockedUntil[newWallet]) {
                $.lockedUntil[newWallet] = lost;
                emit WalletLocked(newWallet, lost);
            }
        }
        _tellModules($, IComplianceModule.transferred.selector, lostWallet, newWallet, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPropertyCompliance
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        return _violation(from, to, amount).length == 0;
    }

    /**
     * @notice The reason (an encoded custom error) a transfer would be refused, empty when it would pass.
     * @dev For a receiver re-registered under another investor id since it was counted, the max-balance and
     * max-holders figures are those before its balance moves to the new id.
     */
    function transferViolation(address from, address to, uint256 amount) external view returns (bytes memory) {
        return _violation(from, to, amount);
    }

    /// @inheritdoc IPropertyCompliance
    function getTokenBound() external view returns (address) {
        return _getStorage().token;
    }

    /// @inheritdoc IPropertyCompliance
    function hasModules() external view returns (bool) {
        return _isActive(_getStorage());
    }

    /// @notice The enabled built-in modules, as a bit set of `MODULE_*`.
    function modules() external view returns (uint256) {
        return _builtins(_getStorage());
    }

    /// @notice Whether the built-in `module` is enabled.
    function isModuleEnabled(uint256 module) external view returns (bool) {
        return module != 0 && _builtins(_getStorage()) & module == module;
    }

    /// @notice The external modules, in the order they are asked.
    function externalModules() external view returns (address[] memory list) {
        ModularComplianceStorage storage $ = _getStorage();
        list = new address[]($.externalCount);
        for (uint256 i; i < list.length; ++i) {
            list[i] = _externalAt($, i);
        }
    }

    /// @notice Whether investor balances are being tracked (for max-balance and max-holders).
    function isTracking() external view returns (bool) {
        return _getStorage().modules & _TRACKING != 0;
    }

    /// @notice Whether `country` is on the allow-list.
    function isCountryAllowed(uint16 country) public view returns (bool) {
        return _getStorage().allowedCountries[country >> 8] & (1 << (country & 0xff)) != 0;
    }

    /// @notice The tracked balance of investor `investorId` across its wallets.
    function investorBalance(uint128 investorId) external view returns (uint256) {
        return _getStorage().investorBalances[investorId];
    }

    /// @notice The investor id `wallet`'s balance is counted under (0: not counted).
    function countedInvestor(address wallet) external view returns (uint128) {
        return _getStorage().countedInvestor[wallet];
    }

    /// @notice The number of investors holding tokens (tracked while max-balance or max-holders has been enabled).
    function holderCount() external view returns (uint256) {
        return _getStorage().holderCount;
    }

    /// @notice The maximum number of investors.
    function maxHolders() external view returns (uint256) {
        return _getStorage().maxHolders;
    }

    /// @notice The maximum balance per investor.
    function maxBalance() external view returns (uint256) {
        return _getStorage().maxBalance;
    }

    /// @notice The supply cap.
    function supplyCap() external view returns (uint256) {
        return _getStorage().supplyCap;
    }

    /// @notice The lockup period applied to minted tokens.
    function lockupPeriod() external view returns (uint64) {
        return _getStorage().lockupPeriod;
    }

    /// @notice When `wallet` may transfer again under the lockup module.
    function lockedUntil(address wallet) external view returns (uint64) {
        return _getStorage().lockedUntil[wallet];
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev The rules and the compliance's own books, before the token moves; true when external modules are to be
    /// told of the movement after it ({notifyModules}).
    function _enforce(IComplianceRegistry registry, address from, address to, uint256 amount)
        private
        returns (bool notify)
    {
        ModularComplianceStorage storage $ = _getStorage();
        uint256 word = _slot0($);
        _requireToken(word);
        // The built-in bits, `_TRACKING` and `_EXTENDED`, from one read of slot 0 (the appended slot only if used).
        uint256 modules_ = (word >> _MODULES_OFFSET) & 0xff;
        uint256 externals; // the appended slot, read once and only when `_EXTENDED` says it is in use
        if (modules_ & _EXTENDED != 0) {
            externals = _externals($);
            modules_ |= ((externals >> _MORE_MODULES_OFFSET) & 0xffff) << 8;
        }
        uint128 toId;
        uint16 country;
        if (modules_ & (MODULE_COUNTRY_ALLOW | _TRACKING) != 0) {
            (IComplianceRegistry.Attestation memory record,) = IComplianceRecords(address(registry)).recordOf(to);
            (toId, country) = (record.investorId, record.country);
        }
        uint128 fromId;
        if (modules_ & _TRACKING != 0) {
            _recount($, to, toId, 0);
            if (from != address(0)) fromId = $.countedInvestor[from];
        }
        bytes memory violation = _check($, modules_, registry, from, to, amount, fromId, toId, country);
        if (violation.length != 0) {
            // Only a movement that breaks a rule asks whether a custodian is excused from it (see {_custodianExcuse}).
            do {
                modules_ = _excuseOrRefuse($, modules_, violation, from, to);
                violation = _check($, modules_, registry, from, to, amount, fromId, toId, country);
            } while (violation.length != 0);
        }
        if (modules_ & _TRACKING != 0) _track($, fromId, toId, amount);
        if (from == address(0) && modules_ & MODULE_LOCKUP != 0) _lock($, to);
        if ((externals >> _COUNT_OFFSET) & 0xff != 0) notify = _askModules($, externals, from, to, amount);
    }

    /// @dev Asks each external module about a transfer or mint (static calls: none can change anything); true.
    /// `externals` is the appended slot, which holds the count and the first module.
    function _askModules(ModularComplianceStorage storage $, uint256 externals, address from, address to, uint256 amount)
        private
        view
        returns (bool)
    {
        uint256 count = (externals >> _COUNT_OFFSET) & 0xff;
        address module = address(uint160(externals));
        bytes4 question = IComplianceModule.checkTransfer.selector;
        for (uint256 i = 1;; ++i) {
            uint256 answer = 2; // neither false nor true: the module failed
            // As {_staticAsk}, inline: every transfer with an external module pays for this loop.
            assembly ("memory-safe") {
                let data := mload(0x40)
                mstore(data, question)
                mstore(add(data, 0x04), from)
                mstore(add(data, 0x24), to)
                mstore(add(data, 0x44), amount)
                let success := staticcall(EXTERNAL_CALL_GAS, module, data, 0x64, 0, 0x20)
                if and(success, eq(returndatasize(), 0x20)) { answer := mload(0) }
            }
            if (answer != 1) {
                if (answer == 0) revert ExternalModuleRefused(module, from, to, amount);
                revert ExternalModuleFailed(module);
            }
            if (i == count) return true;
            module = $.externalModulesRest[i - 1];
        }
    }

    /// @dev {_check} for the views: the registry's view of both parties, without recounting the receiver.
    function _violation(address from, address to, uint256 amount) private view returns (bytes memory) {
        ModularComplianceStorage storage $ = _getStorage();
        uint256 modules_ = _builtins($) | ($.modules & _TRACKING);
        if (modules_ == 0 && $.externalCount == 0) return "";
        IComplianceRegistry registry = _registry($);
        (IComplianceRegistry.Attestation memory record,) = IComplianceRecords(address(registry)).recordOf(to);
        uint128 fromId = from == address(0) ? 0 : $.countedInvestor[from];
        bytes memory violation =
            _check($, modules_, registry, from, to, amount, fromId, record.investorId, record.country);
        while (violation.length != 0) {
            uint256 excused = _custodianExcuse(violation, from, to);
            if (excused == 0) return violation;
            modules_ &= ~excused;
            violation = _check($, modules_, registry, from, to, amount, fromId, record.investorId, record.country);
        }
        for (uint256 i; i < $.externalCount; ++i) {
            address module = _externalAt($, i);
            (bool ok, bool allowed) = _staticAsk(module, from, to, amount);
            if (!ok) return abi.encodeWithSelector(ExternalModuleFailed.selector, module);
            if (!allowed) return abi.encodeWithSelector(ExternalModuleRefused.selector, module, from, to, amount);
        }
        return "";
    }

    /**
     * @dev The first built-in rule the movement breaks, as an encoded custom error (empty when none). `fromId`
     * and `toId` are the investor ids the movement is counted between (when tracking).
     */
    function _check(
        ModularComplianceStorage storage $,
        uint256 modules_,
        IComplianceRegistry registry,
        address from,
        address to,
        uint256 amount,
        uint128 fromId,
        uint128 toId,
        uint16 country
    ) private view returns (bytes memory none) {
        if (modules_ & MODULE_LOCKUP != 0 && from != address(0)) {
            uint64 until = $.lockedUntil[from];
            if (until > block.timestamp) return abi.encodeWithSelector(TokensLocked.selector, from, until);
        }
        if (modules_ & MODULE_COUNTRY_ALLOW != 0 && !isCountryAllowed(country)) {
            return abi.encodeWithSelector(CountryNotAllowed.selector, to, country);
        }
        if (modules_ & MODULE_ACCREDITED_ONLY != 0 && !registry.isAccredited(to)) {
            return abi.encodeWithSelector(NotAccredited.selector, to);
        }
        if (modules_ & MODULE_SUPPLY_CAP != 0 && from == address(0)) {
            uint256 supply = IBoundToken($.token).totalSupply() + amount;
            if (supply > $.supplyCap) return abi.encodeWithSelector(SupplyCapExceeded.selector, supply, $.supplyCap);
        }
        if (modules_ & _TRACKED_MODULES != 0 && fromId != toId && amount != 0) {
            uint256 before = $.investorBalances[toId];
            uint256 balance = before + amount;
            if (modules_ & MODULE_MAX_BALANCE != 0 && balance > $.maxBalance) {
                return abi.encodeWithSelector(MaxBalanceExceeded.selector, toId, balance, $.maxBalance);
            }
            if (modules_ & MODULE_MAX_HOLDERS != 0 && before == 0) {
                uint256 holders = $.holderCount + 1;
                if (fromId != 0 && $.investorBalances[fromId] <= amount) --holders; // the sender leaves
                if (holders > $.maxHolders) {
                    return abi.encodeWithSelector(MaxHoldersExceeded.selector, holders, $.maxHolders);
                }
            }
        }
        return none;
    }

    /// @dev Records a movement the rules do not apply to (mint when `from` is zero), after the token made it:
    /// tracking only.
    function _recordMove(ModularComplianceStorage storage $, address from, address to, uint256 amount) private {
        if ($.modules & _TRACKING == 0) return;
        uint128 toId = _registry($).investorIdOf(to);
        // What the token credited `to` (nothing when it sent to itself: its balance did not change).
        _recount($, to, toId, from == to ? 0 : amount);
        _track($, from == address(0) ? 0 : $.countedInvestor[from], toId, amount);
    }

    /**
     * @dev Before `wallet`'s receipt is counted under investor `id`: if its balance is counted under another id
     * (it was re-registered, or never counted), the whole balance moves to `id`. `received` is what the
     * token has already credited and the caller counts itself (0 before the movement, its amount after).
     */
    function _recount(ModularComplianceStorage storage $, address wallet, uint128 id, uint256 received) private {
        uint128 counted = $.countedInvestor[wallet];
        if (counted == id) return;
        uint256 balance = IBoundToken($.token).balanceOf(wallet) - received;
        _track($, counted, id, balance);
        $.countedInvestor[wallet] = id;
        emit WalletCounted(wallet, counted, id);
    }

    /// @dev Moves `amount` between investors' tracked balances (id 0: outside, i.e. mint or burn) and counts holders.
    function _track(ModularComplianceStorage storage $, uint128 fromId, uint128 toId, uint256 amount) private {
        if (fromId == toId || amount == 0) return;
        bool left;
        bool arrived;
        if (fromId != 0) {
            uint256 balance = $.investorBalances[fromId];
            // Saturates only after a {resync} reset the id; per-wallet counting keeps it exact otherwise.
            uint256 remaining = balance > amount ? balance - amount : 0;
            $.investorBalances[fromId] = remaining;
            left = remaining == 0 && balance != 0;
        }
        if (toId != 0) {
            uint256 balance = $.investorBalances[toId];
            $.investorBalances[toId] = balance + amount;
            arrived = balance == 0;
        }
        // The holder count (slot 0) is written only when an investor arrives or leaves, not both.
        if (arrived != left) {
            if (arrived) ++$.holderCount;
            else --$.holderCount;
        }
    }

    /**
     * @dev A mint locks the wallet until `now + lockupPeriod`, or leaves its later lock: one lock per wallet, the
     * latest of its mints' (and of a recovered wallet's), never moved back. Not lots: per-lot locks would cost
     * every transfer a walk over the sender's lots; one timestamp is one read, and only errs on the strict side
     * (tokens of an earlier mint wait for the latest lock).
     */
    function _lock(ModularComplianceStorage storage $, address wallet) private {
        uint64 until = uint64(block.timestamp) + $.lockupPeriod;
        if (until <= $.lockedUntil[wallet]) return;
        $.lockedUntil[wallet] = until;
        emit WalletLocked(wallet, until);
    }

    /**
     * @dev The rule a custodian ({CUSTODIAN_ROLE} on the token) is excused from, given the `violation` {_check} found
     * (0: none, the refusal stands). A custodian holds for investors, it is not one: a mint to it is not refused for
     * its country or its accreditation (its tokens face those rules when it sends them on: the receiver's), and its
     * sending is not refused for its lockup, which passes to the receiver instead ({_inheritLock}): tokens minted at an
     * offering's close stay locked for their buyers until the lock the close set. Max-balance and max-holders need no
     * excuse: a custodian is not registered, so it counts under investor id 0 as a mint's source does. Asked only once
     * a rule has refused, so no ordinary movement pays for it.
     */
    function _custodianExcuse(bytes memory violation, address from, address to) private view returns (uint256) {
        bytes4 reason;
        assembly ("memory-safe") {
            reason := mload(add(violation, 0x20))
        }
        if (reason == TokensLocked.selector) return _isCustodian(from) ? MODULE_LOCKUP : 0;
        if (from != address(0)) return 0;
        if (reason == CountryNotAllowed.selector) return _isCustodian(to) ? MODULE_COUNTRY_ALLOW : 0;
        if (reason == NotAccredited.selector) return _isCustodian(to) ? MODULE_ACCREDITED_ONLY : 0;
        return 0;
    }

    /// @dev `modules_` without the rule a custodian is excused from (its lock handed on to `to`), or the refusal.
    function _excuseOrRefuse(
        ModularComplianceStorage storage $,
        uint256 modules_,
        bytes memory violation,
        address from,
        address to
    ) private returns (uint256) {
        uint256 excused = _custodianExcuse(violation, from, to);
        if (excused == 0) {
            assembly {
                revert(add(violation, 0x20), mload(violation))
            }
        }
        if (excused == MODULE_LOCKUP) _inheritLock($, from, to);
        return modules_ & ~excused;
    }

    function _isCustodian(address wallet) private view returns (bool) {
        return IAccessControl(_getStorage().token).hasRole(CUSTODIAN_ROLE, wallet);
    }

    /// @dev A custodian's live lock passes to the wallet it sends to (never shortening that wallet's own lock).
    function _inheritLock(ModularComplianceStorage storage $, address custodian, address wallet) private {
        uint64 until = $.lockedUntil[custodian];
        if (until <= $.lockedUntil[wallet]) return;
        $.lockedUntil[wallet] = until;
        emit WalletLocked(wallet, until);
    }

    /// @dev `checkTransfer` with {EXTERNAL_CALL_GAS} gas; `ok` only for a clean 32-byte boolean answer.
    function _staticAsk(address module, address from, address to, uint256 amount)
        private
        view
        returns (bool ok, bool allowed)
    {
        bytes4 question = IComplianceModule.checkTransfer.selector;
        uint256 answer;
        // Encoded past the free-memory pointer without moving it: nothing else uses that memory meanwhile.
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, question)
            mstore(add(data, 0x04), from)
            mstore(add(data, 0x24), to)
            mstore(add(data, 0x44), amount)
            let success := staticcall(EXTERNAL_CALL_GAS, module, data, 0x64, 0, 0x20)
            answer := mload(0)
            ok := and(success, and(eq(returndatasize(), 0x20), lt(answer, 2)))
        }
        allowed = answer == 1;
    }

    /// @dev Tells every external module of a movement: `hook(first, second, amount)` for `transferred`, else
    /// `hook(first, amount)` (`created(to, amount)`, `destroyed(from, amount)`). Each call gets {EXTERNAL_CALL_GAS}
    /// gas, and a revert refuses the movement ({ExternalModuleFailed}). One encoding for every module, written past
    /// the free-memory pointer; in assembly because every transfer with an external module pays for it. (A module
    /// has code: it answered ERC-165 when added, and since Cancun code vanishes only in the transaction that made it.)
    function _tellModules(ModularComplianceStorage storage $, bytes4 hook, address first, address second, uint256 amount)
        private
    {
        uint256 size = hook == IComplianceModule.transferred.selector ? 0x64 : 0x44;
        assembly ("memory-safe") {
            let externals := sload(add($.slot, _EXTERNALS_SLOT)) // as {_externals}
            let count := and(shr(_COUNT_OFFSET, externals), 0xff)
            if count {
                let data := mload(0x40)
                mstore(data, hook)
                mstore(add(data, 0x04), first)
                switch size
                case 0x44 { mstore(add(data, 0x24), amount) }
                default {
                    mstore(add(data, 0x24), second)
                    mstore(add(data, 0x44), amount)
                }
                let module := and(externals, 0xffffffffffffffffffffffffffffffffffffffff)
                let rest := add($.slot, _REST_SLOT) // externalModulesRest[0]
                for { let i := 1 } 1 { i := add(i, 1) } {
                    if iszero(call(EXTERNAL_CALL_GAS, module, 0, data, size, 0, 0)) {
                        mstore(0, 0x12486205) // ExternalModuleFailed(address)
                        mstore(0x20, module)
                        revert(0x1c, 0x24)
                    }
                    if eq(i, count) { break }
                    module := sload(add(rest, sub(i, 1)))
                }
            }
        }
    }

    /// @dev The appended slot as one word: `externalModule0`, `externalCount` and `moreModules` in one read.
    function _externals(ModularComplianceStorage storage $) private view returns (uint256 word) {
        assembly {
            word := sload(add($.slot, _EXTERNALS_SLOT))
        }
    }

    /// @dev Slot 0 as one word: `token` (bits 0-159), `modules` (160-167), `holderCount` (168-199),
    /// `maxHolders` (200-231).
    function _slot0(ModularComplianceStorage storage $) private view returns (uint256 word) {
        assembly {
            word := sload($.slot)
        }
    }

    /// @dev The enabled built-in modules.
    function _builtins(ModularComplianceStorage storage $) private view returns (uint256 bits) {
        uint256 low = $.modules;
        bits = low & _LOW_BITS;
        if (low & _EXTENDED != 0) bits |= uint256($.moreModules) << 8;
    }

    function _setBuiltins(ModularComplianceStorage storage $, uint256 bits) private {
        $.modules = uint8(($.modules & (_TRACKING | _EXTENDED)) | (bits & _LOW_BITS));
        if (bits >> 8 != $.moreModules) $.moreModules = uint16(bits >> 8);
        _syncExtended($);
    }

    /// @dev Keeps `_EXTENDED` set exactly while `moreModules` or an external module is in use.
    function _syncExtended(ModularComplianceStorage storage $) private {
        uint8 low = $.modules;
        uint8 flagged = $.moreModules != 0 || $.externalCount != 0 ? low | uint8(_EXTENDED) : low & ~uint8(_EXTENDED);
        if (flagged != low) $.modules = flagged;
    }

    function _externalAt(ModularComplianceStorage storage $, uint256 i) private view returns (address) {
        return i == 0 ? $.externalModule0 : $.externalModulesRest[i - 1];
    }

    function _setExternalAt(ModularComplianceStorage storage $, uint256 i, address module) private {
        if (i == 0) $.externalModule0 = module;
        else $.externalModulesRest[i - 1] = module;
    }

    /// @dev Whether the token must call the compliance: a module is enabled, or investor balances are tracked.
    function _isActive(ModularComplianceStorage storage $) private view returns (bool) {
        return $.modules != 0; // a built-in bit, `_TRACKING` or `_EXTENDED`
    }

    /// @dev After a module is removed: with none left, tracking stops and the token stops calling.
    function _afterRemoval(ModularComplianceStorage storage $) private {
        if (_builtins($) != 0 || $.externalCount != 0) return;
        if ($.modules & _TRACKING != 0) {
            $.modules = 0;
            emit TrackingChanged(false);
        }
        _notifyToken($.token, false);
    }

    function _registry(ModularComplianceStorage storage $) private view returns (IComplianceRegistry) {
        return IComplianceRegistry(IBoundToken($.token).identityRegistry());
    }

    function _notifyToken(address token, bool active) private {
        // A compliance the token has not adopted yet stays silent; the token reads `hasModules` on adoption.
        if (IBoundToken(token).compliance() == address(this)) IComplianceAwareToken(token).complianceModulesChanged(active);
    }

    function _requireModule(uint256 module) private pure {
        if (module == 0 || module & _ALL_MODULES != module || module & (module - 1) != 0) revert UnknownModule(module);
    }
}
