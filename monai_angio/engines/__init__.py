# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Training and evaluation helpers of the interpolation bundles: batches, tuple sampling, handlers."""

from .handlers import SetEpochHandler, optional_tensorboard_handler
from .prepare_batch import PrepareInterpolationBatch, frames_to_batch, interpolation_output_transform
from .sampling import MixedTupleDataset, RandTupleMotiond, RandTupleNoised, interpolation_sources
from .workflows import (
    CineInterpolationInferer,
    InterpolationInferer,
    evaluate_interpolation,
)

__all__ = [
    "CineInterpolationInferer",
    "InterpolationInferer",
    "MixedTupleDataset",
    "PrepareInterpolationBatch",
    "RandTupleMotiond",
    "RandTupleNoised",
    "SetEpochHandler",
    "frames_to_batch",
    "evaluate_interpolation",
    "interpolation_output_transform",
    "interpolation_sources",
    "optional_tensorboard_handler",
]
