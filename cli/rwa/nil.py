"""NIL deals: athletes' vaults, brands' deals and revenue splits, over a network's deployment.

The parsing half is pure (athlete ids, amounts, durations, deliverables, URIs, payee lists), so a
command can refuse bad input before it connects. The chain half reads the suite from the network's
deployment record and sends every write through :class:`rwa.actions.Writer`: simulated first (a
refusal names the contract's custom error, or the splitter's message, and sends nothing), or
collected into a multisig proposal with ``via``. Cheap mistakes (an unknown athlete, a deal in the
wrong state) are checked before anything is simulated, so their message can say what to do.

Athletes are named by their athlete id (the text whose keccak256 the vault's address derives from,
or that hash as 0x-hex) or by their vault's address; deals by athlete and deal id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from eth_account.messages import encode_typed_data
from eth_utils import is_hex_address, keccak, to_checksum_address

from rwa import actions
from rwa.chain import ZERO_ADDRESS
from rwa.errors import RwaError
from rwa.kyc import parse_wallet
from rwa.units import format_units, parse_amount
from rwa.planner import jsonable

if TYPE_CHECKING:
    from rwa.chain import Event, Receipt
    from rwa.engine import Target

T = TypeVar("T")

ETH = ZERO_ADDRESS
FACTORY = "NILVaultFactory"
SPLITTER_FACTORY = "SplitterFactory"
REGISTRY = "ComplianceRegistry"
VAULT_TYPE = "NILVault"
SPLITTER_TYPE = "RevenueSplitter"

#: INILVault.Status, in enum order.
STATUSES = ("None", "Proposed", "Accepted", "Active", "Delivered", "Released", "Cancelled", "Disputed", "Refunded")
DEAL_EVENTS = (
    "DealProposed",
    "DealAccepted",
    "DealFunded",
    "DealDelivered",
    "DealReleased",
    "DealCancelled",
    "DealDisputed",
    "DealRefunded",
    "DealSettled",
)
#: The states each vault function needs a deal in (the contract's own checks, made first here).
NEEDED_STATUS = {
    "accept": ("Proposed",),
    "fund": ("Accepted",),
    "markDelivered": ("Active",),
    "confirm": ("Delivered",),
    "release": ("Delivered",),
    "cancel": ("Proposed", "Accepted"),
    "dispute": ("Active", "Delivered"),
    "refund": ("Disputed",),
    "settle": ("Disputed",),
}
MAX_CONFIRMATION_PERIOD = 90 * 86400
TOTAL_BPS = 10_000
MAX_PAYEES = 32
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

ACCEPT_TYPES = {
    "Accept": [
        {"name": "dealId", "type": "uint256"},
        {"name": "brand", "type": "address"},
        {"name": "currency", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "deliverablesHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _function(name: str, inputs: list[str], outputs: list[str], mutability: str = "view") -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "stateMutability": mutability,
        "inputs": [{"name": f"arg{i}", "type": t} for i, t in enumerate(inputs)],
        "outputs": [{"name": "", "type": t} for t in outputs],
    }


#: What the CLI uses of any ERC-20 (the currency of a deal need not be one the project compiled).
ERC20_ABI = [
    _function("symbol", [], ["string"]),
    _function("decimals", [], ["uint8"]),
    _function("balanceOf", ["address"], ["uint256"]),
    _function("allowance", ["address", "address"], ["uint256"]),
    _function("approve", ["address", "uint256"], ["bool"], "nonpayable"),
]


# ---------------------------------------------------------------------------------------------
# Parsing (pure)
# ---------------------------------------------------------------------------------------------


def parsed(parse: Callable[[str], T], text: str) -> T:
    """Pure parsing's ValueError as the CLI's one-line error."""
    try:
        return parse(text)
    except ValueError as exc:
        raise RwaError(str(exc)) from None


@dataclass(frozen=True)
class AthleteRef:
    """An athlete as the user named them: by athlete id, or by vault address."""

    athlete_id: bytes | None
    vault: str | None


def parse_athlete_id(text: str) -> bytes:
    """The on-chain athlete id: keccak256 of the text, or a 32-byte 0x-hex id as it is."""
    text = text.strip()
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text[2:])
    if is_hex_address(text):
        raise ValueError(f"{text} is an address; an athlete id is a name such as 'jane-doe' (or a 0x 32-byte id)")
    if not text:
        raise ValueError("the athlete id is empty")
    return keccak(text=text)


def parse_athlete(text: str) -> AthleteRef:
    text = text.strip()
    if is_hex_address(text):
        return AthleteRef(None, parse_wallet(text))
    return AthleteRef(parse_athlete_id(text), None)


def parse_deal_id(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()) or int(text) == 0:
        raise ValueError(f"a deal id is a whole number from 1, not {text!r}")
    return int(text)


def parse_duration(text: str) -> int:
    """``7d``, ``12h``, ``30m``, ``3600s``, ``2w`` or a bare number of seconds."""
    match = re.fullmatch(r"(\d+)\s*([smhdw]?)", text.strip().lower())
    if not match:
        raise ValueError(f"bad duration {text!r} (like 7d, 12h, 30m or 3600s)")
    return int(match.group(1)) * DURATION_UNITS[match.group(2) or "s"]


def format_duration(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts)


def parse_confirmation_period(text: str) -> int:
    seconds = parse_duration(text)
    if seconds > MAX_CONFIRMATION_PERIOD:
        raise ValueError(f"confirmation period {text} is longer than the contract's 90d")
    return seconds


def parse_deadline(text: str, now: int) -> int:
    """A unix time, a date (``2027-06-30``) or a duration from now (``7d``); in the future."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        value = int(datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc).timestamp())
    elif re.fullmatch(r"\d{9,}", text):
        value = int(text)
    else:
        try:
            value = now + parse_duration(text)
        except ValueError:
            raise ValueError(f"bad deadline {text!r} (a unix time, a date like 2027-06-30, or a duration like 7d)") from None
    if value <= now:
        raise ValueError(f"deadline {text} is not in the future")
    return value


