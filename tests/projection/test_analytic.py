# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Closed-form line integrals of ellipsoids and finite cylinders: exact values (sphere, skew cylinder, end-on piece),
brute-force sampling along rays, linearity, flat caps that tile, parity with projected voxelised volumes (RTK and
PyTorch), sub-pixel rays and input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from monai_angio.projection import CArmGeometry, forward_project
from monai_angio.projection.analytic import chain_cap_normals, cylinder_line_integrals, ellipsoid_line_integrals

GEOM = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(41, 45), pixel_mm=2.0)


def _rays(g: CArmGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source ``(3,)``, unit directions to the pixel centres ``(rows, cols, 3)``, ray lengths ``(rows, cols)``."""
    s = g.source_position()
    d = g.pixel_positions() - s
    length = np.linalg.norm(d, axis=-1)
    return s, d / length[..., None], length


def _point_distance(g: CArmGeometry, centre: np.ndarray) -> np.ndarray:
    """Distance of every pixel's ray from a point, ``(rows, cols)``."""
    s, d, _ = _rays(g)
    w = s - centre
    return np.linalg.norm(w - (d @ w)[..., None] * d, axis=-1)


def _rotation(ax: float, ay: float, az: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = math.cos(ax), math.sin(ax), math.cos(ay), math.sin(ay), math.cos(az), math.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def _brute_force(g: CArmGeometry, pixels: list[tuple[int, int]], inside, centre, radius, n=200_000) -> np.ndarray:
    """Chord lengths (mm) through ``inside(x, y, z) -> bool`` by midpoint sampling of each pixel's ray over the part
    within ``radius`` of ``centre`` (a bounding sphere)."""
    s, d, _ = _rays(g)
    out = []
    for row, col in pixels:
        u = d[row, col]
        t_mid = (centre - s) @ u
        t = t_mid - radius + (np.arange(n) + 0.5) * (2 * radius / n)
        x = s + t[:, None] * u
        out.append(inside(x[:, 0], x[:, 1], x[:, 2]).sum() * (2 * radius / n))
    return np.array(out)


def _inside_ellipsoid(centre, semi, rot):
    def inside(x, y, z):
        total = 0.0
        for j in range(3):
            q = ((x - centre[0]) * rot[0, j] + (y - centre[1]) * rot[1, j] + (z - centre[2]) * rot[2, j]) / semi[j]
            total = total + q * q
        return total <= 1.0

    return inside


def _inside_cylinder(p0, p1, radius):
    axis = p1 - p0
    length = np.linalg.norm(axis)
    axis = axis / length

    def inside(x, y, z):
        wx, wy, wz = x - p0[0], y - p0[1], z - p0[2]
        s = wx * axis[0] + wy * axis[1] + wz * axis[2]
        return (s >= 0) & (s <= length) & (wx * wx + wy * wy + wz * wz - s * s <= radius**2)

    return inside


# ------------------------------------------------------------------------------------------------------ ellipsoids


@pytest.mark.parametrize(
    "prim, sec, table", [(0.0, 0.0, (0.0, 0.0, 0.0)), (35.0, -20.0, (0.0, 0.0, 0.0)), (-60.0, 15.0, (5.0, -8.0, 12.0))]
)
def test_sphere_closed_form_every_pixel(prim, sec, table):
    g = GEOM.replace(primary_deg=prim, secondary_deg=sec, table_offset_mm=table)
    centre, radius, mu = np.array([6.0, -4.0, 9.0]), 22.0, 0.02
    img = ellipsoid_line_integrals(g, centre[None], np.full((1, 3), radius), np.array([mu]))
    assert img.shape == (41, 45) and img.dtype == np.float32
    d = _point_distance(g, centre)
    expected = 2 * mu * np.sqrt(np.clip(radius**2 - d**2, 0.0, None))
    assert (expected > 0).sum() > 300 and (expected == 0).sum() > 300  # the sphere and its surroundings
    np.testing.assert_allclose(img, expected, rtol=1e-4, atol=1e-6)


def test_rotated_ellipsoid_against_brute_force():
    g = GEOM.replace(primary_deg=25.0, secondary_deg=12.0)
    centre, semi, rot = np.array([8.0, 5.0, -6.0]), np.array([24.0, 10.0, 6.0]), _rotation(0.4, -0.7, 1.1)
    img = ellipsoid_line_integrals(g, centre[None], semi[None], np.array([1.0]), rot[None])
    # rays through points inside (scaled 0.2-0.95 along the axes), near the surface and outside it
    rng = np.random.default_rng(3)
    dirs = rng.normal(size=(12, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    scale = np.array([0.2, 0.5, 0.8, 0.95, 1.0, 1.05, 1.2, 0.6, 0.9, 0.99, 1.1, 0.3])[:, None]
    colrow = g.project_points(centre + (scale * dirs * semi) @ rot.T)
    pixels = sorted({(round(r), round(c)) for c, r in colrow})
    ref = _brute_force(g, pixels, _inside_ellipsoid(centre, semi, rot), centre, 25.0)
    got = np.array([img[p] for p in pixels])
    assert np.count_nonzero(ref) >= 7 and ref.max() > 10.0
    np.testing.assert_allclose(got, ref, atol=2e-3)  # mm; the sampling step is 2.5e-4 mm


def test_nested_ellipsoids_subtract():
    """A negative-density ellipsoid inside a positive one (Shepp-Logan style) leaves the difference."""
    g = GEOM.replace(primary_deg=15.0)
    outer, inner = np.array([0.0, 0.0, 0.0]), np.array([4.0, 3.0, -5.0])
    img = ellipsoid_line_integrals(
        g, np.stack([outer, inner]), np.array([[30.0] * 3, [9.0] * 3]), np.array([0.02, -0.015])
    )
    d_out, d_in = _point_distance(g, outer), _point_distance(g, inner)
    expected = 0.02 * 2 * np.sqrt(np.clip(900 - d_out**2, 0, None)) - 0.015 * 2 * np.sqrt(
        np.clip(81 - d_in**2, 0, None)
    )
    np.testing.assert_allclose(img, expected, rtol=1e-4, atol=1e-6)
    hole = d_in < 8.0
    assert hole.sum() > 10 and np.all(img[hole] < 0.02 * 2 * np.sqrt(900 - d_out[hole] ** 2) - 1e-3)


# ------------------------------------------------------------------------------------------------------- cylinders


@pytest.mark.parametrize("prim, sec", [(0.0, 0.0), (30.0, 20.0)])
def test_long_cylinder_profile(prim, sec):
    """A long piece along the patient axis through the isocenter: ``2 sqrt(r^2 - d^2) / sin(angle)`` per ray."""
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(21, 64), pixel_mm=0.5, primary_deg=prim)
    g = g.replace(secondary_deg=sec)
    radius, mu, axis = 3.5, 0.05, np.array([0.0, 0.0, 1.0])
    img = cylinder_line_integrals(g, np.array([[0.0, 0.0, -300.0]]), np.array([[0.0, 0.0, 300.0]]), [radius], [mu])
    s, d, _ = _rays(g)
    normal = np.cross(d, axis)
    sin = np.linalg.norm(normal, axis=-1)
    dist = np.abs(normal @ s) / sin  # distance between the ray and the axis (through the origin)
    expected = mu * 2 * np.sqrt(np.clip(radius**2 - dist**2, 0.0, None)) / sin
    assert (expected > 0).sum() > 200 and (expected == 0).sum() > 200
    if sec:
        assert sin.min() < 0.95  # the slant matters
    np.testing.assert_allclose(img, expected, rtol=1e-4, atol=1e-6)


def test_long_oblique_piece_in_row_strips(monkeypatch):
    """A piece whose detector box is large is evaluated in strips of rows: still the closed form everywhere, and the
    same image as in one block."""
    import monai_angio.projection.analytic as analytic

    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(150, 260), pixel_mm=0.5, primary_deg=-20.0)
    centre, axis, radius = np.array([3.0, -2.0, 1.0]), np.array([0.8, 0.3, -0.52]), 1.7
    axis /= np.linalg.norm(axis)
    p0, p1 = centre - 400 * axis, centre + 400 * axis
    img = cylinder_line_integrals(g, p0[None], p1[None], [radius], [1.0])
    s, d, _ = _rays(g)
    normal = np.cross(d, axis)
    sin = np.linalg.norm(normal, axis=-1)
    dist = np.abs(normal @ (s - centre)) / sin
    expected = 2 * np.sqrt(np.clip(radius**2 - dist**2, 0.0, None)) / sin
    assert (expected > 0).sum() > 1000
    np.testing.assert_allclose(img, expected, rtol=1e-4, atol=1e-6)
    strips = cylinder_line_integrals(g, p0[None], p1[None], [radius], [1.0], supersample=2)
    monkeypatch.setattr(analytic, "_BLOCK", 1 << 24)
    whole = cylinder_line_integrals(g, p0[None], p1[None], [radius], [1.0], supersample=2)
    np.testing.assert_allclose(strips, whole, rtol=1e-6, atol=1e-7)
    assert strips.sum() == pytest.approx(img.sum(), rel=1e-3)


def test_cylinder_end_on():
    """A piece along the central ray: its length (slanted) where a ray stays inside the radius, 0 outside."""
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(41, 41), pixel_mm=0.6, primary_deg=20.0)
    g = g.replace(secondary_deg=10.0)
    beam, iso = g.beam_direction(), g.isocenter()
    length, radius = 10.0, 4.0
    p0, p1 = iso - length / 2 * beam, iso + length / 2 * beam
    img = cylinder_line_integrals(g, p0[None], p1[None], [radius], [1.0])
    assert np.all(np.isfinite(img))
    assert img[20, 20] == pytest.approx(length, rel=1e-6)  # the central ray runs exactly along the axis
    s, d, _ = _rays(g)
    cos = d @ beam
    radial = []
    for p in (p0, p1):  # where each ray crosses the two cap planes, and its distance from the axis there
        x = s + (((p - s) @ beam) / cos)[..., None] * d
        radial.append(np.linalg.norm((x - p) - ((x - p) @ beam)[..., None] * beam, axis=-1))
    inside = (radial[0] < radius - 0.05) & (radial[1] < radius - 0.05)
    outside = (radial[0] > radius + 0.05) & (radial[1] > radius + 0.05)
    assert inside.sum() > 100 and outside.sum() > 100
    np.testing.assert_allclose(img[inside], (length / cos)[inside], rtol=1e-6)
    assert np.all(img[outside] == 0)
    assert np.all((img >= 0) & (img <= length / cos.min() + 1e-5))
    # an axis tilted by 1e-9 rad (nearly parallel rays) gives the same image, without NaN or Inf
    tilt = np.cross(beam, [1.0, 0.0, 0.0])
    tilted = cylinder_line_integrals(g, p0[None], (p1 + 1e-8 * tilt)[None], [radius], [1.0])
    assert np.all(np.isfinite(tilted))
    np.testing.assert_allclose(tilted, img, atol=1e-5)


def test_short_cylinder_caps_against_brute_force():
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(21, 21), pixel_mm=0.9, primary_deg=-35.0)
    g = g.replace(secondary_deg=25.0)
    p0, p1, radius = np.array([-1.0, 2.0, -1.5]), np.array([2.0, -0.5, 1.5]), 3.0  # length 4.9 < diameter
    img = cylinder_line_integrals(g, p0[None], p1[None], [radius], [1.0])
    pixels = [(r, c) for r in range(21) for c in range(21)]
    ref = _brute_force(g, pixels, _inside_cylinder(p0, p1, radius), (p0 + p1) / 2, 6.0, n=20_000).reshape(21, 21)
    assert (ref > 0).sum() > 80 and (ref == 0).sum() > 80
    assert ref.max() > 4.0
    np.testing.assert_allclose(img, ref, atol=2e-3)  # mm; the sampling step is 6e-4 mm


