# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Stages of whole-cine interpolation: per-gap synthesis (batching, global-motion alignment, tiling, padding) of
frame-pair methods, whole-cine synthesis of sequence-wide methods, and the ensemble average."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from monai.inferers import SlidingWindowInferer
from torch import nn
from tqdm.auto import tqdm

from monai_angio.networks.global_motion import align_pair, is_identity, restore_times
from monai_angio.networks.utils import pad_to_multiple

__all__ = ["GapSynthesizer", "average_members", "is_sequence_method", "member_stride", "sequence_gaps"]


def is_sequence_method(method: nn.Module | None) -> bool:
    """Whether ``method`` interpolates whole cines with the frames around each gap (a ``sequence_gaps`` method)."""
    return callable(getattr(method, "sequence_gaps", None))


def member_stride(members: Sequence[nn.Module]) -> int:
    """The padding multiple that suits every member: the least common multiple of their ``stride`` attributes."""
    return math.lcm(1, *(int(getattr(m, "stride", 1)) for m in members))


@dataclass(frozen=True)
class GapSynthesizer:
    """Synthesize the frames of many gaps with frame-pair methods, batch by batch.

    Each batch of pairs is (optionally) aligned by its global motion once (:func:`~monai_angio.networks.align_pair`),
    then every member synthesizes the frames in the half-way geometry, on frames padded to the members' common
    stride and, above ``tile_size``, in Gaussian-blended tiles (:class:`~monai.inferers.SlidingWindowInferer`); the
    frames are warped back to their times.

    Args:
        batch_size: pairs per forward pass.
        tile_size: tile edge for large frames (a multiple of the members' stride); ``None``: whole frames.
        tile_overlap: fraction of overlap between tiles.
        device: where the members run; the outputs are returned on the CPU.
        progress: show a progress bar.
        global_motion: ``None`` or a motion model (see :class:`~monai_angio.options.InterpolationOptions`).
    """

    batch_size: int = 4
    tile_size: int | None = None
    tile_overlap: float = 0.25
    device: torch.device | str = "cpu"
    progress: bool = False
    global_motion: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {self.batch_size!r}.")
        if not 0.0 <= self.tile_overlap < 1.0:
            raise ValueError(f"tile_overlap must be in [0, 1), got {self.tile_overlap}.")

    def check_tile(self, stride: int) -> None:
        """Raise a ValueError unless ``tile_size`` is ``None`` or a positive multiple of ``stride``."""
        if self.tile_size is not None and (self.tile_size < stride or self.tile_size % stride):
            raise ValueError(
                f"tile_size must be a positive multiple of the interpolator stride {stride}, got {self.tile_size}."
            )

    def __call__(
        self,
        members: Sequence[nn.Module],
        first: torch.Tensor,
        second: torch.Tensor,
        times: torch.Tensor,
        desc: str = "interpolating",
    ) -> tuple[list[torch.Tensor], int]:
        """The frames at ``times`` between ``first[i]`` and ``second[i]`` for every member.

        Args:
            members: frame-pair interpolators ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) ->
                (B, N, C, H, W)``.
            first, second: ``(P, C, H, W)`` the pairs.
            times: ``(N,)`` times in (0, 1).
            desc: progress-bar label.

        Returns:
            One ``(P, N, C, H, W)`` CPU tensor per member (not clamped), and the number of pairs whose global motion
            was compensated.
        """
        stride = member_stride(members)
        self.check_tile(stride)
        pairs = first.shape[0]
        outputs: list[list[torch.Tensor]] = [[] for _ in members]
        moved = 0
        times = times.to(self.device)
        for start in tqdm(range(0, pairs, self.batch_size), desc=desc, unit="batch", disable=not self.progress):
            f0 = first[start : start + self.batch_size].to(self.device)
            f1 = second[start : start + self.batch_size].to(self.device)
            t = times.expand(f0.shape[0], -1)
            transform = None
            if self.global_motion is not None:
                f0, f1, transform = align_pair(f0, f1, self.global_motion)
                moved += 0 if is_identity(transform) else int(f0.shape[0])
            for i, member in enumerate(members):
                mid = self._tiled(member, f0, f1, t, stride)
                if transform is not None:
                    mid = restore_times(mid, transform, t)
                outputs[i].append(mid.to(first.dtype).cpu())
        return [torch.cat(out) for out in outputs], moved

    def _tiled(
        self, member: nn.Module, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor, stride: int
    ) -> torch.Tensor:
        """``(B, C, H, W)`` pairs -> ``(B, N, C, H, W)``, in tiles when the frames exceed ``tile_size``."""
        b, c, h, w = f0.shape
        n = t.shape[1]
        if self.tile_size is not None and max(h, w) > self.tile_size:
            inferer = SlidingWindowInferer(
                roi_size=(self.tile_size, self.tile_size), sw_batch_size=1, overlap=self.tile_overlap, mode="gaussian"
            )

            def window(x: torch.Tensor) -> torch.Tensor:
                tt = t[:1].expand(x.shape[0], -1)  # all pairs of a call share the same times
                return _padded(member, x[:, :c], x[:, c:], tt, stride).flatten(1, 2)

            return inferer(torch.cat([f0, f1], dim=1), window).reshape(b, n, c, h, w)
        return _padded(member, f0, f1, t, stride)


def _padded(member: nn.Module, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor, stride: int) -> torch.Tensor:
    """Call ``member`` on frames padded to ``stride`` (edge replication) and crop its output back."""
    h, w = f0.shape[-2:]
    out = member(pad_to_multiple(f0, stride), pad_to_multiple(f1, stride), t)
    if out.ndim != 5 or out.shape[1] != t.shape[1]:
        raise ValueError(
            f"the interpolator must return (B, N, C, H, W) with N = {t.shape[1]}, got shape {tuple(out.shape)}."
        )
    return out[..., :h, :w]


def sequence_gaps(method: nn.Module, frames: torch.Tensor, times: torch.Tensor, progress: bool = False) -> torch.Tensor:
    """``(T - 1, N, C, H, W)`` frames of every gap from a sequence-wide method (whole frames, not clamped)."""
    return torch.stack([mid.to(frames.dtype).cpu() for mid in method.sequence_gaps(frames, times, progress=progress)])


def average_members(parts: Sequence[torch.Tensor]) -> torch.Tensor:
    """The equal-weight mean of the members' frames, clamped to [0, 1] (the ensemble stage)."""
    if not parts:
        raise ValueError("average_members: no member outputs.")
    if len(parts) == 1:
        return parts[0].clamp(0.0, 1.0)
    weight = 1.0 / len(parts)
    out = weight * parts[0]
    for part in parts[1:]:
        out = out + weight * part
    return out.clamp_(0.0, 1.0)
