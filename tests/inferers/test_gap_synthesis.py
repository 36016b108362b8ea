# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.baselines import LinearInterpolator, QuadraticDISInterpolator
from monai_angio.inferers.gap_synthesis import (
    GapSynthesizer,
    average_members,
    is_sequence_method,
    member_stride,
    sequence_gaps,
)


class Strided(nn.Module):
    """``(1 - t) f0 + t f1 + offset``, recording the padded input sizes."""

    def __init__(self, stride: int = 1, offset: float = 0.0) -> None:
        super().__init__()
        self.stride, self.offset, self.calls = stride, offset, []

    def forward(self, f0, f1, t):
        self.calls.append(tuple(f0.shape))
        tt = t[:, :, None, None, None]
        return (1 - tt) * f0.unsqueeze(1) + tt * f1.unsqueeze(1) + self.offset


def test_member_stride_and_sequence_methods():
    assert member_stride([Strided(4), Strided(6), LinearInterpolator()]) == 12
    assert member_stride([]) == 1
    assert is_sequence_method(QuadraticDISInterpolator()) and not is_sequence_method(LinearInterpolator())
    assert not is_sequence_method(None)


def test_synthesizer_gives_each_member_unclamped_batched_outputs():
    first, second = torch.rand(5, 1, 10, 7), torch.rand(5, 1, 10, 7)
    times = torch.tensor([0.25, 0.75])
    a, b = Strided(4, offset=0.9), Strided(2, offset=-0.9)
    (out_a, out_b), moved = GapSynthesizer(batch_size=2)([a, b], first, second, times)
    assert out_a.shape == out_b.shape == (5, 2, 1, 10, 7) and moved == 0
    blend = (0.75 * first + 0.25 * second)[:, None]
    torch.testing.assert_close(out_a[:, :1], blend + 0.9)  # not clamped: the ensemble stage clamps
    torch.testing.assert_close(out_b[:, :1], blend - 0.9)
    assert [c[0] for c in a.calls] == [2, 2, 1]  # three batches
    assert all(c[-2:] == (12, 8) for c in a.calls + b.calls)  # padded to lcm(4, 2) = 4
    both = torch.stack([0.75 * first + 0.25 * second, 0.25 * first + 0.75 * second], 1)
    torch.testing.assert_close(average_members([out_a, out_b]), both)


def test_synthesizer_tiles_large_frames():
    first, second = torch.rand(2, 1, 40, 50), torch.rand(2, 1, 40, 50)
    member = Strided(8)
    (tiled,), _ = GapSynthesizer(tile_size=16)([member], first, second, torch.tensor([0.5]))
    assert max(c[-1] for c in member.calls) == 16
    torch.testing.assert_close(tiled[:, 0], 0.5 * (first + second), atol=1e-5, rtol=0)


@pytest.mark.parametrize("kwargs, match", [({"batch_size": 0}, "batch_size"), ({"tile_overlap": 1.0}, "tile_overlap")])
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GapSynthesizer(**kwargs)


def test_tile_must_be_a_multiple_of_the_stride():
    with pytest.raises(ValueError, match="multiple of the interpolator stride 8"):
        GapSynthesizer(tile_size=20).check_tile(8)
    GapSynthesizer(tile_size=24).check_tile(8)


def test_sequence_gaps_and_average():
    frames = torch.linspace(0.1, 0.9, 5)[:, None, None, None].expand(5, 1, 16, 16).contiguous()
    gaps = sequence_gaps(QuadraticDISInterpolator(), frames, torch.tensor([0.5]))
    assert gaps.shape == (4, 1, 1, 16, 16)
    torch.testing.assert_close(gaps[:, 0], 0.5 * (frames[:-1] + frames[1:]), atol=1e-3, rtol=0)
    assert torch.equal(average_members([torch.full((2,), 1.5)]), torch.ones(2))
    torch.testing.assert_close(average_members([torch.full((2,), 0.2), torch.full((2,), 0.6)]), torch.full((2,), 0.4))
    with pytest.raises(ValueError, match="no member"):
        average_members([])
