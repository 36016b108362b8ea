# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Datasets of (blurred, sharp) frame pairs for focal-spot deblurring: random training patches and evaluation frames.

Sharp frames (real DSA frames, phantom frames) become training pairs through the physical focal-spot blur model of
:mod:`monai_angio.phantoms.focal_spot` (geometric unsharpness of a focal spot of random size, Poisson quantum noise at
a random dose); real pairs (a large and a small focal-spot acquisition of the same scene) are used as they are.
Items are dictionaries with the MONAI supervised keys ``"image"`` (the blurred input, ``(1, h, w)`` float32 in
[0, 1]) and ``"label"`` (the sharp target, same shape).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from monai.data import Dataset
from monai.transforms import Randomizable, apply_transform
from monai.utils import MAX_SEED
from torch.utils.data import ConcatDataset

from monai_angio.data.tuples import prepare_cine, split_frames
from monai_angio.io.cine import read_cine
from monai_angio.phantoms.focal_spot import FocalSpotBlur, apply_kernel, kernel_channel_value

__all__ = [
    "load_frames",
    "phantom_frames",
    "patch_grid",
    "FocalSpotDegradation",
    "DeblurPatchDataset",
    "TemporalDeblurPatchDataset",
    "DeblurEvalDataset",
    "deblur_patch_dataset",
    "deblur_eval_dataset",
]

FrameSource = np.ndarray | torch.Tensor | str | os.PathLike
_PARTS = ("all", "train", "val", "test")


def _frame_range(num_frames: int, part: str, holdout_fraction: float, val_frames: int) -> tuple[int, int]:
    if part not in _PARTS:
        raise ValueError(f"part must be one of {_PARTS}, got {part!r}.")
    if isinstance(val_frames, bool) or not isinstance(val_frames, (int, np.integer)) or val_frames < 0:
        raise ValueError(f"val_frames must be an integer >= 0, got {val_frames!r}.")
    if part == "all":
        return 0, num_frames
    (start, split), test = split_frames(num_frames, holdout_fraction)
    if part == "test":
        return test
    if val_frames >= split - start:
        raise ValueError(f"val_frames={val_frames} leaves no training frame among the {split - start} of the cine.")
    return (start, split - val_frames) if part == "train" else (split - val_frames, split)


def load_frames(
    source: FrameSource | Sequence[FrameSource],
    part: str = "all",
    holdout_fraction: float = 0.3,
    val_frames: int = 0,
    bits: int | None = None,
) -> list[np.ndarray]:
    """Load grayscale frames scaled to [0, 1], optionally only one part of each cine split in time.

    The split follows :func:`monai_angio.data.split_frames`: ``"train"`` is the first ``1 - holdout_fraction`` of the
    frames without their last ``val_frames``, ``"val"`` those ``val_frames``, ``"test"`` the last
    ``holdout_fraction``, ``"all"`` every frame.

    Args:
        source: a path (DICOM file or series, image folder, multi-page TIFF, video, ...; loaded with
            :func:`monai_angio.io.read_cine`: luminance scaled by its bits stored), an array/tensor
            ``(T, H, W)`` (integers need ``bits``; floats must lie in [0, 1]), or a list of these.
        part: ``"all"``, ``"train"``, ``"val"`` or ``"test"``.
        holdout_fraction: fraction of each cine held out at its end for testing.
        val_frames: frames at the end of the training part kept for validation.
        bits: bits stored of integer array input.

    Returns:
        list of float32 ``(H, W)`` arrays in [0, 1].
    """
    sources = [source] if isinstance(source, (str, os.PathLike, np.ndarray, torch.Tensor)) else list(source)
    if not sources:
        raise ValueError("load_frames: no source given.")
    frames: list[np.ndarray] = []
    for src in sources:
        if isinstance(src, (str, os.PathLike)):
            data = read_cine(src)[0][:, 0].numpy()  # (T, H, W) float32 in [0, 1]
        else:
            cine = prepare_cine(src, bits=bits)  # (C, T, H, W) float32 in [0, 1]
            if cine.shape[0] != 1:
                raise ValueError(f"load_frames: {src!r} must be grayscale, got {cine.shape[0]} channels.")
            data = cine.as_tensor()[0].numpy()
        start, stop = _frame_range(int(data.shape[0]), part, holdout_fraction, val_frames)
        frames.extend(np.ascontiguousarray(data[i], dtype=np.float32) for i in range(start, stop))
    return frames


