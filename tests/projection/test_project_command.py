# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of ``monai-angio project``: a NIfTI sphere projected along a rotational sweep and a fixed view, the written
XA DICOM (frames, 16 bits, geometry round trip, derived labelling), its use by ``info`` and ``interpolate``, the
patient orientation of the shadow, errors; and the ``attributes`` keyword of the DICOM writer."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
import torch

from monai_angio.cli import main
from monai_angio.io import read_cine, write_cine
from monai_angio.projection import CArmGeometry, from_dicom, rotational_sweep, trajectory_from_dicom


def _sphere_nifti(path: Path, centre: tuple[int, int, int] = (24, 16, 16), n: int = 32) -> Path:
    """A 1000 HU sphere (radius 5 voxels of 2 mm) in -1000 HU air, voxel ``centre`` in NIfTI (i, j, k) = RAS order."""
    i, j, k = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
    hu = np.full((n, n, n), -1000.0, np.float32)
    hu[(i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2 < 25] = 1000.0
    nib.save(nib.Nifti1Image(hu, np.diag([2.0, 2.0, 2.0, 1.0])), str(path))
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(argv)
    return capsys.readouterr().out


def test_rotational_projection_is_a_readable_xa_cine_with_its_geometry(tmp_path: Path, capsys) -> None:
    volume, out = _sphere_nifti(tmp_path / "sphere.nii.gz"), tmp_path / "proj.dcm"
    printed = _run(["project", str(volume), str(out), "--frames", "5", "--size", "32", "--trajectory", "rotational"],
                   capsys)  # fmt: skip
    assert "5 rotational projections 32x32" in printed
    frames, meta = read_cine(out)
    assert frames.shape == (5, 1, 32, 32) and meta["bits_stored"] == 16
    minima = frames.amin(dim=(1, 2, 3))
    assert float(frames.max()) == 1.0 and float(minima.max()) < 0.9  # air is I = 1; the sphere attenuates
    shadow = 1.0 - frames[:, 0]
    cols = (shadow * torch.arange(32.0)).sum(dim=(1, 2)) / shadow.sum(dim=(1, 2))
    assert float(cols.max() - cols.min()) > 2  # an off-centre sphere's shadow moves as the C-arm turns
    assert all(float((frames[i] - frames[i + 1]).abs().max()) > 0.05 for i in range(4))
    ds = pydicom.dcmread(out)
    assert ds.Modality == "XA" and list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"] and ds.BitsStored == 16
    assert "synthetic projection" in ds.DerivationDescription and "FrameLabelVector" not in ds
    assert ds.PixelIntensityRelationship == "LIN"
    expected = rotational_sweep(CArmGeometry(750.0, 1100.0, (32, 32), 300.0 / 32), -100.0, 200.0, 5, 4.5)
    assert float(ds.PositionerPrimaryAngle) == -100.0
    assert [float(v) for v in ds.PositionerPrimaryAngleIncrement] == [0.0, 50.0, 50.0, 50.0, 50.0]
    assert float(ds.FrameTime) == pytest.approx(1125.0)
    back = trajectory_from_dicom(ds)
    for got, want in zip(back.geometries, expected.geometries, strict=True):
        assert got.primary_deg == pytest.approx(want.primary_deg) and got.sod_mm == 750.0 and got.sid_mm == 1100.0
        assert got.pixel_mm == pytest.approx(want.pixel_mm, rel=1e-5) and got.detector_shape == (32, 32)
    np.testing.assert_allclose(back.times_s, expected.times_s)
    assert from_dicom(ds, 2).primary_deg == pytest.approx(0.0)

    assert "frames                      5" in _run(["info", str(out)], capsys)
    _run(["interpolate", str(out), str(tmp_path / "x2.dcm"), "--method", "linear"], capsys)
    assert read_cine(tmp_path / "x2.dcm")[0].shape == (9, 1, 32, 32)


def test_fixed_view_shows_the_patient_as_angiograms_do(tmp_path: Path, capsys) -> None:
    """AP view: the patient's left on the right of the image, the head at the top (NIfTI is RAS: i to the right)."""
    cases = {"right": (26, 16, 16), "head": (16, 16, 26)}
    shadows = {}
    for name, centre in cases.items():
        out = tmp_path / f"{name}.dcm"
        volume = _sphere_nifti(tmp_path / f"{name}.nii.gz", centre)
        _run(["project", str(volume), str(out), "--trajectory", "fixed", "--frames", "2", "--size", "32",
              "--frame-rate", "10", "--backend", "torch", "--device", "cpu"], capsys)  # fmt: skip
        frames, meta = read_cine(out)
        assert torch.equal(frames[0], frames[1]) and meta["frame_time_ms"] == pytest.approx(100.0)
        weight = (1.0 - frames[0, 0]).numpy()
        rows, cols = np.mgrid[:32, :32]
        shadows[name] = (float((weight * rows).sum() / weight.sum()), float((weight * cols).sum() / weight.sum()))
    assert shadows["right"][1] < 15.5 - 2 and abs(shadows["right"][0] - 15.5) < 0.5  # patient's right: image left
    assert shadows["head"][0] < 15.5 - 2 and abs(shadows["head"][1] - 15.5) < 0.5  # head: top
    ds = pydicom.dcmread(tmp_path / "right.dcm")
    assert float(ds.PositionerPrimaryAngle) == 0.0 and [float(v) for v in ds.PositionerPrimaryAngleIncrement] == [0, 0]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--trajectory", "spiral"], "--trajectory must be one of rotational, fixed, got 'spiral'."),
        (["--frames", "0"], "--frames must be an integer >= 1, got 0."),
        (["--backend", "astra"], "--backend must be one of torch, rtk, got 'astra'."),
        (["--start-deg", "x"], "--start-deg must be a finite number, got 'x'."),
        (["--sod", "1200"], "must be larger than sod_mm"),
        (["--values", "mr"], "--values must be one of ct, labels, intensity, got 'mr'."),
    ],
)
def test_errors_end_with_one_line(tmp_path: Path, capsys, flags: list[str], message: str) -> None:
    volume = _sphere_nifti(tmp_path / "sphere.nii.gz")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["project", str(volume), str(tmp_path / "out.dcm"), *flags])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("monai-angio: error: ") and message in err[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sphere.nii.gz"]


def test_a_non_volume_input_or_a_folder_output_is_refused(tmp_path: Path, capsys) -> None:
    cine = tmp_path / "cine.dcm"
    write_cine(cine, torch.rand(2, 1, 8, 8), 8)
    for argv, message in (
        ([str(cine), str(tmp_path / "out.dcm")], "not a volume"),
        ([str(_sphere_nifti(tmp_path / "v.nii")), str(tmp_path / "frames")], "the output must end in .dcm"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["project", *argv])
        assert exc.value.code == 2 and message in capsys.readouterr().err.strip().splitlines()[-1]


def test_writer_attributes_are_set_checked_and_need_a_dicom_output(tmp_path: Path) -> None:
    frames = torch.rand(3, 1, 8, 8)
    out = write_cine(
        tmp_path / "a.dcm",
        frames,
        12,
        attributes={"PositionerPrimaryAngle": 1 / 3, "PixelIntensityRelationship": "LIN", "Rows": 8},
    )
    ds = pydicom.dcmread(out)
    assert float(ds.PositionerPrimaryAngle) == pytest.approx(1 / 3, rel=1e-5) and ds.PixelIntensityRelationship == "LIN"
    with pytest.raises(ValueError, match="Rows is set by the writer"):
        write_cine(tmp_path / "b.dcm", frames, 12, attributes={"Rows": 9})
    with pytest.raises(ValueError, match="not a DICOM keyword"):
        write_cine(tmp_path / "b.dcm", frames, 12, attributes={"PrimaryAngle": 1})
    with pytest.raises(ValueError, match="need a DICOM output"):
        write_cine(tmp_path / "folder", frames, 12, attributes={"PixelIntensityRelationship": "LIN"})
    assert not (tmp_path / "b.dcm").exists() and not (tmp_path / "folder").exists()


def test_simulation_pieces_without_the_command():
    """The pieces ``project`` chains are library functions: a cube's line integrals, the XA attributes, errors."""
    import torch

    from monai_angio.projection import CArmGeometry, fixed_view, line_integrals, trajectory_attributes

    views = fixed_view(CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(8, 8), pixel_mm=2.0), 2, 10.0)
    mu = torch.full((10, 10, 10), 0.01)
    integrals = line_integrals(mu, (2.0, 2.0, 2.0), views)
    assert integrals.shape == (2, 8, 8) and torch.equal(integrals[0], integrals[1])
    assert float(integrals[0, 3:5, 3:5].mean()) == pytest.approx(0.2, rel=0.05)  # 20 mm of 0.01 / mm
    attributes = trajectory_attributes(views)
    assert attributes["PixelIntensityRelationship"] == "LIN" and "FrameTimeVector" not in attributes
    with pytest.raises(ValueError, match="backend must be one of torch, rtk"):
        line_integrals(mu, (2.0, 2.0, 2.0), views, backend="cuda")


@pytest.mark.parametrize("values", ["labels", "intensity"])
def test_label_and_intensity_volumes(tmp_path: Path, values: str) -> None:
    """A vessel label map: every labelled voxel holds contrast of label_mu per mm, partial volumes averaged when the
    grid shrinks; an intensity volume is taken as attenuation per mm as it is."""
    from monai_angio.projection import attenuation_volume

    n = 32
    i, j, k = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
    tube = ((i - 15.5) ** 2 + (j - 15.5) ** 2 < 16).astype(np.float32)  # a cylinder of radius 4 voxels along k
    data = tube * (3.0 if values == "labels" else 0.05)  # label 3, or 0.05 per mm
    path = tmp_path / "vessel.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([1.0, 1.0, 1.0, 1.0])), str(path))
    mu, spacing = attenuation_volume(path, None, values=values, label_mu=0.2)
    expected = 0.2 if values == "labels" else 0.05
    assert spacing == (1.0, 1.0, 1.0) and mu.max().item() == pytest.approx(expected)
    assert mu.sum().item() == pytest.approx(expected * tube.sum(), rel=1e-5)
    coarse, spacing2 = attenuation_volume(path, 2.0, values=values, label_mu=0.2)
    assert spacing2 == (2.0, 2.0, 2.0) and coarse.shape == (16, 16, 16)
    assert coarse.sum().item() * 8 == pytest.approx(expected * tube.sum(), rel=1e-4)  # partial volumes kept
    assert 0 < coarse[coarse > 0].min().item() < expected  # edge voxels hold a fraction
