"""Publishing every deployed contract's source on its network's explorer (`rwa verify`, `rwa deploy --verify`).

Every contract of the deployments record is considered: implementations, proxies, beacons, and
what factories made (a property's token, compliance and distributor, a vault, clones: offerings, splits) and
the modules constructors deploy (NILVault's payments module, NILVaultPaymentsModule, its constructor arguments recorded). Each is
submitted as a standard-JSON input (the exact sources and settings it was compiled with, so the
explorer rebuilds the same bytecode) with the constructor arguments read back from its creation
transaction; once the sources are verified, each proxy is linked to its implementation
(``verifyproxycontract``), so the explorer shows the implementation's functions at the proxy's
address. Each verification is written to the record (``verified`` on the entry, ``implementationVerified``
beside a proxy's implementation); a contract recorded as verified, or that the explorer already
knows, is not submitted again.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from eth_abi import encode
from eth_utils import to_checksum_address

from rwa.admin.explorer import Answer, Explorer, ExplorerUnreachable, explorer_for, is_pending
from rwa.chain.artifacts import SAFE_CONTRACTS, StandardInputs
from rwa.chain.client import Chain
from rwa.core.errors import RwaError
from rwa.core.evm import BEACON_SLOT, IMPLEMENTATION_SLOT
from rwa.deploy import records
from rwa.deploy.records import DeploymentRecord, RecordedContract, VerifiedRecord
from rwa.deploy.target import Target, load_record

#: The start of an EIP-1167 clone's code; the implementation's 20 bytes follow.
CLONE_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
_IMPLEMENTATION_ABI = [
    {
        "type": "function",
        "name": "implementation",
        "inputs": [],
        "outputs": [{"type": "address", "name": ""}],
        "stateMutability": "view",
    }
]
#: How long to wait for the explorer's verdicts before leaving them recorded as pending.
WAIT_SECONDS = 300.0
POLL_FIRST, POLL_MAX = 0.25, 5.0

NOT_SUPPORTED = {
    "safe": "Safe v1.4.1 from ape-safe's bytecode: no source in this project",
    "MinimalBeaconProxy": "a vault made before issue 23 (a 76-byte raw-code beacon proxy): no source to verify",
    "clone": "factory-made, and no EIP-1167 clone: no source to submit",
    "external": "an external contract the network already had: its publisher verifies it",
}

Report = Callable[[str, str, str], None]


class VerificationStatus(enum.StrEnum):
    """Where a contract's verification stands: the record and ``--json`` hold the values."""

    VERIFIED = "verified"
    PENDING = "pending"  # submitted; the explorer has not judged yet
    FAILED = "failed"
    UNSUPPORTED = "unsupported"  # nothing this toolkit can submit (NOT_SUPPORTED says why)
    SKIPPED = "skipped"  # recorded as verified already: not asked again
    UNSENT = "unsent"  # not known yet (nothing sent, or the run stopped): not recorded


@dataclass
class Item:
    """One contract at one address, and where its verification is recorded."""

    label: str
    address: str
    path: tuple[str, ...]  # the record's dict that holds the verification...
    key: str  # ...under this key
    previous: VerifiedRecord | None
    contract_type: str | None = None  # the compiled contract whose source is submitted
    creation_tx: str | None = None  # where the constructor arguments are read
    constructor_args: bytes | None = None  # known without a transaction (factory-made proxies)
    proxy: bool = False  # link to its implementation once verified
    clone: bool = False  # an EIP-1167 clone: only linked, it has no source of its own
    unsupported: str | None = None


@dataclass
class Verification:
    status: VerificationStatus
    message: str | None = None
    guid: str | None = None
    proxy_guid: str | None = None
    implementation: str | None = None
    submitted: bool = False  # this run sent its source or proxy link

    def as_record(self) -> VerifiedRecord:
        found: VerifiedRecord = {"status": self.status, "at": records.now()}
        if self.message is not None:
            found["message"] = self.message
        if self.guid is not None:
            found["guid"] = self.guid
        if self.proxy_guid is not None:
            found["proxyGuid"] = self.proxy_guid
        if self.implementation is not None:
            found["implementation"] = self.implementation
        return found