def phantom_frames(
    count: int = 4,
    size: int | Sequence[int] = 256,
    frames_per_phantom: int = 4,
    seed: int = 1000,
    **phantom_kwargs: Any,
) -> list[np.ndarray]:
    """Contrast-filled frames of DSA-mode angiography phantoms, scaled to [0, 1].

    Each phantom (seeds ``seed, seed + 1, ...``) renders a cine of ``2 * frames_per_phantom`` frames and the last
    ``frames_per_phantom`` (filled vessels) are kept.

    Args:
        count: number of phantoms.
        size: frame size ``(H, W)`` or one int.
        frames_per_phantom: frames kept per phantom.
        seed: seed of the first phantom.
        phantom_kwargs: further :class:`monai_angio.phantoms.AngiographyPhantom` arguments (e.g. ``noise=False``).

    Returns:
        list of ``count * frames_per_phantom`` float32 ``(H, W)`` arrays.
    """
    from monai_angio.phantoms import AngiographyPhantom

    for name, value in (("count", count), ("frames_per_phantom", frames_per_phantom)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"phantom_frames: {name} must be an integer >= 1, got {value!r}.")
    kwargs = {"mode": "dsa", **phantom_kwargs}
    out = []
    for i in range(int(count)):
        phantom = AngiographyPhantom(size=size, num_frames=2 * int(frames_per_phantom), seed=int(seed) + i, **kwargs)
        data, meta = phantom.generate()
        scale = np.float32(2 ** int(meta["bits_stored"]) - 1)
        out.extend(np.ascontiguousarray(f.astype(np.float32) / scale) for f in data[-int(frames_per_phantom) :])
    return out


def patch_grid(height: int, width: int, patch_size: int, stride: int) -> np.ndarray:
    """Top-left corners ``(N, 2)`` (row, column) of the ``patch_size`` patches every ``stride`` pixels of a frame.

    Raises:
        ValueError: if the frame is smaller than a patch or the sizes are not positive.
    """
    for name, value in (("patch_size", patch_size), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"patch_grid: {name} must be a positive integer, got {value!r}.")
    if height < patch_size or width < patch_size:
        raise ValueError(f"patch_grid: frame {height}x{width} is smaller than the patch size {patch_size}.")
    rows = np.arange(0, height - patch_size + 1, stride)
    cols = np.arange(0, width - patch_size + 1, stride)
    return np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).reshape(-1, 2)


def _range_or_value(value: float | Sequence[float] | None, name: str, allow_none: bool) -> tuple[float, float] | None:
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"FocalSpotDegradation: {name} must not be None.")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        low = high = float(value)
    else:
        values = tuple(float(v) for v in value)
        if len(values) != 2:
            raise ValueError(f"FocalSpotDegradation: {name} must be a number or a (low, high) range, got {value!r}.")
        low, high = values
    if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
        raise ValueError(f"FocalSpotDegradation: {name} must satisfy 0 <= low <= high, got {value!r}.")
    return low, high


