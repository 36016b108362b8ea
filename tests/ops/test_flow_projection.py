# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.ops import DepthAwareFlowProjection, depth_aware_flow_projection, fill_flow_holes


def _rand(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _uniform(b: int, h: int, w: int, fx: float, fy: float) -> torch.Tensor:
    flow = torch.empty(b, 2, h, w, dtype=torch.float64)
    flow[:, 0], flow[:, 1] = fx, fy
    return flow


@pytest.mark.parametrize(("fx", "fy", "t"), [(1.3, -0.7, 0.5), (3.0, 0.0, 1.0), (-4.4, 2.2, 0.25)])
def test_uniform_flow_projects_to_uniform_flow(fx: float, fy: float, t: float) -> None:
    flow = _uniform(2, 6, 7, fx, fy)
    depth = _rand(2, 1, 6, 7) + 0.5
    out = depth_aware_flow_projection(flow, depth, t)
    torch.testing.assert_close(out, -t * flow)


def test_holes_are_left_or_filled() -> None:
    # an integer shift of 3 columns leaves the first 3 columns empty
    flow = _uniform(1, 4, 6, 3.0, 0.0)
    depth = torch.ones(1, 1, 4, 6, dtype=torch.float64)
    raw = depth_aware_flow_projection(flow, depth, 1.0, fill_holes=False)
    assert torch.all(raw[..., :3] == 0)
    torch.testing.assert_close(raw[..., 3:], -flow[..., 3:])


def test_inverse_depth_weighting() -> None:
    # in a 1 x 4 row, pixels 0 and 1 both land on pixel 2 at t = 0.5; pixels 2 and 3 leave the image
    flow = torch.zeros(1, 2, 1, 4, dtype=torch.float64)
    flow[0, 0, 0] = torch.tensor([4.0, 2.0, 20.0, 20.0], dtype=torch.float64)
    depth = torch.tensor([[[[1.0, 4.0, 1.0, 1.0]]]], dtype=torch.float64)
    t = 0.5
    expected = -t * (4.0 / 1.0 + 2.0 / 4.0) / (1.0 / 1.0 + 1.0 / 4.0)  # nearer (smaller depth) source dominates
    raw = depth_aware_flow_projection(flow, depth, t, fill_holes=False)
    torch.testing.assert_close(raw[0, 0, 0], torch.tensor([0.0, 0.0, expected, expected], dtype=torch.float64))
    assert torch.all(raw[0, 1] == 0)
    filled = depth_aware_flow_projection(flow, depth, t)  # holes 0, 1 take the nearest valid flow on their right
    torch.testing.assert_close(filled[0, 0, 0], torch.full((4,), expected, dtype=torch.float64))


def test_fill_flow_holes_averages_four_directions() -> None:
    flow = torch.zeros(1, 2, 5, 5, dtype=torch.float64)
    valid = torch.zeros(1, 1, 5, 5, dtype=torch.bool)
    for (y, x), value in {(2, 0): 1.0, (2, 4): 2.0, (0, 2): 3.0, (4, 2): 6.0}.items():
        flow[0, :, y, x] = value
        valid[0, 0, y, x] = True
    out = fill_flow_holes(flow, valid)
    assert out[0, 0, 2, 2] == pytest.approx((1 + 2 + 3 + 6) / 4)  # the centre sees all four
    assert out[0, 1, 2, 1] == pytest.approx((1 + 2) / 2)  # row 2 only: columns 0 and 4
    assert out[0, 0, 1, 1] == 0  # nothing in row 1 or column 1
    torch.testing.assert_close(out[valid.expand_as(flow)], flow[valid.expand_as(flow)])
    with pytest.raises(ValueError, match="bool"):
        fill_flow_holes(flow, valid.double())


def test_time_per_batch_element() -> None:
    flow = (_rand(2, 2, 5, 6, seed=1) * 4 - 2).contiguous()
    depth = _rand(2, 1, 5, 6, seed=2) + 0.5
    t = torch.tensor([0.25, 0.75], dtype=torch.float64)
    out = depth_aware_flow_projection(flow, depth, t[:, None])
    for i in range(2):
        torch.testing.assert_close(
            out[i : i + 1], depth_aware_flow_projection(flow[i : i + 1], depth[i : i + 1], float(t[i]))
        )
    torch.testing.assert_close(DepthAwareFlowProjection()(flow, depth, t), out)


def test_gradcheck() -> None:
    flow = (_rand(1, 2, 4, 5, seed=3) * 3 - 1.5).requires_grad_(True)
    depth = (_rand(1, 1, 4, 5, seed=4) + 0.5).requires_grad_(True)
    t = torch.tensor([0.6], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda f, d, tt: depth_aware_flow_projection(f, d, tt), (flow, depth, t))
    assert torch.autograd.gradcheck(
        lambda f, d: depth_aware_flow_projection(f, d, 0.3, fill_holes=False), (flow, depth)
    )


def test_errors() -> None:
    flow, depth = torch.zeros(2, 2, 4, 5), torch.ones(2, 1, 4, 5)
    with pytest.raises(ValueError, match="depth_0 must have 1 channel"):
        depth_aware_flow_projection(flow, torch.ones(2, 2, 4, 5), 0.5)
    with pytest.raises(ValueError, match="depth_0 .* and flow .* must share"):
        depth_aware_flow_projection(flow, torch.ones(2, 1, 4, 4), 0.5)
    with pytest.raises(TypeError, match="depth_0 must be floating point"):
        depth_aware_flow_projection(flow, depth.long(), 0.5)
    with pytest.raises(ValueError, match="fold several times into the batch"):
        depth_aware_flow_projection(flow, depth, torch.full((2, 3), 0.5))
    with pytest.raises(TypeError, match="t must be a float or a tensor"):
        depth_aware_flow_projection(flow, depth, "0.5")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("fill_holes", [True, False])
def test_triton_parity(dtype: torch.dtype, fill_holes: bool, triton_device: torch.device, assert_parity) -> None:
    b, h, w = 2, 7, 9
    flow = (_rand(b, 2, h, w, seed=30, dtype=dtype) * 8 - 4).to(triton_device)
    depth = (_rand(b, 1, h, w, seed=31, dtype=dtype) + 0.5).to(triton_device)
    t = torch.tensor([0.3, 0.8], dtype=dtype, device=triton_device)
    tol = {"atol": 1e-10, "rtol": 1e-8} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-4}
    assert_parity(
        lambda f, d, tt, be: depth_aware_flow_projection(f, d, tt, fill_holes=fill_holes, backend=be),
        [flow, depth, t],
        **tol,
    )
