# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.tiff.read_tiff (multi-page TIFF)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from monai_angio.io import read_tiff


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_multipage_round_trip(tmp_path, rng, dtype):
    frames = rng.integers(0, np.iinfo(dtype).max, (5, 7, 9)).astype(dtype)
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, frames)
    read, meta = read_tiff(path)
    assert read.dtype == dtype
    np.testing.assert_array_equal(read, frames)
    assert meta["format"] == "tiff" and meta["number_of_frames"] == 5
    assert meta["bits_stored"] == np.dtype(dtype).itemsize * 8


def test_imagej_frame_interval_and_spacing(tmp_path, rng):
    frames = rng.integers(0, 4096, (4, 6, 6)).astype(np.uint16)
    path = tmp_path / "ij.tif"
    tifffile.imwrite(
        path,
        frames,
        imagej=True,
        resolution=(1 / 0.25, 1 / 0.5),
        metadata={"axes": "TYX", "finterval": 0.04, "unit": "mm"},
    )
    read, meta = read_tiff(path)
    np.testing.assert_array_equal(read, frames)
    assert meta["frame_time_ms"] == pytest.approx(40.0)
    assert meta["frame_times_ms"] == pytest.approx([0, 40, 80, 120])
    assert meta["pixel_spacing"] == pytest.approx((0.5, 0.25))


def test_rgb_pages_and_luminance(tmp_path, rng):
    frames = rng.integers(0, 256, (3, 4, 5, 3)).astype(np.uint8)
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, frames, photometric="rgb")
    read, meta = read_tiff(path)
    np.testing.assert_array_equal(read, frames)
    assert meta["photometric_interpretation"] == "RGB"
    lum, _ = read_tiff(path, luminance=True)
    assert lum.shape == (3, 4, 5)
    expected = frames.astype(float) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(lum - expected).max() <= 0.5 + 1e-6


def test_single_page_is_one_frame(tmp_path):
    path = tmp_path / "one.tiff"
    tifffile.imwrite(path, np.arange(12, dtype=np.uint16).reshape(3, 4))
    read, _ = read_tiff(path)
    assert read.shape == (1, 3, 4)


def test_bad_tiff(tmp_path):
    path = tmp_path / "bad.tif"
    path.write_bytes(b"II*\x00garbage")
    with pytest.raises(ValueError, match=r"bad\.tif"):
        read_tiff(path)
    nan = np.zeros((2, 3, 3), np.float32)
    nan[1, 2, 2] = np.inf
    tifffile.imwrite(tmp_path / "inf.tif", nan, photometric="minisblack")
    with pytest.raises(ValueError, match=r"inf\.tif.*Inf"):
        read_tiff(tmp_path / "inf.tif")
