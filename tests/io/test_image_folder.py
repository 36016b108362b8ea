# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.image_folder: frame folders and the PNG frame writer."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from monai_angio.io import read_image_folder, write_frames, write_png


@pytest.mark.parametrize("bits, dtype", [(8, np.uint8), (12, np.uint16), (16, np.uint16)])
def test_png_round_trip(tmp_path, rng, bits, dtype):
    frames = rng.integers(0, 2**bits, (3, 9, 11)).astype(dtype)
    paths = write_frames(tmp_path / "f", frames, bits)
    assert [p.name for p in paths] == ["0000.png", "0001.png", "0002.png"]
    read, meta = read_image_folder(tmp_path / "f")
    assert read.dtype == dtype
    np.testing.assert_array_equal(read, frames)
    assert meta["format"] == "image_folder" and meta["number_of_frames"] == 3
    assert meta["bits_stored"] == (8 if bits == 8 else 16)
    assert meta["frame_times_ms"] is None and meta["photometric_interpretation"] == "MONOCHROME2"
    # the PNG files really have the bit depth
    assert cv2.imread(str(paths[0]), cv2.IMREAD_UNCHANGED).dtype == dtype


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tiff_folder_round_trip(tmp_path, rng, dtype):
    frames = rng.integers(0, np.iinfo(dtype).max, (4, 5, 6)).astype(dtype)
    for i, f in enumerate(frames):
        tifffile.imwrite(tmp_path / f"slice_{i}.tif", f)
    read, _ = read_image_folder(tmp_path)
    np.testing.assert_array_equal(read, frames)


def test_natural_sort(tmp_path):
    for k in (10, 2, 1, 33, 3):
        cv2.imwrite(str(tmp_path / f"{k}.png"), np.full((2, 2), k, np.uint8))
    read, meta = read_image_folder(tmp_path)
    assert read[:, 0, 0].tolist() == [1, 2, 3, 10, 33]
    assert [p.rsplit("/", 1)[-1] for p in meta["files"]] == ["1.png", "2.png", "3.png", "10.png", "33.png"]


def test_colour_frames_and_luminance(tmp_path, rng):
    rgb = rng.integers(0, 256, (2, 4, 5, 3)).astype(np.uint8)
    write_frames(tmp_path, rgb, 8)
    read, meta = read_image_folder(tmp_path)
    np.testing.assert_array_equal(read, rgb)  # RGB order kept (no BGR swap)
    assert meta["photometric_interpretation"] == "RGB"
    lum, meta = read_image_folder(tmp_path, luminance=True)
    expected = np.rint(rgb @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    assert lum.shape == (2, 4, 5) and np.abs(lum.astype(int) - expected).max() <= 1
    assert meta["photometric_interpretation"] == "MONOCHROME2"


def test_grey_stored_as_rgb_is_grey(tmp_path, rng):
    grey = rng.integers(0, 256, (2, 4, 5)).astype(np.uint8)
    write_frames(tmp_path, np.repeat(grey[..., None], 3, axis=-1), 8)
    read, _ = read_image_folder(tmp_path)
    np.testing.assert_array_equal(read, grey)


def test_jpeg_frames(tmp_path):
    img = np.tile(np.linspace(0, 255, 16, dtype=np.uint8), (16, 1))
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"f{i}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    read, _ = read_image_folder(tmp_path)
    assert read.shape == (2, 16, 16) and np.abs(read[0].astype(int) - img).mean() < 3


def test_real_dsa_folder(shared_data):
    folder = shared_data / "dsa" / "cerebral_lateral_2d"
    if not folder.is_dir():
        pytest.skip("DSA sequence absent")
    read, meta = read_image_folder(folder)
    first = cv2.imread(str(folder / "001.png"), cv2.IMREAD_UNCHANGED)
    assert read.shape == (len(list(folder.glob("*.png"))), *first.shape[:2]) and read.dtype == np.uint8
    np.testing.assert_array_equal(read[0], first if first.ndim == 2 else first[..., 0])
    assert meta["files"][-1].endswith("074.png")


def test_different_sizes_fail(tmp_path):
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((4, 4), np.uint8))
    cv2.imwrite(str(tmp_path / "2.png"), np.zeros((4, 5), np.uint8))
    with pytest.raises(ValueError, match=r"2\.png.*size"):
        read_image_folder(tmp_path)