class FocalSpotDegradation(Randomizable):
    """Random large-focal-spot degradation of sharp frames: focal-spot blur of random size, Poisson noise.

    Each call draws a focal-spot size uniformly from ``focal_spot_mm`` and a photon count log-uniformly from
    ``photons`` (quanta per pixel at intensity 1; ``None`` = no noise), blurs with the point-spread function of
    :class:`~monai_angio.phantoms.FocalSpotBlur` (same geometry arguments) and adds Poisson noise.

    Args:
        focal_spot_mm: ``(low, high)`` range or one size, mm.
        photons: ``(low, high)`` range, one value, or ``None`` for noise-free blur.
        profile, sod_mm, sid_mm, pixel_spacing_mm, detector_sigma_px, lobe_axis: as
            :class:`~monai_angio.phantoms.FocalSpotBlur`.
        seed: random seed.
    """

    def __init__(
        self,
        focal_spot_mm: float | Sequence[float] = (0.3, 1.5),
        photons: float | Sequence[float] | None = (1.0e4, 1.0e5),
        profile: str = "gaussian",
        sod_mm: float = 750.0,
        sid_mm: float = 1100.0,
        pixel_spacing_mm: float | Sequence[float] = 0.154,
        detector_sigma_px: float = 0.0,
        lobe_axis: int = 1,
        seed: int | None = 0,
    ) -> None:
        self.focal_spot_range = _range_or_value(focal_spot_mm, "focal_spot_mm", allow_none=False)
        self.photons_range = _range_or_value(photons, "photons", allow_none=True)
        if self.photons_range is not None and self.photons_range[0] <= 0:
            raise ValueError(f"FocalSpotDegradation: photons must be positive, got {photons!r}.")
        self.blur = FocalSpotBlur(
            focal_spot_mm=self.focal_spot_range[1],
            profile=profile,
            sod_mm=sod_mm,
            sid_mm=sid_mm,
            pixel_spacing_mm=pixel_spacing_mm,
            detector_sigma_px=detector_sigma_px,
            photons=None,
            lobe_axis=lobe_axis,
            clip=False,
        )
        self.margin = self.blur.kernel(self.focal_spot_range[1]).shape[0] // 2
        self.last_focal_spot_mm = self.focal_spot_range[1]
        self.last_photons: float | None = None
        self._noise_seed = 0
        self.set_random_state(seed)

    def randomize(self, data: Any = None) -> None:
        """Draw the focal-spot size, the photon count and the noise seed."""
        self.last_focal_spot_mm = float(self.R.uniform(*self.focal_spot_range))
        if self.photons_range is None:
            self.last_photons = None
        else:
            low, high = self.photons_range
            self.last_photons = float(math.exp(self.R.uniform(math.log(low), math.log(high))))
        self._noise_seed = int(self.R.randint(MAX_SEED))

    def kernel(self, focal_spot_mm: float) -> np.ndarray:
        """Point-spread function ``(k, k)`` (focal spot and detector blur) of a focal-spot size in mm."""
        return self.blur.kernel(focal_spot_mm)

    def degrade(
        self,
        image: torch.Tensor,
        focal_spot_mm: float,
        photons: float | None,
        generator: torch.Generator | None = None,
        crop: int = 0,
    ) -> torch.Tensor:
        """Blur ``image`` ``(..., H, W)`` (reflective borders) and add Poisson noise; clip to [0, 1].

        ``crop`` pixels are removed on every side after blurring (a margin added around a patch so that the patch
        is blurred exactly as inside its frame).
        """
        out = apply_kernel(image, self.blur.kernel(focal_spot_mm))
        if crop:
            out = out[..., crop:-crop, crop:-crop]
        if photons is not None:
            rate = out.clamp(min=0.0).double() * photons
            out = (torch.poisson(rate, generator=generator) / photons).to(image.dtype)
        return out.clamp(0.0, 1.0)

    def __call__(self, image: torch.Tensor, crop: int = 0) -> torch.Tensor:
        """Degrade ``image`` ``(..., H, W)`` float in [0, 1] with newly drawn parameters."""
        self.randomize()
        generator = torch.Generator().manual_seed(self._noise_seed)
        return self.degrade(image, self.last_focal_spot_mm, self.last_photons, generator, crop)


def _as_frames(frames: Sequence[np.ndarray | torch.Tensor], name: str) -> list[torch.Tensor]:
    if isinstance(frames, (np.ndarray, torch.Tensor)) and np.ndim(frames) == 2:
        raise TypeError(f"{name} must be a list of frames or a (T, H, W) stack, not a single (H, W) frame.")
    out = []
    for i, f in enumerate(frames):
        t = torch.as_tensor(np.asarray(f.detach().cpu() if isinstance(f, torch.Tensor) else f), dtype=torch.float32)
        if t.ndim == 3 and t.shape[0] == 1:
            t = t[0]
        if t.ndim != 2:
            raise ValueError(f"{name}[{i}] must be a 2-D frame (H, W), got shape {tuple(t.shape)}.")
        if not torch.isfinite(t).all() or t.min() < 0 or t.max() > 1:
            raise ValueError(f"{name}[{i}] must hold finite values in [0, 1] (scale stored values first).")
        out.append(t.contiguous())
    if not out:
        raise ValueError(f"{name} is empty.")
    return out


