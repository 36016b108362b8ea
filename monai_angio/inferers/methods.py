# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Interpolation methods by name: the baselines and the interpolation bundles."""

from __future__ import annotations

import torch
from torch import nn

from monai_angio.bundles import bundles_of_task, find_bundle, load_bundle_network
from monai_angio.options import InterpolationOptions

__all__ = ["available_methods", "get_interpolator", "is_network_method", "recommended_options"]


def available_methods() -> list[str]:
    """Names accepted by :func:`get_interpolator`: the baselines, then the interpolation bundles present."""
    from monai_angio.baselines import BASELINES

    return list(BASELINES) + bundles_of_task("interpolation")


def is_network_method(method: str) -> bool:
    """Whether ``method`` names a network (a bundle or bundle folder) rather than a baseline."""
    from monai_angio.baselines import BASELINES

    return method not in BASELINES


def get_interpolator(method: str, device: torch.device | str | None = None) -> nn.Module:
    """Return the interpolator called ``method``: a baseline name, an interpolation bundle name or a bundle folder.

    Raises:
        ValueError: for an unknown method, listing the valid ones.
    """
    from monai_angio.baselines import BASELINES, get_baseline

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if method in BASELINES:
        return get_baseline(method).to(device)
    _check_method(method)
    return load_bundle_network(method, device)


def recommended_options(method: str) -> InterpolationOptions:
    """The test-time options a method is meant to run with: a bundle's ``inference.json`` options (what ``python -m
    monai.bundle run`` uses), all off for a baseline.

    Raises:
        ValueError: for an unknown method, listing the valid ones.
    """
    if not is_network_method(method):
        return InterpolationOptions()
    _check_method(method)
    return InterpolationOptions.from_bundle(method)


def _check_method(method: str) -> None:
    """Raise the unknown-method error unless ``method`` names a bundle (by name or as a folder)."""
    if find_bundle(method) is None:
        raise ValueError(f"unknown interpolation method {method!r}; available: {', '.join(available_methods())}.")
