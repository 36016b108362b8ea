# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from monai_angio.phantoms.vessel_tree3d import (
    VesselTree3D,
    add_aneurysm,
    ellipsoid_inside,
    ellipsoid_surface,
    grow_vessel_tree_3d,
)

HEAD_CENTRE = (0.0, 0.0, 0.0)
HEAD_AXES = (70.0, 85.0, 60.0)


def _tree(seed: int = 0, **kwargs) -> VesselTree3D:
    kwargs.setdefault("inside", ellipsoid_inside(HEAD_CENTRE, HEAD_AXES))
    return grow_vessel_tree_3d(np.random.default_rng(seed), (0.0, -20.0, -30.0), (0.0, 0.3, 1.0), **kwargs)


def _children(tree: VesselTree3D) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in range(len(tree))]
    for i, p in enumerate(tree.parent):
        if p >= 0:
            kids[p].append(i)
    return kids


def _branches(tree: VesselTree3D) -> list[np.ndarray]:
    """Unbranched node chains (branch node or root, then nodes up to the next branch node or leaf)."""
    kids = _children(tree)
    chains = []
    starts = [i for i in range(len(tree)) if tree.parent[i] < 0 or len(kids[tree.parent[i]]) != 1]
    for s in starts:
        chain = [int(tree.parent[s])] if tree.parent[s] >= 0 else []
        i = s
        chain.append(i)
        while len(kids[i]) == 1:
            i = kids[i][0]
            chain.append(i)
        chains.append(np.asarray(chain))
    return chains


def test_structure_radii_spacing_and_path():
    tree = _tree(0)
    n = len(tree)
    assert 100 < n <= 4000
    assert tree.points.shape == (n, 3) and tree.points.dtype == np.float64
    assert tree.parent.dtype == np.int64 and tree.generation.dtype == np.int64
    assert tree.parent[0] == -1 and np.all(tree.parent[1:] >= 0)
    assert np.all(tree.parent[1:] < np.arange(1, n))  # topological order
    assert np.all(tree.radii >= 0.3 - 1e-12) and np.all(tree.radii <= 2.0 + 1e-12)
    assert tree.radii[0] == 2.0 and tree.radii.min() == pytest.approx(0.3)
    idx = np.arange(1, n)
    par = tree.parent[idx]
    spacing = np.linalg.norm(tree.points[idx] - tree.points[par], axis=1)
    np.testing.assert_allclose(spacing, 1.0, rtol=1e-9)
    np.testing.assert_allclose(tree.path_mm[idx] - tree.path_mm[par], spacing, rtol=1e-9)
    assert tree.path_mm[0] == 0.0
    assert np.all(tree.radii[idx] <= tree.radii[par] + 1e-12)  # taper and splits never widen a vessel
    gen_step = tree.generation[idx] - tree.generation[par]
    assert set(np.unique(gen_step).tolist()) <= {0, 1}
    assert np.all(np.diff(tree.generation) >= 0)  # breadth first: generation by generation


def test_murray_law_and_branching_angles():
    tree = _tree(3, max_nodes=100_000)
    kids = _children(tree)
    checked = 0
    for b, ks in enumerate(kids):
        assert len(ks) <= 2
        if len(ks) == 2:
            r0, r1, r2 = tree.radii[b], tree.radii[ks[0]], tree.radii[ks[1]]
            assert r1**3 + r2**3 == pytest.approx(r0**3, rel=1e-9)
            assert min(r1, r2) >= 0.3 - 1e-12
            h0 = tree.points[b] - tree.points[tree.parent[b]]
            h0 = h0 / np.linalg.norm(h0)
            d = tree.points[ks] - tree.points[b]
            ang = np.degrees(np.arccos(np.clip(d @ h0 / np.linalg.norm(d, axis=1), -1.0, 1.0)))
            # the children leave at angles below the caps (80 / 85 degrees plus one step of turning)
            assert np.all(ang < 100.0) and ang.max() > 5.0
            checked += 1
    assert checked >= 10


