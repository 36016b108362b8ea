# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.ops import SPLAT_MODES, ForwardSplat, forward_splat


def _rand(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _weight(mode: str, shape: tuple[int, ...], seed: int = 5) -> torch.Tensor | None:
    if mode == "linear":
        return _rand(*shape, seed=seed) + 0.2
    if mode == "softmax":
        return _rand(*shape, seed=seed) * 4 - 2
    return None


@pytest.mark.parametrize("mode", SPLAT_MODES)
def test_zero_flow_is_identity(mode: str) -> None:
    values = _rand(2, 3, 5, 6)
    out = forward_splat(values, torch.zeros(2, 2, 5, 6, dtype=torch.float64), _weight(mode, (2, 1, 5, 6)), mode)
    torch.testing.assert_close(out, values)


def test_integer_flow_shifts() -> None:
    values = _rand(1, 2, 5, 6)
    flow = torch.zeros(1, 2, 5, 6, dtype=torch.float64)
    flow[:, 0] = 2.0  # each pixel moves two columns right
    flow[:, 1] = 1.0  # and one row down
    out = forward_splat(values, flow)
    torch.testing.assert_close(out[..., 1:, 2:], values[..., :-1, :-2])
    assert torch.all(out[..., :1, :] == 0) and torch.all(out[..., :2] == 0)


def test_fractional_flow_spreads_bilinearly() -> None:
    values = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    values[0, 0, 1, 1] = 8.0
    flow = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    flow[0, 0, 1, 1] = 0.25
    flow[0, 1, 1, 1] = 0.5
    out = forward_splat(values, flow)[0, 0]
    expected = torch.zeros(4, 4, dtype=torch.float64)
    expected[1, 1], expected[1, 2] = 8 * 0.75 * 0.5, 8 * 0.25 * 0.5
    expected[2, 1], expected[2, 2] = 8 * 0.75 * 0.5, 8 * 0.25 * 0.5
    torch.testing.assert_close(out, expected)


def test_sum_conserves_mass() -> None:
    g = torch.Generator().manual_seed(3)
    values = torch.zeros(2, 3, 12, 12, dtype=torch.float64)
    values[..., 3:9, 3:9] = torch.rand(2, 3, 6, 6, generator=g, dtype=torch.float64)
    flow = torch.rand(2, 2, 12, 12, generator=g, dtype=torch.float64) * 5 - 2.5  # |flow| < 3: stays inside
    out = forward_splat(values, flow, mode="sum")
    torch.testing.assert_close(out.sum(dim=(2, 3)), values.sum(dim=(2, 3)))
    # what leaves the image is lost
    shifted = forward_splat(values, torch.full_like(flow, 5.5), mode="sum")
    assert float(shifted.sum()) < float(values.sum())


def test_collision_modes() -> None:
    # pixels 0 and 1 of a 1 x 4 row both land on pixel 2; pixels 2 and 3 leave the image
    values = torch.tensor([[[[2.0, 6.0, 1.0, 1.0]]]], dtype=torch.float64)
    flow = torch.zeros(1, 2, 1, 4, dtype=torch.float64)
    flow[0, 0, 0] = torch.tensor([2.0, 1.0, 10.0, 10.0], dtype=torch.float64)
    metric = torch.tensor([[[[1.0, 3.0, 1.0, 1.0]]]], dtype=torch.float64)
    assert forward_splat(values, flow, mode="sum")[0, 0, 0, 2] == pytest.approx(8.0)
    assert forward_splat(values, flow, mode="average")[0, 0, 0, 2] == pytest.approx(4.0)
    assert forward_splat(values, flow, metric, mode="linear")[0, 0, 0, 2] == pytest.approx((2 + 3 * 6) / 4)
    soft = forward_splat(values, flow, metric, mode="softmax")[0, 0, 0, 2]
    e1, e3 = torch.exp(torch.tensor(1.0)), torch.exp(torch.tensor(3.0))
    assert float(soft) == pytest.approx(float((2 * e1 + 6 * e3) / (e1 + e3)))
    # normalised modes leave empty pixels at 0
    for mode in ("average", "linear", "softmax"):
        out = forward_splat(values, flow, None if mode == "average" else metric, mode=mode)
        assert torch.all(out[0, 0, 0, :2] == 0)


def test_softmax_is_stable_for_large_metrics() -> None:
    values = _rand(1, 2, 4, 5)
    flow = _rand(1, 2, 4, 5, seed=1) * 2 - 1
    metric = _rand(1, 1, 4, 5, seed=2)
    out = forward_splat(values, flow, metric + 1000.0, mode="softmax")
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, forward_splat(values, flow, metric, mode="softmax"))


