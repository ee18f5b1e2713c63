"""The fixtures live in the project's pytest plugin, rwa.testing.plugin (installed with the package,
so a test in any folder of the project has them): the suite deployed through the same manifest and
engine as `rwa deploy`, its contracts and accounts, and `rwa` in this process (`rwa`) or as real
processes (`cli`)."""
