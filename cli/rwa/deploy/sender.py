"""The life of a transaction the deploy sends, from its nonce to its receipt: signed, journaled before
it leaves, broadcast, waited for (re-broadcast when a node drops it, outbid at the same nonce when it
is stuck), and after an interruption settled: found mined, adopted when another transaction did
exactly what it would, or given up when its nonce was taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as replaced

from eth_utils import to_checksum_address

from rwa.chain.client import ACCEPTED, NONCE_USED, REFUSED, Receipt, SentTransaction, decode_raw
from rwa.core.errors import RwaError
from rwa.core.evm import create_address
from rwa.deploy.fees import FeePolicy, Fees, gwei
from rwa.deploy.journal import Begin, Intent, Journal, Mined
from rwa.deploy.target import Target

Reporter = Callable[[str, str, str], None]  # (action, name, detail)


@dataclass(frozen=True)
class Spent:
    """What one transaction this deploy sent cost: its journal key, the gas it used, the price paid."""

    key: str
    gas_used: int
    gas_price: int


#: How long one look at a pending transaction waits before checking its fees and the pool again.
POLL_SECONDS = 2.0


class Sender:
    """Sends the transactions of one deploy through the journal."""

    def __init__(
        self,
        target: Target,
        journal: Journal,
        report: Reporter,
        policy: FeePolicy | None = None,
        timeout: float = 600.0,
        confirmations: int = 0,
    ):
        self.target = target
        self.chain = target.chain
        self.journal = journal
        self.report = report
        if target.account is None:
            raise RwaError("sending needs an account (--account)")
        self.account = target.account
        self.sender = to_checksum_address(target.account.address)
        self.policy = policy or FeePolicy()
        self.timeout = timeout
        #: Creations the deployer mined that the journal does not name (a truncated journal, a lost
        #: record): a step whose exact transaction is among them adopts it instead of sending again.
        self.recovered: list[SentTransaction] = []
        self.confirmations = confirmations
        #: Every transaction this run sent and saw mined, with its gas: printed beside the estimate.
        self.spent: list[Spent] = []

    # --- what a previous run left in flight -----------------------------------------------

    def settle(self) -> None:
        """Finish whatever a previous, interrupted run left in flight. A transaction whose nonce
        is still free is waited for (re-broadcast if the node dropped it, outbid if it is stuck),
        never replaced by a new step; only once another transaction has taken its nonce is it
        given up, after looking at what that other transaction did."""
        for flight in self.journal.open_flights():
            first = flight[0]
            receipt = self._mined(flight)
            if receipt is None and self.chain.mined_nonce(first.sender) <= first.nonce:
                latest = flight[-1]
                if self.chain.transaction(latest.hash) is None:  # never left, or the node dropped it
                    status, _ = self.chain.offer(latest.raw)
                    if status == ACCEPTED:
                        self.report("resume", _entry(first.key), f"re-broadcast {latest.hash[:12]}…")
                self.report("resume", _entry(first.key), f"waiting for {latest.hash[:12]}… (nonce {first.nonce})")
                receipt = self.await_flight(flight)
            if receipt is None:
                self.taken(flight)
                continue
            self._close(first, receipt)
            self.report("resume", _entry(first.key), f"found mined in block {receipt.block}")

    def reconcile(self) -> None:
        """Before anything is sent or replaced, the journal's open transactions must be within
        reach of the account's nonce on the chain: one with a nonce below it that the chain has
        neither mined nor holds waits behind a gap the chain will never fill (the node restarted
        from an older state, or this is not the chain the deploy began on), and waiting for it, or
        outbidding it, never ends. On a local chain what it lost is recreated: such transactions are taken out of the
        node's pool (so none can be mined later, at a nonce the deploy reuses) and given up, and
        the steps are checked again. On a live network the deploy stops, saying what the chain
        shows and what to do."""
        flights = [f for f in self.journal.open_flights() if f[0].sender.lower() == self.sender.lower()]
        if not flights:
            return
        missing = self.chain.gap_before(self.sender, flights[-1][0].nonce)
        beyond = [f for f in flights if missing is not None and f[0].nonce > missing]
        if not beyond:
            return
        first = beyond[0][0]
        mined, head = self.chain.mined_nonce(self.sender), self.chain.block_number
        shows = f"{self.sender} has {mined} transaction(s) mined (head block {head}) and none known at nonce {missing}"
        if not self.target.network.local:
            path = self.journal.path
            raise RwaError(
                f"{_entry(first.key)}: the journal's transaction {first.hash[:12]}… has nonce {first.nonce} but on "
                f"{self.target.network.name} {shows}: it can never be mined; nothing was sent. Check that --rpc-url "
                f"is the chain this deploy began on; if that chain really lost these transactions, `mv {path} "
                f"{path}.lost` and rerun `rwa deploy --adopt`"
            )
        for flight in beyond:
            for intent in flight:
                self.chain.forget_pending(self.sender, intent.hash)
            reason = f"the local chain lost nonces {missing}..{flight[0].nonce - 1} ({shows})"
            self.journal.record_abandoned(flight[0].key, flight[-1].hash, reason)
            self.report("abandoned", _entry(flight[0].key), f"{reason}; the step is checked again")

    def _mined(self, flight: list[Intent]) -> Receipt | None:
        for intent in flight:
            receipt = self.chain.receipt(intent.hash)
            if receipt is not None:
                return receipt
        return None

    def _close(self, intent: Intent, receipt: Receipt) -> Mined:
        address = created_address(receipt, intent.address, intent.address_topic) if receipt.status == 1 else None
        mined = Mined(intent.key, receipt.hash, receipt.status, receipt.block, address, receipt.gas_used)
        self.journal.record_mined(mined)
        return mined

    def taken(self, flight: list[Intent]) -> None:
        """Another transaction was mined at the flight's nonce: adopt it when it did exactly what
        ours would (the same call, sent at other fees), else give ours up; the step is then
        checked again (a creation's record, a call's check) before anything is re-sent."""
        first = flight[0]
        ours = decode_raw(first.raw)
        begin = self.journal.begin()
        found = self.chain.sent_by(first.sender, begin.block if begin else 0, {first.nonce})
        other = found[0] if found else None
        if other is not None and other.to == ours.to and other.data == ours.data:
            receipt = self.chain.receipt(other.hash)
            assert receipt is not None
            self._close(first, receipt)
            self.report("adopted", _entry(first.key), f"{other.hash[:12]}… did the same at nonce {first.nonce}")
            return
        if other is None and first.address is not None and first.address_topic is None and self.chain.code(first.address):
            # The chain's state holds the contract this creation makes, and no block shows the
            # transaction that took its nonce: a local chain restarted from a save taken while that
            # block was mined (anvil saves its blocks before its accounts). Only the deployer's
            # creation at this nonce (CREATE), or this very initcode (CREATE2), puts code there.
            self.journal.record_mined(Mined(first.key, flight[-1].hash, 1, self.chain.block_number, first.address, 0))
            self.report(
                "adopted", _entry(first.key), f"{first.address}, made at nonce {first.nonce} (no block shows the transaction)"
            )
            return
        if other is None and first.address_topic is not None:
            raise RwaError(
                f"{_entry(first.key)}: nonce {first.nonce} of {first.sender} was used by a transaction no block shows (a node "
                "still indexing it, or a local chain restarted from a save taken while its block was mined): what the factory "
                "made cannot be read, and calling it again would make a second one; nothing was sent. Rerun later; on a "
                "local chain, `rwa node reset` starts it over"
            )
        if other is None:
            what = "a transaction before the journal began"
        elif other.to is None:
            what = f"{other.hash[:12]}…, another creation"
        else:
            what = f"{other.hash[:12]}…, a call to {other.to}"
        self.journal.record_abandoned(first.key, flight[-1].hash, f"nonce {first.nonce} taken by {what}")
        self.report("abandoned", _entry(first.key), f"nonce {first.nonce} was taken by {what}; the step is checked again")

    # --- sending --------------------------------------------------------------------------

    def check_idle(self) -> None:
        """Refuse to send while the account has transactions in flight that are not this deploy's:
        another operator (or tool) sends from it, and both would sign the same nonces."""
        pending, mined = self.chain.nonce(self.sender), self.chain.mined_nonce(self.sender)
        if pending != mined:
            raise RwaError(
                f"{self.sender} has {pending - mined} pending transaction(s) this deploy did not send "
                f"(nonces {mined}..{pending - 1}): another operator or tool is sending from it; "
                "nothing was sent: rerun once they are mined"
            )

    def begin(self) -> None:
        """Note where this deploy starts, so a resume can find what the account mined since."""
        if self.journal.begin() is None:
            self.journal.record_begin(Begin(self.sender, self.chain.mined_nonce(self.sender), self.chain.block_number))

    def recover(self, from_block: int, known_addresses: set[str]) -> None:
        """Collect the deployer's mined creations since ``from_block`` that the journal does not
        name and that no record holds: each may be a step done before the file that told of it
        was lost, and is adopted by the step that would send exactly it."""
        known = self.journal.known_hashes()
        addresses = {a.lower() for a in known_addresses}
        self.recovered = []
        for tx in self.chain.sent_by(self.sender, from_block):
            if tx.hash.lower() in known:
                continue
            if tx.to is None and create_address(self.sender, tx.nonce).lower() in addresses:
                continue
            self.recovered.append(tx)

    def _adopt_recovered(
        self,
        key: str,
        to: str | None,
        data: bytes,
        address: str | None,
        address_topic: str | None,
        same: Callable[[bytes], bool] | None = None,
    ) -> Mined | None:
        for tx in self.recovered:
            if (tx.to or "").lower() != (to or "").lower() or not (same(tx.data) if same else tx.data == data):
                continue
            receipt = self.chain.receipt(tx.hash)
            if receipt is None or receipt.status != 1:
                continue
            made = created_address(receipt, create_address(self.sender, tx.nonce) if to is None else address, address_topic)
            if made is None or not self.chain.code(made):
                continue
            self.recovered.remove(tx)
            mined = Mined(key, tx.hash, 1, receipt.block, made, receipt.gas_used)
            self.journal.record_mined(mined)
            self.report("adopted", _entry(key), f"{made}, created by {tx.hash[:12]}… (nonce {tx.nonce})")
            return mined
        return None

    def send(
        self,
        key: str,
        to: str | None,
        data: bytes,
        address: str | None = None,
        address_topic: str | None = None,
        same: Callable[[bytes], bool] | None = None,
    ) -> Mined:
        """Send ``data`` (to None: a creation) through the journal and wait for it, unless a recovered
        transaction of the deployer did it already (``same``: whether a transaction's data counts as
        ``data``; equality when None)."""
        if to is None or address is not None or address_topic is not None:
            adopted = self._adopt_recovered(key, to, data, address, address_topic, same)
            if adopted is not None:
                return adopted
        nonce = self.chain.nonce(self.sender)
        fees = self.policy.price(self.chain.base_fee(), self.chain.suggested_priority_fee())
        signed = self.chain.sign_priced(self.account, to, data, nonce, fees.max_fee, fees.priority_fee)
        if to is None:
            address = create_address(self.sender, nonce)
        intent = Intent(key, nonce, signed.hash, signed.raw, self.sender, address, address_topic, fees.max_fee, fees.priority_fee)
        self.journal.record_intent(intent)
        self.chain.broadcast(signed.raw)
        receipt = self.await_flight([intent])
        if receipt is None:
            self.taken([intent])
            raise RwaError(f"{_entry(key)}: another transaction took nonce {nonce} while ours waited; rerun to resume")
        mined = self._close(intent, receipt)
        if receipt.status != 1:
            reason = self.chain.revert_reason(replaced(signed, hash=receipt.hash))
            raise RwaError(f"{_entry(key)}: transaction {receipt.hash} reverted: {reason}")
        self.spent.append(Spent(key, receipt.gas_used, receipt.effective_gas_price))
        self.await_confirmations(receipt)
        return mined

    def await_confirmations(self, receipt: Receipt) -> None:
        """Wait until the receipt's block has ``confirmations - 1`` blocks over it (1: mined is enough)."""
        wanted = receipt.block + self.confirmations - 1
        deadline = time.monotonic() + self.timeout
        while self.confirmations > 1 and self.chain.block_number < wanted:
            if time.monotonic() > deadline:
                raise RwaError(
                    f"{receipt.hash} has fewer than {self.confirmations} confirmations after {self.timeout:.0f}s; rerun to resume"
                )
            time.sleep(POLL_SECONDS / 4)

    def await_flight(self, flight: list[Intent]) -> Receipt | None:
        """Wait until one transaction of the flight is mined (its receipt), or another transaction
        takes its nonce (None), for at most the deploy's timeout. Meanwhile the transaction the
        node holds is the one judged: if the node holds none of the flight (it dropped them) the
        newest it takes again is re-broadcast; one stuck past the policy's time, or whose max fee
        the base fee has passed, is replaced at the same nonce, priced from the market and from
        the transaction in the pool (never from a replacement the node refused); every
        replacement is journaled before it is broadcast."""
        flight = list(flight)
        started = since = time.monotonic()
        while True:
            latest = flight[-1]
            try:
                return self.chain.wait(latest.hash, POLL_SECONDS)
            except RwaError:
                pass  # not mined yet: look at the pool and the fees
            taken = self.chain.mined_nonce(latest.sender) > latest.nonce
            receipt = self._mined(flight)
            if receipt is not None or taken:
                return receipt
            if time.monotonic() - started > self.timeout:
                raise RwaError(
                    f"{_entry(latest.key)}: transaction {latest.hash} not mined after {self.timeout:.0f}s; "
                    "rerun to resume (it is kept, and replaced if it stays stuck)"
                )
            held = self.held(flight)
            if held is None:
                continue  # the nonce was taken meanwhile: the next look tells by whom
            base_fee = self.chain.base_fee()
            fits = decode_raw(held.raw).max_fee >= base_fee
            if fits and time.monotonic() - since <= self.policy.stuck_after:
                continue
            replacement = self.replace(held, base_fee)
            if replacement is not None:
                flight.append(replacement)
                since = time.monotonic()

    def held(self, flight: list[Intent]) -> Intent | None:
        """The flight's transaction the node holds, newest first; when it holds none (it dropped
        them all), the newest it takes again, re-broadcast; None when its nonce is taken."""
        for intent in reversed(flight):
            if self.chain.transaction(intent.hash) is not None:
                return intent
        for intent in reversed(flight):
            status, _ = self.chain.offer(intent.raw)
            if status == NONCE_USED:
                return None
            if status == ACCEPTED:
                self.report("resent", _entry(intent.key), f"{intent.hash[:12]}… (the node had dropped it)")
                return intent
        return flight[0]  # the node takes none of them back: a replacement, priced from the market, is next

    def replace(self, held: Intent, base_fee: int) -> Intent | None:
        """Outbid ``held`` (the flight's transaction in the pool) at its nonce: the same call, at
        the market's price or 12.5% over ``held``'s, whichever is higher, within the cap; None
        when the cap leaves no room (the flight can only wait) or when the nonce was mined while
        the replacement was priced (the flight's next look adopts what was mined). Its cost is
        checked against the account's balance before it is signed: one line, and nothing signed,
        when it cannot pay."""
        raw = decode_raw(held.raw)
        fresh = self.policy.price(base_fee, self.chain.suggested_priority_fee())
        fees = self.policy.bump(Fees(raw.max_fee, raw.priority_fee), fresh)
        if fees is None:
            return None
        cost, balance = raw.gas * fees.max_fee + raw.value, self.chain.balance(self.sender)
        if cost > balance:
            raise RwaError(
                f"{_entry(held.key)}: replacing {held.hash[:12]}… (nonce {held.nonce}) at {gwei(fees.max_fee)} gwei "
                f"(base fee {gwei(base_fee)} gwei) may cost {cost / 1e18:.6f} ETH but {self.sender} holds "
                f"{balance / 1e18:.6f} ETH: nothing was signed; the transaction stays in the pool: rerun when "
                "fees fall (or fund the account, or cap with --max-fee)"
            )
        try:
            signed = self.chain.sign_priced(
                self.account, raw.to, raw.data, held.nonce, fees.max_fee, fees.priority_fee, raw.gas, raw.value
            )
        except RwaError:
            # The wallet refuses a nonce already mined: ``held`` (or a sibling) was mined while this
            # replacement was priced, and the flight's next look adopts it.
            if self.chain.mined_nonce(self.sender) > held.nonce:
                return None
            raise
        intent = replaced(
            held,
            hash=signed.hash,
            raw=signed.raw,
            max_fee=fees.max_fee,
            priority_fee=fees.priority_fee,
            replaces=held.hash,
        )
        self.journal.record_intent(intent)
        status, said = self.chain.offer(signed.raw)
        if status == REFUSED:
            raise RwaError(
                f"{_entry(held.key)}: the node refused a replacement at {gwei(fees.max_fee)} gwei ({said}); rerun to resume"
            )
        self.report(
            "replaced",
            _entry(held.key),
            f"{held.hash[:12]}… by {signed.hash[:12]}… (max fee {gwei(fees.max_fee)} gwei, nonce {held.nonce})",
        )
        return intent


def _entry(key: str) -> str:
    """The manifest entry a journal key is about (``Registry/proxy/1a2b…`` → ``Registry``)."""
    return key.split("/")[0]


def created_address(receipt: Receipt, address: str | None, address_topic: str | None) -> str | None:
    """A creation's address: known ahead (CREATE, CREATE2), or the event the factory emitted."""
    if address_topic is None:
        return address
    topic0, _, position = address_topic.partition("#")
    index = int(position or 1)
    for log in receipt.logs:
        topics = [("0x" + bytes(t).hex()) if not isinstance(t, str) else t for t in log["topics"]]
        if len(topics) > index and topics[0].lower() == topic0.lower():
            return to_checksum_address("0x" + topics[index][-40:])
    return None
