# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Thin adapters that give the interpolation networks the single-image interface MONAI tools expect."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["TwoFrameImageWrapper"]

_INNER = "network."


def _drop_inner_prefix(module: nn.Module, state_dict: dict[str, Any], prefix: str, local_metadata: Any) -> None:
    """State-dict post hook: store the wrapped network's entries without the ``network.`` level."""
    inner = prefix + _INNER
    for key in [k for k in state_dict if k.startswith(inner)]:
        state_dict[prefix + key[len(inner) :]] = state_dict.pop(key)


def _add_inner_prefix(
    module: nn.Module,
    state_dict: dict[str, Any],
    prefix: str,
    local_metadata: Any,
    strict: bool,
    missing_keys: list[str],
    unexpected_keys: list[str],
    error_msgs: list[str],
) -> None:
    """Load-state-dict pre hook: accept the wrapped network's entries with or without the ``network.`` level."""
    inner = prefix + _INNER
    for key in [k for k in state_dict if k.startswith(prefix) and not k.startswith(inner)]:
        state_dict[inner + key[len(prefix) :]] = state_dict.pop(key)


class TwoFrameImageWrapper(nn.Module):
    """Present an interpolator as an image-to-image network: two frames stacked as channels in, one frame out.

    MONAI's ``verify_net_in_out``, ``ckpt_export``/``onnx_export`` and MONAI Label pass a single image tensor to a
    bundle's ``network_def``. This wrapper splits a ``(B, 2C, H, W)`` image into ``frame0 = image[:, :C]`` and
    ``frame1 = image[:, C:]``, calls the wrapped interpolator
    ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) -> (B, N, C, H, W)`` with ``t`` a ``(B, 1)`` tensor
    filled with the constant ``t`` and returns the single synthesized frame ``(B, C, H, W)``.

    When ``pad=True`` the input is padded (edge replication) up to a multiple of the network's ``stride`` attribute
    and the output cropped back, so any ``H, W`` is accepted.

    The wrapper is transparent for checkpoints: its ``state_dict`` holds the wrapped network's keys unchanged (no
    ``network.`` prefix) and ``load_state_dict`` accepts keys with or without that prefix, so a ``model.pt`` saved
    from the bare interpolator in training loads into the wrapper used for inference, and the other way round.

    Args:
        network: interpolator module with the interface above (an int attribute ``stride`` is honoured if present).
        t: interpolation time of the returned frame, in [0, 1]; 0.5 is the frame halfway between the two inputs.
        pad: pad the input to a multiple of ``network.stride`` and crop the output back.

    Shapes:
        input ``(B, 2C, H, W)`` float; output ``(B, C, H, W)`` of the input dtype.
    """

    def __init__(self, network: nn.Module, t: float = 0.5, pad: bool = True) -> None:
        super().__init__()
        if not isinstance(network, nn.Module):
            raise TypeError(f"TwoFrameImageWrapper: network must be a torch.nn.Module, got {type(network).__name__}.")
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= float(t) <= 1.0:
            raise ValueError(f"TwoFrameImageWrapper: t must be a number in [0, 1], got {t!r}.")
        stride = getattr(network, "stride", 1)
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(f"TwoFrameImageWrapper: network.stride must be a positive int, got {stride!r}.")
        self.network = network
        self.t = float(t)
        self.stride = int(stride)
        self.pad = bool(pad)
        self.register_state_dict_post_hook(_drop_inner_prefix)
        self.register_load_state_dict_pre_hook(_add_inner_prefix)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Return the frame at time ``t`` between the two frames stacked in ``image (B, 2C, H, W)``."""
        if image.dim() != 4:
            raise ValueError(
                f"TwoFrameImageWrapper: image must be (B, 2C, H, W) with the two frames as channels, "
                f"got {image.dim()} dimensions."
            )
        channels = image.shape[1]
        if channels < 2 or channels % 2 != 0:
            raise ValueError(
                f"TwoFrameImageWrapper: image must hold two frames as an even number of channels, got {channels}."
            )
        c = channels // 2
        height, width = image.shape[2], image.shape[3]
        if self.pad and self.stride > 1:
            pad_h = (self.stride - height % self.stride) % self.stride
            pad_w = (self.stride - width % self.stride) % self.stride
            if pad_h > 0 or pad_w > 0:
                image = F.pad(image, [0, pad_w, 0, pad_h], mode="replicate")
        t = torch.full((image.shape[0], 1), self.t, dtype=image.dtype, device=image.device)
        out = self.network(image[:, :c], image[:, c:], t)
        return out[:, 0, :, :height, :width]
