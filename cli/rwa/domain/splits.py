"""Revenue splits through the SplitterFactory: create, show, distribute, claim."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from rwa.chain.client import Receipt
from rwa.core.errors import RwaError
from rwa.deploy import created as made
from rwa.deploy.records import CreatedSplit
from rwa.domain.nil import SPLITTER_FACTORY, SPLITTER_TYPE, TOTAL_BPS, Nil, parse_payees, payees_json


class Splits(Nil):
    """Revenue splits, through the SplitterFactory (immutable; identical splits share one address)."""

    def payees(self, specs: list[str]) -> list[tuple[str, int]]:
        try:
            return parse_payees(specs, self.wallet)
        except ValueError as exc:
            raise RwaError(str(exc)) from None

    def predict(self, payees: list[tuple[str, int]]) -> str:
        wallets, shares = zip(*payees)
        return to_checksum_address(self.read(self.split_factory, "predict", list(wallets), list(shares)))

    def create(self, specs: list[str]) -> dict[str, Any]:
        """Create the split unless an identical one exists (then nothing is sent)."""
        payees = self.payees(specs)
        address = self.predict(payees)
        result: dict[str, Any] = {"split": address, "payees": payees_json(payees), "created": False, "transactionHash": None}
        if self.target.chain.code(address):
            return result
        wallets, shares = zip(*payees)
        receipt = self.send_own(self.split_factory, "createSplit", list(wallets), list(shares))
        self._record(address, payees, receipt)
        return {**result, "created": True, "transactionHash": receipt.hash, "gasUsed": receipt.gas_used}

    def _record(self, address: str, payees: list[tuple[str, int]], receipt: Receipt) -> None:
        """The split in the deployments file, under its address (identical splits share it): an EIP-1167
        clone of the factory's RevenueSplitter, its payees appended to its code."""
        factory = self.split_factory
        implementation = to_checksum_address(self.read(factory, "implementation"))
        assert self.target.account is not None, "a sent transaction has a signer"
        made.record(
            self.target,
            "splits",
            address,
            CreatedSplit(
                {
                    "payees": payees_json(payees),
                    "implementation": implementation,
                    "createdBy": made.created_by(
                        SPLITTER_FACTORY, factory.address, "createSplit", receipt.hash, receipt.block, self.target.account.address
                    ),
                    "contracts": {
                        "split": made.part(self.target, SPLITTER_TYPE, address, made.clone(implementation, SPLITTER_TYPE))
                    },
                }
            ),
        )

    def show(self, args: list[str], token: str | None) -> dict[str, Any]:
        """A split by address, or by its payees (``WALLET:BPS`` ...) whether it exists yet or not."""
        if len(args) == 1 and ":" not in args[0]:
            contract = self.split(args[0])
            wallets: list[str] = [to_checksum_address(p) for p in self.read(contract, "payees")]
            payees = list(zip(wallets, map(int, self.read(contract, "shares"))))
        else:
            payees = self.payees(args)
            address = self.predict(payees)
            if not self.target.chain.code(address):
                return {"split": address, "exists": False, "payees": payees_json(payees), "tokens": []}
            contract = self.split(address)
        tokens = []
        for currency in self.shown_currencies(token):
            tokens.append(
                {
                    **currency.as_json(),
                    "balance": str(self.balance(currency, contract.address)),
                    "unallocated": str(self.read(contract, "unallocated", currency.address)),
                    "claimable": {p: str(self.read(contract, "claimable", currency.address, p)) for p, _ in payees},
                }
            )
        return {"split": contract.address, "exists": True, "payees": payees_json(payees), "tokens": tokens}

    def distribute(self, text: str, token: str, credit: bool = False) -> dict[str, Any]:
        """Push the unallocated balance to every payee (a payee that refuses it is credited instead),
        or with ``credit`` only credit every payee, who then claims (one storage write a payee)."""
        contract = self.split(text)
        currency = self.currency(token)
        available = int(self.read(contract, "unallocated", currency.address))
        receipt = self.send_own(contract, "allocate" if credit else "distribute", currency.address)
        credited = {e.args["payee"] for e in self.events(receipt, contract, "PushFailed")}
        shares = [
            {
                "payee": to_checksum_address(payee),
                "bps": int(bps),
                "amount": str(available * int(bps) // TOTAL_BPS),
                "pushed": not credit and to_checksum_address(payee) not in credited,
            }
            for payee, bps in zip(self.read(contract, "payees"), self.read(contract, "shares"))
        ]
        [event] = self.events(receipt, contract, "Allocated" if credit else "Distributed")
        return {
            "split": contract.address,
            "currency": currency.as_json(),
            "amount": str(event.args["amount"]),
            "credited": credit,
            "shares": shares,
            "transactionHash": receipt.hash,
            "gasUsed": receipt.gas_used,
        }

    def claim(self, text: str, payee: str, token: str) -> dict[str, Any]:
        """Send ``payee`` what it is owed (anyone may call; the money goes to the payee)."""
        contract = self.split(text)
        currency = self.currency(token)
        wallet = self.wallet(payee)
        if not int(self.read(contract, "shareOf", wallet)) and not int(self.read(contract, "owed", currency.address, wallet)):
            raise RwaError(f"{wallet} is not a payee of split {contract.address}")
        receipt = self.send_own(contract, "claim", currency.address, wallet)
        [claimed] = self.events(receipt, contract, "Claimed")
        return {
            "split": contract.address,
            "payee": wallet,
            "currency": currency.as_json(),
            "amount": str(claimed.args["amount"]),
            "transactionHash": receipt.hash,
        }
