"""A Safe Transaction Service on loopback, for the endpoints ape-safe's client uses.

It checks what the real service checks, against the real Safe on the test chain: the posted
``contractTransactionHash`` must equal the Safe's own ``getTransactionHash``, the sender must be an
owner, and every signature must recover to an owner. ``accept_any_confirmation`` turns it into a
careless (or hostile) service that stores whatever it is sent, to show the toolkit checks too.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address

from rwa.testing import environment

SAFE_ABI = [
    {"name": "getOwners", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "address[]"}]},
    {"name": "getThreshold", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "uint256"}]},
    {"name": "nonce", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "uint256"}]},
    {"name": "VERSION", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"type": "string"}]},
    {
        "name": "getTransactionHash",
        "type": "function",
        "stateMutability": "view",
        "inputs": [
            {"name": n, "type": t}
            for n, t in (
                ("to", "address"),
                ("value", "uint256"),
                ("data", "bytes"),
                ("operation", "uint8"),
                ("safeTxGas", "uint256"),
                ("baseGas", "uint256"),
                ("gasPrice", "uint256"),
                ("gasToken", "address"),
                ("refundReceiver", "address"),
                ("_nonce", "uint256"),
            )
        ],
        "outputs": [{"type": "bytes32"}],
    },
]
ZERO = "0x0000000000000000000000000000000000000000"


def _bytes(text: str | None) -> bytes:
    """Hex as the service takes it, with or without 0x (ape-safe sends both forms)."""
    text = text or ""
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


class FakeSafeService:
    def __init__(self, web3: Any, accept_any_confirmation: bool = False):
        self.web3 = web3
        self.accept_any_confirmation = accept_any_confirmation
        self.transactions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = environment.server_thread(self._server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def __enter__(self) -> FakeSafeService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the real service does -----------------------------------------------------------

    def _safe(self, address: str) -> Any:
        return self.web3.eth.contract(address=to_checksum_address(address), abi=SAFE_ABI)

    def safe_details(self, address: str) -> dict[str, Any]:
        safe = self._safe(address)
        singleton = to_checksum_address(bytes(self.web3.eth.get_storage_at(safe.address, 0))[-20:])
        return {
            "address": safe.address,
            "nonce": safe.functions.nonce().call(),
            "threshold": safe.functions.getThreshold().call(),
            "owners": safe.functions.getOwners().call(),
            "masterCopy": singleton,
            "modules": [],
            "fallbackHandler": ZERO,
            "guard": ZERO,
            "version": safe.functions.VERSION().call(),
        }

    def _owner_signature(self, safe_address: str, digest: str, signature: str) -> str:
        owner = Account._recover_hash(_bytes(digest), signature=_bytes(signature))
        if owner not in self._safe(safe_address).functions.getOwners().call():
            raise ValueError(f"signer {owner} is not an owner")
        return owner

    def propose(self, safe_address: str, body: dict[str, Any]) -> None:
        safe = self._safe(safe_address)
        on_chain = (
            "0x"
            + safe.functions.getTransactionHash(
                body["to"],
                int(body["value"]),
                _bytes(body.get("data")),
                int(body["operation"]),
                int(body["safeTxGas"]),
                int(body["baseGas"]),
                int(body["gasPrice"]),
                body["gasToken"],
                body["refundReceiver"],
                int(body["nonce"]),
            )
            .call()
            .hex()
        )
        if on_chain != body["contractTransactionHash"].lower():
            raise ValueError(f"contractTransactionHash {body['contractTransactionHash']} is not the Safe's {on_chain}")
        owner = self._owner_signature(safe_address, on_chain, body["signature"])
        if owner != to_checksum_address(body["sender"]):
            raise ValueError("the signature is not the sender's")
        self.transactions[on_chain] = {
            **{
                k: body[k]
                for k in (
                    "to",
                    "value",
                    "data",
                    "operation",
                    "safeTxGas",
                    "baseGas",
                    "gasPrice",
                    "gasToken",
                    "refundReceiver",
                    "nonce",
                )
            },
            "safe": safe.address,
            "safeTxHash": on_chain,
            "confirmationsRequired": safe.functions.getThreshold().call(),
            "confirmations": [self._confirmation(owner, "0x" + _bytes(body["signature"]).hex())],
        }

    def confirm(self, digest: str, signature: str) -> None:
        tx = self.transactions[digest]
        if self.accept_any_confirmation:
            owner = Account._recover_hash(_bytes(digest), signature=_bytes(signature))
        else:
            owner = self._owner_signature(tx["safe"], digest, signature)
        if all(c["owner"] != owner for c in tx["confirmations"]):
            tx["confirmations"].append(self._confirmation(owner, "0x" + _bytes(signature).hex()))

    def transaction(self, digest: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        return {**self.transactions[digest], "submissionDate": now, "modified": now, "isExecuted": False}

    @staticmethod
    def _confirmation(owner: str, signature: str) -> dict[str, Any]:
        return {
            "owner": owner,
            "submissionDate": datetime.now(UTC).isoformat(),
            "signature": signature,
            "signatureType": "EOA",
        }

    # --- HTTP ---------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: Any = None) -> None:
                payload = json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _route(self, method: str) -> None:
                path = self.path.split("?")[0].rstrip("/")
                service.requests.append((method, path))
                body = {}
                if method == "POST":
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                try:
                    if method == "GET" and (m := re.fullmatch(r"/api/v1/safes/(0x[0-9a-fA-F]{40})", path)):
                        return self._reply(200, service.safe_details(m[1]))
                    if method == "POST" and (m := re.fullmatch(r"/api/v2/safes/(0x[0-9a-fA-F]{40})/multisig-transactions", path)):
                        service.propose(m[1], body)
                        return self._reply(201)
                    if m := re.fullmatch(r"/api/v\d/multisig-transactions/(0x[0-9a-f]{64})(/confirmations)?", path):
                        if m[1] not in service.transactions:
                            return self._reply(404, {"detail": "The requested resource was not found on this server"})
                        if method == "GET" and not m[2]:
                            return self._reply(200, service.transaction(m[1]))
                        if method == "POST" and m[2]:
                            service.confirm(m[1], body["signature"])
                            return self._reply(201)
                    self._reply(404, {"detail": "The requested resource was not found on this server"})
                except (ValueError, KeyError) as exc:
                    self._reply(422, {"detail": str(exc)})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler
