# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.baselines import LinearInterpolator
from monai_angio.inferers import SequenceInterpolator, dose_reduction_study
from monai_angio.inferers.adaptation import AdaptationResult, adapt_interpolator
from monai_angio.options import InterpolationOptions


class BiasedBlend(nn.Module):
    """``(1 - t) f0 + t f1 + bias`` with a learnable scalar bias (0 is right for cines that change linearly)."""

    stride = 4

    def __init__(self, bias: float) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.tensor(float(bias)))

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        tt = t[:, :, None, None, None]
        return (1 - tt) * f0.unsqueeze(1) + tt * f1.unsqueeze(1) + self.bias


def _ramp(num_frames: int = 9, size: int = 32) -> torch.Tensor:
    """A cine whose pixels change linearly in time: the linear blend is exact."""
    torch.manual_seed(0)
    start, end = torch.rand(1, size, size) * 0.4, torch.rand(1, size, size) * 0.4 + 0.3
    w = torch.linspace(0, 1, num_frames)[:, None, None, None]
    return (1 - w) * start + w * end


def test_adaptation_fixes_a_wrong_network_and_leaves_the_input_untouched():
    net = BiasedBlend(0.05)
    res = adapt_interpolator(net, _ramp(), steps=60, lr=2e-3, crop=32, batch_size=2, progress=False)
    assert isinstance(res, AdaptationResult)
    assert res.selected_step == 60 and [h["step"] for h in res.history] == [0, 60]
    assert res.history[-1]["psnr"] > res.history[0]["psnr"] + 3.0
    assert abs(float(res.network.bias.detach())) < 0.03
    assert float(net.bias.detach()) == pytest.approx(0.05)  # the input network is a different object, unchanged
    assert not res.network.training


def test_a_run_that_lowers_the_score_keeps_the_original_weights():
    net = BiasedBlend(0.0)  # already exact: any step moves the bias away from 0
    with pytest.warns(UserWarning, match="original weights are kept"):
        res = adapt_interpolator(net, _ramp(), steps=5, lr=1e-2, crop=32, batch_size=2, progress=False)
    assert res.selected_step == 0 and float(res.network.bias.detach()) == 0.0
    assert res.history[-1]["psnr"] < res.history[0]["psnr"]


def test_zero_steps_and_a_single_triplet():
    res = adapt_interpolator(BiasedBlend(0.05), _ramp(3), steps=0, crop=32, progress=False)
    assert res.selected_step == 0 and len(res.history) == 1
    res = adapt_interpolator(BiasedBlend(0.05), _ramp(3), steps=20, lr=2e-3, crop=32, progress=False)
    assert res.selected_step == 20 and float(res.network.bias.detach()) < 0.05


def test_bad_inputs_raise():
    frames = _ramp()
    with pytest.raises(ValueError, match="no trainable parameters"):
        adapt_interpolator(LinearInterpolator(), frames, steps=2)
    with pytest.raises(ValueError, match="at least 3"):
        adapt_interpolator(BiasedBlend(0.0), frames[:2], steps=2)
    with pytest.raises(ValueError, match="steps"):
        adapt_interpolator(BiasedBlend(0.0), frames, steps=-1)
    with pytest.raises(ValueError, match="lr"):
        adapt_interpolator(BiasedBlend(0.0), frames, steps=1, lr=0.0)
    with pytest.raises(ValueError, match="stride"):
        adapt_interpolator(BiasedBlend(0.0), frames[..., :3, :3], steps=1)
    with pytest.raises(ValueError, match="adapt_steps needs a trainable network"):
        SequenceInterpolator(LinearInterpolator(), factor=1, options=InterpolationOptions(adapt_steps=5))


def test_sequence_interpolator_adapts_on_the_acquired_frames():
    # the adaptation runs at its default learning rate (5e-5): a bias this small is fixed in 100 steps
    frames = _ramp(9)
    net = BiasedBlend(0.004)
    result = SequenceInterpolator(net, factor=1, options=InterpolationOptions(adapt_steps=100), progress=False)(
        frames[::2]
    )
    assert result.choices["adapted_steps"] == 100 and "adapt" in result.timings
    plain = SequenceInterpolator(net, factor=1, progress=False)(frames[::2])
    assert plain.choices["adapted_steps"] == 0 and "adapt" not in plain.timings
    synth = result.synthesized
    torch.testing.assert_close(result.frames[~synth], frames[::2])  # acquired frames unchanged
    err_adapted = (result.frames[synth] - frames[1::2]).abs().mean()
    err_plain = (plain.frames[synth] - frames[1::2]).abs().mean()
    assert err_adapted < 0.5 * err_plain
    assert float(net.bias.detach()) == pytest.approx(0.004)  # the adapted network is a copy


def test_dose_reduction_study_passes_the_adaptation_options():
    frames = _ramp(13)
    plain = dose_reduction_study(frames, BiasedBlend(0.004), 1, progress=False)
    adapted = dose_reduction_study(frames, BiasedBlend(0.004), 1, InterpolationOptions(adapt_steps=100), progress=False)
    assert adapted.report.summary()["psnr_mean"] > plain.report.summary()["psnr_mean"] + 3.0
    assert adapted.interpolation.choices["adapted_steps"] == 100 and plain.interpolation.choices["adapted_steps"] == 0
