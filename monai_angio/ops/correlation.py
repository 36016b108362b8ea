# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Correlation (cost volume) of two feature maps, as used by PWC-Net and FlowNetC (kernel size 1, stride 1).

``out[b, k, y, x] = mean_c f1[b, c, y, x] * f2[b, c, y + dy, x + dx]`` for displacements ``|dx|, |dy| <= d``, with
``k = (dy + d) * (2d + 1) + (dx + d)`` (rows of displacements outer, columns inner) and ``f2`` zero outside the image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._backend import resolve_backend, triton_kernels

__all__ = ["correlation", "Correlation"]


def _displacements(d: int) -> list[tuple[int, int, int]]:
    """``(k, dy + d, dx + d)`` for every displacement, in channel order."""
    return [(k, k // (2 * d + 1), k % (2 * d + 1)) for k in range((2 * d + 1) ** 2)]


def _row_chunks(feat: torch.Tensor) -> list[tuple[int, int]]:
    """Row ranges processed together: the whole image on GPUs; on CPUs ~1 MiB of ``feat``, which stays in cache
    across the displacements (about 8x faster than whole images at 512² and C = 64)."""
    _, c, h, w = feat.shape
    rows = h if feat.device.type != "cpu" else max(1, (1 << 18) // max(1, c * w))
    return [(y0, min(h, y0 + rows)) for y0 in range(0, h, rows)]


class _CorrelationReference(torch.autograd.Function):
    """Reference with a hand-written backward (autograd through the slices of ``feat2`` is ~15x slower)."""

    @staticmethod
    def forward(ctx, feat1: torch.Tensor, feat2: torch.Tensor, d: int) -> torch.Tensor:
        ctx.save_for_backward(feat1, feat2)
        ctx.d = d
        b, _, h, w = feat1.shape
        padded = F.pad(feat2, (d, d, d, d))
        out = feat1.new_empty(b, (2 * d + 1) ** 2, h, w)
        for y0, y1 in _row_chunks(feat1):
            f1 = feat1[:, :, y0:y1]
            for k, y, x in _displacements(d):
                out[:, k, y0:y1] = (f1 * padded[:, :, y0 + y : y1 + y, x : x + w]).mean(dim=1)
        return out

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None, None]:
        feat1, feat2 = ctx.saved_tensors
        d = ctx.d
        b, c, h, w = feat1.shape
        grad1 = torch.zeros_like(feat1)
        grad2 = feat2.new_zeros(b, c, h + 2 * d, w + 2 * d)
        padded = F.pad(feat2, (d, d, d, d))
        for y0, y1 in _row_chunks(feat1):
            f1, g1 = feat1[:, :, y0:y1], grad1[:, :, y0:y1]
            for k, y, x in _displacements(d):
                gk = grad_out[:, k : k + 1, y0:y1]
                g1.addcmul_(gk, padded[:, :, y0 + y : y1 + y, x : x + w], value=1.0 / c)
                grad2[:, :, y0 + y : y1 + y, x : x + w].addcmul_(gk, f1, value=1.0 / c)
        return grad1, grad2[:, :, d : d + h, d : d + w], None


def correlation_reference(feat1: torch.Tensor, feat2: torch.Tensor, max_displacement: int) -> torch.Tensor:
    """PyTorch reference of :func:`correlation`: one product and channel mean per displacement (and in backward)."""
    return _CorrelationReference.apply(feat1, feat2, max_displacement)


def _check(feat1: torch.Tensor, feat2: torch.Tensor, max_displacement: int) -> None:
    for label, x in (("feat1", feat1), ("feat2", feat2)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"correlation: {label} must be a torch.Tensor, got {type(x).__name__}.")
        if not x.is_floating_point():
            raise TypeError(f"correlation: {label} must be floating point, got {x.dtype}.")
        if x.ndim != 4:
            raise ValueError(f"correlation: {label} must be 4-D (B, C, H, W), got shape {tuple(x.shape)}.")
    if feat1.shape != feat2.shape:
        raise ValueError(f"correlation: feat1 {tuple(feat1.shape)} and feat2 {tuple(feat2.shape)} must match.")
    if feat1.shape[1] == 0:
        raise ValueError("correlation: the features have no channel.")
    if feat1.device != feat2.device:
        raise ValueError(f"correlation: feat1 on {feat1.device} but feat2 on {feat2.device}.")
    if isinstance(max_displacement, bool) or not isinstance(max_displacement, int) or max_displacement < 0:
        raise ValueError(f"correlation: max_displacement must be an int >= 0, got {max_displacement!r}.")


def correlation(
    feat1: torch.Tensor, feat2: torch.Tensor, max_displacement: int = 4, backend: str = "auto"
) -> torch.Tensor:
    """Cost volume between ``feat1`` and ``feat2`` displaced by up to ``max_displacement`` pixels.

    Args:
        feat1: ``(B, C, H, W)`` features of the first image.
        feat2: ``(B, C, H, W)`` features of the second image.
        max_displacement: ``d``, the largest displacement in x and y.
        backend: ``"auto"`` (Triton kernels for CUDA tensors when Triton is installed, else PyTorch), ``"torch"``
            or ``"triton"``.

    Returns:
        ``(B, (2d + 1)^2, H, W)``, the channel mean of ``feat1(x) * feat2(x + delta)`` (module docstring).

    Raises:
        TypeError: if a feature map is not a floating-point tensor.
        ValueError: on mismatched shapes or devices, a bad ``max_displacement`` or an unknown backend.
    """
    _check(feat1, feat2, max_displacement)
    which = resolve_backend(backend, (feat1, feat2), "correlation")
    feat2 = feat2.to(feat1.dtype)
    if which == "triton":
        return triton_kernels().correlation(feat1, feat2, max_displacement)
    return correlation_reference(feat1, feat2, max_displacement)


class Correlation(nn.Module):
    """Module form of :func:`correlation`; ``forward(feat1, feat2)``."""

    def __init__(self, max_displacement: int = 4, backend: str = "auto") -> None:
        super().__init__()
        if isinstance(max_displacement, bool) or not isinstance(max_displacement, int) or max_displacement < 0:
            raise ValueError(f"Correlation: max_displacement must be an int >= 0, got {max_displacement!r}.")
        self.max_displacement = max_displacement
        self.backend = backend

    def forward(self, feat1: torch.Tensor, feat2: torch.Tensor) -> torch.Tensor:
        return correlation(feat1, feat2, self.max_displacement, backend=self.backend)
