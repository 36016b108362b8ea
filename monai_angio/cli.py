# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""``monai-angio`` command line (python-fire).

Commands: ``info``, ``methods``, ``interpolate``, ``deblur``, ``dose-reduction``, ``demo``, ``project``
(``monai-angio COMMAND --help``).
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import os
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

__all__ = ["AngioCLI", "main"]

F = TypeVar("F", bound=Callable[..., Any])

#: the smallest value of an integer flag (1 when not listed)
_MINIMUM = {"seed": 0}
#: number flags that take any finite value (angles, speeds; amounts the command checks itself); the others must be
#: positive
_SIGNED = ("start_deg", "range_deg", "primary_deg", "secondary_deg", "table_speed", "patient_motion")
#: the trajectories of ``project``
_TRAJECTORIES = ("rotational", "fixed")
#: what a dose-reduction report folder holds (``--overwrite`` replaces only such a folder)
_REPORT_FILES = ("frames.csv", "frames.png", "summary.json", "example.png", "reconstructed.dcm")
#: what a demo folder holds: the phantom cine, the summary and one report folder per method
_DEMO_FILES = ("phantom_xa.dcm", "summary.json", "report_*")


def _checked(command: F) -> F:
    """Check a command's flags against its signature before it runs (Fire passes any text it cannot read as a
    Python literal through as a string, ``--tile-size abc`` included).

    Every flag must have its annotated type: an integer (``>= 1``; ``--seed >= 0``), a positive finite number (any
    finite number for the angles of ``project``), a
    boolean switch (``--overwrite``, given without a value) or one value (a path, a name); a flag that may be
    ``None`` also takes ``none``. ``--device`` must name a device this machine has. Paths and names Fire read as
    numbers are turned back into text.

    Raises:
        ValueError: naming the flag, the expected type and the value given.
    """
    signature = inspect.signature(command)
    hints = typing.get_type_hints(command)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for name, parameter in signature.parameters.items():
            if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD:
                bound.arguments[name] = _flag_value(name, bound.arguments[name], hints[name])
        return command(*bound.args, **bound.kwargs)

    return typing.cast(F, run)


def _flag_value(name: str, value: Any, hint: Any) -> Any:
    """``value`` of the flag ``--name`` checked against its annotation ``hint`` (see :func:`_checked`)."""
    flag = "--" + name.replace("_", "-")
    kinds = typing.get_args(hint) or (hint,)
    optional = type(None) in kinds
    kind = next(k for k in kinds if k is not type(None))
    if optional and (value is None or (isinstance(value, str) and value.strip().lower() == "none")):
        return None
    or_none = " (or none)" if optional else ""
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{flag} is a switch and takes no value, got {value!r}.")
        return value
    if kind is int:
        minimum = _MINIMUM.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{flag} must be an integer >= {minimum}{or_none}, got {value!r}.")
        return value
    if kind is float:
        signed = name in _SIGNED
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (math.isfinite(value) and (signed or value > 0))
        ):
            raise ValueError(f"{flag} must be a {'finite' if signed else 'positive'} number{or_none}, got {value!r}.")
        return float(value)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # a path or name Fire read as a number
    if not isinstance(value, str) or not value:
        raise ValueError(f"{flag} takes one value (a path or a name){or_none}, got {value!r}.")
    return _check_device(value) if name == "device" else value


def _check_device(device: str) -> str:
    """``device`` checked: ``cpu``, ``cuda`` or ``cuda:N`` present on this machine (before any work, for the
    baselines too, which would otherwise run on the CPU whatever was asked)."""
    try:
        dev = torch.device(device)
    except RuntimeError:
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise ValueError(f"--device must be cpu, cuda or cuda:N, got {device!r}.")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: CUDA is not available on this machine; use --device cpu.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s).")
    return device


