# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Building blocks shared by the networks of monai_angio."""

from .channel_attention import ChannelAttention
from .residual_dense import DenseLayer, ResidualDenseBlock, ResidualDenseTrunk

__all__ = ["ChannelAttention", "DenseLayer", "ResidualDenseBlock", "ResidualDenseTrunk"]
from .lambda_layer import InterFrameLambda, normalized_coordinates  # noqa: E402
from .most_block import ChannelLayerNorm, ConvMlp, MoStBlock  # noqa: E402

__all__ += ["ChannelLayerNorm", "ConvMlp", "InterFrameLambda", "MoStBlock", "normalized_coordinates"]
