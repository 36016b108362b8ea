# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.hdf5.read_hdf5 (CREMI layout)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from monai_angio.io import read_hdf5


def test_cremi_layout(tmp_path, rng):
    vol = rng.integers(0, 256, (5, 8, 9)).astype(np.uint8)
    path = tmp_path / "sample.hdf"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("volumes/raw", data=vol)
        ds.attrs["resolution"] = np.array([40.0, 4.0, 5.0])
        f.create_dataset("volumes/labels/neuron_ids", data=np.zeros((5, 8, 9), np.uint64))
    read, meta = read_hdf5(path)
    np.testing.assert_array_equal(read, vol)
    assert meta["format"] == "hdf5" and meta["number_of_frames"] == 5 and meta["bits_stored"] == 8
    assert meta["pixel_spacing"] == pytest.approx((4e-6, 5e-6))  # nm -> mm, (y, x)
    assert meta["slice_spacing_nm"] == 40.0 and meta["dataset"] == "volumes/raw"
    assert meta["frame_times_ms"] is None


def test_single_other_dataset_and_explicit_name(tmp_path, rng):
    vol = rng.integers(0, 65535, (3, 4, 4)).astype(np.uint16)
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=vol)
    read, meta = read_hdf5(path)
    np.testing.assert_array_equal(read, vol)
    assert meta["pixel_spacing"] is None
    read, _ = read_hdf5(path, dataset="data")
    np.testing.assert_array_equal(read, vol)


def test_real_fibsem(shared_data):
    path = shared_data / "em" / "fibsem_training_sample1.hdf"
    if not path.is_file():
        pytest.skip("FIB-SEM sample absent")
    read, meta = read_hdf5(path)
    with h5py.File(path) as f:
        shape = f["volumes/raw"].shape
        res = f["volumes/raw"].attrs["resolution"]
    assert read.shape == shape and read.dtype == np.uint8
    assert meta["pixel_spacing"] == pytest.approx((res[1] / 1e6, res[2] / 1e6))


def test_bad_hdf5(tmp_path):
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("a", data=np.zeros((2, 3, 3)))
        f.create_dataset("b", data=np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"two\.h5.*volumes/raw"):
        read_hdf5(path)
    with pytest.raises(ValueError, match=r"two\.h5.*'c' not found"):
        read_hdf5(path, dataset="c")
    nan = tmp_path / "nan.h5"
    with h5py.File(nan, "w") as f:
        f.create_dataset("volumes/raw", data=np.full((2, 3, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match=r"nan\.h5.*NaN"):
        read_hdf5(nan)
    fake = tmp_path / "fake.h5"
    fake.write_text("not hdf5")
    with pytest.raises(ValueError, match=r"fake\.h5"):
        read_hdf5(fake)
