# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from PIL import Image

from monai_angio.transforms import (
    HistogramSpecificationd,
    MaskRectanglesd,
    ScaleBitDepthd,
    histogram_specification,
    mask_rectangles,
)


def _cine(dtype=np.uint16, bits=12, shape=(1, 3, 6, 5), seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 2**bits, size=shape).astype(dtype)
    return MetaTensor(torch.from_numpy(arr), meta={"filename_or_obj": "cine.dcm", "bits_stored": bits})


def test_scale_bit_depth_from_meta():
    img = _cine()
    img[0, 0, 0, 0] = 4095
    img[0, 0, 0, 1] = 0
    out = ScaleBitDepthd("image")({"image": img})["image"]
    assert isinstance(out, MetaTensor)
    assert out.dtype == torch.float32
    assert out.shape == img.shape
    np.testing.assert_allclose(out.numpy(), img.numpy().astype(np.float64) / 4095.0, rtol=1e-6)
    assert out[0, 0, 0, 0] == 1.0 and out[0, 0, 0, 1] == 0.0
    assert out.meta["filename_or_obj"] == "cine.dcm"
    assert out.meta["scaled_bits"] == 12


def test_scale_bit_depth_given_bits_and_numpy():
    arr = np.array([[0, 128, 255]], dtype=np.uint8)
    out = ScaleBitDepthd("x", bits=8)({"x": arr})["x"]
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, arr / 255.0, rtol=1e-6)
    # given bits override the meta
    img = _cine(bits=12)
    out = ScaleBitDepthd("image", bits=16)({"image": img})["image"]
    np.testing.assert_allclose(out.numpy(), img.numpy() / 65535.0, rtol=1e-6)


def test_scale_bit_depth_errors():
    with pytest.raises(ValueError, match="bits_stored"):
        ScaleBitDepthd("x")({"x": np.zeros((2, 2), dtype=np.uint8)})
    with pytest.raises(ValueError, match="cine.dcm"):
        ScaleBitDepthd("x")({"x": MetaTensor(torch.zeros(2, 2), meta={"filename_or_obj": "cine.dcm"})})
    with pytest.raises(ValueError, match="bits"):
        ScaleBitDepthd("x", bits=0)
    once = ScaleBitDepthd("image")({"image": _cine()})
    with pytest.raises(ValueError, match="already scaled"):
        ScaleBitDepthd("image")(once)


def test_histogram_specification_exact_matches_reference_values():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 8, size=(16, 16)).astype(np.uint8)  # many ties
    reference = (rng.beta(2.0, 5.0, size=(16, 16)) * 255).astype(np.uint8)
    out = histogram_specification(image, reference)
    assert out.shape == image.shape and out.dtype == reference.dtype
    np.testing.assert_array_equal(np.sort(out.ravel()), np.sort(reference.ravel()))
    # monotonic: a brighter input pixel never gets a smaller value
    flat_in, flat_out = image.ravel().astype(int), out.ravel().astype(int)
    for v in np.unique(flat_in)[:-1]:
        assert flat_out[flat_in == v].max() <= flat_out[flat_in > v].min()


def test_histogram_specification_different_sizes_quantiles():
    rng = np.random.default_rng(2)
    image = rng.normal(size=(40, 30)).astype(np.float32)
    reference = rng.exponential(size=(100, 77)).astype(np.float32)
    out = histogram_specification(image, reference)
    q = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(np.quantile(out, q), np.quantile(reference, q), atol=0.05)
    assert np.isin(out, reference).all()
    # rank preserved for distinct inputs
    assert np.all(np.diff(out.ravel()[np.argsort(image.ravel())]) >= 0)


def test_histogram_specification_classic_keeps_ties():
    image = np.array([[0, 0, 1, 1], [2, 2, 3, 3]], dtype=np.uint8)
    reference = np.arange(8, dtype=np.uint8)[None] * 10
    out = histogram_specification(image, reference, exact=False)
    for v in range(4):
        assert len(np.unique(out[image == v])) == 1
    assert np.all(np.diff([out[image == v][0] for v in range(4)]) > 0)


