# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Interface contracts the tests hold the package to, written out independently of the package's own constants."""

from __future__ import annotations

#: Keys every reader's meta dict must have (``monai_angio.io.load_sequence`` and the phantom's ``generate``).
READER_META_KEYS = frozenset(
    {
        "filename",
        "format",
        "frame_times_ms",
        "frame_time_ms",
        "bits_stored",
        "pixel_spacing",
        "modality",
        "photometric_interpretation",
        "patient_id",
        "study_instance_uid",
        "series_instance_uid",
        "burned_in_annotation",
        "number_of_frames",
    }
)
