# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Closed-form cone-beam line integrals of analytic objects (ellipsoids, finite cylinders) for one C-arm view.

Each detector ray is ``x(t) = S + t d`` from the source ``S`` (``t = 0``) to a point on the detector (``t = 1``)
with ``d = d0 + kappa U + rho V``: ``d0`` runs from the source to the detector centre, ``U`` and ``V`` are one pixel
along the column and row axes and ``(kappa, rho)`` are the ray's (fractional) pixel coordinates from the detector
centre (:class:`~monai_angio.projection.geometry.CArmGeometry`). Every quantity a ray needs is linear or quadratic in
``(kappa, rho)``: its coefficients are computed once per object and evaluated on the object's detector bounding box
only (the projection of the object's bounding box, padded by a pixel).

* Ellipsoid (centre ``c``, semi-axes ``a``, axes the columns of ``R``): in its normalised frame
  ``q = diag(1/a) R^T (x - c)`` the ray is ``q0 + t qd`` and the surface ``|q| = 1``, so
  ``A t^2 + 2 B t + C = 0`` with ``A = |qd|^2``, ``B = q0 . qd``, ``C = |q0|^2 - 1`` and
  ``t1,2 = (-B -+ sqrt(B^2 - A C)) / A``; the chord is ``(t2 - t1) |d|`` mm after clipping both to ``[0, 1]``.
* Finite cylinder (axis ``p0 -> p1`` of length ``L``, unit axis ``a``, radius ``r``, flat end caps): with
  ``m = S - p0``, ``w0 = m - (m . a) a`` and ``n = a x m`` the ray is inside the infinite cylinder where
  ``A t^2 + 2 (d . w0) t + |w0|^2 - r^2 <= 0`` with ``A = |d|^2 - (d . a)^2``, whose discriminant is
  ``r^2 A - (d . n)^2``; the caps keep ``0 <= m . a + t (d . a) <= L``. The chord is the overlap of the two ``t``
  intervals and ``[0, 1]``, times ``|d|``. A ray within about ``1e-5`` rad of the axis direction (``A`` ~ 0) gets
  the slab length if it is inside the radius halfway through the slab, else 0.

The image is ``sum_objects density * chord`` (attenuation per mm times mm). With ``supersample = s`` each pixel
averages ``s x s`` rays on a regular sub-grid (offsets ``(i + 1/2) / s - 1/2`` pixel), anti-aliasing objects thinner
than a pixel. The source is an ideal point; whatever lies behind the source or beyond the detector does not count.
"""

from __future__ import annotations

import numpy as np

from .geometry import CArmGeometry

__all__ = ["chain_cap_normals", "cylinder_line_integrals", "ellipsoid_line_integrals"]

#: rays with sin^2(angle to a cylinder axis) below this take the near-parallel branch
_PARALLEL_SIN2 = 1e-10
#: rays evaluated per block (about 20 float64 temporaries of this size: small enough to stay in cache)
_BLOCK = 1 << 15
#: (pixel, piece) values buffered before they are added into the image
_FLUSH = 1 << 22


# ---------------------------------------------------------------------------------------------------- input checks


def _check_geometry(geometry: CArmGeometry, where: str) -> None:
    if not isinstance(geometry, CArmGeometry):
        raise TypeError(f"{where}: geometry must be a CArmGeometry, got {type(geometry).__name__}")


def _check_supersample(supersample: int, where: str) -> int:
    if isinstance(supersample, bool) or not isinstance(supersample, int | np.integer) or supersample < 1:
        raise ValueError(f"{where}: supersample must be an integer >= 1, got {supersample!r}")
    return int(supersample)


def _array(
    value: object, name: str, where: str, shape_text: str, ndim: int, tail: tuple[int, ...] = (), n: int | None = None
) -> np.ndarray:
    """``value`` as finite float64 with ``ndim`` dimensions, trailing shape ``tail`` and ``n`` rows."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: {name} must be a numeric array of shape {shape_text}") from e
    if arr.ndim != ndim or arr.shape[1 : 1 + len(tail)] != tail or (n is not None and arr.shape[0] != n):
        raise ValueError(f"{where}: {name} must have shape {shape_text}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: {name} has NaN or Inf values")
    return arr


