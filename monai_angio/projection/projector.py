# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Cone-beam forward projection (line integrals) of attenuation volumes for C-arm geometries.

* :func:`forward_project` / :class:`ForwardProjector`: a differentiable PyTorch ray marcher (trilinear sampling with
  ``grid_sample`` along each source -> pixel ray between its entry into and exit from the volume box, midpoint
  rule), on the volume's device (CUDA when the volume is on CUDA), rays processed in chunks.
* :func:`rtk_forward_project`: RTK's ``JosephForwardProjectionImageFilter`` (CPU, numpy in and out), the reference.

Volume placement: a volume ``(D, H, W)`` has its axes along world ``z, y, x`` (patient LPS at the isocenter, see
:mod:`monai_angio.projection.geometry`), ``spacing_mm = (sz, sy, sx)``, and voxel ``[k, j, i]`` has its centre at
``origin_mm + (i * sx, j * sy, k * sz)`` with ``origin_mm = (x, y, z)`` the world position of voxel ``[0, 0, 0]``;
by default the volume is centred on the world origin (the isocenter for a zero table offset). The volume box is the
union of the voxels (half a voxel beyond the outer centres); outside it the attenuation is zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from .geometry import LPS_TO_RTK, CArmGeometry, Trajectory, to_rtk

__all__ = ["ForwardProjector", "forward_project", "rtk_forward_project"]

GeometryLike = CArmGeometry | Sequence[CArmGeometry] | Trajectory


def _as_geometries(geometries: GeometryLike, where: str) -> list[CArmGeometry]:
    if isinstance(geometries, Trajectory):
        geometries = geometries.geometries
    if isinstance(geometries, CArmGeometry):
        geometries = [geometries]
    geoms = list(geometries)
    if not geoms:
        raise ValueError(f"{where}: no geometry given")
    for g in geoms:
        if not isinstance(g, CArmGeometry):
            raise TypeError(f"{where}: geometries must be CArmGeometry, got {type(g).__name__}")
    if len({(g.detector_shape, g.pixel_mm) for g in geoms}) != 1:
        raise ValueError(f"{where}: all views must share one detector shape and pixel pitch")
    return geoms


def _as_spacing(spacing_mm: Sequence[float], where: str) -> np.ndarray:
    spacing = np.asarray(spacing_mm, dtype=np.float64).reshape(-1)
    if spacing.size != 3 or not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
        raise ValueError(f"{where}: spacing_mm must be three finite numbers > 0 as (z, y, x), got {spacing_mm!r}")
    return spacing


def _origin_xyz(shape_zyx: Sequence[int], spacing_zyx: np.ndarray, origin_mm: Sequence[float] | None, where: str):
    size_xyz = np.asarray(shape_zyx[::-1], dtype=np.float64)
    spacing_xyz = spacing_zyx[::-1]
    if origin_mm is None:
        return -(size_xyz - 1) / 2 * spacing_xyz
    origin = np.asarray(origin_mm, dtype=np.float64).reshape(-1)
    if origin.size != 3 or not np.all(np.isfinite(origin)):
        raise ValueError(f"{where}: origin_mm must be three finite numbers (x, y, z), got {origin_mm!r}")
    return origin


