"""Gas figures of the ERC-3643 reference implementation (T-REX 4.x), for comparison.

Why this exists: rwa's gas benchmark is only meaningful next to the figures of
the reference implementation measured *on the same node, the same hardfork and
the same scenario*.  Published numbers are for other compilers, fixtures and
EVM versions, so this module deploys T-REX itself and measures it.

Licensing: T-REX is GPL-3.0 (modules also CC-BY-NC) and ONCHAINID is its own
package.  Nothing of either is copied into this repository: their compiled
hardhat artifacts are read at run time from an npm ``node_modules`` folder
(a dev-only dependency), see :func:`node_modules_dir`.  Install them with::

    npm install --no-audit --no-fund @tokenysolutions/t-rex@4.1.6 @onchain-id/solidity

The deployment mirrors T-REX's own ``deploy-full-suite`` test fixture: shared
implementations behind a ``TREXImplementationAuthority``, an ONCHAINID
``IdFactory`` and a ``TREXFactory`` (infrastructure, deployed once and not
measured), then one token suite per ``TREXFactory.deployTREXSuite`` call
(measured), investors with ``IdentityProxy`` identities holding a KYC claim
signed by a trusted ``ClaimIssuer``.

Usage as a library (no printing)::

    from trex_reference import measure_reference
    figures = measure_reference(web3, web3.eth.accounts)

Usage as a script: ``python trex_reference.py [--rpc URL] [--node-modules DIR] [--json]``.
The RPC defaults to ``$TREX_RPC`` or http://127.0.0.1:8641; if nothing listens
there, an anvil (``$ANVIL``, PATH, or an ``@foundry-rs/anvil-*`` npm package in
a ``node_modules`` above this file) is started with ``--hardfork cancun`` and
stopped afterwards.  Use a fresh node for reproducible figures: on a reused
chain, contract addresses (hence calldata zero bytes) differ by a few gas.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.logs import DISCARD
from web3.types import TxReceipt

TREX_PACKAGE = "@tokenysolutions/t-rex"
ONCHAINID_PACKAGE = "@onchain-id/solidity"
NODE_MODULES_ENV = "TREX_NODE_MODULES"
RPC_ENV = "TREX_RPC"
DEFAULT_RPC = "http://127.0.0.1:8641"

# Scenario constants.  They follow T-REX's fixture (country 42, decimals 0,
# the same claim data), so calldata and storage sizes match what T-REX tests.
KYC_TOPIC = int.from_bytes(keccak(text="KYC"), "big")
CLAIM_SCHEME_ECDSA = 1
CLAIM_DATA = b"Some claim public data."
INVESTOR_COUNTRY = 42
KEY_PURPOSE_CLAIM = 3
KEY_TYPE_ECDSA = 1
BATCH_SIZE = 10
INTRINSIC_GAS = 21_000
ZERO_ADDRESS = "0x" + "00" * 20

# What each figure measures; also used as the row labels of the printed table.
FIGURE_DESCRIPTIONS: dict[str, str] = {
    "suite_deploy": "TREXFactory.deployTREXSuite: token, IR, IRS, TIR, CTR, MC proxies + token ONCHAINID, no module",
    "onboard_investor": "IdFactory.createIdentity + addClaim(signed KYC) + registerIdentity (sum)",
    "onboard_identity_deploy": "  of which: IdFactory.createIdentity (CREATE2 IdentityProxy + wallet link)",
    "onboard_add_claim": "  of which: Identity.addClaim (issuer signature checked)",
    "onboard_register": "  of which: IdentityRegistry.registerIdentity",
    "onboard_investor_plain_proxy": "same with a bare IdentityProxy deployment, as T-REX's test fixture",
    "is_verified": "IdentityRegistry.isVerified (eth_estimateGas - 21,000)",
    "mint": "Token.mint to a verified investor with zero balance",
    "transfer_no_module": "Token.transfer, holder -> holder, ModularCompliance with no module",
    "suite_deploy_modules_3": "deployTREXSuite also binding + configuring the 3 modules below",
    "transfer_modules": "Token.transfer with CountryAllow + MaxBalance + SupplyLimit modules",
    "transfer_modules_4": "Token.transfer with the 3 above + TransferRestrictModule",
    "transfer_no_module_new_holder": "same, to a verified investor with zero balance",
    "batch_transfer_10": f"Token.batchTransfer to {BATCH_SIZE} verified investors with zero balance",
}

# Modules bound for `transfer_modules`.  T-REX 4.1.6 ships no max-holders
# module, so SupplyLimitModule stands in as the third one.
MODULES_3 = ("CountryAllowModule", "MaxBalanceModule", "SupplyLimitModule")
MODULE_4 = "TransferRestrictModule"


class ReferenceUnavailable(RuntimeError):
    """The T-REX / ONCHAINID npm packages are not installed where expected."""


class StepFailed(RuntimeError):
    """A transaction of the reference scenario reverted or could not be sent."""


# --------------------------------------------------------------------------
# Locating and loading the artifacts
# --------------------------------------------------------------------------


def node_modules_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the ``node_modules`` folder that holds ``@tokenysolutions/t-rex``.

    Resolution order: the ``override`` argument, then ``$TREX_NODE_MODULES``,
    then the project's ``node_modules`` (the folder above this file's).  T-REX is a dev-only
    dependency (package.json), so it is looked up at run time instead of being vendored.
    """
    candidate = override or os.environ.get(NODE_MODULES_ENV)
    folder = Path(candidate) if candidate else Path(__file__).resolve().parent.parent / "node_modules"
    missing = [pkg for pkg in (TREX_PACKAGE, ONCHAINID_PACKAGE) if not (folder / pkg / "package.json").is_file()]
    if missing:
        raise ReferenceUnavailable(
            f"{', '.join(missing)} not found under {folder}. Install the reference with "
            f"`npm ci` in {folder.parent} (they are dev dependencies of package.json), "
            f"or point ${NODE_MODULES_ENV} at a node_modules folder that has them."
        )
    return folder


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


