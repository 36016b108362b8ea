# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the interpolation methods by name (monai_angio.inferers.methods)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monai_angio.inferers.methods import TEST_TIME_OPTIONS, bundle_test_time_options

REPO = Path(__file__).resolve().parents[2]


def _bundle(root: Path, config: dict) -> Path:
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "inference.json").write_text(json.dumps(config))
    return root


def test_bundle_test_time_options_are_parsed(tmp_path):
    config = {
        "window": 6,
        "denoise_window": "@window",
        "ensemble": "dis_flow_quadratic",
        "fallback": "$None",
        "self_ensemble": "$2 * 2",
        "factor": 3,  # not a test-time option
    }
    options = bundle_test_time_options(_bundle(tmp_path / "b", config))
    assert options == {"denoise_window": 6, "ensemble": "dis_flow_quadratic", "fallback": None, "self_ensemble": 4}


def test_bundle_test_time_options_of_the_shipped_bundle():
    options = bundle_test_time_options(REPO / "bundles" / "cerebral_dsa_interpolation")
    assert set(options) == set(TEST_TIME_OPTIONS)
    assert options["ensemble"] == "dis_flow_quadratic" and options["denoise_window"] == 12


def test_bundle_test_time_options_unknown_bundle(tmp_path):
    with pytest.raises(ValueError, match="no bundle"):
        bundle_test_time_options(tmp_path / "missing")
