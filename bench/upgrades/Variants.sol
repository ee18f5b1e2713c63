// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

// Upgrade-safety fixtures: VaultV1 is what is deployed; each Unsafe* must be refused as its
// upgrade and each Safe* accepted (bench/upgrade_check.py, tests/admin/test_upgrades.py).

contract VaultV1 is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;

    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState {
        uint256 deposits;
        address token;
    }

    constructor() {
        _disableInitializers();
    }

    function initialize(address owner_) external initializer {
        owner = owner_;
    }
}

contract UnsafeInsert is Initializable {
    uint256 public fee;
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[46] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeRemove is Initializable {
    uint256 public total;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeReorder is Initializable {
    address public owner;
    uint256 public total;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeRetype is Initializable {
    uint128 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeRename is Initializable {
    uint256 public sum;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeImmutable is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    uint256 public immutable cap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }

    constructor(uint256 cap_) {
        cap = cap_;
    }
}

contract UnsafeSelfdestruct is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }

    function close() external {
        selfdestruct(payable(msg.sender));
    }
}

contract UnsafeDelegatecall is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }

    function run(address target, bytes calldata data) external {
        (bool ok,) = target.delegatecall(data);
        require(ok);
    }
}

contract UnsafeConstructorState is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }

    constructor() {
        total = 1;
    }
}

contract UnsafeGapNotShrunk is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256 public fee;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeNamespaceChanged is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.VaultV2
    struct VaultState { uint256 deposits; address token; }
}

contract UnsafeNamespaceReorder is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { address token; uint256 deposits; }
}

contract SafeAppendBeforeGap is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256 public fee;
    uint256[46] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract SafeRenameAnnotated is Initializable {
    /// @custom:oz-renamed-from total
    uint256 public sum;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract SafeRetypeAnnotated is Initializable {
    /// @custom:oz-retyped-from uint256
    int256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }
}

contract SafeNamespaceAppend is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; uint64 openedAt; }
    /// @custom:storage-location erc7201:rwa.fixture.Extra
    struct ExtraState { uint256 counter; }
}

contract SafeNewFunction is Initializable {
    uint256 public total;
    address public owner;
    mapping(address => uint256) public balances;
    uint256[47] private __gap;
    /// @custom:storage-location erc7201:rwa.fixture.Vault
    struct VaultState { uint256 deposits; address token; }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function deposit() external payable {
        total += msg.value;
        balances[msg.sender] += msg.value;
    }
}
