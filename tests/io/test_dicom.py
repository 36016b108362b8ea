# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.dicom: multi-frame and single-frame readers, decoders, conversions, series folders."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pydicom
import pytest
from contract import READER_META_KEYS
from pydicom.encaps import encapsulate
from pydicom.pixels import apply_modality_lut, pixel_array
from pydicom.uid import MPEG4HP41

from monai_angio.io import read_dicom, read_dicom_series
from monai_angio.io._common import to_luminance
from monai_angio.io.dicom import is_dicom_file

CONTRACT_KEYS = READER_META_KEYS


# ---------------------------------------------------------------------------------------------------- real files
def test_us_cine_jpeg_baseline_ybr_to_luminance(testdata):
    """Real 120-frame echo cine, JPEG baseline YBR_FULL_422: luminance equals the decoded Y channel."""
    path = testdata("color3d_jpeg_baseline.dcm")
    frames, meta = read_dicom(path, luminance=True)
    assert frames.shape == (120, 480, 640) and frames.dtype == np.uint8
    assert CONTRACT_KEYS <= set(meta)
    assert meta["format"] == "dicom" and meta["modality"] == "US"
    assert meta["number_of_frames"] == 120
    assert meta["source_photometric_interpretation"] == "YBR_FULL_422"
    assert meta["photometric_interpretation"] == "MONOCHROME2"
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert meta["frame_time_ms"] == pytest.approx(float(ds.FrameTime))
    assert meta["frame_times_ms"][0] == 0.0 and len(meta["frame_times_ms"]) == 120
    assert np.allclose(np.diff(meta["frame_times_ms"]), float(ds.FrameTime))
    # luminance is the Y channel of the (unconverted) YCbCr data, and the BT.601 luminance of the RGB conversion
    for i in (0, 60, 119):
        np.testing.assert_array_equal(frames[i], pixel_array(path, index=i, raw=True)[..., 0])
        diff = np.abs(frames[i].astype(int) - to_luminance(pixel_array(path, index=i)).astype(int))
        assert diff.mean() < 1.0
    # the US region calibration gives the pixel spacing (cm -> mm)
    region = ds.SequenceOfUltrasoundRegions[0]
    assert meta["pixel_spacing"] == pytest.approx((region.PhysicalDeltaY * 10, region.PhysicalDeltaX * 10))


def test_ybr_colour_kept_as_rgb_unless_luminance(testdata):
    path = testdata("examples_ybr_color.dcm")
    rgb, meta = read_dicom(path)
    lum, meta_l = read_dicom(path, luminance=True)
    assert rgb.shape == (30, 240, 320, 3) and meta["photometric_interpretation"] == "RGB"
    assert lum.shape == (30, 240, 320) and lum.dtype == np.uint8
    # YBR was converted properly: the luminance of the RGB frames matches the stored Y channel ...
    y = pixel_array(path, raw=True)[..., 0]
    np.testing.assert_array_equal(lum, y)
    assert np.abs(to_luminance(rgb).astype(int) - y).mean() < 1.0
    # ... and the RGB frames differ from the YCbCr data (the conversion was done)
    assert np.abs(rgb[..., 0].astype(int) - y).max() > 10


def test_enhanced_mr_multiframe(testdata):
    frames, meta = read_dicom(testdata("emri_small.dcm"))
    ds = pydicom.dcmread(testdata("emri_small.dcm"))
    assert frames.shape == (10, 64, 64) and frames.dtype == np.uint16
    np.testing.assert_array_equal(frames, ds.pixel_array)
    assert meta["bits_stored"] == 12 and meta["modality"] == "MR"
    assert meta["burned_in_annotation"] == "NO"
    assert meta["series_instance_uid"] == ds.SeriesInstanceUID
    assert meta["study_instance_uid"] == ds.StudyInstanceUID


@pytest.mark.parametrize(
    "compressed, reference",
    [
        ("MR_small_RLE.dcm", "MR_small.dcm"),
        ("MR_small_jp2klossless.dcm", "MR_small.dcm"),
        ("emri_small_RLE.dcm", "emri_small.dcm"),
        ("emri_small_jpeg_2k_lossless.dcm", "emri_small.dcm"),
        ("SC_rgb_rle.dcm", "SC_rgb.dcm"),
    ],
)
def test_lossless_decoders_match_uncompressed(testdata, compressed, reference):
    """RLE and JPEG 2000 lossless decode to exactly the uncompressed pixels."""
    a, meta_a = read_dicom(testdata(compressed))
    b, _ = read_dicom(testdata(reference))
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    assert meta_a["transfer_syntax_uid"] != pydicom.dcmread(testdata(reference)).file_meta.TransferSyntaxUID


