# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the monai_angio.io tests: real test files (skipped when absent) and small DICOM factories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data beside the project (``repo_root/../shared/data``); skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def xa_dicom_files(shared_data: Path) -> list[Path]:
    """The real multi-frame XA DICOM files (JPEG Lossless); skips when absent."""
    files = sorted((shared_data / "xa_dicom").glob("*.dcm"))
    if not files:
        pytest.skip("no XA DICOM files in shared data")
    return files


@pytest.fixture(scope="session")
def testdata() -> Callable[[str], str]:
    """Return a function giving the local path of a pydicom/pydicom-data test file (skip when not installed)."""
    from pydicom.data import get_testdata_file

    def get(name: str) -> str:
        path = get_testdata_file(name, download=False)
        if path is None:
            pytest.skip(f"pydicom test file {name} not available")
        return str(path)

    return get


def make_dataset(
    pixels: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    bits_stored: int | None = None,
    series_uid: str | None = None,
    instance_number: int | None = 1,
    modality: str = "OT",
    sop_class: str = SecondaryCaptureImageStorage,
    **attributes: object,
) -> Dataset:
    """A small uncompressed DICOM dataset holding ``pixels`` ((H, W) or (T, H, W), uint8/uint16/int16)."""
    pixels = np.asarray(pixels)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = "1.2.3.4"
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.PatientID = "TEST-PATIENT"
    ds.PatientName = "Test^Patient"
    ds.Modality = modality
    if instance_number is not None:
        ds.InstanceNumber = instance_number
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if np.issubdtype(pixels.dtype, np.signedinteger) else 0
    for key, value in attributes.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    return ds


@pytest.fixture
def write_dicom(tmp_path: Path) -> Callable[..., Path]:
    """Return ``write(name, pixels, **kwargs) -> Path`` writing :func:`make_dataset` to ``tmp_path / name``."""

    def write(name: str, pixels: np.ndarray, folder: Path | None = None, **kwargs: object) -> Path:
        path = (folder or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        make_dataset(pixels, **kwargs).save_as(path, enforce_file_format=True)
        return path

    return write


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
