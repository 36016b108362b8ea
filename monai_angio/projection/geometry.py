# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""C-arm acquisition geometry: a single view, trajectories, projection matrices, DICOM and RTK conversion.

World coordinate convention
---------------------------
The world frame is the **patient LPS frame with its origin at the C-arm isocenter** (for a zero table offset), in mm:

* ``x`` points to the patient's **left**, ``y`` to the patient's **posterior**, ``z`` to the patient's **head**
  (DICOM patient coordinates, right-handed). The patient lies supine and head first; the table is below the patient.
* At ``primary_deg = secondary_deg = 0`` (a posterior-anterior view, "AP" in the cath lab) the source is below the
  table at ``(0, +sod, 0)`` and the detector above the patient, its centre at ``(0, -(sid - sod), 0)``.
* The unit beam direction (source -> detector) is ``d = (sin a cos b, -cos a cos b, sin b)`` for the primary angle
  ``a`` (LAO positive: the detector moves towards the patient's left, a rotation about ``z``, the long axis) and the
  secondary angle ``b`` (CRA positive: the detector tilts towards the head). In matrix form
  ``d = R @ (0, -1, 0)`` with ``R = Rz(a) @ Rx(-b)``; this is the DICOM XA positioner convention (PS3.3 C.8.7.5:
  "movement from RAO to vertical is positive" for the primary angle, "from CAU to vertical" for the secondary).
* The detector column axis (increasing column index) is ``u = R @ (1, 0, 0)`` and the row axis (increasing row
  index, downwards in the displayed image) is ``v = R @ (0, 0, -1)``: in the AP view the image shows the patient's
  left on the right and the head at the top, as angiograms are displayed.
* Detector pixel ``(row, col)`` has its centre at ``D + (col - (cols - 1) / 2) * pixel_mm * u +
  (row - (rows - 1) / 2) * pixel_mm * v`` with ``D = S + sid * d`` the detector centre and ``S`` the source. The
  central ray goes through the isocenter and hits the centre of the detector.
* A table offset ``t = (tx, ty, tz)`` mm moves the patient (and the world frame attached to it) by ``t`` relative to
  the C-arm: the isocenter sits at ``-t`` in world coordinates. :func:`table_pan` moves the table along ``z``.
* The focal spot size is stored (and written to DICOM) but the projectors model an ideal point source.

Projection matrices map homogeneous world points ``(x, y, z, 1)`` to homogeneous detector pixel coordinates
``(col * w, row * w, w)`` (x = column first, as in the optical-flow convention of the package) with ``w > 0`` the
depth along the beam, for points between source and detector.

RTK mapping (:func:`to_rtk`)
----------------------------
RTK's fixed frame relates to the world frame by the rotation ``M``: ``x_rtk = x``, ``y_rtk = -z``, ``z_rtk = y``
(:data:`LPS_TO_RTK`). RTK's source sits at ``+z_rtk`` for a zero gantry angle with detector axes ``u = +x_rtk``,
``v = +y_rtk``: exactly the AP view above. The angles map as ``GantryAngle = -primary``, ``OutOfPlaneAngle =
-secondary``, ``InPlaneAngle = 0``, ``SourceToIsocenterDistance = sod + t . d``, ``SourceToDetectorDistance = sid``
and the table offset's components across the beam become equal source and detector offsets
(``SourceOffsetX = ProjectionOffsetX = -t . u``, ``SourceOffsetY = ProjectionOffsetY = -t . v``). A volume is
placed in RTK's frame with the ITK direction matrix ``M`` and the origin ``M @ origin``; projections are stacks with
spacing ``pixel_mm`` and origin ``-(n - 1) / 2 * pixel_mm`` so that RTK's ``(u, v) = (0, 0)`` is the detector centre.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

__all__ = [
    "LPS_TO_RTK",
    "CArmGeometry",
    "PatientDrift",
    "Trajectory",
    "fixed_view",
    "from_dicom",
    "rotational_sweep",
    "rtk_parameters",
    "table_pan",
    "to_dicom",
    "to_rtk",
    "trajectory_from_dicom",
    "trajectory_to_dicom",
]

#: Rotation from the world (LPS at the isocenter) frame to RTK's fixed frame: ``p_rtk = LPS_TO_RTK @ p``.
LPS_TO_RTK = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def _finite(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"CArmGeometry: {name} must be a number, got {value!r}") from e
    if not math.isfinite(value):
        raise ValueError(f"CArmGeometry: {name} must be finite, got {value}")
    return value


@dataclasses.dataclass(frozen=True)
class CArmGeometry:
    """One C-arm view: distances, detector and positioner angles (see the module docstring for the frame).

    Args:
        sod_mm: source to isocenter distance (DICOM DistanceSourceToPatient), > 0.
        sid_mm: source to detector (image receptor) distance (DICOM DistanceSourceToDetector), > ``sod_mm``.
        detector_shape: ``(rows, cols)`` detector pixels, each >= 1.
        pixel_mm: pixel pitch at the detector plane (DICOM ImagerPixelSpacing), > 0.
        primary_deg: primary positioner angle, LAO positive / RAO negative, rotation about the patient's long axis.
        secondary_deg: secondary positioner angle, CRA positive / CAU negative, in (-90, 90).
        table_offset_mm: ``(x, y, z)`` displacement of the table (patient) relative to the C-arm, in world axes.
        focal_spot_mm: nominal focal spot size, >= 0 (stored only; the projectors model a point source).

    Raises:
        ValueError: on non-positive distances, ``sid_mm <= sod_mm``, bad detector shape, non-positive pitch,
            ``|secondary_deg| >= 90`` or non-finite values.
    """

    sod_mm: float
    sid_mm: float
    detector_shape: tuple[int, int]
    pixel_mm: float
    primary_deg: float = 0.0
    secondary_deg: float = 0.0
    table_offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    focal_spot_mm: float = 0.0

    def __post_init__(self) -> None:
        sod = _finite("sod_mm", self.sod_mm)
        sid = _finite("sid_mm", self.sid_mm)
        pitch = _finite("pixel_mm", self.pixel_mm)
        if sod <= 0:
            raise ValueError(f"CArmGeometry: sod_mm (source to isocenter) must be > 0, got {sod}")
        if sid <= sod:
            raise ValueError(
                f"CArmGeometry: sid_mm (source to detector, {sid}) must be larger than sod_mm (source to isocenter, "
                f"{sod}): the detector lies beyond the isocenter"
            )
        if pitch <= 0:
            raise ValueError(f"CArmGeometry: pixel_mm must be > 0, got {pitch}")
        shape = tuple(self.detector_shape)
        if len(shape) != 2 or any(isinstance(n, bool) or int(n) != n or int(n) < 1 for n in shape):
            raise ValueError(f"CArmGeometry: detector_shape must be (rows, cols) positive integers, got {shape!r}")
        secondary = _finite("secondary_deg", self.secondary_deg)
        if abs(secondary) >= 90:
            raise ValueError(f"CArmGeometry: secondary_deg must lie in (-90, 90), got {secondary}")
        offset = tuple(self.table_offset_mm)
        if len(offset) != 3:
            raise ValueError(f"CArmGeometry: table_offset_mm must be (x, y, z), got {offset!r}")
        focal = _finite("focal_spot_mm", self.focal_spot_mm)
        if focal < 0:
            raise ValueError(f"CArmGeometry: focal_spot_mm must be >= 0, got {focal}")
        object.__setattr__(self, "sod_mm", sod)
        object.__setattr__(self, "sid_mm", sid)
        object.__setattr__(self, "pixel_mm", pitch)
        object.__setattr__(self, "detector_shape", (int(shape[0]), int(shape[1])))
        object.__setattr__(self, "primary_deg", _finite("primary_deg", self.primary_deg))
        object.__setattr__(self, "secondary_deg", secondary)
        object.__setattr__(self, "table_offset_mm", tuple(_finite("table_offset_mm", v) for v in offset))
        object.__setattr__(self, "focal_spot_mm", focal)

    @property
    def rows(self) -> int:
        return self.detector_shape[0]

    @property
    def cols(self) -> int:
        return self.detector_shape[1]

    def replace(self, **changes: Any) -> CArmGeometry:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def rotation(self) -> np.ndarray:
        """The C-arm rotation ``R = Rz(primary) @ Rx(-secondary)``, ``(3, 3)`` float64."""
        a, b = math.radians(self.primary_deg), math.radians(self.secondary_deg)
        rz = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
        rx = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(b), math.sin(b)], [0.0, -math.sin(b), math.cos(b)]])
        return rz @ rx

    def isocenter(self) -> np.ndarray:
        """The isocenter in world coordinates, ``-table_offset_mm``, shape ``(3,)``."""
        return -np.asarray(self.table_offset_mm, dtype=np.float64)

    def beam_direction(self) -> np.ndarray:
        """Unit vector from the source to the detector centre, shape ``(3,)``."""
        return self.rotation() @ np.array([0.0, -1.0, 0.0])

    def source_position(self) -> np.ndarray:
        """The focal spot (point source) in world mm, shape ``(3,)``."""
        return self.isocenter() - self.sod_mm * self.beam_direction()

    def detector_frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The detector centre and its unit axes in world coordinates.

        Returns:
            ``(centre, row_dir, col_dir)``, each ``(3,)``: ``col_dir`` is the direction of increasing column index
            (along a row), ``row_dir`` that of increasing row index (along a column).
        """
        rot = self.rotation()
        centre = self.source_position() + self.sid_mm * self.beam_direction()
        return centre, rot @ np.array([0.0, 0.0, -1.0]), rot @ np.array([1.0, 0.0, 0.0])

    def pixel_positions(self) -> np.ndarray:
        """World positions of every detector pixel centre, shape ``(rows, cols, 3)``."""
        centre, row_dir, col_dir = self.detector_frame()
        r = (np.arange(self.rows) - (self.rows - 1) / 2) * self.pixel_mm
        c = (np.arange(self.cols) - (self.cols - 1) / 2) * self.pixel_mm
        return centre + r[:, None, None] * row_dir + c[None, :, None] * col_dir

    def projection_matrix(self) -> np.ndarray:
        """The ``(3, 4)`` matrix mapping homogeneous world mm to homogeneous pixels ``(col * w, row * w, w)``.

        ``w`` is the depth of the point along the beam from the source (positive in front of the source).
        """
        _, row_dir, col_dir = self.detector_frame()
        d = self.beam_direction()
        f = self.sid_mm / self.pixel_mm
        cx, cy = (self.cols - 1) / 2, (self.rows - 1) / 2
        k = np.stack([f * col_dir + cx * d, f * row_dir + cy * d, d])
        return np.concatenate([k, -(k @ self.source_position())[:, None]], axis=1)

    def project_points(self, points: np.ndarray) -> np.ndarray:
        """Detector pixel coordinates ``(..., 2)`` as ``(col, row)`` of world points ``(..., 3)``."""
        points = np.asarray(points, dtype=np.float64)
        h = np.concatenate([points, np.ones((*points.shape[:-1], 1))], axis=-1) @ self.projection_matrix().T
        return h[..., :2] / h[..., 2:]


class Trajectory(NamedTuple):
    """A sequence of views: ``geometries`` (one per frame) and ``times_s`` (``(N,)`` float64 seconds from the first
    frame; multiply by 1000 for the ms frame times of the sequence meta data)."""

    geometries: list[CArmGeometry]
    times_s: np.ndarray


def _check_frames(frames: int, where: str) -> int:
    if isinstance(frames, bool) or int(frames) != frames or frames < 1:
        raise ValueError(f"{where}: frames must be a positive integer, got {frames!r}")
    return int(frames)


def _check_positive(value: float, name: str, where: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {name} must be a finite number > 0, got {value}")
    return value


def fixed_view(geometry: CArmGeometry, frames: int, frame_rate: float) -> Trajectory:
    """A static C-arm (a fluoroscopy or cine run): ``frames`` copies of ``geometry`` at ``frame_rate`` frames/s."""
    frames = _check_frames(frames, "fixed_view")
    frame_rate = _check_positive(frame_rate, "frame_rate", "fixed_view")
    return Trajectory([geometry] * frames, np.arange(frames, dtype=np.float64) / frame_rate)


def rotational_sweep(
    geometry: CArmGeometry, start_deg: float, range_deg: float, frames: int, duration_s: float
) -> Trajectory:
    """A rotational run about the long axis: primary angle from ``start_deg`` to ``start_deg + range_deg``.

    Frames are evenly spaced in angle and time, the first at ``start_deg`` and t = 0, the last at
    ``start_deg + range_deg`` and t = ``duration_s`` (e.g. 200 degrees in 4-5 s). The secondary angle, distances,
    detector and table offset come from ``geometry``.
    """
    frames = _check_frames(frames, "rotational_sweep")
    duration_s = _check_positive(duration_s, "duration_s", "rotational_sweep")
    if not (math.isfinite(start_deg) and math.isfinite(range_deg)):
        raise ValueError(f"rotational_sweep: start_deg and range_deg must be finite, got {start_deg}, {range_deg}")
    frac = np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)
    angles = start_deg + range_deg * frac
    return Trajectory([geometry.replace(primary_deg=float(a)) for a in angles], duration_s * frac)


def table_pan(geometry: CArmGeometry, frames: int, frame_rate: float, velocity_mm_s: float) -> Trajectory:
    """A table moving along the long axis (``z``) at ``velocity_mm_s``, starting at ``geometry``'s table offset."""
    frames = _check_frames(frames, "table_pan")
    frame_rate = _check_positive(frame_rate, "frame_rate", "table_pan")
    if not math.isfinite(velocity_mm_s):
        raise ValueError(f"table_pan: velocity_mm_s must be finite, got {velocity_mm_s}")
    times = np.arange(frames, dtype=np.float64) / frame_rate
    x, y, z = geometry.table_offset_mm
    return Trajectory([geometry.replace(table_offset_mm=(x, y, z + velocity_mm_s * t)) for t in times], times)


