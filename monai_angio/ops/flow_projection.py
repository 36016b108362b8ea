# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Depth-aware flow projection of DAIN (Bao et al., "Depth-aware video frame interpolation", CVPR 2019, eqs. 1-4).

Each source pixel ``y`` of frame 0 moves to ``y + t F_{0->1}(y)`` at time ``t``. As in DAIN's flow projection layer,
it contributes to the 4 integer pixels around that position (floor and floor + 1 in x and y; positions outside the
image are dropped), with weight ``1 / D_0(y)`` so that closer objects win:

    F_{t->0}(x) = -t * sum_{y in S(x)} F_{0->1}(y) / D_0(y) / sum_{y in S(x)} 1 / D_0(y).

Pixels that receive nothing (holes) are filled, as in DAIN's outside-in hole filling, with the mean of the nearest
non-hole flows found along the four directions left, right, up and down (holes with no non-hole pixel in their row
and column stay 0).
"""

from __future__ import annotations

import torch
from torch import nn

from ._backend import resolve_backend, triton_kernels
from .backward_warp import check_image_flow

__all__ = ["depth_aware_flow_projection", "DepthAwareFlowProjection", "fill_flow_holes"]


def project_scatter_reference(flow: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """PyTorch reference of the projection scatter.

    Args:
        flow: ``(B, 2, H, W)`` displacement to the position at time t (``t F_{0->1}``).
        weight: ``(B, 1, H, W)`` per-source weight (inverse depth).

    Returns:
        ``(B, 3, H, W)``: sums of ``-flow * weight`` (channels 0, 1) and of ``weight`` (channel 2) over the sources
        whose position lies within one pixel (floor / floor + 1) of each target pixel.
    """
    b, _, h, w = flow.shape
    hw = h * w
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype)
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    px = gx + flow[:, 0]
    py = gy + flow[:, 1]
    valid = (px >= 0) & (px <= w - 1) & (py >= 0) & (py <= h - 1)
    x0 = torch.where(valid, px, 0.0).detach().floor().long()
    y0 = torch.where(valid, py, 0.0).detach().floor().long()
    src = torch.cat([-flow * weight, weight], dim=1).reshape(b, 3, hw)
    out = flow.new_zeros(b, 3, hw)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        xi, yi = x0 + dx, y0 + dy
        ok = (valid & (xi < w) & (yi < h)).reshape(b, 1, hw)
        idx = torch.where(ok, (yi * w + xi).reshape(b, 1, hw), 0).expand(b, 3, hw)
        out = out.scatter_add(2, idx, torch.where(ok, src, 0.0))
    return out.reshape(b, 3, h, w)


def _nearest_valid(valid: torch.Tensor, dim: int, reverse: bool) -> torch.Tensor:
    """Index along ``dim`` of the nearest valid element at or before (``reverse``: at or after) each one; -1: none."""
    n = valid.shape[dim]
    shape = [1] * valid.ndim
    shape[dim] = n
    pos = torch.arange(n, device=valid.device).reshape(shape)
    if not reverse:
        return torch.where(valid, pos, -1).cummax(dim).values
    found = torch.where(valid, n - 1 - pos, -1).flip(dim).cummax(dim).values.flip(dim)
    return torch.where(found >= 0, n - 1 - found, -1)


def fill_flow_holes(flow: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Fill the holes of ``flow`` with the mean of the nearest valid flows to the left, right, above and below.

    Args:
        flow: ``(B, C, H, W)``.
        valid: ``(B, 1, H, W)`` bool, ``False`` at holes.

    Returns:
        ``(B, C, H, W)``: valid pixels unchanged; holes set to the mean over the (up to four) directions in which a
        valid pixel exists; holes with none keep their value. Differentiable with respect to ``flow``.
    """
    if valid.dtype != torch.bool or valid.ndim != 4 or valid.shape[1] != 1:
        raise ValueError(f"fill_flow_holes: valid must be a (B, 1, H, W) bool tensor, got {valid.dtype} {valid.shape}.")
    if valid.shape[0] != flow.shape[0] or valid.shape[2:] != flow.shape[2:]:
        raise ValueError(f"fill_flow_holes: valid {tuple(valid.shape)} does not match flow {tuple(flow.shape)}.")
    b, c, h, w = flow.shape
    total = torch.zeros_like(flow)
    count = flow.new_zeros(b, 1, h, w)
    for dim in (3, 2):
        for reverse in (False, True):
            idx = _nearest_valid(valid, dim, reverse)
            has = idx >= 0
            picked = flow.gather(dim, idx.clamp(min=0).expand(b, c, h, w))
            total = total + torch.where(has, picked, 0.0)
            count = count + has.to(flow.dtype)
    filled = total / count.clamp(min=1)
    return torch.where(valid | (count == 0), flow, filled)


