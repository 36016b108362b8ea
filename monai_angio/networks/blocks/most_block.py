# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""MoSt block: inter-frame lambda layer and convolutional MLP, modelling motion and structure between two frames."""

from __future__ import annotations

import torch
from torch import nn

from .lambda_layer import InterFrameLambda

__all__ = ["ChannelLayerNorm", "ConvMlp", "MoStBlock"]


class ChannelLayerNorm(nn.Module):
    """Layer normalisation over the channels of a ``(B, C, H, W)`` tensor (each pixel normalised on its own)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvMlp(nn.Module):
    """Pointwise MLP with a depthwise 3x3 convolution in its hidden layer: ``fc -> dwconv -> GELU -> fc``."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.dwconv(self.fc1(x))))


class MoStBlock(nn.Module):
    """One MoSt block: ``x + lambda(LN(x))`` then ``x + MLP(LN(x))``; also returns the block's motion features.

    Args:
        dim: channels ``C``.
        motion_dim: channels of the motion features.
        dim_k: lambda query/key depth.
        heads: lambda queries per position.
        dim_u: lambda intra-depth.
        kernel_size: size of the local positional lambdas.
        mlp_ratio: hidden width of the MLP relative to ``C``.

    Shapes:
        ``x``: ``(2B, C, H, W)`` (frame 0 items then frame 1 items); returns ``((2B, C, H, W),
        (2B, motion_dim, H, W))``.
    """

    def __init__(
        self,
        dim: int,
        motion_dim: int,
        dim_k: int = 16,
        heads: int = 4,
        dim_u: int = 1,
        kernel_size: int = 15,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        if mlp_ratio <= 0:
            raise ValueError(f"MoStBlock: mlp_ratio must be positive, got {mlp_ratio}.")
        self.norm1 = ChannelLayerNorm(dim)
        self.attn = InterFrameLambda(dim, dim, dim_k, heads, dim_u, kernel_size, motion_dim)
        self.norm2 = ChannelLayerNorm(dim)
        self.mlp = ConvMlp(dim, max(1, int(round(dim * mlp_ratio))))

    def forward(self, x: torch.Tensor, coords: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        structure, motion = self.attn(self.norm1(x), coords)
        x = x + structure
        x = x + self.mlp(self.norm2(x))
        return x, motion
