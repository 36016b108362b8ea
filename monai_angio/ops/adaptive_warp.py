# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Adaptive warping of DAIN (Bao et al., CVPR 2019, eq. 5; the "filter interpolation" layer).

Each output pixel ``x`` samples a 4 x 4 window of the image around the displaced position ``p = x + f(x)``: rows
``floor(p_y) - 1 .. floor(p_y) + 2`` and columns ``floor(p_x) - 1 .. floor(p_x) + 2``, tap ``r = 4 * row + col``
(row-major, ``r = 0..15``). With ``a = p_x - floor(p_x)`` and ``b = p_y - floor(p_y)``, the bilinear coefficients are
extended to the window by quadrant, as in DAIN's filter interpolation layer: the 2 x 2 top-left quadrant gets
``(1 - a)(1 - b)``, top-right ``a (1 - b)``, bottom-left ``(1 - a) b``, bottom-right ``a b``:

    out(x) = sum_r k_r(x) * bilinear_r(x) * I(window_r(x)).

A kernel equal to 1 at the inner taps 5, 6, 9, 10 (the pixels around ``p``) and 0 elsewhere gives bilinear warping.
Window pixels outside the image repeat the border. Positions outside the image are clamped to it, which makes the
bilinear case equal to :func:`~monai_angio.ops.backward_warp` with ``padding_mode="border"`` (DAIN instead keeps the
unwarped pixel there).
"""

from __future__ import annotations

import torch
from torch import nn

from ._backend import resolve_backend, triton_kernels
from .backward_warp import check_image_flow

__all__ = ["adaptive_warp", "AdaptiveWarp", "BILINEAR_TAPS"]

BILINEAR_TAPS = (5, 6, 9, 10)
"""Taps of the 4 x 4 window around the displaced position: a kernel of ones there is bilinear warping."""


def adaptive_warp_reference(image: torch.Tensor, flow: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """PyTorch reference of :func:`adaptive_warp` (16 gathers; differentiable twice)."""
    b, c, h, w = image.shape
    hw = h * w
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype)
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    px = (gx + flow[:, 0]).clamp(0, w - 1).reshape(b, 1, hw)
    py = (gy + flow[:, 1]).clamp(0, h - 1).reshape(b, 1, hw)
    x0f, y0f = px.detach().floor(), py.detach().floor()
    ax, ay = px - x0f, py - y0f
    x0, y0 = x0f.long(), y0f.long()
    bx = (1 - ax, 1 - ax, ax, ax)
    by = (1 - ay, 1 - ay, ay, ay)
    src = image.reshape(b, c, hw)
    k = kernel.reshape(b, 16, hw)
    out = None
    for j in range(4):
        yi = (y0 + (j - 1)).clamp(0, h - 1)
        for i in range(4):
            xi = (x0 + (i - 1)).clamp(0, w - 1)
            tap = src.gather(2, (yi * w + xi).expand(b, c, hw))
            term = tap * (k[:, 4 * j + i : 4 * j + i + 1] * bx[i] * by[j])
            out = term if out is None else out + term
    return out.reshape(b, c, h, w)


def adaptive_warp(image: torch.Tensor, flow: torch.Tensor, kernel: torch.Tensor, backend: str = "auto") -> torch.Tensor:
    """DAIN adaptive warping: combine a learned 4 x 4 kernel per pixel with bilinear weights (module docstring).

    Args:
        image: ``(B, C, H, W)`` floating point.
        flow: ``(B, 2, H, W)`` displacement in pixels, channel 0 = x (columns), channel 1 = y (rows).
        kernel: ``(B, 16, H, W)`` per-pixel 4 x 4 kernels, tap ``r = 4 * row + col``.
        backend: ``"auto"`` (Triton kernels for CUDA tensors when Triton is installed, else PyTorch), ``"torch"``
            or ``"triton"``.

    Returns:
        ``(B, C, H, W)`` warped image in the dtype of ``image``.

    Raises:
        TypeError: if an input is not a floating-point tensor.
        ValueError: on wrong shapes, mismatched devices or an unknown backend.
    """
    check_image_flow(image, flow, "adaptive_warp")
    check_image_flow(kernel, flow, "adaptive_warp", image_label="kernel")
    if kernel.shape[1] != 16:
        raise ValueError(f"adaptive_warp: kernel must have 16 channels (a 4 x 4 window), got {tuple(kernel.shape)}.")
    which = resolve_backend(backend, (image, flow, kernel), "adaptive_warp")
    flow = flow.to(image.dtype)
    kernel = kernel.to(image.dtype)
    if which == "triton":
        return triton_kernels().adaptive_warp(image, flow, kernel)
    return adaptive_warp_reference(image, flow, kernel)


class AdaptiveWarp(nn.Module):
    """Module form of :func:`adaptive_warp`; ``forward(image, flow, kernel)``."""

    def __init__(self, backend: str = "auto") -> None:
        super().__init__()
        self.backend = backend

    def forward(self, image: torch.Tensor, flow: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        return adaptive_warp(image, flow, kernel, backend=self.backend)
