# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Procedural bodies for the 3D angiography phantom: a head and a thorax made of ellipsoids.

Each body is a list of ellipsoids with *added* linear attenuation (1/mm at the effective energy), in the manner of
the Shepp-Logan phantom: an inner ellipsoid with a negative value carves a lower attenuation out of the one around it
(the skull is an outer bone ellipsoid minus an inner one; air sinuses and lungs are negative values inside soft
tissue). Attenuation values follow ``mu = mu_water(E) * (1 + HU / 1000)`` (see
:func:`monai_angio.projection.hu_to_attenuation`) with typical HU: soft tissue 40, cortical bone 1200, trabecular
bone (vertebrae) 300, lung -800, air -1000. World coordinates are patient LPS in mm (``x`` left, ``y`` posterior,
``z`` head) with the C-arm isocenter at the origin. Shapes vary with the seed (about +-6 % per axis).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from monai_angio.projection.volume import mu_water

__all__ = ["Ellipsoids", "head_body", "rotation_xyz", "thorax_body"]


class Ellipsoids(NamedTuple):
    """A set of ellipsoids: ``centres`` ``(E, 3)`` mm, ``semi_axes`` ``(E, 3)`` mm along their own axes, ``densities``
    ``(E,)`` added attenuation per mm, ``rotations`` ``(E, 3, 3)`` whose columns are each ellipsoid's axes in world
    coordinates, ``names`` their labels."""

    centres: np.ndarray
    semi_axes: np.ndarray
    densities: np.ndarray
    rotations: np.ndarray
    names: tuple[str, ...]

    @staticmethod
    def build(items: list[tuple[str, tuple, tuple, float, np.ndarray | None]]) -> Ellipsoids:
        """From ``(name, centre, semi_axes, density, rotation or None)`` items."""
        eye = np.eye(3)
        return Ellipsoids(
            np.array([c for _, c, _, _, _ in items], dtype=np.float64).reshape(-1, 3),
            np.array([a for _, _, a, _, _ in items], dtype=np.float64).reshape(-1, 3),
            np.array([d for _, _, _, d, _ in items], dtype=np.float64),
            np.stack([eye if r is None else np.asarray(r, dtype=np.float64) for *_, r in items])
            if items
            else np.zeros((0, 3, 3)),
            tuple(n for n, *_ in items),
        )

    def concat(self, other: Ellipsoids) -> Ellipsoids:
        """Both sets in one."""
        return Ellipsoids(
            np.concatenate([self.centres, other.centres]),
            np.concatenate([self.semi_axes, other.semi_axes]),
            np.concatenate([self.densities, other.densities]),
            np.concatenate([self.rotations, other.rotations]),
            self.names + other.names,
        )

    def moved(self, rotation: np.ndarray, translation: np.ndarray, select: np.ndarray | None = None) -> Ellipsoids:
        """Ellipsoids under the rigid motion ``x -> rotation @ x + translation`` (only those in boolean ``select``)."""
        sel = np.ones(len(self.densities), dtype=bool) if select is None else np.asarray(select, dtype=bool)
        centres, rotations = self.centres.copy(), self.rotations.copy()
        centres[sel] = self.centres[sel] @ rotation.T + translation
        rotations[sel] = rotation @ self.rotations[sel]
        return self._replace(centres=centres, rotations=rotations)


def rotation_xyz(ax: float, ay: float, az: float) -> np.ndarray:
    """``Rz(az) @ Ry(ay) @ Rx(ax)`` for angles in radians, ``(3, 3)``."""
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def _mu(hu: float, energy_kev: float) -> float:
    return mu_water(energy_kev) * (1.0 + hu / 1000.0)


