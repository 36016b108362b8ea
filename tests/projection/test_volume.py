# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of ``monai_angio.projection.volume``: DICOM series (gantry tilt, irregular gaps) resampled to a regular grid,
NIfTI round trip, HU to attenuation, errors, and the real GE head CT (skipped when ``../shared/data`` is absent)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
import torch
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from monai_angio.projection.volume import MU_WATER_PER_MM, hu_to_attenuation, load_volume, mu_water

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAD_CT = REPO_ROOT.parent / "shared" / "data" / "head" / "ct_head_ge"

CENTRE = np.array([3.0, -2.0, 1.5])  # sphere centre, LPS mm
RADIUS = 8.0
SIZE = 48  # pixels per side, 1 mm


def _ct_slice(path: Path, ipp: np.ndarray, iop: np.ndarray, hu: np.ndarray, series_uid: str, number: int) -> None:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.SeriesInstanceUID = series_uid
    ds.StudyInstanceUID = "1.2.3.4"
    ds.InstanceNumber = number
    ds.ImagePositionPatient = [float(v) for v in ipp]
    ds.ImageOrientationPatient = [float(v) for v in iop]
    ds.PixelSpacing = [1.0, 1.0]
    ds.SliceThickness = 2.0
    ds.Rows, ds.Columns = hu.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleSlope = 1
    ds.RescaleIntercept = -1024
    ds.PixelData = np.round(hu + 1024).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def _sphere_series(folder: Path, tilt_deg: float, z_positions: list[float], series_uid: str | None = None) -> None:
    """A CT series of a 1000 HU sphere (partial volume at its edge) in -1000 HU air; slices stacked along z, with
    slice planes tilted by ``tilt_deg`` about x (the GE gantry tilt geometry). Files are written in shuffled order."""
    folder.mkdir(parents=True, exist_ok=True)
    t = math.radians(tilt_deg)
    row = np.array([1.0, 0.0, 0.0])
    col = np.array([0.0, math.cos(t), -math.sin(t)])
    uid = series_uid or generate_uid()
    rr, cc = np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij")
    order = np.random.default_rng(0).permutation(len(z_positions))
    for n, k in enumerate(order):
        # the centre pixel of each slice lies at (centre x, centre y, centre z + z_k): the slab covers the sphere
        ipp = CENTRE + np.array([0.0, 0.0, z_positions[k]]) - SIZE / 2 * (row + col)
        p = ipp + cc[..., None] * row + rr[..., None] * col
        dist = np.linalg.norm(p - CENTRE, axis=-1)
        hu = -1000.0 + 2000.0 * np.clip(RADIUS - dist + 0.5, 0.0, 1.0)
        _ct_slice(folder / f"im{n:02d}.dcm", ipp, np.concatenate([row, col]), hu, uid, int(k) + 1)


def _moments(vol: np.ndarray, meta: dict) -> tuple[np.ndarray, np.ndarray]:
    """Centre of mass (LPS mm, x y z) and per-axis radius ``sqrt(5 var)`` (x y z) of the sphere."""
    w = np.clip((vol + 1000.0) / 2000.0, 0.0, 1.0)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in vol.shape], indexing="ij"), axis=-1)  # (z, y, x, 3) k j i
    local = idx[..., ::-1] * np.asarray(meta["spacing_mm"])[::-1]  # x y z mm along the grid axes
    world = np.asarray(meta["origin_mm"]) + local @ np.asarray(meta["direction"]).T
    total = w.sum()
    com = (w[..., None] * world).sum(axis=(0, 1, 2)) / total
    var = (w[..., None] * (world - com) ** 2).sum(axis=(0, 1, 2)) / total
    return com, np.sqrt(5.0 * var)


REGULAR = [-11.0 + 2.5 * k for k in range(10)]
IRREGULAR = [-11.0, -9.0, -6.0, -4.5, -1.5, 1.0, 3.0, 6.5, 8.5, 11.0]


