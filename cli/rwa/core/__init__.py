"""What needs no chain and no Ape: errors, ABI encoding, parsing and units, files written whole,
the project's paths, facts of the EVM itself, the market's orders as signed offline, and the
development keys; everything above may use it."""
