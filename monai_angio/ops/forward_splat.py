# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Forward (splatting) warp: every source pixel is distributed bilinearly to the 4 pixels around ``x + flow(x)``.

Modes follow Niklaus & Liu, "Softmax splatting for video frame interpolation" (CVPR 2020), with ``Z`` the metric
passed as ``weight`` and ``b`` the bilinear splatting coefficients:

- ``"sum"``: ``out(p) = sum_x b(p, x) I(x)`` (summation splatting; conserves the total of ``I`` that lands inside),
- ``"average"``: ``sum_x b I / sum_x b``,
- ``"linear"``: ``sum_x b Z I / sum_x b Z`` (``Z > 0``),
- ``"softmax"``: ``sum_x b exp(Z) I / sum_x b exp(Z)``.

Normalised modes leave pixels that receive nothing at 0.
"""

from __future__ import annotations

import torch
from torch import nn

from ._backend import resolve_backend, triton_kernels
from .backward_warp import check_image_flow

__all__ = ["forward_splat", "ForwardSplat", "SPLAT_MODES"]

SPLAT_MODES = ("sum", "average", "linear", "softmax")


def _pixel_grid(h: int, w: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    ys = torch.arange(h, device=like.device, dtype=like.dtype)
    xs = torch.arange(w, device=like.device, dtype=like.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return gx, gy


def splat_sum_reference(values: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """PyTorch reference of the bilinear summation splat (``scatter_add``; differentiable twice).

    Args:
        values: ``(B, C, H, W)``.
        flow: ``(B, 2, H, W)`` in pixels, channel 0 = x, channel 1 = y.

    Returns:
        ``(B, C, H, W)``; contributions landing outside the image and non-finite positions are dropped.
    """
    b, c, h, w = values.shape
    hw = h * w
    gx, gy = _pixel_grid(h, w, flow)
    # clamping only changes positions that have no corner inside the image; it keeps the integer conversion safe
    px = (gx + flow[:, 0]).clamp(-2.0, w + 1.0)
    py = (gy + flow[:, 1]).clamp(-2.0, h + 1.0)
    finite = ~(torch.isnan(px) | torch.isnan(py))
    x0f = torch.where(finite, px, -2.0).floor()
    y0f = torch.where(finite, py, -2.0).floor()
    ax = px - x0f
    ay = py - y0f
    x0 = x0f.long()
    y0 = y0f.long()
    src = values.reshape(b, c, hw)
    out = values.new_zeros(b, c, hw)
    corners = ((0, 0, (1 - ax) * (1 - ay)), (1, 0, ax * (1 - ay)), (0, 1, (1 - ax) * ay), (1, 1, ax * ay))
    for dx, dy, coef in corners:
        xi, yi = x0 + dx, y0 + dy
        ok = finite & (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = torch.where(ok, yi * w + xi, 0).reshape(b, 1, hw).expand(b, c, hw)
        coef = torch.where(ok, coef, 0.0).reshape(b, 1, hw).to(values.dtype)
        out = out.scatter_add(2, idx, src * coef)
    return out.reshape(b, c, h, w)


def forward_splat(
    values: torch.Tensor,
    flow: torch.Tensor,
    weight: torch.Tensor | None = None,
    mode: str = "sum",
    backend: str = "auto",
) -> torch.Tensor:
    """Forward-warp ``values`` by splatting each pixel ``x`` bilinearly to the 4 pixels around ``x + flow(x)``.

    Args:
        values: ``(B, C, H, W)`` floating point.
        flow: ``(B, 2, H, W)`` displacement in pixels, channel 0 = x (columns), channel 1 = y (rows).
        weight: ``(B, 1, H, W)`` metric ``Z``, required for ``"linear"`` (weights ``Z``, should be positive) and
            ``"softmax"`` (weights ``exp(Z)``), not accepted for ``"sum"`` and ``"average"``.
        mode: one of :data:`SPLAT_MODES` (see the module docstring).
        backend: ``"auto"`` (Triton kernels for CUDA tensors when Triton is installed, else PyTorch), ``"torch"``
            or ``"triton"``.

    Returns:
        ``(B, C, H, W)`` splatted values in the dtype of ``values``.

    Raises:
        TypeError: if an input is not a floating-point tensor.
        ValueError: on wrong shapes, mismatched devices, an unknown mode or backend, or a missing/extra weight.
    """
    check_image_flow(values, flow, "forward_splat", image_label="values")
    if mode not in SPLAT_MODES:
        raise ValueError(f"forward_splat: mode must be one of {SPLAT_MODES}, got {mode!r}.")
    if mode in ("linear", "softmax"):
        if weight is None:
            raise ValueError(f"forward_splat: mode {mode!r} needs a weight (metric) tensor of shape (B, 1, H, W).")
        if not isinstance(weight, torch.Tensor) or not weight.is_floating_point():
            raise TypeError(
                f"forward_splat: weight must be a floating-point torch.Tensor, got {type(weight).__name__}."
            )
        expected = (values.shape[0], 1, *values.shape[2:])
        if tuple(weight.shape) != expected:
            raise ValueError(f"forward_splat: weight must have shape {expected}, got {tuple(weight.shape)}.")
        if weight.device != values.device:
            raise ValueError(f"forward_splat: weight on {weight.device} but values on {values.device}.")
    elif weight is not None:
        raise ValueError(f"forward_splat: mode {mode!r} takes no weight; use mode 'linear' or 'softmax'.")
    which = resolve_backend(backend, (values, flow), "forward_splat")
    splat = triton_kernels().splat_sum if which == "triton" else splat_sum_reference
    flow = flow.to(values.dtype)
    if mode == "sum":
        return splat(values, flow)
    if mode == "average":
        z = torch.ones_like(values[:, :1])
    elif mode == "linear":
        z = weight.to(values.dtype)
    else:
        z = weight.to(values.dtype)
        # the normalised result does not change when Z is shifted; subtracting the maximum avoids overflow
        z = torch.exp(z - z.detach().amax(dim=(1, 2, 3), keepdim=True))
    acc = splat(torch.cat([values * z, z], dim=1), flow)
    num, den = acc[:, :-1], acc[:, -1:]
    return num / torch.where(den == 0, torch.ones_like(den), den)


class ForwardSplat(nn.Module):
    """Module form of :func:`forward_splat`; ``forward(values, flow, weight=None)``."""

    def __init__(self, mode: str = "sum", backend: str = "auto") -> None:
        super().__init__()
        if mode not in SPLAT_MODES:
            raise ValueError(f"ForwardSplat: mode must be one of {SPLAT_MODES}, got {mode!r}.")
        self.mode = mode
        self.backend = backend

    def forward(self, values: torch.Tensor, flow: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return forward_splat(values, flow, weight, mode=self.mode, backend=self.backend)
