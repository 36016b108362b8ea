# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from monai_angio.phantoms.head_volumes import (
    HEAD_LABELS,
    HEAD_TISSUES,
    head_ct_mr,
    head_label_volume,
    tissue_values,
)
from monai_angio.projection import CArmGeometry, forward_project, hu_to_attenuation

SHAPE64, SP64 = (64, 64, 64), 3.3


@pytest.fixture(scope="module")
def labels64() -> np.ndarray:
    return head_label_volume(0, SHAPE64, SP64)[0]


def test_table_is_in_label_order():
    assert [t.label for t in HEAD_TISSUES] == list(range(len(HEAD_TISSUES)))
    assert HEAD_LABELS["background"] == 0
    hu, t1 = tissue_values("hu"), tissue_values("t1w")
    assert hu[HEAD_LABELS["cortical bone"]] > hu[HEAD_LABELS["diploe"]] > hu[HEAD_LABELS["grey matter"]]
    assert t1[HEAD_LABELS["fat"]] > t1[HEAD_LABELS["white matter"]] > t1[HEAD_LABELS["grey matter"]]
    assert t1[HEAD_LABELS["grey matter"]] > t1[HEAD_LABELS["csf"]] > t1[HEAD_LABELS["cortical bone"]]


def test_every_label_present(labels64):
    assert labels64.dtype == np.uint8 and labels64.shape == SHAPE64
    counts = np.bincount(labels64.ravel(), minlength=len(HEAD_TISSUES))
    assert len(counts) == len(HEAD_TISSUES)
    missing = [t.name for t in HEAD_TISSUES if counts[t.label] == 0]
    assert not missing, missing


def test_nesting_from_centre_outwards():
    lab, sp = head_label_volume(1, (100, 100, 100), 2.1)
    c = 50
    for line in (lab[c + 10, c, c:], lab[c + 10, c, :c][::-1], lab[c + 10, c:, c], lab[c:, c, c]):
        seq = [int(v) for i, v in enumerate(line) if i == 0 or v != line[i - 1]]
        order = [HEAD_LABELS[n] for n in ("csf", "cortical bone", "fat", "skin", "background")]
        pos = [seq.index(v) for v in order]  # first occurrence of each along the ray
        assert pos == sorted(pos), seq
        assert seq[-1] == 0
        inner = {HEAD_LABELS[n] for n in ("white matter", "grey matter", "csf")}
        assert all(v in inner for v in seq[: pos[1]]), seq


@pytest.mark.parametrize("seed", [0, 5])
def test_values_match_table_inside_tissues(seed):
    ct, mr, lab, _ = head_ct_mr(seed, SHAPE64, SP64, noise=False, bias_field=0.0)
    hu, t1 = tissue_values("hu"), tissue_values("t1w")
    for t in HEAD_TISSUES:
        interior = ndimage.binary_erosion(lab == t.label, np.ones((3, 3, 3), bool), border_value=1)
        if not interior.any():
            continue
        np.testing.assert_allclose(ct[interior], hu[t.label], atol=1e-3, err_msg=t.name)
        np.testing.assert_allclose(mr[interior], t1[t.label], atol=1e-5, err_msg=t.name)


def test_noise_and_bias_are_seeded():
    a = head_ct_mr(2, (32, 32, 32), 6.5)
    b = head_ct_mr(2, (32, 32, 32), 6.5)
    c = head_ct_mr(3, (32, 32, 32), 6.5)
    for x, y in zip(a[:3], b[:3], strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[1], c[1])
    assert a[0].dtype == np.float32 and a[1].dtype == np.float32
    assert np.all(a[1] >= 0)  # Rician magnitude


def test_seed_changes_shape_and_reproduces(labels64):
    again = head_label_volume(0, SHAPE64, SP64)[0]
    np.testing.assert_array_equal(labels64, again)
    other = head_label_volume(1, SHAPE64, SP64)[0]
    assert (other != labels64).mean() > 0.01


