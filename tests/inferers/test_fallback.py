# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.baselines import LinearInterpolator, RepeatInterpolator
from monai_angio.inferers import SequenceInterpolator, dose_reduction_study


class Shifted(nn.Module):
    """A linear blend moved by one pixel: wrong wherever the scene has structure; stride 4 (pads its inputs)."""

    stride = 4

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        assert f0.shape[-1] % 4 == 0 and f0.shape[-2] % 4 == 0
        tt = t[:, :, None, None, None]
        return torch.roll((1 - tt) * f0.unsqueeze(1) + tt * f1.unsqueeze(1), 1, dims=-1)


def _ramp(num_frames: int = 7, size: int = 30) -> torch.Tensor:
    """A textured scene whose brightness ramps linearly: the linear blend predicts every frame exactly."""
    g = torch.Generator().manual_seed(0)
    texture = torch.rand(1, size, size, generator=g)
    return torch.stack([texture * (0.5 + 0.05 * i) for i in range(num_frames)])


def test_the_fallback_replaces_an_interpolator_that_predicts_the_frames_worse():
    frames = _ramp()
    inferer = SequenceInterpolator(Shifted(), factor=2, progress=False, fallback=LinearInterpolator())
    out, mask = inferer(frames)
    assert inferer.selected == "fallback"
    main_mse, fallback_mse = inferer.selection_mse
    assert fallback_mse < 1e-10 < main_mse
    expected, _ = SequenceInterpolator(LinearInterpolator(), factor=2, progress=False)(frames)
    torch.testing.assert_close(out, expected)  # no padding to the main network's stride for the fallback
    assert out.shape == (19, 1, 30, 30) and int(mask.sum()) == 12


def test_the_main_interpolator_is_kept_when_it_predicts_better_and_names_resolve():
    frames = _ramp()
    inferer = SequenceInterpolator(LinearInterpolator(), factor=1, progress=False, fallback="repeat")
    out, _ = inferer(frames)
    assert inferer.selected == "main" and isinstance(inferer.fallback, RepeatInterpolator)
    torch.testing.assert_close(out[1], 0.5 * (frames[0] + frames[1]))
    # two frames: nothing to choose on, the main interpolator is used
    inferer(frames[:2])
    assert inferer.selected == "main"  # unchanged from the previous call
    fresh = SequenceInterpolator(LinearInterpolator(), factor=1, progress=False, fallback="repeat")
    fresh(frames[:2])
    assert fresh.selected is None


def test_fallback_with_denoised_anchors_and_in_a_dose_reduction_study():
    frames = _ramp(9) + 0.01 * torch.randn(9, 1, 30, 30, generator=torch.Generator().manual_seed(1))
    inferer = SequenceInterpolator(
        Shifted(), factor=1, progress=False, fallback=LinearInterpolator(), denoise_anchors=True
    )
    inferer(frames)
    assert inferer.selected == "fallback" and inferer.noise_var == pytest.approx(1e-4, rel=0.5)
    plain = dose_reduction_study(frames, Shifted(), 1, progress=False).report.summary()["psnr_mean"]
    guarded = dose_reduction_study(frames, Shifted(), 1, progress=False, fallback="linear")
    assert guarded.report.summary()["psnr_mean"] > plain + 3.0
    assert guarded.selected == "fallback"


def test_bad_fallback():
    with pytest.raises(TypeError, match="fallback must be an nn.Module, a method name or None"):
        SequenceInterpolator(LinearInterpolator(), factor=1, fallback=3)
    with pytest.raises(ValueError, match="unknown interpolation method 'nope'"):
        SequenceInterpolator(LinearInterpolator(), factor=1, fallback="nope")


