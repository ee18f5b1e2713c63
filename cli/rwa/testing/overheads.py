"""What Ape and its HTTP stack redo for every transaction, done once in a test process.

A contract test sends hundreds of transactions to the session's anvil, and a fifth of what each one
cost was not the chain: Ape rebuilt its provider's settings (a pydantic-settings model read from the
environment) several times per request, ``requests`` scanned the environment for HTTP proxies
twice per JSON-RPC request, for a node on this machine, and Ape's isolation asked the node whether
it mines automatically about twenty times per test. The plugin applies both at configure time;
what the chain answers, and what a test sees, are unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def apply() -> None:
    _remember_provider_settings()
    _no_proxy_lookup_for_loopback()
    _ask_for_automine_last()


def _remember_provider_settings() -> None:
    """``ProviderAPI.settings`` validates ape-config.yaml's section merged with the provider's own
    settings anew at each read (a few milliseconds: Ape reads it to find the node's URI on every
    request). The same provider, configuration and provider settings give the same settings."""
    from ape.api.providers import ProviderAPI

    original: property = ProviderAPI.__dict__["settings"]
    read = original.fget
    if read is None or getattr(read, "remembers", False):
        return
    known: dict[int, tuple[Any, tuple[int, str], Any]] = {}

    def settings(self: Any) -> Any:
        key = (id(self.config), repr(self.provider_settings))
        entry = known.get(id(self))
        if entry is not None and entry[0] is self and entry[1] == key:
            return entry[2]
        value = read(self)
        known[id(self)] = (self, key, value)  # the provider is kept: its id is never another's
        return value

    settings.remembers = True  # type: ignore[attr-defined]
    ProviderAPI.settings = property(settings)  # type: ignore[method-assign,assignment]


def _no_proxy_lookup_for_loopback() -> None:
    """A request to a node on this machine never goes through a proxy: ``requests`` need not read
    the environment's proxy variables for it (it did, twice per JSON-RPC request)."""
    import requests.sessions

    original = requests.sessions.get_environ_proxies
    if getattr(original, "skips_loopback", False):
        return

    def get_environ_proxies(url: str, no_proxy: Any = None) -> dict[str, str]:
        if urlsplit(url).hostname in LOOPBACK:
            return {}
        found: dict[str, str] = original(url, no_proxy=no_proxy)
        return found

    get_environ_proxies.skips_loopback = True  # type: ignore[attr-defined]
    requests.sessions.get_environ_proxies = get_environ_proxies  # type: ignore[assignment]


def _ask_for_automine_last() -> None:
    """Ape's isolation asks whether each fixture of each test changed the chain (``is_stateful``),
    and asks the node whether it mines automatically (one JSON-RPC request) before looking at what it
    knows of the fixture; most times it knows nothing yet and answers None either way. The same
    answers, with the node asked only when they depend on it."""
    from ape.pytest.fixtures import FixtureManager

    original = FixtureManager.is_stateful
    if getattr(original, "asks_last", False):
        return

    def is_stateful(self: Any, name: str) -> bool | None:
        if name not in self._stateful_fixtures_cache:
            info = self._fixture_name_to_info.get(name)
            if not info or info.get("setup_block") is None or info.get("teardown_block") is None:
                return None
        answer: bool | None = original(self, name)
        return answer

    is_stateful.asks_last = True  # type: ignore[attr-defined]
    FixtureManager.is_stateful = is_stateful  # type: ignore[method-assign]