@dataclass
class Summary:
    """What one run did, for the command's output and the bench."""

    verifications: dict[str, tuple[Item, Verification]] = field(default_factory=dict)
    skipped: list[Item] = field(default_factory=list)
    submissions: int = 0
    requests: int = 0

    def count(self, status: VerificationStatus) -> int:
        return sum(1 for _, verification in self.verifications.values() if verification.status == status)

    def as_json(self) -> dict[str, Any]:
        return {
            "contracts": [
                {"contract": item.label, "address": item.address, **verification.as_record()}
                for item, verification in self.verifications.values()
                if verification.status != VerificationStatus.UNSENT
            ]
            + [{"contract": item.label, "address": item.address, "status": VerificationStatus.SKIPPED} for item in self.skipped],
            "submissions": self.submissions,
            "requests": self.requests,
        }


def items_of(record: DeploymentRecord) -> list[Item]:
    """Every contract of the record, once each: the manifest's entries (and their implementations),
    then what commands made through factories (``MAIN-ST-1.token``, ``jane-doe.vault``)."""
    found: list[Item] = []
    for name, entry in sorted(record.get("contracts", {}).items()):
        found += _entry_items(name, ("contracts", name), cast(RecordedContract, entry))
    for section in records.CREATED_SECTIONS:
        for key, created in sorted(records.created_entries(record, section).items()):
            for part, part_entry in sorted(created["contracts"].items()):
                made = cast(RecordedContract, {**part_entry, "createdBy": created["createdBy"]})
                found += _entry_items(f"{key}.{part}", (section, key, "contracts", part), made)
    seen: set[str] = set()
    unique = []
    for item in found:
        if item.address.lower() not in seen:
            seen.add(item.address.lower())
            unique.append(item)
    return unique


def _entry_items(label: str, path: tuple[str, ...], entry: RecordedContract) -> list[Item]:
    proxy = entry.get("proxy")
    made_by_factory = bool(entry.get("createdBy"))
    item = Item(label, to_checksum_address(entry["address"]), path, "verified", entry.get("verified"))
    found = [item]
    version = str((entry.get("compiler") or {}).get("version", ""))
    if entry.get("external"):
        item.unsupported = NOT_SUPPORTED["external"]
    elif entry["contractType"] in SAFE_CONTRACTS or version.startswith("Safe v"):
        item.unsupported = NOT_SUPPORTED["safe"]
    elif proxy is None and "constructorArgs" in entry:  # a module a constructor deployed (NILVaultPaymentsModule)
        item.contract_type, item.constructor_args = entry["contractType"], bytes.fromhex(entry["constructorArgs"][2:])
    elif proxy is None:
        if made_by_factory:
            item.clone = True  # told apart by its code, once read
        else:
            item.contract_type, item.creation_tx = entry["contractType"], entry.get("transactionHash")
    elif proxy["kind"] == "clone":
        item.clone = True  # an EIP-1167 clone (a split): linked to the implementation its code names
    elif (beacon := proxy.get("beacon")) and to_checksum_address(beacon) == item.address:
        item.contract_type, item.creation_tx = entry["contractType"], entry.get("transactionHash")  # the beacon
    else:
        proxy_type = proxy.get("proxyContractType")
        if proxy_type in NOT_SUPPORTED:
            item.unsupported = NOT_SUPPORTED[proxy_type]
        else:
            item.contract_type, item.proxy = proxy_type, True
            if made_by_factory:
                # Factory-made proxies take the beacon alone (PropertyBeaconProxy's constructor).
                assert beacon is not None, "a factory-made proxy is a beacon proxy"
                item.constructor_args = encode(["address"], [to_checksum_address(beacon)])
            else:
                item.creation_tx = entry.get("transactionHash")
    if proxy and proxy.get("implementationTransactionHash"):
        found.append(
            Item(
                f"{label} implementation",
                to_checksum_address(proxy["implementation"]),
                (*path, "proxy"),
                "implementationVerified",
                proxy.get("implementationVerified"),
                contract_type=proxy.get("implementationContractType") or entry["contractType"],
                creation_tx=proxy["implementationTransactionHash"],
            )
        )
    return found


def select(items: list[Item], names: tuple[str, ...]) -> list[Item]:
    """The items NAMES ask for: a record name (with its implementation) or a factory-made part."""
    if not names:
        return items
    chosen = [
        i for i in items if any(i.label == n or i.label == f"{n} implementation" or i.label.startswith(f"{n}.") for n in names)
    ]
    unknown = [n for n in names if not any(i.label == n or i.label.startswith((f"{n} ", f"{n}.")) for i in items)]
    if unknown:
        raise RwaError(f"no recorded contract named {', '.join(unknown)} (see `rwa status`)")
    return chosen


def check_ready(target: Target) -> Explorer:
    """The explorer and key for the target's network, or the one line that says what is missing."""
    return explorer_for(target.network.name, target.chain.chain_id, target.network.local)


