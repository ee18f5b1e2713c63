// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IComplianceRegistry} from "../interfaces/IComplianceRegistry.sol";
import {IPropertyCompliance, IComplianceAwareToken, IComplianceErrors} from "../interfaces/IPropertyCompliance.sol";

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
}

/**
 * @title ModularCompliance
 * @notice The per-property transfer rules of one {PropertyToken}, as modules the owner enables and
 * configures: country allow-list, maximum balance per investor, maximum number of investors, lockup
 * after issuance, supply cap, accredited investors only.
 *
 * @dev Deployed behind a beacon proxy by {PropertyTokenFactory}; ERC-7201 namespaced storage. Its owner
 * is the token's owner: whoever holds the token's `DEFAULT_ADMIN_ROLE` (the timelock) configures it,
 * so one grant moves both. The token address doubles as the initialization flag (one storage write to
 * create a property's compliance); the implementation itself is locked at construction.
 *
 * The modules are built in (enabled by bit, configured by setters) rather than separate contracts,
 * so that a transfer costs the token ONE call whatever the number of modules, and each rule reads
 * only its own storage. The registry is read through the token, so both always agree.
 *
 * Rules, each checked only while its module is enabled (a mint is a transfer from the zero address):
 *
 * - `MODULE_COUNTRY_ALLOW`: the receiver's country must be on the allow-list.
 * - `MODULE_MAX_BALANCE`: no investor (investor id, across all its wallets) may hold more than `maxBalance`.
 * - `MODULE_MAX_HOLDERS`: no more than `maxHolders` investors may hold tokens.
 * - `MODULE_LOCKUP`: tokens minted to a wallet lock that wallet's transfers for `lockupPeriod` seconds.
 * - `MODULE_SUPPLY_CAP`: mints may not raise the total supply above `supplyCap`.
 * - `MODULE_ACCREDITED_ONLY`: the receiver must be an accredited investor.
 *
 * Balances per investor (for the max-balance and max-holders modules) are tracked from the moment
 * either of those modules is first enabled, which must happen before any token exists; tracking then
 * never stops, so they can be disabled and enabled again safely.
 */
