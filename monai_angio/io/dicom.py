# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""DICOM readers: multi-frame cine files (XA, XRF, US, enhanced and legacy) and folders of single-frame instances.

Pixel data are decoded by pydicom 3 with its plugins (native: uncompressed, RLE, deflate; pylibjpeg: JPEG baseline,
JPEG Lossless, JPEG-LS, JPEG 2000). Frames keep the stored dtype; see :func:`read_dicom` for the conversions made.
"""

from __future__ import annotations

import datetime
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.tag import Tag
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from monai_angio.io._common import check_finite, natural_sort_key, new_meta, rescaled_dtype, to_luminance

__all__ = [
    "DICOM_EXTENSIONS",
    "is_dicom_file",
    "read_dicom",
    "read_series_headers",
    "read_dicom_series",
    "read_dicom_header",
    "dicom_header_meta",
    "list_dicom_files",
    "check_single_series",
]

DICOM_EXTENSIONS = (".dcm", ".dicom", ".dic")
_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_YBR_FULL = ("YBR_FULL", "YBR_FULL_422")
_FRAME_TIME_VECTOR = Tag(0x0018, 0x1065)
# US region physical units (0018,6024): 3 = cm.
_US_UNIT_TO_MM = {3: 10.0}


def is_dicom_file(path: str | os.PathLike) -> bool:
    """``True`` when ``path`` is a file with the DICOM preamble (``DICM`` at byte 128) or a DICOM extension."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            f.seek(128)
            if f.read(4) == b"DICM":
                return True
    except OSError:
        return False
    return path.suffix.lower() in DICOM_EXTENSIONS


def _has_standard_element(ds: Dataset) -> bool:
    """Whether ``ds`` holds an element of the DICOM dictionary: noise parsed with ``force=True`` holds none."""
    from pydicom.datadict import dictionary_has_tag

    meta = getattr(ds, "file_meta", None) or {}
    return any(dictionary_has_tag(tag) for tag in [*ds.keys(), *meta.keys()])


def read_dicom_header(path: str | os.PathLike, *, stop_before_pixels: bool = False) -> Dataset:
    """Read a DICOM file with pydicom (without the preamble too when it has a DICOM extension).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: naming the file when it is not DICOM or is truncated/corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    force = path.suffix.lower() in DICOM_EXTENSIONS
    forced = False  # read without the preamble: the extension alone says DICOM
    no_preamble = f"{path}: not a DICOM file (no DICOM preamble 'DICM' at byte 128"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
            except InvalidDicomError:
                if not force:
                    raise
                forced = True
                ds = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True)
    except InvalidDicomError as e:
        raise ValueError(f"{path}: not a DICOM file ({e}).") from e
    except Exception as e:  # truncated or corrupt files raise a variety of errors inside pydicom
        if forced:
            raise ValueError(f"{no_preamble}, and it does not parse as DICOM: {type(e).__name__}: {e}).") from e
        raise ValueError(f"{path}: cannot read DICOM file ({type(e).__name__}: {e}).") from e
    if forced and len(ds) and not _has_standard_element(ds):
        raise ValueError(f"{no_preamble}, and none of its data elements is a standard DICOM element).")
    if len(ds) == 0:
        if not stop_before_pixels:
            try:
                read_dicom_header(path, stop_before_pixels=True)
            except ValueError:
                pass
            else:
                raise ValueError(f"{path}: truncated or corrupt DICOM file: the pixel data cannot be read.")
        raise ValueError(f"{path}: not a DICOM file (no data elements).")
    return ds


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _float_list(value: Any) -> list[float] | None:
    if value is None:
        return None
    try:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            values = [float(value)]
        else:
            values = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    return values if values and all(math.isfinite(v) for v in values) else None


def _positive_float(value: Any) -> float | None:
    vals = _float_list(value)
    return vals[0] if vals and vals[0] > 0 else None


def _functional_group_item(ds: Dataset, sequence: str, frame: int | None = None) -> Dataset | None:
    """First item of ``sequence`` in the shared functional groups, or in the per-frame groups of ``frame``."""
    groups = []
    if frame is not None and "PerFrameFunctionalGroupsSequence" in ds:
        pf = ds.PerFrameFunctionalGroupsSequence
        if frame < len(pf):
            groups.append(pf[frame])
    if "SharedFunctionalGroupsSequence" in ds and len(ds.SharedFunctionalGroupsSequence):
        groups.append(ds.SharedFunctionalGroupsSequence[0])
    if frame is None and "PerFrameFunctionalGroupsSequence" in ds and len(ds.PerFrameFunctionalGroupsSequence):
        groups.append(ds.PerFrameFunctionalGroupsSequence[0])
    for group in groups:
        seq = group.get(sequence)
        if seq is not None and len(seq):
            return seq[0]
    return None


def _pixel_spacing(ds: Dataset) -> tuple[tuple[float, float] | None, str | None]:
    """Pixel spacing (row, column) in mm and the attribute it came from."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        vals = _float_list(ds.get(keyword))
        if vals and len(vals) == 2 and min(vals) > 0:
            return (vals[0], vals[1]), keyword
    item = _functional_group_item(ds, "PixelMeasuresSequence")
    if item is not None:
        vals = _float_list(item.get("PixelSpacing"))
        if vals and len(vals) == 2 and min(vals) > 0:
            return (vals[0], vals[1]), "PixelMeasuresSequence.PixelSpacing"
    regions = ds.get("SequenceOfUltrasoundRegions")
    if regions:
        region = regions[0]
        ux, uy = region.get("PhysicalUnitsXDirection"), region.get("PhysicalUnitsYDirection")
        dx, dy = _positive_float(region.get("PhysicalDeltaX")), _positive_float(region.get("PhysicalDeltaY"))
        if dx and dy and ux in _US_UNIT_TO_MM and uy in _US_UNIT_TO_MM:
            return (dy * _US_UNIT_TO_MM[uy], dx * _US_UNIT_TO_MM[ux]), "SequenceOfUltrasoundRegions"
    return None, None


