# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.networks.blocks import ChannelAttention


def test_conv_gate_shapes_and_range():
    torch.manual_seed(0)
    ca = ChannelAttention(8, reduction=4)
    x = torch.randn(2, 8, 10, 12)
    w = ca.weights(x)
    assert w.shape == x.shape
    assert (w > 0).all() and (w < 1).all()
    torch.testing.assert_close(ca(x), x * w)
    assert ca.gate[0].kernel_size == (3, 3) and ca.gate[0].out_channels == 2
    assert ca.gate[2].kernel_size == (1, 1) and ca.gate[2].out_channels == 8
    # the convolutional gate is spatially varying
    assert w.std(dim=(2, 3)).max() > 1e-4


def test_pooled_gate_is_one_weight_per_channel():
    torch.manual_seed(0)
    ca = ChannelAttention(8, reduction=2, pooled=True)
    x = torch.randn(3, 8, 7, 5)
    w = ca.weights(x)
    assert w.shape == (3, 8, 1, 1)
    assert ca(x).shape == x.shape
    torch.testing.assert_close(ca(x), x * w)


@pytest.mark.parametrize("pooled", [False, True])
def test_zero_gate_halves_features(pooled):
    ca = ChannelAttention(6, reduction=3, pooled=pooled)
    last = [m for m in ca.gate if isinstance(m, nn.Conv2d)][-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    x = torch.randn(1, 6, 5, 5)
    torch.testing.assert_close(ca(x), 0.5 * x)


def test_reduction_larger_than_channels_and_errors():
    ca = ChannelAttention(3, reduction=16)
    assert ca.gate[0].out_channels == 1
    with pytest.raises(ValueError):
        ChannelAttention(0)
    with pytest.raises(ValueError):
        ChannelAttention(4, reduction=0)
    with pytest.raises(ValueError):
        ca(torch.rand(1, 4, 5, 5))
