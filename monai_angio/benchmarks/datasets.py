# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The data of every benchmark study, defined once.

* The real cerebral DSA cine ``../shared/data/dsa/cerebral_lateral_2d`` (74 frames, 1024x791, 8 bit): its held-out
  last 30 % (:func:`real_part` ``"test"``, never used for training), the training part before it, and the
  validation frames 26-51 (inside the training part; settings are chosen on them, never on the test frames).
* Phantom cines with cardiac motion (:class:`PhantomSpec`): the test cines :data:`TEST_PHANTOMS` (seeds 500-503),
  the validation cines :data:`VALIDATION_PHANTOMS` (seeds 600-603) and the two coronary cines of the baselines
  study :data:`BASELINE_PHANTOMS` (seeds 1-2).
* Deblurring: sharp frames (the real cine's parts, noise-free DSA phantom frames) and the focal-spot degradation
  (:func:`degrade`, :data:`DEBLUR_GEOMETRY`, :data:`FOCAL_SPOTS_MM`, :data:`PIXEL_SPACINGS_MM`, :data:`PHOTONS`).
* Generalization across kinds of runs (:func:`generalization_cines`, :data:`GENERALIZATION_KINDS`): 3D-phantom
  rotational, fixed-table and coronary runs (seeds 900-999, reserved for validation: training never uses them), the
  held-out last 30 % of the real coronary run ``../shared/data/xa_coronary``, and the held-out real DSA frames as
  they are and under a synthetic camera motion.

Cines are ``(T, 1, H, W)`` float32 tensors in [0, 1]; deblurring frames are lists of ``(H, W)`` float32 arrays.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "BASELINE_PHANTOMS",
    "DEBLUR_GEOMETRY",
    "FOCAL_SPOTS_MM",
    "GENERALIZATION_KINDS",
    "GENERALIZATION_SEEDS",
    "REAL_CORONARY",
    "PHOTONS",
    "PIXEL_SPACINGS_MM",
    "REPO",
    "SHARED_CINE",
    "TEST_PHANTOMS",
    "VALIDATION_FRAMES",
    "VALIDATION_PHANTOMS",
    "PhantomSpec",
    "baseline_cines",
    "GeneralizationKind",
    "deblur_phantom_frames",
    "degrade",
    "generalization_available",
    "generalization_cine",
    "generalization_cines",
    "interpolation_cines",
    "moving_cine",
    "phantom_cine",
    "quantise",
    "real_available",
    "real_cine",
    "real_frames",
    "real_part",
]

REPO = Path(__file__).resolve().parents[2]
#: the shared real DSA cine (a folder of PNG frames)
SHARED_CINE = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"
#: the shared real coronary run (a multi-frame XA DICOM, 96 frames of 512², 30 fps)
REAL_CORONARY = REPO.parent / "shared" / "data" / "xa_coronary" / "coronary_rca_xa_96f.dcm"
#: fraction of the real cine held out at its end (the test frames)
HOLDOUT_FRACTION = 0.3
#: the validation frames of the real cine (``start``, ``stop``), inside its training part
VALIDATION_FRAMES = (26, 52)


@dataclasses.dataclass(frozen=True)
class PhantomSpec:
    """A phantom cine: a name and the :class:`~monai_angio.phantoms.AngiographyPhantom` arguments, with the
    default size and length it is rendered at."""

    name: str
    mode: str
    seed: int
    frame_rate: float
    heart_rate_bpm: float
    motion_amplitude: float | None = None
    size: int = 256
    num_frames: int = 25

    def kwargs(self) -> dict[str, Any]:
        """The phantom arguments other than the seed, size and length."""
        kw: dict[str, Any] = {"mode": self.mode, "frame_rate": self.frame_rate, "heart_rate_bpm": self.heart_rate_bpm}
        if self.motion_amplitude is not None:
            kw["motion_amplitude"] = self.motion_amplitude
        return kw


