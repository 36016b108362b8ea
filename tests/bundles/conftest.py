# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the bundle tests: ``bundle_case`` is parametrized over the tiny bundles and every ``bundles/*/``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from module_loader import bundle_testing

bt = bundle_testing()


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
