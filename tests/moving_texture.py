# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Test data for global motion: a smooth random texture moved by a rotation and a shift per frame."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from monai_angio.networks import transform_power, warp_global


def similarity(deg: float, scale: float, tx: float, ty: float) -> torch.Tensor:
    """``(3, 3)`` float64 rotation by ``deg`` degrees, isotropic ``scale`` and shift ``(tx, ty)`` pixels."""
    a = math.radians(deg)
    return torch.tensor(
        [[scale * math.cos(a), -scale * math.sin(a), tx], [scale * math.sin(a), scale * math.cos(a), ty], [0, 0, 1]],
        dtype=torch.float64,
    )


def texture(size: int = 128, seed: int = 0) -> torch.Tensor:
    """``(1, 1, size, size)`` smooth random texture in [0.2, 0.8] (trackable by optical flow)."""
    g = torch.Generator().manual_seed(seed)
    x = F.interpolate(torch.rand(1, 1, size // 8, size // 8, generator=g), size=(size, size), mode="bicubic")
    x = x + 0.3 * F.interpolate(torch.rand(1, 1, size // 4, size // 4, generator=g), size=(size, size), mode="bilinear")
    return 0.2 + 0.6 * (x - x.min()) / (x.max() - x.min())


def moving_texture(frames: int, deg: float, px: float, size: int = 128, seed: int = 0) -> torch.Tensor:
    """``(frames, 1, size, size)``: frame ``i`` is the texture moved ``i`` times by ``similarity(deg, 1, px, px/2)``."""
    base = texture(size, seed)
    step = similarity(deg, 1.0, px, px / 2)
    # the content of frame i at p is the texture at T^-i p: it moved by T^i
    return torch.cat([warp_global(base, transform_power(step, -i)[None]) for i in range(frames)])
