"""The project's pytest plugin: the deployed suite as fixtures, for a test in any folder.

Registered as the ``rwa`` ``pytest11`` entry point, so ``ape test`` (or ``pytest``) loads it in any
project that has ``ape-config.yaml`` and ``deployments/``; elsewhere it stays out of the way. The
suite is deployed once per session through the same manifest and engine as ``rwa deploy``, on the
chain Ape starts at ``TEST_PORT``; Ape reverts what each test does.

Fixtures (session-wide unless noted):

- the deployment: ``suite`` (its record), ``suite_transactions``, ``deploy_target``,
  ``suite_manifest``, ``project_paths``, ``compiled``;
- contracts of the suite: ``registry``, ``timelock``, ``stablecoin``, ``safe`` and
  ``guardian_safe`` (the admins' 2-of-3 and the guardian 1-of-2 Safe), ``factory``, ``offering_factory``,
  ``token_beacon`` (per test), ``vault_factory``, ``vault_beacon``, ``contract_nft``,
  ``splitter_factory``, ``splitter_implementation``, ``demo_property`` (DEMO-1), ``demo_vault``,
  ``market`` and ``listed_market`` (the PropertyMarket, registered in the registry);
- accounts: ``deployer``, ``attestor``, ``sanctions_officer``, ``outsider``, ``agent``, ``alice``,
  ``bob``, ``carol``, ``alice2``, ``stranger`` (per test), ``operator``, and the impersonated
  ``admin`` (the timelock) and ``guardian`` (the guardian Safe);
- a property of the tests' own: ``verified`` (alice, bob, carol, alice2 in the registry),
  ``created``, ``token``, ``compliance``, ``distributor``, ``funded`` (per test: the admin holds
  and has approved stablecoin);
- `rwa` itself: ``rwa`` (per test: commands in this process against the session's chain) and ``cli``
  (per module: the installed ``rwa`` as real processes, on a private chain of their own);
- ``postgres``: a PostgreSQL server of the session (rwa.testing.postgres), started when first asked for.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rwa.chain import artifacts, node
from rwa.chain.client import Chain
from rwa.core import atomic
from rwa.core.errors import RwaError
from rwa.core.project import LOCAL_NETWORK, ProjectPaths, find_root
from rwa.deploy import manifest, session
from rwa.deploy.engine import apply_deployment
from rwa.deploy.records import DeploymentRecord
from rwa.deploy.target import Target
from rwa.testing import environment, overheads
from rwa.testing import postgres as postgres_server
from rwa.testing.runners import Cli, InProcessCli
from rwa.testing.suite import KYC_AML, MARKET_INVESTOR_ID, US, YEAR, create_property, register_investors, suite_contract

ROOT = pytest.StashKey[Path | None]()
PRIVATE_CHAIN_COUNTER = pytest.StashKey["itertools.count[int]"]()


def _root_of(config: pytest.Config) -> Path | None:
    try:
        return find_root(Path(config.rootpath))
    except RwaError:
        return None


def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before any conftest, and long before Ape starts its provider: anvil, solc and the test port."""
    root = _root_of(early_config)
    early_config.stash[ROOT] = root
    early_config.stash[PRIVATE_CHAIN_COUNTER] = itertools.count()
    if root is not None:
        environment.prepare(ProjectPaths(root))
        # Ape's project is the working directory, as for `rwa` commands: a run started in a
        # subfolder (`cd examples && pytest .`) still compiles and deploys the project's contracts.
        # pytest resolves its arguments against the directory it was started in.
        os.chdir(root)


SLOW = (
    "slow: spawns processes, waits for blocks, or replays a long story whose steps faster tests check "
    "(`make test-fast` skips it); every test using `cli` is"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", SLOW)
    if config.stash.get(ROOT, None) is not None:
        _skip_revert_call_trees()
        _revert_contract_types_with_the_chain()
        overheads.apply()
        _past_states_in_a_folder_of_the_run()
        _no_fsync()


def _past_states_in_a_folder_of_the_run() -> None:
    """The anvils Ape starts for the run keep their past states in a folder of the run's, removed
    when the run ends (after Ape has stopped them: its stop is registered at connect, later than this)
    and at the start of the next run on the same ports, should this one be killed; anvil's own default
    folder is never cleaned (rwa.chain.node.past_states_args)."""
    from ape_foundry.provider import FoundryProvider

    original = FoundryProvider.build_command
    if getattr(original, "keeps_past_states", False):
        return
    folder = Path(tempfile.gettempdir()) / f"rwa-anvil-past-states-{environment.test_port()}"
    shutil.rmtree(folder, ignore_errors=True)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)

    def build_command(self: Any) -> list[str]:
        return [*original(self), *node.past_states_args(folder / str(self._port))]

    build_command.keeps_past_states = True  # type: ignore[attr-defined]
    FoundryProvider.build_command = build_command  # type: ignore[method-assign]


