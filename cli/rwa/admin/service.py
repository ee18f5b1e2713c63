"""Mirroring proposals to a Safe Transaction Service, through ape-safe's client.

The proposal file stays the source of truth: a service is an optional second channel that lets
owners sign in the Safe web app too. When a network has a service URL (``<NAME>_SAFE_SERVICE_URL``,
or the manifest param ``safe_service_url``), `rwa safe sign` posts the proposal with its first
signature and each later one as a confirmation, and `rwa safe sync` pushes what the service lacks
and pulls the confirmations owners made there, each checked against the Safe's owners before it
is saved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin.proposals import Proposal
from rwa.admin.safe import SafeTx, recover_signer
from rwa.core.errors import RwaError
from rwa.deploy.target import Target

SAFE_VERSION = "1.4.1"


@dataclass(frozen=True)
class SyncResult:
    url: str
    posted: bool  # the transaction itself was new to the service
    pushed: list[str]  # owners whose signatures were sent
    pulled: dict[str, str]  # owner -> signature found on the service and not in the file


def service_url(target: Target) -> str | None:
    """The network's Transaction Service base URL (ending in ``/api``), if one is configured."""
    url = os.environ.get(f"{target.network.env_prefix}_SAFE_SERVICE_URL") or target.network.params.get("safe_service_url")
    return str(url).rstrip("/") if url else None


def sync(target: Target, proposal: Proposal, owners: list[str]) -> SyncResult:
    """Make the service and the proposal agree on the transaction and its signatures.

    Nothing is taken from the service on trust: a confirmation is kept only if it recovers to
    its owner over the proposal's own hash and that owner is one of ``owners``.
    """
    url = service_url(target)
    if url is None:
        raise RwaError(
            f"no Safe Transaction Service configured for {target.network.name} (set {target.network.env_prefix}_SAFE_SERVICE_URL)"
        )
    from ape_safe.client import SafeClient
    from ape_safe.exceptions import SafeClientException

    client = SafeClient(address=proposal["safe"]["address"], override_url=url)
    local: dict[str, str] = dict(proposal.get("signatures", {}))
    try:
        known = client.get_safe_tx(proposal["safeTxHash"])
        remote: dict[str, str] = {
            to_checksum_address(c.owner): "0x" + bytes(c.signature).hex() for c in (known.confirmations if known else [])
        }
        posted = False
        pushed: list[str] = []
        if known is None and local:
            first = next(iter(local))
            client.post_transaction(
                _safe_tx(proposal),
                {first: _signature(local[first])},
                sender=first,
                contractTransactionHash=proposal["safeTxHash"],
            )
            posted, pushed, remote = True, [first], {first: local[first]}
        for owner, signature in local.items():
            if owner not in remote:
                client.post_signatures(proposal["safeTxHash"], {owner: _signature(signature)})
                pushed.append(owner)
    except (SafeClientException, OSError) as exc:
        raise RwaError(f"the Safe Transaction Service at {url} failed: {_one_line(exc)}") from None
    except Exception as exc:  # requests' own errors (connection refused, timeouts)
        if type(exc).__module__.startswith(("requests", "urllib3")):
            raise RwaError(f"the Safe Transaction Service at {url} is unreachable: {_one_line(exc)}") from None
        raise
    pulled = {
        owner: signature
        for owner, signature in remote.items()
        if owner not in local and owner in owners and recover_signer(proposal["safeTxHash"], signature) == owner
    }
    return SyncResult(url, posted, pushed, pulled)


def _safe_tx(proposal: Proposal) -> Any:
    """The proposal's transaction as ape-safe's EIP-712 model, for its client."""
    from eip712.common import create_safe_tx_def

    tx = SafeTx.from_json(proposal["safeTx"])
    safe: Any = proposal["safe"]["address"]  # a checksum string, which eip712 takes though it types bytes
    model: Any = create_safe_tx_def(version=SAFE_VERSION, contract_address=safe, chain_id=proposal["chainId"])
    return model(
        to=tx.to,
        value=tx.value,
        data=bytes.fromhex(tx.data[2:]),
        operation=tx.operation,
        safeTxGas=tx.safeTxGas,
        baseGas=tx.baseGas,
        gasPrice=tx.gasPrice,
        gasToken=tx.gasToken,
        refundReceiver=tx.refundReceiver,
        nonce=tx.nonce,
    )


def _signature(hex_signature: str) -> Any:
    from ape.types.signatures import MessageSignature

    return MessageSignature.from_rsv(bytes.fromhex(hex_signature[2:]))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
