"""Opening a network for a command: project, manifest, node, compiler, connection and account."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rwa.chain import accounts, node
from rwa.chain import artifacts as artifacts_module
from rwa.chain import client as chain_module
from rwa.core.devkeys import development_index
from rwa.core.errors import RwaError
from rwa.core.project import LOCAL_NETWORK, ProjectPaths
from rwa.deploy import lock
from rwa.deploy import manifest as manifest_module
from rwa.deploy.manifest import TEST_ACCOUNT_RE, Network
from rwa.deploy.records import DeploymentStore
from rwa.deploy.target import Target


def rpc_url_for(network: Network, paths: ProjectPaths, option: str | None = None) -> str:
    """A live network's RPC: ``--rpc-url``, else ``<NAME>_RPC_URL``, else ape-config's ``node``
    section, else an error.

    ape-config.yaml names the variables (``uri: ${SEPOLIA_RPC_URL}``), so no endpoint is committed.
    """
    if option:
        return checked_url(option, "--rpc-url")
    env_name = f"{network.env_prefix}_RPC_URL"
    if os.environ.get(env_name):
        return checked_url(os.environ[env_name], env_name)
    import yaml

    config: dict[str, Any] = yaml.safe_load((paths.root / "ape-config.yaml").read_text()) or {}
    ecosystem, ape_network = network.ape_choice.split(":")[:2]
    configured = (((config.get("node") or {}).get(ecosystem) or {}).get(ape_network) or {}).get("uri") or ""
    expanded = os.path.expandvars(str(configured))
    if expanded and "$" not in expanded:
        return checked_url(expanded, f"ape-config.yaml's node.{ecosystem}.{ape_network}.uri")
    hint = f" (ape-config.yaml asks for {configured})" if configured else ""
    raise RwaError(f"network '{network.name}' has no RPC URL: set {env_name}{hint}")


def checked_url(url: str, source: str) -> str:
    """An RPC URL Ape can connect to; anything else would surface as Ape's "No provider named"."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        # The value is not repeated: RPC URLs often carry an API key.
        raise RwaError(f"{source} is not an http(s) or ws(s) URL (like https://host/path)")
    return url.strip()


@dataclass(frozen=True)
class TargetRequest:
    """What a command asks of the network it opens.

    ``signs``: the command sends from its account, so it needs one (off local chains, an explicit
    --account) and holds the account's lock on the network while open, so two commands never race for
    its nonces. A command that reads, or writes a proposal, does not sign.
    ``local_signer``: on a local chain with no --account, the manifest account that signs (``attestor``,
    say); None loads no account at all (commands that never sign skip the cost of Ape's accounts).
    ``plain_rpc``: the command only reads, so on a local chain it talks plain JSON-RPC instead of
    connecting Ape's provider, and loads no account unless --account names one (it could not sign):
    no Ape at all, which was most of such a command's time.
    ``wait_lock``: the command's --wait (queue behind a held lock), None when it has no such option.
    """

    network: str | None = None
    account: str | None = None
    rpc_url: str | None = None
    signs: bool = False
    local_signer: str | None = "deployer"
    plain_rpc: bool = False
    wait_lock: bool | None = None


class Opener:
    """Opens a command's target. Commands find theirs on Click's context (``rwa.cli.context``); the
    test plugin passes one that yields the test session's chain, so nothing is monkeypatched."""

    def open(self, request: TargetRequest, paths: ProjectPaths) -> AbstractContextManager[Target]:
        return open_request(request, paths)


