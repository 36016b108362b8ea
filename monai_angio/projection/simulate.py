# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Simulated X-ray projections of a CT volume: HU to attenuation on the patient's axes, line integrals along a
C-arm trajectory (PyTorch or RTK), and the XA attributes that describe them (``monai-angio project``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .geometry import Trajectory, trajectory_to_dicom
from .projector import forward_project, rtk_forward_project
from .volume import hu_to_attenuation, load_volume

__all__ = ["PROJECTORS", "VOLUME_VALUES", "attenuation_volume", "line_integrals", "lps_axes", "trajectory_attributes"]

#: the forward projectors :func:`line_integrals` runs
PROJECTORS = ("torch", "rtk")
#: what a volume's voxel values mean (:func:`attenuation_volume`)
VOLUME_VALUES = ("ct", "labels", "intensity")


def attenuation_volume(
    path: str | os.PathLike,
    spacing_mm: float | None = 2.0,
    energy_kev: float = 70.0,
    values: str = "ct",
    label_mu: float = 0.24,
) -> tuple[torch.Tensor, tuple[float, float, float]]:
    """A volume as linear attenuation per mm on the patient's LPS axes.

    A DICOM series is resampled by :func:`~monai_angio.projection.load_volume` (tilt and irregular gaps removed); a
    NIfTI volume, which it keeps on its own grid, is turned onto the patient's axes (:func:`lps_axes`) and then
    resampled here (area averaging when it shrinks on every axis, else trilinear). What the voxel values mean:

    * ``"ct"``: HU, turned into attenuation at ``energy_kev`` (:func:`~monai_angio.projection.hu_to_attenuation`);
    * ``"labels"``: a label map (a vessel segmentation): every non-zero voxel is lumen filled with contrast of
      ``label_mu`` per mm (by default the 3D phantom's iodine, :data:`~monai_angio.phantoms.MU_IODINE`), zero
      elsewhere; the resampling averages it, so a voxel holds its fraction of lumen (partial volume);
    * ``"intensity"``: taken as they are, per mm (an attenuation map, or an MR volume projected as line integrals).

    Args:
        path: a NIfTI file or a folder holding one DICOM series.
        spacing_mm: isotropic voxel size of the result; ``None`` keeps the volume's grid.
        energy_kev: effective energy of the attenuation (``"ct"``).
        values: ``"ct"``, ``"labels"`` or ``"intensity"`` (:data:`VOLUME_VALUES`).
        label_mu: attenuation per mm of a labelled voxel (``"labels"``).

    Returns:
        ``(D, H, W)`` float32 attenuation along world z, y, x, and its ``(sz, sy, sx)`` spacing in mm.
    """
    if values not in VOLUME_VALUES:
        raise ValueError(f"values must be one of {', '.join(VOLUME_VALUES)}, got {values!r}.")
    nifti = not Path(path).is_dir()
    data, meta = load_volume(path, None if nifti or values == "labels" else spacing_mm)
    data, spacing = lps_axes(data, np.asarray(meta["spacing_mm"], dtype=np.float64), np.asarray(meta["direction"]))
    if values == "labels":
        data = np.where(data != 0, np.float32(label_mu), np.float32(0.0))
    volume = torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32))
    if spacing_mm is not None and not np.allclose(spacing, spacing_mm):
        shape = [max(1, round(n * s / spacing_mm)) for n, s in zip(volume.shape, spacing, strict=True)]
        mode = "area" if all(m <= n for m, n in zip(shape, volume.shape, strict=True)) else "trilinear"
        volume = F.interpolate(volume[None, None], size=shape, mode=mode)[0, 0]
        spacing = np.full(3, spacing_mm)
    mu = hu_to_attenuation(volume, energy_kev) if values == "ct" else volume
    return mu.float(), tuple(float(s) for s in spacing)


def lps_axes(volume: np.ndarray, spacing: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A ``(D, H, W)`` volume whose array axes run along ``direction``'s columns (W, H, D in LPS) turned onto the
    nearest world axes (z, y, x), flipped where they run backwards; ``spacing`` (z, y, x) follows the axes."""
    world = np.argmax(np.abs(direction), axis=0)  # world axis (x, y, z) of array axes W, H, D
    if sorted(world.tolist()) != [0, 1, 2]:
        raise ValueError("the volume's axes are too oblique to be turned onto the patient axes.")
    order = [2 - int(np.flatnonzero(world == k)[0]) for k in (2, 1, 0)]  # input array axis of output z, y, x
    out = np.transpose(volume, order)
    signs = [direction[k, 2 - order[2 - k]] for k in (2, 1, 0)]
    flips = tuple(axis for axis, sign in enumerate(signs) if sign < 0)
    return (np.flip(out, flips) if flips else out), spacing[order]


def line_integrals(
    mu: torch.Tensor, spacing: tuple, views: Trajectory, backend: str = "torch", device: str | None = None
) -> torch.Tensor:
    """``(N, rows, cols)`` float32 line integrals (CPU tensor) of ``mu`` ``(D, H, W)`` per mm along ``views``.

    Args:
        mu: attenuation per mm along world z, y, x, centred on the isocenter.
        spacing: ``(sz, sy, sx)`` voxel size in mm.
        views: the trajectory.
        backend: ``"torch"`` (:func:`~monai_angio.projection.forward_project`, on ``device``, default CUDA when
            available) or ``"rtk"`` (RTK's Joseph projector, CPU).
        device: where the PyTorch projector runs.
    """
    if backend not in PROJECTORS:
        raise ValueError(f"backend must be one of {', '.join(PROJECTORS)}, got {backend!r}.")
    if backend == "rtk":
        try:
            return torch.from_numpy(rtk_forward_project(mu.numpy(), spacing, views))
        except ImportError as err:
            raise ValueError(f"the rtk projector needs ITK with RTK (pip install itk-rtk): {err}") from None
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    with torch.no_grad():
        return forward_project(mu[None, None].to(dev), spacing, views)[0].cpu()


def trajectory_attributes(views: Trajectory) -> dict[str, Any]:
    """The XA attributes of simulated projections along ``views``: the trajectory's geometry and the pixels' meaning
    (the cine writer sets the frame times)."""
    attributes = trajectory_to_dicom(views)
    attributes.pop("FrameTimeVector")  # the writer's, from the same times
    attributes["PixelIntensityRelationship"] = "LIN"  # I = exp(-line integral), linear in the detected intensity
    return attributes
