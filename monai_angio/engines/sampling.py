# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Training-tuple sampling for interpolation: batches of mixed target counts and synthetic geometric motion."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from monai.data import MetaTensor
from monai.transforms import Randomizable, RandomizableTransform
from monai.utils import MAX_SEED
from torch.utils.data import Dataset

__all__ = ["MixedTupleDataset", "RandTupleMotiond", "RandTupleNoised", "interpolation_sources"]


class MixedTupleDataset(Randomizable, Dataset):
    """Tuples with a different number of target frames ``N`` per batch, from several sources mixed at random.

    ``groups[g]`` lists datasets that all yield tuples with the same ``N`` (e.g. :class:`~monai_angio.data.
    CineTupleDataset` with ``num_targets = g + 1`` over real cines and over phantoms). Item ``i`` belongs to group
    ``(i // block_size) % len(groups)``, so a loader with ``batch_size = block_size`` and no shuffling gets batches
    that cycle through the groups and collate (one ``N`` per batch). For ``DistributedSampler(shuffle=False)`` use
    ``block_size = batch_size * world_size``. Within a group the source dataset is drawn with probabilities
    ``weights`` and asked for a random item.

    Args:
        groups: one sequence of datasets per target count.
        block_size: consecutive items drawn from the same group (the batch size).
        length: number of items of an epoch (a multiple of ``block_size * len(groups)`` is best).
        weights: relative probability of each source within a group (then every group has the same number of
            sources); default: equal within each group.
        seed: random seed of the source choice and of the sources (``None``: not reproducible).
    """

    def __init__(
        self,
        groups: Sequence[Sequence[Dataset]],
        block_size: int,
        length: int,
        weights: Sequence[float] | None = None,
        seed: int | None = 0,
    ) -> None:
        if not groups or any(len(g) == 0 for g in groups):
            raise ValueError("MixedTupleDataset: groups must be a non-empty list of non-empty dataset lists.")
        sizes = {len(g) for g in groups}
        if weights is not None and len(sizes) != 1:
            raise ValueError(
                f"MixedTupleDataset: with weights every group needs the same number of sources, got {sorted(sizes)}."
            )
        for name, value in (("block_size", block_size), ("length", length)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MixedTupleDataset: {name} must be a positive integer, got {value!r}.")
        self.groups = [list(g) for g in groups]
        self.block_size = int(block_size)
        self.length = int(length)
        if weights is None:
            self.weights = [np.full(len(g), 1.0 / len(g)) for g in self.groups]
        else:
            w = np.asarray(weights, dtype=np.float64)
            n_src = len(self.groups[0])
            if w.shape != (n_src,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
                raise ValueError(f"MixedTupleDataset: weights must be {n_src} non-negative numbers, got {weights!r}.")
            self.weights = [w / w.sum()] * len(self.groups)
        self._group = 0
        self.set_random_state(seed=seed)

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> Randomizable:
        """Seed the source choice and, with seeds drawn from it, every source dataset."""
        super().set_random_state(seed=seed, state=state)
        for group in self.groups:
            for ds in group:
                if hasattr(ds, "set_random_state"):
                    ds.set_random_state(seed=int(self.R.randint(MAX_SEED)))
        return self

    def randomize(self, data: Any = None) -> int:
        """Draw the index of a source of the current group."""
        p = self.weights[self._group]
        return int(self.R.choice(len(p), p=p))

    def group_of(self, index: int) -> int:
        """Group (target count index) of item ``index``."""
        return (int(index) // self.block_size) % len(self.groups)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Any:
        if not -self.length <= index < self.length:
            raise IndexError(f"MixedTupleDataset: index {index} out of range for length {self.length}.")
        index = index % self.length
        self._group = self.group_of(index)
        source = self.groups[self._group][self.randomize()]
        return source[index % len(source)]


def _smooth_field(R: np.random.RandomState, h: int, w: int, amplitude: float, cells: int = 3) -> torch.Tensor:
    """Random smooth displacement ``(2, H, W)`` in pixels: bicubic upsampling of a coarse ``cells x cells`` grid."""
    coarse = torch.from_numpy(R.uniform(-1.0, 1.0, size=(1, 2, cells, cells)).astype(np.float32))
    return amplitude * F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)[0]


class RandTupleMotiond(RandomizableTransform):
    """Add a random geometric motion, linear in time, to a frame tuple (the targets stay exact ground truth).

    A displacement field ``D`` (pixels; a random translation, rotation and scaling about the image centre plus a smooth
    random deformation) is drawn, and the frame at time ``τ`` is resampled at ``x + (τ - τ0) D(x)`` (bicubic,
    border padding) for every frame of the tuple: ``frame0`` (``τ = 0``), the targets (their ``time``) and ``frame1``
    (``τ = 1``); ``τ0`` is drawn in [0, 1], so the frame left untouched is not always the first. Apply it to a crop
    larger than the training crop and crop the centre afterwards to cut the border padding away.

    Args:
        prob: probability of adding motion.
        max_translation: largest translation over the whole tuple, pixels.
        max_rotation: largest rotation over the whole tuple, degrees.
        max_scale: largest relative scale change over the whole tuple.
        max_deformation: largest amplitude of the smooth deformation, pixels.
        frame0_key, frame1_key, target_key, time_key: keys of the tuple.
    """

    def __init__(
        self,
        prob: float = 0.5,
        max_translation: float = 8.0,
        max_rotation: float = 3.0,
        max_scale: float = 0.03,
        max_deformation: float = 3.0,
        frame0_key: str = "frame0",
        frame1_key: str = "frame1",
        target_key: str = "target",
        time_key: str = "time",
    ) -> None:
        RandomizableTransform.__init__(self, prob)
        for name, value in (
            ("max_translation", max_translation),
            ("max_rotation", max_rotation),
            ("max_scale", max_scale),
            ("max_deformation", max_deformation),
        ):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"RandTupleMotiond: {name} must be a finite number >= 0, got {value!r}.")
        self.max_translation, self.max_rotation = float(max_translation), float(max_rotation)
        self.max_scale, self.max_deformation = float(max_scale), float(max_deformation)
        self.keys = (frame0_key, frame1_key, target_key, time_key)
        self._params: tuple[float, ...] = ()

    def randomize(self, data: Any = None) -> None:
        super().randomize(None)
        R = self.R
        self._params = (
            R.uniform(-1, 1) * self.max_translation,
            R.uniform(-1, 1) * self.max_translation,
            math.radians(R.uniform(-1, 1) * self.max_rotation),
            R.uniform(-1, 1) * self.max_scale,
            R.uniform(0.0, 1.0),
        )

    def displacement(self, h: int, w: int) -> torch.Tensor:
        """The drawn field ``D`` ``(2, H, W)`` in pixels (x then y) for an ``H x W`` image."""
        tx, ty, angle, scale, _ = self._params
        ys = torch.arange(h, dtype=torch.float32) - (h - 1) / 2.0
        xs = torch.arange(w, dtype=torch.float32) - (w - 1) / 2.0
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        c, s = math.cos(angle) * (1.0 + scale), math.sin(angle) * (1.0 + scale)
        dx = c * gx - s * gy - gx + tx
        dy = s * gx + c * gy - gy + ty
        field = torch.stack((dx, dy))
        if self.max_deformation > 0:
            field = field + _smooth_field(self.R, h, w, self.max_deformation)
        return field

    @staticmethod
    def _resample(img: torch.Tensor, field: torch.Tensor) -> torch.Tensor:
        """``img (K, H, W)`` sampled at ``x + field_k(x)``, ``field (K, 2, H, W)``."""
        k, h, w = img.shape
        ys = torch.arange(h, dtype=field.dtype)
        xs = torch.arange(w, dtype=field.dtype)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        nx = 2.0 * (gx + field[:, 0]) / max(w - 1, 1) - 1.0
        ny = 2.0 * (gy + field[:, 1]) / max(h - 1, 1) - 1.0
        grid = torch.stack((nx, ny), dim=-1)
        out = F.grid_sample(img.unsqueeze(1), grid, mode="bicubic", padding_mode="border", align_corners=True)
        return out[:, 0].clamp(0.0, 1.0)

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        self.randomize()
        if not self._do_transform:
            return d
        k0, k1, kt, ktime = self.keys
        for key in self.keys:
            if key not in d:
                raise KeyError(f"RandTupleMotiond: key '{key}' is missing from the tuple.")
        f0, f1, target = d[k0], d[k1], d[kt]
        c, h, w = f0.shape
        times = torch.as_tensor(np.asarray(d[ktime]), dtype=torch.float32).reshape(-1)
        n = times.numel()
        if target.shape[0] != n * c:
            raise ValueError(f"RandTupleMotiond: target has {target.shape[0]} channels, expected N * C = {n} * {c}.")
        tau = torch.cat([torch.zeros(1), times, torch.ones(1)]) - float(self._params[4])
        field = self.displacement(h, w)
        frames = [f0, *torch.as_tensor(target).reshape(n, c, h, w), f1]
        stacked = torch.cat([torch.as_tensor(f).float().reshape(c, h, w) for f in frames])  # ((N + 2) C, H, W)
        fields = (tau.repeat_interleave(c).view(-1, 1, 1, 1) * field.unsqueeze(0)).to(stacked.dtype)
        moved = self._resample(stacked.as_tensor() if isinstance(stacked, MetaTensor) else stacked, fields)
        moved = moved.reshape(n + 2, c, h, w)
        for key, value in ((k0, moved[0]), (k1, moved[-1]), (kt, moved[1:-1].reshape(n * c, h, w))):
            old = d[key]
            d[key] = MetaTensor(value, meta=dict(old.meta)) if isinstance(old, MetaTensor) else value
        return d


class RandTupleNoised(RandomizableTransform):
    """Add X-ray-like noise to a frame tuple: a noise field shared by all frames plus independent noise per frame.

    In subtracted DSA most of the fine noise comes from the mask and is the same in every frame; unsubtracted cines
    (coronary angiography) have independent quantum noise in each frame. Drawing both amplitudes at random (shared
    ``σ_s`` and independent ``σ_i``, uniform in the given ranges) on noise-free phantom tuples teaches a network to keep
    what the two acquired frames share and to average what they do not; the targets get the same shared field and
    their own independent noise, so they stay exact samples of the same acquisition model.

    Args:
        prob: probability of adding noise.
        shared_std: ``(min, max)`` standard deviation of the shared field (intensities in [0, 1]).
        independent_std: ``(min, max)`` standard deviation of the per-frame noise.
        correlation: ``(min, max)`` Gaussian blur sigma (pixels) giving the noise a detector-like correlation.
        frame0_key, frame1_key, target_key: keys of the tuple.
    """

    def __init__(
        self,
        prob: float = 1.0,
        shared_std: tuple[float, float] = (0.0, 0.015),
        independent_std: tuple[float, float] = (0.0, 0.015),
        correlation: tuple[float, float] = (0.0, 0.8),
        frame0_key: str = "frame0",
        frame1_key: str = "frame1",
        target_key: str = "target",
    ) -> None:
        RandomizableTransform.__init__(self, prob)
        for name, (lo, hi) in (("shared_std", shared_std), ("independent_std", independent_std),
                               ("correlation", correlation)):  # fmt: skip
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi):
                raise ValueError(f"RandTupleNoised: {name} must be (min, max) with 0 <= min <= max, got {(lo, hi)}.")
        self.shared_std, self.independent_std = tuple(shared_std), tuple(independent_std)
        self.correlation = tuple(correlation)
        self.keys = (frame0_key, frame1_key, target_key)
        self._params: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def randomize(self, data: Any = None) -> None:
        super().randomize(None)
        self._params = (
            float(self.R.uniform(*self.shared_std)),
            float(self.R.uniform(*self.independent_std)),
            float(self.R.uniform(*self.correlation)),
        )

    def _noise(self, shape: tuple[int, ...], std: float, sigma: float) -> torch.Tensor:
        n = torch.from_numpy(self.R.standard_normal(shape).astype(np.float32))
        if sigma > 0.05:
            radius = max(1, int(math.ceil(2.5 * sigma)))
            x = torch.arange(-radius, radius + 1, dtype=torch.float32)
            k = torch.exp(-0.5 * (x / sigma) ** 2)
            k = k / k.sum()
            flat = n.reshape(-1, 1, *shape[-2:])
            flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
            flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="reflect"), k.view(1, 1, -1, 1))
            n = flat.reshape(shape) / float(torch.sqrt((k[:, None] * k[None, :]).pow(2).sum()))
        return std * n

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        self.randomize()
        if not self._do_transform:
            return d
        k0, k1, kt = self.keys
        for key in self.keys:
            if key not in d:
                raise KeyError(f"RandTupleNoised: key '{key}' is missing from the tuple.")
        c, h, w = d[k0].shape
        shared_std, independent_std, sigma = self._params
        shared = self._noise((c, h, w), shared_std, sigma)
        for key in self.keys:
            img = d[key]
            base = img.as_tensor() if isinstance(img, MetaTensor) else torch.as_tensor(img)
            noisy = (base.float() + shared.repeat(base.shape[0] // c, 1, 1)
                     + self._noise(tuple(base.shape), independent_std, sigma)).clamp(0.0, 1.0)  # fmt: skip
            d[key] = MetaTensor(noisy, meta=dict(img.meta)) if isinstance(img, MetaTensor) else noisy
        return d


def interpolation_sources(
    num_targets: Sequence[int],
    transform: Any = None,
    cines: Sequence[Any] = (),
    frame_ranges: Sequence[tuple[int, int] | None] | None = None,
    phantoms: Sequence[Any] = (),
    most_dsa_root: str | None = None,
    max_gap: int = 1,
    phantom_transform: Any = None,
) -> list[list[Dataset]]:
    """Training sources per target count, for :class:`MixedTupleDataset`.

    For every ``N`` in ``num_targets``: a :class:`~monai_angio.data.CineTupleDataset` over ``cines`` (restricted to
    ``frame_ranges``, e.g. the training part of :func:`~monai_angio.data.split_frames`), one over ``phantoms``
    (phantom cines, see :func:`~monai_angio.data.phantom_cines`) and, when its tuples hold ``N`` targets, the
    training list of a dataset in the MoSt-DSA layout at ``most_dsa_root``. Every source uses ``transform``, except
    the phantoms when ``phantom_transform`` is given (e.g. with :class:`RandTupleNoised` for noise-free phantoms).

    Raises:
        ValueError: if some ``N`` gets no source.
    """
    from monai_angio.data import CineTupleDataset, MoStDSADataset

    layout = None
    if most_dsa_root:
        layout = MoStDSADataset(most_dsa_root, "train", transform=transform)
        layout_n = int(np.asarray(layout[0]["time"]).size)
    groups = []
    for n in num_targets:
        group: list[Dataset] = []
        if len(cines):
            ranges = list(frame_ranges) if frame_ranges is not None else None
            group.append(
                CineTupleDataset(list(cines), int(n), 10**9, transform=transform, max_gap=max_gap, frame_range=ranges)
            )
        if len(phantoms):
            tf = transform if phantom_transform is None else phantom_transform
            group.append(CineTupleDataset(list(phantoms), int(n), 10**9, transform=tf, max_gap=max_gap))
        if layout is not None and layout_n == int(n):
            group.append(layout)
        if not group:
            raise ValueError(f"interpolation_sources: no training source yields tuples with {n} target frame(s).")
        groups.append(group)
    return groups