class DeblurPatchDataset(Randomizable, Dataset):
    """Training patches ``patch_size`` x ``patch_size`` every ``stride`` pixels of the given frames.

    Item ``i`` is the ``i``-th patch of the grid over all frames: ``{"image": blurred (1, p, p), "label": sharp
    (1, p, p), "focal_spot_mm": float}``. With ``blurred`` frames (real pairs) the input patch is cut from them
    (``focal_spot_mm`` is NaN); otherwise each access degrades the sharp patch with ``degradation`` (new focal-spot
    size and noise at every access), computing the blur on the patch plus a margin cut from the reflect-padded frame
    so that it equals the blur of the whole frame. ``transform`` (e.g. flips with keys ``["image", "label"]``) is
    applied last; ``set_random_state`` (called per worker by :class:`monai.data.DataLoader`) seeds the degradation and
    the transform too.

    Args:
        frames: sharp frames, each ``(H, W)`` (or ``(1, H, W)``) float in [0, 1]; sizes may differ.
        blurred: optional blurred frames of the same scenes and sizes (real pairs).
        patch_size: side of the square patches (40 in the paper).
        stride: grid step (20 in the paper).
        degradation: the synthetic degradation (default :class:`FocalSpotDegradation`); unused with ``blurred``.
        transform: callable applied to each item dictionary.
        seed: random seed.
    """

    shift: int = 0  # extra padding beyond the blur margin (patches cut at shifted positions by subclasses)

    def __init__(
        self,
        frames: Sequence[np.ndarray | torch.Tensor],
        blurred: Sequence[np.ndarray | torch.Tensor] | None = None,
        patch_size: int = 40,
        stride: int = 20,
        degradation: FocalSpotDegradation | None = None,
        transform: Callable | None = None,
        seed: int | None = 0,
    ) -> None:
        sharp = _as_frames(frames, "frames")
        self.patch_size = int(patch_size)
        self.paired = blurred is not None
        if self.paired:
            pairs = _as_frames(blurred, "blurred")
            if len(pairs) != len(sharp):
                raise ValueError(f"blurred has {len(pairs)} frames but frames has {len(sharp)}.")
            for i, (b, s) in enumerate(zip(pairs, sharp, strict=True)):
                if b.shape != s.shape:
                    raise ValueError(f"blurred frame {i} is {tuple(b.shape)} but its sharp frame is {tuple(s.shape)}.")
            self.degradation = None
            self.margin = 0
            self.blurred = pairs
        else:
            self.degradation = degradation if degradation is not None else FocalSpotDegradation()
            if not isinstance(self.degradation, FocalSpotDegradation):
                raise TypeError(f"degradation must be a FocalSpotDegradation, got {type(self.degradation).__name__}.")
            self.margin = self.degradation.margin
            self.blurred = None
        self.sharp = sharp
        # reflect-padded copies: a patch plus its margin (and a subclass's extra ``shift``) is always inside the array
        self.padded = [self._pad(s, self.margin + self.shift) for s in sharp]
        index = []
        for i, s in enumerate(sharp):
            grid = patch_grid(int(s.shape[0]), int(s.shape[1]), self.patch_size, stride)
            index.append(np.concatenate([np.full((len(grid), 1), i), grid], axis=1))
        self.index = np.concatenate(index).astype(np.int64)
        Dataset.__init__(self, data=range(len(self.index)), transform=transform)
        self.set_random_state(seed=seed)

    @staticmethod
    def _pad(frame: torch.Tensor, margin: int) -> torch.Tensor:
        if margin == 0:
            return frame
        mode = "reflect" if margin < min(frame.shape) else "replicate"
        return torch.nn.functional.pad(frame[None, None], (margin,) * 4, mode=mode)[0, 0]

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> Randomizable:
        """Seed the dataset and, with seeds drawn from it, the degradation and the transform."""
        super().set_random_state(seed=seed, state=state)
        if self.degradation is not None:
            self.degradation.set_random_state(seed=int(self.R.randint(MAX_SEED)))
        if self.transform is not None and hasattr(self.transform, "set_random_state"):
            self.transform.set_random_state(seed=int(self.R.randint(MAX_SEED)))
        return self

    def randomize(self, data: Any = None) -> None:
        """Nothing is drawn here: the degradation draws its own parameters at each access."""

    def _transform(self, index: int) -> dict[str, Any]:
        frame, r, c = (int(v) for v in self.index[index])
        p, m = self.patch_size, self.margin
        if self.paired:
            sharp = self.sharp[frame][r : r + p, c : c + p]
            blurred = self.blurred[frame][r : r + p, c : c + p]
            focal = math.nan
        else:
            region = self.padded[frame][r : r + p + 2 * m, c : c + p + 2 * m]
            sharp = region[m : m + p, m : m + p]
            blurred = self.degradation(region, crop=m)
            focal = self.degradation.last_focal_spot_mm
        item = {
            "image": blurred[None].clone(),
            "label": sharp[None].clone(),
            "focal_spot_mm": torch.tensor(focal, dtype=torch.float32),
        }
        return apply_transform(self.transform, item) if self.transform is not None else item