#: the test phantom cines of the interpolation benchmark (seeds used nowhere in training)
TEST_PHANTOMS = (
    PhantomSpec("coronary_s500", "coronary", 500, 15.0, 75.0),
    PhantomSpec("coronary_s501", "coronary", 501, 10.0, 70.0),
    PhantomSpec("coronary_s502", "coronary", 502, 15.0, 90.0),
    PhantomSpec("dsa_motion_s503", "dsa", 503, 7.5, 80.0, motion_amplitude=0.02),
)
#: the validation phantom cines: the test cines' recipes with seeds 600-603
VALIDATION_PHANTOMS = tuple(
    dataclasses.replace(p, name=f"{p.name.rsplit('_', 1)[0]}_s{p.seed + 100}", seed=p.seed + 100) for p in TEST_PHANTOMS
)
#: the coronary phantom cines of the baselines study
BASELINE_PHANTOMS = tuple(
    PhantomSpec(f"phantom coronary seed {s}", "coronary", s, 15.0, 75.0, num_frames=49) for s in (1, 2)
)

#: the focal-spot geometry of the deblurring degradation (magnification 1.47)
DEBLUR_GEOMETRY = {"sod_mm": 750.0, "sid_mm": 1100.0, "profile": "gaussian"}
#: the focal-spot sizes of the deblurring benchmark
FOCAL_SPOTS_MM = (0.6, 0.9, 1.2)
#: the assumed pixel spacings at the detector of the real frames: full resolution and 2x2 binning
PIXEL_SPACINGS_MM = (0.154, 0.308)
#: quanta per pixel at intensity 1 of the Poisson noise of the degradation
PHOTONS = 2.0e4


def real_available() -> bool:
    """Whether the shared real cine is there (studies skip the real rows without it)."""
    return SHARED_CINE.is_dir()


@functools.lru_cache(maxsize=1)
def real_cine() -> torch.Tensor:
    """The whole shared real cine, ``(T, 1, H, W)`` in [0, 1] (luminance scaled by the stored bit depth)."""
    from monai_angio.io import read_cine

    return read_cine(SHARED_CINE)[0]


def real_part(part: str) -> torch.Tensor:
    """A part of the real cine in time: ``"all"``, ``"train"`` (the first 70 %), ``"test"`` (the held-out last
    30 %) or ``"validation"`` (frames 26-51)."""
    from monai_angio.data import split_frames

    frames = real_cine()
    train, test = split_frames(frames.shape[0], HOLDOUT_FRACTION)
    ranges = {"all": (0, frames.shape[0]), "train": train, "test": test, "validation": VALIDATION_FRAMES}
    if part not in ranges:
        raise ValueError(f"part must be one of {sorted(ranges)}, got {part!r}.")
    start, stop = ranges[part]
    return frames[start:stop]


def real_frames(part: str) -> list[np.ndarray]:
    """The frames of :func:`real_part` as a list of ``(H, W)`` float32 arrays (the deblurring sharp frames)."""
    return [np.ascontiguousarray(f[0].numpy()) for f in real_part(part)]


def phantom_cine(spec: PhantomSpec, size: int | None = None, num_frames: int | None = None) -> torch.Tensor:
    """Render a phantom cine ``(T, 1, H, W)`` (``size`` and ``num_frames`` default to the spec's)."""
    from monai_angio.data import phantom_cines

    size = size or spec.size
    cine = phantom_cines(
        1, seed=spec.seed, size=(size, size), num_frames=num_frames or spec.num_frames, **spec.kwargs()
    )
    return torch.from_numpy(cine[0]).unsqueeze(1)


