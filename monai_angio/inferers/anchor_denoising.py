# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Temporal noise reduction of the acquired frames that anchor an interpolation.

Every acquired X-ray frame carries its own quantum noise, and a synthesized frame inherits a blend of the noise of its
two anchors. Each interior acquired frame ``x_i`` also has a second, independent estimate: the interpolator's
prediction ``p_i`` from its neighbours ``x_{i-1}`` and ``x_{i+1}`` at ``t = 0.5``. The MSE-optimal blend of the two
for the noise-free frame, ``x_i + w_i (p_i - x_i)``, has ``w_i = s^2 / E|p_i - x_i|^2`` where ``s^2`` is the noise
variance of one frame (the noise of ``x_i`` is independent of the prediction's error, so ``E|p_i - x_i|^2`` is that
error plus ``s^2``). Both terms are measured on the cine itself: no setting to tune, and a noise-free cine gets
``w = 0``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.networks.layers import GaussianFilter

__all__ = ["estimate_noise_variance", "blend_anchors", "local_mean", "mse_blend"]


def _check_cine(frames: torch.Tensor, name: str, min_frames: int) -> None:
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or not frames.is_floating_point():
        got = getattr(frames, "shape", type(frames))
        raise ValueError(f"{name} must be a floating (T, C, H, W) tensor, got {got}.")
    if frames.shape[0] < min_frames:
        raise ValueError(f"{name} needs at least {min_frames} frames, got {frames.shape[0]}.")


def _check_predicted(frames: torch.Tensor, predicted: torch.Tensor) -> None:
    _check_cine(frames, "frames", 3)
    expected = (frames.shape[0] - 2, *frames.shape[1:])
    if not isinstance(predicted, torch.Tensor) or tuple(predicted.shape) != expected:
        raise ValueError(
            f"predicted must be (T - 2, C, H, W) = {expected}, got {tuple(getattr(predicted, 'shape', ()))}."
        )


def estimate_noise_variance(
    frames: torch.Tensor, predicted: torch.Tensor | None = None, tile: int = 32, noise_gain: float = 0.5
) -> float:
    """Noise variance of one frame of a cine, from the residuals of predicting each frame from its neighbours.

    With temporally independent noise of variance ``s^2``, the residual ``r_i = p_i - x_i`` of a prediction ``p_i``
    made from ``x_{i-1}`` and ``x_{i+1}`` has variance ``(1 + g) s^2`` wherever the prediction is right, ``g`` being
    the share of the noise that the prediction passes on (0.5 for the midpoint average, the default prediction). The
    variance of ``r`` is taken in ``tile`` x ``tile`` tiles and the median over the tiles is used, which is robust to
    the tiles where vessels fill or move; tiles where ``r`` is exactly constant (a fill outside the collimated field,
    clipped values) are left out. Spatially correlated noise is measured with its full variance.

    Args:
        frames: ``(T, C, H, W)`` float cine, ``T >= 3``, equally spaced in time.
        predicted: ``(T - 2, C, H, W)`` predictions of ``frames[1:-1]``; default the midpoints of the neighbours.
        tile: tile edge in pixels (capped at the frame size).
        noise_gain: ``g`` of the prediction.

    Returns:
        The estimated noise variance ``s^2`` (units of ``frames`` squared); 0 for a noise-free cine predicted exactly.
    """
    if predicted is None:
        _check_cine(frames, "frames", 3)
        predicted = 0.5 * (frames[:-2] + frames[2:])
    _check_predicted(frames, predicted)
    if tile < 2:
        raise ValueError(f"tile must be >= 2, got {tile}.")
    if not noise_gain >= 0.0:
        raise ValueError(f"noise_gain must be >= 0, got {noise_gain}.")
    r = predicted.double() - frames[1:-1].double()
    tile = min(tile, r.shape[-2], r.shape[-1])
    mean = F.avg_pool2d(r, tile, stride=tile)
    var = (F.avg_pool2d(r * r, tile, stride=tile) - mean * mean).clamp_min(0.0).mean(1).flatten()
    live = var[var > 1e-12]
    return float(live.median() / (1.0 + noise_gain)) if live.numel() else 0.0


