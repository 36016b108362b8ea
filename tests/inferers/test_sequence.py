# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.inferers import SequenceInterpolator, dose_reduction_indices, interpolation_times, upsampled_length


class Blend(nn.Module):
    """(1 - t) f0 + t f1, refusing inputs that are not a multiple of ``stride``."""

    def __init__(self, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride
        self.calls: list[tuple[int, ...]] = []

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        assert f0.shape[-1] % self.stride == 0 and f0.shape[-2] % self.stride == 0
        self.calls.append(tuple(f0.shape))
        tt = t[:, :, None, None, None]
        return (1 - tt) * f0.unsqueeze(1) + tt * f1.unsqueeze(1)


def _expected(frames: torch.Tensor, k: int) -> torch.Tensor:
    out = []
    for i in range(frames.shape[0] - 1):
        out.append(frames[i])
        for t in interpolation_times(k):
            out.append((1 - t) * frames[i] + t * frames[i + 1])
    out.append(frames[-1])
    return torch.stack(out)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_lengths_values_and_mask(k):
    frames = torch.rand(5, 1, 16, 20)
    out, synth = SequenceInterpolator(Blend(), factor=k, batch_size=3, progress=False)(frames)
    assert out.shape == (upsampled_length(5, k), 1, 16, 20) == (4 * (k + 1) + 1, 1, 16, 20)
    assert synth.dtype == torch.bool and int(synth.sum()) == 4 * k
    assert torch.equal(out[~synth], frames)  # acquired frames are kept bit-exact
    torch.testing.assert_close(out, _expected(frames, k))
    assert not synth[0] and not synth[-1] and synth[1]


def test_three_dimensional_input_and_stride_padding():
    frames = torch.rand(3, 30, 27)
    blend = Blend(stride=8)
    out, _ = SequenceInterpolator(blend, factor=1, progress=False)(frames)
    assert out.shape == (5, 30, 27)
    assert all(s[-2] == 32 and s[-1] == 32 for s in blend.calls)
    torch.testing.assert_close(out[1], 0.5 * (frames[0] + frames[1]))


def test_tiling_matches_whole_frame():
    frames = torch.rand(3, 1, 70, 90)
    whole, _ = SequenceInterpolator(Blend(), factor=2, progress=False)(frames)
    blend = Blend(stride=8)
    tiled, _ = SequenceInterpolator(blend, factor=2, tile_size=32, progress=False)(frames)
    assert max(s[-1] for s in blend.calls) == 32  # really tiled
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)


def test_times_and_dose_indices():
    torch.testing.assert_close(interpolation_times(3), torch.tensor([0.25, 0.5, 0.75]))
    kept, span = dose_reduction_indices(10, 2)
    assert kept == [0, 3, 6, 9] and span == 10
    kept, span = dose_reduction_indices(11, 3)
    assert kept == [0, 4, 8] and span == 9


@pytest.mark.parametrize(
    "frames, kwargs, err, match",
    [
        (torch.rand(1, 1, 8, 8), {"factor": 1}, ValueError, "at least 2 frames"),
        (torch.full((2, 1, 8, 8), float("nan")), {"factor": 1}, ValueError, "NaN"),
        (torch.zeros(2, 1, 8, 8, dtype=torch.uint8), {"factor": 1}, TypeError, "floating point"),
        (torch.rand(2, 8), {"factor": 1}, ValueError, "shape"),
    ],
)
def test_bad_frames(frames, kwargs, err, match):
    with pytest.raises(err, match=match):
        SequenceInterpolator(Blend(), progress=False, **kwargs)(frames)


@pytest.mark.parametrize("factor", [0, -1, 1.5, True])
def test_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        SequenceInterpolator(Blend(), factor=factor)
    with pytest.raises(ValueError, match="factor"):
        dose_reduction_indices(10, factor)


def test_too_short_for_dose_reduction():
    with pytest.raises(ValueError, match="at least 4 frames"):
        dose_reduction_indices(3, 2)


def test_self_ensemble_and_time_reversal_with_padding():
    """The blend is flip- and time-symmetric: the ensemble gives the plain result, with 2 x 4 calls per batch."""
    frames = torch.rand(3, 1, 13, 10)
    blend = Blend(stride=4)
    inferer = SequenceInterpolator(blend, 2, batch_size=2, progress=False, self_ensemble=4, time_reversal=True)
    out, synthesized = inferer(frames)
    torch.testing.assert_close(out, _expected(frames, 2))
    assert int(synthesized.sum()) == 4
    assert len(blend.calls) == 8 and all(c[-2:] == (16, 12) for c in blend.calls)


def test_time_reversal_averages_a_biased_interpolator():
    class First(Blend):
        def forward(self, f0, f1, t):  # returns frame0 whatever t: not time-symmetric
            return f0.unsqueeze(1).expand(-1, t.shape[1], -1, -1, -1)

    frames = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4)])
    out, _ = SequenceInterpolator(First(), 1, progress=False, time_reversal=True)(frames)
    torch.testing.assert_close(out[1], torch.full((1, 4, 4), 0.5))
    with pytest.raises(ValueError, match="transforms"):
        SequenceInterpolator(First(), 1, progress=False, self_ensemble=3)


def _moving_cine(num_frames: int = 5, size: int = 48) -> torch.Tensor:
    """A textured blob accelerating to the right, ``(T, 1, size, size)``."""
    yy, xx = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    frames = []
    for i in range(num_frames):
        x = 14 + 1.5 * i + 0.5 * i * i
        frames.append(
            0.2 + 0.5 * torch.exp(-((xx - x) ** 2 + (yy - size / 2) ** 2) / 32) * (1 + 0.2 * torch.cos(xx - x))
        )
    return torch.stack(frames).unsqueeze(1)


def test_sequence_method_as_interpolator_and_as_ensemble_member():
    from monai_angio.baselines import QuadraticDISInterpolator

    frames, k = _moving_cine(), 2
    quad = QuadraticDISInterpolator()
    gaps = torch.stack(list(quad.sequence_gaps(frames, interpolation_times(k)))).clamp(0, 1)  # (T - 1, K, C, H, W)

    out, synth = SequenceInterpolator(quad, factor=k, progress=False)(frames)
    assert torch.equal(out[::3], frames) and int(synth.sum()) == 4 * k
    assert torch.allclose(out[1:].unflatten(0, (4, 3))[:, :k], gaps, atol=1e-6)

    # as the ensemble member (by name): the average of the pairwise network's frames and the cine-wide ones
    blend = Blend()
    out, _ = SequenceInterpolator(blend, factor=k, progress=False, ensemble="dis_flow_quadratic")(frames)
    linear = _expected(frames, k)[1:].unflatten(0, (4, 3))[:, :k]
    assert torch.allclose(out[1:].unflatten(0, (4, 3))[:, :k], (linear + gaps) / 2, atol=1e-6)
    assert len(blend.calls) == 1  # the network ran once on the 4 pairs (batch 4), without the member's pairwise pass
