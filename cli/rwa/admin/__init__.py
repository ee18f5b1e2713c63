"""Acting on a deployed suite as its admins: one call simulated then sent or proposed, Safe proposals
and the timelock, upgrades, who controls what, and source verification."""