class TemporalDeblurPatchDataset(DeblurPatchDataset):
    """Training patches of cines for temporal deblurring: a frame's patch and the mean of its neighbours' patches.

    Item ``i`` is the ``i``-th patch of the grid over all frames of all cines: ``{"image": (2, p, p), "label": sharp
    (1, p, p), "focal_spot_mm": float}``; ``image`` holds the degraded patch of the frame and the mean of the degraded
    patches of the frames within ``radius`` of it in the same cine (fewer at the ends of a cine, as
    :func:`~monai_angio.inferers.temporal_deblur.neighbour_mean` at inference). All frames of a window are blurred by
    the same focal spot (drawn per item, as :class:`DeblurPatchDataset`) and get independent Poisson noise. With
    probability ``drift_prob`` the neighbours' patches are cut from positions drifting by a random whole pixel per
    frame (up to ``max_drift`` along each axis), so that the network also learns to distrust neighbours that do not
    match (residual motion) instead of copying them. With ``kernel_channel`` the image has a third, constant channel
    telling a non-blind network the blur of the item (:func:`~monai_angio.phantoms.kernel_channel_value` of its
    focal-spot kernel).

    Args:
        cines: sharp cines, each a sequence of consecutive frames ``(H, W)`` (or a ``(T, H, W)`` stack) float in
            [0, 1]; frames of one cine share a size.
        radius: neighbours on each side (``>= 1``).
        patch_size, stride, degradation, transform, seed: as :class:`DeblurPatchDataset`.
        drift_prob: probability of a drifting window.
        max_drift: largest drift in pixels per frame along each axis.
        kernel_channel: add the kernel channel (``image`` then ``(3, p, p)``).
        input_offset: the network's input offset (the kernel channel is given in intensity units above it).
    """

    def __init__(
        self,
        cines: Sequence[Sequence[np.ndarray | torch.Tensor] | np.ndarray | torch.Tensor],
        radius: int = 2,
        patch_size: int = 40,
        stride: int = 20,
        degradation: FocalSpotDegradation | None = None,
        transform: Callable | None = None,
        seed: int | None = 0,
        drift_prob: float = 0.0,
        max_drift: int = 1,
        kernel_channel: bool = False,
        input_offset: float = 0.0,
    ) -> None:
        if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 1:
            raise ValueError(f"radius must be an integer >= 1, got {radius!r}.")
        if not 0.0 <= float(drift_prob) <= 1.0:
            raise ValueError(f"drift_prob must be in [0, 1], got {drift_prob!r}.")
        if isinstance(max_drift, bool) or not isinstance(max_drift, (int, np.integer)) or max_drift < 0:
            raise ValueError(f"max_drift must be an integer >= 0, got {max_drift!r}.")
        if isinstance(cines, (np.ndarray, torch.Tensor)) and np.ndim(cines) == 3:
            raise TypeError("cines must be a list of cines; wrap a single (T, H, W) cine in a list.")
        frames, window = [], []
        for k, cine in enumerate(cines):
            cine_frames = _as_frames(cine, f"cines[{k}]")
            if len({f.shape for f in cine_frames}) != 1:
                raise ValueError(f"cines[{k}]: frames of one cine must share a size.")
            if len(cine_frames) < 2:
                raise ValueError(f"cines[{k}] has {len(cine_frames)} frame: a cine needs at least 2 (neighbours).")
            start = len(frames)
            frames.extend(cine_frames)
            window.extend((start, start + len(cine_frames)) for _ in cine_frames)
        if not frames:
            raise ValueError("cines is empty.")
        self.radius = int(radius)
        self.drift_prob = float(drift_prob)
        self.max_drift = int(max_drift)
        self.cine_window = window
        self.kernel_channel = bool(kernel_channel)
        self.input_offset = float(input_offset)
        self.shift = self.radius * self.max_drift  # extra padding for the drifting windows
        super().__init__(frames, None, patch_size, stride, degradation, transform, seed)

    def _transform(self, index: int) -> dict[str, Any]:
        frame, r, c = (int(v) for v in self.index[index])
        p, m, s = self.patch_size, self.margin, self.shift
        start, stop = self.cine_window[frame]
        neighbours = [j for j in range(max(start, frame - self.radius), min(stop, frame + self.radius + 1))]
        drift = (0, 0)
        if self.max_drift and self.R.uniform() < self.drift_prob:
            drift = tuple(int(v) for v in self.R.randint(-self.max_drift, self.max_drift + 1, size=2))
        regions = []
        for j in neighbours:
            dr, dc = s + drift[0] * (j - frame), s + drift[1] * (j - frame)
            regions.append(self.padded[j][r + dr : r + dr + p + 2 * m, c + dc : c + dc + p + 2 * m])
        blurred = self.degradation(torch.stack(regions), crop=m)  # one focal spot, independent noise per frame
        centre = neighbours.index(frame)
        others = torch.cat([blurred[:centre], blurred[centre + 1 :]])
        channels = [blurred[centre], others.mean(0)]
        if self.kernel_channel:
            kernel = self.degradation.kernel(self.degradation.last_focal_spot_mm)
            channels.append(torch.full_like(channels[0], kernel_channel_value(kernel, self.input_offset)))
        item = {
            "image": torch.stack(channels),
            "label": self.sharp[frame][r : r + p, c : c + p][None].clone(),
            "focal_spot_mm": torch.tensor(self.degradation.last_focal_spot_mm, dtype=torch.float32),
        }
        return apply_transform(self.transform, item) if self.transform is not None else item


