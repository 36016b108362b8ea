# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Frame-interpolation tuple datasets drawn from cines (real sequences or phantoms)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from monai.data import Dataset, MetaTensor
from monai.transforms import Randomizable, apply_transform
from monai.utils import MAX_SEED

from monai_angio.transforms.temporal import draw_tuple_position, extract_frame_tuple
from monai_angio.transforms.utils import describe_source, sequence_to_metatensor

__all__ = [
    "RandomDrawDataset",
    "split_frames",
    "prepare_cine",
    "CineTupleDataset",
    "CineEvalTuples",
    "cine_tuple_dataset",
    "cine_eval_tuples",
    "phantom_cines",
    "phantom3d_cines",
    "phantom_tuple_dataset",
]

CineLike = np.ndarray | torch.Tensor | str | os.PathLike
FrameRange = tuple[int, int]


def split_frames(num_frames: int, holdout_fraction: float = 0.3) -> tuple[FrameRange, FrameRange]:
    """Split the frames of a cine in time: the first part for training, the last ``holdout_fraction`` for testing.

    Args:
        num_frames: number of frames ``T`` (at least 2).
        holdout_fraction: fraction of frames held out at the end, in ``(0, 1)``.

    Returns:
        ``(train_range, test_range)`` as ``(start, stop)`` pairs: ``(0, T - n)`` and ``(T - n, T)`` with
        ``n = round(T * holdout_fraction)`` clamped to ``1 .. T - 1``.
    """
    if isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer)) or num_frames < 2:
        raise ValueError(f"num_frames must be an integer >= 2, got {num_frames!r}.")
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be in (0, 1), got {holdout_fraction!r}.")
    held_out = min(max(int(round(num_frames * holdout_fraction)), 1), int(num_frames) - 1)
    split = int(num_frames) - held_out
    return (0, split), (split, int(num_frames))


def prepare_cine(cine: CineLike, bits: int | None = None) -> MetaTensor:
    """Load (if a path) and scale a cine to a float32 MetaTensor ``(C, T, H, W)`` in ``[0, 1]``.

    Args:
        cine: a path (loaded with :func:`monai_angio.io.load_sequence`, luminance), an array/tensor ``(T, H, W)`` or
            ``(C, T, H, W)``, or a MetaTensor. Integer values are divided by ``2**bits - 1`` with ``bits`` from the
            argument, else the meta ``"bits_stored"``, else 8 for uint8; other integer dtypes need ``bits``. Float
            values must already lie in ``[0, 1]``.
        bits: bits stored of integer input.

    Returns:
        float32 MetaTensor ``(C, T, H, W)`` with the meta of the source.
    """
    if isinstance(cine, (str, os.PathLike)):
        from monai_angio.io import load_sequence

        frames, meta = load_sequence(cine, luminance=True)
        x = sequence_to_metatensor(frames, meta)
    elif isinstance(cine, (np.ndarray, torch.Tensor)):
        meta = dict(cine.meta) if isinstance(cine, MetaTensor) else {}
        data = cine.as_tensor() if isinstance(cine, MetaTensor) else torch.as_tensor(np.asarray(cine))
        if data.ndim == 3:
            data = data[None]
        if data.ndim != 4:
            raise ValueError(
                f"cine {describe_source(meta)} must be (T, H, W) or (C, T, H, W), got shape {tuple(cine.shape)}."
            )
        x = MetaTensor(data, meta=meta)
    else:
        raise TypeError(f"a cine must be a path, an array or a tensor, got {type(cine).__name__}.")
    source = describe_source(x.meta)
    if x.dtype.is_floating_point:
        if not torch.isfinite(x).all():
            raise ValueError(f"cine {source} contains NaN or Inf values.")
        if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
            raise ValueError(f"float cine {source} has values outside [0, 1]: scale it first.")
        out = x.to(torch.float32)
    else:
        if bits is None:
            bits = x.meta.get("bits_stored")
        if bits is None and x.dtype == torch.uint8:
            bits = 8
        if bits is None:
            raise ValueError(f"integer cine {source} ({x.dtype}) has no bits stored: pass bits=.")
        out = (x.to(torch.float32) / float(2 ** int(bits) - 1)).clamp(0.0, 1.0)
        out.meta["scaled_bits"] = int(bits)
    return out