def verify(
    target: Target,
    names: tuple[str, ...] = (),
    report: Report | None = None,
    explorer: Explorer | None = None,
    wait: float | None = None,
) -> Summary:
    """Submit every contract of the network's record (or those NAMES) that is not verified yet;
    verdicts are awaited ``wait`` seconds (:data:`WAIT_SECONDS`), then left pending for a rerun."""
    explorer = explorer or check_ready(target)
    record = load_record(target)
    if record is None:
        raise RwaError(f"nothing deployed on {target.network.name} yet: run `rwa deploy`")
    shown: Report = report or (lambda status, label, detail: None)
    summary = Summary()
    todo: list[Item] = []
    for item in select(items_of(record), names):
        if item.previous and item.previous.get("status") == VerificationStatus.VERIFIED:
            summary.skipped.append(item)
            shown(VerificationStatus.SKIPPED, item.label, "verified already (recorded)")
        elif item.unsupported:
            summary.verifications[item.label] = (item, Verification(VerificationStatus.UNSUPPORTED, item.unsupported))
            shown(VerificationStatus.UNSUPPORTED, item.label, item.unsupported)
        else:
            todo.append(item)
    try:
        _run(target, explorer, todo, summary, shown, WAIT_SECONDS if wait is None else wait)
    finally:
        summary.requests = explorer.requests
        _save(target, summary)
    return summary


def _run(target: Target, explorer: Explorer, todo: list[Item], summary: Summary, shown: Report, wait: float) -> None:
    inputs = StandardInputs.of(target.paths)
    sources: dict[str, Item] = {}  # guid -> item
    linking: list[Item] = []
    for item in todo:
        verification = Verification(VerificationStatus.UNSENT)
        summary.verifications[item.label] = (item, verification)
        if item.clone:
            implementation = _clone_target(target.chain, item.address)
            if implementation is None:
                verification.status, verification.message = VerificationStatus.UNSUPPORTED, NOT_SUPPORTED["clone"]
                shown(VerificationStatus.UNSUPPORTED, item.label, verification.message)
                continue
            verification.implementation = implementation
            linking.append(item)
            continue
        previous = item.previous
        if previous and previous["status"] == VerificationStatus.PENDING and (guid := previous.get("guid")):
            verification.status, verification.guid = VerificationStatus.PENDING, guid  # submitted by an earlier run
            sources[guid] = item
        elif explorer.source_verified(item.address):
            verification.status = VerificationStatus.VERIFIED
            shown("known", item.label, "the explorer has its source already")
        else:
            try:
                guid = _submit_source(target, explorer, inputs, item)
            except ExplorerUnreachable:
                raise
            except RwaError as exc:
                verification.status, verification.message = VerificationStatus.FAILED, str(exc)
                shown(VerificationStatus.FAILED, item.label, verification.message)
                continue
            summary.submissions += 1
            verification.submitted = True
            if guid:
                verification.status, verification.guid = VerificationStatus.PENDING, guid
                sources[guid] = item
            else:
                verification.status = VerificationStatus.VERIFIED
                shown("known", item.label, "the explorer had its source already")
        if item.proxy:
            linking.append(item)
    for guid, answer in _await(explorer, list(sources), proxy=False, wait=wait).items():
        item = sources[guid]
        verification = summary.verifications[item.label][1]
        _verdict(verification, answer, guid)
        if verification.status != VerificationStatus.VERIFIED or not item.proxy:
            shown(verification.status, item.label, verification.message or item.address)
    links: dict[str, Item] = {}
    for item in linking:
        verification = summary.verifications[item.label][1]
        if verification.status != VerificationStatus.VERIFIED and not item.clone:
            continue
        implementation = verification.implementation or _implementation_of(target.chain, item.address)
        verification.implementation = implementation
        answer = explorer.submit_proxy(item.address, implementation)
        summary.submissions += 1
        verification.submitted = True
        if not answer.ok:
            verification.status, verification.message = VerificationStatus.FAILED, f"proxy link refused: {answer.text}"
            shown(VerificationStatus.FAILED, item.label, verification.message)
            continue
        verification.proxy_guid = str(answer.result)
        links[verification.proxy_guid] = item
    for guid, answer in _await(explorer, list(links), proxy=True, wait=wait).items():
        item = links[guid]
        verification = summary.verifications[item.label][1]
        _verdict(verification, answer, verification.guid, proxy=True)
        detail = (
            f"proxy of {verification.implementation}"
            if verification.status == VerificationStatus.VERIFIED
            else verification.message or ""
        )
        shown(verification.status, item.label, detail)