def _vessel_pieces(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    starts = rng.uniform(-25, 25, (n, 3))
    ends = starts + rng.normal(size=(n, 3)) * 2.0
    return starts, ends, rng.uniform(0.3, 4.0, n)


def test_weight_sets_equal_separate_calls():
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(64, 72), pixel_mm=0.8, primary_deg=40.0)
    starts, ends, radii = _vessel_pieces(120, 0)
    weights = np.random.default_rng(1).uniform(-0.01, 0.05, (120, 3))
    weights[::7, 1] = 0.0
    for ss in (1, 2):
        stack = cylinder_line_integrals(g, starts, ends, radii, weights, supersample=ss)
        assert stack.shape == (3, 64, 72) and stack.dtype == np.float32
        for k in range(3):
            single = cylinder_line_integrals(g, starts, ends, radii, weights[:, k], supersample=ss)
            assert single.shape == (64, 72)
            np.testing.assert_allclose(stack[k], single, rtol=1e-6, atol=1e-7)
    # linearity: the sum of one-piece images
    total = sum(
        cylinder_line_integrals(g, starts[i : i + 1], ends[i : i + 1], radii[i : i + 1], weights[i : i + 1, 0])
        for i in range(0, 120, 10)
    )
    part = cylinder_line_integrals(g, starts[::10], ends[::10], radii[::10], weights[::10, 0])
    np.testing.assert_allclose(part, total, rtol=1e-5, atol=1e-6)


