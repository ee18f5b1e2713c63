"""Shared helpers of the contract tests (strict custom-error matching, gas reporting)."""


from eth_utils import keccak
from reverts import address_of, reverts  # noqa: F401 - the tests import them from here

ZERO_ADDRESS = "0x" + "00" * 20
KYC_AML = 1 | 2
ACCREDITED = 4
US, GB, FR, DE = 840, 826, 250, 276
DEFAULT_ADMIN_ROLE = b"\x00" * 32
YEAR = 365 * 24 * 3600


def role(name):
    return keccak(text=name)


GAS = {}


def record_gas(label, receipt_or_gas):
    """Remember (and print, with -s) a gas figure: a receipt's gas used, or a number."""
    gas = receipt_or_gas if isinstance(receipt_or_gas, int) else receipt_or_gas.gas_used
    GAS[label] = gas
    print(f"GAS {label}: {gas}")
    return gas


def about(actual, expected, tolerance=1):
    """Dividends round down: `actual` is `expected` or at most `tolerance` wei below it."""
    return expected - tolerance <= actual <= expected


def property_input(property_id=b"MAIN-ST-1", name="1 Main Street", symbol="MAIN1", decimals=18):
    return (
        keccak(text=property_id.decode()) if isinstance(property_id, bytes) else property_id,
        name,
        symbol,
        decimals,
        keccak(text="deed of 1 Main Street"),
        "ipfs://bafy-main-street-deed",
    )


def create_property(project, factory, deployer, agent, **kwargs):
    data = property_input(**kwargs)
    receipt = factory.createProperty(data, (agent,) * 6, sender=deployer)
    token, compliance, distributor = factory.predictAddresses(data[0])
    return (
        project.PropertyToken.at(token),
        project.ModularCompliance.at(compliance),
        project.DividendDistributor.at(distributor),
        receipt,
    )