def test_ensemble_averages_a_second_method_and_competes_with_the_fallback():
    frames = _ramp()
    out, mask = SequenceInterpolator(Shifted(), factor=1, progress=False, ensemble="linear")(frames)
    shifted, _ = SequenceInterpolator(Shifted(), factor=1, progress=False)(frames)
    linear, _ = SequenceInterpolator(LinearInterpolator(), factor=1, progress=False)(frames)
    torch.testing.assert_close(out[mask], 0.5 * (shifted[mask] + linear[mask]))
    torch.testing.assert_close(out[~mask], frames)
    # the average of a wrong and an exact method loses to the exact method alone when it is the fallback
    inferer = SequenceInterpolator(Shifted(), factor=1, progress=False, ensemble="linear", fallback="linear")
    guarded, _ = inferer(frames)
    assert inferer.selected == "fallback"
    torch.testing.assert_close(guarded, linear)
    study = dose_reduction_study(frames, Shifted(), 1, progress=False, ensemble=LinearInterpolator())
    plain = dose_reduction_study(frames, Shifted(), 1, progress=False)
    assert study.report.summary()["psnr_mean"] > plain.report.summary()["psnr_mean"] + 3.0
    with pytest.raises(TypeError, match="ensemble must be an nn.Module, a method name or None"):
        SequenceInterpolator(LinearInterpolator(), factor=1, ensemble=1.5)


def _accelerating_blob(num_frames: int = 8, size: int = 64) -> torch.Tensor:
    """``(T, 1, size, size)``: a textured blob moving right with constant acceleration (x = 14 + 0.5 i + 0.25 i²)."""
    yy, xx = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    frames = []
    for i in range(num_frames):
        x = 14 + 0.5 * i + 0.25 * i**2
        texture = 1 + 0.3 * torch.cos((xx - x) * 0.9) * torch.cos((yy - size / 2) * 0.7)
        frames.append(0.2 + 0.6 * torch.exp(-((xx - x) ** 2 + (yy - size / 2) ** 2) / 72.0) * texture)
    return torch.stack(frames).unsqueeze(1)


def _sequence_predictions(method: nn.Module, frames: torch.Tensor) -> torch.Tensor:
    """Each interior frame predicted by a sequence-wide method from the cine of every other frame."""
    half = torch.tensor([0.5])
    inner = {}
    for parity in (0, 1):
        for q, mid in enumerate(method.sequence_gaps(frames[parity::2], half)):
            inner[parity + 1 + 2 * q] = mid[0]
    return torch.stack([inner[i] for i in range(1, frames.shape[0] - 1)])


def test_a_sequence_wide_fallback_is_scored_as_it_interpolates():
    from monai_angio.baselines import QuadraticDISInterpolator

    frames = _accelerating_blob()
    quadratic = QuadraticDISInterpolator()
    inferer = SequenceInterpolator(LinearInterpolator(), factor=1, progress=False, fallback=quadratic)
    out, _ = inferer(frames)
    expected = _sequence_predictions(quadratic, frames).clamp(0, 1)
    fallback_mse = float((expected - frames[1:-1]).double().pow(2).mean())
    assert inferer.selection_mse[1] == pytest.approx(fallback_mse, rel=1e-5)
    # the pairwise DIS flow (what the selection used before) predicts the accelerating blob worse
    pairwise = quadratic(frames[:-2], frames[2:], torch.full((frames.shape[0] - 2, 1), 0.5))[:, 0]
    assert fallback_mse < float((pairwise - frames[1:-1]).double().pow(2).mean())
    assert inferer.selected == "fallback"
    torch.testing.assert_close(out[1::2], torch.cat(list(quadratic.sequence_gaps(frames, torch.tensor([0.5])))))


def test_a_sequence_wide_ensemble_member_is_scored_as_it_interpolates():
    from monai_angio.baselines import QuadraticDISInterpolator

    frames = _accelerating_blob()
    quadratic = QuadraticDISInterpolator()
    inferer = SequenceInterpolator(
        LinearInterpolator(), factor=1, progress=False, fallback=RepeatInterpolator(), ensemble=quadratic
    )
    inferer(frames)
    linear = 0.5 * (frames[:-2] + frames[2:])
    expected = (0.5 * (linear + _sequence_predictions(quadratic, frames))).clamp(0, 1)
    assert inferer.selection_mse[0] == pytest.approx(float((expected - frames[1:-1]).double().pow(2).mean()), rel=1e-5)
    assert inferer.selected == "main"
