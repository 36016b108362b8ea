# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Differentiable warping operators (PyTorch reference; Triton kernels on CUDA when available).

Every operator is a function and an ``nn.Module``. Flows are ``(B, 2, H, W)`` in pixels, channel 0 = x (columns),
channel 1 = y (rows). Operators with a Triton kernel take ``backend="auto" | "torch" | "triton"``: ``"auto"`` uses
the kernels for CUDA tensors when the optional dependency Triton is installed (``pip install monai-angio[triton]``)
and the PyTorch reference otherwise.
"""

from ._backend import BACKENDS, triton_available
from .adaptive_warp import BILINEAR_TAPS, AdaptiveWarp, adaptive_warp
from .backward_warp import BackwardWarp, backward_warp, check_image_flow
from .correlation import Correlation, correlation
from .flow_projection import DepthAwareFlowProjection, depth_aware_flow_projection, fill_flow_holes
from .forward_splat import SPLAT_MODES, ForwardSplat, forward_splat

__all__ = [
    "BACKENDS",
    "BILINEAR_TAPS",
    "SPLAT_MODES",
    "AdaptiveWarp",
    "BackwardWarp",
    "Correlation",
    "DepthAwareFlowProjection",
    "ForwardSplat",
    "adaptive_warp",
    "backward_warp",
    "check_image_flow",
    "correlation",
    "depth_aware_flow_projection",
    "fill_flow_holes",
    "forward_splat",
    "triton_available",
]
