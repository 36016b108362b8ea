# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Small helpers shared by the monai_angio transforms and datasets."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from monai.data import MetaTensor

__all__ = ["sequence_to_metatensor", "describe_source", "collatable_meta", "frame_times_of"]


def sequence_to_metatensor(frames: np.ndarray | torch.Tensor, meta: Mapping[str, Any] | None = None) -> MetaTensor:
    """Turn frames as returned by ``monai_angio.io.load_sequence`` into a channel-first sequence MetaTensor.

    Args:
        frames: ``(T, H, W)`` grayscale or ``(T, H, W, 3)`` colour frames, any dtype (kept as is).
        meta: the meta dict of the sequence (copied without its ``None`` entries, so that batches collate);
            ``"filename_or_obj"`` is set from ``"filename"``.

    Returns:
        MetaTensor ``(1, T, H, W)`` or ``(3, T, H, W)`` with the stored dtype and the meta dict attached.
    """
    arr = frames.detach().cpu().numpy() if isinstance(frames, torch.Tensor) else np.asarray(frames)
    if arr.ndim == 3:
        arr = arr[None]
    elif arr.ndim == 4 and arr.shape[-1] in (3, 4):
        arr = np.moveaxis(arr[..., :3], -1, 0)
    else:
        raise ValueError(
            f"frames of {describe_source(meta)} must be (T, H, W) or (T, H, W, 3), got shape {tuple(arr.shape)}."
        )
    # None values (attributes a file does not have) are left out: MONAI's DataLoader cannot collate them
    new_meta = {k: copy.deepcopy(v) for k, v in (meta or {}).items() if v is not None}
    new_meta.setdefault("filename_or_obj", str(new_meta.get("filename") or ""))
    new_meta.setdefault("number_of_frames", int(arr.shape[1]))
    return MetaTensor(torch.from_numpy(np.ascontiguousarray(arr)), meta=new_meta)


def describe_source(meta: Mapping[str, Any] | None) -> str:
    """A short human-readable name of a sequence for error messages (its file name when known)."""
    if meta:
        for key in ("filename_or_obj", "filename"):
            name = meta.get(key)
            if isinstance(name, (str, os.PathLike)) and str(name):
                return f"'{name}'"
    return "the sequence"


def collatable_meta(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """Copy the scalar entries of a sequence meta dict, dropping what cannot be collated into a batch.

    Keeps ``str``, ``bool``, ``int`` and ``float`` values; drops ``None``, lists (e.g. per-frame times whose length
    differs between sequences), arrays and the affine (a new, default affine is attached to each frame).
    """
    if not meta:
        return {}
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key in ("affine", "original_affine", "spatial_shape", "space"):
            continue
        if isinstance(value, (str, bool, int, float, np.integer, np.floating)):
            out[key] = value
    return out


def frame_times_of(meta: Mapping[str, Any] | None, num_frames: int) -> list[float] | None:
    """Frame times (ms) of a sequence from its meta: ``"frame_times_ms"`` or ``i * "frame_time_ms"``, else None."""
    if not meta:
        return None
    times = meta.get("frame_times_ms")
    if times is not None:
        times = [float(t) for t in (times.tolist() if hasattr(times, "tolist") else times)]
        if len(times) == num_frames:
            return times
        return None
    interval = meta.get("frame_time_ms")
    if interval is not None:
        return [float(i) * float(interval) for i in range(num_frames)]
    return None