def test_collinear_pieces_tile():
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(48, 48), pixel_mm=0.6, primary_deg=10.0)
    g = g.replace(secondary_deg=-30.0)
    p0, p1 = np.array([-6.0, -3.0, -4.0]), np.array([5.0, 2.0, 6.0])
    cuts = [0.0, 0.13, 0.5, 0.51, 1.0]
    pts = np.array([p0 + f * (p1 - p0) for f in cuts])
    whole = cylinder_line_integrals(g, p0[None], p1[None], [2.5], [0.04], supersample=2)
    pieces = cylinder_line_integrals(g, pts[:-1], pts[1:], np.full(4, 2.5), np.full(4, 0.04), supersample=2)
    assert whole.max() > 0.1
    np.testing.assert_allclose(pieces, whole, atol=1e-6)


def test_degenerate_and_hidden_pieces():
    g = GEOM
    behind = g.source_position() - 50 * g.beam_direction()
    starts = np.array([[0.0, 0.0, 0.0], behind, [400.0, 0.0, 0.0]])  # zero length, behind the source, off detector
    ends = np.array([[0.0, 0.0, 0.0], behind + [0.0, 0.0, 10.0], [400.0, 0.0, 10.0]])
    img = cylinder_line_integrals(g, starts, ends, np.full(3, 5.0), np.ones(3))
    assert img.shape == (41, 45) and not img.any()
    assert cylinder_line_integrals(g, np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros((0, 2))).shape == (
        2,
        41,
        45,
    )
    empty = ellipsoid_line_integrals(g, np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0))
    assert empty.shape == (41, 45) and not empty.any()


