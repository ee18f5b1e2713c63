"""The five agent powers over a property token, each named by a network parameter of its own (issue 21).

On a live network, burn, forced transfer and recovery can take or move any holder's tokens: they must be
held by a contract (a Safe of the team's), and a parameter that names a key for one of them is refused
before anything is sent. Mint and freeze may be an operational key (a platform's backend, later an
offering contract). Local chains give all five to the one development agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eth_utils import is_address, to_checksum_address

from rwa.core.errors import RwaError
from rwa.deploy.planner import Pending
from rwa.deploy.records import DeploymentRecord
from rwa.deploy.target import Target, make_resolver


@dataclass(frozen=True)
class AgentPower:
    name: str  # as `rwa status` shows it
    role: str  # the token's role
    param: str  # the network parameter naming its holder
    contract_only: bool  # on a live network: a contract (a Safe), never a key


#: In the order PropertyTokenFactory.createProperty takes its agents (the pauser follows them).
AGENT_POWERS = (
    AgentPower("mint", "MINTER_ROLE", "property_minter", False),
    AgentPower("burn", "BURNER_ROLE", "property_burner", True),
    AgentPower("freeze", "FREEZER_ROLE", "property_freezer", False),
    AgentPower("forced transfer", "FORCED_TRANSFER_ROLE", "property_forced_transfer", True),
    AgentPower("recovery", "RECOVERY_ROLE", "property_recovery", True),
)
AGENT_PARAMS = tuple(p.param for p in AGENT_POWERS)


def agent_holders(target: Target, record: DeploymentRecord | None) -> dict[str, str | None]:
    """Each agent parameter's address on the target's network (None: a contract of the manifest not
    deployed yet); parameters the network does not set are left out."""
    resolver = make_resolver(target, record)
    found: dict[str, str | None] = {}
    for power in AGENT_POWERS:
        if power.param not in target.network.params:
            continue
        try:
            value = resolver.value(target.network.params[power.param])
        except Pending:
            found[power.param] = None
            continue
        found[power.param] = to_checksum_address(value) if isinstance(value, str) and is_address(value) else None
    return found


def keys_holding_contract_powers(target: Target, holders: Mapping[str, str | None]) -> list[str]:
    """One line for each power that must be a contract on this live network but would go to a key
    (an address without code); none on a local chain."""
    if target.network.local:
        return []
    wanted = [(p, holders[p.param]) for p in AGENT_POWERS if p.contract_only and holders.get(p.param)]
    codes = target.chain.codes([str(address) for _, address in wanted]) if wanted else []
    return [
        f"the {power.name} power ({power.param}) would go to {address}, a key: on {target.network.name} it must be "
        "held by a contract (a Safe of the team's)"
        for (power, address), code in zip(wanted, codes)
        if not code
    ]


def check_agent_params(target: Target) -> None:
    """Refuse (nothing sent) a live network whose parameters give burn, forced transfer or recovery to a key."""
    problems = keys_holding_contract_powers(target, agent_holders(target, None))
    if problems:
        raise RwaError(f"{problems[0]}; nothing was sent")