@contextmanager
def open_request(request: TargetRequest, paths: ProjectPaths) -> Iterator[Target]:
    """Everything a chain command needs, connected; the local node is started on demand."""
    os.chdir(paths.root)  # Ape's project is the working directory
    manifest = manifest_module.load(paths.manifest_file)
    network = manifest.network(request.network or LOCAL_NETWORK)
    rpc_url = None
    if network.local and request.rpc_url:
        raise RwaError("--rpc-url is for live networks; the local chain's URL is APE_FOUNDRY_HOST")
    if network.local:
        node.start(paths)
        os.environ.setdefault("APE_FOUNDRY_HOST", node.rpc_url(paths))
    else:
        if not request.account and request.signs:
            raise RwaError(
                f"network '{network.name}' needs an explicit --account (local development keys are for local chains only)"
            )
        rpc_url = rpc_url_for(network, paths, request.rpc_url)
    compiled = artifacts_module.load(paths)
    if request.plain_rpc and network.local:
        connection = chain_module.connect_reader(node.rpc_url(paths))
    else:
        connection = chain_module.connect(network.ape_choice, rpc_url)
    with connection as connected, ExitStack() as held:
        # A reader cannot sign: it loads (and so imports Ape for) only an account named with --account.
        reader = request.plain_rpc and network.local and request.account is None
        account = None if reader else select_account(network, request.account, request.local_signer)
        if account is not None and not network.local:
            refuse_development_key(network, request.account or "", account.address)
            from_env = accounts.env_passphrase(account)
            if from_env is not None and accounts.can_unlock(account):
                accounts.unlock(account, from_env[1], from_env[0])
        if account is not None and request.signs:
            key = lock.account_key(network.name, account.address)
            held.enter_context(
                lock.hold(
                    paths.deployments_dir,
                    key,
                    account.address,
                    lock.command_line(sys.argv),
                    bool(request.wait_lock),
                    can_wait=request.wait_lock is not None,
                )
            )
        yield Target(paths, manifest, network, connected, account, compiled)


def refuse_development_key(network: Network, alias: str, address: str) -> None:
    """No live network is sent to from a key everyone knows, whatever the account is called."""
    index = development_index(address)
    if index is not None:
        raise RwaError(
            f"account '{alias}' is {address}, development key {index} of the well-known test mnemonic "
            f"(anvil, hardhat, Ape): anyone can sign for it, so it is refused on {network.name}; use a key of your own"
        )


def unlock_for_run(target: Target, ask: Callable[[str], str]) -> None:
    """Unlock a keystore account once for a whole run: from ``APE_ACCOUNTS_<ALIAS>_PASSPHRASE``
    when set (done on opening), else by asking once (``ask``); other accounts sign as they do."""
    account = target.account
    if account is None or target.network.local or not accounts.can_unlock(account):
        return
    if accounts.env_passphrase(account) is not None:
        return  # unlocked on opening
    alias = getattr(account, "alias", account.address)
    accounts.unlock(account, ask(f"Passphrase of Ape account '{alias}'"), "as typed")


def select_account(network: Network, account_alias: str | None, local_signer: str | None) -> Any:
    """The signer: an Ape account alias, or on local chains a manifest account name (``owner2``)
    or, with no --account, the command's ``local_signer`` (None: no signer, for commands that
    never sign and should not pay for loading Ape's accounts)."""
    if account_alias is None and local_signer is None:
        return None
    if account_alias and network.local and account_alias in network.accounts:
        return accounts.test_account(_local_index(network, account_alias))
    if account_alias:
        names = sorted(network.accounts) if network.local else []
        return accounts.load_account(account_alias, names, network.name)
    if network.local and local_signer is not None:
        return accounts.test_account(_local_index(network, local_signer))
    return None


def _local_index(network: Network, name: str) -> int:
    value = network.accounts.get(name, "test:0")
    match = TEST_ACCOUNT_RE.match(value)
    if not match:
        raise RwaError(f"account '{name}' of network {network.name} is not a local test account: pass --account")
    return int(match.group(1))


def reset_local_chain(paths: ProjectPaths) -> node.NodeStatus:
    """Stop the local node and forget its chain: its state and the local deployment record."""
    status = node.reset(paths)
    DeploymentStore(paths.deployments_dir).forget(LOCAL_NETWORK)
    return status
