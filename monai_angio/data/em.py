# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""EM slice interpolation data (DAN-style): stack loading, histogram matching and ``(z - g, z, z + g)`` triplets.

An EM stack (serial-section TEM, FIB-SEM) is handled as a sequence of z slices ``(Z, 1, H, W)`` float in ``[0, 1]``.
:class:`EMSliceTriplets` draws random training triplets (two outer slices and the middle target slice) with random
gaps, crops, flips/rotations and slice-order swaps; :func:`em_eval_triplets` lists every triplet of a z range as whole
slices for evaluation. :func:`match_histogram` maps a whole stack onto a reference distribution, as done before
training and inference in the DAN paper.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from monai.data import Dataset
from monai.transforms import apply_transform

from monai_angio.data.tuples import RandomDrawDataset, split_frames

__all__ = ["load_em_stack", "match_histogram", "EMSliceTriplets", "EMEvalTriplets", "em_eval_triplets"]

StackLike = np.ndarray | torch.Tensor | str | os.PathLike
ZRange = tuple[int, int]


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def load_em_stack(path: str | os.PathLike) -> tuple[torch.Tensor, dict[str, Any]]:
    """Load an EM stack with :func:`monai_angio.io.cine.read_cine` (HDF5 ``volumes/raw``, TIFF stack, folder of
    slices, NIfTI, ...).

    Args:
        path: the stack file or folder.

    Returns:
        ``(stack, meta)``: float32 ``(Z, 1, H, W)`` in ``[0, 1]`` and the meta dict of the source.

    Raises:
        ValueError: the stack holds fewer than 3 slices (no triplet can be drawn), or any error of ``read_cine``.
    """
    from monai_angio.io.cine import read_cine

    stack, meta = read_cine(path)
    if stack.shape[0] < 3:
        raise ValueError(
            f"{path}: an EM stack needs at least 3 slices for slice interpolation, it holds {stack.shape[0]}."
        )
    return stack.to(torch.float32).contiguous(), meta


def _as_stack(stack: StackLike, name: str = "stack") -> torch.Tensor:
    """A path, array or tensor ``(Z, H, W)``/``(Z, 1, H, W)`` as float32 ``(Z, 1, H, W)`` in ``[0, 1]``."""
    if isinstance(stack, (str, os.PathLike)):
        return load_em_stack(stack)[0]
    if not isinstance(stack, (np.ndarray, torch.Tensor)):
        raise TypeError(f"{name} must be a path, an array or a tensor, got {type(stack).__name__}.")
    x = torch.as_tensor(np.asarray(stack)) if isinstance(stack, np.ndarray) else stack
    if hasattr(x, "as_tensor"):
        x = x.as_tensor()
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"{name} must be (Z, H, W) or (Z, 1, H, W), got shape {tuple(stack.shape)}.")
    if x.dtype == torch.uint8:
        x = x.to(torch.float32) / 255.0
    elif not x.dtype.is_floating_point:
        raise ValueError(f"{name}: integer stacks other than uint8 must be scaled to [0, 1] floats first ({x.dtype}).")
    x = x.detach().to(torch.float32)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or Inf values.")
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(f"{name} has values outside [0, 1]: scale it first.")
    if x.shape[0] < 3:
        raise ValueError(f"{name}: an EM stack needs at least 3 slices, got {x.shape[0]}.")
    return x.contiguous()


def _check_unit_range(x: torch.Tensor, name: str) -> None:
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or Inf values.")
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(f"{name} must lie in [0, 1].")