class Artifacts:
    """Hardhat artifacts of T-REX and ONCHAINID, found by contract name.

    ONCHAINID contracts come from ``@onchain-id/solidity`` itself (as T-REX's
    fixture does), not from the copies T-REX compiled for its own imports.
    """

    def __init__(self, node_modules: Path) -> None:
        self.root = node_modules
        self._loaded: dict[tuple[str, str], Artifact] = {}

    def trex(self, name: str) -> Artifact:
        return self._load(TREX_PACKAGE, name)

    def onchainid(self, name: str) -> Artifact:
        return self._load(ONCHAINID_PACKAGE, name)

    def version(self, package: str) -> str:
        return json.loads((self.root / package / "package.json").read_text())["version"]

    def _load(self, package: str, name: str) -> Artifact:
        if (package, name) not in self._loaded:
            self._loaded[package, name] = self._read(package, name)
        return self._loaded[package, name]

    def _read(self, package: str, name: str) -> Artifact:
        pattern = f"**/{name}.sol/{name}.json"
        found = sorted((self.root / package / "artifacts" / "contracts").glob(pattern))
        if len(found) != 1:
            raise ReferenceUnavailable(f"expected one artifact {pattern} in {package}, found {found}")
        data = json.loads(found[0].read_text())
        if data.get("linkReferences"):
            raise ReferenceUnavailable(f"{name} needs library linking, which this loader does not do")
        return Artifact(name=name, abi=data["abi"], bytecode=data["bytecode"])


# --------------------------------------------------------------------------
# Sending transactions and recording gas
# --------------------------------------------------------------------------

Sender = str | LocalAccount
"""An unlocked node account (address) or a local key that signs its own txs."""


