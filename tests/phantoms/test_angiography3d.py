# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The 3D angiography phantom: exact frame formation, contrast phases, motion, geometry, noise, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monai_angio.phantoms.angiography3d import MU_IODINE, Angiography3DPhantom, bolus_curve

SIZE = 48


@pytest.fixture(scope="module")
def rotational() -> Angiography3DPhantom:
    return Angiography3DPhantom("rotational", size=SIZE, frames=5, seed=3, supersample=1)


@pytest.fixture(scope="module")
def coronary() -> Angiography3DPhantom:
    return Angiography3DPhantom("coronary", size=SIZE, frames=4, seed=2, respiration=False, supersample=1)


def test_bolus_curve_rises_holds_and_washes_out() -> None:
    c = bolus_curve(np.array([-1.0, 0.0, 1.0, 2.0, 3.5]), duration=2.0, rise=0.1)
    np.testing.assert_allclose(c[[0, 4]], 0.0, atol=1e-6)
    assert c[1] == pytest.approx(0.5, abs=1e-6)  # half way up at the arrival
    assert c[2] == pytest.approx(1.0, abs=1e-6)
    assert c[3] == pytest.approx(0.5, abs=1e-6)  # half way down at the end of the injection
    assert np.all((c >= 0) & (c <= 1))


def test_dsa_frame_is_exactly_the_iodine_line_integral_without_blur() -> None:
    """With no focal-spot or detector blur and no noise, DSA = level - gain * iodine line integral, pixel by pixel."""
    p = Angiography3DPhantom("rotational", size=SIZE, frames=3, seed=1, focal_spot_mm=0, detector_blur_px=0,
                             supersample=1, bits=16)  # fmt: skip
    t = 1.0
    unit = p.render_unit(t, noise=False)[0]
    iodine = p.iodine_line_integrals(t)
    expected = np.clip(0.75 - 0.45 * iodine, 0, 1)
    np.testing.assert_allclose(unit, expected, atol=1e-5)
    assert iodine.max() > 0.2  # the carotids are full of contrast in the sweep
    assert (iodine > 0).mean() > 0.02


def test_render_equals_generate_and_depends_only_on_time(rotational: Angiography3DPhantom) -> None:
    frames, meta = rotational.generate()
    assert frames.shape == (5, SIZE, SIZE) and frames.dtype == np.uint16
    assert frames.max() <= 2**12 - 1
    t = rotational.frame_times_s()
    np.testing.assert_array_equal(rotational.render(t[2])[0], frames[2])
    again = Angiography3DPhantom("rotational", size=SIZE, frames=5, seed=3, supersample=1).render(t[2])
    np.testing.assert_array_equal(again[0], frames[2])
    other = Angiography3DPhantom("rotational", size=SIZE, frames=5, seed=4, supersample=1).render(t[2])
    assert not np.array_equal(other[0], frames[2])
    assert meta["frame_times_ms"][-1] == pytest.approx(4500.0)
    assert meta["subtracted"] is True


def test_rotational_trajectory_sweeps_200_degrees(rotational: Angiography3DPhantom) -> None:
    views = rotational.trajectory()
    angles = [g.primary_deg for g in views.geometries]
    np.testing.assert_allclose(angles, np.linspace(-100, 100, 5))
    np.testing.assert_allclose(views.times_s, np.linspace(0, 4.5, 5))
    # the view changes the image: the first and last frames differ where the vessels are
    a, b = (rotational.iodine_line_integrals(t) for t in (0.0, 4.5))
    assert np.abs(a - b).max() > 0.1


def test_noise_falls_with_dose() -> None:
    stds = []
    for dose in (0.5, 8.0):
        p = Angiography3DPhantom("fixed", size=SIZE, frames=2, seed=5, dose=dose, supersample=1, bits=16)
        diff = p.render_unit(0.5)[0].astype(np.float64) - p.render_unit(0.5, noise=False)[0]
        stds.append(diff.std())
    assert stds[0] / stds[1] == pytest.approx(4.0, rel=0.3)  # sqrt(8 / 0.5)


def test_fixed_run_goes_arterial_then_capillary_then_venous() -> None:
    p = Angiography3DPhantom("fixed", size=SIZE, frames=2, seed=6, supersample=1)
    arteries, veins = p.trees[: p.arterial_trees], p.trees[p.arterial_trees :]
    first_artery = min(float(t.arrival_s.min()) for t in arteries)
    last_artery = max(float(t.arrival_s.max()) for t in arteries)
    first_vein = min(float(t.arrival_s.min()) for t in veins)
    assert first_artery < last_artery < p._blush_arrival < first_vein
    # veins fill from the small branches to the sinus: the arrival falls along the venous tree's path
    tree = veins[0]
    assert np.corrcoef(tree.path_mm, tree.arrival_s)[0, 1] < -0.99
    # before the injection no iodine; in the venous phase the veins hold iodine and the arteries have washed out
    assert p.iodine_line_integrals(0.0).max() < 1e-3
    mu = p.vessel_pieces(first_vein + 2.5).mu
    n_art = sum(len(t.radii) for t in arteries)
    assert mu[n_art:].max() > 0.5 * MU_IODINE
    assert mu[:n_art].max() < 0.1 * MU_IODINE


