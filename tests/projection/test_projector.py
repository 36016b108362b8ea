# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Forward projectors: closed-form line integrals (sphere, cylinder), parity with RTK's Joseph projector,
point projection, chunking, batching and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monai_angio.projection import CArmGeometry, ForwardProjector, forward_project, rtk_forward_project

N, SPACING, MU = 32, 2.0, 0.02
GEOM = CArmGeometry(sod_mm=500.0, sid_mm=800.0, detector_shape=(33, 33), pixel_mm=1.6)


def _grid(n: int = N, spacing: float = SPACING, sub: int = 1):
    """Voxel (or sub-voxel) centre coordinates (z, y, x) of a centred volume."""
    c = (np.arange(n * sub) - (n * sub - 1) / 2) * spacing / sub
    return np.meshgrid(c, c, c, indexing="ij")


def _partial_volume(inside, n: int = N, sub: int = 4) -> np.ndarray:
    """Fraction of each voxel inside a shape (sub^3 samples per voxel), shape (n, n, n)."""
    z, y, x = _grid(n, SPACING, sub)
    return inside(x, y, z).reshape(n, sub, n, sub, n, sub).mean(axis=(1, 3, 5))


def _ray_distance(g: CArmGeometry, row: int, col: int, centre=np.zeros(3), axis=None) -> float:
    """Distance of the ray source -> pixel (row, col) from a point (or from a line through it along ``axis``)."""
    s = g.source_position()
    d = g.pixel_positions()[row, col] - s
    d /= np.linalg.norm(d)
    w = s - centre
    if axis is None:
        return float(np.linalg.norm(w - (w @ d) * d))
    n = np.cross(d, axis)
    return float(abs(w @ n) / np.linalg.norm(n))


@pytest.mark.parametrize("prim, sec", [(0.0, 0.0), (40.0, -20.0)])
def test_sphere_closed_form(prim, sec):
    radius = 24.0
    vol = MU * _partial_volume(lambda x, y, z: x**2 + y**2 + z**2 <= radius**2)
    g = GEOM.replace(primary_deg=prim, secondary_deg=sec)
    out = forward_project(torch.tensor(vol, dtype=torch.float32)[None, None], (SPACING,) * 3, g)
    assert out.shape == (1, 1, 33, 33)
    for row, col in [(16, 16), (16, 24), (9, 20), (22, 10)]:  # central pixel and off-centre ones away from the rim
        d = _ray_distance(g, row, col)
        assert d < 0.8 * radius
        expected = 2 * MU * np.sqrt(radius**2 - d**2)
        assert float(out[0, 0, row, col]) == pytest.approx(expected, rel=0.01)  # measured < 0.3 %


def test_cylinder_closed_form():
    radius = 20.0
    vol = MU * _partial_volume(lambda x, y, z: x**2 + y**2 <= radius**2)
    out = forward_project(torch.tensor(vol)[None, None], (SPACING,) * 3, GEOM)[0, 0]
    for col in (16, 20, 25, 8):  # central detector row: rays perpendicular to the cylinder axis (z)
        d = _ray_distance(GEOM, 16, col, axis=np.array([0.0, 0.0, 1.0]))
        expected = 2 * MU * np.sqrt(radius**2 - d**2)
        assert float(out[16, col]) == pytest.approx(expected, rel=0.01)