class AngioCLI:
    """monai-angio: X-ray angiography dose reduction and image quality with MONAI."""

    @_checked
    def info(self, path: str) -> None:
        """What a file or folder holds: format, modality, frames, size, bit depth, frame rate.

        The pixel data are decoded too: an input that cannot be read as a cine (cut short, a decoder missing, float
        frames) ends with an error instead of a description.
        """
        from monai_angio.io import describe, read_cine

        description = describe(path)
        read_cine(path)
        for key, value in description.items():
            print(f"{key:<28}{value}")

    @_checked
    def methods(self) -> None:
        """Interpolation methods available here (baselines and installed interpolation bundles)."""
        from monai_angio.inferers.methods import available_methods

        print("\n".join(available_methods()))

    @_checked
    def interpolate(
        self,
        input: str,
        output: str,
        factor: int = 1,
        method: str = "dis_flow",
        batch_size: int = 4,
        tile_size: int | None = None,
        device: str | None = None,
        overwrite: bool = False,
        **options: Any,
    ) -> None:
        """Synthesize FACTOR frames between every two frames of INPUT and write the new cine to OUTPUT.

        INPUT is a DICOM file, a folder of DICOM instances or frames (PNG/TIFF/JPEG), a multi-page TIFF or a video.
        OUTPUT is a ``.dcm`` file (derived multi-frame DICOM) or a folder (``0000.png, ...`` at the input's bit depth,
        with ``frame_labels.csv``); an existing OUTPUT is refused unless OVERWRITE is given, which replaces it whole.
        FACTOR: frames synthesized in each gap (K >= 1). METHOD: a baseline (``repeat``, ``linear``, ``dis_flow``,
        ``dis_flow_quadratic``), an installed interpolation bundle (``monai-angio methods``) or a bundle folder
        given as a path (``./my_bundle``). BATCH_SIZE: frame pairs per forward pass; TILE_SIZE: process large frames
        in tiles of this size; DEVICE: ``cpu`` or ``cuda`` (default: CUDA when available).

        Test-time options (``--name value``; those not given take the method's recommended setting: for a bundle
        the ``options`` of its ``configs/inference.json``, for a baseline all off; ``none`` or ``0`` turns one off):

        {options}
        """
        from monai_angio.inferers import interpolate_cine
        from monai_angio.io import dicom_reference, read_cine, write_cine

        _check_output(input, output, overwrite)
        opts = _interpolation_options(method, options, AngioCLI.interpolate)
        _say_bundles(method, opts)
        frames, meta = read_cine(input, min_frames=2)
        interpolator = _interpolator(method, device)
        result = interpolate_cine(frames, interpolator, factor, opts, batch_size=batch_size, tile_size=tile_size)
        ft = meta.get("frame_time_ms")
        written = write_cine(
            output,
            result.frames,
            meta["bits_stored"],
            synthesized=result.synthesized,
            method=opts.run_label(method, result.choices),
            factor=factor,
            frame_time_ms=None if ft is None else ft / (factor + 1),
            reference=dicom_reference(input, meta),
            overwrite=overwrite,
        )
        print(f"{frames.shape[0]} acquired + {int(result.synthesized.sum())} synthesized frames -> {written}")

    @_checked
    def deblur(
        self,
        input: str,
        output: str,
        bundle: str = "cerebral_dsa_deblurring",
        batch_size: int = 1,
        device: str | None = None,
        focal_spot: float | None = None,
        sod: float | None = None,
        sid: float | None = None,
        pixel_spacing: float | None = None,
        overwrite: bool = False,
        **options: Any,
    ) -> None:
        """Restore the sharpness of large-focal-spot frames of INPUT and write them to OUTPUT (same order, bit depth).

        INPUT: a DICOM file, a folder of DICOM instances or frames, a multi-page TIFF or a video. OUTPUT: a ``.dcm``
        file (derived DICOM naming the method) or a folder (``0000.png, ...``); an existing OUTPUT is refused unless
        OVERWRITE is given, which replaces it whole. BUNDLE: the deblurring bundle (an installed bundle's name, or a
        folder given as a path: ``./my_bundle``). BATCH_SIZE: frames (or tiles) per forward pass. DEVICE: ``cpu`` or
        ``cuda`` (default: CUDA when available). FOCAL_SPOT, SOD, SID, PIXEL_SPACING: the focal-spot kernel's
        geometry for ``--temporal-radius`` (focal-spot size, source-object and source-detector distances, detector
        pixel spacing, mm); by default from the DICOM header (FocalSpots, DistanceSourceToPatient,
        DistanceSourceToDetector, ImagerPixelSpacing).

        Test-time options (``--name value``; those not given take the bundle's ``configs/inference.json`` values):

        {options}
        """
        from monai_angio.inferers.deblur import (
            DEFAULT_METHOD,
            deblur_cine,
            load_deblur_network,
            load_temporal_deblur_network,
        )
        from monai_angio.inferers.temporal_deblur import (
            geometry_kernel,
            takes_kernel,
            takes_neighbours,
            temporal_deblur_cine,
        )
        from monai_angio.io import dicom_reference, read_cine, write_cine
        from monai_angio.options import DeblurOptions

        _check_output(input, output, overwrite)
        _say_bundle(bundle)
        opts = _options(DeblurOptions, options, DeblurOptions.from_bundle(bundle), AngioCLI.deblur)
        temporal = opts.temporal_radius
        frames, meta = read_cine(input, min_frames=3 if temporal else 1)
        if temporal:  # the geometry is checked before a network loads
            kernel, geometry = geometry_kernel(meta, focal_spot, sod, sid, pixel_spacing, required=False)
            network, offset = load_temporal_deblur_network(bundle, device, kernel_known=kernel is not None)
        else:
            network, offset = load_deblur_network(bundle, device)
        kw = {"tile_size": opts.tile_size, "batch_size": batch_size, "input_offset": offset}
        label = opts.label(DEFAULT_METHOD)
        if temporal:
            restored = temporal_deblur_cine(
                frames, network, kernel, radius=temporal, balance=opts.balance, global_motion=opts.global_motion, **kw
            )
            blind = "" if takes_kernel(network) else "blind "
            parts = ([f"{blind}temporal network"] if takes_neighbours(network) else []) + (
                [f"focal spot {geometry['focal_spot_mm']:g} mm kernel"] if kernel is not None else []
            )
            label += f"; {', '.join(parts)}" if parts else ""
        else:
            restored = deblur_cine(frames, network, **kw)
        written = write_cine(
            output,
            restored.cpu(),
            meta["bits_stored"],
            method=label,
            frame_time_ms=meta.get("frame_time_ms"),
            reference=dicom_reference(input, meta),
            overwrite=overwrite,
        )
        print(f"{frames.shape[0]} frames deblurred -> {written}")

    @_checked
    def dose_reduction(
        self,
        input: str,
        factor: int = 1,
        method: str = "dis_flow",
        report: str = "dose_reduction_report",
        batch_size: int = 4,
        tile_size: int | None = None,
        device: str | None = None,
        overwrite: bool = False,
        **options: Any,
    ) -> None:
        """Keep every (FACTOR+1)-th frame of a real cine, synthesize the others, compare them with the real ones.

        Writes ``frames.csv``, ``frames.png`` (PSNR/SSIM per frame), ``summary.json`` (mean/std PSNR/SSIM/IE, dose
        saved = K/(K+1)), ``example.png`` (a synthesized frame beside the real one) and ``reconstructed.dcm`` into the
        folder REPORT; an existing REPORT is refused unless OVERWRITE is given, which replaces it whole (only a
        folder holding a report). METHOD, BATCH_SIZE, TILE_SIZE, DEVICE and the test-time options are as for
        ``interpolate``; every stage (adaptation, temporal window) sees the kept frames only.

        Test-time options:

        {options}
        """
        from monai_angio.io import dicom_reference, read_cine
        from monai_angio.io.atomic import atomic_output

        _check_output(input, report, overwrite, contents=_REPORT_FILES)
        opts = _interpolation_options(method, options, AngioCLI.dose_reduction)
        _say_bundles(method, opts)
        frames, meta = read_cine(input, min_frames=2)
        interpolator = _interpolator(method, device)
        with atomic_output(report, overwrite, folder=True, parents=True) as folder:
            summary = _dose_reduction(
                frames, meta, interpolator, method, factor, folder, batch_size, tile_size,
                reference=dicom_reference(input, meta), options=opts,
            )  # fmt: skip
        _print_summary([summary])
        print(f"report in {Path(report).resolve()}")

    @_checked
    def demo(
        self,
        output_dir: str = "monai_angio_demo",
        factor: int = 2,
        num_frames: int = 41,
        size: int = 256,
        seed: int = 0,
        overwrite: bool = False,
    ) -> None:
        """Dose-reduction study on the built-in digital angiography phantom with every available method.

        Writes the phantom cine (``phantom_xa.dcm``) and one report folder per method, with its reconstruction
        (``report_<method>/reconstructed.dcm``), into OUTPUT_DIR: every method with its options off, and each network
        method with its bundle's recommended options (``report_<method>+recommended``). An existing OUTPUT_DIR is
        refused unless OVERWRITE is given, which replaces it whole (only a folder holding a demo).
        """
        from monai_angio.inferers.methods import (
            available_methods,
            get_interpolator,
            is_network_method,
            recommended_options,
        )
        from monai_angio.io import write_cine
        from monai_angio.io.atomic import atomic_output
        from monai_angio.options import InterpolationOptions
        from monai_angio.phantoms import AngiographyPhantom
        from monai_angio.transforms import scale_bit_depth

        _check_output(None, output_dir, overwrite, contents=_DEMO_FILES)
        phantom = AngiographyPhantom(
            size=(size, size), num_frames=num_frames, frame_rate=15.0, mode="coronary", heart_rate_bpm=75.0, seed=seed
        )
        runs = [(m, "", InterpolationOptions()) for m in available_methods()]  # (method, folder suffix, options)
        runs += [(m, "+recommended", recommended_options(m)) for m in available_methods() if is_network_method(m)]
        for method, _, options in runs[: len(available_methods())]:  # each bundle named once
            _say_bundles(method, options)
        with atomic_output(output_dir, overwrite, folder=True, parents=True) as out:
            data, meta = phantom.generate()
            bits = meta["bits_stored"]
            frames = torch.from_numpy(scale_bit_depth(data, bits)).unsqueeze(1)
            cine = write_cine(
                out / "phantom_xa.dcm",
                frames,
                bits,
                method="monai-angio digital phantom",
                frame_time_ms=meta["frame_time_ms"],
            )
            print(f"phantom cine: {num_frames} frames {size}x{size}, {bits}-bit -> {Path(output_dir) / cine.name}")
            summaries = [
                _dose_reduction(
                    frames,
                    meta,
                    get_interpolator(method),
                    method,
                    factor,
                    out / f"report_{method}{suffix}",
                    4,
                    None,
                    reference=str(cine),
                    options=options,
                )  # fmt: skip
                for method, suffix, options in runs
            ]
            (out / "summary.json").write_text(json.dumps(summaries, indent=2))
        _print_summary(summaries)
        print(f"reports in {Path(output_dir).resolve()}")

    @_checked
    def project(
        self,
        volume: str,
        output: str,
        trajectory: str = "rotational",
        frames: int = 100,
        size: int = 256,
        spacing_mm: float | None = 2.0,
        sod: float = 750.0,
        sid: float = 1100.0,
        pixel_mm: float | None = None,
        start_deg: float = -100.0,
        range_deg: float = 200.0,
        duration_s: float = 4.5,
        primary_deg: float = 0.0,
        secondary_deg: float = 0.0,
        frame_rate: float = 15.0,
        energy_kev: float = 70.0,
        values: str = "ct",
        label_mu: float = 0.24,
        backend: str = "torch",
        device: str | None = None,
        overwrite: bool = False,
    ) -> None:
        """Simulate X-ray projections of a CT VOLUME along a C-arm trajectory and write them to OUTPUT (a ``.dcm``).

        VOLUME: a NIfTI file (``.nii``, ``.nii.gz``) or a folder holding one DICOM series; it is resampled to
        SPACING_MM (mm, isotropic; ``none`` keeps its grid), turned to the patient's LPS axes and centred on the
        isocenter. VALUES: ``ct`` (HU, turned into attenuation at ENERGY_KEV), ``labels`` (a vessel label map: every
        non-zero voxel is lumen filled with contrast of LABEL_MU per mm, partial volumes averaged) or ``intensity``
        (taken as attenuation per mm as they are). TRAJECTORY: ``rotational`` (FRAMES views, the primary
        angle from START_DEG to START_DEG + RANGE_DEG in DURATION_S seconds) or ``fixed`` (FRAMES views at
        PRIMARY_DEG at FRAME_RATE frames/s); SECONDARY_DEG (CRA positive) for both. The detector has SIZE x SIZE
        pixels of PIXEL_MM (default 300 mm / SIZE) at SID mm from the source, the isocenter SOD mm from it.

        Each pixel holds the detector intensity ``I = exp(-line integral)`` (1 where nothing attenuates), written in
        16 bits to a derived XA multi-frame DICOM (ImageType DERIVED\\SECONDARY, DerivationDescription "synthetic
        projection", PixelIntensityRelationship LIN) with the trajectory's geometry: PositionerPrimaryAngle and
        PositionerPrimary/SecondaryAngleIncrement, DistanceSourceToDetector, DistanceSourceToPatient,
        ImagerPixelSpacing, FrameTime. BACKEND: ``torch`` (DEVICE ``cpu`` or ``cuda``, default CUDA when available)
        or ``rtk`` (RTK's Joseph projector, CPU). An existing OUTPUT is refused unless OVERWRITE is given.
        """
        from monai_angio.io import write_cine
        from monai_angio.io.cine import CINE_FILE_SUFFIXES
        from monai_angio.projection.simulate import (
            PROJECTORS,
            VOLUME_VALUES,
            attenuation_volume,
            line_integrals,
            trajectory_attributes,
        )

        if trajectory not in _TRAJECTORIES:
            raise ValueError(f"--trajectory must be one of {', '.join(_TRAJECTORIES)}, got {trajectory!r}.")
        if backend not in PROJECTORS:
            raise ValueError(f"--backend must be one of {', '.join(PROJECTORS)}, got {backend!r}.")
        if values not in VOLUME_VALUES:
            raise ValueError(f"--values must be one of {', '.join(VOLUME_VALUES)}, got {values!r}.")
        if Path(output).suffix.lower() not in CINE_FILE_SUFFIXES:
            raise ValueError(f"{output}: project writes a DICOM file: the output must end in .dcm.")
        _check_output(volume, output, overwrite)
        views = _trajectory(
            trajectory, frames, size, sod, sid, pixel_mm, start_deg, range_deg, duration_s, primary_deg,
            secondary_deg, frame_rate,
        )  # fmt: skip
        mu, spacing = attenuation_volume(volume, spacing_mm, energy_kev, values, label_mu)
        integrals = line_integrals(mu, spacing, views, backend, device)
        intensity = torch.exp(-integrals).unsqueeze(1)  # (N, 1, rows, cols) in (0, 1]
        attributes = trajectory_attributes(views)
        times_ms = 1000.0 * views.times_s
        interval = float(times_ms[1] - times_ms[0]) if frames > 1 else None
        written = write_cine(
            output,
            intensity,
            16,
            method=f"synthetic projection of {Path(volume).name} ({trajectory}, {backend}, {energy_kev:g} keV, "
            "I = exp(-line integral))",
            frame_time_ms=interval,
            overwrite=overwrite,
            attributes=attributes,
        )
        print(f"{frames} {trajectory} projections {size}x{size} of {volume} -> {written}")

    @_checked
    def phantom(
        self,
        output: str,
        mode: str = "rotational",
        frames: int | None = None,
        size: int = 256,
        seed: int = 0,
        bits: int = 12,
        dose: float = 1.0,
        render: str | None = None,
        frame_rate: float | None = None,
        heart_rate: float = 72.0,
        table_speed: float = 0.0,
        patient_motion: float = 0.0,
        aneurysm: bool = False,
        stenosis: bool = False,
        background: str | None = None,
        focal_spot: float = 0.6,
        ground_truth: str | None = None,
        overwrite: bool = False,
    ) -> None:
        """Simulate a 3D angiography acquisition with the built-in phantom and write it to OUTPUT (a ``.dcm``).

        MODE: ``rotational`` (a 3D-DSA sweep of a head, 200 degrees in 4.5 s, default 133 frames), ``fixed`` (a
        fixed-view cerebral DSA run through the arterial, capillary and venous phases at FRAME_RATE, default 6
        frames/s, 48 frames) or ``coronary`` (an unsubtracted coronary cine of a beating, breathing heart at
        HEART_RATE, FRAME_RATE default 15, 60 frames). SIZE x SIZE detector pixels, BITS stored, DOSE relative to the
        default (noise variance ~ 1 / DOSE); RENDER ``dsa`` (mask subtracted) or ``xa`` (unsubtracted; default dsa for
        the cerebral modes, xa for coronary); TABLE_SPEED (mm/s) pans the table
        (fixed, coronary); PATIENT_MOTION (mm) adds a slow drift of the patient (misregistration in DSA);
        ANEURYSM, STENOSIS add one; BACKGROUND: a head CT (NIfTI or DICOM series folder, HU) instead of the
        procedural head; FOCAL_SPOT (mm). GROUND_TRUTH: also write the noise-free frames to this ``.dcm``. The file
        carries the geometry (one PositionerPrimaryAngle per frame for a rotational run) and is labelled ImageType
        DERIVED\\SECONDARY "monai-angio 3D phantom". An existing output is refused unless OVERWRITE is given.
        """
        from tqdm import tqdm

        from monai_angio.io import write_cine
        from monai_angio.io.cine import CINE_FILE_SUFFIXES
        from monai_angio.phantoms.angiography3d import PHANTOM_MODES, Angiography3DPhantom
        from monai_angio.projection.simulate import trajectory_attributes

        if mode not in PHANTOM_MODES:
            raise ValueError(f"--mode must be one of {', '.join(PHANTOM_MODES)}, got {mode!r}.")
        if render not in (None, "dsa", "xa"):
            raise ValueError(f"--render must be dsa or xa, got {render!r}.")
        outputs = [output] + ([ground_truth] if ground_truth is not None else [])
        for path in outputs:
            if Path(path).suffix.lower() not in CINE_FILE_SUFFIXES:
                raise ValueError(f"{path}: phantom writes a DICOM file: the output must end in .dcm.")
            _check_output(background, path, overwrite)
        if ground_truth is not None and Path(ground_truth).resolve() == Path(output).resolve():
            raise ValueError("--ground-truth must differ from the output.")
        phantom = Angiography3DPhantom(
            mode, size, frames, seed, bits=bits, dose=dose, subtract=None if render is None else render == "dsa",
            frame_rate=frame_rate, heart_rate_bpm=heart_rate, table_speed_mm_s=table_speed,
            patient_motion_mm=patient_motion, aneurysm=aneurysm, stenosis=stenosis, background=background,
            focal_spot_mm=focal_spot,
        )  # fmt: skip
        times = phantom.frame_times_s()
        attributes = trajectory_attributes(phantom.trajectory(times))
        attributes["PixelIntensityRelationship"] = "LOG"
        interval = 1000.0 * float(times[1] - times[0]) if len(times) > 1 else None
        kind = "DSA" if phantom.subtract else "XA"
        label = f"monai-angio 3D phantom ({mode} {kind}, seed {seed})"
        runs = [(output, True)] + ([(ground_truth, False)] if ground_truth is not None else [])
        for path, noisy in runs:
            stack = []
            for ti in tqdm(times, desc=f"{Path(path).name}", unit="frame", leave=False):
                stack.append(phantom.render_unit(float(ti), noise=None if noisy else False)[0])
            data = torch.from_numpy(np.stack(stack)).unsqueeze(1)
            written = write_cine(
                path, data, bits, method=label if noisy else label + " noise-free ground truth",
                frame_time_ms=interval, overwrite=overwrite, attributes=attributes,
            )  # fmt: skip
            print(f"{len(times)} frames {size}x{size} {mode} {kind}{'' if noisy else ' (noise-free)'} -> {written}")


