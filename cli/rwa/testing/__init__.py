"""Testing a project built on the toolkit with pytest (or `ape test`).

The pytest plugin :mod:`rwa.testing.plugin` is installed with the package (a ``pytest11`` entry
point), so every test in the project, in any folder, gets the fixtures of the deployed suite: it is
deployed once per session through the same manifest and engine as ``rwa deploy``. The plugin also
points Ape at the project's anvil and solc and puts the test chains on ports derived from
``TEST_PORT`` (:mod:`rwa.testing.environment`).
"""