class Chain:
    """Thin wrapper over web3 that sends transactions and returns receipts.

    Node accounts are used through ``eth_sendTransaction`` (anvil unlocks
    them); investors are local keys so the scenario does not depend on how
    many accounts the node unlocks.
    """

    def __init__(self, web3: Web3) -> None:
        self.web3 = web3

    def contract(self, artifact: Artifact, address: str) -> Contract:
        return self.web3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact.abi)

    def deploy(self, step: str, artifact: Artifact, sender: Sender, *args: Any) -> tuple[Contract, int]:
        """Deploy ``artifact`` and return (contract, gasUsed)."""
        factory = self.web3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self.send(step, factory.constructor(*args), sender)
        return self.contract(artifact, receipt["contractAddress"]), receipt["gasUsed"]

    def send(self, step: str, call: ContractFunction | ContractConstructor, sender: Sender) -> TxReceipt:
        """Send ``call`` from ``sender``; raise :class:`StepFailed` naming ``step`` on failure."""
        try:
            if isinstance(sender, LocalAccount):
                tx = call.build_transaction(
                    {"from": sender.address, "nonce": self.web3.eth.get_transaction_count(sender.address, "pending")}
                )
                tx_hash = self.web3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
            else:
                tx_hash = call.transact({"from": sender})
            receipt = self.web3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        except Exception as exc:  # web3 raises many types; the step name is what helps
            raise StepFailed(f"{step}: {exc}") from exc
        if receipt["status"] != 1:
            raise StepFailed(f"{step}: transaction {tx_hash.hex()} reverted")
        return receipt

    def fund(self, source: str, target: str, wei: int = 10**18) -> None:
        """Give a local key gas money (not measured)."""
        tx_hash = self.web3.eth.send_transaction({"from": source, "to": target, "value": wei})
        self.web3.eth.wait_for_transaction_receipt(tx_hash)


# --------------------------------------------------------------------------
# Scenario building blocks
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    """The fixture's actors, taken from the node's unlocked accounts."""

    deployer: str  # owns the factories and implementation authorities
    token_issuer: str  # owner of each token suite
    token_agent: str  # agent of token and identity registry
    claim_issuer: str  # management key of the ClaimIssuer contract

    @classmethod
    def from_accounts(cls, accounts: Sequence[Any]) -> Roles:
        """Use four distinct accounts when available, else reuse them in turn."""
        addresses = [Web3.to_checksum_address(getattr(a, "address", a)) for a in accounts]
        if not addresses:
            raise ValueError("measure_reference needs at least one unlocked account")
        return cls(*(addresses[i % len(addresses)] for i in range(4)))


@dataclass
class Infrastructure:
    """Contracts shared by all token suites (deployed once, not measured)."""

    identity_authority: Contract  # ONCHAINID ImplementationAuthority
    id_factory: Contract
    trex_authority: Contract
    trex_factory: Contract
    claim_issuer: Contract
    claim_signer: LocalAccount  # key with CLAIM purpose on the ClaimIssuer


@dataclass
class Suite:
    """One token's per-token contracts as created by ``deployTREXSuite``."""

    token: Contract
    identity_registry: Contract
    identity_registry_storage: Contract
    trusted_issuers_registry: Contract
    claim_topics_registry: Contract
    compliance: Contract
    deploy_gas: int


@dataclass
class Investor:
    """A wallet (local key) and its ONCHAINID identity."""

    wallet: LocalAccount
    identity: Contract
    onboarding_gas: dict[str, int] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return self.wallet.address