def _reference_quantiles(reference: np.ndarray | torch.Tensor, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``(cdf, values)`` of the reference's quantile function (mid-mass cumulative fraction of each level)."""
    ref = torch.as_tensor(np.asarray(reference)) if isinstance(reference, np.ndarray) else reference
    if hasattr(ref, "as_tensor"):
        ref = ref.as_tensor()
    ref = ref.detach().to(torch.float64).cpu()
    if ref.numel() == 0:
        raise ValueError("reference is empty.")
    if ref.ndim == 1:  # a histogram: counts of `len(reference)` equal bins over [0, 1]
        if not torch.isfinite(ref).all() or float(ref.min()) < 0.0 or float(ref.sum()) <= 0.0:
            raise ValueError("a reference histogram (1-D reference) must hold finite non-negative counts, not all 0.")
        n = ref.numel()
        counts = ref.numpy()
        values = (np.arange(n, dtype=np.float64) + 0.5) / n
    else:
        _check_unit_range(ref, "reference")
        flat = ref.flatten()
        index = torch.clamp((flat * bins).long(), 0, bins - 1)
        counts_t = torch.bincount(index, minlength=bins).to(torch.float64)
        sums = torch.bincount(index, weights=flat, minlength=bins)
        counts = counts_t.numpy()
        # the mean of the reference values in each bin: exact for data with at most one level per bin (8-bit data)
        values = np.divide(sums.numpy(), counts, out=np.zeros(bins), where=counts > 0)
    keep = counts > 0
    counts, values = counts[keep], values[keep]
    cdf = (np.cumsum(counts) - counts / 2.0) / counts.sum()
    return cdf, values


def match_histogram(
    stack: np.ndarray | torch.Tensor, reference: np.ndarray | torch.Tensor, bins: int = 256
) -> torch.Tensor:
    """Histogram specification of a whole stack to a reference distribution (monotone CDF mapping).

    The empirical CDF is computed over the whole stack (not per slice); each distinct value ``v`` of the stack is
    mapped to the reference quantile at its mid-mass cumulative fraction, so the mapping is monotone and the output
    quantiles follow the reference's (within ``1 / bins`` for continuous data; ties in the stack stay tied).

    Args:
        stack: ``(T, 1, H, W)`` or ``(T, H, W)`` (any shape works) float in ``[0, 1]``.
        reference: a reference stack (any shape of at least 2 dimensions, float in ``[0, 1]``), summarized as a
            ``bins``-bin histogram over ``[0, 1]`` whose levels are the mean reference value in each bin; or a 1-D
            histogram of counts over ``len(reference)`` equal bins of ``[0, 1]`` (levels at the bin centres).
        bins: number of histogram bins of a reference stack (at least 2).

    Returns:
        float32 tensor of the shape of ``stack``, in ``[0, 1]``; a constant stack is returned unchanged.

    Raises:
        ValueError: ``bins`` < 2, values outside ``[0, 1]`` or non-finite, an empty or invalid reference.
    """
    if not _is_int(bins) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}.")
    x = torch.as_tensor(np.asarray(stack)) if isinstance(stack, np.ndarray) else stack
    if hasattr(x, "as_tensor"):
        x = x.as_tensor()
    if not x.dtype.is_floating_point:
        raise ValueError(f"stack must be a float tensor in [0, 1], got {x.dtype}.")
    _check_unit_range(x, "stack")
    x = x.detach().to(torch.float32)
    if x.numel() == 0 or float(x.min()) == float(x.max()):
        return x.clone()
    cdf, values = _reference_quantiles(reference, int(bins))
    levels, inverse, counts = torch.unique(x.flatten().cpu(), return_inverse=True, return_counts=True)
    c = counts.to(torch.float64).numpy()
    src_cdf = (np.cumsum(c) - c / 2.0) / c.sum()
    mapped = np.clip(np.interp(src_cdf, cdf, values), 0.0, 1.0)
    out = torch.from_numpy(mapped.astype(np.float32))[inverse].reshape(x.shape)
    return out.to(x.device)


def _z_ranges(
    z_range: ZRange | Sequence[ZRange | None] | None,
    holdout_fraction: float | None,
    lengths: Sequence[int],
) -> list[ZRange]:
    if z_range is not None and holdout_fraction is not None:
        raise ValueError("give either z_range or holdout_fraction, not both.")
    if holdout_fraction is not None:
        return [split_frames(int(n), holdout_fraction)[0] for n in lengths]
    if z_range is None:
        ranges: list[Any] = [None] * len(lengths)
    elif len(z_range) == 2 and all(_is_int(v) for v in z_range):
        ranges = [z_range] * len(lengths)
    else:
        ranges = list(z_range)
        if len(ranges) != len(lengths):
            raise ValueError(f"z_range has {len(ranges)} entries for {len(lengths)} stacks.")
    out = []
    for i, (r, n) in enumerate(zip(ranges, lengths, strict=True)):
        if r is None:
            out.append((0, int(n)))
            continue
        if len(r) != 2 or not all(_is_int(v) for v in r):
            raise ValueError(f"z_range of stack {i} must be (start, stop) integers, got {r!r}.")
        start, stop = int(r[0]), int(r[1])
        if not 0 <= start < stop <= n:
            raise ValueError(f"z_range {tuple(r)} of stack {i} must satisfy 0 <= start < stop <= {n}.")
        out.append((start, stop))
    return out


def _crop_size(crop: int | Sequence[int] | None) -> tuple[int, int] | None:
    if crop is None:
        return None
    if _is_int(crop):
        crop = (int(crop), int(crop))
    if len(crop) != 2 or not all(_is_int(v) and v >= 1 for v in crop):
        raise ValueError(f"crop must be None, an integer >= 1 or (h, w) integers >= 1, got {crop!r}.")
    return int(crop[0]), int(crop[1])


