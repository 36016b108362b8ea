# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from monai_angio.baselines import (
    DISFlowInterpolator,
    LinearInterpolator,
    dis_optical_flow,
    flow_consistency_weight,
    intermediate_flows,
    to_uint8_pair,
)
from monai_angio.metrics import psnr

SIZE = 48
MARGIN = 8  # content entering through the border cannot be interpolated; measure inside


def _texture(seed: int = 0, size: int = 128) -> np.ndarray:
    """Smooth random texture in [0, 1]."""
    noise = np.random.default_rng(seed).random((size, size)).astype(np.float32)
    tex = cv2.GaussianBlur(noise, (0, 0), 2.5)
    return (tex - tex.min()) / (tex.max() - tex.min())


def _shifted(tex: np.ndarray, dx: int, dy: int) -> torch.Tensor:
    """``(1, 1, SIZE, SIZE)`` window whose content is ``tex`` moved by (dx, dy) pixels."""
    y0, x0 = 40 - dy, 40 - dx
    return torch.from_numpy(tex[y0 : y0 + SIZE, x0 : x0 + SIZE].copy())[None, None]


def _inner(x: torch.Tensor) -> torch.Tensor:
    return x[..., MARGIN:-MARGIN, MARGIN:-MARGIN]


@pytest.fixture(scope="module")
def moving_pair():
    tex = _texture()
    return _shifted(tex, 0, 0), _shifted(tex, 8, 4), _shifted(tex, 4, 2), _shifted(tex, 2, 1)


def test_flow_direction_and_magnitude(moving_pair):
    f0, f1, _, _ = moving_pair
    for preset in ("fast", "medium"):
        flow01, flow10 = dis_optical_flow(f0, f1, preset)
        assert flow01.shape == (1, 2, SIZE, SIZE) and flow01.dtype == torch.float32
        # content moves by +8 px in x (columns) and +4 px in y (rows) from frame0 to frame1
        assert torch.allclose(_inner(flow01).mean((2, 3)), torch.tensor([[8.0, 4.0]]), atol=0.5)
        assert torch.allclose(_inner(flow10).mean((2, 3)), torch.tensor([[-8.0, -4.0]]), atol=0.5)


@pytest.mark.parametrize("shape", [(48, 48), (47, 47), (49, 45)])
def test_odd_sizes_are_measured_as_even_ones(shape):
    # OpenCV's pyramid halves odd sizes unevenly; the padding to DIS_SIZE_MULTIPLE keeps the flow unbiased
    tex = torch.from_numpy(_texture(seed=3))
    h, w = shape
    f0, f1 = tex[40 : 40 + h, 40 : 40 + w], tex[40 : 40 + h, 37 : 37 + w]  # content moves by +3 px in x
    flow01, flow10 = dis_optical_flow(f0[None, None], f1[None, None], "medium")
    assert flow01.shape == (1, 2, h, w)
    assert torch.allclose(_inner(flow01).mean((2, 3)), torch.tensor([[3.0, 0.0]]), atol=0.02)
    assert torch.allclose(_inner(flow10).mean((2, 3)), torch.tensor([[-3.0, 0.0]]), atol=0.02)


def test_middle_frame_beats_linear_blend(moving_pair):
    f0, f1, mid, _ = moving_pair
    t = torch.tensor([[0.5]])
    dis = DISFlowInterpolator()(f0, f1, t)[:, 0]
    lin = LinearInterpolator()(f0, f1, t)[:, 0]
    p_dis = psnr(_inner(dis), _inner(mid), 1.0).item()
    p_lin = psnr(_inner(lin), _inner(mid), 1.0).item()
    assert p_dis > p_lin + 3.0
    assert p_dis > 35.0


def test_several_times_in_one_call(moving_pair):
    f0, f1, mid, quarter = moving_pair
    t = torch.tensor([[0.0, 0.25, 0.5, 1.0]])
    out = DISFlowInterpolator("fast")(f0, f1, t)
    assert out.shape == (1, 4, 1, SIZE, SIZE) and out.dtype == torch.float32
    assert torch.allclose(out[:, 0], f0, atol=1e-5)
    assert torch.allclose(out[:, 3], f1, atol=1e-5)
    assert psnr(_inner(out[:, 2]), _inner(mid), 1.0).item() > 30.0
    assert psnr(_inner(out[:, 1]), _inner(quarter), 1.0).item() > 30.0


