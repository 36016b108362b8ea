# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Random 3D vessel trees (cerebral arteries and veins, coronary arteries on a heart's surface) for a 3D phantom.

A :class:`VesselTree3D` is a set of nodes (centerline points in mm, world/patient LPS coordinates) with a lumen radius,
a parent index, the path distance from the root (which drives contrast arrival) and a bifurcation generation. The
pieces ``parent -> node`` (:meth:`VesselTree3D.segments`) are meant to be rendered as short finite cylinders.

:func:`grow_vessel_tree_3d` carries the rules of the 2D generator (:mod:`monai_angio.phantoms.vessel_tree`) into 3D:

* bifurcations follow Murray's law ``r0**3 = r1**3 + r2**3`` exactly at the branch node (the first node of each child
  has the child's radius), with a random asymmetry (symmetric splits to thin side branches);
* branching angles from the minimum-work rule, the two children in a random plane through the parent heading (the
  tangent plane when the tree is constrained to a surface);
* branch length ``length_factor * r**0.75 * U(0.6, 1.4)``, a gentle taper along each branch;
* smooth tortuosity: an Ornstein-Uhlenbeck process on the curvature vector, relatively stronger for small vessels;
* an optional region (``inside``) the vessels must stay in, steered back inward with a look-ahead, an optional
  manifold (``constrain``) the nodes are projected onto, and an optional weak attraction point;
* breadth-first growth (generation by generation, thicker branches first within a generation), so ``max_nodes`` trims
  the finest generation.

:func:`add_aneurysm` places a saccular aneurysm (a sphere) on the wall at a node; :func:`ellipsoid_inside` and
:func:`ellipsoid_surface` build the ``inside`` and ``constrain`` callables for axis-aligned ellipsoids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["VesselTree3D", "add_aneurysm", "ellipsoid_inside", "ellipsoid_surface", "grow_vessel_tree_3d"]

PointTest = Callable[[np.ndarray], np.ndarray]
PointMap = Callable[[np.ndarray], np.ndarray]

# asymmetry q = r2 / r1 of a split: with this probability near-symmetric, otherwise a side branch
_P_SYMMETRIC = 0.35
_Q_SYMMETRIC = (0.75, 1.0)
_Q_SIDE = (0.25, 0.75)
_TAPER = (0.93, 0.99)  # radius ratio between the last and the first node of a branch
_LENGTH_JITTER = (0.6, 1.4)
_ANGLE_JITTER = math.radians(8.0)
_MAX_ANGLE = (math.radians(80.0), math.radians(85.0))  # caps for the larger and the smaller child
# tortuosity: curvature std (rad/mm per component) at tortuosity 1 for a 1 mm vessel, scaling as r**-0.75
_CURVATURE = 0.07
_MAX_TURN = 0.3  # rad per step, also the steering turn rate
_LOOK_AHEAD = 4.0  # steering look-ahead in steps
_ATTRACTION_RATE = 0.04  # heading pull toward the attraction point, rad per mm (times sin of the angle)
_STEER_ANGLES = (0.25, 0.5, 0.8, 1.2, 1.6, 2.1, 2.6)  # rad, candidate headings around the current one
_STEER_AZIMUTHS = 8


def _unit(v: np.ndarray) -> np.ndarray:
    return v / math.sqrt(float(v @ v))