def _smooth_volume(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z, y, x = _grid()
    vol = np.zeros_like(x)
    for _ in range(6):
        c = rng.uniform(-15, 15, 3)
        s = rng.uniform(5, 10)
        vol += rng.uniform(0.005, 0.02) * np.exp(-((x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2) / (2 * s**2))
    return vol.astype(np.float32)


def test_rtk_parity():
    vol = _smooth_volume()
    geoms = [GEOM.replace(primary_deg=a, secondary_deg=b) for a, b in [(0, 0), (37, 12), (-95, -25), (160, 5)]]
    ref = rtk_forward_project(vol, (SPACING,) * 3, geoms)
    out = forward_project(torch.tensor(vol)[None, None], (SPACING,) * 3, geoms)[0].numpy()
    assert ref.shape == out.shape == (4, 33, 33)
    rel = np.abs(out - ref).mean() / np.abs(ref).mean()
    assert rel < 0.02  # measured ~0.3 %


def test_rtk_parity_offset_origin_and_table():
    vol = _smooth_volume(1)
    geoms = [GEOM.replace(primary_deg=25.0, table_offset_mm=(6.0, -4.0, 10.0))]
    origin = (-20.0, -35.0, -30.0)
    ref = rtk_forward_project(vol, (SPACING, 2.5, 1.5), geoms, origin_mm=origin)
    out = forward_project(torch.tensor(vol)[None, None], (SPACING, 2.5, 1.5), geoms, origin_mm=origin)[0].numpy()
    assert np.abs(out - ref).mean() / np.abs(ref).mean() < 0.02


def test_bright_voxel_lands_on_projected_pixel():
    vol = np.zeros((N, N, N), np.float32)
    k, j, i = 20, 9, 13
    vol[k, j, i] = 1.0
    g = GEOM.replace(primary_deg=30.0, secondary_deg=15.0)
    centre = (np.array([i, j, k]) - (N - 1) / 2) * SPACING  # world (x, y, z)
    col, row = np.rint(g.project_points(centre)).astype(int)
    for img in (
        forward_project(torch.tensor(vol)[None, None], (SPACING,) * 3, g)[0, 0].numpy(),
        rtk_forward_project(vol, (SPACING,) * 3, g)[0],
    ):
        assert np.unravel_index(np.argmax(img), img.shape) == (row, col)


def test_chunking_batch_and_module():
    vol = torch.tensor(np.stack([_smooth_volume(2), _smooth_volume(3)]))[:, None]
    geoms = [GEOM.replace(detector_shape=(9, 11), pixel_mm=5.0, primary_deg=a) for a in (0.0, 70.0)]
    full = forward_project(vol, (SPACING,) * 3, geoms)
    assert full.shape == (2, 2, 9, 11)
    torch.testing.assert_close(forward_project(vol, (SPACING,) * 3, geoms, max_samples=1000), full)
    torch.testing.assert_close(forward_project(vol[1:], (SPACING,) * 3, geoms), full[1:])
    torch.testing.assert_close(ForwardProjector(geoms, (SPACING,) * 3)(vol), full)
    # a ray that misses the volume integrates to zero
    off = forward_project(vol, (SPACING,) * 3, geoms[0].replace(table_offset_mm=(500.0, 0.0, 0.0)))
    assert float(off.abs().max()) == 0.0


def test_gradcheck():
    g = CArmGeometry(
        sod_mm=100.0, sid_mm=150.0, detector_shape=(4, 4), pixel_mm=3.0, primary_deg=20.0, secondary_deg=10.0
    )
    vol = torch.rand(1, 1, 6, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: forward_project(v, (2.0, 2.0, 2.0), g), (vol,))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    vol = torch.tensor(_smooth_volume())[None, None]
    cpu = forward_project(vol, (SPACING,) * 3, GEOM)
    gpu = forward_project(vol.cuda(), (SPACING,) * 3, GEOM)
    assert gpu.is_cuda
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-5)


def test_errors():
    vol = torch.zeros(1, 1, 4, 4, 4)
    with pytest.raises(ValueError, match=r"\(B, 1, D, H, W\)"):
        forward_project(vol[0], (1.0,) * 3, GEOM)
    with pytest.raises(ValueError, match=r"\(B, 1, D, H, W\)"):
        forward_project(torch.zeros(1, 2, 4, 4, 4), (1.0,) * 3, GEOM)
    with pytest.raises(TypeError, match="floating-point"):
        forward_project(vol.long(), (1.0,) * 3, GEOM)
    with pytest.raises(ValueError, match="spacing_mm"):
        forward_project(vol, (1.0, -1.0, 1.0), GEOM)
    with pytest.raises(ValueError, match="step_mm"):
        forward_project(vol, (1.0,) * 3, GEOM, step_mm=0.0)
    with pytest.raises(ValueError, match="detector shape"):
        forward_project(vol, (1.0,) * 3, [GEOM, GEOM.replace(detector_shape=(8, 8))])
    with pytest.raises(ValueError, match="no geometry"):
        forward_project(vol, (1.0,) * 3, [])
    with pytest.raises(ValueError, match=r"\(D, H, W\)"):
        rtk_forward_project(np.zeros((4, 4)), (1.0,) * 3, GEOM)