# ---------------------------------------------------------------------------------------- parity with voxel volumes

N_VOX, VOX = 96, 0.5
ELL = (np.array([2.0, -1.5, 1.0]), np.array([15.0, 9.0, 6.0]), _rotation(0.3, 0.5, -0.8), 0.02)
CYL = (np.array([-14.0, -6.0, -10.0]), np.array([12.0, 7.0, 13.0]), 2.5, 0.06)
PARITY_GEOM = CArmGeometry(
    sod_mm=750.0, sid_mm=1100.0, detector_shape=(64, 64), pixel_mm=1.2, primary_deg=30.0, secondary_deg=15.0
)


def _voxelise(vol: np.ndarray, inside, lo: np.ndarray, hi: np.ndarray, mu: float, sub: int = 4) -> None:
    """Add ``mu`` times the fraction of each voxel inside a shape (``sub^3`` samples per voxel) to a centred volume
    ``(z, y, x)`` at ``VOX`` mm, over the voxels of the world box ``[lo, hi]`` only."""
    first = -(N_VOX - 1) / 2 * VOX  # centre of voxel 0
    i0 = np.clip(np.floor((lo - first) / VOX).astype(int) - 1, 0, N_VOX)
    i1 = np.clip(np.ceil((hi - first) / VOX).astype(int) + 2, 0, N_VOX)

    def samples(a: int, b: int) -> np.ndarray:
        return (first - VOX / 2 + (np.arange(a * sub, b * sub) + 0.5) / sub * VOX).astype(np.float32)

    x, y = samples(i0[0], i1[0])[None, None, :], samples(i0[1], i1[1])[None, :, None]
    ny, nx = i1[1] - i0[1], i1[0] - i0[0]
    for k0 in range(i0[2], i1[2], 4):
        k1 = min(k0 + 4, i1[2])
        frac = inside(x, y, samples(k0, k1)[:, None, None]).reshape(k1 - k0, sub, ny, sub, nx, sub).sum((1, 3, 5))
        vol[k0:k1, i0[1] : i1[1], i0[0] : i1[0]] += mu / sub**3 * frac


