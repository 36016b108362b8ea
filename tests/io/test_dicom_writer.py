# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.dicom_writer.write_dicom_cine."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from monai_angio.io import read_dicom, write_dicom_cine
from monai_angio.io.atomic import OutputExistsError
from monai_angio.io.dicom_writer import derivation_description, format_frame_numbers

pytestmark = pytest.mark.filterwarnings("ignore:builtin type:DeprecationWarning")


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name]


@pytest.mark.parametrize("bits, dtype", [(8, np.uint8), (12, np.uint16)])
def test_round_trip_pixel_exact_with_tags(tmp_path, write_dicom, rng, bits, dtype):
    ref_pixels = rng.integers(0, 2**bits, (4, 12, 10)).astype(dtype)
    ref_path = write_dicom(
        "ref.dcm",
        ref_pixels,
        bits_stored=bits,
        modality="XA",
        sop_class=pydicom.uid.XRayAngiographicImageStorage,
        FrameTime="66.6667",
        SeriesNumber=2,
        ImageType=["ORIGINAL", "PRIMARY", "SINGLE A"],
        StudyDate="20240101",
    )
    ref = pydicom.dcmread(ref_path)
    frames = rng.integers(0, 2**bits, (7, 12, 10)).astype(dtype)
    synthesized = [False, True, False, True, False, True, False]
    out = write_dicom_cine(
        tmp_path / "out" / "derived.dcm",
        frames,
        reference=ref_path,
        synthesized=synthesized,
        method="linear",
        factor=2,
    )
    assert out.is_file()
    read, meta = read_dicom(out)
    assert read.dtype == dtype
    np.testing.assert_array_equal(read, frames)
    ds = pydicom.dcmread(out)
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"] and ds.ImageType[2] == "SINGLE A"
    assert ds.DerivationDescription == "monai-angio linear x2 frame interpolation; synthesized frames: 2,4,6"
    assert list(ds.FrameLabelVector) == ["SYNTHESIZED" if s else "ACQUIRED" for s in synthesized]
    assert float(ds.FrameTime) == pytest.approx(66.6667 / 2, rel=1e-5)
    assert [float(v) for v in ds.FrameTimeVector] == pytest.approx([0] + [66.6667 / 2] * 6, rel=1e-5)
    assert meta["frame_times_ms"] == pytest.approx([i * 66.6667 / 2 for i in range(7)], rel=1e-5)
    assert ds.BitsStored == bits and ds.BitsAllocated == (8 if bits == 8 else 16)
    assert ds.PhotometricInterpretation == "MONOCHROME2" and ds.Modality == "XA"
    assert ds.SOPClassUID == pydicom.uid.XRayAngiographicImageStorage
    assert ds.SeriesInstanceUID != ref.SeriesInstanceUID and ds.SOPInstanceUID != ref.SOPInstanceUID
    assert ds.StudyInstanceUID == ref.StudyInstanceUID and ds.StudyDate == ref.StudyDate
    assert ds.PatientID == ref.PatientID and ds.PatientName == ref.PatientName
    assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == ref.SOPInstanceUID
    assert _leftovers(out.parent) == []


def test_readable_by_itk(tmp_path, rng):
    itk = pytest.importorskip("itk")
    frames = rng.integers(0, 4096, (5, 16, 20)).astype(np.uint16)
    path = write_dicom_cine(tmp_path / "itk.dcm", frames, bits_stored=12, frame_time_ms=40.0, method="dain", factor=1)
    image = itk.imread(str(path))
    np.testing.assert_array_equal(itk.array_from_image(image), frames)


def test_fresh_patient_and_default_modality(tmp_path, rng):
    frames = rng.integers(0, 256, (3, 6, 6)).astype(np.uint8)
    a = pydicom.dcmread(write_dicom_cine(tmp_path / "a.dcm", frames, frame_time_ms=50))
    b = pydicom.dcmread(write_dicom_cine(tmp_path / "b.dcm", frames, frame_time_ms=50))
    assert a.Modality == "XA" and a.BitsStored == 8
    assert a.StudyInstanceUID != b.StudyInstanceUID and a.PatientID == ""
    assert float(a.FrameTime) == 50.0 and a.CineRate == 20


