# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""CREMI-style HDF5 volumes: dataset ``volumes/raw`` (z, y, x) with attribute ``resolution`` (nm, z y x)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from monai_angio.io._common import as_native, check_finite, new_meta

__all__ = ["HDF5_EXTENSIONS", "HDF5_SIGNATURE", "read_hdf5"]

HDF5_EXTENSIONS = (".h5", ".hdf", ".hdf5", ".he5")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
DEFAULT_DATASET = "volumes/raw"


def _image_datasets(h5: Any) -> list[str]:
    import h5py

    names: list[str] = []
    h5.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) and obj.ndim >= 2 else None)
    return names


def read_hdf5(
    path: str | os.PathLike, *, dataset: str | None = None, luminance: bool = False
) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a CREMI-style HDF5 volume as a sequence of z slices ``(T=z, H=y, W=x)``.

    Args:
        path: the HDF5 file.
        dataset: dataset name; default ``volumes/raw``, or the only 2-D/3-D dataset in the file.
        luminance: unused (EM volumes are grayscale); accepted for a uniform reader signature.

    Returns:
        ``(frames, meta)`` with ``format="hdf5"``; the ``resolution`` attribute (nm, z y x) gives ``pixel_spacing``
        (mm, y x) and ``meta["slice_spacing_nm"]``; frame times are None; ``meta["dataset"]`` names the dataset.

    Raises:
        ValueError: naming the file when it is not HDF5, the dataset is missing or not 2-D/3-D, or holds NaN/Inf.
    """
    import h5py

    del luminance
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    try:
        h5 = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path}: cannot open as HDF5 ({e}).") from e
    with h5:
        name = dataset
        if name is None:
            if DEFAULT_DATASET in h5:
                name = DEFAULT_DATASET
            else:
                candidates = _image_datasets(h5)
                if len(candidates) != 1:
                    raise ValueError(
                        f"{path}: no '{DEFAULT_DATASET}' dataset; give dataset= one of {candidates or 'none found'}."
                    )
                name = candidates[0]
        if name not in h5 or not isinstance(h5[name], h5py.Dataset):
            raise ValueError(f"{path}: dataset '{name}' not found; image datasets: {_image_datasets(h5)}.")
        ds = h5[name]
        if ds.ndim not in (2, 3):
            raise ValueError(f"{path}: dataset '{name}' has shape {ds.shape}; expected (z, y, x) or (y, x).")
        data = as_native(np.asarray(ds[()]))
        attrs = dict(ds.attrs)
    if data.ndim == 2:
        data = data[None]
    check_finite(data, f"{path}:{name}")
    resolution = attrs.get("resolution")
    spacing, slice_nm = None, None
    if resolution is not None:
        res = np.asarray(resolution, dtype=np.float64).ravel()
        if res.size == 3 and np.all(np.isfinite(res)) and np.all(res > 0):
            slice_nm = float(res[0])
            spacing = (float(res[1]) / 1e6, float(res[2]) / 1e6)
        elif res.size == 2 and np.all(np.isfinite(res)) and np.all(res > 0):
            spacing = (float(res[0]) / 1e6, float(res[1]) / 1e6)
    meta = new_meta(path, "hdf5")
    meta.update(
        number_of_frames=int(data.shape[0]),
        bits_stored=int(data.dtype.itemsize * 8),
        photometric_interpretation="MONOCHROME2",
        pixel_spacing=spacing,
        slice_spacing_nm=slice_nm,
        dataset=name,
    )
    return data, meta