class PatientDrift:
    """A small, slow, smooth translational drift of the patient: ``d(t) = amplitude_mm * u * (sin(2 pi f t + p) -
    sin(p))`` with a random unit direction ``u``, frequency ``f`` in [0.05, 0.25] Hz and phase ``p`` drawn from
    ``seed``; ``d(0) = 0``. The C-arm sees it as a table offset (:meth:`apply`).

    Args:
        amplitude_mm: the drift's amplitude (>= 0; 0: no motion).
        seed: the random draw.
    """

    def __init__(self, amplitude_mm: float, seed: int = 0) -> None:
        amplitude_mm = float(amplitude_mm)
        if not math.isfinite(amplitude_mm) or amplitude_mm < 0:
            raise ValueError(f"PatientDrift: amplitude_mm must be a finite number >= 0, got {amplitude_mm}")
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x6472696674]))
        self.amplitude_mm = amplitude_mm
        self.frequency_hz = float(rng.uniform(0.05, 0.25))
        self.phase = float(rng.uniform(0.0, 2.0 * math.pi))
        direction = rng.normal(size=3)
        self.direction = direction / np.linalg.norm(direction)

    def __call__(self, t_s: float) -> np.ndarray:
        """The patient's displacement ``(3,)`` mm at ``t_s`` seconds."""
        wave = math.sin(2.0 * math.pi * self.frequency_hz * t_s + self.phase) - math.sin(self.phase)
        return self.amplitude_mm * wave * self.direction

    def apply(self, trajectory: Trajectory) -> Trajectory:
        """``trajectory`` with the drift added to every view's table offset (at the view's time)."""
        return Trajectory(
            [
                g.replace(table_offset_mm=tuple(float(v) for v in np.add(g.table_offset_mm, self(float(t)))))
                for g, t in zip(trajectory.geometries, trajectory.times_s, strict=True)
            ],
            trajectory.times_s,
        )


