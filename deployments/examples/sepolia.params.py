"""An example of a team's parameters for Sepolia: copy it to deployments/params/sepolia.py and put
your own addresses in (deployments/manifest.py reads deployments/params/<network>.py, or the folder
RWA_PARAMS_DIR names). Every power goes to a Safe or to a key the team names here, never to the
account that deploys: `rwa deploy --network sepolia --plan` lists whatever is still missing.

The addresses below are placeholders of the right shape; they hold no keys anyone knows.
"""

OWNERS = [
    "0x1a2B3c4d5E6f708192a3B4c5D6E7F8091A2b3C4d",  # Alice (hardware wallet)
    "0x2B3c4d5e6f708192A3b4C5d6e7f8091A2B3c4d5e",  # Bob (hardware wallet)
    "0x3C4d5E6f708192a3B4c5D6e7F8091a2B3C4D5E6F",  # Carol (mobile wallet)
]

PARAMS = {
    # The admins' Safe proposes to the timelock, which holds every admin role: 2 of 3 sign.
    "safe_owners": OWNERS,
    "safe_threshold": 2,
    # The guardian Safe pauses at once: 1 of 2 (a lower threshold, by design: pausing is the brake).
    "guardian_owners": OWNERS[:2],
    "guardian_threshold": 1,
    # Keys of people or services with one job each.
    "attestor": "0x4d5e6f708192A3B4C5D6e7f8091a2b3C4D5e6f70",  # the KYC provider's signer
    "sanctions_officer": "0x5E6F708192A3b4C5D6e7F8091a2B3c4d5e6f7081",
    # The five agent powers over properties, one parameter each (`rwa status` shows who holds them).
    # Burn, forced transfer and recovery take or move anyone's tokens: a Safe of the team's (here a 2-of-3
    # operations Safe created beforehand); a deploy is refused when one of them names a key. Mint and
    # freeze may be an operational key, such as the platform's backend.
    "property_minter": "0x7A3B4c5D6E7f8091A2b3c4D5e6F708192a3b4C5D",  # the backend
    "property_freezer": "0x7A3B4c5D6E7f8091A2b3c4D5e6F708192a3b4C5D",  # the backend
    "property_burner": "0x6f708192A3B4c5d6e7F8091a2B3c4d5E6F708192",
    "property_forced_transfer": "0x6f708192A3B4c5d6e7F8091a2B3c4d5E6F708192",
    "property_recovery": "0x6f708192A3B4c5d6e7F8091a2B3c4d5E6F708192",
    # Property creation and vault operation: the operations Safe too, so that no one key can use them
    # alone (`rwa status` flags any that can).
    "property_creator": "0x6f708192A3B4c5d6e7F8091a2B3c4d5E6F708192",
    "vault_operator": "0x6f708192A3B4c5d6e7F8091a2B3c4d5E6F708192",
    # Where market fees (and offering proceeds) are paid: a Safe of the team's.
    "treasury": "0x708192A3B4c5D6e7F8091a2B3c4D5E6f708192a3",
}