def blend_anchors(
    frames: torch.Tensor, predicted: torch.Tensor, noise_var: float, local_sigma: float | None = 4.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend each interior acquired frame with its prediction from its neighbours (the MSE-optimal weight).

    Args:
        frames: ``(T, C, H, W)`` acquired frames, ``T >= 3``.
        predicted: ``(T - 2, C, H, W)`` predictions of ``frames[1:-1]`` from ``frames[:-2]`` and ``frames[2:]``.
        noise_var: noise variance of one acquired frame (:func:`estimate_noise_variance`).
        local_sigma: the residual power ``|p - x|^2`` is averaged with a Gaussian of this width (pixels), so that
            the weight drops where the prediction fails (a moving vessel, a filling vessel); ``None`` uses one weight
            per frame.

    Returns:
        The anchors ``(T, C, H, W)`` (first and last frames unchanged) and the weights ``w = min(1, noise_var /
        |p - x|^2)`` given to the predictions, ``(T - 2, C, H, W)`` (constant per frame when ``local_sigma`` is None).
    """
    _check_predicted(frames, predicted)
    if not noise_var >= 0.0:
        raise ValueError(f"noise_var must be >= 0, got {noise_var}.")
    inner = frames[1:-1]
    blended, weight, _ = mse_blend(inner, predicted.to(frames) - inner, noise_var, local_sigma)
    anchors = frames.clone()
    anchors[1:-1] = blended
    return anchors, weight


def local_mean(x: torch.Tensor, sigma: float | None) -> torch.Tensor:
    """Local mean of each item of ``x`` ``(N, C, H, W)``: a Gaussian of width ``sigma`` pixels, or ``None`` for the
    mean of the whole item.

    The Gaussian is zero-padded and normalised by the filtered ones, so the borders are not darkened.
    """
    if sigma is None:
        return x.mean(dim=(1, 2, 3), keepdim=True).expand_as(x)
    if not sigma > 0:
        raise ValueError(f"local_sigma must be positive or None, got {sigma}.")
    smooth = GaussianFilter(2, sigma).to(x.device)
    flat = x.flatten(0, 1)[:, None]
    return (smooth(flat) / smooth(torch.ones_like(flat[:1])).clamp_min(1e-12)).view_as(x)


def mse_blend(
    estimate: torch.Tensor, correction: torch.Tensor, noise_cov: float | torch.Tensor, local_sigma: float | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``estimate + w * correction`` with the locally MSE-optimal weight ``w``.

    ``correction`` is a second estimate minus ``estimate``; the noise in it is anti-correlated with the noise of
    ``estimate`` by ``noise_cov = -E[e d]`` (``e`` the error of ``estimate``, ``d`` the correction's noise). Minimising
    ``E(e + w d)^2`` over ``w`` gives ``w = noise_cov / E[d^2]``, where ``E[d^2]`` is measured locally (it includes
    what the second estimate gets wrong, so ``w`` drops where it fails), clipped to ``[0, 1]``.

    Args:
        estimate: ``(N, C, H, W)`` first estimate.
        correction: ``(N, C, H, W)`` second estimate minus the first.
        noise_cov: ``-E[e d]``, a number or a tensor broadcast against ``(N, C, H, W)`` (one value per item).
        local_sigma: width (pixels) of the Gaussian that averages ``d^2``; ``None``: one weight per item.

    Returns:
        The blend, the weights ``w`` and the expected reduction of the squared error ``2 w noise_cov - w^2 E[d^2]``
        (all ``(N, C, H, W)``); the weight is 0 where ``E[d^2]`` is 0.
    """
    power = local_mean(correction.pow(2), local_sigma)
    cov = torch.as_tensor(noise_cov, dtype=power.dtype, device=power.device)
    weight = (cov / power.clamp_min(1e-30)).clamp(0.0, 1.0)
    weight = torch.where(power > 0, weight, torch.zeros_like(weight))
    reduction = weight * (2 * cov - weight * power)
    weight = weight.to(estimate.dtype)
    return estimate + weight * correction, weight, reduction
