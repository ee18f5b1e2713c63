"""Fans paying athletes: tips and merchandise orders into a vault, memberships of a plan (issue 26).

Every write is prepared first (:class:`Payment`): the vault, the token, the amount in its units and
symbol, and every refusal the contracts would make (a paused vault, a sanctioned payer, a payer over
the vault's AML threshold who is not verified, too little balance, an order already paid, a membership
cancelled or not due) found before anything is signed, so the command can show what will be sent and
ask once on a live network. Payments are read back from their ``FanPaid`` events in the shape of the
platform's ``transactions`` table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin import actions
from rwa.chain.client import Event, Read, Receipt
from rwa.core.errors import RwaError, parsed
from rwa.core.evm import MULTICALL3
from rwa.core.parse import format_duration, parse_duration
from rwa.deploy.manifest import Network
from rwa.deploy.records import contracts_of
from rwa.domain.nil import FACTORY, REGISTRY, Currency, Nil, Vault, erc20, iso_time

#: The fans' payments hub: tips, orders and memberships of every vault are paid through it.
PAYMENTS_HUB = "FanPayments"
MULTICALL = "Multicall3"
#: IFanPayments.Kind, in enum order, named as the platform's transaction types.
KINDS = ("tip", "merchandise", "subscription")
MAX_MEMO_BYTES = 280
MAX_PERIODS = 120
MIN_PERIOD, MAX_PERIOD = 86400, 366 * 86400
#: The columns of the platform's ``transactions`` table, in its order.
TRANSACTION_COLUMNS = (
    "type",
    "from",
    "to",
    "amount",
    "currency",
    "transactionHash",
    "block",
    "gasUsed",
    "gasPrice",
    "status",
)
#: Blocks after which a payment counts as confirmed, where the network sets no ``payment_confirmations``.
LOCAL_CONFIRMATIONS, LIVE_CONFIRMATIONS = 0, 12


def payment_confirmations(network: Network) -> int:
    """Blocks after which a payment on ``network`` (a manifest network) counts as confirmed."""
    value = network.params.get("payment_confirmations")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return LOCAL_CONFIRMATIONS if network.local else LIVE_CONFIRMATIONS


# ---------------------------------------------------------------------------------------------
# Parsing (pure)
# ---------------------------------------------------------------------------------------------


def parse_memo(text: str) -> str:
    size = len(text.encode())
    if size > MAX_MEMO_BYTES:
        raise ValueError(f"the memo is {size} bytes; a vault takes at most {MAX_MEMO_BYTES}")
    return text


def parse_whole(what: str, text: str, low: int = 0) -> int:
    if not re.fullmatch(r"\d+", text.strip()) or int(text) < low:
        raise ValueError(f"{what} is a whole number from {low}, not {text!r}")
    return int(text)


def parse_periods(text: str) -> int:
    periods = parse_whole("the number of periods", text, 1)
    if periods > MAX_PERIODS:
        raise ValueError(f"at most {MAX_PERIODS} periods are paid at once, not {periods}")
    return periods


def parse_period(text: str) -> int:
    seconds = parse_duration(text)
    if not MIN_PERIOD <= seconds <= MAX_PERIOD:
        raise ValueError(f"a plan's period is 1d..366d, not {text}")
    return seconds


def parse_since(text: str) -> int:
    """A date (``2027-06-30``, midnight UTC, or an ISO time) or a unix time."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date (2027-06-30), an ISO time or a unix time") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def parse_kind(text: str) -> int:
    name = text.strip().lower()
    if name not in KINDS:
        raise ValueError(f"kind {text!r} is not one of {', '.join(KINDS)}")
    return KINDS.index(name)


# ---------------------------------------------------------------------------------------------
# The chain side
# ---------------------------------------------------------------------------------------------


@dataclass
class Payment:
    """A write prepared and checked, not sent: what the user is shown and asked about."""

    summary: str
    contract: actions.Deployed
    function: str
    args: tuple[Any, ...]
    value: int = 0
    approve: tuple[actions.Deployed, str, int] | None = None  # (token, spender, amount) to approve first
    done: Callable[[Receipt], dict[str, Any]] = field(default=lambda receipt: {})


