"""A property's compliance (its ModularCompliance): the built-in modules and their settings, the
allowed countries, external modules, and holder tracking; read from the contract's own ABI (modules
are its ``MODULE_<NAME>`` constants, settings its one-argument ``set<Name>`` functions) and written by
the token's admin through :class:`rwa.admin.writer.Writer`.
"""

from __future__ import annotations

import re
from typing import Any

from eth_utils import to_checksum_address

from rwa.admin import actions
from rwa.core.errors import RwaError
from rwa.core.parse import format_duration, parse_duration, parse_int
from rwa.domain.property import PROPOSED, TokenReads

#: ModularCompliance declares each module as a ``MODULE_<NAME>`` constant; the CLI shows ``<name>``.
MODULE_PREFIX = "MODULE_"
#: Its settings are its one-argument ``set<Name>`` functions; the CLI shows ``<name>`` (``setMaxBalance`` →
#: ``max-balance``). How a value is read depends on what it means: token amounts and durations by name.
SETTER_PREFIX = "set"
AMOUNT_SETTINGS = frozenset({"max-balance", "supply-cap"})
DURATION_SETTINGS = frozenset({"lockup-period"})


def kebab(name: str) -> str:
    """``MaxBalance`` or ``MAX_BALANCE`` → ``max-balance``."""
    if "_" in name or name.isupper():
        return name.lower().replace("_", "-")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


LEGACY_TRACKING_BIT = 128


