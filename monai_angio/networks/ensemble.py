# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Ensemble of different interpolators: a weighted mean of their synthesized frames."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["InterpolatorEnsemble"]


class InterpolatorEnsemble(nn.Module):
    """Weighted mean of the outputs of several two-frame interpolators.

    Methods that fail differently average to a smaller error than either alone: MoSt-DSA averaged with DIS flow
    (``InterpolatorEnsemble([network, DISFlowInterpolator()])``) is better than both on the benchmark cines
    (``docs/benchmarks.md``, "Ensemble with DIS flow"). The cost is the sum of the members' costs.

    Args:
        members: interpolators with ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) ->
            (B, N, C, H, W)``; an optional integer ``stride`` attribute each (the padding multiple).
        weights: one non-negative weight per member (normalised to sum 1); default equal weights.

    Shapes:
        ``frame0, frame1 (B, C, H, W)``, ``t (B, N)`` -> ``(B, N, C, H, W)``, on ``frame0``'s device.
    """

    def __init__(self, members: Sequence[nn.Module], weights: Sequence[float] | None = None) -> None:
        super().__init__()
        members = list(members)
        if len(members) < 2:
            raise ValueError(f"InterpolatorEnsemble: needs at least 2 members, got {len(members)}.")
        for i, m in enumerate(members):
            if not isinstance(m, nn.Module):
                raise TypeError(f"InterpolatorEnsemble: member {i} must be an nn.Module, got {type(m).__name__}.")
        if weights is None:
            weights = [1.0] * len(members)
        weights = [float(w) for w in weights]
        if len(weights) != len(members):
            raise ValueError(
                f"InterpolatorEnsemble: got {len(weights)} weight(s) for {len(members)} members; give one each."
            )
        if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"InterpolatorEnsemble: weights must be finite, >= 0 and not all 0, got {weights}.")
        self.members = nn.ModuleList(members)
        total = sum(weights)
        self.weights = tuple(w / total for w in weights)
        self.stride = math.lcm(*(int(getattr(m, "stride", 1)) for m in members))

    def forward(self, frame0: torch.Tensor, frame1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``frame0, frame1 (B, C, H, W)``, ``t (B, N)`` -> the weighted mean ``(B, N, C, H, W)``."""
        out: torch.Tensor | None = None
        for member, w in zip(self.members, self.weights, strict=True):
            if w == 0.0:
                continue
            y = member(frame0, frame1, t).to(frame0.device, frame0.dtype)
            out = w * y if out is None else out + w * y
        assert out is not None  # at least one weight is positive
        return out
