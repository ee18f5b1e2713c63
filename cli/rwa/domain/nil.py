"""NIL deals: athletes' vaults, brands' deals and revenue splits, over a network's deployment.

The parsing half is pure (athlete ids, amounts, durations, deliverables, URIs, payee lists), so a
command can refuse bad input before it connects. The chain half reads the suite from the network's
deployment record and sends every write through :class:`rwa.admin.writer.Writer`: simulated first (a
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
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils import is_hex_address, keccak, to_checksum_address

from rwa.admin import actions
from rwa.admin.writer import Writer
from rwa.chain.client import Event, Receipt
from rwa.core.abi import ZERO_ADDRESS
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_duration, parse_wallet
from rwa.core.units import format_units, parse_amount
from rwa.deploy.records import DeploymentRecord, contracts_of
from rwa.deploy.target import Target, load_record, named_accounts, resolve_param

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


def parse_confirmation_period(text: str) -> int:
    seconds = parse_duration(text)
    if seconds > MAX_CONFIRMATION_PERIOD:
        raise ValueError(f"confirmation period {text} is longer than the contract's 90d")
    return seconds


def parse_uri(text: str) -> str:
    """The deal's metadata URI: the contract takes ``ipfs://`` only."""
    text = text.strip()
    if not text.startswith("ipfs://") or len(text) <= len("ipfs://"):
        raise ValueError(f"the metadata URI must be ipfs://<cid>, not {text!r}")
    if re.search(r"\s", text):
        raise ValueError(f"the metadata URI {text!r} contains spaces")
    return text


def looks_like_a_path(text: str) -> bool:
    """One word with a folder separator or a file suffix (``brief.md``, ``docs/brief``): meant as a file."""
    word = text.strip()
    if not word or any(c.isspace() for c in word):
        return False
    return "/" in word or re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]{0,5}", Path(word).suffix) is not None


def deliverables_hash(text: str) -> bytes:
    """keccak256 of a file's bytes when ``text`` names a file, else of the text itself (UTF-8);
    a 0x 32-byte hash is taken as it is."""
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", text.strip()):
        return bytes.fromhex(text.strip()[2:])
    path = Path(text)
    try:
        if path.is_file():
            return keccak(path.read_bytes())
        if path.is_dir():
            raise ValueError(f"--deliverables {text} is a folder: name a file, or write the deliverables as text")
    except OSError:  # a long text is no path the system can look up
        pass
    if looks_like_a_path(text):  # a mistyped file name would otherwise be hashed as the text of the deliverables
        raise ValueError(f"no file {text}: --deliverables takes a file, a text (such as '1 post') or a 0x hash")
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
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


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
        self.writer = Writer(target, via, explain=self._explain)

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
        return int(self.read(erc20(currency.address), "balanceOf", holder))

    @property
    def signer(self) -> str:
        if self.target.account is None:
            raise RwaError("this action needs an account (--account)")
        return to_checksum_address(self.target.account.address)

    def wallet(self, text: str) -> str:
        """An address, or on this network the name of a manifest account (``athlete``, ``owner1``)."""
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
    def record(self) -> DeploymentRecord | None:
        """The network's deployment record, read once per command."""
        return load_record(self.target)

    # --- currencies -----------------------------------------------------------------------

    @cached_property
    def stablecoin(self) -> Currency | None:
        """The network's ``stablecoin`` parameter (MockStablecoin on local), if it has one."""
        address = resolve_param(self.target, self.record, "stablecoin")
        if address is None:
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
        token = erc20(address)
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
            splitter=optional_address(self.read(contract, "splitter")),
        )

    @cached_property
    def vault_names(self) -> dict[str, str]:
        """Vault addresses the deployment record names (DemoVault, say)."""
        contracts = contracts_of(self.record)
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

    def send_own(self, contract: actions.Deployed, function: str, *args: Any, value: int = 0, gas: int | None = None) -> Receipt:
        """A write only the signer can make (a brand's, a payee's): never a multisig proposal."""
        receipt = self.writer.send(actions.Action(contract, function, args, value, gas))
        if receipt is None:
            raise RwaError(f"{function} is signed by its party, not proposed to a Safe: drop --via")
        return receipt

    def events(self, receipt: Receipt, contract: actions.Deployed, event: str) -> list[Event]:
        return self.target.chain.decode_events(receipt, contract.abi, event)


def optional_address(address: str) -> str | None:
    """An address the contracts leave zero for "none"."""
    return None if int(address, 16) == 0 else to_checksum_address(address)


def erc20(address: str) -> actions.Deployed:
    return actions.Deployed("ERC20", to_checksum_address(address), ERC20_ABI)


def payees_json(payees: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"payee": wallet, "bps": bps} for wallet, bps in payees]
