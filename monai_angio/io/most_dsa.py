# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The MoSt-DSA dataset layout.

::

    root/TrainList.txt, root/TestList.txt      one sequence folder per line, relative to root
    root/Data_part_k/Sequence_j/frame_1.png    first input frame
                                frame_2_gt.png ... frame_{N+1}_gt.png   the N ground-truth intermediate frames
                                frame_{N+2}.png                          last input frame

Intermediate ``k`` (1-based) lies at time ``k / (N + 1)`` between the two input frames.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from monai_angio.io._common import check_integer_frames, to_luminance, to_numpy
from monai_angio.io.atomic import atomic_output
from monai_angio.io.image_folder import read_image, write_png

__all__ = [
    "LIST_FILES",
    "read_most_dsa_list",
    "read_most_dsa_sequence",
    "load_most_dsa_item",
    "write_most_dsa_sequence",
    "write_most_dsa_lists",
]

LIST_FILES = {"train": "TrainList.txt", "test": "TestList.txt"}
_FRAME_RE = re.compile(r"^frame_(\d+)(_gt)?\.png$", re.IGNORECASE)


def _check_name(name: str | os.PathLike, context: str) -> str:
    """Normalise a sequence name to a relative POSIX path inside the root."""
    text = str(name).strip().replace("\\", "/")
    parts = PurePosixPath(text).parts
    if not text or text.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
        raise ValueError(f"{context}: sequence name '{name}' must be a relative path inside the dataset root.")
    if any(c in text for c in "\n\r"):
        raise ValueError(f"{context}: sequence name '{name}' must not contain line breaks.")
    return str(PurePosixPath(*parts))