def _parse_dicom_datetime(date: Any, time: Any = None) -> datetime.datetime | None:
    """Parse DICOM DT, or DA + TM, to a naive datetime (``None`` when missing or malformed)."""
    try:
        if time is None:
            text = str(date).strip()
            if not text:
                return None
            dt = pydicom.valuerep.DT(text)
            return dt.replace(tzinfo=None)
        d_text, t_text = (str(date).strip() if date else ""), str(time).strip()
        if not t_text:
            return None
        t = pydicom.valuerep.TM(t_text)
        d = pydicom.valuerep.DA(d_text) if d_text else datetime.date(2000, 1, 1)
        return datetime.datetime.combine(d, t)
    except (ValueError, TypeError, AttributeError):
        return None


def _frame_timing(ds: Dataset, n: int) -> tuple[list[float] | None, float | None, str | None]:
    """Frame times (cumulative ms from 0), nominal interval (ms) and the attribute they came from.

    Preference: FrameTime, FrameTimeVector (increments, cumulated), CineRate, RecommendedDisplayFrameRate, then
    the per-frame acquisition date-times of enhanced multi-frame objects; FrameTimeVector comes first when the
    FrameIncrementPointer designates it.
    """
    ft = _positive_float(ds.get("FrameTime"))
    ftv = _float_list(ds.get("FrameTimeVector"))
    vector = None
    if ftv is not None and len(ftv) in (n, n - 1) and n > 0:
        increments = ftv[1:] if len(ftv) == n else ftv
        if all(v >= 0 for v in increments):
            times = [0.0, *np.cumsum(increments).tolist()] if n > 1 else [0.0]
            nominal = float(np.mean(increments)) if increments else None
            vector = [float(t) for t in times], (nominal if nominal and nominal > 0 else None), "FrameTimeVector"
    pointer = ds.get("FrameIncrementPointer")
    pointers = list(pointer) if isinstance(pointer, (list, MultiValue)) else [pointer]
    if vector is not None and _FRAME_TIME_VECTOR in pointers:  # the file says its timing is in the vector
        return vector
    if ft:
        return [i * ft for i in range(n)], ft, "FrameTime"
    if vector is not None:
        return vector
    for keyword in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = _positive_float(ds.get(keyword))
        if rate:
            interval = 1000.0 / rate
            return [i * interval for i in range(n)], interval, keyword
    if n > 1 and "PerFrameFunctionalGroupsSequence" in ds and len(ds.PerFrameFunctionalGroupsSequence) == n:
        stamps = []
        for i in range(n):
            item = _functional_group_item(ds, "FrameContentSequence", i)
            value = None if item is None else item.get("FrameAcquisitionDateTime", item.get("FrameReferenceDateTime"))
            stamps.append(_parse_dicom_datetime(value) if value else None)
        if all(s is not None for s in stamps):
            times = [(s - stamps[0]).total_seconds() * 1000.0 for s in stamps]
            if all(b > a for a, b in zip(times, times[1:], strict=False)):
                return times, (times[-1] / (n - 1)), "FrameAcquisitionDateTime"
    return ([0.0] if n == 1 else None), None, None


