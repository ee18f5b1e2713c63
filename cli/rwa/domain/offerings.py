"""Primary offerings of a property's tokens (PropertyOffering, made by the PropertyOfferingFactory).

Investors buy a property's tokens for a stablecoin at a fixed price; proceeds go to the network's
treasury. The checks a user can get wrong (terms, an amount below the minimum or beyond the cap, an
unverified investor, too little balance) are made here first, so their message can say what to do;
the contract's own checks follow when each write is simulated, before anything is sent.

Offerings are named by address, or by ``SYMBOL-<index>`` (``DEMO1-0``: the property's first).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from rwa.admin import actions
from rwa.admin.writer import Writer
from rwa.chain.client import Receipt
from rwa.core.abi import EIP712_DOMAIN_TYPE, bytes32, role_id
from rwa.core.errors import RwaError, parsed
from rwa.core.parse import parse_wallet
from rwa.core.units import format_units, parse_amount
from rwa.deploy import created as made
from rwa.deploy.records import CreatedOffering, DeploymentRecord, contracts_of
from rwa.deploy.target import Target, load_record, resolve_param
from rwa.domain.nil import ERC20_ABI, Currency, iso_time
from rwa.domain.properties import Properties
from rwa.domain.property import Property

FACTORY = "PropertyOfferingFactory"
OFFERING_TYPE = "PropertyOffering"


class OfferingStatus(enum.StrEnum):
    """PropertyOffering's ``Status``, in its order (the contract answers the index); ``--json`` holds the values."""

    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"
    CANCELLED = "cancelled"


def offering_status(index: int) -> OfferingStatus:
    return list(OfferingStatus)[index]


MINTER_ROLE = role_id("MINTER_ROLE")
#: The property's custodian role: a soft-capped offering that holds it mints every claim at the close into its own
#: custody, and claims transfer them (contracts/interfaces/Custody.sol).
CUSTODIAN_ROLE = role_id("CUSTODIAN_ROLE")
#: The first PropertyToken version that honours CUSTODIAN_ROLE (an older one would refuse the close's mint).
CUSTODY_SINCE = (1, 1, 0)
MAX_BATCH = 100
MOCK_STABLECOIN = "MockStablecoin"
#: Contracts whose refusals a subscription passes on (the property's token and compliance, an OpenZeppelin
#: ERC-20): their custom errors are named in the offering's one-line refusals.
REFUSING = ("PropertyToken", "ModularCompliance", MOCK_STABLECOIN)
#: A stablecoin's refusal for want of allowance or balance (OpenZeppelin 5's errors, USDC's messages, and
#: SafeERC20's for a stablecoin that answers false instead of reverting).
UNPAID = (
    "ERC20InsufficientAllowance",
    "ERC20InsufficientBalance",
    "exceeds allowance",
    "exceeds balance",
    "SafeERC20FailedOperation",
)
PERMIT_TTL = 3600  # a permit's deadline, from now
PERMIT_TYPES = {
    "Permit": [
        {"name": n, "type": t}
        for n, t in (
            ("owner", "address"),
            ("spender", "address"),
            ("value", "uint256"),
            ("nonce", "uint256"),
            ("deadline", "uint256"),
        )
    ]
}
#: What an EIP-2612 stablecoin offers beyond ERC-20 (USDC's `version`, OpenZeppelin's ERC-5267 domain).
PERMIT_ABI = [
    {"type": "function", "name": name, "stateMutability": "view", "inputs": inputs, "outputs": outputs}
    for name, inputs, outputs in (
        ("nonces", [{"name": "owner", "type": "address"}], [{"name": "", "type": "uint256"}]),
        ("DOMAIN_SEPARATOR", [], [{"name": "", "type": "bytes32"}]),
        ("name", [], [{"name": "", "type": "string"}]),
        ("version", [], [{"name": "", "type": "string"}]),
    )
]
#: What the CLI uses of the stablecoin: any ERC-20's views and approve, and the local mock's faucet.
COIN_ABI = [
    *ERC20_ABI,
    {
        "type": "function",
        "name": "mint",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [],
    },
]