def read_most_dsa_sequence(folder: str | os.PathLike) -> dict[str, Any]:
    """Frame files of one MoSt-DSA sequence folder.

    Returns:
        ``{"frame0": str, "frame1": str, "target": [str] * N, "time": [k / (N + 1) for k = 1..N]}``.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: naming the folder when frame numbers are missing or misplaced (the first and last must be
            input frames, every other one ``_gt``), or there is no intermediate frame.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: sequence folder not found.")
    frames: dict[int, tuple[Path, bool]] = {}
    for p in folder.iterdir():
        m = _FRAME_RE.match(p.name)
        if not m or not p.is_file():
            continue
        index = int(m.group(1))
        if index in frames:
            raise ValueError(f"{folder}: frame number {index} appears twice ({frames[index][0].name}, {p.name}).")
        frames[index] = (p, m.group(2) is not None)
    if not frames:
        raise ValueError(f"{folder}: no frame_<k>.png files in the sequence folder.")
    last = max(frames)
    missing = [k for k in range(1, last + 1) if k not in frames]
    if missing:
        raise ValueError(f"{folder}: frame numbers {missing} missing (frames run from 1 to {last}).")
    if last < 3:
        raise ValueError(f"{folder}: a sequence needs two input frames and at least one _gt frame, found {last} files.")
    wrong = [frames[k][0].name for k in (1, last) if frames[k][1]]
    wrong += [frames[k][0].name for k in range(2, last) if not frames[k][1]]
    if wrong:
        raise ValueError(
            f"{folder}: frame_1.png and frame_{last}.png must be inputs and frames 2..{last - 1} must have the "
            f"_gt suffix; offending files: {wrong}."
        )
    n = last - 2
    return {
        "frame0": str(frames[1][0]),
        "frame1": str(frames[last][0]),
        "target": [str(frames[k][0]) for k in range(2, last)],
        "time": [k / (n + 1) for k in range(1, n + 1)],
    }


def read_most_dsa_list(root: str | os.PathLike, split: str = "train") -> list[dict[str, Any]]:
    """Read the train or test list of a MoSt-DSA dataset.

    Args:
        root: dataset root holding ``TrainList.txt`` and ``TestList.txt``.
        split: ``"train"`` or ``"test"``.

    Returns:
        One dict per listed sequence: ``{"frame0": path, "frame1": path, "target": [paths], "time": [k/(N+1)],
        "sequence": "Data_part_1/Sequence_3"}`` (paths as str; blank lines and ``#`` comments are skipped).

    Raises:
        ValueError: for an unknown split, an unsafe name or a malformed sequence folder.
        FileNotFoundError: for a missing list file or sequence folder (naming the list file and line).
    """
    if split not in LIST_FILES:
        raise ValueError(f"read_most_dsa_list: split must be one of {sorted(LIST_FILES)}, got '{split}'.")
    root = Path(root)
    list_file = root / LIST_FILES[split]
    if not list_file.is_file():
        raise FileNotFoundError(f"{list_file}: list file not found.")
    items = []
    for line_no, line in enumerate(list_file.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name = _check_name(text, f"{list_file}:{line_no}")
        folder = root / name
        if not folder.is_dir():
            raise FileNotFoundError(f"{list_file}:{line_no}: sequence folder '{name}' not found under {root}.")
        item = read_most_dsa_sequence(folder)
        item["sequence"] = name
        items.append(item)
    return items


def load_most_dsa_item(item: dict[str, Any]) -> dict[str, Any]:
    """Load the images of one :func:`read_most_dsa_list` entry.

    Returns:
        ``{"frame0": (H, W), "frame1": (H, W), "target": (N, H, W), "time": (N,) float32, "sequence": str}`` with
        the stored dtype (color PNGs are reduced to luminance).

    Raises:
        ValueError: naming the file whose size differs from ``frame0``.
    """

    def load(p: str) -> np.ndarray:
        img = read_image(p)
        return to_luminance(img) if img.ndim == 3 else img

    frame0 = load(item["frame0"])
    frame1 = load(item["frame1"])
    targets = [load(p) for p in item["target"]]
    for p, img in zip([item["frame1"], *item["target"]], [frame1, *targets], strict=True):
        if img.shape != frame0.shape:
            raise ValueError(f"{p}: image size {img.shape} differs from {frame0.shape} of {item['frame0']}.")
    return {
        "frame0": frame0,
        "frame1": frame1,
        "target": np.stack(targets),
        "time": np.asarray(item["time"], dtype=np.float32),
        "sequence": item.get("sequence"),
    }


def _as_frame(x: Any, label: str, context: str) -> np.ndarray:
    arr = to_numpy(x)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"{context}: {label} must be (H, W) (or (1, H, W)), got shape {tuple(arr.shape)}.")
    return arr


def write_most_dsa_sequence(
    root: str | os.PathLike, name: str, frame0: Any, targets: Any, frame1: Any, bits_stored: int
) -> Path:
    """Write one MoSt-DSA sequence folder ``root/name`` (PNG, 8-bit if ``bits_stored <= 8`` else 16-bit).

    Stale ``frame_*.png`` files of a previous write in that folder are removed after the new files are written.

    Args:
        root: dataset root.
        name: sequence folder relative to root, e.g. ``"Data_part_1/Sequence_3"``.
        frame0: first input frame ``(H, W)``.
        targets: the N ground-truth intermediate frames ``(N, H, W)``.
        frame1: last input frame ``(H, W)``.
        bits_stored: bits of the stored values (values are written unscaled).

    Returns:
        The sequence folder.

    Raises:
        ValueError: for an unsafe name, wrong shapes, sizes that differ, NaN/Inf or out-of-range values.
    """
    root = Path(root)
    name = _check_name(name, str(root))
    folder = root / name
    f0 = _as_frame(frame0, "frame0", str(folder))
    f1 = _as_frame(frame1, "frame1", str(folder))
    tg = to_numpy(targets)
    if tg.ndim == 2:
        tg = tg[None]
    if tg.ndim != 3 or tg.shape[0] < 1:
        raise ValueError(f"{folder}: targets must be (N, H, W) with N >= 1, got shape {tuple(tg.shape)}.")
    if f1.shape != f0.shape or tg.shape[1:] != f0.shape:
        raise ValueError(
            f"{folder}: frame sizes differ: frame0 {f0.shape}, frame1 {f1.shape}, targets {tuple(tg.shape[1:])}."
        )
    n = tg.shape[0]
    # Validate every image before writing any file.
    for label, arr in (("frame0", f0), ("targets", tg), ("frame1", f1)):
        check_integer_frames(arr, int(bits_stored), f"{folder} ({label})", np.dtype(np.uint16))
    names = ["frame_1.png", *[f"frame_{k}_gt.png" for k in range(2, n + 2)], f"frame_{n + 2}.png"]
    images = [f0, *tg, f1]
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, img in zip(names, images, strict=True):
        write_png(folder / file_name, img, bits_stored)
    keep = set(names)
    for p in folder.iterdir():
        if _FRAME_RE.match(p.name) and p.name not in keep:
            p.unlink()
    return folder


def write_most_dsa_lists(
    root: str | os.PathLike, train: Iterable[str | os.PathLike], test: Iterable[str | os.PathLike]
) -> tuple[Path, Path]:
    """Write ``TrainList.txt`` and ``TestList.txt`` (one sequence folder per line, relative to root), atomically.

    Returns:
        The paths of the two list files.

    Raises:
        ValueError: for an unsafe sequence name.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    lists = {
        split: [_check_name(n, str(root / LIST_FILES[split])) for n in names]
        for split, names in (("train", train), ("test", test))
    }
    paths = []
    for split, names in lists.items():
        path = root / LIST_FILES[split]
        with atomic_output(path, overwrite=True) as tmp:
            tmp.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]