def _normalise_ranges(
    frame_range: FrameRange | Sequence[FrameRange | None] | None, lengths: Sequence[int]
) -> list[FrameRange]:
    if frame_range is None:
        ranges: list[Any] = [None] * len(lengths)
    elif len(frame_range) == 2 and all(isinstance(v, (int, np.integer)) for v in frame_range):
        ranges = [frame_range] * len(lengths)
    else:
        ranges = list(frame_range)
        if len(ranges) != len(lengths):
            raise ValueError(f"frame_range has {len(ranges)} entries for {len(lengths)} cines.")
    out = []
    for i, (r, n) in enumerate(zip(ranges, lengths, strict=True)):
        if r is None:
            out.append((0, n))
            continue
        if len(r) != 2 or not all(isinstance(v, (int, np.integer)) for v in r):
            raise ValueError(f"frame_range of cine {i} must be (start, stop) integers, got {r!r}.")
        start, stop = int(r[0]), int(r[1])
        if not 0 <= start < stop <= n:
            raise ValueError(f"frame_range {r} of cine {i} must satisfy 0 <= start < stop <= {n}.")
        out.append((start, stop))
    return out


class RandomDrawDataset(Randomizable, Dataset):
    """Base of the datasets whose items are random draws (the index is not used): an "epoch" is
    ``samples_per_epoch`` draws, and ``set_random_state`` (called with the seed at construction and per worker by
    :class:`monai.data.DataLoader`) also seeds the transform. Subclasses call :meth:`start_draws` at the end of their
    ``__init__`` and draw in ``_transform``."""

    def start_draws(self, samples_per_epoch: int, transform: Callable | None, seed: int | None) -> None:
        """Set the length and the transform and seed the draws."""
        self.samples_per_epoch = int(samples_per_epoch)
        Dataset.__init__(self, data=range(self.samples_per_epoch), transform=transform)
        self.set_random_state(seed=seed)

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> Randomizable:
        """Seed the dataset and, with a seed drawn from it, its transform."""
        super().set_random_state(seed=seed, state=state)
        if self.transform is not None and hasattr(self.transform, "set_random_state"):
            self.transform.set_random_state(seed=int(self.R.randint(MAX_SEED)))
        return self


