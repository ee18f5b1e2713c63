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
