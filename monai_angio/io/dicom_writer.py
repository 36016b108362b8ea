# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""DICOM writer for derived multi-frame cines (interpolated or deblurred sequences)."""

from __future__ import annotations

import datetime
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import (
    ExplicitVRLittleEndian,
    MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    UltrasoundMultiFrameImageStorage,
    XRayAngiographicImageStorage,
    XRayRadiofluoroscopicImageStorage,
    generate_uid,
)

from monai_angio.io._common import check_integer_frames, to_numpy
from monai_angio.io.atomic import atomic_output, check_output_target
from monai_angio.io.dicom import _frame_timing, read_dicom_header

__all__ = ["write_dicom_cine", "format_frame_numbers", "derivation_description", "NO_REFERENCE_NOTE"]

#: Maximum length of an ST value such as DerivationDescription (0008,2111).
ST_MAX_CHARS = 1024
#: what DerivationDescription says of a cine written without a source DICOM (no patient or study is invented)
NO_REFERENCE_NOTE = "no source DICOM: patient and study attributes are not set"
_FRAME_TIME = Tag(0x0018, 0x1063)
_FRAME_TIME_VECTOR = Tag(0x0018, 0x1065)
_FRAME_LABEL_VECTOR = Tag(0x0018, 0x2002)

_PATIENT_KEYWORDS = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "PatientIdentityRemoved",
    "DeidentificationMethod",
)
_STUDY_KEYWORDS = (
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
)
# Acquisition attributes that still describe derived frames of the same size.
_ACQUISITION_KEYWORDS = (
    "BodyPartExamined",
    "PatientPosition",
    "KVP",
    "RadiationSetting",
    "PositionerMotion",
    "PositionerPrimaryAngle",
    "PositionerSecondaryAngle",
    "DistanceSourceToDetector",
    "DistanceSourceToPatient",
    "EstimatedRadiographicMagnificationFactor",
    "IntensifierSize",
    "FieldOfViewShape",
    "FieldOfViewDimensions",
    "FocalSpots",
    "PixelIntensityRelationship",
    "BurnedInAnnotation",
    "LossyImageCompression",
    "LossyImageCompressionRatio",
    "LossyImageCompressionMethod",
)
_GEOMETRY_KEYWORDS = ("PixelSpacing", "ImagerPixelSpacing", "SequenceOfUltrasoundRegions")
#: attributes the writer derives from the frames and its own identity: ``attributes`` may repeat them, never change them
_WRITER_KEYWORDS = (
    "Rows",
    "Columns",
    "NumberOfFrames",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelData",
    "SOPClassUID",
    "SOPInstanceUID",
    "Modality",
)


def _sop_class(modality: str, bits_allocated: int) -> str:
    if modality == "XA":
        return XRayAngiographicImageStorage
    if modality == "RF":
        return XRayRadiofluoroscopicImageStorage
    if modality == "US":
        return UltrasoundMultiFrameImageStorage
    if bits_allocated == 8:
        return MultiFrameGrayscaleByteSecondaryCaptureImageStorage
    return MultiFrameGrayscaleWordSecondaryCaptureImageStorage


def _frame_ranges(numbers: Sequence[int]) -> str:
    """``"2-198/2,201-205"``: runs of at least three equally spaced numbers as ``a-b/s`` (``a-b`` when ``s`` is 1)."""
    parts, i = [], 0
    while i < len(numbers):
        j = i + 1
        if j < len(numbers):
            step = numbers[j] - numbers[i]
            while j + 1 < len(numbers) and numbers[j + 1] - numbers[j] == step:
                j += 1
            if j - i >= 2:  # a run of at least three numbers
                parts.append(f"{numbers[i]}-{numbers[j]}" + (f"/{step}" if step != 1 else ""))
                i = j + 1
                continue
        parts.append(str(numbers[i]))
        i += 1
    return ",".join(parts)


def _full_frame_list(numbers: Sequence[int], max_chars: int) -> str | None:
    """The whole list (``"2,4,6"``, else as ranges) when it fits in ``max_chars``, else None: never cut."""
    if not numbers:
        return "none"
    for text in (",".join(str(v) for v in numbers), _frame_ranges(numbers)):
        if len(text) <= max_chars:
            return text
    return None


