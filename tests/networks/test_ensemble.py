# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.baselines import LinearInterpolator, RepeatInterpolator
from monai_angio.networks import InterpolatorEnsemble


class Constant(nn.Module):
    """Every synthesized frame is ``value``; stride 4."""

    stride = 4

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torch.full((f0.shape[0], t.shape[1], *f0.shape[1:]), self.value, dtype=torch.float64)


def test_weighted_mean_of_the_members():
    f0, f1 = torch.zeros(2, 1, 8, 8), torch.ones(2, 1, 8, 8)
    t = torch.tensor([[0.25, 0.5, 0.75]] * 2)
    ens = InterpolatorEnsemble([RepeatInterpolator(), LinearInterpolator()])
    out = ens(f0, f1, t)
    assert out.shape == (2, 3, 1, 8, 8) and out.dtype == torch.float32
    # repeat gives the nearest frame (0, 0 or 1 at t = 0.25, 0.5, 0.75), linear gives t
    repeat = RepeatInterpolator()(f0, f1, t)
    torch.testing.assert_close(out, 0.5 * (repeat + LinearInterpolator()(f0, f1, t)))
    weighted = InterpolatorEnsemble([Constant(1.0), Constant(0.0), Constant(0.5)], weights=[3, 1, 0])
    torch.testing.assert_close(weighted(f0, f1, t), torch.full((2, 3, 1, 8, 8), 0.75))
    assert weighted.weights == (0.75, 0.25, 0.0)


def test_stride_is_the_common_multiple():
    class Six(Constant):
        stride = 6

    assert InterpolatorEnsemble([Constant(0.0), Six(0.0)]).stride == 12
    assert InterpolatorEnsemble([LinearInterpolator(), RepeatInterpolator()]).stride == 1


def test_bad_members_and_weights():
    with pytest.raises(ValueError, match="at least 2 members"):
        InterpolatorEnsemble([LinearInterpolator()])
    with pytest.raises(TypeError, match="member 1 must be an nn.Module"):
        InterpolatorEnsemble([LinearInterpolator(), "linear"])
    with pytest.raises(ValueError, match="1 weight\\(s\\) for 2 members"):
        InterpolatorEnsemble([LinearInterpolator(), RepeatInterpolator()], weights=[1.0])
    with pytest.raises(ValueError, match="weights must be finite"):
        InterpolatorEnsemble([LinearInterpolator(), RepeatInterpolator()], weights=[-1.0, 2.0])
    with pytest.raises(ValueError, match="weights must be finite"):
        InterpolatorEnsemble([LinearInterpolator(), RepeatInterpolator()], weights=[0.0, 0.0])
