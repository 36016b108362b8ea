# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from monai_angio.phantoms import VesselSegment, grow_vessel_tree, rasterize_vessel_tree


def _tree(seed: int) -> list[VesselSegment]:
    rng = np.random.default_rng(seed)
    return grow_vessel_tree(rng, (1.0, 1.0), (0.1, 0.1), 0.8, max_segments=40)


def test_tree_deterministic_and_consistent():
    a, b, c = _tree(0), _tree(0), _tree(1)
    assert len(a) == len(b) and all(np.array_equal(s.points, t.points) for s, t in zip(a, b, strict=True))
    assert not (len(a) == len(c) and all(np.array_equal(s.points, t.points) for s, t in zip(a, c, strict=True)))
    assert 1 < len(a) <= 40
    assert a[0].parent == -1 and a[0].depth == 0
    for seg in a:
        assert seg.points.shape == (len(seg.radii), 2) and len(seg.path_length) == len(seg.radii)
        assert np.all(np.diff(seg.path_length) > 0) and np.all(np.diff(seg.radii) <= 0)  # tapering
        if seg.parent >= 0:
            par = a[seg.parent]
            assert seg.depth == par.depth + 1
            k = int(np.argmin(np.sum((par.points - seg.points[0]) ** 2, axis=1)))
            np.testing.assert_allclose(seg.points[0], par.points[k])  # starts on the parent centerline
            assert seg.path_length[0] == pytest.approx(par.path_length[k])  # path distance is continuous
            assert seg.radii[0] < par.radii[k]


def test_murray_law_at_bifurcations():
    tree = _tree(3)
    checked = 0
    for i, par in enumerate(tree):
        ends = [s for s in tree if s.parent == i and np.allclose(s.points[0], par.points[-1])]
        if len(ends) == 2:
            assert ends[0].radii[0] ** 3 + ends[1].radii[0] ** 3 == pytest.approx(par.radii[-1] ** 3, rel=1e-9)
            checked += 1
    assert checked > 0


def _straight(x0, y0, x1, y1, r, parent=-1, depth=0, n=20):
    pts = np.stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)], axis=1)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return VesselSegment(pts, np.full(n, r), s, depth, parent)


def test_rasterize_cylinder_profile():
    seg = _straight(5.0, 20.0, 35.0, 20.0, 5.0)
    thick, path = rasterize_vessel_tree([seg], (40, 40), 1.0, antialias_px=0.0)
    col = thick[:, 20]
    d = np.arange(40) - 20.0
    np.testing.assert_allclose(col, 2 * np.sqrt(np.maximum(25.0 - d**2, 0.0)), atol=1e-4)
    np.testing.assert_allclose(path[20, 5:36], np.arange(0.0, 31.0), atol=1e-4)
    assert path[0, 20] == 0.0 and thick[0, 20] == 0.0
    # anti-aliasing keeps the projected area pi * r**2 of a thin vessel
    thin = _straight(5.0, 20.0, 35.0, 20.0, 0.4)
    t_aa, _ = rasterize_vessel_tree([thin], (40, 40), 1.0, antialias_px=0.5)
    assert t_aa[:, 20].sum() == pytest.approx(np.pi * 0.4**2, rel=0.05)


def test_crossing_adds_junction_merges():
    horiz = _straight(2.0, 20.0, 38.0, 20.0, 3.0)
    vert = _straight(20.0, 2.0, 20.0, 38.0, 3.0)
    crossing, _ = rasterize_vessel_tree([horiz, vert], (40, 40), 1.0, antialias_px=0.0)
    assert crossing[20, 20] == pytest.approx(12.0, abs=1e-3)  # 6 + 6: unrelated vessels overlap in projection
    child = _straight(20.0, 20.0, 20.0, 38.0, 2.0, parent=0, depth=1)
    merged, _ = rasterize_vessel_tree([horiz, child], (40, 40), 1.0, antialias_px=0.0)
    assert merged[20, 20] == pytest.approx(6.0, abs=1e-3)  # lumina merge at a junction
    assert merged[35, 20] == pytest.approx(4.0, abs=1e-3)