contract ModularCompliance is IPropertyCompliance, IComplianceErrors, ContextUpgradeable {
    /// @notice Receiver's country must be allowed.
    uint8 public constant MODULE_COUNTRY_ALLOW = 1;
    /// @notice Investor balances are capped.
    uint8 public constant MODULE_MAX_BALANCE = 2;
    /// @notice The number of investors holding tokens is capped.
    uint8 public constant MODULE_MAX_HOLDERS = 4;
    /// @notice Minted tokens lock the receiving wallet for a period.
    uint8 public constant MODULE_LOCKUP = 8;
    /// @notice The total supply is capped.
    uint8 public constant MODULE_SUPPLY_CAP = 16;
    /// @notice Receivers must be accredited.
    uint8 public constant MODULE_ACCREDITED_ONLY = 32;

    uint8 private constant _ALL_MODULES = 63;
    uint8 private constant _TRACKING = 128; // investor balances are being tracked (never cleared)
    uint8 private constant _TRACKED_MODULES = MODULE_MAX_BALANCE | MODULE_MAX_HOLDERS;

    /// @custom:storage-location erc7201:rwa.storage.ModularCompliance
    struct ModularComplianceStorage {
        // slot 0: read by every call from the token
        address token;
        uint8 modules;
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
    }

    // keccak256(abi.encode(uint256(keccak256("rwa.storage.ModularCompliance")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ModularComplianceStorageLocation =
        0xbd677e34bfc8c6156431e5db8716252efa082989c9e1d0263fb242dbe5af1b00;

    /// @notice Emitted when a module is enabled.
    event ModuleAdded(uint8 indexed module);
    /// @notice Emitted when a module is disabled.
    event ModuleRemoved(uint8 indexed module);
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
    /// @notice Emitted when minted tokens lock a wallet.
    event WalletLocked(address indexed wallet, uint64 until);

    error ZeroAddress();
    error AlreadyInitialized();
    error OnlyTokenAdmin(address caller);
    error OnlyBoundToken(address caller);
    error UnknownModule(uint8 module);
    error ModuleAlreadyEnabled(uint8 module);
    error ModuleNotEnabled(uint8 module);
    error ModuleNeedsEmptyToken(uint8 module, uint256 supply);
    error InvalidCountry(uint16 country);
    error ValueTooLarge(uint256 value, uint256 max);

    function _getStorage() private pure returns (ModularComplianceStorage storage $) {
        assembly {
            $.slot := ModularComplianceStorageLocation
        }
    }

    modifier onlyToken() {
        if (_msgSender() != _getStorage().token) revert OnlyBoundToken(_msgSender());
        _;
    }

    /// @dev Only an admin (`DEFAULT_ADMIN_ROLE`) of the bound token.
    modifier onlyOwner() {
        if (!IAccessControl(_getStorage().token).hasRole(bytes32(0), _msgSender())) revert OnlyTokenAdmin(_msgSender());
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
     * @notice Enables one module (one of the `MODULE_*` bits).
     * @dev Token admin only. The max-balance and max-holders modules can first be enabled only while the token
     * has no supply. Tells the token when the first module is enabled. Emits {ModuleAdded}.
     */
    function addModule(uint8 module) external onlyOwner {
        _requireModule(module);
        ModularComplianceStorage storage $ = _getStorage();
        uint8 modules = $.modules;
        if (modules & module != 0) revert ModuleAlreadyEnabled(module);
        bool wasInactive = modules == 0;
        if (module & _TRACKED_MODULES != 0 && modules & _TRACKING == 0) {
            uint256 supply = IBoundToken($.token).totalSupply();
            if (supply != 0) revert ModuleNeedsEmptyToken(module, supply);
            modules |= _TRACKING;
        }
        $.modules = modules | module;
        if (wasInactive) _notifyToken($.token, true);
        emit ModuleAdded(module);
    }

    /**
     * @notice Disables one module.
     * @dev Token admin only. Investor balances stay tracked once they have been. Emits {ModuleRemoved}.
     */
    function removeModule(uint8 module) external onlyOwner {
        _requireModule(module);
        ModularComplianceStorage storage $ = _getStorage();
        uint8 modules = $.modules;
        if (modules & module == 0) revert ModuleNotEnabled(module);
        modules &= ~module;
        $.modules = modules;
        if (modules == 0) _notifyToken($.token, false);
        emit ModuleRemoved(module);
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
    function enforceTransfer(address from, address to, uint256 amount) external onlyToken {
        _enforce(from, to, amount);
    }

    /// @inheritdoc IPropertyCompliance
    function enforceMint(address to, uint256 amount) external onlyToken {
        _enforce(address(0), to, amount);
    }

    /// @inheritdoc IPropertyCompliance
    function transferred(address from, address to, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        if ($.modules & _TRACKING != 0) {
            IComplianceRegistry registry = _registry($);
            _track($, registry.investorIdOf(from), registry.investorIdOf(to), amount);
        }
    }

    /// @inheritdoc IPropertyCompliance
    function created(address to, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        uint8 modules = $.modules;
        if (modules & _TRACKING != 0) _track($, 0, _registry($).investorIdOf(to), amount);
        if (modules & MODULE_LOCKUP != 0) _lock($, to);
    }

    /// @inheritdoc IPropertyCompliance
    function destroyed(address from, uint256 amount) external onlyToken {
        ModularComplianceStorage storage $ = _getStorage();
        if ($.modules & _TRACKING != 0) _track($, _registry($).investorIdOf(from), 0, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPropertyCompliance
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        ModularComplianceStorage storage $ = _getStorage();
        (bytes memory violation,,) = _check($, $.modules, from, to, amount);
        return violation.length == 0;
    }

    /// @notice The reason (an encoded custom error) a transfer would be refused, empty when it would pass.
    function transferViolation(address from, address to, uint256 amount) external view returns (bytes memory) {
        ModularComplianceStorage storage $ = _getStorage();
        (bytes memory violation,,) = _check($, $.modules, from, to, amount);
        return violation;
    }

    /// @inheritdoc IPropertyCompliance
    function getTokenBound() external view returns (address) {
        return _getStorage().token;
    }

    /// @inheritdoc IPropertyCompliance
    function hasModules() external view returns (bool) {
        return _getStorage().modules != 0;
    }

    /// @notice The enabled modules, as a bit set of `MODULE_*`.
    function modules() external view returns (uint8) {
        return _getStorage().modules & _ALL_MODULES;
    }

    /// @notice Whether `module` is enabled.
    function isModuleEnabled(uint8 module) external view returns (bool) {
        return module != 0 && _getStorage().modules & module == module;
    }

    /// @notice Whether `country` is on the allow-list.
    function isCountryAllowed(uint16 country) public view returns (bool) {
        return _getStorage().allowedCountries[country >> 8] & (1 << (country & 0xff)) != 0;
    }

    /// @notice The tracked balance of investor `investorId` across its wallets.
    function investorBalance(uint128 investorId) external view returns (uint256) {
        return _getStorage().investorBalances[investorId];
    }

    /// @notice The number of investors holding tokens (tracked once max-balance or max-holders is enabled).
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

    function _enforce(address from, address to, uint256 amount) private {
        ModularComplianceStorage storage $ = _getStorage();
        uint8 modules_ = $.modules;
        (bytes memory violation, uint128 fromId, uint128 toId) = _check($, modules_, from, to, amount);
        if (violation.length != 0) {
            assembly {
                revert(add(violation, 0x20), mload(violation))
            }
        }
        if (modules_ & _TRACKING != 0) _track($, fromId, toId, amount);
        if (from == address(0) && modules_ & MODULE_LOCKUP != 0) _lock($, to);
    }

    /**
     * @dev The first rule the movement breaks, as an encoded custom error (empty when none), and the
     * investor ids of both parties when investor balances are tracked.
     */
    function _check(ModularComplianceStorage storage $, uint8 modules_, address from, address to, uint256 amount)
        private
        view
        returns (bytes memory, uint128 fromId, uint128 toId)
    {
        if (modules_ == 0) return ("", 0, 0);
        IComplianceRegistry registry;
        if (modules_ & (MODULE_COUNTRY_ALLOW | MODULE_ACCREDITED_ONLY | _TRACKING) != 0) registry = _registry($);
        if (modules_ & MODULE_LOCKUP != 0 && from != address(0)) {
            uint64 until = $.lockedUntil[from];
            if (until > block.timestamp) return (abi.encodeWithSelector(TokensLocked.selector, from, until), 0, 0);
        }
        uint16 country;
        if (modules_ & (MODULE_COUNTRY_ALLOW | _TRACKING) != 0) {
            (IComplianceRegistry.Attestation memory record,) = IComplianceRecords(address(registry)).recordOf(to);
            toId = record.investorId;
            country = record.country;
        }
        if (modules_ & MODULE_COUNTRY_ALLOW != 0) {
            if (!isCountryAllowed(country)) {
                return (abi.encodeWithSelector(CountryNotAllowed.selector, to, country), 0, 0);
            }
        }
        if (modules_ & MODULE_ACCREDITED_ONLY != 0 && !registry.isAccredited(to)) {
            return (abi.encodeWithSelector(NotAccredited.selector, to), 0, 0);
        }
        if (modules_ & MODULE_SUPPLY_CAP != 0 && from == address(0)) {
            uint256 supply = IBoundToken($.token).totalSupply() + amount;
            if (supply > $.supplyCap) return (abi.encodeWithSelector(SupplyCapExceeded.selector, supply, $.supplyCap), 0, 0);
        }
        if (modules_ & _TRACKING != 0) {
            fromId = from == address(0) ? 0 : registry.investorIdOf(from);
            if (fromId != toId && amount != 0) {
                uint256 before = $.investorBalances[toId];
                uint256 balance = before + amount;
                if (modules_ & MODULE_MAX_BALANCE != 0 && balance > $.maxBalance) {
                    return (abi.encodeWithSelector(MaxBalanceExceeded.selector, toId, balance, $.maxBalance), 0, 0);
                }
                if (modules_ & MODULE_MAX_HOLDERS != 0 && before == 0) {
                    uint256 holders = $.holderCount + 1;
                    if (fromId != 0 && $.investorBalances[fromId] <= amount) --holders; // the sender leaves
                    if (holders > $.maxHolders) {
                        return (abi.encodeWithSelector(MaxHoldersExceeded.selector, holders, $.maxHolders), 0, 0);
                    }
                }
            }
        }
        return ("", fromId, toId);
    }

    /// @dev Moves `amount` between investors' tracked balances (id 0: outside, i.e. mint or burn) and counts holders.
    function _track(ModularComplianceStorage storage $, uint128 fromId, uint128 toId, uint256 amount) private {
        if (fromId == toId || amount == 0) return;
        uint32 holders = $.holderCount;
        if (fromId != 0) {
            uint256 balance = $.investorBalances[fromId];
            // Saturates rather than reverts: a wallet re-registered under another id must not block transfers.
            uint256 remaining = balance > amount ? balance - amount : 0;
            $.investorBalances[fromId] = remaining;
            if (remaining == 0 && balance != 0) --holders;
        }
        if (toId != 0) {
            uint256 balance = $.investorBalances[toId];
            $.investorBalances[toId] = balance + amount;
            if (balance == 0) ++holders;
        }
        $.holderCount = holders;
    }

    function _lock(ModularComplianceStorage storage $, address wallet) private {
        uint64 until = uint64(block.timestamp) + $.lockupPeriod;
        $.lockedUntil[wallet] = until;
        emit WalletLocked(wallet, until);
    }

    function _registry(ModularComplianceStorage storage $) private view returns (IComplianceRegistry) {
        return IComplianceRegistry(IBoundToken($.token).identityRegistry());
    }

    function _notifyToken(address token, bool active) private {
        // A compliance the token has not adopted yet stays silent; the token reads `hasModules` on adoption.
        if (IBoundToken(token).compliance() == address(this)) IComplianceAwareToken(token).complianceModulesChanged(active);
    }

    function _requireModule(uint8 module) private pure {
        if (module == 0 || module & _ALL_MODULES != module || module & (module - 1) != 0) revert UnknownModule(module);
    }
}
