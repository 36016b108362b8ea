# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.load: the load_sequence dispatcher and describe."""

from __future__ import annotations

import shutil

import h5py
import nibabel as nib
import numpy as np
import pytest
import tifffile
from contract import READER_META_KEYS

from monai_angio.io import describe, load_sequence, write_dicom_cine, write_frames
from monai_angio.io.load import detect_format

CONTRACT_KEYS = READER_META_KEYS


@pytest.fixture
def inputs(tmp_path, rng, write_dicom):
    """One small input of every supported format, all holding the same (3, 8, 10) uint8 frames."""
    frames = rng.integers(0, 256, (3, 8, 10)).astype(np.uint8)
    paths = {}
    paths["dicom"] = write_dicom_cine(tmp_path / "cine" / "IM0001", frames, frame_time_ms=40.0)  # no extension
    series = tmp_path / "series"
    for i, f in enumerate(frames):
        write_dicom(f"i{i}", f, folder=series, series_uid="1.2.3", instance_number=i + 1)
    paths["dicom_series"] = series
    write_frames(tmp_path / "pngs", frames, 8)
    paths["image_folder"] = tmp_path / "pngs"
    tifffile.imwrite(tmp_path / "stack.tiff", frames, photometric="minisblack")
    paths["tiff"] = tmp_path / "stack.tiff"
    with h5py.File(tmp_path / "vol.hdf5", "w") as f:
        f.create_dataset("volumes/raw", data=frames)
    paths["hdf5"] = tmp_path / "vol.hdf5"
    nib.save(nib.Nifti1Image(np.transpose(frames, (2, 1, 0)), np.eye(4)), tmp_path / "vol.nii.gz")
    paths["nifti"] = tmp_path / "vol.nii.gz"
    return frames, paths


def test_every_format_loads_the_same_frames(inputs):
    frames, paths = inputs
    for fmt, path in paths.items():
        assert detect_format(path) == fmt
        out, meta = load_sequence(path)
        np.testing.assert_array_equal(out, frames, err_msg=fmt)
        assert CONTRACT_KEYS <= set(meta), fmt
        assert meta["format"] == fmt and meta["number_of_frames"] == 3
        assert meta["bits_stored"] == 8 and meta["filename"] == str(path)
        times = meta["frame_times_ms"]
        assert times is None or (len(times) == 3 and times[0] == 0.0)
    assert load_sequence(paths["dicom"])[1]["frame_times_ms"] == pytest.approx([0, 40, 80])


def test_describe(inputs):
    _, paths = inputs
    info = describe(paths["dicom"])
    assert info["format"] == "dicom" and info["frames"] == 3 and info["size"] == (8, 10)
    assert info["bits_stored"] == 8 and info["fps"] == pytest.approx(25.0) and info["modality"] == "XA"
    info = describe(paths["image_folder"])
    assert info["format"] == "image_folder" and info["frames"] == 3 and info["fps"] is None
    assert describe(paths["dicom_series"])["frames"] == 3


def test_describe_real_xa(xa_dicom_files):
    info = describe(xa_dicom_files[0])
    assert info["modality"] == "XA" and info["bits_stored"] == 8 and info["fps"] == pytest.approx(15.0, rel=1e-3)
    assert "JPEG Lossless" in info["transfer_syntax"]


def test_describe_mixed_series_fails(tmp_path, write_dicom):
    write_dicom("a.dcm", np.zeros((2, 2), np.uint8), series_uid="1.2.3.1")
    write_dicom("b.dcm", np.zeros((2, 2), np.uint8), series_uid="1.2.3.2")
    with pytest.raises(ValueError, match="mixes 2 series"):
        describe(tmp_path)


def test_colour_and_luminance(tmp_path, rng):
    rgb = rng.integers(0, 256, (2, 4, 4, 3)).astype(np.uint8)
    write_frames(tmp_path, rgb, 8)
    assert load_sequence(tmp_path)[0].shape == (2, 4, 4, 3)
    assert load_sequence(tmp_path, luminance=True)[0].shape == (2, 4, 4)


def test_single_png(tmp_path):
    path = write_frames(tmp_path, np.ones((1, 3, 3), np.uint16) * 700, 12)[0]
    frames, meta = load_sequence(path)
    assert frames.shape == (1, 3, 3) and frames.dtype == np.uint16 and meta["format"] == "image"


def test_bad_inputs(tmp_path, testdata):
    with pytest.raises(FileNotFoundError):
        load_sequence(tmp_path / "nope.dcm")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty.*no DICOM or image files"):
        load_sequence(tmp_path / "empty")
    (tmp_path / "data.xyz").write_bytes(b"\x01\x02\x03" * 100)
    with pytest.raises(ValueError, match=r"data\.xyz.*unrecognised"):
        load_sequence(tmp_path / "data.xyz")
    shutil.copy(testdata("rtplan.dcm"), tmp_path / "plan")  # no extension, DICM preamble, no pixels
    with pytest.raises(ValueError, match="plan.*no pixel data"):
        load_sequence(tmp_path / "plan")
    with pytest.raises(ValueError, match="no pixel data"):
        describe(tmp_path / "plan")
    nan = np.zeros((2, 3, 3), np.float32)
    nan[0, 1, 1] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", nan, photometric="minisblack")
    with pytest.raises(ValueError, match=r"nan\.tif.*NaN"):
        load_sequence(tmp_path / "nan.tif")