def test_generations_and_max_nodes():
    full = grow_vessel_tree_3d(np.random.default_rng(5), (0, 0, 0), (0, 0, 1), max_nodes=100_000)
    assert full.generation.max() >= 4
    assert len(full) < 100_000  # growth ends by itself at min_radius
    kids = _children(full)
    for leaf in full.leaves:  # a leaf ends a branch too thin for two children of min_radius
        assert full.radii[leaf] < 2 ** (1 / 3) * 0.3 + 1e-9
        assert not kids[leaf]
    trimmed = grow_vessel_tree_3d(np.random.default_rng(5), (0, 0, 0), (0, 0, 1), max_nodes=400)
    assert len(trimmed) == 400
    # breadth-first growth: the trimmed tree is the start of the full one
    np.testing.assert_array_equal(trimmed.points, full.points[:400])
    np.testing.assert_array_equal(trimmed.parent, full.parent[:400])


def test_deterministic():
    a, b, c = _tree(7), _tree(7), _tree(8)
    for name in ("points", "radii", "parent", "path_mm", "generation"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert len(a) != len(c) or not np.array_equal(a.points, c.points)


def test_inside_region_is_respected():
    head = ellipsoid_inside(HEAD_CENTRE, HEAD_AXES)
    tree = _tree(1, tortuosity=1.0)
    assert np.all(head(tree.points))
    # a small region forces steering: the tree reaches its border but never leaves it
    axes = np.array([20.0, 25.0, 15.0])
    small = ellipsoid_inside((0, 0, 0), axes)
    tight = grow_vessel_tree_3d(
        np.random.default_rng(2), (0, 0, 0), (1, 0, 0), length_factor=40.0, max_nodes=3000, inside=small
    )
    assert np.all(small(tight.points))
    rho = np.sqrt(np.sum((tight.points / axes) ** 2, axis=1))
    assert rho.max() > 0.85 and len(tight) > 300


def test_constrain_to_surface():
    surf = ellipsoid_surface((5.0, -3.0, 10.0), (50.0, 40.0, 45.0), offset_mm=1.5)
    tree = grow_vessel_tree_3d(
        np.random.default_rng(4),
        (5.0, -3.0, 70.0),
        (1.0, 0.0, -0.2),
        root_radius_mm=1.8,
        min_radius_mm=0.4,
        constrain=surf,
    )
    assert len(tree) > 100
    assert np.max(np.linalg.norm(surf(tree.points) - tree.points, axis=1)) < 1e-6
    u = (tree.points - np.array([5.0, -3.0, 10.0])) / np.array([51.5, 41.5, 46.5])
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-9)
    assert tree.points[0, 2] == pytest.approx(10.0 + 46.5)  # the root is projected onto the surface
    starts, ends, _, _ = tree.segments()
    np.testing.assert_allclose(np.linalg.norm(ends - starts, axis=1), 1.0, rtol=2e-3)


def _mean_turn_per_mm(tree: VesselTree3D) -> float:
    idx = np.arange(1, len(tree))
    kids = _children(tree)
    turns = []
    for i in idx:
        if len(kids[i]) == 1 and len(kids[tree.parent[i]]) == 1:
            a = tree.points[i] - tree.points[tree.parent[i]]
            b = tree.points[kids[i][0]] - tree.points[i]
            c = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
            turns.append(np.arccos(np.clip(c, -1.0, 1.0)) / np.linalg.norm(a))
    return float(np.mean(turns))


def test_tortuosity():
    straight = grow_vessel_tree_3d(np.random.default_rng(0), (0, 0, 0), (0, 1, 1), tortuosity=0.0)
    for chain in _branches(straight):
        if len(chain) < 3:
            continue
        p = straight.points[chain]
        chord = (p[-1] - p[0]) / np.linalg.norm(p[-1] - p[0])
        rel = p - p[0]
        dev = np.linalg.norm(rel - np.outer(rel @ chord, chord), axis=1)
        assert dev.max() < 1e-6
    assert _mean_turn_per_mm(straight) < 1e-6
    gentle = grow_vessel_tree_3d(np.random.default_rng(0), (0, 0, 0), (0, 1, 1), tortuosity=0.2)
    strong = grow_vessel_tree_3d(np.random.default_rng(0), (0, 0, 0), (0, 1, 1), tortuosity=1.0)
    assert _mean_turn_per_mm(strong) > 2.0 * _mean_turn_per_mm(gentle) > 0.0


