# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Video files (MP4, AVI, MOV, MKV, ...) through imageio-ffmpeg."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monai_angio.io._common import frame_times_from_interval, new_meta, to_luminance

__all__ = ["VIDEO_EXTENSIONS", "read_video"]

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".webm", ".gif")


def read_video(path: str | os.PathLike, *, luminance: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode a video file to frames.

    Args:
        path: the video file.
        luminance: return BT.601 luminance ``(T, H, W)`` instead of RGB ``(T, H, W, 3)``.

    Returns:
        ``(frames, meta)``: uint8 frames and ``format="video"``, ``frame_time_ms`` from the container frame rate,
        ``bits_stored`` 8, ``meta["codec"]``.

    Raises:
        ValueError: naming the file when it cannot be decoded or holds no frame.
    """
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    frames: list[np.ndarray] = []
    try:
        reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
        info = next(reader)
        width, height = (int(v) for v in info["size"])
        for raw in reader:
            frame = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
            frames.append(to_luminance(frame) if luminance else frame.copy())
        reader.close()
    except (RuntimeError, OSError, StopIteration, KeyError, ValueError) as e:
        raise ValueError(f"{path}: cannot decode video ({type(e).__name__}: {e}).") from e
    if not frames:
        raise ValueError(f"{path}: the video holds no frame.")
    out = np.stack(frames)
    fps = info.get("fps")
    interval = 1000.0 / float(fps) if isinstance(fps, (int, float)) and fps > 0 else None
    meta = new_meta(path, "video")
    meta.update(
        number_of_frames=int(out.shape[0]),
        bits_stored=8,
        photometric_interpretation="MONOCHROME2" if luminance else "RGB",
        frame_time_ms=interval,
        frame_times_ms=frame_times_from_interval(out.shape[0], interval),
        fps=float(fps) if interval else None,
        codec=info.get("codec"),
    )
    return out, meta
