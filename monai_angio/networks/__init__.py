# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Networks of monai_angio: one module per architecture, shared blocks in :mod:`monai_angio.networks.blocks`."""

from .blocks import ChannelAttention, DenseLayer, InterFrameLambda, MoStBlock, ResidualDenseBlock
from .blocks.interlaced_attention import InterlacedSparseAttention2d, interlaced_attention
from .dan import DAN, DAN_CONFIGS, DAN_EXTRACTORS, DAN_SYNTHESES
from .global_motion import (
    MOTION_MODELS,
    align_pair,
    estimate_global_motion,
    fit_global_motion,
    is_identity,
    restore_times,
    transform_power,
    warp_global,
)
from .most_dsa import MOST_DSA_CONFIGS, MoStDSA, MoStEncoder, MoStFlowHead, MoStRefiner
from .rdn import RDNDeblur
from .self_ensemble import SelfEnsemble
from .utils import pad_to_multiple
from .wrappers import TwoFrameImageWrapper

__all__ = [
    "DAN",
    "DAN_CONFIGS",
    "DAN_EXTRACTORS",
    "DAN_SYNTHESES",
    "InterlacedSparseAttention2d",
    "interlaced_attention",
    "MOST_DSA_CONFIGS",
    "MOTION_MODELS",
    "ChannelAttention",
    "DenseLayer",
    "InterFrameLambda",
    "MoStBlock",
    "MoStDSA",
    "MoStEncoder",
    "MoStFlowHead",
    "MoStRefiner",
    "RDNDeblur",
    "ResidualDenseBlock",
    "SelfEnsemble",
    "TwoFrameImageWrapper",
    "align_pair",
    "estimate_global_motion",
    "fit_global_motion",
    "is_identity",
    "pad_to_multiple",
    "restore_times",
    "transform_power",
    "warp_global",
]
