"""Fixtures for the bundle tests: ``bundle_case`` is parametrized over the tiny bundles and every ``bundles/*/``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest


def _load(name: str, path: Path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


bt = _load("monai_angio_tests_bundle_testing", Path(__file__).with_name("bundle_testing.py"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bundle_case" in metafunc.fixturenames:
        cases = bt.all_cases()
        metafunc.parametrize("bundle_case", cases, ids=[c.name for c in cases])
    if "ddp_case" in metafunc.fixturenames:
        cases = bt.all_cases(tiny=("image",))
        metafunc.parametrize("ddp_case", cases, ids=[c.name for c in cases])


@pytest.fixture
def workspace(bundle_case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A working copy of the parametrized bundle in ``tmp_path``."""
    np.random.seed(0)
    return bt.make_workspace(bundle_case, tmp_path, monkeypatch)


@pytest.fixture
def ddp_workspace(ddp_case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A working copy of a bundle for the torchrun test (tiny image bundle and real bundles)."""
    return bt.make_workspace(ddp_case, tmp_path, monkeypatch)
