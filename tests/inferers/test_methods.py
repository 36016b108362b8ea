# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the interpolation methods by name (monai_angio.inferers.methods).

The bundles' test-time options are tested in tests/test_options.py (``InterpolationOptions.from_bundle``), the
bundle registry in tests/test_bundles.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from monai_angio.baselines import BASELINES
from monai_angio.inferers.methods import available_methods, get_interpolator, is_network_method

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "bundles" / "cerebral_dsa_interpolation"


def test_available_methods_are_the_baselines_then_the_interpolation_bundles(monkeypatch):
    monkeypatch.delenv("MONAI_ANGIO_BUNDLES", raising=False)
    methods = available_methods()
    assert methods == [*BASELINES, "cerebral_dsa_interpolation"]
    assert "cerebral_dsa_deblurring" not in methods  # a deblurring bundle is no interpolation method


def test_is_network_method():
    assert not any(is_network_method(m) for m in BASELINES)
    assert is_network_method("cerebral_dsa_interpolation") and is_network_method(str(BUNDLE))


def test_get_interpolator_of_a_baseline_a_bundle_and_a_folder():
    f0, f1, t = torch.zeros(1, 1, 16, 16), torch.ones(1, 1, 16, 16), torch.tensor([[0.25]])
    linear = get_interpolator("linear", "cpu")
    torch.testing.assert_close(linear(f0, f1, t), torch.full((1, 1, 1, 16, 16), 0.25))
    for method in ("cerebral_dsa_interpolation", str(BUNDLE)):
        net = get_interpolator(method, "cpu")
        assert type(net).__name__ == "MoStDSA" and not net.training


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown interpolation method 'nope'; available: repeat, linear, .*"):
        get_interpolator("nope", "cpu")


def test_recommended_options():
    from monai_angio.inferers.methods import recommended_options
    from monai_angio.options import InterpolationOptions

    assert recommended_options("dis_flow") == InterpolationOptions()
    assert recommended_options("cerebral_dsa_interpolation") == InterpolationOptions.from_bundle(
        "cerebral_dsa_interpolation"
    )
    with pytest.raises(ValueError, match="unknown interpolation method 'nope'; available: repeat"):
        recommended_options("nope")
