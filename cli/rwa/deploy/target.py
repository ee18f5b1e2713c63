"""What one command works on: the project, manifest, network, connected chain, signer and compiled
contracts (:class:`Target`), and how manifest values resolve against a network's record.

Domain and admin modules resolve parameters here (``param``, ``wallet``) rather than reaching into
the engine or the planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from rwa.chain.accounts import test_address
from rwa.chain.artifacts import Artifact
from rwa.chain.client import Chain
from rwa.core.abi import ZERO_ADDRESS
from rwa.core.project import ProjectPaths
from rwa.deploy import records, renames
from rwa.deploy.manifest import (
    TEST_ACCOUNT_RE,
    Contract,
    Manifest,
    Network,
    dependency_order,
)
from rwa.deploy.planner import Pending, Resolver, external_facets, facets_of
from rwa.deploy.records import ContractRecord, DeploymentRecord, DeploymentStore

if TYPE_CHECKING:
    from ape.api import AccountAPI


@dataclass
class Target:
    """Everything one deploy needs: where, what, and who pays."""

    paths: ProjectPaths
    manifest: Manifest
    network: Network
    chain: Chain
    account: AccountAPI | None  # None: read-only (plan and status off local chains)
    artifacts: dict[str, Artifact]
    #: The record's contracts as :func:`contracts_read` last read them, and the file's stat then.
    _contracts_read: tuple[tuple[int, int, int] | None, dict[str, ContractRecord]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @cached_property
    def creations(self) -> renames.Creations:
        """Whether recorded contracts were created from the compiled code, each asked of the chain once."""
        return renames.Creations(self.chain, self.paths.creations_dir)

    @property
    def store(self) -> DeploymentStore:
        return DeploymentStore(self.paths.deployments_dir)

    @property
    def entries(self) -> list[Contract]:
        return dependency_order(self.manifest.entries(self.network.name), self.network)


def named_accounts(network: Network) -> dict[str, str]:
    """Resolve the network's named accounts; ``test:N`` only exists on local chains."""
    resolved = {}
    for name, value in network.accounts.items():
        match = TEST_ACCOUNT_RE.match(value)
        resolved[name] = test_address(int(match.group(1))) if match else to_checksum_address(value)
    return resolved


def load_record(target: Target) -> DeploymentRecord | None:
    """The network's record, each contract under its entry's name now (:mod:`rwa.deploy.renames`)."""
    return load_renamed(target)[0]


def load_renamed(target: Target) -> tuple[DeploymentRecord | None, list[renames.Rename]]:
    """The network's record as :func:`load_record` gives it, and the renames it made that the file does not hold yet."""
    record = target.store.load(target.network.name)
    records.check_chain(record, target.network.name, target.chain.chain_id, target.chain.genesis_hash)
    return renames.adopt(record, target.entries, target.artifacts, target.creations)


def contracts_read(target: Target) -> dict[str, ContractRecord]:
    """The record's contracts, to read and not to change: read from the file again only when it has
    changed (a command looks contracts up by name many times, and the file holds every ABI)."""
    path = target.store.path(target.network.name)
    try:
        stat = path.stat()
        seen: tuple[int, int, int] | None = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except FileNotFoundError:
        seen = None
    if target._contracts_read is None or target._contracts_read[0] != seen:
        target._contracts_read = (seen, records.contracts_of(load_record(target)))
    return target._contracts_read[1]


def make_resolver(target: Target, record: DeploymentRecord | None) -> Resolver:
    contracts = records.contracts_of(record)
    deployer: str
    if target.account is not None:
        deployer = to_checksum_address(target.account.address)
    else:  # read-only: the account that deployed what is recorded
        deployer = next((c["deployer"] for c in contracts.values() if c["deployer"]), ZERO_ADDRESS)
    resolver = Resolver(target.network, deployer, named_accounts(target.network), artifacts=target.artifacts)
    for name, entry in contracts.items():
        resolver.facets[name] = facets_of(entry)
    for contract in target.manifest.entries(target.network.name):
        external = contract.external_on(target.network.name)
        if external is not None:  # where the manifest says it is, whatever a record says
            resolver.facets[contract.name] = external_facets(external.address)
    return resolver


def resolve_param(target: Target, record: DeploymentRecord | None, key: str) -> Any | None:
    """A network parameter's concrete value (``stablecoin`` → its address), or None when the
    network has no such parameter or it names an entry not deployed yet."""
    value = target.network.params.get(key)
    if value is None:
        return None
    try:
        return make_resolver(target, record).value(value)
    except Pending:
        return None
