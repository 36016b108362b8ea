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