def test_histogram_specificationd_per_frame_and_path(tmp_path):
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 256, size=(8, 8)).astype(np.uint8)
    ref_path = tmp_path / "ref.png"
    Image.fromarray(reference).save(ref_path)
    cine = MetaTensor(torch.rand(1, 3, 8, 8), meta={"filename_or_obj": "em.h5"})
    cine[0, 1] *= 0.1  # a darker frame: matched per frame it gets the full reference distribution anyway
    out = HistogramSpecificationd("image", reference=ref_path)({"image": cine})["image"]
    assert isinstance(out, MetaTensor) and out.meta["filename_or_obj"] == "em.h5"
    assert out.shape == cine.shape and out.dtype == torch.uint8
    for t in range(3):
        np.testing.assert_array_equal(np.sort(out[0, t].numpy().ravel()), np.sort(reference.ravel()))
    as_float = HistogramSpecificationd("image", reference=reference, dtype=np.float32)({"image": cine})["image"]
    assert as_float.dtype == torch.float32
    whole = HistogramSpecificationd("image", reference=reference, per_frame=False)({"image": cine})["image"]
    assert whole[0, 1].float().mean() < whole[0, 0].float().mean()  # relative brightness between frames kept


def test_histogram_specification_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        HistogramSpecificationd("x", reference=tmp_path / "missing.png")
    with pytest.raises(ValueError, match="NaN"):
        histogram_specification(np.array([[0.0, np.nan]]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="2 dimensions"):
        histogram_specification(np.zeros(4), np.ones((2, 2)))


def test_mask_rectangles_values():
    img = MetaTensor(torch.arange(2 * 3 * 5 * 6, dtype=torch.float32).reshape(2, 3, 5, 6) + 1, meta={"a": 1})
    out = MaskRectanglesd("image", rectangles=[(1, 2, 3, 2), (5, 0, 10, 1)])({"image": img})["image"]
    assert isinstance(out, MetaTensor) and out.meta["a"] == 1
    expected = img.numpy().copy()
    expected[..., 2:4, 1:4] = 0
    expected[..., 0:1, 5:6] = 0  # clipped at the image border
    np.testing.assert_array_equal(out.numpy(), expected)
    assert img.min() > 0  # input untouched


def test_mask_rectangles_median_per_frame():
    frames = np.stack([np.full((4, 4), 10 * (t + 1), dtype=np.uint16) for t in range(3)])
    frames[:, 0, 0] = 1000  # text pixel inside the rectangle must not influence the median
    out = mask_rectangles(frames, [(0, 0, 2, 1)], value="median")
    assert out.dtype == np.uint16
    for t in range(3):
        assert (out[t, 0, :2] == 10 * (t + 1)).all()
    np.testing.assert_array_equal(out[:, 1:], frames[:, 1:])


def test_mask_rectangles_errors():
    img = np.zeros((4, 4), dtype=np.uint8)
    with pytest.raises(ValueError, match="outside"):
        mask_rectangles(img, [(4, 0, 1, 1)])
    with pytest.raises(ValueError, match="4 integers"):
        MaskRectanglesd("x", rectangles=[(0, 0, 1)])
    with pytest.raises(ValueError, match="width, height > 0"):
        MaskRectanglesd("x", rectangles=[(0, 0, 0, 2)])
    with pytest.raises(ValueError, match="median"):
        MaskRectanglesd("x", rectangles=[(0, 0, 1, 1)], value="mean")
    with pytest.raises(ValueError, match="cover all"):
        mask_rectangles(img, [(0, 0, 4, 4)], value="median")
    with pytest.raises(ValueError, match="does not fit"):
        mask_rectangles(img, [(0, 0, 1, 1)], value=300)


@pytest.mark.parametrize("bits, dtype", [(8, np.uint8), (10, np.uint16), (12, np.uint16), (16, np.uint16)])
def test_quantize_inverts_scale(bits, dtype):
    from monai_angio.transforms import quantize_bit_depth, scale_bit_depth

    stored = np.random.default_rng(bits).integers(0, 2**bits, size=(3, 5, 7)).astype(dtype)
    back = quantize_bit_depth(scale_bit_depth(stored, bits), bits)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, stored)
    assert quantize_bit_depth(np.array([-0.5, 1.5]), bits).tolist() == [0, 2**bits - 1]


def test_quantize_rejects_bad_input():
    from monai_angio.transforms import quantize_bit_depth

    with pytest.raises(ValueError, match="NaN"):
        quantize_bit_depth(np.array([np.nan]), 8)
    with pytest.raises(ValueError, match="bits"):
        quantize_bit_depth(np.zeros(3), 17)
