# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Random branching vessel trees (tapered, curved centerlines) and their projection thickness maps.

Coordinates are "scene units": the shorter image side has length 1, ``x`` runs along columns and ``y`` along rows.
A tree is a list of :class:`VesselSegment` polylines; :func:`rasterize_vessel_tree` turns it into the projected lumen
thickness (the chord length ``2 * sqrt(r**2 - d**2)`` of a cylinder of radius ``r`` at distance ``d`` from its axis)
on a pixel grid, together with the path distance from the root, which drives bolus arrival times.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

__all__ = ["VesselSegment", "grow_vessel_tree", "rasterize_vessel_tree"]


@dataclass
class VesselSegment:
    """One unbranched vessel piece.

    Attributes:
        points: ``(N, 2)`` centerline points ``(x, y)`` in scene units.
        radii: ``(N,)`` lumen radius at each point (scene units).
        path_length: ``(N,)`` distance along the tree from the root to each point (scene units).
        depth: generation number (0 for the root segment).
        parent: index of the parent segment in the tree list, -1 for the root.
    """

    points: np.ndarray
    radii: np.ndarray
    path_length: np.ndarray
    depth: int
    parent: int


def _murray_angles(r0: float, r1: float, r2: float) -> tuple[float, float]:
    """Branching angles (radians) of children ``r1``, ``r2`` from a parent ``r0`` minimising the work of flow."""

    def angle(a: float, b: float) -> float:
        c = (r0**4 + a**4 - b**4) / (2.0 * r0**2 * a**2)
        return math.acos(min(1.0, max(-1.0, c)))

    return angle(r1, r2), angle(r2, r1)


