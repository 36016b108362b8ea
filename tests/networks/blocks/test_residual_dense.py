# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.networks.blocks import DenseLayer, ResidualDenseBlock


def test_dense_layer_concatenates_growth():
    layer = DenseLayer(6, 4)
    x = torch.rand(2, 6, 9, 7)
    y = layer(x)
    assert y.shape == (2, 10, 9, 7)
    torch.testing.assert_close(y[:, :6], x)  # the input is passed through
    assert (y[:, 6:] >= 0).all()  # ReLU outputs


@pytest.mark.parametrize("channels,growth,layers", [(8, 4, 3), (5, 16, 1)])
def test_block_shape_and_parameters(channels, growth, layers):
    block = ResidualDenseBlock(channels, growth, layers)
    x = torch.rand(2, channels, 11, 13)
    assert block(x).shape == x.shape
    expected = sum((channels + i * growth) * growth * 9 + growth for i in range(layers))
    expected += (channels + layers * growth) * channels + channels
    assert sum(p.numel() for p in block.parameters()) == expected
    assert block.fusion.in_channels == channels + layers * growth


def test_local_residual_and_dense_connections():
    block = ResidualDenseBlock(4, 3, 2)
    x = torch.rand(1, 4, 8, 8)
    nn.init.zeros_(block.fusion.weight)
    nn.init.zeros_(block.fusion.bias)
    torch.testing.assert_close(block(x), x)  # zero fusion: only the local residual remains
    # the fusion sees the block input directly (dense connection): weight on the input channels only
    with torch.no_grad():
        block.fusion.weight[:, :4, 0, 0] = torch.eye(4)
    torch.testing.assert_close(block(x), 2 * x)


def test_block_errors():
    with pytest.raises(ValueError):
        ResidualDenseBlock(0)
    with pytest.raises(ValueError):
        ResidualDenseBlock(4, kernel_size=2)
    with pytest.raises(ValueError):
        ResidualDenseBlock(4)(torch.rand(1, 3, 8, 8))
