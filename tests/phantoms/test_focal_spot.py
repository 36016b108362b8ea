# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from monai_angio.phantoms.focal_spot import (
    FocalSpotBlur,
    RandFocalSpotBlurd,
    apply_kernel,
    focal_spot_kernel,
    geometric_unsharpness_mm,
)

FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def _std(kernel: np.ndarray, axis: int) -> float:
    """Standard deviation (pixels) of a kernel's marginal along ``axis`` (0 rows, 1 columns)."""
    marginal = kernel.sum(axis=1 - axis)
    x = np.arange(marginal.size) - marginal.size // 2
    mean = (marginal * x).sum()
    return float(np.sqrt((marginal * (x - mean) ** 2).sum()))


def _gaussian_sigma(kernel: np.ndarray) -> float:
    """Sigma of the underlying Gaussian: pixel integration adds a box of variance 1/12."""
    return math.sqrt(_std(kernel, 1) ** 2 - 1.0 / 12.0)


@pytest.mark.parametrize("profile", ["gaussian", "line_focus"])
@pytest.mark.parametrize("focal_spot", [0.3, 0.7, 1.2])
def test_kernel_normalised_odd_symmetric(profile, focal_spot):
    k = focal_spot_kernel(focal_spot, profile, sod_mm=700, sid_mm=1200, pixel_spacing_mm=0.15)
    assert k.ndim == 2 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert (k >= 0).all()
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-12)
    c = k.shape[0] // 2
    assert k.shape[0] > 1 and k[c].sum() > k[0].sum()


def test_gaussian_width_matches_geometry_and_is_linear():
    # M - 1 = 1, spacing 0.1 mm: FWHM in pixels = 10 * f
    sigmas = []
    for f in (0.4, 0.8, 1.6):
        k = focal_spot_kernel(f, "gaussian", sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.1, size=101)
        sigma = _gaussian_sigma(k)
        assert sigma == pytest.approx(10 * f * FWHM_TO_SIGMA, rel=0.01)
        sigmas.append(sigma)
    assert sigmas[1] / sigmas[0] == pytest.approx(2.0, rel=0.01)
    assert sigmas[2] / sigmas[1] == pytest.approx(2.0, rel=0.01)


def test_width_linear_in_magnification_minus_one():
    # sod fixed, (M - 1) = 0.5, 1.0, 2.0
    widths = [
        _gaussian_sigma(focal_spot_kernel(1.0, "gaussian", sod_mm=400, sid_mm=sid, pixel_spacing_mm=0.2, size=81))
        for sid in (600, 800, 1200)
    ]
    assert widths[1] / widths[0] == pytest.approx(2.0, rel=0.01)
    assert widths[2] / widths[1] == pytest.approx(2.0, rel=0.01)
    assert geometric_unsharpness_mm(1.0, 400, 1200) == pytest.approx(2.0)


def test_anisotropic_spacing_scales_each_axis():
    k = focal_spot_kernel(1.0, "gaussian", sod_mm=500, sid_mm=1000, pixel_spacing_mm=(0.1, 0.2), size=61)
    assert _std(k, 0) / _std(k, 1) == pytest.approx(2.0, rel=0.03)


def test_line_focus_has_two_lobes_across_lobe_axis():
    k = focal_spot_kernel(2.0, "line_focus", sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.1, lobe_axis=1)
    c = k.shape[0] // 2
    row = k[c]  # across the lobes (columns)
    peaks = [i for i in range(1, row.size - 1) if row[i] > row[i - 1] and row[i] >= row[i + 1]]
    assert len(peaks) == 2
    assert peaks[0] - c == -(peaks[1] - c)  # symmetric
    assert abs(peaks[1] - c) == pytest.approx(0.30 * 20, abs=1.0)  # lobes at +-0.3 f, f = 20 px
    assert row[c] < 0.6 * row[peaks[1]]  # clear dip between the lobes
    col = k[:, peaks[1]]  # along a lobe: a single flat top, no dip
    col_peaks = [i for i in range(1, col.size - 1) if col[i] > col[i - 1] and col[i] > col[i + 1]]
    assert len(col_peaks) <= 1
    assert col[c] == pytest.approx(col.max(), rel=1e-3)
    k0 = focal_spot_kernel(2.0, "line_focus", sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.1, lobe_axis=0)
    np.testing.assert_allclose(k0, k.T, atol=1e-12)


def test_gaussian_has_single_peak():
    k = focal_spot_kernel(2.0, "gaussian", sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.1)
    c = k.shape[0] // 2
    assert np.unravel_index(k.argmax(), k.shape) == (c, c)


