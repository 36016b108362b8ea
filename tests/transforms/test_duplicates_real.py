# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Duplicate-frame detection on real DSA frames re-recorded as a 25 fps H.264 video (skipped without the data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from monai_angio.transforms import find_duplicate_frames

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"


def _real_frames(first: int, count: int) -> np.ndarray:
    files = sorted(DATA.glob("*.png"))[first : first + count]
    if len(files) < count:
        pytest.skip(f"real DSA frames not found in {DATA}")
    return np.stack([np.asarray(Image.open(f))[300:556, 300:556] for f in files])


@pytest.mark.parametrize("first", [5, 45])
def test_duplicates_of_real_cine_in_h264_recording(tmp_path, first):
    iio = pytest.importorskip("imageio.v3")
    frames = _real_frames(first, 10)
    assert find_duplicate_frames(frames) == []  # the original cine has no repeats at the default threshold
    repeats = np.random.default_rng(first).integers(2, 4, size=len(frames))
    source = np.repeat(np.arange(len(frames)), repeats)
    video = np.repeat(frames[source][..., None], 3, axis=-1)
    path = tmp_path / "recording.mp4"
    iio.imwrite(path, video, fps=25, codec="libx264", macro_block_size=16, output_params=["-crf", "18"])
    recorded = iio.imread(path)[..., 0]
    assert recorded.shape[0] == len(source)
    expected = [t for t in range(1, len(source)) if source[t] == source[t - 1]]
    assert find_duplicate_frames(recorded) == expected
