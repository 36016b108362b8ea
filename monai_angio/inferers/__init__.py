"""Inference over whole cines."""

from .sequence import SequenceInterpolator, dose_reduction_indices, interpolation_times, upsampled_length

__all__ = ["SequenceInterpolator", "dose_reduction_indices", "interpolation_times", "upsampled_length"]
