"""The accounts that sign: Ape's test accounts on local chains (their addresses known without
building them), Ape's keystore accounts by alias, and the passphrases that unlock them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from eth_utils import to_checksum_address

from rwa.core import devkeys
from rwa.core.errors import RwaError

if TYPE_CHECKING:
    from ape.api import AccountAPI


def test_account(index: int) -> AccountAPI:
    """A local development account; only ever used on local chains."""
    from ape import accounts

    return accounts.test_accounts[index]


#: The order of secp256k1, for BIP-32 child keys.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@cache
def test_address(index: int) -> str:
    """The address of :func:`test_account`, without building the account: the first twenty of Ape's
    default test accounts are the well-known development addresses; any other is derived."""
    if index < len(devkeys.DEVELOPMENT_ADDRESSES) and _test_accounts_config() == (devkeys.MNEMONIC, devkeys.HD_PATH):
        return devkeys.DEVELOPMENT_ADDRESSES[index]
    return _derived_address(index)


def _derived_address(index: int) -> str:
    """Ape derives each test account from the mnemonic down the whole HD path (five elliptic-curve
    multiplications in pure Python, ~20 ms); a command that only names accounts needs their
    addresses, so the node above them is derived once per process and each address costs one
    multiplication (BIP-32 CKDpriv of a non-hardened child, then its public key).
    """
    parent = _test_accounts_parent()
    if parent is None:
        return to_checksum_address(test_account(index).address)
    from eth_account.hdaccount._utils import hmac_sha512
    from eth_keys import keys

    key, chain_code, public = parent
    derived = hmac_sha512(chain_code, public + index.to_bytes(4, "big"))
    child = (int.from_bytes(derived[:32], "big") + key) % SECP256K1_N
    if int.from_bytes(derived[:32], "big") >= SECP256K1_N or child == 0:  # BIP-32's 2**-127 case: Ape's way
        return to_checksum_address(test_account(index).address)
    return str(keys.PrivateKey(child.to_bytes(32, "big")).public_key.to_checksum_address())


@cache
def _test_accounts_parent() -> tuple[int, bytes, bytes] | None:
    """Key, chain code and compressed public key of the HD node whose children are Ape's test
    accounts; None when the configured path does not end with the account index."""
    from eth_account.hdaccount._utils import hmac_sha512
    from eth_account.hdaccount.deterministic import Node, derive_child_key
    from eth_account.hdaccount.mnemonic import Mnemonic
    from eth_keys import keys

    mnemonic, path = _test_accounts_config()
    path = path[: -len("/{}")] if path.endswith("/{}") else path.rstrip("/")
    if "{" in path or not path.startswith("m"):
        return None
    main = hmac_sha512(b"Bitcoin seed", Mnemonic.to_seed(mnemonic))
    key, chain_code = main[:32], main[32:]
    for node in path.split("/")[1:]:
        key, chain_code = derive_child_key(key, chain_code, Node.decode(node))
    return int.from_bytes(key, "big"), chain_code, keys.PrivateKey(key).public_key.to_compressed_bytes()


def _test_accounts_config() -> tuple[str, str]:
    """The mnemonic and HD path of Ape's test accounts: its defaults when nothing configures them
    (no ``test`` section in the project's ape-config.yaml, no ``APE_TEST_*`` variable), known without
    importing Ape (a second, for a command that only names accounts); else as Ape reads them."""
    import yaml

    config_file = Path("ape-config.yaml")  # Ape's project is the working directory
    config = (yaml.safe_load(config_file.read_text()) if config_file.is_file() else None) or {}
    if "test" in config or any(name.startswith("APE_TEST_") for name in os.environ):
        from ape import accounts

        container = accounts.test_accounts
        return str(container.mnemonic), str(container.hd_path)
    return devkeys.MNEMONIC, devkeys.HD_PATH


def load_account(alias: str, local_names: Sequence[str] = (), network: str = "") -> AccountAPI:
    """An Ape account by alias; unknown, one line listing every name ``--account`` takes here: the
    Ape accounts, and on a local chain the manifest's account names (``local_names``)."""
    from ape import accounts

    try:
        return accounts.load(alias)
    except Exception:
        known = ", ".join(accounts.aliases) or "none"
        local = f"; on {network} also the manifest's accounts: {', '.join(local_names)}" if local_names else ""
        raise RwaError(f"no account named '{alias}' (Ape accounts: {known}{local}); add one with `ape accounts import`") from None


def passphrase_variables(alias: str) -> tuple[str, ...]:
    """The environment variables an account's passphrase may come from: Ape's own spelling
    (``APE_ACCOUNTS_<alias>_PASSPHRASE``, the alias as typed) and its upper-case form."""
    exact = f"APE_ACCOUNTS_{alias}_PASSPHRASE"
    return (exact,) if exact == exact.upper() else (exact, exact.upper())


def env_passphrase(account: AccountAPI) -> tuple[str, str] | None:
    """The (variable, passphrase) set for a keystore account, or None."""
    import os

    alias = getattr(account, "alias", None)
    for name in passphrase_variables(alias) if alias else ():
        if os.environ.get(name):
            return name, os.environ[name]
    return None


def can_unlock(account: AccountAPI) -> bool:
    """Whether the account is an Ape keystore account, which a passphrase unlocks for a whole run."""
    return callable(getattr(account, "set_autosign", None)) and hasattr(account, "keyfile_path")


def unlock(account: AccountAPI, passphrase: str, source: str) -> None:
    """Unlock a keystore account for this run and let it sign without asking per transaction
    (Ape's ``set_autosign``); a wrong passphrase is one line."""
    from ape.exceptions import AccountsError

    try:
        account.set_autosign(True, passphrase=passphrase)
    except AccountsError:
        alias = getattr(account, "alias", account.address)
        raise RwaError(f"wrong passphrase for Ape account '{alias}' ({source}); nothing was sent") from None
