"""The fixtures live in the project's pytest plugin, rwa.testing.plugin (installed with the package,
so a test in any folder of the project has them): the suite deployed through the same manifest and
engine as `rwa deploy`, its contracts and accounts, and `rwa` in this process (`rwa`) or as real
processes (`cli`)."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A state machine (``test_*_state_machine.py``) is property-based like a ``@given`` test, which
    Hypothesis marks ``hypothesis`` itself: it gets the same marker, so that `make test-fast` can leave
    every property-based test to `make test`."""
    for item in items:
        if item.path.name.endswith("_state_machine.py"):
            item.add_marker(pytest.mark.hypothesis)
