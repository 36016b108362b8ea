# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Turn cines (DICOM, video, frame folders) into the MoSt-DSA dataset layout."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

__all__ = ["prepare_interpolation_dataset"]


def prepare_interpolation_dataset(
    inputs: Sequence[str | os.PathLike],
    root: str | os.PathLike,
    num_targets: int = 1,
    gap: int = 1,
    stride: int | None = None,
    test_fraction: float = 0.3,
    rectangles: Sequence[Sequence[int]] | None = None,
    duplicate_threshold: float | None = 0.003,
    progress: bool = True,
) -> dict[str, Any]:
    """Write every cine of ``inputs`` as MoSt-DSA sequences ``root/Data_part_k/Sequence_j/frame_*.png``.

    Each cine becomes ``Data_part_k`` (k = 1, 2, ... in input order). Its first ``1 - test_fraction`` of frames give
    training tuples, the rest test tuples (a temporal hold-out: no frame is shared between the two). A tuple is
    ``N + 2`` frames ``gap`` apart: ``frame_1.png`` and ``frame_{N+2}.png`` are the inputs, ``frame_{k}_gt.png`` the
    ground truth in between. Duplicate frames (screen recordings repeat frames) are removed first and burned-in text
    is masked with the median grey.

    Args:
        inputs: cine files or folders (anything :func:`monai_angio.io.load_sequence` reads).
        root: dataset root (created).
        num_targets: N, frames to interpolate per tuple (1, 2 or 3).
        gap: frame step between the tuple's frames (after duplicate removal).
        stride: start-to-start step between tuples; default ``gap * (N + 1)`` (consecutive tuples share an end frame).
        test_fraction: fraction of each cine (its end) kept for ``TestList.txt``.
        rectangles: ``(x, y, width, height)`` regions to mask in every frame, e.g. patient name overlays.
        duplicate_threshold: relative mean absolute difference under which a frame repeats the previous one; None
            keeps all frames.
        progress: show a progress bar.

    Returns:
        ``{"train": [...], "test": [...], "removed_duplicates": {input: count}}`` with the sequence names written.
    """
    from monai_angio.io import load_sequence, write_most_dsa_lists, write_most_dsa_sequence
    from monai_angio.transforms import find_duplicate_frames, mask_rectangles

    if num_targets not in (1, 2, 3):
        raise ValueError(f"num_targets must be 1, 2 or 3 (the MoSt-DSA protocols), got {num_targets!r}.")
    if gap < 1:
        raise ValueError(f"gap must be >= 1, got {gap}.")
    span = gap * (num_targets + 1)
    stride = span if stride is None else stride
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}.")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}.")
    if not inputs:
        raise ValueError("no input cines given.")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    lists: dict[str, list[str]] = {"train": [], "test": []}
    removed: dict[str, int] = {}
    for k, path in enumerate(tqdm(inputs, desc="cines", disable=not progress), start=1):
        frames, meta = load_sequence(path, luminance=True)
        if duplicate_threshold is not None:
            dup = set(find_duplicate_frames(frames, duplicate_threshold))
            frames = frames[[i for i in range(frames.shape[0]) if i not in dup]]
            removed[str(path)] = len(dup)
        if rectangles:
            frames = mask_rectangles(frames, rectangles, value="median", source=str(path))
        n = frames.shape[0]
        split = int(round((1.0 - test_fraction) * n))
        ranges = {"train": (0, split), "test": (split, n)}
        made = 0
        for part, (lo, hi) in ranges.items():
            for start in range(lo, hi - span, stride):
                name = f"Data_part_{k}/Sequence_{made + 1}"
                idx = [start + gap * i for i in range(num_targets + 2)]
                write_most_dsa_sequence(
                    root, name, frames[idx[0]], frames[idx[1:-1]], frames[idx[-1]], meta["bits_stored"]
                )
                lists[part].append(name)
                made += 1
        if made == 0:
            raise ValueError(f"{path}: {n} frames are too few for tuples of {num_targets + 2} frames {gap} apart.")
    write_most_dsa_lists(root, lists["train"], lists["test"])
    return {**lists, "removed_duplicates": removed}