def test_high_bit_depth_input_matches_unit_range(moving_pair):
    f0, f1, mid, _ = moving_pair
    t = torch.tensor([[0.5]])
    m = DISFlowInterpolator()
    ref = m(f0, f1, t)
    for scale in (4095.0, 65535.0):
        out = m(f0 * scale, f1 * scale, t)
        assert torch.allclose(out / scale, ref, atol=1e-5)
    # integer 12-bit frames (0..4095) are accepted and interpolated on their own scale
    q0, q1 = (torch.round(f * 4095).to(torch.int32) for f in (f0, f1))
    out = m(q0, q1, t)
    assert out.dtype == torch.float32 and out.max() > 1.0
    assert psnr(_inner(out[:, 0]), _inner(mid * 4095), 4095).item() > 35.0


def test_batch_and_colour_frames():
    tex = _texture(1)
    # batch: two pairs with different motion; colour: three channels moving together
    f0 = torch.cat([_shifted(tex, 0, 0), _shifted(tex, 0, 0)])
    f1 = torch.cat([_shifted(tex, 4, 0), _shifted(tex, 0, -6)])
    mid = torch.cat([_shifted(tex, 2, 0), _shifted(tex, 0, -3)])
    rgb = torch.tensor([1.0, 0.6, 0.3])[None, :, None, None]
    out = DISFlowInterpolator()(f0 * rgb, f1 * rgb, torch.full((2, 1), 0.5))
    assert out.shape == (2, 1, 3, SIZE, SIZE)
    for b in range(2):
        assert psnr(_inner(out[b, 0]), _inner(mid[b] * rgb[0]), 1.0).item() > 35.0
    assert torch.allclose(out[:, 0, 1], 0.6 * out[:, 0, 0], atol=1e-5)  # same flow for every channel


def test_constant_pair_and_two_channel_frames():
    f = torch.full((1, 2, 16, 16), 0.25)
    out = DISFlowInterpolator("ultrafast")(f, f, torch.tensor([[0.5]]))
    assert torch.allclose(out[:, 0], f)


def test_helpers():
    a = np.array([[10.0, 20.0]])
    b = np.array([[30.0, 61.0]])
    a8, b8 = to_uint8_pair(a, b)  # joint range 10..61 -> 0..255, 5 levels per unit
    assert a8.dtype == np.uint8 and a8.tolist() == [[0, 50]] and b8.tolist() == [[100, 255]]
    z8, _ = to_uint8_pair(np.ones((2, 2)), np.ones((2, 2)))
    assert not z8.any()

    g = torch.Generator().manual_seed(0)
    f01 = torch.randn(1, 2, 8, 8, generator=g)
    f10 = torch.randn(1, 2, 8, 8, generator=g)
    ft0, ft1 = intermediate_flows(f01, f10, torch.tensor([[0.0, 0.5, 1.0]]))
    assert ft0.shape == (1, 3, 2, 8, 8)
    assert torch.allclose(ft0[:, 0], torch.zeros_like(f01)) and torch.allclose(ft1[:, 2], torch.zeros_like(f01))
    assert torch.allclose(ft0[:, 2], f10) and torch.allclose(ft1[:, 0], f01)
    assert torch.allclose(ft0[:, 1], 0.25 * (f10 - f01))

    shift = torch.zeros(1, 2, 8, 8)
    shift[:, 0] = 2.0
    assert torch.allclose(flow_consistency_weight(shift, -shift), torch.ones(1, 1, 8, 8))
    assert (flow_consistency_weight(shift, shift) < 1e-5).all()  # both say +2 px: 4 px round-trip error


def test_errors(moving_pair):
    f0, f1, _, _ = moving_pair
    m = DISFlowInterpolator()
    with pytest.raises(ValueError, match="preset"):
        DISFlowInterpolator("slow")
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        m(f0[0], f1[0], torch.tensor([[0.5]]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        m(f0, f1, torch.tensor([[-0.1]]))
    bad = f0.clone()
    bad[0, 0, 0, 0] = math.nan
    with pytest.raises(ValueError, match="NaN or Inf"):
        m(bad, f1, torch.tensor([[0.5]]))
    with pytest.raises(ValueError, match="one shape"):
        dis_optical_flow(f0, f1[..., :8])
