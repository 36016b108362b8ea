# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Losses: Charbonnier, Laplacian pyramid, VGG19/VGG16 perceptual and style (Gram), the MoSt-DSA loss, a factory."""

from .charbonnier import CharbonnierLoss, charbonnier_loss
from .factory import LOSS_NAMES, CombinedLoss, FlattenFrames, build_loss
from .laplacian import LaplacianPyramidLoss, laplacian_pyramid, reconstruct_laplacian_pyramid
from .most_dsa import MOST_DSA_VGG_LAYER_WEIGHTS, MOST_DSA_VGG_LAYERS, MoStDSALoss
from .perceptual import (
    VGG16_LAYERS,
    VGG19_LAYERS,
    VGG_NORMALIZATIONS,
    PerceptualLoss,
    PerceptualStyleLoss,
    StyleLoss,
    VGG16Features,
    VGG19Features,
    gram_matrix,
)

__all__ = [
    "LOSS_NAMES",
    "MOST_DSA_VGG_LAYERS",
    "MOST_DSA_VGG_LAYER_WEIGHTS",
    "MoStDSALoss",
    "VGG16_LAYERS",
    "VGG19_LAYERS",
    "VGG_NORMALIZATIONS",
    "CharbonnierLoss",
    "CombinedLoss",
    "FlattenFrames",
    "LaplacianPyramidLoss",
    "PerceptualLoss",
    "PerceptualStyleLoss",
    "StyleLoss",
    "VGG16Features",
    "VGG19Features",
    "build_loss",
    "charbonnier_loss",
    "gram_matrix",
    "laplacian_pyramid",
    "reconstruct_laplacian_pyramid",
]
