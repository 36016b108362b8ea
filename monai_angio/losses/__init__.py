# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Losses: Charbonnier, Laplacian pyramid, VGG19 feature (perceptual) and style (Gram), and a name-based factory."""

from .charbonnier import CharbonnierLoss, charbonnier_loss
from .factory import LOSS_NAMES, CombinedLoss, FlattenFrames, build_loss
from .laplacian import LaplacianPyramidLoss, laplacian_pyramid, reconstruct_laplacian_pyramid
from .perceptual import VGG19_LAYERS, PerceptualLoss, PerceptualStyleLoss, StyleLoss, VGG19Features, gram_matrix

__all__ = [
    "LOSS_NAMES",
    "VGG19_LAYERS",
    "CharbonnierLoss",
    "CombinedLoss",
    "FlattenFrames",
    "LaplacianPyramidLoss",
    "PerceptualLoss",
    "PerceptualStyleLoss",
    "StyleLoss",
    "VGG19Features",
    "build_loss",
    "charbonnier_loss",
    "gram_matrix",
    "laplacian_pyramid",
    "reconstruct_laplacian_pyramid",
]
