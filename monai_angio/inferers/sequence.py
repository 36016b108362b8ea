# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Whole-cine interpolation as a short pipeline: adapt, synthesize each gap, ensemble, post-process.

:func:`interpolate_cine` runs the stages on one cine and returns an :class:`InterpolationResult`;
:class:`SequenceInterpolator` is the same with its method, factor and options bound (for repeated calls; it keeps
nothing between calls).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from monai_angio.inferers.gap_synthesis import (
    GapSynthesizer,
    average_members,
    is_sequence_method,
    member_stride,
    sequence_gaps,
)
from monai_angio.inferers.temporal_window import temporal_window_correction
from monai_angio.options import InterpolationOptions

__all__ = [
    "InterpolationResult",
    "SequenceInterpolator",
    "dose_reduction_indices",
    "gap_frames",
    "interpolate_cine",
    "interpolation_times",
    "upsampled_length",
]


#: frames a cine needs for the fallback choice (every other frame must leave 3)
MIN_FRAMES_TO_CHOOSE = 5


def interpolation_times(factor: int) -> torch.Tensor:
    """The ``(K,)`` times ``k / (K + 1)``, ``k = 1..K``, of the frames synthesized between two acquired ones."""
    _check_factor(factor)
    return torch.arange(1, factor + 1, dtype=torch.float32) / (factor + 1)


def upsampled_length(num_frames: int, factor: int) -> int:
    """Length of a cine of ``num_frames`` acquired frames once ``factor`` frames are synthesized in every gap."""
    _check_factor(factor)
    return (num_frames - 1) * (factor + 1) + 1


