"""Entries the manifest renamed: ``Contract("FanPayments", ..., formerly=("NILMemberships",))``.

A contract recorded under a former name is the entry's: every reader of the deployments file (the
engine, `rwa upgrade`, the commands) sees it under its new name (:func:`adopt`), and the next `rwa deploy`
(or an `rwa upgrade` that deploys a new implementation) writes it so, with ``formerNames``, sending nothing
for it. Renaming a contract changes its bytecode, though not its code: solc's metadata hash, at the end of
the code, covers the contract's name and sources; Vyper's trailer, at the end of its creation code, holds
a hash of its sources. So when the recorded contract type is a former name too, the transaction that
created the contract is read, and the record takes the compiled contract's bytecode hash only when that
transaction's creation code is the compiled one, metadata aside
(:func:`same_but_metadata`). Otherwise the record keeps the hash it had, and the planner reports the
change as for any other (an unproxied contract others name: a new suite; a proxy: `rwa upgrade`).

A deploy of the previous manifest interrupted after a creation was mined, before the record was written,
leaves that creation in the journal under the former name: :func:`journaled` finds it, so the rerun
adopts it rather than sending a second one; with the record and the journal lost, `rwa deploy --adopt`
adopts it among the deployer's transactions (:func:`same_creation`).

The same comparison (:meth:`Creations.as_compiled`) tells the planner when any recorded contract whose
bytecode hash is not the compiled one's runs the compiled code all the same (its sources changed in
names or comments only): it is recorded anew, not upgraded (``recompiled`` in `rwa deploy --plan`).
Each answer is asked of the node once and kept (:class:`Creations`): a record loaded again, until the next
deploy writes the rename, reads no transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from eth_utils import keccak

from rwa.chain.artifacts import Artifact
from rwa.chain.client import Chain
from rwa.core import atomic
from rwa.deploy.journal import Journal, Mined
from rwa.deploy.manifest import Contract
from rwa.deploy.records import ContractRecord, DeploymentRecord

#: solc's CBOR metadata: {"ipfs": <34-byte multihash>, "solc": <3-byte version>} and its length (0x0033).
#: A contract's code holds its own, and one for each contract it creates (their creation code).
SOLC_METADATA = re.compile(rb"\xa2\x64ipfs\x58\x22.{34}\x64solc\x43.{3}\x00\x33", re.DOTALL)


#: The end of Vyper 0.4's metadata trailer, which closes its creation code: a CBOR array (its integrity hash,
#: which covers the sources, its sizes) ending in {"vyper": [major, minor, patch]}, then the trailer's length,
#: these two bytes included, in two bytes.
VYPER_TRAILER_END = re.compile(rb"\xa1\x65vyper\x83(?:[\x00-\x17]|\x18[\x18-\xff]){3}(..)", re.DOTALL)


def without_metadata(code: bytes) -> bytes:
    """``code`` with every solc metadata blob and Vyper metadata trailer in it zeroed (same length: what runs
    is unchanged)."""
    code = SOLC_METADATA.sub(lambda found: bytes(len(found.group())), code)
    for found in VYPER_TRAILER_END.finditer(code):
        start = found.end() - int.from_bytes(found.group(1), "big")
        if 0 <= start <= found.start():  # a length that does not cover its own end is no trailer
            code = code[:start] + bytes(found.end() - start) + code[found.end() :]
    return code


def same_but_metadata(sent: bytes, compiled: bytes) -> bool:
    """Whether a creating transaction's input (creation code, then constructor arguments) begins with
    ``compiled``'s creation code, metadata aside."""
    return len(sent) >= len(compiled) and without_metadata(sent[: len(compiled)]) == without_metadata(compiled)


@dataclass(frozen=True)
class Rename:
    """A recorded contract seen under its entry's new name."""

    former: str
    name: str
    #: The contract type was renamed too and its creation shows the compiled code, metadata aside:
    #: the record takes the compiled bytecode hash. False: it keeps the recorded one.
    same_code: bool

    @property
    def detail(self) -> str:
        code = "; its code is the compiled code but for the name (the compiler's metadata)" if self.same_code else ""
        return f"recorded as {self.former}: written under its new name, nothing sent{code}"


