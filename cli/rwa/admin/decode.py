"""What a proposal's calldata does, read back from the bytes a Safe signs.

The readable parts of a proposal file (``calls``, ``safeCalls``, ``timelock``, the Safe's name) are
for reviewers; the Safe runs ``safeTx``. So every read decodes ``safeTx.data`` again with ABIs the
toolkit trusts (the deployment record's, the compiled artifacts', the Beacon and proxy-admin ones;
never an ABI from the file) and compares: one readable field that says something else makes the
proposal invalid, and :func:`mismatches` names that field. Pure functions; no node needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from rwa.admin.safe import SafeOperation
from rwa.core.abi import jsonable, selector, signature, type_string

MULTISEND_SELECTOR = keccak(text="multiSend(bytes)")[:4]
#: The timelock functions whose payload is itself a call (or a batch) that the timelock will run.
TIMELOCK_STAGES = {"schedule": "schedule", "scheduleBatch": "schedule", "execute": "execute", "executeBatch": "execute"}
ZERO_BYTES32 = "0x" + "00" * 32
#: What `rwa safe reject` sends: nothing, to the Safe itself.
REJECT = "(reject)"
#: A transparent proxy's admin (OpenZeppelin 5 ProxyAdmin): the one call upgrades make to it.
PROXY_ADMIN_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "upgradeAndCall",
        "stateMutability": "payable",
        "inputs": [
            {"name": "proxy", "type": "address"},
            {"name": "implementation", "type": "address"},
            {"name": "data", "type": "bytes"},
        ],
        "outputs": [],
    }
]


@dataclass(frozen=True)
class Known:
    """Where a trusted ABI applies: a recorded contract by address, or any compiled one by selector."""

    contracts: Mapping[str, tuple[str, list[dict[str, Any]]]]  # checksum address -> (name, ABI)
    fallback: Sequence[dict[str, Any]] = ()  # ABI items of every compiled contract (factory instances)
    multisend: str | None = None
    timelock: str | None = None  # the recorded TimelockController: its payloads are decoded too

    def name(self, address: str) -> str | None:
        entry = self.contracts.get(to_checksum_address(address))
        return entry[0] if entry else None


@dataclass(frozen=True)
class DecodedCall:
    """One call as decoded from bytes: the same fields as a proposal's ``calls[]`` entries."""

    contract: str | None  # None: an address the deployment record does not name
    address: str
    function: str
    args: list[Any]
    data: str
    value: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Operation:
    """A timelock call's payload: the stage, the operation id and what it will run."""

    address: str
    stage: str  # schedule | execute | cancel
    operationId: str
    salt: str | None
    delay: int | None
    predecessor: str | None


@dataclass(frozen=True)
class Decoded:
    """A Safe transaction, read back: the calls the Safe makes and, through the timelock, what runs."""

    safe_calls: list[DecodedCall]
    calls: list[DecodedCall]
    timelock: Operation | None = None


class Undecodable(ValueError):
    """Calldata no trusted ABI explains."""


def function_by_selector(abi: Sequence[Mapping[str, Any]], wanted: bytes) -> Mapping[str, Any] | None:
    for item in abi:
        if item.get("type") == "function" and selector(signature(item)) == wanted:
            return item
    return None


def decode_call(known: Known, address: str, value: int, data: bytes) -> DecodedCall:
    """One call, decoded with the ABI of its recorded contract (or of any compiled contract)."""
    address = to_checksum_address(address)
    name = known.name(address)
    if not data:
        return DecodedCall(name, address, REJECT if value == 0 else "(transfer)", [], "0x", value)
    entry = known.contracts.get(address)
    item = function_by_selector(entry[1], data[:4]) if entry else None
    if item is None:
        item = function_by_selector(known.fallback, data[:4])
    if item is None:
        raise Undecodable(f"no trusted ABI has function selector 0x{data[:4].hex()} (called on {address})")
    types = [type_string(i) for i in item.get("inputs", [])]
    try:
        args = list(decode(types, data[4:]))
    except Exception as exc:
        raise Undecodable(f"calldata for {item['name']} on {address} does not decode ({exc})") from None
    return DecodedCall(name, address, str(item["name"]), jsonable(args), "0x" + data.hex(), value)


