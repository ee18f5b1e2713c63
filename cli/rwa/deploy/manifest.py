"""The vocabulary of a deployment manifest, and its validation.

A manifest is plain Python (``deployments/manifest.py``) that builds a :class:`Manifest` out of
:class:`Contract` entries. Arguments are literals or symbolic values that the engine resolves on a
given network: :func:`ref` (another entry's address, implementation, admin or beacon),
:func:`account` (a named account), :func:`param` (a per-network parameter) and :func:`role`
(``keccak256`` of a role name). An entry may also name a contract that already exists on some
networks (:class:`External`: Safe's singleton and factory, a stablecoin): there it is referred to,
checked by its code hash, and recorded, never deployed. Nothing here talks to a chain.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from rwa.core.errors import ManifestError, RwaError

ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TEST_ACCOUNT_RE = re.compile(r"^test:(\d+)$")
HASH_RE = re.compile(r"^0x[0-9a-fA-F]{64}$")


class ProxyKind(str, Enum):
    NONE = "none"
    TRANSPARENT = "transparent"
    UUPS = "uups"
    BEACON = "beacon"


#: The facets of a deployed entry that other entries may refer to.
REF_FACETS = ("address", "implementation", "admin", "beacon")


@dataclass(frozen=True)
class Ref:
    """Another entry of the manifest: its address, or one facet of its proxy."""

    name: str
    facet: str = "address"


@dataclass(frozen=True)
class AccountRef:
    """A named account of the network (``deployer`` is always the sending account)."""

    name: str


@dataclass(frozen=True)
class Param:
    """A per-network parameter."""

    key: str


@dataclass(frozen=True)
class Role:
    """``keccak256(name)``, the way OpenZeppelin names access-control roles."""

    name: str


@dataclass(frozen=True)
class Encoded:
    """The calldata of ``contract_type.function(*args)``: an initializer handed to a factory."""

    contract_type: str
    function: str
    args: tuple[Any, ...]


def encoded(contract_type: str, function: str, *args: Any) -> Encoded:
    return Encoded(contract_type, function, tuple(args))


def ref(name: str, facet: str = "address") -> Ref:
    return Ref(name, facet)


def account(name: str) -> AccountRef:
    return AccountRef(name)


def param(key: str) -> Param:
    return Param(key)


def role(name: str) -> Role:
    return Role(name)


@dataclass(frozen=True)
class Check:
    """A view call whose result tells whether a post-deploy call's effect already holds."""

    function: str
    args: tuple[Any, ...] = ()
    expect: Any = True


@dataclass(frozen=True)
class Call:
    """A transaction sent after the entry is deployed, skipped while ``check`` holds."""

    function: str
    args: tuple[Any, ...]
    check: Check
    target: str | None = None  # another entry; default: the entry that declares the call
    networks: frozenset[str] | None = None  # None: every network the entry is on
    # Who must make the call: None, the deployer; ref("Timelock") for the timelock's own roles (sent
    # as the timelock on local chains; on live networks the plan gives the proposal to write).
    by: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.networks, (list, set, tuple)):
            object.__setattr__(self, "networks", frozenset(self.networks))


@dataclass(frozen=True)
class External:
    """A contract that already exists on a network: where it is, and the keccak256 of the runtime
    code expected there (None: any code will do). The project's own build of the entry's contract
    type is accepted as well (a rehearsal chain carries that)."""

    address: str
    code_hash: str | None = None


@dataclass(frozen=True)
class FactoryCall:
    """How an entry is made when a factory creates it (a Safe, a clone): the call, and the event
    whose first indexed address argument is the new contract."""

    factory: Any  # usually ref("Factory") or param("factory")
    function: str
    args: tuple[Any, ...]
    event: str


