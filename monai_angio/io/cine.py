# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Cines as float frames: the one path every command, bundle transform and script reads and writes them by.

:func:`read_cine` loads any input :func:`~monai_angio.io.load_sequence` reads (or a list of single-frame files) as
luminance frames ``(T, 1, H, W)`` float32 in [0, 1], scaled by the stored bit depth (:func:`scale_bit_depth`);
:func:`write_cine` quantizes such frames back to a bit depth (:func:`quantize_bit_depth`) and writes a derived
multi-frame DICOM or a folder of PNG frames, both labelling acquired and synthesized frames; :func:`dicom_reference`
names the DICOM file a derived cine refers to.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monai_angio.io._common import atomic_path, to_numpy

__all__ = [
    "FRAME_LABELS_CSV",
    "dicom_reference",
    "quantize_bit_depth",
    "read_cine",
    "scale_bit_depth",
    "source_name",
    "write_cine",
]

#: the file of a PNG frame folder that tells acquired from synthesized frames
FRAME_LABELS_CSV = "frame_labels.csv"

CineSource = str | os.PathLike | Sequence[str | os.PathLike]


def scale_bit_depth(img: np.ndarray | torch.Tensor, bits: int, clip: bool = True) -> np.ndarray | torch.Tensor:
    """Scale stored integer values to float32 ``[0, 1]`` by dividing by ``2**bits - 1``.

    Args:
        img: array or tensor of any shape holding stored values (e.g. uint16 with 12 bits stored).
        bits: number of bits stored, 1 to 32.
        clip: clip the result to ``[0, 1]`` (values above ``2**bits - 1`` or negative values are out of range).

    Returns:
        float32 array or tensor of the same type and shape (a MetaTensor keeps its meta).
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= int(bits) <= 32:
        raise ValueError(f"bits must be an integer in [1, 32], got {bits!r}.")
    scale = float(2 ** int(bits) - 1)
    if isinstance(img, torch.Tensor):
        out = img.to(torch.float32) / scale
        return out.clamp(0.0, 1.0) if clip else out
    out = np.asarray(img).astype(np.float32) / np.float32(scale)
    return np.clip(out, 0.0, 1.0) if clip else out


def quantize_bit_depth(img: np.ndarray | torch.Tensor, bits: int) -> np.ndarray:
    """Inverse of :func:`scale_bit_depth`: float ``[0, 1]`` → stored integers ``round(x * (2**bits - 1))``.

    Args:
        img: float array or tensor of any shape; values are clipped to ``[0, 1]``.
        bits: number of bits stored, 1 to 16.

    Returns:
        ``uint8`` array for ``bits <= 8``, else ``uint16``, same shape.
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= int(bits) <= 16:
        raise ValueError(f"bits must be an integer in [1, 16], got {bits!r}.")
    x = to_numpy(img).astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("quantize_bit_depth: the frames contain NaN or Inf values.")
    dtype = np.uint8 if int(bits) <= 8 else np.uint16
    return np.rint(np.clip(x, 0.0, 1.0) * (2 ** int(bits) - 1)).astype(dtype)


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _stored_bits(meta: Mapping[str, Any], name: str) -> int:
    bits = meta.get("bits_stored")
    if bits is None:
        raise ValueError(f"{name}: the stored bit depth is unknown (no bits stored in the header): cannot scale.")
    return int(bits)


def read_cine(path: CineSource, min_frames: int = 1) -> tuple[torch.Tensor, dict[str, Any]]:
    """Load a cine as float frames ``(T, 1, H, W)`` in [0, 1]: luminance, scaled by the stored bit depth.

    Args:
        path: anything :func:`~monai_angio.io.load_sequence` reads (DICOM file or series folder, folder of
            PNG/TIFF/JPEG frames, multi-page TIFF, video, ...), or a list of such inputs, typically single-frame files
            (e.g. a pair of PNGs), whose frames are stacked in the order given.
        min_frames: the fewest frames the cine may hold.

    Returns:
        ``(frames, meta)``: float32 ``(T, 1, H, W)`` and the meta dict of the source (of the first one for a list;
        ``bits_stored`` is kept, so :func:`write_cine` can write the result at the source's bit depth). For a list,
        ``number_of_frames`` counts all frames and the frame times are unknown (``None``).

    Raises:
        ValueError: naming the input: fewer than ``min_frames`` frames, an empty list, listed files whose frame sizes
            or bit depths differ, an unknown bit depth (and every error of :func:`~monai_angio.io.load_sequence`).
    """
    from monai_angio.io.load import load_sequence

    if isinstance(min_frames, bool) or not isinstance(min_frames, int) or min_frames < 1:
        raise ValueError(f"read_cine: min_frames must be an integer >= 1, got {min_frames!r}.")
    if _is_path(path):
        stack, meta = load_sequence(path, luminance=True)
        name = str(path)
    else:
        paths = list(path)
        if not paths:
            raise ValueError("read_cine: the list of frame files is empty.")
        name = str(paths[0]) if len(paths) == 1 else f"{paths[0]} (and {len(paths) - 1} more files)"
        arrays, metas = [], []
        for p in paths:
            arr, m = load_sequence(p, luminance=True)
            if arrays and (arr.shape[1:] != arrays[0].shape[1:] or m.get("bits_stored") != metas[0].get("bits_stored")):
                raise ValueError(
                    f"{p}: frames of {tuple(arr.shape[1:])} at {m.get('bits_stored')} bits differ from those of "
                    f"{paths[0]} ({tuple(arrays[0].shape[1:])} at {metas[0].get('bits_stored')} bits)."
                )
            arrays.append(arr)
            metas.append(m)
        stack = np.concatenate(arrays, axis=0)
        meta = dict(metas[0])
        meta["number_of_frames"] = int(stack.shape[0])
        meta["frame_times_ms"] = None
        meta["frame_time_ms"] = None
    if stack.shape[0] < min_frames:
        raise ValueError(f"{name}: at least {min_frames} frames are needed, the input holds {stack.shape[0]}.")
    frames = torch.from_numpy(scale_bit_depth(stack, _stored_bits(meta, name))).unsqueeze(1)
    return frames, meta