def test_coronary_motion_is_periodic_and_deforms_the_tree(coronary: Angiography3DPhantom) -> None:
    period = 60.0 / coronary.heart_rate_bpm
    s0 = coronary.vessel_pieces(1.0).starts
    s1 = coronary.vessel_pieces(1.0 + period).starts
    np.testing.assert_allclose(s0, s1, atol=1e-9)
    phases = np.linspace(0, period, 9)
    moves = [np.linalg.norm(coronary.vessel_pieces(1.0 + t).starts - s0, axis=1).max() for t in phases]
    assert max(moves) > 5.0  # mm: the heart contracts
    # non-rigid: distances between pieces change over the cycle
    idx = [0, len(s0) // 2, len(s0) - 1]
    d0 = np.linalg.norm(s0[idx[0]] - s0[idx[1]])
    ds = []
    for t in phases:
        s = coronary.vessel_pieces(1.0 + t).starts
        ds.append(np.linalg.norm(s[idx[0]] - s[idx[1]]))
    assert max(abs(d - d0) for d in ds) > 1.0


def test_coronary_is_unsubtracted_with_a_visible_heart_and_contrast(coronary: Angiography3DPhantom) -> None:
    assert coronary.subtract is False
    frame = coronary.render_unit(1.5, noise=False)[0]
    assert frame.std() > 0.05  # lungs, heart, spine
    with_contrast = coronary.iodine_line_integrals(1.5)
    assert with_contrast.max() > 0.1
    assert coronary.iodine_line_integrals(0.0).max() < 0.01 + 0.06 * 2  # only the catheter wall before injection


def test_respiration_moves_the_heart() -> None:
    p = Angiography3DPhantom("coronary", size=SIZE, frames=2, seed=2, respiration=True, heart_rate_bpm=60.0)
    shifts = [p._resp_shift(t)[2] for t in np.linspace(0, 6, 25)]
    assert max(shifts) - min(shifts) > 10.0


def test_patient_motion_leaves_misregistration_in_dsa() -> None:
    still = Angiography3DPhantom("fixed", size=SIZE, frames=2, seed=7, supersample=1, table_speed_mm_s=0.0)
    moving = Angiography3DPhantom("fixed", size=SIZE, frames=2, seed=7, supersample=1, patient_motion_mm=3.0)
    t = 0.0  # before the contrast: a still DSA frame is flat, a moved one shows the skull's edges
    flat = still.render_unit(t + 6.0, noise=False)[0] - still.render_unit(t + 6.0, noise=False)[0]
    assert np.abs(flat).max() == 0
    before = still.render_unit(0.2, noise=False)[0]
    assert np.abs(before - 0.75).max() < 1e-3
    moved = moving.render_unit(4.0, noise=False)[0] - (0.75 - 0.45 * moving.iodine_line_integrals(4.0))
    assert np.abs(moved).max() > 0.01


def test_aneurysm_and_stenosis_change_the_vessels() -> None:
    base = Angiography3DPhantom("rotational", size=SIZE, frames=2, seed=8, supersample=1)
    sick = Angiography3DPhantom("rotational", size=SIZE, frames=2, seed=8, supersample=1, aneurysm=True, stenosis=True)
    assert len(sick._sacs) == 1 and not base._sacs
    assert (sick.trees[0].radii / base.trees[0].radii).min() < 0.55  # 60 % of the diameter (pieces average two nodes)
    assert sick.iodine_line_integrals(2.0).sum() > base.iodine_line_integrals(2.0).sum() * 0.98


def test_table_pan_moves_the_view() -> None:
    p = Angiography3DPhantom("fixed", size=SIZE, frames=3, seed=1, table_speed_mm_s=20.0)
    offsets = [g.table_offset_mm[2] for g in p.trajectory().geometries]
    np.testing.assert_allclose(offsets, 20.0 * p.frame_times_s())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "spin"}, "mode must be one of rotational, fixed, coronary"),
        ({"size": 8}, "size must be an integer in"),
        ({"frames": 0}, "frames must be an integer in"),
        ({"dose": 0.0}, "dose must be > 0"),
        ({"bits": 4}, "bits must be an integer in"),
        ({"mode": "coronary", "background": "ct.nii.gz"}, "background .* applies to the rotational and fixed"),
        ({"table_speed_mm_s": 10.0}, "table pan applies to the fixed and coronary"),
        ({"heart_rate_bpm": 300.0}, "heart_rate_bpm must be in"),
        ({"focal_spot_mm": -1.0}, "focal_spot_mm must be a finite number >= 0"),
        ({"range_deg": 0.0}, "range_deg must be in"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, match: str) -> None:
    kwargs = {"size": SIZE, **kwargs}
    with pytest.raises(ValueError, match=match):
        Angiography3DPhantom(**kwargs)


def test_bad_times_are_refused(coronary: Angiography3DPhantom) -> None:
    with pytest.raises(ValueError, match="finite seconds"):
        coronary.render([math.nan])
