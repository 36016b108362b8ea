# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""monai_angio.transforms: MONAI dictionary transforms for angiography sequences and frame-interpolation tuples."""

from __future__ import annotations

from monai_angio.transforms.intensity import (
    HistogramSpecificationd,
    MaskRectanglesd,
    ScaleBitDepthd,
    histogram_specification,
    mask_rectangles,
    quantize_bit_depth,
    scale_bit_depth,
)
from monai_angio.transforms.io import LoadCined, LoadSequenced, SaveCined
from monai_angio.transforms.temporal import (
    RandTemporalReversed,
    RemoveDuplicateFramesd,
    SampleFrameTupled,
    draw_tuple_position,
    extract_frame_tuple,
    find_duplicate_frames,
)
from monai_angio.transforms.utils import collatable_meta, sequence_to_metatensor

__all__ = [
    "LoadCined",
    "SaveCined",
    "LoadSequenced",
    "ScaleBitDepthd",
    "HistogramSpecificationd",
    "MaskRectanglesd",
    "RemoveDuplicateFramesd",
    "SampleFrameTupled",
    "RandTemporalReversed",
    "scale_bit_depth",
    "quantize_bit_depth",
    "histogram_specification",
    "mask_rectangles",
    "find_duplicate_frames",
    "draw_tuple_position",
    "extract_frame_tuple",
    "sequence_to_metatensor",
    "collatable_meta",
]