@pytest.fixture(scope="module")
def voxelised() -> np.ndarray:
    """The ellipsoid and the cylinder piece as a 96^3 volume at 0.5 mm, (z, y, x), 4^3 sub-voxel averaging."""
    vol = np.zeros((N_VOX, N_VOX, N_VOX), np.float32)
    centre, semi, rot, mu = ELL
    half = np.sqrt(rot**2 @ semi**2)
    _voxelise(vol, _inside_ellipsoid(centre, semi, rot), centre - half, centre + half, mu)
    p0, p1, radius, mu = CYL
    half = radius * np.sqrt(1 - ((p1 - p0) / np.linalg.norm(p1 - p0)) ** 2)
    _voxelise(vol, _inside_cylinder(p0, p1, radius), np.minimum(p0, p1) - half, np.maximum(p0, p1) + half, mu)
    exact = 4 / 3 * np.pi * semi.prod() * ELL[3] + np.pi * radius**2 * np.linalg.norm(p1 - p0) * mu
    assert vol.sum() * VOX**3 == pytest.approx(exact, rel=2e-3)  # the voxelisation itself
    return vol


def _analytic_parity_image(ss: int = 1) -> np.ndarray:
    g = PARITY_GEOM
    ell = ellipsoid_line_integrals(g, ELL[0][None], ELL[1][None], np.array([ELL[3]]), ELL[2][None], supersample=ss)
    cyl = cylinder_line_integrals(g, CYL[0][None], CYL[1][None], [CYL[2]], [CYL[3]], supersample=ss)
    return ell + cyl


def _compare(ref: np.ndarray, img: np.ndarray) -> None:
    # total integral within 2 % (measured 0.1 %); pixel by pixel within 5 % (measured 2 %: partial-volume edges)
    assert img.sum() == pytest.approx(ref.sum(), rel=0.02)
    assert np.abs(img - ref).mean() / np.abs(ref).mean() < 0.05


def test_parity_with_rtk(voxelised):
    pytest.importorskip("itk")
    from monai_angio.projection import rtk_forward_project

    ref = rtk_forward_project(voxelised, (VOX,) * 3, PARITY_GEOM)[0]
    _compare(ref, _analytic_parity_image())


def test_parity_with_torch_projector(voxelised):
    ref = forward_project(torch.from_numpy(voxelised)[None, None], (VOX,) * 3, PARITY_GEOM)[0, 0].numpy()
    _compare(ref, _analytic_parity_image())


# --------------------------------------------------------------------------------------------------- supersampling


