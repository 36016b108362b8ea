# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""A built-in digital head phantom as labelled voxel volumes, with paired CT (HU) and T1-weighted MR images.

The head is built from ellipsoids, as in :mod:`monai_angio.phantoms.anatomy`, but voxelised into tissue labels: a
cranium ellipsoid united with a face ellipsoid forms the skin surface; below it lie skin, subcutaneous fat, the skull
(outer table, diploe, inner table, following the cranium), a thin facial bone shell, the subarachnoid CSF, a grey
matter cortex whose outer and inner boundaries are displaced by a seeded low-frequency random field (gyri-like
folding), white matter, deep grey nuclei, lateral and third ventricles (CSF), frontal, maxillary and sphenoid sinuses
(air) and the eyes (vitreous). Facial soft tissue that is none of these is muscle / generic soft tissue. Each seed
scales the head by about +-6 % per axis, tilts it by a few degrees and varies the inner structures.

Layout: volumes are ``(D, H, W)`` along world ``z, y, x`` (patient LPS: ``x`` left, ``y`` posterior, ``z`` head, so
superior is at high ``z`` index), spacing ``(sz, sy, sx)`` mm, centred on the world origin (the C-arm isocenter), as
:mod:`monai_angio.projection` expects (``origin_mm=None``).

Tissue values (:data:`HEAD_TISSUES`) are approximate, rounded literature values, not measurements:

* CT numbers (HU) follow textbook ranges (e.g. Hounsfield-scale tables in Bushberg et al., *The Essential Physics of
  Medical Imaging*, and typical head CT windows): air -1000, fat -100, skin / soft tissue about 40, muscle 50,
  CSF and vitreous 10, grey matter 40, white matter 30, cortical bone 1500, diploe (cancellous bone with marrow) 600.
* MR values are a normalised T1-weighted signal in ``[0, 1]`` meant to reproduce the typical appearance of a 1.5 T
  spin-echo T1w head image (short TR/TE, so short-T1 tissue is bright): fat ~0.9 (T1 ~ 260 ms), fatty diploe
  marrow ~0.65, white matter ~0.7 (T1 ~ 600-800 ms), skin ~0.6, grey matter ~0.5 (T1 ~ 950-1100 ms), muscle ~0.4
  (T1 ~ 900 ms, darker than white matter), CSF ~0.15 and vitreous ~0.12 (T1 > 3000 ms), cortical bone ~0.05 (no
  mobile protons, very short T2*), air 0. They are relative intensities for image synthesis, not quantitative T1.

The MR adds a smooth multiplicative bias field (coil sensitivity) and Rician noise; the CT adds mild Gaussian noise.
Both get a small Gaussian blur (partial volume). Everything is seeded and reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from monai_angio.phantoms.anatomy import rotation_xyz

__all__ = ["HEAD_LABELS", "HEAD_TISSUES", "HeadTissue", "head_ct_mr", "head_label_volume", "tissue_values"]


class HeadTissue(NamedTuple):
    """One tissue class of the head phantom: its ``name``, integer ``label``, CT number ``hu`` (HU) and normalised
    T1-weighted MR signal ``t1w`` (``[0, 1]``)."""

    name: str
    label: int
    hu: float
    t1w: float


HEAD_TISSUES: tuple[HeadTissue, ...] = (
    HeadTissue("background", 0, -1000.0, 0.0),
    HeadTissue("skin", 1, 40.0, 0.6),
    HeadTissue("fat", 2, -100.0, 0.9),
    HeadTissue("cortical bone", 3, 1500.0, 0.05),
    HeadTissue("diploe", 4, 600.0, 0.65),
    HeadTissue("csf", 5, 10.0, 0.15),
    HeadTissue("grey matter", 6, 40.0, 0.5),
    HeadTissue("white matter", 7, 30.0, 0.7),
    HeadTissue("sinus air", 8, -1000.0, 0.0),
    HeadTissue("vitreous", 9, 10.0, 0.12),
    HeadTissue("soft tissue", 10, 50.0, 0.4),
)
"""The tissues in label order (``HEAD_TISSUES[i].label == i``)."""

HEAD_LABELS: dict[str, int] = {t.name: t.label for t in HEAD_TISSUES}
"""Tissue name to label value."""

_L = HEAD_LABELS


def tissue_values(prop: str) -> np.ndarray:
    """Lookup table of one property by label.

    Args:
        prop: ``"hu"`` or ``"t1w"``.

    Returns:
        ``(n_labels,)`` float32, entry ``i`` the value of label ``i``.

    Raises:
        ValueError: on an unknown property.
    """
    if prop not in ("hu", "t1w"):
        raise ValueError(f"tissue_values: prop must be 'hu' or 't1w', got {prop!r}")
    return np.array([getattr(t, prop) for t in HEAD_TISSUES], dtype=np.float32)


