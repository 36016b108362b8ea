# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The bundles of this project: the one list of them, where they are found, and loading their networks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "BUNDLES",
    "bundle_dirs",
    "bundle_parser",
    "bundles_of_task",
    "find_bundle",
    "is_bundle_path",
    "load_bundle_network",
]

#: every bundle of the project and its task (``"interpolation"``: a two-frame interpolator usable as a
#: ``monai-angio interpolate`` method; ``"deblurring"``: a frame restorer for ``monai-angio deblur``)
BUNDLES: dict[str, str] = {
    "cerebral_dsa_interpolation": "interpolation",
    "cerebral_dsa_deblurring": "deblurring",
}


def bundles_of_task(task: str) -> list[str]:
    """The names of the bundles of ``task`` (a value of :data:`BUNDLES`) that are present (:func:`find_bundle`)."""
    return [name for name, kind in BUNDLES.items() if kind == task and find_bundle(name) is not None]


def bundle_dirs() -> list[Path]:
    """Folders searched for bundles: ``$MONAI_ANGIO_BUNDLES`` (``os.pathsep``-separated), then the source tree's."""
    dirs = [Path(p) for p in os.environ.get("MONAI_ANGIO_BUNDLES", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parents[1] / "bundles")
    return dirs


def is_bundle_path(bundle: str | os.PathLike) -> bool:
    """Whether ``bundle`` is given as a path (a ``PathLike``, or text that is absolute, ``.``/``..`` or holds a path
    separator: ``./my_bundle``, ``../x``, ``/opt/b``, ``bundles/x``) rather than a bare name."""
    if not isinstance(bundle, str):
        return True
    seps = [os.sep] + ([os.altsep] if os.altsep else [])
    return bundle in (".", "..") or any(sep in bundle for sep in seps) or Path(bundle).is_absolute()


def find_bundle(name: str | os.PathLike) -> Path | None:
    """The folder of a bundle: an installed bundle by its bare name, or a folder given as a path.

    A bare name (``cerebral_dsa_deblurring``) is looked up only in :func:`bundle_dirs`, never in the current
    folder: a folder of that name there (from a download, an archive, another user) would otherwise run its
    ``configs/inference.json``, whose ``$`` expressions are Python. A folder is used only when given as a path
    (:func:`is_bundle_path`: ``./cerebral_dsa_deblurring``, an absolute path, a ``Path``).

    Returns:
        The bundle folder (holding ``configs/inference.json``), or ``None`` when there is none.
    """
    if is_bundle_path(name):
        path = Path(name)
        return path if (path / "configs" / "inference.json").is_file() else None
    if not name:
        return None
    for root in bundle_dirs():
        if (root / name / "configs" / "inference.json").is_file():
            return root / name
    return None


def bundle_parser(bundle: str | os.PathLike) -> tuple[Path, Any]:
    """The folder and parsed ``configs/inference.json`` (a MONAI ``ConfigParser``, ``bundle_root`` set) of a bundle.

    Raises:
        ValueError: no such bundle.
    """
    from monai.bundle import ConfigParser

    root = find_bundle(bundle)
    if root is None:
        expected = (
            "a folder with configs/inference.json"
            if is_bundle_path(bundle)
            else "an installed bundle's name (a bundle folder is given as a path: ./name, /path/name)"
        )
        raise ValueError(f"no bundle {str(bundle)!r}: expected {expected}.")
    parser = ConfigParser()
    parser.read_config(root / "configs" / "inference.json")
    parser["bundle_root"] = str(root)
    return root, parser


def load_bundle_network(
    bundle: str | os.PathLike,
    device: torch.device | str = "cpu",
    network_key: str = "network_def",
    ckpt_key: str = "ckpt_path",
) -> nn.Module:
    """Build a bundle's network definition and load its weights (``weights_only=True``).

    Args:
        bundle: an installed bundle's name (in :func:`bundle_dirs`) or a bundle folder given as a path
            (:func:`find_bundle`).
        device: where to put the network.
        network_key: the inference-config key of the network definition.
        ckpt_key: the inference-config key of the weights' path (``models/model.pt`` when the config has none).

    Returns:
        The network in eval mode.
    """
    root, parser = bundle_parser(bundle)
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
