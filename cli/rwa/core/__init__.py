"""What needs no chain and no Ape: errors, ABI encoding, parsing and units, files written whole,
the project's paths, and facts of the EVM itself; everything above may use it."""