def _positive(arr: np.ndarray, name: str, where: str) -> None:
    if arr.size and float(arr.min()) <= 0:
        raise ValueError(f"{where}: {name} must be > 0, got a minimum of {float(arr.min())}")


# -------------------------------------------------------------------------------------------------------- geometry


def _basis(geometry: CArmGeometry) -> tuple[np.ndarray, np.ndarray, float]:
    """The source, the ray basis ``(d0, U, V)`` as rows of a ``(3, 3)`` array and ``|d0|^2``."""
    source = geometry.source_position()
    centre, row_dir, col_dir = geometry.detector_frame()
    d0 = centre - source
    return source, np.stack([d0, geometry.pixel_mm * col_dir, geometry.pixel_mm * row_dir]), float(d0 @ d0)


def _bboxes(geometry: CArmGeometry, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Detector boxes ``(N, 4)``: ``(row0, row1, col0, col1)`` (ends exclusive) of world boxes ``[lo, hi]`` ``(N, 3)``.

    The projections of the 8 corners bound the projection of anything inside the box when the whole box lies in front
    of the source; a box straddling the source plane gets the whole detector, one behind the source an empty box.
    """
    rows, cols = geometry.detector_shape
    pick = np.array([[(k >> i) & 1 for i in range(3)] for k in range(8)], dtype=bool)  # (8, 3)
    corners = np.where(pick, hi[:, None, :], lo[:, None, :])  # (N, 8, 3)
    depth = (corners - geometry.source_position()) @ geometry.beam_direction()
    front = np.all(depth > 1e-9 * geometry.sid_mm, axis=1)
    behind = np.all(depth <= 0, axis=1)
    out = np.zeros((lo.shape[0], 4), dtype=np.int64)
    out[:] = (0, rows, 0, cols)
    if front.any():
        colrow = geometry.project_points(corners[front])  # (F, 8, 2) as (col, row)
        cmin = np.clip(colrow[..., 0].min(axis=1), -2.0, cols + 2.0)
        cmax = np.clip(colrow[..., 0].max(axis=1), -2.0, cols + 2.0)
        rmin = np.clip(colrow[..., 1].min(axis=1), -2.0, rows + 2.0)
        rmax = np.clip(colrow[..., 1].max(axis=1), -2.0, rows + 2.0)
        out[front, 0] = np.clip(np.floor(rmin) - 1, 0, rows)
        out[front, 1] = np.clip(np.ceil(rmax) + 2, 0, rows)
        out[front, 2] = np.clip(np.floor(cmin) - 1, 0, cols)
        out[front, 3] = np.clip(np.ceil(cmax) + 2, 0, cols)
    out[behind] = 0
    return out


def _subgrid(start: np.ndarray, size: int, n_total: int, ss: int) -> np.ndarray:
    """Ray coordinates from the detector centre ``(G, size * ss)`` for boxes starting at pixel ``start`` ``(G,)``."""
    sub = (np.arange(ss) + 0.5) / ss - 0.5
    offsets = (np.arange(size)[:, None] + sub).ravel() - (n_total - 1) / 2
    return start[:, None] + offsets


def _bucket(n: np.ndarray, down: bool = False) -> np.ndarray:
    """Box sizes rounded up (or down) to a few values per octave (at most 25 % more), to batch similar boxes."""
    n = np.maximum(np.asarray(n, dtype=np.int64), 1)
    step = np.where(n <= 8, 1, 2 ** np.maximum(np.floor(np.log2(n)).astype(np.int64) - 2, 0))
    return n // step * step if down else -(-n // step) * step


def _reduce(chord: np.ndarray, ss: int) -> np.ndarray:
    """Average ``(G, H * ss, W * ss)`` sub-pixel values to ``(G, H, W)`` pixels."""
    if ss == 1:
        return chord
    cols = chord[:, :, 0::ss].copy()  # strided adds: much faster than a reshaped sum over two axes
    for j in range(1, ss):
        cols += chord[:, :, j::ss]
    out = cols[:, 0::ss].copy()
    for i in range(1, ss):
        out += cols[:, i::ss]
    out *= 1.0 / ss**2
    return out


# ------------------------------------------------------------------------------------------------------ ellipsoids


def ellipsoid_line_integrals(
    geometry: CArmGeometry,
    centres: np.ndarray,
    semi_axes: np.ndarray,
    densities: np.ndarray,
    rotations: np.ndarray | None = None,
    supersample: int = 1,
) -> np.ndarray:
    """Line integrals of a sum of uniform ellipsoids (a Shepp-Logan-like phantom) for one view.

    Args:
        geometry: the view.
        centres: ``(E, 3)`` ellipsoid centres, world mm.
        semi_axes: ``(E, 3)`` semi-axis lengths in mm (> 0), along the ellipsoid's own axes.
        densities: ``(E,)`` attenuation per mm added inside each ellipsoid (negative for a hole in another one).
        rotations: ``(E, 3, 3)`` orthonormal matrices whose columns are the ellipsoid's axes in world coordinates;
            ``None`` aligns every ellipsoid with the world axes.
        supersample: ``s``: each pixel averages ``s x s`` rays on a sub-pixel grid.

    Returns:
        ``(rows, cols)`` float32 line integrals ``sum_e density_e * chord_e``.

    Raises:
        TypeError: when ``geometry`` is not a :class:`~monai_angio.projection.geometry.CArmGeometry`.
        ValueError: on wrong shapes, non-finite values, non-positive semi-axes, non-orthonormal rotations or
            ``supersample < 1``.
    """
    where = "ellipsoid_line_integrals"
    _check_geometry(geometry, where)
    ss = _check_supersample(supersample, where)
    centres = _array(centres, "centres", where, "(E, 3)", 2, (3,))
    n = centres.shape[0]
    semi_axes = _array(semi_axes, "semi_axes", where, f"(E, 3) = ({n}, 3)", 2, (3,), n)
    _positive(semi_axes, "semi_axes", where)
    densities = _array(densities, "densities", where, f"(E,) = ({n},)", 1, (), n)
    if rotations is None:
        rotations = np.broadcast_to(np.eye(3), (n, 3, 3))
    else:
        rotations = _array(rotations, "rotations", where, f"(E, 3, 3) = ({n}, 3, 3)", 3, (3, 3), n)
        err = np.abs(np.swapaxes(rotations, 1, 2) @ rotations - np.eye(3)).max(initial=0.0)
        if err > 1e-6:
            raise ValueError(f"{where}: rotations must be orthonormal (R^T R = I within 1e-6), off by {err:.3g}")

    rows, cols = geometry.detector_shape
    out = np.zeros((rows, cols))
    source, basis, dd0 = _basis(geometry)
    p2 = geometry.pixel_mm**2
    # axis-aligned world box of each ellipsoid: half-widths sqrt(sum_j (R_ij a_j)^2)
    half = np.sqrt(np.einsum("eij,ej->ei", rotations**2, semi_axes**2))
    boxes = _bboxes(geometry, centres - half, centres + half)
    for e in np.flatnonzero((densities != 0) & (boxes[:, 1] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 2])):
        r0, r1, c0, c1 = (int(v) for v in boxes[e])
        to_unit = rotations[e].T / semi_axes[e][:, None]  # world -> normalised frame
        q0 = to_unit @ (source - centres[e])
        g = to_unit @ basis.T  # qd = g @ (1, kappa, rho)
        quad = g.T @ g  # A = x^T quad x
        lin = q0 @ g  # B = lin . x
        c_term = float(q0 @ q0) - 1.0
        kap = _subgrid(np.array([c0]), c1 - c0, cols, ss)[0]
        a_k = quad[0, 0] + 2 * quad[0, 1] * kap + quad[1, 1] * kap**2
        b_k = lin[0] + lin[1] * kap
        dd_k = dd0 + p2 * kap**2
        step = max(1, _BLOCK // (kap.size * ss)) * ss  # sub-rows per block, a multiple of ss
        rho_all = _subgrid(np.array([r0]), r1 - r0, rows, ss)[0]
        for s0 in range(0, rho_all.size, step):
            rho = rho_all[s0 : s0 + step, None]
            a = a_k + (2 * quad[0, 2] + quad[2, 2] * rho) * rho + (2 * quad[1, 2] * rho) * kap
            b = b_k + lin[2] * rho
            disc = b * b - a * c_term
            np.maximum(disc, 0.0, out=disc)
            np.sqrt(disc, out=disc)
            inv = 1.0 / a
            t1 = np.clip((-b - disc) * inv, 0.0, 1.0)
            t2 = np.clip((disc - b) * inv, 0.0, 1.0)
            chord = (t2 - t1) * np.sqrt(dd_k + p2 * rho**2)
            block = _reduce(chord[None], ss)[0]
            rr = r0 + s0 // ss
            out[rr : rr + block.shape[0], c0:c1] += densities[e] * block
    return out.astype(np.float32)


# ------------------------------------------------------------------------------------------------------- cylinders


def _cylinder_chords(
    coef: np.ndarray,
    m_a: np.ndarray,
    length: np.ndarray,
    r2: np.ndarray,
    c_par: np.ndarray,
    dd0: float,
    p2: float,
    kap: np.ndarray,
    rho: np.ndarray,
    m_caps: np.ndarray,
) -> np.ndarray:
    """Chords in mm ``(G, Hs, Ws)`` of ``G`` pieces with the rays ``kap`` ``(G, Ws)`` x ``rho`` ``(G, Hs)``.

    ``coef`` ``(G, 5, 3)`` holds the constant, ``kappa`` and ``rho`` coefficients of ``d . a``, ``d . n``,
    ``d . w0``, ``d . n0`` and ``d . n1`` (the cap normals); ``m_a``, ``length``, ``r2`` (radius squared) and
    ``c_par = |w0|^2 - r^2`` are ``(G,)``, ``m_caps`` ``(G, 2)`` holds ``(S - p0) . n0`` and ``(S - p1) . n1``.
    """

    def linear(i: int) -> np.ndarray:
        return (coef[:, i, 0, None] + coef[:, i, 1, None] * kap)[:, None, :] + (coef[:, i, 2, None] * rho)[:, :, None]

    da, dn, dw = linear(0), linear(1), linear(2)
    dd = (dd0 + p2 * kap**2)[:, None, :] + (p2 * rho**2)[:, :, None]
    a = dd - da * da
    sq = r2[:, None, None] * a
    sq -= dn * dn
    np.maximum(sq, 0.0, out=sq)
    np.sqrt(sq, out=sq)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1.0 / a
        t1 = (-dw - sq) * inv  # entry into / exit from the infinite cylinder
        t2 = (sq - dw) * inv
        # the start cap keeps m0 + t e0 >= 0, the end cap m1 + t e1 <= 0 (half-spaces of the cap planes)
        lo = np.zeros_like(a)
        hi = np.ones_like(a)
        for i, sign in ((3, 1.0), (4, -1.0)):
            e = sign * linear(i)
            m = sign * m_caps[:, i - 3, None, None]
            root = -m / e
            lo = np.where(e > 0, np.fmax(lo, root), lo)
            hi = np.where(e < 0, np.fmin(hi, root), hi)
            hi = np.where((e == 0) & (m < 0), -1.0, hi)
        chord = np.fmin(hi, t2)
        chord -= np.fmax(lo, t1)
        np.fmax(chord, 0.0, out=chord)
    parallel = a <= _PARALLEL_SIN2 * dd
    if parallel.any():  # a ray along the axis: the slab length where the ray is inside the radius
        idx = np.nonzero(parallel)
        lo_p, hi_p = lo[idx], hi[idx]
        mid = 0.5 * (lo_p + hi_p)
        inside = a[idx] * mid * mid + 2.0 * dw[idx] * mid + c_par[idx[0]] <= 0.0
        chord[idx] = np.where(inside & (hi_p > lo_p), hi_p - lo_p, 0.0)
    chord *= np.sqrt(dd)
    return chord


def cylinder_line_integrals(
    geometry: CArmGeometry,
    starts: np.ndarray,
    ends: np.ndarray,
    radii: np.ndarray,
    weights: np.ndarray,
    supersample: int = 1,
    start_normals: np.ndarray | None = None,
    end_normals: np.ndarray | None = None,
) -> np.ndarray:
    """Line integrals of finite right circular cylinders with flat end caps (vessel pieces) for one view.

    Each piece is evaluated only on its detector bounding box; pieces with similar boxes are batched. The chord of
    every (pixel, piece) pair is computed once and all ``K`` weight sets are applied to it. A zero-length piece adds
    nothing.

    Args:
        geometry: the view.
        starts: ``(S, 3)`` axis start points, world mm.
        ends: ``(S, 3)`` axis end points, world mm.
        radii: ``(S,)`` radii in mm (> 0).
        weights: ``(S,)`` or ``(S, K)`` attenuation per mm inside each piece (``K`` weight sets, e.g. contrast at
            ``K`` times, sharing the geometry).
        supersample: ``s``: each pixel averages ``s x s`` rays on a sub-pixel grid.
        start_normals, end_normals: ``(S, 3)`` normals of the cap planes through ``starts`` and ``ends`` (default
            the axis: caps perpendicular to it), each within 60 degrees of the axis. Mitred caps (the bisector plane
            of two consecutive pieces, :func:`chain_cap_normals`) make a bent chain of pieces tile its tube with
            no wedge gaps or overlaps at the joints.

    Returns:
        ``(rows, cols)`` float32 line integrals ``sum_s weight_s * chord_s`` for ``(S,)`` weights, ``(K, rows,
        cols)`` for ``(S, K)``.

    Raises:
        TypeError: when ``geometry`` is not a :class:`~monai_angio.projection.geometry.CArmGeometry`.
        ValueError: on wrong shapes, non-finite values, non-positive radii or ``supersample < 1``.
    """
    where = "cylinder_line_integrals"
    _check_geometry(geometry, where)
    ss = _check_supersample(supersample, where)
    starts = _array(starts, "starts", where, "(S, 3)", 2, (3,))
    n = starts.shape[0]
    ends = _array(ends, "ends", where, f"(S, 3) = ({n}, 3)", 2, (3,), n)
    radii = _array(radii, "radii", where, f"(S,) = ({n},)", 1, (), n)
    _positive(radii, "radii", where)
    try:
        weights = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: weights must be a numeric array of shape (S,) or (S, K) with S = {n}") from e
    if weights.ndim not in (1, 2):
        raise ValueError(f"{where}: weights must have shape (S,) or (S, K) with S = {n}, got {weights.shape}")
    single = weights.ndim == 1
    weights = _array(weights, "weights", where, f"(S,) or (S, K) with S = {n}", weights.ndim, (), n)
    w2 = weights[:, None] if single else weights
    k_sets = w2.shape[1]
    rows, cols = geometry.detector_shape
    out = np.zeros((k_sets, rows * cols))

    axis = ends - starts
    length = np.linalg.norm(axis, axis=1)
    keep = (length > 0) & np.any(w2 != 0, axis=1)
    source, basis, dd0 = _basis(geometry)
    p2 = geometry.pixel_mm**2
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = axis / length[:, None]
    normals = []
    for name, given in (("start_normals", start_normals), ("end_normals", end_normals)):
        if given is None:
            normals.append(np.nan_to_num(unit))
            continue
        given = _array(given, name, where, f"(S, 3) = ({n}, 3)", 2, (3,), n)
        norm = np.linalg.norm(given, axis=1)
        cos = np.einsum("si,si->s", given, np.nan_to_num(unit)) / np.where(norm > 0, norm, 1.0)
        if np.any((length > 0) & (cos < 0.5)):
            raise ValueError(f"{where}: {name} must lie within 60 degrees of each piece's axis (start -> end)")
        normals.append(given / np.where(norm > 0, norm, 1.0)[:, None])
    cos_caps = np.minimum(*(np.einsum("si,si->s", c, np.nan_to_num(unit)) for c in normals))
    tilt = np.sqrt(1.0 / np.maximum(cos_caps, 0.5) ** 2 - 1.0)  # tan of the caps' largest tilt from the axis
    half = radii[:, None] * np.sqrt(np.clip(1.0 - unit**2, 0.0, 1.0))  # box of the two end discs
    half = half + (radii * tilt)[:, None]  # a tilted cap reaches r tan(tilt) along the axis
    boxes = _bboxes(geometry, np.minimum(starts, ends) - half, np.maximum(starts, ends) + half)
    keep &= (boxes[:, 1] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 2])
    ids = np.flatnonzero(keep)
    if ids.size == 0:
        return out.reshape(k_sets, rows, cols).astype(np.float32)[0 if single else slice(None)]

    unit, length, radii, boxes = unit[ids], length[ids], radii[ids], boxes[ids]
    m = source - starts[ids]
    m_a = np.einsum("si,si->s", m, unit)
    w0 = m - m_a[:, None] * unit
    normal = np.cross(unit, m)
    n0, n1 = normals[0][ids], normals[1][ids]
    coef = np.stack([unit, normal, w0, n0, n1], axis=1) @ basis.T  # (P, 5 quantities, 3 coefficients)
    m_caps = np.stack([np.einsum("si,si->s", m, n0), np.einsum("si,si->s", source - ends[ids], n1)], axis=1)
    r2 = radii**2
    c_par = np.einsum("si,si->s", w0, w0) - r2
    w_sets = np.ascontiguousarray(w2[ids].T)  # (K, P)

    # jobs: a piece's box, cut into strips of rows where it is large (a long piece), so that blocks stay small
    # similar boxes are batched: sizes rounded up (the grown box stays on the detector, extra rows are masked)
    wb_piece = np.minimum(_bucket(boxes[:, 3] - boxes[:, 2]), cols)
    strip = _bucket(np.maximum(1, _BLOCK // (wb_piece * ss * ss)), down=True)
    n_strips = -(-(boxes[:, 1] - boxes[:, 0]) // strip)
    piece = np.repeat(np.arange(ids.size), n_strips)
    first = np.repeat(np.cumsum(n_strips) - n_strips, n_strips)
    j_r0 = boxes[piece, 0] + (np.arange(piece.size) - first) * strip[piece]
    j_r1 = np.minimum(j_r0 + strip[piece], boxes[piece, 1])
    hb = np.minimum(_bucket(j_r1 - j_r0), rows)
    wb = wb_piece[piece]
    r0 = np.minimum(j_r0, rows - hb)
    c0 = np.minimum(boxes[piece, 2], cols - wb)
    order = np.lexsort((wb, hb))
    keys = hb[order] * (cols + 1) + wb[order]
    splits = np.flatnonzero(np.diff(keys)) + 1

    buffered: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    count = 0

    def flush() -> None:
        flat = np.concatenate([b[0] for b in buffered])
        chord = np.concatenate([b[1] for b in buffered])
        owner = np.concatenate([b[2] for b in buffered])
        for k in range(k_sets):
            out[k] += np.bincount(flat, chord * w_sets[k][owner], minlength=rows * cols)
        buffered.clear()

    for group in np.split(order, splits):
        h, w = int(hb[group[0]]), int(wb[group[0]])
        per_block = max(1, _BLOCK // (h * w * ss * ss))
        for s0 in range(0, group.size, per_block):
            sel = group[s0 : s0 + per_block]
            p = piece[sel]
            kap = _subgrid(c0[sel].astype(np.float64), w, cols, ss)
            rho = _subgrid(r0[sel].astype(np.float64), h, rows, ss)
            chord = _cylinder_chords(coef[p], m_a[p], length[p], r2[p], c_par[p], dd0, p2, kap, rho, m_caps[p])
            chord = _reduce(chord, ss)
            row = r0[sel, None] + np.arange(h)
            chord *= ((row >= j_r0[sel, None]) & (row < j_r1[sel, None]))[:, :, None]
            flat = row[:, :, None] * cols + (c0[sel, None] + np.arange(w))[:, None, :]
            hit = chord != 0  # most of a box is usually missed
            buffered.append((flat[hit], chord[hit], np.broadcast_to(p[:, None, None], hit.shape)[hit]))
            count += buffered[-1][0].size
            if count >= _FLUSH:
                flush()
                count = 0
    if buffered:
        flush()
    result = out.reshape(k_sets, rows, cols).astype(np.float32)
    return result[0] if single else result


def chain_cap_normals(
    starts: np.ndarray, ends: np.ndarray, previous: np.ndarray, max_bend_deg: float = 100.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mitred cap normals for pieces that continue one another (vessel centerlines cut into pieces).

    Where piece ``s`` continues piece ``p = previous[s]`` (``ends[p] == starts[s]``), the joint's cap plane is the
    bisector of the two axes (normal ``a_p + a_s``), shared by the end of ``p`` and the start of ``s``; other caps,
    and joints bent more than ``max_bend_deg``, stay perpendicular.

    Args:
        starts, ends: ``(S, 3)`` the pieces' axes.
        previous: ``(S,)`` index of the piece each one continues, ``-1`` for none (a root or a branch's first piece:
            a piece continued by two others keeps its perpendicular cap).
        max_bend_deg: sharper joints keep perpendicular caps (mitred caps must lie within 60 degrees of the axis).

    Returns:
        ``(start_normals, end_normals)``, ``(S, 3)`` unit vectors for :func:`cylinder_line_integrals`.
    """
    axis = np.asarray(ends, dtype=np.float64) - np.asarray(starts, dtype=np.float64)
    length = np.linalg.norm(axis, axis=1, keepdims=True)
    unit = np.divide(axis, length, out=np.zeros_like(axis), where=length > 0)
    start_n, end_n = unit.copy(), unit.copy()
    previous = np.asarray(previous, dtype=np.int64)
    if previous.shape != (len(axis),):
        raise ValueError(f"chain_cap_normals: previous must have shape (S,) = ({len(axis)},), got {previous.shape}")
    s = np.flatnonzero(previous >= 0)
    p = previous[s]
    if p.size and (p.max() >= len(axis)):
        raise ValueError("chain_cap_normals: previous holds an index beyond the pieces")
    counts = np.bincount(p, minlength=len(axis))
    bisector = unit[p] + unit[s]
    norm = np.linalg.norm(bisector, axis=1)
    cos_bend = np.einsum("si,si->s", unit[p], unit[s])
    ok = (counts[p] == 1) & (norm > 0) & (cos_bend >= np.cos(np.radians(min(max_bend_deg, 119.0))))
    bisector = bisector[ok] / norm[ok, None]
    start_n[s[ok]] = bisector
    end_n[p[ok]] = bisector
    return start_n, end_n
