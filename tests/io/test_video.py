# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.video.read_video (MP4/AVI through imageio-ffmpeg)."""

from __future__ import annotations

import numpy as np
import pytest

from monai_angio.io import read_video

iio = pytest.importorskip("imageio.v2")


def _frames(n: int = 6) -> np.ndarray:
    yy, xx = np.mgrid[0:48, 0:64]
    return np.stack(
        [np.stack([(xx * 4 + i * 10) % 256, (yy * 5) % 256, np.full_like(xx, 90 + 10 * i)], -1) for i in range(n)]
    ).astype(np.uint8)


@pytest.mark.parametrize("suffix, fps, kwargs", [(".mp4", 12.5, {}), (".avi", 10.0, {"codec": "mjpeg", "quality": 9})])
def test_video_round_trip(tmp_path, suffix, fps, kwargs):
    frames = _frames()
    path = tmp_path / f"clip{suffix}"
    iio.mimwrite(path, frames, fps=fps, macro_block_size=16, **kwargs)
    read, meta = read_video(path)
    assert read.shape == frames.shape and read.dtype == np.uint8
    assert np.abs(read.astype(float) - frames).mean() < 6  # lossy codecs: approximately equal
    assert meta["format"] == "video" and meta["bits_stored"] == 8
    assert meta["frame_time_ms"] == pytest.approx(1000 / fps)
    assert meta["frame_times_ms"] == pytest.approx([i * 1000 / fps for i in range(len(frames))])
    lum, meta = read_video(path, luminance=True)
    assert lum.shape == frames.shape[:3]
    expected = frames.astype(float) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(lum - expected).mean() < 6
    assert meta["photometric_interpretation"] == "MONOCHROME2"


def test_bad_video(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match=r"broken\.mp4"):
        read_video(path)