def format_frame_numbers(numbers: Sequence[int], max_chars: int) -> str:
    """Format frame numbers as ``"2,4,6"``, or as ranges ``"2-198/2,201-205"`` when the plain list is too long.

    ``a-b/s`` means ``a, a+s, ..., b`` (``a-b`` when ``s`` is 1). When even the ranges exceed ``max_chars``, the
    text is cut and ends with ``"... (n frames)"`` (:func:`derivation_description` never cuts: it points to the
    Frame Label Vector instead).
    """
    numbers = [int(v) for v in numbers]
    text = _full_frame_list(numbers, max_chars)
    if text is not None:
        return text
    text = _frame_ranges(numbers)
    tail = f"... ({len(numbers)} frames)"
    cut = text[: max(0, max_chars - len(tail))]
    cut = cut[: cut.rfind(",") + 1] if "," in cut else ""
    return cut + tail


def _format_factor(factor: float) -> str:
    return str(int(factor)) if float(factor).is_integer() else f"{factor:g}"


def derivation_description(
    method: str, factor: float, synthesized: np.ndarray | None, n_frames: int, note: str = ""
) -> str:
    """Text of DerivationDescription (0008,2111, VR ST), at most 1024 characters.

    With a synthesized mask: ``"monai-angio <method> x<factor> frame interpolation; synthesized frames: 2,4,6"``
    (1-based frame numbers, as ranges ``2-200/2`` when shorter); when the whole list does not fit, it is not cut but
    replaced by ``"synthesized frames: see Frame Label Vector (<k> of <n> frames)"``. Without a mask:
    ``"monai-angio <method>[ x<factor>]; all <n> frames derived"``. A ``note`` (e.g. :data:`NO_REFERENCE_NOTE`) is
    appended after ``"; "``.
    """
    name = " ".join(p for p in ("monai-angio", method.strip()) if p)
    tail = f"; {note}" if note else ""
    if synthesized is None:
        head = name + (f" x{_format_factor(factor)}" if factor != 1 else "") + f"; all {n_frames} frames derived"
        return (head[: ST_MAX_CHARS - len(tail)] + tail)[:ST_MAX_CHARS]
    head = f"{name} x{_format_factor(factor)} frame interpolation; synthesized frames: "
    numbers = (np.flatnonzero(synthesized) + 1).tolist()
    listed = _full_frame_list(numbers, ST_MAX_CHARS - len(head) - len(tail))
    if listed is None:
        listed = f"see Frame Label Vector ({len(numbers)} of {n_frames} frames)"
    return (head + listed + tail)[:ST_MAX_CHARS]


def _load_reference(reference: str | os.PathLike | Dataset | None) -> Dataset | None:
    if reference is None or isinstance(reference, Dataset):
        return reference
    if isinstance(reference, (str, os.PathLike)):
        return read_dicom_header(reference, stop_before_pixels=True)
    raise TypeError(f"write_dicom_cine: reference must be a path, a pydicom Dataset or None, got {type(reference)}.")


def _frame_times(
    path: Path, n: int, frame_time_ms: float | Sequence[float] | None, ref: Dataset | None, factor: float
) -> tuple[float | None, list[float] | None]:
    """Nominal interval and cumulative frame times (ms) of the written cine."""
    if frame_time_ms is None:
        if ref is None:
            return None, None
        _, interval, _ = _frame_timing(ref, int(ref.get("NumberOfFrames") or 1))
        if interval is None:
            return None, None
        interval = interval / factor
        return interval, [i * interval for i in range(n)]
    if np.ndim(frame_time_ms) == 0:
        interval = float(frame_time_ms)
        if not np.isfinite(interval) or interval <= 0:
            raise ValueError(f"{path}: frame_time_ms must be a positive finite number, got {frame_time_ms}.")
        return interval, [i * interval for i in range(n)]
    times = np.asarray(frame_time_ms, dtype=np.float64).ravel()
    if times.shape[0] != n:
        raise ValueError(f"{path}: frame_time_ms has {times.shape[0]} times for {n} frames.")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
        raise ValueError(f"{path}: frame_time_ms times must be finite and non-decreasing (ms, cumulative).")
    times = times - times[0]
    interval = float(times[-1] / (n - 1)) if n > 1 and times[-1] > 0 else None
    return interval, times.tolist()


