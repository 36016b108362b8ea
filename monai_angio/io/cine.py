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

from monai_angio.io._common import to_numpy
from monai_angio.io.atomic import atomic_output, check_output_target
from monai_angio.io.dicom import DICOM_EXTENSIONS
from monai_angio.io.hdf5 import HDF5_EXTENSIONS
from monai_angio.io.image_folder import IMAGE_EXTENSIONS
from monai_angio.io.video import VIDEO_EXTENSIONS

__all__ = [
    "CINE_FILE_SUFFIXES",
    "FRAME_LABELS_CSV",
    "check_cine_output",
    "dicom_reference",
    "quantize_bit_depth",
    "read_cine",
    "scale_bit_depth",
    "source_name",
    "write_cine",
]

#: the file of a PNG frame folder that tells acquired from synthesized frames
FRAME_LABELS_CSV = "frame_labels.csv"

#: suffixes of the one single-file cine output, a derived multi-frame DICOM; every other output is a folder of frames
CINE_FILE_SUFFIXES = tuple(DICOM_EXTENSIONS)

#: outputs named like another kind of file, refused rather than silently made a folder: kind -> name endings
_OTHER_FILE_SUFFIXES = {
    "single image": (*IMAGE_EXTENSIONS, ".webp", ".jp2"),
    "video": tuple(VIDEO_EXTENSIONS),
    "NIfTI": (".nii", ".nii.gz"),
    "HDF5": tuple(HDF5_EXTENSIONS),
    "NumPy": (".npy", ".npz"),
}

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


def _stored_bits(stack: np.ndarray, meta: Mapping[str, Any], name: str) -> int:
    """The bit depth to scale ``stack`` by; float images (but rescaled DICOM) and more than 16 bits are refused."""
    if np.issubdtype(stack.dtype, np.floating) and meta.get("format") not in ("dicom", "dicom_series"):
        raise ValueError(
            f"{name}: {stack.dtype} images are not supported as cines (a float image has no stored bit depth to scale "
            "by); convert them to 8- or 16-bit integer images first (e.g. scale to [0, 65535] and save as uint16)."
        )
    bits = meta.get("bits_stored")
    if bits is None:
        raise ValueError(f"{name}: the stored bit depth is unknown (no bits stored in the header): cannot scale.")
    if int(bits) > 16:
        raise ValueError(
            f"{name}: {int(bits)}-bit images are not supported as cines (at most 16 bits stored); convert them to "
            "16-bit integer images first."
        )
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
        FileNotFoundError: naming a missing input.
        ValueError: naming the input: fewer than ``min_frames`` frames, an empty list or folder, listed files whose
            frame sizes or bit depths differ, an unknown bit depth, float images (but rescaled DICOM data) or more
            than 16 bits stored (and every error of :func:`~monai_angio.io.load_sequence`).
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
    frames = torch.from_numpy(scale_bit_depth(stack, _stored_bits(stack, meta, name))).unsqueeze(1)
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


def _write_labels(folder: Path, names: Sequence[str], labels: Sequence[bool] | None, frame_time_ms: float | None):
    with (folder / FRAME_LABELS_CSV).open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["frame", "file", "kind", "time_ms"])
        for i, name in enumerate(names):
            kind = "synthesized" if labels is not None and labels[i] else "acquired"
            t = "" if frame_time_ms is None else f"{i * frame_time_ms:.3f}"
            writer.writerow([i, name, kind, t])


def _other_file_kind(output: Path) -> str | None:
    name = output.name.lower()
    for kind, suffixes in _OTHER_FILE_SUFFIXES.items():
        if name.endswith(suffixes):
            return kind
    return None


def _check_replaceable_folder(folder: Path) -> None:
    """With ``overwrite``, a folder is replaced whole: only a cine folder written before (frames and labels)."""
    entries = sorted(folder.iterdir(), key=lambda p: p.name)
    others = [
        p.name + ("/" if p.is_dir() else "")
        for p in entries
        if not (p.is_file() and (p.name == FRAME_LABELS_CSV or p.suffix.lower() in IMAGE_EXTENSIONS))
    ]
    rule = "--overwrite replaces only a folder of frames written by monai-angio; choose another output folder."
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise ValueError(f"{folder}: the folder holds other files than cine frames ({shown}): {rule}")
    if not (folder / FRAME_LABELS_CSV).is_file():
        raise ValueError(f"{folder}: the folder holds image files but no {FRAME_LABELS_CSV} (an input?): {rule}")


