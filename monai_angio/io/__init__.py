# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Readers and writers: DICOM cines and series, image folders, TIFF, video, CREMI HDF5, NIfTI, MoSt-DSA layout.

Every reader returns ``(frames, meta)``: frames ``(T, H, W)`` (or ``(T, H, W, 3)`` colour) with the stored dtype
kept, and a meta dict with the keys listed in :func:`load_sequence`. :func:`read_cine` and :func:`write_cine` are the
one path for cines as float frames ``(T, 1, H, W)`` in [0, 1] (commands, bundle transforms, scripts);
:func:`atomic_output` is the one way every output file or folder is written (never half-written, never replaced
without ``overwrite``).
"""

from __future__ import annotations

from monai_angio.io.atomic import OutputExistsError, atomic_output, check_output_target
from monai_angio.io.cine import CINE_FILE_SUFFIXES, check_cine_output, dicom_reference, read_cine, write_cine
from monai_angio.io.dicom import is_dicom_file, read_dicom, read_dicom_series
from monai_angio.io.dicom_writer import write_dicom_cine
from monai_angio.io.hdf5 import read_hdf5
from monai_angio.io.image_folder import read_image, read_image_folder, write_frames, write_png
from monai_angio.io.load import describe, detect_format, load_sequence
from monai_angio.io.most_dsa import (
    load_most_dsa_item,
    read_most_dsa_list,
    read_most_dsa_sequence,
    write_most_dsa_lists,
    write_most_dsa_sequence,
)
from monai_angio.io.nifti import read_nifti
from monai_angio.io.tiff import read_tiff
from monai_angio.io.video import read_video

__all__ = [
    "read_cine",
    "write_cine",
    "check_cine_output",
    "CINE_FILE_SUFFIXES",
    "dicom_reference",
    "atomic_output",
    "check_output_target",
    "OutputExistsError",
    "load_sequence",
    "describe",
    "detect_format",
    "is_dicom_file",
    "read_dicom",
    "read_dicom_series",
    "write_dicom_cine",
    "read_image",
    "read_image_folder",
    "read_tiff",
    "read_video",
    "read_hdf5",
    "read_nifti",
    "write_frames",
    "write_png",
    "read_most_dsa_list",
    "read_most_dsa_sequence",
    "load_most_dsa_item",
    "write_most_dsa_sequence",
    "write_most_dsa_lists",
]
