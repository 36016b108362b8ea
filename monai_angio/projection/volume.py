# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Volumes for projection: load a CT/MR volume (NIfTI file or DICOM series) onto a regular grid, and convert HU to
linear attenuation.

Coordinates: every volume is a float32 array ``(D, H, W)`` in ``(z, y, x)`` order. Its ``meta`` gives the grid in
patient **LPS** coordinates (the DICOM/ITK convention, mm): ``origin_mm`` is the position ``(x, y, z)`` of voxel
``[0, 0, 0]``, ``direction`` is a 3x3 matrix whose columns are the unit vectors of the array axes W, H, D (x, y, z
index order, as ITK's ``GetDirection``), and ``spacing_mm`` is ``(z, y, x)`` (array order). The world position of
voxel ``[k, j, i]`` is ``origin_mm + direction @ (i * sx, j * sy, k * sz)``. NIfTI (RAS) is converted to LPS.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monai_angio.io.dicom import read_series_headers

__all__ = [
    "MU_WATER_PER_MM",
    "hu_to_attenuation",
    "load_volume",
    "load_dicom_volume",
    "load_nifti_volume",
    "mu_water",
]

# Linear attenuation coefficient of liquid water (1/mm) at the effective photon energy (keV): NIST XCOM / Hubbell &
# Seltzer mass attenuation coefficients mu/rho (total, with coherent scattering) times rho = 1.0 g/cm^3. 70 keV is
# not a node of the NIST table: its value is XCOM's (log-log interpolation of the 60 and 80 keV nodes gives 0.01937).
MU_WATER_PER_MM: dict[float, float] = {
    50.0: 0.02269,
    60.0: 0.02059,
    70.0: 0.01929,
    80.0: 0.01837,
    100.0: 0.01707,
}

_NIFTI_SUFFIXES = (".nii", ".nii.gz")
# Relative tolerance on slice gaps (and absolute floor, mm) below which a series counts as regular.
_GAP_RTOL = 0.01
_GAP_ATOL_MM = 1e-3
# Shear (sine of the angle between the slice normal and the stacking direction) below which there is no tilt.
_TILT_TOL = 1e-4
# Output voxels resampled per chunk (bounds the memory of the sampling grid).
_CHUNK_VOXELS = 4_000_000


def mu_water(energy_kev: float = 70.0) -> float:
    """Linear attenuation coefficient of water (1/mm) at ``energy_kev``.

    Values of :data:`MU_WATER_PER_MM` (NIST, 50/60/70/80/100 keV); between the nodes the value is interpolated
    log-log (mu is close to a power law of the energy there).

    Raises:
        ValueError: if ``energy_kev`` is outside [50, 100] keV.
    """
    e = float(energy_kev)
    nodes = sorted(MU_WATER_PER_MM)
    if not nodes[0] <= e <= nodes[-1]:
        raise ValueError(f"mu_water: energy {e} keV is outside the tabulated range [{nodes[0]}, {nodes[-1]}] keV.")
    if e in MU_WATER_PER_MM:
        return MU_WATER_PER_MM[e]
    log_mu = np.interp(math.log(e), [math.log(n) for n in nodes], [math.log(MU_WATER_PER_MM[n]) for n in nodes])
    return float(math.exp(log_mu))


def hu_to_attenuation(hu: np.ndarray | torch.Tensor, energy_kev: float = 70.0) -> np.ndarray | torch.Tensor:
    """Linear attenuation coefficient (1/mm) from Hounsfield units.

    ``mu = mu_water(E) * (1 + HU / 1000)``, clipped at 0 (air, -1000 HU, and anything below gives 0). ``mu_water``
    is water's linear attenuation at the effective energy ``E`` (NIST values, see :data:`MU_WATER_PER_MM`: 50 keV
    0.02269, 60 keV 0.02059, 70 keV 0.01929, 80 keV 0.01837, 100 keV 0.01707 per mm).

    Approximation: HU are defined at the CT scanner's own effective energy, and the formula assumes every material
    attenuates like water scaled by its HU (mu proportional to electron density). This holds for soft tissue; bone
    (calcium, photo-electric absorption rising faster at low energy) is handled by the same linear formula, so its
    attenuation is underestimated below the CT's effective energy and overestimated above it (a bilinear or
    dual-energy model would be needed to do better). Iodine contrast has the same limitation.

    Args:
        hu: CT values in HU, any shape (numpy array or torch tensor).
        energy_kev: effective photon energy of the projection (50 to 100 keV).

    Returns:
        mu in 1/mm, same shape and kind as ``hu`` (float32 for numpy input; the tensor's floating dtype for torch).
    """
    mu_w = mu_water(energy_kev)
    if isinstance(hu, torch.Tensor):
        h = hu if hu.is_floating_point() else hu.float()
        return torch.clamp(mu_w * (1.0 + h / 1000.0), min=0.0)
    h = np.asarray(hu, dtype=np.float32)
    return np.maximum(np.float32(mu_w) * (1.0 + h / np.float32(1000.0)), np.float32(0.0)).astype(np.float32)


def load_volume(
    path: str | os.PathLike, spacing_mm: float | Sequence[float] | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Load a 3-D volume from a NIfTI file (``.nii``/``.nii.gz``) or a folder holding one DICOM series (CT/MR slices).

    See :func:`load_dicom_volume` for DICOM (tilt and irregular gaps are resampled to a regular grid) and
    :func:`load_nifti_volume` for NIfTI.

    Args:
        path: a NIfTI file or a DICOM series folder.
        spacing_mm: output spacing (mm), one value (isotropic) or ``(z, y, x)``. For DICOM, forces a resampling
            onto this grid; for NIfTI it must be None (NIfTI volumes are returned on their own grid).

    Returns:
        ``(volume, meta)``: float32 ``(D, H, W)`` in ``(z, y, x)`` order; ``meta`` with ``spacing_mm`` ``(z, y, x)``,
        ``origin_mm`` (LPS, x y z), ``direction`` (3x3, columns = array axes W, H, D in LPS), ``modality``,
        ``units`` (``"HU"`` for CT), ``source`` (the path), ``format``.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the path when it is neither a NIfTI file nor a folder with one usable DICOM series.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder.")
    if p.is_dir():
        return load_dicom_volume(p, spacing_mm=spacing_mm)
    if p.name.lower().endswith(_NIFTI_SUFFIXES):
        if spacing_mm is not None:
            raise ValueError(f"{p}: spacing_mm is only supported for DICOM series (NIfTI is returned on its grid).")
        return load_nifti_volume(p)
    raise ValueError(f"{p}: not a volume: expected a .nii/.nii.gz file or a folder of DICOM slices.")


def load_nifti_volume(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Load a 3-D NIfTI volume (nibabel; ``scl_slope``/``scl_inter`` applied) as ``(z, y, x)`` float32.

    The voxel order of the file is kept (no reorientation): array axis W is the file's i axis, H its j axis, D its
    k axis. The sform/qform affine (RAS) is converted to LPS ``origin_mm``/``direction``; ``spacing_mm`` are the
    column norms of the affine. A 4-D image with one time point is accepted.

    Raises:
        ValueError: naming the file when it cannot be read, is not 3-D, or holds NaN/Inf.
    """
    import nibabel as nib

    p = Path(path)
    try:
        img = nib.load(str(p))
        data = np.asarray(img.dataobj, dtype=np.float32)
    except Exception as e:
        raise ValueError(f"{p}: cannot read NIfTI file ({type(e).__name__}: {e}).") from e
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"{p}: expected a 3-D volume, got an image of shape {tuple(data.shape)}.")
    if not np.isfinite(data).all():
        raise ValueError(f"{p}: the volume holds NaN or Inf values.")
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ np.asarray(img.affine, dtype=np.float64)  # RAS -> LPS
    lin = affine[:3, :3]
    spacing_xyz = np.linalg.norm(lin, axis=0)
    if np.any(spacing_xyz <= 0):
        raise ValueError(f"{p}: the affine has a zero column (spacing {spacing_xyz.tolist()}).")
    meta = {
        "spacing_mm": tuple(float(s) for s in spacing_xyz[::-1]),
        "origin_mm": tuple(float(v) for v in affine[:3, 3]),
        "direction": lin / spacing_xyz,
        "modality": None,
        "units": None,
        "source": str(p),
        "format": "nifti",
        "resampled": False,
    }
    return np.ascontiguousarray(data.transpose(2, 1, 0)), meta


def _floats(ds: Any, keyword: str, n: int, path: Path) -> np.ndarray:
    value = ds.get(keyword)
    if value is None:
        raise ValueError(f"{path}: missing {keyword}, needed to place the slice in 3-D.")
    try:
        arr = np.array([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: {keyword} {value!r} is not {n} numbers.") from e
    if arr.shape != (n,):
        raise ValueError(f"{path}: {keyword} has {arr.size} values, expected {n}.")
    return arr


def _spacing3(spacing_mm: float | Sequence[float], where: Path) -> np.ndarray:
    s = np.atleast_1d(np.asarray(spacing_mm, dtype=np.float64))
    if s.size == 1:
        s = np.repeat(s, 3)
    if s.shape != (3,) or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"{where}: spacing_mm must be one positive value or three (z, y, x), got {spacing_mm!r}.")
    return s


def load_dicom_volume(
    folder: str | os.PathLike,
    spacing_mm: float | Sequence[float] | None = None,
    fill_value: float | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Load a DICOM series of parallel image slices (CT, MR) as a volume on a regular grid.

    What is done:

    1. Every DICOM file of the folder is read (pydicom; RLE and uncompressed natively, JPEG with pylibjpeg); all must
       belong to one SeriesInstanceUID, have pixel data, the same ImageOrientationPatient, PixelSpacing and size.
       RescaleSlope/RescaleIntercept are applied (HU for CT).
    2. Slices are sorted by their position along the slice normal ``n = row x col`` (``n . ImagePositionPatient``).
    3. The stacking direction ``d`` (first to last slice position) is compared with ``n``: a gantry tilt makes them
       differ (the slices are sheared along their column direction); the tilt angle ``acos(n . d)`` is reported
       as ``meta["gantry_tilt_deg"]`` beside the header's GantryDetectorTilt (``meta["header_gantry_tilt_deg"]``).
       The slice gaps (along ``n``) are checked for regularity.
    4. When the series is tilted, irregular, or ``spacing_mm`` is given, the volume is **resampled** onto a regular
       orthogonal grid whose axes are ``x = row direction`` (orthogonalised), ``z = d`` (the table axis: for a tilted
       series this undoes the shear, the axial planes of the output are perpendicular to the table and the head
       is no longer sheared in sagittal views) and ``y = z x x``. Its spacing is ``spacing_mm`` or, by default,
       isotropic ``min(in-plane spacing, median slice gap)``; it covers the bounding box of the acquired slices.
       Each output voxel is mapped to a fractional slice index (piecewise linear in its position along ``n``,
       which handles irregular gaps) and to in-plane pixel coordinates relative to the slice position interpolated
       at that index (which handles the shear); the value is interpolated trilinearly in this sheared index space
       (torch ``grid_sample``, bilinear between neighbour pixels, linear between neighbour slices). Voxels outside
       the acquired slab get ``fill_value`` (default -1000 HU for CT, else the volume minimum), and so do the
       pixels equal to PixelPaddingValue (outside the scanner's circular field of view).
       Otherwise (regular, untilted, no ``spacing_mm``) the slices are stacked as they are, without interpolation.

    Args:
        folder: folder of DICOM slices (non-DICOM files are ignored).
        spacing_mm: output spacing (mm), one value (isotropic) or ``(z, y, x)``; forces a resampling.
        fill_value: value outside the acquired volume when resampling, and of padding pixels.

    Note: the default isotropic spacing can make a large volume (the 28-slice GE head CT at 0.49 mm gives
    474 x 485 x 512 voxels, 470 MB, about 10 s on 2 CPU cores); pass a coarser ``spacing_mm`` for projection.

    Returns:
        ``(volume, meta)``: float32 ``(D, H, W)`` (z, y, x) and the meta described in :func:`load_volume`, plus
        ``resampled`` (bool), ``gantry_tilt_deg``, ``header_gantry_tilt_deg``, ``slice_gaps_mm`` (the acquired gaps
        along ``n``, in sorted order), ``files`` (in sorted order), ``series_uid``.

    Raises:
        ValueError: naming the folder (or file) for an empty folder, several series, a single slice, a non-image
            DICOM, slices of different orientation/spacing/size, two slices at the same position, NaN/Inf.
    """
    folder = Path(folder)
    headers = read_series_headers(folder, stop_before_pixels=False)
    if len(headers) < 2:
        raise ValueError(f"{folder}: a single slice ({headers[0][0].name}); a volume needs at least two slices.")

    slices, positions, pads = [], [], []
    orient = spacing_rc = shape = None
    for f, ds in headers:
        if not any(t in ds for t in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
            raise ValueError(f"{f}: non-image DICOM (no pixel data; SOP class {ds.get('SOPClassUID', '?')}).")
        if int(ds.get("NumberOfFrames", 1) or 1) != 1:
            raise ValueError(f"{f}: multi-frame DICOM; expected a series of single-frame slices.")
        iop = _floats(ds, "ImageOrientationPatient", 6, f)
        ipp = _floats(ds, "ImagePositionPatient", 3, f)
        ps = _floats(ds, "PixelSpacing", 2, f)
        try:
            px = np.asarray(ds.pixel_array)
        except Exception as e:
            raise ValueError(f"{f}: cannot decode the pixel data ({type(e).__name__}: {e}).") from e
        if px.ndim != 2:
            raise ValueError(f"{f}: expected a 2-D grey slice, got pixel data of shape {px.shape}.")
        if orient is None:
            orient, spacing_rc, shape = iop, ps, px.shape
        elif not np.allclose(iop, orient, atol=1e-4):
            raise ValueError(f"{f}: ImageOrientationPatient {iop.tolist()} differs from {orient.tolist()}.")
        elif not np.allclose(ps, spacing_rc, rtol=1e-4):
            raise ValueError(f"{f}: PixelSpacing {ps.tolist()} differs from {spacing_rc.tolist()}.")
        elif px.shape != shape:
            raise ValueError(f"{f}: slice size {px.shape} differs from {shape}.")
        slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
        intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
        sl = px.astype(np.float32) * np.float32(slope) + np.float32(intercept)
        pad = ds.get("PixelPaddingValue")
        pads.append(px == pad if isinstance(pad, int) else np.zeros(px.shape, dtype=bool))
        slices.append(sl)
        positions.append(ipp)
    assert orient is not None and spacing_rc is not None and shape is not None

    row = orient[:3] / np.linalg.norm(orient[:3])  # direction of increasing column index
    col = orient[3:] / np.linalg.norm(orient[3:])  # direction of increasing row index
    normal = np.cross(row, col)
    if np.linalg.norm(normal) < 1e-6:
        raise ValueError(f"{folder}: ImageOrientationPatient {orient.tolist()} has parallel row and column vectors.")
    normal /= np.linalg.norm(normal)
    pos = np.stack(positions)
    s = pos @ normal
    order = np.argsort(s, kind="stable")
    s, pos = s[order], pos[order]
    files_sorted = [headers[i][0] for i in order]
    gaps = np.diff(s)
    if np.any(gaps < _GAP_ATOL_MM):
        k = int(np.argmin(gaps))
        raise ValueError(
            f"{folder}: slices {files_sorted[k].name} and {files_sorted[k + 1].name} lie at the same position "
            f"along the slice normal (gap {gaps[k]:.4g} mm)."
        )
    vol = np.stack([slices[i] for i in order])  # (K, rows, cols)
    if not np.isfinite(vol).all():
        raise ValueError(f"{folder}: the slices hold NaN or Inf values.")
    padding = np.stack([pads[i] for i in order])

    stack = pos[-1] - pos[0]
    d = stack / np.linalg.norm(stack)
    tilt_deg = float(np.degrees(np.arccos(np.clip(d @ normal, -1.0, 1.0))))
    tilted = float(np.linalg.norm(d - (d @ normal) * normal)) > _TILT_TOL
    median_gap = float(np.median(gaps))
    irregular = bool(np.any(np.abs(gaps - median_gap) > max(_GAP_RTOL * median_gap, _GAP_ATOL_MM)))
    ds0 = headers[order[0]][1]
    modality = str(ds0.get("Modality", "")) or None
    header_tilt = ds0.get("GantryDetectorTilt")
    meta: dict[str, Any] = {
        "modality": modality,
        "units": "HU" if modality == "CT" else None,
        "source": str(folder),
        "format": "dicom_series",
        "files": [str(f) for f in files_sorted],
        "series_uid": str(ds0.get("SeriesInstanceUID", "")),
        "gantry_tilt_deg": tilt_deg if tilted else 0.0,
        "header_gantry_tilt_deg": float(header_tilt) if header_tilt not in (None, "") else None,
        "slice_gaps_mm": gaps.tolist(),
    }
    dy, dx = float(spacing_rc[0]), float(spacing_rc[1])
    if fill_value is None:
        fill_value = -1000.0 if modality == "CT" else float(vol[~padding].min() if (~padding).any() else 0.0)
    vol[padding] = fill_value
    if not tilted and not irregular and spacing_mm is None:
        meta.update(
            spacing_mm=(median_gap, dy, dx),
            origin_mm=tuple(float(v) for v in pos[0]),
            direction=np.stack([row, col, normal], axis=1),
            resampled=False,
        )
        return vol, meta

    out_spacing = (
        _spacing3(spacing_mm, folder) if spacing_mm is not None else np.full(3, min(dy, dx, median_gap))
    )  # (z, y, x)
    # Output frame: z along the stacking direction, x the row direction made orthogonal to it, y = z x x.
    ex = row - (row @ d) * d
    ex /= np.linalg.norm(ex)
    ey = np.cross(d, ex)
    direction = np.stack([ex, ey, d], axis=1)
    # Bounding box of the acquired slices (corners of the first and last slice) in the output frame.
    n_rows, n_cols = shape
    corners = np.array(
        [
            p + a * (n_cols - 1) * dx * row + b * (n_rows - 1) * dy * col
            for p in (pos[0], pos[-1])
            for a in (0, 1)
            for b in (0, 1)
        ]
    )
    local = corners @ direction  # (8, 3) x y z
    lo, hi = local.min(axis=0), local.max(axis=0)
    sp_xyz = out_spacing[::-1]
    size_xyz = np.floor((hi - lo) / sp_xyz + 1e-6).astype(int) + 1
    origin = direction @ lo
    out = _resample_slices(vol, pos, s, row, col, normal, (dy, dx), origin, direction, sp_xyz, size_xyz, fill_value)
    meta.update(
        spacing_mm=tuple(float(v) for v in out_spacing),
        origin_mm=tuple(float(v) for v in origin),
        direction=direction,
        resampled=True,
    )
    return out, meta


def _resample_slices(
    vol: np.ndarray,
    pos: np.ndarray,
    s: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    normal: np.ndarray,
    pixel_spacing: tuple[float, float],
    origin: np.ndarray,
    direction: np.ndarray,
    sp_xyz: np.ndarray,
    size_xyz: np.ndarray,
    fill_value: float,
) -> np.ndarray:
    """Trilinear resampling of sorted slices ``vol (K, R, C)`` (positions ``pos (K, 3)``, normal coordinates ``s``)
    onto the grid ``origin + direction @ (index * sp_xyz)`` of ``size_xyz``; returns ``(Z, Y, X)`` float32."""
    k_n, n_rows, n_cols = vol.shape
    dy, dx = pixel_spacing
    src = torch.from_numpy(vol - np.float32(fill_value))[None, None]  # (1, 1, K, R, C); zeros padding == fill
    nx, ny, nz = (int(v) for v in size_xyz)
    out = np.empty((nz, ny, nx), dtype=np.float32)
    ix = np.arange(nx) * sp_xyz[0]
    iy = np.arange(ny) * sp_xyz[1]
    # Per output axis, the contribution to the three quantities needed: n.p, row.p, col.p (p = world position).
    axes = [direction[:, a] for a in range(3)]
    proj = np.array([[normal @ ax, row @ ax, col @ ax] for ax in axes])  # (3 axes, 3 quantities)
    base = np.array([normal @ origin, row @ origin, col @ origin])
    qx = ix[:, None] * proj[0]  # (nx, 3)
    qy = iy[:, None] * proj[1]  # (ny, 3)
    plane = qy[:, None, :] + qx[None, :, :]  # (ny, nx, 3)
    pos_row, pos_col = pos @ row, pos @ col
    k_idx = np.arange(k_n, dtype=np.float64)
    chunk = max(1, _CHUNK_VOXELS // max(1, nx * ny))
    for z0 in range(0, nz, chunk):
        zs = np.arange(z0, min(nz, z0 + chunk)) * sp_xyz[2]
        q = base + zs[:, None, None, None] * proj[2] + plane[None]  # (cz, ny, nx, 3)
        sn = q[..., 0]
        kf = np.interp(sn, s, k_idx, left=-1.0, right=k_n)  # fractional slice index (outside -> padding)
        # slice position interpolated at kf (the shear): in-plane coordinates relative to it
        r0 = np.interp(kf, k_idx, pos_row)
        c0 = np.interp(kf, k_idx, pos_col)
        u = (q[..., 1] - r0) / dx  # column index
        v = (q[..., 2] - c0) / dy  # row index
        grid = np.stack(
            [
                2.0 * u / max(n_cols - 1, 1) - 1.0,
                2.0 * v / max(n_rows - 1, 1) - 1.0,
                2.0 * kf / max(k_n - 1, 1) - 1.0,
            ],
            axis=-1,
        )
        g = torch.from_numpy(grid.astype(np.float32))[None]
        res = torch.nn.functional.grid_sample(src, g, mode="bilinear", padding_mode="zeros", align_corners=True)
        out[z0 : z0 + len(zs)] = res[0, 0].numpy() + np.float32(fill_value)
    return out