def gap_frames(cine: torch.Tensor, factor: int) -> torch.Tensor:
    """The frames between the acquired ones of an interpolated cine, gap by gap.

    Args:
        cine: ``(T', C, H, W)`` with ``T' = (T - 1)(K + 1) + 1`` and acquired frames at every ``(K + 1)``-th position.
        factor: ``K``.

    Returns:
        A ``(T - 1, K, C, H, W)`` view of ``cine``.
    """
    _check_factor(factor)
    if (cine.shape[0] - 1) % (factor + 1):
        raise ValueError(f"a cine interpolated x{factor} has (T - 1)({factor + 1}) + 1 frames, got {cine.shape[0]}.")
    return cine[1:].unflatten(0, ((cine.shape[0] - 1) // (factor + 1), factor + 1))[:, :factor]


def dose_reduction_indices(num_frames: int, factor: int) -> tuple[list[int], int]:
    """Frames kept when only every ``(K + 1)``-th frame of a cine is acquired.

    Returns:
        The kept indices ``[0, K+1, 2(K+1), ...]`` and the number of leading frames of the real cine that the kept ones
        span (frames after the last kept one cannot be interpolated and are left out of comparisons).
    """
    _check_factor(factor)
    step = factor + 1
    kept = list(range(0, num_frames, step))
    if len(kept) < 2:
        raise ValueError(
            f"dose reduction with factor {factor} needs at least {step + 1} frames, the cine has {num_frames}."
        )
    return kept, kept[-1] + 1


def _check_factor(factor: int) -> None:
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be an integer >= 1 (frames synthesized per gap), got {factor!r}.")


@dataclass
class InterpolationResult:
    """Outcome of interpolating one cine.

    Attributes:
        frames: ``(T', C, H, W)`` (or ``(T', H, W)`` for a ``(T, H, W)`` input) the acquired frames with the
            synthesized ones between them, ``T' = (T - 1)(K + 1) + 1``.
        synthesized: ``(T',)`` bool, True for synthesized frames.
        choices: what the stages decided on this cine: ``members`` (the methods averaged), ``adapted_steps`` (steps
            kept by the adaptation; 0 when its copy was dropped), ``motion_pairs`` (pairs whose global motion was
            compensated), ``window`` (the temporal window used; 0 when off, with too few frames or on a moving
            scene), ``fallback_chosen`` and ``fallback_mse`` (the errors of the method and of the fallback on the
            held-out acquired frames; only with a fallback).
        timings: seconds spent per stage (``adapt``, ``synthesize``, ``window``, ``choose``) and in all
            (``total``).
    """

    frames: torch.Tensor
    synthesized: torch.Tensor
    choices: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _check_frames(frames: torch.Tensor) -> None:
    if not isinstance(frames, torch.Tensor):
        raise TypeError(f"frames must be a torch.Tensor, got {type(frames).__name__}.")
    if frames.ndim != 4:
        raise ValueError(f"frames must be (T, C, H, W) or (T, H, W), got shape {tuple(frames.shape)}.")
    if frames.shape[0] < 2:
        raise ValueError(f"interpolation needs at least 2 frames, got {frames.shape[0]}.")
    if not frames.is_floating_point():
        raise TypeError(f"frames must be floating point in [0, 1] (scale the bit depth first), got {frames.dtype}.")
    if not torch.isfinite(frames).all():
        raise ValueError("frames contain NaN or Inf values.")


def _default_device(interpolator: nn.Module) -> torch.device:
    param = next(iter(interpolator.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


class SequenceInterpolator:
    """Synthesize ``K`` frames between every pair of consecutive acquired frames of a cine.

    The stages, in order (each optional one set by :class:`~monai_angio.options.InterpolationOptions`):

    1. **adapt** (``adapt_steps``): fine-tune a copy of a network method on the cine's own acquired frames
       (:func:`~monai_angio.inferers.adaptation.adapt_interpolator`);
    2. **synthesize** each gap with the method and the ``ensemble`` method: frame-pair methods batch by batch, with
       global-motion alignment (``global_motion``), padding and tiling (:class:`GapSynthesizer`); sequence-wide
       methods (``sequence_gaps``, e.g. ``"dis_flow_quadratic"``) over the whole cine;
    3. **ensemble**: the equal-weight mean of the members, clamped to [0, 1];
    4. **post-process** (``denoise_window``): the temporal-window noise reduction
       (:func:`~monai_angio.inferers.temporal_window_correction`), on a still scene only: it is skipped on a cine
       whose frame pairs needed global-motion compensation (the window follows each pixel through time);
    5. **choose** (``fallback``): with at least :data:`MIN_FRAMES_TO_CHOOSE` frames, stages 1-4 and the fallback
       method (options off) each synthesize every other acquired frame from its neighbours; the one closer to the
       real frames (mean squared error) interpolates the cine.

    Args:
        interpolator: the method, a module with ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) ->
            (B, N, C, H, W)`` and an optional integer ``stride`` (inputs are padded to a multiple of it), or a
            sequence-wide method.
        factor: ``K``, the number of frames synthesized in each gap (dose reduction ``K / (K + 1)``).
        options: the test-time options; default all off.
        batch_size: frame pairs per forward pass.
        tile_size: tile edge in pixels for large frames; ``None`` processes whole frames.
        tile_overlap: fraction of overlap between tiles.
        device: where the interpolator runs; default its parameters' device (CPU for parameter-free baselines).
        progress: show progress bars.

    Example:
        >>> from monai_angio.baselines import LinearInterpolator
        >>> cine = torch.rand(5, 1, 32, 32)
        >>> result = SequenceInterpolator(LinearInterpolator(), factor=2, progress=False)(cine)
        >>> result.frames.shape, int(result.synthesized.sum())
        (torch.Size([13, 1, 32, 32]), 8)
    """

    def __init__(
        self,
        interpolator: nn.Module,
        factor: int,
        options: InterpolationOptions | None = None,
        batch_size: int = 4,
        tile_size: int | None = None,
        tile_overlap: float = 0.25,
        device: torch.device | str | None = None,
        progress: bool = True,
    ) -> None:
        from monai_angio.inferers.adaptation import check_trainable

        _check_factor(factor)
        if not isinstance(interpolator, nn.Module):
            raise TypeError(f"interpolator must be an nn.Module, got {type(interpolator).__name__}.")
        options = InterpolationOptions() if options is None else options
        if not isinstance(options, InterpolationOptions):
            raise TypeError(f"options must be InterpolationOptions, got {type(options).__name__}.")
        if options.adapt_steps:
            check_trainable(interpolator)
        self.device = torch.device(device) if device is not None else _default_device(interpolator)
        self.ensemble: nn.Module | None = None
        if options.ensemble is not None:
            from monai_angio.inferers.methods import get_interpolator

            self.ensemble = get_interpolator(options.ensemble, self.device)
        self.interpolator, self.factor, self.options = interpolator, factor, options
        self.fallback: SequenceInterpolator | None = None
        if options.fallback is not None:
            from monai_angio.inferers.methods import get_interpolator

            self.fallback = SequenceInterpolator(
                get_interpolator(options.fallback, self.device), factor, None, batch_size, tile_size, tile_overlap,
                self.device, progress,
            )  # fmt: skip
        self.synthesizer = GapSynthesizer(
            batch_size, tile_size, tile_overlap, self.device, progress, options.global_motion
        )
        pairwise = [m for m in (interpolator, self.ensemble) if m is not None and not is_sequence_method(m)]
        if pairwise:
            self.synthesizer.check_tile(member_stride(pairwise))
        self.progress = progress

    @torch.no_grad()
    def __call__(self, frames: torch.Tensor) -> InterpolationResult:
        """Interpolate a cine.

        Args:
            frames: ``(T, C, H, W)`` or ``(T, H, W)`` float frames in [0, 1], ``T >= 2``.

        Returns:
            An :class:`InterpolationResult`.
        """
        squeeze = isinstance(frames, torch.Tensor) and frames.ndim == 3
        if squeeze:
            frames = frames.unsqueeze(1)
        _check_frames(frames)
        start = time.perf_counter()
        result = None
        if self.fallback is not None and frames.shape[0] >= MIN_FRAMES_TO_CHOOSE:
            sub, truth = frames[0::2], frames[1::2]
            errors = []
            for run in (self._pipeline, self.fallback._pipeline):
                out = run(sub, 1).frames[1::2]
                errors.append(float((out - truth[: out.shape[0]]).square().mean()))
            chosen = errors[1] < errors[0]
            seconds = time.perf_counter() - start
            result = (self.fallback if chosen else self)._pipeline(frames, self.factor)
            result.choices.update({"fallback_chosen": chosen, "fallback_mse": errors})
            result.timings["choose"] = seconds
            result.timings["total"] = time.perf_counter() - start
        if result is None:
            result = self._pipeline(frames, self.factor)
        if squeeze:
            result.frames = result.frames.squeeze(1)
        return result

    def _pipeline(self, frames: torch.Tensor, k: int) -> InterpolationResult:
        """Stages 1-4 on ``(T, C, H, W)`` frames with ``k`` frames per gap."""
        start = time.perf_counter()
        timings: dict[str, float] = {}
        choices: dict[str, Any] = {"adapted_steps": 0, "motion_pairs": 0, "window": 0}
        t_count = frames.shape[0]

        network = self.interpolator
        if self.options.adapt_steps:
            network, choices["adapted_steps"] = self._adapt(frames)
            timings["adapt"] = time.perf_counter() - start

        tic = time.perf_counter()
        members = [m for m in (network, self.ensemble) if m is not None]
        choices["members"] = [type(m).__name__ for m in members]
        gaps = self._synthesize(members, frames, interpolation_times(k), choices)
        timings["synthesize"] = time.perf_counter() - tic

        if self.options.denoise_window and t_count >= 3 and not choices["motion_pairs"]:
            tic = time.perf_counter()
            gaps = temporal_window_correction(frames, gaps, self.options.denoise_window)[0].clamp_(0.0, 1.0)
            choices["window"] = self.options.denoise_window
            timings["window"] = time.perf_counter() - tic

        out = frames.new_empty((upsampled_length(t_count, k), *frames.shape[1:]))
        out[:: k + 1] = frames
        gap_frames(out, k).copy_(gaps)
        synthesized = torch.arange(out.shape[0]) % (k + 1) != 0
        timings["total"] = time.perf_counter() - start
        return InterpolationResult(out, synthesized, choices, timings)

    def _adapt(self, frames: torch.Tensor) -> tuple[nn.Module, int]:
        """The adapted copy of the network and the steps kept (stage 1)."""
        from monai_angio.inferers.adaptation import adapt_interpolator

        result = adapt_interpolator(self.interpolator, frames, self.options.adapt_steps, progress=self.progress)
        return result.network, result.selected_step

    def _synthesize(
        self, members: list[nn.Module], frames: torch.Tensor, times: torch.Tensor, choices: dict[str, Any]
    ) -> torch.Tensor:
        """``(T - 1, K, C, H, W)`` the ensemble of the members' frames at ``times`` ``(K,)`` in every gap (stages 2
        and 3)."""
        pairwise = [m for m in members if not is_sequence_method(m)]
        modes = {m: m.training for m in members}
        for m in members:
            m.eval()
        try:
            parts: list[torch.Tensor] = []
            if pairwise:
                desc = f"interpolating x{times.numel()}"
                outputs, choices["motion_pairs"] = self.synthesizer(pairwise, frames[:-1], frames[1:], times, desc)
                parts += outputs
            for m in members:
                if is_sequence_method(m):
                    parts.append(sequence_gaps(m, frames, times.to(self.device), self.progress).to(frames.dtype))
        finally:
            for m, mode in modes.items():
                m.train(mode)
        return average_members(parts)


def interpolate_cine(
    frames: torch.Tensor,
    interpolator: nn.Module,
    factor: int,
    options: InterpolationOptions | None = None,
    *,
    batch_size: int = 4,
    tile_size: int | None = None,
    tile_overlap: float = 0.25,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> InterpolationResult:
    """Synthesize ``factor`` frames in every gap of a cine (:class:`SequenceInterpolator` for one call).

    Args:
        frames: ``(T, C, H, W)`` or ``(T, H, W)`` float frames in [0, 1], ``T >= 2``.
        interpolator, factor, options, batch_size, tile_size, tile_overlap, device, progress: see
            :class:`SequenceInterpolator`.

    Returns:
        An :class:`InterpolationResult`.
    """
    inferer = SequenceInterpolator(
        interpolator, factor, options, batch_size, tile_size, tile_overlap, device=device, progress=progress
    )
    return inferer(frames)
