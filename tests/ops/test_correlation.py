# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import importlib

import pytest
import torch

from monai_angio.ops import Correlation, correlation

# the function shadows its module's name in monai_angio.ops
corr_module = importlib.import_module("monai_angio.ops.correlation")


def _rand(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _naive(f1: torch.Tensor, f2: torch.Tensor, d: int) -> torch.Tensor:
    b, c, h, w = f1.shape
    out = torch.zeros(b, (2 * d + 1) ** 2, h, w, dtype=f1.dtype)
    for k, (dy, dx) in enumerate((dy, dx) for dy in range(-d, d + 1) for dx in range(-d, d + 1)):
        for y in range(h):
            for x in range(w):
                if 0 <= y + dy < h and 0 <= x + dx < w:
                    out[:, k, y, x] = (f1[:, :, y, x] * f2[:, :, y + dy, x + dx]).sum(1) / c
    return out


@pytest.mark.parametrize("d", [0, 1, 2])
def test_matches_definition(d: int) -> None:
    f1, f2 = _rand(2, 3, 4, 5, seed=1), _rand(2, 3, 4, 5, seed=2)
    out = correlation(f1, f2, d)
    assert out.shape == (2, (2 * d + 1) ** 2, 4, 5)
    torch.testing.assert_close(out, _naive(f1, f2, d))


def test_shifted_features_peak_at_the_shift() -> None:
    f1 = _rand(1, 16, 9, 9, seed=3)
    f2 = torch.zeros_like(f1)
    f2[..., 1:, :-2] = f1[..., :-1, 2:]  # f2(y, x) = f1(y - 1, x + 2): content moved 1 down, 2 left
    out = correlation(f1, f2, 2)
    k = (1 + 2) * 5 + (-2 + 2)  # displacement dy = +1, dx = -2
    interior = (slice(None), slice(None, -1), slice(2, None))
    torch.testing.assert_close(out[:, k][interior], (f1**2).mean(1)[interior])
    assert torch.all(out.argmax(dim=1)[interior] == k)


def test_gradcheck() -> None:
    f1 = _rand(1, 2, 3, 4, seed=4).requires_grad_(True)
    f2 = _rand(1, 2, 3, 4, seed=5).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: correlation(a, b, 1), (f1, f2))
    # the reference has a hand-written backward: check that it is differentiable too
    assert torch.autograd.gradgradcheck(lambda a, b: correlation(a, b, 1), (f1, f2))


def test_row_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # on the CPU the reference works on bands of rows; force one-row bands on a tiny input
    monkeypatch.setattr(corr_module, "_row_chunks", lambda feat: [(y, y + 1) for y in range(feat.shape[2])])
    f1 = _rand(1, 2, 4, 5, seed=8)
    f2 = _rand(1, 2, 4, 5, seed=9)
    torch.testing.assert_close(correlation(f1, f2, 2), _naive(f1, f2, 2))
    small = (_rand(1, 1, 3, 3, seed=10).requires_grad_(True), _rand(1, 1, 3, 3, seed=11).requires_grad_(True))
    assert torch.autograd.gradcheck(lambda a, b: correlation(a, b, 1), small)
    assert torch.autograd.gradgradcheck(lambda a, b: correlation(a, b, 1), small)


def test_module() -> None:
    f1, f2 = _rand(1, 4, 5, 5, seed=6), _rand(1, 4, 5, 5, seed=7)
    torch.testing.assert_close(Correlation(max_displacement=2)(f1, f2), correlation(f1, f2, 2))


def test_errors() -> None:
    f1 = _rand(1, 2, 4, 5)
    with pytest.raises(ValueError, match="must match"):
        correlation(f1, _rand(1, 3, 4, 5))
    with pytest.raises(ValueError, match="max_displacement"):
        correlation(f1, f1, -1)
    with pytest.raises(ValueError, match="max_displacement"):
        Correlation(1.5)
    with pytest.raises(TypeError, match="feat2 must be floating point"):
        correlation(f1, f1.long())
    with pytest.raises(ValueError, match="4-D"):
        correlation(f1[0], f1[0])


@pytest.mark.parametrize(("dtype", "d"), [(torch.float64, 1), (torch.float64, 2), (torch.float32, 3)])
def test_triton_parity(dtype: torch.dtype, d: int, triton_device: torch.device, assert_parity) -> None:
    f1 = _rand(2, 3, 7, 9, seed=50, dtype=dtype).to(triton_device)
    f2 = _rand(2, 3, 7, 9, seed=51, dtype=dtype).to(triton_device)
    tol = {"atol": 1e-10, "rtol": 1e-8} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-4}
    assert_parity(lambda a, b, be: correlation(a, b, d, backend=be), [f1, f2], **tol)