def parse_uri(text: str) -> str:
    """The deal's metadata URI: the contract takes ``ipfs://`` only."""
    text = text.strip()
    if not text.startswith("ipfs://") or len(text) <= len("ipfs://"):
        raise ValueError(f"the metadata URI must be ipfs://<cid>, not {text!r}")
    if re.search(r"\s", text):
        raise ValueError(f"the metadata URI {text!r} contains spaces")
    return text


def deliverables_hash(text: str) -> bytes:
    """keccak256 of a file's bytes when ``text`` names a file, else of the text itself (UTF-8);
    a 0x 32-byte hash is taken as it is."""
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", text.strip()):
        return bytes.fromhex(text.strip()[2:])
    path = Path(text)
    try:
        if path.is_file():
            return keccak(path.read_bytes())
    except OSError:  # a long text is no path the system can look up
        pass
    if not text.strip():
        raise ValueError("the deliverables are empty")
    return keccak(text=text)


def parse_payees(specs: list[str], resolve: Callable[[str], str]) -> list[tuple[str, int]]:
    """``WALLET:BPS`` specs, validated whole and sorted by address as the SplitterFactory needs.

    ``resolve`` turns the wallet part into an address (it may know account names)."""
    if not specs:
        raise ValueError("a split needs at least one --payee WALLET:BPS")
    if len(specs) > MAX_PAYEES:
        raise ValueError(f"a split has at most {MAX_PAYEES} payees, not {len(specs)}")
    payees: dict[str, int] = {}
    for spec in specs:
        wallet, sep, bps = spec.rpartition(":")
        if not sep or not wallet:
            raise ValueError(f"payee {spec!r} is not WALLET:BPS (e.g. 0xabc…:2500 for 25%)")
        address = resolve(wallet)
        if int(address, 16) == 0:
            raise ValueError("the zero address cannot be a payee")
        if address in payees:
            raise ValueError(f"payee {address} is listed twice")
        if not re.fullmatch(r"\d+", bps.strip()) or not 1 <= int(bps) <= TOTAL_BPS:
            raise ValueError(f"share {bps!r} of {address} must be 1..{TOTAL_BPS} basis points")
        payees[address] = int(bps)
    total = sum(payees.values())
    if total != TOTAL_BPS:
        raise ValueError(f"shares sum to {total:,} basis points, not {TOTAL_BPS:,} (100%)")
    return sorted(payees.items(), key=lambda item: int(item[0], 16))


