"""A test of your own, outside tests/: the fixtures come from the rwa pytest plugin, installed with
the package (`ape test examples`, or `make test`, which runs this folder too).

Each test starts from the suite as `rwa deploy` leaves it on the local chain, and Ape reverts what
it did afterwards.
"""

from rwa.testing.suite import KYC_AML, US, YEAR

E18 = 10**18


def test_a_verified_investor_can_hold_the_demo_property(chain, registry, attestor, demo_property, deployer, alice, stranger):
    registry.register(alice, (1001, US, KYC_AML, chain.pending_timestamp + YEAR), sender=attestor)
    demo_property.mint(alice, 10 * E18, sender=deployer)
    assert demo_property.balanceOf(alice) == 10 * E18
    assert not registry.isVerified(stranger)  # nobody else was registered


def test_the_same_through_the_rwa_command(rwa, demo_property, alice):
    rwa.run("kyc", "set", alice.address, "--investor-id", "1001", "--country", "840", "--expires", "365d")
    minted = rwa.json("property", "mint", "DEMO-1", alice.address, "2.5")
    assert minted["wallets"][0]["balance"] == "2.5"
    assert demo_property.balanceOf(alice) == 25 * E18 // 10
    refusal = rwa.refused("property", "mint", "DEMO-1", "0x" + "ab" * 20, "1")  # one line, nothing sent
    assert refusal.startswith("error: mint refused: WalletNotVerified(")
