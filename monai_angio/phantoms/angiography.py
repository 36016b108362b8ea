# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Digital X-ray angiography phantom: seeded 2D cine with a vessel tree, contrast bolus, cardiac motion and X-ray noise.

The scene (vessel tree, background anatomy, motion parameters) is built once from the seed. Each frame at time ``t``
(ms) is then formed independently:

1. iodine line integral in the reference (undeformed) scene: lumen thickness times the bolus concentration, a
   gamma-variate time-density curve delayed by the path distance from the root (bolus transit);
2. non-rigid periodic cardiac motion (contraction toward a centre following a cardiac-cycle waveform, torsion, a
   low-frequency sinusoidal field and a swing) and optional respiratory drift, applied as a smooth backward map;
3. Beer-Lambert attenuation over the background anatomy, ``N = N0 * dose * exp(-(mu_bg + mu_iodine * c * T))``,
   Poisson quantum noise, Gaussian detector blur and a log transform;
4. ``"dsa"``: subtraction of a contrast-free mask acquired at ``t = 0`` (vessels dark on a uniform grey background);
   ``"coronary"``: the unsubtracted image (vessels, bones, heart shadow and catheter dark, lungs bright).

Quantum noise is seeded by ``(seed, frame time)``, so a frame is identical whether rendered alone or in a batch, and
frames can be rendered at any time (e.g. intermediate frames as interpolation ground truth).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from .vessel_tree import VesselSegment, grow_vessel_tree, rasterize_vessel_tree

__all__ = ["AngiographyPhantom", "cardiac_waveform", "gamma_variate"]

_MODES = ("dsa", "coronary")
_MU_IODINE = 0.2  # attenuation per mm of lumen filled with undiluted bolus (contrast = 1)
_MU_CATHETER = 0.12  # attenuation per mm of catheter
_L_REF = {"dsa": 3.4, "coronary": 3.6}  # line integral at which `photons_per_pixel` photons reach the detector
# display mapping to [0, 1]: DSA  value = _DSA_LEVEL - _DSA_GAIN * (p - p_mask)
_DSA_LEVEL, _DSA_GAIN = 0.75, 0.45
# coronary value = _COR_TOP - _COR_GAIN * (p - _COR_P0)
_COR_TOP, _COR_GAIN, _COR_P0 = 0.92, 0.25, 2.2
_MIN_SIZE, _MAX_SIZE = 32, 4096


def cardiac_waveform(phase: np.ndarray | float, systole: float = 0.35) -> np.ndarray:
    """Ventricular contraction over the cardiac cycle.

    Args:
        phase: cardiac phase(s) in cycles; 0 is end-diastole (R wave), taken modulo 1.
        systole: phase of maximal contraction (end-systole), in (0, 1).

    Returns:
        contraction in [0, 1] (0 at end-diastole, 1 at end-systole), same shape as ``phase``; a fast systolic
        contraction and a slower diastolic relaxation, smooth and periodic.
    """
    p = np.mod(np.asarray(phase, dtype=np.float64), 1.0)
    g = np.where(p < systole, 0.5 * p / systole, 0.5 + 0.5 * (p - systole) / (1.0 - systole))
    return np.sin(np.pi * g) ** 2


def gamma_variate(t: np.ndarray | float, peak_time: float, alpha: float = 3.0) -> np.ndarray:
    """Gamma-variate time-density curve normalised to a peak of 1.

    ``c(t) = (t / tp) ** alpha * exp(alpha * (1 - t / tp))`` for ``t > 0`` and 0 before arrival.

    Args:
        t: time(s) since bolus arrival (ms).
        peak_time: time to peak ``tp`` (ms), > 0.
        alpha: shape (larger is narrower).

    Returns:
        concentration in [0, 1] with the dtype of ``t`` (float64 for Python scalars).
    """
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.floating):
        t = t.astype(np.float64)
    x = np.maximum(t, 0) / t.dtype.type(peak_time)
    with np.errstate(under="ignore"):
        c = x**alpha * np.exp(alpha * (1 - x))
    return np.where(t > 0, c, 0).astype(t.dtype)


def _field(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, cells: float) -> np.ndarray:
    """Smooth random field (bicubic interpolation of white noise on a grid of ``cells`` per scene unit)."""
    ox, oy = x[0] - 1.0, y[0] - 1.0
    gw = int(math.ceil((x[-1] - ox + 1.0) * cells)) + 4
    gh = int(math.ceil((y[-1] - oy + 1.0) * cells)) + 4
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    mx = np.broadcast_to(((x - ox) * cells).astype(np.float32)[None, :], (len(y), len(x)))
    my = np.broadcast_to(((y - oy) * cells).astype(np.float32)[:, None], (len(y), len(x)))
    return cv2.remap(
        grid, np.ascontiguousarray(mx), np.ascontiguousarray(my), cv2.INTER_CUBIC, None, cv2.BORDER_REFLECT
    )


