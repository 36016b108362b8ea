# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Test-time adaptation of a frame interpolator to the cine it is about to interpolate.

The acquired frames of a cine are their own training data: any three consecutive acquired frames ``(f0, f1, f2)`` are
an interpolation example (``f1`` at ``t = 0.5`` between ``f0`` and ``f2``) at twice the acquisition gap. About a hundred
optimiser steps on random crops of these triplets adapt the network to the sequence's contrast dynamics, noise and
motion (the idea of scene-adaptive frame interpolation, Choi et al., CVPR 2020, here as plain fine-tuning), before it
synthesizes the frames between the acquired ones. No frame that is synthesized is ever seen.

Guard. The network is scored on all triplets (PSNR on centre crops) before and after the fine-tuning; if the score
fell (a diverged run, e.g. with too high a learning rate), the original weights are kept. Holding triplets out for the
score was tried and dropped: with the few triplets of a short cine it kept the original weights on sequences that
fine-tuning improved and cost a third of the training examples (measured in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from monai_angio.losses import MoStDSALoss
from monai_angio.metrics import psnr

__all__ = ["AdaptationResult", "adapt_interpolator", "check_adapt_steps", "check_trainable"]


@dataclass
class AdaptationResult:
    """Outcome of :func:`adapt_interpolator`.

    Attributes:
        network: the selected network (a copy; the input network is never modified), in eval mode.
        selected_step: optimiser steps of the returned weights (0: the original weights were kept).
        history: ``{"step", "psnr"}`` before and after the fine-tuning (mean PSNR on the triplets' centre crops, data
            range 1).
    """

    network: nn.Module
    selected_step: int
    history: list[dict[str, float]] = field(default_factory=list)


def check_adapt_steps(steps: int, name: str = "adapt_steps") -> int:
    """Validate a number of adaptation steps (an int >= 0) and return it."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {steps!r}.")
    return steps


def check_trainable(network: nn.Module, name: str = "adapt_steps") -> None:
    """Raise a ``ValueError`` naming option ``name`` if ``network`` has no trainable parameters (e.g. a baseline)."""
    if not any(p.requires_grad for p in network.parameters()):
        raise ValueError(
            f"{name} needs a trainable network: {type(network).__name__} has no trainable parameters (only networks "
            "can be adapted)."
        )


def _crop_size(size: int, crop: int, stride: int) -> int:
    edge = min(size, crop) // stride * stride
    if edge < stride:
        raise ValueError(f"frames of {size} pixels are too small for crops that are multiples of the stride {stride}.")
    return edge


def _train_mode(net: nn.Module) -> None:
    """Training mode, except batch normalisation: a few small batches would only add noise to its statistics."""
    net.train()
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


@torch.no_grad()
def _score(net: nn.Module, frames: torch.Tensor, starts: list[int], edge_h: int, edge_w: int) -> float:
    """Mean PSNR of ``net`` on the centre crops of the triplets starting at ``starts``."""
    h, w = frames.shape[-2:]
    y, x = (h - edge_h) // 2, (w - edge_w) // 2
    t = frames.new_full((1, 1), 0.5)
    values = []
    for i in starts:
        tri = frames[i : i + 3, :, y : y + edge_h, x : x + edge_w]
        pred = net(tri[0:1], tri[2:3], t)[:, 0].clamp(0.0, 1.0)
        values.append(float(psnr(pred, tri[1:2], 1.0).mean()))
    return sum(values) / len(values)


def adapt_interpolator(
    network: nn.Module,
    frames: torch.Tensor,
    steps: int = 100,
    lr: float = 5e-5,
    crop: int = 128,
    batch_size: int = 4,
    val_crop: int = 512,
    seed: int = 0,
    progress: bool = True,
) -> AdaptationResult:
    """Fine-tune a copy of ``network`` on the triplets of consecutive acquired ``frames``.

    Args:
        network: a trainable interpolator ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) -> (B, N, C,
            H, W)`` (e.g. :class:`~monai_angio.networks.MoStDSA`); its optional ``stride`` attribute sets the crop
            granularity.
        frames: ``(T, C, H, W)`` acquired frames in [0, 1], ``T >= 3``, in acquisition order.
        steps: optimiser steps (Adam); 0 returns an unmodified copy.
        lr: learning rate.
        crop: edge of the random training crops (clipped to the frame and rounded down to the stride).
        batch_size: crops per step.
        val_crop: edge of the centre crops the guard scores on.
        seed: seed of the crop, flip, rotation and time-reversal draws.
        progress: show a tqdm progress bar.

    Returns:
        An :class:`AdaptationResult` with the selected copy of the network.

    Raises:
        ValueError: for a network without trainable parameters (a baseline), fewer than 3 frames or bad arguments.
    """
    check_adapt_steps(steps, "steps")
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or not frames.is_floating_point():
        raise ValueError(f"frames must be a float (T, C, H, W) tensor, got {getattr(frames, 'shape', type(frames))}.")
    if frames.shape[0] < 3:
        raise ValueError(f"adaptation needs at least 3 acquired frames (one triplet), got {frames.shape[0]}.")
    check_trainable(network, "adaptation")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}.")
    for name, value in (("crop", crop), ("batch_size", batch_size), ("val_crop", val_crop)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")

    stride = int(getattr(network, "stride", 1))
    h, w = frames.shape[-2:]
    ch, cw = _crop_size(h, crop, stride), _crop_size(w, crop, stride)
    vh, vw = _crop_size(h, val_crop, stride), _crop_size(w, val_crop, stride)
    device = next(network.parameters()).device
    frames = frames.detach().to(device).clone()  # a plain tensor even if it came from an inference-mode context
    starts = list(range(frames.shape[0] - 2))  # triplets (i, i + 1, i + 2)

    net = copy.deepcopy(network).eval()
    history = [{"step": 0, "psnr": _score(net, frames, starts, vh, vw)}]
    if steps == 0:
        return AdaptationResult(net, 0, history)
    original = copy.deepcopy(net.state_dict())

    loss_fn = MoStDSALoss(perceptual_weight=0.0, style_weight=0.0)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
    gen = torch.Generator().manual_seed(seed)
    t = frames.new_full((batch_size, 1), 0.5)

    def draw(high: int) -> int:
        return int(torch.randint(0, high, (1,), generator=gen))

    _train_mode(net)
    with torch.enable_grad(), torch.autocast(device.type, enabled=False):
        for _ in tqdm(range(steps), desc="adapting", unit="step", disable=not progress):
            crops = []
            for _b in range(batch_size):
                i, y, x = starts[draw(len(starts))], draw(h - ch + 1), draw(w - cw + 1)
                tri = frames[i : i + 3, :, y : y + ch, x : x + cw]
                if draw(2):
                    tri = tri.flip(0)  # time reversal: the middle frame stays at t = 0.5
                if draw(2):
                    tri = tri.flip(-1)
                if ch == cw:
                    tri = torch.rot90(tri, draw(4), (-2, -1))
                crops.append(tri)
            batch = torch.stack(crops)  # (B, 3, C, h, w)
            pred = net(batch[:, 0], batch[:, 2], t)
            loss = loss_fn(pred, batch[:, 1:2])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
    net.eval()
    history.append({"step": steps, "psnr": _score(net, frames, starts, vh, vw)})
    if history[-1]["psnr"] < history[0]["psnr"]:
        warnings.warn(
            f"adaptation lowered the PSNR on the acquired triplets ({history[0]['psnr']:.2f} -> "
            f"{history[-1]['psnr']:.2f} dB): the original weights are kept; try a lower learning rate.",
            stacklevel=2,
        )
        net.load_state_dict(original)
        return AdaptationResult(net, 0, history)
    return AdaptationResult(net, steps, history)