def _no_fsync() -> None:
    """Files the test process writes (deployment records, journals, proposals) are not fsynced
    (:func:`rwa.core.atomic.sync`): fsync guards against a power cut, which no test makes, and each
    costs milliseconds of waiting on a busy disk (a thousand in the package's tests). A kill -9 loses
    nothing either way: what was written is in the kernel's cache. `rwa` run as processes keeps it."""
    original = atomic.sync
    if getattr(original, "skipped", False):
        return

    def sync(fd: int) -> None:
        del fd  # nothing to do: see the docstring above

    sync.skipped = True  # type: ignore[attr-defined]
    sync.original = original  # type: ignore[attr-defined]
    atomic.sync = sync


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test of `rwa` as real processes (the ``cli`` fixture) is slow, wherever it is written."""
    for item in items:
        if "cli" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _skip_revert_call_trees() -> None:
    """Ape's foundry provider prints the whole call tree of every reverted transaction (into the
    output pytest captures), enriching each frame first: about a quarter of a second per revert, in
    a suite that checks hundreds of refusals and reads the decoded error, never the tree. The error,
    its decoding and ``receipt.show_trace()`` are unchanged; only that printout is skipped."""
    from ape_ethereum.trace import Trace
    from ape_foundry.provider import FoundryProvider

    original = FoundryProvider._handle_execution_reverted
    if getattr(original, "skips_call_tree", False):
        return

    def handle_execution_reverted(self: Any, *args: Any, **kwargs: Any) -> Any:
        show = Trace.show
        Trace.show = lambda *_, **__: None  # type: ignore[method-assign]
        try:
            return original(self, *args, **kwargs)
        finally:
            Trace.show = show  # type: ignore[method-assign]

    handle_execution_reverted.skips_call_tree = True  # type: ignore[attr-defined]
    FoundryProvider._handle_execution_reverted = handle_execution_reverted  # type: ignore[method-assign]


def _revert_contract_types_with_the_chain() -> None:
    """Ape remembers the contract type it saw at each address (and each proxy's implementation),
    and ``Contract.at`` prefers that memory to the type it is asked for; a revert (each test's
    isolation, or ``chain.restore``) undoes the contracts but not the memory, so a CREATE address a
    later test reuses would keep the type of whatever an earlier test deployed there. A snapshot
    now keeps what Ape knew of the chain's contracts then, and restoring it brings that back."""
    from ape.managers.chain import ChainManager

    original_snapshot, original_restore = ChainManager.snapshot, ChainManager.restore
    if getattr(original_snapshot, "keeps_contract_types", False):
        return
    known: dict[tuple[int, Any], tuple[dict[str, Any], ...]] = {}

    def caches(chain: Any) -> tuple[Any, ...]:
        return (chain.contracts.contract_types, chain.contracts.proxy_infos, chain.contracts.contract_creations)

    def snapshot(self: Any) -> Any:
        snapshot_id = original_snapshot(self)
        known[(self.chain_id, snapshot_id)] = tuple(dict(cache.memory) for cache in caches(self))
        return snapshot_id

    def restore(self: Any, snapshot_id: Any = None) -> None:
        chain_id = self.chain_id
        taken = self._snapshots[chain_id]
        target = snapshot_id if snapshot_id is not None else (taken[-1] if taken else None)
        original_restore(self, snapshot_id)
        memories = known.pop((chain_id, target), None)
        if memories is not None:
            for cache, memory in zip(caches(self), memories, strict=True):
                cache.memory = memory
        # The snapshots taken after the one restored are gone from the chain: so is what they kept.
        alive = set(self._snapshots[chain_id])
        for key in [key for key in known if key[0] == chain_id and key[1] not in alive]:
            del known[key]

    snapshot.keeps_contract_types = True  # type: ignore[attr-defined]
    ChainManager.snapshot = snapshot  # type: ignore[method-assign]
    ChainManager.restore = restore  # type: ignore[method-assign]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse a session chain port that something already answers on: Ape would attach to it."""
    port = environment.test_port()
    if session.config.stash.get(ROOT, None) and session.items and environment.port_answers(port):
        raise pytest.UsageError(
            f"port {port} (TEST_PORT) is in use: another test run or a leftover anvil; "
            f"pass another TEST_PORT (a run uses TEST_PORT..TEST_PORT+{environment.RUN_PORTS - 1})"
        )


def _root(config: pytest.Config) -> Path:
    root = config.stash.get(ROOT, None)
    if root is None:
        raise pytest.UsageError("the rwa fixtures need an rwa project (ape-config.yaml and deployments/) around the tests")
    return root


# --- the deployment -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def project_paths(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    """The project, with its deployments JSON in a temporary folder (deployments/local.json is the developer's)."""
    return ProjectPaths(_root(request.config), deployments_override=tmp_path_factory.mktemp("deployments"))


@pytest.fixture(scope="session")
def suite_manifest(project_paths: ProjectPaths) -> manifest.Manifest:
    return manifest.load(project_paths.root / "deployments" / "manifest.py")


@pytest.fixture(scope="session")
def compiled(project_paths: ProjectPaths) -> dict[str, artifacts.Artifact]:
    """Compile in this process before any test starts an `rwa` process that would compile too:
    Ape's in-memory project does not see artifacts that another process wrote after it loaded."""
    return artifacts.load(project_paths)


@pytest.fixture(scope="session")
def deploy_target(
    project_paths: ProjectPaths,
    suite_manifest: manifest.Manifest,
    compiled: dict[str, artifacts.Artifact],
    accounts: Any,
    networks: Any,
) -> Target:
    return Target(project_paths, suite_manifest, suite_manifest.network(LOCAL_NETWORK), Chain.active(), accounts[0], compiled)


@pytest.fixture(scope="session")
def suite_deploy(deploy_target: Target) -> tuple[DeploymentRecord, int]:
    """The whole manifest, deployed once per session on the test chain, and how many
    transactions the deployer sent for it."""
    account = deploy_target.account
    assert account is not None
    before = account.nonce
    _, record = apply_deployment(deploy_target)
    return record, account.nonce - before


@pytest.fixture(scope="session")
def suite(suite_deploy: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """The deployment record of the suite (tests revert to the chain it was made on)."""
    return suite_deploy[0]


@pytest.fixture(scope="session")
def suite_transactions(suite_deploy: tuple[dict[str, Any], int]) -> int:
    """What an uninterrupted first deploy of the local manifest sends."""
    return suite_deploy[1]


@pytest.fixture(scope="session", autouse=True)
def _rwa_session(request: pytest.FixtureRequest) -> None:
    """In an rwa project, compile, deploy and create the session's accounts before any test's
    isolation starts (Ape snapshots them once); elsewhere, nothing."""
    if request.config.stash.get(ROOT, None) is not None:
        for name in ("compiled", "suite", "admin", "deployer", "attestor", "sanctions_officer", "outsider"):
            request.getfixturevalue(name)


# --- contracts of the suite ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def registry(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "ComplianceRegistry")


@pytest.fixture(scope="session")
def timelock(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "Timelock")


@pytest.fixture(scope="session")
def stablecoin(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "MockStablecoin")


@pytest.fixture(scope="session")
def safe(project: Any, suite: dict[str, Any]) -> Any:
    """The admins' Safe (2 of owner1..3): the timelock's only proposer and executor."""
    return suite_contract(project, suite, "Safe")


@pytest.fixture(scope="session")
def guardian_safe(project: Any, suite: dict[str, Any]) -> Any:
    """The guardian Safe (1 of owner1, guardian1): pauses properties and vaults at once."""
    return suite_contract(project, suite, "GuardianSafe")


@pytest.fixture(scope="session")
def factory(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "PropertyTokenFactory")


@pytest.fixture(scope="session")
def offering_factory(project: Any, suite: dict[str, Any]) -> Any:
    """PropertyOfferingFactory: a property's admin or agents create its offerings; proceeds go to its ``treasury()``."""
    return suite_contract(project, suite, "PropertyOfferingFactory")


@pytest.fixture  # per test: first asked for mid-module, a session fixture would make Ape rebase its snapshots
def token_beacon(project: Any, suite: dict[str, Any]) -> Any:
    return project.Beacon.at(suite["contracts"]["PropertyTokenBeacon"]["address"])


@pytest.fixture(scope="session")
def demo_property(project: Any, suite: dict[str, Any]) -> Any:
    """DEMO-1, the manifest's property: the deployer holds its agent roles, the timelock owns it."""
    return suite_contract(project, suite, "DemoProperty")


@pytest.fixture(scope="session")
def splitter_factory(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "SplitterFactory")


@pytest.fixture(scope="session")
def splitter_implementation(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "RevenueSplitter")


@pytest.fixture(scope="session")
def vault_factory(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "NILVaultFactory")


@pytest.fixture(scope="session")
def contract_nft(project: Any, suite: dict[str, Any]) -> Any:
    return suite_contract(project, suite, "ContractNFT")


@pytest.fixture(scope="session")
def vault_beacon(project: Any, suite: dict[str, Any]) -> Any:
    return project.Beacon.at(suite["contracts"]["NILVaultBeacon"]["address"])


@pytest.fixture(scope="session")
def fan_payments(project: Any, suite: dict[str, Any]) -> Any:
    """The fans' payments hub: tips, orders and memberships (ERC-5643 subscription NFTs) of every vault."""
    return suite_contract(project, suite, "FanPayments")


@pytest.fixture(scope="session")
def demo_vault(project: Any, suite: dict[str, Any]) -> Any:
    """The manifest's vault of the athlete `demo-athlete` (the manifest's `athlete` account)."""
    return suite_contract(project, suite, "DemoVault")


@pytest.fixture(scope="session")
def market(project: Any, suite: dict[str, Any]) -> Any:
    """The PropertyMarket (as deployed: not yet registered in the registry; see ``listed_market``)."""
    return suite_contract(project, suite, "PropertyMarket")


@pytest.fixture(scope="session")
def listed_market(market: Any, registry: Any, attestor: Any, expiry: int) -> Any:
    """The PropertyMarket, registered in the registry: property tokens verify every spender, the market too."""
    registry.register(market, (MARKET_INVESTOR_ID, US, KYC_AML, expiry), sender=attestor)
    return market


# --- accounts -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def attestor(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def sanctions_officer(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    return accounts[7]


@pytest.fixture(scope="session")
def admin(accounts: Any, timelock: Any) -> Any:
    """The timelock, impersonated: what it may do once a proposal has waited out its delay."""
    account = accounts[timelock.address]
    account.balance += 10**18
    return account


@pytest.fixture(scope="session")
def guardian(accounts: Any, suite: dict[str, Any]) -> Any:
    """GUARDIAN_ROLE of the vault factory: the guardian Safe, impersonated (what its owners may do at once)."""
    account = accounts[suite["contracts"]["GuardianSafe"]["address"]]
    account.balance += 10**18
    return account


@pytest.fixture(scope="session")
def operator(accounts: Any) -> Any:
    """OPERATOR_ROLE of the vault factory (the deployer, on the local network)."""
    return accounts[0]


@pytest.fixture(scope="session")
def agent(accounts: Any) -> Any:
    """Holds every operational role of the test property."""
    return accounts[8]


@pytest.fixture(scope="session")
def alice(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="session")
def bob(accounts: Any) -> Any:
    return accounts[4]


@pytest.fixture(scope="session")
def carol(accounts: Any) -> Any:
    return accounts[5]


@pytest.fixture(scope="session")
def alice2(accounts: Any) -> Any:
    """A second wallet of alice's investor (same investor id)."""
    return accounts[6]


@pytest.fixture  # per test: see token_beacon
def stranger(accounts: Any) -> Any:
    """A wallet the registry knows nothing about."""
    return accounts[9]


# --- a property of the tests' own ---------------------------------------------------------------


@pytest.fixture(scope="session")
def expiry(chain: Any) -> int:
    expires: int = chain.pending_timestamp + 10 * YEAR
    return expires


@pytest.fixture(scope="session")
def verified(registry: Any, attestor: Any, alice: Any, bob: Any, carol: Any, alice2: Any, expiry: int) -> tuple[Any, ...]:
    """alice (investor 1, US, accredited), alice2 (investor 1), bob (investor 2, GB), carol (investor 3, FR, accredited)."""
    register_investors(registry, alice, bob, carol, alice2, expiry, attestor)
    return (alice, bob, carol, alice2)


@pytest.fixture(scope="session")
def created(project: Any, factory: Any, deployer: Any, agent: Any, verified: tuple[Any, ...]) -> tuple[Any, Any, Any, Any]:
    """MAIN-ST-1, made through the suite's factory with ``agent`` holding its agent roles:
    (token, compliance, distributor, receipt of the creation)."""
    return create_property(project, factory, deployer, agent)


@pytest.fixture(scope="session")
def token(created: tuple[Any, ...]) -> Any:
    return created[0]


@pytest.fixture(scope="session")
def compliance(created: tuple[Any, ...]) -> Any:
    return created[1]


@pytest.fixture(scope="session")
def distributor(created: tuple[Any, ...]) -> Any:
    return created[2]


@pytest.fixture  # per test: first asked for mid-module, a session fixture would make Ape rebase its snapshots
def funded(stablecoin: Any, admin: Any, distributor: Any) -> Any:
    """The admin (rent collector) holds stablecoin and has approved the distributor."""
    stablecoin.mint(admin, 10**15, sender=admin)
    stablecoin.approve(distributor, 2**256 - 1, sender=admin)
    return admin


class SessionOpener(session.Opener):
    """Targets on the test session's chain and deploy, with each command's signer, for `rwa` run in
    the test process; files a command writes (proposals) go to the test's copy of the deployments."""

    def __init__(self, suite_manifest: manifest.Manifest, paths: ProjectPaths, compiled: dict[str, artifacts.Artifact]):
        self.suite_manifest = suite_manifest
        self.paths = paths
        self.compiled = compiled

    @contextmanager
    def open(self, request: session.TargetRequest, paths: ProjectPaths) -> Iterator[Target]:
        if request.network not in (None, LOCAL_NETWORK):
            # Another network is opened as for users: its refusals (unknown network, no --account, no
            # RPC URL) come before any connection. A test must not let it connect (the session's
            # provider is the only one); an unreachable RPC is tested with real processes.
            with session.open_request(request, paths) as target:
                yield target
            return
        # A test may name another manifest for one command (RWA_MANIFEST), as users do.
        chosen = manifest.load(paths.manifest_file) if os.environ.get("RWA_MANIFEST") else self.suite_manifest
        network = chosen.network(LOCAL_NETWORK)
        account = session.select_account(network, request.account, request.local_signer)
        yield Target(self.paths, chosen, network, Chain.active(), account, self.compiled)


# --- `rwa` itself -------------------------------------------------------------------------------


@pytest.fixture
def rwa(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    project_paths: ProjectPaths,
    suite_manifest: manifest.Manifest,
    compiled: dict[str, artifacts.Artifact],
    suite: dict[str, Any],
) -> InProcessCli:
    """`rwa` in this process; files it writes (proposals) go to a copy of the deployments folder,
    so they vanish with the test, as its transactions do."""
    deployments = Path(shutil.copytree(project_paths.deployments_dir, tmp_path / "deployments"))
    test_paths = ProjectPaths(project_paths.root, deployments_override=deployments)

    opener = SessionOpener(suite_manifest, test_paths, compiled)
    monkeypatch.delenv("RWA_MANIFEST", raising=False)
    # The watcher's default store too: never the developer's own (.rwa/watch/local.sqlite of their local chain).
    monkeypatch.setenv("RWA_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return InProcessCli(capsys, deployments, opener)


@pytest.fixture(scope="module")
def cli(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The installed `rwa` as real processes, on a private chain and deployments folder for one
    test module; the chain's port is the next of TEST_PORT+1 .. TEST_PORT+8 (TEST_PORT+9 is the live-like chain)."""
    root = _root(request.config)
    counter = request.config.stash[PRIVATE_CHAIN_COUNTER]
    port = environment.private_port(next(counter))
    if environment.port_answers(port):
        raise pytest.UsageError(f"port {port} (TEST_PORT+1..+{environment.PRIVATE_CHAINS}) is in use: pass another TEST_PORT")
    base = tmp_path_factory.mktemp("cli")
    env = {
        **{k: v for k, v in os.environ.items() if k != "RWA_MANIFEST"},
        "APE_FOUNDRY_HOST": environment.rpc_url(port),
        "RWA_STATE_DIR": str(base / "state"),
        "RWA_DEPLOYMENTS_DIR": str(base / "deployments"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    runner = Cli(env, base / "deployments", base / "state", root)
    runner.run("node", "start")
    yield runner
    runner.run("node", "stop", expect=None)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server for the session on TEST_PORT + 80; ``postgres.database()`` gives a fresh database's URL."""
    running = postgres_server.start()
    yield running
    running.stop()