def test_segments_and_mapped():
    tree = _tree(2, max_nodes=800)
    original = tree.points.copy()
    starts, ends, radii, path = tree.segments()
    s = len(tree) - 1
    assert starts.shape == (s, 3) and ends.shape == (s, 3) and radii.shape == (s,) and path.shape == (s,)
    idx = np.flatnonzero(tree.parent >= 0)
    np.testing.assert_array_equal(starts, tree.points[tree.parent[idx]])
    np.testing.assert_array_equal(ends, tree.points[idx])
    np.testing.assert_allclose(radii, 0.5 * (tree.radii[tree.parent[idx]] + tree.radii[idx]))
    np.testing.assert_allclose(path, 0.5 * (tree.path_mm[tree.parent[idx]] + tree.path_mm[idx]))
    shift = np.array([3.0, -2.0, 7.5])
    moved = tree.mapped(lambda p: p + shift)
    m_starts, m_ends, m_radii, m_path = moved.segments()
    np.testing.assert_allclose(m_starts, starts + shift)
    np.testing.assert_allclose(m_ends, ends + shift)
    np.testing.assert_array_equal(m_radii, radii)
    np.testing.assert_array_equal(m_path, path)
    scaled = tree.mapped(lambda p: 2.0 * p)  # path_mm is the tree's own, not recomputed
    np.testing.assert_array_equal(scaled.path_mm, tree.path_mm)
    np.testing.assert_array_equal(tree.points, original)  # the original is unchanged
    with pytest.raises(ValueError, match="fn"):
        tree.mapped(lambda p: p[:, :2])


def test_leaves():
    tree = _tree(0, max_nodes=600)
    kids = _children(tree)
    np.testing.assert_array_equal(tree.leaves, [i for i in range(len(tree)) if not kids[i]])


def test_with_stenosis():
    tree = _tree(0)
    kids = _children(tree)
    # a node in the middle of the trunk
    node = next(i for i in range(10, len(tree)) if len(kids[i]) == 1 and tree.generation[i] == 0)
    sten = tree.with_stenosis(node, 0.6, 8.0)
    assert sten.radii[node] == pytest.approx(0.4 * tree.radii[node])
    far = np.abs(tree.path_mm - tree.path_mm[node]) > 4.0 + 1e-9
    np.testing.assert_array_equal(sten.radii[far], tree.radii[far])
    near = ~far
    assert np.all(sten.radii[near] <= tree.radii[near]) and near.sum() >= 7
    # smooth profile: the reduction decreases with the distance from the node
    nb = [tree.parent[node], kids[node][0]]
    assert np.all(sten.radii[nb] / tree.radii[nb] > 0.4) and np.all(sten.radii[nb] / tree.radii[nb] < 1.0)
    np.testing.assert_array_equal(sten.points, tree.points)
    np.testing.assert_array_equal(sten.path_mm, tree.path_mm)
    with pytest.raises(ValueError, match="severity"):
        tree.with_stenosis(node, 0.99, 8.0)
    with pytest.raises(ValueError, match="length_mm"):
        tree.with_stenosis(node, 0.5, 0.0)
    with pytest.raises(ValueError, match="node"):
        tree.with_stenosis(len(tree), 0.5, 5.0)


def test_stenosis_spreads_along_tree_not_by_path_alone():
    tree = _tree(0)
    kids = _children(tree)
    b = next(i for i, k in enumerate(kids) if len(k) == 2 and tree.generation[i] >= 3)
    sten = tree.with_stenosis(b, 0.5, 6.0)
    for k in kids[b]:  # both children of a branch node are narrowed ...
        assert sten.radii[k] < tree.radii[k]
    idx, dist = tree.tree_distance(b, 3.0)
    assert idx[0] == b and dist[0] == 0.0 and np.all(dist <= 3.0)
    # ... but not nodes of other branches at the same path distance
    others = np.setdiff1d(np.flatnonzero(np.abs(tree.path_mm - tree.path_mm[b]) < 1.0), idx)
    assert others.size > 0
    np.testing.assert_array_equal(sten.radii[others], tree.radii[others])


