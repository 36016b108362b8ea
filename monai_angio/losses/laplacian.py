# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Laplacian-pyramid l1 loss (as used by IFRNet and MoSt-DSA for frame interpolation)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._utils import check_pair, flatten_frames

__all__ = ["LaplacianPyramidLoss", "laplacian_pyramid", "reconstruct_laplacian_pyramid"]

_BINOMIAL = (1.0, 4.0, 6.0, 4.0, 1.0)


def _gaussian5(x: torch.Tensor) -> torch.Tensor:
    """Depthwise 5x5 binomial (Gaussian) blur of ``(B, C, H, W)`` with reflect padding (replicate if tiny)."""
    k1 = torch.tensor(_BINOMIAL, dtype=x.dtype, device=x.device) / 16.0
    kernel = torch.outer(k1, k1).expand(x.shape[1], 1, 5, 5)
    mode = "reflect" if min(x.shape[-2:]) > 2 else "replicate"
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode=mode), kernel, groups=x.shape[1])


def _down(x: torch.Tensor) -> torch.Tensor:
    return _gaussian5(x)[..., ::2, ::2]


def _up(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    b, c, h, w = x.shape
    up = x.new_zeros(b, c, 2 * h, 2 * w)
    up[..., ::2, ::2] = 4.0 * x  # zero insertion; x4 keeps the mean after the blur
    return _gaussian5(up)[..., : size[0], : size[1]]


def laplacian_pyramid(image: torch.Tensor, levels: int = 5) -> list[torch.Tensor]:
    """Laplacian pyramid with a 5x5 Gaussian kernel.

    Args:
        image: ``(B, C, H, W)``, any ``H, W`` (odd sizes round up when halving).
        levels: number of pyramid images: ``levels - 1`` band-pass images and the final low-pass residual.

    Returns:
        list of ``levels`` tensors; level ``i`` has size ``ceil(H / 2^i), ceil(W / 2^i)``.
    """
    if image.ndim != 4:
        raise ValueError(f"laplacian_pyramid: expected (B, C, H, W), got shape {tuple(image.shape)}.")
    if not isinstance(levels, int) or levels < 1:
        raise ValueError(f"laplacian_pyramid: levels must be a positive int, got {levels!r}.")
    pyramid = []
    current = image
    for _ in range(levels - 1):
        down = _down(current)
        pyramid.append(current - _up(down, current.shape[-2:]))
        current = down
    pyramid.append(current)
    return pyramid


def reconstruct_laplacian_pyramid(pyramid: Sequence[torch.Tensor]) -> torch.Tensor:
    """Inverse of :func:`laplacian_pyramid` (exact up to rounding)."""
    image = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        image = band + _up(image, band.shape[-2:])
    return image


class LaplacianPyramidLoss(nn.Module):
    """Weighted sum over pyramid levels of the mean absolute difference of the Laplacian pyramids.

    Args:
        levels: pyramid images (``levels - 1`` band-pass + the low-pass residual).
        weights: one weight per level (default all 1).

    Shapes:
        input and target ``(B, C, H, W)`` or ``(B, N, C, H, W)`` (frames are flattened into the batch).
    """

    def __init__(self, levels: int = 5, weights: Sequence[float] | None = None) -> None:
        super().__init__()
        if not isinstance(levels, int) or levels < 1:
            raise ValueError(f"LaplacianPyramidLoss: levels must be a positive int, got {levels!r}.")
        weights = [1.0] * levels if weights is None else [float(w) for w in weights]
        if len(weights) != levels:
            raise ValueError(f"LaplacianPyramidLoss: need {levels} weights, got {len(weights)}.")
        self.levels = levels
        self.weights = weights

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Scalar loss."""
        check_pair(input, target, "LaplacianPyramidLoss")
        x = flatten_frames(input, "LaplacianPyramidLoss")
        y = flatten_frames(target, "LaplacianPyramidLoss")
        # the pyramid is linear: one pyramid of the difference
        bands = laplacian_pyramid(x - y, self.levels)
        return sum(w * band.abs().mean() for w, band in zip(self.weights, bands, strict=True))
