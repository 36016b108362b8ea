# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Image quality measures (PSNR/SSIM via MONAI, interpolation error) and per-frame quality reports."""

from .quality import InterpolationErrorMetric, as_bchw, check_data_range, interpolation_error, psnr, ssim
from .report import (
    FrameQuality,
    FrameQualityReport,
    atomic_write,
    plot_curves,
    plot_frame_quality,
    read_frames_csv,
    side_by_side_png,
    summarize_frames,
    write_frames_csv,
    write_summary_json,
)

__all__ = [
    "psnr",
    "ssim",
    "interpolation_error",
    "InterpolationErrorMetric",
    "as_bchw",
    "check_data_range",
    "FrameQuality",
    "FrameQualityReport",
    "summarize_frames",
    "write_frames_csv",
    "read_frames_csv",
    "plot_curves",
    "plot_frame_quality",
    "write_summary_json",
    "side_by_side_png",
    "atomic_write",
]