def test_reference_dataset_and_modality_override(tmp_path, write_dicom, rng):
    ref = pydicom.dcmread(write_dicom("us.dcm", np.zeros((2, 4, 4), np.uint8), modality="US", CineRate=30))
    frames = rng.integers(0, 256, (4, 4, 4)).astype(np.uint8)
    ds = pydicom.dcmread(write_dicom_cine(tmp_path / "u.dcm", frames, reference=ref, factor=2, method="m"))
    assert ds.Modality == "US" and ds.SOPClassUID == pydicom.uid.UltrasoundMultiFrameImageStorage
    assert float(ds.FrameTime) == pytest.approx(1000 / 30 / 2, rel=1e-5)
    ds = pydicom.dcmread(write_dicom_cine(tmp_path / "r.dcm", frames, reference=ref, modality="XRF"))
    assert ds.Modality == "RF" and ds.SOPClassUID == pydicom.uid.XRayRadiofluoroscopicImageStorage


def test_deblurring_without_synthesized_labels(tmp_path, rng):
    frames = rng.integers(0, 1024, (3, 5, 5)).astype(np.uint16)
    ds = pydicom.dcmread(write_dicom_cine(tmp_path / "d.dcm", frames, method="rdn-deblur", bits_stored=10))
    assert "FrameLabelVector" not in ds
    assert "rdn-deblur" in ds.DerivationDescription and "all 3 frames derived" in ds.DerivationDescription
    assert ds.BitsStored == 10
    assert "FrameTime" not in ds


def test_float_frames_are_rounded_stored_values(tmp_path):
    frames = np.array([[[0.4, 100.6], [4095.2, 7.5]]], dtype=np.float32)
    read, _ = read_dicom(write_dicom_cine(tmp_path / "f.dcm", frames, bits_stored=12))
    np.testing.assert_array_equal(read[0], [[0, 101], [4095, 8]])


def test_non_uniform_frame_times(tmp_path):
    frames = np.zeros((4, 2, 2), np.uint8)
    path = write_dicom_cine(tmp_path / "t.dcm", frames, frame_time_ms=[0, 10, 30, 60])
    ds = pydicom.dcmread(path)
    assert ds.FrameIncrementPointer == pydicom.tag.Tag(0x0018, 0x1065)
    _, meta = read_dicom(path)
    assert meta["frame_times_ms"] == pytest.approx([0, 10, 30, 60])


def test_real_xa_reference(tmp_path, xa_dicom_files):
    ref_path = xa_dicom_files[0]
    ref_frames, ref_meta = read_dicom(ref_path)
    interp = np.repeat(ref_frames, 2, axis=0)[:-1]  # stand-in for an x2 interpolation
    synthesized = np.arange(interp.shape[0]) % 2 == 1
    out = write_dicom_cine(tmp_path / "xa_x2.dcm", interp, reference=ref_path, synthesized=synthesized, factor=2)
    frames, meta = read_dicom(out)
    np.testing.assert_array_equal(frames, interp)
    assert meta["modality"] == "XA" and meta["bits_stored"] == 8
    assert meta["patient_id"] == ref_meta["patient_id"]
    assert meta["study_instance_uid"] == ref_meta["study_instance_uid"]
    assert meta["series_instance_uid"] != ref_meta["series_instance_uid"]
    assert meta["frame_time_ms"] == pytest.approx(ref_meta["frame_time_ms"] / 2, rel=1e-5)
    assert meta["pixel_spacing"] == ref_meta["pixel_spacing"]


def test_long_frame_lists_compressed_within_vr_limit():
    mask = np.zeros(2001, bool)
    mask[1::2] = True
    text = derivation_description("most-dsa", 2, mask, mask.size)
    assert len(text) <= 1024
    assert text.endswith("synthesized frames: 2-2000/2")
    mask[::7] = True  # irregular: ranges alone do not fit
    text = derivation_description("most-dsa", 2, mask, mask.size)
    assert len(text) <= 1024 and text.endswith(f"see Frame Label Vector ({int(mask.sum())} of 2001 frames)")


def test_format_frame_numbers():
    assert format_frame_numbers([2, 4, 6], 100) == "2,4,6"
    assert format_frame_numbers([1, 2, 3, 4, 9, 11, 13, 20], 15) == "1-4,9-13/2,20"
    assert format_frame_numbers([], 10) == "none"