def status_name(value: int) -> str:
    return STATUSES[value] if value < len(STATUSES) else f"Status({value})"


def iso_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# The chain side
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Currency:
    """ETH (the zero address, as the vault and the splitter spell it) or an ERC-20."""

    address: str
    symbol: str
    decimals: int

    @property
    def is_eth(self) -> bool:
        return self.address == ETH

    def parse(self, text: str) -> int:
        return parse_amount(text, self.decimals, self.symbol)

    def show(self, raw: int) -> str:
        return f"{format_units(raw, self.decimals)} {self.symbol}"

    def as_json(self) -> dict[str, Any]:
        return {"address": self.address, "symbol": self.symbol, "decimals": self.decimals}


ETHER = Currency(ETH, "ETH", 18)


@dataclass(frozen=True)
class Vault:
    """A vault found from what the user typed."""

    label: str
    contract: actions.Deployed
    athlete_id: bytes
    athlete: str
    splitter: str | None


class Nil:
    """What the vault, deal and split commands share: the target, its writes, its currencies and
    the suite's two factories."""

    def __init__(self, target: Target, via: str | None = None):
        self.target = target
        self.writer = actions.Writer(target, via, explain=self._explain)

    def _explain(self, message: str) -> str:
        return message

    @cached_property
    def vault_factory(self) -> actions.Deployed:
        return actions.deployed(self.target, FACTORY)

    @cached_property
    def split_factory(self) -> actions.Deployed:
        return actions.deployed(self.target, SPLITTER_FACTORY)

    # --- small reads ----------------------------------------------------------------------

    def now(self) -> int:
        return self.target.chain.timestamp()

    def read(self, contract: actions.Deployed, function: str, *args: Any) -> Any:
        return actions.read(self.target, contract, function, *args)

    def balance(self, currency: Currency, holder: str) -> int:
        if currency.is_eth:
            return self.target.chain.balance(holder)
        return int(self.read(_token(currency.address), "balanceOf", holder))

    @property
    def signer(self) -> str:
        if self.target.account is None:
            raise RwaError("this action needs an account (--account)")
        return to_checksum_address(self.target.account.address)

    def wallet(self, text: str) -> str:
        """An address, or on this network the name of a manifest account (``athlete``, ``owner1``)."""
        from rwa.engine import named_accounts

        names = named_accounts(self.target.network)
        if text.strip() in names:
            return names[text.strip()]
        try:
            return parse_wallet(text)
        except ValueError as exc:
            if is_hex_address(text.strip()):
                raise RwaError(str(exc)) from None  # an address, mistyped
            known = ", ".join(sorted(names)) or "none"
            raise RwaError(f"{text!r} is neither an address nor an account of {self.target.network.name} ({known})") from None

    @cached_property
    def record(self) -> dict[str, Any]:
        """The network's deployment record, read once per command."""
        from rwa.engine import load_record

        return load_record(self.target) or {}

    # --- currencies -----------------------------------------------------------------------

    @cached_property
    def stablecoin(self) -> Currency | None:
        """The network's ``stablecoin`` parameter (MockStablecoin on local), if it has one."""
        from rwa.engine import make_resolver
        from rwa.planner import Pending

        value = self.target.network.params.get("stablecoin")
        if value is None:
            return None
        try:
            address = make_resolver(self.target, self.record).value(value)
        except Pending:
            return None
        return self.token_currency(address)

    def currency(self, text: str) -> Currency:
        """``eth``, ``stablecoin`` or an ERC-20 address."""
        choice = text.strip()
        if choice.lower() == "eth":
            return ETHER
        if choice.lower() == "stablecoin":
            found = self.stablecoin
            if found is None:
                raise RwaError(f"{self.target.network.name} has no stablecoin deployed; pass the token's address")
            return found
        try:
            address = parse_wallet(choice)
        except ValueError:
            raise RwaError(f"currency {text!r} is not eth, stablecoin or an ERC-20 address") from None
        return self.currency_at(address)

    def currency_at(self, address: str) -> Currency:
        return ETHER if int(address, 16) == 0 else self.token_currency(address)

    def token_currency(self, address: str) -> Currency:
        if not self.target.chain.code(address):
            raise RwaError(f"no token at {address} on {self.target.network.name}")
        token = _token(address)
        try:
            return Currency(token.address, str(self.read(token, "symbol")), int(self.read(token, "decimals")))
        except RwaError:
            raise RwaError(f"{address} does not look like an ERC-20 (no symbol or decimals)") from None

    def shown_currencies(self, token: str | None) -> list[Currency]:
        """The currency asked for, else ETH and the network's stablecoin."""
        if token is not None:
            return [self.currency(token)]
        stable = self.stablecoin
        return [ETHER] + ([stable] if stable else [])

    # --- vaults and splits ----------------------------------------------------------------

    def find(self, text: str) -> Vault:
        """The vault of an athlete id or at a vault address; refuses anything else in one line."""
        ref = parsed(parse_athlete, text)
        network = self.target.network.name
        if ref.vault is not None:
            if not self.read(self.vault_factory, "isVault", ref.vault):
                raise RwaError(f"{ref.vault} is not a vault of the NILVaultFactory on {network} (rwa vault list shows them)")
            address = ref.vault
        else:
            address = to_checksum_address(self.read(self.vault_factory, "predictVault", ref.athlete_id))
            if not self.target.chain.code(address):
                raise RwaError(f"unknown athlete '{text}' on {network} (rwa vault list shows them)")
        contract = self.vault_contract(address)
        return Vault(
            label=text,
            contract=contract,
            athlete_id=bytes(self.read(contract, "athleteId")),
            athlete=to_checksum_address(self.read(contract, "athlete")),
            splitter=_optional(self.read(contract, "splitter")),
        )

    @cached_property
    def vault_names(self) -> dict[str, str]:
        """Vault addresses the deployment record names (DemoVault, say)."""
        contracts = self.record.get("contracts", {})
        return {entry["address"]: name for name, entry in contracts.items() if entry["contractType"] == VAULT_TYPE}

    def vault_contract(self, address: str) -> actions.Deployed:
        name = self.vault_names.get(address, VAULT_TYPE)
        return actions.Deployed(name, address, self.target.artifacts[VAULT_TYPE].abi)

    def split(self, text: str) -> actions.Deployed:
        """A split of the SplitterFactory, by address."""
        address = parsed(parse_wallet, text)
        if not self.read(self.split_factory, "isSplit", address):
            network = self.target.network.name
            raise RwaError(f"{address} is not a split of the SplitterFactory on {network} (rwa split create makes one)")
        return actions.Deployed(SPLITTER_TYPE, address, self.target.artifacts[SPLITTER_TYPE].abi)

    # --- writes ---------------------------------------------------------------------------

    def send(self, contract: actions.Deployed, function: str, *args: Any, value: int = 0) -> Receipt | None:
        return self.writer.send(actions.Action(contract, function, args, value))

    def send_own(self, contract: actions.Deployed, function: str, *args: Any, value: int = 0) -> Receipt:
        """A write only the signer can make (a brand's, a payee's): never a multisig proposal."""
        receipt = self.writer.send(actions.Action(contract, function, args, value))
        if receipt is None:
            raise RwaError(f"{function} is signed by its party, not proposed to a Safe: drop --via")
        return receipt

    def events(self, receipt: Receipt, contract: actions.Deployed, event: str) -> list[Event]:
        return self.target.chain.decode_events(receipt, contract.abi, event)