class ReferenceScenario:
    """Builds the T-REX reference deployment step by step.

    Each method does one thing of the fixture and returns the gas of the
    transaction(s) it is about, so :func:`measure_reference` reads as the
    list of figures it produces.
    """

    def __init__(self, web3: Web3, accounts: Sequence[Any], node_modules: Path | None = None) -> None:
        self.chain = Chain(web3)
        self.artifacts = Artifacts(node_modules or node_modules_dir())
        self.roles = Roles.from_accounts(accounts)
        self._investor_count = 0
        self._salt_count = 0
        self.infra = self._deploy_infrastructure()

    # -- infrastructure -----------------------------------------------------

    def _deploy_infrastructure(self) -> Infrastructure:
        """Implementations, authorities and factories, as in T-REX's fixture."""
        identity_authority, id_factory = self._deploy_onchainid_factory()
        trex_authority = self._deploy_trex_authority()
        deployer = self.roles.deployer
        trex_factory, _ = self.chain.deploy(
            "deploy TREXFactory",
            self.artifacts.trex("TREXFactory"),
            deployer,
            trex_authority.address,
            id_factory.address,
        )
        # The TREXFactory creates each token's ONCHAINID through the IdFactory.
        self.chain.send("IdFactory.addTokenFactory", id_factory.functions.addTokenFactory(trex_factory.address), deployer)
        claim_issuer, claim_signer = self._deploy_claim_issuer()
        return Infrastructure(identity_authority, id_factory, trex_authority, trex_factory, claim_issuer, claim_signer)

    def _deploy_onchainid_factory(self) -> tuple[Contract, Contract]:
        """ONCHAINID Identity library + ImplementationAuthority + IdFactory."""
        chain, art, deployer = self.chain, self.artifacts, self.roles.deployer
        library, _ = chain.deploy("deploy Identity library", art.onchainid("Identity"), deployer, deployer, True)
        authority, _ = chain.deploy(
            "deploy ONCHAINID ImplementationAuthority",
            art.onchainid("ImplementationAuthority"),
            deployer,
            library.address,
        )
        factory, _ = chain.deploy("deploy IdFactory", art.onchainid("IdFactory"), deployer, authority.address)
        return authority, factory

    def _deploy_trex_authority(self) -> Contract:
        """The six T-REX implementations registered as version 4.0.0 of a reference authority."""
        chain, art, deployer = self.chain, self.artifacts, self.roles.deployer
        implementations = {
            field_name: chain.deploy(f"deploy {name} implementation", art.trex(name), deployer)[0].address
            for field_name, name in (
                ("tokenImplementation", "Token"),
                ("ctrImplementation", "ClaimTopicsRegistry"),
                ("irImplementation", "IdentityRegistry"),
                ("irsImplementation", "IdentityRegistryStorage"),
                ("tirImplementation", "TrustedIssuersRegistry"),
                ("mcImplementation", "ModularCompliance"),
            )
        }
        authority, _ = chain.deploy(
            "deploy TREXImplementationAuthority",
            art.trex("TREXImplementationAuthority"),
            deployer,
            True,
            ZERO_ADDRESS,
            ZERO_ADDRESS,  # reference authority; no factories yet
        )
        # Order the struct from the ABI, so a reordering in a later T-REX fails loudly.
        field_order = _struct_fields(authority.abi, "addAndUseTREXVersion", 1)
        contracts = tuple(implementations[name] for name in field_order)
        chain.send("addAndUseTREXVersion", authority.functions.addAndUseTREXVersion((4, 0, 0), contracts), deployer)
        return authority

    def _deploy_claim_issuer(self) -> tuple[Contract, LocalAccount]:
        """A ClaimIssuer whose CLAIM key is a local key, so claims can be signed here."""
        owner = self.roles.claim_issuer
        issuer, _ = self.chain.deploy("deploy ClaimIssuer", self.artifacts.onchainid("ClaimIssuer"), owner, owner)
        signer = Account.from_key(keccak(text="trex-reference claim signer"))
        key = keccak(abi_encode(["address"], [signer.address]))
        self.chain.send("ClaimIssuer.addKey", issuer.functions.addKey(key, KEY_PURPOSE_CLAIM, KEY_TYPE_ECDSA), owner)
        return issuer, signer

    # -- token suites ---------------------------------------------------------

    def deploy_suite(self, module_calls: Sequence[tuple[str, bytes]] = ()) -> Suite:
        """Create one token suite through ``TREXFactory.deployTREXSuite``.

        ``module_calls`` are (module address, settings calldata) pairs that
        the factory binds and configures in the same transaction.  The token
        gets a fresh ONCHAINID from the IdFactory, one KYC topic and the
        fixture's claim issuer as trusted issuer for it.
        """
        self._salt_count += 1
        roles = self.roles
        token_details = (
            roles.token_issuer,  # owner
            f"Reference Token {self._salt_count}",
            f"REF{self._salt_count}",
            0,  # decimals, as in the fixture
            ZERO_ADDRESS,  # irs: deploy a new IdentityRegistryStorage
            ZERO_ADDRESS,  # ONCHAINID: let the IdFactory create one
            [roles.token_agent],  # irAgents
            [roles.token_agent],  # tokenAgents
            [Web3.to_checksum_address(module) for module, _ in module_calls],
            [settings for _, settings in module_calls],
        )
        claim_details = ([KYC_TOPIC], [self.infra.claim_issuer.address], [[KYC_TOPIC]])
        factory = self.infra.trex_factory
        receipt = self.chain.send(
            "TREXFactory.deployTREXSuite",
            factory.functions.deployTREXSuite(f"reference-{self._salt_count}", token_details, claim_details),
            roles.deployer,
        )
        (event,) = factory.events.TREXSuiteDeployed().process_receipt(receipt, errors=DISCARD)
        art, chain = self.artifacts, self.chain
        suite = Suite(
            token=chain.contract(art.trex("Token"), event.args._token),
            identity_registry=chain.contract(art.trex("IdentityRegistry"), event.args._ir),
            identity_registry_storage=chain.contract(art.trex("IdentityRegistryStorage"), event.args._irs),
            trusted_issuers_registry=chain.contract(art.trex("TrustedIssuersRegistry"), event.args._tir),
            claim_topics_registry=chain.contract(art.trex("ClaimTopicsRegistry"), event.args._ctr),
            compliance=chain.contract(art.trex("ModularCompliance"), event.args._mc),
            deploy_gas=receipt["gasUsed"],
        )
        # Tokens start paused in T-REX; unpausing is part of going live, not of the suite cost.
        chain.send("Token.unpause", suite.token.functions.unpause(), roles.token_agent)
        return suite

    def deploy_module(self, name: str) -> Contract:
        """Deploy a T-REX 4.1 upgradeable module: implementation + ModuleProxy(initialize())."""
        art, chain, deployer = self.artifacts, self.chain, self.roles.deployer
        implementation, _ = chain.deploy(f"deploy {name}", art.trex(name), deployer)
        init = implementation.encode_abi("initialize", [])
        proxy, _ = chain.deploy(f"deploy {name} proxy", art.trex("ModuleProxy"), deployer, implementation.address, init)
        return chain.contract(art.trex(name), proxy.address)

    # -- investors --------------------------------------------------------------

    def new_investor(self, via_id_factory: bool = False) -> Investor:
        """Create an investor with an ONCHAINID identity and a signed KYC claim.

        Records the gas of the identity deployment (paid by the deployer) and
        of ``addClaim`` (sent by the investor).  The identity is a plain
        ``IdentityProxy`` as in T-REX's fixture, or, with ``via_id_factory``,
        created by ``IdFactory.createIdentity`` as production deployments do
        (CREATE2 plus the factory's wallet/salt bookkeeping).
        """
        self._investor_count += 1
        wallet = Account.from_key(keccak(text=f"trex-reference investor {self._investor_count}"))
        self.chain.fund(self.roles.deployer, wallet.address)
        identity_address, deploy_gas = self._deploy_identity(wallet.address, via_id_factory)
        identity = self.chain.contract(self.artifacts.onchainid("Identity"), identity_address)
        signature = self._sign_claim(identity.address)
        receipt = self.chain.send(
            "Identity.addClaim",
            identity.functions.addClaim(
                KYC_TOPIC, CLAIM_SCHEME_ECDSA, self.infra.claim_issuer.address, signature, CLAIM_DATA, ""
            ),
            wallet,
        )
        return Investor(
            wallet,
            identity,
            {
                "onboard_identity_deploy": deploy_gas,
                "onboard_add_claim": receipt["gasUsed"],
            },
        )

    def _deploy_identity(self, wallet: str, via_id_factory: bool) -> tuple[str, int]:
        """Deploy ``wallet``'s ONCHAINID; return (address, gasUsed)."""
        deployer = self.roles.deployer
        if not via_id_factory:
            proxy, gas = self.chain.deploy(
                "deploy investor IdentityProxy",
                self.artifacts.onchainid("IdentityProxy"),
                deployer,
                self.infra.identity_authority.address,
                wallet,
            )
            return proxy.address, gas
        factory = self.infra.id_factory
        receipt = self.chain.send(
            "IdFactory.createIdentity", factory.functions.createIdentity(wallet, f"investor-{self._investor_count}"), deployer
        )
        return factory.functions.getIdentity(wallet).call(), receipt["gasUsed"]

    def _sign_claim(self, identity: str) -> bytes:
        """Sign a KYC claim the way ONCHAINID's ClaimIssuer.isClaimValid checks it."""
        digest = keccak(abi_encode(["address", "uint256", "bytes"], [identity, KYC_TOPIC, CLAIM_DATA]))
        return self.infra.claim_signer.sign_message(encode_defunct(primitive=digest)).signature

    def register(self, suite: Suite, investor: Investor) -> int:
        """Register an investor's identity in a suite's identity registry; return gasUsed."""
        receipt = self.chain.send(
            "IdentityRegistry.registerIdentity",
            suite.identity_registry.functions.registerIdentity(investor.address, investor.identity.address, INVESTOR_COUNTRY),
            self.roles.token_agent,
        )
        return receipt["gasUsed"]

    def onboard(self, suite: Suite, via_id_factory: bool = False) -> Investor:
        """Full onboarding: identity, claim, registration (gas recorded per step)."""
        investor = self.new_investor(via_id_factory)
        investor.onboarding_gas["onboard_register"] = self.register(suite, investor)
        return investor

    # -- token operations -------------------------------------------------------

    def is_verified_gas(self, suite: Suite, investor: Investor) -> int:
        """Execution gas of ``isVerified``: eth_estimateGas minus the 21,000 base.

        A view function has no receipt; the estimate still includes calldata
        cost (a few hundred gas), which is left in as in the stated method.
        """
        call = suite.identity_registry.functions.isVerified(investor.address)
        if not call.call():
            raise StepFailed("isVerified returned false for an onboarded investor")
        return call.estimate_gas({"from": self.roles.deployer}) - INTRINSIC_GAS

    def mint(self, suite: Suite, investor: Investor, amount: int) -> int:
        receipt = self.chain.send("Token.mint", suite.token.functions.mint(investor.address, amount), self.roles.token_agent)
        return receipt["gasUsed"]

    def transfer(self, suite: Suite, sender: Investor, receiver: Investor, amount: int) -> int:
        receipt = self.chain.send("Token.transfer", suite.token.functions.transfer(receiver.address, amount), sender.wallet)
        return receipt["gasUsed"]

    def batch_transfer(self, suite: Suite, sender: Investor, receivers: Sequence[Investor], amount: int) -> int:
        call = suite.token.functions.batchTransfer([r.address for r in receivers], [amount] * len(receivers))
        return self.chain.send("Token.batchTransfer", call, sender.wallet)["gasUsed"]

    def add_module(self, suite: Suite, module: Contract) -> None:
        """Bind a plug-and-play module to a live token's compliance (owner only)."""
        self.chain.send(
            "ModularCompliance.addModule", suite.compliance.functions.addModule(module.address), self.roles.token_issuer
        )

    def compliance_call(self, suite: Suite, module: Contract, calldata: bytes) -> None:
        """Configure a bound module through the compliance (as its owner must)."""
        self.chain.send(
            "ModularCompliance.callModuleFunction",
            suite.compliance.functions.callModuleFunction(calldata, module.address),
            self.roles.token_issuer,
        )