def test_jpeg_lossless_and_jpeg2000(testdata):
    frames, meta = read_dicom(testdata("JPGLosslessP14SV1_1s_1f_8b.dcm"))
    assert frames.shape == (1, 768, 1024) and frames.dtype == np.uint8
    assert "Lossless" in meta["transfer_syntax"]
    assert frames.std() > 0
    frames, meta = read_dicom(testdata("JPEG2000.dcm"))
    assert frames.shape == (1, 1024, 256) and meta["bits_stored"] == 16
    np.testing.assert_array_equal(frames[0], pydicom.dcmread(testdata("JPEG2000.dcm")).pixel_array)


@pytest.mark.parametrize("name", ["MR_small_bigendian.dcm", "MR_small_implicit.dcm", "MR_small_jpeg_ls_lossless.dcm"])
def test_encodings_give_same_native_pixels(testdata, name):
    a, _ = read_dicom(testdata(name))
    b, _ = read_dicom(testdata("MR_small.dcm"))
    assert a.dtype.isnative and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


def test_rescale_slope_intercept_applied(testdata):
    path = testdata("CT_small.dcm")
    ds = pydicom.dcmread(path)
    assert float(ds.RescaleIntercept) != 0
    frames, meta = read_dicom(path)
    expected = apply_modality_lut(ds.pixel_array, ds)
    np.testing.assert_array_equal(frames[0], expected)
    assert np.issubdtype(frames.dtype, np.signedinteger)  # integer result with negatives: signed dtype, no float
    assert meta["rescale_intercept"] == float(ds.RescaleIntercept) and meta["rescaled"]


def test_non_integer_rescale_gives_float32(write_dicom, rng):
    pixels = rng.integers(0, 4096, (3, 8, 9)).astype(np.uint16)
    path = write_dicom("r.dcm", pixels, bits_stored=12, RescaleSlope="0.5", RescaleIntercept="-3")
    frames, _ = read_dicom(path)
    assert frames.dtype == np.float32
    np.testing.assert_allclose(frames, pixels * 0.5 - 3)


def test_monochrome1_inverted(write_dicom, rng):
    pixels = rng.integers(0, 1024, (2, 6, 7)).astype(np.uint16)
    path = write_dicom("m1.dcm", pixels, bits_stored=10, photometric="MONOCHROME1")
    frames, meta = read_dicom(path)
    np.testing.assert_array_equal(frames, 1023 - pixels)
    assert frames.dtype == np.uint16
    assert meta["monochrome1_inverted"] is True
    assert meta["photometric_interpretation"] == "MONOCHROME2"
    assert meta["source_photometric_interpretation"] == "MONOCHROME1"


def test_real_monochrome1_radiograph(testdata):
    frames, meta = read_dicom(testdata("RG3_UNCR.dcm"))
    raw = pydicom.dcmread(testdata("RG3_UNCR.dcm")).pixel_array
    np.testing.assert_array_equal(frames[0].astype(int), (2 ** meta["bits_stored"] - 1) - raw.astype(int))
    assert meta["monochrome1_inverted"]


def test_frame_time_vector_is_cumulated(write_dicom):
    pixels = np.zeros((4, 3, 3), np.uint8)
    path = write_dicom("ftv.dcm", pixels, FrameTimeVector=[0, 40, 30, 50])
    _, meta = read_dicom(path)
    assert meta["frame_times_ms"] == pytest.approx([0, 40, 70, 120])
    assert meta["frame_time_ms"] == pytest.approx(40.0)


