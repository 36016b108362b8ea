# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Noise reduction of synthesized frames with the acquired frames around their gap (a wider temporal window).

A frame synthesized at time ``t`` between acquired frames ``x_0`` and ``x_1`` inherits their quantum noise, like the
linear blend ``l = (1 - t) x_0 + t x_1`` does. Where the scene changes slowly, a least-squares line through more
acquired frames around the gap, ``x_{-r+1} ... x_r``, evaluated at ``t`` (``f_r``) carries much less noise. The
synthesized frame ``y`` is corrected by ``w_r (f_r - l)``: ``f_r - l`` is a pure temporal difference whose noise is
anti-correlated with the noise ``y`` inherits, by ``s^2 sum_i a_i (a_i - b_i)`` (``a``, ``b`` the weights of ``l``
and ``f_r`` on the acquired frames, ``s^2`` the noise variance of one frame), so
:func:`~monai_angio.inferers.anchor_denoising.mse_blend` gives the MSE-optimal local weight. Where the line does not
follow the scene (a vessel filling, a moving heart) ``|f_r - l|^2`` is large and ``w_r`` drops to 0, so the
interpolator's own frame is kept. Per pixel, the reach ``r = 2 .. R`` with the largest expected error reduction is
used. The noise variance is measured on the cine; the settings are ``R`` and the width of the local weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from monai_angio.inferers.anchor_denoising import _check_cine, estimate_noise_variance, mse_blend

__all__ = ["check_window", "line_fit_weights", "temporal_window_correction"]


def check_window(window: int, name: str = "window", off: bool = False) -> int:
    """``window`` if it is an integer >= 2 (or 0 when ``off`` is allowed), else a ValueError naming ``name``."""
    if isinstance(window, bool) or not isinstance(window, int) or not (window >= 2 or (off and window == 0)):
        allowed = "0 (off) or an integer >= 2" if off else "an integer >= 2"
        raise ValueError(f"{name} must be {allowed} (acquired frames on each side of a gap), got {window!r}.")
    return window


def line_fit_weights(times: Sequence[float], t: float) -> list[float]:
    """Weights ``b`` such that ``sum_i b_i x_i`` is the least-squares line through ``(times_i, x_i)`` at ``t``.

    Args:
        times: at least two distinct sample times.
        t: the time to evaluate the line at.
    """
    n = len(times)
    mean = sum(times) / max(n, 1)
    sxx = sum((s - mean) ** 2 for s in times)
    if n < 2 or sxx <= 0:
        raise ValueError(f"a line fit needs at least two distinct times, got {list(times)}.")
    return [1.0 / n + (t - mean) * (s - mean) / sxx for s in times]


def temporal_window_correction(
    frames: torch.Tensor,
    synthesized: torch.Tensor,
    window: int = 6,
    noise_var: float | None = None,
    local_sigma: float | None = 2.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reduce the noise of synthesized frames with up to ``window`` acquired frames on each side of their gap.

    Args:
        frames: ``(T, C, H, W)`` acquired frames (not denoised), equally spaced in time, ``T >= 2``.
        synthesized: ``(T - 1, K, C, H, W)`` frames synthesized in each gap at times ``k / (K + 1)``, ``k = 1..K``.
        window: ``R >= 2``, the largest number of acquired frames used on each side of a gap (fewer near the ends).
        noise_var: noise variance of one acquired frame; default estimated on ``frames``
            (:func:`~monai_angio.inferers.estimate_noise_variance`; needs ``T >= 3``).
        local_sigma: width (pixels) of the local weights (:func:`~monai_angio.inferers.anchor_denoising.mse_blend`).

    Returns:
        The corrected frames ``(T - 1, K, C, H, W)`` and, per pixel, the reach used ``(T - 1, K, C, H, W)`` (int64;
        0 where no window helped: the frame is unchanged there).
    """
    _check_cine(frames, "frames", 2)
    t_count, frame_shape = frames.shape[0], tuple(frames.shape[1:])
    shape = tuple(synthesized.shape) if isinstance(synthesized, torch.Tensor) else ()
    if len(shape) != 5 or shape[0] != t_count - 1 or shape[2:] != frame_shape:
        expected = ", ".join(map(str, (t_count - 1, "K", *frame_shape)))
        raise ValueError(f"synthesized must be (T - 1, K, C, H, W) = ({expected}), got {shape}.")
    check_window(window)
    if noise_var is None:
        noise_var = estimate_noise_variance(frames) if t_count >= 3 else 0.0
    if not noise_var >= 0.0:
        raise ValueError(f"noise_var must be >= 0, got {noise_var}.")
    k_count = synthesized.shape[1]
    times = [(k + 1) / (k_count + 1) for k in range(k_count)]
    out = synthesized.clone()
    reach = torch.zeros(synthesized.shape, dtype=torch.int64)
    if noise_var == 0.0:
        return out, reach
    for q in range(t_count - 1):
        best = torch.zeros((k_count, *frames.shape[1:]), dtype=synthesized.dtype, device=synthesized.device)
        seen: set[tuple[int, int]] = set()
        for r in range(2, window + 1):
            lo, hi = max(0, q - r + 1), min(t_count - 1, q + r)
            if hi - lo < 2 or (lo, hi) in seen:  # only the gap's own two frames, or a window already tried
                continue
            seen.add((lo, hi))
            window_frames = frames[lo : hi + 1].to(synthesized)
            offsets = [i - q for i in range(lo, hi + 1)]
            diffs, covs = [], []
            for t in times:
                linear = [(1.0 - t) if s == 0 else t if s == 1 else 0.0 for s in offsets]
                delta = [b - a for a, b in zip(linear, line_fit_weights(offsets, t), strict=True)]
                coeff = torch.tensor(delta, dtype=synthesized.dtype, device=synthesized.device)
                diffs.append(torch.tensordot(coeff, window_frames, dims=1))
                covs.append(-noise_var * sum(a * d for a, d in zip(linear, delta, strict=True)))
            diff = torch.stack(diffs)
            cov = torch.tensor(covs, dtype=diff.dtype, device=diff.device).view(-1, 1, 1, 1)
            corrected, _, gain = mse_blend(synthesized[q], diff, cov, local_sigma)
            better = gain > best
            best = torch.where(better, gain, best)
            out[q] = torch.where(better, corrected, out[q])
            reach[q][better.cpu()] = r
    return out, reach