def _center_crop(x: torch.Tensor, roi: int | None) -> torch.Tensor:
    if roi is None:
        return x
    h, w = x.shape[-2:]
    rh, rw = min(roi, h), min(roi, w)
    top, left = (h - rh) // 2, (w - rw) // 2
    return x[..., top : top + rh, left : left + rw]


class DeblurEvalDataset(Dataset):
    """Deterministic evaluation pairs: every frame degraded at each of a list of focal-spot sizes.

    Item ``j`` is frame ``j // len(focal_spots_mm)`` blurred with focal spot ``focal_spots_mm[j % n]`` on the whole
    frame (reflective borders), with Poisson noise seeded by ``(seed, j)``, then optionally center-cropped to
    ``roi_size``: ``{"image": (1, H, W), "label": (1, H, W), "focal_spot_mm": float, "frame": int}``. With
    ``blurred`` frames (real pairs) each frame gives one item (``focal_spot_mm`` NaN).

    Args:
        frames: sharp frames ``(H, W)`` float in [0, 1].
        focal_spots_mm: focal-spot sizes in mm.
        photons: quanta per pixel at intensity 1 (``None``: noise-free).
        blurred: optional real blurred frames of the same scenes.
        roi_size: center crop side (``None``: whole frames).
        profile, sod_mm, sid_mm, pixel_spacing_mm, detector_sigma_px, lobe_axis: as :class:`FocalSpotDegradation`.
        seed: noise seed.
        transform: callable applied to each item.
    """

    def __init__(
        self,
        frames: Sequence[np.ndarray | torch.Tensor],
        focal_spots_mm: Sequence[float] = (0.6, 0.9, 1.2),
        photons: float | None = 2.0e4,
        blurred: Sequence[np.ndarray | torch.Tensor] | None = None,
        roi_size: int | None = None,
        profile: str = "gaussian",
        sod_mm: float = 750.0,
        sid_mm: float = 1100.0,
        pixel_spacing_mm: float | Sequence[float] = 0.154,
        detector_sigma_px: float = 0.0,
        lobe_axis: int = 1,
        seed: int = 0,
        transform: Callable | None = None,
    ) -> None:
        self.sharp = _as_frames(frames, "frames")
        self.blurred = None if blurred is None else _as_frames(blurred, "blurred")
        if self.blurred is not None and [b.shape for b in self.blurred] != [s.shape for s in self.sharp]:
            raise ValueError("blurred frames must match the sharp frames in number and size.")
        if roi_size is not None and (isinstance(roi_size, bool) or not isinstance(roi_size, int) or roi_size < 1):
            raise ValueError(f"roi_size must be a positive int or None, got {roi_size!r}.")
        self.focal_spots_mm = [float(f) for f in focal_spots_mm] if self.blurred is None else [math.nan]
        if not self.focal_spots_mm:
            raise ValueError("focal_spots_mm is empty.")
        self.photons = None if photons is None else float(photons)
        self.roi_size = roi_size
        self.seed = int(seed)
        self.degradation = FocalSpotDegradation(
            focal_spot_mm=max(self.focal_spots_mm) if self.blurred is None else 1.0,
            photons=self.photons,
            profile=profile,
            sod_mm=sod_mm,
            sid_mm=sid_mm,
            pixel_spacing_mm=pixel_spacing_mm,
            detector_sigma_px=detector_sigma_px,
            lobe_axis=lobe_axis,
        )
        Dataset.__init__(self, data=range(len(self.sharp) * len(self.focal_spots_mm)), transform=transform)

    def _transform(self, index: int) -> dict[str, Any]:
        n = len(self.focal_spots_mm)
        frame, spot = divmod(int(index), n)
        sharp = self.sharp[frame]
        focal = self.focal_spots_mm[spot]
        if self.blurred is not None:
            blurred = self.blurred[frame]
        else:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + int(index))
            blurred = self.degradation.degrade(sharp, focal, self.photons, generator)
        item = {
            "image": _center_crop(blurred, self.roi_size)[None].clone(),
            "label": _center_crop(sharp, self.roi_size)[None].clone(),
            "focal_spot_mm": torch.tensor(focal, dtype=torch.float32),
            "frame": frame,
        }
        return apply_transform(self.transform, item) if self.transform is not None else item


