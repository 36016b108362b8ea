# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Dose-reduction study: drop frames of a real cine, synthesize them back, measure against the dropped frames."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from monai_angio.metrics import FrameQualityReport
from monai_angio.options import InterpolationOptions

from .sequence import InterpolationResult, SequenceInterpolator, dose_reduction_indices

__all__ = ["DoseReductionResult", "dose_reduction_study"]


@dataclass
class DoseReductionResult:
    """Outcome of :func:`dose_reduction_study`.

    Attributes:
        report: one row per frame of the compared span; synthesized rows carry PSNR, SSIM and IE.
        reconstructed: ``(T', C, H, W)`` the kept frames with the synthesized ones between them.
        reference: ``(T', C, H, W)`` the real frames over the same span.
        synthesized: ``(T',)`` bool, True where ``reconstructed`` was synthesized.
        seconds_per_frame: wall time of the interpolation divided by the number of synthesized frames.
        factor: ``K``.
        interpolation: the :class:`~monai_angio.inferers.InterpolationResult` of the kept frames (choices, timings).
    """

    report: FrameQualityReport
    reconstructed: torch.Tensor
    reference: torch.Tensor
    synthesized: torch.Tensor
    seconds_per_frame: float
    factor: int
    interpolation: InterpolationResult | None = None

    @property
    def dose_saved(self) -> float:
        """Fraction of the exposures saved: ``K / (K + 1)``."""
        return self.factor / (self.factor + 1)


def dose_reduction_study(
    frames: torch.Tensor,
    interpolator: nn.Module,
    factor: int,
    options: InterpolationOptions | None = None,
    *,
    batch_size: int = 4,
    tile_size: int | None = None,
    progress: bool = True,
) -> DoseReductionResult:
    """Keep every ``(K + 1)``-th frame of a cine, synthesize the others and compare them with the real ones.

    Every stage (adaptation, temporal window) sees the kept frames only; their time is included in
    ``seconds_per_frame``.

    Args:
        frames: ``(T, C, H, W)`` float frames in [0, 1] of a real (or phantom) cine.
        interpolator: a two-frame interpolator (see :class:`~monai_angio.inferers.SequenceInterpolator`).
        factor: ``K``, frames dropped (and synthesized) between two kept ones.
        options: the test-time options (default all off).
        batch_size: frame pairs per forward pass.
        tile_size: tile edge for large frames, ``None`` for whole frames.
        progress: show a progress bar.

    Returns:
        A :class:`DoseReductionResult`; measures use a data range of 1.0.
    """
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4:
        raise ValueError(f"frames must be a (T, C, H, W) tensor, got {getattr(frames, 'shape', type(frames))}.")
    kept, span = dose_reduction_indices(frames.shape[0], factor)
    inferer = SequenceInterpolator(
        interpolator, factor, options, batch_size=batch_size, tile_size=tile_size, progress=progress
    )
    start = time.perf_counter()
    result = inferer(frames[kept])
    elapsed = time.perf_counter() - start
    reconstructed, synthesized = result.frames, result.synthesized
    reference = frames[:span]
    report = FrameQualityReport(data_range=1.0)
    report.add_batch(synthesized.nonzero().flatten().tolist(), reconstructed[synthesized], reference[synthesized])
    for i in (~synthesized).nonzero().flatten().tolist():
        report.add(i, synthesized=False)
    n_syn = int(synthesized.sum())
    return DoseReductionResult(report, reconstructed, reference, synthesized, elapsed / max(n_syn, 1), factor, result)