def check_cine_output(output: str | os.PathLike, *, overwrite: bool = False) -> str:
    """Check that :func:`write_cine` can write ``output``, before any work is done; nothing is created.

    The rule: a name ending in one of :data:`CINE_FILE_SUFFIXES` (``.dcm``, ``.dicom``, ``.dic``; any case) is a
    derived multi-frame DICOM file; a name that looks like another kind of file (``.png``, ``.tif``, ``.mp4``,
    ``.nii.gz``, ...) is refused; anything else is a folder of frames (``run.2024`` too). An existing output is
    replaced only with ``overwrite``, and an existing non-empty folder only when it is a cine folder written before
    (image files and ``frame_labels.csv``, nothing else), so ``--overwrite`` never wipes an input or a home folder.
    Missing parent folders are fine (:func:`write_cine` creates them).

    Args:
        output: the output path.
        overwrite: an existing output may be replaced.

    Returns:
        ``"dicom"`` or ``"folder"``.

    Raises:
        OutputExistsError: ``output`` exists and ``overwrite`` is False
            (:class:`~monai_angio.io.atomic.OutputExistsError`, a ``ValueError``).
        ValueError: naming the path: a single-file suffix other than DICOM, a folder that is not a cine folder,
            an existing file where a folder is to be written (or the reverse), a parent that is not a writable folder.
    """
    output = Path(output)
    if output.suffix.lower() in CINE_FILE_SUFFIXES:
        kind = "dicom"
    else:
        other = _other_file_kind(output)
        if other is not None:
            raise ValueError(
                f"{output}: write a .dcm file or a folder; '{output.name}' looks like a {other} file (a cine is "
                "written as a derived multi-frame DICOM or as a folder of PNG frames)."
            )
        kind = "folder"
    check_output_target(output, overwrite=overwrite, folder=kind == "folder", parents=True)
    if kind == "folder" and overwrite and output.is_dir() and any(output.iterdir()):
        _check_replaceable_folder(output)
    return kind


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
    overwrite: bool = False,
    attributes: Mapping[str, Any] | None = None,
) -> Path:
    """Write float frames ``(T, 1, H, W)`` in [0, 1] at ``bits_stored`` bits: a DICOM file (``.dcm``) or a folder.

    A folder gets ``0000.png, 0001.png, ...`` (8-bit PNG up to 8 bits stored, else 16-bit; more digits beyond 10,000
    frames: :func:`~monai_angio.io.image_folder.frame_file_names`) and ``frame_labels.csv`` (columns
    ``frame, file, kind, time_ms``; kind ``acquired`` or ``synthesized``); a DICOM file
    (:func:`~monai_angio.io.write_dicom_cine`) carries the same labels in its Frame Label Vector and
    DerivationDescription. Which of the two, and what is refused: :func:`check_cine_output`.

    The output is written whole under a hidden temporary name and renamed into place
    (:func:`~monai_angio.io.atomic.atomic_output`): the output is always the old complete one or the new complete
    one, a rerun into a folder keeps no stale frames, and an error leaves nothing behind.

    Args:
        output: a ``.dcm``/``.dicom``/``.dic`` file, or a folder (missing parent folders are created).
        frames: ``(T, 1, H, W)`` float frames in [0, 1] (values outside are clipped).
        bits_stored: bit depth to write, 1 to 16 (the source's: :func:`read_cine` keeps it in its meta).
        synthesized: ``(T,)`` booleans, True for synthesized frames; ``None``: every frame derived alike (e.g.
            deblurred), labelled ``acquired`` in the CSV and without a Frame Label Vector in a DICOM file.
        method: the method named in the DICOM DerivationDescription and SeriesDescription.
        factor: frames synthesized per gap, named in the DICOM DerivationDescription.
        frame_time_ms: frame interval (ms) of the frames written; ``None``: unknown (a DICOM file takes the
            reference's interval divided by ``factor``).
        reference: the DICOM file the cine derives from (:func:`dicom_reference`), for a DICOM output.
        overwrite: replace an existing output (a whole folder; see :func:`check_cine_output`).
        attributes: more DICOM attributes (pydicom keyword -> value) for a DICOM output
            (:func:`~monai_angio.io.write_dicom_cine`); a folder output refuses them.

    Returns:
        The DICOM file or the folder written.

    Raises:
        OutputExistsError: ``output`` exists and ``overwrite`` is False (a ``ValueError`` whose message says
            "pass --overwrite to replace it").
        ValueError: naming the output: frames not ``(T, 1, H, W)``, NaN/Inf frames, a bad bit depth or mask, and
            every refusal of :func:`check_cine_output`.
    """
    from monai_angio.io.dicom_writer import write_dicom_cine
    from monai_angio.io.image_folder import _write_pixels

    output = Path(output)
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 1:
        shape = tuple(frames.shape) if hasattr(frames, "shape") else type(frames).__name__
        raise ValueError(f"{output}: frames must be a (T, 1, H, W) tensor, got {shape}.")
    kind = check_cine_output(output, overwrite=overwrite)
    if attributes and kind != "dicom":
        raise ValueError(f"{output}: DICOM attributes need a DICOM output (.dcm); a folder of frames has no header.")
    if not torch.isfinite(frames).all():
        raise ValueError(f"{output}: the frames contain NaN or Inf values.")
    data = quantize_bit_depth(frames[:, 0], bits_stored)
    labels = None if synthesized is None else [bool(s) for s in to_numpy(synthesized).tolist()]
    if labels is not None and len(labels) != data.shape[0]:
        raise ValueError(f"{output}: the synthesized mask has {len(labels)} entries for {data.shape[0]} frames.")
    if kind == "dicom":
        return write_dicom_cine(
            output,
            data,
            reference=reference,
            synthesized=labels,
            method=method,
            factor=factor,
            frame_time_ms=frame_time_ms,
            bits_stored=bits_stored,
            overwrite=overwrite,
            attributes=attributes,
        )
    with atomic_output(output, overwrite, folder=True, parents=True) as tmp:
        files = _write_pixels(tmp, data, atomic=False)
        _write_labels(tmp, [p.name for p in files], labels, frame_time_ms)
    return output