def unpack_multisend(data: bytes) -> list[tuple[int, str, int, bytes]]:
    """MultiSend's packed transactions: (operation, to, value, data) each."""
    if data[:4] != MULTISEND_SELECTOR:
        raise Undecodable("a delegate call that is not multiSend(bytes)")
    try:
        (packed,) = decode(["bytes"], data[4:])
    except Exception as exc:
        raise Undecodable(f"a MultiSend call whose batch does not decode ({exc})") from None
    found: list[tuple[int, str, int, bytes]] = []
    at = 0
    while at < len(packed):
        if at + 85 > len(packed):
            raise Undecodable("a truncated MultiSend batch")
        operation = packed[at]
        to = to_checksum_address(packed[at + 1 : at + 21])
        value = int.from_bytes(packed[at + 21 : at + 53], "big")
        length = int.from_bytes(packed[at + 53 : at + 85], "big")
        found.append((operation, to, value, bytes(packed[at + 85 : at + 85 + length])))
        at += 85 + length
    return found


def operation_id(
    targets: Sequence[str], values: list[int], payloads: list[bytes], predecessor: bytes, salt: bytes, batch: bool
) -> str:
    """TimelockController's ``hashOperation`` / ``hashOperationBatch``."""
    if batch:
        encoded = encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"], [targets, values, payloads, predecessor, salt]
        )
    else:
        encoded = encode(
            ["address", "uint256", "bytes", "bytes32", "bytes32"], [targets[0], values[0], payloads[0], predecessor, salt]
        )
    return "0x" + keccak(encoded).hex()


def decode_safe_tx(known: Known, to: str, value: int, data: bytes, operation: int) -> Decoded:
    """The whole story of one Safe transaction, from its bytes."""
    if operation == SafeOperation.DELEGATECALL:
        if known.multisend is None or to_checksum_address(to) != to_checksum_address(known.multisend):
            raise Undecodable(f"a delegate call to {to}, which is not the network's MultiSend")
        inner = unpack_multisend(data)
        if any(op != SafeOperation.CALL for op, *_ in inner):
            raise Undecodable("a MultiSend batch with a delegate call inside")
        safe_calls = [decode_call(known, t, v, d) for _, t, v, d in inner]
    elif operation == SafeOperation.CALL:
        safe_calls = [decode_call(known, to, value, data)]
    else:
        raise Undecodable(f"Safe operation {operation}")
    timelock = known.timelock
    if timelock and len(safe_calls) == 1 and safe_calls[0].address == to_checksum_address(timelock):
        return _through_timelock(known, safe_calls[0])
    return Decoded(safe_calls, safe_calls)


def _through_timelock(known: Known, call: DecodedCall) -> Decoded:
    data = bytes.fromhex(call.data[2:])
    item = function_by_selector(known.contracts[call.address][1], data[:4])
    if item is None:  # no calldata: value sent to the timelock, nothing scheduled
        return Decoded([call], [call])
    args = decode([type_string(i) for i in item["inputs"]], data[4:])
    if call.function == "cancel":
        operation = Operation(call.address, "cancel", "0x" + bytes(args[0]).hex(), None, None, None)
        return Decoded([call], [call], operation)
    stage = TIMELOCK_STAGES.get(call.function)
    if stage is None:
        return Decoded([call], [call])
    batch = call.function.endswith("Batch")
    targets = [to_checksum_address(a) for a in (args[0] if batch else [args[0]])]
    values = list(args[1]) if batch else [args[1]]
    payloads = [bytes(p) for p in (args[2] if batch else [args[2]])]
    predecessor, salt = bytes(args[3]), bytes(args[4])
    delay = int(args[5]) if stage == "schedule" else None
    inner = [decode_call(known, t, v, p) for t, v, p in zip(targets, values, payloads)]
    op = Operation(
        call.address,
        stage,
        operation_id(targets, values, payloads, predecessor, salt, batch),
        "0x" + salt.hex(),
        delay,
        "0x" + predecessor.hex(),
    )
    return Decoded([call], inner, op)


