"""One property's token: its summary, its agents' writes (mint, burn, freeze, force transfers,
recovery, pause) and its holders' transfers, one by one or from CSV files in batches. Every write
goes through :class:`rwa.admin.writer.Writer`, so it is simulated first (a refusal names the
contract's custom error and sends nothing) or, with ``via``, becomes a multisig proposal. Cheap
pre-checks turn the commonest mistakes (an amount above what is free, a wallet of another investor)
into plainer words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin import actions
from rwa.admin.proposals import Proposal
from rwa.chain.client import Receipt
from rwa.core.errors import RwaError
from rwa.domain.compliance import TokenCompliance
from rwa.domain.property import PROPOSED, Row, chunks, parse_rows, refuse_rows


class Token(TokenCompliance):
    """One property's token (and its compliance and registry): reads, agent writes, holder transfers.

    With ``via``, writes become one proposal (see :meth:`propose`); pre-checks still apply.
    """

    def summary(self) -> dict[str, Any]:
        """Metadata, contracts, supply, state, modules, holders and dividends deposited."""
        distributor_abi = self.target.artifacts["DividendDistributor"].abi
        deposited = int(self.target.chain.call(self.prop.distributor, distributor_abi, "totalDeposited", []))
        return {
            **self.prop.as_json(),
            "totalSupply": self.prop.units(int(self.read("totalSupply"))),
            "paused": bool(self.read("paused")),
            "createdBlock": self.created_block(),
            "modules": self.modules(),
            "holders": len(self.holder_wallets()),
            "dividendsDeposited": self.coin.units(deposited),
            "stablecoin": self.coin.symbol,
        }

    # --- writes ---

    def send(self, function: str, *args: Any) -> Receipt | None:
        """Send (or, with ``via``, keep for the proposal) one call of the token."""
        return self.writer.send(actions.Action(self.contract, function, args))

    def _send(self, function: str, *args: Any) -> str:
        receipt = self.send(function, *args)
        return receipt.hash if receipt else PROPOSED

    def propose(self, title: str) -> Proposal | None:
        return self.writer.propose(title)

    def batch_cap(self) -> int:
        return int(self.read("MAX_BATCH"))

    def mint(self, wallet: str, amount: int) -> str:
        return self._send("mint", wallet, amount)

    def burn(self, wallet: str, amount: int) -> str:
        self._require_balance(wallet, amount, "burn")
        return self._send("burn", wallet, amount)

    def force_transfer(self, source: str, destination: str, amount: int) -> str:
        self._require_balance(source, amount, "force-transfer")
        return self._send("forcedTransfer", source, destination, amount)

    def transfer(self, destination: str, amount: int) -> str:
        """An ordinary transfer by the signer, every rule applying."""
        source = self.signer()
        balance, frozen = self.balance(source), self.frozen_tokens(source)
        free = max(balance - frozen, 0)
        if amount > free:
            raise RwaError(
                f"transfer of {self.prop.units(amount)} {self.prop.symbol} exceeds the free balance of {source}: "
                f"{self.prop.units(free)} ({self.prop.units(balance)} held, {self.prop.units(frozen)} frozen)"
            )
        return self._send("transfer", destination, amount)

    def freeze(self, wallet: str, amount: int | None) -> str:
        """Freeze the whole wallet (``amount`` None) or ``amount`` more of its tokens."""
        if amount is None:
            if self.read("isFrozen", wallet):
                raise RwaError(f"{wallet} is frozen already on {self.prop.symbol}")
            return self._send("setAddressFrozen", wallet, True)
        free = self.balance(wallet) - self.frozen_tokens(wallet)
        if amount > free:
            raise RwaError(self._freeze_excess(wallet, amount, free))
        return self._send("freezePartialTokens", wallet, amount)

    def unfreeze(self, wallet: str, amount: int | None) -> str:
        """Unfreeze the wallet (``amount`` None) or ``amount`` of its frozen tokens."""
        if amount is None:
            if not self.read("isFrozen", wallet):
                raise RwaError(f"{wallet} is not frozen on {self.prop.symbol} (partly frozen tokens: unfreeze --amount)")
            return self._send("setAddressFrozen", wallet, False)
        frozen = self.frozen_tokens(wallet)
        if amount > frozen:
            raise RwaError(
                f"cannot unfreeze {self.prop.units(amount)} {self.prop.symbol}: {wallet} has {self.prop.units(frozen)} frozen"
            )
        return self._send("unfreezePartialTokens", wallet, amount)

    def recover(self, lost: str, new: str) -> str:
        """Move everything of a lost wallet to a new wallet of the same investor."""
        if not self.balance(lost):
            raise RwaError(f"{lost} holds no {self.prop.symbol}: nothing to recover")
        lost_id = int(actions.read(self.target, self.registry, "investorIdOf", lost))
        new_id = int(actions.read(self.target, self.registry, "investorIdOf", new))
        if not lost_id or new_id != lost_id:
            whose = f"investor {new_id}" if new_id else "no investor"
            raise RwaError(
                f"{new} belongs to {whose}, not to investor {lost_id} of {lost}: register it under investor "
                f"{lost_id} first (rwa kyc set {new} --investor-id {lost_id} ...)"
            )
        # The standard's third argument is the investor's ONCHAINID: the identity the registry reports for it.
        identity = to_checksum_address(actions.read(self.target, self.registry, "identity", lost))
        return self._send("recoveryAddress", lost, new, identity)

    def pause(self) -> str:
        if self.read("paused"):
            raise RwaError(f"{self.prop.symbol} is paused already")
        return self._send("pause")

    def unpause(self) -> str:
        if not self.read("paused"):
            raise RwaError(f"{self.prop.symbol} is not paused")
        return self._send("unpause")

    # --- CSV batches ---

    def mint_rows(self, text: str, name: str) -> list[Row]:
        """A mint CSV validated whole: amounts, duplicates, and every recipient verified."""
        rows, errors = parse_rows(text, self.prop.decimals, self.prop.symbol, amount_required=True)
        errors += [
            f"line {r.line}: {r.wallet} is not verified (rwa kyc show {r.wallet})" for r in rows if not self.verified(r.wallet)
        ]
        refuse_rows(name, sorted(errors, key=_line_number))
        return rows

    def freeze_rows(self, text: str, name: str) -> list[Row]:
        """A freeze CSV validated whole: a partial freeze may not exceed what is still free."""
        rows, errors = parse_rows(text, self.prop.decimals, self.prop.symbol, amount_required=False)
        for row in rows:
            if row.amount is not None:
                free = self.balance(row.wallet) - self.frozen_tokens(row.wallet)
                if row.amount > free:
                    errors.append(f"line {row.line}: {self._freeze_excess(row.wallet, row.amount, free)}")
        refuse_rows(name, sorted(errors, key=_line_number))
        return rows

    def send_mints(self, rows: Sequence[Row], size: int, advance: Callable[[int], None]) -> list[str]:
        return self._send_batches("batchMint", rows, size, advance)

    def send_freezes(self, rows: Sequence[Row], size: int, advance: Callable[[int], None]) -> list[str]:
        """Whole-wallet freezes, then partial ones: each kind has its own batch function."""
        whole = [r for r in rows if r.amount is None]
        partial = [r for r in rows if r.amount is not None]
        return self._send_batches("batchSetAddressFrozen", whole, size, advance) + self._send_batches(
            "batchFreezePartialTokens", partial, size, advance, sent=len(whole)
        )

    def _send_batches(
        self, function: str, rows: Sequence[Row], size: int, advance: Callable[[int], None], sent: int = 0
    ) -> list[str]:
        """Rows in batches of at most the contract's cap, each simulated before it is sent."""
        size = min(size, self.batch_cap())
        hashes = []
        for batch in chunks(rows, size):
            values = [True if r.amount is None else r.amount for r in batch]
            try:
                hashes.append(self._send(function, [r.wallet for r in batch], values))
            except RwaError as exc:
                raise RwaError(f"{exc} (lines {batch[0].line}-{batch[-1].line}; {sent} earlier row(s) sent)") from None
            sent += len(batch)
            advance(len(batch))
        return hashes

    # --- helpers ---

    def _require_balance(self, wallet: str, amount: int, action: str) -> None:
        balance = self.balance(wallet)
        if amount > balance:
            raise RwaError(
                f"{action} of {self.prop.units(amount)} {self.prop.symbol} exceeds the balance of {wallet}: "
                f"{self.prop.units(balance)}"
            )

    def _freeze_excess(self, wallet: str, amount: int, free: int) -> str:
        return (
            f"cannot freeze {self.prop.units(amount)} {self.prop.symbol}: the free balance of {wallet} is "
            f"{self.prop.units(max(free, 0))}"
        )


def _line_number(error: str) -> int:
    match = re.match(r"line (\d+):", error)
    return int(match.group(1)) if match else 0