# ---------------------------------------------------------------------------------------------------------- DICOM


def to_dicom(geometry: CArmGeometry) -> dict[str, Any]:
    """The XA attributes of one view, keyed by pydicom keyword (``Dataset(**to_dicom(g))`` style use).

    The table offset is not written (DICOM table positions are relative to a vendor-specific origin).
    """
    return {
        "PositionerPrimaryAngle": geometry.primary_deg,
        "PositionerSecondaryAngle": geometry.secondary_deg,
        "DistanceSourceToDetector": geometry.sid_mm,
        "DistanceSourceToPatient": geometry.sod_mm,
        "ImagerPixelSpacing": [geometry.pixel_mm, geometry.pixel_mm],
        "FocalSpots": [geometry.focal_spot_mm],
        "Rows": geometry.rows,
        "Columns": geometry.cols,
    }


def trajectory_to_dicom(trajectory: Trajectory) -> dict[str, Any]:
    """The multi-frame XA attributes of a trajectory: the first view's attributes, ``NumberOfFrames``, the per-frame
    ``PositionerPrimaryAngleIncrement``/``PositionerSecondaryAngleIncrement`` (change from the previous frame, 0 for
    the first) and ``FrameTimeVector`` (ms between frames, 0 for the first).

    Raises:
        ValueError: when the views differ in anything but their angles.
    """
    geoms = list(trajectory.geometries)
    if not geoms:
        raise ValueError("trajectory_to_dicom: the trajectory has no frames")
    first = geoms[0]
    for i, g in enumerate(geoms):
        if g.replace(primary_deg=first.primary_deg, secondary_deg=first.secondary_deg) != first:
            raise ValueError(f"trajectory_to_dicom: frame {i} differs from frame 0 in more than its angles")
    out = to_dicom(first)
    prim = np.array([g.primary_deg for g in geoms])
    sec = np.array([g.secondary_deg for g in geoms])
    times_ms = np.asarray(trajectory.times_s, dtype=np.float64) * 1000.0
    out["NumberOfFrames"] = len(geoms)
    out["PositionerPrimaryAngleIncrement"] = np.diff(prim, prepend=prim[0]).tolist()
    out["PositionerSecondaryAngleIncrement"] = np.diff(sec, prepend=sec[0]).tolist()
    out["FrameTimeVector"] = np.diff(times_ms, prepend=times_ms[0]).tolist()
    return out


