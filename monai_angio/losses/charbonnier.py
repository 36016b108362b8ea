# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Charbonnier loss: a differentiable, robust variant of the l1 loss."""

from __future__ import annotations

import torch
from torch import nn

from ._utils import REDUCTIONS, check_pair, reduce

__all__ = ["CharbonnierLoss", "charbonnier_loss"]


def charbonnier_loss(input: torch.Tensor, target: torch.Tensor, eps: float = 1e-3, reduction: str = "mean"):
    """``sqrt((input - target)^2 + eps^2) - eps``, reduced.

    The constant ``eps`` is subtracted so identical inputs give exactly 0 (the gradient is unchanged).

    Args:
        input: any shape.
        target: same shape as ``input``.
        eps: smoothing constant (> 0).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    check_pair(input, target, "charbonnier_loss")
    sq = (input - target).square()
    # sqrt(d^2 + eps^2) - eps written without cancellation: d^2 / (sqrt(d^2 + eps^2) + eps)
    return reduce(sq / (torch.sqrt(sq + eps * eps) + eps), reduction)


class CharbonnierLoss(nn.Module):
    """Module form of :func:`charbonnier_loss`.

    Args:
        eps: smoothing constant (> 0); below ``|input - target| ~ eps`` the loss is quadratic, above it is l1.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """

    def __init__(self, eps: float = 1e-3, reduction: str = "mean") -> None:
        super().__init__()
        if not eps > 0:
            raise ValueError(f"CharbonnierLoss: eps must be positive, got {eps!r}.")
        if reduction not in REDUCTIONS:
            raise ValueError(f"CharbonnierLoss: reduction must be one of {REDUCTIONS}, got {reduction!r}.")
        self.eps = float(eps)
        self.reduction = reduction

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss between two tensors of equal shape."""
        return charbonnier_loss(input, target, self.eps, self.reduction)
