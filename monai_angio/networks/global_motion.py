# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Global motion compensation for two-frame interpolators (camera motion, rotational runs, patient motion).

A network trained on cines with little geometric motion fails when the whole image moves between the two acquired
frames (``docs/benchmarks.md``, "Strong motion"). The interpolation pipeline's alignment (``global_motion``,
:class:`~monai_angio.inferers.gap_synthesis.GapSynthesizer`) removes the global part of the motion before the
interpolator sees the frames and puts it back afterwards:

1. the global transform ``T`` (translation, similarity or affine) from frame 0 to frame 1 is fitted robustly to a
   dense optical flow (:func:`estimate_global_motion`);
2. both frames are warped to the half-way geometry ``T^(1/2)`` (frame 0 forward by half of the motion, frame 1
   back by half), so only the residual (local) motion is left between them;
3. the interpolator synthesizes the frames at times ``t`` in that geometry;
4. each synthesized frame is warped by ``T^(t - 1/2)`` to where the camera was at time ``t``.

Transforms are 3x3 homogeneous matrices in pixel coordinates centred on the frame's centre (x = column, y = row),
mapping a point of frame 0 to where it is in frame 1: ``p1 = T p0``. Fractional powers ``T^a`` are
``exp(a log T)`` (constant-velocity motion on the transform group: a rotation turns by ``a`` times its angle).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from monai_angio.baselines.dis_flow import dis_optical_flow, flow_consistency_weight
from monai_angio.options import MOTION_MODELS

__all__ = [
    "MOTION_MODELS",
    "align_pair",
    "estimate_global_motion",
    "fit_global_motion",
    "is_identity",
    "restore_times",
    "transform_power",
    "warp_global",
]

_WARP_MODES = ("bilinear", "bicubic")


def _check_model(model: str, name: str) -> None:
    if model not in MOTION_MODELS:
        raise ValueError(f"{name}: model must be one of {MOTION_MODELS}, got {model!r}.")


def _check_mode(mode: str, name: str) -> None:
    if mode not in _WARP_MODES:
        raise ValueError(f"{name}: mode must be one of {_WARP_MODES}, got {mode!r}.")


def _check_min_motion(min_motion: float, name: str) -> None:
    if not (math.isfinite(min_motion) and min_motion >= 0):
        raise ValueError(f"{name}: min_motion must be a finite number >= 0, got {min_motion!r}.")