def _rays(geoms: list[CArmGeometry], lo: np.ndarray, hi: np.ndarray, n_samples: int):
    """Per-ray entry point (normalised grid units), normalised step and step length in mm, all float64 numpy.

    Returns ``(g0 (M, 3), g_step (M, 3), dt_mm (M,))`` for the ``M = N * rows * cols`` rays; rays missing the box
    get ``dt_mm = 0``.
    """
    sources = np.stack([g.source_position() for g in geoms])[:, None, None, :]  # (N, 1, 1, 3)
    pixels = np.stack([g.pixel_positions() for g in geoms])  # (N, R, C, 3)
    direction = (pixels - sources).reshape(-1, 3)
    source = np.broadcast_to(sources, pixels.shape).reshape(-1, 3)
    length = np.linalg.norm(direction, axis=-1)
    direction = direction / length[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (lo - source) / direction
        t2 = (hi - source) / direction
    # a ray parallel to a slab: inside it for all t, or outside for all t
    parallel = direction == 0
    inside = (source >= lo) & (source <= hi)
    t_near = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    t_far = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    t_in = np.clip(t_near.max(axis=-1), 0.0, length)
    t_out = np.clip(t_far.min(axis=-1), 0.0, length)
    dt = np.where(t_out > t_in, (t_out - t_in) / n_samples, 0.0)
    scale = 2.0 / (hi - lo)  # world mm -> normalised grid units (align_corners=False: -1, 1 = box faces)
    g0 = (source + t_in[:, None] * direction - lo) * scale - 1.0
    g_step = direction * dt[:, None] * scale
    return g0, g_step, dt


def forward_project(
    volume: torch.Tensor,
    spacing_mm: Sequence[float],
    geometries: GeometryLike,
    origin_mm: Sequence[float] | None = None,
    step_mm: float | None = None,
    max_samples: int = 1 << 22,
) -> torch.Tensor:
    """Line integrals of an attenuation volume along the rays of each view (differentiable in ``volume``).

    Args:
        volume: ``(B, 1, D, H, W)`` float attenuation per mm, axes along world ``z, y, x``.
        spacing_mm: voxel size ``(sz, sy, sx)`` in mm.
        geometries: one view, a list of views or a :class:`~monai_angio.projection.geometry.Trajectory` (``N``
            views sharing a detector shape and pitch).
        origin_mm: world ``(x, y, z)`` of the centre of voxel ``[0, 0, 0]``; ``None`` centres the volume on the
            world origin.
        step_mm: sampling distance along a ray, at most this (each ray's chord is cut into the same number of equal
            steps, sized for the box diagonal); default half the smallest voxel size.
        max_samples: samples per chunk (times ``B``), bounding the memory of one ``grid_sample`` call.

    Returns:
        ``(B, N, rows, cols)`` line integrals (dimensionless ``mu * mm``), dtype and device of ``volume``.

    Raises:
        TypeError: when ``volume`` is not a floating-point tensor.
        ValueError: on a wrong volume shape, non-positive spacing or step, or views with different detectors.
    """
    where = "forward_project"
    if not isinstance(volume, torch.Tensor) or not volume.is_floating_point():
        raise TypeError(f"{where}: volume must be a floating-point torch.Tensor, got {type(volume).__name__}")
    if volume.ndim != 5 or volume.shape[1] != 1 or min(volume.shape[2:]) < 1:
        raise ValueError(f"{where}: volume must have shape (B, 1, D, H, W), got {tuple(volume.shape)}")
    geoms = _as_geometries(geometries, where)
    spacing = _as_spacing(spacing_mm, where)
    origin = _origin_xyz(volume.shape[2:], spacing, origin_mm, where)
    step = 0.5 * float(spacing.min()) if step_mm is None else float(step_mm)
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"{where}: step_mm must be a finite number > 0, got {step_mm!r}")
    if int(max_samples) < 1:
        raise ValueError(f"{where}: max_samples must be >= 1, got {max_samples}")

    spacing_xyz = spacing[::-1]
    lo = origin - spacing_xyz / 2
    hi = origin + (np.asarray(volume.shape[2:][::-1]) - 0.5) * spacing_xyz
    n_samples = max(1, math.ceil(float(np.linalg.norm(hi - lo)) / step))
    g0, g_step, dt = _rays(geoms, lo, hi, n_samples)
    batch = volume.shape[0]
    rows, cols = geoms[0].detector_shape
    n_rays = g0.shape[0]
    chunk = max(1, int(max_samples) // (n_samples * batch))

    dev, dtype = volume.device, volume.dtype
    offsets = torch.arange(n_samples, device=dev, dtype=dtype).add_(0.5)  # midpoint of each step
    outputs = []
    for start in range(0, n_rays, chunk):
        sl = slice(start, min(start + chunk, n_rays))
        keep = dt[sl] > 0
        if not keep.any():
            outputs.append(volume.new_zeros(batch, sl.stop - sl.start))
            continue
        a = torch.as_tensor(g0[sl], device=dev, dtype=dtype)
        b = torch.as_tensor(g_step[sl], device=dev, dtype=dtype)
        grid = a[:, None, :] + offsets[None, :, None] * b[:, None, :]  # (m, K, 3) as (x, y, z)
        grid = grid.unsqueeze(0).unsqueeze(0).expand(batch, 1, *grid.shape)  # (B, 1, m, K, 3)
        samples = F.grid_sample(volume, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        weights = torch.as_tensor(dt[sl], device=dev, dtype=dtype)
        outputs.append(samples[:, 0, 0].sum(dim=-1) * weights)
    return torch.cat(outputs, dim=1).reshape(batch, len(geoms), rows, cols)


class ForwardProjector(nn.Module):
    """Module form of :func:`forward_project` with a fixed geometry: ``(B, 1, D, H, W) -> (B, N, rows, cols)``.

    Args:
        geometries: the views (see :func:`forward_project`).
        spacing_mm: voxel size ``(sz, sy, sx)`` in mm.
        origin_mm: world ``(x, y, z)`` of voxel ``[0, 0, 0]``; ``None`` centres the volume.
        step_mm: sampling distance along a ray (default half the smallest voxel size).
        max_samples: samples per chunk.
    """

    def __init__(
        self,
        geometries: GeometryLike,
        spacing_mm: Sequence[float],
        origin_mm: Sequence[float] | None = None,
        step_mm: float | None = None,
        max_samples: int = 1 << 22,
    ) -> None:
        super().__init__()
        self.geometries = _as_geometries(geometries, "ForwardProjector")
        self.spacing_mm = tuple(float(s) for s in _as_spacing(spacing_mm, "ForwardProjector"))
        self.origin_mm = None if origin_mm is None else tuple(float(v) for v in origin_mm)
        self.step_mm = step_mm
        self.max_samples = max_samples

    def forward(self, volume: torch.Tensor) -> torch.Tensor:
        """Project ``volume`` ``(B, 1, D, H, W)`` to ``(B, N, rows, cols)`` line integrals."""
        return forward_project(
            volume, self.spacing_mm, self.geometries, self.origin_mm, self.step_mm, max_samples=self.max_samples
        )


def rtk_forward_project(
    volume: np.ndarray,
    spacing_mm: Sequence[float],
    geometries: GeometryLike,
    origin_mm: Sequence[float] | None = None,
) -> np.ndarray:
    """Line integrals with RTK's Joseph forward projector (CPU), the reference for :func:`forward_project`.

    Args:
        volume: ``(D, H, W)`` attenuation per mm, axes along world ``z, y, x``.
        spacing_mm: voxel size ``(sz, sy, sx)`` in mm.
        geometries: the views (sharing a detector shape and pitch).
        origin_mm: world ``(x, y, z)`` of voxel ``[0, 0, 0]``; ``None`` centres the volume.

    Returns:
        ``(N, rows, cols)`` float32 line integrals.

    Raises:
        ValueError: on a wrong volume shape or spacing.
    """
    import itk
    from itk import RTK as rtk  # noqa: N811, N812 - RTK's own spelling

    where = "rtk_forward_project"
    volume = np.asarray(volume)
    if volume.ndim != 3 or min(volume.shape) < 1:
        raise ValueError(f"{where}: volume must have shape (D, H, W), got {volume.shape}")
    if not np.all(np.isfinite(volume)):
        raise ValueError(f"{where}: volume has NaN or Inf values")
    geoms = _as_geometries(geometries, where)
    spacing = _as_spacing(spacing_mm, where)
    origin = _origin_xyz(volume.shape, spacing, origin_mm, where)

    image_type = itk.Image[itk.F, 3]
    vol = itk.image_from_array(np.ascontiguousarray(volume, dtype=np.float32))
    vol.SetSpacing([float(s) for s in spacing[::-1]])
    vol.SetOrigin([float(v) for v in LPS_TO_RTK @ origin])
    vol.SetDirection(itk.matrix_from_array(np.ascontiguousarray(LPS_TO_RTK)))

    rows, cols = geoms[0].detector_shape
    pitch = geoms[0].pixel_mm
    source = rtk.ConstantImageSource[image_type].New()
    source.SetOrigin([-(cols - 1) / 2 * pitch, -(rows - 1) / 2 * pitch, 0.0])
    source.SetSpacing([pitch, pitch, 1.0])
    source.SetSize([cols, rows, len(geoms)])
    source.SetConstant(0.0)

    projector: Any = rtk.JosephForwardProjectionImageFilter[image_type, image_type].New()
    projector.SetInput(0, source.GetOutput())
    projector.SetInput(1, vol)
    projector.SetGeometry(to_rtk(geoms))
    projector.Update()
    return np.array(itk.array_from_image(projector.GetOutput()), dtype=np.float32, copy=True)
