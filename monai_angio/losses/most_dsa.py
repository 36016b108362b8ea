# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The MoSt-DSA training loss: Laplacian-pyramid l1, VGG19 perceptual and style losses with an epoch schedule."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from .laplacian import LaplacianPyramidLoss
from .perceptual import PerceptualLoss, StyleLoss, VGG19Features

__all__ = ["MOST_DSA_VGG_LAYERS", "MOST_DSA_VGG_LAYER_WEIGHTS", "MoStDSALoss"]

#: VGG19 activations of the paper's perceptual and style terms (its "conv1_2 ... conv5_2", taken after the ReLU)
MOST_DSA_VGG_LAYERS = ("relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2")
#: the paper's per-layer weights
MOST_DSA_VGG_LAYER_WEIGHTS = (1.0 / 2.6, 1.0 / 4.8, 1.0 / 3.7, 1.0 / 5.6, 10.0 / 1.5)


class MoStDSALoss(nn.Module):
    """``w_lap * LapL1 + w_perc * perceptual + w_style(epoch) * style`` on ``(B, N, C, H, W)`` predictions.

    The paper's weights: Laplacian-pyramid l1 (5 levels) 1.0, perceptual (l1 between VGG19 activations) 0.25, style
    (l2 between Gram matrices) 40.0, the style term switched on from epoch ``style_start_epoch`` (1-based, as Ignite
    counts; the paper's schedule turns it on after the first epoch). Call :meth:`set_epoch` at the start of each
    epoch (:class:`~monai_angio.engines.SetEpochHandler` does it in Ignite workflows).

    The VGG19 features come from ``vgg_weights_path`` (a local torchvision VGG19 state dict); without one they are
    random and :class:`~monai_angio.losses.VGG19Features` warns. The network is only built when a VGG term has a
    non-zero weight. Note the feature scale differs from the paper's (inputs normalised with the ImageNet mean and
    standard deviation in [0, 1] here, mean-subtracted 0..255 values there), so equal weights give a different balance.

    Args:
        laplacian_weight, perceptual_weight, style_weight: term weights.
        style_start_epoch: first epoch with the style term.
        laplacian_levels: pyramid levels.
        vgg_weights_path: local VGG19 weights.
        vgg_layers, vgg_layer_weights: layers and per-layer weights of both VGG terms.
    """

    def __init__(
        self,
        laplacian_weight: float = 1.0,
        perceptual_weight: float = 0.25,
        style_weight: float = 40.0,
        style_start_epoch: int = 2,
        laplacian_levels: int = 5,
        vgg_weights_path: str | Path | None = None,
        vgg_layers: Sequence[str] = MOST_DSA_VGG_LAYERS,
        vgg_layer_weights: Sequence[float] | None = MOST_DSA_VGG_LAYER_WEIGHTS,
    ) -> None:
        super().__init__()
        for name, value in (
            ("laplacian_weight", laplacian_weight),
            ("perceptual_weight", perceptual_weight),
            ("style_weight", style_weight),
        ):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"MoStDSALoss: {name} must be a number >= 0, got {value!r}.")
        self.laplacian_weight = float(laplacian_weight)
        self.perceptual_weight = float(perceptual_weight)
        self.style_weight = float(style_weight)
        self.style_start_epoch = int(style_start_epoch)
        self.epoch = 1
        self.laplacian = LaplacianPyramidLoss(levels=laplacian_levels)
        self.features: VGG19Features | None = None
        if self.perceptual_weight > 0 or self.style_weight > 0:
            self.features = VGG19Features(tuple(vgg_layers), vgg_weights_path)
            self.perceptual = PerceptualLoss(vgg_layers, vgg_layer_weights, criterion="l1", features=self.features)
            self.style = StyleLoss(vgg_layers, vgg_layer_weights, criterion="l2", features=self.features)
        self.last_values: dict[str, float] = {}

    def set_epoch(self, epoch: int) -> None:
        """Set the current (1-based) epoch, which switches the style term on or off."""
        self.epoch = int(epoch)

    @property
    def current_style_weight(self) -> float:
        """Style weight at the current epoch."""
        return self.style_weight if self.epoch >= self.style_start_epoch else 0.0

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Scalar loss of ``input`` and ``target`` ``(B, N, C, H, W)`` (or ``(B, C, H, W)``) in [0, 1]."""
        if input.shape != target.shape:
            raise ValueError(f"MoStDSALoss: input {tuple(input.shape)} and target {tuple(target.shape)} differ.")
        total = self.laplacian_weight * self.laplacian(input, target)
        self.last_values = {"laplacian": float(total.detach()) / max(self.laplacian_weight, 1e-12)}
        w_style = self.current_style_weight
        if self.features is not None and (self.perceptual_weight > 0 or w_style > 0):
            x = input.flatten(0, 1) if input.ndim == 5 else input
            y = target.flatten(0, 1) if target.ndim == 5 else target
            fx = self.features(x)
            with torch.no_grad():
                fy = self.features(y)
            if self.perceptual_weight > 0:
                p = self.perceptual.feature_loss(fx, fy)
                total = total + self.perceptual_weight * p
                self.last_values["perceptual"] = float(p.detach())
            if w_style > 0:
                s = self.style.feature_loss(fx, fy)
                total = total + w_style * s
                self.last_values["style"] = float(s.detach())
        return total
