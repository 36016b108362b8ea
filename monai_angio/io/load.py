# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""``load_sequence``: one entry point for every supported input, and ``describe`` for ``monai-angio info``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monai_angio.io._common import as_native, check_finite, new_meta, to_luminance
from monai_angio.io.dicom import (
    DICOM_EXTENSIONS,
    check_single_series,
    dicom_header_meta,
    is_dicom_file,
    list_dicom_files,
    read_dicom,
    read_dicom_header,
    read_dicom_series,
)
from monai_angio.io.hdf5 import HDF5_EXTENSIONS, HDF5_SIGNATURE, read_hdf5
from monai_angio.io.image_folder import IMAGE_EXTENSIONS, list_image_files, read_image, read_image_folder
from monai_angio.io.nifti import is_nifti_file, read_nifti
from monai_angio.io.tiff import read_tiff
from monai_angio.io.video import VIDEO_EXTENSIONS, read_video

__all__ = ["detect_format", "load_sequence", "describe"]

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_SINGLE_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM")


def _head(path: Path, n: int = 132) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


def detect_format(path: str | os.PathLike) -> str:
    """Format of ``path``: one of ``"dicom"``, ``"dicom_series"``, ``"image_folder"``, ``"tiff"``, ``"video"``,
    ``"hdf5"``, ``"nifti"`` or ``"image"`` (a single PNG/JPEG/BMP), from the path type, extension and content.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the path when the format is not recognised or a folder holds no readable frames.
    """
    path = Path(path)
    if path.is_dir():
        images = list_image_files(path)
        dicoms = list_dicom_files(path)
        if images and dicoms:
            raise ValueError(
                f"{path}: the folder holds both image files ({len(images)}) and DICOM files ({len(dicoms)}); "
                "keep one kind per folder."
            )
        if dicoms:
            return "dicom_series"
        if images:
            return "image_folder"
        raise ValueError(f"{path}: the folder holds no DICOM or image files ({', '.join(IMAGE_EXTENSIONS)}).")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    name = path.name.lower()
    suffix = path.suffix.lower()
    head = _head(path, 132)
    if head[128:132] == b"DICM" or suffix in DICOM_EXTENSIONS:
        return "dicom"
    if name.endswith((".nii", ".nii.gz")):
        return "nifti"
    if suffix in HDF5_EXTENSIONS or head[:8] == HDF5_SIGNATURE:
        return "hdf5"
    if suffix in (".tif", ".tiff") or head[:4] in _TIFF_MAGIC:
        return "tiff"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in IMAGE_EXTENSIONS or head.startswith(_SINGLE_IMAGE_MAGIC):
        return "image"
    if is_nifti_file(path):
        return "nifti"
    if is_dicom_file(path):
        return "dicom"
    raise ValueError(
        f"{path}: unrecognised input format (expected DICOM, a folder of frames or DICOM instances, TIFF, video, "
        "HDF5 or NIfTI)."
    )


def _read_single_image(path: Path, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    img = read_image(path)
    if img.ndim == 3 and luminance:
        img = to_luminance(img)
    meta = new_meta(path, "image")
    meta.update(
        number_of_frames=1,
        bits_stored=int(img.dtype.itemsize * 8),
        photometric_interpretation="RGB" if img.ndim == 3 else "MONOCHROME2",
        frame_times_ms=[0.0],
    )
    return img[None], meta


def load_sequence(path: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Load any supported input as frames plus meta data.

    Inputs: a DICOM file (extension or ``DICM`` preamble), a folder of DICOM instances of one series, a folder of
    PNG/TIFF/JPEG/BMP frames, a multi-page TIFF, a video (MP4, AVI, ...), a CREMI HDF5 volume, a NIfTI image or a
    single PNG/JPEG image (format ``"image"``).

    Args:
        path: file or folder.
        luminance: convert colour frames to BT.601 luminance.

    Returns:
        ``(frames, meta)``: frames ``(T, H, W)`` (``(T, H, W, 3)`` for colour when ``luminance`` is False) with the
        stored dtype, and the meta dict with keys ``filename, format, frame_times_ms, frame_time_ms, bits_stored,
        pixel_spacing, modality, photometric_interpretation, patient_id, study_instance_uid, series_instance_uid,
        burned_in_annotation, number_of_frames`` (plus reader-specific extras).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the file and problem for unrecognised or bad input, including NaN/Inf in float data.
    """
    path = Path(path)
    fmt = detect_format(path)
    readers = {
        "dicom": read_dicom,
        "dicom_series": read_dicom_series,
        "image_folder": read_image_folder,
        "tiff": read_tiff,
        "video": read_video,
        "hdf5": read_hdf5,
        "nifti": read_nifti,
        "image": _read_single_image,
    }
    frames, meta = readers[fmt](path, luminance=luminance)
    frames = as_native(frames)
    check_finite(frames, path)
    meta["number_of_frames"] = int(frames.shape[0])
    return frames, meta


def describe(path: str | os.PathLike) -> dict[str, Any]:
    """Short description of an input for ``monai-angio info``.

    DICOM files and series are described from their headers only (no pixel decoding); other formats are loaded.

    Returns:
        ``{"path", "format", "modality", "frames", "size": (H, W), "channels", "bits_stored", "dtype",
        "fps", "frame_time_ms", "pixel_spacing", "photometric_interpretation", "transfer_syntax"}`` (None where
        unknown).
    """
    path = Path(path)
    fmt = detect_format(path)
    info: dict[str, Any] = {"path": str(path), "format": fmt, "dtype": None, "transfer_syntax": None}
    if fmt in ("dicom", "dicom_series"):
        files = [path] if fmt == "dicom" else list_dicom_files(path)
        pairs = [(p, read_dicom_header(p, stop_before_pixels=True)) for p in files]
        check_single_series(pairs, path)
        headers = [h for _, h in pairs]
        meta = dicom_header_meta(headers[0], path)
        if not meta["number_of_frames"]:
            raise ValueError(f"{files[0]}: DICOM file has no pixel data: not an image.")
        n = sum(int(h.get("NumberOfFrames") or 1) for h in headers)
        size = (meta["rows"], meta["columns"])
        channels = meta["samples_per_pixel"]
        info["transfer_syntax"] = meta["transfer_syntax"]
    else:
        frames, meta = load_sequence(path)
        n = int(frames.shape[0])
        size = tuple(int(s) for s in frames.shape[1:3])
        channels = int(frames.shape[3]) if frames.ndim == 4 else 1
        info["dtype"] = str(frames.dtype)
    interval = meta.get("frame_time_ms")
    info.update(
        modality=meta.get("modality"),
        frames=n,
        size=size,
        channels=channels,
        bits_stored=meta.get("bits_stored"),
        fps=(1000.0 / interval) if interval else None,
        frame_time_ms=interval,
        pixel_spacing=meta.get("pixel_spacing"),
        photometric_interpretation=meta.get("photometric_interpretation"),
    )
    return info
