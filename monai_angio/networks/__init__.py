# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Networks of monai_angio: one module per architecture, shared blocks in :mod:`monai_angio.networks.blocks`."""

from .blocks import ChannelAttention, DenseLayer, ResidualDenseBlock
from .rdn import RDNDeblur

__all__ = ["ChannelAttention", "DenseLayer", "RDNDeblur", "ResidualDenseBlock"]
from .blocks import InterFrameLambda, MoStBlock  # noqa: E402
from .most_dsa import MOST_DSA_CONFIGS, MoStDSA, MoStEncoder, MoStFlowHead, MoStRefiner  # noqa: E402
from .wrappers import TwoFrameImageWrapper  # noqa: E402

__all__ += ["InterFrameLambda", "MOST_DSA_CONFIGS", "MoStBlock", "MoStDSA"]
__all__ += ["MoStEncoder", "MoStFlowHead", "MoStRefiner"]
__all__ += ["TwoFrameImageWrapper"]
from .self_ensemble import SelfEnsemble  # noqa: E402

__all__ += ["SelfEnsemble"]
from .ensemble import InterpolatorEnsemble  # noqa: E402

__all__ += ["InterpolatorEnsemble"]
from .global_motion import (  # noqa: E402
    MOTION_MODELS,
    GlobalMotionCompensation,
    align_pair,
    check_global_motion,
    estimate_global_motion,
    fit_global_motion,
    is_identity,
    restore_times,
    transform_power,
    warp_global,
)

__all__ += ["MOTION_MODELS", "GlobalMotionCompensation", "align_pair", "check_global_motion", "estimate_global_motion"]
__all__ += ["fit_global_motion", "is_identity", "restore_times", "transform_power", "warp_global"]