def interpolation_cines(
    kind: str = "test", real: bool = True, phantom_size: int | None = None, phantom_frames: int | None = None
) -> dict[str, torch.Tensor]:
    """The cines of the interpolation study by name: ``"test"`` (``real``: the held-out real frames, and
    :data:`TEST_PHANTOMS`) or ``"validation"`` (``real frames 26-51`` and :data:`VALIDATION_PHANTOMS`).

    Args:
        kind: ``"test"`` or ``"validation"``.
        real: include the real cine (when it is there).
        phantom_size, phantom_frames: render the phantoms at another size / length than their specs'.
    """
    if kind not in ("test", "validation"):
        raise ValueError(f"kind must be 'test' or 'validation', got {kind!r}.")
    cines = {}
    if real and real_available():
        cines["real" if kind == "test" else "real frames 26-51"] = real_part(kind)
    for spec in TEST_PHANTOMS if kind == "test" else VALIDATION_PHANTOMS:
        cines[spec.name] = phantom_cine(spec, phantom_size, phantom_frames)
    return cines


def baseline_cines(
    real: bool = True, phantom_size: int | None = None, phantom_frames: int | None = None
) -> dict[str, torch.Tensor]:
    """The cines of the baselines study: the whole real cine, its held-out part and :data:`BASELINE_PHANTOMS`."""
    cines = {}
    if real and real_available():
        cines[f"real DSA ({real_cine().shape[0]} frames)"] = real_part("all")
        cines["real DSA, last 30 %"] = real_part("test")
    for spec in BASELINE_PHANTOMS:
        cines[spec.name] = phantom_cine(spec, phantom_size, phantom_frames)
    return cines


def moving_cine(frames: torch.Tensor, px: float, deg: float, crop: int = 512, zoom: float = 0.0) -> torch.Tensor:
    """A synthetic camera motion: frame ``i`` rotated by ``i deg`` degrees about the centre, magnified by
    ``1 + i zoom`` about the centre and shifted by ``i px`` pixels (x) and ``i px / 2`` (y), bilinear, then the
    central ``crop`` square.

    Args:
        frames: ``(T, C, H, W)``.
        px, deg: shift (pixels) and rotation (degrees) per frame.
        crop: side of the central region kept.
        zoom: magnification added per frame (``0.003``: 0.3 % per frame); 0 (default) is a rigid motion.

    Returns:
        ``(T, C, crop, crop)``.
    """
    t, _, h, w = frames.shape
    thetas = []
    for i in range(t):
        a, s = math.radians(i * deg), 1.0 / (1.0 + i * zoom)
        shift = (2.0 * i * px / w, 2.0 * i * px / 2.0 / h)  # affine_grid's coordinates: pixels scaled by 2 / size
        row0 = [s * math.cos(a), -s * math.sin(a) * h / w, shift[0]]
        thetas.append([row0, [s * math.sin(a) * w / h, s * math.cos(a), shift[1]]])
    grid = F.affine_grid(torch.tensor(thetas, dtype=frames.dtype), list(frames.shape), align_corners=False)
    moved = F.grid_sample(frames, grid, mode="bilinear", padding_mode="border", align_corners=False)
    top, left = (h - crop) // 2, (w - crop) // 2
    return moved[..., top : top + crop, left : left + crop].contiguous()


def deblur_phantom_frames(count: int, seed: int, spacing_mm: float = PIXEL_SPACINGS_MM[0]) -> list[np.ndarray]:
    """Noise-free DSA phantom frames (sharp truth), 2 per phantom, 512², field of view ``512 * spacing_mm``: seed
    5000 for the test frames, 6000 for the frames the baselines are tuned on."""
    from monai_angio.data.deblur import phantom_frames

    return phantom_frames(count, 512, 2, seed=seed, noise=False, field_of_view_mm=512 * spacing_mm)