class FanPay(Nil):
    """Tips, orders and memberships of athletes' vaults."""

    @cached_property
    def hub(self) -> actions.Deployed:
        return actions.deployed(self.target, PAYMENTS_HUB)

    @cached_property
    def registry(self) -> actions.Deployed:
        return actions.deployed(self.target, REGISTRY)

    def token(self, text: str | None) -> Currency:
        return self.currency(text or "stablecoin")

    def send_payment(self, payment: Payment) -> dict[str, Any]:
        """Approve (when needed), then send: each simulated first."""
        if payment.approve is not None:
            token, spender, amount = payment.approve
            self.send_own(token, "approve", spender, amount)
        receipt = self.send_own(payment.contract, payment.function, *payment.args, value=payment.value)
        return {**payment.done(receipt), "transactionHash": receipt.hash, "block": receipt.block, "gasUsed": receipt.gas_used}

    # --- checks made before anything is sent ----------------------------------------------

    def _screen(self, vault: Vault, payer: str, currency: Currency, amount: int) -> None:
        if amount <= 0:
            raise RwaError("the amount must be more than zero")
        _, paused, threshold = self.read(self.hub, "paymentTerms", vault.contract.address, currency.address)
        if paused:
            raise RwaError(f"the vault of '{vault.label}' is paused: it refuses payments")
        if self.read(self.registry, "isSanctioned", payer):
            raise RwaError(f"payer {payer} is sanctioned in the registry; the vault refuses its payments")
        if threshold and amount > int(threshold) and not self.read(self.registry, "isVerified", payer):
            raise RwaError(
                f"{currency.show(amount)} is above the vault's AML threshold of {currency.show(int(threshold))}: "
                f"payer {payer} must be verified in the registry (rwa kyc show {payer})"
            )

    def _funds(self, payer: str, currency: Currency, amount: int, spender: str) -> tuple[actions.Deployed, str, int] | None:
        """Refuses a payer short of ``amount``; the approval to send first when the allowance is short."""
        held = self.balance(currency, payer)
        if held < amount:
            raise RwaError(f"{payer} holds {currency.show(held)}; the payment needs {currency.show(amount)}")
        if currency.is_eth:
            return None
        token = erc20(currency.address)
        if int(self.read(token, "allowance", payer, spender)) >= amount:
            return None
        return (token, spender, amount)

    @staticmethod
    def _approving(currency: Currency, approve: tuple[actions.Deployed, str, int] | None) -> str:
        """The approval sent before a payment, as the user is shown it: what they sign is what they saw."""
        if approve is None:
            return ""
        _, spender, amount = approve
        return f"; first sets the payments hub's ({spender}) allowance to {currency.show(amount)}"

    def _one_off_funds(self, payer: str, currency: Currency, amount: int) -> tuple[actions.Deployed, str, int] | None:
        """:meth:`_funds` for a tip or an order. The hub's allowance is also what keepers renew a fan's
        memberships from: a member's payment raises it by its amount, so the renewals keep theirs."""
        approve = self._funds(payer, currency, amount, self.hub.address)
        if currency.is_eth or (approve is None and not int(self.read(self.hub, "balanceOf", payer))):
            return approve
        token = erc20(currency.address)
        return (token, self.hub.address, int(self.read(token, "allowance", payer, self.hub.address)) + amount)

    # --- tips and orders ------------------------------------------------------------------

    def tip(self, text: str, amount_text: str, token_text: str | None, memo: str) -> Payment:
        vault = self.find(text)
        currency = self.token(token_text)
        amount = parsed(currency.parse, amount_text)
        payer = self.signer
        self._screen(vault, payer, currency, amount)
        approve = self._one_off_funds(payer, currency, amount)
        return Payment(
            f"tip {currency.show(amount)} to '{vault.label}' ({vault.contract.address}) from {payer}"
            + (f", memo {memo!r}" if memo else "")
            + self._approving(currency, approve),
            self.hub,
            "tip",
            (vault.contract.address, currency.address, amount, memo),
            amount if currency.is_eth else 0,
            approve,
            lambda receipt: self._paid(vault, receipt),
        )

    def pay_order(self, text: str, order_id: int, amount_text: str, token_text: str | None) -> Payment:
        vault = self.find(text)
        currency = self.token(token_text)
        amount = parsed(currency.parse, amount_text)
        paid, _ = self.read(self.hub, "orderStatus", vault.contract.address, order_id)
        if paid:
            raise RwaError(f"order {order_id} of '{vault.label}' is paid already")
        payer = self.signer
        self._screen(vault, payer, currency, amount)
        approve = self._one_off_funds(payer, currency, amount)
        return Payment(
            f"pay order {order_id}: {currency.show(amount)} to '{vault.label}' ({vault.contract.address}) from {payer}"
            + self._approving(currency, approve),
            self.hub,
            "payOrder",
            (vault.contract.address, order_id, currency.address, amount),
            amount if currency.is_eth else 0,
            approve,
            lambda receipt: self._paid(vault, receipt),
        )

    def refund_order(self, text: str, order_id: int) -> Payment:
        """The athlete (or, with --via, the admin) refunds an order in full from the free balance."""
        vault = self.find(text)
        paid, refunded = self.read(self.hub, "orderStatus", vault.contract.address, order_id)
        if not paid:
            raise RwaError(f"order {order_id} of '{vault.label}' was never paid")
        if refunded:
            raise RwaError(f"order {order_id} of '{vault.label}' is refunded already")
        found = self._order_payment(vault, order_id)
        payer, currency, amount = found.args["payer"], self.currency_at(found.args["token"]), int(found.args["amount"])
        free = int(self.read(vault.contract, "freeBalance", currency.address))
        if free < amount:
            raise RwaError(
                f"the vault of '{vault.label}' has {currency.show(free)} free; order {order_id} needs "
                f"{currency.show(amount)} back (top the vault up first: the payment went to {found.args['to']})"
            )
        return Payment(
            f"refund order {order_id}: {currency.show(amount)} from '{vault.label}' back to {payer}",
            self.hub,
            "refundOrder",
            (vault.contract.address, order_id, payer, currency.address, amount),
            done=lambda receipt: {
                "athlete": vault.label,
                "vault": vault.contract.address,
                "orderId": order_id,
                "payer": payer,
                "amount": str(amount),
                "amountDisplay": currency.show(amount),
            },
        )

    def _order_payment(self, vault: Vault, order_id: int) -> Event:
        hub = self.hub
        events = self.target.chain.events(
            hub.address, hub.abi, "FanPaid", self._start_block(), {"vault": vault.contract.address, "kind": 1}
        )
        for event in events:
            if int(event.args["ref"]) == order_id:
                return event
        raise RwaError(f"no payment of order {order_id} found in the vault's events")

    def _paid(self, vault: Vault, receipt: Receipt) -> dict[str, Any]:
        [paid] = self.events(receipt, self.hub, "FanPaid")
        currency = self.currency_at(paid.args["token"])
        amount = int(paid.args["amount"])
        return {
            "athlete": vault.label,
            "vault": vault.contract.address,
            "kind": KINDS[int(paid.args["kind"])],
            "payer": paid.args["payer"],
            "to": paid.args["to"],
            "amount": str(amount),
            "amountDisplay": currency.show(amount),
            "ref": str(paid.args["ref"]),
        }

    # --- plans and memberships ------------------------------------------------------------

    def create_plan(self, text: str, price_text: str, period: int, token_text: str | None) -> Payment:
        vault = self.find(text)
        currency = self.token(token_text)
        if currency.is_eth:
            raise RwaError("a plan is paid in a stablecoin (--token stablecoin or an ERC-20), not ETH")
        price = parsed(currency.parse, price_text)
        if price <= 0:
            raise RwaError("a plan's price must be more than zero")
        if self.signer != vault.athlete:
            raise RwaError(f"only the athlete {vault.athlete} creates plans of '{vault.label}', not {self.signer}")

        def done(receipt: Receipt) -> dict[str, Any]:
            [made] = self.events(receipt, self.hub, "PlanCreated")
            return self.plan(int(made.args["planId"]))

        return Payment(
            f"plan of '{vault.label}': {currency.show(price)} every {format_duration(period)}",
            self.hub,
            "createPlan",
            (vault.contract.address, currency.address, price, period),
            done=done,
        )

    def plan(self, plan_id: int) -> dict[str, Any]:
        count = int(self.read(self.hub, "planCount"))
        if not 1 <= plan_id <= count:
            raise RwaError(f"no plan {plan_id} (there are {count}; rwa vault plan list ATHLETE)")
        vault, period, _, closed, token, price = self.read(self.hub, "plan", plan_id)  # _: its price version
        currency = self.currency_at(token)
        return {
            "planId": plan_id,
            "vault": to_checksum_address(vault),
            "token": currency.as_json(),
            "price": str(price),
            "priceDisplay": currency.show(int(price)),
            "period": int(period),
            "periodDisplay": format_duration(int(period)),
            "closed": bool(closed),
        }

    def plans(self, text: str) -> dict[str, Any]:
        vault = self.find(text)
        ids = [int(i) for i in self.read(self.hub, "plansOf", vault.contract.address)]
        return {"athlete": vault.label, "vault": vault.contract.address, "plans": [self.plan(i) for i in ids]}

    def subscribe(self, plan_id: int, periods: int, auto_renew: bool, renewals: int) -> Payment:
        plan = self.plan(plan_id)
        if plan["closed"]:
            raise RwaError(f"plan {plan_id} is closed to new members")
        vault = self.find(plan["vault"])
        currency = self.currency_at(plan["token"]["address"])
        amount = int(plan["price"]) * periods
        payer = self.signer
        self._screen(vault, payer, currency, amount)
        # Pre-authorised renewals: the allowance covers the periods paid now and the renewals allowed.
        approve = self._funds(payer, currency, amount, self.hub.address)
        allowance = amount + int(plan["price"]) * renewals
        if approve is not None or renewals:
            approve = (erc20(currency.address), self.hub.address, allowance)

        def done(receipt: Receipt) -> dict[str, Any]:
            paid = self._paid(vault, receipt)
            return {**paid, **self.membership(int(paid["ref"]))}

        renewing = f", renewed by keepers (allowance for {renewals} more)" if auto_renew else ""
        return Payment(
            f"subscribe to plan {plan_id} of '{vault.label}': {periods} period(s) of {plan['periodDisplay']}, "
            f"{currency.show(amount)} from {payer}{renewing}{self._approving(currency, approve)}",
            self.hub,
            "subscribe",
            (plan_id, periods, auto_renew),
            approve=approve,
            done=done,
        )

    def membership(self, token_id: int) -> dict[str, Any]:
        count = int(self.read(self.hub, "membershipCount"))
        if not 1 <= token_id <= count:
            raise RwaError(f"no membership {token_id} (there are {count})")
        plan_id, expires, price, auto_renew, cancelled = self.read(self.hub, "membership", token_id)
        return {
            "tokenId": token_id,
            "planId": int(plan_id),
            "owner": to_checksum_address(self.read(self.hub, "ownerOf", token_id)),
            "expiresAt": int(expires),
            "expires": iso_time(int(expires)),
            "price": str(price),
            "autoRenew": bool(auto_renew),
            "cancelled": bool(cancelled),
        }

    def renew(self, token_id: int, periods: int) -> Payment:
        """The member pays ``periods`` more periods ahead."""
        member = self.membership(token_id)
        if member["cancelled"]:
            raise RwaError(f"membership {token_id} is cancelled: it cannot be renewed")
        if member["owner"] != self.signer:
            raise RwaError(f"membership {token_id} is {member['owner']}'s; {self.signer} cannot renew it")
        plan = self.plan(member["planId"])
        vault = self.find(plan["vault"])
        currency = self.currency_at(plan["token"]["address"])
        amount = int(self.read(self.hub, "renewalPrice", token_id)) * periods
        self._screen(vault, self.signer, currency, amount)
        approve = self._funds(self.signer, currency, amount, self.hub.address)
        return Payment(
            f"renew membership {token_id} by {periods} period(s) of {plan['periodDisplay']}: {currency.show(amount)}"
            + self._approving(currency, approve),
            self.hub,
            "renewSubscription",
            (token_id, periods * plan["period"]),
            approve=approve,
            done=lambda receipt: {**self._paid(vault, receipt), **self.membership(token_id)},
        )

    def cancel(self, token_id: int) -> Payment:
        member = self.membership(token_id)
        if member["cancelled"]:
            raise RwaError(f"membership {token_id} is cancelled already")
        if member["owner"] != self.signer:
            raise RwaError(f"membership {token_id} is {member['owner']}'s; {self.signer} cannot cancel it")
        return Payment(
            f"cancel membership {token_id}: no more renewals; it stays valid until {member['expires']}, nothing is refunded",
            self.hub,
            "cancelSubscription",
            (token_id,),
            done=lambda receipt: self.membership(token_id),
        )

    # --- the keeper -----------------------------------------------------------------------

    def due(self) -> list[int]:
        """Memberships a keeper may renew now, and whose renewal would go through (simulated)."""
        count = int(self.read(self.hub, "membershipCount"))
        abi = self.hub.abi
        address = self.hub.address
        due = self.target.chain.call_many([Read(address, abi, "isDue", (i,)) for i in range(1, count + 1)])
        candidates = [i for i, result in zip(range(1, count + 1), due) if result.ok and result.value]
        trial = self.target.chain.call_many([Read(address, abi, "renew", (i,)) for i in candidates])
        return [i for i, result in zip(candidates, trial) if result.ok]

    def renew_due(self, batch: int) -> dict[str, Any]:
        """Renews every due membership, ``batch`` at a time through Multicall3 (each call may fail
        alone: a fan who spent their allowance meanwhile does not stop the others). A second run
        finds nothing due."""
        due = self.due()
        if not due:
            return {"renewed": [], "transactions": []}
        multicall = actions.Deployed(MULTICALL, MULTICALL3, self.target.artifacts[MULTICALL].abi)
        renewed: list[int] = []
        sent = []
        for start in range(0, len(due), batch):
            chunk = due[start : start + batch]
            calls = [(self.hub.address, True, self.target.chain.encode_call(self.hub.abi, "renew", [i])) for i in chunk]
            receipt = self.send_own(multicall, "aggregate3", calls, gas=self._batch_gas(multicall, calls))
            done = {int(e.args["tokenId"]) for e in self.events(receipt, self.hub, "SubscriptionUpdate")}
            renewed += [i for i in chunk if i in done]
            sent.append(
                {"transactionHash": receipt.hash, "block": receipt.block, "gasUsed": receipt.gas_used, "memberships": len(chunk)}
            )
        return {"renewed": renewed, "transactions": sent}

    def _batch_gas(self, multicall: actions.Deployed, calls: list[tuple[str, bool, bytes]]) -> int | None:
        """The gas of a batch whose calls may each fail: estimated as if none may. Estimated as sent, the
        node finds the least gas at which the batch succeeds, and a call allowed to fail succeeds at
        any gas: each renewal would run out of gas inside a batch that does not (None: the node's estimate)."""
        strict = [(address, False, data) for address, _, data in calls]
        data = self.target.chain.encode_call(multicall.abi, "aggregate3", [strict])
        gas, _ = self.target.chain.estimate_gas(self.signer, multicall.address, data)
        return None if gas is None else gas + gas // 5

    # --- the books ------------------------------------------------------------------------

    def _start_block(self) -> int:
        factory = contracts_of(self.record).get(FACTORY)
        return int((factory and factory["blockNumber"]) or 0)

    def confirmations(self) -> int:
        return payment_confirmations(self.target.network)

    def payments(
        self, text: str, kind: int | None, since: int | None, after: int | None = None, before: int | None = None
    ) -> dict[str, Any]:
        """The vault's payments (only those after block ``after`` and before block ``before`` when
        given), oldest first, as rows of the platform's ``transactions`` table."""
        vault = self.find(text)
        start = self._start_block() if after is None else max(self._start_block(), after + 1)
        filters: dict[str, Any] = {} if kind is None else {"kind": kind}
        head = self.target.chain.block_number
        found: list[Event] = []
        if start <= head:
            found += self.target.chain.events(
                self.hub.address, self.hub.abi, "FanPaid", start, {**filters, "vault": vault.contract.address}
            )
        found = sorted((e for e in found if before is None or e.block < before), key=lambda e: (e.block, e.log_index))
        needed = self.confirmations()
        rows = []
        currencies: dict[str, Currency] = {}
        times: dict[int, int] = {}
        for event in found:
            when = times.setdefault(event.block, self.target.chain.timestamp(event.block))
            if since is not None and when < since:
                continue
            token = event.args["token"]
            currency = currencies.setdefault(token, self.currency_at(token))
            receipt = self.target.chain.receipt(event.transaction)
            rows.append(
                {
                    "type": KINDS[int(event.args["kind"])],
                    "from": event.args["payer"],
                    "to": event.args["to"],
                    "amount": str(event.args["amount"]),
                    "currency": currency.symbol,
                    "transactionHash": event.transaction,
                    "block": event.block,
                    "gasUsed": receipt.gas_used if receipt else None,
                    "gasPrice": receipt.effective_gas_price if receipt else None,
                    "status": "confirmed" if head - event.block >= needed else "pending",
                    "amountDisplay": currency.show(int(event.args["amount"])),
                    "ref": str(event.args["ref"]),
                    "memo": event.args["memo"],
                    "time": iso_time(when),
                }
            )
        return {"athlete": vault.label, "vault": vault.contract.address, "confirmations": needed, "head": head, "payments": rows}