def _time_tensor(t: float | torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    b = flow.shape[0]
    if isinstance(t, torch.Tensor):
        if t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"depth_aware_flow_projection: t must be a real tensor, got {t.dtype}.")
        if t.numel() != 1 and [s for s in t.shape if s != 1] != [b]:
            raise ValueError(
                "depth_aware_flow_projection: t must be a float or a tensor with 1 or B elements (shape (B,), (B, 1) "
                f"or (B, 1, 1, 1)), got shape {tuple(t.shape)} for B = {b}; fold several times into the batch."
            )
        return t.to(device=flow.device, dtype=flow.dtype).reshape(-1, 1, 1, 1)
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return flow.new_full((1, 1, 1, 1), float(t))
    raise TypeError(f"depth_aware_flow_projection: t must be a float or a tensor, got {type(t).__name__}.")


def depth_aware_flow_projection(
    flow_0to1: torch.Tensor,
    depth_0: torch.Tensor,
    t: float | torch.Tensor,
    fill_holes: bool = True,
    backend: str = "auto",
) -> torch.Tensor:
    """Project the flow ``F_{0->1}`` to the flow ``F_{t->0}`` at time ``t``, weighting sources by inverse depth.

    Args:
        flow_0to1: ``(B, 2, H, W)`` flow from frame 0 to frame 1 in pixels, channel 0 = x, channel 1 = y.
        depth_0: ``(B, 1, H, W)`` positive depth of frame 0 (not checked, to avoid a device synchronisation).
        t: time in (0, 1): a float, or a tensor with 1 or B elements (``(B,)``, ``(B, 1)``).
        fill_holes: fill the pixels no source reaches from their neighbours (see :func:`fill_flow_holes`);
            ``False`` leaves them 0.
        backend: ``"auto"``, ``"torch"`` or ``"triton"`` for the scatter (the rest is PyTorch in both).

    Returns:
        ``(B, 2, H, W)`` flow from time ``t`` to frame 0, in the dtype of ``flow_0to1``.

    Raises:
        TypeError: if an input is not a floating-point tensor or ``t`` is not a number/tensor.
        ValueError: on wrong shapes or mismatched devices.
    """
    check_image_flow(depth_0, flow_0to1, "depth_aware_flow_projection", image_label="depth_0")
    if depth_0.shape[1] != 1:
        raise ValueError(
            f"depth_aware_flow_projection: depth_0 must have 1 channel (B, 1, H, W), got {tuple(depth_0.shape)}."
        )
    tt = _time_tensor(t, flow_0to1)
    which = resolve_backend(backend, (flow_0to1, depth_0), "depth_aware_flow_projection")
    scatter = triton_kernels().project_scatter if which == "triton" else project_scatter_reference
    acc = scatter(flow_0to1 * tt, 1.0 / depth_0.to(flow_0to1.dtype))
    num, den = acc[:, :2], acc[:, 2:]
    valid = den > 0
    flow_t0 = num / torch.where(valid, den, torch.ones_like(den))
    return fill_flow_holes(flow_t0, valid) if fill_holes else flow_t0


class DepthAwareFlowProjection(nn.Module):
    """Module form of :func:`depth_aware_flow_projection`; ``forward(flow_0to1, depth_0, t)``."""

    def __init__(self, fill_holes: bool = True, backend: str = "auto") -> None:
        super().__init__()
        self.fill_holes = fill_holes
        self.backend = backend

    def forward(self, flow_0to1: torch.Tensor, depth_0: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
        return depth_aware_flow_projection(flow_0to1, depth_0, t, fill_holes=self.fill_holes, backend=self.backend)