def _trajectory(
    kind: str,
    frames: int,
    size: int,
    sod: float,
    sid: float,
    pixel_mm: float | None,
    start_deg: float,
    range_deg: float,
    duration_s: float,
    primary_deg: float,
    secondary_deg: float,
    frame_rate: float,
) -> Any:
    """The :class:`~monai_angio.projection.Trajectory` of ``project`` (a bad geometry: one ``ValueError`` line)."""
    from monai_angio.projection import CArmGeometry, fixed_view, rotational_sweep

    geometry = CArmGeometry(
        sod_mm=sod,
        sid_mm=sid,
        detector_shape=(size, size),
        pixel_mm=300.0 / size if pixel_mm is None else pixel_mm,
        primary_deg=primary_deg,
        secondary_deg=secondary_deg,
    )
    if kind == "fixed":
        return fixed_view(geometry, frames, frame_rate)
    return rotational_sweep(geometry, start_deg, range_deg, frames, duration_s)


def _document_options() -> None:
    """Fill the ``{options}`` of the command docstrings from the options dataclasses (one declaration)."""
    from monai_angio.options import DeblurOptions, InterpolationOptions, option_help

    for command, cls in (
        (AngioCLI.interpolate, InterpolationOptions),
        (AngioCLI.dose_reduction, InterpolationOptions),
        (AngioCLI.deblur, DeblurOptions),
    ):
        command.__doc__ = command.__doc__.replace("{options}", option_help(cls).strip())


