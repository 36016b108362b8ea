"""Networks of monai_angio: one module per architecture, shared blocks in :mod:`monai_angio.networks.blocks`."""

from .blocks import ChannelAttention, DenseLayer, ResidualDenseBlock
from .rdn import RDNDeblur

__all__ = ["ChannelAttention", "DenseLayer", "RDNDeblur", "ResidualDenseBlock"]
