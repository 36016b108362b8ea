# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.inferers import blend_anchors, estimate_noise_variance


def _scene(num_frames: int = 12, size: int = 64) -> torch.Tensor:
    """Noise-free cine ``(T, 1, H, W)``: a smooth static background whose brightness ramps linearly in time."""
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    background = 0.5 + 0.2 * torch.sin(3 * x) * torch.cos(2 * y)
    ramp = torch.linspace(0.0, 0.1, num_frames)
    return (background[None] + ramp[:, None, None]).unsqueeze(1)


def _noisy(clean: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return clean + sigma * torch.randn(clean.shape, generator=g)


def test_noise_variance_of_a_noisy_cine_and_of_a_clean_one():
    clean = _scene()
    assert estimate_noise_variance(clean) == pytest.approx(0.0, abs=1e-10)
    noisy = _noisy(clean, 0.02)
    assert estimate_noise_variance(noisy) == pytest.approx(0.02**2, rel=0.1)
    # a constant fill (outside the collimated field) is no evidence of a noise-free frame
    noisy[..., :, :32] = 0.3
    assert estimate_noise_variance(noisy) == pytest.approx(0.02**2, rel=0.15)


def test_noise_variance_uses_the_given_predictions_and_their_noise_gain():
    noisy = _noisy(_scene(), 0.02)
    midpoints = 0.5 * (noisy[:-2] + noisy[2:])
    assert estimate_noise_variance(noisy, midpoints) == estimate_noise_variance(noisy)
    exact = _scene()[1:-1]  # a noise-free prediction passes on no noise
    assert estimate_noise_variance(noisy, exact, noise_gain=0.0) == pytest.approx(0.02**2, rel=0.1)


@pytest.mark.parametrize("local_sigma", [None, 4.0])
def test_blend_reduces_the_noise_of_a_static_cine(local_sigma):
    clean = _scene()
    noisy = _noisy(clean, 0.02)
    predicted = 0.5 * (noisy[:-2] + noisy[2:])
    anchors, weight = blend_anchors(noisy, predicted, 0.02**2, local_sigma=local_sigma)
    assert anchors.shape == noisy.shape and weight.shape == predicted.shape
    torch.testing.assert_close(anchors[[0, -1]], noisy[[0, -1]])
    # optimum for a static scene: w = 2/3 and the interior noise variance drops to a third
    assert float(weight.mean()) == pytest.approx(2 / 3, abs=0.08)
    before = (noisy[1:-1] - clean[1:-1]).pow(2).mean()
    after = (anchors[1:-1] - clean[1:-1]).pow(2).mean()
    assert float(after / before) < 0.45


def test_blend_leaves_noise_free_frames_and_trusts_failing_predictions_less():
    clean = _scene(6)
    anchors, weight = blend_anchors(clean, 0.5 * (clean[:-2] + clean[2:]), 0.0)
    torch.testing.assert_close(anchors, clean)
    assert float(weight.abs().max()) == 0.0
    noisy = _noisy(clean, 0.02)
    predicted = 0.5 * (noisy[:-2] + noisy[2:])
    predicted[:, :, 20:40, 20:40] += 0.3  # the prediction is wrong here (a vessel that moved)
    _, weight = blend_anchors(noisy, predicted, 0.02**2, local_sigma=2.0)
    assert float(weight[:, :, 25:35, 25:35].max()) < 0.05
    assert float(weight[:, :, 50:, 50:].mean()) > 0.5


@pytest.mark.parametrize(
    "frames, predicted, noise_var, kwargs, match",
    [
        (torch.rand(2, 1, 8, 8), torch.rand(0, 1, 8, 8), 0.1, {}, "at least 3 frames"),
        (torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8), 0.1, {}, r"predicted must be \(T - 2"),
        (torch.rand(4, 1, 8, 8), torch.rand(2, 1, 8, 8), -1.0, {}, "noise_var must be >= 0"),
        (torch.rand(4, 1, 8, 8), torch.rand(2, 1, 8, 8), 0.1, {"local_sigma": 0.0}, "local_sigma must be positive"),
        (torch.rand(4, 8, 8), torch.rand(2, 8, 8), 0.1, {}, r"floating \(T, C, H, W\)"),
    ],
)
def test_blend_errors(frames, predicted, noise_var, kwargs, match):
    with pytest.raises(ValueError, match=match):
        blend_anchors(frames, predicted, noise_var, **kwargs)


def test_noise_variance_errors():
    with pytest.raises(ValueError, match="tile must be >= 2"):
        estimate_noise_variance(torch.rand(4, 1, 8, 8), tile=1)
    with pytest.raises(ValueError, match="noise_gain must be >= 0"):
        estimate_noise_variance(torch.rand(4, 1, 8, 8), noise_gain=-0.5)
    with pytest.raises(ValueError, match="at least 3 frames"):
        estimate_noise_variance(torch.rand(2, 1, 8, 8))
