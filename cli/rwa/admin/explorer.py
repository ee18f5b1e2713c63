"""A client of Etherscan's multichain API (v2), the part that verifies contracts.

One key serves every chain (``chainid`` picks it). Verifying is asynchronous: ``verifysourcecode``
(and ``verifyproxycontract``) answer a receipt id (a "guid"), and ``checkverifystatus`` (and
``checkproxyverification``) answer "Pending in queue" until the explorer has compiled the source
and compared it with the code on chain. ``getsourcecode`` tells whether an address is verified.
Any Etherscan-compatible explorer works: ``RWA_EXPLORER_URL`` points elsewhere (Blockscout's
Etherscan-compatible API, or the tests' loopback stand-in).

Why not ape-etherscan (0.8.7 installs beside eth-ape 0.8.51): it verifies only through Ape's
connected network, takes its API URL from ape-config.yaml per network (else from Etherscan's chain
list, fetched online), and has no proxy verification; this client is the few calls needed.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from rwa.core.errors import RwaError

DEFAULT_URL = "https://api.etherscan.io/v2/api"
URL_ENV = "RWA_EXPLORER_URL"
KEY_ENV = "ETHERSCAN_API_KEY"
#: Etherscan's answers while a receipt is still being worked on, and when an address is not verified.
PENDING = "Pending in queue"
NOT_VERIFIED = "Contract source code not verified"
RATE_LIMITED = "rate limit"
TIMEOUT = 60.0
#: Etherscan's free tier takes 5 calls a second: requests to a remote explorer are spaced out.
MIN_INTERVAL = 0.21
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ExplorerUnreachable(RwaError):
    """The explorer did not answer (refused, timed out, not HTTP 200 or not JSON)."""


@dataclass(frozen=True)
class Answer:
    """One reply: ``status`` "1" is success; ``result`` is the guid, the verdict or the data."""

    status: str
    message: str
    result: Any

    @property
    def ok(self) -> bool:
        return self.status == "1"

    @property
    def text(self) -> str:
        return self.result if isinstance(self.result, str) else self.message


@dataclass
class Explorer:
    """An Etherscan-compatible API for one chain."""

    url: str
    key: str
    chain_id: int
    requests: int = 0  # submissions and checks sent, for the figures
    _last: float = 0.0

    def _pace(self) -> None:
        if urllib.parse.urlsplit(self.url).hostname not in LOOPBACK:
            time.sleep(max(0.0, self._last + MIN_INTERVAL - time.monotonic()))
        self._last = time.monotonic()

    def _send(self, params: dict[str, Any], post: bool) -> Answer:
        query = {"chainid": str(self.chain_id), "apikey": self.key}
        fields = {k: ("" if v is None else str(v)) for k, v in params.items()}
        for attempt in range(5):
            self._pace()
            self.requests += 1
            if post:
                request = urllib.request.Request(
                    f"{self.url}?{urllib.parse.urlencode(query)}",
                    data=urllib.parse.urlencode(fields).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            else:
                request = urllib.request.Request(f"{self.url}?{urllib.parse.urlencode({**query, **fields})}")
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                    body = json.loads(response.read().decode())
            except urllib.error.HTTPError as exc:
                raise ExplorerUnreachable(f"the explorer at {self.url} answered HTTP {exc.code} ({exc.reason})") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise ExplorerUnreachable(f"the explorer at {self.url} is unreachable ({reason})") from None
            except ValueError:
                raise ExplorerUnreachable(f"the explorer at {self.url} did not answer JSON") from None
            answer = Answer(str(body.get("status", "")), str(body.get("message", "")), body.get("result"))
            if not answer.ok and RATE_LIMITED in answer.text.lower():
                time.sleep(1.0 + attempt)
                continue
            return answer
        raise ExplorerUnreachable(f"the explorer at {self.url} kept refusing: rate limit reached")

    def source_verified(self, address: str) -> bool:
        """Whether the explorer already has the source of ``address``."""
        answer = self._send({"module": "contract", "action": "getsourcecode", "address": address}, post=False)
        if not answer.ok or not isinstance(answer.result, list) or not answer.result:
            return False
        found = answer.result[0]
        return bool(found.get("SourceCode")) and found.get("ABI") != NOT_VERIFIED

    def submit_source(
        self, address: str, standard_input: dict[str, Any], contract_name: str, compiler_version: str, constructor_args: bytes
    ) -> Answer:
        """``verifysourcecode`` with a standard-JSON input (``vyper-json`` for Vyper)."""
        vyper = standard_input.get("language") == "Vyper"
        args = constructor_args.hex()
        return self._send(
            {
                "module": "contract",
                "action": "verifysourcecode",
                "contractaddress": address,
                "sourceCode": json.dumps(standard_input, sort_keys=True),
                "codeformat": "vyper-json" if vyper else "solidity-standard-json-input",
                "contractname": contract_name,
                "compilerversion": f"vyper:{compiler_version}" if vyper else f"v{compiler_version}",
                # Etherscan's historical spelling, and the one its newer documentation uses.
                "constructorArguements": args,
                "constructorArguments": args,
                "licenseType": "3",  # MIT, as every source of the project says (Etherscan's code 3)
            },
            post=True,
        )

    def submit_proxy(self, address: str, implementation: str | None) -> Answer:
        """``verifyproxycontract``: have the explorer read the proxy's implementation (and check it)."""
        params = {"module": "contract", "action": "verifyproxycontract", "address": address}
        if implementation:
            params["expectedimplementation"] = implementation
        return self._send(params, post=True)

    def status(self, guid: str, proxy: bool = False) -> Answer:
        action = "checkproxyverification" if proxy else "checkverifystatus"
        return self._send({"module": "contract", "action": action, "guid": guid}, post=False)


def explorer_for(network: str, chain_id: int, local: bool) -> Explorer:
    """The network's explorer and key, or one line saying what is missing (before anything is sent)."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url and local:
        raise RwaError(
            f"{network} is a local chain with no explorer: set {URL_ENV} to an Etherscan-compatible API to verify on it"
        )
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise RwaError(f"{KEY_ENV} is not set: create a key at https://etherscan.io/myapikey and export it (nothing was sent)")
    return Explorer(url or DEFAULT_URL, key, chain_id)


def is_pending(answer: Answer) -> bool:
    return not answer.ok and PENDING.lower() in answer.text.lower()
