"""Inference over whole cines: interpolation by a factor K, dose-reduction studies."""

from .dose_reduction import DoseReductionResult, dose_reduction_study
from .sequence import SequenceInterpolator, dose_reduction_indices, interpolation_times, upsampled_length

__all__ = [
    "DoseReductionResult",
    "SequenceInterpolator",
    "dose_reduction_indices",
    "dose_reduction_study",
    "interpolation_times",
    "upsampled_length",
]