def decode_proposal(known: Known, proposal: Mapping[str, Any]) -> Decoded:
    """A proposal file's Safe transaction, decoded (raises :class:`Undecodable`)."""
    tx = proposal["safeTx"]
    return decode_safe_tx(known, tx["to"], int(tx["value"]), bytes.fromhex(tx["data"][2:]), int(tx["operation"]))


def mismatches(known: Known, decoded: Decoded, proposal: Mapping[str, Any]) -> list[str]:
    """Each readable field of ``proposal`` that its calldata contradicts, named by its path."""
    names = {name for name, _ in known.contracts.values()}
    found = _compare_calls("safeCalls", decoded.safe_calls, proposal.get("safeCalls"), names)
    found += _compare_calls("calls", decoded.calls, proposal.get("calls"), names)
    multisend = proposal.get("multisend")
    if multisend is not None and _norm(multisend) != _norm(known.multisend):
        found.append(
            f"multisend: the file says {_around(multisend, known.multisend)}, "
            f"this network's is {_around(known.multisend, multisend)}"
        )
    if proposal.get("rejects") and [c.function for c in decoded.calls] != [REJECT]:
        found.append(f"rejects: the file says it rejects {proposal['rejects']}, but the calldata does something")
    stated = proposal.get("timelock")
    op = decoded.timelock
    if op is None or op.stage == "cancel":
        if stated:
            found.append("timelock: the calldata schedules or executes no timelock operation")
        return found
    if not stated:
        found.append(f"timelock: missing, but the calldata is a timelock {op.stage}")
        return found
    expected: dict[str, Any] = {"address": op.address, "stage": op.stage, "operationId": op.operationId, "salt": op.salt}
    if op.delay is not None:
        expected["delay"] = op.delay
    for key, value in expected.items():
        if _norm(stated.get(key)) != _norm(value):
            found.append(_difference(f"timelock.{key}", stated.get(key), value))
    if op.predecessor != ZERO_BYTES32:
        found.append("timelock: the operation has a predecessor, which proposals never set")
    return found


def _compare_calls(label: str, decoded: list[DecodedCall], stated: Any, names: set[str]) -> list[str]:
    if not isinstance(stated, list) or len(stated) != len(decoded):
        count = len(stated) if isinstance(stated, list) else 0
        return [f"{label}: the file lists {count} call(s), the calldata makes {len(decoded)}"]
    found = []
    for index, (call, entry) in enumerate(zip(decoded, stated)):
        if not isinstance(entry, Mapping):
            found.append(f"{label}[{index}]: not a call")
            continue
        for key, value in call.as_json().items():
            if key == "contract" and value is None:
                # An address outside the record (a factory's instance) keeps the proposer's name,
                # unless that name is a recorded contract's: then it would pass for that one.
                if entry.get("contract") in names:
                    found.append(f"{label}[{index}].contract: {entry.get('contract')} is not at {call.address}")
                continue
            if _norm(entry.get(key)) != _norm(value):
                found.append(_difference(f"{label}[{index}].{key}", entry.get(key), value))
    return found


def _difference(path: str, stated: Any, actual: Any) -> str:
    """Where the file and the calldata differ, shown so that the difference is in view: down to the
    first differing item of lists, and around the first differing character of a long value."""
    while isinstance(stated, list) and isinstance(actual, list) and len(stated) == len(actual):
        index = next((i for i, (a, b) in enumerate(zip(stated, actual)) if _norm(a) != _norm(b)), None)
        if index is None:
            break
        path, stated, actual = f"{path}[{index}]", stated[index], actual[index]
    return f"{path}: the file says {_around(stated, actual)}, the calldata {_around(actual, stated)}"


def _around(value: Any, other: Any, width: int = 45) -> str:
    """``repr(value)``, cut to ``width`` characters around where it first differs from ``other``."""
    text, versus = repr(value), repr(other)
    if len(text) <= width + 3:
        return text
    first = next((i for i, (a, b) in enumerate(zip(text.lower(), versus.lower())) if a != b), min(len(text), len(versus)))
    start = max(0, min(first - width // 3, len(text) - width))
    return ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")


def _norm(value: Any) -> Any:
    """Compare JSON values as the ABI sees them: addresses and hex case-insensitively, big ints as ints."""
    if isinstance(value, str):
        if value.startswith("0x"):
            return value.lower()
        if value.isdigit():
            return int(value)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value