_document_options()


def _interpolation_options(method: str, flags: dict[str, Any], command: Any) -> Any:
    """The :class:`~monai_angio.options.InterpolationOptions` of a run: the method's recommended setting
    (:func:`~monai_angio.inferers.methods.recommended_options`) with the given command-line flags replacing its
    values."""
    from monai_angio.inferers.methods import recommended_options
    from monai_angio.options import InterpolationOptions

    return _options(InterpolationOptions, flags, recommended_options(method), command)


def _options(cls: Any, flags: dict[str, Any], base: Any, command: Any) -> Any:
    """``cls.from_flags(flags, base)``; an unknown flag also lists the command's own flags.

    Every flag given on the command line counts, also one whose value Fire reads as ``None`` (``--ensemble None``):
    that one switches the option off.
    """
    flags = {name: "none" if value is None else value for name, value in flags.items()}
    try:
        return cls.from_flags(flags, base=base)
    except ValueError as err:
        if not str(err).startswith("unknown option"):
            raise
        own = [p for p in inspect.signature(command).parameters if p not in ("self", "options")]
        flags_text = ", ".join("--" + p.replace("_", "-") for p in own if p not in ("input", "output"))
        raise ValueError(f"{err} Command flags: {flags_text}.") from None


def _interpolator(method: str, device: str | None) -> torch.nn.Module:
    from monai_angio.inferers.methods import get_interpolator

    return get_interpolator(method, device)


