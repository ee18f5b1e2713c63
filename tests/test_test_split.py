"""tools/test_split.py's verdict on a split of the suite (`make test-split` runs it on the Makefile's runs)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("test_split", ROOT / "tools" / "test_split.py")
assert spec and spec.loader
test_split = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_split)

SUITE = ["tests/a.py::one", "tests/a.py::two", "tests/b.py::three[x, y]"]


def test_an_exact_split_has_no_problem():
    runs = {"test": [["tests/a.py::one"], ["tests/b.py::three[x, y]"]], "test-slow": [["tests/a.py::two"]]}
    assert test_split.problems(SUITE, runs) == []


def test_a_test_in_both_runs_in_one_run_twice_or_in_none_is_named():
    runs = {"test": [["tests/a.py::one"], ["tests/a.py::one"]], "test-slow": [["tests/a.py::two", "tests/a.py::one"]]}
    assert test_split.problems(SUITE, runs) == ["tests/a.py::one: selected 3 times", "tests/b.py::three[x, y]: in no run"]


def test_a_selection_beyond_the_suite_is_named():
    runs = {"test": [SUITE], "test-slow": [["other/c.py::four"]]}
    assert test_split.problems(SUITE, runs) == ["other/c.py::four: not in the suite, yet selected by make test-slow"]