@pytest.mark.parametrize("mode", SPLAT_MODES)
def test_gradcheck(mode: str) -> None:
    values = _rand(1, 2, 4, 5, seed=10).requires_grad_(True)
    flow = (_rand(1, 2, 4, 5, seed=11) * 3 - 1.5).requires_grad_(True)
    weight = _weight(mode, (1, 1, 4, 5))
    if weight is None:
        assert torch.autograd.gradcheck(lambda v, f: forward_splat(v, f, mode=mode), (values, flow))
    else:
        weight.requires_grad_(True)
        assert torch.autograd.gradcheck(lambda v, f, z: forward_splat(v, f, z, mode=mode), (values, flow, weight))


def test_module_matches_function() -> None:
    values, flow, metric = _rand(1, 2, 4, 5), _rand(1, 2, 4, 5, seed=1) * 2, _rand(1, 1, 4, 5, seed=2)
    torch.testing.assert_close(
        ForwardSplat("softmax")(values, flow, metric), forward_splat(values, flow, metric, "softmax")
    )


def test_float32_and_float64_flow() -> None:
    values = _rand(1, 2, 4, 5, dtype=torch.float32)
    out = forward_splat(values, torch.zeros(1, 2, 4, 5, dtype=torch.float64), mode="average")
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, values)


def test_errors() -> None:
    values, flow = _rand(1, 2, 4, 5), torch.zeros(1, 2, 4, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="needs a weight"):
        forward_splat(values, flow, mode="softmax")
    with pytest.raises(ValueError, match="takes no weight"):
        forward_splat(values, flow, torch.ones(1, 1, 4, 5), mode="sum")
    with pytest.raises(ValueError, match=r"weight must have shape \(1, 1, 4, 5\)"):
        forward_splat(values, flow, torch.ones(1, 2, 4, 5), mode="linear")
    with pytest.raises(TypeError, match="weight must be a floating-point"):
        forward_splat(values, flow, torch.ones(1, 1, 4, 5, dtype=torch.int64), mode="linear")
    with pytest.raises(ValueError, match="mode must be one of"):
        forward_splat(values, flow, mode="max")
    with pytest.raises(ValueError, match="mode must be one of"):
        ForwardSplat("max")
    with pytest.raises(ValueError, match="values .* and flow .* must share"):
        forward_splat(values, torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="backend must be one of"):
        forward_splat(values, flow, backend="cuda")


@pytest.mark.parametrize("mode", SPLAT_MODES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_triton_parity(mode: str, dtype: torch.dtype, triton_device: torch.device, assert_parity) -> None:
    b, c, h, w = 2, 2, 7, 9
    values = _rand(b, c, h, w, seed=20, dtype=dtype).to(triton_device)
    flow = (_rand(b, 2, h, w, seed=21, dtype=dtype) * 6 - 3).to(triton_device)  # some land outside
    weight = _weight(mode, (b, 1, h, w), seed=22)
    tol = {"atol": 1e-10, "rtol": 1e-8} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-4}
    if weight is None:
        assert_parity(lambda v, f, be: forward_splat(v, f, mode=mode, backend=be), [values, flow], **tol)
    else:
        weight = weight.to(device=triton_device, dtype=dtype)
        assert_parity(lambda v, f, z, be: forward_splat(v, f, z, mode, backend=be), [values, flow, weight], **tol)


def test_triton_parity_flow_gradient_only(triton_device: torch.device, assert_parity) -> None:
    values = _rand(1, 3, 6, 5, seed=23).to(triton_device)
    flow = (_rand(1, 2, 6, 5, seed=24) * 4 - 2).to(triton_device)
    assert_parity(lambda v, f, be: forward_splat(v, f, backend=be), [values, flow], differentiable=[False, True])
    assert_parity(lambda v, f, be: forward_splat(v, f, backend=be), [values, flow], differentiable=[True, False])