def head_body(rng: np.random.Generator, energy_kev: float = 70.0) -> tuple[Ellipsoids, np.ndarray, np.ndarray]:
    """A head: scalp and soft tissue, skull (outer minus inner table), skull base, frontal and maxillary sinuses,
    mastoid air, ventricles.

    Returns:
        ``(body, brain_centre (3,), brain_semi_axes (3,))``: the ellipsoids, and the region the cerebral vessels may
        fill (inside the inner table, above the skull base).
    """
    s = rng.uniform(0.94, 1.06, size=3)
    soft, bone = _mu(40.0, energy_kev), _mu(1200.0, energy_kev) - _mu(40.0, energy_kev)
    air = -soft
    head_c = np.zeros(3)
    outer = np.array([75.0, 95.0, 105.0]) * s
    skull_o, skull_i = outer - 4.0, outer - 10.0
    items = [
        ("soft tissue", head_c, outer, soft, None),
        ("skull", head_c, skull_o, bone, None),
        ("intracranial", head_c, skull_i, -bone, None),
        ("skull base", (0.0, 5.0 * s[1], -40.0 * s[2]), (55.0 * s[0], 35.0 * s[1], 7.0), 0.7 * bone, None),
        ("petrous left", (38.0 * s[0], 18.0 * s[1], -38.0 * s[2]), (20.0, 9.0, 8.0), 0.9 * bone,
         rotation_xyz(0.0, 0.0, 0.6)),
        ("petrous right", (-38.0 * s[0], 18.0 * s[1], -38.0 * s[2]), (20.0, 9.0, 8.0), 0.9 * bone,
         rotation_xyz(0.0, 0.0, -0.6)),
        ("frontal sinus", (0.0, -84.0 * s[1], 12.0 * s[2]), (14.0, 5.0, 9.0), air, None),
        ("maxillary left", (26.0 * s[0], -62.0 * s[1], -62.0 * s[2]), (13.0, 15.0, 17.0), air, None),
        ("maxillary right", (-26.0 * s[0], -62.0 * s[1], -62.0 * s[2]), (13.0, 15.0, 17.0), air, None),
        ("sphenoid sinus", (0.0, -30.0 * s[1], -42.0 * s[2]), (11.0, 10.0, 9.0), air, None),
        ("mastoid left", (52.0 * s[0], 30.0 * s[1], -45.0 * s[2]), (9.0, 10.0, 12.0), 0.6 * air, None),
        ("mastoid right", (-52.0 * s[0], 30.0 * s[1], -45.0 * s[2]), (9.0, 10.0, 12.0), 0.6 * air, None),
        ("ventricle left", (9.0, 5.0 * s[1], 28.0 * s[2]), (6.0, 26.0 * s[1], 9.0), -0.035 * soft,
         rotation_xyz(0.0, 0.0, 0.15)),
        ("ventricle right", (-9.0, 5.0 * s[1], 28.0 * s[2]), (6.0, 26.0 * s[1], 9.0), -0.035 * soft,
         rotation_xyz(0.0, 0.0, -0.15)),
    ]  # fmt: skip
    brain_c = np.array([0.0, 4.0 * s[1], 22.0 * s[2]])
    brain_a = np.array([skull_i[0] - 6.0, skull_i[1] - 8.0, skull_i[2] - 28.0])
    return Ellipsoids.build(items), brain_c, brain_a


def thorax_body(rng: np.random.Generator, energy_kev: float = 70.0) -> tuple[Ellipsoids, dict[str, np.ndarray]]:
    """A thorax around a heart near the isocenter: chest wall, lungs, spine, sternum, liver dome, epicardial fat
    and the heart.

    Returns:
        ``(body, parts)``: the ellipsoids and the heart's rest pose, ``parts = {"heart_centre", "heart_semi_axes",
        "heart_rotation"}`` (the heart's local ``z`` is its long axis, base at ``+z``, apex at ``-z``); the heart is
        the ellipsoid named ``"heart"`` in ``body`` and moves with the cardiac cycle in the phantom.
    """
    s = rng.uniform(0.94, 1.06, size=3)
    soft = _mu(40.0, energy_kev)
    lung = _mu(-800.0, energy_kev) - soft
    vert = _mu(300.0, energy_kev) - soft
    heart_c = np.array([-8.0, -15.0, 10.0]) * s
    heart_a = np.array([48.0, 42.0, 62.0]) * s
    # long axis from base (right, posterior, superior) to apex (left, anterior, inferior)
    heart_r = rotation_xyz(rng.uniform(-0.55, -0.4), rng.uniform(0.7, 0.9), rng.uniform(-0.15, 0.15))
    fat = _mu(-90.0, energy_kev) - soft
    items = [
        ("chest", (0.0, 25.0, 0.0), np.array([165.0, 115.0, 260.0]) * s, soft, None),
        ("lung left", (88.0 * s[0], 30.0, 55.0 * s[2]), np.array([60.0, 80.0, 120.0]) * s, lung, None),
        ("lung right", (-88.0 * s[0], 30.0, 55.0 * s[2]), np.array([64.0, 80.0, 120.0]) * s, lung, None),
        ("epicardial fat", heart_c, heart_a + 6.0, fat, heart_r),
        ("heart", heart_c, heart_a, -fat, heart_r),  # cancels the fat inside: myocardium and blood as soft tissue
        ("spine", (0.0, 95.0 * s[1], 0.0), (17.0, 17.0, 260.0), vert, None),
        ("sternum", (0.0, -95.0 * s[1], 40.0), (12.0, 6.0, 90.0), vert, None),
        ("liver dome", (-30.0, 20.0, -115.0 * s[2]), (150.0, 115.0, 65.0), -lung, None),  # the diaphragm ends the lungs
    ]
    parts = {"heart_centre": heart_c, "heart_semi_axes": heart_a, "heart_rotation": heart_r}
    return Ellipsoids.build(items), parts