def _get(ds: Any, keyword: str, default: Any = None) -> Any:
    if isinstance(ds, Mapping):
        value = ds.get(keyword, default)
    else:
        value = getattr(ds, keyword, default)
    return default if value is None or value == "" else value


def _floats(value: Any) -> list[float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        return [float(value)]
    return [float(v) for v in value]


def _require(ds: Any, keyword: str, where: str) -> Any:
    value = _get(ds, keyword)
    if value is None:
        raise ValueError(f"{where}: the DICOM data set has no {keyword}, needed for the C-arm geometry")
    return value


def _angles(ds: Any, increment: Literal["previous", "first"]) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame primary and secondary angles of a (multi-frame) data set."""
    where = "from_dicom"
    prim0 = float(_require(ds, "PositionerPrimaryAngle", where))
    sec0 = float(_get(ds, "PositionerSecondaryAngle", 0.0))
    n = int(_get(ds, "NumberOfFrames", 1))
    incs = []
    for keyword in ("PositionerPrimaryAngleIncrement", "PositionerSecondaryAngleIncrement"):
        value = _get(ds, keyword)
        if value is None:
            incs.append(np.zeros(n))
            continue
        arr = np.asarray(_floats(value))
        if arr.size != n:
            raise ValueError(f"{where}: {keyword} has {arr.size} values for NumberOfFrames = {n}")
        incs.append(np.cumsum(arr) if increment == "previous" else arr)
    return prim0 + incs[0], sec0 + incs[1]


def trajectory_from_dicom(
    ds: Any, *, table_offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0), increment: str = "previous"
) -> Trajectory:
    """All frames of an XA data set (pydicom ``Dataset`` or a dict keyed by keyword) as a trajectory.

    Args:
        ds: the data set; needs PositionerPrimaryAngle, DistanceSourceToDetector, DistanceSourceToPatient,
            ImagerPixelSpacing (or PixelSpacing), Rows and Columns.
        table_offset_mm: the table offset of every view (not read from DICOM).
        increment: how PositionerPrimary/SecondaryAngleIncrement are read: ``"previous"`` (each value is the change
            from the previous frame, the first usually 0: angle_k = angle + sum of increments up to k) or
            ``"first"`` (each value is the offset from PositionerPrimaryAngle).

    Returns:
        The trajectory; times from FrameTimeVector (ms between frames) or FrameTime (ms), else 0.

    Raises:
        ValueError: on a missing attribute or inconsistent per-frame values.
    """
    if increment not in ("previous", "first"):
        raise ValueError(f"trajectory_from_dicom: increment must be 'previous' or 'first', got {increment!r}")
    where = "from_dicom"
    spacing = _get(ds, "ImagerPixelSpacing") or _get(ds, "PixelSpacing")
    if spacing is None:
        raise ValueError(f"{where}: the DICOM data set has no ImagerPixelSpacing (or PixelSpacing)")
    spacing = _floats(spacing)
    if len(spacing) == 2 and not math.isclose(spacing[0], spacing[1], rel_tol=1e-6):
        raise ValueError(f"{where}: non-square detector pixels {spacing} are not supported")
    focal = _get(ds, "FocalSpots", 0.0)
    base = CArmGeometry(
        sod_mm=float(_require(ds, "DistanceSourceToPatient", where)),
        sid_mm=float(_require(ds, "DistanceSourceToDetector", where)),
        detector_shape=(int(_require(ds, "Rows", where)), int(_require(ds, "Columns", where))),
        pixel_mm=spacing[0],
        table_offset_mm=table_offset_mm,
        focal_spot_mm=_floats(focal)[0],
    )
    prim, sec = _angles(ds, increment)  # type: ignore[arg-type]
    n = prim.size
    vector = _get(ds, "FrameTimeVector")
    if vector is not None:
        vec = np.asarray(_floats(vector))
        if vec.size != n:
            raise ValueError(f"{where}: FrameTimeVector has {vec.size} values for NumberOfFrames = {n}")
        times = np.cumsum(vec) / 1000.0
    else:
        times = np.arange(n) * float(_get(ds, "FrameTime", 0.0)) / 1000.0
    geoms = [base.replace(primary_deg=float(p), secondary_deg=float(s)) for p, s in zip(prim, sec, strict=True)]
    return Trajectory(geoms, times)


def from_dicom(
    ds: Any,
    frame: int | None = None,
    *,
    table_offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
    increment: str = "previous",
) -> CArmGeometry:
    """The geometry of one frame of an XA data set (pydicom ``Dataset`` or dict keyed by keyword).

    Args:
        ds: the data set (see :func:`trajectory_from_dicom` for the attributes read).
        frame: 0-based frame index for a multi-frame rotational run (per-frame angle increments); ``None`` = frame 0.
        table_offset_mm: the table offset (not read from DICOM).
        increment: how angle increments are read, see :func:`trajectory_from_dicom`.

    Raises:
        ValueError: on a missing attribute or a frame index out of range.
    """
    traj = trajectory_from_dicom(ds, table_offset_mm=table_offset_mm, increment=increment)
    index = 0 if frame is None else int(frame)
    if not 0 <= index < len(traj.geometries):
        raise ValueError(f"from_dicom: frame {frame} out of range for {len(traj.geometries)} frames")
    return traj.geometries[index]


# ------------------------------------------------------------------------------------------------------------ RTK


def rtk_parameters(geometry: CArmGeometry) -> dict[str, float]:
    """The arguments of RTK's ``ThreeDCircularProjectionGeometry.AddProjection`` for one view (degrees, mm)."""
    t = np.asarray(geometry.table_offset_mm, dtype=np.float64)
    _, row_dir, col_dir = geometry.detector_frame()
    off_u, off_v = -float(t @ col_dir), -float(t @ row_dir)
    return {
        "sid": geometry.sod_mm + float(t @ geometry.beam_direction()),
        "sdd": geometry.sid_mm,
        "gantryAngle": -geometry.primary_deg,
        "projOffsetX": off_u,
        "projOffsetY": off_v,
        "outOfPlaneAngle": -geometry.secondary_deg,
        "inPlaneAngle": 0.0,
        "sourceOffsetX": off_u,
        "sourceOffsetY": off_v,
    }


def to_rtk(geometries: CArmGeometry | Sequence[CArmGeometry]) -> Any:
    """An ``rtk.ThreeDCircularProjectionGeometry`` with one projection per view (mapping in the module docstring).

    Raises:
        ValueError: when no view is given.
    """
    from itk import RTK as rtk  # noqa: N811, N812 - RTK's own spelling

    if isinstance(geometries, CArmGeometry):
        geometries = [geometries]
    if not geometries:
        raise ValueError("to_rtk: no geometry given")
    out = rtk.ThreeDCircularProjectionGeometry.New()
    for g in geometries:
        p = rtk_parameters(g)
        out.AddProjection(
            p["sid"],
            p["sdd"],
            p["gantryAngle"],
            p["projOffsetX"],
            p["projOffsetY"],
            p["outOfPlaneAngle"],
            p["inPlaneAngle"],
            p["sourceOffsetX"],
            p["sourceOffsetY"],
        )
    return out
