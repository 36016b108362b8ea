# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Loading of image sequences (cines, frame folders, videos, volumes) as MONAI MetaTensors, and the bundles' cine
input/output transforms (:class:`LoadCined`, :class:`SaveCined`: thin wrappers over :mod:`monai_angio.io.cine`)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform

from monai_angio.transforms.utils import collatable_meta, sequence_to_metatensor

__all__ = ["LoadSequenced", "LoadCined", "SaveCined"]

#: what a cine input may be, for the error of a missing input
_CINE_INPUTS = (
    "a DICOM file, a folder of DICOM instances or frames (PNG/TIFF/JPEG), a multi-page TIFF, a video or a list of "
    "frame files"
)


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


class LoadCined(MapTransform):
    """Load a cine with :func:`monai_angio.io.read_cine` as a float MetaTensor ``(1, T, H, W)`` in [0, 1].

    Channel first with time as the first spatial axis, MONAI's layout: MONAI Label and MONAI Deploy read the result
    as one single-channel volume. A key may hold any :func:`~monai_angio.io.read_cine` input: a path, or a list of
    single-frame files forming one cine. The meta keep the scalar entries of the source (file name, format, bits
    stored, nominal frame time, X-ray geometry; :func:`~monai_angio.transforms.utils.collatable_meta`), so that
    batches collate, plus ``"source"`` (the input as a string, a JSON list for a list), ``"filename_or_obj"`` and
    ``"scaled_bits"``: what :class:`SaveCined` needs to write the result at the source's bit depth.

    Args:
        keys: keys of the inputs.
        min_frames: the fewest frames a cine may hold (2 for interpolation).
        input_option: the option that sets the input, named in the error for a missing one (a bundle's
            ``--input_path``).
        allow_missing_keys: do not raise if a key is missing.

    Raises:
        ValueError: for a key holding no input (``None``, ``""``, an empty list), naming ``input_option``; for an
            input :func:`~monai_angio.io.read_cine` rejects, naming the file.
        TypeError: for a key holding neither a path nor a list of paths.
    """

    def __init__(
        self,
        keys: KeysCollection = "image",
        min_frames: int = 1,
        input_option: str = "--input_path",
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if isinstance(min_frames, bool) or not isinstance(min_frames, int) or min_frames < 1:
            raise ValueError(f"LoadCined: min_frames must be an integer >= 1, got {min_frames!r}.")
        self.min_frames, self.input_option = min_frames, input_option

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        from monai_angio.io import read_cine

        d = dict(data)
        for key in self.key_iterator(d):
            src = d[key]
            if src is None or (isinstance(src, (str, list, tuple)) and len(src) == 0):
                raise ValueError(f"LoadCined: no input for '{key}': set {self.input_option} to {_CINE_INPUTS}.")
            is_list = isinstance(src, (list, tuple))
            if not (
                isinstance(src, (str, os.PathLike)) or (is_list and all(isinstance(p, (str, os.PathLike)) for p in src))
            ):
                raise TypeError(f"LoadCined: '{key}' must hold a path or a list of paths, got {type(src).__name__}.")
            frames, meta = read_cine(src, self.min_frames)
            meta = collatable_meta(meta)
            meta["source"] = json.dumps([str(p) for p in src]) if is_list else str(src)
            meta.setdefault("filename_or_obj", str(meta.get("filename") or ""))
            meta["scaled_bits"] = int(meta["bits_stored"])
            d[key] = MetaTensor(frames.transpose(0, 1), meta=meta)  # (T, 1, H, W) -> (1, T, H, W)
        return d


def _finite_or_none(value: Any) -> float | None:
    """A frame time from (decollated) meta as a float; ``None`` when absent or not finite."""
    if isinstance(value, torch.Tensor):
        value = float(value.flatten()[0]) if value.numel() else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


class SaveCined(MapTransform):
    """Write a cine ``(1, T, H, W)`` (or a frame ``(1, H, W)``) in [0, 1] with :func:`monai_angio.io.write_cine`.

    The source meta (``source``/``filename``, ``format``, ``bits_stored``, ``frame_time_ms``) come from the
    MetaTensor at ``meta_key`` (:class:`LoadCined`). Outputs are named after the source (``<name>``:
    :func:`~monai_angio.io.cine.source_name`, e.g. ``cine`` for ``cine.dcm``), with ``_<output_postfix>`` appended
    when a postfix is given:

    * DICOM: ``<output_dir>/<name>_<postfix>.dcm``, a derived multi-frame DICOM whose DerivationDescription names
      ``method`` and whose reference is the source DICOM (:func:`~monai_angio.io.dicom_reference`);
    * PNG: ``0000.png, ...`` at the bit depth and ``frame_labels.csv`` in ``<output_dir>/<name>_<postfix>/``
      (``<output_dir>/<name>/`` without ``folder_postfix``), or directly in ``output_dir`` without ``subfolder``.

    Frames are labelled synthesized by the item's ``"<key>_synthesized"`` mask ``(T,)`` when it has one, else, for
    ``factor`` K >= 1, every frame but each (K+1)-th (the layout of
    :class:`~monai_angio.engines.CineInterpolationInferer`); with ``factor`` 0 and no mask every frame is derived
    alike (e.g. deblurred). The frame time written is the source's divided by K + 1. The path written is stored
    under ``"<key>_path"``.

    Args:
        keys: keys of the cines to write (usually ``"pred"``).
        output_dir: output folder (created if needed).
        meta_key: key of the MetaTensor carrying the source meta; ``None``: the output's own meta.
        output_format: ``"dicom"``, ``"png"`` or ``"auto"`` (DICOM when the source is DICOM, PNG otherwise).
        output_postfix: appended to the source name (``"interpolated"``, ``"deblurred"``); ``""``: none.
        method: the method named in the DICOM DerivationDescription.
        factor: K, frames synthesized per gap; 0: none.
        subfolder: PNG frames in a folder named after the source (else directly in ``output_dir``).
        folder_postfix: append ``output_postfix`` to that folder's name too.
        bits_stored: output bit depth; default the source's.
        overwrite: replace an existing output (a DICOM file, or a frame folder written before, whole); without it an
            existing output raises :class:`~monai_angio.io.atomic.OutputExistsError` (see
            :func:`~monai_angio.io.write_cine`).
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection = "pred",
        output_dir: str | os.PathLike = ".",
        meta_key: str | None = "image",
        output_format: str = "auto",
        output_postfix: str = "",
        method: str = "",
        factor: int = 0,
        subfolder: bool = True,
        folder_postfix: bool = True,
        bits_stored: int | None = None,
        allow_missing_keys: bool = False,
        overwrite: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if output_format not in ("auto", "dicom", "png"):
            raise ValueError(f"SaveCined: output_format must be 'auto', 'dicom' or 'png', got {output_format!r}.")
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 0:
            raise ValueError(f"SaveCined: factor must be an integer >= 0, got {factor!r}.")
        self.output_dir, self.meta_key, self.output_format = Path(output_dir), meta_key, output_format
        self.output_postfix, self.method, self.factor = output_postfix, method, factor
        self.subfolder, self.folder_postfix, self.bits_stored = bool(subfolder), bool(folder_postfix), bits_stored
        self.overwrite = bool(overwrite)

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        from monai_angio.io import dicom_reference, write_cine
        from monai_angio.io.cine import source_name

        d = dict(data)
        for key in self.key_iterator(d):
            src = d.get(self.meta_key) if self.meta_key is not None else d[key]
            meta = dict(src.meta) if isinstance(src, MetaTensor) else {}
            value = d[key]
            cine = value.as_tensor() if isinstance(value, MetaTensor) else torch.as_tensor(value)
            cine = cine.detach().cpu().float()
            if cine.ndim == 3:
                cine = cine[:, None]
            if cine.ndim != 4 or cine.shape[0] != 1:
                raise ValueError(f"SaveCined: '{key}' must be (1, T, H, W) or (1, H, W), got {tuple(value.shape)}.")
            bits = self.bits_stored or meta.get("bits_stored") or meta.get("scaled_bits")
            if bits is None:
                raise ValueError(f"SaveCined: no bits_stored for '{key}' in the meta of '{self.meta_key}'; pass one.")
            source = meta.get("source") or meta.get("filename") or meta.get("filename_or_obj")
            name = source_name(source)
            stem = f"{name}_{self.output_postfix}" if self.output_postfix else name
            fmt = self.output_format
            if fmt == "auto":
                fmt = "dicom" if meta.get("format") in ("dicom", "dicom_series") else "png"
            if fmt == "dicom":
                target = self.output_dir / f"{stem}.dcm"
            else:
                target = (
                    self.output_dir / (stem if self.folder_postfix else name) if self.subfolder else self.output_dir
                )
            t = cine.shape[1]
            synthesized = d.get(f"{key}_synthesized")
            if synthesized is None and self.factor:
                synthesized = torch.tensor([i % (self.factor + 1) != 0 for i in range(t)])
            frame_time = _finite_or_none(meta.get("frame_time_ms"))
            is_list = isinstance(source, str) and source.startswith("[")
            self.output_dir.mkdir(parents=True, exist_ok=True)
            written = write_cine(
                target,
                cine.transpose(0, 1),  # (1, T, H, W) -> (T, 1, H, W)
                int(bits),
                synthesized=synthesized,
                method=self.method,
                factor=max(self.factor, 1),
                frame_time_ms=None if frame_time is None else frame_time / (self.factor + 1),
                reference=None if is_list else dicom_reference(source, meta),
                overwrite=self.overwrite,
            )
            d[f"{key}_path"] = str(written)
        return d