@dataclass(frozen=True)
class Contract:
    """One entry: a contract that must exist on the network under ``name``."""

    name: str
    contract_type: str = ""
    args: tuple[Any, ...] = ()
    proxy: ProxyKind = ProxyKind.NONE
    initializer: str | None = None  # a BEACON entry without one is the beacon alone (for factories)
    init_args: tuple[Any, ...] = ()
    admin: Any = None  # owner of the ProxyAdmin (transparent) or of the beacon
    proxy_contract: str | None = None  # a UUPS proxy of the project's own, instead of UUPSProxy (same constructor)
    salt: str | None = None  # CREATE2 salt, through the deterministic deployment proxy
    calls: tuple[Call, ...] = ()
    networks: frozenset[str] | None = None  # None: every network
    created_by: FactoryCall | None = None  # made by a factory call instead of a creation
    after: tuple[str, ...] = ()  # entries that must be in place first, beyond those referred to
    external: Mapping[str, External] = field(default_factory=dict, hash=False)  # network -> existing contract
    # Names the entry had before (oldest first), and so its contract type if it was named alike: a record
    # under one of them is this entry's, adopted with nothing sent (rwa.deploy.renames).
    formerly: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.contract_type:
            object.__setattr__(self, "contract_type", self.name)
        if isinstance(self.networks, (list, set, tuple)):
            object.__setattr__(self, "networks", frozenset(self.networks))

    @property
    def beacon_only(self) -> bool:
        """A BEACON entry with no initializer: the implementation and its beacon, no instance."""
        return self.proxy is ProxyKind.BEACON and not self.initializer

    def deployed_on(self, network: str) -> bool:
        return self.networks is None or network in self.networks

    def external_on(self, network: str) -> External | None:
        """The existing contract this entry refers to on ``network`` (None: the engine deploys it)."""
        return self.external.get(network)


@dataclass(frozen=True)
class Network:
    """What differs per network: where it is, who acts, and parameters."""

    name: str
    ape_choice: str
    local: bool = False
    accounts: Mapping[str, str] = field(default_factory=dict)  # name -> address or "test:N"
    params: Mapping[str, Any] = field(default_factory=dict)
    fees: Mapping[str, Any] = field(default_factory=dict)  # the fee policy (rwa.deploy.fees)
    required: tuple[str, ...] = ()  # parameters a team must choose (owners, attestor, ...): listed when missing
    confirmations: int | None = None  # blocks a transaction needs to count as mined (None: 1 live, 0 local)
    currency: str = "ETH"  # the native currency fees are paid in

    @property
    def env_prefix(self) -> str:
        """How environment variables name this network: ``BASE_SEPOLIA`` in ``BASE_SEPOLIA_RPC_URL``."""
        return re.sub(r"[^A-Z0-9]", "_", self.name.upper())

    @property
    def wanted_confirmations(self) -> int:
        return self.confirmations if self.confirmations is not None else (0 if self.local else 1)


@dataclass(frozen=True)
class Manifest:
    contracts: tuple[Contract, ...]
    networks: Mapping[str, Network]

    def network(self, name: str) -> Network:
        try:
            return self.networks[name]
        except KeyError:
            known = ", ".join(sorted(self.networks)) or "none"
            raise RwaError(f"unknown network '{name}' (the manifest knows: {known})") from None

    def entries(self, network: str) -> tuple[Contract, ...]:
        """The entries on ``network``, each with only the calls made there (none for an external one)."""
        found = []
        for contract in self.contracts:
            if not contract.deployed_on(network):
                continue
            calls = (
                ()
                if contract.external_on(network)
                else tuple(c for c in contract.calls if c.networks is None or network in c.networks)
            )
            found.append(contract if calls == contract.calls else replace(contract, calls=calls))
        return tuple(found)

    def entry(self, name: str) -> Contract:
        for contract in self.contracts:
            if contract.name == name:
                return contract
        raise RwaError(f"unknown contract '{name}' in the manifest")