def _check_output(input: str | None, output: str, overwrite: bool, contents: tuple[str, ...] | None = None) -> None:
    """Refuse, before any work, an output that would destroy the input or an existing output.

    Args:
        input: the command's input (``None``: a command without one).
        output: the output: a cine (``.dcm`` file or frame folder: :func:`~monai_angio.io.cine.check_cine_output`)
            or, with ``contents``, a folder written whole.
        overwrite: an existing output may be replaced (whole).
        contents: fnmatch patterns of what a folder written whole holds (a report, a demo); an existing folder
            holding anything else is never replaced, with ``overwrite`` or not (a mistyped folder, a home).

    Raises:
        ValueError: one line naming both paths when the output is the input, lies inside it or holds it;
            :class:`~monai_angio.io.atomic.OutputExistsError` for an existing output without ``overwrite``; an output
            that cannot be written (see :func:`~monai_angio.io.atomic.check_output_target`).
    """
    import fnmatch

    from monai_angio.io.atomic import check_output_target
    from monai_angio.io.cine import check_cine_output

    if input is not None:
        src, dst = Path(input).resolve(), Path(output).resolve()
        relation = (
            "is" if dst == src else "lies inside" if src in dst.parents else "holds" if dst in src.parents else ""
        )
        if relation:
            raise ValueError(
                f"the output {output} {relation} the input {input}: the input is never written; choose another output."
            )
    if contents is None:
        check_cine_output(output, overwrite=overwrite)
        return
    target = check_output_target(output, overwrite=overwrite, folder=True, parents=True)
    if target.is_dir():
        others = sorted(p.name for p in target.iterdir() if not any(fnmatch.fnmatch(p.name, c) for c in contents))
        if others:
            more = f", ... ({len(others)} in all)" if len(others) > 3 else ""
            raise ValueError(
                f"{output}: the folder holds other files than this command writes ({', '.join(others[:3])}{more}): "
                "it is never replaced; choose another folder."
            )


