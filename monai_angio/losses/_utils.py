# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Shape helpers shared by the losses."""

from __future__ import annotations

import torch

__all__ = ["check_pair", "flatten_frames", "reduce"]

REDUCTIONS = ("mean", "sum", "none")


def check_pair(input: torch.Tensor, target: torch.Tensor, name: str) -> None:
    """Raise if ``input`` and ``target`` are not tensors of the same shape."""
    for label, x in (("input", input), ("target", target)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: {label} must be a torch.Tensor, got {type(x).__name__}.")
    if input.shape != target.shape:
        raise ValueError(f"{name}: input {tuple(input.shape)} and target {tuple(target.shape)} must have equal shapes.")


def flatten_frames(x: torch.Tensor, name: str) -> torch.Tensor:
    """``(B, C, H, W)`` unchanged, ``(B, N, C, H, W)`` -> ``(B * N, C, H, W)``."""
    if x.ndim == 4:
        return x
    if x.ndim == 5:
        return x.reshape(-1, *x.shape[2:])
    raise ValueError(f"{name}: expected (B, C, H, W) or (B, N, C, H, W), got shape {tuple(x.shape)}.")


def reduce(x: torch.Tensor, reduction: str) -> torch.Tensor:
    """Apply ``"mean"``, ``"sum"`` or ``"none"``."""
    if reduction == "mean":
        return x.mean()
    if reduction == "sum":
        return x.sum()
    return x
