# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""C-arm geometry: frame conventions, projection matrices, trajectories, DICOM round trip and the RTK mapping."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset

from monai_angio.projection.geometry import (
    LPS_TO_RTK,
    CArmGeometry,
    fixed_view,
    from_dicom,
    rotational_sweep,
    rtk_parameters,
    table_pan,
    to_dicom,
    to_rtk,
    trajectory_from_dicom,
    trajectory_to_dicom,
)

GEOM = CArmGeometry(sod_mm=750.0, sid_mm=1200.0, detector_shape=(32, 48), pixel_mm=0.6, focal_spot_mm=0.4)


def test_ap_view_frame():
    np.testing.assert_allclose(GEOM.source_position(), [0, 750, 0], atol=1e-12)
    centre, row_dir, col_dir = GEOM.detector_frame()
    np.testing.assert_allclose(centre, [0, -450, 0], atol=1e-12)
    np.testing.assert_allclose(col_dir, [1, 0, 0], atol=1e-12)  # image right = patient left
    np.testing.assert_allclose(row_dir, [0, 0, -1], atol=1e-12)  # image down = feet


def test_angle_directions():
    lao = GEOM.replace(primary_deg=90.0)
    np.testing.assert_allclose(lao.beam_direction(), [1, 0, 0], atol=1e-12)  # detector on the patient's left
    np.testing.assert_allclose(lao.source_position(), [-750, 0, 0], atol=1e-9)
    cra = GEOM.replace(secondary_deg=30.0)
    assert cra.beam_direction()[2] == pytest.approx(0.5)  # detector towards the head
    rot = GEOM.replace(primary_deg=-35.0, secondary_deg=20.0).rotation()
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)


@pytest.mark.parametrize("prim, sec, offset", [(0, 0, (0, 0, 0)), (30, -15, (0, 0, 0)), (-70, 25, (12, -8, 40))])
def test_projection_matrix(prim, sec, offset):
    g = GEOM.replace(primary_deg=prim, secondary_deg=sec, table_offset_mm=offset)
    proj = g.project_points(g.isocenter())
    np.testing.assert_allclose(proj, [(g.cols - 1) / 2, (g.rows - 1) / 2], atol=1e-9)
    pix = g.pixel_positions()
    cols, rows = np.meshgrid(np.arange(g.cols), np.arange(g.rows))
    # a point on the ray to a pixel (between source and detector) projects onto that pixel
    point = g.source_position() + 0.6 * (pix - g.source_position())
    np.testing.assert_allclose(g.project_points(point), np.stack([cols, rows], -1), atol=1e-8)
    h = g.projection_matrix() @ np.append(point[3, 5], 1.0)
    assert h[2] == pytest.approx(0.6 * g.sid_mm)  # w = depth along the beam, > 0 in front of the source


@pytest.mark.parametrize(
    "prim, sec, offset", [(0, 0, (0, 0, 0)), (35, 0, (0, 0, 0)), (0, -25, (0, 0, 0)), (-60, 15, (10, -20, 30))]
)
def test_projection_matrix_matches_rtk(prim, sec, offset):
    g = GEOM.replace(primary_deg=prim, secondary_deg=sec, table_offset_mm=offset)
    rtk_geom = to_rtk([g])
    matrix = np.array(rtk_geom.GetMatrix(0))  # RTK world mm -> detector mm (u, v)
    points = np.random.default_rng(0).uniform(-100, 100, (20, 3))
    h = np.concatenate([points @ LPS_TO_RTK.T, np.ones((20, 1))], 1) @ matrix.T
    uv = h[:, :2] / h[:, 2:]
    pix = uv / g.pixel_mm + [(g.cols - 1) / 2, (g.rows - 1) / 2]
    np.testing.assert_allclose(pix, g.project_points(points), atol=1e-8)
    np.testing.assert_allclose(np.array(rtk_geom.GetSourcePosition(0))[:3], LPS_TO_RTK @ g.source_position())


def test_rtk_parameters():
    p = rtk_parameters(GEOM.replace(primary_deg=40.0, secondary_deg=-10.0))
    assert (p["gantryAngle"], p["outOfPlaneAngle"], p["inPlaneAngle"]) == (-40.0, 10.0, 0.0)
    assert (p["sid"], p["sdd"]) == (750.0, 1200.0)
    p = rtk_parameters(GEOM.replace(table_offset_mm=(5.0, 7.0, -3.0)))
    assert p["sid"] == pytest.approx(750.0 - 7.0)  # the table moved towards the detector (anterior = -y)
    assert (p["sourceOffsetX"], p["projOffsetX"]) == (pytest.approx(-5.0), pytest.approx(-5.0))
    assert (p["sourceOffsetY"], p["projOffsetY"]) == (pytest.approx(-3.0), pytest.approx(-3.0))
    assert len(to_rtk([GEOM, GEOM.replace(primary_deg=10)]).GetGantryAngles()) == 2


def test_dicom_round_trip():
    g = GEOM.replace(primary_deg=-32.5, secondary_deg=18.0)
    ds = Dataset()
    for keyword, value in to_dicom(g).items():
        setattr(ds, keyword, value)
    assert from_dicom(ds) == g
    assert from_dicom(to_dicom(g)) == g  # plain dict
    assert from_dicom(ds, table_offset_mm=(1, 2, 3)).table_offset_mm == (1.0, 2.0, 3.0)