# ---------------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "frames, kwargs, match",
    [
        (np.zeros((4, 4), np.uint8), {}, "shape"),
        (np.zeros((1, 4, 4, 3), np.uint8), {}, "shape"),
        (np.full((2, 3, 3), np.nan, np.float32), {"bits_stored": 8}, "NaN"),
        (np.full((2, 3, 3), np.inf, np.float32), {"bits_stored": 8}, "Inf"),
        (np.full((2, 3, 3), 300.0, np.float32), {"bits_stored": 8}, "range"),
        (np.full((2, 3, 3), -2.0, np.float32), {"bits_stored": 8}, "range"),
        (np.full((2, 3, 3), 5000, np.uint16), {"bits_stored": 12}, "range"),
        (np.zeros((3, 3, 3), np.uint8), {"synthesized": [True, False]}, "synthesized"),
        (np.zeros((3, 3, 3), np.float32), {}, "bits_stored"),
        (np.zeros((3, 3, 3), np.uint8), {"frame_time_ms": [0, 1]}, "frame_time_ms"),
        (np.zeros((3, 3, 3), np.uint8), {"bits_stored": 20}, "bits_stored"),
    ],
)
def test_bad_frames_raise_and_leave_nothing(tmp_path, frames, kwargs, match):
    path = tmp_path / "bad.dcm"
    with pytest.raises(ValueError, match=match) as err:
        write_dicom_cine(path, frames, **kwargs)
    assert "bad.dcm" in str(err.value)
    assert not path.exists() and _leftovers(tmp_path) == []


def test_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        with open(args[0], "wb") as f:  # a half-written file under the temporary name
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pydicom.dataset.Dataset, "save_as", boom)
    with pytest.raises(OSError, match="disk full"):
        write_dicom_cine(tmp_path / "x.dcm", np.zeros((2, 3, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_previous_file(tmp_path, monkeypatch):
    path = write_dicom_cine(tmp_path / "x.dcm", np.ones((2, 3, 3), np.uint8))
    before = path.read_bytes()
    monkeypatch.setattr(pydicom.dataset.Dataset, "save_as", lambda self, *a, **k: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        write_dicom_cine(path, np.zeros((2, 3, 3), np.uint8), overwrite=True)
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_float_in_unit_range_warns(tmp_path):
    with pytest.warns(UserWarning, match="scale"):
        write_dicom_cine(tmp_path / "w.dcm", np.full((2, 3, 3), 0.5, np.float32), bits_stored=12)


def test_overwrite_is_explicit(tmp_path):
    path = write_dicom_cine(tmp_path / "x.dcm", np.ones((2, 3, 3), np.uint8))
    with pytest.raises(OutputExistsError, match=r"x\.dcm already exists: pass --overwrite"):
        write_dicom_cine(path, np.zeros((2, 3, 3), np.uint8))
    assert read_dicom(path)[0].max() == 1
    write_dicom_cine(path, np.zeros((2, 3, 3), np.uint8), overwrite=True)
    assert read_dicom(path)[0].max() == 0 and _leftovers(tmp_path) == []


def test_derivation_never_cuts_the_frame_list(tmp_path):
    """A list of synthesized frames too long for the ST value is replaced by a pointer, never cut mid-way."""
    rng = np.random.default_rng(5)
    mask = rng.random(3000) < 0.5  # irregular: neither the list nor ranges fit in 1024 characters
    mask[0] = False
    path = write_dicom_cine(
        tmp_path / "long.dcm", np.zeros((3000, 2, 2), np.uint8), synthesized=mask, method="dis_flow", factor=1
    )
    ds = pydicom.dcmread(path)
    assert ds["DerivationDescription"].VR == "ST" and len(ds.DerivationDescription) <= 1024
    assert ds.DerivationDescription.startswith("monai-angio dis_flow x1 frame interpolation; ")
    assert f"synthesized frames: see Frame Label Vector ({int(mask.sum())} of 3000 frames)" in ds.DerivationDescription
    assert "..." not in ds.DerivationDescription
    assert list(ds.FrameLabelVector) == ["SYNTHESIZED" if m else "ACQUIRED" for m in mask]


def test_no_invented_patient_without_a_source_dicom(tmp_path, rng):
    frames = rng.integers(0, 256, (3, 6, 6)).astype(np.uint8)
    ds = pydicom.dcmread(write_dicom_cine(tmp_path / "a.dcm", frames, method="linear"))
    assert ds.PatientName == "" and ds.PatientID == "" and ds.StudyDate == "" and ds.StudyID == ""
    assert "ANONYMOUS" not in str(ds) and "MONAI-ANGIO-" not in str(ds)
    assert ds.StudyInstanceUID  # type 1: a new study UID, not an invented patient
    assert "no source DICOM: patient and study attributes are not set" in ds.DerivationDescription
    assert ds.DerivationDescription.startswith("monai-angio linear; all 3 frames derived")
    _, meta = read_dicom(tmp_path / "a.dcm")  # still a readable cine
    assert meta["patient_id"] in (None, "")