def adopt(
    record: DeploymentRecord | None, entries: Sequence[Contract], artifacts: Mapping[str, Artifact], creations: Creations | None
) -> tuple[DeploymentRecord | None, list[Rename]]:
    """``record`` with each contract recorded under a former name of an entry moved to the entry's
    name (in memory; ``record`` itself is left as it is), and the renames made."""
    contracts = record["contracts"] if record else {}
    found = [
        (entry, former)
        for entry in entries
        if entry.name not in contracts
        for former in reversed(entry.formerly)
        if former in contracts
    ]
    if record is None or not found:
        return record, []
    moved = dict(contracts)
    renames = []
    for entry, former in found:
        if entry.name in moved:  # two former names recorded: the newest (listed last) is the entry's
            continue
        renamed, same_code = _renamed(moved.pop(former), entry, artifacts.get(entry.contract_type), creations)
        moved[entry.name] = renamed
        renames.append(Rename(former, entry.name, same_code))
    return cast(DeploymentRecord, {**record, "contracts": moved}), renames


def _renamed(
    recorded: ContractRecord, entry: Contract, artifact: Artifact | None, creations: Creations | None
) -> tuple[ContractRecord, bool]:
    renamed = cast(ContractRecord, dict(recorded))
    renamed["name"] = entry.name
    renamed["formerNames"] = [*recorded.get("formerNames", []), recorded["name"]]
    proxy = recorded.get("proxy")
    recorded_type = (proxy and proxy.get("implementationContractType")) or recorded["contractType"]
    if artifact is None or creations is None or recorded_type not in entry.formerly:
        return renamed, False  # the entry alone was renamed, or not to a type this build has
    if not creations.as_compiled(recorded, artifact):
        return renamed, False
    if proxy:
        renamed["proxy"] = {**proxy, "implementationContractType": entry.contract_type}
    if recorded["contractType"] == recorded_type:  # not a bare beacon, whose own type stays
        renamed["contractType"], renamed["abi"] = entry.contract_type, artifact.abi
    renamed["bytecodeHash"] = artifact.bytecode_hash
    return renamed, True


#: Part of every kept answer's key: raised when :func:`same_but_metadata` answers differently, so that no
#: answer of the comparison before is taken for one of this.
COMPARISON = 2  # 2: Vyper's trailer known


@dataclass
class Creations:
    """Whether recorded contracts were created from compiled code, metadata aside, each asked of the node once.

    A transaction's hash covers its input, so the answer for a transaction and a compiled code holds on any
    chain for good: it is kept in ``folder``, a file an answer (no two processes write the same file
    differently). A transaction no node shows is asked again next time."""

    chain: Chain
    folder: Path
    _answers: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def as_compiled(self, recorded: ContractRecord, artifact: Artifact) -> bool:
        """Whether the transaction that created a recorded contract (a proxy's implementation) sent
        ``artifact``'s creation code, metadata aside; False when no node shows it."""
        proxy = recorded.get("proxy")
        transaction = proxy.get("implementationTransactionHash") if proxy else recorded.get("transactionHash")
        if not transaction:
            return False
        salted = bool(recorded.get("salt"))  # a CREATE2 deployer's input begins with the salt
        key = keccak(text=f"{COMPARISON}:{transaction.lower()}:{salted}:{artifact.bytecode_hash}").hex()[:32]
        if key not in self._answers:
            kept = self._kept(key)
            if kept is None:
                sent = self.chain.transaction(transaction)
                if sent is None:
                    return False
                kept = same_but_metadata(sent.data[32:] if salted else sent.data, artifact.bytecode)
                self._keep(key, kept)
            self._answers[key] = kept
        return self._answers[key]

    def _kept(self, key: str) -> bool | None:
        try:
            text = (self.folder / f"{key}.json").read_text().strip()
        except OSError:
            return None
        return {"true": True, "false": False}.get(text)  # anything else (a torn file): asked again

    def _keep(self, key: str, answer: bool) -> None:
        try:
            atomic.write_text(self.folder / f"{key}.json", "true" if answer else "false")
        except (OSError, atomic.UnwritablePath):
            pass  # a state folder that cannot be written: the answer is asked again next time, nothing else


def journaled(journal: Journal, entry: Contract, part: str, initcode: bytes, chain: Chain) -> Mined | None:
    """A creation of ``entry``'s ``part`` the journal holds under a former name, mined, with code at its
    address, whose transaction sent ``initcode`` (constructor arguments included), metadata aside."""
    for former in entry.formerly:
        prefix = f"{former}/{part}/"
        for mined in journal.mined_under(prefix):
            sent = chain.transaction(mined.hash)
            if mined.address and chain.code(mined.address) and sent is not None and same_creation(sent.data, initcode):
                return mined
    return None


def same_creation(sent: bytes, initcode: bytes) -> bool:
    """Whether a transaction's input created what ``initcode`` (constructor arguments included) does,
    metadata aside."""
    sent = sent[-len(initcode) :]  # a CREATE2 deployer's input begins with the salt
    return len(sent) == len(initcode) and without_metadata(sent) == without_metadata(initcode)