def _ds_number(value: float) -> str:
    """A DS value (at most 16 characters)."""
    text = f"{value:.6g}"
    return text if len(text) <= 16 else f"{value:.8e}"[:16]


def _set_attributes(ds: Dataset, attributes: Mapping[str, Any], path: Path) -> None:
    """Set extra attributes (pydicom keyword -> value) on ``ds``; DS values are written in at most 16 characters.

    Raises:
        ValueError: an unknown keyword, or one of :data:`_WRITER_KEYWORDS` with another value than the writer's.
    """
    for keyword, value in attributes.items():
        if tag_for_keyword(keyword) is None:
            raise ValueError(f"{path}: attributes: {keyword!r} is not a DICOM keyword.")
        vr = dictionary_VR(keyword)
        if vr == "DS":
            value = (
                [_ds_number(float(v)) for v in value]
                if isinstance(value, (list, tuple, np.ndarray))
                else (_ds_number(float(value)))
            )
        if keyword in _WRITER_KEYWORDS:
            if keyword not in ds or str(ds[keyword].value) != str(value):
                written = ds[keyword].value if keyword in ds else "nothing"
                raise ValueError(f"{path}: attributes: {keyword} is set by the writer ({written}), got {value!r}.")
            continue
        setattr(ds, keyword, value)


