# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Inference over whole cines: interpolation by a factor K (a pipeline of stages), dose-reduction studies."""

from .anchor_denoising import blend_anchors, estimate_noise_variance
from .dose_reduction import DoseReductionResult, dose_reduction_study
from .sequence import (
    InterpolationResult,
    SequenceInterpolator,
    dose_reduction_indices,
    gap_frames,
    interpolate_cine,
    interpolation_times,
    upsampled_length,
)
from .temporal_window import temporal_window_correction

__all__ = [
    "DoseReductionResult",
    "InterpolationResult",
    "SequenceInterpolator",
    "dose_reduction_indices",
    "blend_anchors",
    "dose_reduction_study",
    "estimate_noise_variance",
    "gap_frames",
    "interpolate_cine",
    "interpolation_times",
    "temporal_window_correction",
    "upsampled_length",
]
