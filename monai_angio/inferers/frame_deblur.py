# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Deblurring a cine frame by frame with a fully convolutional network (whole frames or overlapping tiles).

Both :mod:`monai_angio.inferers.deblur` (single frames, the bundle's inferers) and
:mod:`monai_angio.inferers.temporal_deblur` (a frame with its neighbours) run their networks through this pass;
:func:`deblur_cine` and :func:`deblur_frames` are also exported from :mod:`monai_angio.inferers.deblur`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from monai.data import MetaTensor
from monai.inferers import SlidingWindowInferer
from torch import nn
from tqdm.auto import tqdm

from monai_angio.networks.self_ensemble import SelfEnsemble, check_ensemble_order

__all__ = ["deblur_cine", "deblur_frames"]


def _check_tile(tile_size: int | None, overlap: float, batch_size: int) -> None:
    if tile_size is not None and (isinstance(tile_size, bool) or not isinstance(tile_size, int) or tile_size < 8):
        raise ValueError(f"tile_size must be None or an int >= 8, got {tile_size!r}.")
    if not (isinstance(overlap, (int, float)) and 0.0 <= overlap < 1.0):
        raise ValueError(f"overlap must be in [0, 1), got {overlap!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")


def _check_offset(input_offset: float) -> None:
    if isinstance(input_offset, bool) or not isinstance(input_offset, (int, float)) or not math.isfinite(input_offset):
        raise ValueError(f"input_offset must be a finite number, got {input_offset!r}.")


def _network_device(network: nn.Module) -> torch.device:
    for p in network.parameters():
        return p.device
    return torch.device("cpu")


def deblur_frames(
    frames: torch.Tensor,
    network: nn.Module,
    tile_size: int | None = None,
    overlap: float = 0.25,
    sw_batch_size: int = 1,
    input_offset: float = 0.0,
    self_ensemble: int = 1,
) -> torch.Tensor:
    """Run ``network`` on a batch of frames ``(B, C, H, W)``, in overlapping tiles when a side exceeds ``tile_size``.

    The network sees ``frames - input_offset`` and ``input_offset`` is added to its output (the intensity
    normalisation it was trained with; see :class:`~.deblur.OffsetInferer`). Tiles are blended with Gaussian weights by
    :class:`monai.inferers.SlidingWindowInferer` (frames smaller than a tile along one side are reflect-padded). No
    gradient is recorded; the network's mode is left unchanged. With ``self_ensemble > 1`` every frame (or tile) is
    restored under that many flips/rotations and the results averaged (:class:`~monai_angio.networks.SelfEnsemble`).

    Returns:
        ``(B, C_out, H, W)`` output (not clamped) on the device of ``frames``.
    """
    _check_tile(tile_size, overlap, sw_batch_size)
    _check_offset(input_offset)
    check_ensemble_order(self_ensemble, "self_ensemble")
    device = _network_device(network)
    if self_ensemble != 1:
        network = SelfEnsemble(network, self_ensemble)
    x = frames.as_tensor() if isinstance(frames, MetaTensor) else frames
    h, w = x.shape[-2:]
    with torch.no_grad():
        xd = x.to(device) - input_offset
        if tile_size is None or (h <= tile_size and w <= tile_size):
            out = network(xd)
        else:
            inferer = SlidingWindowInferer(
                roi_size=(tile_size, tile_size),
                sw_batch_size=sw_batch_size,
                overlap=overlap,
                mode="gaussian",
                padding_mode="reflect",
                progress=False,
            )
            out = inferer(xd, network)
    out = out.as_tensor() if isinstance(out, MetaTensor) else out
    return (out + input_offset).to(frames.device)


def deblur_cine(
    frames: torch.Tensor | np.ndarray,
    network: nn.Module,
    tile_size: int | None = None,
    batch_size: int = 1,
    progress: bool = True,
    *,
    overlap: float = 0.25,
    clip: bool = True,
    input_offset: float = 0.0,
    self_ensemble: int = 1,
) -> torch.Tensor:
    """Deblur every frame of a cine with a fully convolutional network (any frame size).

    Args:
        frames: ``(T, C, H, W)`` float frames in [0, 1] (a numpy array is converted); ``C`` is 1, or the network's
            ``in_channels`` (e.g. 2: a frame and the mean of its neighbours, :mod:`.temporal_deblur`).
        network: module mapping ``(B, C, H, W)`` to ``(B, 1, H, W)``, e.g.
            :class:`monai_angio.networks.RDNDeblur`; it runs on its parameters' device, in eval mode.
        tile_size: process frames with a side above this size in overlapping tiles (MONAI
            :class:`~monai.inferers.SlidingWindowInferer`, Gaussian blending); ``None`` = whole frames.
        batch_size: frames per forward pass (tiles per pass when tiling).
        progress: show a tqdm progress bar.
        overlap: tile overlap fraction.
        clip: clip the output to [0, 1].
        input_offset: intensity subtracted before the network and added back after it (0.6 for the
            cerebral_dsa_deblurring weights; :func:`~.deblur.load_deblur_network` returns the bundle's value).
        self_ensemble: average over this many flips/rotations of each frame (1, 2, 4 or 8), at that many times the
            cost (:class:`~monai_angio.networks.SelfEnsemble`).

    Returns:
        ``(T, 1, H, W)`` float32 deblurred frames on the device of ``frames``.

    Raises:
        TypeError: if frames are not floating point.
        ValueError: for a wrong shape, NaN/Inf, or bad tiling arguments.
    """
    if isinstance(frames, np.ndarray):
        frames = torch.from_numpy(frames)
    if not isinstance(frames, torch.Tensor):
        raise TypeError(f"deblur_cine: frames must be a torch.Tensor or numpy array, got {type(frames).__name__}.")
    if not frames.is_floating_point():
        raise TypeError(f"deblur_cine: frames must be float in [0, 1] (scale stored values first), got {frames.dtype}.")
    if frames.ndim != 4 or frames.shape[0] < 1:
        raise ValueError(f"deblur_cine: frames must be (T, C, H, W), got shape {tuple(frames.shape)}.")
    channels = getattr(network, "in_channels", frames.shape[1])
    if frames.shape[1] != channels:
        raise ValueError(f"deblur_cine: the network takes {channels} channel(s), frames have {frames.shape[1]}.")
    if not torch.isfinite(frames).all():
        raise ValueError("deblur_cine: frames contain NaN or Inf values.")
    _check_tile(tile_size, overlap, batch_size)
    _check_offset(input_offset)
    check_ensemble_order(self_ensemble, "self_ensemble")
    was_training = network.training
    network.eval()
    try:
        x = frames.as_tensor() if isinstance(frames, MetaTensor) else frames
        x = x.to(torch.float32)
        starts = range(0, x.shape[0], batch_size)
        out = []
        for s in tqdm(starts, desc="deblur", unit="batch", disable=not progress):
            batch = x[s : s + batch_size]
            out.append(deblur_frames(batch, network, tile_size, overlap, batch_size, input_offset, self_ensemble))
        result = torch.cat(out)
    finally:
        network.train(was_training)
    return result.clamp(0.0, 1.0) if clip else result