def _say_bundle(bundle: str) -> Path:
    """Print (to stderr) the folder of the bundle a run uses: an installed bundle's (a bare name) or a path given.

    Raises:
        ValueError: no such bundle.
    """
    from monai_angio.bundles import bundle_dirs, find_bundle, is_bundle_path

    root = find_bundle(bundle)
    if root is None and is_bundle_path(bundle):
        raise ValueError(f"no bundle folder {bundle}: expected a folder with configs/inference.json.")
    if root is None:
        where = ", ".join(str(d) for d in bundle_dirs())
        raise ValueError(
            f"no bundle {bundle!r}: a name must be an installed bundle (in {where}); a folder is given as a path "
            f"(./{bundle})."
        )
    print(f"using bundle {root.resolve()}", file=sys.stderr)
    return root


def _say_bundles(method: str, options: Any) -> None:
    """:func:`_say_bundle` for the network methods of an interpolation run (the method, an ensemble partner)."""
    from monai_angio.bundles import find_bundle
    from monai_angio.inferers.methods import is_network_method

    for name in (method, options.ensemble):
        if name and is_network_method(name) and find_bundle(name) is not None:
            _say_bundle(name)


def _dose_reduction(
    frames: torch.Tensor,
    meta: dict[str, Any],
    interpolator: torch.nn.Module,
    method: str,
    factor: int,
    report_dir: Path,
    batch_size: int,
    tile_size: int | None,
    reference: str | None,
    options: Any = None,
) -> dict[str, Any]:
    from monai_angio.inferers import dose_reduction_study
    from monai_angio.io import write_cine
    from monai_angio.metrics import side_by_side_png
    from monai_angio.options import InterpolationOptions

    options = options or InterpolationOptions()
    result = dose_reduction_study(frames, interpolator, factor, options, batch_size=batch_size, tile_size=tile_size)
    method = options.run_label(method, result.interpolation.choices)
    report_dir.mkdir(parents=True, exist_ok=True)
    summary = result.report.write(
        report_dir,
        title=f"{method}, K={factor} (dose -{100 * result.dose_saved:.0f} %)",
        method=method,
        factor=factor,
        dose_saved=result.dose_saved,
        ms_per_synthesized_frame=1000 * result.seconds_per_frame,
        source=str(meta.get("filename")),
    )["summary"]
    summary = json.loads(Path(summary).read_text())
    synthesized_idx = result.synthesized.nonzero().flatten()
    idx = int(synthesized_idx[len(synthesized_idx) // 2])  # a synthesized frame from the middle of the cine
    real, synth = result.reference[idx, 0].numpy(), result.reconstructed[idx, 0].numpy()
    diff = np.abs(real - synth)
    gain = max(1.0, float(np.floor((real.max() - real.min()) / max(float(diff.max()), 1e-6))))
    side_by_side_png(
        report_dir / "example.png",
        [real, synth, real.min() + gain * diff],
        [f"real frame {idx}", f"{method} (synthesized)", f"|difference| x{gain:.0f}"],
    )
    ft = meta.get("frame_time_ms")
    write_cine(
        report_dir / "reconstructed.dcm",
        result.reconstructed,
        meta["bits_stored"],
        synthesized=result.synthesized,
        method=method,
        factor=factor,
        frame_time_ms=ft,
        reference=reference,
    )
    return summary


def _print_summary(summaries: list[dict[str, Any]]) -> None:
    width = max([len("method")] + [len(s["method"]) for s in summaries]) + 2
    print(f"{'method':<{width}}{'K':>3}{'dose saved':>12}{'PSNR dB':>16}{'SSIM':>16}{'ms/frame':>10}")
    for s in summaries:
        psnr = f"{s['psnr_mean']:.2f} ± {s['psnr_std']:.2f}" if s.get("psnr_mean") is not None else "n/a"
        ssim = f"{s['ssim_mean']:.4f} ± {s['ssim_std']:.4f}" if s.get("ssim_mean") is not None else "n/a"
        print(
            f"{s['method']:<{width}}{s['factor']:>3}{100 * s['dose_saved']:>11.0f}%{psnr:>16}{ssim:>16}"
            f"{s['ms_per_synthesized_frame']:>10.1f}"
        )


def _is_flag(arg: str) -> bool:
    """Whether a command-line argument is a flag, as Fire decides it (``-x``, ``--name``; not ``-1``)."""
    return arg.startswith("--") or (len(arg) > 1 and arg[0] == "-" and arg[1].isalpha())


def _check_argv(argv: list[str]) -> list[str]:
    """Refuse an unknown command, an unknown flag, a missing or an extra argument before anything runs.

    Fire runs a command that takes no ``**options`` and only then complains about a flag it could not use; this
    check reads the arguments as Fire will (``--name value``, ``--name=value``, a switch followed by another flag or
    nothing, ``--noname``) against the command's signature and, for ``interpolate``, ``dose-reduction`` and
    ``deblur``, its options dataclass. Help (``--help``, ``-h``) and Fire's own flags (after a lone ``--``) are left
    to Fire.

    Returns:
        ``argv`` with the one-letter shortcuts Fire's help lists (``-f 2``) written out (``--factor 2``), so that
        they also reach a command that takes ``**options``.

    Raises:
        ValueError: one line naming the command and what is wrong, with the valid options.
    """
    from monai_angio.options import DeblurOptions, InterpolationOptions

    args = argv[: argv.index("--")] if "--" in argv else list(argv)
    if not args or _is_flag(args[0]) or "--help" in args or "-h" in args:
        return argv
    commands = sorted(name for name in vars(AngioCLI) if not name.startswith("_"))
    name = args[0].replace("-", "_")
    if name not in commands:
        names = ", ".join(c.replace("_", "-") for c in commands)
        raise ValueError(f"unknown command {args[0]!r}; commands: {names}.")
    shown = args[0]
    params = [
        p
        for p in inspect.signature(getattr(AngioCLI, name)).parameters.values()
        if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    options_of = {"interpolate": InterpolationOptions, "dose_reduction": InterpolationOptions, "deblur": DeblurOptions}
    extra = options_of[name].names() if name in options_of else ()
    valid = [p.name for p in params] + [o for o in extra if o not in {p.name for p in params}]
    switches = {p.name for p in params if isinstance(p.default, bool)}
    flags = ", ".join("--" + v.replace("_", "-") for v in valid)
    given, positional, i, out = set(), [], 1, list(argv)
    while i < len(args):
        arg = args[i]
        if not _is_flag(arg):
            positional.append(arg)
            i += 1
            continue
        key, equals, _ = arg.lstrip("-").partition("=")
        key = key.replace("-", "_")
        takes_value = not equals and i + 1 < len(args) and not _is_flag(args[i + 1])
        if key.startswith("no") and key[2:] in switches and not equals and not takes_value:
            key = key[2:]
        elif len(key) == 1 and (shortcut := _shortcut(key, params)):
            key = shortcut
            out[i] = f"--{key}" + (arg[2:] if equals else "")
        if key not in valid:
            raise ValueError(f"unknown option {arg.partition('=')[0]} for {shown}; valid options: {flags or 'none'}.")
        given.add(key)
        i += 2 if takes_value else 1
    if len(positional) > len(params):
        raise ValueError(
            f"unexpected argument {positional[len(params)]!r} for {shown}; see monai-angio {shown} --help."
        )
    filled = {p.name for p in params[: len(positional)]} | given
    missing = [p.name.upper() for p in params if p.default is inspect.Parameter.empty and p.name not in filled]
    if missing:
        raise ValueError(f"{shown} needs {' and '.join(missing)}; see monai-angio {shown} --help.")
    return out


def _shortcut(letter: str, params: list[inspect.Parameter]) -> str | None:
    """The parameter a one-letter flag stands for, as Fire's help lists them: the one flag (then the one parameter)
    whose name starts with the letter; ``None`` when there is none or several."""
    for group in ([p for p in params if p.default is not inspect.Parameter.empty], params):
        names = [p.name for p in group if p.name[0] == letter]
        if len(names) == 1:
            return names[0]
    return None


def _message(err: BaseException) -> str:
    """An error as one line: an ``OSError`` as ``path: reason``, other errors' lines joined."""
    if isinstance(err, OSError) and err.strerror and err.filename is not None:
        text = f"{err.filename}: {err.strerror}"
        return text + (f" ({err.filename2})" if err.filename2 is not None else "")
    return " ".join(line.strip() for line in str(err).splitlines() if line.strip()) or type(err).__name__


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``monai-angio`` console script.

    Bad input (an unknown flag, a bad value, an input that cannot be read, an output that would destroy the input or
    an existing output, a file-system error) ends with the one line ``monai-angio: error: ...`` as the last line of
    stderr and exit status 2, an interruption (Ctrl-C) with exit status 130; an output is written whole or not at all.
    """
    import fire

    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    try:
        fire.Fire(AngioCLI, command=_check_argv(argv), name="monai-angio")
    except BrokenPipeError:  # stdout closed early (``monai-angio methods | head -1``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        print(
            "monai-angio: interrupted (nothing half-written is left: an output is complete or absent).", file=sys.stderr
        )
        sys.exit(130)
    except torch.cuda.OutOfMemoryError as err:
        print(f"monai-angio: error: out of GPU memory ({_message(err)[:200]}); try a smaller --batch-size or "
              "--tile-size, or --device cpu.", file=sys.stderr)  # fmt: skip
        sys.exit(2)
    except (ValueError, TypeError, OSError) as err:
        print(f"monai-angio: error: {_message(err)}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