def write_dicom_cine(
    path: str | os.PathLike,
    frames: Any,
    *,
    reference: str | os.PathLike | Dataset | None = None,
    synthesized: Sequence[bool] | np.ndarray | None = None,
    method: str = "",
    factor: float = 1,
    frame_time_ms: float | Sequence[float] | None = None,
    bits_stored: int | None = None,
    modality: str | None = None,
    overwrite: bool = False,
    attributes: Mapping[str, Any] | None = None,
) -> Path:
    """Write a derived multi-frame grayscale cine as one DICOM file.

    The file keeps the modality and patient/study attributes of ``reference``; without one, no patient is invented:
    PatientName and PatientID are empty (type 2), the study gets a new StudyInstanceUID and empty date, time and ID,
    and DerivationDescription says so (:data:`NO_REFERENCE_NOTE`). It gets new Series/SOP Instance UIDs, ImageType
    ``DERIVED\\SECONDARY`` (plus the reference's value 3 such as ``SINGLE PLANE`` for XA/RF, which the IOD requires),
    a DerivationDescription naming ``method``, ``factor`` and the synthesized frames, FrameTime/FrameTimeVector, and a
    Frame Label Vector ("ACQUIRED"/"SYNTHESIZED") when ``synthesized`` is given. Encoding: Explicit VR Little Endian,
    MONOCHROME2, uint8 for 8 bits stored or fewer, uint16 otherwise. SOP class: XA, RF or US multi-frame for those
    modalities, multi-frame grayscale secondary capture otherwise. The file is written under a hidden temporary name
    in the same folder and then renamed (:func:`~monai_angio.io.atomic.atomic_output`); missing parent folders are
    created.

    Args:
        path: output file.
        frames: ``(T, H, W)`` stored values: integers in ``[0, 2**bits_stored - 1]``, or floats in that range
            (rounded; no intensity scaling is done here).
        reference: DICOM file or dataset the cine derives from.
        synthesized: ``(T,)`` booleans, True for frames made by the method (interpolated); None when every frame is
            derived alike (e.g. deblurring).
        method: method name for DerivationDescription and SeriesDescription.
        factor: interpolation factor (frame-rate multiplier); also divides the reference frame time when
            ``frame_time_ms`` is None.
        frame_time_ms: frame interval (ms), or ``(T,)`` cumulative frame times; None: reference interval / factor.
        bits_stored: bits stored (1-16); default the reference's BitsStored, else 8 for uint8/bool frames and 16 for
            other integer frames. Required for float frames without reference.
        modality: modality ("XA", "RF", "US", ...; "XRF" means "RF"); default the reference's, else "XA".
        overwrite: replace an existing file.
        attributes: more attributes, pydicom keyword -> value (e.g. the C-arm geometry of
            :func:`~monai_angio.projection.trajectory_to_dicom`), set last: they replace what the writer would set
            (``PixelIntensityRelationship``, ``ImageType``, ...), except the attributes describing the pixel data and
            the instance (Rows, Columns, NumberOfFrames, Bits*, SOP UIDs, Modality, ...), which they may only
            repeat. DS values are written in at most 16 characters.

    Returns:
        The path written.

    Raises:
        OutputExistsError: the file exists and ``overwrite`` is False (a ``ValueError``).
        ValueError: for frames of the wrong shape, NaN/Inf, values outside the bits-stored range, a synthesized mask
            of the wrong length, bad frame times, an unknown keyword in ``attributes`` or one changing a pixel-data
            attribute, or an output path that cannot be written (an existing folder, a
            parent that is not a writable folder).
        TypeError: for non-numeric frames or a bad reference type.
    """
    path = Path(path)
    arr = to_numpy(frames)
    if arr.ndim != 3 or min(arr.shape) < 1:
        raise ValueError(f"{path}: frames must be a non-empty (T, H, W) array, got shape {tuple(arr.shape)}.")
    n, rows, cols = (int(s) for s in arr.shape)
    if rows > 65535 or cols > 65535:
        raise ValueError(f"{path}: frame size {rows}x{cols} exceeds the DICOM limit of 65535.")
    if not (isinstance(factor, (int, float, np.number)) and np.isfinite(factor) and factor > 0):
        raise ValueError(f"{path}: factor must be a positive number, got {factor!r}.")
    check_output_target(path, overwrite=overwrite, parents=True)  # before any work
    ref = _load_reference(reference)

    if bits_stored is None and ref is not None and ref.get("BitsStored"):
        bits_stored = int(ref.BitsStored)
    if bits_stored is None:
        if arr.dtype in (np.uint8, np.int8, bool):
            bits_stored = 8
        elif np.issubdtype(arr.dtype, np.integer):
            bits_stored = 16
        else:
            raise ValueError(f"{path}: bits_stored is required for {arr.dtype} frames written without a reference.")
    bits_stored = int(bits_stored)
    if not 1 <= bits_stored <= 16:
        raise ValueError(f"{path}: bits_stored must be in [1, 16], got {bits_stored}.")
    bits_allocated = 8 if bits_stored <= 8 else 16
    if np.issubdtype(arr.dtype, np.floating) and bits_stored > 1 and arr.size and np.isfinite(arr).all():
        if float(arr.max()) <= 1.0 and float(arr.min()) >= 0.0:
            warnings.warn(
                f"{path}: float frames lie in [0, 1] but are written as stored values of {bits_stored} bits; "
                "scale them to the stored range first if they are normalised intensities.",
                stacklevel=2,
            )
    pixels = check_integer_frames(arr, bits_stored, str(path), np.dtype(np.uint8 if bits_allocated == 8 else "<u2"))

    mask = None
    if synthesized is not None:
        mask = np.asarray(to_numpy(synthesized)).ravel()
        if mask.shape[0] != n:
            raise ValueError(f"{path}: synthesized has {mask.shape[0]} entries for {n} frames.")
        if mask.dtype != bool:
            if not np.isin(mask, (0, 1)).all():
                raise ValueError(f"{path}: synthesized must be booleans (one per frame), got values {np.unique(mask)}.")
            mask = mask.astype(bool)

    interval, times = _frame_times(path, n, frame_time_ms, ref, float(factor))

    modality = (modality or (ref.get("Modality") if ref is not None else None) or "XA").strip().upper()
    modality = "RF" if modality == "XRF" else modality
    sop_class = _sop_class(modality, bits_allocated)
    sop_instance = generate_uid()
    now = datetime.datetime.now()

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop_instance
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if ref is not None and ref.get("SpecificCharacterSet"):
        ds.SpecificCharacterSet = ref.SpecificCharacterSet

    same_size = ref is not None and ref.get("Rows") == rows and ref.get("Columns") == cols
    if ref is not None:
        for kw in _PATIENT_KEYWORDS + _STUDY_KEYWORDS + _ACQUISITION_KEYWORDS:
            if kw in ref:
                ds[kw] = ref[kw]
        if same_size:
            for kw in _GEOMETRY_KEYWORDS:
                if kw in ref:
                    ds[kw] = ref[kw]
    if "PatientID" not in ds:  # type 2: present and empty, never an invented patient
        ds.PatientName = ""
        ds.PatientID = ""
        ds.PatientBirthDate = ""
        ds.PatientSex = ""
    if "StudyInstanceUID" not in ds:  # type 1: a new UID; the type 2 attributes empty
        ds.StudyInstanceUID = generate_uid()
        ds.StudyDate = ""
        ds.StudyTime = ""
        ds.StudyID = ""
        ds.AccessionNumber = ""
        ds.ReferringPhysicianName = ""

    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    ds.Modality = modality
    ds.SeriesInstanceUID = generate_uid()
    ref_series = ref.get("SeriesNumber") if ref is not None else None
    ds.SeriesNumber = (int(ref_series) + 1000) % 2**31 if ref_series not in (None, "") else 1
    description = " ".join(p for p in (str(ref.get("SeriesDescription", "")) if ref is not None else "", method) if p)
    ds.SeriesDescription = (description + (f" x{_format_factor(factor)}" if factor != 1 else ""))[:64] or "derived"
    ds.SeriesDate = ds.ContentDate = ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.SeriesTime = ds.ContentTime = ds.InstanceCreationTime = now.strftime("%H%M%S.%f")
    ds.Manufacturer = "monai-angio"
    try:
        from monai_angio import __version__

        ds.SoftwareVersions = f"monai-angio {__version__}"
    except ImportError:  # pragma: no cover
        ds.SoftwareVersions = "monai-angio"
    ds.InstanceNumber = 1
    ds.PatientOrientation = ref.get("PatientOrientation", "") if ref is not None else ""
    image_type = ["DERIVED", "SECONDARY"]
    if modality in ("XA", "RF"):
        ref_type = list(ref.get("ImageType", [])) if ref is not None else []
        image_type.append(ref_type[2] if len(ref_type) > 2 and ref_type[2] else "SINGLE PLANE")
    ds.ImageType = image_type
    note = NO_REFERENCE_NOTE if ref is None else ""
    ds.DerivationDescription = derivation_description(method, float(factor), mask, n, note)
    if ref is not None and ref.get("SOPClassUID") and ref.get("SOPInstanceUID"):
        item = Dataset()
        item.ReferencedSOPClassUID = ref.SOPClassUID
        item.ReferencedSOPInstanceUID = ref.SOPInstanceUID
        ds.SourceImageSequence = DicomSequence([item])
    if modality in ("XA", "RF") and "PixelIntensityRelationship" not in ds:
        ds.PixelIntensityRelationship = "DISP"
    if modality not in ("XA", "RF", "US"):
        ds.ConversionType = "WSD"

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = n
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    if modality not in ("XA", "RF", "US"):
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "US"
    ds.WindowCenter = _ds_number((2**bits_stored - 1) / 2)
    ds.WindowWidth = _ds_number(2**bits_stored)
    if mask is not None:
        ds.FrameLabelVector = ["SYNTHESIZED" if m else "ACQUIRED" for m in mask]
    increment = None
    if times is not None:
        increments = np.diff(times) if n > 1 else np.zeros(0)
        ds.FrameTimeVector = [_ds_number(0.0)] + [_ds_number(float(v)) for v in increments]
        if interval is not None and interval > 0:
            ds.FrameTime = _ds_number(interval)
            ds.CineRate = max(1, round(1000.0 / interval))
            ds.RecommendedDisplayFrameRate = ds.CineRate
        uniform = n < 3 or np.allclose(increments, increments[0], rtol=1e-6, atol=1e-6)
        increment = _FRAME_TIME if (uniform and "FrameTime" in ds) else _FRAME_TIME_VECTOR
        ds.StartTrim, ds.StopTrim = 1, n
    elif mask is not None:
        increment = _FRAME_LABEL_VECTOR
    if increment is not None:
        ds.FrameIncrementPointer = increment
    if attributes:
        _set_attributes(ds, attributes, path)
    data = pixels.astype("<u2" if bits_allocated == 16 else np.uint8, copy=False).tobytes()
    if len(data) % 2:
        data += b"\x00"
    ds.add_new(0x7FE00010, "OW" if bits_allocated == 16 else "OB", data)

    with atomic_output(path, overwrite, parents=True) as tmp:
        ds.save_as(tmp, enforce_file_format=True)
    return path