def test_zero_focal_spot_is_delta():
    assert focal_spot_kernel(0.0).tolist() == [[1.0]]
    k = focal_spot_kernel(0.0, "line_focus", size=5)
    expected = np.zeros((5, 5))
    expected[2, 2] = 1.0
    np.testing.assert_array_equal(k, expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"focal_spot_mm": -0.1},
        {"focal_spot_mm": 1.0, "sod_mm": 1000, "sid_mm": 1000},
        {"focal_spot_mm": 1.0, "sod_mm": 1000, "sid_mm": 900},
        {"focal_spot_mm": 1.0, "sod_mm": -5},
        {"focal_spot_mm": 1.0, "profile": "box"},
        {"focal_spot_mm": 1.0, "size": 4},
        {"focal_spot_mm": 1.0, "pixel_spacing_mm": 0.0},
        {"focal_spot_mm": float("nan")},
    ],
)
def test_kernel_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        focal_spot_kernel(**kwargs)


def test_blur_bad_arguments():
    with pytest.raises(ValueError):
        FocalSpotBlur(focal_spot_mm=(1.2, 0.3))
    with pytest.raises(ValueError):
        FocalSpotBlur(focal_spot_mm=-1.0)
    with pytest.raises(ValueError):
        FocalSpotBlur(sod_mm=1200, sid_mm=1100)
    with pytest.raises(ValueError):
        FocalSpotBlur(photons=0)
    blur = FocalSpotBlur()
    with pytest.raises(TypeError):
        blur(np.zeros((8, 8), dtype=np.uint16))
    with pytest.raises(ValueError):
        blur(np.zeros((1, 1, 1, 8, 8), dtype=np.float32))


def test_apply_kernel_is_a_true_convolution():
    kernel = np.zeros((3, 3))
    kernel[0, 2] = 1.0  # asymmetric; convolving a centred delta must reproduce the kernel unflipped
    image = torch.zeros(9, 9, dtype=torch.float64)
    image[4, 4] = 1.0
    out = apply_kernel(image, kernel, padding_mode="constant")
    np.testing.assert_array_equal(out[3:6, 3:6].numpy(), kernel)
    assert out.sum().item() == pytest.approx(1.0)


@pytest.mark.parametrize("shape", [(20, 23), (2, 20, 23), (2, 1, 20, 23)])
@pytest.mark.parametrize("as_numpy", [True, False])
def test_constant_image_stays_constant(shape, as_numpy):
    blur = FocalSpotBlur(focal_spot_mm=1.2, profile="line_focus", detector_sigma_px=1.0, pixel_spacing_mm=0.1)
    image = np.full(shape, 0.37, dtype=np.float32)
    x = image if as_numpy else torch.from_numpy(image)
    out = blur(x)
    assert type(out) is type(x)
    assert tuple(out.shape) == shape and out.dtype == x.dtype
    np.testing.assert_allclose(np.asarray(out), 0.37, atol=1e-6)


def test_small_image_with_large_kernel_keeps_shape():
    blur = FocalSpotBlur(focal_spot_mm=1.2, pixel_spacing_mm=0.05)
    assert blur.kernel().shape[0] > 8
    out = blur(torch.full((1, 4, 5), 0.5))
    assert out.shape == (1, 4, 5)
    torch.testing.assert_close(out, torch.full((1, 4, 5), 0.5))