def _centred_grid(h: int, w: int, step: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """``(h', w', 2)`` pixel coordinates (x, y) of every ``step``-th pixel, relative to the frame centre."""
    ys = torch.arange(0, h, step, device=device, dtype=dtype) - (h - 1) / 2
    xs = torch.arange(0, w, step, device=device, dtype=dtype) - (w - 1) / 2
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack((gx, gy), dim=-1)


def _design(p: torch.Tensor, model: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares design for ``p' = A p + b``: ``(M, 2, P)`` rows for x' and y' per point ``p (M, 2)``."""
    x, y = p[:, 0], p[:, 1]
    one, zero = torch.ones_like(x), torch.zeros_like(x)
    if model == "translation":  # params (tx, ty)
        rx, ry = torch.stack((one, zero), 1), torch.stack((zero, one), 1)
    elif model == "similarity":  # params (a, c, tx, ty): A = [[a, -c], [c, a]]
        rx, ry = torch.stack((x, -y, one, zero), 1), torch.stack((y, x, zero, one), 1)
    else:  # affine, params (a11, a12, a21, a22, tx, ty)
        rx = torch.stack((x, y, zero, zero, one, zero), 1)
        ry = torch.stack((zero, zero, x, y, zero, one), 1)
    return rx, ry


def _to_matrix(params: torch.Tensor, model: str) -> torch.Tensor:
    """Solved parameters -> ``(3, 3)`` homogeneous transform."""
    T = torch.eye(3, dtype=params.dtype, device=params.device)
    if model == "translation":
        T[0, 2], T[1, 2] = params[0], params[1]
    elif model == "similarity":
        a, c, tx, ty = params
        T[0, 0], T[0, 1], T[0, 2] = a, -c, tx
        T[1, 0], T[1, 1], T[1, 2] = c, a, ty
    else:
        T[0, 0], T[0, 1], T[1, 0], T[1, 1], T[0, 2], T[1, 2] = params
    return T


def fit_global_motion(
    flow: torch.Tensor,
    weight: torch.Tensor | None = None,
    model: str = "similarity",
    step: int = 4,
    iterations: int = 6,
) -> torch.Tensor:
    """Robust least-squares fit of a global transform to a dense flow: ``p + flow(p) ≈ T p``.

    Iteratively reweighted least squares with Cauchy weights on the residuals (scale from their median absolute
    value, at least 0.5 px), so regions that move on their own (the beating heart, appearing contrast, wrong flow)
    do not pull the fit; ``weight`` (e.g. a forward-backward consistency) multiplies the robust weights.

    Args:
        flow: ``(B, 2, H, W)`` flow in pixels from frame 0 to frame 1 (channel 0 = x).
        weight: optional ``(B, 1, H, W)`` non-negative confidence of the flow.
        model: ``"translation"``, ``"similarity"`` (rotation, isotropic scale, translation) or ``"affine"``.
        step: fit on every ``step``-th pixel in each direction.
        iterations: reweighting iterations.

    Returns:
        ``(B, 3, 3)`` float64 transforms in centred pixel coordinates (see the module docstring).
    """
    name = "fit_global_motion"
    _check_model(model, name)
    if not isinstance(flow, torch.Tensor) or flow.ndim != 4 or flow.shape[1] != 2:
        raise ValueError(f"{name}: flow must be a (B, 2, H, W) tensor, got {getattr(flow, 'shape', type(flow))}.")
    if weight is not None and (weight.ndim != 4 or weight.shape[1] != 1 or weight.shape[2:] != flow.shape[2:]):
        raise ValueError(f"{name}: weight must be (B, 1, H, W) like the flow, got {tuple(weight.shape)}.")
    if step < 1 or iterations < 1:
        raise ValueError(f"{name}: step and iterations must be >= 1, got {step} and {iterations}.")
    h, w = flow.shape[-2:]
    f64 = torch.float64
    p = _centred_grid(h, w, step, flow.device, f64).reshape(-1, 2)
    rx, ry = _design(p, model)
    A = torch.cat((rx, ry), 0)  # (2M, P)
    out = []
    for i in range(flow.shape[0]):
        d = flow[i, :, ::step, ::step].to(f64).reshape(2, -1)
        # the translation model keeps A = I: fit b to the displacements; the others fit A p + b to the positions
        fixed = 0.0 if model == "translation" else p.T
        target = (fixed + d).reshape(-1)
        prior = torch.ones_like(p[:, 0]) if weight is None else weight[i, 0, ::step, ::step].to(f64).reshape(-1)
        wts = prior.clamp_min(0)
        for _ in range(iterations):
            ww = torch.cat((wts, wts)).sqrt()
            params = torch.linalg.lstsq(A * ww[:, None], target * ww).solution
            r = (A @ params - target).reshape(2, -1).norm(dim=0)
            scale = max(float(r.median()) * 1.4826, 0.5)
            wts = prior.clamp_min(0) / (1 + (r / (2.385 * scale)) ** 2)
        out.append(_to_matrix(params, model))
    return torch.stack(out)


def transform_power(transform: torch.Tensor, exponent: float | torch.Tensor) -> torch.Tensor:
    """``T^a = exp(a log T)`` of homogeneous 2-D transforms near the identity.

    Args:
        transform: ``(..., 3, 3)`` transforms whose linear part is within 0.5 (spectral norm) of the identity.
        exponent: a number, or a tensor broadcast against ``transform.shape[:-2]``.

    Returns:
        ``(..., 3, 3)`` float64.
    """
    T = transform.to(torch.float64)
    X = T - torch.eye(3, dtype=T.dtype, device=T.device)
    if float(torch.linalg.matrix_norm(X[..., :2, :2], ord=2).max()) > 0.5:
        raise ValueError("transform_power: the linear part is too far from the identity for a global frame motion.")
    # log(I + X) = sum (-1)^(k+1) X^k / k; X^k only multiplies the translation by powers of (A - I), so it converges
    log = torch.zeros_like(X)
    term = X.clone()
    for k in range(1, 40):
        log = log + ((-1) ** (k + 1)) / k * term
        term = term @ X
    a = torch.as_tensor(exponent, dtype=T.dtype, device=T.device)
    return torch.linalg.matrix_exp(a[..., None, None] * log)


def warp_global(image: torch.Tensor, transform: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Resample ``image`` at ``T p``: ``out(p) = image(T p)`` (a backward warp by a global transform).

    Args:
        image: ``(B, C, H, W)`` floating point.
        transform: ``(B, 3, 3)`` transforms in centred pixel coordinates.
        mode: ``"bilinear"`` (default) or ``"bicubic"``; borders are extended (``padding_mode="border"``).

    Returns:
        ``(B, C, H, W)``, same dtype as ``image``.
    """
    _check_mode(mode, "warp_global")
    b, _, h, w = image.shape
    # centred pixels -> normalised [-1, 1] coordinates (align_corners=True): n = S p
    S = torch.diag(torch.tensor([2 / max(w - 1, 1), 2 / max(h - 1, 1), 1.0], dtype=torch.float64))
    S_inv = torch.diag(torch.tensor([max(w - 1, 1) / 2, max(h - 1, 1) / 2, 1.0], dtype=torch.float64))
    theta = (S @ transform.to("cpu", torch.float64) @ S_inv)[:, :2]
    theta = theta.to(image.device, image.dtype if image.dtype != torch.float16 else torch.float32)
    grid = F.affine_grid(theta, [b, 1, h, w], align_corners=True)
    return F.grid_sample(image, grid.to(image.dtype), mode=mode, padding_mode="border", align_corners=True)


def estimate_global_motion(
    frame0: torch.Tensor,
    frame1: torch.Tensor,
    model: str = "similarity",
    preset: str = "fast",
    step: int = 4,
    min_inliers: float = 0.25,
    min_motion: float = 0.0,
) -> torch.Tensor:
    """Global transform from ``frame0`` to ``frame1``: DIS optical flow, consistency weights, robust fit.

    A pair whose flow agrees with the fitted transform (within 1 pixel, counted with the consistency weights) on
    less than ``min_inliers`` of the frame has no dominant global motion (unrelated frames, a scene change): its
    transform is the identity, as is that of a pair whose transform moves no corner of the frame by more than
    ``min_motion`` pixels. Frames smaller than 16 pixels on a side are not estimated (identity).

    Args:
        frame0, frame1: ``(B, C, H, W)``.
        model: see :func:`fit_global_motion`.
        preset: DIS preset (``"ultrafast"``, ``"fast"``, ``"medium"``).
        step: fit on every ``step``-th pixel.
        min_inliers: share of the frame that must follow the transform, in [0, 1].
        min_motion: corner displacement (pixels) up to which the transform is taken as the identity.

    Returns:
        ``(B, 3, 3)`` float64 on ``frame0``'s device, ``p1 = T p0``.
    """
    _check_model(model, "estimate_global_motion")
    if not 0.0 <= min_inliers <= 1.0:
        raise ValueError(f"estimate_global_motion: min_inliers must be in [0, 1], got {min_inliers!r}.")
    _check_min_motion(min_motion, "estimate_global_motion")
    b, _, h, w = frame0.shape
    eye = torch.eye(3, dtype=torch.float64, device=frame0.device).repeat(b, 1, 1)
    if min(h, w) < 16:
        return eye
    f01, f10 = dis_optical_flow(frame0.float(), frame1.float(), preset)
    weight = flow_consistency_weight(f01, f10)
    T = fit_global_motion(f01, weight, model=model, step=step)
    # share of the (consistency-weighted) frame that follows T within 1 pixel
    p = _centred_grid(h, w, step, f01.device, torch.float64)  # (h', w', 2)
    ph = torch.cat((p, torch.ones_like(p[..., :1])), -1)
    predicted = torch.einsum("bij,hwj->bhwi", T, ph)[..., :2]
    observed = p + f01[:, :, ::step, ::step].permute(0, 2, 3, 1).to(torch.float64)
    close = ((predicted - observed).norm(dim=-1) < 1.0).to(torch.float64)
    wt = weight[:, 0, ::step, ::step].to(torch.float64)
    inliers = (close * wt).sum((1, 2)) / wt.sum((1, 2)).clamp_min(1e-12)
    keep = (inliers >= min_inliers) & (_max_displacement(T, h, w).to(inliers.device) > min_motion)
    return torch.where(keep[:, None, None], T, eye).to(frame0.device)


def _max_displacement(transform: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """``(B,)`` largest displacement (pixels) of the frame's corners under ``transform``."""
    cx, cy = (w - 1) / 2, (h - 1) / 2
    corners = torch.tensor([[-cx, -cy, 1], [cx, -cy, 1], [-cx, cy, 1], [cx, cy, 1]], dtype=torch.float64)
    moved = transform.to("cpu", torch.float64) @ corners.T  # (B, 3, 4)
    return (moved[:, :2] - corners.T[:2]).norm(dim=1).amax(dim=1)


def align_pair(
    frame0: torch.Tensor,
    frame1: torch.Tensor,
    model: str = "similarity",
    min_motion: float = 1.0,
    mode: str = "bilinear",
    preset: str = "fast",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Warp a frame pair to its half-way geometry (steps 1-2 of the module docstring).

    Pairs whose global motion moves no corner of the frame by more than ``min_motion`` pixels are returned unchanged
    (identity transform, no resampling).

    Args:
        frame0, frame1: ``(B, C, H, W)``.
        model: see :func:`fit_global_motion`.
        min_motion: corner displacement (pixels) below which a pair is not compensated.
        mode: resampling, ``"bilinear"`` or ``"bicubic"``.
        preset: DIS preset of the flow the transform is fitted to.

    Returns:
        ``(aligned0, aligned1, transform)``: the frames ``(B, C, H, W)`` and the ``(B, 3, 3)`` float64 CPU transforms
        from frame 0 to frame 1 (identity where not compensated).
    """
    name = "align_pair"
    if frame0.ndim != 4 or frame1.shape != frame0.shape:
        raise ValueError(
            f"{name}: frames must be two (B, C, H, W) tensors of one shape, got {tuple(frame0.shape)} and "
            f"{tuple(frame1.shape)}."
        )
    _check_mode(mode, name)
    _check_min_motion(min_motion, name)
    T = estimate_global_motion(frame0, frame1, model, preset, min_motion=min_motion).cpu()
    if is_identity(T):
        return frame0, frame1, T
    half = transform_power(T, 0.5)
    # half-way geometry q: frame 0 seen at T^(-1/2) q, frame 1 at T^(1/2) q
    return warp_global(frame0, torch.linalg.inv(half), mode), warp_global(frame1, half, mode), T


def restore_times(
    frames: torch.Tensor, transform: torch.Tensor, t: torch.Tensor, mode: str = "bilinear"
) -> torch.Tensor:
    """Warp frames synthesized in the half-way geometry to the geometry of their times (step 4 of the module docstring).

    A point ``q`` of the half-way geometry is at ``T^(t - 1/2) q`` at time ``t``, so frame ``n`` is sampled at
    ``T^(1/2 - t_n) p``.

    Args:
        frames: ``(B, N, C, H, W)`` synthesized in the half-way geometry of :func:`align_pair`.
        transform: ``(B, 3, 3)`` the transforms :func:`align_pair` returned.
        t: ``(B, N)`` the frames' times.
        mode: resampling, ``"bilinear"`` or ``"bicubic"``.

    Returns:
        ``(B, N, C, H, W)``.
    """
    if is_identity(transform):
        return frames
    b, n, c, h, w = frames.shape
    T = transform.to("cpu", torch.float64)[:, None].expand(b, n, 3, 3)
    back = transform_power(T, 0.5 - t.detach().to("cpu", torch.float64))
    return warp_global(frames.reshape(b * n, c, h, w), back.reshape(b * n, 3, 3), mode).reshape(b, n, c, h, w)


def is_identity(transform: torch.Tensor) -> bool:
    """Whether every ``(3, 3)`` transform of ``transform (..., 3, 3)`` is exactly the identity (nothing to resample)."""
    return bool((transform == torch.eye(3, dtype=transform.dtype, device=transform.device)).all())