def _chord(rho2: np.ndarray, radius: float) -> np.ndarray:
    """Chord length through a sphere/cylinder of ``radius`` at squared distance ``rho2`` from its centre/axis."""
    return 2.0 * np.sqrt(np.maximum(radius * radius - rho2, 0.0))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _coronary_background(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, wn: float, hn: float) -> np.ndarray:
    """Chest line integral: soft tissue, lungs, heart shadow, diaphragm/liver, spine with discs, ribs."""
    X, Y = x[None, :].astype(np.float32), y[:, None].astype(np.float32)
    L = np.full((len(y), len(x)), 3.2, np.float32)
    L += 0.15 * _field(rng, x, y, 2.5) + 0.04 * _field(rng, x, y, 8.0)
    # heart: projected ellipsoid
    hx, hy = wn * rng.uniform(0.5, 0.7), hn * rng.uniform(0.6, 0.8)
    ax, ay, ang = rng.uniform(0.45, 0.6), rng.uniform(0.38, 0.5), rng.uniform(-0.5, 0.5)
    u = ((X - hx) * math.cos(ang) + (Y - hy) * math.sin(ang)) / ax
    v = (-(X - hx) * math.sin(ang) + (Y - hy) * math.cos(ang)) / ay
    L += 0.3 * _chord(u * u + v * v, 1.0)
    # diaphragm dome: lungs above (less attenuating), liver below
    xd, yd, kd = wn * rng.uniform(0.3, 0.7), hn * rng.uniform(0.85, 1.0), rng.uniform(0.6, 1.2)
    below = _sigmoid((Y - (yd + kd * (X - xd) ** 2)) / 0.015)
    L += 0.6 * below - 0.35 * (1.0 - below)
    L += 0.025 * (1.0 - below) * _field(rng, x, y, 24.0)
    # spine with vertebral bodies and disc spaces
    xs = wn * rng.choice((rng.uniform(0.02, 0.2), rng.uniform(0.8, 0.98)))
    spine = np.sqrt(np.maximum(1.0 - ((X - xs) / 0.12) ** 2, 0.0))
    period, off = rng.uniform(0.17, 0.22), rng.uniform(0.0, 1.0)
    disc = np.exp(-(((np.mod(Y / period + off, 1.0) - 0.5) / 0.08) ** 2))
    L += spine * (0.5 - 0.15 * disc)
    # ribs: curved bony bands with a cortical rim (posterior ribs strong, anterior ribs faint)
    side = 1.0 if xs < 0.5 * wn else -1.0
    for k in range(11):
        posterior = k < 7
        y0 = (-0.3 + k * 0.2 if posterior else -0.2 + (k - 7) * 0.3) + rng.normal(0.0, 0.02)
        a1 = (rng.uniform(0.15, 0.35) if posterior else -rng.uniform(0.2, 0.4)) * side
        a2 = rng.uniform(0.1, 0.35)
        half = rng.uniform(0.022, 0.032) if posterior else rng.uniform(0.03, 0.045)
        dxs = X - xs
        yc = y0 * hn + a1 * dxs + a2 * dxs * dxs
        slope = a1 + 2.0 * a2 * dxs
        d = (Y - yc) / np.sqrt(1.0 + slope * slope)
        core = np.sqrt(np.maximum(1.0 - (d / half) ** 2, 0.0))
        rim = np.exp(-(((np.abs(d) - 0.9 * half) / (0.15 * half)) ** 2))
        gain = 1.0 if posterior else 0.4
        L += gain * (0.13 * core + 0.08 * rim)
    return L


def _dsa_background(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, wn: float, hn: float) -> np.ndarray:
    """Head line integral: soft tissue, skull shell, skull base, air sinuses."""
    X, Y = x[None, :].astype(np.float32), y[:, None].astype(np.float32)
    L = np.full((len(y), len(x)), 3.0, np.float32)
    L += 0.15 * _field(rng, x, y, 2.0) + 0.04 * _field(rng, x, y, 8.0)
    cx, cy = wn * rng.uniform(0.35, 0.65), hn * rng.uniform(0.55, 0.75)
    r_out, thick = rng.uniform(0.8, 0.95), rng.uniform(0.05, 0.08)
    sy = rng.uniform(0.9, 1.1)
    rho2 = (X - cx) ** 2 + ((Y - cy) / sy) ** 2
    L += 2.0 * (_chord(rho2, r_out) - _chord(rho2, r_out - thick))
    L += 0.25 * _chord(rho2, r_out - thick)  # brain
    bx, by, ang = wn * rng.uniform(0.3, 0.7), hn * rng.uniform(0.85, 1.05), rng.uniform(-0.6, 0.6)
    u = ((X - bx) * math.cos(ang) + (Y - by) * math.sin(ang)) / 0.35
    v = (-(X - bx) * math.sin(ang) + (Y - by) * math.cos(ang)) / 0.07
    L += 0.8 * np.exp(-(u * u + v * v))
    for _ in range(2):
        sx, sy2 = wn * rng.uniform(0.1, 0.9), hn * rng.uniform(0.7, 1.0)
        L -= 0.3 * np.exp(-(((X - sx) ** 2 + (Y - sy2) ** 2) / (2 * rng.uniform(0.04, 0.08) ** 2)))
    return L