def _perpendiculars(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing the unit vector ``h`` to an orthonormal frame."""
    a = np.array([1.0, 0.0, 0.0]) if abs(h[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = _unit(a - (a @ h) * h)
    return e1, np.cross(h, e1)


def _murray_angles(r0: float, r1: float, r2: float) -> tuple[float, float]:
    """Branching angles (radians) of children ``r1``, ``r2`` from a parent ``r0`` minimising the work of flow."""

    def angle(a: float, b: float) -> float:
        c = (r0**4 + a**4 - b**4) / (2.0 * r0**2 * a**2)
        return math.acos(min(1.0, max(-1.0, c)))

    return angle(r1, r2), angle(r2, r1)


def _as_vec3(value: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be 3 finite numbers, got shape {v.shape}")
    return v


@dataclass(frozen=True, eq=False)
class VesselTree3D:
    """A 3D vessel tree as nodes with parent links (parents before children).

    Attributes:
        points: ``(N, 3)`` float64 node positions in mm (world, patient LPS: x left, y posterior, z head).
        radii: ``(N,)`` lumen radius at each node, mm.
        parent: ``(N,)`` int64 index of the parent node (always smaller than the node's index), -1 for a root.
        path_mm: ``(N,)`` distance along the tree from the root to the node, mm.
        generation: ``(N,)`` int64 bifurcation generation (0 on the trunk).

    The arrays are converted to these dtypes (not copied when they already match) and checked for consistent shapes
    and parent order; equality is identity (``eq=False``: numpy fields do not compare as one truth value).
    """

    points: np.ndarray
    radii: np.ndarray
    parent: np.ndarray
    path_mm: np.ndarray
    generation: np.ndarray

    def __post_init__(self) -> None:
        points = np.asarray(self.points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(f"points must have shape (N, 3), got {points.shape}")
        n = points.shape[0]
        fields = {
            "radii": np.asarray(self.radii, dtype=np.float64),
            "parent": np.asarray(self.parent, dtype=np.int64),
            "path_mm": np.asarray(self.path_mm, dtype=np.float64),
            "generation": np.asarray(self.generation, dtype=np.int64),
        }
        for name, arr in fields.items():
            if arr.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
        parent = fields["parent"]
        if np.any(parent < -1) or np.any(parent >= np.arange(n)):
            raise ValueError("parent must hold -1 or the index of an earlier node for every node")
        object.__setattr__(self, "points", points)
        for name, arr in fields.items():
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pieces ``parent -> node`` for every non-root node.

        Returns:
            ``starts (S, 3)`` (the parents' positions), ``ends (S, 3)`` (the nodes' positions), ``radii (S,)`` (mean of
            the two nodes' radii) and ``path_mm (S,)`` at the piece's midpoint (mean of the two nodes' path).
        """
        idx = np.flatnonzero(self.parent >= 0)
        par = self.parent[idx]
        return (
            self.points[par],
            self.points[idx],
            0.5 * (self.radii[par] + self.radii[idx]),
            0.5 * (self.path_mm[par] + self.path_mm[idx]),
        )

    def previous_pieces(self) -> np.ndarray:
        """For each piece of :meth:`segments`, the index of the piece it continues (the parent's own piece), ``-1``
        for the root's children, ``(S,)`` int64 (for mitred joints:
        :func:`~monai_angio.projection.analytic.chain_cap_normals`)."""
        idx = np.flatnonzero(self.parent >= 0)
        piece_of_node = np.full(len(self.parent), -1, dtype=np.int64)
        piece_of_node[idx] = np.arange(idx.size)
        return piece_of_node[self.parent[idx]]

    def mapped(self, fn: Callable[[np.ndarray], np.ndarray]) -> VesselTree3D:
        """The same tree with its points moved (motion, deformation).

        Args:
            fn: maps the ``(N, 3)`` points to ``(N, 3)`` new points.

        Returns:
            a tree with the same topology, radii, generations and ``path_mm`` (the tree's own, not recomputed).
        """
        new = np.asarray(fn(self.points.copy()), dtype=np.float64)
        if new.shape != self.points.shape:
            raise ValueError(f"fn must return shape {self.points.shape}, got {new.shape}")
        return VesselTree3D(new, self.radii.copy(), self.parent.copy(), self.path_mm.copy(), self.generation.copy())

    def tree_distance(self, node: int, max_mm: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
        """Distances along the tree (through parents and children, using ``path_mm``) from ``node``.

        Args:
            node: index of the start node.
            max_mm: only nodes within this distance are returned.

        Returns:
            ``indices (K,)`` int64 and ``distances (K,)`` mm of the nodes within ``max_mm`` (``node`` itself first).
        """
        n = len(self)
        node = self._check_node(node)
        order = np.argsort(self.parent, kind="stable")
        counts = np.bincount(self.parent[self.parent >= 0], minlength=n)
        first = np.concatenate([[0], np.cumsum(counts)]) + int(np.sum(self.parent < 0))
        dist = {node: 0.0}
        stack = [node]
        while stack:
            i = stack.pop()
            d = dist[i]
            nbrs = list(order[first[i] : first[i + 1]])
            if self.parent[i] >= 0:
                nbrs.append(int(self.parent[i]))
            for j in nbrs:
                j = int(j)
                if j in dist:
                    continue
                dj = d + abs(float(self.path_mm[j] - self.path_mm[i]))
                if dj <= max_mm:
                    dist[j] = dj
                    stack.append(j)
        return np.fromiter(dist.keys(), np.int64, len(dist)), np.fromiter(dist.values(), np.float64, len(dist))

    def with_stenosis(self, node: int, severity: float, length_mm: float) -> VesselTree3D:
        """The same tree with a stenosis centred at ``node``.

        The radius is multiplied by ``1 - severity * 0.5 * (1 + cos(2 * pi * d / length_mm))`` for the nodes at a
        distance ``d < length_mm / 2`` along the tree from ``node`` (across bifurcations too); the rest is unchanged.

        Args:
            node: index of the node at the narrowest point.
            severity: diameter (and radius) reduction at ``node``, in ``[0, 0.95]``.
            length_mm: total length of the narrowing along the tree, mm (> 0).

        Returns:
            a new tree (points, topology and ``path_mm`` unchanged).
        """
        node = self._check_node(node)
        if not 0.0 <= float(severity) <= 0.95:
            raise ValueError(f"severity must be in [0, 0.95], got {severity}")
        if not float(length_mm) > 0.0:
            raise ValueError(f"length_mm must be positive, got {length_mm}")
        idx, d = self.tree_distance(node, 0.5 * float(length_mm))
        factor = 1.0 - float(severity) * 0.5 * (1.0 + np.cos(2.0 * np.pi * d / float(length_mm)))
        radii = self.radii.copy()
        radii[idx] *= factor
        return VesselTree3D(self.points.copy(), radii, self.parent.copy(), self.path_mm.copy(), self.generation.copy())

    @property
    def leaves(self) -> np.ndarray:
        """``(L,)`` int64 indices of the nodes without children."""
        has_child = np.zeros(len(self), bool)
        has_child[self.parent[self.parent >= 0]] = True
        return np.flatnonzero(~has_child)

    def heading(self, node: int) -> np.ndarray:
        """``(3,)`` unit centerline direction at ``node`` (from its parent to its first child where both exist)."""
        node = self._check_node(node)
        children = np.flatnonzero(self.parent == node)
        a = int(self.parent[node]) if self.parent[node] >= 0 else node
        b = int(children[0]) if children.size else node
        v = self.points[b] - self.points[a]
        norm = float(np.linalg.norm(v))
        if a == b or norm == 0.0:
            raise ValueError(f"node {node} has no neighbour to define a heading")
        return v / norm

    def _check_node(self, node: int) -> int:
        n = len(self)
        if not isinstance(node, (int, np.integer)) or not -n <= int(node) < n:
            raise ValueError(f"node must be an index in [0, {n}), got {node!r}")
        return int(node) % n


def ellipsoid_inside(centre: Sequence[float], semi_axes: Sequence[float]) -> PointTest:
    """Point-in-ellipsoid test for an axis-aligned ellipsoid.

    Args:
        centre: ``(3,)`` centre, mm.
        semi_axes: ``(3,)`` positive semi-axes along x, y, z, mm.

    Returns:
        a function mapping points ``(..., 3)`` to a bool array ``(...)`` (True inside or on the surface).
    """
    c = _as_vec3(centre, "centre")
    a = _as_vec3(semi_axes, "semi_axes")
    if np.any(a <= 0):
        raise ValueError(f"semi_axes must be positive, got {a.tolist()}")

    def inside(points: np.ndarray) -> np.ndarray:
        u = (np.asarray(points, dtype=np.float64) - c) / a
        return np.sum(u * u, axis=-1) <= 1.0

    return inside


def ellipsoid_surface(centre: Sequence[float], semi_axes: Sequence[float], offset_mm: float = 0.0) -> PointMap:
    """Projection onto the surface of an axis-aligned ellipsoid pushed out by ``offset_mm``.

    The pushed-out surface is the ellipsoid with semi-axes ``semi_axes + offset_mm`` (the exact parallel surface for a
    sphere); points are projected radially in its normalised frame: ``c + a' * u / |u|`` with ``u = (x - c) / a'``.
    The centre itself goes to the +z pole.

    Args:
        centre: ``(3,)`` centre, mm.
        semi_axes: ``(3,)`` positive semi-axes along x, y, z, mm.
        offset_mm: outward offset of the surface, mm (e.g. the vessel radius, to lay vessels on a heart's surface);
            greater than ``-min(semi_axes)``.

    Returns:
        a function mapping points ``(..., 3)`` to their projections ``(..., 3)``.
    """
    c = _as_vec3(centre, "centre")
    a = _as_vec3(semi_axes, "semi_axes")
    if np.any(a <= 0):
        raise ValueError(f"semi_axes must be positive, got {a.tolist()}")
    if not math.isfinite(offset_mm) or offset_mm <= -float(a.min()):
        raise ValueError(f"offset_mm must be finite and greater than -min(semi_axes) = {-float(a.min())}")
    a = a + float(offset_mm)

    def project(points: np.ndarray) -> np.ndarray:
        u = (np.asarray(points, dtype=np.float64) - c) / a
        norm = np.sqrt(np.sum(u * u, axis=-1, keepdims=True))
        u = np.where(norm > 1e-12, u / np.maximum(norm, 1e-300), np.array([0.0, 0.0, 1.0]))
        return c + a * u

    return project


class _Grower:
    """The state of one growth: node lists, options, and the per-step rules."""

    def __init__(
        self,
        rng: np.random.Generator,
        min_radius: float,
        step: float,
        tortuosity: float,
        inside: PointTest | None,
        constrain: PointMap | None,
        attraction: np.ndarray | None,
    ) -> None:
        self.rng = rng
        self.min_radius = min_radius
        self.step = step
        self.tortuosity = tortuosity
        self.inside = inside
        self.constrain = constrain
        self.attraction = attraction
        self.points: list[np.ndarray] = []
        self.radii: list[float] = []
        self.parent: list[int] = []
        self.path: list[float] = []
        self.generation: list[int] = []

    def add(self, p: np.ndarray, r: float, parent: int, path: float, gen: int) -> int:
        self.points.append(p)
        self.radii.append(r)
        self.parent.append(parent)
        self.path.append(path)
        self.generation.append(gen)
        return len(self.points) - 1

    def _inside(self, pts: np.ndarray) -> np.ndarray:
        if self.inside is None:
            return np.ones(len(pts), bool)
        res = np.asarray(self.inside(pts), dtype=bool)
        if res.shape != (len(pts),):
            raise ValueError(f"inside must map (M, 3) points to (M,) booleans, got shape {res.shape}")
        return res

    def _project(self, pts: np.ndarray) -> np.ndarray:
        if self.constrain is None:
            return pts
        res = np.asarray(self.constrain(pts), dtype=np.float64)
        if res.shape != pts.shape:
            raise ValueError(f"constrain must map (M, 3) points to (M, 3), got shape {res.shape}")
        return res

    def advance(self, p: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Next node ``step`` from ``p`` along ``h`` (on the manifold, with a tangent heading), or None if stuck."""
        q = p + self.step * h
        if self.constrain is None:
            return q, h
        q = self._project(q[None])[0]
        d = q - p
        norm = math.sqrt(float(d @ d))
        if norm < 1e-6 * self.step:
            return None
        h = d / norm
        q = self._project((p + self.step * h)[None])[0]  # second pass: spacing ~ step to second order
        d = q - p
        norm = math.sqrt(float(d @ d))
        if norm < 1e-6 * self.step:
            return None
        return q, d / norm

    def surface_normal(self, p: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Unit normal of the ``constrain`` manifold at ``p`` from two projected tangent offsets."""
        eps = 1e-3 * self.step
        e1, e2 = _perpendiculars(h)
        probes = self._project(p + eps * np.stack([h, e1, e2]))
        t = probes - p  # three tangent vectors (to first order); the best-conditioned pair spans the tangent plane
        crosses = np.cross(t[[0, 0, 1]], t[[1, 2, 2]])
        norms = np.sqrt(np.sum(crosses * crosses, axis=1))
        k = int(np.argmax(norms))
        if norms[k] < 1e-12 * eps * eps:
            return e1
        return crosses[k] / norms[k]

    def tangent(self, p: np.ndarray, h: np.ndarray) -> np.ndarray | None:
        """``h`` made tangent to the manifold at ``p`` (unchanged without ``constrain``); None if along the normal."""
        if self.constrain is None:
            return h
        n = self.surface_normal(p, h)
        t = h - (h @ n) * n
        norm = math.sqrt(float(t @ t))
        return None if norm < 1e-3 else t / norm

    def steer(self, p: np.ndarray, h: np.ndarray) -> np.ndarray | None:
        """The heading closest to ``h`` whose look-ahead point is inside (middle of the good directions), or None."""
        look = _LOOK_AHEAD * self.step
        e1, e2 = _perpendiculars(h)
        phase = self.rng.uniform(0.0, 2.0 * math.pi)
        phi = phase + 2.0 * math.pi * np.arange(_STEER_AZIMUTHS) / _STEER_AZIMUTHS
        ring = np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2
        theta = np.repeat(np.asarray(_STEER_ANGLES), _STEER_AZIMUTHS)[:, None]
        dirs = np.cos(theta) * h + np.sin(theta) * np.tile(ring, (len(_STEER_ANGLES), 1))
        ok = self._inside(self._project(p + look * dirs)).reshape(len(_STEER_ANGLES), _STEER_AZIMUTHS)
        for k in range(len(_STEER_ANGLES)):
            if ok[k].any():
                good = dirs[k * _STEER_AZIMUTHS : (k + 1) * _STEER_AZIMUTHS][ok[k]]
                mean = good.sum(axis=0)
                norm = math.sqrt(float(mean @ mean))
                if norm > 1e-6 and self._inside(self._project((p + look * mean / norm)[None]))[0]:
                    return mean / norm
                return good[0]
        return None

    def grow_branch(
        self, start: int, h: np.ndarray, r0: float, length: float, taper: float, gen: int, budget: int
    ) -> tuple[int, np.ndarray] | None:
        """Grow one branch from node ``start``; returns its last node and heading, or None if it ended early."""
        rng, step = self.rng, self.step
        n = max(2, int(round(length / step)))
        n_grow = min(n, budget)
        sigma = self.tortuosity * _CURVATURE / max(r0, 1e-3) ** 0.75
        corr = 3.0 + 3.0 * r0  # correlation length of the curvature, mm
        decay = math.exp(-step / corr)
        kick = sigma * math.sqrt(1.0 - decay * decay)
        noise = rng.standard_normal((n_grow + 1, 3))
        w = sigma * noise[0]
        p = self.points[start]
        prev, path = start, self.path[start]
        for k in range(1, n_grow + 1):
            if sigma > 0.0:
                w = decay * w + kick * noise[k]
                w = w - (w @ h) * h
                turn = math.sqrt(float(w @ w)) * step
                if turn > _MAX_TURN:
                    w = w * (_MAX_TURN / turn)
                h = _unit(h + step * w)
            if self.attraction is not None:
                to = self.attraction - p
                dist = math.sqrt(float(to @ to))
                if dist > step:
                    h = _unit(h + step * _ATTRACTION_RATE * to / dist)
            nxt = self.advance(p, h)
            if nxt is None:
                return None
            q, h = nxt
            if self.inside is not None:
                look = self._project((p + _LOOK_AHEAD * step * h)[None])
                ok = self._inside(np.concatenate([q[None], look]))
                if not ok.all():
                    target = self.steer(p, h)
                    if target is not None:
                        angle = math.acos(min(1.0, max(-1.0, float(h @ target))))
                        if angle > _MAX_TURN:
                            perp = target - (target @ h) * h
                            h = _unit(math.cos(_MAX_TURN) * h + math.sin(_MAX_TURN) * _unit(perp))
                        else:
                            h = target
                        w = np.zeros(3)
                        nxt = self.advance(p, h)
                        if (nxt is None or not self._inside(nxt[0][None])[0]) and angle > _MAX_TURN:
                            nxt = self.advance(p, target)
                        if nxt is None or not self._inside(nxt[0][None])[0]:
                            if not ok[0]:
                                return None
                        else:
                            q, h = nxt
                    elif not ok[0]:
                        return None
            r = max(r0 * taper ** ((k - 1) / max(n - 1, 1)), self.min_radius)
            path += math.sqrt(float((q - p) @ (q - p)))
            prev = self.add(q, r, prev, path, gen)
            p = q
        if n_grow < n:
            return None
        return prev, h


def grow_vessel_tree_3d(
    rng: np.random.Generator,
    root: Sequence[float],
    direction: Sequence[float],
    *,
    root_radius_mm: float = 2.0,
    min_radius_mm: float = 0.3,
    step_mm: float = 1.0,
    max_nodes: int = 4000,
    length_factor: float = 12.0,
    tortuosity: float = 0.3,
    inside: PointTest | None = None,
    constrain: PointMap | None = None,
    attraction: Sequence[float] | None = None,
) -> VesselTree3D:
    """Grow a random bifurcating 3D vessel tree.

    Each branch starts at a branch node with the child's radius, runs ``length_factor * r**0.75 * U(0.6, 1.4)`` mm in
    steps of ``step_mm`` tapering to ``U(0.93, 0.99)`` of its first radius (never below ``min_radius_mm``), and
    bifurcates at its last node: the asymmetry ``q = r2 / r1`` is near-symmetric (``U(0.75, 1)``, probability 0.35)
    or a side branch (``U(0.25, 0.75)``), raised where needed so that both children keep ``min_radius_mm``;
    ``r1 = r / (1 + q**3)**(1/3)``, ``r2 = q * r1`` (Murray's law). A branch whose last radius is below
    ``2**(1/3) * min_radius_mm`` ends (a leaf). Branching angles follow the minimum-work rule (8 degree jitter, capped
    at 80 / 85 degrees), the two children lie in a random plane through the parent heading (rotation about the
    heading), or in the tangent plane with ``constrain``.

    Tortuosity: the heading turns by a curvature vector following an Ornstein-Uhlenbeck process (correlation length
    ``3 + 3 r`` mm, std ``0.07 * tortuosity * r**-0.75`` rad/mm per component, at most 0.3 rad per step).

    Args:
        rng: random generator (the only source of randomness; the tree is a function of its state and the inputs).
        root: ``(3,)`` position of the root node, mm (projected with ``constrain`` when given).
        direction: ``(3,)`` initial heading (normalised; made tangent with ``constrain``).
        root_radius_mm: radius at the root, mm (the largest radius in the tree).
        min_radius_mm: children thinner than this are not grown; no radius is below it.
        step_mm: node spacing along centerlines, mm.
        max_nodes: maximum number of nodes (growth is breadth first: generation by generation, thicker branches
            first within a generation; the branch that reaches the limit is cut there).
        length_factor: branch length scale, mm per ``mm**0.75`` of radius.
        tortuosity: 0 gives straight branches, about 1 strongly tortuous ones.
        inside: optional test ``(M, 3) -> (M,)`` bool of where vessels may go; the heading is steered back inward
            when the point ``4 * step_mm`` ahead is outside, and a branch stops when it cannot stay inside (no
            children). The root must be inside.
        constrain: optional projection ``(M, 3) -> (M, 3)`` onto a manifold (e.g. :func:`ellipsoid_surface`),
            applied to every node; headings are made tangent.
        attraction: optional ``(3,)`` point the tree tends to grow toward (weak bias, e.g. a venous sinus).

    Returns:
        the :class:`VesselTree3D` (node 0 is the root; parents before children).

    Raises:
        ValueError: for invalid arguments (the message names the argument).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    root_pt = _as_vec3(root, "root")
    head = _as_vec3(direction, "direction")
    if float(np.linalg.norm(head)) < 1e-12:
        raise ValueError("direction must be non-zero")
    head = _unit(head)
    for name, value in (("root_radius_mm", root_radius_mm), ("min_radius_mm", min_radius_mm), ("step_mm", step_mm)):
        if not (math.isfinite(value) and value > 0.0):
            raise ValueError(f"{name} must be positive and finite, got {value}")
    if min_radius_mm > root_radius_mm:
        raise ValueError(f"min_radius_mm ({min_radius_mm}) must not exceed root_radius_mm ({root_radius_mm})")
    if not (math.isfinite(length_factor) and length_factor > 0.0):
        raise ValueError(f"length_factor must be positive and finite, got {length_factor}")
    if not (math.isfinite(tortuosity) and tortuosity >= 0.0):
        raise ValueError(f"tortuosity must be non-negative and finite, got {tortuosity}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 2:
        raise ValueError(f"max_nodes must be an integer >= 2, got {max_nodes!r}")
    target = None if attraction is None else _as_vec3(attraction, "attraction")

    g = _Grower(rng, float(min_radius_mm), float(step_mm), float(tortuosity), inside, constrain, target)
    if constrain is not None:
        root_pt = g._project(root_pt[None])[0]
        tangent = g.tangent(root_pt, head)
        if tangent is None:
            raise ValueError("direction must not be normal to the constrain manifold at the root")
        head = tangent
    if inside is not None and not g._inside(root_pt[None])[0]:
        raise ValueError(f"root {root_pt.tolist()} is not inside the region given by inside")

    min_r, max_nodes = float(min_radius_mm), int(max_nodes)
    g.add(root_pt, float(root_radius_mm), -1, 0.0, 0)
    pending: list[tuple[int, np.ndarray, float]] = [(0, head, float(root_radius_mm))]  # start node, heading, radius
    gen = 0
    while pending and len(g.points) < max_nodes:
        pending.sort(key=lambda item: -item[2])  # thicker first (stable: ties keep their order)
        following: list[tuple[int, np.ndarray, float]] = []
        for start, h, r0 in pending:
            budget = max_nodes - len(g.points)
            if budget <= 0:
                break
            length = length_factor * r0**0.75 * rng.uniform(*_LENGTH_JITTER)
            taper = rng.uniform(*_TAPER)
            end = g.grow_branch(start, h, r0, length, taper, gen, budget)
            if end is None:
                continue
            last, h_end = end
            r_end = g.radii[last]
            m = min_r / r_end
            if m**3 > 0.5:  # both children cannot keep min_radius
                continue
            q_min = m / (1.0 - m**3) ** (1.0 / 3.0)
            lo, hi = _Q_SYMMETRIC if rng.random() < _P_SYMMETRIC else _Q_SIDE
            lo = max(lo, q_min)
            hi = max(hi, lo)
            q = rng.uniform(lo, hi)
            r1 = r_end / (1.0 + q**3) ** (1.0 / 3.0)
            r2 = max(q * r1, min_r)
            a1, a2 = _murray_angles(r_end, r1, r2)
            a1 = min(abs(a1 + rng.normal(0.0, _ANGLE_JITTER)), _MAX_ANGLE[0])
            a2 = min(abs(a2 + rng.normal(0.0, _ANGLE_JITTER)), _MAX_ANGLE[1])
            azimuth = rng.uniform(0.0, 2.0 * math.pi)
            p_end = g.points[last]
            if constrain is not None:
                u = _unit(np.cross(g.surface_normal(p_end, h_end), h_end)) * (1.0 if azimuth < math.pi else -1.0)
            else:
                e1, e2 = _perpendiculars(h_end)
                u = math.cos(azimuth) * e1 + math.sin(azimuth) * e2
            h1 = math.cos(a1) * h_end + math.sin(a1) * u
            h2 = math.cos(a2) * h_end - math.sin(a2) * u
            following.append((last, h1, r1))
            following.append((last, h2, r2))
        pending = following
        gen += 1
    return VesselTree3D(
        np.asarray(g.points, dtype=np.float64).reshape(-1, 3),
        np.asarray(g.radii, dtype=np.float64),
        np.asarray(g.parent, dtype=np.int64),
        np.asarray(g.path, dtype=np.float64),
        np.asarray(g.generation, dtype=np.int64),
    )


def add_aneurysm(tree: VesselTree3D, node: int, radius_mm: float, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A saccular aneurysm on the vessel wall at ``node``.

    The sac is a sphere of radius ``radius_mm`` whose centre lies in a random direction perpendicular to the local
    heading, at ``r + f * radius_mm`` from the node (``r`` the lumen radius there, ``f ~ U(0.6, 0.9)``), so that the
    sphere overlaps the lumen by ``(1 - f) * radius_mm`` (an open neck).

    Args:
        tree: the vessel tree.
        node: index of the node carrying the aneurysm (it needs a parent or a child to define the heading).
        radius_mm: radius of the sac, mm (> 0).
        rng: random generator (direction and offset factor).

    Returns:
        the sac's centre ``(3,)`` in mm and its radius in mm.
    """
    if not (math.isfinite(radius_mm) and radius_mm > 0.0):
        raise ValueError(f"radius_mm must be positive and finite, got {radius_mm}")
    node = tree._check_node(node)
    h = tree.heading(node)
    e1, e2 = _perpendiculars(h)
    azimuth = rng.uniform(0.0, 2.0 * math.pi)
    u = math.cos(azimuth) * e1 + math.sin(azimuth) * e2
    f = rng.uniform(0.6, 0.9)
    centre = tree.points[node] + (float(tree.radii[node]) + f * float(radius_mm)) * u
    return centre, float(radius_mm)
