"""What a deploy checks before it sends anything, and refuses with one line: a manifest that does
not validate, a live network's power left with the deploying account, an external contract missing
or with other code, and a second suite where the record was lost (unless told to adopt or start anew).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak, to_checksum_address

from rwa.core.errors import ManifestError, RwaError
from rwa.core.evm import CREATE2_DEPLOYER, create2_address
from rwa.deploy.manifest import Contract, External, ProxyKind, validate
from rwa.deploy.planner import Pending
from rwa.deploy.target import Target, make_resolver


def validate_target(target: Target) -> None:
    problems = validate(target.manifest, target.network.name, target.artifacts)
    if problems:
        raise ManifestError(problems)


def check_no_deployer_power(target: Target) -> None:
    """On a live network, no power the team must name (an agent, an operator, the attestor) is the
    deploying account: the deployer keeps nothing once the deploy is over."""
    if target.network.local or target.account is None:
        return
    deployer = to_checksum_address(target.account.address)
    resolver = make_resolver(target, None)
    for key in target.network.required:
        try:
            value = resolver.value(target.network.params[key])
        except Pending:
            continue
        if isinstance(value, str) and value.lower() == deployer.lower():
            raise RwaError(
                f"parameter '{key}' of {target.network.name} is the deploying account {deployer}: on a live network "
                "no power stays with the deployer; name a Safe or another key of the team"
            )


def accepted_code_hashes(target: Target, entry: Contract, external: External) -> set[str]:
    """The code hashes an external contract may have: the one the manifest names, and that of the
    project's own build of its contract type (what a rehearsal chain or a local copy carries)."""
    accepted = {external.code_hash.lower()} if external.code_hash else set()
    runtime = target.artifacts[entry.contract_type].runtime
    if runtime:
        accepted.add("0x" + keccak(runtime).hex())
    return accepted


def check_externals(target: Target) -> list[tuple[Contract, External, str]]:
    """Every external contract of the network is where the manifest says, with the code it expects
    (one batch of code hashes); anything else is one line and nothing is sent. Returns each with
    the code hash found."""
    network = target.network.name
    externals = [(e, x) for e in target.entries if (x := e.external_on(network)) is not None]
    hashes = target.chain.code_hashes([x.address for _, x in externals]) if externals else []
    found = []
    for (entry, external), code_hash in zip(externals, hashes):
        if code_hash is None:
            raise RwaError(
                f"{entry.name}: no code at {external.address} on {network}, where the manifest says this "
                "external contract already exists; nothing was sent"
            )
        accepted = accepted_code_hashes(target, entry, external)
        if accepted and code_hash.lower() not in accepted:
            raise RwaError(
                f"{entry.name}: the code at {external.address} on {network} has hash {code_hash}, not the "
                f"{external.code_hash} the manifest expects there (nor the project's {entry.contract_type}); nothing was sent"
            )
        found.append((entry, external, code_hash))
    return found


@dataclass(frozen=True)
class DeployOptions:
    """How a deploy may proceed where the chain and the files disagree, and how it pays."""

    adopt: bool = False  # no record: rebuild it from the chain (CREATE2 addresses, past creations)
    fresh: bool = False  # no record: deploy anew, deliberately, though the account has sent before
    wait: bool = False  # another operator holds the network: wait for them instead of refusing
    max_fee: int | None = None  # wei per gas; over the network's fees.max_fee
    stuck_after: int | None = None  # seconds; over the network's fees.stuck_after
    timeout: float = 600.0  # seconds one transaction may take before the deploy stops (a rerun resumes)
    confirmations: int | None = None  # blocks that make a transaction mined; None: the network's (1 live, 0 local)


def occupied_create2(target: Target) -> list[str]:
    """The salted entries whose CREATE2 address already holds code (those whose constructor
    arguments can be resolved before anything is deployed)."""
    resolver = make_resolver(target, None)
    found = []
    for entry in target.entries:
        if not entry.salt or entry.created_by is not None:
            continue
        try:
            args = resolver.values(entry.args)
        except Pending:
            continue
        part = "contract" if entry.proxy is ProxyKind.NONE else "implementation"
        artifact = target.artifacts[entry.contract_type]
        initcode = target.chain.encode_deploy(artifact.abi, artifact.bytecode, args)
        if target.chain.code(create2_address(CREATE2_DEPLOYER, keccak(text=f"{entry.salt}/{part}"), initcode)):
            found.append(entry.name)
    return found


def check_unrecorded(target: Target, sender: str, options: DeployOptions) -> None:
    """No record and no journal: refuse to create anything when the chain says this account has
    deployed here before (its nonce is not zero, or a CREATE2 entry's address holds code), unless
    told to rebuild the record (--adopt) or to deploy anew (--fresh). A lost file must never turn
    into a second suite."""
    if options.adopt or options.fresh:
        return
    nonce = target.chain.nonce(sender)
    occupied = occupied_create2(target)
    if not nonce and not occupied:
        return
    network = target.network.name
    evidence = [f"{sender} has sent {nonce} transaction(s)"] if nonce else []
    if occupied:
        evidence.append(f"code already sits at the CREATE2 address of {', '.join(occupied)}")
    hint = "; on a local chain `rwa node reset` also starts over" if target.network.local else ""
    raise RwaError(
        f"{target.store.path(network)} does not exist but {' and '.join(evidence)}: nothing was sent; "
        f"rerun with --adopt to rebuild the record from the chain, or --fresh to deploy anew deliberately{hint}"
    )