@pytest.mark.parametrize("seed", [0, 4, 7])
def test_head_fits_default_grid(seed):
    lab, sp = head_label_volume(seed)
    assert lab.shape == (128, 128, 128)
    np.testing.assert_allclose(sp, 1.6)
    # the whole head (no neck) lies inside the default 205 mm field of view
    for border in (lab[0], lab[-1], lab[:, 0], lab[:, -1], lab[:, :, 0], lab[:, :, -1]):
        assert not border.any()


def _extent_mm(lab: np.ndarray, sp: np.ndarray, axis: int) -> float:
    other = tuple(a for a in range(3) if a != axis)
    idx = np.nonzero((lab > 0).any(axis=other))[0]
    return float((idx[-1] - idx[0] + 1) * sp[axis])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_head_size_plausible_and_grid_independent(seed):
    coarse, sc = head_label_volume(seed, SHAPE64, SP64)
    fine, sf = head_label_volume(seed, (100, 100, 100), 2.1)
    for lab, sp in ((coarse, sc), (fine, sf)):
        assert 130 <= _extent_mm(lab, sp, 2) <= 170  # width, x
        assert 160 <= _extent_mm(lab, sp, 1) <= 210  # length, y
    for axis in (1, 2):
        assert abs(_extent_mm(coarse, sc, axis) - _extent_mm(fine, sf, axis)) <= sc[axis] + sf[axis]
    # superior is at high z index: the top of the head is rounder/narrower than the face region below it
    assert np.argmax((coarse > 0).sum(axis=(1, 2))) < 40


def test_ct_projection_shows_bright_skull_rim():
    ct, _, lab, sp = head_ct_mr(0, SHAPE64, SP64, noise=False)
    mu = hu_to_attenuation(ct)
    # the same head with bone replaced by brain: the difference is the skull's own contribution
    soft = ct.copy()
    soft[(lab == HEAD_LABELS["cortical bone"]) | (lab == HEAD_LABELS["diploe"])] = 40.0
    mu_soft = hu_to_attenuation(soft)
    geom = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(9, 161), pixel_mm=1.5)  # AP view
    vols = torch.from_numpy(np.stack([mu, mu_soft])[:, None])
    proj = forward_project(vols, sp, geom)[:, 0].numpy()
    bone = proj[0] - proj[1]
    row = bone[bone.shape[0] // 2]
    assert np.all(bone > -1e-3)
    centre = row[len(row) // 2]
    assert centre > 0.1  # two skull walls crossed
    assert row.max() > 2.5 * centre  # tangential rays through the skull rim
    peak = int(np.argmax(row[: len(row) // 2]))
    assert peak < len(row) // 2 - 20  # the peak is off centre, at the rim


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": 0, "shape": (64, 64)}, "shape"),
        ({"seed": 0, "shape": (4, 64, 64)}, "shape"),
        ({"seed": 0, "shape": "abc"}, "shape"),
        ({"seed": 0, "spacing_mm": 0.0}, "spacing_mm"),
        ({"seed": 0, "spacing_mm": (1.0, -1.0, 1.0)}, "spacing_mm"),
        ({"seed": 0, "spacing_mm": (1.0, 1.0)}, "spacing_mm"),
    ],
)
def test_bad_inputs(kwargs, name):
    with pytest.raises(ValueError, match=name):
        head_label_volume(**kwargs)
    with pytest.raises(ValueError, match=name):
        head_ct_mr(**kwargs)


def test_bad_mr_options():
    with pytest.raises(ValueError, match="bias_field"):
        head_ct_mr(0, (16, 16, 16), 12.0, bias_field=1.5)
    with pytest.raises(ValueError, match="blur_voxels"):
        head_ct_mr(0, (16, 16, 16), 12.0, blur_voxels=-1.0)
    with pytest.raises(ValueError, match="prop"):
        tissue_values("t2")