def _high_frequency_energy(image: np.ndarray) -> float:
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(image - image.mean()))) ** 2
    h, w = image.shape
    yy, xx = np.mgrid[:h, :w]
    radius = np.hypot((yy - h // 2) / h, (xx - w // 2) / w)
    return float(spectrum[radius > 0.25].sum())


def test_blur_reduces_high_frequency_energy_more_for_larger_spots():
    rng = np.random.default_rng(0)
    image = rng.random((64, 64)).astype(np.float64)
    energies = [_high_frequency_energy(image)]
    for f in (0.3, 0.6, 1.2):
        out = FocalSpotBlur(focal_spot_mm=f, pixel_spacing_mm=0.1)(image)
        energies.append(_high_frequency_energy(out))
        assert out.mean() == pytest.approx(image.mean(), abs=0.01)
    assert energies[0] > energies[1] > energies[2] > energies[3]
    assert energies[3] < 0.05 * energies[0]


def test_poisson_noise_on_flat_field():
    photons, level = 1000.0, 0.25
    blur = FocalSpotBlur(focal_spot_mm=0.6, photons=photons, seed=3)
    out = blur(np.full((128, 128), level, dtype=np.float64))
    assert out.mean() == pytest.approx(level, rel=0.01)
    assert out.std() == pytest.approx(math.sqrt(level / photons), rel=0.05)
    # values are quanta / photons
    np.testing.assert_allclose(out * photons, np.round(out * photons), atol=1e-6)


def test_seeded_determinism_and_random_range():
    image = torch.rand(1, 24, 24, generator=torch.Generator().manual_seed(0))
    a = FocalSpotBlur(focal_spot_mm=(0.3, 1.2), photons=500, seed=7)
    b = FocalSpotBlur(focal_spot_mm=(0.3, 1.2), photons=500, seed=7)
    c = FocalSpotBlur(focal_spot_mm=(0.3, 1.2), photons=500, seed=8)
    out_a, out_b, out_c = a(image), b(image), c(image)
    torch.testing.assert_close(out_a, out_b)
    assert a.last_focal_spot_mm == b.last_focal_spot_mm
    assert not torch.equal(out_a, out_c)
    drawn = []
    for _ in range(20):
        a(image)
        drawn.append(a.last_focal_spot_mm)
    assert all(0.3 <= f <= 1.2 for f in drawn) and len(set(drawn)) == 20
    np.testing.assert_allclose(a.kernel(), a.kernel(drawn[-1]))


def test_kernel_includes_detector_blur():
    spot = FocalSpotBlur(focal_spot_mm=1.0, sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.2)
    both = FocalSpotBlur(focal_spot_mm=1.0, sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.2, detector_sigma_px=2.0)
    var_spot, var_both = _std(spot.kernel(size=41), 1) ** 2, _std(both.kernel(size=41), 1) ** 2
    # variances add; the pixel-integrated detector Gaussian has variance sigma^2 + 1/12
    assert var_both - var_spot == pytest.approx(4.0 + 1.0 / 12.0, rel=0.02)
    k = both.kernel(size=7)
    assert k.shape == (7, 7) and k.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        FocalSpotBlur(focal_spot_mm=(0.3, 1.2)).kernel()


def test_rand_focal_spot_blurd_creates_pairs():
    image = torch.rand(1, 32, 32, generator=torch.Generator().manual_seed(1))
    data = {"image": MetaTensor(image.clone(), meta={"filename_or_obj": "frame.png"})}
    t = RandFocalSpotBlurd(keys="image", focal_spot_mm=(0.3, 1.2), photons=2000, focal_spot_key="focal_spot")
    t.set_random_state(5)
    out = t(data)
    assert set(out) == {"image", "blurred", "focal_spot"}
    torch.testing.assert_close(out["image"].as_tensor(), image)  # input untouched
    assert out["blurred"].shape == image.shape
    assert isinstance(out["blurred"], MetaTensor) and out["blurred"].meta["filename_or_obj"] == "frame.png"
    assert 0.3 <= out["focal_spot"] <= 1.2
    assert not torch.equal(out["blurred"].as_tensor(), image)
    # reproducible with the same seed
    t2 = RandFocalSpotBlurd(keys="image", focal_spot_mm=(0.3, 1.2), photons=2000, focal_spot_key="focal_spot")
    t2.set_random_state(5)
    out2 = t2(data)
    torch.testing.assert_close(out2["blurred"].as_tensor(), out["blurred"].as_tensor())
    assert out2["focal_spot"] == out["focal_spot"]


def test_rand_focal_spot_blurd_prob_zero_and_keys():
    data = {"a": np.full((1, 8, 8), 0.5, dtype=np.float32), "b": np.zeros((1, 8, 8), dtype=np.float32)}
    out = RandFocalSpotBlurd(keys=("a", "b"), output_key=("a_blur", "b_blur"), prob=0.0)(data)
    np.testing.assert_array_equal(out["a_blur"], data["a"])
    assert out["a_blur"] is not data["a"]
    with pytest.raises(ValueError):
        RandFocalSpotBlurd(keys=("a", "b"), output_key="blurred")
    with pytest.raises(KeyError):
        RandFocalSpotBlurd(keys="missing")(data)


def test_apply_kernel_gradcheck():
    kernel = focal_spot_kernel(1.0, "line_focus", sod_mm=500, sid_mm=1000, pixel_spacing_mm=0.5)
    x = torch.rand(1, 6, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: apply_kernel(a, kernel), (x,))


def test_kernel_sigma_and_channel_value():
    from monai_angio.phantoms import KERNEL_CHANNEL_SCALE, kernel_channel_value, kernel_sigma

    x = np.arange(-10, 11, dtype=np.float64)
    gauss = np.exp(-0.5 * (x / 1.7) ** 2)
    assert kernel_sigma(np.outer(gauss, gauss)) == pytest.approx(1.7, rel=1e-4)  # a Gaussian: its sigma
    delta = np.zeros((3, 3))
    delta[1, 1] = 1.0
    assert kernel_sigma(delta) == 0.0
    small, large = (focal_spot_kernel(f) for f in (0.6, 1.2))
    assert kernel_sigma(large) > 1.8 * kernel_sigma(small)  # linear in the focal spot (pixel rounding aside)
    assert kernel_sigma(focal_spot_kernel(1.0, profile="line_focus")) > 0
    assert kernel_channel_value(large, 0.6) == pytest.approx(0.6 + KERNEL_CHANNEL_SCALE * kernel_sigma(large))
    with pytest.raises(ValueError, match="non-negative"):
        kernel_sigma(-delta)
    with pytest.raises(ValueError, match="2-D"):
        kernel_sigma(np.ones(3))
