# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Trivial interpolation baselines: frame repetition and linear blending.

Both follow the interpolator interface: ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N))`` returns
``(B, N, C, H, W)`` and ``stride == 1``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RepeatInterpolator", "LinearInterpolator", "check_interpolator_inputs"]


def check_interpolator_inputs(
    frame0: torch.Tensor, frame1: torch.Tensor, t: torch.Tensor, name: str = "interpolator"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Check the inputs of an interpolator and return them as floating tensors on the frames' device.

    Integer frames (e.g. raw 12-bit values) are converted to float32; ``t`` gets the frames' dtype.

    Args:
        frame0: ``(B, C, H, W)`` first frame.
        frame1: ``(B, C, H, W)`` second frame.
        t: ``(B, N)`` times in [0, 1].
        name: used in error messages.

    Raises:
        TypeError: if an input is not a real tensor.
        ValueError: for wrong shapes, ``t`` outside [0, 1], or NaN/Inf values.
    """
    out = []
    for label, x in (("frame0", frame0), ("frame1", frame1), ("t", t)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: {label} must be a torch.Tensor, got {type(x).__name__}.")
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name}: {label} must be real valued, got {x.dtype}.")
        out.append(x if x.is_floating_point() else x.to(torch.float32))
    frame0, frame1, t = out
    if frame0.ndim != 4:
        raise ValueError(f"{name}: frame0 must be (B, C, H, W), got shape {tuple(frame0.shape)}.")
    if frame1.shape != frame0.shape:
        raise ValueError(f"{name}: frame1 {tuple(frame1.shape)} must have the shape of frame0 {tuple(frame0.shape)}.")
    if frame0.numel() == 0:
        raise ValueError(f"{name}: frames are empty, shape {tuple(frame0.shape)}.")
    if t.ndim != 2 or t.shape[0] != frame0.shape[0] or t.shape[1] < 1:
        raise ValueError(f"{name}: t must be (B, N) with B = {frame0.shape[0]} and N >= 1, got shape {tuple(t.shape)}.")
    if frame1.dtype != frame0.dtype:
        frame1 = frame1.to(frame0.dtype)
    if frame1.device != frame0.device:
        raise ValueError(f"{name}: frame0 on {frame0.device} but frame1 on {frame1.device}.")
    for label, x in (("frame0", frame0), ("frame1", frame1), ("t", t)):
        if not torch.isfinite(x).all():
            raise ValueError(f"{name}: {label} contains NaN or Inf values.")
    if (t < 0).any() or (t > 1).any():
        raise ValueError(f"{name}: t must lie in [0, 1], got values in [{t.min().item()}, {t.max().item()}].")
    return frame0, frame1, t.to(device=frame0.device, dtype=frame0.dtype)


class RepeatInterpolator(nn.Module):
    """Frame repetition: every intermediate frame is a copy of an acquired frame.

    Args:
        mode: ``"nearest"`` (default) copies the acquired frame nearest in time: ``frame0`` for ``t < 0.5`` and
            ``frame1`` for ``t >= 0.5``. ``"previous"`` copies ``frame0`` for every ``t < 1`` (last-image hold, what
            a display does at the low acquisition rate) and ``frame1`` only at ``t == 1``.
    """

    stride: int = 1

    def __init__(self, mode: str = "nearest") -> None:
        super().__init__()
        if mode not in ("nearest", "previous"):
            raise ValueError(f"RepeatInterpolator: mode must be 'nearest' or 'previous', got {mode!r}.")
        self.mode = mode

    def forward(self, frame0: torch.Tensor, frame1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Return ``(B, N, C, H, W)`` copies of ``frame0`` or ``frame1`` chosen by ``t (B, N)``."""
        frame0, frame1, t = check_interpolator_inputs(frame0, frame1, t, type(self).__name__)
        take1 = (t >= 0.5) if self.mode == "nearest" else (t >= 1.0)
        take1 = take1[:, :, None, None, None]
        return torch.where(take1, frame1.unsqueeze(1), frame0.unsqueeze(1))


class LinearInterpolator(nn.Module):
    """Linear blend (cross-fade) ``(1 - t) * frame0 + t * frame1``."""

    stride: int = 1

    def forward(self, frame0: torch.Tensor, frame1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Return the ``(B, N, C, H, W)`` blends for ``t (B, N)``."""
        frame0, frame1, t = check_interpolator_inputs(frame0, frame1, t, type(self).__name__)
        w = t[:, :, None, None, None]
        return (1.0 - w) * frame0.unsqueeze(1) + w * frame1.unsqueeze(1)
