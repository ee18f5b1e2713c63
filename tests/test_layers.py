"""The package's layers stay apart: no upward import, no cycle, no import of the package hidden in a
function (tools/layers.py holds the order and the check; `make lint` prints it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _layers():
    path = Path(__file__).resolve().parent.parent / "tools" / "layers.py"
    spec = importlib.util.spec_from_file_location("rwa_layers", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_no_layer_imports_a_higher_one_and_nothing_cycles():
    report = _layers().check()
    assert report.problems == []
    assert all(report.modules[layer] for layer in _layers().LAYERS)


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    layers = _layers()
    package = tmp_path / "rwa"
    for layer in ("core", "cli"):
        (package / layer).mkdir(parents=True)
        (package / layer / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "cli" / "app.py").write_text("X = 1\n")
    (package / "core" / "low.py").write_text("from rwa.cli.app import X\n\ndef f():\n    from rwa.cli import app\n")
    monkeypatch.setattr(layers, "PACKAGE", package)
    report = layers.check()
    assert len(report.upward) == 2 and "rwa.core.low (core) imports rwa.cli.app (cli)" in report.upward[0]
    assert len(report.in_function) == 1


def test_the_readme_map_names_every_module_in_its_layer():
    layers = _layers()
    assert layers.unmapped(layers.check()) == []


def test_the_map_check_sees_a_module_the_readme_leaves_out(tmp_path):
    layers = _layers()
    readme = tmp_path / "README.md"
    readme.write_text("## What is where\n\n```\ncli/rwa/  the package\n  core/   abi, units\n  chain/  client\n```\n")
    report = layers.Report({layer: [] for layer in layers.LAYERS})
    report.modules["core"] = ["rwa.core.abi", "rwa.core.evm"]
    report.modules["chain"] = ["rwa.chain.client", "rwa.chain.abi"]  # named, but in another layer's entry
    assert layers.unmapped(report, readme) == [
        "README map: rwa.core.evm is not named in the core/ entry",
        "README map: rwa.chain.abi is not named in the chain/ entry",
    ]


def test_the_check_sees_a_private_name_imported(tmp_path, monkeypatch):
    layers = _layers()
    package = tmp_path / "rwa"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "core" / "low.py").write_text("def _hidden():\n    return 1\n")
    (package / "core" / "high.py").write_text("from rwa.core.low import _hidden\n")
    monkeypatch.setattr(layers, "PACKAGE", package)
    [problem] = layers.check().private
    assert problem.endswith("high.py:1: imports _hidden, private to its module")