@pytest.mark.parametrize(
    "attrs, interval",
    [
        ({"FrameTime": "25", "FrameTimeVector": [0, 10, 10, 10], "CineRate": 7}, 25.0),
        ({"CineRate": 20, "RecommendedDisplayFrameRate": 5}, 50.0),
        ({"RecommendedDisplayFrameRate": 8}, 125.0),
    ],
)
def test_frame_time_preference(write_dicom, attrs, interval):
    path = write_dicom("t.dcm", np.zeros((4, 3, 3), np.uint8), **attrs)
    _, meta = read_dicom(path)
    assert meta["frame_time_ms"] == pytest.approx(interval)
    assert meta["frame_times_ms"] == pytest.approx([0, interval, 2 * interval, 3 * interval])


def test_frame_increment_pointer_selects_vector(write_dicom):
    path = write_dicom(
        "p.dcm",
        np.zeros((3, 2, 2), np.uint8),
        FrameTime="20",
        FrameTimeVector=[0, 10, 30],
        FrameIncrementPointer=pydicom.tag.Tag(0x0018, 0x1065),
    )
    _, meta = read_dicom(path)
    assert meta["frame_times_ms"] == pytest.approx([0, 10, 40])


def test_unknown_frame_time_is_none(write_dicom):
    _, meta = read_dicom(write_dicom("n.dcm", np.zeros((3, 2, 2), np.uint8)))
    assert meta["frame_time_ms"] is None and meta["frame_times_ms"] is None


def test_pixel_spacing_sources(write_dicom):
    _, meta = read_dicom(write_dicom("a.dcm", np.zeros((2, 2), np.uint8), ImagerPixelSpacing=[0.2, 0.3]))
    assert meta["pixel_spacing"] == (0.2, 0.3) and meta["pixel_spacing_source"] == "ImagerPixelSpacing"
    _, meta = read_dicom(
        write_dicom("b.dcm", np.zeros((2, 2), np.uint8), PixelSpacing=[0.1, 0.4], ImagerPixelSpacing=[0.2, 0.3])
    )
    assert meta["pixel_spacing"] == (0.1, 0.4)


