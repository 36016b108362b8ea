"""Building blocks shared by the networks of monai_angio."""

from .channel_attention import ChannelAttention
from .residual_dense import DenseLayer, ResidualDenseBlock

__all__ = ["ChannelAttention", "DenseLayer", "ResidualDenseBlock"]
