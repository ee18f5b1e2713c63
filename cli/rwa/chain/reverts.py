"""Why a call or transaction failed, in one line: a node's message without its stack trace, a
``require`` message, or the custom error the contract's ABI knows, with its arguments (role ids by
name)."""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address


def describe_revert(exc: BaseException) -> str:
    """One line for a failed call or transaction."""
    return node_message(exc)


def node_message(exc: BaseException) -> str:
    """What a node (or the library between) said, as one line: the ``message`` of a JSON-RPC error
    rather than the error object printed as a Python dict, and the first line only, never a
    JavaScript stack trace that some nodes put after it."""
    message: Any = getattr(exc, "message", None)
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        message = response["error"].get("message") or message
    if not message and exc.args:
        message = exc.args[0]
    if isinstance(message, dict):
        message = message.get("message") or message.get("data") or str(message)
    text = str(message or exc or type(exc).__name__)
    first = next((line for line in text.splitlines() if line.strip()), text)
    return " ".join(first.split())[:300] or type(exc).__name__


def _revert_data(exc: BaseException) -> str | None:
    for candidate in (getattr(exc, "data", None), *getattr(exc, "args", ())):
        if isinstance(candidate, str) and candidate.startswith("0x") and len(candidate) >= 10:
            return candidate
        if isinstance(candidate, dict) and isinstance(candidate.get("data"), str):
            return str(candidate["data"])
    return None


#: The selector of ``Error(string)``: a ``require``/``assert`` message (Vyper's reverts are all these).
ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]


def decode_revert(abi: list[dict[str, Any]], exc: BaseException) -> str:
    """Name the custom error (with its arguments) that a revert carries, when the ABI knows it, or
    give a revert message as it is."""
    data = _revert_data(exc)
    return (revert_text(abi, bytes.fromhex(data[2:])) if data else None) or describe_revert(exc)


def revert_text(abi: list[dict[str, Any]], payload: bytes) -> str | None:
    """Revert data as one line: a require message, or the custom error the ABI knows with its
    arguments; None when neither (empty data, an unknown error)."""
    from eth_abi import decode

    if payload[:4] == ERROR_STRING_SELECTOR:
        try:
            return " ".join(str(decode(["string"], payload[4:])[0]).split())[:300]
        except Exception:
            return None
    for item in abi:
        if item.get("type") != "error":
            continue
        types = [i["type"] for i in item.get("inputs", [])]
        if keccak(text=f"{item['name']}({','.join(types)})")[:4] == payload[:4]:
            try:
                values = decode(types, payload[4:])
            except Exception:
                return None
            roles = _role_names(abi)
            shown = ", ".join(
                roles.get(value, "") if "role" in (i.get("name") or "").lower() and value in roles else _show(value)
                for i, value in zip(item.get("inputs", []), values)
            )
            return f"{item['name']}({shown})"
    return None


# Roles of the suite (and of OpenZeppelin's TimelockController) that a contract may check without
# declaring them in its ABI, as the vaults do with their factory's roles.
SUITE_ROLES = (
    "ATTESTOR_ROLE",
    "SANCTIONS_ROLE",
    "CREATOR_ROLE",
    "OPERATOR_ROLE",
    "GUARDIAN_ROLE",
    "MINTER_ROLE",
    "CUSTODIAN_ROLE",
    "BURNER_ROLE",
    "FREEZER_ROLE",
    "FORCED_TRANSFER_ROLE",
    "RECOVERY_ROLE",
    "PAUSER_ROLE",
    "PROPOSER_ROLE",
    "EXECUTOR_ROLE",
    "CANCELLER_ROLE",
)


def _role_names(abi: list[dict[str, Any]]) -> dict[bytes, str]:
    """Role ids by name (``MINTER_ROLE`` is keccak256 of its name, as OpenZeppelin's AccessControl
    has it), so a refusal names the role it is about."""
    declared = {
        item["name"]
        for item in abi
        if item.get("type") == "function" and item.get("name", "").endswith("_ROLE") and not item.get("inputs")
    }
    names = (declared | set(SUITE_ROLES)) - {"DEFAULT_ADMIN_ROLE"}
    return {keccak(text=name): name for name in names} | {bytes(32): "DEFAULT_ADMIN_ROLE"}


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    return str(value)