def test_dicom_without_extension_detected(write_dicom, tmp_path):
    path = write_dicom("noext", np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert is_dicom_file(path)
    frames, _ = read_dicom(path)
    np.testing.assert_array_equal(frames[0], np.arange(12).reshape(3, 4))


def test_real_xa_jpeg_lossless(xa_dicom_files):
    path = xa_dicom_files[0]
    frames, meta = read_dicom(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert frames.shape == (int(ds.NumberOfFrames), ds.Rows, ds.Columns) and frames.dtype == np.uint8
    assert meta["modality"] == "XA" and meta["bits_stored"] == 8
    assert meta["frame_time_ms"] == pytest.approx(float(ds.FrameTime))
    assert meta["pixel_spacing"] == pytest.approx(tuple(float(v) for v in ds.ImagerPixelSpacing))
    assert meta["patient_id"] == ds.PatientID
    assert frames.std() > 1  # real image content


def test_real_xa_folder_concatenates_one_series(xa_dicom_files, tmp_path):
    for p in xa_dicom_files:
        shutil.copy(p, tmp_path / p.name)
    frames, meta = read_dicom_series(tmp_path)
    singles = [read_dicom(p)[0] for p in xa_dicom_files]
    numbers = [int(pydicom.dcmread(p, stop_before_pixels=True).InstanceNumber) for p in xa_dicom_files]
    expected = np.concatenate([singles[i] for i in np.argsort(numbers)])
    np.testing.assert_array_equal(frames, expected)
    assert meta["format"] == "dicom_series"


# ---------------------------------------------------------------------------------------------- series folders
def test_series_folder_ordered_by_instance_number(write_dicom, tmp_path, rng):
    folder = tmp_path / "series"
    frames = rng.integers(0, 4096, (6, 5, 4)).astype(np.uint16)
    numbers = list(range(1, 7))
    random.Random(3).shuffle(numbers)
    for k, n in enumerate(numbers):  # file names do not follow the instance order
        write_dicom(
            f"img{k}.dcm",
            frames[n - 1],
            folder=folder,
            series_uid="1.2.3.4.5",
            instance_number=n,
            bits_stored=12,
            AcquisitionTime=f"1200{n:02d}.000",
        )
    (folder / "notes.txt").write_text("not dicom")
    out, meta = read_dicom_series(folder)
    np.testing.assert_array_equal(out, frames)
    assert meta["format"] == "dicom_series" and meta["number_of_frames"] == 6
    assert meta["frame_times_ms"] == pytest.approx([0, 1000, 2000, 3000, 4000, 5000])
    assert [int(pydicom.dcmread(f).InstanceNumber) for f in meta["files"]] == list(range(1, 7))


def test_series_ties_broken_by_acquisition_time(write_dicom, tmp_path):
    folder = tmp_path / "s"
    for k, t in enumerate(["120003", "120001", "120002"]):
        write_dicom(
            f"{k}.dcm",
            np.full((2, 2), int(t[-1]), np.uint8),
            folder=folder,
            series_uid="1.2.9",
            instance_number=None,
            AcquisitionTime=t,
        )
    out, _ = read_dicom_series(folder)
    assert out[:, 0, 0].tolist() == [1, 2, 3]


def test_series_mixing_several_series_fails(write_dicom, tmp_path):
    folder = tmp_path / "mixed"
    write_dicom("a.dcm", np.zeros((2, 2), np.uint8), folder=folder, series_uid="1.2.3.100", SeriesNumber=3)
    write_dicom("b.dcm", np.zeros((2, 2), np.uint8), folder=folder, series_uid="1.2.3.200", SeriesNumber=4)
    with pytest.raises(ValueError, match="mixes 2 series") as err:
        read_dicom_series(folder)
    assert "1.2.3.100" in str(err.value) and "1.2.3.200" in str(err.value)


def test_series_frames_of_different_sizes_fail(write_dicom, tmp_path):
    folder = tmp_path / "sizes"
    write_dicom("a.dcm", np.zeros((4, 4), np.uint8), folder=folder, series_uid="1.5", instance_number=1)
    write_dicom("b.dcm", np.zeros((4, 5), np.uint8), folder=folder, series_uid="1.5", instance_number=2)
    with pytest.raises(ValueError, match=r"b\.dcm.*frame size"):
        read_dicom_series(folder)


def test_series_empty_folder_fails(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match="no DICOM files"):
        read_dicom_series(tmp_path)


# ---------------------------------------------------------------------------------------------------- bad input
def test_non_image_dicom_fails(testdata):
    with pytest.raises(ValueError, match=r"rtplan\.dcm.*no pixel data"):
        read_dicom(testdata("rtplan.dcm"))


def test_truncated_pixel_data_fails(testdata):
    with pytest.raises(ValueError, match=r"MR_truncated\.dcm.*pixel data"):
        read_dicom(testdata("MR_truncated.dcm"))


def test_truncated_file_fails(write_dicom, tmp_path):
    path = write_dicom("full.dcm", np.arange(4000, dtype=np.uint16).reshape(40, 100))
    data = path.read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.dcm"):
        read_dicom(cut)


def test_not_dicom_fails(tmp_path):
    path = tmp_path / "fake.dcm"
    path.write_bytes(b"hello, not a dicom file" * 20)
    with pytest.raises(ValueError, match=r"fake\.dcm"):
        read_dicom(path)


def test_unsupported_transfer_syntax_fails(write_dicom, tmp_path):
    ds = pydicom.dcmread(write_dicom("v.dcm", np.zeros((2, 4, 4), np.uint8)))
    ds.file_meta.TransferSyntaxUID = MPEG4HP41
    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + bytes(60)])
    ds["PixelData"].VR = "OB"
    path = tmp_path / "mpeg4.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(ValueError, match=r"mpeg4\.dcm.*unsupported transfer syntax.*MPEG-4"):
        read_dicom(path)


def test_undecodable_jpeg_fails_with_transfer_syntax(testdata):
    """12-bit JPEG Extended: no installed plugin decodes this file; the error names file and transfer syntax."""
    with pytest.raises(ValueError, match=r"JPEG-lossy\.dcm.*JPEG Extended"):
        read_dicom(testdata("JPEG-lossy.dcm"))


def test_random_bytes_named_dcm_is_not_dicom(tmp_path):
    """Forced parsing of noise yields a data set of garbage elements; the error says what it is."""
    for seed in range(5):
        path = tmp_path / f"noise{seed}.dcm"
        path.write_bytes(np.random.default_rng(seed).integers(0, 256, 1000, dtype=np.uint8).tobytes())
        with pytest.raises(ValueError, match=rf"noise{seed}\.dcm: not a DICOM file \(no DICOM preamble"):
            read_dicom(path)
