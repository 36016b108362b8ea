# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Deblurring a cine with its neighbouring frames (and, when known, the focal-spot kernel).

A single large-focal-spot frame mixes three things the network has to tell apart: the blurred anatomy, the blurred
quantum noise of the frame (which a sharp reference frame carries too) and the noise added after the blur. The
neighbouring frames of a cine show the same anatomy with independent noise. Three networks use them:

* the **non-blind temporal network** (:func:`takes_kernel`: an :class:`~monai_angio.networks.RDNDeblur` with three
  input channels, the bundle's ``models/model_kernel.pt``) restores each frame ``x_c`` from ``x_c``, ``p_c``, the mean
  of the ``2 r`` neighbours within ``radius`` frames, and a constant channel holding the width of the focal-spot
  kernel (:func:`~monai_angio.phantoms.kernel_channel_value`), for cines whose geometry is known;
* the **blind temporal network** (:func:`takes_neighbours` with two input channels, ``models/model_temporal.pt``)
  restores ``x_c`` from ``x_c`` and ``p_c``, for cines whose geometry is unknown; both learned from training cines
  where to trust the neighbours;
* a **single-frame network** (one input channel) is given the frame blended with its neighbours,
  ``b_c = x_c + w (p_c - x_c)``, with the MSE-optimal local weight ``w = min(1, s^2 / |p_c - x_c|^2)`` of
  :func:`~monai_angio.inferers.blend_anchors` (``s^2`` the cine's noise variance), so moving or filling vessels keep
  the frame's own values.

The result ``a_c`` (the anatomy) of the last two goes through a **data-consistency** step when the kernel ``k`` is
known: ``y_c = a_c + W (x_c - k * a_c)``, ``W`` the Wiener filter of ``k`` with a Laplacian regulariser of weight
``balance``: what of the frame's own residual the anatomy does not explain (its own structure and quantum noise) is
deconvolved and put back. The single-frame network needs this step; the non-blind network, told the kernel, does
without it. The kernel comes from the focal-spot size and profile, geometry and pixel spacing
(:func:`geometry_kernel`). With camera or patient motion, ``global_motion`` resamples the neighbours to each frame's
geometry first (:func:`~monai_angio.networks.estimate_global_motion`).

On held-out real DSA the non-blind network is the most accurate (``docs/benchmarks.md``, "Temporal deblurring"); the
command line and the bundle use it when the geometry is known and the blind temporal network otherwise
(:func:`~monai_angio.inferers.deblur.temporal_deblur_network`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from monai_angio.baselines.deconvolution import wiener_deconvolution
from monai_angio.inferers.anchor_denoising import blend_anchors, estimate_noise_variance
from monai_angio.inferers.frame_deblur import deblur_cine
from monai_angio.networks.global_motion import estimate_global_motion, is_identity, warp_global
from monai_angio.phantoms.focal_spot import FocalSpotBlur, apply_kernel, kernel_channel_value

__all__ = [
    "check_temporal_radius",
    "consistency_step",
    "geometry_kernel",
    "neighbour_mean",
    "temporal_anatomy",
    "takes_neighbours",
    "temporal_deblur_cine",
]


def check_temporal_radius(value: int, name: str = "temporal_radius") -> None:
    """Raise ``ValueError`` unless ``value`` is an integer >= 0 (neighbours on each side; 0 = frame by frame)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0 (neighbours on each side), got {value!r}.")


def neighbour_mean(
    frames: torch.Tensor, radius: int, global_motion: str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of the frames within ``radius`` of each frame (the frame itself left out), optionally motion-aligned.

    At the ends of the cine only the neighbours that exist are averaged (at least one: ``T >= 2``). With
    ``global_motion`` (a model of :func:`~monai_angio.networks.estimate_global_motion`, e.g. ``"similarity"``) every
    neighbour is first resampled to the frame's geometry, so that a camera or patient motion does not blur the mean
    (neighbours that move less than 1 pixel at the frame's corners are used as they are).

    Args:
        frames: ``(T, C, H, W)``.
        radius: neighbours on each side, ``>= 1``.
        global_motion: ``None`` or a motion model.

    Returns:
        ``(mean, midpoint)``: the ``(T, C, H, W)`` neighbour means and the ``(T - 2, C, H, W)`` means of the two
        immediate neighbours of the interior frames (the prediction :func:`estimate_noise_variance` expects).
    """
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 1:
        raise ValueError(f"radius must be an integer >= 1, got {radius!r}.")
    t = frames.shape[0]
    if t < 2:
        raise ValueError(f"neighbour_mean needs at least 2 frames, got {t}.")
    mean = torch.empty_like(frames)
    midpoint = torch.empty_like(frames[1:-1])
    for c in range(t):
        total, count = torch.zeros_like(frames[c]), 0
        for j in range(max(0, c - radius), min(t, c + radius + 1)):
            if j == c:
                continue
            neighbour = frames[j : j + 1]
            if global_motion is not None:  # the content at p in frame c is at T p in frame j
                transform = estimate_global_motion(frames[c : c + 1], neighbour, global_motion, min_motion=1.0)
                neighbour = neighbour if is_identity(transform) else warp_global(neighbour, transform)
            total, count = total + neighbour[0], count + 1
            if 0 < c < t - 1 and abs(j - c) == 1:
                midpoint[c - 1] = neighbour[0] if j < c else 0.5 * (midpoint[c - 1] + neighbour[0])
        mean[c] = total / count
    return mean, midpoint


def consistency_step(
    frames: torch.Tensor, estimate: torch.Tensor, kernel: np.ndarray | torch.Tensor, balance: float = 0.1
) -> torch.Tensor:
    """Put back what of each frame the estimate does not explain: ``estimate + W (frames - kernel * estimate)``.

    Args:
        frames: ``(..., H, W)`` the blurred frames.
        estimate: ``(..., H, W)`` the restored frames, same shape.
        kernel: ``(kh, kw)`` point-spread function, odd sides.
        balance: Laplacian regularisation of the Wiener filter ``W`` (``> 0``).

    Returns:
        the corrected estimate, same shape (not clipped).
    """
    if not (math.isfinite(balance) and balance > 0):
        raise ValueError(f"consistency_step: balance must be a finite number > 0, got {balance!r}.")
    if estimate.shape != frames.shape:
        raise ValueError(f"consistency_step: estimate {tuple(estimate.shape)} must match frames {tuple(frames.shape)}.")
    residual = frames - apply_kernel(estimate, kernel)
    return estimate + wiener_deconvolution(residual, kernel, balance, regularizer="laplacian", clip=False)


def temporal_deblur_cine(
    frames: torch.Tensor,
    network: nn.Module,
    kernel: np.ndarray | torch.Tensor | None = None,
    radius: int = 2,
    balance: float = 0.1,
    local_sigma: float | None = 4.0,
    global_motion: str | None = None,
    **deblur_kwargs,
) -> torch.Tensor:
    """Deblur every frame of a cine with its neighbours and, if given, the known kernel (see the module docstring).

    Args:
        frames: ``(T, 1, H, W)`` float frames in [0, 1], ``T >= 3``, consecutive and equally spaced.
        network: a temporal network (2 input channels; 3 for a non-blind one, :func:`takes_kernel`) or a
            single-frame deblurring network (as for :func:`~monai_angio.inferers.deblur_cine`).
        kernel: ``(kh, kw)`` point-spread function of the focal-spot blur in pixels, odd sides: the kernel
            channel of a non-blind network, else the data-consistency step (which did not help the non-blind network
            on held-out real frames); ``None`` skips it (only with a blind temporal network).
        radius: neighbours on each side.
        balance: Laplacian regularisation of the data-consistency Wiener filter (``> 0``; smaller puts back more
            of the frame's own detail and noise); unused by a non-blind network.
        local_sigma: width (pixels) of the local blend weights of a single-frame network (``None``: one weight per
            frame).
        global_motion: ``None`` or a motion model: neighbours resampled to each frame's geometry first.
        **deblur_kwargs: passed to :func:`~monai_angio.inferers.deblur_cine` (``tile_size``, ``batch_size``,
            ``input_offset``, ``progress``, ``self_ensemble``, ...).

    Returns:
        ``(T, 1, H, W)`` float32 deblurred frames, clipped to [0, 1].

    Raises:
        ValueError: for a single-frame or non-blind network without a kernel, a bad ``balance`` or cine.
    """
    if not (math.isfinite(balance) and balance > 0):  # checked before the network runs
        raise ValueError(f"temporal_deblur_cine: balance must be a finite number > 0, got {balance!r}.")
    if kernel is None and not takes_neighbours(network):
        raise ValueError(
            "temporal_deblur_cine: a single-frame network needs the focal-spot kernel (data-consistency step); give "
            "kernel, or use the blind temporal network (load_deblur_network(kind='temporal'))."
        )
    x = frames.to(torch.float32)
    anatomy = temporal_anatomy(x, network, radius, local_sigma, global_motion, kernel, **deblur_kwargs)
    if kernel is None or takes_kernel(network):  # a non-blind network was told the kernel: no consistency step
        return anatomy.clamp_(0.0, 1.0)
    return consistency_step(x, anatomy, kernel, balance).clamp_(0.0, 1.0)


def takes_neighbours(network: nn.Module) -> bool:
    """Whether ``network`` takes a frame and its neighbours' mean (2 or 3 input channels) rather than one frame."""
    return getattr(network, "in_channels", 1) in (2, 3)


def takes_kernel(network: nn.Module) -> bool:
    """Whether ``network`` also takes the kernel channel (3 input channels, :func:`~monai_angio.phantoms.
    kernel_channel_value`): a non-blind temporal network, told the blur it undoes."""
    return getattr(network, "in_channels", 1) == 3


def temporal_anatomy(
    frames: torch.Tensor,
    network: nn.Module,
    radius: int = 2,
    local_sigma: float | None = 4.0,
    global_motion: str | None = None,
    kernel: np.ndarray | torch.Tensor | None = None,
    **deblur_kwargs,
) -> torch.Tensor:
    """The anatomy of the module docstring: the temporal network on each frame and its neighbours' mean, or a
    single-frame network on each frame blended with its neighbours.

    Args:
        frames: ``(T, 1, H, W)`` float frames in [0, 1], ``T >= 3``.
        network: a temporal network (2 input channels, or 3 with the kernel channel) or a single-frame network.
        radius: neighbours on each side averaged.
        local_sigma: width (pixels) of the local blend weights of a single-frame network (``None``: one weight per
            frame).
        global_motion: ``None`` or a motion model (``"similarity"``, ...): neighbours are resampled to each frame's
            geometry first (:func:`neighbour_mean`), for camera or patient motion.
        kernel: the focal-spot kernel, required by a network with the kernel channel (:func:`takes_kernel`).
        **deblur_kwargs: passed to :func:`~monai_angio.inferers.deblur_cine`.

    Returns:
        ``(T, 1, H, W)`` float32.
    """
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 1:
        raise ValueError(f"frames must be a (T, 1, H, W) tensor, got {getattr(frames, 'shape', type(frames))}.")
    if frames.shape[0] < 3:
        raise ValueError(f"temporal deblurring needs a cine of at least 3 frames (neighbours), got {frames.shape[0]}.")
    if takes_kernel(network) and kernel is None:
        raise ValueError("temporal deblurring: a non-blind network needs the focal-spot kernel (its third channel).")
    x = frames.to(torch.float32)
    predicted, midpoint = neighbour_mean(x, radius, global_motion)
    if takes_neighbours(network):  # the network weighs the neighbours itself
        channels = [x, predicted]
        if takes_kernel(network):
            channels.append(torch.full_like(x, kernel_channel_value(kernel, deblur_kwargs.get("input_offset", 0.0))))
        return deblur_cine(torch.cat(channels, dim=1), network, **deblur_kwargs).to(x)
    noise_var = estimate_noise_variance(x, midpoint)
    # the 1-frame pads let blend_anchors, which blends interior frames, blend every frame of the cine
    blended, _ = blend_anchors(torch.cat([x[:1], x, x[-1:]]), predicted, noise_var, local_sigma)
    return deblur_cine(blended[1:-1], network, **deblur_kwargs).to(x)


_META_KEYS = {
    "focal_spot_mm": "focal_spot_mm",
    "sod_mm": "distance_source_to_patient_mm",
    "sid_mm": "distance_source_to_detector_mm",
    "pixel_spacing_mm": "imager_pixel_spacing_mm",
}


def _scalar(value: Any) -> float | None:
    """A meta value as a float: plain, or the first element of a collated batch (tensor/list); ``None`` if absent."""
    if value is None:
        return None
    if isinstance(value, (torch.Tensor, np.ndarray, list, tuple)):
        flat = torch.as_tensor(value).flatten()
        return float(flat[0]) if flat.numel() else None
    return float(value)


def geometry_kernel(
    meta: Mapping[str, Any] | None = None,
    focal_spot_mm: float | None = None,
    sod_mm: float | None = None,
    sid_mm: float | None = None,
    pixel_spacing_mm: float | None = None,
    profile: str = "gaussian",
    required: bool = True,
) -> tuple[np.ndarray | None, dict[str, float]]:
    """The focal-spot blur kernel of an acquisition, from explicit values or the DICOM header's X-ray geometry.

    Explicit values win; missing ones come from ``meta`` (as :func:`monai_angio.io.load_sequence` returns it for a
    DICOM file, also after batch collation): ``focal_spot_mm`` (the largest of FocalSpots, 0018,1190),
    ``distance_source_to_patient_mm`` (0018,1111) as the source-object distance, ``distance_source_to_detector_mm``
    (0018,1110) and ``imager_pixel_spacing_mm`` (the finer of ImagerPixelSpacing, 0018,1164, the detector plane).

    Args:
        meta: a reader's meta dict, or ``None``.
        focal_spot_mm, sod_mm, sid_mm, pixel_spacing_mm: explicit geometry (mm).
        profile: focal-spot intensity profile, ``"gaussian"`` or ``"line_focus"``.
        required: raise when values are missing; with ``False`` a header without the geometry gives ``(None, {})``
            when no value is given explicitly (explicit but incomplete values still raise).

    Returns:
        the ``(k, k)`` kernel in detector pixels (or ``None``) and the geometry used.

    Raises:
        ValueError: naming every value that is neither given nor in the header.
    """
    meta = meta or {}
    given = {"focal_spot_mm": focal_spot_mm, "sod_mm": sod_mm, "sid_mm": sid_mm, "pixel_spacing_mm": pixel_spacing_mm}
    geometry = {k: v if v is not None else _scalar(meta.get(_META_KEYS[k])) for k, v in given.items()}
    missing = [k for k, v in geometry.items() if v is None]
    if missing and not required and all(v is None for v in given.values()):
        return None, {}
    if missing:
        raise ValueError(
            f"the focal-spot kernel needs {', '.join(missing)}: give them (monai-angio deblur --focal-spot 0.6 "
            "--sod 750 --sid 1100 --pixel-spacing 0.154; in the bundle focal_spot_mm, sod_mm, sid_mm, "
            "pixel_spacing_mm) or use a DICOM file with FocalSpots, DistanceSourceToPatient, "
            "DistanceSourceToDetector and ImagerPixelSpacing."
        )
    blur = FocalSpotBlur(
        focal_spot_mm=float(geometry["focal_spot_mm"]),
        profile=profile,
        sod_mm=float(geometry["sod_mm"]),
        sid_mm=float(geometry["sid_mm"]),
        pixel_spacing_mm=float(geometry["pixel_spacing_mm"]),
    )
    return blur.kernel(), {k: float(v) for k, v in geometry.items()}
