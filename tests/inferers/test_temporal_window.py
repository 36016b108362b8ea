# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.baselines import LinearInterpolator
from monai_angio.inferers import SequenceInterpolator, dose_reduction_study, gap_frames
from monai_angio.inferers.temporal_window import line_fit_weights, temporal_window_correction
from monai_angio.options import InterpolationOptions


def _scene(num_frames: int = 14, size: int = 48) -> torch.Tensor:
    """Noise-free cine ``(T, 1, H, W)``: a smooth static background whose brightness ramps linearly in time."""
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    background = 0.5 + 0.2 * torch.sin(3 * x) * torch.cos(2 * y)
    return (background[None] + torch.linspace(0.0, 0.1, num_frames)[:, None, None]).unsqueeze(1)


def _noisy(clean: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    return clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))


def _linear_gaps(frames: torch.Tensor, k: int) -> torch.Tensor:
    """``(T - 1, K, C, H, W)`` linear blends of consecutive frames at ``j / (K + 1)``."""
    t = torch.arange(1, k + 1, dtype=frames.dtype).view(1, k, 1, 1, 1) / (k + 1)
    return (1 - t) * frames[:-1, None] + t * frames[1:, None]


def test_line_fit_weights_reproduce_lines_and_average_symmetric_windows():
    times = [-2, -1, 0, 1, 2, 3]
    for t in (0.25, 0.5, 0.75):
        w = line_fit_weights(times, t)
        assert sum(w) == pytest.approx(1.0)
        on_line = sum(wi * (3.0 * s - 1.0) for wi, s in zip(w, times, strict=True))
        assert on_line == pytest.approx(3.0 * t - 1.0)  # exact on lines
    assert line_fit_weights(times, 0.5) == pytest.approx([1 / 6] * 6)  # the centre of a symmetric window: the mean
    assert line_fit_weights([0, 1], 0.25) == pytest.approx([0.75, 0.25])  # two frames: the linear blend
    with pytest.raises(ValueError, match="two distinct times"):
        line_fit_weights([1, 1], 0.5)


@pytest.mark.parametrize("k", [1, 3])
def test_window_removes_most_of_the_noise_of_a_slowly_changing_scene(k):
    clean = _scene()
    noisy = _noisy(clean, 0.02)
    gaps = _linear_gaps(noisy, k)
    out, reach = temporal_window_correction(noisy, gaps, window=6, noise_var=0.02**2)
    assert out.shape == gaps.shape and reach.shape == gaps.shape
    truth = _linear_gaps(clean, k)  # the scene is linear in time: the blends of the clean frames are the truth
    before = (gaps - truth).pow(2).mean()
    after = (out - truth).pow(2).mean()
    # the two-frame blend keeps >= 1/2 of a frame's noise variance; a line through up to 12 frames far less
    assert float(after / before) < 0.4
    assert int(reach.max()) == 6 and int(reach.min()) >= 2  # the widest window wins away from the cine's ends


def test_window_keeps_the_frame_where_the_scene_departs_from_a_line():
    clean = _scene()
    clean[7:, :, 16:32, 16:32] += 0.3  # a vessel fills between frames 6 and 7: a step, no line through it
    noisy = _noisy(clean, 0.01, seed=1)
    gaps = _linear_gaps(noisy, 1)
    out, reach = temporal_window_correction(noisy, gaps, window=6, noise_var=0.01**2)
    step = (out - gaps)[6, 0, 0, 20:28, 20:28]  # the gap of the step, inside the vessel
    assert float(step.abs().max()) < 0.02  # unchanged up to a fraction of the noise
    assert float((out - gaps)[:, :, :, 36:, 36:].abs().mean()) > 0.004  # the background is denoised


def test_window_leaves_noise_free_cines_and_two_frame_cines_unchanged():
    clean = _scene(8)
    gaps = _linear_gaps(clean, 2)
    out, reach = temporal_window_correction(clean, gaps, window=4)  # the estimated noise variance is 0
    torch.testing.assert_close(out, gaps)
    assert int(reach.max()) == 0
    two = _noisy(clean[:2], 0.02)
    out2, _ = temporal_window_correction(two, _linear_gaps(two, 1), window=4, noise_var=0.02**2)
    torch.testing.assert_close(out2, _linear_gaps(two, 1))


