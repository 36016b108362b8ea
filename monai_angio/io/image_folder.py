# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Folders of image frames (PNG, TIFF, JPEG, BMP) and the PNG frame writer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from monai_angio.io._common import (
    check_finite,
    check_integer_frames,
    natural_sort_key,
    new_meta,
    to_luminance,
    to_numpy,
)
from monai_angio.io.atomic import atomic_output

__all__ = [
    "IMAGE_EXTENSIONS",
    "frame_file_names",
    "list_image_files",
    "read_image",
    "read_image_folder",
    "write_frames",
    "write_png",
]

IMAGE_EXTENSIONS = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp")
_TIFF_EXTENSIONS = (".tif", ".tiff")


def list_image_files(folder: str | os.PathLike) -> list[Path]:
    """Image files directly in ``folder`` (hidden files skipped) in natural order: ``2.png`` before ``10.png``."""
    folder = Path(folder)
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
    ]
    return sorted(files, key=natural_sort_key)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read one image file keeping its dtype: ``(H, W)`` grayscale or ``(H, W, 3)`` RGB (alpha dropped).

    Raises:
        ValueError: naming the file when it cannot be decoded or holds NaN/Inf.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.suffix.lower() in _TIFF_EXTENSIONS:
        import tifffile

        try:
            with tifffile.TiffFile(path) as tif:
                pages = len(tif.pages)
                img = tif.pages[0].asarray()
        except Exception as e:
            raise ValueError(f"{path}: cannot read TIFF image ({type(e).__name__}: {e}).") from e
        if pages > 1:
            raise ValueError(f"{path}: multi-page TIFF ({pages} pages) among single frames; read it with read_tiff.")
        img = np.asarray(img)
        if img.ndim == 3 and img.shape[0] in (3, 4) and img.shape[-1] not in (3, 4):  # planar RGB
            img = np.moveaxis(img, 0, -1)
    else:
        data = np.fromfile(path, dtype=np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if img is None:
            raise ValueError(f"{path}: cannot decode image file (corrupt or unsupported format).")
        if img.ndim == 3 and img.shape[-1] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
        elif img.ndim == 3 and img.shape[-1] == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(f"{path}: expected a 2-D grayscale or RGB image, got shape {img.shape}.")
    check_finite(img, path)
    return np.ascontiguousarray(img)


def _stack_frames(images: list[np.ndarray], files: list[Path], luminance: bool) -> tuple[np.ndarray, str]:
    """Stack per-file images into ``(T, H, W)`` or ``(T, H, W, 3)``; returns frames and photometric interpretation."""
    size = images[0].shape[:2]
    for img, p in zip(images, files, strict=True):
        if img.shape[:2] != size:
            raise ValueError(
                f"{p}: frame size {img.shape[:2]} differs from {size} of {files[0].name}; all frames must match."
            )
    colour = [img.ndim == 3 for img in images]
    # RGB files whose three channels are equal are grayscale stored as colour: keep them as grayscale.
    gray_as_rgb = all(
        not c or (np.array_equal(img[..., 0], img[..., 1]) and np.array_equal(img[..., 0], img[..., 2]))
        for img, c in zip(images, colour, strict=True)
    )
    if any(colour) and not gray_as_rgb:
        if luminance:
            images = [to_luminance(img) if img.ndim == 3 else img for img in images]
            photometric = "MONOCHROME2"
        else:
            images = [img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=-1) for img in images]
            photometric = "RGB"
    else:
        images = [img[..., 0] if img.ndim == 3 else img for img in images]
        photometric = "MONOCHROME2"
    dtype = np.result_type(*[img.dtype for img in images])
    return np.stack([img.astype(dtype, copy=False) for img in images]), photometric


def _depth(img: np.ndarray) -> str:
    return f"{img.dtype.itemsize * 8}-bit ({img.dtype})"


def _check_one_bit_depth(images: list[np.ndarray], files: list[Path], folder: Path) -> None:
    """Refuse frames of different dtypes: an 8-bit frame among 16-bit ones would be read as 16-bit values."""
    for img, p in zip(images, files, strict=True):
        if img.dtype != images[0].dtype:
            raise ValueError(
                f"{folder}: the frames mix bit depths: {files[0].name} is {_depth(images[0])} but {p.name} is "
                f"{_depth(img)}; convert them to one bit depth (e.g. all 16-bit PNG) before reading them as a cine."
            )


