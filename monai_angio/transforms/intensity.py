# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Intensity transforms: bit-depth scaling, histogram specification, burned-in text masking."""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform
from monai.utils import convert_to_dst_type

from monai_angio.io.cine import quantize_bit_depth, scale_bit_depth
from monai_angio.transforms.utils import describe_source

__all__ = [
    "scale_bit_depth",
    "quantize_bit_depth",
    "histogram_specification",
    "mask_rectangles",
    "ScaleBitDepthd",
    "HistogramSpecificationd",
    "MaskRectanglesd",
]

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def _to_numpy(img: Any) -> np.ndarray:
    if isinstance(img, torch.Tensor):
        return img.detach().cpu().numpy()
    return np.asarray(img)


def _meta_of(img: Any) -> dict:
    return dict(img.meta) if isinstance(img, MetaTensor) else {}


def _box_mean(img: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a ``(2r+1) x (2r+1)`` window of the last two axes (reflect padding), float64."""
    size = 2 * radius + 1
    pad = [(0, 0)] * (img.ndim - 2) + [(radius + 1, radius), (radius + 1, radius)]
    p = np.pad(img.astype(np.float64), pad, mode="reflect" if min(img.shape[-2:]) > radius + 1 else "edge")
    c = p.cumsum(axis=-2).cumsum(axis=-1)
    s = c[..., size:, size:] - c[..., :-size, size:] - c[..., size:, :-size] + c[..., :-size, :-size]
    return s / float(size * size)


def histogram_specification(
    image: np.ndarray | torch.Tensor, reference: np.ndarray | torch.Tensor, exact: bool = True
) -> np.ndarray:
    """Give ``image`` the grey-value distribution of ``reference`` (histogram specification / matching).

    The pixels of ``image`` are ranked and the k-th ranked pixel gets the reference value at the same quantile, so
    the output holds values of the reference only and the map is monotonic (a brighter input pixel never becomes
    darker than a darker one). With ``exact=True`` (exact histogram specification) ties between equal input values
    are broken by the 3x3 and then 5x5 local means over the last two axes, so the output histogram equals the
    reference histogram resampled to the image size (identical sorted values when sizes are equal). With
    ``exact=False`` equal input values stay equal (classic CDF matching at the mid-rank of each input value).

    Args:
        image: array of any shape with at least 2 dimensions (the last two are rows and columns).
        reference: array of any shape holding the wanted distribution.
        exact: exact (tie-breaking) specification.

    Returns:
        array of the shape of ``image`` with the dtype of ``reference``.
    """
    img = _to_numpy(image)
    ref = _to_numpy(reference)
    if img.ndim < 2:
        raise ValueError(f"image must have at least 2 dimensions (rows, columns), got shape {img.shape}.")
    if img.size == 0 or ref.size == 0:
        raise ValueError("image and reference must not be empty.")
    for name, arr in (("image", img), ("reference", ref)):
        if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or Inf values.")
    ref_sorted = np.sort(ref.ravel())
    n = img.size
    positions = ((np.arange(n, dtype=np.float64) + 0.5) * ref_sorted.size / n).astype(np.int64)
    positions = np.minimum(positions, ref_sorted.size - 1)
    if exact:
        keys = (_box_mean(img, 2).ravel(), _box_mean(img, 1).ravel(), img.ravel())
        order = np.lexsort(keys)
        out = np.empty(n, dtype=ref_sorted.dtype)
        out[order] = ref_sorted[positions]
    else:
        _, inverse, counts = np.unique(img.ravel(), return_inverse=True, return_counts=True)
        mid_rank = np.cumsum(counts) - counts / 2.0
        idx = np.minimum((mid_rank * ref_sorted.size / n).astype(np.int64), ref_sorted.size - 1)
        out = ref_sorted[idx][inverse.ravel()]
    return out.reshape(img.shape)


def _parse_rectangles(rectangles: Sequence[Sequence[int]]) -> list[tuple[int, int, int, int]]:
    if isinstance(rectangles, (str, bytes)) or not isinstance(rectangles, Sequence):
        raise TypeError(f"rectangles must be a sequence of (x, y, width, height), got {type(rectangles).__name__}.")
    if len(rectangles) and isinstance(rectangles[0], (int, np.integer)):
        rectangles = [rectangles]  # a single rectangle
    out = []
    for rect in rectangles:
        if len(rect) != 4 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in rect):
            raise ValueError(f"each rectangle must be 4 integers (x, y, width, height), got {rect!r}.")
        x, y, w, h = (int(v) for v in rect)
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            raise ValueError(f"rectangle {rect!r} needs x, y >= 0 and width, height > 0.")
        out.append((x, y, w, h))
    return out


def mask_rectangles(
    image: np.ndarray | torch.Tensor,
    rectangles: Sequence[Sequence[int]],
    value: float | str = 0,
    source: str = "the image",
) -> np.ndarray | torch.Tensor:
    """Fill rectangles (e.g. burned-in patient text) in every frame of an image or sequence.

    Args:
        image: array or tensor ``(..., H, W)``, e.g. ``(C, T, H, W)``; the rectangles apply to every frame.
        rectangles: ``(x, y, width, height)`` in pixels, x along columns and y along rows; parts outside the image
            are clipped, a rectangle entirely outside the image is an error.
        value: fill value, or ``"median"`` for the median of each frame over the pixels outside all rectangles.
        source: name used in error messages.

    Returns:
        a masked copy of the same type, shape and dtype (a MetaTensor keeps its meta).
    """
    rects = _parse_rectangles(rectangles)
    arr = _to_numpy(image)
    if arr.ndim < 2:
        raise ValueError(f"{source} must have at least 2 dimensions (rows, columns), got shape {arr.shape}.")
    if isinstance(value, str):
        if value != "median":
            raise ValueError(f"value must be a number or 'median', got {value!r}.")
    elif not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise TypeError(f"value must be a number or 'median', got {type(value).__name__}.")
    H, W = arr.shape[-2:]
    mask = np.zeros((H, W), dtype=bool)
    for x, y, w, h in rects:
        if x >= W or y >= H:
            raise ValueError(f"rectangle {(x, y, w, h)} lies outside {source} of size (H={H}, W={W}).")
        mask[y : min(y + h, H), x : min(x + w, W)] = True
    out = arr.copy()
    frames = out.reshape(-1, H, W)
    if value == "median":
        if mask.all():
            raise ValueError(f"the rectangles cover all of {source}: no pixels left for the median.")
        fill = np.median(frames[:, ~mask], axis=1)
        if np.issubdtype(out.dtype, np.integer):
            fill = np.rint(fill)
        frames[:, mask] = fill.astype(out.dtype)[:, None]
    else:
        if np.issubdtype(out.dtype, np.integer):
            info = np.iinfo(out.dtype)
            if not info.min <= value <= info.max:
                raise ValueError(f"value {value} does not fit the dtype {out.dtype} of {source}.")
        frames[:, mask] = value
    result, *_ = convert_to_dst_type(out, image, dtype=out.dtype)
    return result


class ScaleBitDepthd(MapTransform):
    """Explicit intensity scaling of stored values to float32 ``[0, 1]``: divide by ``2**bits_stored - 1``.

    The number of bits comes from ``bits`` or else from the MetaTensor meta key ``"bits_stored"`` (as set by
    :class:`~monai_angio.transforms.LoadSequenced`); nothing is guessed from the dtype. The meta gets
    ``"scaled_bits"`` so that a second scaling is refused.

    Args:
        keys: keys of the images to scale (any shape).
        bits: bits stored; ``None`` reads ``"bits_stored"`` from the meta.
        clip: clip to ``[0, 1]``.
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(
        self, keys: KeysCollection, bits: int | None = None, clip: bool = True, allow_missing_keys: bool = False
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if bits is not None and (isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 32):
            raise ValueError(f"bits must be None or an integer in [1, 32], got {bits!r}.")
        self.bits = bits
        self.clip = clip

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            meta = _meta_of(img)
            if meta.get("scaled_bits") is not None:
                raise ValueError(
                    f"ScaleBitDepthd: key '{key}' of {describe_source(meta)} was already scaled "
                    f"(from {meta['scaled_bits']} bits)."
                )
            bits = self.bits if self.bits is not None else meta.get("bits_stored")
            if bits is None:
                raise ValueError(
                    f"ScaleBitDepthd: key '{key}' of {describe_source(meta)} has no 'bits_stored' in its meta; "
                    "pass bits= explicitly."
                )
            out = scale_bit_depth(img, int(bits), clip=self.clip)
            if isinstance(out, MetaTensor):
                out.meta["scaled_bits"] = int(bits)
            d[key] = out
        return d


def _load_reference(reference: Any) -> np.ndarray:
    if isinstance(reference, (str, os.PathLike)):
        path = Path(reference)
        if not path.exists():
            raise ValueError(f"reference image '{path}' does not exist.")
        if path.is_file() and path.suffix.lower() in _IMAGE_SUFFIXES:
            from PIL import Image

            with Image.open(path) as im:
                if im.mode not in ("L", "I", "I;16", "I;16B", "I;16L", "F"):
                    im = im.convert("L")
                return np.array(im)
        from monai_angio.io import load_sequence

        frames, _ = load_sequence(path, luminance=True)
        return np.asarray(frames)
    arr = _to_numpy(reference)
    if arr.size == 0:
        raise ValueError("reference must not be empty.")
    return arr


class HistogramSpecificationd(MapTransform):
    """Histogram specification (matching) of images or sequences to a reference image.

    See :func:`histogram_specification`. Used to bring electron-microscopy slices (or cines from another scanner)
    to the grey-value distribution of a reference.

    Args:
        keys: keys of the images, ``(..., H, W)``.
        reference: the reference as an array/tensor, or the path of an image file (PNG, JPEG, ...) or of any input
            of :func:`monai_angio.io.load_sequence` (all its frames form the reference distribution).
        per_frame: match each 2-D frame (``image[..., :, :]``) separately; otherwise the whole array at once.
        exact: exact specification with tie-breaking by local means.
        dtype: dtype of the output; ``None`` keeps the dtype of the reference (whose values the output takes).
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection,
        reference: np.ndarray | torch.Tensor | str | os.PathLike,
        per_frame: bool = True,
        exact: bool = True,
        dtype: np.dtype | type | str | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.reference = _load_reference(reference)
        if np.issubdtype(self.reference.dtype, np.floating) and not np.all(np.isfinite(self.reference)):
            raise ValueError("reference contains NaN or Inf values.")
        self.per_frame = per_frame
        self.exact = exact
        self.dtype = np.dtype(dtype) if dtype is not None else None

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            arr = _to_numpy(img)
            if arr.ndim < 2:
                raise ValueError(
                    f"HistogramSpecificationd: key '{key}' of {describe_source(_meta_of(img))} must have at least "
                    f"2 dimensions, got shape {arr.shape}."
                )
            if self.per_frame:
                frames = arr.reshape(-1, *arr.shape[-2:])
                out = np.stack([histogram_specification(f, self.reference, self.exact) for f in frames])
                out = out.reshape(arr.shape)
            else:
                out = histogram_specification(arr, self.reference, self.exact)
            if self.dtype is not None:
                out = out.astype(self.dtype)
            d[key], *_ = convert_to_dst_type(out, img, dtype=out.dtype)
        return d


class MaskRectanglesd(MapTransform):
    """Mask burned-in text (patient name, dates, ...) in fixed rectangles of every frame.

    See :func:`mask_rectangles`.

    Args:
        keys: keys of the images or sequences ``(..., H, W)``.
        rectangles: ``(x, y, width, height)`` rectangles in pixels (x along columns, y along rows).
        value: fill value or ``"median"`` (per-frame median of the unmasked pixels).
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection,
        rectangles: Sequence[Sequence[int]],
        value: float | str = 0,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.rectangles = _parse_rectangles(rectangles)
        if isinstance(value, str) and value != "median":
            raise ValueError(f"value must be a number or 'median', got {value!r}.")
        self.value = value

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            source = f"key '{key}' of {describe_source(_meta_of(img))}"
            d[key] = mask_rectangles(img, self.rectangles, self.value, source=source)
        return d
