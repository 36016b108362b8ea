# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Dataset of the MoSt-DSA layout: pre-cut frame tuples stored as PNG files, listed in TrainList/TestList."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from monai.data import Dataset, MetaTensor
from monai.data.meta_obj import get_track_meta
from monai.transforms import apply_transform

__all__ = ["MoStDSADataset"]


class MoStDSADataset(Dataset):
    """Frame tuples of a dataset in the MoSt-DSA layout (see :func:`monai_angio.io.read_most_dsa_list`).

    Each item has the keys of the cine tuple datasets: ``"frame0"`` and ``"frame1"`` ``(1, H, W)``, ``"target"``
    ``(N, H, W)`` (float32 in ``[0, 1]``, MetaTensors with ``"filename_or_obj"``, ``"sequence"`` and
    ``"bits_stored"`` in their meta), ``"time"`` ``(N,)`` float32 (``k / (N + 1)``), ``"tuple_indices"``
    ``(N + 2,)`` (``0 .. N + 1``) and ``"sequence"`` (the folder name from the list), then the optional
    ``transform``. Images are read when an item is requested.

    Args:
        root: dataset root holding ``TrainList.txt`` and ``TestList.txt``.
        split: ``"train"`` or ``"test"``.
        transform: callable applied to each item dictionary.
        bits: bits stored of the PNG values; ``None`` takes 8 for 8-bit and 16 for 16-bit PNG files.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        transform: Callable | None = None,
        bits: int | None = None,
    ) -> None:
        from monai_angio.io import read_most_dsa_list

        if bits is not None and (isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16):
            raise ValueError(f"bits must be None or an integer in [1, 16], got {bits!r}.")
        self.root = str(root)
        self.split = split
        self.bits = bits
        items = read_most_dsa_list(root, split)
        if not items:
            raise ValueError(f"MoSt-DSA list '{split}' of '{root}' lists no sequence.")
        super().__init__(data=items, transform=transform)

    @staticmethod
    def _scale(img: np.ndarray, path: str, bits: int) -> torch.Tensor:
        if not np.issubdtype(img.dtype, np.integer):
            raise ValueError(f"'{path}': expected integer PNG values, got {img.dtype}.")
        if int(img.max(initial=0)) > 2**bits - 1:
            raise ValueError(f"'{path}': values up to {int(img.max())} exceed {bits} bits stored.")
        return torch.from_numpy(img.astype(np.float32) / np.float32(2**bits - 1))

    def _transform(self, index: int) -> dict[str, Any]:
        from monai_angio.io import load_most_dsa_item

        entry = self.data[index]
        loaded = load_most_dsa_item(entry)
        bits = self.bits if self.bits is not None else int(loaded["frame0"].dtype.itemsize * 8)
        frame0 = self._scale(loaded["frame0"], entry["frame0"], bits)[None]
        frame1 = self._scale(loaded["frame1"], entry["frame1"], bits)[None]
        target = self._scale(loaded["target"], os.path.dirname(entry["frame0"]), bits)
        num_targets = int(target.shape[0])
        sequence = str(entry.get("sequence") or os.path.dirname(entry["frame0"]))
        item: dict[str, Any] = {}
        for key, img, name in (
            ("frame0", frame0, entry["frame0"]),
            ("frame1", frame1, entry["frame1"]),
            ("target", target, os.path.dirname(entry["frame0"])),
        ):
            meta = {"filename_or_obj": str(name), "sequence": sequence, "bits_stored": bits, "scaled_bits": bits}
            item[key] = MetaTensor(img, meta=meta) if get_track_meta() else img
        item["time"] = torch.as_tensor(np.asarray(loaded["time"], dtype=np.float32))
        item["tuple_indices"] = torch.arange(num_targets + 2, dtype=torch.int64)
        item["sequence"] = sequence
        return apply_transform(self.transform, item) if self.transform is not None else item
