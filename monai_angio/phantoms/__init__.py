# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Digital phantoms: angiography cine (vessel tree, contrast bolus, cardiac motion, X-ray noise), focal-spot blur."""

from .angiography import AngiographyPhantom, cardiac_waveform, gamma_variate
from .focal_spot import (
    FOCAL_SPOT_PROFILES,
    KERNEL_CHANNEL_SCALE,
    FocalSpotBlur,
    RandFocalSpotBlurd,
    apply_kernel,
    focal_spot_kernel,
    geometric_unsharpness_mm,
    kernel_channel_value,
    kernel_sigma,
)
from .vessel_tree import VesselSegment, grow_vessel_tree, rasterize_vessel_tree

__all__ = [
    "FOCAL_SPOT_PROFILES",
    "KERNEL_CHANNEL_SCALE",
    "AngiographyPhantom",
    "FocalSpotBlur",
    "RandFocalSpotBlurd",
    "VesselSegment",
    "apply_kernel",
    "cardiac_waveform",
    "focal_spot_kernel",
    "gamma_variate",
    "geometric_unsharpness_mm",
    "grow_vessel_tree",
    "kernel_channel_value",
    "kernel_sigma",
    "rasterize_vessel_tree",
]
