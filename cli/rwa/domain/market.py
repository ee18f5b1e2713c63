"""The secondary market: orders made, signed, checked against the chain, filled, matched and cancelled.

An order is signed locally (EIP-712, :mod:`rwa.core.orders`) and kept off chain (the CLI keeps it in the
watcher's store and exchanges it as JSON); only fills, matches and cancellations are transactions of
the ``PropertyMarket``. Before an order is signed, the trade it offers is checked as the chain would
check it now (verified, not sanctioned, not frozen, not paused, enough free balance or stablecoin), and
the market's allowance is set when missing. Every send is simulated first: a refusal names the
contract's error and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from rwa.admin import actions
from rwa.admin.safe import SAFES
from rwa.admin.timelock import TIMELOCK
from rwa.admin.writer import Writer
from rwa.chain.client import Receipt
from rwa.core.errors import RwaError, parsed
from rwa.core.orders import Order, Side, fee_of, lot, order_digest, quote, typed_data
from rwa.core.parse import parse_duration, parse_wallet
from rwa.core.units import format_units, parse_amount
from rwa.deploy.records import contracts_of
from rwa.deploy.target import Target, load_record
from rwa.domain.properties import Properties
from rwa.domain.property import Property

MARKET = "PropertyMarket"
REGISTRY = "ComplianceRegistry"
ERC20_TYPE = "MockStablecoin"  # any ERC-20's ABI will do
ERC1271_MAGIC = bytes.fromhex("1626ba7e")


@dataclass(frozen=True)
class SignedOrder:
    """An order, its maker's signature and its digest (the order's id)."""

    order: Order
    signature: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "order": self.order.to_json(), "signature": self.signature}


@dataclass
class _Resting:
    """An order in a match plan, and what of it is left to match."""

    signed: SignedOrder
    left: int


class Market:
    """The network's PropertyMarket, from one signer's point of view: ``target.account``, or with ``via`` a
    multisig's: the maker is then whoever runs its proposals (``guardian``: the guardian Safe itself;
    ``safe``: the timelock the admins' Safe schedules through), and an order is signed on chain (``presign``)
    by the proposal that also sets the market's allowance."""

    def __init__(self, target: Target, via: str | None = None):
        self.target = target
        self.via = via
        self.writer = Writer(target, via)
        self.market = actions.deployed(target, MARKET)
        self.registry = actions.deployed(target, REGISTRY)
        self.properties = Properties(target)
        self.chain_id = target.chain.chain_id
        stablecoin = to_checksum_address(self.read(self.market, "stablecoin"))
        self.stablecoin = actions.instance(target, _recorded_name(target, stablecoin, "stablecoin"), stablecoin, ERC20_TYPE)
        self.stable_decimals = int(self.read(self.stablecoin, "decimals"))
        self.stable_symbol = str(self.read(self.stablecoin, "symbol"))

    # --- reading ---------------------------------------------------------------------------------

    def read(self, contract: actions.Deployed, function: str, *args: Any) -> Any:
        return actions.read(self.target, contract, function, *args)

    def token(self, prop: Property) -> actions.Deployed:
        return actions.instance(self.target, prop.label, prop.token, "PropertyToken")

    def property_of(self, reference: str) -> Property:
        return self.properties.find(reference)

    def digest(self, order: Order) -> str:
        return "0x" + order_digest(order, self.chain_id, self.market.address).hex()

    @property
    def signer(self) -> str:
        if self.via is not None:
            executor = actions.deployed(self.target, TIMELOCK if self.via == "safe" else SAFES[self.via])
            return to_checksum_address(executor.address)
        if self.target.account is None:
            raise RwaError("this command needs an account (--account)")
        return to_checksum_address(self.target.account.address)

    def money(self, value: int) -> str:
        return f"{format_units(value, self.stable_decimals)} {self.stable_symbol}"

    # --- making and signing ----------------------------------------------------------------------

    def make(
        self, prop: Property, side: Side, amount_text: str, price_text: str, expires: str, nonce: int, taker: str | None
    ) -> Order:
        """The order the signer would sign: amounts parsed exactly, a future expiry, an exact quote."""
        amount = parsed(parse_amount, amount_text, prop.decimals, prop.symbol)
        price = parsed(parse_amount, price_text, self.stable_decimals, self.stable_symbol)
        seconds = parsed(parse_duration, expires)
        if seconds <= 0:
            raise RwaError(f"the expiry {expires} is not in the future")
        taker_address = parsed(parse_wallet, taker) if taker else "0x" + "00" * 20
        order = Order(
            maker=self.signer,
            property=prop.token,
            currency=self.stablecoin.address,
            side=side,
            amount=amount,
            price=price,
            expiry=self.target.chain.timestamp() + seconds,
            epoch=int(self.read(self.market, "epochOf", self.signer)),
            nonce=nonce,
            taker=taker_address,
        )
        unit = lot(price, prop.decimals)
        if amount % unit:
            raise RwaError(
                f"at {self.money(price)} each, {prop.symbol} trades in multiples of {format_units(unit, prop.decimals)} "
                "(so that the price is a whole number of stablecoin units)"
            )
        return order

    def precheck(self, prop: Property, order: Order) -> None:
        """Refuses now an order whose trade the chain would refuse now (the first reason, in plain words)."""
        if not self.read(self.registry, "isVerified", self.market.address):
            raise RwaError(
                f"the market {self.market.address} is not verified in the registry, and property tokens verify every "
                f"spender: an attestor registers it first (rwa kyc set {self.market.address} ...)"
            )
        token = self.token(prop)
        maker = order.maker
        if self.read(self.registry, "isSanctioned", maker):
            raise RwaError(f"{maker} is sanctioned: the market refuses its trades")
        if not self.read(self.registry, "isVerified", maker):
            raise RwaError(f"{maker} is not verified in the registry (rwa kyc show {maker}): {prop.symbol} refuses it")
        if self.read(token, "paused"):
            raise RwaError(f"{prop.symbol} is paused: no trade settles until it is unpaused")
        if self.read(token, "isFrozen", maker):
            raise RwaError(f"{maker} is frozen on {prop.symbol}")
        if order.side == Side.SELL:
            free = int(self.read(token, "balanceOf", maker)) - int(self.read(token, "getFrozenTokens", maker))
            if free < order.amount:
                raise RwaError(
                    f"{maker} holds {format_units(max(free, 0), prop.decimals)} {prop.symbol} free, "
                    f"less than the {format_units(order.amount, prop.decimals)} the order sells"
                )
        else:
            cost = quote(order.amount, order.price, prop.decimals)
            held = int(self.read(self.stablecoin, "balanceOf", maker))
            if held < cost:
                raise RwaError(f"{maker} holds {self.money(held)}, less than the {self.money(cost)} the order pays")

    def approve_if_needed(self, prop: Property, order: Order) -> str | None:
        """Gives the market the allowance the order needs (the maker signs); the transaction, or None."""
        if order.side == Side.SELL:
            contract, needed = self.token(prop), order.amount
        else:
            contract, needed = self.stablecoin, quote(order.amount, order.price, prop.decimals)
        if int(self.read(contract, "allowance", order.maker, self.market.address)) >= needed:
            return None
        receipt = self.writer.send(actions.Action(contract, "approve", (self.market.address, needed)))
        return receipt.hash if receipt is not None else None

    def sign(self, order: Order) -> SignedOrder:
        """The signer's EIP-712 signature of the order (what it signs is the order shown); with ``via``, the
        call that signs it on chain, kept for the proposal (the order fills once the proposal has run)."""
        if self.via is not None:
            self.writer.send(actions.Action(self.market, "presign", (order.as_tuple(),)))
            return SignedOrder(order, "0x", self.digest(order))
        if self.target.account is None or to_checksum_address(self.target.account.address) != order.maker:
            raise RwaError(f"only the maker {order.maker} can sign this order")
        signed = self.target.account.sign_message(
            encode_typed_data(full_message=typed_data(order, self.chain_id, self.market.address))
        )
        if signed is None:
            raise RwaError(f"{order.maker} declined to sign")
        return SignedOrder(order, "0x" + bytes(signed.encode_rsv()).hex(), self.digest(order))

    # --- checking orders from elsewhere ----------------------------------------------------------

    def verify(self, data: dict[str, Any], where: str = "the order") -> SignedOrder:
        """An order as a file carries it, checked: its fields, its digest (an edit after signing changes it)
        and its signature (the maker's key, or the maker contract's ERC-1271 answer)."""
        try:
            order = Order.from_json(data["order"])
            signature = str(data["signature"])
            sig_bytes = bytes.fromhex(signature.removeprefix("0x"))
        except (KeyError, TypeError, ValueError) as bad:
            raise RwaError(f"{where} is not an order ({bad})") from None
        digest = self.digest(order)
        if data.get("hash") and str(data["hash"]).lower() != digest:
            raise RwaError(f"{where} was changed after signing: its fields no longer hash to {data['hash']}")
        if not self._valid_signature(order.maker, bytes.fromhex(digest[2:]), sig_bytes):
            raise RwaError(f"{where} is not signed by its maker {order.maker} (for this market on chain {self.chain_id})")
        if order.currency != self.stablecoin.address:
            raise RwaError(f"{where} is priced in {order.currency}, not this market's {self.stablecoin.address}")
        return SignedOrder(order, signature, digest)

    def _valid_signature(self, maker: str, digest: bytes, signature: bytes) -> bool:
        if not signature:  # signed on chain: done, or a contract's proposal that will do it
            return self.presigned(digest) or bool(self.target.chain.code(maker))
        if len(signature) == 65:
            try:
                if Account._recover_hash(digest, signature=signature) == maker:
                    return True
            except Exception:  # eth-keys refuses malformed or high-s signatures in several ways
                pass
        if not self.target.chain.code(maker):
            return False
        abi = [
            {
                "type": "function",
                "name": "isValidSignature",
                "stateMutability": "view",
                "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
                "outputs": [{"name": "", "type": "bytes4"}],
            }
        ]
        try:
            return bytes(self.target.chain.call(maker, abi, "isValidSignature", [digest, signature])) == ERC1271_MAGIC
        except Exception:  # a contract without ERC-1271, or one that refuses: not signed
            return False

    def presigned(self, digest: bytes) -> bool:
        return bool(self.read(self.market, "isPresigned", digest))

    # --- what can fill -------------------------------------------------------------------------

    def status(self, signed: SignedOrder, prop: Property) -> dict[str, Any]:
        """What of the order could fill now: the market's record, then the maker's means, and why not."""
        order = signed.order
        token = self.token(prop)
        remaining = int(self.read(self.market, "remainingOf", order.as_tuple()))
        now = self.target.chain.timestamp()
        reason = ""
        if remaining == 0:
            reason = "expired" if now > order.expiry else "filled or cancelled"
        elif signed.signature == "0x" and not self.presigned(bytes.fromhex(signed.hash[2:])):
            remaining, reason = 0, "its maker's proposal to sign it has not run"
        fillable = remaining
        if remaining and not self.read(self.registry, "isVerified", order.maker):
            fillable, reason = 0, "maker not verified"
        elif remaining and self.read(token, "isFrozen", order.maker):
            fillable, reason = 0, "maker frozen"
        elif remaining and order.side == Side.SELL:
            free = int(self.read(token, "balanceOf", order.maker)) - int(self.read(token, "getFrozenTokens", order.maker))
            allowed = int(self.read(token, "allowance", order.maker, self.market.address))
            fillable = max(0, min(remaining, free, allowed))
        elif remaining:
            unit = lot(order.price, prop.decimals)
            held = int(self.read(self.stablecoin, "balanceOf", order.maker))
            allowed = int(self.read(self.stablecoin, "allowance", order.maker, self.market.address))
            affordable = min(held, allowed) * 10**prop.decimals // order.price // unit * unit
            fillable = min(remaining, affordable)
        if remaining and not fillable and not reason:
            reason = "maker's balance or allowance"
        return {**signed.to_json(), "remaining": str(remaining), "fillable": str(fillable), "reason": reason}

    # --- transactions ----------------------------------------------------------------------------

    def fill(self, signed: SignedOrder, prop: Property, amount: int | None) -> dict[str, Any]:
        """The signer takes (part of) the order: buys from a sell order, sells into a buy order."""
        order = signed.order
        if amount is None:
            amount = int(self.status(signed, prop)["fillable"])
            if amount == 0:
                raise RwaError(f"order {signed.hash} has nothing left that can fill")
        self._check_amount(prop, order.price, amount)
        taker_side = Side.BUY if order.side == Side.SELL else Side.SELL
        taker_order = order.with_(maker=self.signer, side=taker_side, amount=amount, taker="0x" + "00" * 20)
        self.approve_if_needed(prop, taker_order)
        receipt = self._send("fill", order.as_tuple(), bytes.fromhex(signed.signature[2:]), amount)
        return self._trade(receipt, prop)

    def match(self, sell: SignedOrder, buy: SignedOrder, prop: Property, amount: int) -> dict[str, Any]:
        """Settles ``amount`` between a sell and a buy order, at the sell order's price (the signer takes nothing)."""
        self._check_amount(prop, sell.order.price, amount)
        receipt = self._send(
            "matchOrders",
            sell.order.as_tuple(),
            bytes.fromhex(sell.signature[2:]),
            buy.order.as_tuple(),
            bytes.fromhex(buy.signature[2:]),
            amount,
        )
        return self._trade(receipt, prop)

    def plan_matches(
        self, orders: list[tuple[SignedOrder, dict[str, Any]]], prop: Property
    ) -> list[tuple[SignedOrder, SignedOrder, int]]:
        """Price-time priority: the best ask against the best bid (lowest ask, highest bid, earliest
        first), while they cross; each pair trades what both can fill, in whole lots at the ask."""
        asks = [_Resting(s, int(st["fillable"])) for s, st in orders if s.order.side == Side.SELL and int(st["fillable"])]
        bids = [_Resting(s, int(st["fillable"])) for s, st in orders if s.order.side == Side.BUY and int(st["fillable"])]
        asks.sort(key=lambda r: r.signed.order.price)  # stable: the store's order (time) breaks ties
        bids.sort(key=lambda r: -r.signed.order.price)
        plan: list[tuple[SignedOrder, SignedOrder, int]] = []
        a = b = 0
        while a < len(asks) and b < len(bids) and asks[a].signed.order.price <= bids[b].signed.order.price:
            ask, bid = asks[a], bids[b]
            if ask.signed.order.maker == bid.signed.order.maker:
                b += 1  # no trade with oneself: the next bid
                continue
            unit = lot(ask.signed.order.price, prop.decimals)
            amount = min(ask.left, bid.left) // unit * unit
            if amount:
                plan.append((ask.signed, bid.signed, amount))
            ask.left -= amount
            bid.left -= amount
            if ask.left < unit or not amount:
                a += 1
            if bid.left < unit:
                b += 1
        return plan

    def cancel(self, signed: SignedOrder) -> dict[str, Any]:
        if signed.order.maker != self.signer:
            raise RwaError(f"only the maker {signed.order.maker} can cancel order {signed.hash}")
        receipt = self._send("cancel", signed.order.as_tuple())
        return {"cancelled": signed.hash, "transactionHash": receipt.hash}

    def cancel_nonce(self, nonce: int) -> dict[str, Any]:
        receipt = self._send("invalidateNonces", nonce >> 8, 1 << (nonce & 0xFF))
        return {"maker": self.signer, "nonce": str(nonce), "transactionHash": receipt.hash}

    def cancel_all(self) -> dict[str, Any]:
        receipt = self._send("advanceEpoch")
        return {
            "maker": self.signer,
            "epoch": int(self.read(self.market, "epochOf", self.signer)),
            "transactionHash": receipt.hash,
        }

    def _send(self, function: str, *args: Any) -> Receipt:
        return actions.send(self.target, actions.Action(self.market, function, args))

    def _check_amount(self, prop: Property, price: int, amount: int) -> None:
        if amount <= 0:
            raise RwaError("the amount must be positive")
        unit = lot(price, prop.decimals)
        if amount % unit:
            raise RwaError(f"trade a multiple of {format_units(unit, prop.decimals)} {prop.symbol} at this price")

    def _trade(self, receipt: Receipt, prop: Property) -> dict[str, Any]:
        [event] = self.target.chain.decode_events(receipt, self.market.abi, "TradeExecuted")
        a = event.args
        paid = quote(int(a["amount"]), int(a["price"]), prop.decimals)
        return {
            "orderHash": "0x" + bytes(a["orderHash"]).hex(),
            "property": prop.symbol,
            "seller": a["seller"],
            "buyer": a["buyer"],
            "amount": str(a["amount"]),
            "price": str(a["price"]),
            "quote": str(paid),
            "fee": str(a["fee"]),
            "sellerReceived": str(paid - int(a["fee"])),
            "transactionHash": receipt.hash,
            "gasUsed": receipt.gas_used,
        }

    def describe(self, order: Order, prop: Property) -> str:
        """One line a person can check before signing: side, amount, price, total, fee rate, expiry."""
        total = quote(order.amount, order.price, prop.decimals)
        fee_bps = int(self.read(self.market, "termsOf", prop.token)[0])
        fee = fee_of(total, fee_bps) if order.side == Side.SELL else 0
        verb = "sell" if order.side == Side.SELL else "buy"
        net = f" (fee {fee_bps / 100:.2f}%: {self.money(fee)} to the treasury)" if order.side == Side.SELL and fee_bps else ""
        return (
            f"{verb} {format_units(order.amount, prop.decimals)} {prop.symbol} at {self.money(order.price)} each = "
            f"{self.money(total)}{net}"
        )


def _recorded_name(target: Target, address: str, default: str) -> str:
    """The deployment record's name for ``address`` (what a proposal's calls are checked against), else ``default``."""
    contracts = contracts_of(load_record(target))
    return next((name for name, entry in contracts.items() if str(entry.get("address", "")).lower() == address.lower()), default)