@dataclass(frozen=True)
class NewTerms:
    """What `rwa offering create` was given, in base units and unix times."""

    price: int
    hard_cap: int
    soft_cap: int
    minimum: int
    maximum: int
    opens: int
    closes: int
    review: bool

    def check(self) -> None:
        """The factory's refusals, each as one line before anything is sent."""
        if self.price == 0:
            raise RwaError("the price must be above zero")
        if self.hard_cap == 0:
            raise RwaError("the cap must be above zero")
        if self.soft_cap > self.hard_cap:
            raise RwaError("the soft cap is above the cap")
        if self.maximum and self.minimum > self.maximum:
            raise RwaError("the minimum per investor is above the maximum")
        if self.minimum > self.hard_cap:
            raise RwaError("the minimum per investor is above the cap")
        if self.closes <= self.opens:
            raise RwaError(f"the offering closes ({iso_time(self.closes)}) before it opens ({iso_time(self.opens)})")


@dataclass(frozen=True)
class Offering:
    """An offering, with its terms and where it stands, read once."""

    address: str
    contract: actions.Deployed
    prop: Property
    coin: Currency
    index: int
    treasury: str
    price: int
    unit: int
    hard_cap: int
    soft_cap: int
    minimum: int
    maximum: int
    opens: int
    closes: int
    review: bool
    status: OfferingStatus
    subscribed: int
    accepted: int

    @property
    def label(self) -> str:
        return f"{self.prop.symbol}-{self.index}"

    def tokens(self, value: int) -> str:
        return f"{format_units(value, self.prop.decimals)} {self.prop.symbol}"

    def terms_json(self) -> dict[str, Any]:
        return {
            "property": self.prop.token,
            "stablecoin": self.coin.address,
            "treasury": self.treasury,
            "price": str(self.price),
            "hardCap": str(self.hard_cap),
            "softCap": str(self.soft_cap),
            "minPerInvestor": str(self.minimum),
            "maxPerInvestor": str(self.maximum),
            "opensAt": self.opens,
            "closesAt": self.closes,
            "review": self.review,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "offering": self.address,
            "name": self.label,
            "symbol": self.prop.symbol,
            "status": self.status,
            "stablecoin": self.coin.as_json(),
            "terms": self.terms_json(),
            "subscribed": str(self.subscribed),
            "accepted": str(self.accepted),
            "remaining": str(self.hard_cap - self.subscribed),
            "display": {
                "price": self.coin.show(self.price),
                "hardCap": self.tokens(self.hard_cap),
                "softCap": self.tokens(self.soft_cap) if self.soft_cap else None,
                "minPerInvestor": self.tokens(self.minimum) if self.minimum else None,
                "maxPerInvestor": self.tokens(self.maximum) if self.maximum else None,
                "subscribed": self.tokens(self.subscribed),
                "opensAt": iso_time(self.opens),
                "closesAt": iso_time(self.closes),
            },
        }


