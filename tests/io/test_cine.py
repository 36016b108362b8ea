# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.cine: read_cine, write_cine, dicom_reference, source_name and the bit-depth scaling."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pydicom
import pytest
import torch

from monai_angio.io import dicom_reference, load_sequence, read_cine, write_cine, write_dicom_cine, write_frames
from monai_angio.io.atomic import OutputExistsError
from monai_angio.io.cine import (
    CINE_FILE_SUFFIXES,
    FRAME_LABELS_CSV,
    check_cine_output,
    quantize_bit_depth,
    scale_bit_depth,
    source_name,
)
from monai_angio.io.image_folder import frame_file_names, list_image_files


@pytest.fixture
def cine12(rng) -> np.ndarray:
    """Five 12-bit frames (T, H, W) with values over the whole range."""
    frames = rng.integers(0, 4096, size=(5, 12, 17)).astype(np.uint16)
    frames[0, 0, 0], frames[0, 0, 1] = 0, 4095
    return frames


def _labels(folder) -> list[dict[str, str]]:
    with (folder / FRAME_LABELS_CSV).open(newline="") as f:
        return list(csv.DictReader(f))


def test_read_cine_scales_by_the_stored_bit_depth(tmp_path, cine12):
    dcm = write_dicom_cine(tmp_path / "cine.dcm", cine12, bits_stored=12, frame_time_ms=66.7)
    frames, meta = read_cine(dcm)
    assert frames.shape == (5, 1, 12, 17) and frames.dtype == torch.float32
    assert meta["bits_stored"] == 12 and meta["format"] == "dicom" and meta["number_of_frames"] == 5
    np.testing.assert_array_equal(frames[:, 0].numpy(), (cine12.astype(np.float32) / np.float32(4095)))
    assert float(frames.min()) == 0.0 and float(frames.max()) == 1.0
    # an 8-bit frame folder: divided by 255
    data8 = (cine12 >> 4).astype(np.uint8)
    write_frames(tmp_path / "png", data8, 8)
    frames8, meta8 = read_cine(tmp_path / "png")
    assert meta8["bits_stored"] == 8 and meta8["format"] == "image_folder"
    np.testing.assert_allclose(frames8[:, 0].numpy(), data8 / 255.0, atol=1e-7)


def test_read_cine_colour_becomes_luminance(tmp_path, rng):
    rgb = rng.integers(0, 256, size=(2, 6, 7, 3)).astype(np.uint8)
    write_frames(tmp_path / "rgb", rgb, 8)
    frames, _ = read_cine(tmp_path / "rgb")
    assert frames.shape == (2, 1, 6, 7)
    luma = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    assert np.abs(frames[:, 0].numpy() * 255 - luma).max() <= 0.5 + 1e-4


def test_read_cine_from_a_list_of_frame_files(tmp_path, cine12):
    paths = write_frames(tmp_path / "frames", cine12, 12)
    pair, meta = read_cine([paths[0], paths[3]], min_frames=2)
    assert pair.shape == (2, 1, 12, 17) and meta["bits_stored"] == 16  # a 16-bit PNG stores 16 bits
    np.testing.assert_allclose(pair[1, 0].numpy(), cine12[3] / 65535.0, atol=1e-7)
    assert meta["number_of_frames"] == 2 and meta["frame_time_ms"] is None and meta["frame_times_ms"] is None
    assert meta["filename"] == str(paths[0])
    one, _ = read_cine([paths[2]])
    assert one.shape == (1, 1, 12, 17)


