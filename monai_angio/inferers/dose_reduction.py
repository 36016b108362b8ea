# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Dose-reduction study: drop frames of a real cine, synthesize them back, measure against the dropped frames."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from monai_angio.metrics import FrameQualityReport

from .sequence import SequenceInterpolator, dose_reduction_indices

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
        selected: with a ``fallback``, the interpolator that was used (``"main"`` or ``"fallback"``), else ``None``.
    """

    report: FrameQualityReport
    reconstructed: torch.Tensor
    reference: torch.Tensor
    synthesized: torch.Tensor
    seconds_per_frame: float
    factor: int
    selected: str | None = None

    @property
    def dose_saved(self) -> float:
        """Fraction of the exposures saved: ``K / (K + 1)``."""
        return self.factor / (self.factor + 1)


def dose_reduction_study(
    frames: torch.Tensor,
    interpolator: nn.Module,
    factor: int,
    batch_size: int = 4,
    tile_size: int | None = None,
    progress: bool = True,
    self_ensemble: int = 1,
    time_reversal: bool = False,
    adapt_steps: int = 0,
    adapt_lr: float = 5e-5,
    denoise_anchors: bool = False,
    fallback: nn.Module | str | None = None,
    ensemble: nn.Module | str | None = None,
    global_motion: str | None = None,
    denoise_window: int = 0,
) -> DoseReductionResult:
    """Keep every ``(K + 1)``-th frame of a cine, synthesize the others and compare them with the real ones.

    Args:
        frames: ``(T, C, H, W)`` float frames in [0, 1] of a real (or phantom) cine.
        interpolator: a two-frame interpolator (see :class:`~monai_angio.inferers.SequenceInterpolator`).
        factor: ``K``, frames dropped (and synthesized) between two kept ones.
        batch_size: frame pairs per forward pass.
        tile_size: tile edge for large frames, ``None`` for whole frames.
        progress: show a progress bar.
        self_ensemble: flips averaged per pair (1, 2, 4 or 8; see :class:`SequenceInterpolator`).
        time_reversal: also average the time-reversed call.
        adapt_steps, adapt_lr: test-time adaptation of a network on the kept frames only (see
            :class:`SequenceInterpolator`); its time is included in ``seconds_per_frame``.
        denoise_anchors: blend the kept frames with their predictions before interpolating (see
            :class:`SequenceInterpolator`; uses the kept frames only); its time is included too.
        fallback: a second interpolator chosen instead when it predicts the kept frames better (see
            :class:`SequenceInterpolator`; uses the kept frames only); the time of the choice is included too.
        ensemble: a second interpolator whose frames are averaged with the interpolator's (see
            :class:`SequenceInterpolator`).
        global_motion: remove the global motion of each pair before the interpolator sees it (a motion model, see
            :class:`SequenceInterpolator`).
        denoise_window: correct the synthesized frames towards a line in time through up to this many kept frames
            on each side of their gap (0: off; see :class:`SequenceInterpolator`; uses the kept frames only); its
            time is included too.

    Returns:
        A :class:`DoseReductionResult`; measures use a data range of 1.0.
    """
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4:
        raise ValueError(f"frames must be a (T, C, H, W) tensor, got {getattr(frames, 'shape', type(frames))}.")
    kept, span = dose_reduction_indices(frames.shape[0], factor)
    inferer = SequenceInterpolator(
        interpolator,
        factor,
        batch_size=batch_size,
        tile_size=tile_size,
        progress=progress,
        self_ensemble=self_ensemble,
        time_reversal=time_reversal,
        adapt_steps=adapt_steps,
        adapt_lr=adapt_lr,
        denoise_anchors=denoise_anchors,
        fallback=fallback,
        ensemble=ensemble,
        global_motion=global_motion,
        denoise_window=denoise_window,
    )
    start = time.perf_counter()
    reconstructed, synthesized = inferer(frames[kept])
    elapsed = time.perf_counter() - start
    reference = frames[:span]
    report = FrameQualityReport(data_range=1.0)
    report.add_batch(synthesized.nonzero().flatten().tolist(), reconstructed[synthesized], reference[synthesized])
    for i in (~synthesized).nonzero().flatten().tolist():
        report.add(i, synthesized=False)
    n_syn = int(synthesized.sum())
    return DoseReductionResult(
        report, reconstructed, reference, synthesized, elapsed / max(n_syn, 1), factor, inferer.selected
    )
