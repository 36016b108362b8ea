# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Residual dense block (Zhang et al., "Residual Dense Network for Image Super-Resolution", CVPR 2018)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DenseLayer", "ResidualDenseBlock", "ResidualDenseTrunk"]


class DenseLayer(nn.Module):
    """One densely connected layer: ``cat(x, relu(conv(x)))``.

    Args:
        in_channels: channels of the input (all previous feature maps of the block).
        growth_rate: channels added by this layer.
        kernel_size: odd convolution kernel size.
    """

    def __init__(self, in_channels: int, growth_rate: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, growth_rate, kernel_size, padding=kernel_size // 2)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, C + growth_rate, H, W)``."""
        return torch.cat((x, self.act(self.conv(x))), dim=1)


class ResidualDenseBlock(nn.Module):
    """Residual dense block: densely connected conv + ReLU layers, local feature fusion, local residual.

    ``out = x + lff(cat(x, h_1, ..., h_L))`` where ``h_i = relu(conv(cat(x, h_1, ..., h_{i-1})))`` and ``lff`` is a
    1x1 convolution back to ``channels``. Spatial size and channel count are preserved.

    Args:
        channels: input and output channels ``C``.
        growth_rate: channels added by each dense layer ``G``.
        num_layers: number of dense layers ``L``.
        kernel_size: odd kernel size of the dense layers.
    """

    def __init__(self, channels: int, growth_rate: int = 16, num_layers: int = 4, kernel_size: int = 3) -> None:
        super().__init__()
        for name, value in (("channels", channels), ("growth_rate", growth_rate), ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ResidualDenseBlock: {name} must be a positive int, got {value!r}.")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"ResidualDenseBlock: kernel_size must be a positive odd int, got {kernel_size!r}.")
        self.channels = channels
        self.layers = nn.Sequential(
            *[DenseLayer(channels + i * growth_rate, growth_rate, kernel_size) for i in range(num_layers)]
        )
        self.fusion = nn.Conv2d(channels + num_layers * growth_rate, channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, C, H, W)``."""
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(
                f"ResidualDenseBlock: expected input (B, {self.channels}, H, W), got shape {tuple(x.shape)}."
            )
        return x + self.fusion(self.layers(x))


class ResidualDenseTrunk(nn.Module):
    """The feature trunk of a residual dense network (RDN): shallow features, residual dense blocks, dense feature
    fusion with the global residual.

    ``f_1 = conv3x3(x)``, ``h = conv3x3(f_1)``, ``num_blocks`` :class:`ResidualDenseBlock` s, then the concatenated
    block outputs through a 1x1 and a 3x3 convolution plus ``f_1``. Networks built on it subclass it, so its modules
    (``shallow1``, ``shallow2``, ``blocks``, ``fusion``) keep their state-dict names.

    Args:
        in_channels: input channels.
        num_features: feature width.
        num_blocks: residual dense blocks.
        num_layers: dense layers per block.
        growth_rate: channels added by each dense layer.

    Shapes:
        ``(B, in_channels, H, W) -> (B, num_features, H, W)``.
    """

    def __init__(self, in_channels: int, num_features: int, num_blocks: int, num_layers: int, growth_rate: int) -> None:
        super().__init__()
        self.shallow1 = nn.Conv2d(in_channels, num_features, 3, padding=1)
        self.shallow2 = nn.Conv2d(num_features, num_features, 3, padding=1)
        self.blocks = nn.ModuleList(
            [ResidualDenseBlock(num_features, growth_rate, num_layers) for _ in range(num_blocks)]
        )
        self.fusion = nn.Sequential(
            nn.Conv2d(num_blocks * num_features, num_features, kernel_size=1),
            nn.Conv2d(num_features, num_features, kernel_size=3, padding=1),
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The fused features ``(B, num_features, H, W)`` of ``x`` ``(B, in_channels, H, W)``."""
        f1 = self.shallow1(x)
        h = self.shallow2(f1)
        outputs = []
        for block in self.blocks:
            h = block(h)
            outputs.append(h)
        return self.fusion(torch.cat(outputs, dim=1)) + f1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