def symbols(value: Any) -> Iterator[Any]:
    """Every symbolic value (Ref, AccountRef, Param, Role) inside a possibly nested value."""
    if isinstance(value, (Ref, AccountRef, Param, Role)):
        yield value
    elif isinstance(value, Encoded):
        yield from symbols(value.args)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from symbols(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from symbols(item)


def entry_values(contract: Contract) -> Iterator[Any]:
    """Every argument of an entry: constructor, initializer, admin, calls and their checks."""
    yield from contract.args
    yield from contract.init_args
    yield contract.admin
    if contract.created_by is not None:
        yield contract.created_by.factory
        yield from contract.created_by.args
    for call in contract.calls:
        yield from call.args
        yield from call.check.args
        yield call.check.expect
        yield call.by


def direct_dependencies(contract: Contract, network: Network) -> set[str]:
    """The entries this one needs deployed first (parameters that are refs count too).

    Calls' arguments count too, so a call granting a role to another entry runs after that
    entry exists.
    """
    found: set[str] = set()
    pending = list(entry_values(contract))
    seen_params: set[str] = set()
    while pending:
        for symbol in symbols(pending.pop()):
            if isinstance(symbol, Ref):
                found.add(symbol.name)
            elif isinstance(symbol, Param) and symbol.key not in seen_params:
                seen_params.add(symbol.key)
                if symbol.key in network.params:
                    pending.append(network.params[symbol.key])
    for call in contract.calls:
        if call.target:
            found.add(call.target)
    found.update(contract.after)
    found.discard(contract.name)
    return found


def dependency_order(entries: Iterable[Contract], network: Network) -> list[Contract]:
    """Entries in an order where each comes after what it refers to (stable otherwise)."""
    entries = list(entries)
    by_name = {c.name: c for c in entries}
    ordered: list[Contract] = []
    state: dict[str, str] = {}

    def visit(contract: Contract, path: list[str]) -> None:
        mark = state.get(contract.name)
        if mark == "done":
            return
        if mark == "active":
            cycle = path[path.index(contract.name) :] + [contract.name]
            raise ManifestError([f"reference cycle: {' -> '.join(cycle)}"])
        state[contract.name] = "active"
        for dep in sorted(direct_dependencies(contract, network)):
            if dep in by_name:
                visit(by_name[dep], path + [contract.name])
        state[contract.name] = "done"
        ordered.append(contract)

    for contract in entries:
        visit(contract, [])
    return ordered


def validate(manifest: Manifest, network_name: str, artifacts: Mapping[str, Any]) -> list[str]:
    """Every problem of the manifest for one network, as one line each (empty: valid).

    ``artifacts`` maps compiled contract names to objects with ``abi`` (see rwa.chain.artifacts).
    """
    problems: list[str] = []
    if network_name not in manifest.networks:
        return [f"unknown network '{network_name}' (the manifest knows: {', '.join(sorted(manifest.networks))})"]
    network = manifest.networks[network_name]
    entries = manifest.entries(network_name)
    names = [c.name for c in entries]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{duplicate}: declared more than once")
    by_name = {c.name: c for c in entries}

    for key, value in sorted(network.accounts.items()):
        if not (ADDRESS_RE.match(value) or TEST_ACCOUNT_RE.match(value)):
            problems.append(f"network {network_name}: account '{key}' is not an address: {value!r}")
        elif TEST_ACCOUNT_RE.match(value) and not network.local:
            problems.append(f"network {network_name}: account '{key}' uses a local test key on a live network")

    for key in network.required:
        if key not in network.params:
            problems.append(f"missing parameter '{key}' for network {network_name} (a team's choice: see deployments/examples/)")

    for contract in entries:
        where = contract.name
        if not NAME_RE.match(contract.name):
            problems.append(f"{where}: name must be an identifier")
        if contract.contract_type not in artifacts:
            problems.append(f"{where}: unknown contract type '{contract.contract_type}'")
        external = contract.external_on(network_name)
        if external is not None:
            problems.extend(f"{where}: {p}" for p in _external_problems(contract, external))
            continue
        if contract.contract_type in artifacts:
            problems.extend(f"{where}: {p}" for p in _arity_problems(contract, artifacts, by_name))
        if contract.proxy in (ProxyKind.UUPS, ProxyKind.TRANSPARENT) and not contract.initializer:
            problems.append(f"{where}: a {contract.proxy.value} proxy needs an initializer")
        if contract.proxy is ProxyKind.NONE and (contract.initializer or contract.init_args):
            problems.append(f"{where}: an initializer needs a proxy kind")
        if contract.proxy is ProxyKind.BEACON and contract.init_args and not contract.initializer:
            problems.append(f"{where}: initializer arguments without an initializer")
        if contract.proxy_contract is not None and contract.proxy is not ProxyKind.UUPS:
            problems.append(f"{where}: a proxy contract of its own needs a uups proxy")
        elif contract.proxy_contract is not None and contract.proxy_contract not in artifacts:
            problems.append(f"{where}: unknown proxy contract type '{contract.proxy_contract}'")
        if contract.proxy in (ProxyKind.TRANSPARENT, ProxyKind.BEACON) and contract.admin is None:
            problems.append(f"{where}: a {contract.proxy.value} proxy needs an admin")
        if contract.created_by is not None:
            problems.extend(f"{where}: {p}" for p in _factory_problems(contract, network, artifacts, by_name))
        for former in contract.formerly:
            if not NAME_RE.match(former) or former in by_name:
                problems.append(f"{where}: former name '{former}' must be an identifier no entry has now")
            elif [c.name for c in entries if former in c.formerly] != [contract.name]:
                problems.append(f"{where}: former name '{former}' is claimed by more than one entry")
        for name in contract.after:
            if name not in by_name:
                problems.append(f"{where}: comes after unknown contract '{name}'")
        for call in contract.calls:
            if call.target and call.target not in by_name:
                problems.append(f"{where}: call {call.function} targets unknown contract '{call.target}'")
        for value in entry_values(contract):
            problems.extend(f"{where}: {p}" for p in _value_problems(value, manifest, network, by_name, contract))

    try:
        dependency_order(entries, network)
    except ManifestError as exc:
        problems.extend(exc.problems)
    return list(dict.fromkeys(problems))  # a parameter used twice by an entry is one problem


def _external_problems(contract: Contract, external: External) -> Iterator[str]:
    if not ADDRESS_RE.match(str(external.address)):
        yield f"external address is not an address: {external.address!r}"
    if external.code_hash is not None and not HASH_RE.match(str(external.code_hash)):
        yield f"external code hash is not a 32-byte hex value: {external.code_hash!r}"
    if contract.proxy is not ProxyKind.NONE or contract.created_by is not None or contract.salt:
        yield "an external contract takes no proxy, factory or salt"


def _factory_problems(
    contract: Contract, network: Network, artifacts: Mapping[str, Any], by_name: Mapping[str, Contract]
) -> Iterator[str]:
    made = contract.created_by
    assert made is not None
    if contract.proxy is not ProxyKind.NONE or contract.args or contract.salt:
        yield "an entry created by a factory takes no proxy, constructor arguments or salt"
    factory = made.factory
    while isinstance(factory, Param) and factory.key in network.params:
        factory = network.params[factory.key]
    if isinstance(factory, Ref) and factory.name in by_name and by_name[factory.name].contract_type in artifacts:
        abi = artifacts[by_name[factory.name].contract_type].abi
        function = _abi_function(abi, made.function)
        if function is None:
            yield f"factory {factory.name} has no function '{made.function}'"
        elif len(function.get("inputs", [])) != len(made.args):
            yield f"{made.function} takes {len(function['inputs'])} argument(s), manifest gives {len(made.args)}"
        event = next((i for i in abi if i.get("type") == "event" and i.get("name") == made.event), None)
        if event is None or not any(i.get("indexed") and i["type"] == "address" for i in event.get("inputs", [])):
            yield f"factory {factory.name} has no event '{made.event}' with an indexed address"
    for value in made.args:
        for item in _encoded_values(value):
            if item.contract_type not in artifacts:
                yield f"encoded call on unknown contract type '{item.contract_type}'"
            else:
                function = _abi_function(artifacts[item.contract_type].abi, item.function)
                if function is None:
                    yield f"{item.contract_type} has no function '{item.function}'"
                elif len(function.get("inputs", [])) != len(item.args):
                    yield f"{item.function} takes {len(function['inputs'])} argument(s), manifest gives {len(item.args)}"


def _encoded_values(value: Any) -> Iterator[Encoded]:
    if isinstance(value, Encoded):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _encoded_values(item)


def _abi_function(abi: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((i for i in abi if i.get("type") == "function" and i.get("name") == name), None)


def _arity_problems(contract: Contract, artifacts: Mapping[str, Any], by_name: Mapping[str, Contract]) -> Iterator[str]:
    """Arguments that do not fit the compiled ABI: missing, extra, or unknown functions."""
    abi = artifacts[contract.contract_type].abi
    constructor: dict[str, Any] = next((i for i in abi if i.get("type") == "constructor"), {"inputs": []})
    wanted = len(constructor.get("inputs", []))
    if contract.created_by is None and len(contract.args) != wanted:
        yield f"constructor takes {wanted} argument(s), manifest gives {len(contract.args)}"
    if contract.initializer:
        function = _abi_function(abi, contract.initializer)
        if function is None:
            yield f"{contract.contract_type} has no initializer '{contract.initializer}'"
        elif len(function.get("inputs", [])) != len(contract.init_args):
            yield f"{contract.initializer} takes {len(function['inputs'])} argument(s), manifest gives {len(contract.init_args)}"
    for call in contract.calls:
        owner = by_name.get(call.target or contract.name)
        if owner is None or owner.contract_type not in artifacts:
            continue
        target_abi = artifacts[owner.contract_type].abi
        for name, args in ((call.function, call.args), (call.check.function, call.check.args)):
            function = _abi_function(target_abi, name)
            if function is None:
                yield f"{owner.contract_type} has no function '{name}'"
            elif len(function.get("inputs", [])) != len(args):
                yield f"{name} takes {len(function['inputs'])} argument(s), manifest gives {len(args)}"


def _value_problems(
    value: Any, manifest: Manifest, network: Network, by_name: Mapping[str, Contract], owner: Contract
) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42 and not ADDRESS_RE.match(value):
        yield f"bad address {value!r}"
    for symbol in symbols(value):
        if isinstance(symbol, Ref):
            target = by_name.get(symbol.name)
            if target is None:
                if any(c.name == symbol.name for c in manifest.contracts):
                    yield f"refers to '{symbol.name}', which is not deployed on {network.name}"
                else:
                    yield f"refers to unknown contract '{symbol.name}'"
            elif symbol.facet not in REF_FACETS:
                yield f"ref {symbol.name}.{symbol.facet}: unknown facet (one of {', '.join(REF_FACETS)})"
            elif symbol.facet != "address" and target.proxy is ProxyKind.NONE:
                yield f"ref {symbol.name}.{symbol.facet}: '{symbol.name}' is not a proxy"
            elif symbol.facet == "beacon" and target.proxy is not ProxyKind.BEACON:
                yield f"ref {symbol.name}.beacon: '{symbol.name}' is not a beacon proxy"
        elif isinstance(symbol, AccountRef):
            if symbol.name != "deployer" and symbol.name not in network.accounts:
                yield f"account '{symbol.name}' is not defined for network {network.name}"
        elif isinstance(symbol, Param):
            if symbol.key not in network.params:
                if symbol.key not in network.required:  # those are listed once, for the network
                    yield f"missing parameter '{symbol.key}' for network {network.name}"
            else:
                yield from _value_problems(network.params[symbol.key], manifest, network, by_name, owner)


def canonical(value: Any) -> Any:
    """A JSON-able, order-stable form of manifest values, for hashing and display."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Ref):
        return {"ref": value.name if value.facet == "address" else f"{value.name}.{value.facet}"}
    if isinstance(value, AccountRef):
        return {"account": value.name}
    if isinstance(value, Param):
        return {"param": value.key}
    if isinstance(value, Role):
        return {"role": value.name}
    if isinstance(value, Encoded):
        return {"encoded": f"{value.contract_type}.{value.function}", "args": canonical(value.args)}
    if isinstance(value, (Contract, Call, Check, Network, FactoryCall, External)):
        return {k: canonical(v) for k, v in vars(value).items()}
    if isinstance(value, (frozenset, set)):
        return sorted(canonical(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def manifest_hash(manifest: Manifest, network: str) -> str:
    """A digest of what the manifest asks of one network (its entries and network settings)."""
    body = {
        "contracts": canonical(manifest.entries(network)),
        "network": canonical(manifest.network(network)),
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return "0x" + digest


def load(path: Path) -> Manifest:
    """Import a manifest file and return its ``MANIFEST``; any failure is one clear line."""
    if not path.is_file():
        raise RwaError(f"manifest not found: {path}")
    spec = importlib.util.spec_from_file_location("rwa_manifest", path)
    if spec is None or spec.loader is None:
        raise RwaError(f"cannot load manifest {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a manifest is user code: report, don't crash
        line = _line_of(exc, path)
        raise RwaError(f"manifest {path.name}{line}: {type(exc).__name__}: {exc}") from None
    manifest = getattr(module, "MANIFEST", None)
    if not isinstance(manifest, Manifest):
        raise RwaError(f"manifest {path.name} must define MANIFEST = Manifest(...)")
    return manifest


def _line_of(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f":{exc.lineno}"
    tb = exc.__traceback__
    line = ""
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line