class EMSliceTriplets(RandomDrawDataset):
    """Random ``(z - g, z, z + g)`` slice triplets from EM stacks, for training slice interpolation (DAN style).

    Each item draws a stack (probability proportional to its z range), a gap ``g`` uniform in ``[1, max_gap]`` (gaps
    larger than 1 emulate thicker sections on thin-section ssTEM data) and a middle slice ``z`` such that all three
    slices lie in the stack's z range, then a random crop, random flips and rot90 (multiples of 180 degrees only for
    non-square crops) and a random swap of the outer slices. The item index is not used: an "epoch" is
    ``samples_per_epoch`` draws. Items are ``{"slice0": (1, h, w), "slice1": (1, h, w), "target": (1, h, w),
    "gap": int, "z": int, "stack_index": int, "swapped": bool}`` (``slice0`` is slice ``z - g`` unless swapped)
    after the optional ``transform``.

    Args:
        stacks: paths (loaded with :func:`load_em_stack`), arrays or tensors ``(Z, H, W)``/``(Z, 1, H, W)`` float in
            ``[0, 1]`` (or uint8).
        samples_per_epoch: length of the dataset.
        crop: crop size ``s`` or ``(h, w)``; ``None`` keeps whole slices (all stacks must then share ``H, W``
            for batching).
        max_gap: largest gap ``g`` drawn; every stack's z range must hold ``2 * max_gap + 1`` slices.
        z_range: one ``(start, stop)`` for all stacks or one per stack (``None`` entries: all slices); slices outside
            are never used.
        holdout_fraction: instead of ``z_range``, keep the last fraction of each stack's z axis out of training
            (train range of :func:`~monai_angio.data.split_frames`).
        flip: random horizontal/vertical flips and rot90.
        swap: random swap of ``slice0`` and ``slice1``.
        reference: if given, each stack is histogram-matched to it once (see :func:`match_histogram`).
        bins: histogram bins of the matching.
        transform: callable applied to each item dictionary.
        seed: random seed (``None``: not reproducible).
    """

    def __init__(
        self,
        stacks: Sequence[StackLike],
        samples_per_epoch: int,
        crop: int | Sequence[int] | None = 256,
        max_gap: int = 1,
        z_range: ZRange | Sequence[ZRange | None] | None = None,
        holdout_fraction: float | None = None,
        flip: bool = True,
        swap: bool = True,
        reference: np.ndarray | torch.Tensor | None = None,
        bins: int = 256,
        transform: Callable | None = None,
        seed: int | None = 0,
    ) -> None:
        if isinstance(stacks, (str, os.PathLike, np.ndarray, torch.Tensor)):
            raise TypeError("stacks must be a list of stacks (paths, arrays or tensors), not a single one.")
        if not _is_int(samples_per_epoch) or samples_per_epoch < 1:
            raise ValueError(f"samples_per_epoch must be an integer >= 1, got {samples_per_epoch!r}.")
        if not _is_int(max_gap) or max_gap < 1:
            raise ValueError(f"max_gap must be an integer >= 1, got {max_gap!r}.")
        self.crop = _crop_size(crop)
        self.stacks = [_as_stack(s, f"stack {i}") for i, s in enumerate(stacks)]
        if not self.stacks:
            raise ValueError("stacks is empty.")
        if reference is not None:
            self.stacks = [match_histogram(s, reference, bins=bins) for s in self.stacks]
        self.max_gap = int(max_gap)
        self.flip, self.swap = bool(flip), bool(swap)
        self.z_ranges = _z_ranges(z_range, holdout_fraction, [int(s.shape[0]) for s in self.stacks])
        for i, ((start, stop), s) in enumerate(zip(self.z_ranges, self.stacks, strict=True)):
            if stop - start < 2 * self.max_gap + 1:
                raise ValueError(
                    f"max_gap {self.max_gap} is too large for stack {i}: its z range ({start}, {stop}) holds "
                    f"{stop - start} slices, a gap of {self.max_gap} needs {2 * self.max_gap + 1}."
                )
            if self.crop is not None and (self.crop[0] > s.shape[-2] or self.crop[1] > s.shape[-1]):
                raise ValueError(f"crop {self.crop} is larger than the slices {tuple(s.shape[-2:])} of stack {i}.")
        lengths = np.array([stop - start for start, stop in self.z_ranges], dtype=np.float64)
        self.weights = lengths / lengths.sum()
        self.start_draws(samples_per_epoch, transform, seed)

    def randomize(self, data: Any = None) -> dict[str, Any]:
        """Draw the stack, gap, middle slice, crop corner, flips, rotation and swap of one item."""
        index = int(self.R.choice(len(self.stacks), p=self.weights))
        start, stop = self.z_ranges[index]
        gap = int(self.R.randint(1, self.max_gap + 1))
        z = int(self.R.randint(start + gap, stop - gap))
        h, w = self.stacks[index].shape[-2:]
        ch, cw = self.crop if self.crop is not None else (h, w)
        y0 = int(self.R.randint(0, h - ch + 1))
        x0 = int(self.R.randint(0, w - cw + 1))
        flips = (bool(self.R.rand() < 0.5), bool(self.R.rand() < 0.5)) if self.flip else (False, False)
        k = int(self.R.randint(4)) if self.flip else 0
        if ch != cw:
            k = 2 * (k % 2)
        swapped = bool(self.R.rand() < 0.5) if self.swap else False
        return {
            "index": index,
            "gap": gap,
            "z": z,
            "y0": y0,
            "x0": x0,
            "ch": ch,
            "cw": cw,
            "flips": flips,
            "k": k,
            "swapped": swapped,
        }

    def _transform(self, index: int) -> dict[str, Any]:
        if not -self.samples_per_epoch <= int(index) < self.samples_per_epoch:
            raise IndexError(f"index {index} out of range for {self.samples_per_epoch} samples.")
        p = self.randomize()
        s = self.stacks[p["index"]]
        z, g = p["z"], p["gap"]
        window = s[[z - g, z, z + g], :, p["y0"] : p["y0"] + p["ch"], p["x0"] : p["x0"] + p["cw"]]
        if p["flips"][0]:
            window = window.flip(-1)
        if p["flips"][1]:
            window = window.flip(-2)
        if p["k"]:
            window = torch.rot90(window, p["k"], dims=(-2, -1))
        window = window.contiguous()
        first, last = (2, 0) if p["swapped"] else (0, 2)
        item = {
            "slice0": window[first],
            "slice1": window[last],
            "target": window[1],
            "gap": g,
            "z": z,
            "stack_index": p["index"],
            "swapped": p["swapped"],
        }
        return apply_transform(self.transform, item) if self.transform is not None else item


