# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The application logic of the cine interpolation app, free of the MONAI Deploy App SDK (testable anywhere).

A DICOM cine of ``T`` frames becomes ``T - 1`` frame pairs ``(2, H, W)`` in [0, 1]; an interpolation bundle turns each
pair into the frame halfway between them; the acquired and synthesized frames are interleaved into ``2T - 1`` frames
and written as a derived multi-frame DICOM (Frame Label Vector ``ACQUIRED``/``SYNTHESIZED``, new series UIDs).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Cine", "interleave", "interpolate_cine", "load_cine", "make_pairs", "write_interpolated"]


@dataclass
class Cine:
    """A loaded cine: ``frames (T, H, W)`` float32 in [0, 1], the source meta dict and the path it came from."""

    frames: np.ndarray
    meta: dict[str, Any]
    path: Path
    predictions: list[np.ndarray] = field(default_factory=list)

    @property
    def bits_stored(self) -> int:
        return int(self.meta.get("bits_stored") or 16)

    @property
    def num_pairs(self) -> int:
        return max(len(self.frames) - 1, 0)


def _find_dicom(path: Path) -> Path:
    """``path`` itself, or the single DICOM cine file in the folder ``path`` (the SDK passes the input folder)."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise ValueError(f"{path}: input not found.")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if len(files) == 1:
        return files[0]
    dicoms = [p for p in files if p.suffix.lower() in (".dcm", ".dicom")]
    if len(dicoms) == 1:
        return dicoms[0]
    if not files:
        raise ValueError(f"{path}: the input folder is empty.")
    return path  # a folder of single-frame instances of one series


def load_cine(path: str | os.PathLike) -> Cine:
    """Load a grayscale cine (multi-frame DICOM file, a folder holding one, or a series folder) scaled to [0, 1].

    Raises:
        ValueError: naming the file when it holds fewer than two frames.
    """
    from monai_angio.io import read_cine

    source = _find_dicom(Path(path))
    frames, meta = read_cine(source, min_frames=2)  # (T, 1, H, W) float32 in [0, 1]
    return Cine(frames[:, 0].numpy(), meta, source)


def make_pairs(frames: np.ndarray) -> np.ndarray:
    """Consecutive frame pairs ``(T - 1, 2, H, W)`` of ``frames (T, H, W)``: channels are frames ``i`` and ``i + 1``."""
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[0] < 2:
        raise ValueError(f"make_pairs: frames must be (T >= 2, H, W), got shape {tuple(frames.shape)}.")
    return np.stack([frames[:-1], frames[1:]], axis=1)


def interleave(acquired: np.ndarray, synthesized: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Interleave ``acquired (T, H, W)`` with ``T - 1`` synthesized frames: ``(2T - 1, H, W)`` and the synthesized mask.

    Raises:
        ValueError: if the number or shape of synthesized frames does not match.
    """
    acquired = np.asarray(acquired, dtype=np.float32)
    middle = [np.squeeze(np.asarray(s, dtype=np.float32)) for s in synthesized]
    if len(middle) != len(acquired) - 1:
        raise ValueError(
            f"interleave: {len(acquired)} acquired frames need {len(acquired) - 1} synthesized, got {len(middle)}."
        )
    out = np.empty((2 * len(acquired) - 1, *acquired.shape[1:]), dtype=np.float32)
    mask = np.zeros(len(out), dtype=bool)
    out[0::2] = acquired
    for i, frame in enumerate(middle):
        if frame.shape != acquired.shape[1:]:
            raise ValueError(
                f"interleave: synthesized frame {i} has shape {frame.shape}, expected {acquired.shape[1:]}."
            )
        out[2 * i + 1] = frame
        mask[2 * i + 1] = True
    return out, mask


def write_interpolated(cine: Cine, synthesized: Iterable[np.ndarray], output: str | os.PathLike, method: str) -> Path:
    """Write the interleaved cine as a derived DICOM in ``output`` (a folder, or a ``.dcm`` path).

    Frames are quantized back to the source's bits stored; the frame time is halved (twice the frame rate).
    """
    import torch

    from monai_angio.io import dicom_reference, write_cine

    frames, mask = interleave(cine.frames, synthesized)
    output = Path(output)
    if output.suffix.lower() != ".dcm":
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"{cine.path.stem}_interpolated.dcm"
    frame_time = cine.meta.get("frame_time_ms")
    return write_cine(
        output,
        torch.from_numpy(frames).unsqueeze(1),
        min(cine.bits_stored, 16),
        synthesized=mask,
        method=method,
        factor=1,
        frame_time_ms=None if frame_time is None else float(frame_time) / 2.0,
        reference=dicom_reference(cine.path, cine.meta),
    )


def interpolate_cine(
    input_path: str | os.PathLike,
    output: str | os.PathLike,
    predict: Callable[[np.ndarray], np.ndarray],
    method: str = "bundle",
) -> Path:
    """The whole app without the SDK: load, predict the middle frame of each pair ``(2, H, W) -> (H, W)``, write."""
    cine = load_cine(input_path)
    synthesized = [predict(pair) for pair in make_pairs(cine.frames)]
    return write_interpolated(cine, synthesized, output, method)
