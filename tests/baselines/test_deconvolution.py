# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from monai_angio.baselines.deconvolution import (
    RichardsonLucy,
    UnsharpMask,
    WienerDeconvolution,
    richardson_lucy,
    unsharp_mask,
    wiener_deconvolution,
)
from monai_angio.metrics import psnr
from monai_angio.phantoms import apply_kernel, focal_spot_kernel


def _image(h: int = 48, w: int = 40, seed: int = 0) -> torch.Tensor:
    """Smooth positive test image (1, 1, H, W) in [0.2, 0.8] with some edges."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 1, h // 4, w // 4, generator=g, dtype=torch.float64)
    x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    x[..., h // 3 : h // 2, w // 4 : w // 2] += 0.5
    return (0.2 + 0.6 * (x - x.min()) / (x.max() - x.min())).to(torch.float64)


def _kernel() -> np.ndarray:
    return focal_spot_kernel(1.2, sod_mm=750.0, sid_mm=1100.0, pixel_spacing_mm=0.154)


def test_wiener_identity_kernel_returns_input():
    x = _image()
    out = wiener_deconvolution(x, np.ones((1, 1)), balance=0.0)
    assert out.shape == x.shape and out.dtype == x.dtype
    torch.testing.assert_close(out, x, atol=1e-9, rtol=0)


def test_wiener_inverts_blur_without_noise():
    x = _image()
    k = _kernel()
    y = apply_kernel(x, k)
    out = wiener_deconvolution(y, k, balance=1e-6)
    gain = float(psnr(out, x, 1.0)[0] - psnr(y, x, 1.0)[0])
    assert gain > 10.0, gain
    # larger regularisation restores less
    out_reg = wiener_deconvolution(y, k, balance=1.0)
    assert float(psnr(out_reg, x, 1.0)[0]) < float(psnr(out, x, 1.0)[0])
    # the identity regulariser also works
    out_id = wiener_deconvolution(y, k, balance=1e-6, regularizer="identity")
    assert float(psnr(out_id, x, 1.0)[0]) > float(psnr(y, x, 1.0)[0]) + 10.0


def test_wiener_keeps_shape_for_batches_and_small_images():
    k = _kernel()
    x = torch.rand(2, 3, 5, 7)
    out = wiener_deconvolution(x, k, balance=0.01)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    unclipped = wiener_deconvolution(x * 4 - 2, np.ones((3, 3)) / 9, balance=0.01, clip=False)
    assert float(unclipped.min()) < 0


def test_richardson_lucy_matches_a_hand_computed_iteration():
    x = _image()
    k = _kernel()
    y = apply_kernel(x, k)
    yn = y[0, 0].numpy()
    # torch "reflect" padding is scipy's "mirror" mode; the ratio is correlated with the kernel (convolved with K^T)
    blurred = ndimage.convolve(yn, k, mode="mirror")
    expected = yn * ndimage.convolve(yn / blurred, k[::-1, ::-1], mode="mirror")
    out = richardson_lucy(y, k, num_iter=1, clip=False)
    np.testing.assert_allclose(out[0, 0].numpy(), expected, rtol=1e-10, atol=1e-12)


def test_richardson_lucy_restores_and_zero_iterations_is_identity():
    x = _image()
    k = _kernel()
    y = apply_kernel(x, k)
    torch.testing.assert_close(richardson_lucy(y, k, num_iter=0), y)
    p_blur = float(psnr(y, x, 1.0)[0])
    p10 = float(psnr(richardson_lucy(y, k, num_iter=10), x, 1.0)[0])
    p50 = float(psnr(richardson_lucy(y, k, num_iter=50), x, 1.0)[0])
    assert p10 > p_blur + 2.0 and p50 > p10
    # the estimate stays non-negative and keeps the mean brightness of a positive image
    out = richardson_lucy(y, k, num_iter=20, clip=False)
    assert float(out.min()) >= 0
    assert abs(float(out.mean() - y.mean())) < 0.01


def test_unsharp_mask_values():
    flat = torch.full((1, 1, 16, 16), 0.4)
    torch.testing.assert_close(unsharp_mask(flat, sigma=1.5, amount=2.0), flat)
    step = torch.zeros(1, 1, 16, 16)
    step[..., 8:] = 0.5
    step += 0.25
    torch.testing.assert_close(unsharp_mask(step, amount=0.0), step)
    sharp = unsharp_mask(step, sigma=1.0, amount=1.0)
    # overshoot on both sides of the edge, unchanged far from it
    assert float(sharp[0, 0, 0, 8]) > 0.75 and float(sharp[0, 0, 0, 7]) < 0.25
    torch.testing.assert_close(sharp[..., :3], step[..., :3])
    # explicit formula x + a (x - G x), with G the pixel-integrated Gaussian (a zero focal spot + detector blur)
    from monai_angio.phantoms import FocalSpotBlur

    gauss = FocalSpotBlur(0.0, detector_sigma_px=1.0).kernel(0.0)
    blur = apply_kernel(step, gauss)
    torch.testing.assert_close(unsharp_mask(step, 1.0, 0.7, clip=False), step + 0.7 * (step - blur))


def test_modules_match_functions():
    k = _kernel()
    x = apply_kernel(_image().float(), k)
    torch.testing.assert_close(WienerDeconvolution(k, 0.01)(x), wiener_deconvolution(x, k, 0.01))
    torch.testing.assert_close(RichardsonLucy(k, 5)(x), richardson_lucy(x, k, 5))
    torch.testing.assert_close(UnsharpMask(1.5, 0.5)(x), unsharp_mask(x, 1.5, 0.5))
    for m in (WienerDeconvolution(k), RichardsonLucy(k), UnsharpMask()):
        assert m.stride == 1
        with pytest.raises(ValueError, match="B, C, H, W"):
            m(x[0])


def test_input_checks():
    k = _kernel()
    x = torch.rand(1, 1, 8, 8)
    with pytest.raises(TypeError, match="floating point"):
        wiener_deconvolution(torch.ones(1, 1, 8, 8, dtype=torch.uint8), k)
    with pytest.raises(TypeError, match="torch.Tensor"):
        richardson_lucy(np.ones((8, 8)), k)
    with pytest.raises(ValueError, match="odd sides"):
        wiener_deconvolution(x, np.ones((4, 4)))
    with pytest.raises(ValueError, match="non-negative"):
        richardson_lucy(x, -np.ones((3, 3)))
    with pytest.raises(ValueError, match="positive mass"):
        richardson_lucy(x, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        unsharp_mask(torch.full((1, 1, 8, 8), float("nan")))
    with pytest.raises(ValueError, match="balance"):
        wiener_deconvolution(x, k, balance=-1.0)
    with pytest.raises(ValueError, match="regularizer"):
        WienerDeconvolution(k, regularizer="tv")
    with pytest.raises(ValueError, match="num_iter"):
        RichardsonLucy(k, num_iter=-1)
    with pytest.raises(ValueError, match="sigma"):
        UnsharpMask(sigma=0.0)
