# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Loading of image sequences (cines, frame folders, videos, volumes) as MONAI MetaTensors."""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping
from typing import Any

from monai.config import KeysCollection
from monai.transforms import MapTransform

from monai_angio.transforms.utils import sequence_to_metatensor

__all__ = ["LoadSequenced"]


class LoadSequenced(MapTransform):
    """Load a sequence with :func:`monai_angio.io.load_sequence` into a channel-first MetaTensor.

    Any input ``load_sequence`` supports (DICOM file or series folder, folder of PNG/TIFF/JPEG frames, multi-page
    TIFF, video, CREMI HDF5, NIfTI) becomes a MetaTensor ``(1, T, H, W)`` (``(3, T, H, W)`` for colour input when
    ``luminance=False``) with the stored dtype kept (uint8/uint16; float32 only for non-integer DICOM rescaling).
    The meta dict of ``load_sequence`` is attached as ``MetaTensor.meta`` together with the ``"filename_or_obj"``
    key MONAI uses. Intensity scaling is left to :class:`~monai_angio.transforms.ScaleBitDepthd`.

    Args:
        keys: keys whose values are paths (``str`` or ``os.PathLike``) to load.
        luminance: convert colour input to one luminance channel.
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(self, keys: KeysCollection, luminance: bool = False, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)
        self.luminance = bool(luminance)

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        from monai_angio.io import load_sequence

        d = dict(data)
        for key in self.key_iterator(d):
            path = d[key]
            if not isinstance(path, (str, os.PathLike)):
                raise TypeError(
                    f"LoadSequenced: key '{key}' must hold a file or folder path, got {type(path).__name__}."
                )
            frames, meta = load_sequence(path, luminance=self.luminance)
            d[key] = sequence_to_metatensor(frames, meta)
        return d
