# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.ops import BILINEAR_TAPS, AdaptiveWarp, adaptive_warp, backward_warp


def _rand(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _delta(taps: tuple[int, ...], b: int, h: int, w: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    kernel = torch.zeros(b, 16, h, w, dtype=dtype)
    kernel[:, list(taps)] = 1.0
    return kernel


def test_bilinear_kernel_reproduces_backward_warp() -> None:
    image = _rand(2, 3, 6, 7).requires_grad_(True)
    flow = (_rand(2, 2, 6, 7, seed=1) * 6 - 3).requires_grad_(True)  # some positions fall outside: border
    out = adaptive_warp(image, flow, _delta(BILINEAR_TAPS, 2, 6, 7))
    ref = backward_warp(image, flow, padding_mode="border")
    torch.testing.assert_close(out, ref)
    upstream = _rand(2, 3, 6, 7, seed=2)
    grads = torch.autograd.grad(out, (image, flow), upstream)
    ref_grads = torch.autograd.grad(ref, (image, flow), upstream)
    for got, expected in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize(("tap", "dy", "dx"), [(5, 0, 0), (0, -1, -1), (1, -1, 0), (4, 0, -1), (15, 2, 2), (7, 0, 2)])
def test_single_tap_with_zero_flow_is_a_shift(tap: int, dy: int, dx: int) -> None:
    # with zero flow only the top-left quadrant (taps 0, 1, 4, 5) has a non-zero bilinear coefficient
    image = _rand(1, 2, 6, 7)
    flow = torch.zeros(1, 2, 6, 7, dtype=torch.float64)
    out = adaptive_warp(image, flow, _delta((tap,), 1, 6, 7))
    if tap in (0, 1, 4, 5):
        rows = (torch.arange(6) + dy).clamp(0, 5)
        cols = (torch.arange(7) + dx).clamp(0, 6)
        torch.testing.assert_close(out, image[:, :, rows][:, :, :, cols])
    else:
        assert torch.all(out == 0)


def test_quadrant_weights() -> None:
    # a kernel of ones everywhere sums each 2 x 2 quadrant with its bilinear coefficient
    image = _rand(1, 1, 6, 6)
    flow = torch.zeros(1, 2, 6, 6, dtype=torch.float64)
    flow[:, 0], flow[:, 1] = 0.25, 0.75
    out = adaptive_warp(image, flow, torch.ones(1, 16, 6, 6, dtype=torch.float64))[0, 0, 2, 2]
    im = image[0, 0]
    tl, tr, bl, br = im[1:3, 1:3].sum(), im[1:3, 3:5].sum(), im[3:5, 1:3].sum(), im[3:5, 3:5].sum()
    expected = 0.75 * 0.25 * tl + 0.25 * 0.25 * tr + 0.75 * 0.75 * bl + 0.25 * 0.75 * br
    assert float(out) == pytest.approx(float(expected))


def test_gradcheck() -> None:
    image = _rand(1, 2, 4, 5, seed=3).requires_grad_(True)
    flow = (_rand(1, 2, 4, 5, seed=4) * 3 - 1.5).requires_grad_(True)
    kernel = (_rand(1, 16, 4, 5, seed=5) - 0.5).requires_grad_(True)
    assert torch.autograd.gradcheck(adaptive_warp, (image, flow, kernel))


def test_module_and_dtypes() -> None:
    image = _rand(1, 2, 4, 5, dtype=torch.float32)
    flow, kernel = _rand(1, 2, 4, 5, seed=1), _rand(1, 16, 4, 5, seed=2)
    out = AdaptiveWarp()(image, flow, kernel)
    assert out.dtype == torch.float32 and out.shape == (1, 2, 4, 5)
    torch.testing.assert_close(out, adaptive_warp(image.double(), flow, kernel).float())


def test_errors() -> None:
    image, flow = _rand(1, 2, 4, 5), torch.zeros(1, 2, 4, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="16 channels"):
        adaptive_warp(image, flow, torch.zeros(1, 9, 4, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="kernel .* and flow .* must share"):
        adaptive_warp(image, flow, torch.zeros(1, 16, 5, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="kernel must be floating point"):
        adaptive_warp(image, flow, torch.zeros(1, 16, 4, 5, dtype=torch.int32))
    with pytest.raises(ValueError, match="image .* and flow .* must share"):
        adaptive_warp(image[:, :, :3], flow, torch.zeros(1, 16, 4, 5, dtype=torch.float64))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_triton_parity(dtype: torch.dtype, triton_device: torch.device, assert_parity) -> None:
    b, c, h, w = 2, 2, 7, 9
    image = _rand(b, c, h, w, seed=40, dtype=dtype).to(triton_device)
    flow = (_rand(b, 2, h, w, seed=41, dtype=dtype) * 8 - 4).to(triton_device)
    kernel = (_rand(b, 16, h, w, seed=42, dtype=dtype) - 0.3).to(triton_device)
    tol = {"atol": 1e-10, "rtol": 1e-8} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-4}
    assert_parity(lambda x, f, k, be: adaptive_warp(x, f, k, backend=be), [image, flow, kernel], **tol)


def test_triton_parity_without_image_gradient(triton_device: torch.device, assert_parity) -> None:
    image = _rand(1, 3, 5, 6, seed=43).to(triton_device)
    flow = (_rand(1, 2, 5, 6, seed=44) * 4 - 2).to(triton_device)
    kernel = _rand(1, 16, 5, 6, seed=45).to(triton_device)
    assert_parity(
        lambda x, f, k, be: adaptive_warp(x, f, k, backend=be),
        [image, flow, kernel],
        differentiable=[False, True, True],
    )
