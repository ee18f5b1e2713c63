"""NIL deals on athletes' vaults: propose, accept, fund, deliver, confirm, release, and the ways out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from rwa.chain.client import Event, Receipt
from rwa.core.abi import EIP712_DOMAIN_TYPE, jsonable
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import format_duration
from rwa.deploy.records import contracts_of
from rwa.domain.nil import (
    ACCEPT_TYPES,
    DEAL_EVENTS,
    FACTORY,
    NEEDED_STATUS,
    Currency,
    Nil,
    Vault,
    erc20,
    iso_time,
    parse_confirmation_period,
    parse_uri,
    status_name,
)


@dataclass(frozen=True)
class Terms:
    currency: Currency
    amount: int
    deliverables_hash: bytes
    confirmation_period: int
    uri: str

    def as_tuple(self, brand: str) -> tuple[Any, ...]:
        return (brand, self.currency.address, self.amount, self.deliverables_hash, self.confirmation_period, self.uri)


class Deals(Nil):
    """The deals of athletes' vaults: propose, accept, fund, deliver, confirm or release, and the
    ways out (cancel, dispute, and the admin's refund or settle)."""

    def terms(self, amount: str, currency: str, deliverables: bytes, period: str, uri: str) -> Terms:
        """The terms a brand proposes; ``deliverables`` is their hash (:func:`deliverables_hash`)."""
        chosen = self.currency(currency)
        return Terms(
            chosen, parsed(chosen.parse, amount), deliverables, parsed(parse_confirmation_period, period), parsed(parse_uri, uri)
        )

    def deal(self, vault: Vault, deal_id: int) -> dict[str, Any]:
        """The stored deal, or a one-line refusal naming the deals the vault has."""
        count = int(self.read(vault.contract, "dealCount"))
        if not 1 <= deal_id <= count:
            have = f"deals 1..{count}" if count else "no deals yet"
            raise RwaError(f"no deal {deal_id} in the vault of '{vault.label}' (it has {have}; rwa deal list {vault.label})")
        brand, status, period, delivered_at, currency, amount, deliverables, uri = self.read(vault.contract, "deal", deal_id)
        return {
            "dealId": deal_id,
            "brand": to_checksum_address(brand),
            "status": status_name(int(status)),
            "confirmationPeriod": int(period),
            "deliveredAt": int(delivered_at) or None,
            "currency": to_checksum_address(currency),
            "amount": int(amount),
            "deliverablesHash": "0x" + bytes(deliverables).hex(),
            "uri": uri,
        }

    def ready(self, text: str, deal_id: int, function: str) -> tuple[Vault, dict[str, Any]]:
        """The vault and the deal, once the deal is in a state that ``function`` accepts."""
        vault = self.find(text)
        deal = self.deal(vault, deal_id)
        needed = NEEDED_STATUS[function]
        if deal["status"] not in needed:
            raise RwaError(f"deal {deal_id} of '{vault.label}' is {deal['status']}; {function} needs it {' or '.join(needed)}")
        return vault, deal

    def _done(self, vault: Vault, deal_id: int, receipt: Receipt) -> dict[str, Any]:
        return {
            "athlete": vault.label,
            "vault": vault.contract.address,
            "dealId": deal_id,
            "status": self.deal(vault, deal_id)["status"],
            "transactionHash": receipt.hash,
            "block": receipt.block,
            "gasUsed": receipt.gas_used,
        }

    def _by_party(self, text: str, deal_id: int, function: str) -> dict[str, Any]:
        vault, _ = self.ready(text, deal_id, function)
        return self._done(vault, deal_id, self.send_own(vault.contract, function, deal_id))

    # --- the lifecycle --------------------------------------------------------------------

    def propose(self, text: str, terms: Terms) -> dict[str, Any]:
        """The signer proposes the terms, as the brand."""
        vault = self.find(text)
        receipt = self.send_own(vault.contract, "propose", terms.as_tuple(self.signer))
        [proposed] = self.events(receipt, vault.contract, "DealProposed")
        return self._done(vault, int(proposed.args["dealId"]), receipt)

    def accept(self, text: str, deal_id: int) -> dict[str, Any]:
        """The athlete accepts."""
        return self._by_party(text, deal_id, "accept")

    def accept_signed(self, text: str, deal_id: int, deadline: int, signature: str) -> dict[str, Any]:
        """Anyone (the brand, say) relays the athlete's signed acceptance (:meth:`sign_accept`)."""
        vault, _ = self.ready(text, deal_id, "accept")
        receipt = self.send_own(vault.contract, "acceptWithSig", deal_id, deadline, _signature(signature))
        return self._done(vault, deal_id, receipt)

    def sign_accept(self, text: str, deal_id: int, deadline: int) -> dict[str, Any]:
        """The athlete's EIP-712 acceptance, signed for someone else to relay; nothing is sent."""
        vault, deal = self.ready(text, deal_id, "accept")
        if self.signer != vault.athlete:
            raise RwaError(f"only the athlete {vault.athlete} can sign the acceptance, not {self.signer}")
        nonce = int(self.read(vault.contract, "nonces", vault.athlete))
        message = {
            "dealId": deal_id,
            "brand": deal["brand"],
            "currency": deal["currency"],
            "amount": deal["amount"],
            "deliverablesHash": bytes.fromhex(deal["deliverablesHash"][2:]),
            "nonce": nonce,
            "deadline": deadline,
        }
        domain = {
            "name": "NILVault",
            "version": "1",
            "chainId": self.target.chain.chain_id,
            "verifyingContract": vault.contract.address,
        }
        typed = {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **ACCEPT_TYPES},
            "primaryType": "Accept",
            "domain": domain,
            "message": message,
        }
        signed = self.target.account.sign_message(encode_typed_data(full_message=typed))  # type: ignore[union-attr]
        if signed is None:
            raise RwaError(f"{self.signer} declined to sign")
        signature = "0x" + bytes(signed.encode_rsv()).hex()
        # The vault is the judge: a signature it would refuse is reported now, not to the relayer.
        self.target.chain.simulate(
            self.signer, vault.contract.address, vault.contract.abi, "acceptWithSig", [deal_id, deadline, _signature(signature)]
        )
        return {
            "athlete": vault.label,
            "vault": vault.contract.address,
            "dealId": deal_id,
            "signer": self.signer,
            "nonce": nonce,
            "deadline": deadline,
            "signature": signature,
        }

    def fund(self, text: str, deal_id: int) -> dict[str, Any]:
        """The brand pays the escrow (approving an ERC-20 first when needed); the deal NFT is minted."""
        vault, deal = self.ready(text, deal_id, "fund")
        currency = self.currency_at(deal["currency"])
        if not currency.is_eth:
            self._approve(vault, deal, currency)
        receipt = self.send_own(vault.contract, "fund", deal_id, value=deal["amount"] if currency.is_eth else 0)
        [funded] = self.events(receipt, vault.contract, "DealFunded")
        return {**self._done(vault, deal_id, receipt), "tokenId": str(funded.args["tokenId"])}

    def _approve(self, vault: Vault, deal: dict[str, Any], currency: Currency) -> None:
        """Refuses what the token transfer would refuse, then approves the vault if needed: an
        approval is only sent when funding can follow."""
        brand, amount = deal["brand"], deal["amount"]
        if self.signer != brand:
            raise RwaError(f"fund refused: NotBrand({self.signer})")
        held = self.balance(currency, brand)
        if held < amount:
            raise RwaError(f"brand {brand} holds {currency.show(held)}; the deal needs {currency.show(amount)}")
        token = erc20(currency.address)
        if int(self.read(token, "allowance", brand, vault.contract.address)) < amount:
            self.send_own(token, "approve", vault.contract.address, amount)

    def deliver(self, text: str, deal_id: int) -> dict[str, Any]:
        return self._by_party(text, deal_id, "markDelivered")

    def confirm(self, text: str, deal_id: int) -> dict[str, Any]:
        vault, deal = self.ready(text, deal_id, "confirm")
        return self._pay_out(vault, deal, "confirm")

    def release(self, text: str, deal_id: int) -> dict[str, Any]:
        vault, deal = self.ready(text, deal_id, "release")
        releasable_at = deal["deliveredAt"] + deal["confirmationPeriod"]
        now = self.now()
        if now < releasable_at:
            raise RwaError(
                f"deal {deal_id} of '{vault.label}' is releasable at {iso_time(releasable_at)} "
                f"(in {format_duration(releasable_at - now)}); until then only the brand can confirm it"
            )
        return self._pay_out(vault, deal, "release")

    def _pay_out(self, vault: Vault, deal: dict[str, Any], function: str) -> dict[str, Any]:
        if vault.splitter is None:
            raise RwaError(
                f"the vault of '{vault.label}' has no splitter to release to; the athlete sets one with "
                f"`rwa vault set-splitter {vault.label} SPLIT`"
            )
        receipt = self.send_own(vault.contract, function, deal["dealId"])
        currency = self.currency_at(deal["currency"])
        return {
            **self._done(vault, deal["dealId"], receipt),
            "splitter": vault.splitter,
            "amount": str(deal["amount"]),
            "amountDisplay": currency.show(deal["amount"]),
        }

    def cancel(self, text: str, deal_id: int) -> dict[str, Any]:
        return self._by_party(text, deal_id, "cancel")

    def dispute(self, text: str, deal_id: int) -> dict[str, Any]:
        return self._by_party(text, deal_id, "dispute")

    def admin(self, text: str, deal_id: int, function: str) -> dict[str, Any] | None:
        """``refund`` or ``settle`` a disputed deal: the factory's admin (the timelock) acts, so this
        is normally a proposal (None is returned then)."""
        vault, _ = self.ready(text, deal_id, function)
        receipt = self.send(vault.contract, function, deal_id)
        return None if receipt is None else self._done(vault, deal_id, receipt)

    # --- reading --------------------------------------------------------------------------

    def show(self, text: str, deal_id: int) -> dict[str, Any]:
        vault = self.find(text)
        deal = self.deal(vault, deal_id)
        currency = self.currency_at(deal["currency"])
        funded = deal["status"] not in ("Proposed", "Accepted", "Cancelled")
        delivered_at = deal["deliveredAt"]
        return {
            "athlete": vault.label,
            "vault": vault.contract.address,
            **deal,
            "amount": str(deal["amount"]),
            "amountDisplay": currency.show(deal["amount"]),
            "currency": currency.as_json(),
            "releasableAt": delivered_at + deal["confirmationPeriod"] if delivered_at else None,
            "tokenId": str(self.read(vault.contract, "tokenIdOf", deal_id)) if funded else None,
            "history": self.history(vault, deal_id),
        }

    def history(self, vault: Vault, deal_id: int) -> list[dict[str, Any]]:
        """Every event of the deal, oldest first, with its block, transaction and time."""
        # No vault is older than its factory: searching from there keeps within providers' log ranges.
        factory = contracts_of(self.record).get(FACTORY)
        start = int((factory and factory["blockNumber"]) or 0)
        found: list[Event] = []
        for name in DEAL_EVENTS:
            found += self.target.chain.events(vault.contract.address, vault.contract.abi, name, start, {"dealId": deal_id})
        found.sort(key=lambda e: (e.block, e.log_index))
        times: dict[int, int] = {}
        entries = []
        for event in found:
            when = times.setdefault(event.block, self.target.chain.timestamp(event.block))
            args = {k: jsonable(v) for k, v in event.args.items() if k != "dealId"}
            entries.append(
                {
                    "event": event.name,
                    "block": event.block,
                    "transaction": event.transaction,
                    "logIndex": event.log_index,
                    "timestamp": when,
                    "time": iso_time(when),
                    "args": args,
                }
            )
        return entries

    def list(self, text: str) -> dict[str, Any]:
        vault = self.find(text)
        currencies: dict[str, Currency] = {}
        rows = []
        for deal_id in range(1, int(self.read(vault.contract, "dealCount")) + 1):
            deal = self.deal(vault, deal_id)
            if deal["currency"] not in currencies:
                currencies[deal["currency"]] = self.currency_at(deal["currency"])
            currency = currencies[deal["currency"]]
            rows.append(
                {
                    **deal,
                    "amount": str(deal["amount"]),
                    "amountDisplay": currency.show(deal["amount"]),
                    "currency": currency.as_json(),
                }
            )
        return {"athlete": vault.label, "vault": vault.contract.address, "deals": rows}


def _signature(text: str) -> bytes:
    if not re.fullmatch(r"0x[0-9a-fA-F]{130}", text.strip()):
        raise RwaError("a signature is 65 bytes of 0x-hex (as `rwa deal sign-accept` prints it)")
    return bytes.fromhex(text.strip()[2:])