def test_read_cine_errors_name_the_input(tmp_path, cine12):
    paths = write_frames(tmp_path / "frames", cine12[:1], 12)
    with pytest.raises(ValueError, match=r"0000\.png: at least 2 frames are needed, the input holds 1"):
        read_cine(paths[0], min_frames=2)
    with pytest.raises(ValueError, match=r"0000\.png \(and 1 more files\): at least 3 frames"):
        read_cine([paths[0], paths[0]], min_frames=3)
    other = write_frames(tmp_path / "other", np.zeros((1, 8, 8), np.uint8), 8)
    with pytest.raises(ValueError, match=r"other/0000\.png: frames of \(8, 8\) at 8 bits differ"):
        read_cine([paths[0], other[0]])
    with pytest.raises(ValueError, match="empty"):
        read_cine([])
    with pytest.raises(ValueError, match="min_frames"):
        read_cine(paths[0], min_frames=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises((ValueError, FileNotFoundError), match="empty"):
        read_cine(tmp_path / "empty")


def test_write_cine_png_folder_keeps_bit_depth_and_labels(tmp_path, cine12):
    frames = torch.from_numpy(cine12.astype(np.float32) / 4095).unsqueeze(1)
    mask = torch.tensor([False, True, True, False, False])
    out = write_cine(tmp_path / "out", frames, 12, synthesized=mask, frame_time_ms=33.3)
    assert out == tmp_path / "out"
    written, meta = load_sequence(out)
    assert written.dtype == np.uint16 and meta["bits_stored"] == 16  # 12 bits stored in 16-bit PNGs, unscaled
    np.testing.assert_array_equal(written, cine12)  # the same stored values back
    rows = _labels(out)
    assert [r["file"] for r in rows] == [f"{i:04d}.png" for i in range(5)]
    assert [r["kind"] for r in rows] == ["acquired", "synthesized", "synthesized", "acquired", "acquired"]
    assert [r["time_ms"] for r in rows] == ["0.000", "33.300", "66.600", "99.900", "133.200"]
    assert [r["frame"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert not list(out.glob(".*"))  # no temporary file left
    # no mask, no frame time: every frame acquired, times empty; 8 bits: 8-bit PNGs
    plain = write_cine(tmp_path / "plain", frames, 8)
    assert load_sequence(plain)[0].dtype == np.uint8
    assert {r["kind"] for r in _labels(plain)} == {"acquired"} and {r["time_ms"] for r in _labels(plain)} == {""}


def test_write_cine_dicom_carries_labels_and_reference(tmp_path, cine12):
    source = write_dicom_cine(tmp_path / "src.dcm", cine12, bits_stored=12, frame_time_ms=100.0)
    frames, meta = read_cine(source)
    mask = torch.tensor([i % 2 == 1 for i in range(5)])
    out = write_cine(
        tmp_path / "out.dcm",
        frames,
        12,
        synthesized=mask,
        method="linear",
        factor=1,
        frame_time_ms=50.0,
        reference=dicom_reference(source, meta),
    )
    ds, src = pydicom.dcmread(out), pydicom.dcmread(source)
    assert list(ds.FrameLabelVector) == ["SYNTHESIZED" if s else "ACQUIRED" for s in mask.tolist()]
    assert "linear" in ds.DerivationDescription and "synthesized frames: 2,4" in ds.DerivationDescription
    assert int(ds.BitsStored) == 12 and float(ds.FrameTime) == pytest.approx(50.0)
    assert ds.StudyInstanceUID == src.StudyInstanceUID and ds.SeriesInstanceUID != src.SeriesInstanceUID
    np.testing.assert_array_equal(ds.pixel_array, cine12)  # read_cine -> write_cine is lossless at 12 bits
    # no mask: no Frame Label Vector, every frame derived
    derived = pydicom.dcmread(write_cine(tmp_path / "d.DCM", frames, 12, method="rdn-deblur"))
    assert "FrameLabelVector" not in derived and "all 5 frames derived" in derived.DerivationDescription


def test_write_cine_errors_name_the_output(tmp_path):
    with pytest.raises(ValueError, match=r"out\.dcm: frames must be a \(T, 1, H, W\) tensor"):
        write_cine(tmp_path / "out.dcm", torch.rand(3, 8, 8), 8)
    with pytest.raises(ValueError, match=r"out: the frames contain NaN"):
        write_cine(tmp_path / "out", torch.full((2, 1, 4, 4), float("nan")), 8)
    with pytest.raises(ValueError, match=r"out: the synthesized mask has 3 entries for 2 frames"):
        write_cine(tmp_path / "out", torch.rand(2, 1, 4, 4), 8, synthesized=torch.tensor([True, False, True]))
    with pytest.raises(ValueError, match="bits"):
        write_cine(tmp_path / "out", torch.rand(2, 1, 4, 4), 17)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.dcm").exists()


def test_dicom_reference(tmp_path, cine12, write_dicom):
    dcm = write_dicom_cine(tmp_path / "c.dcm", cine12, bits_stored=12)
    assert dicom_reference(dcm, read_cine(dcm)[1]) == str(dcm)
    assert dicom_reference(None, read_cine(dcm)[1]) == str(dcm)  # from the meta's filename
    series = tmp_path / "series"
    for i in range(3):
        write_dicom(f"{i}.dcm", cine12[i], folder=series, series_uid="1.2.3.9", instance_number=i + 1)
    _, meta = read_cine(series)
    assert meta["format"] == "dicom_series"
    assert dicom_reference(series, meta) == str(series / "0.dcm")  # the series' first file
    paths = write_frames(tmp_path / "png", cine12[:2], 12)
    assert dicom_reference(tmp_path / "png", read_cine(tmp_path / "png")[1]) is None
    assert dicom_reference(paths, {"format": "dicom"}) is None  # a list of files has no one reference


def test_source_name(tmp_path):
    (tmp_path / "run.2024").mkdir()
    assert source_name(tmp_path / "cine.dcm") == "cine"
    assert source_name(str(tmp_path / "frames")) == "frames"
    assert source_name(tmp_path / "run.2024") == "run.2024"  # a folder keeps its whole name
    assert source_name([tmp_path / "0003.png", tmp_path / "0004.png"]) == "0003"
    assert source_name(json.dumps([str(tmp_path / "a.png")])) == "a"
    assert source_name(None) == source_name("") == source_name([]) == "cine"


def test_scale_and_quantize_are_inverse():
    stored = np.arange(4096, dtype=np.uint16)
    assert np.array_equal(quantize_bit_depth(scale_bit_depth(stored, 12), 12), stored)
    assert quantize_bit_depth(torch.tensor([-0.1, 0.5, 1.2]), 8).tolist() == [0, 128, 255]
    assert quantize_bit_depth(np.array([0.5]), 8).dtype == np.uint8
    assert quantize_bit_depth(np.array([0.5]), 9).dtype == np.uint16
    with pytest.raises(ValueError, match="NaN"):
        quantize_bit_depth(np.array([np.nan]), 8)
    with pytest.raises(ValueError, match="bits"):
        quantize_bit_depth(np.array([0.5]), 17)
    with pytest.raises(ValueError, match="bits"):
        scale_bit_depth(stored, 0)


# ------------------------------------------------------------------------------------ outputs that never destroy
def _pngs(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".png")


def _partials(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name)


def test_write_cine_refuses_an_existing_output_without_overwrite(tmp_path):
    frames = torch.rand(3, 1, 4, 4)
    for output in (tmp_path / "out", tmp_path / "out.dcm"):
        write_cine(output, frames, 8)
        before = sorted(p.name for p in tmp_path.rglob("*"))
        with pytest.raises(OutputExistsError, match=r"out(\.dcm)? already exists: pass --overwrite to replace it"):
            write_cine(output, torch.rand(2, 1, 4, 4), 8)
        assert sorted(p.name for p in tmp_path.rglob("*")) == before  # untouched, no temporary left
        assert write_cine(output, torch.rand(2, 1, 4, 4), 8, overwrite=True) == output
        assert read_cine(output)[0].shape[0] == 2
    assert _partials(tmp_path) == [] and check_cine_output(tmp_path / "new") == "folder"
    with pytest.raises(OutputExistsError):
        check_cine_output(tmp_path / "out.dcm")
    assert check_cine_output(tmp_path / "out.dcm", overwrite=True) == "dicom"


def test_rerun_into_a_folder_keeps_no_stale_frames(tmp_path):
    out = write_cine(tmp_path / "out", torch.rand(17, 1, 4, 4), 8, synthesized=[i % 2 == 1 for i in range(17)])
    assert len(_pngs(out)) == 17
    write_cine(out, torch.full((9, 1, 4, 4), 0.5), 8, overwrite=True)
    assert _pngs(out) == [f"{i:04d}.png" for i in range(9)]
    assert sorted(p.name for p in out.iterdir()) == [f"{i:04d}.png" for i in range(9)] + [FRAME_LABELS_CSV]
    assert [r["file"] for r in _labels(out)] == _pngs(out) and {r["kind"] for r in _labels(out)} == {"acquired"}
    frames, _ = read_cine(out)
    assert frames.shape == (9, 1, 4, 4) and torch.all(frames == 128 / 255)
    assert _partials(tmp_path) == []


def test_overwrite_replaces_only_a_cine_folder(tmp_path):
    """--overwrite replaces a folder written by write_cine, never a folder of other files (an input, a home)."""
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match=r"notes: the folder holds other files than cine frames \(notes\.txt\)"):
        write_cine(mine, torch.rand(2, 1, 4, 4), 8, overwrite=True)
    source = tmp_path / "source"
    write_frames(source, np.zeros((3, 4, 4), np.uint8), 8)  # frames but no frame_labels.csv: someone's input
    with pytest.raises(ValueError, match=r"source: .*no frame_labels\.csv"):
        write_cine(source, torch.rand(2, 1, 4, 4), 8, overwrite=True)
    assert (mine / "notes.txt").read_text() == "keep me" and len(_pngs(source)) == 3


def test_failed_write_keeps_the_old_folder_and_leaves_no_partial(tmp_path, monkeypatch):
    out = write_cine(tmp_path / "out", torch.zeros(4, 1, 4, 4), 8)
    real, calls = cv2.imwrite, []

    def fail_third(name, img, *args):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(name, img, *args)

    monkeypatch.setattr(cv2, "imwrite", fail_third)
    with pytest.raises(OSError, match="disk full"):
        write_cine(out, torch.ones(6, 1, 4, 4), 8, overwrite=True)
    assert len(_pngs(out)) == 4 and float(read_cine(out)[0].max()) == 0.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no hidden temporary after a normal failure


def test_frame_names_agree_with_the_labels_beyond_10000_frames(tmp_path):
    n = 10_001
    values = torch.arange(n, dtype=torch.float32) / 65535  # frame i stores the value i at 16 bits
    frames = values[:, None, None, None].expand(n, 1, 2, 2).contiguous()
    out = write_cine(tmp_path / "long", frames, 16)
    names = _pngs(out)
    assert len(names) == n and {len(name) for name in names} == {len("00000.png")}  # one width for the whole cine
    rows = _labels(out)
    assert [r["file"] for r in rows] == names and rows[-1] == {
        "frame": "10000",
        "file": "10000.png",
        "kind": "acquired",
        "time_ms": "",
    }
    assert [p.name for p in list_image_files(out)] == names  # the reader's order is the frame order
    for i in (0, 9_999, 10_000):  # frame i stores the value i
        assert int(cv2.imread(str(out / names[i]), cv2.IMREAD_UNCHANGED)[0, 0]) == i
    # 10,000 frames still take four digits
    assert frame_file_names(10_000)[-1] == "9999.png" and frame_file_names(10_001)[0] == "00000.png"


@pytest.mark.parametrize(
    "name, kind",
    [
        ("out.png", "single image"),
        ("out.jpg", "single image"),
        ("out.tif", "single image"),
        ("out.TIFF", "single image"),
        ("out.mp4", "video"),
        ("out.avi", "video"),
        ("out.nii.gz", "NIfTI"),
    ],
)
def test_single_file_suffixes_are_refused(tmp_path, name, kind):
    with pytest.raises(ValueError, match=rf"write a \.dcm file or a folder; '{re.escape(name)}' looks like a {kind}"):
        write_cine(tmp_path / name, torch.rand(2, 1, 4, 4), 8)
    with pytest.raises(ValueError, match="looks like"):
        check_cine_output(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_cine_output_suffix_rule(tmp_path):
    assert CINE_FILE_SUFFIXES == (".dcm", ".dicom", ".dic")
    assert check_cine_output(tmp_path / "a.DCM") == check_cine_output(tmp_path / "a.dic") == "dicom"
    out = write_cine(tmp_path / "run.2024", torch.rand(2, 1, 4, 4), 8)  # a dotted folder name stays a folder
    assert out.is_dir() and len(_pngs(out)) == 2
    assert pydicom.dcmread(write_cine(tmp_path / "c.dic", torch.rand(2, 1, 4, 4), 8)).NumberOfFrames == 2


def test_write_cine_output_kind_and_parent_errors(tmp_path):
    (tmp_path / "dir.dcm").mkdir()
    (tmp_path / "dir.dcm" / "x").write_text("x")
    with pytest.raises(ValueError, match=r"dir\.dcm is an existing folder, but a file is to be written"):
        write_cine(tmp_path / "dir.dcm", torch.rand(2, 1, 4, 4), 8, overwrite=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"file is an existing file, but a folder is to be written"):
        write_cine(tmp_path / "file", torch.rand(2, 1, 4, 4), 8, overwrite=True)
    with pytest.raises(ValueError, match=r"cannot write .*out\.dcm: .*file is not a folder"):
        write_cine(tmp_path / "file" / "out.dcm", torch.rand(2, 1, 4, 4), 8)
    # missing parent folders are still created
    assert write_cine(tmp_path / "a" / "b" / "out.dcm", torch.rand(2, 1, 4, 4), 8).is_file()
    assert write_cine(tmp_path / "c" / "d" / "frames", torch.rand(2, 1, 4, 4), 8).is_dir()


def test_read_cine_names_a_missing_or_empty_input(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"{re.escape(str(tmp_path / 'nothing.dcm'))}: no such file"):
        read_cine(tmp_path / "nothing.dcm")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=rf"{re.escape(str(tmp_path / 'empty'))}: the folder holds no"):
        read_cine(tmp_path / "empty")


def test_read_cine_refuses_float_images_naming_the_file(tmp_path):
    import tifffile

    data = np.random.default_rng(0).random((3, 4, 4)).astype(np.float32)
    tifffile.imwrite(tmp_path / "float.tif", data, photometric="minisblack")
    with pytest.raises(ValueError, match=r"float\.tif: float32 images are not supported .*convert"):
        read_cine(tmp_path / "float.tif")
    tifffile.imwrite(tmp_path / "wide.tif", np.zeros((3, 4, 4), np.uint32), photometric="minisblack")
    with pytest.raises(ValueError, match=r"wide\.tif: 32-bit images are not supported .*at most 16"):
        read_cine(tmp_path / "wide.tif")


def test_read_cine_random_bytes_named_dcm(tmp_path):
    path = tmp_path / "noise.dcm"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 2000, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match=r"noise\.dcm: not a DICOM file \(no DICOM preamble"):
        read_cine(path)


_KILLED_WRITER = """
import sys, time
import cv2, torch
from monai_angio.io import write_cine

real = cv2.imwrite
def slow(*args, **kwargs):  # a slow disk: the write takes seconds
    time.sleep(0.002)
    return real(*args, **kwargs)
cv2.imwrite = slow
frames = torch.full((1500, 1, 8, 8), 0.8)
print("writing", flush=True)
write_cine(sys.argv[1], frames, 8, overwrite=True)
print("done", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_overwrite_leaves_the_old_or_the_new_output_never_a_mix(tmp_path):
    out = write_cine(tmp_path / "out", torch.full((17, 1, 8, 8), 0.2), 8)
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "writing", proc.stderr.read()
        time.sleep(0.5)
        assert proc.poll() is None  # killed mid-write
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    frames, _ = read_cine(out)
    rows = _labels(out)
    assert [r["file"] for r in rows] == _pngs(out)
    old = frames.shape[0] == 17 and torch.all(frames == 51 / 255)
    new = frames.shape[0] == 1500 and torch.all(frames == 204 / 255)
    assert old or new
    assert old  # the kill came long before the end
    assert all(p.name.startswith(".out.partial-") for p in tmp_path.iterdir() if p.name != "out")