def _submit_source(target: Target, explorer: Explorer, inputs: StandardInputs, item: Item) -> str:
    assert item.contract_type is not None
    artifact = target.artifacts.get(item.contract_type)
    if artifact is None or not artifact.source_id:
        raise RwaError(f"{item.contract_type} is not a compiled contract of this project")
    args = (
        item.constructor_args if item.constructor_args is not None else _constructor_args(target.chain, item, artifact.bytecode)
    )
    standard_input = inputs.for_source(artifact.source_id)
    vyper = standard_input["language"] == "Vyper"
    name = item.contract_type if vyper else f"{artifact.source_id}:{item.contract_type}"
    answer = explorer.submit_source(item.address, standard_input, name, str(artifact.compiler.get("version", "")), args)
    if answer.ok:
        return str(answer.result)
    if "already verified" in answer.text.lower():
        return ""
    raise RwaError(f"refused: {answer.text}")


def _constructor_args(chain: Chain, item: Item, creation_code: bytes) -> bytes:
    """What follows the compiled creation code in the transaction that deployed it (directly, or
    through the CREATE2 deployer, whose input is the salt then the same code)."""
    if not item.creation_tx:
        raise RwaError("no creation transaction recorded: its constructor arguments are unknown")
    sent = chain.transaction(item.creation_tx)
    if sent is None:
        raise RwaError(f"its creation transaction {item.creation_tx} is unknown to the node")
    start = sent.data.find(creation_code)
    if start < 0:
        raise RwaError(
            f"the compiled {item.contract_type} is not what transaction {item.creation_tx[:10]}… deployed "
            "(sources changed since the deploy?)"
        )
    return sent.data[start + len(creation_code) :]


def _implementation_of(chain: Chain, address: str) -> str | None:
    """Where an explorer finds the proxy's implementation: ERC-1967's implementation slot, or its
    beacon slot and the beacon's ``implementation()``, or an EIP-1167 clone's code."""
    implementation = chain.storage_address(address, IMPLEMENTATION_SLOT)
    if implementation:
        return to_checksum_address(implementation)
    beacon = chain.storage_address(address, BEACON_SLOT)
    if beacon:
        return to_checksum_address(chain.call(beacon, _IMPLEMENTATION_ABI, "implementation", []))
    return _clone_target(chain, address)


def _clone_target(chain: Chain, address: str) -> str | None:
    code = chain.code(address)
    if code.startswith(CLONE_PREFIX) and len(code) >= len(CLONE_PREFIX) + 20:
        return to_checksum_address(code[len(CLONE_PREFIX) : len(CLONE_PREFIX) + 20])
    return None


def _await(explorer: Explorer, guids: list[str], proxy: bool, wait: float) -> dict[str, Answer]:
    """Each receipt's verdict, polled with growing pauses; those still pending after ``wait``
    seconds keep the explorer's pending answer."""
    verdicts: dict[str, Answer] = {}
    waiting = list(guids)
    pause, deadline = POLL_FIRST, time.monotonic() + wait
    while waiting:
        time.sleep(pause)
        for guid in list(waiting):
            answer = explorer.status(guid, proxy=proxy)
            verdicts[guid] = answer
            if not is_pending(answer):
                waiting.remove(guid)
        if time.monotonic() > deadline:
            break
        pause = min(pause * 2, POLL_MAX)
    return verdicts


def _verdict(verification: Verification, answer: Answer, guid: str | None, proxy: bool = False) -> None:
    text = answer.text
    if is_pending(answer):
        verification.status, verification.message = VerificationStatus.PENDING, f"still {text}: run `rwa verify` again later"
    elif answer.ok or "already verified" in text.lower():
        verification.status, verification.message = VerificationStatus.VERIFIED, None
    else:
        verification.status, verification.message = (
            VerificationStatus.FAILED,
            f"{'proxy link' if proxy else 'source'} refused: {text}",
        )
    if not proxy:
        verification.guid = guid or None


def _save(target: Target, summary: Summary) -> None:
    """Each verification on its entry of the record, in one write under the record's lock."""
    changed = [
        (item, verification)
        for item, verification in summary.verifications.values()
        if verification.status != VerificationStatus.UNSENT
    ]
    if not changed:
        return

    def change(record: DeploymentRecord) -> None:
        for item, verification in changed:
            holder: Any = record
            for key in item.path:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(holder, dict):
                holder[item.key] = verification.as_record()
        record["updatedAt"] = records.now()

    target.store.update(target.network.name, change)