def read_image_folder(folder: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a folder of image frames (PNG/TIFF/JPEG/BMP) in natural file-name order.

    8- and 16-bit data keep their dtype. RGB files with three equal channels are read as grayscale; true colour
    gives ``(T, H, W, 3)``, or BT.601 luminance ``(T, H, W)`` when ``luminance`` is True.

    Args:
        folder: the folder (other files in it are ignored).
        luminance: convert colour frames to luminance.

    Returns:
        ``(frames, meta)`` with ``format="image_folder"``, ``meta["files"]`` the frame files in order and
        ``bits_stored`` 8 or 16 from the dtype (frame times unknown).

    Raises:
        ValueError: for a folder without image files, unreadable files, frames of different sizes and frames of
            different bit depths (8-bit and 16-bit files mixed; naming the offending files).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder.")
    files = list_image_files(folder)
    if not files:
        raise ValueError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in the folder.")
    images = [read_image(p) for p in files]
    _check_one_bit_depth(images, files, folder)
    frames, photometric = _stack_frames(images, files, luminance)
    meta = new_meta(folder, "image_folder")
    meta.update(
        number_of_frames=int(frames.shape[0]),
        bits_stored=int(frames.dtype.itemsize * 8),
        photometric_interpretation=photometric,
        files=[str(p) for p in files],
    )
    return frames, meta


def _png_dtype(bits_stored: int, name: str) -> np.dtype:
    bits_stored = int(bits_stored)
    if not 1 <= bits_stored <= 16:
        raise ValueError(f"{name}: bits_stored must be in [1, 16], got {bits_stored}.")
    return np.dtype(np.uint8 if bits_stored <= 8 else np.uint16)


def frame_file_names(n: int, suffix: str = ".png") -> list[str]:
    """File names of the ``n`` frames of a cine: ``0000.png, 0001.png, ...``, one zero-padding width for all of them
    (4 digits, more when ``n`` exceeds 10,000), so names sort in frame order and match ``frame_labels.csv``."""
    width = max(4, len(str(max(int(n), 1) - 1)))
    return [f"{i:0{width}d}{suffix}" for i in range(int(n))]


def _encode_png(path: Path, frame: np.ndarray) -> None:
    """Write one frame (``cv2.imwrite`` looked up at call time) to exactly ``path``."""
    if frame.ndim == 3:
        frame = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), np.ascontiguousarray(frame)):
        raise ValueError(f"{path}: cannot write PNG file.")


def _write_png_checked(path: Path, frame: np.ndarray) -> Path:
    with atomic_output(path, overwrite=True) as tmp:
        _encode_png(tmp, frame)
    return path


def _write_pixels(folder: Path, pixels: np.ndarray, *, atomic: bool = True) -> list[Path]:
    """Write checked stored values ``(T, H, W[, 3])`` as :func:`frame_file_names` PNGs in ``folder`` (which exists).

    ``atomic``: each file under a temporary name (for a folder that may hold other files); False for a folder that
    is itself a temporary being written whole (:func:`monai_angio.io.atomic.atomic_output`).
    """
    paths = [folder / name for name in frame_file_names(pixels.shape[0])]
    for path, frame in zip(paths, pixels, strict=True):
        if atomic:
            _write_png_checked(path, frame)
        else:
            _encode_png(path, frame)
    return paths


def write_png(path: str | os.PathLike, image: Any, bits_stored: int) -> Path:
    """Write one ``(H, W)`` or ``(H, W, 3)`` image as an 8-bit (``bits_stored <= 8``) or 16-bit PNG, atomically.

    Values are written as they are (floats rounded); see :func:`write_frames`.
    """
    path = Path(path)
    arr = to_numpy(image)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] != 3) or 0 in arr.shape:
        raise ValueError(f"{path}: image must be (H, W) or (H, W, 3), got shape {tuple(arr.shape)}.")
    pixels = check_integer_frames(arr, int(bits_stored), str(path), _png_dtype(bits_stored, str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write_png_checked(path, pixels)


def write_frames(folder: str | os.PathLike, frames: Any, bits_stored: int) -> list[Path]:
    """Write frames as ``0000.png, 0001.png, ...``: 8-bit PNG when ``bits_stored <= 8``, 16-bit PNG otherwise.

    Values are written as they are (no scaling); each file is written under a temporary name and renamed (replacing
    a file of the same name; other files of the folder are kept: :func:`~monai_angio.io.write_cine` writes a whole
    cine folder at once). Names: :func:`frame_file_names`.

    Args:
        folder: output folder (created if needed).
        frames: ``(T, H, W)`` grayscale or ``(T, H, W, 3)`` RGB stored values in ``[0, 2**bits_stored - 1]``
            (floats are rounded).
        bits_stored: bits per sample, 1 to 16.

    Returns:
        The paths written, in frame order.

    Raises:
        ValueError: for a wrong shape, NaN/Inf or values outside the bits-stored range.
    """
    folder = Path(folder)
    arr = to_numpy(frames)
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[-1] != 3) or 0 in arr.shape:
        raise ValueError(f"{folder}: frames must be (T, H, W) or (T, H, W, 3), got shape {tuple(arr.shape)}.")
    pixels = check_integer_frames(arr, int(bits_stored), str(folder), _png_dtype(bits_stored, str(folder)))
    folder.mkdir(parents=True, exist_ok=True)
    return _write_pixels(folder, pixels)