def dicom_reference(path: CineSource | None, meta: Mapping[str, Any]) -> str | None:
    """The DICOM file a cine derived from ``path`` refers to (its patient, study and acquisition attributes).

    Args:
        path: the input as given to :func:`read_cine` (``None``: the ``filename`` of ``meta``).
        meta: the meta dict :func:`read_cine` returned for it.

    Returns:
        ``path`` for a DICOM file, the first file of a DICOM series folder, ``None`` for any other input (other
        formats, lists of files).
    """
    if path is None:
        path = meta.get("filename") or meta.get("filename_or_obj")
    if not path or not _is_path(path):
        return None
    fmt = meta.get("format")
    if fmt == "dicom":
        return str(path)
    if fmt == "dicom_series":
        from monai_angio.io.dicom import list_dicom_files

        files = list_dicom_files(path)
        return str(files[0]) if files else None
    return None


def source_name(source: CineSource | None) -> str:
    """The name outputs derived from ``source`` are called after: a file's name without its extension, a folder's
    name, the first file's for a list (also as a JSON list string); ``"cine"`` when there is none."""
    if isinstance(source, str) and source.startswith("["):
        source = json.loads(source)
    if source is not None and not _is_path(source):
        source = next(iter(source), None)
    if not source:
        return "cine"
    p = Path(source)
    return (p.stem if p.suffix and not p.is_dir() else p.name) or "cine"


def _write_labels(folder: Path, files: Sequence[Path], labels: Sequence[bool] | None, frame_time_ms: float | None):
    with atomic_path(folder / FRAME_LABELS_CSV) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["frame", "file", "kind", "time_ms"])
        for i, file in enumerate(files):
            kind = "synthesized" if labels is not None and labels[i] else "acquired"
            t = "" if frame_time_ms is None else f"{i * frame_time_ms:.3f}"
            writer.writerow([i, file.name, kind, t])


def write_cine(
    output: str | os.PathLike,
    frames: torch.Tensor,
    bits_stored: int,
    *,
    synthesized: torch.Tensor | Sequence[bool] | None = None,
    method: str = "",
    factor: int = 1,
    frame_time_ms: float | None = None,
    reference: str | os.PathLike | None = None,
) -> Path:
    """Write float frames ``(T, 1, H, W)`` in [0, 1] at ``bits_stored`` bits: a DICOM file (``.dcm``) or a folder.

    A folder gets ``0000.png, 0001.png, ...`` (8-bit PNG up to 8 bits stored, else 16-bit;
    :func:`~monai_angio.io.write_frames`) and ``frame_labels.csv`` (columns ``frame, file, kind, time_ms``; kind
    ``acquired`` or ``synthesized``); a DICOM file (:func:`~monai_angio.io.write_dicom_cine`) carries the same labels
    in its Frame Label Vector and DerivationDescription. Every file is written under a temporary name and renamed.

    Args:
        output: a ``.dcm``/``.dicom`` file, or a folder (created).
        frames: ``(T, 1, H, W)`` float frames in [0, 1] (values outside are clipped).
        bits_stored: bit depth to write, 1 to 16 (the source's: :func:`read_cine` keeps it in its meta).
        synthesized: ``(T,)`` booleans, True for synthesized frames; ``None``: every frame derived alike (e.g.
            deblurred), labelled ``acquired`` in the CSV and without a Frame Label Vector in a DICOM file.
        method: the method named in the DICOM DerivationDescription and SeriesDescription.
        factor: frames synthesized per gap, named in the DICOM DerivationDescription.
        frame_time_ms: frame interval (ms) of the frames written; ``None``: unknown (a DICOM file takes the
            reference's interval divided by ``factor``).
        reference: the DICOM file the cine derives from (:func:`dicom_reference`), for a DICOM output.

    Returns:
        The DICOM file or the folder written.

    Raises:
        ValueError: frames not ``(T, 1, H, W)``, NaN/Inf frames, a bad bit depth or mask (naming the output).
    """
    from monai_angio.io.dicom_writer import write_dicom_cine
    from monai_angio.io.image_folder import write_frames

    output = Path(output)
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 1:
        shape = tuple(frames.shape) if hasattr(frames, "shape") else type(frames).__name__
        raise ValueError(f"{output}: frames must be a (T, 1, H, W) tensor, got {shape}.")
    if not torch.isfinite(frames).all():
        raise ValueError(f"{output}: the frames contain NaN or Inf values.")
    data = quantize_bit_depth(frames[:, 0], bits_stored)
    labels = None if synthesized is None else [bool(s) for s in to_numpy(synthesized).tolist()]
    if labels is not None and len(labels) != data.shape[0]:
        raise ValueError(f"{output}: the synthesized mask has {len(labels)} entries for {data.shape[0]} frames.")
    if output.suffix.lower() in (".dcm", ".dicom"):
        return write_dicom_cine(
            output,
            data,
            reference=reference,
            synthesized=labels,
            method=method,
            factor=factor,
            frame_time_ms=frame_time_ms,
            bits_stored=bits_stored,
        )
    output.mkdir(parents=True, exist_ok=True)
    files = write_frames(output, data, bits_stored)
    _write_labels(output, files, labels, frame_time_ms)
    return output
