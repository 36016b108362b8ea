# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.networks.blocks.most_block (MoSt block)."""

from __future__ import annotations

import pytest
import torch

from monai_angio.networks.blocks import ChannelLayerNorm, MoStBlock


def test_channel_layer_norm_normalises_each_pixel():
    x = torch.rand(2, 6, 4, 5) * 3 + 1
    y = ChannelLayerNorm(6)(x)
    torch.testing.assert_close(y.mean(1), torch.zeros(2, 4, 5), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(1, unbiased=False), torch.ones(2, 4, 5), atol=1e-3, rtol=0)


def test_block_shapes_and_gradients():
    block = MoStBlock(16, motion_dim=8, dim_k=4, heads=2, kernel_size=3, mlp_ratio=2.0)
    x = torch.rand(4, 16, 6, 6, requires_grad=True)
    y, m = block(x)
    assert y.shape == x.shape and m.shape == (4, 8, 6, 6)
    (y.sum() + m.sum()).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in block.parameters())


def test_block_errors():
    with pytest.raises(ValueError, match="mlp_ratio"):
        MoStBlock(8, motion_dim=4, mlp_ratio=0.0)