class CineTupleDataset(RandomDrawDataset):
    """Random frame-interpolation tuples drawn from a set of cines held in memory.

    Each item draws a cine (probability proportional to its usable number of frames), a random gap and start (see
    :class:`~monai_angio.transforms.SampleFrameTupled`) and returns ``{"frame0": (C, H, W), "frame1": (C, H, W),
    "target": (N * C, H, W), "time": (N,), "tuple_indices": (N + 2,)}`` after the optional ``transform``
    (crops, flips, temporal reversal, ...). The item index is not used: an "epoch" is ``samples_per_epoch`` draws.
    ``set_random_state`` (called with ``seed`` here and per worker by :class:`monai.data.DataLoader`) also seeds the
    transform.

    Args:
        cines: paths, arrays ``(T, H, W)``/``(C, T, H, W)`` or MetaTensors; see :func:`prepare_cine`.
        num_targets: number ``N`` of target frames.
        samples_per_epoch: length of the dataset.
        transform: callable applied to each tuple dictionary.
        max_gap: largest frame step drawn.
        fixed_gap: always use this step.
        frame_range: one ``(start, stop)`` for all cines or one per cine (``None`` entries use all frames), e.g. the
            train range of :func:`split_frames`.
        bits: bits stored of integer array cines without meta.
        seed: random seed (``None``: not reproducible).
    """

    def __init__(
        self,
        cines: Sequence[CineLike],
        num_targets: int,
        samples_per_epoch: int,
        transform: Callable | None = None,
        max_gap: int = 1,
        fixed_gap: int | None = None,
        frame_range: FrameRange | Sequence[FrameRange | None] | None = None,
        bits: int | None = None,
        seed: int | None = 0,
    ) -> None:
        if isinstance(cines, (str, os.PathLike, np.ndarray, torch.Tensor)):
            raise TypeError("cines must be a list of cines (paths, arrays or tensors), not a single one.")
        for name, value in (("num_targets", num_targets), ("samples_per_epoch", samples_per_epoch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if isinstance(max_gap, bool) or not isinstance(max_gap, (int, np.integer)) or max_gap < 1:
            raise ValueError(f"max_gap must be an integer >= 1, got {max_gap!r}.")
        if fixed_gap is not None and (not isinstance(fixed_gap, (int, np.integer)) or fixed_gap < 1):
            raise ValueError(f"fixed_gap must be None or an integer >= 1, got {fixed_gap!r}.")
        self.cines = [prepare_cine(c, bits=bits) for c in cines]
        if not self.cines:
            raise ValueError("cines is empty.")
        self.num_targets = int(num_targets)
        self.max_gap = int(max_gap)
        self.fixed_gap = None if fixed_gap is None else int(fixed_gap)
        self.frame_ranges = _normalise_ranges(frame_range, [int(c.shape[1]) for c in self.cines])
        min_span = (self.fixed_gap or 1) * (self.num_targets + 1) + 1
        lengths = np.array([stop - start for start, stop in self.frame_ranges], dtype=np.float64)
        usable = lengths >= min_span
        if not usable.any():
            names = ", ".join(describe_source(c.meta) for c in self.cines)
            raise ValueError(
                f"no cine is long enough for {self.num_targets} target frame(s) (needs {min_span} frames in the "
                f"frame range): {names}."
            )
        self.weights = np.where(usable, lengths, 0.0) / lengths[usable].sum()
        self.start_draws(samples_per_epoch, transform, seed)

    def randomize(self, data: Any = None) -> tuple[int, int, int]:
        """Draw ``(cine index, start frame, gap)``."""
        index = int(self.R.choice(len(self.cines), p=self.weights))
        first, stop = self.frame_ranges[index]
        start, gap = draw_tuple_position(
            self.R,
            stop - first,
            self.num_targets,
            self.max_gap,
            self.fixed_gap,
            describe_source(self.cines[index].meta),
        )
        return index, first + start, gap

    def _transform(self, index: int) -> dict[str, Any]:
        cine_index, start, gap = self.randomize()
        item = extract_frame_tuple(self.cines[cine_index], start, gap, self.num_targets)
        item["cine_index"] = cine_index
        return apply_transform(self.transform, item) if self.transform is not None else item


class CineEvalTuples(Dataset):
    """All tuples of one cine in order, for deterministic evaluation.

    Item ``j`` is the tuple starting at frame ``first + j * stride`` with step ``gap`` (same keys as
    :class:`CineTupleDataset`), for every start whose last frame lies in the frame range.

    Args:
        cine: path, array ``(T, H, W)``/``(C, T, H, W)`` or MetaTensor; see :func:`prepare_cine`.
        num_targets: number ``N`` of target frames.
        gap: step between the frames of a tuple.
        stride: step between the starts of consecutive tuples (``gap * (N + 1)``: non-overlapping tuples).
        transform: callable applied to each tuple dictionary.
        frame_range: ``(start, stop)`` frames to use, e.g. the test range of :func:`split_frames`.
        bits: bits stored of an integer array cine without meta.
    """

    def __init__(
        self,
        cine: CineLike,
        num_targets: int,
        gap: int = 1,
        stride: int = 1,
        transform: Callable | None = None,
        frame_range: FrameRange | None = None,
        bits: int | None = None,
    ) -> None:
        for name, value in (("num_targets", num_targets), ("gap", gap), ("stride", stride)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        self.cine = prepare_cine(cine, bits=bits)
        self.num_targets, self.gap, self.stride = int(num_targets), int(gap), int(stride)
        (self.first, self.stop) = _normalise_ranges(frame_range, [int(self.cine.shape[1])])[0]
        span = self.gap * (self.num_targets + 1)
        length = self.stop - self.first
        if length <= span:
            raise ValueError(
                f"cine {describe_source(self.cine.meta)} has {length} frames in its frame range: too short for "
                f"{self.num_targets} target frame(s) with gap {self.gap} (needs {span + 1})."
            )
        self.starts = list(range(self.first, self.stop - span, self.stride))
        Dataset.__init__(self, data=self.starts, transform=transform)

    def _transform(self, index: int) -> dict[str, Any]:
        item = extract_frame_tuple(self.cine, self.starts[index], self.gap, self.num_targets)
        return apply_transform(self.transform, item) if self.transform is not None else item


def cine_tuple_dataset(
    cines: Sequence[CineLike],
    num_targets: int,
    samples_per_epoch: int,
    transform: Callable | None = None,
    max_gap: int = 1,
    seed: int | None = 0,
    fixed_gap: int | None = None,
    frame_range: FrameRange | Sequence[FrameRange | None] | None = None,
    bits: int | None = None,
) -> CineTupleDataset:
    """Random training tuples from cines; see :class:`CineTupleDataset`."""
    return CineTupleDataset(
        cines,
        num_targets,
        samples_per_epoch,
        transform=transform,
        max_gap=max_gap,
        fixed_gap=fixed_gap,
        frame_range=frame_range,
        bits=bits,
        seed=seed,
    )


def cine_eval_tuples(
    cine: CineLike,
    num_targets: int,
    gap: int = 1,
    stride: int = 1,
    transform: Callable | None = None,
    frame_range: FrameRange | None = None,
    bits: int | None = None,
) -> CineEvalTuples:
    """All consecutive tuples of a cine for evaluation; see :class:`CineEvalTuples`."""
    return CineEvalTuples(
        cine, num_targets, gap=gap, stride=stride, transform=transform, frame_range=frame_range, bits=bits
    )


def phantom_cines(count: int, seed: int = 0, **phantom_kwargs: Any) -> list[np.ndarray]:
    """Render ``count`` angiography phantom cines with seeds ``seed, seed + 1, ...``.

    Args:
        count: number of cines.
        seed: seed of the first phantom.
        phantom_kwargs: further arguments of :class:`monai_angio.phantoms.AngiographyPhantom`.

    Returns:
        list of float32 ``(T, H, W)`` arrays in ``[0, 1]`` (stored values divided by ``2**bits_stored - 1``).
    """
    from monai_angio.phantoms import AngiographyPhantom

    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}.")
    cines = []
    for i in range(int(count)):
        frames, meta = AngiographyPhantom(seed=int(seed) + i, **phantom_kwargs).generate()
        frames = np.asarray(frames)
        bits = meta.get("bits_stored")
        if np.issubdtype(frames.dtype, np.integer):
            if bits is None:
                raise ValueError("the phantom meta has no 'bits_stored'.")
            frames = np.clip(frames.astype(np.float32) / np.float32(2 ** int(bits) - 1), 0.0, 1.0)
        cines.append(frames.astype(np.float32))
    return cines


def phantom3d_cines(
    count: int, seed: int = 0, size: int = 256, kinds: Sequence[str] | None = None, bits: int = 8
) -> list[np.ndarray]:
    """Render ``count`` runs of the 3D angiography phantom, cycling through ``kinds``, with varied acquisitions.

    Rotational DSA sweeps (200 degrees in 4-5 s, 60-133 frames), fixed-view DSA runs with a table pan of 0-25 mm/s
    and a patient drift of 0-3 mm at 4-15 frames/s, and coronary cines (55-110 beats/min, 15 or 30 frames/s, with
    respiration): the motions of real runs (:class:`~monai_angio.phantoms.Angiography3DPhantom`, seeds ``seed, seed
    + 1, ...``; seeds 900-999 are the validation runs of ``scripts/bench.py generalization``: do not train on them).

    Args:
        count: number of runs.
        seed: seed of the first run (its anatomy, view, motion, noise and acquisition settings).
        size: detector pixels per side.
        kinds: modes to cycle through (default all of :data:`~monai_angio.phantoms.PHANTOM_MODES`).
        bits: the frames are quantised to this many bits, as real cines are.

    Returns:
        list of float32 ``(T, H, W)`` arrays in ``[0, 1]``.
    """
    from monai_angio.phantoms import PHANTOM_MODES, Angiography3DPhantom

    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}.")
    kinds = tuple(PHANTOM_MODES if kinds is None else kinds)
    unknown = [k for k in kinds if k not in PHANTOM_MODES]
    if not kinds or unknown:
        raise ValueError(f"kinds must be among {', '.join(PHANTOM_MODES)}, got {list(kinds)!r}.")
    cines = []
    for i in range(int(count)):
        run_seed = int(seed) + i
        rng = np.random.default_rng([run_seed, 0x3D])
        mode = kinds[i % len(kinds)]
        if mode == "rotational":
            kw: dict[str, Any] = {"frames": int(rng.integers(60, 134)), "duration_s": float(rng.uniform(4.0, 5.0))}
        elif mode == "fixed":
            kw = {"frames": 40, "frame_rate": float(rng.choice([4.0, 7.5, 15.0])),
                  "table_speed_mm_s": float(rng.choice([0.0, rng.uniform(5.0, 25.0)])),
                  "patient_motion_mm": float(rng.uniform(0.0, 3.0))}  # fmt: skip
        else:
            kw = {"frames": 40, "frame_rate": float(rng.choice([15.0, 30.0])),
                  "heart_rate_bpm": float(rng.uniform(55.0, 110.0))}  # fmt: skip
        phantom = Angiography3DPhantom(mode, size=size, seed=run_seed, bits=bits,
                                       dose=float(rng.uniform(0.5, 2.0)), **kw)  # fmt: skip
        times = phantom.frame_times_s()
        if mode == "fixed":  # start where the contrast is coming in
            times = times + float(rng.uniform(0.8, 1.5))
        top = float(2**bits - 1)
        cines.append((np.rint(phantom.render_unit(times) * top) / top).astype(np.float32))
    return cines


def phantom_tuple_dataset(
    count: int,
    num_targets: int,
    samples_per_epoch: int,
    transform: Callable | None = None,
    max_gap: int = 1,
    seed: int | None = 0,
    phantom_seed: int = 0,
    **phantom_kwargs: Any,
) -> CineTupleDataset:
    """Random training tuples from ``count`` rendered phantom cines (whose intermediate frames are exact truth).

    ``phantom_seed`` seeds the phantoms (see :func:`phantom_cines`), ``seed`` the tuple sampling.
    """
    cines = phantom_cines(count, seed=phantom_seed, **phantom_kwargs)
    return CineTupleDataset(cines, num_targets, samples_per_epoch, transform=transform, max_gap=max_gap, seed=seed)