def degrade(
    frames: list[np.ndarray], spot_mm: float, spacing_mm: float, photons: float | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Degrade sharp frames by the focal-spot model (:data:`DEBLUR_GEOMETRY`, Poisson noise seeded per frame).

    Returns:
        ``(blurred, sharp, kernel)``: ``(T, 1, H, W)`` tensors and the ``(k, k)`` blur kernel.
    """
    from monai_angio.data.deblur import DeblurEvalDataset

    ds = DeblurEvalDataset(frames, [spot_mm], photons, pixel_spacing_mm=spacing_mm, seed=seed, **DEBLUR_GEOMETRY)
    items = [ds[i] for i in range(len(ds))]
    blurred = torch.stack([it["image"] for it in items])
    sharp = torch.stack([it["label"] for it in items])
    return blurred, sharp, ds.degradation.kernel(spot_mm)


# ------------------------------------------------------------------------------------------ generalization
#: the seeds of the generalization phantoms: 900-999 are reserved for validation, training must never use them
GENERALIZATION_SEEDS = range(900, 1000)
#: side of the generalization cines, and of their ``quick`` versions (tests)
GENERALIZATION_SIZE, GENERALIZATION_QUICK_SIZE = 512, 64
#: frames of the quick generalization cines (enough for K = 3)
GENERALIZATION_QUICK_FRAMES = 9
#: the camera motion of ``real_dsa_camera`` per frame: shift (pixels), rotation (degrees), magnification
CAMERA_MOTION = {"px": 2.0, "deg": 0.4, "zoom": 0.003}
#: first time (s) of the fixed-table phantom run: the arterial phase has begun (contrast in the carotids)
FIXED_TABLE_START_S = 1.2


@dataclasses.dataclass(frozen=True)
class GeneralizationKind:
    """A kind of angiography run of the ``generalization`` study.

    Attributes:
        name: the kind's key in reports.
        description: what the cine is (reports).
        real: a real acquisition (skipped when ``../shared/data`` lacks it) rather than a phantom.
        seen: the shipped interpolation network was trained on (another part of) this cine.
    """

    name: str
    description: str
    real: bool = False
    seen: bool = False


#: the kinds of runs of the ``generalization`` study, in report order
GENERALIZATION_KINDS = (
    GeneralizationKind(
        "rotational_phantom",
        "3D phantom, rotational 3D-DSA sweep of the head (seed 900, frames 50-82 of 133: 1.5° per frame, 29 fps)",
    ),
    GeneralizationKind(
        "fixed_table_phantom",
        "3D phantom, fixed-view cerebral DSA, 7.5 fps, table pan 12 mm/s, patient drift 2 mm (seed 901, 33 frames "
        f"from {FIXED_TABLE_START_S} s)",
    ),
    GeneralizationKind(
        "coronary_phantom",
        "3D phantom, unsubtracted coronary cine, beating and breathing heart, 15 fps (seed 902, 33 frames)",
    ),
    GeneralizationKind(
        "real_coronary", "real coronary run (RCA, 30 fps), held-out last 30 % (frames 67-95 of 96)", real=True
    ),
    GeneralizationKind(
        "real_dsa",
        "real lateral cerebral DSA, held-out last 30 % (22 frames), central 512² (seen cine: the shipped network "
        "trained on its first 70 %)",
        real=True,
        seen=True,
    ),
    GeneralizationKind(
        "real_dsa_camera",
        "the real_dsa frames under a synthetic camera motion of 2 px, 0.4° and +0.3 % magnification per frame "
        "(seen cine)",
        real=True,
        seen=True,
    ),
)


def quantise(frames: torch.Tensor, bits: int = 8) -> torch.Tensor:
    """Frames in [0, 1] rounded to ``bits`` bits (as a real cine stores them), float32 in [0, 1], same shape."""
    top = float(2**bits - 1)
    return (frames.clamp(0.0, 1.0) * top).round().div(top).to(torch.float32)


def _kind(name: str) -> GeneralizationKind:
    kinds = {k.name: k for k in GENERALIZATION_KINDS}
    if name not in kinds:
        raise ValueError(f"unknown kind {name!r}; kinds: {', '.join(kinds)}.")
    return kinds[name]


def generalization_available(name: str) -> bool:
    """Whether the data of a generalization kind are there (phantoms always; real runs need ``../shared/data``)."""
    _kind(name)
    if name == "real_coronary":
        return REAL_CORONARY.is_file()
    if name.startswith("real_dsa"):
        return real_available()
    return True


def _phantom_frames(name: str, size: int, quick: bool) -> torch.Tensor:
    from monai_angio.phantoms import Angiography3DPhantom

    count = GENERALIZATION_QUICK_FRAMES if quick else 33
    if name == "rotational_phantom":
        phantom = Angiography3DPhantom("rotational", size=size, frames=133, seed=900)
        times = phantom.frame_times_s()[50 : 50 + count]
    elif name == "fixed_table_phantom":
        phantom = Angiography3DPhantom(
            "fixed", size=size, frames=33, seed=901, frame_rate=7.5, table_speed_mm_s=12.0, patient_motion_mm=2.0
        )
        times = FIXED_TABLE_START_S + phantom.frame_times_s()[:count]
    else:
        phantom = Angiography3DPhantom("coronary", size=size, frames=33, seed=902, frame_rate=15.0)
        times = phantom.frame_times_s()[:count]
    return torch.from_numpy(phantom.render_unit(times)).unsqueeze(1)


def _centre(frames: torch.Tensor, crop: int) -> torch.Tensor:
    h, w = frames.shape[-2:]
    top, left = (h - crop) // 2, (w - crop) // 2
    return frames[..., top : top + crop, left : left + crop]


def generalization_cine(name: str, quick: bool = False) -> torch.Tensor:
    """The cine of one generalization kind (:data:`GENERALIZATION_KINDS`).

    Args:
        name: the kind.
        quick: :data:`GENERALIZATION_QUICK_FRAMES` frames of 64² (phantoms rendered at 64², real frames
            area-downsampled by 8) instead of the full cine at 512².

    Returns:
        ``(T, 1, H, W)`` float32 in [0, 1], quantised to 8 bits; ``T`` is 33 (phantoms), 29 (real coronary) or
        22 (real DSA), ``H = W = 512`` (64 quick).

    Raises:
        ValueError: an unknown kind; FileNotFoundError: a real kind whose data are not there.
    """
    kind = _kind(name)
    if kind.real and not generalization_available(name):
        raise FileNotFoundError(f"the data of {name!r} are not in {REPO.parent / 'shared' / 'data'}.")
    count = GENERALIZATION_QUICK_FRAMES if quick else None
    if not kind.real:
        frames = _phantom_frames(name, GENERALIZATION_QUICK_SIZE if quick else GENERALIZATION_SIZE, quick)
    else:
        if name == "real_coronary":
            from monai_angio.data import split_frames
            from monai_angio.io import read_cine

            cine = read_cine(REAL_CORONARY)[0]
            start, stop = split_frames(cine.shape[0], HOLDOUT_FRACTION)[1]
            frames = _centre(cine[start:stop][:count], GENERALIZATION_SIZE)
        elif name == "real_dsa":
            frames = _centre(real_part("test")[:count], GENERALIZATION_SIZE)
        else:
            frames = moving_cine(real_part("test")[:count], crop=GENERALIZATION_SIZE, **CAMERA_MOTION)
        if quick:
            frames = F.interpolate(frames, size=(GENERALIZATION_QUICK_SIZE,) * 2, mode="area")
    return quantise(frames.contiguous())


def generalization_cines(quick: bool = False, kinds: list[str] | None = None) -> dict[str, torch.Tensor]:
    """The cines of the ``generalization`` study by kind (:func:`generalization_cine`), in the order of
    :data:`GENERALIZATION_KINDS`; real kinds whose data are not there are left out.

    Args:
        quick: the quick versions (64², few frames).
        kinds: only these kinds (default all).

    Returns:
        ``{kind: (T, 1, H, W) float32 in [0, 1]}``.
    """
    names = [k.name for k in GENERALIZATION_KINDS if kinds is None or k.name in kinds]
    for name in kinds or []:
        _kind(name)
    return {n: generalization_cine(n, quick) for n in names if generalization_available(n)}
