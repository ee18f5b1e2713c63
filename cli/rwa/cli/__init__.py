"""The `rwa` command line: the command table, the command context every chain command shares, and
one thin Click module per command family (parse, call the layers below, render)."""
