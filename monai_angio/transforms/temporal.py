# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Temporal transforms of cines: duplicate-frame removal, training-tuple sampling, temporal reversal."""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.data.meta_obj import get_track_meta
from monai.transforms import MapTransform, Randomizable, RandomizableTransform

from monai_angio.transforms.utils import collatable_meta, describe_source, frame_times_of

__all__ = [
    "find_duplicate_frames",
    "extract_frame_tuple",
    "draw_tuple_position",
    "RemoveDuplicateFramesd",
    "SampleFrameTupled",
    "RandTemporalReversed",
]


def _to_numpy(img: Any) -> np.ndarray:
    if isinstance(img, torch.Tensor):
        return img.detach().cpu().numpy()
    return np.asarray(img)


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def find_duplicate_frames(
    frames: np.ndarray | torch.Tensor, threshold: float = 0.003, data_range: float | None = None
) -> list[int]:
    """Indices of frames that repeat the frame before them (e.g. a 25 fps screen recording of a 7.5 fps cine).

    Frame ``t`` is a duplicate when the mean absolute difference to the last kept frame, divided by the data
    range, is at most ``threshold``; lossy video compression makes repeats only approximately equal. Comparing with
    the last *kept* frame (not simply frame ``t - 1``) keeps slowly changing content from being dropped frame by
    frame. Frame 0 is always kept.

    Args:
        frames: ``(T, ...)`` frames with time on the first axis (e.g. ``(T, H, W)`` or ``(T, H, W, 3)``).
        threshold: largest relative mean absolute difference that counts as a repeat (0 finds exact repeats only).
            The default 0.003 lies between the repeats of a real DSA cine in a 25 fps H.264 recording (CRF 18: at
            most 0.0012) and its consecutive new frames (uncompressed: at least 0.0074); low-bitrate video blurs
            this line, so calibrate it on the data at hand.
        data_range: intensity range for the relative difference; ``None`` uses ``max - min`` of all frames.

    Returns:
        sorted list of the indices of duplicate frames.
    """
    arr = _to_numpy(frames)
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"frames must be (T, ...) with T >= 1 and at least 2 dimensions, got shape {arr.shape}.")
    if not np.isscalar(threshold) or not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}.")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError("frames contain NaN or Inf values.")
    if data_range is None:
        data_range = float(arr.max()) - float(arr.min())
        if data_range <= 0:
            data_range = 1.0  # constant sequence: every difference is 0
    elif not np.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"data_range must be a finite number > 0, got {data_range!r}.")
    removed: list[int] = []
    last = arr[0].astype(np.float32)
    for t in range(1, arr.shape[0]):
        current = arr[t].astype(np.float32)
        if float(np.mean(np.abs(current - last))) / data_range <= threshold:
            removed.append(t)
        else:
            last = current
    return removed