def _check_seed(seed: int, where: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{where}: seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _check_shape(shape: Sequence[int], where: str) -> tuple[int, int, int]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"{where}: shape must be (D, H, W) integers >= 8, got {shape!r}") from None
    if len(dims) != 3 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 8 for n in dims):
        raise ValueError(f"{where}: shape must be (D, H, W) integers >= 8, got {shape!r}")
    return int(dims[0]), int(dims[1]), int(dims[2])


def _check_spacing(spacing_mm: float | Sequence[float], where: str) -> np.ndarray:
    try:
        sp = np.broadcast_to(np.asarray(spacing_mm, dtype=np.float64), (3,)).copy()
    except (TypeError, ValueError):
        raise ValueError(
            f"{where}: spacing_mm must be one positive number or (sz, sy, sx) mm, got {spacing_mm!r}"
        ) from None
    if not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise ValueError(f"{where}: spacing_mm must be positive and finite, got {spacing_mm!r}")
    return sp


def _ellipsoid_distance(p: tuple[np.ndarray, ...], centre: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Approximate signed distance (mm, negative inside) to an ellipsoid, first order: ``(rho - 1) / |grad rho|``
    with ``rho`` the normalised radius. Exact on spheres, good to a few % near the surface of the mildly eccentric
    head ellipsoids, and monotone along every ray from the centre."""
    u = [(p[i] - centre[i]) / axes[i] for i in range(3)]
    rho = np.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2)
    grad = np.sqrt((u[0] / axes[0]) ** 2 + (u[1] / axes[1]) ** 2 + (u[2] / axes[2]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (rho - 1.0) * rho / grad
    return np.where(grad > 1e-12, d, -float(np.min(axes))).astype(np.float32)


def _inside(p: tuple[np.ndarray, ...], centre: Sequence[float], axes: Sequence[float]) -> np.ndarray:
    return ((p[0] - centre[0]) / axes[0]) ** 2 + ((p[1] - centre[1]) / axes[1]) ** 2 + (
        (p[2] - centre[2]) / axes[2]
    ) ** 2 <= 1.0


def _random_field(rng: np.random.Generator, pts: np.ndarray, n_waves: int, wavelength_mm: tuple[float, float]):
    """A smooth zero-mean random field of unit standard deviation at ``pts`` ``(N, 3)``: a sum of plane waves with
    random directions, wavelengths and phases."""
    dirs = rng.normal(size=(n_waves, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    k = dirs * (2.0 * math.pi / rng.uniform(*wavelength_mm, size=(n_waves, 1)))
    phase = rng.uniform(0.0, 2.0 * math.pi, size=n_waves)
    out = np.zeros(len(pts), dtype=np.float32)
    for i in range(n_waves):
        out += np.sin(pts @ k[i].astype(np.float32) + np.float32(phase[i]))
    return out * np.float32(math.sqrt(2.0 / n_waves))


def head_label_volume(
    seed: int, shape: Sequence[int] = (128, 128, 128), spacing_mm: float | Sequence[float] = 1.6
) -> tuple[np.ndarray, np.ndarray]:
    """A voxelised head of tissue labels (see :data:`HEAD_TISSUES`), varied by the seed.

    Args:
        seed: non-negative integer; the same seed gives the same head on the same grid.
        shape: ``(D, H, W)`` voxels along world ``z, y, x``, each >= 8.
        spacing_mm: voxel size, one number (isotropic) or ``(sz, sy, sx)`` mm. The head (no neck) is about 140-160 mm
            wide, 175-200 mm long and 180-205 mm high; ``128 x 1.6 mm`` covers it whole.

    Returns:
        ``(labels, spacing)``: ``labels`` ``(D, H, W)`` uint8 centred on the world origin (patient LPS, superior at
        high ``z`` index), ``spacing`` ``(3,)`` float64 mm ``(sz, sy, sx)``.

    Raises:
        ValueError: on a bad seed, shape or spacing.
    """
    where = "head_label_volume"
    seed = _check_seed(seed, where)
    dims = _check_shape(shape, where)
    spacing = _check_spacing(spacing_mm, where)
    rng = np.random.default_rng([seed, 0x4EAD])

    s = rng.uniform(0.94, 1.06, size=3)  # x, y, z scale
    tilt = rotation_xyz(*np.radians(rng.uniform(-4.0, 4.0, size=3)))
    # world -> head coordinates (rotate back by the tilt); axes as broadcastable arrays to save memory
    zs, ys, xs = (
        (np.arange(n, dtype=np.float32) - (n - 1) / 2.0) * np.float32(sp) for n, sp in zip(dims, spacing, strict=True)
    )
    w = (xs[None, None, :], ys[None, :, None], zs[:, None, None])
    rt = tilt.T.astype(np.float32)
    p = tuple(rt[i, 0] * w[0] + rt[i, 1] * w[1] + rt[i, 2] * w[2] for i in range(3))

    cran_c = np.array([0.0, 0.0, 15.0 * s[2]])
    cran_a = np.array([74.0, 92.0, 78.0]) * s
    face_c = np.array([0.0, -33.0 * s[1], -42.0 * s[2]])
    face_a = np.array([60.0 * s[0], 58.0 * s[1], 55.0 * s[2]])
    d_cran = _ellipsoid_distance(p, cran_c, cran_a)
    d_face = _ellipsoid_distance(p, face_c, face_a)
    d_head = np.minimum(d_cran, d_face)

    skin_t, fat_t = rng.uniform(2.0, 3.0), rng.uniform(3.0, 5.0)
    outer_t, diploe_t, inner_t, csf_t = rng.uniform(1.6, 2.4), rng.uniform(2.5, 4.0), rng.uniform(1.2, 1.8), 2.0
    bone_top = skin_t + fat_t
    lab = np.full(dims, _L["background"], dtype=np.uint8)
    lab[d_head <= 0] = _L["skin"]
    lab[d_head <= -skin_t] = _L["fat"]
    lab[d_head <= -bone_top] = _L["soft tissue"]
    # facial bone shell (maxilla, mandible, zygoma, simplified) under the facial soft tissue
    lab[(d_face <= -bone_top - 2.0) & (d_face > -bone_top - 4.5) & (d_head <= -bone_top)] = _L["cortical bone"]
    # skull: outer table, diploe, inner table following the cranium
    t1, t2, t3 = bone_top + outer_t, bone_top + outer_t + diploe_t, bone_top + outer_t + diploe_t + inner_t
    skull = (d_cran <= -bone_top) & (d_head <= -bone_top)
    lab[skull] = _L["cortical bone"]
    lab[(d_cran <= -t1) & (d_cran > -t2)] = _L["diploe"]
    intra = d_cran <= -t3
    lab[intra] = _L["csf"]

    # cortex: outer (pial) and inner (grey/white) boundaries displaced by smooth random fields (gyri-like)
    idx = np.nonzero(intra)
    pts = np.stack([p[i][idx] for i in range(3)], axis=1).astype(np.float32)
    dv = d_cran[idx]
    brain_depth = t3 + csf_t
    g_pial = _random_field(rng, pts, 16, (14.0, 28.0))
    g_white = _random_field(rng, pts, 16, (14.0, 28.0))
    cortex_t = rng.uniform(3.5, 4.5)
    vals = np.full(len(dv), _L["csf"], dtype=np.uint8)
    vals[dv <= -brain_depth + 1.8 * g_pial] = _L["grey matter"]
    vals[dv <= -brain_depth - cortex_t + 0.8 * g_pial + 2.0 * g_white] = _L["white matter"]
    lab[idx] = vals

    # deep grey nuclei (thalamus, basal ganglia) and ventricles (lateral and third)
    vs = rng.uniform(0.8, 1.25)
    for sx in (1.0, -1.0):
        lab[_inside(p, (sx * 20.0 * s[0], -3.0 * s[1], 8.0 * s[2]), (9.0, 14.0, 10.0))] = _L["grey matter"]
        lab[_inside(p, (sx * 9.0 * s[0], -2.0 * s[1], 22.0 * s[2]), (5.5 * vs, 27.0 * s[1], 8.0 * vs))] = _L["csf"]
    lab[_inside(p, (0.0, 0.0, 6.0 * s[2]), (2.0, 12.0, 8.0))] = _L["csf"]

    # sinuses (air) carve only extracranial tissue and bone, never the brain
    extra = (lab != _L["background"]) & (lab != _L["skin"]) & (d_cran > -t3 + 0.5)
    fs = rng.uniform(0.8, 1.2)
    sinuses = [
        ((0.0, cran_c[1] - cran_a[1] + bone_top + outer_t + 2.0, 5.0 * s[2]), (13.0 * fs, 6.0, 9.0 * fs)),
        ((26.0 * s[0], -60.0 * s[1], -45.0 * s[2]), (12.0, 14.0 * fs, 14.0)),
        ((-26.0 * s[0], -60.0 * s[1], -45.0 * s[2]), (12.0, 14.0 * fs, 14.0)),
        ((0.0, -20.0 * s[1], -52.0 * s[2]), (10.0, 9.0, 8.0 * fs)),
    ]
    for c, a in sinuses:
        lab[_inside(p, c, a) & extra] = _L["sinus air"]

    # eyes: vitreous spheres in the orbits, their front 4 mm under the skin surface
    r_eye = 11.0
    for sx in (1.0, -1.0):
        x_e, z_e = sx * 32.0 * s[0], -30.0 * s[2]
        y_line = np.linspace(-130.0, 0.0, 261)
        line = (np.full_like(y_line, x_e), y_line, np.full_like(y_line, z_e))
        d_line = np.minimum(_ellipsoid_distance(line, cran_c, cran_a), _ellipsoid_distance(line, face_c, face_a))
        y_e = float(y_line[np.argmax(d_line <= -(r_eye + 4.0))])
        eye = _inside(p, (x_e, y_e, z_e), (r_eye, r_eye, r_eye)) & (d_cran > -t3)
        lab[eye] = _L["vitreous"]
    return lab, spacing


def head_ct_mr(
    seed: int,
    shape: Sequence[int] = (128, 128, 128),
    spacing_mm: float | Sequence[float] = 1.6,
    noise: bool = True,
    bias_field: float = 0.15,
    blur_voxels: float = 0.6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Paired CT and T1-weighted MR volumes of the built-in head phantom (:func:`head_label_volume`).

    Args:
        seed: non-negative integer (the same seed gives the same head, blur, bias field and noise).
        shape: ``(D, H, W)`` voxels along world ``z, y, x``, each >= 8.
        spacing_mm: voxel size, one number or ``(sz, sy, sx)`` mm.
        noise: add Rician noise to the MR (sigma 0.02 of the white-matter signal scale) and Gaussian noise to the CT
            (sigma 8 HU).
        bias_field: peak relative amplitude of the smooth multiplicative MR bias field (0 turns it off), in ``[0, 1)``.
        blur_voxels: Gaussian partial-volume blur sigma in voxels (kernel radius 1 voxel for values up to 0.75,
            so the interior of a tissue, one voxel away from its border, keeps its exact value); 0 turns it off.

    Returns:
        ``(ct_hu, mr_t1w, labels, spacing)``: ``ct_hu`` and ``mr_t1w`` ``(D, H, W)`` float32, ``labels``
        ``(D, H, W)`` uint8, ``spacing`` ``(3,)`` mm ``(sz, sy, sx)``.

    Raises:
        ValueError: on a bad seed, shape, spacing, bias amplitude or blur.
    """
    where = "head_ct_mr"
    seed = _check_seed(seed, where)
    if not (isinstance(bias_field, (int, float)) and 0.0 <= bias_field < 1.0):
        raise ValueError(f"{where}: bias_field must be a number in [0, 1), got {bias_field!r}")
    if not (isinstance(blur_voxels, (int, float)) and 0.0 <= blur_voxels <= 3.0):
        raise ValueError(f"{where}: blur_voxels must be a number in [0, 3], got {blur_voxels!r}")
    labels, spacing = head_label_volume(seed, shape, spacing_mm)
    ct = tissue_values("hu")[labels]
    mr = tissue_values("t1w")[labels]
    if blur_voxels > 0:
        truncate = 1.2 / blur_voxels if blur_voxels <= 0.75 else 3.0
        ct = ndimage.gaussian_filter(ct, blur_voxels, truncate=truncate, mode="nearest")
        mr = ndimage.gaussian_filter(mr, blur_voxels, truncate=truncate, mode="nearest")
    rng = np.random.default_rng([seed, 0x4D52])
    if bias_field > 0:
        # low-order smooth field over the normalised grid: a few random cosines, scaled to +-bias_field
        grids = [np.linspace(-1.0, 1.0, n, dtype=np.float32) for n in labels.shape]
        field = np.zeros(labels.shape, dtype=np.float32)
        for _ in range(4):
            f = rng.uniform(0.2, 0.7, size=3)
            ph = rng.uniform(0.0, 2.0 * math.pi, size=3)
            field += (
                np.cos(math.pi * f[0] * grids[0] + ph[0])[:, None, None]
                * np.cos(math.pi * f[1] * grids[1] + ph[1])[None, :, None]
                * np.cos(math.pi * f[2] * grids[2] + ph[2])[None, None, :]
            ).astype(np.float32)
        peak = float(np.max(np.abs(field)))
        if peak > 0:
            mr = mr * np.exp(np.float32(bias_field) * field / np.float32(peak)).astype(np.float32)
    if noise:
        sigma_mr = np.float32(0.02)
        n1 = rng.normal(0.0, 1.0, size=labels.shape).astype(np.float32) * sigma_mr
        n2 = rng.normal(0.0, 1.0, size=labels.shape).astype(np.float32) * sigma_mr
        mr = np.sqrt((mr + n1) ** 2 + n2**2)
        ct = ct + rng.normal(0.0, 8.0, size=labels.shape).astype(np.float32)
    return ct.astype(np.float32), mr.astype(np.float32), labels, spacing
