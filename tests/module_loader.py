# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Load the suite's helper modules and the repository's scripts and apps by path (none of them is a package).

``tests/conftest.py`` puts this folder on ``sys.path``, so test files ``from module_loader import load_module``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_module(name: str, path: str | Path) -> ModuleType:
    """Import the file ``path`` as module ``name`` once (later calls return the same module from ``sys.modules``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def bundle_testing() -> ModuleType:
    """``tests/bundles/bundle_testing.py``: bundle cases, workspaces and generated inputs shared by several suites."""
    return load_module("monai_angio_tests_bundle_testing", REPO_ROOT / "tests" / "bundles" / "bundle_testing.py")
