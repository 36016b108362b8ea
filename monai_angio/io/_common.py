# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the readers and writers of :mod:`monai_angio.io` (not public API)."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

__all__ = [
    "LUMA_WEIGHTS",
    "META_KEYS",
    "new_meta",
    "natural_sort_key",
    "to_luminance",
    "check_finite",
    "bits_of_dtype",
    "frame_times_from_interval",
    "to_numpy",
    "check_integer_frames",
    "rescaled_dtype",
    "as_native",
]

#: ITU-R BT.601 luma weights (R, G, B): the Y of DICOM ``YBR_FULL``.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

#: Keys every reader puts in its meta dict (the interface contract of ``load_sequence``).
META_KEYS = (
    "filename",
    "format",
    "frame_times_ms",
    "frame_time_ms",
    "bits_stored",
    "pixel_spacing",
    "modality",
    "photometric_interpretation",
    "patient_id",
    "study_instance_uid",
    "series_instance_uid",
    "burned_in_annotation",
    "number_of_frames",
)


def new_meta(filename: str | os.PathLike, fmt: str) -> dict[str, Any]:
    """Return a meta dict with every contract key present (``None`` where unknown)."""
    meta: dict[str, Any] = dict.fromkeys(META_KEYS)
    meta["filename"] = str(filename)
    meta["format"] = fmt
    meta["number_of_frames"] = 0
    return meta


def natural_sort_key(name: str | os.PathLike) -> list[Any]:
    """Sort key that orders embedded numbers by value: ``2.png`` before ``10.png``."""
    text = os.path.basename(os.fspath(name))
    parts = re.split(r"(\d+)", text.lower())
    return [(0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts]


def to_luminance(rgb: np.ndarray) -> np.ndarray:
    """Convert ``(..., 3)`` RGB (or ``(..., 4)`` RGBA, alpha dropped) to luminance ``(...)`` with BT.601 weights.

    Integer input is rounded and returned in the same dtype; float input gives float32.
    """
    if rgb.ndim < 3 or rgb.shape[-1] not in (3, 4):
        raise ValueError(f"to_luminance: expected (..., 3) RGB data, got shape {rgb.shape}.")
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b
    if np.issubdtype(rgb.dtype, np.integer):
        info = np.iinfo(rgb.dtype)
        return np.clip(np.rint(y), info.min, info.max).astype(rgb.dtype)
    return y.astype(np.float32)


def check_finite(frames: np.ndarray, filename: str | os.PathLike) -> None:
    """Raise ``ValueError`` naming ``filename`` if floating-point ``frames`` hold NaN or Inf."""
    if np.issubdtype(frames.dtype, np.floating) or np.issubdtype(frames.dtype, np.complexfloating):
        bad = ~np.isfinite(frames)
        if bad.any():
            n_nan = int(np.isnan(frames).sum())
            n_inf = int(bad.sum()) - n_nan
            raise ValueError(f"{filename}: data contain non-finite values ({n_nan} NaN, {n_inf} Inf).")


def bits_of_dtype(dtype: np.dtype) -> int:
    """Number of bits of one sample of ``dtype`` (8 for uint8, 16 for uint16, 32 for float32, ...)."""
    return int(np.dtype(dtype).itemsize * 8)


def frame_times_from_interval(n: int, interval_ms: float | None) -> list[float] | None:
    """Cumulative frame times ``[0, dt, 2 dt, ...]`` (ms) of ``n`` frames, or ``None`` when the interval is unknown."""
    if interval_ms is None or not np.isfinite(interval_ms) or interval_ms <= 0:
        return None
    return [float(i * interval_ms) for i in range(n)]


def to_numpy(frames: Any) -> np.ndarray:
    """Convert a numpy array, torch tensor (or MONAI ``MetaTensor``) or nested sequence to a numpy array."""
    if hasattr(frames, "detach") and hasattr(frames, "cpu"):
        frames = frames.detach().cpu().numpy()
    return np.asarray(frames)


def check_integer_frames(frames: np.ndarray, bits_stored: int, name: str, out_dtype: np.dtype) -> np.ndarray:
    """Validate ``frames`` against ``[0, 2**bits_stored - 1]`` and return them as ``out_dtype``.

    Float values are taken as stored values (no scaling) and rounded to the nearest integer.

    Raises:
        TypeError: for non-numeric data.
        ValueError: for NaN/Inf or values outside the range of ``bits_stored`` bits (message starts with ``name``).
    """
    if frames.dtype == bool:
        frames = frames.astype(np.uint8)
    if not (np.issubdtype(frames.dtype, np.integer) or np.issubdtype(frames.dtype, np.floating)):
        raise TypeError(f"{name}: frames must be integer or float, got dtype {frames.dtype}.")
    hi = (1 << int(bits_stored)) - 1
    if np.issubdtype(frames.dtype, np.floating):
        check_finite(frames, name)
        if frames.size and (frames.min() < -0.5 or frames.max() > hi + 0.5):
            raise ValueError(
                f"{name}: float frames must hold stored values in [0, {hi}] for {bits_stored} bits stored, got range "
                f"[{float(frames.min()):g}, {float(frames.max()):g}]; scale them explicitly before writing."
            )
        return np.clip(np.rint(frames), 0, hi).astype(out_dtype)
    if frames.size and (int(frames.min()) < 0 or int(frames.max()) > hi):
        raise ValueError(
            f"{name}: integer frames must be in [0, {hi}] for {bits_stored} bits stored, got range "
            f"[{int(frames.min())}, {int(frames.max())}]."
        )
    return frames.astype(out_dtype, copy=False)


def rescaled_dtype(values: np.ndarray, stored: np.dtype) -> np.dtype:
    """Smallest sensible dtype for rescaled ``values``: the stored one when it fits, float32 when non-integer."""
    if values.size == 0:
        return np.dtype(stored)
    if np.issubdtype(stored, np.floating) or not np.all(values == np.rint(values)):
        return np.dtype(np.float32)
    lo, hi = float(values.min()), float(values.max())
    candidates = [stored] + ([np.uint8, np.uint16, np.uint32] if lo >= 0 else []) + [np.int16, np.int32]
    for dt in candidates:
        info = np.iinfo(dt) if np.issubdtype(dt, np.integer) else None
        if info is not None and info.min <= lo and hi <= info.max:
            return np.dtype(dt)
    return np.dtype(np.float32)


def as_native(frames: np.ndarray) -> np.ndarray:
    """``frames`` in native byte order (big-endian DICOM, TIFF, NIfTI or HDF5 data are swapped), C-contiguous."""
    if not frames.dtype.isnative:
        frames = frames.astype(frames.dtype.newbyteorder("="))
    return np.ascontiguousarray(frames)