def test_supersample_large_object_mean():
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(48, 48), pixel_mm=1.2, primary_deg=20.0)
    args = (
        np.array([[1.0, 2.0, -1.5]]),
        np.array([[14.0, 11.0, 9.0]]),
        np.array([0.02]),
        _rotation(0.2, 0.1, 0.5)[None],
    )
    one = ellipsoid_line_integrals(g, *args)
    two = ellipsoid_line_integrals(g, *args, supersample=2)
    assert not np.array_equal(one, two)
    assert two.mean() == pytest.approx(one.mean(), rel=2e-3)  # measured 5e-4
    inner = (slice(14, 34), slice(14, 34))  # away from the rim: a smooth image, both sample it closely
    assert two[inner].mean() == pytest.approx(one[inner].mean(), rel=1e-3)  # measured 1.5e-4


@pytest.mark.parametrize("diagonal", [False, True])
def test_supersample_thin_vessel_total(diagonal):
    """A vessel thinner than a pixel: the detector total matches the closed-form one, within 3 % with one ray per
    pixel unless the vessel runs along a pixel diagonal (aliasing: 22 % off), within 1 % with 4 x 4 rays; sub-pixel
    rays spread the vessel over more pixels with a lower peak."""
    g = CArmGeometry(sod_mm=750.0, sid_mm=1100.0, detector_shape=(96, 96), pixel_mm=0.6, primary_deg=10.0)
    p0, p1 = np.array([-15.0, 3.0, -12.0]), np.array([14.0, -2.0, 16.0 if diagonal else 6.0])
    radius, mu = 0.12, 0.3
    # the total over the detector area: the integral of mu * sid^2 / (distance^2 cos^3(angle to the beam)) over the
    # piece's volume (a detector area element sees sid^2 / cos^3 times the solid angle)
    s = g.source_position()
    pts = p0 + ((np.arange(2000) + 0.5) / 2000)[:, None] * (p1 - p0)
    dist = np.linalg.norm(pts - s, axis=1)
    cos = (pts - s) @ g.beam_direction() / dist
    expected = mu * np.pi * radius**2 * np.linalg.norm(p1 - p0) * np.mean(g.sid_mm**2 / (dist**2 * cos**3))
    totals = {}
    images = {}
    for ss in (1, 2, 4):
        images[ss] = cylinder_line_integrals(g, p0[None], p1[None], [radius], [mu], supersample=ss)
        totals[ss] = images[ss].sum() * g.pixel_mm**2 / expected
    if diagonal:
        assert totals[1] > 1.1
    else:
        assert totals[1] == pytest.approx(1.0, abs=0.03)
    assert totals[2] == pytest.approx(1.0, abs=0.03)
    assert totals[4] == pytest.approx(1.0, abs=0.01)
    assert np.count_nonzero(images[2]) > np.count_nonzero(images[1])
    assert images[4].max() < images[1].max()


# ---------------------------------------------------------------------------------------------------- input checks

_E = (np.zeros((2, 3)), np.ones((2, 3)), np.ones(2))
_S = (np.zeros((2, 3)), np.ones((2, 3)), np.ones(2), np.ones(2))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"centres": np.zeros(3)}, "centres"),
        ({"centres": np.full((2, 3), np.nan)}, "centres"),
        ({"semi_axes": np.ones((3, 3))}, "semi_axes"),
        ({"semi_axes": np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])}, "semi_axes"),
        ({"densities": np.ones(3)}, "densities"),
        ({"densities": np.array([1.0, np.inf])}, "densities"),
        ({"rotations": np.ones((2, 3, 3))}, "rotations"),
        ({"rotations": np.eye(3)}, "rotations"),
        ({"supersample": 0}, "supersample"),
        ({"supersample": 1.5}, "supersample"),
    ],
)
def test_ellipsoid_bad_inputs(kwargs, name):
    args = dict(zip(("centres", "semi_axes", "densities"), _E, strict=True))
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        ellipsoid_line_integrals(GEOM, **args)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"starts": np.zeros((2, 2))}, "starts"),
        ({"ends": np.ones((3, 3))}, "ends"),
        ({"ends": np.full((2, 3), np.nan)}, "ends"),
        ({"radii": np.array([1.0, 0.0])}, "radii"),
        ({"radii": np.array([1.0, -2.0])}, "radii"),
        ({"radii": np.ones((2, 1))}, "radii"),
        ({"weights": np.ones(3)}, "weights"),
        ({"weights": np.ones((2, 2, 1))}, "weights"),
        ({"weights": np.array([1.0, np.nan])}, "weights"),
        ({"supersample": -1}, "supersample"),
    ],
)
def test_cylinder_bad_inputs(kwargs, name):
    args = dict(zip(("starts", "ends", "radii", "weights"), _S, strict=True))
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        cylinder_line_integrals(GEOM, **args)