def _check_positive(name: str, value: float, allow_inf: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"AngiographyPhantom: {name} must be a number, got {type(value).__name__}.")
    value = float(value)
    if math.isnan(value) or value <= 0 or (math.isinf(value) and not allow_inf):
        raise ValueError(f"AngiographyPhantom: {name} must be a positive finite number, got {value}.")
    return value


class AngiographyPhantom:
    """Seeded 2D X-ray angiography cine with known ground truth.

    Args:
        size: ``(H, W)`` of the frames (or one int for square frames), each in [32, 4096].
        num_frames: number of frames ``T`` produced by :meth:`generate`.
        frame_rate: acquisition rate (frames per second); frame ``k`` is at ``k * 1000 / frame_rate`` ms.
        mode: ``"dsa"`` (mask-subtracted, cerebral-like tree, little motion, vessels dark on uniform grey) or
            ``"coronary"`` (unsubtracted chest image with catheter and strong cardiac motion, vessels dark).
        heart_rate_bpm: heart rate in [30, 200] beats per minute; the motion is periodic with this rate.
        respiration: add respiratory drift (translation and craniocaudal stretch of the whole scene).
        bits: bits stored (8..16); frames are uint16 in ``[0, 2**bits - 1]``.
        dose: relative dose, scales the photon count (noise variance ~ 1 / dose); ``inf`` gives noise-free frames.
        noise: False for noise-free frames (equivalent to ``dose=inf``).
        detector_blur_px: Gaussian sigma of the detector blur in pixels (0 disables it).
        seed: non-negative integer seed of the scene and of the noise.
        photons_per_pixel: detected photons per pixel at dose 1 behind a reference background.
        motion_amplitude: cardiac motion amplitude as a fraction of the shorter image side
            (default 0.05 for coronary, 0.006 for DSA).
        respiratory_rate_bpm: breaths per minute, used when ``respiration`` is True.
        respiration_amplitude: respiratory drift amplitude as a fraction of the shorter image side.
        field_of_view_mm: physical size of the shorter image side; sets ``pixel_spacing`` and lumen thickness in mm.
        contrast: scale of the iodine concentration (1 = undiluted bolus).
        bolus_arrival_ms: time the bolus reaches the root (default 12% of the cine duration).
        bolus_transit_ms: time from the root to the most distal vessel (default 25% of the cine duration).
        bolus_peak_ms: time from local arrival to peak concentration (default 22% of the cine duration).
        cardiac_phase0: cardiac phase at ``t = 0`` in [0, 1) (default drawn from the seed).
        mask_averaging: number of frames averaged into the DSA mask (reduces mask noise).

    Example:
        >>> from monai_angio.phantoms import AngiographyPhantom
        >>> phantom = AngiographyPhantom(size=(64, 64), num_frames=4, frame_rate=10.0, seed=1)
        >>> frames, meta = phantom.generate()
        >>> frames.shape, frames.dtype.name, meta["format"], meta["frame_times_ms"]
        ((4, 64, 64), 'uint16', 'phantom', [0.0, 100.0, 200.0, 300.0])
        >>> bool((phantom.render([200.0]) == frames[2]).all())
        True
    """

    def __init__(
        self,
        size: int | Sequence[int] = (256, 256),
        num_frames: int = 32,
        frame_rate: float = 15.0,
        mode: str = "dsa",
        heart_rate_bpm: float = 75.0,
        respiration: bool = False,
        bits: int = 12,
        dose: float = 1.0,
        noise: bool = True,
        detector_blur_px: float = 0.7,
        seed: int = 0,
        *,
        photons_per_pixel: float = 1500.0,
        motion_amplitude: float | None = None,
        respiratory_rate_bpm: float = 15.0,
        respiration_amplitude: float = 0.04,
        field_of_view_mm: float = 100.0,
        contrast: float = 1.0,
        bolus_arrival_ms: float | None = None,
        bolus_transit_ms: float | None = None,
        bolus_peak_ms: float | None = None,
        cardiac_phase0: float | None = None,
        mask_averaging: int = 4,
    ) -> None:
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            size = (int(size), int(size))
        if isinstance(size, (str, bytes)) or not isinstance(size, Sequence) or len(size) != 2:
            raise ValueError(f"AngiographyPhantom: size must be (H, W), got {size!r}.")
        if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size):
            raise TypeError(f"AngiographyPhantom: size must hold integers, got {size!r}.")
        if not all(_MIN_SIZE <= int(s) <= _MAX_SIZE for s in size):
            raise ValueError(
                f"AngiographyPhantom: each side of size must be in [{_MIN_SIZE}, {_MAX_SIZE}], got {size}."
            )
        if isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer)) or num_frames < 1:
            raise ValueError(f"AngiographyPhantom: num_frames must be a positive integer, got {num_frames!r}.")
        if mode not in _MODES:
            raise ValueError(f"AngiographyPhantom: mode must be one of {_MODES}, got {mode!r}.")
        heart_rate_bpm = _check_positive("heart_rate_bpm", heart_rate_bpm)
        if not 30.0 <= heart_rate_bpm <= 200.0:
            raise ValueError(f"AngiographyPhantom: heart_rate_bpm must be in [30, 200], got {heart_rate_bpm}.")
        if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 8 <= bits <= 16:
            raise ValueError(f"AngiographyPhantom: bits must be an integer in [8, 16], got {bits!r}.")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"AngiographyPhantom: seed must be a non-negative integer, got {seed!r}.")
        if isinstance(mask_averaging, bool) or not isinstance(mask_averaging, (int, np.integer)) or mask_averaging < 1:
            raise ValueError(f"AngiographyPhantom: mask_averaging must be a positive integer, got {mask_averaging!r}.")
        self.size = (int(size[0]), int(size[1]))
        self.num_frames = int(num_frames)
        self.frame_rate = _check_positive("frame_rate", frame_rate)
        self.mode = mode
        self.heart_rate_bpm = heart_rate_bpm
        self.respiration = bool(respiration)
        self.bits = int(bits)
        self.dose = _check_positive("dose", dose, allow_inf=True)
        self.noise = bool(noise) and math.isfinite(self.dose)
        self.detector_blur_px = float(detector_blur_px)
        if not math.isfinite(self.detector_blur_px) or self.detector_blur_px < 0:
            raise ValueError(f"AngiographyPhantom: detector_blur_px must be >= 0, got {detector_blur_px}.")
        self.seed = int(seed)
        self.photons_per_pixel = _check_positive("photons_per_pixel", photons_per_pixel)
        if motion_amplitude is None:
            motion_amplitude = 0.05 if mode == "coronary" else 0.006
        self.motion_amplitude = float(motion_amplitude)
        if not math.isfinite(self.motion_amplitude) or not 0.0 <= self.motion_amplitude <= 0.25:
            raise ValueError(f"AngiographyPhantom: motion_amplitude must be in [0, 0.25], got {motion_amplitude}.")
        self.respiratory_rate_bpm = _check_positive("respiratory_rate_bpm", respiratory_rate_bpm)
        self.respiration_amplitude = float(respiration_amplitude)
        if not math.isfinite(self.respiration_amplitude) or not 0.0 <= self.respiration_amplitude <= 0.25:
            raise ValueError(
                f"AngiographyPhantom: respiration_amplitude must be in [0, 0.25], got {respiration_amplitude}."
            )
        self.field_of_view_mm = _check_positive("field_of_view_mm", field_of_view_mm)
        if isinstance(contrast, bool) or not isinstance(contrast, (int, float, np.integer, np.floating)):
            raise TypeError(f"AngiographyPhantom: contrast must be a number, got {type(contrast).__name__}.")
        if not math.isfinite(contrast) or contrast < 0:
            raise ValueError(f"AngiographyPhantom: contrast must be >= 0, got {contrast}.")
        self.contrast = float(contrast)
        duration = self.num_frames * 1000.0 / self.frame_rate
        self.bolus_arrival_ms = 0.12 * duration if bolus_arrival_ms is None else float(bolus_arrival_ms)
        if not math.isfinite(self.bolus_arrival_ms):
            raise ValueError(f"AngiographyPhantom: bolus_arrival_ms must be finite, got {bolus_arrival_ms}.")
        self.bolus_transit_ms = (
            0.25 * duration if bolus_transit_ms is None else _check_positive("bolus_transit_ms", bolus_transit_ms)
        )
        self.bolus_peak_ms = (
            0.22 * duration if bolus_peak_ms is None else _check_positive("bolus_peak_ms", bolus_peak_ms)
        )
        if cardiac_phase0 is not None and not (math.isfinite(cardiac_phase0) and 0.0 <= cardiac_phase0 < 1.0):
            raise ValueError(f"AngiographyPhantom: cardiac_phase0 must be in [0, 1), got {cardiac_phase0}.")
        self.mask_averaging = int(mask_averaging)
        self._build(cardiac_phase0)

    # ------------------------------------------------------------------ scene
    @property
    def pixel_spacing(self) -> tuple[float, float]:
        """Pixel spacing (row, column) in mm."""
        sp = self.field_of_view_mm / min(self.size)
        return (sp, sp)

    @property
    def frame_times_ms(self) -> np.ndarray:
        """``(T,)`` float64 acquisition times of :meth:`generate` (ms, starting at 0)."""
        return np.arange(self.num_frames, dtype=np.float64) * (1000.0 / self.frame_rate)

    @property
    def segments(self) -> list[VesselSegment]:
        """The vessel tree (scene units: the shorter image side has length 1)."""
        return list(self._segments)

    def _build(self, cardiac_phase0: float | None) -> None:
        H, W = self.size
        S = float(min(H, W))
        wn, hn = W / S, H / S
        self._scale = S
        streams = np.random.SeedSequence([self.seed, _MODES.index(self.mode)]).spawn(3)
        rng_tree, rng_bg, rng_mo = (np.random.default_rng(s) for s in streams)

        # motion parameters (all drawn, whether used or not, so the scene does not depend on the options)
        self._phase0 = float(rng_mo.uniform()) if cardiac_phase0 is None else float(cardiac_phase0)
        self._resp_phase0 = float(rng_mo.uniform())
        centre = np.array([wn * rng_mo.uniform(0.45, 0.7), hn * rng_mo.uniform(0.5, 0.75)])
        freqs = rng_mo.uniform(0.8, 1.6, size=2)
        dirs = rng_mo.uniform(0.0, 2.0 * math.pi, size=2)
        sin_phase = rng_mo.uniform(0.0, 2.0 * math.pi, size=2)
        self._twist = float(rng_mo.choice((-1.0, 1.0)))
        self._lags = rng_mo.uniform(0.0, 1.0, size=3)
        amp_px = self.motion_amplitude * S
        resp_px = self.respiration_amplitude * S if self.respiration else 0.0
        self._amp_px, self._resp_px = amp_px, resp_px
        m = int(math.ceil(2.2 * amp_px + 1.1 * resp_px)) + 3
        self._margin = m

        # output grid, scene coordinates of pixel centres, motion basis fields (pixels)
        xo = ((np.arange(W) + 0.5) / S).astype(np.float32)
        yo = ((np.arange(H) + 0.5) / S).astype(np.float32)
        X, Y = np.meshgrid(xo, yo)
        self._base_x = (np.arange(W, dtype=np.float32)[None, :] + m) + np.zeros((H, 1), np.float32)
        self._base_y = (np.arange(H, dtype=np.float32)[:, None] + m) + np.zeros((1, W), np.float32)
        rx, ry = X - centre[0], Y - centre[1]
        rho2 = rx * rx + ry * ry
        rho0, sig = 0.5, 0.35
        g1 = (1.0 / (1.0 + rho2 / rho0**2)) / (rho0 / 2.0)
        g2 = np.exp(-rho2 / (2 * sig**2)) / (sig * math.exp(-0.5))
        k1 = freqs[0] * np.array([math.cos(dirs[0]), math.sin(dirs[0])])
        k2 = freqs[1] * np.array([math.cos(dirs[1]), math.sin(dirs[1])])
        self._fields = np.stack(
            [
                rx * g1,
                ry * g1,
                -ry * g2,
                rx * g2,
                np.sin(2 * math.pi * (k1[0] * X + k1[1] * Y) + sin_phase[0]),
                np.sin(2 * math.pi * (k2[0] * X + k2[1] * Y) + sin_phase[1]),
            ]
        ).astype(np.float32)
        self._resp_y = (0.7 + 0.3 * yo / hn)[:, None].astype(np.float32)

        # canvas (output plus margin) in scene coordinates
        xc = ((np.arange(W + 2 * m) - m + 0.5) / S).astype(np.float64)
        yc = ((np.arange(H + 2 * m) - m + 0.5) / S).astype(np.float64)
        origin = (xc[0], yc[0])
        canvas = (H + 2 * m, W + 2 * m)

        # vessel tree
        if self.mode == "coronary":
            root = (wn * rng_tree.uniform(0.08, 0.2), hn * rng_tree.uniform(0.08, 0.2))
            heading = math.atan2(hn * 0.7 - root[1], wn * 0.6 - root[0]) + rng_tree.normal(0.0, 0.2)
            tree_kw = dict(root_radius=0.018, min_radius=0.0035, max_depth=6, max_segments=56, length_scale=0.45,
                           curvature=2.0, side_branch_prob=0.7)  # fmt: skip
        else:
            root = (wn * rng_tree.uniform(0.15, 0.4), hn + 0.03)
            heading = -math.pi / 2 + rng_tree.normal(0.25, 0.15)
            tree_kw = dict(root_radius=0.02, min_radius=0.0025, max_depth=7, max_segments=120, length_scale=0.3,
                           curvature=3.0, side_branch_prob=0.6)  # fmt: skip
        self._segments = grow_vessel_tree(rng_tree, (wn, hn), root, heading, **tree_kw)
        thick_px, path = rasterize_vessel_tree(self._segments, canvas, S, origin)
        mm_per_px = self.field_of_view_mm / S
        self._thickness_mm = thick_px * np.float32(mm_per_px)
        vidx = np.flatnonzero(thick_px > 1e-4)
        self._vidx = vidx
        self._thick_v = self._thickness_mm.ravel()[vidx]
        s_max = max(float(seg.path_length.max()) for seg in self._segments)
        self._arrival_v = (self.bolus_arrival_ms + self.bolus_transit_ms * path.ravel()[vidx] / s_max).astype(
            np.float32
        )

        # static part of the moving layer: guide catheter ending at the root (coronary mode)
        self._static_layer = np.zeros(canvas, np.float32)
        if self.mode == "coronary":
            back = heading + math.pi + rng_tree.normal(0.0, 0.3)
            bend = rng_tree.normal(0.0, 1.5)
            pts = [np.asarray(root, dtype=float)]
            h = back
            for _ in range(200):
                h += 0.01 * bend
                pts.append(pts[-1] + 0.01 * np.array([math.cos(h), math.sin(h)]))
            pts_a = np.asarray(pts[::-1])
            cath = VesselSegment(pts_a, np.full(len(pts_a), 0.01), np.zeros(len(pts_a)), 0, -1)
            cath_px, _ = rasterize_vessel_tree([cath], canvas, S, origin)
            self._static_layer += cath_px * np.float32(mm_per_px * _MU_CATHETER)

        # background anatomy (static, drifts with respiration)
        build_bg = _coronary_background if self.mode == "coronary" else _dsa_background
        self._background = build_bg(rng_bg, xc, yc, wn, hn).astype(np.float32)
        self._background_view = np.ascontiguousarray(self._background[m : m + H, m : m + W])
        self._mask_cache: dict[bool, np.ndarray] = {}

    # ------------------------------------------------------------- timeline
    def cardiac_phase(self, times_ms: np.ndarray | Sequence[float]) -> np.ndarray:
        """Cardiac phase in [0, 1) at ``times_ms`` (0 = end-diastole); periodic with ``60000 / heart_rate_bpm`` ms."""
        t = self._check_times(times_ms)
        return np.mod(self._phase0 + t * (self.heart_rate_bpm / 60000.0), 1.0)

    def respiratory_phase(self, times_ms: np.ndarray | Sequence[float]) -> np.ndarray:
        """Respiratory phase in [0, 1) at ``times_ms`` (0 = end-expiration)."""
        t = self._check_times(times_ms)
        return np.mod(self._resp_phase0 + t * (self.respiratory_rate_bpm / 60000.0), 1.0)

    @staticmethod
    def _check_times(times_ms: np.ndarray | Sequence[float] | float) -> np.ndarray:
        try:
            t = np.asarray(times_ms, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"AngiographyPhantom: times_ms must be numbers, got {times_ms!r}.") from err
        if t.ndim == 0:
            t = t[None]
        if t.ndim != 1 or t.size == 0:
            raise ValueError(f"AngiographyPhantom: times_ms must be a non-empty 1-D array, got shape {t.shape}.")
        if not np.all(np.isfinite(t)):
            raise ValueError("AngiographyPhantom: times_ms must be finite.")
        return t

    def _maps(self, t: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        """Backward maps (output pixel -> canvas pixel) of the moving layer, plus the respiratory shift terms."""
        phase = float(self.cardiac_phase(t)[0])
        w = float(cardiac_waveform(phase))
        a = self._amp_px
        c = (0.8 * a * w, 0.45 * a * w * self._twist, 0.35 * a * math.sin(2 * math.pi * (phase + self._lags[0])))
        tx = 0.3 * a * math.sin(2 * math.pi * (phase + self._lags[1]))
        ty = 0.3 * a * math.sin(2 * math.pi * (phase + self._lags[2]))
        rx = ry = 0.0
        if self.respiration:
            wr = 0.5 - 0.5 * math.cos(2 * math.pi * float(self.respiratory_phase(t)[0]))
            rx, ry = -0.3 * self._resp_px * wr, -self._resp_px * wr
        f = self._fields
        mx = self._base_x + np.float32(c[0]) * f[0] + np.float32(c[1]) * f[2] + np.float32(c[2]) * f[4]
        my = self._base_y + np.float32(c[0]) * f[1] + np.float32(c[1]) * f[3] + np.float32(c[2]) * f[5]
        mx += np.float32(tx + rx)
        my += np.float32(ty) + np.float32(ry) * self._resp_y
        return mx, my, rx, ry

    def _warp(self, layer: np.ndarray, mx: np.ndarray, my: np.ndarray) -> np.ndarray:
        return cv2.remap(layer, mx, my, cv2.INTER_LINEAR, None, cv2.BORDER_CONSTANT, 0)

    def _background_at(self, rx: float, ry: float) -> np.ndarray:
        if not self.respiration or (rx == 0.0 and ry == 0.0):
            return self._background_view
        mx = self._base_x + np.float32(rx)
        my = self._base_y + np.float32(ry) * self._resp_y
        return cv2.remap(self._background, mx, my, cv2.INTER_LINEAR, None, cv2.BORDER_REPLICATE)

    def _iodine_layer(self, t: float) -> np.ndarray:
        layer = self._static_layer.copy()
        if self.contrast > 0:
            conc = gamma_variate(np.float32(t) - self._arrival_v, self.bolus_peak_ms)
            layer.ravel()[self._vidx] += np.float32(_MU_IODINE * self.contrast) * conc * self._thick_v
        return layer

    def _line_integral(self, t: float, with_contrast: bool = True) -> np.ndarray:
        mx, my, rx, ry = self._maps(t)
        layer = self._iodine_layer(t) if with_contrast else self._static_layer
        moving = self._warp(layer, mx, my) if layer.any() else 0.0
        return self._background_at(rx, ry) + moving

    # --------------------------------------------------------------- X-ray
    def _noise_rng(self, t: float, tag: int) -> np.random.Generator:
        key = int(round(t * 1000.0))  # microsecond resolution: robust to float round-off in the frame times
        sign, key = (1, -key) if key < 0 else (0, key)
        words = [self.seed, tag, sign, key & 0xFFFFFFFF, (key >> 32) & 0xFFFFFFFF, key >> 64]
        return np.random.default_rng(np.random.SeedSequence(words))

    def _detect(self, L: np.ndarray, rng: np.random.Generator | None, averaging: int = 1) -> np.ndarray:
        """Line integral -> detected, blurred, log-transformed image ``p`` (an estimate of the line integral)."""
        n0 = self.photons_per_pixel * math.exp(_L_REF[self.mode]) * (self.dose if rng is not None else 1.0)
        expected = np.exp(-L.astype(np.float32)) * np.float32(n0)
        if rng is not None:
            counts = rng.poisson(expected.astype(np.float64) * averaging).astype(np.float32)
            if averaging > 1:
                counts *= np.float32(1.0 / averaging)
            floor = 0.5 / averaging
        else:
            counts, floor = expected, 0.5
        if self.detector_blur_px > 0:
            counts = cv2.GaussianBlur(counts, (0, 0), self.detector_blur_px, None, self.detector_blur_px,
                                      cv2.BORDER_REFLECT)  # fmt: skip
        return np.float32(math.log(n0)) - np.log(np.maximum(counts, np.float32(floor)))

    def _mask(self, noisy: bool) -> np.ndarray:
        if noisy not in self._mask_cache:
            L = self._line_integral(0.0, with_contrast=False)
            rng = self._noise_rng(0.0, 2) if noisy else None
            self._mask_cache[noisy] = self._detect(L, rng, self.mask_averaging)
        return self._mask_cache[noisy]

    def _render_frame(self, t: float, noisy: bool) -> np.ndarray:
        p = self._detect(self._line_integral(t), self._noise_rng(t, 1) if noisy else None)
        if self.mode == "dsa":
            value = _DSA_LEVEL - _DSA_GAIN * (p - self._mask(noisy))
        else:
            value = _COR_TOP - _COR_GAIN * (p - _COR_P0)
        top = float(2**self.bits - 1)
        return np.clip(np.rint(value * top), 0.0, top).astype(np.uint16)

    # -------------------------------------------------------------- public
    def render(self, times_ms: np.ndarray | Sequence[float] | float, *, noise: bool | None = None) -> np.ndarray:
        """Render frames at arbitrary times of the same scene.

        Args:
            times_ms: ``(N,)`` times in ms (any order, any spacing; frame ``k`` of :meth:`generate` is at
                ``k * 1000 / frame_rate``).
            noise: override the phantom's noise setting (False: noise-free).

        Returns:
            ``(N, H, W)`` uint16 frames in ``[0, 2**bits - 1]``; a frame depends only on its time (and the seed).
        """
        t = self._check_times(times_ms)
        noisy = self.noise if noise is None else bool(noise) and math.isfinite(self.dose)
        return np.stack([self._render_frame(float(ti), noisy) for ti in t])

    def generate(self, times_ms: np.ndarray | Sequence[float] | None = None) -> tuple[np.ndarray, dict]:
        """Generate the cine and its meta data in the ``monai_angio.io.load_sequence`` format.

        Args:
            times_ms: optional ``(N,)`` render times in ms; default ``num_frames`` frames at ``frame_rate``.

        Returns:
            ``frames`` uint16 ``(T, H, W)`` and ``meta`` with the loader keys (``"format"`` is ``"phantom"``,
            ``"frame_times_ms"`` relative to the first frame) plus ground truth: ``"render_times_ms"`` (absolute),
            ``"cardiac_phase"``, ``"respiratory_phase"`` (None without respiration), ``"heart_rate_bpm"``,
            ``"mode"``, ``"seed"``, ``"dose"``, ``"noise"``, ``"frame_rate"``, ``"bolus"`` (arrival, transit and
            peak times in ms).
        """
        t = self.frame_times_ms if times_ms is None else self._check_times(times_ms)
        frames = self.render(t)
        rel = t - t[0]
        if times_ms is None or len(t) < 2:
            nominal = 1000.0 / self.frame_rate
        else:
            nominal = float(np.median(np.diff(t)))
        meta = {
            "filename": "phantom",
            "format": "phantom",
            "frame_times_ms": [float(v) for v in rel],
            "frame_time_ms": nominal,
            "bits_stored": self.bits,
            "pixel_spacing": self.pixel_spacing,
            "modality": "XA",
            "photometric_interpretation": "MONOCHROME2",
            "patient_id": None,
            "study_instance_uid": None,
            "series_instance_uid": None,
            "burned_in_annotation": "NO",
            "number_of_frames": int(len(t)),
            "render_times_ms": [float(v) for v in t],
            "cardiac_phase": [float(v) for v in self.cardiac_phase(t)],
            "respiratory_phase": [float(v) for v in self.respiratory_phase(t)] if self.respiration else None,
            "heart_rate_bpm": self.heart_rate_bpm,
            "mode": self.mode,
            "seed": self.seed,
            "dose": self.dose,
            "noise": self.noise,
            "frame_rate": self.frame_rate,
            "bolus": {
                "arrival_ms": self.bolus_arrival_ms,
                "transit_ms": self.bolus_transit_ms,
                "peak_ms": self.bolus_peak_ms,
            },
        }
        return frames, meta

    def vessel_thickness(self, times_ms: np.ndarray | Sequence[float] | float) -> np.ndarray:
        """Ground-truth projected lumen thickness (mm), moving with the scene but independent of the contrast.

        Returns:
            ``(N, H, W)`` float32; ``> 0`` on vessel pixels.
        """
        t = self._check_times(times_ms)
        out = []
        for ti in t:
            mx, my, _, _ = self._maps(float(ti))
            out.append(self._warp(self._thickness_mm, mx, my))
        return np.stack(out)

    def iodine_attenuation(self, times_ms: np.ndarray | Sequence[float] | float) -> np.ndarray:
        """Ground-truth iodine line integral ``mu * c(t) * thickness`` (noise- and blur-free vessel signal).

        Returns:
            ``(N, H, W)`` float32 (the catheter is not included).
        """
        t = self._check_times(times_ms)
        out = []
        for ti in t:
            mx, my, _, _ = self._maps(float(ti))
            out.append(self._warp(self._iodine_layer(float(ti)) - self._static_layer, mx, my))
        return np.stack(out)

    def displacement(self, times_ms: np.ndarray | Sequence[float] | float) -> np.ndarray:
        """Ground-truth motion of the vessels: the reference-scene position of output pixel ``x`` is ``x + d(x)``.

        Returns:
            ``(N, 2, H, W)`` float32 in pixels, channel 0 = x (columns), channel 1 = y (rows).
        """
        t = self._check_times(times_ms)
        out = []
        for ti in t:
            mx, my, _, _ = self._maps(float(ti))
            out.append(np.stack([mx - self._base_x, my - self._base_y]))
        return np.stack(out)
