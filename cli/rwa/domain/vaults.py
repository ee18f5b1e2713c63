"""Athletes' vaults: predicted, created, listed and administered through the NILVaultFactory."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from rwa.admin import actions
from rwa.chain.client import Receipt
from rwa.core.errors import RwaError, parsed
from rwa.deploy import created as made
from rwa.deploy.records import CreatedVault
from rwa.domain.nil import (
    ETH,
    FACTORY,
    REGISTRY,
    VAULT_TYPE,
    Nil,
    optional_address,
    parse_athlete_id,
)


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
        self._record(name, predicted, wallet, receipt)
        return {
            **predicted,
            "exists": True,
            "athleteWallet": wallet,
            "splitter": optional_address(split),
            "transactionHash": receipt.hash,
            "block": receipt.block,
            "gasUsed": receipt.gas_used,
        }

    def _record(self, name: str, predicted: dict[str, Any], wallet: str, receipt: Receipt) -> None:
        """The vault in the deployments file, under the athlete id as typed: a beacon proxy of the
        factory's beacon."""
        factory = self.vault_factory
        proxy = made.beacon_proxy(self.target, made.FACTORY_PROXY_TYPES[FACTORY], self.read(factory, "beacon"), VAULT_TYPE)
        assert self.target.account is not None, "a sent transaction has a signer"
        made.record(
            self.target,
            "vaults",
            name,
            CreatedVault(
                {
                    "id": predicted["athleteId"],
                    "athlete": wallet,
                    "createdBy": made.created_by(
                        FACTORY, factory.address, "createVault", receipt.hash, receipt.block, self.target.account.address
                    ),
                    "contracts": {"vault": made.part(self.target, VAULT_TYPE, predicted["vault"], proxy)},
                }
            ),
        )

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
        if function == "recoverAthlete":
            self._require_verified(args[0], "the vault's new athlete wallet")
        receipt = self.send(vault.contract, function, *args)
        if receipt is None:
            return None
        return {
            "athlete": vault.label,
            "vault": vault.contract.address,
            "paused": bool(self.read(vault.contract, "paused")),
            "athleteWallet": to_checksum_address(self.read(vault.contract, "athlete")),
            "transactionHash": receipt.hash,
        }

    def _require_verified(self, wallet: str, what: str) -> None:
        """Refuses now what the vault would refuse when the transaction (or a proposal, after the
        timelock's delay) runs: a wallet that is not verified in the registry."""
        registry = actions.deployed(self.target, REGISTRY)
        if not self.read(registry, "isVerified", wallet):
            state = "sanctioned" if self.read(registry, "isSanctioned", wallet) else "not verified"
            raise RwaError(f"{what} {wallet} is {state} in the registry (rwa kyc show {wallet}); the vault refuses it")

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
            balances.append(
                {
                    **currency.as_json(),
                    "balance": str(balance),
                    "escrowed": str(escrowed),
                    "free": str(max(balance - escrowed, 0)),
                }
            )
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
            rows.append(
                {
                    "vault": contract.address,
                    "recordName": None if contract.name == VAULT_TYPE else contract.name,
                    "athleteId": "0x" + bytes(self.read(contract, "athleteId")).hex(),
                    "athleteWallet": to_checksum_address(self.read(contract, "athlete")),
                    "splitter": optional_address(self.read(contract, "splitter")),
                    "dealCount": int(self.read(contract, "dealCount")),
                }
            )
        return {"total": total, "start": start, "vaults": rows}
