"""The one place that talks to a node (the Chain facade, its accounts and revert decoding), the
local anvil, the compiled contracts and their storage layouts."""