class Offerings:
    """The network's PropertyOfferingFactory and its offerings."""

    def __init__(self, target: Target, via: str | None = None):
        self.target = target
        self.via = via
        self.writer = Writer(target, via)

    @cached_property
    def factory(self) -> actions.Deployed:
        return actions.deployed(self.target, FACTORY)

    @cached_property
    def properties(self) -> Properties:
        return Properties(self.target)

    @cached_property
    def record(self) -> DeploymentRecord | None:
        return load_record(self.target)

    @cached_property
    def abi(self) -> list[dict[str, Any]]:
        """The offering's ABI, with the custom errors of the contracts whose refusals it passes on."""
        own = self.target.artifacts[OFFERING_TYPE].abi
        named = {item["name"] for item in own if item.get("type") == "error"}
        errors = {}
        for contract_type in REFUSING:
            for item in self.target.artifacts[contract_type].abi:
                if item.get("type") == "error" and item["name"] not in named:
                    errors[item["name"]] = item
        return [*own, *errors.values()]

    def read(self, contract: actions.Deployed, function: str, *args: Any) -> Any:
        return actions.read(self.target, contract, function, *args)

    @property
    def signer(self) -> str:
        if self.target.account is None:
            raise RwaError("this action needs an account (--account)")
        return to_checksum_address(self.target.account.address)

    def coin(self, address: str) -> Currency:
        token = actions.Deployed("ERC20", parsed(parse_wallet, address), ERC20_ABI)
        if not self.target.chain.code(token.address):
            raise RwaError(f"no stablecoin at {token.address} on {self.target.network.name}: it has no code")
        try:
            return Currency(token.address, str(self.read(token, "symbol")), int(self.read(token, "decimals")))
        except RwaError:
            raise RwaError(f"{token.address} does not look like an ERC-20 (no symbol or decimals)") from None

    def stablecoin(self) -> Currency:
        address = resolve_param(self.target, self.record, "stablecoin")
        if address is None:
            raise RwaError(f"{self.target.network.name} has no stablecoin: pass --stablecoin")
        return self.coin(address)

    # --- finding ----------------------------------------------------------------------------

    def offering(self, address: str, prop: Property | None = None) -> Offering:
        """The offering at ``address``, which must be one of the factory's."""
        address = to_checksum_address(address)
        abi = self.abi
        network = self.target.network.name
        if not self.target.chain.code(address):
            raise RwaError(f"unknown offering {address} on {network} (rwa offering list shows them)")
        try:
            t = self.read(actions.Deployed(OFFERING_TYPE, address, abi), "terms")
        except RwaError:
            raise RwaError(f"{address} is not an offering on {network} (rwa offering list shows them)") from None
        listed = [to_checksum_address(a) for a in self.read(self.factory, "offeringsOf", t[0])]
        if address not in listed:
            raise RwaError(f"{address} is not an offering of the PropertyOfferingFactory on {network}")
        prop = prop or self.properties.find(to_checksum_address(t[0]))
        # Named by its label in proposals: the record's "PropertyOffering" is the implementation.
        contract = actions.Deployed(f"{prop.symbol}-{listed.index(address)}", address, abi)
        return Offering(
            address,
            contract,
            prop,
            self.coin(t[1]),
            listed.index(address),
            to_checksum_address(t[2]),
            int(t[3]),
            int(t[4]),
            int(t[5]),
            int(t[6]),
            int(t[7]),
            int(t[8]),
            int(t[9]),
            int(t[10]),
            bool(t[11]),
            offering_status(int(self.read(contract, "status"))),
            int(self.read(contract, "subscribed")),
            int(self.read(contract, "accepted")),
        )

    def find(self, text: str) -> Offering:
        """By address, or SYMBOL-<index> (DEMO1-0)."""
        text = text.strip()
        if text.startswith("0x"):
            try:
                return self.offering(to_checksum_address(text))
            except ValueError:
                raise RwaError(f"{text!r} is not an address") from None
        symbol, _, index = text.rpartition("-")
        if not symbol or not index.isdigit():
            raise RwaError(f"unknown offering {text!r}: name one by address or as SYMBOL-<index> (DEMO1-0)")
        prop = self.properties.find(symbol)
        listed = self.read(self.factory, "offeringsOf", prop.token)
        if int(index) >= len(listed):
            if not listed:
                has = f"{prop.symbol} has none yet"
            elif len(listed) == 1:
                has = f"{prop.symbol}-0 is its only one"
            else:
                has = f"its offerings are {prop.symbol}-0 to {prop.symbol}-{len(listed) - 1}"
            raise RwaError(f"unknown offering {text!r} on {self.target.network.name}: {has} (rwa offering list shows them)")
        return self.offering(listed[int(index)], prop)

    def listing(self, reference: str | None = None) -> list[dict[str, Any]]:
        props = [self.properties.find(reference)] if reference else self.properties.all()
        found = []
        for prop in props:
            for address in self.read(self.factory, "offeringsOf", prop.token):
                found.append(self.offering(address, prop).as_json())
        return found

    def show(self, text: str, wallet: str | None = None) -> dict[str, Any]:
        offering = self.find(text)
        result = offering.as_json()
        token = self.token(offering)
        result["minterRole"] = bool(self.read(token, "hasRole", MINTER_ROLE, offering.address))
        result["custodianRole"] = bool(self.read(token, "hasRole", CUSTODIAN_ROLE, offering.address))
        result["custody"] = self._in_custody(offering)
        held = int(self.read(token, "balanceOf", offering.address))
        result["held"] = str(held)
        result["display"]["held"] = offering.tokens(held)
        result["escrow"] = str(self.read(erc20(offering.coin.address), "balanceOf", offering.address))
        if wallet is not None:
            p = self.read(offering.contract, "positionOf", wallet)
            result["position"] = {
                "wallet": wallet,
                "pendingTokens": str(p[0]),
                "pendingPaid": str(p[1]),
                "acceptedTokens": str(p[2]),
                "acceptedPaid": str(p[3]),
                "refundable": str(self.read(offering.contract, "refundableOf", wallet)),
                "claimable": str(self.read(offering.contract, "claimableOf", wallet)),
            }
        return result

    def _in_custody(self, offering: Offering) -> bool:
        """Whether the close minted the claims into the offering's custody (false for an offering made before custody)."""
        try:
            return bool(self.read(offering.contract, "custody"))
        except RwaError:
            return False

    def custody_supported(self, token: actions.Deployed) -> bool:
        """Whether the property's token implementation honours CUSTODIAN_ROLE (its ``version()``)."""
        version = str(self.read(token, "version"))
        parts = tuple(int(part) for part in version.split(".") if part.isdigit())
        return parts >= CUSTODY_SINCE

    def token(self, offering: Offering) -> actions.Deployed:
        return actions.Deployed(offering.prop.label, offering.prop.token, self.target.artifacts["PropertyToken"].abi)

    # --- creating -----------------------------------------------------------------------------

    def create(self, reference: str, terms: NewTerms, stablecoin: str | None) -> dict[str, Any]:
        """Create the offering (an agent of the property signs, or the admin through --via safe) and
        ask the property's admin to grant it the minter role (and, with a soft cap on a token that honours it,
        the custodian role: the close then mints every claim once, into the offering's custody, and claims
        transfer them): in the same proposal with --via, else in a proposal of its own. Returns the
        offering's facts and the transaction or proposal."""
        terms.check()
        prop = self.properties.find(reference)
        coin = self.coin(stablecoin) if stablecoin else self.stablecoin()
        now = self.target.chain.timestamp()
        if terms.closes <= now:
            raise RwaError(f"the offering closes in the past ({iso_time(terms.closes)})")
        data = (
            prop.token,
            coin.address,
            terms.price,
            terms.hard_cap,
            terms.soft_cap,
            terms.minimum,
            terms.maximum,
            terms.opens,
            terms.closes,
            terms.review,
        )
        self.read(self.factory, "terms", data)  # the factory's own checks, as a read: its error names the problem
        predicted = to_checksum_address(self.read(self.factory, "predictOffering", data))
        index = int(self.read(self.factory, "offeringCount", prop.token))
        token = actions.Deployed(prop.label, prop.token, self.target.artifacts["PropertyToken"].abi)
        roles = {"MINTER_ROLE": MINTER_ROLE}
        if terms.soft_cap and self.custody_supported(token):
            roles["CUSTODIAN_ROLE"] = CUSTODIAN_ROLE
        result: dict[str, Any] = {
            "offering": predicted,
            "name": f"{prop.symbol}-{index}",
            "property": prop.token,
            "grants": list(roles),
        }
        create = actions.Action(self.factory, "createOffering", (data,))
        grants = [actions.Action(token, "grantRole", (role, predicted)) for role in roles.values()]
        granted = " and ".join(roles)
        if self.via is not None:
            for action in (create, *grants):
                self.writer.send(action)
            result["proposal"] = self.writer.propose(f"offering {result['name']}: create and grant {granted}")
            return result
        receipt = self.writer.send(create)
        assert receipt is not None
        self._record(result["name"], prop, index, predicted, data, receipt)
        granting = Writer(self.target, "safe")
        for grant in grants:
            granting.send(grant)
        result.update(
            transactionHash=receipt.hash,
            block=receipt.block,
            gasUsed=receipt.gas_used,
            proposal=granting.propose(f"offering {result['name']}: grant {granted}"),
        )
        return result

    def _record(self, name: str, prop: Property, index: int, address: str, data: tuple[Any, ...], receipt: Receipt) -> None:
        offering = self.offering(address, prop)
        made.record(
            self.target,
            "offerings",
            name,
            CreatedOffering(
                {
                    "property": prop.token,
                    "index": index,
                    "terms": offering.terms_json(),
                    "implementation": to_checksum_address(self.read(self.factory, "implementation")),
                    "createdBy": made.created_by(
                        FACTORY, self.factory.address, "createOffering", receipt.hash, receipt.block, self.signer
                    ),
                    "contracts": {"offering": made.part(self.target, OFFERING_TYPE, address, None)},
                }
            ),
        )

    # --- investors ----------------------------------------------------------------------------

    def quote(self, text: str, amount_text: str, mint: bool = False) -> tuple[Offering, dict[str, Any]]:
        """What subscribing ``amount_text`` tokens costs the signer, checked: refuses a closed offering,
        an unverified investor, an amount below the minimum, above the maximum or beyond the cap, and
        too little balance. Says whether an approval must go first."""
        offering = self.find(text)
        try:
            amount = parse_amount(amount_text, offering.prop.decimals, offering.prop.symbol)
        except ValueError as exc:
            raise RwaError(str(exc)) from None
        now = self.target.chain.timestamp()
        if offering.status != OfferingStatus.OPEN:
            raise RwaError(f"offering {offering.label} is {offering.status}")
        if now < offering.opens:
            raise RwaError(f"offering {offering.label} opens at {iso_time(offering.opens)}")
        if now >= offering.closes:
            raise RwaError(f"offering {offering.label} closed at {iso_time(offering.closes)} (rwa offering close ends it)")
        wallet = self.signer
        registry = actions.deployed(self.target, "ComplianceRegistry")
        if not self.read(registry, "isVerified", wallet):
            raise RwaError(f"{wallet} is not a verified investor (rwa kyc show {wallet})")
        cost, tokens = (int(v) for v in self.read(offering.contract, "quote", amount))
        remaining = offering.hard_cap - offering.subscribed
        if tokens > remaining:
            raise RwaError(f"{offering.tokens(tokens)} is beyond the cap: {offering.tokens(remaining)} remain")
        investor = int(self.read(registry, "investorIdOf", wallet))
        total = tokens + int(self.read(offering.contract, "investorTotal", investor))
        if total < offering.minimum:
            raise RwaError(f"{offering.tokens(total)} is below the minimum per investor ({offering.tokens(offering.minimum)})")
        if offering.maximum and total > offering.maximum:
            raise RwaError(
                f"{offering.tokens(total)} for investor {investor} is above the maximum ({offering.tokens(offering.maximum)})"
            )
        coin = erc20(offering.coin.address)
        balance = int(self.read(coin, "balanceOf", wallet))
        if mint:
            self._mockable(offering.coin)
        elif balance < cost:
            hint = " (on local, --mint adds it first)" if self.target.network.local else ""
            raise RwaError(
                f"the cost {offering.coin.show(cost)} is above {wallet}'s balance ({offering.coin.show(balance)}){hint}"
            )
        allowance = int(self.read(coin, "allowance", wallet, offering.address))
        return offering, {
            "offering": offering.address,
            "name": offering.label,
            "wallet": wallet,
            "investorId": investor,
            "amount": str(amount),
            "tokens": str(tokens),
            "cost": str(cost),
            "price": str(offering.price),
            "allowance": str(allowance),
            "approve": allowance < cost,
            "remaining": str(remaining),
            "mint": mint,
            "permits": allowance < cost and self._permit_domain(offering.coin.address) is not None,
            "display": {
                "tokens": offering.tokens(tokens),
                "cost": offering.coin.show(cost),
                "price": offering.coin.show(offering.price),
                "allowance": offering.coin.show(allowance),
                "remaining": offering.tokens(remaining),
            },
        }

    def subscribe(self, offering: Offering, quote: dict[str, Any], permit: bool = True) -> dict[str, Any]:
        """Subscribe (simulated first): with an EIP-2612 permit for the cost when the allowance is short and the
        stablecoin takes permits (``permit``), else after approving the cost."""
        approval = None
        cost = int(quote["cost"])
        signed = self._permit(offering, cost) if quote["permits"] and permit else None
        if signed is None and (quote["mint"] or quote["approve"]):
            self._refusal_before_paying(offering, int(quote["amount"]))
        if quote["mint"]:
            self._own(actions.Action(erc20(offering.coin.address), "mint", (quote["wallet"], cost)))
        if signed is not None:
            call = actions.Action(offering.contract, "subscribeWithPermit", (int(quote["amount"]), cost, *signed))
        else:
            if quote["approve"]:
                approval = self._own(actions.Action(erc20(offering.coin.address), "approve", (offering.address, cost))).hash
            call = actions.Action(offering.contract, "subscribe", (int(quote["amount"]),))
        receipt = self._own(call)
        [event] = self.target.chain.decode_events(receipt, offering.contract.abi, "Subscribed")
        return {
            **quote,
            "tokens": str(event.args["tokens"]),
            "paid": str(event.args["paid"]),
            "minted": bool(event.args["minted"]),
            "pending": bool(event.args["pending"]),
            "approvalTransactionHash": approval,
            "permit": signed is not None,
            "transactionHash": receipt.hash,
        }

    def _refusal_before_paying(self, offering: Offering, amount: int) -> None:
        """Before an approval (or the local faucet's mint) is sent for a subscription: the subscription simulated
        as it stands. The offering asks the property's compliance before any money moves, so it fails for want
        of allowance or balance only when nothing else refuses it; any other refusal is the answer, and
        nothing is sent."""
        try:
            self.target.chain.simulate(self.signer, offering.address, offering.contract.abi, "subscribe", [amount])
        except RwaError as exc:
            if not any(reason in str(exc) for reason in UNPAID):
                raise

    def _permit_domain(self, address: str) -> dict[str, Any] | None:
        """The EIP-712 domain of the stablecoin's EIP-2612 permits; None when it takes none (or its
        domain is not the one its DOMAIN_SEPARATOR says: a permit signed on a guess would be refused)."""
        coin = actions.Deployed("EIP2612", address, PERMIT_ABI)
        try:
            separator = bytes(self.read(coin, "DOMAIN_SEPARATOR"))
            self.read(coin, "nonces", self.signer)
            domain = {
                "name": str(self.read(coin, "name")),
                "version": self._version(coin),
                "chainId": self.target.chain.chain_id,
                "verifyingContract": coin.address,
            }
        except RwaError:
            return None
        probe = {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **PERMIT_TYPES},
            "primaryType": "Permit",
            "domain": domain,
            "message": {"owner": coin.address, "spender": coin.address, "value": 0, "nonce": 0, "deadline": 0},
        }
        return domain if bytes(encode_typed_data(full_message=probe).header) == separator else None

    def _permit(self, offering: Offering, value: int) -> tuple[int, int, bytes, bytes] | None:
        """(deadline, v, r, s) of the signer's EIP-2612 permit of ``value`` to the offering; None when the
        stablecoin takes no permits."""
        domain = self._permit_domain(offering.coin.address)
        if domain is None:
            return None
        owner = self.signer
        nonce = int(self.read(actions.Deployed("EIP2612", offering.coin.address, PERMIT_ABI), "nonces", owner))
        deadline = self.target.chain.timestamp() + PERMIT_TTL
        typed = {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **PERMIT_TYPES},
            "primaryType": "Permit",
            "domain": domain,
            "message": {"owner": owner, "spender": offering.address, "value": value, "nonce": nonce, "deadline": deadline},
        }
        signed = self.target.account.sign_message(encode_typed_data(full_message=typed))  # type: ignore[union-attr]
        if signed is None:
            raise RwaError(f"{owner} declined to sign the permit")
        return (
            deadline,
            int(signed.v),
            bytes32(signed.r),
            bytes32(signed.s),
        )

    def _version(self, coin: actions.Deployed) -> str:
        try:
            return str(self.read(coin, "version"))
        except RwaError:
            return "1"  # OpenZeppelin's ERC20Permit without a version() view signs with version 1

    def claim(self, text: str) -> dict[str, Any]:
        """Deliver the signer's tokens after a successful close (from the offering's custody, or minted)."""
        offering, tokens, receipt = self._take(text, "claim", "claimableOf")
        return {
            "offering": offering.address,
            "wallet": self.signer,
            "tokens": str(tokens),
            "display": offering.tokens(tokens),
            "transactionHash": receipt.hash,
        }

    def end_custody(self, text: str) -> dict[str, Any]:
        """Give up the offering's custodian role once every claim has left its custody (anyone may)."""
        offering = self.find(text)
        if not self._in_custody(offering):
            raise RwaError(f"offering {offering.label} holds nothing in custody ({offering.status})")
        token = self.token(offering)
        if not self.read(token, "hasRole", CUSTODIAN_ROLE, offering.address):
            raise RwaError(f"offering {offering.label} holds no custodian role (given up already)")
        held = int(self.read(token, "balanceOf", offering.address))
        if held:
            raise RwaError(f"offering {offering.label} still holds {offering.tokens(held)} for claims")
        receipt = self._own(actions.Action(offering.contract, "endCustody", ()))
        return {"offering": offering.address, "transactionHash": receipt.hash}

    def refund(self, text: str) -> dict[str, Any]:
        """Take back every unit the offering owes the signer."""
        offering, amount, receipt = self._take(text, "refund", "refundableOf")
        return {
            "offering": offering.address,
            "wallet": self.signer,
            "amount": str(amount),
            "display": offering.coin.show(amount),
            "transactionHash": receipt.hash,
        }

    def _take(self, text: str, function: str, view: str) -> tuple[Offering, int, Receipt]:
        """The signer's claim or refund: what ``view`` says is due, refused when nothing is, then sent."""
        offering = self.find(text)
        due = int(self.read(offering.contract, view, self.signer))
        if due == 0:
            raise RwaError(f"{self.signer} has nothing to {function} from {offering.label} ({offering.status})")
        return offering, due, self._own(actions.Action(offering.contract, function, ()))

    # --- the property's agents and admin ------------------------------------------------------

    def review(self, text: str, function: str, wallets: list[str]) -> dict[str, Any] | None:
        """Accept or reject the pending requests of ``wallets`` (an agent signs); None when proposed."""
        offering = self.find(text)
        if not offering.review:
            raise RwaError(f"offering {offering.label} takes subscriptions without review")
        if offering.status != OfferingStatus.OPEN:
            raise RwaError(f"offering {offering.label} is {offering.status}")
        if len(wallets) > MAX_BATCH:
            raise RwaError(f"{len(wallets)} wallets: at most {MAX_BATCH} at once")
        for wallet in wallets:
            if int(self.read(offering.contract, "positionOf", wallet)[0]) == 0:
                raise RwaError(f"{wallet} has no pending request in {offering.label}")
        receipt = self.writer.send(actions.Action(offering.contract, function, (wallets,)))
        if receipt is None:
            return None
        return {"offering": offering.address, function + "ed": wallets, "transactionHash": receipt.hash}

    def close(self, text: str) -> dict[str, Any] | None:
        """End the offering (anyone after its closing time, an agent at any time); None when proposed."""
        return self._end(text, "close", " already")

    def cancel(self, text: str) -> dict[str, Any] | None:
        """Cancel the offering (the property's admin, through --via safe); None when proposed."""
        return self._end(text, "cancel", ": only an open offering can be cancelled")

    def _end(self, text: str, function: str, refused: str) -> dict[str, Any] | None:
        """Close or cancel an open offering (``refused`` ends the line that refuses any other); returns where it
        then stands."""
        offering = self.find(text)
        if offering.status != OfferingStatus.OPEN:
            raise RwaError(f"offering {offering.label} is {offering.status}{refused}")
        receipt = self.writer.send(actions.Action(offering.contract, function, ()))
        if receipt is None:
            return None
        return {
            "offering": offering.address,
            "status": offering_status(int(self.read(offering.contract, "status"))),
            "transactionHash": receipt.hash,
        }

    def _mockable(self, coin: Currency) -> None:
        """Only the local MockStablecoin lets anyone mint (--mint)."""
        mock = contracts_of(self.record).get(MOCK_STABLECOIN)
        if mock is None or mock["address"] != coin.address:
            raise RwaError(
                f"--mint needs the local {MOCK_STABLECOIN}; {coin.symbol} on {self.target.network.name} is a real stablecoin"
            )

    def _own(self, action: actions.Action) -> Receipt:
        receipt = self.writer.send(action)
        if receipt is None:
            raise RwaError(f"{action.function} is signed by the investor, not proposed to a Safe: drop --via")
        return receipt


def erc20(address: str) -> actions.Deployed:
    return actions.Deployed("ERC20", to_checksum_address(address), COIN_ABI)


def treasury_balances(target: Target) -> dict[str, Any]:
    """The treasury (the network's ``treasury`` parameter) and its balance of the network's stablecoin."""
    record = load_record(target)
    treasury = resolve_param(target, record, "treasury")
    if treasury is None:
        raise RwaError(f"{target.network.name} has no treasury deployed (rwa deploy)")
    offerings = Offerings(target)
    coins = [offerings.stablecoin()]
    for entry in ((record and record.get("offerings")) or {}).values():
        address = to_checksum_address(entry["terms"]["stablecoin"])
        if all(c.address != address for c in coins):
            coins.append(offerings.coin(address))
    balances = [
        {
            **c.as_json(),
            "balance": str(offerings.read(erc20(c.address), "balanceOf", treasury)),
            "display": c.show(int(offerings.read(erc20(c.address), "balanceOf", treasury))),
        }
        for c in coins
    ]
    return {"treasury": to_checksum_address(treasury), "balances": balances}