def _struct_fields(abi: list[dict[str, Any]], function: str, index: int) -> list[str]:
    """Names of the fields of tuple parameter ``index`` of ``function`` in ``abi``."""
    (entry,) = [e for e in abi if e.get("type") == "function" and e.get("name") == function]
    return [component["name"] for component in entry["inputs"][index]["components"]]


# --------------------------------------------------------------------------
# The measurement
# --------------------------------------------------------------------------


def measure_reference(web3: Web3, accounts: Sequence[Any], node_modules: Path | None = None) -> dict[str, int]:
    """Deploy T-REX with ONCHAINID on ``web3`` and return gasUsed per operation.

    ``accounts`` are node-unlocked accounts (addresses or objects with an
    ``address``); four distinct ones are used as deployer, token issuer,
    token agent and claim issuer when available.  Investors are local keys
    funded by the deployer.  The keys of the result are those of
    :data:`FIGURE_DESCRIPTIONS`.  Nothing is printed.
    """
    scenario = ReferenceScenario(web3, accounts, node_modules)
    figures: dict[str, int] = {}
    alice, bob = _measure_plain_suite(scenario, figures)
    _measure_module_suite(scenario, figures, alice, bob)
    return figures


def _measure_plain_suite(scenario: ReferenceScenario, figures: dict[str, int]) -> tuple[Investor, Investor]:
    """Suite, onboarding and transfer figures on a token without compliance modules.

    Returns two funded-to-be investors (alice, bob) for reuse on the next token.
    """
    plain = scenario.deploy_suite()
    figures["suite_deploy"] = plain.deploy_gas

    alice = scenario.onboard(plain, via_id_factory=True)
    figures.update(alice.onboarding_gas)
    figures["onboard_investor"] = sum(alice.onboarding_gas.values())
    bob = scenario.onboard(plain)
    figures["onboard_investor_plain_proxy"] = sum(bob.onboarding_gas.values())
    figures["is_verified"] = scenario.is_verified_gas(plain, alice)

    figures["mint"] = scenario.mint(plain, alice, 1_000)
    scenario.mint(plain, bob, 500)
    figures["transfer_no_module"] = scenario.transfer(plain, alice, bob, 100)
    carol = scenario.onboard(plain)
    figures["transfer_no_module_new_holder"] = scenario.transfer(plain, alice, carol, 100)

    receivers = [scenario.onboard(plain) for _ in range(BATCH_SIZE)]
    figures["batch_transfer_10"] = scenario.batch_transfer(plain, alice, receivers, 10)
    return alice, bob