@pytest.mark.parametrize(
    "tilt_deg, z_positions",
    [(0.0, IRREGULAR), (18.5, REGULAR), (18.5, IRREGULAR), (-15.0, IRREGULAR)],
    ids=["irregular", "tilt", "tilt+irregular", "negative-tilt+irregular"],
)
def test_dicom_sphere_resampled_round(tmp_path: Path, tilt_deg: float, z_positions: list[float]) -> None:
    _sphere_series(tmp_path / "s", tilt_deg, z_positions)
    vol, meta = load_volume(tmp_path / "s", spacing_mm=1.0)
    assert vol.dtype == np.float32 and vol.ndim == 3
    assert meta["resampled"] and meta["spacing_mm"] == (1.0, 1.0, 1.0)
    assert meta["modality"] == "CT" and meta["units"] == "HU"
    np.testing.assert_allclose(meta["direction"], np.eye(3), atol=1e-9)  # table frame: shear undone
    assert meta["gantry_tilt_deg"] == pytest.approx(abs(tilt_deg), abs=1e-3)
    com, radius = _moments(vol, meta)
    # within a voxel (1 mm); measured: centre within 0.1 mm, radius within 0.35 mm (ignoring the shear gives 1.2 mm)
    np.testing.assert_allclose(com, CENTRE, atol=1.0)
    np.testing.assert_allclose(radius, RADIUS, atol=1.0)
    assert vol.min() >= -1000.5 and vol.max() <= 1000.5


def test_dicom_default_spacing_and_tilt_moment_accuracy(tmp_path: Path) -> None:
    """Default spacing is isotropic min(in-plane, median gap); the tilted sphere is tighter than a voxel here."""
    _sphere_series(tmp_path / "s", 18.5, IRREGULAR)
    vol, meta = load_volume(tmp_path / "s")
    assert meta["spacing_mm"] == (1.0, 1.0, 1.0)
    com, radius = _moments(vol, meta)
    np.testing.assert_allclose(com, CENTRE, atol=0.3)
    np.testing.assert_allclose(radius, RADIUS, atol=0.5)


def test_dicom_regular_untilted_not_resampled(tmp_path: Path) -> None:
    _sphere_series(tmp_path / "s", 0.0, REGULAR)
    vol, meta = load_volume(tmp_path / "s")
    assert not meta["resampled"]
    assert vol.shape == (10, SIZE, SIZE)
    assert meta["spacing_mm"] == pytest.approx((2.5, 1.0, 1.0))
    np.testing.assert_allclose(meta["origin_mm"], CENTRE + [-SIZE / 2, -SIZE / 2, -11.0])
    np.testing.assert_allclose(meta["direction"], np.eye(3))
    assert [Path(f).name for f in meta["files"]] != sorted(Path(f).name for f in meta["files"])  # sorted by position
    com, _ = _moments(vol, meta)
    np.testing.assert_allclose(com, CENTRE, atol=0.5)


def test_nifti_round_trip(tmp_path: Path) -> None:
    data = np.random.default_rng(1).normal(size=(7, 6, 5)).astype(np.float32)  # (x, y, z) as nibabel stores it
    affine = np.diag([0.8, 0.9, 2.5, 1.0])
    affine[:3, 3] = [10.0, -20.0, 30.0]
    nib.save(nib.Nifti1Image(data, affine), tmp_path / "v.nii.gz")
    vol, meta = load_volume(tmp_path / "v.nii.gz")
    assert vol.shape == (5, 6, 7) and vol.dtype == np.float32
    np.testing.assert_array_equal(vol, data.transpose(2, 1, 0))
    assert meta["spacing_mm"] == pytest.approx((2.5, 0.9, 0.8))
    np.testing.assert_allclose(meta["origin_mm"], [-10.0, 20.0, 30.0])  # RAS -> LPS
    np.testing.assert_allclose(meta["direction"], np.diag([-1.0, -1.0, 1.0]))
    assert meta["source"].endswith("v.nii.gz") and not meta["resampled"]