class RemoveDuplicateFramesd(MapTransform):
    """Remove consecutive duplicate frames of channel-first sequences ``(C, T, H, W)``.

    See :func:`find_duplicate_frames` (the difference is averaged over all channels). The output MetaTensor keeps the
    meta of the input with ``"frame_times_ms"`` reduced to the kept frames (built from ``"frame_time_ms"`` when only
    the nominal interval is known), ``"frame_time_ms"`` set to the mean interval of the kept frames,
    ``"number_of_frames"`` updated and ``"removed_frame_indices"`` listing the removed input indices.

    Args:
        keys: keys of the sequences.
        threshold: largest relative mean absolute difference that counts as a repeat.
        data_range: intensity range; ``None`` uses ``max - min`` of each sequence.
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection,
        threshold: float = 0.003,
        data_range: float | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if not np.isscalar(threshold) or not np.isfinite(threshold) or threshold < 0:
            raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}.")
        self.threshold = float(threshold)
        self.data_range = data_range

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            meta = dict(img.meta) if isinstance(img, MetaTensor) else {}
            if img.ndim != 4:
                raise ValueError(
                    f"RemoveDuplicateFramesd: key '{key}' of {describe_source(meta)} must be (C, T, H, W), "
                    f"got shape {tuple(img.shape)}."
                )
            arr = _to_numpy(img)
            removed = find_duplicate_frames(np.moveaxis(arr, 1, 0), self.threshold, self.data_range)
            removed_set = set(removed)
            num_frames = arr.shape[1]
            kept = [t for t in range(num_frames) if t not in removed_set]
            base = img.as_tensor() if isinstance(img, MetaTensor) else torch.as_tensor(arr)
            frames = base[:, kept].clone(memory_format=torch.contiguous_format)
            new_meta = copy.deepcopy(meta)
            times = frame_times_of(meta, num_frames)
            if times is not None:
                kept_times = [times[t] for t in kept]
                new_meta["frame_times_ms"] = kept_times
                if len(kept_times) > 1:
                    new_meta["frame_time_ms"] = float(np.mean(np.diff(kept_times)))
            new_meta["number_of_frames"] = len(kept)
            new_meta["removed_frame_indices"] = list(removed)
            if isinstance(img, MetaTensor):
                d[key] = MetaTensor(frames, meta=new_meta, applied_operations=copy.deepcopy(img.applied_operations))
            else:
                d[key] = MetaTensor(frames, meta=new_meta)
        return d


def draw_tuple_position(
    R: np.random.RandomState,
    num_frames: int,
    num_targets: int,
    max_gap: int = 1,
    fixed_gap: int | None = None,
    source: str = "the sequence",
) -> tuple[int, int]:
    """Draw a random start index and gap (step) for a tuple of ``num_targets + 2`` equally spaced frames.

    The gap ``s`` is uniform in ``1..min(max_gap, (num_frames - 1) // (num_targets + 1))`` (or ``fixed_gap``), then
    the start ``i`` is uniform over all positions with ``i + s * (num_targets + 1) < num_frames``.

    Returns:
        ``(start, gap)``.

    Raises:
        ValueError: the sequence is too short for ``num_targets`` (and ``fixed_gap``).
    """
    span_max = (num_frames - 1) // (num_targets + 1)
    if fixed_gap is not None:
        if fixed_gap > span_max:
            raise ValueError(
                f"{source} has {num_frames} frames: too short for {num_targets} target frame(s) with gap {fixed_gap} "
                f"(needs {fixed_gap * (num_targets + 1) + 1})."
            )
        gap = fixed_gap
    else:
        if span_max < 1:
            raise ValueError(
                f"{source} has {num_frames} frames: too short for {num_targets} target frame(s) "
                f"(needs {num_targets + 2})."
            )
        gap = int(R.randint(1, min(max_gap, span_max) + 1))
    start = int(R.randint(0, num_frames - gap * (num_targets + 1)))
    return start, gap


def extract_frame_tuple(
    cine: np.ndarray | torch.Tensor,
    start: int,
    gap: int,
    num_targets: int,
    keys: Sequence[str] = ("frame0", "frame1", "target", "time", "tuple_indices"),
) -> dict[str, Any]:
    """Cut one training tuple out of a cine.

    Args:
        cine: ``(C, T, H, W)`` sequence (MetaTensor, tensor or array).
        start: index ``i`` of the first frame.
        gap: step ``s`` between the frames of the tuple.
        num_targets: number ``N`` of intermediate frames.
        keys: output keys for frame 0, frame 1, the targets, the times and the frame indices.

    Returns:
        dict with ``frame0 = cine[:, i]`` and ``frame1 = cine[:, i + s (N + 1)]`` ``(C, H, W)``, ``target`` the
        frames ``i + s k`` (k = 1..N) as ``(N * C, H, W)`` (grayscale: ``(N, H, W)``), ``time`` ``k / (N + 1)``
        ``(N,)`` float32, and ``tuple_indices`` ``(N + 2,)`` int64. The image outputs are MetaTensors (when meta
        tracking is on) with the scalar entries of the cine meta (see ``collatable_meta``).
    """
    if cine.ndim != 4:
        raise ValueError(f"cine must be (C, T, H, W), got shape {tuple(cine.shape)}.")
    meta = dict(cine.meta) if isinstance(cine, MetaTensor) else {}
    C, T, H, W = cine.shape
    indices = [start + gap * k for k in range(num_targets + 2)]
    if start < 0 or gap < 1 or indices[-1] >= T:
        raise ValueError(
            f"tuple frames {indices} do not fit {describe_source(meta)} with {T} frames (start={start}, gap={gap})."
        )
    base = cine.as_tensor() if isinstance(cine, MetaTensor) else torch.as_tensor(np.asarray(cine))
    frame0 = base[:, indices[0]].clone(memory_format=torch.contiguous_format)
    frame1 = base[:, indices[-1]].clone(memory_format=torch.contiguous_format)
    target = base[:, indices[1:-1]].transpose(0, 1).reshape(num_targets * C, H, W).clone()
    k0, k1, kt, ktime, kidx = keys
    out: dict[str, Any] = {}
    if get_track_meta():
        small = collatable_meta(meta)
        out[k0] = MetaTensor(frame0, meta=copy.deepcopy(small))
        out[k1] = MetaTensor(frame1, meta=copy.deepcopy(small))
        out[kt] = MetaTensor(target, meta=copy.deepcopy(small))
    else:
        out[k0], out[k1], out[kt] = frame0, frame1, target
    out[ktime] = torch.arange(1, num_targets + 1, dtype=torch.float32) / float(num_targets + 1)
    out[kidx] = torch.tensor(indices, dtype=torch.int64)
    return out


class SampleFrameTupled(Randomizable, MapTransform):
    """Sample a frame-interpolation training tuple from a cine with a random start and a random gap.

    From the cine ``(C, T, H, W)`` at ``keys`` a step ``s >= 1`` is drawn (uniform up to ``max_gap``, limited by the
    length, or ``fixed_gap``) and a start ``i``; the outputs are ``frame0 = frame[i]``,
    ``frame1 = frame[i + s (N + 1)]`` ``(C, H, W)``, ``target`` the frames ``i + s k``, ``k = 1..N``, as
    ``(N * C, H, W)`` (grayscale ``(N, H, W)``), ``time = k / (N + 1)`` ``(N,)`` float32 and ``tuple_indices``
    ``(N + 2,)`` int64 (the frame indices used, in time order). The image outputs keep the scalar meta of the cine
    (file name, bits stored, modality, ...). By default the cine itself is removed from the dictionary so that the
    result collates into batches.

    Args:
        keys: the single key holding the cine.
        num_targets: number ``N`` of intermediate (target) frames.
        max_gap: largest step drawn.
        fixed_gap: always use this step instead of drawing one.
        frame_range: ``(start, stop)``: draw tuples only within frames ``start .. stop - 1``.
        frame0_key, frame1_key, target_key, time_key, index_key: output keys.
        keep_source: keep the cine in the output dictionary.
        allow_missing_keys: do not raise if the key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection = "image",
        num_targets: int = 1,
        max_gap: int = 1,
        fixed_gap: int | None = None,
        frame_range: tuple[int, int] | None = None,
        frame0_key: str = "frame0",
        frame1_key: str = "frame1",
        target_key: str = "target",
        time_key: str = "time",
        index_key: str = "tuple_indices",
        keep_source: bool = False,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        if len(self.keys) != 1:
            raise ValueError(f"SampleFrameTupled takes exactly one key (the cine), got {self.keys}.")
        self.num_targets = _check_positive_int("num_targets", num_targets)
        self.max_gap = _check_positive_int("max_gap", max_gap)
        self.fixed_gap = None if fixed_gap is None else _check_positive_int("fixed_gap", fixed_gap)
        if frame_range is not None:
            if len(frame_range) != 2 or not all(isinstance(v, (int, np.integer)) for v in frame_range):
                raise ValueError(f"frame_range must be (start, stop) integers, got {frame_range!r}.")
            if not 0 <= frame_range[0] < frame_range[1]:
                raise ValueError(f"frame_range must satisfy 0 <= start < stop, got {frame_range!r}.")
            frame_range = (int(frame_range[0]), int(frame_range[1]))
        self.frame_range = frame_range
        self.out_keys = (frame0_key, frame1_key, target_key, time_key, index_key)
        self.keep_source = keep_source
        self._start = 0
        self._gap = 1

    def randomize(self, data: int, source: str = "the sequence") -> None:
        """Draw the start and the gap for a cine (or frame range) of ``data`` frames."""
        self._start, self._gap = draw_tuple_position(
            self.R, int(data), self.num_targets, self.max_gap, self.fixed_gap, source=source
        )

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        for key in self.key_iterator(d):
            cine = d[key]
            source = describe_source(cine.meta if isinstance(cine, MetaTensor) else None)
            if not hasattr(cine, "ndim") or cine.ndim != 4:
                raise ValueError(
                    f"SampleFrameTupled: key '{key}' of {source} must be a (C, T, H, W) sequence, "
                    f"got shape {tuple(getattr(cine, 'shape', ()))}."
                )
            num_frames = int(cine.shape[1])
            first, stop = 0, num_frames
            if self.frame_range is not None:
                first, stop = self.frame_range
                if stop > num_frames:
                    raise ValueError(f"frame_range {self.frame_range} exceeds the {num_frames} frames of {source}.")
            self.randomize(stop - first, source=source)
            d.update(extract_frame_tuple(cine, first + self._start, self._gap, self.num_targets, self.out_keys))
            if not self.keep_source:
                del d[key]
        return d


class RandTemporalReversed(RandomizableTransform):
    """With probability ``prob``, reverse a frame tuple in time.

    ``frame0`` and ``frame1`` are swapped, the target frames are put in reverse order (in groups of ``C`` channels,
    ``C`` = channels of ``frame0``) and ``time`` becomes ``1 - time`` reversed, so times stay increasing and each
    target keeps its true time. ``tuple_indices`` (when present) is reversed too.

    Args:
        prob: probability of reversing.
        frame0_key, frame1_key, target_key, time_key, index_key: keys of the tuple.
    """

    def __init__(
        self,
        prob: float = 0.5,
        frame0_key: str = "frame0",
        frame1_key: str = "frame1",
        target_key: str = "target",
        time_key: str = "time",
        index_key: str = "tuple_indices",
    ) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be in [0, 1], got {prob!r}.")
        RandomizableTransform.__init__(self, prob)
        self.frame0_key, self.frame1_key = frame0_key, frame1_key
        self.target_key, self.time_key, self.index_key = target_key, time_key, index_key

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        self.randomize(None)
        if not self._do_transform:
            return d
        for key in (self.frame0_key, self.frame1_key, self.target_key, self.time_key):
            if key not in d:
                raise KeyError(f"RandTemporalReversed: key '{key}' is missing from the tuple.")
        time = d[self.time_key]
        target = d[self.target_key]
        channels = int(d[self.frame0_key].shape[0])
        num_targets = int(time.shape[-1])
        if target.shape[0] != num_targets * channels:
            raise ValueError(
                f"RandTemporalReversed: target has {target.shape[0]} channels, expected N * C = "
                f"{num_targets} * {channels}."
            )
        d[self.frame0_key], d[self.frame1_key] = d[self.frame1_key], d[self.frame0_key]
        order = [k * channels + c for k in reversed(range(num_targets)) for c in range(channels)]
        if isinstance(target, torch.Tensor):
            d[self.target_key] = target[torch.as_tensor(order, device=target.device)]
        else:
            d[self.target_key] = np.asarray(target)[order]
        if isinstance(time, torch.Tensor):
            d[self.time_key] = (1.0 - time).flip(-1)
        else:
            d[self.time_key] = (1.0 - np.asarray(time))[..., ::-1].copy()
        if self.index_key in d:
            idx = d[self.index_key]
            d[self.index_key] = idx.flip(-1) if isinstance(idx, torch.Tensor) else np.asarray(idx)[..., ::-1].copy()
        return d