def test_add_aneurysm():
    tree = _tree(0)
    rng = np.random.default_rng(11)
    for node in (40, len(tree) // 2, int(tree.leaves[0])):
        centre, radius = add_aneurysm(tree, node, 3.0, rng)
        assert centre.shape == (3,) and radius == 3.0
        offset = centre - tree.points[node]
        dist = np.linalg.norm(offset)
        r = tree.radii[node]
        assert r + 0.5 * radius <= dist <= r + radius  # the sac touches / overlaps the lumen
        assert abs(offset @ tree.heading(node)) < 1e-9 * dist  # perpendicular to the local heading
    with pytest.raises(ValueError, match="radius_mm"):
        add_aneurysm(tree, 5, 0.0, rng)


def test_ellipsoid_helpers():
    inside = ellipsoid_inside((1.0, 2.0, 3.0), (10.0, 20.0, 30.0))
    pts = np.array([[1.0, 2.0, 3.0], [10.9, 2.0, 3.0], [11.1, 2.0, 3.0], [1.0, 2.0, -27.5]])
    np.testing.assert_array_equal(inside(pts), [True, True, False, False])
    surf = ellipsoid_surface((1.0, 2.0, 3.0), (10.0, 20.0, 30.0), offset_mm=2.0)
    proj = surf(np.array([[50.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 3.0, 3.0]]))
    np.testing.assert_allclose(proj, [[13.0, 2.0, 3.0], [1.0, 2.0, 35.0], [1.0, 24.0, 3.0]])
    with pytest.raises(ValueError, match="semi_axes"):
        ellipsoid_inside((0, 0, 0), (1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match="offset_mm"):
        ellipsoid_surface((0, 0, 0), (5.0, 6.0, 7.0), offset_mm=-5.0)
    with pytest.raises(ValueError, match="centre"):
        ellipsoid_surface((0, 0), (5.0, 6.0, 7.0))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"root_radius_mm": 0.0}, "root_radius_mm"),
        ({"min_radius_mm": -0.1}, "min_radius_mm"),
        ({"step_mm": 0.0}, "step_mm"),
        ({"root_radius_mm": 1.0, "min_radius_mm": 1.5}, "min_radius_mm"),
        ({"max_nodes": 1}, "max_nodes"),
        ({"length_factor": 0.0}, "length_factor"),
        ({"tortuosity": -1.0}, "tortuosity"),
        ({"attraction": (1.0, 2.0)}, "attraction"),
        ({"root": (0.0, 0.0)}, "root"),
        ({"root": (0.0, 0.0, np.nan)}, "root"),
        ({"direction": (0.0, 0.0, 0.0)}, "direction"),
        ({"direction": (0.0, 1.0)}, "direction"),
        ({"root": (100.0, 0.0, 0.0), "inside": ellipsoid_inside((0, 0, 0), (10.0, 10.0, 10.0))}, "root"),
    ],
)
def test_bad_inputs(kwargs, name):
    args = {"root": (0.0, 0.0, 0.0), "direction": (0.0, 0.0, 1.0)}
    args.update(kwargs)
    root, direction = args.pop("root"), args.pop("direction")
    with pytest.raises(ValueError, match=name):
        grow_vessel_tree_3d(np.random.default_rng(0), root, direction, **args)


def test_direction_normal_to_surface_rejected():
    surf = ellipsoid_surface((0, 0, 0), (10.0, 10.0, 10.0))
    with pytest.raises(ValueError, match="direction"):
        grow_vessel_tree_3d(np.random.default_rng(0), (0, 0, 10.0), (0, 0, 1.0), constrain=surf)


def test_tree_validation():
    pts = np.zeros((3, 3))
    with pytest.raises(ValueError, match="parent"):
        VesselTree3D(pts, np.ones(3), np.array([-1, 2, 0]), np.zeros(3), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="radii"):
        VesselTree3D(pts, np.ones(2), np.array([-1, 0, 1]), np.zeros(3), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="points"):
        VesselTree3D(np.zeros((3, 2)), np.ones(3), np.array([-1, 0, 1]), np.zeros(3), np.zeros(3, np.int64))
