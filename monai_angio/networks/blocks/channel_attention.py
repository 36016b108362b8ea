# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Channel attention: convolutional (spatially varying) gating or squeeze-and-excitation (global pooling)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ChannelAttention"]


class ChannelAttention(nn.Module):
    """Channel attention that re-weights feature maps with sigmoid gates.

    Two variants:

    * ``pooled=False`` (default): the module of the DSA deblurring paper read literally: a 3x3 convolution + ReLU
      reducing the channels to ``C // reduction``, a 1x1 convolution restoring ``C`` channels, and a sigmoid giving
      the weights that multiply the features. The weights are computed by convolutions on the feature maps, so they
      vary per pixel as well as per channel (no global pooling).
    * ``pooled=True``: squeeze-and-excitation style (as in RCAN): global average pooling, 1x1 conv + ReLU reducing
      the channels, 1x1 conv restoring them, sigmoid; one weight per channel and sample.

    Args:
        channels: feature channels ``C``.
        reduction: channel reduction ratio; the hidden width is ``max(1, C // reduction)``.
        pooled: use global average pooling (squeeze-and-excitation) instead of the convolutional gate.
    """

    def __init__(self, channels: int, reduction: int = 4, pooled: bool = False) -> None:
        super().__init__()
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f"ChannelAttention: channels must be a positive int, got {channels!r}.")
        if not isinstance(reduction, int) or reduction < 1:
            raise ValueError(f"ChannelAttention: reduction must be a positive int, got {reduction!r}.")
        self.channels = channels
        self.pooled = pooled
        hidden = max(1, channels // reduction)
        if pooled:
            self.gate = nn.Sequential(
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(channels, hidden, kernel_size=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(hidden, channels, kernel_size=1),
                nn.Sigmoid(),
            )
        else:
            self.gate = nn.Sequential(
                nn.Conv2d(channels, hidden, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(hidden, channels, kernel_size=1),
                nn.Sigmoid(),
            )

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights in (0, 1): ``(B, C, H, W)`` (or ``(B, C, 1, 1)`` when ``pooled``)."""
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"ChannelAttention: expected input (B, {self.channels}, H, W), got shape {tuple(x.shape)}."
            )
        return self.gate(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, C, H, W)``: ``x * weights(x)``."""
        return x * self.weights(x)