def _frames_from(
    source: FrameSource | Sequence[FrameSource] | None,
    part: str,
    holdout_fraction: float,
    val_frames: int,
    phantom_count: int,
    phantom_size: int | Sequence[int],
    phantom_seed: int,
    phantom_kwargs: dict[str, Any] | None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    real = [] if source is None else load_frames(source, part, holdout_fraction, val_frames)
    synthetic = (
        phantom_frames(phantom_count, phantom_size, seed=phantom_seed, **(phantom_kwargs or {}))
        if phantom_count
        else []
    )
    if not real and not synthetic:
        raise ValueError("no frames: give a source and/or phantom_count > 0.")
    return real, synthetic


def deblur_patch_dataset(
    source: FrameSource | Sequence[FrameSource] | None = None,
    blurred_source: FrameSource | Sequence[FrameSource] | None = None,
    part: str = "train",
    holdout_fraction: float = 0.3,
    val_frames: int = 0,
    phantom_count: int = 0,
    phantom_size: int | Sequence[int] = 256,
    phantom_seed: int = 1000,
    phantom_kwargs: dict[str, Any] | None = None,
    patch_size: int = 40,
    stride: int = 20,
    focal_spot_mm: float | Sequence[float] = (0.3, 1.5),
    photons: float | Sequence[float] | None = (1.0e4, 1.0e5),
    profile: str = "gaussian",
    sod_mm: float = 750.0,
    sid_mm: float = 1100.0,
    pixel_spacing_mm: float | Sequence[float] = 0.154,
    detector_sigma_px: float = 0.0,
    transform: Callable | None = None,
    seed: int | None = 0,
) -> Dataset:
    """Training patches from real frames (a part of each cine) and/or phantom frames, for configs.

    Sharp frames from ``source`` (``part`` of each cine, see :func:`load_frames`) and ``phantom_count`` DSA phantoms
    (see :func:`phantom_frames`) are degraded by a :class:`FocalSpotDegradation` with the given parameters. When
    ``blurred_source`` is given (real large-focal-spot frames of the same scenes as ``source``, same part), those real
    pairs replace the synthetic degradation of the real frames; phantom frames are still degraded synthetically.

    Returns:
        a :class:`DeblurPatchDataset`, or a ``ConcatDataset`` of two when real pairs and phantoms are combined.
    """
    real, synthetic = _frames_from(
        source, part, holdout_fraction, val_frames, phantom_count, phantom_size, phantom_seed, phantom_kwargs
    )

    def degradation(s: int | None) -> FocalSpotDegradation:
        return FocalSpotDegradation(
            focal_spot_mm, photons, profile, sod_mm, sid_mm, pixel_spacing_mm, detector_sigma_px, seed=s
        )

    if blurred_source is None:
        return DeblurPatchDataset(real + synthetic, None, patch_size, stride, degradation(seed), transform, seed)
    if source is None:
        raise ValueError("blurred_source needs the matching sharp source.")
    blurred = load_frames(blurred_source, part, holdout_fraction, val_frames)
    datasets: list[Dataset] = [DeblurPatchDataset(real, blurred, patch_size, stride, None, transform, seed)]
    if synthetic:
        s2 = None if seed is None else seed + 1
        datasets.append(DeblurPatchDataset(synthetic, None, patch_size, stride, degradation(s2), transform, s2))
    return datasets[0] if len(datasets) == 1 else ConcatDataset(datasets)


def deblur_eval_dataset(
    source: FrameSource | Sequence[FrameSource] | None = None,
    blurred_source: FrameSource | Sequence[FrameSource] | None = None,
    part: str = "test",
    holdout_fraction: float = 0.3,
    val_frames: int = 0,
    phantom_count: int = 0,
    phantom_size: int | Sequence[int] = 256,
    phantom_seed: int = 2000,
    phantom_kwargs: dict[str, Any] | None = None,
    focal_spots_mm: Sequence[float] = (0.6, 0.9, 1.2),
    photons: float | None = 2.0e4,
    roi_size: int | None = None,
    max_frames: int | None = None,
    profile: str = "gaussian",
    sod_mm: float = 750.0,
    sid_mm: float = 1100.0,
    pixel_spacing_mm: float | Sequence[float] = 0.154,
    detector_sigma_px: float = 0.0,
    seed: int = 0,
    transform: Callable | None = None,
) -> DeblurEvalDataset:
    """Evaluation pairs (see :class:`DeblurEvalDataset`) from real frames and/or phantom frames, for configs.

    ``max_frames`` keeps at most that many frames, evenly spread over the selected ones (fast validation). With
    ``blurred_source`` the real pairs are evaluated as they are (phantom frames are then not allowed).
    """
    real, synthetic = _frames_from(
        source, part, holdout_fraction, val_frames, phantom_count, phantom_size, phantom_seed, phantom_kwargs
    )
    frames = real + synthetic
    blurred = None
    if blurred_source is not None:
        if synthetic or source is None:
            raise ValueError("blurred_source needs the matching sharp source and no phantom frames.")
        blurred = load_frames(blurred_source, part, holdout_fraction, val_frames)
    if max_frames is not None and max_frames < len(frames):
        keep = np.unique(np.linspace(0, len(frames) - 1, int(max_frames)).round().astype(int))
        frames = [frames[i] for i in keep]
        blurred = None if blurred is None else [blurred[i] for i in keep]
    return DeblurEvalDataset(
        frames,
        focal_spots_mm,
        photons,
        blurred,
        roi_size,
        profile,
        sod_mm,
        sid_mm,
        pixel_spacing_mm,
        detector_sigma_px,
        seed=seed,
        transform=transform,
    )