@pytest.mark.parametrize(
    "frames, gaps, kwargs, match",
    [
        (torch.rand(4, 8, 8), torch.rand(3, 1, 8, 8), {}, r"floating \(T, C, H, W\)"),
        (torch.rand(1, 1, 8, 8), torch.rand(0, 1, 1, 8, 8), {}, "at least 2 frames"),
        (torch.rand(4, 1, 8, 8), torch.rand(4, 1, 1, 8, 8), {}, r"synthesized must be \(T - 1, K"),
        (torch.rand(4, 1, 8, 8), torch.rand(3, 1, 1, 8, 9), {}, r"synthesized must be \(T - 1, K"),
        (torch.rand(4, 1, 8, 8), torch.rand(3, 1, 1, 8, 8), {"window": 1}, "window must be an integer >= 2"),
        (torch.rand(4, 1, 8, 8), torch.rand(3, 1, 1, 8, 8), {"noise_var": -1.0}, "noise_var must be >= 0"),
        (torch.rand(4, 1, 8, 8), torch.rand(3, 1, 1, 8, 8), {"local_sigma": 0.0}, "local_sigma must be positive"),
    ],
)
def test_window_errors(frames, gaps, kwargs, match):
    with pytest.raises(ValueError, match=match):
        temporal_window_correction(frames, gaps, **{"noise_var": 0.01, **kwargs})


def test_sequence_interpolator_with_a_window():
    noisy = _noisy(_scene(9), 0.02)
    plain = SequenceInterpolator(LinearInterpolator(), factor=2, progress=False)(noisy)
    options = InterpolationOptions(denoise_window=4)
    result = SequenceInterpolator(LinearInterpolator(), factor=2, options=options, progress=False)(noisy)
    out, mask = result.frames, result.synthesized
    assert torch.equal(plain.synthesized, mask)
    torch.testing.assert_close(out[~mask], noisy)  # acquired frames are written unchanged
    expected, _ = temporal_window_correction(noisy, _linear_gaps(noisy, 2), window=4)
    torch.testing.assert_close(out[mask], expected.clamp(0, 1).flatten(0, 1))
    assert not torch.allclose(out[mask], plain.frames[mask])
    assert result.choices["window"] == 4 and plain.choices["window"] == 0
    # two frames: no window to fit, the frames are interpolated as they are
    two = SequenceInterpolator(LinearInterpolator(), factor=2, options=options, progress=False)(noisy[:2])
    torch.testing.assert_close(
        two.frames, SequenceInterpolator(LinearInterpolator(), 2, progress=False)(noisy[:2]).frames
    )
    assert two.choices["window"] == 0
    for bad in (1, -2, True, 2.5):
        with pytest.raises(ValueError, match="denoise_window must be 0"):
            InterpolationOptions(denoise_window=bad)


def test_dose_reduction_study_with_a_window_beats_the_plain_one():
    noisy = _noisy(_scene(25), 0.02, seed=3)
    psnr = {
        name: dose_reduction_study(noisy, LinearInterpolator(), 1, options, progress=False).report.summary()[
            "psnr_mean"
        ]
        for name, options in {"plain": None, "window": InterpolationOptions(denoise_window=6)}.items()
    }
    # the compared frames carry noise too: the gain is bounded by the noise passed on from the acquired frames
    assert psnr["window"] > psnr["plain"] + 1.0


def test_gap_frames_is_a_view_of_the_synthesized_frames():
    cine = torch.arange(7.0).view(7, 1, 1, 1)  # T = 3 acquired frames, K = 2: positions 0, 3, 6 acquired
    gaps = gap_frames(cine, 2)
    assert gaps.flatten().tolist() == [1.0, 2.0, 4.0, 5.0]
    gaps += 10  # a view: writing it writes the cine
    assert cine.flatten().tolist() == [0.0, 11.0, 12.0, 3.0, 14.0, 15.0, 6.0]
    with pytest.raises(ValueError, match="interpolated x2 has"):
        gap_frames(torch.zeros(6, 1, 1, 1), 2)
