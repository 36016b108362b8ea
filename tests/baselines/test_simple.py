# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import pytest
import torch

from monai_angio.baselines import BASELINES, LinearInterpolator, RepeatInterpolator, get_baseline


def _pair(b: int = 2, c: int = 1, h: int = 5, w: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(b, c, h, w, generator=g), torch.rand(b, c, h, w, generator=g)


def test_repeat_nearest_in_time():
    f0, f1 = _pair()
    t = torch.tensor([[0.0, 0.25, 0.5, 0.75], [0.49, 0.51, 1.0, 0.1]])
    out = RepeatInterpolator()(f0, f1, t)
    assert out.shape == (2, 4, 1, 5, 6) and out.dtype == torch.float32
    for b in range(2):
        for n in range(4):
            expected = f1[b] if t[b, n] >= 0.5 else f0[b]
            assert torch.equal(out[b, n], expected)


def test_repeat_previous_frame_hold():
    f0, f1 = _pair(1)
    out = RepeatInterpolator(mode="previous")(f0, f1, torch.tensor([[0.2, 0.9, 1.0]]))
    assert torch.equal(out[0, 0], f0[0]) and torch.equal(out[0, 1], f0[0]) and torch.equal(out[0, 2], f1[0])
    with pytest.raises(ValueError, match="mode"):
        RepeatInterpolator(mode="next")


def test_linear_blend_values():
    f0, f1 = _pair(2, 3)
    t = torch.tensor([[0.0, 0.3, 1.0], [0.5, 0.8, 0.2]])
    out = LinearInterpolator()(f0, f1, t)
    assert out.shape == (2, 3, 3, 5, 6)
    for b in range(2):
        for n in range(3):
            assert torch.allclose(out[b, n], (1 - t[b, n]) * f0[b] + t[b, n] * f1[b], atol=1e-7)
    assert torch.equal(out[0, 0], f0[0]) and torch.equal(out[0, 2], f1[0])


def test_integer_frames_give_float_output():
    f0 = torch.zeros(1, 1, 2, 2, dtype=torch.int32)
    f1 = torch.full((1, 1, 2, 2), 4095, dtype=torch.int32)
    out = LinearInterpolator()(f0, f1, torch.tensor([[0.5]]))
    assert out.dtype == torch.float32 and torch.allclose(out, torch.full_like(out, 2047.5))


def test_registry():
    assert set(BASELINES) == {"repeat", "linear", "dis_flow", "dis_flow_quadratic"}
    assert isinstance(get_baseline("linear"), LinearInterpolator)
    assert get_baseline("repeat", mode="previous").mode == "previous"
    assert all(get_baseline(name).stride == 1 for name in BASELINES)
    with pytest.raises(ValueError, match="dis_flow, dis_flow_quadratic, linear, repeat"):
        get_baseline("cubic")


@pytest.mark.parametrize("cls", [RepeatInterpolator, LinearInterpolator])
def test_input_errors(cls):
    f0, f1 = _pair()
    t = torch.full((2, 1), 0.5)
    m = cls()
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        m(f0[0], f1[0], t)
    with pytest.raises(ValueError, match="shape of frame0"):
        m(f0, f1[..., :3], t)
    with pytest.raises(ValueError, match=r"t must be \(B, N\)"):
        m(f0, f1, torch.full((2,), 0.5))
    with pytest.raises(ValueError, match=r"t must be \(B, N\)"):
        m(f0, f1, torch.full((3, 1), 0.5))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m(f0, f1, torch.full((2, 1), 1.5))
    bad = f1.clone()
    bad[1, 0, 2, 2] = math.nan
    with pytest.raises(ValueError, match="frame1 contains NaN"):
        m(f0, bad, t)
    with pytest.raises(ValueError, match="t contains NaN"):
        m(f0, f1, torch.full((2, 1), math.inf))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m(f0.numpy(), f1, t)