def test_hu_to_attenuation() -> None:
    assert MU_WATER_PER_MM[70.0] == pytest.approx(0.0193, abs=1e-4)
    hu = np.array([-2000.0, -1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(hu_to_attenuation(hu), [0.0, 0.0, 0.01929, 0.03858], rtol=1e-5)
    np.testing.assert_allclose(hu_to_attenuation(hu, 100.0), [0.0, 0.0, 0.01707, 0.03414], rtol=1e-5)
    t = hu_to_attenuation(torch.tensor(hu, dtype=torch.float64), 50.0)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64
    np.testing.assert_allclose(t.numpy(), [0.0, 0.0, 0.02269, 0.04538], rtol=1e-6)
    assert MU_WATER_PER_MM[80.0] < mu_water(75.0) < MU_WATER_PER_MM[70.0]
    with pytest.raises(ValueError, match="30.0 keV"):
        mu_water(30.0)


def test_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=f"{empty}.*empty folder"):
        load_volume(empty)
    mixed = tmp_path / "mixed"
    _sphere_series(mixed / "a", 0.0, REGULAR[:3], series_uid="1.2.3.1")
    _sphere_series(mixed / "b", 0.0, REGULAR[3:6], series_uid="1.2.3.2")
    for f in (mixed / "b").iterdir():
        f.rename(mixed / "a" / f"b_{f.name}")
    with pytest.raises(ValueError, match=f"{mixed / 'a'}.*mixes 2 series"):
        load_volume(mixed / "a")
    single = tmp_path / "single"
    _sphere_series(single, 0.0, [0.0])
    with pytest.raises(ValueError, match=f"{single}.*single slice"):
        load_volume(single)
    noimage = tmp_path / "noimage"
    _sphere_series(noimage, 0.0, REGULAR[:3])
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"  # Basic Text SR
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.Modality = "SR"
    ds.SeriesInstanceUID = "9.9"
    ds.save_as(noimage / "sr.dcm", enforce_file_format=True)
    with pytest.raises(ValueError, match="mixes"):  # an SR in its own series: the folder mixes series
        load_volume(noimage)
    ds.SeriesInstanceUID = pydicom.dcmread(next(noimage.glob("im*.dcm")), stop_before_pixels=True).SeriesInstanceUID
    ds.save_as(noimage / "sr.dcm", enforce_file_format=True)
    with pytest.raises(ValueError, match=r"sr\.dcm: non-image DICOM"):
        load_volume(noimage)
    with pytest.raises(FileNotFoundError, match="nothing_here"):
        load_volume(tmp_path / "nothing_here")
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(ValueError, match=r"x\.txt: not a volume"):
        load_volume(tmp_path / "x.txt")


def test_bad_spacing(tmp_path: Path) -> None:
    _sphere_series(tmp_path / "s", 0.0, REGULAR)
    with pytest.raises(ValueError, match=f"{tmp_path / 's'}: spacing_mm"):
        load_volume(tmp_path / "s", spacing_mm=(1.0, -2.0, 1.0))


@pytest.mark.skipif(not HEAD_CT.is_dir(), reason="../shared/data/head/ct_head_ge not available")
def test_real_head_ct_tilted() -> None:
    t0 = time.perf_counter()
    vol, meta = load_volume(HEAD_CT, spacing_mm=2.0)
    assert time.perf_counter() - t0 < 10.0
    assert meta["resampled"] and meta["modality"] == "CT" and meta["units"] == "HU"
    assert meta["spacing_mm"] == (2.0, 2.0, 2.0)
    assert meta["header_gantry_tilt_deg"] == pytest.approx(18.5)
    assert meta["gantry_tilt_deg"] == pytest.approx(18.5, abs=0.01)
    gaps = np.asarray(meta["slice_gaps_mm"])
    assert (
        len(gaps) == 27 and gaps.min() == pytest.approx(1.08, abs=0.01) and gaps.max() == pytest.approx(7.0, abs=0.01)
    )
    assert vol.shape == (116, 119, 125)  # 250 mm in-plane field, tilted slab 230 x 236 mm in the table frame
    assert vol.dtype == np.float32
    air = vol[(vol > -1200) & (vol < -500)]
    assert np.median(air) == pytest.approx(-1000.0, abs=20.0)
    assert vol.min() > -1100.0  # the -1500 padding outside the field of view became air (-1000)
    assert np.percentile(vol, 99.5) > 700.0  # bone
    assert (vol > 700).mean() > 0.005
