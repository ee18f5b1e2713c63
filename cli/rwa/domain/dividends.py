"""Rent dividends of a property: deposits into its distributor, claims by its holders, and who may
claim what.

The accounting lives in the token (dividends per share beside each balance); the distributor holds
the stablecoin and records deposits. A deposit needs the distributor approved for the amount, so
:meth:`Dividends.deposit` approves exactly what is missing first.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rwa.admin import actions
from rwa.admin.writer import Writer
from rwa.core.errors import RwaError
from rwa.deploy.records import contracts_of
from rwa.deploy.target import Target
from rwa.domain.property import Property
from rwa.domain.token import Token

MOCK_STABLECOIN = "MockStablecoin"
DPS_SHIFT = 96  # PropertyToken keeps dividendsPerShare scaled by 2^96


class Dividends:
    """One property's dividends, read from its token and distributor."""

    def __init__(self, target: Target, prop: Property):
        self.target = target
        self.prop = prop
        self.token = Token(target, prop)
        self.coin = self.token.coin
        self.distributor = actions.Deployed(
            f"DividendDistributor({prop.symbol})", prop.distributor, target.artifacts["DividendDistributor"].abi
        )
        self.writer = Writer(target)

    def _coin_read(self, function: str, *args: Any) -> int:
        return int(actions.read(self.target, self.coin.contract, function, *args))

    def deposit(self, amount: int, mint: bool = False) -> dict[str, Any]:
        """Deposit ``amount`` (stablecoin base units) for the current holders, pro rata."""
        depositor = self.token.signer()
        supply = int(self.token.read("totalSupply"))
        if not supply:
            raise RwaError(f"{self.prop.symbol} has no supply yet: nobody to pay dividends to (mint first)")
        minimum = int(actions.read(self.target, self.distributor, "minSupply"))
        if supply < minimum:
            raise RwaError(
                f"{self.prop.symbol}'s supply is {self.prop.units(supply)}: deposits need at least one whole token "
                f"(the distributor's minSupply, which keeps dividends per token bounded)"
            )
        if mint:
            self._faucet(depositor, amount)
        balance = self._coin_read("balanceOf", depositor)
        if balance < amount:
            hint = " (on local, --mint adds it first)" if self.target.network.local else ""
            raise RwaError(
                f"{depositor} holds {self.coin.units(balance)} {self.coin.symbol}; the deposit needs "
                f"{self.coin.units(amount)}{hint}"
            )
        approval = None
        if self._coin_read("allowance", depositor, self.distributor.address) < amount:
            receipt = self.writer.send(actions.Action(self.coin.contract, "approve", (self.distributor.address, amount)))
            approval = receipt.hash if receipt else None
        receipt = self.writer.send(actions.Action(self.distributor, "deposit", (amount,)))
        # What arrived (a stablecoin that takes a fee on transfer credits less than was sent).
        events = self.target.chain.decode_events(receipt, self.distributor.abi, "Deposited") if receipt else []
        received = sum(int(e.args["amount"]) for e in events) if events else amount
        return {
            "property": self.prop.symbol,
            "depositor": depositor,
            "deposited": self.coin.units(received),
            "totalDeposited": self.coin.units(int(actions.read(self.target, self.distributor, "totalDeposited"))),
            "stablecoin": self.coin.symbol,
            "minted": mint,
            "approvalHash": approval,
            "transactionHash": receipt.hash if receipt else None,
        }

    def _faucet(self, wallet: str, amount: int) -> None:
        """Mint stablecoin to the depositor: only the local MockStablecoin lets anyone mint."""
        mock = contracts_of(self.target.store.load(self.target.network.name)).get(MOCK_STABLECOIN)
        if mock is None or mock["address"] != self.coin.contract.address:
            raise RwaError(
                f"--mint needs the local {MOCK_STABLECOIN}; {self.coin.symbol} on {self.target.network.name} is a real stablecoin"
            )
        self.writer.send(actions.Action(self.coin.contract, "mint", (wallet, amount)))

    def claim(self) -> dict[str, Any]:
        """Pay the signer every dividend it has not claimed yet."""
        holder = self.token.signer()
        receipt = self.token.send("claimDividends")
        assert receipt is not None  # claims are never proposals
        events = self.target.chain.decode_events(receipt, self.token.contract.abi, "DividendsClaimed")
        return {
            "property": self.prop.symbol,
            "wallet": holder,
            "claimed": self.coin.units(sum(int(e.args["amount"]) for e in events)),
            "stablecoin": self.coin.symbol,
            "balance": self.coin.units(self._coin_read("balanceOf", holder)),
            "transactionHash": receipt.hash,
        }

    def status(self, wallet: str | None = None) -> dict[str, Any]:
        """Deposits so far, dividends per token, and what each holder (or ``wallet``) claimed and may claim."""
        since = self.token.created_block()
        chain = self.target.chain
        deposits = chain.events(self.distributor.address, self.distributor.abi, "Deposited", since)
        claimed: Counter[str] = Counter()
        for event in chain.events(self.prop.token, self.token.contract.abi, "DividendsClaimed", since):
            claimed[event.args["holder"]] += int(event.args["amount"])
        dps = int(self.token.read("dividendsPerShare"))
        wallets = [wallet] if wallet else self.token.holder_wallets()
        return {
            "property": self.prop.symbol,
            "stablecoin": self.coin.symbol,
            "deposits": len(deposits),
            "deposited": self.coin.units(int(actions.read(self.target, self.distributor, "totalDeposited"))),
            "unclaimed": self.coin.units(self._coin_read("balanceOf", self.distributor.address)),
            # Rounded to the nearest unit: for reading, not for accounting.
            "perToken": self.coin.units((dps * 10**self.prop.decimals + (1 << (DPS_SHIFT - 1))) >> DPS_SHIFT),
            "holders": [
                {
                    "wallet": w,
                    "balance": self.prop.units(self.token.balance(w)),
                    "claimable": self.coin.units(int(self.token.read("claimableDividendsOf", w))),
                    "claimed": self.coin.units(claimed[w]),
                }
                for w in wallets
            ],
        }