def _transfer_syntax(ds: Dataset) -> UID:
    """Transfer syntax of ``ds``, inferred from its encoding when the file meta lacks one."""
    meta = getattr(ds, "file_meta", None)
    uid = None if meta is None else meta.get("TransferSyntaxUID")
    if uid:
        return UID(uid)
    implicit = getattr(ds, "is_implicit_VR", None)
    little = getattr(ds, "is_little_endian", None)
    if implicit is None:  # pydicom 3 stores the encoding read in original_encoding
        implicit, little = getattr(ds, "original_encoding", (True, True))
    if little is False:
        return ExplicitVRBigEndian
    return ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _rescale(ds: Dataset, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-frame rescale slopes and intercepts ``(n,)``, or ``None`` when no rescale applies."""
    slope = _float_list(ds.get("RescaleSlope"))
    intercept = _float_list(ds.get("RescaleIntercept"))
    if slope is not None or intercept is not None:
        s = np.full(n, slope[0] if slope else 1.0)
        b = np.full(n, intercept[0] if intercept else 0.0)
    elif "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds:
        s, b = np.ones(n), np.zeros(n)
        found = False
        for i in range(n):
            item = _functional_group_item(ds, "PixelValueTransformationSequence", i)
            if item is not None:
                si, bi = _float_list(item.get("RescaleSlope")), _float_list(item.get("RescaleIntercept"))
                if si:
                    s[i], found = si[0], True
                if bi:
                    b[i], found = bi[0], True
        if not found:
            return None
    else:
        return None
    if np.all(s == 1.0) and np.all(b == 0.0):
        return None
    return s, b


def dicom_header_meta(ds: Dataset, filename: str | os.PathLike) -> dict[str, Any]:
    """Meta dict (the ``load_sequence`` contract keys and a few more) from the header of ``ds``, pixels not decoded."""
    meta = new_meta(filename, "dicom")
    n = int(ds.get("NumberOfFrames") or 1) if any(t in ds for t in _PIXEL_TAGS) or "Rows" in ds else 0
    times, interval, timing_source = _frame_timing(ds, n) if n else (None, None, None)
    spacing, spacing_source = _pixel_spacing(ds)
    ts = _transfer_syntax(ds)
    photometric = _str_or_none(ds.get("PhotometricInterpretation"))
    meta.update(
        frame_times_ms=times,
        frame_time_ms=interval,
        frame_timing_source=timing_source,
        bits_stored=int(ds.get("BitsStored") or ds.get("BitsAllocated") or 0) or None,
        bits_allocated=int(ds.get("BitsAllocated") or 0) or None,
        pixel_representation=int(ds.get("PixelRepresentation") or 0),
        pixel_spacing=spacing,
        pixel_spacing_source=spacing_source,
        modality=_str_or_none(ds.get("Modality")),
        photometric_interpretation=photometric,
        source_photometric_interpretation=photometric,
        patient_id=_str_or_none(ds.get("PatientID")),
        patient_name=_str_or_none(ds.get("PatientName")),
        study_instance_uid=_str_or_none(ds.get("StudyInstanceUID")),
        series_instance_uid=_str_or_none(ds.get("SeriesInstanceUID")),
        sop_instance_uid=_str_or_none(ds.get("SOPInstanceUID")),
        sop_class_uid=_str_or_none(ds.get("SOPClassUID")),
        instance_number=int(ds.InstanceNumber) if ds.get("InstanceNumber") not in (None, "") else None,
        burned_in_annotation=_str_or_none(ds.get("BurnedInAnnotation")),
        transfer_syntax_uid=str(ts),
        transfer_syntax=ts.name,
        number_of_frames=n,
        rows=int(ds.get("Rows") or 0) or None,
        columns=int(ds.get("Columns") or 0) or None,
        samples_per_pixel=int(ds.get("SamplesPerPixel") or 1),
        # X-ray geometry (focal-spot blur model of the deblurring bundle), scalars so that they survive collation;
        # None when absent: the largest nominal focal spot and the finer detector-plane spacing
        focal_spot_mm=max(_float_list(ds.get("FocalSpots")) or [0.0]) or None,
        distance_source_to_patient_mm=_positive_float(ds.get("DistanceSourceToPatient")),
        distance_source_to_detector_mm=_positive_float(ds.get("DistanceSourceToDetector")),
        imager_pixel_spacing_mm=min(_float_list(ds.get("ImagerPixelSpacing")) or [0.0]) or None,
    )
    return meta


def _check_decodable(ds: Dataset, path: Path) -> UID:
    """Raise a clear ``ValueError`` when no installed decoder handles the transfer syntax of ``ds``."""
    ts = _transfer_syntax(ds)
    if not ts.is_compressed:
        return ts
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(ts)
    except NotImplementedError as e:
        raise ValueError(
            f"{path}: unsupported transfer syntax '{ts.name}' ({ts}): no pixel data decoder is available for it."
        ) from e
    if not decoder.is_available:
        missing = "; ".join(f"{k}: {', '.join(v)}" for k, v in decoder.missing_dependencies.items())
        raise ValueError(
            f"{path}: transfer syntax '{ts.name}' ({ts}) needs a decoder that is not installed ({missing})."
        )
    return ts


def _raw_is_ycbcr(ds: Dataset) -> bool:
    """Check on the first frame that undecoded-colour output is YCbCr: its Y matches the luminance of the RGB."""
    from pydicom.pixels import pixel_array

    raw = pixel_array(ds, index=0, raw=True)
    rgb = pixel_array(ds, index=0)
    if raw.ndim != 3 or raw.shape != rgb.shape:
        return False
    return float(np.abs(to_luminance(rgb).astype(np.float64) - raw[..., 0]).mean()) < 1.0


def _decode_frames(ds: Dataset, path: Path, luminance: bool) -> tuple[np.ndarray, bool]:
    """Decode all frames to ``(T, H, W)`` or ``(T, H, W, 3)`` (RGB); returns the array and whether it is colour."""
    from pydicom.pixels import apply_color_lut, iter_pixels

    ts = _check_decodable(ds, path)
    if ds.file_meta.get("TransferSyntaxUID") is None:
        ds.file_meta.TransferSyntaxUID = ts
    n = int(ds.get("NumberOfFrames") or 1)
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    palette = photometric == "PALETTE COLOR"
    out: np.ndarray | None = None
    count = 0
    try:
        y_channel = luminance and photometric in _YBR_FULL and _raw_is_ycbcr(ds)
        for frame in iter_pixels(ds, raw=y_channel):
            if palette:
                frame = apply_color_lut(frame, ds)
            if y_channel:
                frame = frame[..., 0]  # Y of YCbCr (BT.601) is the luminance, without RGB clipping
            elif frame.ndim == 3 and luminance:
                frame = to_luminance(frame)
            elif frame.ndim == 3 and frame.shape[-1] == 4:
                frame = frame[..., :3]
            if out is None:
                out = np.empty((n, *frame.shape), dtype=frame.dtype.newbyteorder("="))
            if count >= n:
                raise ValueError(f"more frames decoded than NumberOfFrames = {n}")
            out[count] = frame
            count += 1
    except ValueError as e:
        if str(path) in str(e):
            raise
        raise ValueError(f"{path}: cannot decode pixel data ({ts.name}): {e}") from e
    except Exception as e:  # decoder plugins raise RuntimeError, KeyError, ...
        raise ValueError(f"{path}: cannot decode pixel data ({ts.name}): {type(e).__name__}: {e}") from e
    if out is None or count == 0:
        raise ValueError(f"{path}: pixel data hold no frame.")
    if count < n:
        raise ValueError(f"{path}: pixel data hold {count} frames but NumberOfFrames is {n} (truncated file?).")
    return out, out.ndim == 4


def read_dicom(path: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a DICOM image file (single- or multi-frame) as frames.

    Conversions: ``MONOCHROME1`` is inverted to the ``MONOCHROME2`` convention (high = bright; recorded as
    ``meta["monochrome1_inverted"] = True``); the rescale slope/intercept (top level or enhanced functional groups)
    is applied to grayscale data (stored dtype kept when the result fits, a signed dtype for negative integers,
    float32 when non-integer); YBR_* and palette colour are converted to RGB, and to BT.601 luminance when
    ``luminance`` is True.

    Args:
        path: the DICOM file (with or without extension).
        luminance: convert colour frames to luminance ``(T, H, W)``.

    Returns:
        ``(frames, meta)``: frames ``(T, H, W)`` (or ``(T, H, W, 3)`` RGB) and the meta dict of
        :func:`monai_angio.io.load_sequence` with ``format="dicom"``; ``photometric_interpretation`` describes the
        returned frames and ``source_photometric_interpretation`` the file.

    Raises:
        ValueError: naming the file for non-DICOM or truncated files, files without pixel data, unsupported
            transfer syntaxes, undecodable pixel data and NaN/Inf in float pixel data.
    """
    path = Path(path)
    ds = read_dicom_header(path)
    if not any(tag in ds for tag in _PIXEL_TAGS):
        sop = ds.get("SOPClassUID")
        kind = UID(sop).name if sop else "unknown SOP class"
        raise ValueError(f"{path}: DICOM file has no pixel data ({kind}, modality {ds.get('Modality')}): not an image.")
    meta = dicom_header_meta(ds, path)
    frames, colour = _decode_frames(ds, path, luminance)
    n = frames.shape[0]
    check_finite(frames, path)
    source_pi = (meta["source_photometric_interpretation"] or "").upper()
    source_colour = meta["samples_per_pixel"] == 3 or source_pi == "PALETTE COLOR"
    meta["monochrome1_inverted"] = False
    meta["rescaled"] = False
    if colour:
        meta["photometric_interpretation"] = "RGB"
    else:
        if source_colour:
            meta["photometric_interpretation"] = "MONOCHROME2"  # luminance of colour data
        if source_pi == "MONOCHROME1" and np.issubdtype(frames.dtype, np.integer):
            bits = int(ds.get("BitsStored") or frames.dtype.itemsize * 8)
            if np.issubdtype(frames.dtype, np.signedinteger):
                lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
            else:
                lo, hi = 0, (1 << bits) - 1
            frames = (lo + hi - np.clip(frames, lo, hi).astype(np.int64)).astype(frames.dtype)
            meta["monochrome1_inverted"] = True
            meta["photometric_interpretation"] = "MONOCHROME2"
        elif source_pi == "MONOCHROME1":
            frames = (float(frames.max()) + float(frames.min()) - frames).astype(frames.dtype)
            meta["monochrome1_inverted"] = True
            meta["photometric_interpretation"] = "MONOCHROME2"
        rescale = None if source_colour else _rescale(ds, n)
        if rescale is not None:
            slope, intercept = rescale
            values = frames.astype(np.float64) * slope[:, None, None] + intercept[:, None, None]
            frames = values.astype(rescaled_dtype(values, frames.dtype))
            meta["rescale_slope"] = float(slope[0]) if np.all(slope == slope[0]) else slope.tolist()
            meta["rescale_intercept"] = float(intercept[0]) if np.all(intercept == intercept[0]) else intercept.tolist()
            meta["rescaled"] = True
    meta["luminance"] = bool(luminance and source_colour)
    meta["number_of_frames"] = n
    if meta["frame_times_ms"] is not None and len(meta["frame_times_ms"]) != n:
        meta["frame_times_ms"] = None
    return frames, meta


def list_dicom_files(folder: str | os.PathLike) -> list[Path]:
    """DICOM files directly inside ``folder`` (preamble or DICOM extension; hidden files and DICOMDIR skipped)."""
    folder = Path(folder)
    files = []
    for p in folder.iterdir():
        if p.name.startswith(".") or p.name.upper() == "DICOMDIR" or not p.is_file():
            continue
        if is_dicom_file(p):
            files.append(p)
    return sorted(files, key=natural_sort_key)


def _acquisition_datetime(ds: Dataset) -> datetime.datetime | None:
    if ds.get("AcquisitionDateTime"):
        return _parse_dicom_datetime(ds.AcquisitionDateTime)
    for date_kw, time_kw in (("AcquisitionDate", "AcquisitionTime"), ("ContentDate", "ContentTime")):
        if ds.get(time_kw):
            return _parse_dicom_datetime(ds.get(date_kw) or ds.get("SeriesDate") or "", ds.get(time_kw))
    return None


def check_single_series(headers: Sequence[tuple[Path, Dataset]], folder: str | os.PathLike) -> None:
    """Raise ``ValueError`` naming every series when the ``(path, header)`` pairs belong to several series."""
    series: dict[str, list[tuple[Path, Dataset]]] = {}
    for p, ds in headers:
        series.setdefault(str(ds.get("SeriesInstanceUID", "<no SeriesInstanceUID>")), []).append((p, ds))
    if len(series) > 1:
        parts = []
        for uid, items in series.items():
            ds0 = items[0][1]
            label = f"{uid} (SeriesNumber {ds0.get('SeriesNumber', '?')}"
            if ds0.get("SeriesDescription"):
                label += f", '{ds0.SeriesDescription}'"
            parts.append(f"{label}, {len(items)} files, e.g. {items[0][0].name})")
        raise ValueError(f"{folder}: the folder mixes {len(series)} series: " + "; ".join(parts) + ".")


def read_series_headers(folder: str | os.PathLike, *, stop_before_pixels: bool = True) -> list[tuple[Path, Dataset]]:
    """The ``(path, dataset)`` of every DICOM instance in ``folder``, checked to form one series (unsorted).

    Raises:
        FileNotFoundError: ``folder`` is not a folder.
        ValueError: naming the folder, when it holds no DICOM file or instances of several series.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder.")
    files = list_dicom_files(folder)
    if not files:
        raise ValueError(f"{folder}: empty folder: no DICOM files in it.")
    headers = [(p, read_dicom_header(p, stop_before_pixels=stop_before_pixels)) for p in files]
    check_single_series(headers, folder)
    return headers


def read_dicom_series(folder: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a folder of DICOM instances of one series as one sequence.

    Instances are ordered by InstanceNumber, then acquisition date/time, then file name (natural order). Frame
    times come from the acquisition times of single-frame instances when all are present and strictly increasing,
    otherwise from the frame timing attributes of the first instance.

    Args:
        folder: the folder (non-DICOM files in it are ignored).
        luminance: convert colour frames to luminance.

    Returns:
        ``(frames, meta)`` as :func:`read_dicom`, with ``format="dicom_series"`` and ``meta["files"]`` the
        instance paths in frame order.

    Raises:
        ValueError: for an empty folder, instances of several series (all named), instances without pixel data,
            and frames of different sizes (naming the offending file).
    """
    folder = Path(folder)
    headers = read_series_headers(folder)

    def order(item: tuple[Path, Dataset]) -> tuple:
        p, ds = item
        number = ds.get("InstanceNumber")
        try:
            number = float(number) if number not in (None, "") else math.inf
        except (TypeError, ValueError):
            number = math.inf
        when = _acquisition_datetime(ds)
        stamp = when.timestamp() if when is not None else math.inf
        return (number, stamp, natural_sort_key(p))

    headers.sort(key=order)
    chunks: list[np.ndarray] = []
    first_meta: dict[str, Any] | None = None
    shape = None
    for p, _ in headers:
        frames, meta = read_dicom(p, luminance=luminance)
        if shape is None:
            shape, first_meta = frames.shape[1:], meta
        elif frames.shape[1:] != shape:
            raise ValueError(
                f"{p}: frame size {tuple(frames.shape[1:])} differs from {tuple(shape)} of {headers[0][0].name}; "
                "all instances of a series must have the same size."
            )
        chunks.append(frames)
    assert first_meta is not None
    dtype = np.result_type(*[c.dtype for c in chunks])
    frames = np.concatenate([c.astype(dtype, copy=False) for c in chunks], axis=0)
    n = frames.shape[0]
    meta = dict(first_meta)
    meta.update(filename=str(folder), format="dicom_series", number_of_frames=n, files=[str(p) for p, _ in headers])
    meta.pop("sop_instance_uid", None)
    meta.pop("instance_number", None)
    times, interval, source = None, None, None
    if all(c.shape[0] == 1 for c in chunks) and n > 1:
        stamps = [_acquisition_datetime(ds) for _, ds in headers]
        if all(s is not None for s in stamps):
            t = [(s - stamps[0]).total_seconds() * 1000.0 for s in stamps]
            if all(b > a for a, b in zip(t, t[1:], strict=False)):
                times, interval, source = t, t[-1] / (n - 1), "AcquisitionTime"
        if times is None:
            times, interval, source = _frame_timing(headers[0][1], n)
            if source is None:
                times = None
    elif len(chunks) == 1:
        times, interval, source = first_meta["frame_times_ms"], first_meta["frame_time_ms"], None
    meta.update(frame_times_ms=times, frame_time_ms=interval)
    if source is not None:
        meta["frame_timing_source"] = source
    return frames, meta
