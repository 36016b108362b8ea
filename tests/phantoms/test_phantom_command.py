# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of ``monai-angio phantom``: the written XA cine, its geometry, its ground truth, its use by other commands,
a real CT as background, and refusals."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from monai_angio.cli import main
from monai_angio.io import read_cine
from monai_angio.phantoms.angiography3d import Angiography3DPhantom
from monai_angio.projection import trajectory_from_dicom


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(argv)
    return capsys.readouterr().out


def test_rotational_run_carries_one_angle_per_frame_and_its_ground_truth(tmp_path: Path, capsys) -> None:
    out, truth = tmp_path / "rot.dcm", tmp_path / "truth.dcm"
    printed = _run(["phantom", str(out), "--mode", "rotational", "--frames", "5", "--size", "48", "--seed", "2",
                    "--ground-truth", str(truth)], capsys)  # fmt: skip
    assert "5 frames 48x48 rotational DSA" in printed
    frames, meta = read_cine(out)
    clean, _ = read_cine(truth)
    assert frames.shape == clean.shape == (5, 1, 48, 48) and meta["bits_stored"] == 12
    expected = Angiography3DPhantom("rotational", size=48, frames=5, seed=2)
    np.testing.assert_allclose(clean[:, 0].numpy(), expected.render_unit(expected.frame_times_s(), noise=False),
                               atol=1.0 / 4095)  # fmt: skip
    noise = (frames - clean).std().item()
    assert 0.0005 < noise < 0.05
    ds = pydicom.dcmread(out)
    assert ds.Modality == "XA" and list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"]
    assert "3D phantom (rotational DSA, seed 2)" in ds.DerivationDescription
    assert ds.PixelIntensityRelationship == "LOG"
    views = trajectory_from_dicom(ds)
    np.testing.assert_allclose([g.primary_deg for g in views.geometries], np.linspace(-100, 100, 5))
    assert float(ds.FrameTime) == pytest.approx(1125.0)


def test_coronary_cine_is_usable_by_interpolate(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cor.dcm"
    _run(["phantom", str(out), "--mode", "coronary", "--frames", "4", "--size", "32", "--frame-rate", "15"], capsys)
    ds = pydicom.dcmread(out)
    assert float(ds.FrameTime) == pytest.approx(1000.0 / 15) and "coronary XA" in ds.DerivationDescription
    result = tmp_path / "x2.dcm"
    _run(["interpolate", str(out), str(result), "--method", "linear", "--factor", "2"], capsys)
    frames, _ = read_cine(result)
    assert frames.shape[0] == 4 + 3 * 2  # two synthesized frames in each of the 3 gaps


def test_fixed_run_on_a_ct_background(tmp_path: Path, capsys) -> None:
    """A CT volume (a water ellipsoid with a bone shell, in HU) replaces the procedural head; projected with RTK."""
    n = 48
    z, y, x = np.meshgrid(*(np.arange(n) - (n - 1) / 2,) * 3, indexing="ij")
    r = np.sqrt((x / 20) ** 2 + (y / 22) ** 2 + (z / 21) ** 2)
    hu = np.where(r < 1.0, 40.0, -1000.0) + np.where((r > 0.85) & (r < 1.0), 1000.0, 0.0)
    volume = tmp_path / "head.nii.gz"
    nib.save(nib.Nifti1Image(hu.astype(np.float32), np.diag([4.0, 4.0, 4.0, 1.0])), str(volume))
    out = tmp_path / "fixed.dcm"
    _run(["phantom", str(out), "--mode", "fixed", "--frames", "3", "--size", "32", "--background", str(volume),
          "--render", "xa"], capsys)  # fmt: skip
    frames, _ = read_cine(out)
    assert frames.shape == (3, 1, 32, 32)
    centre, corner = frames[0, 0, 12:20, 12:20].mean().item(), frames[0, 0, :3, :3].mean().item()
    assert corner > centre + 0.1  # the head attenuates: darker than the air around it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "spin"], "--mode must be one of rotational, fixed, coronary"),
        (["--size", "8"], "size must be an integer in [32, 2048]"),
        (["--mode", "rotational", "--table-speed", "5"], "table pan applies to the fixed and coronary"),
        (["--render", "cine"], "--render must be dsa or xa"),
        (["--patient-motion", "-1"], "patient_motion_mm must be a finite number >= 0"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    out = tmp_path / "p.dcm"
    with pytest.raises(SystemExit) as exit_info:
        main(["phantom", str(out), "--frames", "2", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_existing_output_and_wrong_suffix_are_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "p.dcm"
    out.write_bytes(b"keep")
    with pytest.raises(SystemExit):
        main(["phantom", str(out), "--frames", "2", "--size", "32"])
    assert "exists" in capsys.readouterr().err and out.read_bytes() == b"keep"
    with pytest.raises(SystemExit):
        main(["phantom", str(tmp_path / "p.png"), "--frames", "2", "--size", "32"])
    assert "must end in .dcm" in capsys.readouterr().err