def test_geometry_type():
    with pytest.raises(TypeError, match="CArmGeometry"):
        ellipsoid_line_integrals(None, *_E)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="CArmGeometry"):
        cylinder_line_integrals("view", *_S)  # type: ignore[arg-type]


def test_mitred_joint_tiles_a_bent_tube():
    """Two pieces bent by 40 degrees: with the bisector cap (chain_cap_normals) their sum is the bent tube (each
    point counted once); with perpendicular caps the joint has a wedge overlap on the inner side."""
    g = CArmGeometry(750.0, 1100.0, (48, 48), 0.4, primary_deg=0.0)
    r, bend = 3.0, math.radians(40.0)
    p0, p1 = np.array([-12.0, 0.0, 0.0]), np.zeros(3)
    p2 = 12.0 * np.array([math.cos(bend), 0.0, math.sin(bend)])
    starts, ends = np.stack([p0, p1]), np.stack([p1, p2])
    n0, n1 = chain_cap_normals(starts, ends, np.array([-1, 0]))
    bisector = n1[0]
    np.testing.assert_allclose(n0[1], bisector)
    np.testing.assert_allclose(n0[0], [1.0, 0.0, 0.0])

    def tube(x, y, z):
        pts = np.stack([x, y, z], axis=-1)
        first = (pts - p0) @ np.array([1.0, 0.0, 0.0]) >= 0
        first &= (pts - p1) @ bisector <= 0
        first &= np.linalg.norm(np.cross(pts - p0, [1.0, 0.0, 0.0]), axis=-1) <= r
        a2 = (p2 - p1) / 12.0
        second = ((pts - p1) @ bisector > 0) & ((pts - p2) @ a2 <= 0)
        second &= np.linalg.norm(np.cross(pts - p1, a2), axis=-1) <= r
        return first | second

    # rays through the joint seen from the side (the bend in the x-z plane, the beam along -y)
    pixels = [(row, col) for row in (18, 22, 24, 26, 30) for col in (20, 24, 28)]
    ref = _brute_force(g, pixels, tube, np.zeros(3), 20.0, n=100_000)
    ones = np.ones(2)
    mitred = cylinder_line_integrals(g, starts, ends, np.full(2, r), ones, start_normals=n0, end_normals=n1)
    square = cylinder_line_integrals(g, starts, ends, np.full(2, r), ones)
    got = np.array([mitred[p] for p in pixels])
    np.testing.assert_allclose(got, ref, atol=0.02)
    assert np.abs(np.array([square[p] for p in pixels]) - ref).max() > 0.3
    # the default normals are the axes: passing them changes nothing
    axes = (ends - starts) / 12.0
    same = cylinder_line_integrals(g, starts, ends, np.full(2, r), ones, start_normals=axes, end_normals=axes)
    np.testing.assert_array_equal(same, square)


def test_cap_normals_too_oblique_are_refused():
    starts, ends = np.zeros((1, 3)), np.array([[10.0, 0.0, 0.0]])
    g = CArmGeometry(750.0, 1100.0, (16, 16), 0.5)
    with pytest.raises(ValueError, match="start_normals must lie within 60 degrees"):
        cylinder_line_integrals(g, starts, ends, np.ones(1), np.ones(1), start_normals=np.array([[0.3, 1.0, 0.0]]))
