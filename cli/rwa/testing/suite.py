"""What the fixtures make beyond the manifest: verified investors and a property of their own.

The constants are the registry's and the property tests' vocabulary; tests import them from here
(``tests/contracts/helpers.py`` re-exports them) so that a fixture and a test never disagree.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

KYC_AML = 1 | 2
ACCREDITED = 4
US, GB, FR, DE = 840, 826, 250, 276
YEAR = 365 * 24 * 3600
#: The investor id the fixtures register the PropertyMarket under (tokens verify every spender).
MARKET_INVESTOR_ID = 2**100


def suite_contract(project: Any, suite: dict[str, Any], name: str) -> Any:
    """The suite's contract ``name``, typed by its project contract (or, for Safes, its recorded ABI).

    Whether the project has the type is asked of Ape's manifest of its last compile, not of
    ``project.contracts``: asked for a type it lacks (the Safes'), that compiles every source Ape
    takes for changed, and it takes so every file that declares no contract (the interfaces'
    ``CommonErrors.sol``, ``Custody.sol``): seconds of solc each time, for the same answer."""
    entry = suite["contracts"][name]
    if entry["contractType"] in (project.manifest.contract_types or {}):
        return getattr(project, entry["contractType"]).at(entry["address"])
    from ape import Contract

    return Contract(entry["address"], abi=entry["abi"])


def register_investors(registry: Any, alice: Any, bob: Any, carol: Any, alice2: Any, expiry: int, attestor: Any) -> Any:
    """The fixtures' investors in the registry: alice (investor 1, US, accredited), alice2 (investor 1),
    bob (investor 2, GB), carol (investor 3, FR, accredited)."""
    return registry.registerBatch(
        [alice, bob, carol, alice2],
        [
            (1, US, KYC_AML | ACCREDITED, expiry),
            (2, GB, KYC_AML, expiry),
            (3, FR, KYC_AML | ACCREDITED, expiry),
            (1, US, KYC_AML | ACCREDITED, expiry),
        ],
        sender=attestor,
    )


def property_input(
    property_id: bytes | str = b"MAIN-ST-1", name: str = "1 Main Street", symbol: str = "MAIN1", decimals: int = 18
) -> tuple[Any, ...]:
    """The factory's PropertyInput: id (a text id is hashed), name, symbol, decimals, legal doc hash and URI."""
    return (
        keccak(text=property_id.decode()) if isinstance(property_id, bytes) else property_id,
        name,
        symbol,
        decimals,
        keccak(text="deed of 1 Main Street"),
        "ipfs://bafy-main-street-deed",
    )


def create_property(project: Any, factory: Any, deployer: Any, agent: Any, **kwargs: Any) -> tuple[Any, Any, Any, Any]:
    """A property through the suite's factory, ``agent`` holding its six agent roles: its token,
    compliance and distributor, and the receipt of the creation."""
    data = property_input(**kwargs)
    receipt = factory.createProperty(data, (agent,) * 6, sender=deployer)
    token, compliance, distributor = factory.predictAddresses(data[0])
    return (
        project.PropertyToken.at(token),
        project.ModularCompliance.at(compliance),
        project.DividendDistributor.at(distributor),
        receipt,
    )
