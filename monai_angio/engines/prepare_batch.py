# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Batch preparation for two-frame interpolators in MONAI/Ignite workflows (``SupervisedTrainer``, evaluators)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from monai.engines.utils import PrepareBatch
from monai.utils import CommonKeys

__all__ = ["PrepareInterpolationBatch", "interpolation_output_transform", "frames_to_batch"]


def _plain(x: Any) -> torch.Tensor:
    """A plain tensor (MetaTensor meta would only slow the network down)."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    return x.as_tensor() if hasattr(x, "as_tensor") else x


class PrepareInterpolationBatch(PrepareBatch):
    """Turn a collated tuple batch into ``(frame0, target, (frame1, time), {})`` for ``network(frame0, frame1, t)``.

    The batch is a dictionary with ``frame0``/``frame1`` ``(B, C, H, W)``, ``target`` ``(B, N * C, H, W)`` and
    ``time`` ``(B, N)`` (the keys of :class:`~monai_angio.transforms.SampleFrameTupled` after collation). The target
    is returned as ``(B, N, C, H, W)``, the shape interpolators return, so a loss compares it directly with the
    prediction. MONAI's supervised workflows call ``network(frame0, frame1, time)`` with this output.

    Args:
        frame0_key, frame1_key, target_key, time_key: keys of the batch.
    """

    def __init__(
        self,
        frame0_key: str = "frame0",
        frame1_key: str = "frame1",
        target_key: str = "target",
        time_key: str = "time",
    ) -> None:
        self.keys = (frame0_key, frame1_key, target_key, time_key)

    def __call__(
        self,
        batchdata: Mapping[str, Any],
        device: str | torch.device | None = None,
        non_blocking: bool = False,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor], dict]:
        if not isinstance(batchdata, Mapping):
            raise TypeError(f"PrepareInterpolationBatch: expected a dictionary batch, got {type(batchdata).__name__}.")
        missing = [k for k in self.keys if k not in batchdata]
        if missing:
            raise KeyError(f"PrepareInterpolationBatch: the batch lacks keys {missing}; it has {sorted(batchdata)}.")
        k0, k1, kt, ktime = self.keys
        frame0, frame1 = _plain(batchdata[k0]), _plain(batchdata[k1])
        target, time = _plain(batchdata[kt]), _plain(batchdata[ktime])
        if frame0.ndim != 4 or frame1.shape != frame0.shape:
            raise ValueError(
                f"PrepareInterpolationBatch: '{k0}' and '{k1}' must be (B, C, H, W) of one shape, got "
                f"{tuple(frame0.shape)} and {tuple(frame1.shape)}."
            )
        if time.ndim == 1:
            time = time.unsqueeze(1)
        if time.ndim != 2 or time.shape[0] != frame0.shape[0]:
            raise ValueError(f"PrepareInterpolationBatch: '{ktime}' must be (B, N), got {tuple(time.shape)}.")
        target = frames_to_batch(target, time.shape[1], frame0.shape[1], kt)
        to = {"device": device, "non_blocking": non_blocking, **kwargs}
        return (
            frame0.to(**to),
            target.to(**to),
            (frame1.to(**to), time.to(device=device, dtype=frame0.dtype, non_blocking=non_blocking)),
            {},
        )


def frames_to_batch(target: torch.Tensor, num_frames: int, channels: int, name: str = "target") -> torch.Tensor:
    """Reshape stacked target frames ``(B, N * C, H, W)`` to ``(B, N, C, H, W)`` (a 5-D input is checked and kept)."""
    if target.ndim == 5:
        if target.shape[1:3] != (num_frames, channels):
            raise ValueError(
                f"'{name}' {tuple(target.shape)} does not hold {num_frames} frames of {channels} channels."
            )
        return target
    if target.ndim != 4 or target.shape[1] != num_frames * channels:
        raise ValueError(
            f"'{name}' must be (B, N * C, H, W) with N * C = {num_frames} * {channels}, got {tuple(target.shape)}."
        )
    b, _, h, w = target.shape
    return target.reshape(b, num_frames, channels, h, w)


def interpolation_output_transform(output: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Ignite ``output_transform`` for image metrics: ``(pred, label)`` with every synthesized frame as a batch item.

    Accepts the engine output as a dictionary (``decollate=False``: ``pred``/``label`` ``(B, N, C, H, W)``) or as a
    list of per-item dictionaries (``decollate=True``: ``(N, C, H, W)`` each) and returns ``(B * N, C, H, W)`` pairs,
    the shape 2-D PSNR/SSIM metrics take.
    """
    if isinstance(output, Mapping):
        pred, label = output[CommonKeys.PRED], output[CommonKeys.LABEL]
    elif isinstance(output, Sequence) and output and isinstance(output[0], Mapping):
        pred = torch.stack([_plain(o[CommonKeys.PRED]) for o in output])
        label = torch.stack([_plain(o[CommonKeys.LABEL]) for o in output])
    else:
        raise TypeError(f"interpolation_output_transform: unexpected engine output {type(output).__name__}.")
    pred, label = _plain(pred), _plain(label)
    if pred.shape != label.shape or pred.ndim != 5:
        raise ValueError(
            f"interpolation_output_transform: pred {tuple(pred.shape)} and label {tuple(label.shape)} must both be "
            "(B, N, C, H, W)."
        )
    return pred.flatten(0, 1), label.flatten(0, 1)
