"""The rwa toolkit: deploy, upgrade and administer the NIL and tokenized-property suite."""

__version__ = "0.1.0"
