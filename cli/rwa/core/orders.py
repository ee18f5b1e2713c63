"""Market orders offline: the EIP-712 order of ``PropertyMarket``, its digest, its quote, its JSON form.

Pure functions, no node: the digest is computed here by hand (EIP-712's ``hashStruct``), so the tests
can hold it against eth-account, ethers and the contract's own ``hashOrder``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import IntEnum
from math import gcd
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from rwa.core.abi import EIP712_DOMAIN_TYPE
from rwa.core.errors import RwaError

#: The EIP-712 domain of a market: name and version, with the chain id and the market's address.
DOMAIN_NAME = "PropertyMarket"
DOMAIN_VERSION = "1"

ORDER_FIELDS = (
    ("maker", "address"),
    ("property", "address"),
    ("currency", "address"),
    ("side", "uint8"),
    ("amount", "uint256"),
    ("price", "uint256"),
    ("expiry", "uint64"),
    ("epoch", "uint64"),
    ("nonce", "uint256"),
    ("taker", "address"),
)
ORDER_TYPE = "Order(" + ",".join(f"{kind} {name}" for name, kind in ORDER_FIELDS) + ")"
ORDER_TYPEHASH = keccak(text=ORDER_TYPE)
APPROVAL_FIELDS = (("orderHash", "bytes32"), ("counterparty", "address"), ("deadline", "uint256"))
APPROVAL_TYPE = "TradeApproval(" + ",".join(f"{kind} {name}" for name, kind in APPROVAL_FIELDS) + ")"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
ZERO = "0x" + "00" * 20
BPS = 10_000


class Side(IntEnum):
    SELL = 0
    BUY = 1


@dataclass(frozen=True)
class Order:
    """An order as signed: amounts in base units, price in stablecoin base units per whole token."""

    maker: str
    property: str
    currency: str
    side: Side
    amount: int
    price: int
    expiry: int
    epoch: int
    nonce: int
    taker: str = ZERO

    def as_tuple(self) -> tuple[Any, ...]:
        """The ``Order`` struct as the contract takes it."""
        return tuple(int(getattr(self, name)) if kind.startswith("uint") else getattr(self, name) for name, kind in ORDER_FIELDS)

    def message(self) -> dict[str, Any]:
        """The EIP-712 message (what eth-account and ethers sign)."""
        return {
            name: (int(getattr(self, name)) if kind.startswith("uint") else getattr(self, name)) for name, kind in ORDER_FIELDS
        }

    def to_json(self) -> dict[str, Any]:
        """JSON-safe: big numbers as decimal strings, the side by name."""
        data = asdict(self)
        data["side"] = self.side.name.lower()
        for name in ("amount", "price", "nonce"):
            data[name] = str(data[name])
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Order:
        """The order a JSON object describes; RwaError names the first field that is wrong."""
        try:
            side = Side[str(data["side"]).upper()]
            values: dict[str, Any] = {
                name: _address(data[name], name) if kind == "address" else int(str(data[name]), 10)
                for name, kind in ORDER_FIELDS
                if name != "side"
            }
        except KeyError as missing:
            raise RwaError(f"the order has no {missing} (or an unknown side)") from None
        except ValueError as bad:
            raise RwaError(f"the order has a bad field: {bad}") from None
        order = cls(side=side, **values)
        order.check()
        return order

    def check(self) -> None:
        """Refuse what no market would fill: zero or negative amounts, out-of-range integers."""
        for name, kind in ORDER_FIELDS:
            value = getattr(self, name)
            if kind.startswith("uint") and not 0 <= int(value) < 2 ** int(kind[4:]):
                raise RwaError(f"the order's {name} {value} is out of range for {kind}")
        if self.amount <= 0:
            raise RwaError("the order's amount must be positive")
        if self.price <= 0:
            raise RwaError("the order's price must be positive")

    def with_(self, **changes: Any) -> Order:
        return replace(self, **changes)


def _address(value: Any, name: str) -> str:
    try:
        return to_checksum_address(str(value))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an address") from None


def domain(chain_id: int, market: str) -> dict[str, Any]:
    """The market's EIP-712 domain, as eth-account takes it."""
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": to_checksum_address(market)}


def domain_separator(chain_id: int, market: str) -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=DOMAIN_TYPE),
                keccak(text=DOMAIN_NAME),
                keccak(text=DOMAIN_VERSION),
                chain_id,
                to_checksum_address(market),
            ],
        )
    )


def struct_hash(order: Order) -> bytes:
    """EIP-712 ``hashStruct(order)``."""
    kinds = ["bytes32"] + [kind for _, kind in ORDER_FIELDS]
    return keccak(encode(kinds, [ORDER_TYPEHASH, *order.as_tuple()]))


def order_digest(order: Order, chain_id: int, market: str) -> bytes:
    """What the maker signs: ``keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(order))``; also the order's id."""
    return keccak(b"\x19\x01" + domain_separator(chain_id, market) + struct_hash(order))


def approval_digest(order_hash: bytes, counterparty: str, deadline: int, chain_id: int, market: str) -> bytes:
    """What a property's approver signs to consent to ``order_hash`` trading with ``counterparty``."""
    inner = keccak(
        encode(["bytes32", "bytes32", "address", "uint256"], [keccak(text=APPROVAL_TYPE), order_hash, counterparty, deadline])
    )
    return keccak(b"\x19\x01" + domain_separator(chain_id, market) + inner)


def typed_data(order: Order, chain_id: int, market: str) -> dict[str, Any]:
    """The full EIP-712 typed data of an order (``eth_signTypedData_v4``'s argument)."""
    return {
        "types": {
            "EIP712Domain": EIP712_DOMAIN_TYPE,
            "Order": [{"name": name, "type": kind} for name, kind in ORDER_FIELDS],
        },
        "primaryType": "Order",
        "domain": domain(chain_id, market),
        "message": order.message(),
    }


def quote(amount: int, price: int, decimals: int) -> int:
    """The stablecoin a trade of ``amount`` base units at ``price`` per whole token costs; exact or refused."""
    value = amount * price
    unit = 10**decimals
    if value % unit:
        raise RwaError(
            f"{amount} base units at {price} per whole token is not a whole number of stablecoin units: "
            f"trade a multiple of {lot(price, decimals)} base units"
        )
    return int(value // unit)


def lot(price: int, decimals: int) -> int:
    """The smallest amount (in base units) whose quote at ``price`` is exact: trades are multiples of it."""
    unit = 10**decimals
    return int(unit // gcd(unit, price))


def fee_of(quote_: int, fee_bps: int) -> int:
    """The market's fee on a quote, rounded down (the seller pays it out of the quote)."""
    return int(quote_ * fee_bps // BPS)
