# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Loss selection by name for configs: ``build_loss("l1+perceptual", weights={"perceptual": 0.1})``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ._utils import check_pair, flatten_frames
from .charbonnier import CharbonnierLoss
from .laplacian import LaplacianPyramidLoss
from .perceptual import PerceptualLoss, PerceptualStyleLoss, StyleLoss

__all__ = ["LOSS_NAMES", "CombinedLoss", "FlattenFrames", "build_loss"]


class FlattenFrames(nn.Module):
    """Apply a ``(B, C, H, W)`` loss to ``(B, N, C, H, W)`` inputs by flattening the frames into the batch."""

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        name = type(self.loss).__name__
        check_pair(input, target, name)
        return self.loss(flatten_frames(input, name), flatten_frames(target, name))


class CombinedLoss(nn.Module):
    """Weighted sum of named losses; the detached value of each term after a call is in ``last_values``.

    Args:
        losses: ``{name: loss module}``, each called as ``loss(input, target)``.
        weights: ``{name: weight}`` (missing names weigh 1).
    """

    def __init__(self, losses: Mapping[str, nn.Module], weights: Mapping[str, float] | None = None) -> None:
        super().__init__()
        if not losses:
            raise ValueError("CombinedLoss: needs at least one loss.")
        weights = dict(weights or {})
        unknown = set(weights) - set(losses)
        if unknown:
            raise ValueError(f"CombinedLoss: weights for unknown terms {sorted(unknown)}; terms are {list(losses)}.")
        self.terms = nn.ModuleDict(dict(losses))
        self.weights = {name: float(weights.get(name, 1.0)) for name in losses}
        self.last_values: dict[str, torch.Tensor] = {}

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = None
        for name, loss in self.terms.items():
            value = loss(input, target)
            self.last_values[name] = value.detach()
            total = self.weights[name] * value if total is None else total + self.weights[name] * value
        return total


def _ssim(**kw: Any) -> nn.Module:
    from monai.losses import SSIMLoss  # imported here: monai.losses is slow to import

    kw.setdefault("data_range", 1.0)
    return FlattenFrames(SSIMLoss(spatial_dims=2, **kw))


_FACTORIES: dict[str, Callable[..., nn.Module]] = {
    "l1": nn.L1Loss,
    "l2": nn.MSELoss,
    "mse": nn.MSELoss,
    "charbonnier": CharbonnierLoss,
    "laplacian": LaplacianPyramidLoss,
    "ssim": _ssim,
    "perceptual": PerceptualLoss,
    "style": StyleLoss,
}
_VGG_TERMS = ("perceptual", "style")

#: names accepted by :func:`build_loss` (combine them with ``+``)
LOSS_NAMES = tuple(_FACTORIES)


def build_loss(
    name: str,
    weights: Mapping[str, float] | None = None,
    weights_path: str | Path | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build a loss from its name, for configs.

    Names: ``l1``, ``l2`` (``mse``), ``charbonnier``, ``laplacian``, ``ssim`` (MONAI ``SSIMLoss``, data range 1,
    returning ``1 - SSIM``), ``perceptual``, ``style``, or a sum of them joined by ``+`` (``"l1+perceptual"``). When
    ``perceptual`` and ``style`` are combined they share one VGG19 pass.

    Args:
        name: loss name, case-insensitive.
        weights: ``{term: weight}`` for a combination (default 1 each).
        weights_path: local VGG19 state-dict file for the perceptual and style terms.
        kwargs: for a single loss, its constructor arguments; for a combination, ``term=dict(...)`` per term.

    Returns:
        a module called as ``loss(input, target)`` -> scalar.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"build_loss: name must be a non-empty string, got {name!r}.")
    terms = [part.strip().lower() for part in name.split("+")]
    unknown = [t for t in terms if t not in _FACTORIES]
    if unknown:
        raise ValueError(f"build_loss: unknown loss {unknown} in {name!r}; known: {list(LOSS_NAMES)}.")
    if len(set(terms)) != len(terms):
        raise ValueError(f"build_loss: repeated term in {name!r}.")
    weights = dict(weights or {})
    if len(terms) == 1 and not weights:
        term = terms[0]
        if term in _VGG_TERMS:
            kwargs.setdefault("weights_path", weights_path)
        return _FACTORIES[term](**kwargs)

    bad = [k for k in kwargs if k not in terms or not isinstance(kwargs[k], Mapping)]
    if bad:
        raise ValueError(f"build_loss: for a combination pass keyword arguments as term=dict(...), got {bad}.")
    losses: dict[str, nn.Module] = {}
    if all(t in terms for t in _VGG_TERMS):
        p_kw, s_kw = dict(kwargs.get("perceptual", {})), dict(kwargs.get("style", {}))
        loss = PerceptualStyleLoss(
            perceptual_layers=p_kw.pop("layers", PerceptualLoss._default_layers),
            style_layers=s_kw.pop("layers", StyleLoss._default_layers),
            perceptual_weight=weights.pop("perceptual", 1.0),
            style_weight=weights.pop("style", 1.0),
            perceptual_layer_weights=p_kw.pop("layer_weights", None),
            style_layer_weights=s_kw.pop("layer_weights", None),
            weights_path=p_kw.pop("weights_path", s_kw.pop("weights_path", weights_path)),
            criterion=p_kw.pop("criterion", s_kw.pop("criterion", "l1")),
        )
        if p_kw or s_kw:
            raise ValueError(f"build_loss: unsupported perceptual/style arguments {sorted({**p_kw, **s_kw})}.")
    for term in terms:
        if term in _VGG_TERMS and all(t in terms for t in _VGG_TERMS):
            if "perceptual+style" not in losses:
                losses["perceptual+style"] = loss
            continue
        kw = dict(kwargs.get(term, {}))
        if term in _VGG_TERMS:
            kw.setdefault("weights_path", weights_path)
        losses[term] = _FACTORIES[term](**kw)
    return CombinedLoss(losses, weights)
