# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""3D angiography phantom: vessel trees in a body, contrast dynamics in 3D, projected by a C-arm.

The scene is built once from the seed:

* ``"rotational"`` and ``"fixed"`` (cerebral): a procedural head (:func:`~monai_angio.phantoms.anatomy.head_body`,
  or a real CT volume as ``background``), two internal carotid arteries (a cervical segment with the carotid siphon,
  then a random 3D tree inside the brain region, Murray's law at every bifurcation), a venous tree draining into the
  superior sagittal sinus, and a capillary blush of each hemisphere; optionally an aneurysm and a stenosis.
* ``"coronary"``: a thorax (:func:`~monai_angio.phantoms.anatomy.thorax_body`) with left and right coronary trees
  grown on the epicardial surface of the heart, and the guiding catheter at the left ostium. The heart beats (the
  ellipsoid shortens and narrows in systole with a twist about its long axis, and the trees on its surface follow in
  3D) and the heart, the trees, the catheter tip and the liver dome move with respiration.

Contrast dynamics (:func:`bolus_curve`): a smoothed injection of length ``injection_s`` enters each tree at its root
and travels along it at ``velocity_mm_s`` (arrival at a node = path distance / velocity), widening with the path.
The cerebral capillary blush follows the end of the arterial transit, and the veins fill from their small branches
to the sinus after the capillary phase. Iodine adds ``MU_IODINE * concentration`` attenuation per mm inside the
lumen.

Frame formation at time ``t`` with the C-arm view of ``t`` (a rotational sweep, a fixed view with an optional table
pan, and a slow translational drift of the patient): exact cone-beam line integrals of the ellipsoids and of every
vessel piece (:mod:`monai_angio.projection.analytic`, vessels with 2 x 2 sub-pixel rays), or of the CT volume (RTK),
expected photon counts ``N0 * dose * exp(-L)``, focal-spot blur (geometric unsharpness at the isocenter's
magnification), Poisson quantum noise, detector blur, log transform; DSA subtracts a contrast-free mask taken with
the same C-arm view but the patient where they lay at ``t = 0`` (so drift leaves misregistration, as in real runs).
The noise is seeded by ``(seed, time)``: a frame depends only on its time, and frames at any times (between the
acquired ones, say) are exact ground truth for interpolation; ``noise=False`` renders the expected, noise-free frame.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from monai_angio.projection.analytic import chain_cap_normals, cylinder_line_integrals, ellipsoid_line_integrals
from monai_angio.projection.geometry import CArmGeometry, PatientDrift, Trajectory

from .anatomy import Ellipsoids, head_body, thorax_body
from .angiography import cardiac_waveform
from .focal_spot import apply_kernel, focal_spot_kernel
from .vessel_tree3d import VesselTree3D, add_aneurysm, ellipsoid_inside, ellipsoid_surface, grow_vessel_tree_3d

__all__ = ["MU_IODINE", "PHANTOM_MODES", "Angiography3DPhantom", "VesselPieces", "bolus_curve"]

#: the acquisitions the phantom simulates
PHANTOM_MODES = ("rotational", "fixed", "coronary")
#: attenuation per mm of lumen at concentration 1 (a selective injection of iodinated contrast, about 70 keV)
MU_IODINE = 0.24
_MU_CATHETER = 0.05  # catheter wall, per mm
# display mapping to [0, 1]: DSA value = _DSA_LEVEL - _DSA_GAIN * (p - p_mask); XA from the mask's range
_DSA_LEVEL, _DSA_GAIN = 0.75, 0.45
_L_REF = 4.0  # line integral behind which `photons_per_pixel` photons reach the detector at dose 1

# per-mode defaults: frames, frames per second (rotational: the sweep's duration instead), detector side (mm)
_DEFAULTS: dict[str, dict[str, float]] = {
    "rotational": {"frames": 133, "duration_s": 4.5, "detector_mm": 300.0, "sod_mm": 750.0, "sid_mm": 1200.0},
    "fixed": {"frames": 48, "frame_rate": 6.0, "detector_mm": 300.0, "sod_mm": 750.0, "sid_mm": 1200.0},
    "coronary": {"frames": 60, "frame_rate": 15.0, "detector_mm": 200.0, "sod_mm": 750.0, "sid_mm": 1050.0},
}
# standard coronary views (primary, secondary): LAO cranial, RAO caudal, LAO, RAO cranial, AP cranial
_CORONARY_VIEWS = ((30.0, 20.0), (-30.0, -20.0), (45.0, 0.0), (-30.0, 25.0), (0.0, 30.0))


class VesselPieces(NamedTuple):
    """Vessel pieces at one time: axes ``starts``, ``ends`` ``(S, 3)`` world mm, ``radii`` ``(S,)`` mm, iodine
    attenuation ``mu`` ``(S,)`` per mm, and ``previous`` ``(S,)`` the piece each continues (``-1``: none)."""

    starts: np.ndarray
    ends: np.ndarray
    radii: np.ndarray
    mu: np.ndarray
    previous: np.ndarray


def bolus_curve(t: np.ndarray | float, duration: float, rise: float, fall: float | None = None) -> np.ndarray:
    """Concentration of a smoothed injection of length ``duration`` that arrived at ``t = 0`` (seconds).

    ``c(t) = s(t / rise) * s((duration - t) / fall)`` with the logistic ``s(x) = 1 / (1 + exp(-4 x))``: it rises
    over about ``rise`` seconds, holds, and washes out over about ``fall`` seconds (default ``rise``); in [0, 1].
    """
    t = np.asarray(t, dtype=np.float64)
    fall = rise if fall is None else fall

    def s(x: np.ndarray) -> np.ndarray:
        return 0.5 * (1.0 + np.tanh(2.0 * x))

    return s(t / rise) * s((duration - t) / fall)


def _positive(name: str, value: float, allow_zero: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"Angiography3DPhantom: {name} must be a number, got {value!r}.") from err
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Angiography3DPhantom: {name} must be a finite number {bound}, got {value}.")
    return value


def _int(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"Angiography3DPhantom: {name} must be an integer in [{low}, {high}], got {value!r}.")
    return int(value)


class _Vessels:
    """Vessel pieces of one tree or chain (rest pose), the piece each continues, and the bolus arrival (s) and rise
    time (s) at each piece."""

    def __init__(
        self, starts: np.ndarray, ends: np.ndarray, radii: np.ndarray, path_mm: np.ndarray, previous: np.ndarray,
        arrival_s: np.ndarray, rise_s: np.ndarray | float,
    ) -> None:  # fmt: skip
        self.starts, self.ends, self.radii, self.path_mm, self.previous = starts, ends, radii, path_mm, previous
        self.arrival_s = np.asarray(arrival_s, dtype=np.float64)
        self.rise_s = np.broadcast_to(np.asarray(rise_s, dtype=np.float64), self.arrival_s.shape)

    @classmethod
    def tree(cls, tree: VesselTree3D, arrival: Any, rise: Any) -> _Vessels:
        """The pieces of ``tree``; ``arrival(path_mm)`` and ``rise(path_mm)`` give their times."""
        starts, ends, radii, path = tree.segments()
        return cls(starts, ends, radii, path, tree.previous_pieces(), arrival(path), rise(path))

    @classmethod
    def chain(cls, points: np.ndarray, radii: np.ndarray, path_mm: np.ndarray, arrival: Any, rise: float) -> _Vessels:
        """A hand-built chain of nodes ``points (N, 3)`` with ``radii`` and ``path_mm (N,)``."""
        path = 0.5 * (path_mm[:-1] + path_mm[1:])
        previous = np.arange(len(path)) - 1
        return cls(points[:-1], points[1:], 0.5 * (radii[:-1] + radii[1:]), path, previous, arrival(path), rise)


class Angiography3DPhantom:
    """Seeded 3D X-ray angiography acquisition with exact ground truth at any time.

    Args:
        mode: ``"rotational"`` (a 3D-DSA sweep of the head: 200 degrees in 4.5 s), ``"fixed"`` (a fixed-view
            cerebral DSA run through the arterial, capillary and venous phases) or ``"coronary"`` (an unsubtracted
            coronary cine of a beating, breathing heart).
        size: detector pixels per side (32 to 2048).
        frames: frames of :meth:`generate` (default 133 rotational, 48 fixed, 60 coronary).
        seed: non-negative seed of the anatomy, the view, the motion and the noise.
        bits: bits stored (8 to 16).
        dose: relative dose (noise variance ~ 1 / dose); ``inf`` renders noise-free frames.
        subtract: DSA (mask subtracted) or unsubtracted XA; default DSA for the cerebral modes, XA for coronary.
        frame_rate: frames per second of ``fixed`` and ``coronary`` (default 6 and 15).
        duration_s: duration of the rotational sweep (default 4.5 s).
        range_deg: angle of the rotational sweep, centred on the AP view (default 200).
        primary_deg, secondary_deg: the view of ``fixed`` and ``coronary`` (default: drawn from the seed among usual
            views).
        heart_rate_bpm: heart rate of ``coronary`` (30 to 200).
        respiration: breathing motion (default on for coronary, off otherwise).
        table_speed_mm_s: table pan along the long axis during the run (``fixed`` and ``coronary``).
        patient_motion_mm: amplitude of a slow random translational drift of the patient (0 disables it).
        aneurysm: add a saccular aneurysm to a cerebral artery.
        stenosis: add a 60 % stenosis to a proximal artery.
        background: a CT volume (NIfTI file or DICOM series folder, in HU) to use as the head instead of the
            procedural one (cerebral modes; projected with RTK).
        focal_spot_mm: focal spot size (FWHM, Gaussian profile); 0 disables the geometric unsharpness.
        detector_blur_px: Gaussian sigma of the detector blur in pixels.
        photons_per_pixel: photons reaching a pixel behind the reference attenuation at dose 1.
        energy_kev: effective energy of the attenuation values (50 to 100 keV).
        supersample: sub-pixel rays per pixel side for the vessels (anti-aliasing).

    Example:
        >>> from monai_angio.phantoms import Angiography3DPhantom
        >>> phantom = Angiography3DPhantom("coronary", size=64, frames=3, seed=1)
        >>> frames, meta = phantom.generate()
        >>> frames.shape, frames.dtype.name, meta["mode"]
        ((3, 64, 64), 'uint16', 'coronary')
    """

    def __init__(
        self,
        mode: str = "rotational",
        size: int = 256,
        frames: int | None = None,
        seed: int = 0,
        *,
        bits: int = 12,
        dose: float = 1.0,
        subtract: bool | None = None,
        frame_rate: float | None = None,
        duration_s: float | None = None,
        range_deg: float = 200.0,
        primary_deg: float | None = None,
        secondary_deg: float | None = None,
        heart_rate_bpm: float = 72.0,
        respiration: bool | None = None,
        table_speed_mm_s: float = 0.0,
        patient_motion_mm: float = 0.0,
        aneurysm: bool = False,
        stenosis: bool = False,
        background: str | os.PathLike | None = None,
        focal_spot_mm: float = 0.6,
        detector_blur_px: float = 0.5,
        photons_per_pixel: float = 3000.0,
        energy_kev: float = 70.0,
        supersample: int = 2,
    ) -> None:
        if mode not in PHANTOM_MODES:
            raise ValueError(f"Angiography3DPhantom: mode must be one of {', '.join(PHANTOM_MODES)}, got {mode!r}.")
        if background is not None and mode == "coronary":
            raise ValueError("Angiography3DPhantom: background (a head CT) applies to the rotational and fixed modes.")
        d = _DEFAULTS[mode]
        self.mode = mode
        self.size = _int("size", size, 32, 2048)
        self.num_frames = _int("frames", int(d["frames"]) if frames is None else frames, 1, 100_000)
        self.seed = _int("seed", seed, 0, 2**63 - 1)
        self.bits = _int("bits", bits, 8, 16)
        dose = float(dose)
        if math.isnan(dose) or dose <= 0:
            raise ValueError(f"Angiography3DPhantom: dose must be > 0 (inf for noise-free frames), got {dose}.")
        self.dose = dose
        self.subtract = (mode != "coronary") if subtract is None else bool(subtract)
        self.frame_rate = _positive("frame_rate", d.get("frame_rate", 30.0) if frame_rate is None else frame_rate)
        self.duration_s = _positive("duration_s", d.get("duration_s", 4.5) if duration_s is None else duration_s)
        self.range_deg = float(range_deg)
        if not math.isfinite(self.range_deg) or not 0 < abs(self.range_deg) <= 360:
            raise ValueError(f"Angiography3DPhantom: range_deg must be in (0, 360], got {range_deg}.")
        self.heart_rate_bpm = _positive("heart_rate_bpm", heart_rate_bpm)
        if not 30 <= self.heart_rate_bpm <= 200:
            raise ValueError(f"Angiography3DPhantom: heart_rate_bpm must be in [30, 200], got {heart_rate_bpm}.")
        self.respiration = (mode == "coronary") if respiration is None else bool(respiration)
        self.table_speed_mm_s = float(table_speed_mm_s)
        if not math.isfinite(self.table_speed_mm_s):
            raise ValueError(f"Angiography3DPhantom: table_speed_mm_s must be finite, got {table_speed_mm_s}.")
        if self.table_speed_mm_s and mode == "rotational":
            raise ValueError("Angiography3DPhantom: a table pan applies to the fixed and coronary modes.")
        self.patient_motion_mm = _positive("patient_motion_mm", patient_motion_mm, allow_zero=True)
        self.aneurysm, self.stenosis = bool(aneurysm), bool(stenosis)
        self.focal_spot_mm = _positive("focal_spot_mm", focal_spot_mm, allow_zero=True)
        self.detector_blur_px = _positive("detector_blur_px", detector_blur_px, allow_zero=True)
        self.photons_per_pixel = _positive("photons_per_pixel", photons_per_pixel)
        self.energy_kev = _positive("energy_kev", energy_kev)
        self.supersample = _int("supersample", supersample, 1, 8)
        self.background = None if background is None else os.fspath(background)

        streams = np.random.SeedSequence([self.seed, PHANTOM_MODES.index(mode)]).spawn(4)
        rng_body, rng_tree, rng_view, rng_motion = (np.random.default_rng(s) for s in streams)
        self._build_view(rng_view, d, primary_deg, secondary_deg)
        self._build_motion(rng_motion)
        if mode == "coronary":
            self._build_heart(rng_body, rng_tree)
        else:
            self._build_head(rng_body, rng_tree)
        self._ct_cache: dict[tuple, np.ndarray] = {}
        self._mask_cache: dict[tuple, np.ndarray] = {}
        self._display = self._display_range()

    # ------------------------------------------------------------------ scene
    def _build_view(self, rng: np.random.Generator, d: dict, primary: float | None, secondary: float | None) -> None:
        if self.mode == "coronary":
            view = _CORONARY_VIEWS[int(rng.integers(len(_CORONARY_VIEWS)))]
            view = (view[0] + rng.uniform(-5, 5), view[1] + rng.uniform(-5, 5))
        else:
            view = (float(rng.choice([0.0, 90.0])) + rng.uniform(-12, 12), rng.uniform(-10, 10))
        view = (view[0] if primary is None else primary, view[1] if secondary is None else secondary)
        self.geometry = CArmGeometry(
            sod_mm=d["sod_mm"],
            sid_mm=d["sid_mm"],
            detector_shape=(self.size, self.size),
            pixel_mm=d["detector_mm"] / self.size,
            primary_deg=view[0],
            secondary_deg=view[1],
            focal_spot_mm=self.focal_spot_mm,
        )

    def _build_motion(self, rng: np.random.Generator) -> None:
        self._drift = PatientDrift(self.patient_motion_mm, int(rng.integers(2**31)))
        self._phase0 = float(rng.uniform())
        self._resp_phase0 = float(rng.uniform())
        self._resp_rate_hz = float(rng.uniform(0.2, 0.3))

    def _build_head(self, rng_body: np.random.Generator, rng: np.random.Generator) -> None:
        body, brain_c, brain_a = head_body(rng_body, self.energy_kev)
        if self.background is not None:
            from monai_angio.projection.simulate import attenuation_volume

            mu, spacing = attenuation_volume(self.background, 1.5, self.energy_kev)
            self._ct = (mu.numpy(), spacing)
            body = Ellipsoids.build([])
            brain_c, brain_a = _brain_region(self._ct[0], np.asarray(spacing))
        else:
            self._ct = None
        self.body = body
        inside = ellipsoid_inside(brain_c, brain_a)
        trees: list[_Vessels] = []
        v_art, t_art0 = 180.0, -1.2 if self.mode == "rotational" else 1.5
        injection = 6.0 if self.mode == "rotational" else 1.6
        self._injection_s = injection
        longest = 0.0
        arteries = []
        # left and right internal carotid (anterior circulation) and the vertebro-basilar trunk (posterior)
        for side, y, radius, heading in (
            (1.0, 0.1, 1.9, (-0.2, -0.3, 1.0)),
            (-1.0, 0.1, 1.9, (0.2, -0.3, 1.0)),
            (0.0, 0.4, 1.5, (0.0, 0.3, 1.0)),
        ):
            root = brain_c + np.array([side * 0.3 * brain_a[0], y * brain_a[1], -0.85 * brain_a[2]])
            neck = _siphon(rng, root, side)  # (points, radii, path_mm <= 0)
            tree = grow_vessel_tree_3d(
                rng, root, heading, root_radius_mm=radius, min_radius_mm=0.25, step_mm=1.2, max_nodes=2500,
                length_factor=20.0, tortuosity=0.45, inside=inside,
            )  # fmt: skip
            arteries.append((neck, tree))
            longest = max(longest, float(tree.path_mm.max()))
        if self.stenosis:
            neck, tree = arteries[0]
            node = int(np.argmin(np.abs(tree.path_mm - 12.0) + 1e3 * (tree.generation > 0)))
            arteries[0] = (neck, tree.with_stenosis(node, 0.6, 6.0))
        self._sacs: list[tuple[np.ndarray, float, float]] = []
        for neck, tree in arteries:
            trees.append(_Vessels.tree(tree, lambda p: t_art0 + p / v_art, lambda p: 0.25 + 0.2 * p / v_art))
            trees.append(_Vessels.chain(*neck, lambda p: t_art0 + p / v_art, 0.25))
        if self.aneurysm:
            tree = arteries[0][1]
            cand = np.flatnonzero((tree.radii > 1.0) & (tree.path_mm > 15.0))
            node = int(cand[rng.integers(len(cand))]) if len(cand) else int(np.argmax(tree.radii))
            centre, radius = add_aneurysm(tree, node, float(rng.uniform(2.5, 4.5)), rng)
            self._sacs.append((centre, radius, t_art0 + float(tree.path_mm[node]) / v_art + 0.3))
        self.arterial_trees = len(trees)  # the first trees are arterial, the rest venous
        t_cap = t_art0 + longest / v_art + 0.6
        # the parenchymal blush of each hemisphere: nested ellipsoids, so that it fades towards the edges
        self._blush = Ellipsoids.build([
            (f"blush {side}", brain_c + (sign * 0.45 * brain_a[0], 0, 0.1 * brain_a[2]),
             brain_a * (0.45, 0.85, 0.8) * scale, 1.0 / 3.0, None)
            for side, sign in (("left", 1.0), ("right", -1.0)) for scale in (1.0, 0.8, 0.6)
        ])  # fmt: skip
        self._blush_arrival = t_cap
        # veins: a draining tree rooted near the torcula, filling from its small branches to its root, then the
        # superior sagittal sinus along the vault, from front to back
        sinus = _sagittal_sinus(brain_c, brain_a)
        vein = grow_vessel_tree_3d(
            rng, brain_c + (0.0, 0.8 * brain_a[1], 0.1 * brain_a[2]), (0.0, -0.6, 0.6), root_radius_mm=2.2,
            min_radius_mm=0.35, step_mm=1.2, max_nodes=1200, tortuosity=0.25, inside=inside,
        )  # fmt: skip
        v_ven, t_ven = 120.0, t_cap + 1.2
        longest_vein = float(vein.path_mm.max())
        trees.append(_Vessels.tree(vein, lambda p: t_ven + (longest_vein - p) / v_ven, lambda p: np.full_like(p, 0.5)))
        trees.append(_Vessels.chain(*sinus, lambda p: t_ven + (longest_vein + p) / v_ven, 0.25))
        self.trees = trees
        self._catheter = None

    def _build_heart(self, rng_body: np.random.Generator, rng: np.random.Generator) -> None:
        body, parts = thorax_body(rng_body, self.energy_kev)
        self.body = body
        self._ct = None
        self._heart = parts
        a = parts["heart_semi_axes"]
        surface = ellipsoid_surface(np.zeros(3), a, offset_mm=1.5)
        v, t0 = 110.0, 0.3
        self._injection_s = 2.6
        trees: list[_Vessels] = []
        # local heart frame: z long axis (base +z), the left main at the left-anterior base, the RCA on the right
        roots = {
            "left": (surface(np.array([[0.55 * a[0], -0.45 * a[1], 0.7 * a[2]]]))[0], (0.2, -0.3, -1.0), 2.0),
            "right": (surface(np.array([[-0.6 * a[0], -0.35 * a[1], 0.7 * a[2]]]))[0], (-0.5, 0.8, -0.2), 1.8),
        }
        for root, heading, radius in roots.values():
            tree = grow_vessel_tree_3d(
                rng, root, heading, root_radius_mm=radius, min_radius_mm=0.4, step_mm=1.2, max_nodes=900,
                tortuosity=0.3, constrain=surface,
            )  # fmt: skip
            if self.stenosis and not trees:  # on the left main / proximal LAD
                node = int(np.argmin(np.abs(tree.path_mm - 25.0) + 1e3 * (tree.generation > 0)))
                tree = tree.with_stenosis(node, 0.6, 5.0)
            trees.append(_Vessels.tree(tree, lambda p: t0 + p / v, lambda p: 0.08 + 0.15 * p / v))
        self.trees = trees
        # guiding catheter: from the left ostium up the aortic root and arch, out of the field (heart local frame)
        ostium = roots["left"][0]
        s = np.linspace(0.0, 1.0, 60)[:, None]
        up = ostium + s * np.array([-0.6 * a[0], 0.3 * a[1], 3.0 * a[2]]) + np.sin(np.pi * s) * (-15.0, 0.0, 0.0)
        self._catheter = up
        self._sacs = []
        self._blush = None

    # ------------------------------------------------------------------ time
    def frame_times_s(self) -> np.ndarray:
        """``(T,)`` acquisition times of :meth:`generate` (s, starting at 0)."""
        if self.mode == "rotational":
            return np.linspace(0.0, self.duration_s, self.num_frames) if self.num_frames > 1 else np.zeros(1)
        return np.arange(self.num_frames, dtype=np.float64) / self.frame_rate

    def geometry_at(self, t: float, patient_time: float | None = None) -> CArmGeometry:
        """The C-arm view at time ``t`` (s), with the patient's drift of ``patient_time`` (default ``t``)."""
        changes: dict[str, Any] = {}
        if self.mode == "rotational":
            frac = t / self.duration_s
            changes["primary_deg"] = -0.5 * self.range_deg + self.range_deg * frac
        offset = np.array([0.0, 0.0, self.table_speed_mm_s * t]) + self._drift(
            t if patient_time is None else patient_time
        )
        changes["table_offset_mm"] = tuple(float(v) for v in offset)
        return self.geometry.replace(**changes)

    def trajectory(self, times_s: Sequence[float] | np.ndarray | None = None) -> Trajectory:
        """The views of ``times_s`` (default :meth:`frame_times_s`) as a :class:`~monai_angio.projection.Trajectory`."""
        t = self.frame_times_s() if times_s is None else self._check_times(times_s)
        return Trajectory([self.geometry_at(float(ti)) for ti in t], t - t[0])

    def cardiac_phase(self, t: float) -> float:
        """Cardiac phase in cycles at time ``t`` (s); 0 is end-diastole."""
        return (self._phase0 + t * self.heart_rate_bpm / 60.0) % 1.0

    def _check_times(self, times_s: Sequence[float] | np.ndarray | float) -> np.ndarray:
        try:
            t = np.asarray(times_s, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as err:
            raise TypeError(f"Angiography3DPhantom: times must be numbers, got {times_s!r}.") from err
        if t.size == 0 or not np.all(np.isfinite(t)):
            raise ValueError("Angiography3DPhantom: times must be a non-empty list of finite seconds.")
        return t

    # ---------------------------------------------------------------- motion
    def _heart_map(self, t: float) -> tuple[Any, np.ndarray]:
        """The map from the heart's rest frame to world coordinates at time ``t``, and the heart's semi-axes then.

        Systole narrows the heart by up to 18 %, pulls the base towards the fixed apex by 24 % of the long axis and
        twists base and apex in opposite senses (0.18 rad each); breathing shifts it all.
        """
        a0 = self._heart["heart_semi_axes"]
        w = float(cardiac_waveform(self.cardiac_phase(t))) if self.mode == "coronary" else 0.0
        radial, shortening, twist = 1.0 - 0.18 * w, 0.12 * w, 0.18 * w
        rot, centre = self._heart["heart_rotation"], self._heart["heart_centre"] + self._resp_shift(t)

        def to_world(p: np.ndarray) -> np.ndarray:
            ang = twist * (p[:, 2] / a0[2])
            c, s = np.cos(ang), np.sin(ang)
            x, y = radial * p[:, 0], radial * p[:, 1]
            z = p[:, 2] - shortening * (p[:, 2] + a0[2])
            return np.stack([c * x - s * y, s * x + c * y, z], axis=1) @ rot.T + centre

        return to_world, a0 * np.array([radial, radial, 1.0 - shortening])

    def _resp_shift(self, t: float) -> np.ndarray:
        if not self.respiration:
            return np.zeros(3)
        w = 0.5 - 0.5 * math.cos(2 * math.pi * (self._resp_phase0 + self._resp_rate_hz * t))
        return np.array([0.0, -3.0, -14.0]) * w

    def _body_at(self, t: float) -> Ellipsoids:
        if self.mode != "coronary":
            return self.body
        to_world, semi_axes = self._heart_map(t)
        body = self.body
        centres, semi = body.centres.copy(), body.semi_axes.copy()
        centre = to_world(np.array([[0.0, 0.0, -self._heart["heart_semi_axes"][2]]]))[0]  # the apex stays
        centre = centre + body.rotations[body.names.index("heart")] @ np.array([0.0, 0.0, semi_axes[2]])
        for name, pad in (("heart", 0.0), ("epicardial fat", 6.0)):
            i = body.names.index(name)
            centres[i], semi[i] = centre, semi_axes + pad
        i = body.names.index("liver dome")
        centres[i] = body.centres[i] + self._resp_shift(t)
        return body._replace(centres=centres, semi_axes=semi)

    def vessel_pieces(self, t: float, patient_time: float | None = None) -> VesselPieces:
        """Every vessel piece in world mm where it lies at ``patient_time`` (default ``t``, s) and its iodine
        attenuation per mm at time ``t``; the catheter (wall and contrast) included."""
        tp = t if patient_time is None else patient_time
        to_world = self._heart_map(tp)[0] if self.mode == "coronary" else None
        starts, ends, radii, mu, previous = [], [], [], [], []
        offset = 0
        for tree in self.trees:
            s, e = tree.starts, tree.ends
            if to_world is not None:
                s, e = to_world(s), to_world(e)
            conc = bolus_curve(t - tree.arrival_s, self._injection_s, tree.rise_s, 2.0 * tree.rise_s + 0.3)
            starts.append(s)
            ends.append(e)
            radii.append(tree.radii)
            mu.append(MU_IODINE * conc)
            previous.append(np.where(tree.previous >= 0, tree.previous + offset, -1))
            offset += len(tree.radii)
        if self._catheter is not None:
            pts = self._catheter
            weight = np.linspace(1.0, 0.0, len(pts))[:, None]  # the tip moves with the heart, the far end stays
            rest = pts @ self._heart["heart_rotation"].T + self._heart["heart_centre"]
            world = weight * to_world(pts) + (1 - weight) * rest
            conc = float(bolus_curve(t - 0.2, self._injection_s + 0.1, 0.05, 0.1))
            starts.append(world[:-1])
            ends.append(world[1:])
            radii.append(np.full(len(pts) - 1, 1.0))
            mu.append(np.full(len(pts) - 1, _MU_CATHETER + MU_IODINE * conc))
            previous.append(np.arange(len(pts) - 1) - 1 + np.where(np.arange(len(pts) - 1) > 0, offset, 0))
        cat = np.concatenate
        return VesselPieces(cat(starts), cat(ends), cat(radii), cat(mu), cat(previous))

    # ------------------------------------------------------------ projection
    def line_integrals(self, t: float, contrast: bool = True, patient_time: float | None = None) -> np.ndarray:
        """Noise-free line integrals ``(H, W)`` float64 at time ``t`` (s): body plus, with ``contrast``, iodine.

        ``patient_time`` places the patient (drift, heartbeat, breathing) at another time than the C-arm (the DSA
        mask uses ``0``).
        """
        tp = t if patient_time is None else patient_time
        geom = self.geometry_at(t, tp)
        body = self._body_at(tp)
        L = ellipsoid_line_integrals(geom, body.centres, body.semi_axes, body.densities, body.rotations).astype(
            np.float64
        )
        if self._ct is not None:
            L = L + self._ct_projection(geom)
        if contrast:
            L = L + self.iodine_line_integrals(t, patient_time=tp)
        return L

    def iodine_line_integrals(self, t: float, patient_time: float | None = None) -> np.ndarray:
        """Noise-free iodine (and catheter) line integrals ``(H, W)`` float64 at time ``t`` (s)."""
        tp = t if patient_time is None else patient_time
        geom = self.geometry_at(t, tp)
        pieces = self.vessel_pieces(t, tp)
        n0, n1 = chain_cap_normals(pieces.starts, pieces.ends, pieces.previous)
        on = pieces.mu > 1e-6
        L = np.zeros((self.size, self.size))
        if on.any():
            L += cylinder_line_integrals(
                geom, pieces.starts[on], pieces.ends[on], pieces.radii[on], pieces.mu[on],
                supersample=self.supersample, start_normals=n0[on], end_normals=n1[on],
            )  # fmt: skip
        for centre, radius, arrival in self._sacs:
            conc = float(bolus_curve(t - arrival, self._injection_s + 1.0, 0.4, 1.0))
            if conc > 1e-6:
                L += ellipsoid_line_integrals(
                    geom, centre[None], np.full((1, 3), radius), np.array([MU_IODINE * conc]),
                    supersample=self.supersample,
                )  # fmt: skip
        if self._blush is not None:
            conc = float(bolus_curve(t - self._blush_arrival, self._injection_s + 1.0, 0.8, 1.2))
            if conc > 1e-6:
                b = self._blush
                L += ellipsoid_line_integrals(geom, b.centres, b.semi_axes, b.densities * 0.0015 * conc, b.rotations)
        return L

    def _ct_projection(self, geom: CArmGeometry) -> np.ndarray:
        key = (geom.primary_deg, geom.secondary_deg, geom.table_offset_mm)
        if key not in self._ct_cache:
            from monai_angio.projection.projector import rtk_forward_project

            if len(self._ct_cache) > 512:
                self._ct_cache.clear()
            mu, spacing = self._ct
            self._ct_cache[key] = rtk_forward_project(mu, spacing, [geom])[0].astype(np.float64)
        return self._ct_cache[key]

    # -------------------------------------------------------------- X-ray
    def _n0(self) -> float:
        dose = 1.0 if math.isinf(self.dose) else self.dose
        return self.photons_per_pixel * math.exp(_L_REF) * dose

    def _kernel(self) -> np.ndarray | None:
        if self.focal_spot_mm <= 0:
            return None
        g = self.geometry
        return focal_spot_kernel(self.focal_spot_mm, "gaussian", g.sod_mm, g.sid_mm, g.pixel_mm)

    def _detect(self, L: np.ndarray, rng: np.random.Generator | None, averaging: int = 1) -> np.ndarray:
        """Line integrals -> blurred, noisy, log-transformed image (an estimate of the line integrals)."""
        n0 = self._n0()
        fluence = torch.from_numpy(n0 * np.exp(-L))
        kernel = self._kernel()
        if kernel is not None and kernel.size > 1:
            fluence = apply_kernel(fluence, kernel)
        counts = fluence.numpy()
        floor = 0.5
        if rng is not None:
            counts = rng.poisson(counts * averaging) / averaging
            floor = 0.5 / averaging
        if self.detector_blur_px > 0:
            import cv2

            counts = cv2.GaussianBlur(counts.astype(np.float64), (0, 0), self.detector_blur_px, None,
                                      self.detector_blur_px, cv2.BORDER_REFLECT)  # fmt: skip
        return math.log(n0) - np.log(np.maximum(counts, floor))

    def _noise_rng(self, t: float, tag: int) -> np.random.Generator:
        key = int(round(t * 1e6))
        sign, key = (1, -key) if key < 0 else (0, key)
        return np.random.default_rng(np.random.SeedSequence([self.seed, tag, sign, key & 0xFFFFFFFF, key >> 32]))

    def _mask(self, t: float, noisy: bool) -> np.ndarray:
        geom = self.geometry_at(t, 0.0)
        key = (geom.primary_deg, geom.secondary_deg, geom.table_offset_mm, noisy)
        if key not in self._mask_cache:
            if len(self._mask_cache) > 512:
                self._mask_cache.clear()
            L = self.line_integrals(t, contrast=False, patient_time=0.0)
            self._mask_cache[key] = self._detect(L, self._noise_rng(t, 2) if noisy else None, 4)
        return self._mask_cache[key]

    def _display_range(self) -> tuple[float, float]:
        p = self._detect(self.line_integrals(0.0, contrast=False, patient_time=0.0), None)
        lo, hi = np.percentile(p, [0.5, 99.5])
        return float(lo - 0.3), float(hi + 1.2)

    def _to_unit(self, p: np.ndarray, t: float, noisy: bool) -> np.ndarray:
        if self.subtract:
            return _DSA_LEVEL - _DSA_GAIN * (p - self._mask(t, noisy))
        lo, hi = self._display
        return 0.95 - 0.9 * (p - lo) / (hi - lo)

    def render_unit(self, times_s: Sequence[float] | np.ndarray | float, *, noise: bool | None = None) -> np.ndarray:
        """Frames at any times (s) as float32 ``(N, H, W)`` in [0, 1] (before quantisation)."""
        t = self._check_times(times_s)
        noisy = math.isfinite(self.dose) if noise is None else bool(noise) and math.isfinite(self.dose)
        out = []
        for ti in t:
            p = self._detect(self.line_integrals(float(ti)), self._noise_rng(float(ti), 1) if noisy else None)
            out.append(np.clip(self._to_unit(p, float(ti), noisy), 0.0, 1.0))
        return np.stack(out).astype(np.float32)

    def render(self, times_s: Sequence[float] | np.ndarray | float, *, noise: bool | None = None) -> np.ndarray:
        """Frames at any times (s): ``(N, H, W)`` uint16 in ``[0, 2**bits - 1]``; ``noise=False`` gives the exact
        noise-free frames (ground truth)."""
        top = float(2**self.bits - 1)
        return np.rint(self.render_unit(times_s, noise=noise) * top).astype(np.uint16)

    def generate(self, progress: Any = None) -> tuple[np.ndarray, dict[str, Any]]:
        """The acquisition: ``frames`` ``(T, H, W)`` uint16 at :meth:`frame_times_s`, and its meta data.

        Args:
            progress: optional callable ``progress(done, total)`` called after each frame.

        Returns:
            ``(frames, meta)``; ``meta`` holds ``mode``, ``seed``, ``frame_times_ms``, ``bits_stored``,
            ``pixel_spacing`` (at the detector), ``trajectory`` (a :class:`~monai_angio.projection.Trajectory`),
            ``subtracted``, ``cardiac_phase`` (coronary) and ``dose``.
        """
        times = self.frame_times_s()
        frames = []
        for i, ti in enumerate(times):
            frames.append(self.render(float(ti))[0])
            if progress is not None:
                progress(i + 1, len(times))
        meta = {
            "mode": self.mode,
            "seed": self.seed,
            "frame_times_ms": [float(v) for v in 1000.0 * times],
            "bits_stored": self.bits,
            "pixel_spacing": (self.geometry.pixel_mm, self.geometry.pixel_mm),
            "trajectory": self.trajectory(times),
            "subtracted": self.subtract,
            "cardiac_phase": [self.cardiac_phase(float(t)) for t in times] if self.mode == "coronary" else None,
            "dose": self.dose,
        }
        return np.stack(frames), meta


def _siphon(rng: np.random.Generator, root: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cervical and petrous internal carotid with its siphon: a chain ending at ``root`` (path <= 0)."""
    s = np.linspace(0.0, 1.0, 80)
    length = 85.0
    z = root[2] - length * (1.0 - s)
    bend = np.sin(np.pi * s) ** 2 * np.sin(2 * np.pi * s)
    x = root[0] + side * (4.0 * (1.0 - s) + rng.uniform(2.0, 5.0) * bend)
    y = root[1] + 10.0 * (1.0 - s) ** 2 - rng.uniform(6.0, 10.0) * bend
    points = np.stack([x, y, z], axis=1)
    radii = 2.3 - 0.3 * s
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    path = np.concatenate([[0.0], np.cumsum(seg)])
    return points, radii, path - path[-1]


def _sagittal_sinus(centre: np.ndarray, semi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The superior sagittal sinus: an arc along the vault's midline from front to back (path from the front)."""
    theta = np.linspace(0.35, 0.95 * np.pi, 90)
    points = np.stack(
        [np.zeros_like(theta), centre[1] - 1.02 * semi[1] * np.cos(theta), centre[2] + 1.02 * semi[2] * np.sin(theta)],
        axis=1,
    )
    radii = np.linspace(1.2, 3.5, len(theta))
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    path = np.concatenate([[0.0], np.cumsum(seg)])
    return points, radii, path


def _brain_region(mu: np.ndarray, spacing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The brain ellipsoid of a CT head (centred volume): inside the skull's soft tissue, above its middle."""
    tissue = mu > 0.5 * float(np.median(mu[mu > 0])) if np.any(mu > 0) else mu > 0
    if not tissue.any():
        raise ValueError("Angiography3DPhantom: the background volume holds no tissue (is it in HU?).")
    idx = np.argwhere(tissue)
    shape = np.asarray(mu.shape, dtype=np.float64)
    lo, hi = idx.min(0), idx.max(0)
    centre_zyx = ((lo + hi) / 2 - (shape - 1) / 2) * spacing
    half_zyx = (hi - lo) / 2 * spacing
    centre = centre_zyx[::-1].copy()
    semi = half_zyx[::-1] * np.array([0.72, 0.74, 0.55])
    centre[2] += 0.25 * half_zyx[0]
    return centre, np.maximum(semi, 10.0)
