# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from monai_angio.metrics import InterpolationErrorMetric, interpolation_error, psnr, ssim


def _plus_minus(shape, d: float, seed: int = 0) -> torch.Tensor:
    """Random signs times ``d``: a difference image whose mean square is exactly ``d**2``."""
    g = torch.Generator().manual_seed(seed)
    return d * (torch.randint(0, 2, shape, generator=g).double() * 2 - 1)


def test_identical_images_give_ssim_one_and_infinite_psnr():
    x = torch.rand(3, 1, 24, 20, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(ssim(x, x, 1.0), torch.ones(3), atol=1e-5)
    assert torch.isinf(psnr(x, x, 1.0)).all()
    assert torch.equal(interpolation_error(x, x), torch.zeros(3))


@pytest.mark.parametrize("data_range", [1.0, 255, 4095])
def test_psnr_matches_analytic_value(data_range):
    target = torch.rand(2, 1, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * data_range
    d = torch.tensor([0.01, 0.05], dtype=torch.float64) * data_range
    pred = target + torch.stack([_plus_minus((1, 16, 16), float(v), seed=i) for i, v in enumerate(d)])
    expected = 10 * torch.log10(data_range**2 / d**2)
    out = psnr(pred, target, data_range)
    assert out.shape == (2,) and out.dtype == torch.float32
    assert torch.allclose(out.double(), expected, atol=1e-4)


def test_interpolation_error_is_rms_in_grey_levels():
    target = torch.rand(2, 3, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    pred = target + torch.cat([_plus_minus((1, 3, 8, 8), 0.02), _plus_minus((1, 3, 8, 8), 0.1, 1)])
    assert torch.allclose(interpolation_error(pred, target), torch.tensor([0.02, 0.1]), atol=1e-6)
    ie255 = interpolation_error(pred, target, data_range=1.0)
    assert torch.allclose(ie255, torch.tensor([0.02 * 255, 0.1 * 255]), atol=1e-4)
    # same frames stored as 12-bit values give the same IE in 8-bit grey levels
    assert torch.allclose(interpolation_error(pred * 4095, target * 4095, data_range=4095), ie255, atol=1e-3)
    # PSNR and IE agree: PSNR = 20 log10(255 / IE) on a 255 scale
    assert torch.allclose(psnr(pred, target, 1.0), 20 * torch.log10(255 / ie255), atol=1e-4)


def test_ssim_matches_scikit_image():
    rng = np.random.default_rng(4)
    target = rng.random((32, 40))
    pred = np.clip(target + 0.3 * rng.standard_normal((32, 40)), 0, 1)
    ref = structural_similarity(
        pred, target, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim(pred, target, 1.0).item() == pytest.approx(ref, abs=5e-4)
    # scale invariance with the data range
    assert ssim(pred * 4095, target * 4095, 4095).item() == pytest.approx(ref, abs=5e-4)
    assert ssim(pred, target, 1.0).item() < 0.9  # clearly below the identical-image value


def test_lower_dimensional_and_numpy_inputs():
    a = np.random.default_rng(5).random((16, 16)).astype(np.float32)
    b = a + 0.1
    assert psnr(a, b, 1.0).shape == (1,)
    assert psnr(a[None], b[None], 1.0).item() == pytest.approx(20.0, abs=1e-3)
    assert ssim(torch.from_numpy(a), torch.from_numpy(b), 1.0).shape == (1,)
    assert interpolation_error(a.astype(np.uint8), b.astype(np.uint8)).shape == (1,)


def test_metric_class_aggregates_per_image_values():
    target = torch.zeros(2, 1, 4, 4, dtype=torch.float64)
    pred = target + torch.tensor([0.1, 0.3], dtype=torch.float64)[:, None, None, None]
    metric = InterpolationErrorMetric(data_range=1.0)
    metric(pred, target)
    metric(target, target)
    assert metric.aggregate().item() == pytest.approx((25.5 + 76.5 + 0 + 0) / 4, rel=1e-5)


def test_errors():
    x = torch.rand(1, 1, 16, 16)
    with pytest.raises(TypeError):
        psnr(x, x)  # data range is required
    for bad in (0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="data_range"):
            psnr(x, x, bad)
    with pytest.raises(TypeError, match="data_range"):
        ssim(x, x, None)
    with pytest.raises(ValueError, match="same shape"):
        psnr(x, x[..., :8], 1.0)
    y = x.clone()
    y[0, 0, 3, 3] = math.nan
    with pytest.raises(ValueError, match="NaN or Inf"):
        interpolation_error(y, x)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        psnr(x[None], x[None], 1.0)
    with pytest.raises(ValueError, match="window"):
        ssim(x[..., :8, :8], x[..., :8, :8], 1.0)
    with pytest.raises(TypeError):
        psnr([1.0, 2.0], x, 1.0)
