# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Residual dense network with channel attention for DSA deblurring at full resolution."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from .blocks import ChannelAttention, ResidualDenseTrunk

__all__ = ["RDNDeblur"]


class RDNDeblur(ResidualDenseTrunk):
    """Residual dense network (RDN) adapted to image restoration, with a channel-attention module.

    Architecture (no upsampling; every layer keeps the input size, so any ``H, W`` works):

    1. shallow feature extraction: ``f_1 = conv3x3(x)``, ``f_0 = conv3x3(f_1)``;
    2. a cascade of ``num_blocks`` residual dense blocks, each ``num_layers`` densely connected conv + ReLU layers
       with growth rate ``growth_rate``, local feature fusion (1x1 conv) and a local residual;
    3. dense feature fusion: concatenation of all block outputs, 1x1 conv, 3x3 conv, plus the global residual
       ``f_1`` (the first shallow features, as in RDN);
    4. channel attention (:class:`~monai_angio.networks.blocks.ChannelAttention`; by default the convolutional gate
       3x3 conv + ReLU reducing the channels, 1x1 conv restoring them, sigmoid weights multiplying the features);
    5. a final 3x3 conv to the image channels and, with ``residual=True``, a global residual to the input image (its
       first ``out_channels`` channels: further input channels can carry context, e.g. the mean of the neighbouring
       frames of a cine), so the network predicts the sharpening residual.

    With ``zero_init_last=True`` the final convolution starts at zero, so the untrained network is the identity
    (``residual=True``): training starts from "output = blurred input" and learns the correction.

    Args:
        in_channels: image channels of the input.
        out_channels: image channels of the output; defaults to ``in_channels``.
        num_features: feature width of the shallow features, the blocks and the fusion.
        num_blocks: number of residual dense blocks.
        num_layers: dense layers per block.
        growth_rate: channels added by each dense layer.
        reduction: channel-attention reduction ratio.
        pooled_attention: use squeeze-and-excitation (global pooling) channel attention instead of the conv gate.
        residual: add the first ``out_channels`` input channels to the output (requires
            ``out_channels <= in_channels``).
        zero_init_last: initialise the final convolution with zeros.
        channels_last: keep the convolution weights in channels-last memory format, so every feature map is computed
            in it too (on this CPU with oneDNN a 1024² frame took 4.7 s instead of 8.4 s and a training step 2.0 s
            instead of 3.1 s, ``docs/benchmarks.md``; the same results up to float rounding; ``state_dict`` is
            unaffected).

    Shapes:
        input ``(B, in_channels, H, W)`` float, typically in [0, 1]; output ``(B, out_channels, H, W)`` (not clamped).
    """

    stride: int = 1

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int | None = None,
        num_features: int = 32,
        num_blocks: int = 6,
        num_layers: int = 4,
        growth_rate: int = 16,
        reduction: int = 4,
        pooled_attention: bool = False,
        residual: bool = True,
        zero_init_last: bool = True,
        channels_last: bool = True,
    ) -> None:
        out_channels = in_channels if out_channels is None else out_channels
        for name, value in (
            ("in_channels", in_channels),
            ("out_channels", out_channels),
            ("num_features", num_features),
            ("num_blocks", num_blocks),
            ("num_layers", num_layers),
            ("growth_rate", growth_rate),
            ("reduction", reduction),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"RDNDeblur: {name} must be a positive int, got {value!r}.")
        if residual and out_channels > in_channels:
            raise ValueError(
                f"RDNDeblur: residual=True needs out_channels <= in_channels, got {out_channels} and {in_channels}."
            )
        super().__init__(in_channels, num_features, num_blocks, num_layers, growth_rate)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.residual = residual

        self.attention = ChannelAttention(num_features, reduction=reduction, pooled=pooled_attention)
        self.last = nn.Conv2d(num_features, out_channels, 3, padding=1)
        if zero_init_last:
            nn.init.zeros_(self.last.weight)
            nn.init.zeros_(self.last.bias)
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @staticmethod
    def num_blocks_in(state_dict: Mapping[str, torch.Tensor]) -> int:
        """The number of residual dense blocks of RDNDeblur weights (a ``state_dict``), to rebuild their network."""
        blocks = {key.split(".")[1] for key in state_dict if key.startswith("blocks.")}
        if not blocks:
            raise ValueError("RDNDeblur.num_blocks_in: the state dict has no 'blocks.*' weights (not an RDNDeblur).")
        return len(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, H, W)`` -> ``(B, out_channels, H, W)``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"RDNDeblur: input must be a torch.Tensor, got {type(x).__name__}.")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"RDNDeblur: expected input (B, {self.in_channels}, H, W), got shape {tuple(x.shape)}.")
        h = self.attention(self.features(x))
        out = self.last(h)
        return out + x[:, : self.out_channels] if self.residual else out