class Vaults(Nil):
    """Athletes' vaults, through the NILVaultFactory."""

    def predict(self, name: str) -> dict[str, Any]:
        athlete_id = parsed(parse_athlete_id, name)
        address = to_checksum_address(self.read(self.vault_factory, "predictVault", athlete_id))
        return {
            "athlete": name,
            "athleteId": "0x" + athlete_id.hex(),
            "vault": address,
            "exists": bool(self.target.chain.code(address)),
        }

    def create(self, name: str, athlete: str, splitter: str | None) -> dict[str, Any] | None:
        """Create the athlete's vault (the operator signs); None when it went into a proposal."""
        predicted = self.predict(name)
        if predicted["exists"]:
            raise RwaError(f"athlete '{name}' already has a vault at {predicted['vault']}")
        wallet = self.wallet(athlete)
        if int(wallet, 16) == 0:
            raise RwaError("the athlete's wallet cannot be the zero address")
        split = self.split(splitter).address if splitter is not None else ETH
        receipt = self.send(self.vault_factory, "createVault", bytes.fromhex(predicted["athleteId"][2:]), wallet, split)
        if receipt is None:
            return None
        [created] = self.events(receipt, self.vault_factory, "VaultCreated")
        if created.args["vault"] != predicted["vault"]:  # the factory's promise: worth a loud failure
            raise RwaError(f"vault created at {created.args['vault']}, not at the predicted {predicted['vault']}")
        return {**predicted, "exists": True, "athleteWallet": wallet, "splitter": _optional(split),
                "transactionHash": receipt.hash, "block": receipt.block, "gasUsed": receipt.gas_used}  # fmt: skip

    def set_splitter(self, text: str, splitter: str) -> dict[str, Any]:
        """The athlete points the vault's releases at a split."""
        vault = self.find(text)
        split = self.split(splitter).address
        receipt = self.send_own(vault.contract, "setSplitter", split)
        return {"athlete": vault.label, "vault": vault.contract.address, "splitter": split, "transactionHash": receipt.hash}

    def admin_act(self, text: str, function: str, *args: Any) -> dict[str, Any] | None:
        """A guardian's (pause) or admin's (unpause, recoverAthlete) act on a vault; None when it
        went into a proposal."""
        vault = self.find(text)
        receipt = self.send(vault.contract, function, *args)
        if receipt is None:
            return None
        return {"athlete": vault.label, "vault": vault.contract.address, "paused": bool(self.read(vault.contract, "paused")),
                "athleteWallet": to_checksum_address(self.read(vault.contract, "athlete")),
                "transactionHash": receipt.hash}  # fmt: skip

    def _explain(self, message: str) -> str:
        """A refused vault act names who holds the role: the vaults obey the factory's roles."""
        return actions.explain_refusal(self.target, message, self.vault_factory)

    def show(self, text: str) -> dict[str, Any]:
        vault = self.find(text)
        contract = vault.contract
        registry = actions.deployed(self.target, REGISTRY)
        balances = []
        for currency in self.shown_currencies(None):
            balance = self.balance(currency, contract.address)
            escrowed = int(self.read(contract, "escrowed", currency.address))
            balances.append({**currency.as_json(), "balance": str(balance), "escrowed": str(escrowed),
                             "free": str(max(balance - escrowed, 0))})  # fmt: skip
        return {
            "athlete": vault.label,
            "vault": contract.address,
            "recordName": None if contract.name == VAULT_TYPE else contract.name,
            "athleteId": "0x" + vault.athlete_id.hex(),
            "athleteWallet": vault.athlete,
            "athleteVerified": bool(self.read(registry, "isVerified", vault.athlete)),
            "splitter": vault.splitter,
            "paused": bool(self.read(contract, "paused")),
            "dealCount": int(self.read(contract, "dealCount")),
            "balances": balances,
        }

    def list(self, start: int, limit: int) -> dict[str, Any]:
        total = int(self.read(self.vault_factory, "vaultCount"))
        rows = []
        for address in self.read(self.vault_factory, "vaults", start, limit):
            contract = self.vault_contract(to_checksum_address(address))
            rows.append({
                "vault": contract.address,
                "recordName": None if contract.name == VAULT_TYPE else contract.name,
                "athleteId": "0x" + bytes(self.read(contract, "athleteId")).hex(),
                "athleteWallet": to_checksum_address(self.read(contract, "athlete")),
                "splitter": _optional(self.read(contract, "splitter")),
                "dealCount": int(self.read(contract, "dealCount")),
            })  # fmt: skip
        return {"total": total, "start": start, "vaults": rows}


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
        return Terms(chosen, parsed(chosen.parse, amount), deliverables, parsed(parse_confirmation_period, period),
                     parsed(parse_uri, uri))  # fmt: skip

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
        domain = {"name": "NILVault", "version": "1", "chainId": self.target.chain.chain_id,
                  "verifyingContract": vault.contract.address}  # fmt: skip
        typed = {"types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **ACCEPT_TYPES}, "primaryType": "Accept",
                 "domain": domain, "message": message}  # fmt: skip
        signed = self.target.account.sign_message(encode_typed_data(full_message=typed))  # type: ignore[union-attr]
        if signed is None:
            raise RwaError(f"{self.signer} declined to sign")
        signature = "0x" + bytes(signed.encode_rsv()).hex()
        # The vault is the judge: a signature it would refuse is reported now, not to the relayer.
        self.target.chain.simulate(self.signer, vault.contract.address, vault.contract.abi, "acceptWithSig",
                                   [deal_id, deadline, _signature(signature)])  # fmt: skip
        return {"athlete": vault.label, "vault": vault.contract.address, "dealId": deal_id, "signer": self.signer,
                "nonce": nonce, "deadline": deadline, "signature": signature}  # fmt: skip

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
        token = _token(currency.address)
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
        return {**self._done(vault, deal["dealId"], receipt), "splitter": vault.splitter,
                "amount": str(deal["amount"]), "amountDisplay": currency.show(deal["amount"])}  # fmt: skip

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
        start = int((self.record.get("contracts", {}).get(FACTORY) or {}).get("blockNumber") or 0)
        found: list[Event] = []
        for event in DEAL_EVENTS:
            found += self.target.chain.events(vault.contract.address, vault.contract.abi, event, start, {"dealId": deal_id})
        found.sort(key=lambda e: (e.block, e.log_index))
        times: dict[int, int] = {}
        entries = []
        for event in found:
            when = times.setdefault(event.block, self.target.chain.timestamp(event.block))
            args = {k: jsonable(v) for k, v in event.args.items() if k != "dealId"}
            entries.append({"event": event.name, "block": event.block, "transaction": event.transaction,
                            "logIndex": event.log_index, "timestamp": when, "time": iso_time(when), "args": args})  # fmt: skip
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
            rows.append({**deal, "amount": str(deal["amount"]), "amountDisplay": currency.show(deal["amount"]),
                         "currency": currency.as_json()})  # fmt: skip
        return {"athlete": vault.label, "vault": vault.contract.address, "deals": rows}


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
        result: dict[str, Any] = {"split": address, "payees": _payees_json(payees), "created": False, "transactionHash": None}
        if self.target.chain.code(address):
            return result
        wallets, shares = zip(*payees)
        receipt = self.send_own(self.split_factory, "createSplit", list(wallets), list(shares))
        return {**result, "created": True, "transactionHash": receipt.hash, "gasUsed": receipt.gas_used}

    def show(self, args: list[str], token: str | None) -> dict[str, Any]:
        """A split by address, or by its payees (``WALLET:BPS`` ...) whether it exists yet or not."""
        if len(args) == 1 and ":" not in args[0]:
            contract = self.split(args[0])
            wallets = [to_checksum_address(p) for p in self.read(contract, "payees")]
            payees = list(zip(wallets, map(int, self.read(contract, "shares"))))
        else:
            payees = self.payees(args)
            address = self.predict(payees)
            if not self.target.chain.code(address):
                return {"split": address, "exists": False, "payees": _payees_json(payees), "tokens": []}
            contract = self.split(address)
        tokens = []
        for currency in self.shown_currencies(token):
            tokens.append({
                **currency.as_json(),
                "balance": str(self.balance(currency, contract.address)),
                "unallocated": str(self.read(contract, "unallocated", currency.address)),
                "claimable": {p: str(self.read(contract, "claimable", currency.address, p)) for p, _ in payees},
            })  # fmt: skip
        return {"split": contract.address, "exists": True, "payees": _payees_json(payees), "tokens": tokens}

    def distribute(self, text: str, token: str, credit: bool = False) -> dict[str, Any]:
        """Push the unallocated balance to every payee (a payee that refuses it is credited instead),
        or with ``credit`` only credit every payee, who then claims (one storage write a payee)."""
        contract = self.split(text)
        currency = self.currency(token)
        available = int(self.read(contract, "unallocated", currency.address))
        receipt = self.send_own(contract, "allocate" if credit else "distribute", currency.address)
        credited = {e.args["payee"] for e in self.events(receipt, contract, "PushFailed")}
        shares = [
            {"payee": to_checksum_address(payee), "bps": int(bps), "amount": str(available * int(bps) // TOTAL_BPS),
             "pushed": not credit and to_checksum_address(payee) not in credited}
            for payee, bps in zip(self.read(contract, "payees"), self.read(contract, "shares"))
        ]  # fmt: skip
        [event] = self.events(receipt, contract, "Allocated" if credit else "Distributed")
        return {"split": contract.address, "currency": currency.as_json(), "amount": str(event.args["amount"]),
                "credited": credit, "shares": shares, "transactionHash": receipt.hash,
                "gasUsed": receipt.gas_used}  # fmt: skip

    def claim(self, text: str, payee: str, token: str) -> dict[str, Any]:
        """Send ``payee`` what it is owed (anyone may call; the money goes to the payee)."""
        contract = self.split(text)
        currency = self.currency(token)
        wallet = self.wallet(payee)
        if not int(self.read(contract, "shareOf", wallet)) and not int(self.read(contract, "owed", currency.address, wallet)):
            raise RwaError(f"{wallet} is not a payee of split {contract.address}")
        receipt = self.send_own(contract, "claim", currency.address, wallet)
        [claimed] = self.events(receipt, contract, "Claimed")
        return {"split": contract.address, "payee": wallet, "currency": currency.as_json(),
                "amount": str(claimed.args["amount"]), "transactionHash": receipt.hash}  # fmt: skip


def _optional(address: str) -> str | None:
    """An address the contracts leave zero for "none"."""
    return None if int(address, 16) == 0 else to_checksum_address(address)


def _token(address: str) -> actions.Deployed:
    return actions.Deployed("ERC20", to_checksum_address(address), ERC20_ABI)


def _payees_json(payees: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"payee": wallet, "bps": bps} for wallet, bps in payees]


def _signature(text: str) -> bytes:
    if not re.fullmatch(r"0x[0-9a-fA-F]{130}", text.strip()):
        raise RwaError("a signature is 65 bytes of 0x-hex (as `rwa deal sign-accept` prints it)")
    return bytes.fromhex(text.strip()[2:])