def test_trajectory_dicom_round_trip():
    traj = rotational_sweep(GEOM.replace(secondary_deg=5.0), -100.0, 200.0, 9, 4.0)
    ds = Dataset()
    for keyword, value in trajectory_to_dicom(traj).items():
        setattr(ds, keyword, value)
    back = trajectory_from_dicom(ds)
    assert len(back.geometries) == 9
    for a, b in zip(back.geometries, traj.geometries, strict=True):
        assert a.primary_deg == pytest.approx(b.primary_deg) and a.secondary_deg == pytest.approx(b.secondary_deg)
    np.testing.assert_allclose(back.times_s, traj.times_s)
    assert from_dicom(ds, frame=8).primary_deg == pytest.approx(100.0)
    # increments stored as offsets from the first frame
    first = {**to_dicom(GEOM), "NumberOfFrames": 3, "PositionerPrimaryAngleIncrement": [0.0, 10.0, 20.0]}
    assert [g.primary_deg for g in trajectory_from_dicom(first, increment="first").geometries] == [0, 10, 20]
    assert [g.primary_deg for g in trajectory_from_dicom(first).geometries] == [0, 10, 30]


def test_trajectories():
    sweep = rotational_sweep(GEOM, start_deg=-100.0, range_deg=200.0, frames=101, duration_s=4.5)
    angles = np.array([g.primary_deg for g in sweep.geometries])
    np.testing.assert_allclose(angles, np.linspace(-100, 100, 101))
    np.testing.assert_allclose(sweep.times_s, np.linspace(0, 4.5, 101))
    fixed = fixed_view(GEOM, frames=5, frame_rate=15.0)
    assert fixed.geometries == [GEOM] * 5
    np.testing.assert_allclose(fixed.times_s, np.arange(5) / 15.0)
    pan = table_pan(GEOM, frames=4, frame_rate=10.0, velocity_mm_s=50.0)
    np.testing.assert_allclose([g.table_offset_mm[2] for g in pan.geometries], [0, 5, 10, 15])
    np.testing.assert_allclose(pan.geometries[-1].isocenter(), [0, 0, -15])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sid_mm": 700.0}, "larger than sod_mm"),
        ({"sid_mm": 750.0}, "larger than sod_mm"),
        ({"sod_mm": -1.0}, "sod_mm"),
        ({"pixel_mm": -0.2}, "pixel_mm"),
        ({"pixel_mm": 0.0}, "pixel_mm"),
        ({"detector_shape": (0, 4)}, "detector_shape"),
        ({"detector_shape": (4,)}, "detector_shape"),
        ({"secondary_deg": 90.0}, "secondary_deg"),
        ({"primary_deg": float("nan")}, "primary_deg"),
        ({"focal_spot_mm": -1.0}, "focal_spot_mm"),
        ({"table_offset_mm": (1.0, 2.0)}, "table_offset_mm"),
    ],
)
def test_geometry_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GEOM.replace(**kwargs)


def test_trajectory_and_dicom_errors():
    with pytest.raises(ValueError, match="frames"):
        fixed_view(GEOM, 0, 10.0)
    with pytest.raises(ValueError, match="duration_s"):
        rotational_sweep(GEOM, 0.0, 200.0, 10, 0.0)
    with pytest.raises(ValueError, match="frame_rate"):
        table_pan(GEOM, 3, -1.0, 10.0)
    with pytest.raises(ValueError, match="DistanceSourceToDetector"):
        from_dicom({k: v for k, v in to_dicom(GEOM).items() if k != "DistanceSourceToDetector"})
    with pytest.raises(ValueError, match="out of range"):
        from_dicom(to_dicom(GEOM), frame=1)
    with pytest.raises(ValueError, match="PositionerPrimaryAngleIncrement"):
        from_dicom({**to_dicom(GEOM), "NumberOfFrames": 3, "PositionerPrimaryAngleIncrement": [0.0, 1.0]})
    with pytest.raises(ValueError, match="more than its angles"):
        trajectory_to_dicom(table_pan(GEOM, 3, 10.0, 5.0))
    with pytest.raises(ValueError, match="no geometry"):
        to_rtk([])


def test_patient_drift_is_small_smooth_seeded_and_starts_at_zero():
    from monai_angio.projection import PatientDrift, fixed_view

    drift = PatientDrift(3.0, seed=5)
    np.testing.assert_allclose(drift(0.0), 0.0, atol=1e-12)
    path = np.stack([drift(t) for t in np.linspace(0.0, 20.0, 401)])
    assert np.linalg.norm(path, axis=1).max() <= 6.0 + 1e-9  # |sin - sin| <= 2
    assert np.linalg.norm(path, axis=1).max() > 0.5
    assert np.abs(np.diff(path, axis=0)).max() < 0.25  # smooth: under 0.25 mm per 50 ms
    np.testing.assert_array_equal(PatientDrift(3.0, seed=5)(1.7), drift(1.7))
    assert not np.allclose(PatientDrift(3.0, seed=6)(1.7), drift(1.7))
    np.testing.assert_array_equal(PatientDrift(0.0, seed=5)(1.7), np.zeros(3))
    views = fixed_view(CArmGeometry(750.0, 1100.0, (8, 8), 1.0, table_offset_mm=(1.0, 2.0, 3.0)), 4, 2.0)
    moved = drift.apply(views)
    for g, t in zip(moved.geometries, views.times_s, strict=True):
        np.testing.assert_allclose(g.table_offset_mm, np.array([1.0, 2.0, 3.0]) + drift(t))
    np.testing.assert_array_equal(moved.times_s, views.times_s)
    with pytest.raises(ValueError, match="amplitude_mm must be a finite number >= 0"):
        PatientDrift(-1.0)
