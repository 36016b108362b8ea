# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Digital phantoms: a 2D angiography cine (vessel tree, contrast bolus, cardiac motion, X-ray noise), a 3D
angiography phantom projected by a C-arm (vessel trees in a head or on a beating heart, contrast dynamics in 3D),
labelled MR/CT head volumes, focal-spot blur."""

from .anatomy import Ellipsoids, head_body, thorax_body
from .angiography import AngiographyPhantom, cardiac_waveform, gamma_variate
from .angiography3d import MU_IODINE, PHANTOM_MODES, Angiography3DPhantom, VesselPieces, bolus_curve
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
from .head_volumes import HEAD_LABELS, HEAD_TISSUES, HeadTissue, head_ct_mr, head_label_volume, tissue_values
from .vessel_tree import VesselSegment, grow_vessel_tree, rasterize_vessel_tree
from .vessel_tree3d import (
    VesselTree3D,
    add_aneurysm,
    ellipsoid_inside,
    ellipsoid_surface,
    grow_vessel_tree_3d,
)

__all__ = [
    "HEAD_LABELS",
    "HEAD_TISSUES",
    "HeadTissue",
    "head_ct_mr",
    "head_label_volume",
    "tissue_values",
    "MU_IODINE",
    "PHANTOM_MODES",
    "Angiography3DPhantom",
    "Ellipsoids",
    "VesselPieces",
    "VesselTree3D",
    "add_aneurysm",
    "bolus_curve",
    "ellipsoid_inside",
    "ellipsoid_surface",
    "grow_vessel_tree_3d",
    "head_body",
    "thorax_body",
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