class EMEvalTriplets(Dataset):
    """Every ``(z - g, z, z + g)`` triplet of a z range of one stack, as whole slices, in z order.

    Items are ``{"slice0": (1, H, W), "slice1": (1, H, W), "target": (1, H, W), "gap": int, "z": int}`` for
    ``z`` in ``[start + gap, stop - gap)``.

    Args:
        stack: path, array or tensor ``(Z, H, W)``/``(Z, 1, H, W)``; see :class:`EMSliceTriplets`.
        gap: the gap ``g`` (at least 1).
        z_range: ``(start, stop)`` slices to use (e.g. the test range of :func:`~monai_angio.data.split_frames`).
        reference: if given, the stack is histogram-matched to it (see :func:`match_histogram`).
        bins: histogram bins of the matching.
        transform: callable applied to each item dictionary.
    """

    def __init__(
        self,
        stack: StackLike,
        gap: int = 1,
        z_range: ZRange | None = None,
        reference: np.ndarray | torch.Tensor | None = None,
        bins: int = 256,
        transform: Callable | None = None,
    ) -> None:
        if not _is_int(gap) or gap < 1:
            raise ValueError(f"gap must be an integer >= 1, got {gap!r}.")
        self.stack = _as_stack(stack)
        if reference is not None:
            self.stack = match_histogram(self.stack, reference, bins=bins)
        self.gap = int(gap)
        (self.start, self.stop) = _z_ranges(z_range, None, [int(self.stack.shape[0])])[0]
        if self.stop - self.start < 2 * self.gap + 1:
            raise ValueError(
                f"gap {self.gap} is too large for the z range ({self.start}, {self.stop}): it holds "
                f"{self.stop - self.start} slices, needs {2 * self.gap + 1}."
            )
        self.zs = list(range(self.start + self.gap, self.stop - self.gap))
        Dataset.__init__(self, data=self.zs, transform=transform)

    def _transform(self, index: int) -> dict[str, Any]:
        z, g = self.zs[index], self.gap
        item = {"slice0": self.stack[z - g], "slice1": self.stack[z + g], "target": self.stack[z], "gap": g, "z": z}
        return apply_transform(self.transform, item) if self.transform is not None else item


def em_eval_triplets(
    stack: StackLike,
    gap: int = 1,
    z_range: ZRange | None = None,
    reference: np.ndarray | torch.Tensor | None = None,
    bins: int = 256,
) -> EMEvalTriplets:
    """Every ``(z - gap, z, z + gap)`` triplet of ``z_range`` of ``stack`` as whole slices; see :class:`EMEvalTriplets`.

    Args:
        stack: path, array or tensor ``(Z, H, W)``/``(Z, 1, H, W)``.
        gap: the gap ``g``.
        z_range: ``(start, stop)``; ``None``: all slices.
        reference: optional histogram-matching reference.
        bins: histogram bins of the matching.

    Returns:
        an :class:`EMEvalTriplets` dataset of ``stop - start - 2 * gap`` items.
    """
    return EMEvalTriplets(stack, gap=gap, z_range=z_range, reference=reference, bins=bins)