def _measure_module_suite(scenario: ReferenceScenario, figures: dict[str, int], alice: Investor, bob: Investor) -> None:
    """Transfer figures with 3, then 4, compliance modules.

    The 3 modules are bound and configured by the factory at creation (as a
    real issuance would); the 4th is plug-and-play and added by the owner.
    Both transfers are holder -> holder, like ``transfer_no_module``.
    """
    modules = {name: scenario.deploy_module(name) for name in (*MODULES_3, MODULE_4)}
    settings = {
        "CountryAllowModule": ("batchAllowCountries", [[INVESTOR_COUNTRY]]),
        "MaxBalanceModule": ("setMaxBalance", [1_000_000]),
        "SupplyLimitModule": ("setSupplyLimit", [1_000_000_000]),
    }
    guarded = scenario.deploy_suite([(modules[name].address, modules[name].encode_abi(*settings[name])) for name in MODULES_3])
    figures["suite_deploy_modules_3"] = guarded.deploy_gas
    for investor in (alice, bob):
        scenario.register(guarded, investor)  # same ONCHAINIDs, this token's registry
    scenario.mint(guarded, alice, 1_000)
    scenario.mint(guarded, bob, 500)
    figures["transfer_modules"] = scenario.transfer(guarded, alice, bob, 100)

    restrict = modules[MODULE_4]
    scenario.add_module(guarded, restrict)
    scenario.compliance_call(guarded, restrict, restrict.encode_abi("allowUser", [alice.address]))
    figures["transfer_modules_4"] = scenario.transfer(guarded, alice, bob, 100)


