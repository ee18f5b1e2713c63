"""Acting on a deployed suite as its admins: one call simulated then sent or proposed, Safe proposals
(mirrored to a Safe Transaction Service, exported for its Transaction Builder) and the timelock,
upgrades, who controls what, and source verification."""
