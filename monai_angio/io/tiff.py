# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Multi-page TIFF sequences (tifffile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monai_angio.io._common import as_native, check_finite, frame_times_from_interval, new_meta, to_luminance

__all__ = ["read_tiff"]

# ImageJ spatial units -> mm.
_UNIT_TO_MM = {"mm": 1.0, "millimeter": 1.0, "um": 1e-3, "µm": 1e-3, "micron": 1e-3, "nm": 1e-6}


def read_tiff(path: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a (multi-page) TIFF file as frames, one page (or ImageJ time point/slice) per frame.

    Args:
        path: the TIFF file.
        luminance: convert RGB pages to BT.601 luminance.

    Returns:
        ``(frames, meta)``: ``(T, H, W)`` or ``(T, H, W, 3)`` with the stored dtype and ``format="tiff"``; ImageJ
        ``finterval`` gives the frame time and ImageJ spacing/unit the pixel spacing when present.

    Raises:
        ValueError: naming the file when it cannot be read, has an unsupported layout, or holds NaN/Inf.
    """
    import tifffile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = np.asarray(series.asarray())
            axes = series.axes
            page = tif.pages[0]
            photometric = page.photometric
            ij = tif.imagej_metadata or {}
            resolution = page.tags.get("XResolution"), page.tags.get("YResolution")
    except Exception as e:
        raise ValueError(f"{path}: cannot read TIFF file ({type(e).__name__}: {e}).") from e
    rgb = photometric in (tifffile.PHOTOMETRIC.RGB, tifffile.PHOTOMETRIC.YCBCR) or axes.endswith("S")
    if "S" in axes and not axes.endswith("S"):  # planar configuration: samples before Y, X
        data = np.moveaxis(data, axes.index("S"), -1)
    if rgb and data.shape[-1] in (3, 4):
        data = data[..., :3]
        spatial = data.reshape(-1, *data.shape[-3:])
    elif rgb:
        raise ValueError(f"{path}: RGB TIFF with {data.shape[-1]} samples per pixel is not supported.")
    else:
        spatial = data.reshape(-1, *data.shape[-2:]) if data.ndim >= 2 else None
    if spatial is None or spatial.shape[0] < 1:
        raise ValueError(f"{path}: TIFF data of shape {data.shape} (axes {axes}) is not an image sequence.")
    check_finite(spatial, path)
    colour = spatial.ndim == 4
    if colour and luminance:
        spatial = to_luminance(spatial)
        colour = False
    meta = new_meta(path, "tiff")
    n = int(spatial.shape[0])
    interval = ij.get("finterval")
    interval_ms = float(interval) * 1000.0 if isinstance(interval, (int, float)) and interval > 0 else None
    spacing = None
    unit = str(ij.get("unit", "")).strip().lower()
    if unit in _UNIT_TO_MM and all(r is not None for r in resolution):
        try:
            (xn, xd), (yn, yd) = resolution[0].value, resolution[1].value
            if xn > 0 and yn > 0:
                spacing = (yd / yn * _UNIT_TO_MM[unit], xd / xn * _UNIT_TO_MM[unit])
        except (TypeError, ValueError):
            spacing = None
    meta.update(
        number_of_frames=n,
        bits_stored=int(spatial.dtype.itemsize * 8),
        photometric_interpretation="RGB" if colour else "MONOCHROME2",
        frame_time_ms=interval_ms,
        frame_times_ms=frame_times_from_interval(n, interval_ms),
        pixel_spacing=spacing,
        axes=axes,
    )
    return as_native(spatial), meta