def reference_versions(node_modules: Path | None = None) -> dict[str, str]:
    """Package versions the figures were measured with (for the report)."""
    artifacts = Artifacts(node_modules or node_modules_dir())
    return {pkg: artifacts.version(pkg) for pkg in (TREX_PACKAGE, ONCHAINID_PACKAGE)}


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def format_table(figures: dict[str, int]) -> str:
    """Render figures as an aligned text table (kept apart from measuring)."""
    rows = [(name, f"{gas:,}", FIGURE_DESCRIPTIONS.get(name, "")) for name, gas in figures.items()]
    width_name = max(len(r[0]) for r in rows)
    width_gas = max(len(r[1]) for r in rows)
    lines = [f"{'operation':<{width_name}}  {'gas':>{width_gas}}  what"]
    lines += [f"{n:<{width_name}}  {g:>{width_gas}}  {d}" for n, g, d in rows]
    return "\n".join(lines)


def _anvil_binary(node_modules: Path) -> str:
    """anvil from $ANVIL, PATH, or an ``@foundry-rs/anvil-*`` npm package.

    The npm package is looked for in ``node_modules`` and in every
    ``node_modules`` folder above this file (the project installs it there).
    """
    candidates: list[Path] = [Path(p) for p in (os.environ.get("ANVIL"), shutil.which("anvil")) if p]
    folders = [node_modules] + [d / "node_modules" for d in Path(__file__).resolve().parents]
    for folder in folders:
        candidates += sorted(folder.glob("@foundry-rs/anvil-*/bin/anvil"))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError("anvil not found: set $ANVIL, put anvil on PATH or npm install @foundry-rs/anvil")


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@contextmanager
def anvil_at(rpc_url: str, node_modules: Path) -> Iterator[Web3]:
    """Connect to ``rpc_url``; if nothing listens on a local URL, run anvil there.

    An anvil started here is stopped (by its own pid) on exit.
    """
    parsed = urlparse(rpc_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 8545
    process: subprocess.Popen[bytes] | None = None
    if not _port_open(host, port):
        if host not in ("127.0.0.1", "localhost"):
            raise ConnectionError(f"nothing listens at {rpc_url}")
        process = subprocess.Popen(
            [_anvil_binary(node_modules), "--host", host, "--port", str(port), "--hardfork", "cancun", "--silent"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: _port_open(host, port), timeout=30, what=f"anvil on port {port}")
    try:
        web3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 120}))
        _wait_for(web3.is_connected, timeout=30, what=f"RPC at {rpc_url}")
        yield web3
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rpc",
        default=os.environ.get(RPC_ENV, DEFAULT_RPC),
        help=f"node RPC URL (default ${RPC_ENV} or {DEFAULT_RPC}; anvil is started if none listens)",
    )
    parser.add_argument(
        "--node-modules", default=None, help=f"folder holding {TREX_PACKAGE} (default ${NODE_MODULES_ENV} or ./node_modules)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        node_modules = node_modules_dir(args.node_modules)
    except ReferenceUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    with anvil_at(args.rpc, node_modules) as web3:
        figures = measure_reference(web3, web3.eth.accounts, node_modules)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        versions = ", ".join(f"{pkg} {ver}" for pkg, ver in reference_versions(node_modules).items())
        print(f"T-REX reference gas ({versions})")
        print(format_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