class TokenCompliance(TokenReads):
    """The compliance of one property's token: its modules, settings, countries, external modules and tracking."""

    def module_bits(self) -> dict[str, int]:
        """Each module's bit, by the name the CLI shows (``MODULE_MAX_HOLDERS`` → ``max-holders``),
        read from the compliance contract's own constants."""
        names = [
            item["name"]
            for item in self.compliance.abi
            if item.get("type") == "function" and item["name"].startswith(MODULE_PREFIX) and not item.get("inputs")
        ]
        bits = {
            name[len(MODULE_PREFIX) :].lower().replace("_", "-"): int(actions.read(self.target, self.compliance, name))
            for name in names
        }
        return dict(sorted(bits.items(), key=lambda item: item[1]))

    def setting_functions(self) -> dict[str, str]:
        """Each setting the compliance has, by the name the CLI shows, and its setter (from the ABI)."""
        return {
            kebab(item["name"][len(SETTER_PREFIX) :]): item["name"]
            for item in self.compliance.abi
            if item.get("type") == "function"
            and item["name"].startswith(SETTER_PREFIX)
            and len(item.get("inputs", [])) == 1
            and item.get("stateMutability") == "nonpayable"
        }

    def compliance_state(self) -> dict[str, Any]:
        """Every built-in module (enabled or not) with the settings, the external modules, and tracking."""
        enabled = int(actions.read(self.target, self.compliance, "modules"))
        views = {name: self._setting(name) for name in self.setting_functions()}
        return {
            "property": self.prop.symbol,
            "compliance": self.prop.compliance,
            "active": bool(self.read("complianceActive")),
            "modules": [{"module": name, "bit": bit, "enabled": bool(enabled & bit)} for name, bit in self.module_bits().items()],
            "settings": views,
            "countries": self.allowed_countries(),
            "externalModules": self._external_modules(),
            "maxExternalModules": int(actions.read(self.target, self.compliance, "MAX_EXTERNAL_MODULES")),
            "tracking": bool(actions.read(self.target, self.compliance, "isTracking")),
            "investors": int(actions.read(self.target, self.compliance, "holderCount")),
        }

    def _setting(self, name: str) -> Any:
        getter = self.setting_functions()[name][len(SETTER_PREFIX) :]
        value = int(actions.read(self.target, self.compliance, getter[0].lower() + getter[1:]))
        if name in AMOUNT_SETTINGS:
            return self.prop.units(value)
        if name in DURATION_SETTINGS:
            return format_duration(value)
        return value

    def module_bit(self, name: str) -> int:
        bits = self.module_bits()
        if name not in bits:
            raise RwaError(f"unknown module {name!r}: the compliance has {', '.join(bits)}")
        return bits[name]

    def enable_module(self, name: str) -> str:
        bit = self.module_bit(name)
        if int(actions.read(self.target, self.compliance, "modules")) & bit:
            raise RwaError(f"module {name} is enabled already on {self.prop.symbol}")
        return self._send_compliance("addModule", bit)

    def disable_module(self, name: str) -> str:
        bit = self.module_bit(name)
        if not int(actions.read(self.target, self.compliance, "modules")) & bit:
            raise RwaError(f"module {name} is not enabled on {self.prop.symbol}")
        return self._send_compliance("removeModule", bit)

    def set_setting(self, name: str, text: str) -> str:
        """One setting (``max-balance 1000``, ``lockup-period 30d``, ...), its value read as it means."""
        setters = self.setting_functions()
        if name not in setters:
            raise RwaError(f"unknown setting {name!r}: the compliance has {', '.join(sorted(setters))}, countries")
        try:
            if name in AMOUNT_SETTINGS:
                value = self.prop.amount(text)
            elif name in DURATION_SETTINGS:
                value = parse_duration(text)
            else:
                value = parse_int(text, name, 0, 2**32 - 1)
        except ValueError as exc:
            raise RwaError(str(exc)) from None
        return self._send_compliance(setters[name], value)

    def allow_countries(self, countries: list[int], allowed: bool) -> str:
        return self._send_compliance("setCountriesAllowed", countries, allowed)

    def add_external_module(self, module: str) -> str:
        if module in self._external_modules():
            raise RwaError(f"{module} is already an external module of {self.prop.symbol}")
        return self._send_compliance("addExternalModule", module)

    def remove_external_module(self, module: str) -> str:
        if module not in self._external_modules():
            raise RwaError(f"{module} is not an external module of {self.prop.symbol}")
        return self._send_compliance("removeExternalModule", module)

    def resync(self) -> str:
        """Recount holder tracking from the chain (see :meth:`resync_action`)."""
        return self._send_compliance("resync", *self.resync_action().args)

    def resync_action(self, per_wallet: bool = True) -> actions.Action:
        """The compliance's `resync` as it wants it: every investor id with a tracked balance (any id a wallet
        that ever received the token was counted under, with ``per_wallet``, or registered as), and every
        holding wallet in ascending order. The compliance refuses a recount that is not exact when it runs (a
        holder who arrived after this was computed, a stale id left out), so a proposal never applies it stale."""
        received = self.received_wallets()
        wallets = sorted((w for w in received if self.balance(w)), key=lambda w: int(w, 16))
        ids = {int(actions.read(self.target, self.registry, "investorIdOf", w)) for w in received}
        if per_wallet:
            ids |= {int(actions.read(self.target, self.compliance, "countedInvestor", w)) for w in received}
        abi = self.target.artifacts["ComplianceRegistry"].abi
        wanted = {w.lower() for w in received}
        for event in self.target.chain.events(self.registry.address, abi, "IdentityRegistered", 0):
            if str(event.args["wallet"]).lower() in wanted:
                ids.add(int(event.args["investorId"]))
        ids.discard(0)
        stale = sorted(i for i in ids if int(actions.read(self.target, self.compliance, "investorBalance", i)))
        return actions.Action(self.compliance, "resync", (stale, wallets))

    def tracking(self) -> bool:
        """Whether the compliance tracks holders (before `isTracking`, bit 7 of `modules`)."""
        try:
            return bool(actions.read(self.target, self.compliance, "isTracking"))
        except RwaError:
            return bool(int(actions.read(self.target, self.compliance, "modules")) & LEGACY_TRACKING_BIT)

    def _external_modules(self) -> list[str]:
        return [str(to_checksum_address(a)) for a in actions.read(self.target, self.compliance, "externalModules")]

    def _send_compliance(self, function: str, *args: Any) -> str:
        try:
            receipt = self.writer.send(actions.Action(self.compliance, function, args))
        except RwaError as exc:
            if "OnlyTokenAdmin(" not in str(exc):
                raise
            raise RwaError(f"{exc}: the token's admin configures its compliance (the timelock: --via safe)") from None
        return receipt.hash if receipt else PROPOSED

    def modules(self) -> list[dict[str, Any]]:
        """The compliance's enabled modules, each with its settings."""
        enabled = int(actions.read(self.target, self.compliance, "modules"))
        return [{"module": name, **self._settings(name)} for name, bit in self.module_bits().items() if enabled & bit]

    def _settings(self, module: str) -> dict[str, Any]:
        def view(function: str) -> int:
            return int(actions.read(self.target, self.compliance, function))

        if module == "country-allow":
            return {"countries": self.allowed_countries()}
        if module == "max-balance":
            return {"maxBalance": self.prop.units(view("maxBalance"))}
        if module == "max-holders":
            return {"maxHolders": view("maxHolders"), "investors": view("holderCount")}
        if module == "lockup":
            return {"lockupSeconds": view("lockupPeriod")}
        if module == "supply-cap":
            return {"supplyCap": self.prop.units(view("supplyCap"))}
        return {}

    def allowed_countries(self) -> list[int]:
        """The allow-list, replayed from its events (the contract keeps bits, not a list)."""
        allowed: set[int] = set()
        for event in self.target.chain.events(self.prop.compliance, self.compliance.abi, "CountryAllowed", self.created_block()):
            (allowed.add if event.args["allowed"] else allowed.discard)(int(event.args["country"]))
        return sorted(allowed)
