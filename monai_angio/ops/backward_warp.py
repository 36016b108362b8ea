# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Backward (sampling) warp: ``out(x) = image(x + flow(x))`` with bilinear interpolation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["backward_warp", "BackwardWarp", "check_image_flow"]

_PADDING = ("border", "zeros", "reflection")


def check_image_flow(
    image: torch.Tensor, flow: torch.Tensor, name: str = "backward_warp", image_label: str = "image"
) -> None:
    """Check that ``image`` is ``(B, C, H, W)`` and ``flow`` is ``(B, 2, H, W)`` on the same device.

    Args:
        image: the tensor warped (or splatted, ...) by ``flow``.
        flow: the flow.
        name: the operator named in error messages.
        image_label: how error messages call ``image``.

    Raises:
        TypeError: if either is not a tensor or not floating point.
        ValueError: if shapes or devices do not match.
    """
    for label, x in ((image_label, image), ("flow", flow)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: {label} must be a torch.Tensor, got {type(x).__name__}.")
        if not x.is_floating_point():
            raise TypeError(f"{name}: {label} must be floating point, got {x.dtype}.")
        if x.ndim != 4:
            raise ValueError(f"{name}: {label} must be 4-D (B, C, H, W), got shape {tuple(x.shape)}.")
    if flow.shape[1] != 2:
        raise ValueError(f"{name}: flow must have 2 channels (x, y), got shape {tuple(flow.shape)}.")
    if image.shape[0] != flow.shape[0] or image.shape[2:] != flow.shape[2:]:
        raise ValueError(
            f"{name}: {image_label} {tuple(image.shape)} and flow {tuple(flow.shape)} must share batch and spatial "
            "size."
        )
    if image.device != flow.device:
        raise ValueError(f"{name}: {image_label} on {image.device} but flow on {flow.device}.")


def backward_warp(image: torch.Tensor, flow: torch.Tensor, padding_mode: str = "border") -> torch.Tensor:
    """Sample ``image`` at ``x + flow(x)`` with bilinear interpolation.

    Args:
        image: ``(B, C, H, W)`` floating point.
        flow: ``(B, 2, H, W)`` displacement in pixels, channel 0 = x (columns), channel 1 = y (rows).
        padding_mode: ``"border"``, ``"zeros"`` or ``"reflection"`` for samples outside the image.

    Returns:
        ``(B, C, H, W)`` warped image.
    """
    check_image_flow(image, flow)
    if padding_mode not in _PADDING:
        raise ValueError(f"backward_warp: padding_mode must be one of {_PADDING}, got {padding_mode!r}.")
    b, _, h, w = image.shape
    flow = flow.to(image.dtype)
    ys = torch.arange(h, device=image.device, dtype=image.dtype)
    xs = torch.arange(w, device=image.device, dtype=image.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    px = gx.unsqueeze(0) + flow[:, 0]
    py = gy.unsqueeze(0) + flow[:, 1]
    # normalise to [-1, 1] with align_corners=True: pixel centres at -1 and 1 at the borders
    nx = 2.0 * px / max(w - 1, 1) - 1.0
    ny = 2.0 * py / max(h - 1, 1) - 1.0
    grid = torch.stack((nx, ny), dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode=padding_mode, align_corners=True)


class BackwardWarp(nn.Module):
    """Module form of :func:`backward_warp`."""

    def __init__(self, padding_mode: str = "border") -> None:
        super().__init__()
        if padding_mode not in _PADDING:
            raise ValueError(f"BackwardWarp: padding_mode must be one of {_PADDING}, got {padding_mode!r}.")
        self.padding_mode = padding_mode

    def forward(self, image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return backward_warp(image, flow, self.padding_mode)
