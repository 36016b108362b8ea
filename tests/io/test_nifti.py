# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.nifti.read_nifti."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from monai_angio.io import read_nifti


def test_volume_as_slices(tmp_path, rng):
    vol = rng.integers(0, 4096, (6, 5, 4)).astype(np.uint16)  # (x, y, z)
    img = nib.Nifti1Image(vol, np.diag([0.5, 0.75, 2.0, 1.0]))
    img.header.set_xyzt_units("mm")
    path = tmp_path / "vol.nii.gz"
    nib.save(img, path)
    frames, meta = read_nifti(path)
    assert frames.shape == (4, 5, 6) and frames.dtype == np.uint16
    for k in range(4):
        np.testing.assert_array_equal(frames[k], vol[:, :, k].T)
    assert meta["pixel_spacing"] == pytest.approx((0.75, 0.5))
    assert meta["slice_spacing_mm"] == pytest.approx(2.0)
    assert meta["format"] == "nifti" and meta["frame_times_ms"] is None


def test_2d_plus_time(tmp_path, rng):
    data = rng.integers(0, 256, (6, 5, 1, 3)).astype(np.uint8)
    img = nib.Nifti1Image(data, np.eye(4))
    img.header.set_zooms((0.3, 0.3, 1.0, 0.066))
    img.header.set_xyzt_units("mm", "sec")
    path = tmp_path / "cine.nii"
    nib.save(img, path)
    frames, meta = read_nifti(path)
    assert frames.shape == (3, 5, 6) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames[2], data[:, :, 0, 2].T)
    assert meta["frame_time_ms"] == pytest.approx(66.0)
    assert meta["frame_times_ms"] == pytest.approx([0, 66, 132])


def test_scaling_applied(tmp_path, rng):
    data = rng.integers(0, 100, (3, 3, 2)).astype(np.int16)
    img = nib.Nifti1Image(data, np.eye(4))
    img.header.set_slope_inter(0.5, 10)
    path = tmp_path / "s.nii"
    nib.save(img, path)
    frames, _ = read_nifti(path)
    assert frames.dtype == np.float32
    np.testing.assert_allclose(frames, np.transpose(data * 0.5 + 10, (2, 1, 0)))


def test_bad_nifti(tmp_path):
    data = np.zeros((3, 3, 2, 2), np.float32)
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "4d.nii")
    with pytest.raises(ValueError, match=r"4d\.nii.*neither"):
        read_nifti(tmp_path / "4d.nii")
    data = np.zeros((3, 3, 2), np.float32)
    data[0, 0, 1] = np.nan
    nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / "nan.nii")
    with pytest.raises(ValueError, match=r"nan\.nii.*NaN"):
        read_nifti(tmp_path / "nan.nii")
    (tmp_path / "junk.nii").write_bytes(b"junk" * 10)
    with pytest.raises(ValueError, match=r"junk\.nii"):
        read_nifti(tmp_path / "junk.nii")