def test_empty_folder_fails(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="no image files"):
        read_image_folder(tmp_path)


def test_corrupt_image_fails(tmp_path):
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((4, 4), np.uint8))
    (tmp_path / "2.png").write_bytes(b"\x89PNG\r\n\x1a\ngarbage")
    with pytest.raises(ValueError, match=r"2\.png"):
        read_image_folder(tmp_path)


def test_multipage_tiff_in_frame_folder_fails(tmp_path):
    tifffile.imwrite(tmp_path / "0.tif", np.zeros((2, 3, 3), np.uint8), photometric="minisblack")
    with pytest.raises(ValueError, match=r"0\.tif.*multi-page"):
        read_image_folder(tmp_path)


def test_nan_float_tiff_fails(tmp_path):
    data = np.zeros((3, 3), np.float32)
    data[1, 1] = np.nan
    tifffile.imwrite(tmp_path / "0.tif", data)
    with pytest.raises(ValueError, match=r"0\.tif.*NaN"):
        read_image_folder(tmp_path)


@pytest.mark.parametrize(
    "frames, bits, match",
    [
        (np.zeros((4, 4), np.uint8), 8, "shape"),
        (np.full((2, 4, 4), 256, np.uint16), 8, "range"),
        (np.full((2, 4, 4), np.nan, np.float32), 16, "NaN"),
        (np.zeros((2, 4, 4), np.uint8), 17, "bits_stored"),
    ],
)
def test_write_frames_bad_input_writes_nothing(tmp_path, frames, bits, match):
    with pytest.raises(ValueError, match=match):
        write_frames(tmp_path / "out", frames, bits)
    assert not (tmp_path / "out").exists()


def test_write_frames_failure_leaves_no_temporary(tmp_path, monkeypatch):
    real_imwrite = cv2.imwrite
    calls = []

    def fail_second(name, img, *args):
        calls.append(name)
        if len(calls) == 2:
            with open(name, "wb") as f:  # a half-written file under the temporary name
                f.write(b"half")
            raise OSError("disk full")
        return real_imwrite(name, img, *args)

    monkeypatch.setattr(cv2, "imwrite", fail_second)
    with pytest.raises(OSError, match="disk full"):
        write_frames(tmp_path, np.zeros((3, 4, 4), np.uint8), 8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0000.png"]


def test_write_png_float_rounding(tmp_path):
    path = write_png(tmp_path / "x.png", np.array([[0.4, 1000.6]]), 12)
    np.testing.assert_array_equal(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), [[0, 1001]])


def test_mixed_bit_depths_are_refused_naming_two_files(tmp_path):
    """8-bit and 16-bit frames in one folder: the 8-bit ones would be read as 16-bit values, far too dark."""
    cv2.imwrite(str(tmp_path / "0.png"), np.full((4, 4), 200, np.uint8))
    cv2.imwrite(str(tmp_path / "1.png"), np.full((4, 4), 200, np.uint8))
    cv2.imwrite(str(tmp_path / "2.png"), np.full((4, 4), 60000, np.uint16))
    with pytest.raises(ValueError, match=r"0\.png is 8-bit \(uint8\) but 2\.png is 16-bit \(uint16\).*convert"):
        read_image_folder(tmp_path)
    tifffile.imwrite(tmp_path / "1.png".replace("png", "tif"), np.zeros((4, 4), np.float32))
    (tmp_path / "2.png").unlink()
    with pytest.raises(ValueError, match=r"0\.png is 8-bit \(uint8\) but 1\.tif is 32-bit \(float32\)"):
        read_image_folder(tmp_path)
