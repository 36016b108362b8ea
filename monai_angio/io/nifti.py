# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""NIfTI volumes and 2D+t series (nibabel)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monai_angio.io._common import (
    as_native,
    check_finite,
    frame_times_from_interval,
    new_meta,
    rescaled_dtype,
    to_luminance,
)

__all__ = ["NIFTI_EXTENSIONS", "is_nifti_file", "read_nifti"]

NIFTI_EXTENSIONS = (".nii", ".nii.gz")
_SPACE_TO_MM = {"mm": 1.0, "meter": 1000.0, "micron": 1e-3, "unknown": 1.0}
_TIME_TO_MS = {"sec": 1000.0, "msec": 1.0, "usec": 1e-3}


def is_nifti_file(path: str | os.PathLike) -> bool:
    """``True`` for a file with a NIfTI extension or an uncompressed NIfTI-1/2 header (magic ``n+1``/``n+2``)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(NIFTI_EXTENSIONS):
        return path.is_file()
    try:
        with open(path, "rb") as f:
            head = f.read(540)
    except OSError:
        return False
    return (len(head) >= 348 and head[344:347] == b"n+1") or (len(head) >= 540 and head[4:7] == b"n+2")


def read_nifti(path: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a NIfTI image as frames.

    A 3-D volume ``(x, y, z)`` gives its z slices ``(T=z, H=y, W=x)`` (voxel order kept, no reorientation); a 2D+t
    image ``(x, y, 1, t)`` gives ``(T=t, H=y, W=x)`` frames with the frame time from ``pixdim[4]``. The scaling
    ``scl_slope``/``scl_inter`` is applied (stored dtype kept when the result fits, float32 when non-integer).

    Args:
        path: ``.nii`` or ``.nii.gz`` file.
        luminance: convert RGB volumes to BT.601 luminance.

    Returns:
        ``(frames, meta)`` with ``format="nifti"``, ``pixel_spacing`` (mm, y x) and ``meta["slice_spacing_mm"]``
        for volumes.

    Raises:
        ValueError: naming the file when it cannot be read, is 4-D with several slices and time points, or holds
            NaN/Inf.
    """
    import nibabel as nib

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    try:
        img = nib.load(str(path))
        header = img.header
        proxy = img.dataobj
        if nib.is_proxy(proxy):
            raw = np.asarray(proxy.get_unscaled())
            slope, inter = float(proxy.slope), float(proxy.inter)
        else:
            raw, slope, inter = np.asarray(proxy), 1.0, 0.0
    except Exception as e:
        raise ValueError(f"{path}: cannot read NIfTI file ({type(e).__name__}: {e}).") from e
    colour = raw.dtype.names is not None and tuple(raw.dtype.names[:3]) == ("R", "G", "B")
    if colour:
        raw = np.stack([raw["R"], raw["G"], raw["B"]], axis=-1)
        if luminance:
            raw, colour = to_luminance(raw), False
    check_finite(raw, path)
    if not colour and (slope != 1.0 or inter != 0.0) and np.isfinite(slope) and slope != 0:
        values = raw.astype(np.float64) * slope + inter
        raw = values.astype(rescaled_dtype(values, raw.dtype))
    spatial_ndim = raw.ndim - (1 if colour else 0)
    shape = raw.shape[:spatial_ndim]
    while len(shape) > 4 and shape[-1] == 1:
        raw = raw.reshape(*shape[:-1], *raw.shape[spatial_ndim:])
        spatial_ndim -= 1
        shape = shape[:-1]
    zooms = tuple(float(z) for z in header.get_zooms())
    space_unit, time_unit = header.get_xyzt_units()
    to_mm = _SPACE_TO_MM.get(space_unit, 1.0)
    interval_ms = None
    slice_spacing = None
    if spatial_ndim == 2:
        frames = raw[:, :, None]
    elif spatial_ndim == 3:
        frames = raw
        slice_spacing = zooms[2] * to_mm if len(zooms) > 2 else None
    elif spatial_ndim == 4 and shape[2] == 1:
        frames = raw[:, :, 0]
        if len(zooms) > 3 and zooms[3] > 0 and time_unit in _TIME_TO_MS:
            interval_ms = zooms[3] * _TIME_TO_MS[time_unit]
    elif spatial_ndim == 4 and shape[3] == 1:
        frames = raw[:, :, :, 0]
        slice_spacing = zooms[2] * to_mm
    else:
        raise ValueError(
            f"{path}: NIfTI shape {raw.shape} is neither a 3-D volume nor a 2D+t series (x, y, 1, t); "
            "extract one volume or slice first."
        )
    # (x, y, n[, 3]) -> (n, y, x[, 3])
    frames = as_native(np.swapaxes(np.moveaxis(frames, 2, 0), 1, 2))
    n = int(frames.shape[0])
    meta = new_meta(path, "nifti")
    meta.update(
        number_of_frames=n,
        bits_stored=int(frames.dtype.itemsize * 8),
        photometric_interpretation="RGB" if colour else "MONOCHROME2",
        pixel_spacing=(zooms[1] * to_mm, zooms[0] * to_mm) if len(zooms) >= 2 else None,
        slice_spacing_mm=slice_spacing,
        frame_time_ms=interval_ms,
        frame_times_ms=frame_times_from_interval(n, interval_ms),
        affine=np.asarray(img.affine).tolist(),
        scl_slope=slope,
        scl_inter=inter,
    )
    return frames, meta