def grow_vessel_tree(
    rng: np.random.Generator,
    extent: tuple[float, float],
    root: tuple[float, float],
    direction: float,
    root_radius: float = 0.015,
    min_radius: float = 0.003,
    max_depth: int = 6,
    max_segments: int = 96,
    step: float = 0.006,
    length_scale: float = 0.3,
    curvature: float = 4.0,
    side_branch_prob: float = 0.5,
    taper: float = 0.85,
    fan: float = 0.015,
) -> list[VesselSegment]:
    """Grow a random bifurcating tree of tapered vessels.

    Radii follow Murray's law at bifurcations (``r0**3 = r1**3 + r2**3``) with branching angles from the minimum-work
    rule; segment length scales with ``radius**0.75``; centerlines bend with a smooth random curvature and are steered
    back toward the field of view near its border. Growth is breadth first, so ``max_segments`` trims the finest
    generation evenly.

    Args:
        rng: random generator (the only source of randomness).
        extent: ``(width, height)`` of the field of view in scene units.
        root: ``(x, y)`` start of the root segment.
        direction: initial heading of the root in radians (0 = +x, pi/2 = +y, i.e. downward).
        root_radius: radius at the root.
        min_radius: vessels thinner than this do not branch further.
        max_depth: maximum generation.
        max_segments: maximum number of segments.
        step: centerline point spacing.
        length_scale: length of a segment whose radius is ``root_radius``.
        curvature: typical curvature (radians per scene unit).
        side_branch_prob: probability that a segment gives off a small side branch.
        taper: radius ratio between the end and the start of a segment.
        fan: per-step pull of the heading toward the direction away from the root (0 disables it).

    Returns:
        list of :class:`VesselSegment`, parents before children.
    """
    width, height = float(extent[0]), float(extent[1])
    centre = np.array([0.5 * width, 0.5 * height])
    root_pt = np.asarray(root, dtype=float)
    segments: list[VesselSegment] = []
    # queue items: start point, heading, start radius, start path length, depth, parent
    queue: deque = deque([(np.asarray(root, dtype=float), float(direction), root_radius, 0.0, 0, -1)])
    lo = np.array([-0.04, -0.04])
    hi = np.array([width + 0.04, height + 0.04])
    while queue and len(segments) < max_segments:
        p0, theta, r0, s0, depth, parent = queue.popleft()
        length = length_scale * (r0 / root_radius) ** 0.75 * rng.uniform(0.7, 1.3)
        n = max(3, int(math.ceil(length / step)))
        k_amp = curvature * rng.uniform(0.3, 1.0) * rng.choice((-1.0, 1.0))
        k_freq = rng.uniform(1.0, 3.0) / max(length, step)
        k_phase = rng.uniform(0.0, 2.0 * math.pi)
        pts = [p0]
        head = theta
        for i in range(1, n + 1):
            s = i * step
            head += step * (k_amp * math.sin(2.0 * math.pi * k_freq * s + k_phase)) + rng.normal(0.0, 0.6 * step**0.5)
            p = pts[-1]
            # steer back toward the field of view when close to its border and heading outward
            # weak pull away from the root: the tree fans out instead of looping back
            away = p - root_pt
            if away @ away > 1e-6:
                diff = (math.atan2(away[1], away[0]) - head + math.pi) % (2.0 * math.pi) - math.pi
                head += fan * diff
            margin = min(p[0], p[1], width - p[0], height - p[1])
            if margin < 0.06:
                to_c = centre - p
                want = math.atan2(to_c[1], to_c[0])
                diff = (want - head + math.pi) % (2.0 * math.pi) - math.pi
                if abs(diff) > 0.4 * math.pi:  # heading outward or along the border
                    head += diff * 0.06 * (0.06 - max(margin, 0.0)) / 0.06
            q = p + step * np.array([math.cos(head), math.sin(head)])
            pts.append(q)
            if np.any(q < lo) or np.any(q > hi):
                break
        points = np.asarray(pts, dtype=np.float64)
        seg_len = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
        frac = seg_len / max(seg_len[-1], 1e-9)
        radii = r0 * (1.0 - (1.0 - taper) * frac)
        index = len(segments)
        segments.append(VesselSegment(points, radii, s0 + seg_len, depth, parent))
        left_fov = np.any(points[-1] < lo) or np.any(points[-1] > hi)
        # side branch from the middle of the segment
        if r0 > 2.5 * min_radius and len(points) > 6 and rng.random() < side_branch_prob:
            j = int(rng.integers(len(points) // 4, 3 * len(points) // 4))
            d = points[min(j + 1, len(points) - 1)] - points[j - 1]
            h = math.atan2(d[1], d[0]) + rng.choice((-1.0, 1.0)) * math.radians(rng.uniform(45.0, 80.0))
            rs = radii[j] * rng.uniform(0.35, 0.6)
            queue.append((points[j], h, rs, s0 + seg_len[j], depth + 1, index))
        r_end = radii[-1]
        if left_fov or depth + 1 > max_depth or r_end < min_radius:
            continue
        q = rng.uniform(0.55, 1.0)  # asymmetry of the split
        r1 = r_end / (1.0 + q**3) ** (1.0 / 3.0)
        r2 = q * r1
        a1, a2 = _murray_angles(r_end, r1, r2)
        side = rng.choice((-1.0, 1.0))
        d = points[-1] - points[-2]
        h = math.atan2(d[1], d[0])
        jitter = math.radians(8.0)
        h1 = h + side * min(a1 + rng.normal(0.0, jitter), math.radians(80.0))
        h2 = h - side * min(a2 + rng.normal(0.0, jitter), math.radians(85.0))
        s_end = s0 + seg_len[-1]
        queue.append((points[-1], h1, r1, s_end, depth + 1, index))
        queue.append((points[-1], h2, r2, s_end, depth + 1, index))
    return segments


def rasterize_vessel_tree(
    segments: list[VesselSegment],
    shape: tuple[int, int],
    scale: float,
    origin: tuple[float, float] = (0.0, 0.0),
    antialias_px: float = 0.5,
    chunk: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Project a tree onto a pixel grid.

    Each segment contributes the chord length of its (tapered) cylinder, ``2 * sqrt(r**2 - d**2)``, taking the maximum
    over its pieces (no double counting at polyline joints). Different segments add up (crossing vessels overlap as in
    a projection), except near junctions, where the lumina merge and the maximum is taken instead. Sub-pixel vessels
    are anti-aliased by widening the profile to ``r_eff = sqrt(r**2 + antialias_px**2)`` while keeping its area
    ``pi * r**2``.

    Args:
        segments: tree from :func:`grow_vessel_tree`.
        shape: ``(H, W)`` of the output grid.
        scale: pixels per scene unit.
        origin: scene coordinates ``(x, y)`` of the centre of pixel ``(0, 0)``.
        antialias_px: anti-aliasing width in pixels (0 disables it).
        chunk: polyline pieces processed together (memory/speed trade-off).

    Returns:
        ``thickness (H, W)`` float32 in pixels, and ``path (H, W)`` float32, the (thickness-weighted) path distance
        from the root (scene units) of the vessels covering each pixel (0 where there is no vessel).
    """
    h, w = int(shape[0]), int(shape[1])
    total = np.zeros((h, w), np.float32)
    path_weighted = np.zeros((h, w), np.float32)
    top = np.zeros((h, w), np.float32)
    top_path = np.zeros((h, w), np.float32)
    junction = np.zeros((h, w), bool)
    aa2 = float(antialias_px) ** 2
    org = np.asarray(origin, dtype=np.float64)
    for seg in segments:
        pts = (seg.points - org) * scale  # pixel coordinates (x = column, y = row)
        rad, sp = seg.radii * scale, seg.path_length
        if len(pts) < 2:
            continue
        pad = float(rad.max()) + 2.0 + antialias_px
        x0 = max(int(math.floor(pts[:, 0].min() - pad)), 0)
        x1 = min(int(math.ceil(pts[:, 0].max() + pad)) + 1, w)
        y0 = max(int(math.floor(pts[:, 1].min() - pad)), 0)
        y1 = min(int(math.ceil(pts[:, 1].max() + pad)) + 1, h)
        if 0 <= seg.parent < len(segments):  # merge region around the junction with the parent
            par = segments[seg.parent]
            k = int(np.argmin(np.sum((par.points - seg.points[0]) ** 2, axis=1)))
            jr = 2.2 * float(par.radii[k]) * scale + 1.0
            jx, jy = pts[0]
            jx0, jx1 = max(int(jx - jr), 0), min(int(jx + jr) + 2, w)
            jy0, jy1 = max(int(jy - jr), 0), min(int(jy + jr) + 2, h)
            if jx1 > jx0 and jy1 > jy0:
                gx = np.arange(jx0, jx1, dtype=np.float32)[None, :] - np.float32(jx)
                gy = np.arange(jy0, jy1, dtype=np.float32)[:, None] - np.float32(jy)
                junction[jy0:jy1, jx0:jx1] |= gx * gx + gy * gy <= jr * jr
        if x1 <= x0 or y1 <= y0:
            continue
        seg_t = np.zeros((y1 - y0, x1 - x0), np.float32)
        seg_s = np.zeros((y1 - y0, x1 - x0), np.float32)
        for i in range(0, len(pts) - 1, chunk):
            a = pts[i : i + chunk + 1]
            ra, sa = rad[i : i + chunk + 1], sp[i : i + chunk + 1]
            cx0 = max(int(math.floor(a[:, 0].min() - pad)), x0)
            cx1 = min(int(math.ceil(a[:, 0].max() + pad)) + 1, x1)
            cy0 = max(int(math.floor(a[:, 1].min() - pad)), y0)
            cy1 = min(int(math.ceil(a[:, 1].max() + pad)) + 1, y1)
            if cx1 <= cx0 or cy1 <= cy0:
                continue
            xx = np.arange(cx0, cx1, dtype=np.float32)[None, None, :]
            yy = np.arange(cy0, cy1, dtype=np.float32)[None, :, None]
            ax = a[:-1, 0].astype(np.float32)[:, None, None]
            ay = a[:-1, 1].astype(np.float32)[:, None, None]
            dx = (a[1:, 0] - a[:-1, 0]).astype(np.float32)[:, None, None]
            dy = (a[1:, 1] - a[:-1, 1]).astype(np.float32)[:, None, None]
            len2 = np.maximum(dx * dx + dy * dy, np.float32(1e-12))
            px, py = xx - ax, yy - ay
            t = np.clip((px * dx + py * dy) / len2, 0.0, 1.0)
            ex, ey = px - t * dx, py - t * dy
            d2 = ex * ex + ey * ey
            r0 = ra[:-1].astype(np.float32)[:, None, None]
            r = r0 + t * (ra[1:].astype(np.float32)[:, None, None] - r0)
            r2 = r * r
            reff2 = r2 + np.float32(aa2)
            prof = 2.0 * np.sqrt(np.maximum(reff2 - d2, 0.0)) * (r2 / reff2)
            best = np.argmax(prof, axis=0)[None]
            tc = np.take_along_axis(prof, best, axis=0)[0]
            s0 = sa[:-1].astype(np.float32)[:, None, None]
            sc = np.take_along_axis(s0 + t * (sa[1:].astype(np.float32)[:, None, None] - s0), best, axis=0)[0]
            sub_t = seg_t[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
            sub_s = seg_s[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
            better = tc > sub_t
            sub_t[better] = tc[better]
            sub_s[better] = sc[better]
        total[y0:y1, x0:x1] += seg_t
        path_weighted[y0:y1, x0:x1] += seg_t * seg_s
        top_view, top_s = top[y0:y1, x0:x1], top_path[y0:y1, x0:x1]
        better = seg_t > top_view
        top_view[better] = seg_t[better]
        top_s[better] = seg_s[better]
    path = np.divide(path_weighted, total, out=np.zeros_like(total), where=total > 1e-6)
    thickness = np.where(junction, top, total)
    path = np.where(junction, top_path, path)
    return thickness.astype(np.float32), path.astype(np.float32)
