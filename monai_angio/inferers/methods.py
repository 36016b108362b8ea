# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Interpolation methods by name: the baselines and the interpolation bundles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "TEST_TIME_OPTIONS",
    "available_methods",
    "bundle_dirs",
    "bundle_test_time_options",
    "get_interpolator",
    "load_bundle_network",
]

#: bundles whose network is a two-frame interpolator usable by ``monai-angio interpolate``
INTERPOLATION_BUNDLES = ("cerebral_dsa_interpolation", "coronary_xa_interpolation", "em_slice_interpolation")

#: the ``SequenceInterpolator`` options an interpolation bundle's ``inference.json`` sets (its recommended settings)
TEST_TIME_OPTIONS = (
    "self_ensemble",
    "time_reversal",
    "adapt_steps",
    "adapt_lr",
    "denoise_anchors",
    "fallback",
    "ensemble",
    "global_motion",
    "denoise_window",
)


def bundle_dirs() -> list[Path]:
    """Folders searched for bundles: ``$MONAI_ANGIO_BUNDLES`` (``os.pathsep``-separated), then the source tree's."""
    dirs = [Path(p) for p in os.environ.get("MONAI_ANGIO_BUNDLES", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parents[2] / "bundles")
    return dirs


def _find_bundle(name: str) -> Path | None:
    path = Path(name)
    if (path / "configs" / "inference.json").is_file():
        return path
    for root in bundle_dirs():
        if (root / name / "configs" / "inference.json").is_file():
            return root / name
    return None


def available_methods() -> list[str]:
    """Names accepted by :func:`get_interpolator`: the baselines, then the interpolation bundles present."""
    from monai_angio.baselines import BASELINES

    return list(BASELINES) + [name for name in INTERPOLATION_BUNDLES if _find_bundle(name) is not None]


def _bundle_parser(bundle: str | Path):
    """The parsed ``configs/inference.json`` of a bundle folder or name (``bundle_root`` set to the folder)."""
    from monai.bundle import ConfigParser

    root = _find_bundle(str(bundle))
    if root is None:
        raise ValueError(f"no bundle {str(bundle)!r}: expected a folder with configs/inference.json.")
    parser = ConfigParser()
    parser.read_config(root / "configs" / "inference.json")
    parser["bundle_root"] = str(root)
    return root, parser


def bundle_test_time_options(bundle: str | Path) -> dict[str, Any]:
    """The test-time options (:data:`TEST_TIME_OPTIONS`) that a bundle's ``inference.json`` sets, parsed.

    They are the settings ``python -m monai.bundle run`` uses by default, as keyword arguments of
    :class:`~monai_angio.inferers.SequenceInterpolator` (or ``dose_reduction_study``).

    Args:
        bundle: a bundle folder (holding ``configs/inference.json``) or the name of one in :func:`bundle_dirs`.
    """
    _, parser = _bundle_parser(bundle)
    return {key: parser.get_parsed_content(key) for key in TEST_TIME_OPTIONS if key in parser}


def load_bundle_network(
    bundle: str | Path,
    device: torch.device | str = "cpu",
    network_key: str = "network_def",
    ckpt_key: str = "ckpt_path",
) -> nn.Module:
    """Build a bundle's network definition and load its weights (``weights_only=True``).

    Args:
        bundle: a bundle folder (holding ``configs/inference.json``) or the name of one in :func:`bundle_dirs`.
        device: where to put the network.
        network_key: the inference-config key of the network definition.
        ckpt_key: the inference-config key of the weights' path (``models/model.pt`` when the config has none).

    Returns:
        The network in eval mode.
    """
    root, parser = _bundle_parser(bundle)
    if network_key not in parser:
        raise ValueError(f"bundle {root} defines no {network_key!r} in configs/inference.json.")
    net = parser.get_parsed_content(network_key)
    weights = Path(parser.get_parsed_content(ckpt_key)) if ckpt_key in parser else root / "models" / "model.pt"
    if not weights.is_file():
        raise ValueError(f"bundle {root} ships no weights at {weights}.")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    net.load_state_dict(state)
    return net.to(device).eval()


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
    if _find_bundle(method) is not None:
        return load_bundle_network(method, device)
    raise ValueError(f"unknown interpolation method {method!r}; available: {', '.join(available_methods())}.")
