# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""``monai-angio`` command line (python-fire).

Commands: ``info``, ``methods``, ``interpolate``, ``deblur``, ``dose-reduction``, ``demo``
(``monai-angio COMMAND --help``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["AngioCLI", "main"]


class AngioCLI:
    """monai-angio: X-ray angiography dose reduction and image quality with MONAI."""

    def info(self, path: str) -> None:
        """What a file or folder holds: format, modality, frames, size, bit depth, frame rate."""
        from monai_angio.io import describe

        for key, value in describe(path).items():
            print(f"{key:<28}{value}")

    def methods(self) -> None:
        """Interpolation methods available here (baselines and installed interpolation bundles)."""
        from monai_angio.inferers.methods import available_methods

        print("\n".join(available_methods()))

    def interpolate(
        self,
        input: str,
        output: str,
        factor: int = 1,
        method: str = "dis_flow",
        batch_size: int = 4,
        tile_size: int | None = None,
        device: str | None = None,
        **options: Any,
    ) -> None:
        """Synthesize FACTOR frames between every two frames of INPUT and write the new cine to OUTPUT.

        INPUT is a DICOM file, a folder of DICOM instances or frames (PNG/TIFF/JPEG), a multi-page TIFF or a video.
        OUTPUT is a ``.dcm`` file (derived multi-frame DICOM) or a folder (``0000.png, ...`` at the input's bit depth,
        with ``frame_labels.csv``). FACTOR: frames synthesized in each gap (K >= 1). METHOD: a baseline (``repeat``,
        ``linear``, ``dis_flow``, ``dis_flow_quadratic``) or an interpolation bundle (``monai-angio methods``).
        BATCH_SIZE: frame pairs per forward pass; TILE_SIZE: process large frames in tiles of this size; DEVICE:
        ``cpu`` or ``cuda`` (default: CUDA when available).

        Test-time options (``--name value``; those not given take the method's recommended setting: for a bundle
        the ``options`` of its ``configs/inference.json``, for a baseline all off; ``none`` or ``0`` turns one off):

        {options}
        """
        from monai_angio.inferers import interpolate_cine
        from monai_angio.io import dicom_reference, read_cine, write_cine

        opts = _interpolation_options(method, options, AngioCLI.interpolate)
        interpolator = _interpolator(method, device)
        frames, meta = read_cine(input, min_frames=2)
        result = interpolate_cine(frames, interpolator, factor, opts, batch_size=batch_size, tile_size=tile_size)
        ft = meta.get("frame_time_ms")
        written = write_cine(
            output,
            result.frames,
            meta["bits_stored"],
            synthesized=result.synthesized,
            method=opts.label(method),
            factor=factor,
            frame_time_ms=None if ft is None else ft / (factor + 1),
            reference=dicom_reference(input, meta),
        )
        print(f"{frames.shape[0]} acquired + {int(result.synthesized.sum())} synthesized frames -> {written}")

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
        **options: Any,
    ) -> None:
        """Restore the sharpness of large-focal-spot frames of INPUT and write them to OUTPUT (same order, bit depth).

        INPUT: a DICOM file, a folder of DICOM instances or frames, a multi-page TIFF or a video. OUTPUT: a ``.dcm``
        file (derived DICOM naming the method) or a folder (``0000.png, ...``). BUNDLE: the deblurring bundle (name
        or folder). BATCH_SIZE: frames (or tiles) per forward pass. DEVICE: ``cpu`` or ``cuda`` (default: CUDA when
        available). FOCAL_SPOT, SOD, SID, PIXEL_SPACING: the focal-spot kernel's geometry for ``--temporal-radius``
        (focal-spot size, source-object and source-detector distances, detector pixel spacing, mm); by default from
        the DICOM header (FocalSpots, DistanceSourceToPatient, DistanceSourceToDetector, ImagerPixelSpacing).

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
        )
        print(f"{frames.shape[0]} frames deblurred -> {written}")

    def dose_reduction(
        self,
        input: str,
        factor: int = 1,
        method: str = "dis_flow",
        report: str = "dose_reduction_report",
        batch_size: int = 4,
        tile_size: int | None = None,
        device: str | None = None,
        **options: Any,
    ) -> None:
        """Keep every (FACTOR+1)-th frame of a real cine, synthesize the others, compare them with the real ones.

        Writes ``frames.csv``, ``frames.png`` (PSNR/SSIM per frame), ``summary.json`` (mean/std PSNR/SSIM/IE, dose
        saved = K/(K+1)), ``example.png`` (a synthesized frame beside the real one) and ``reconstructed.dcm`` into
        REPORT. METHOD, BATCH_SIZE, TILE_SIZE, DEVICE and the test-time options are as for ``interpolate``; every
        stage (adaptation, temporal window) sees the kept frames only.

        Test-time options:

        {options}
        """
        from monai_angio.io import dicom_reference, read_cine

        opts = _interpolation_options(method, options, AngioCLI.dose_reduction)
        interpolator = _interpolator(method, device)
        frames, meta = read_cine(input, min_frames=2)
        summary = _dose_reduction(
            frames, meta, interpolator, method, factor, Path(report), batch_size, tile_size,
            reference=dicom_reference(input, meta), options=opts,
        )  # fmt: skip
        _print_summary([summary])
        print(f"report in {Path(report).resolve()}")

    def demo(
        self,
        output_dir: str = "monai_angio_demo",
        factor: int = 2,
        num_frames: int = 41,
        size: int = 256,
        seed: int = 0,
    ) -> None:
        """Dose-reduction study on the built-in digital angiography phantom with every available method.

        Writes the phantom cine (``phantom_xa.dcm``) and one report folder per method, with its reconstruction
        (``report_<method>/reconstructed.dcm``), into OUTPUT_DIR: every method with its options off, and each network
        method with its bundle's recommended options (``report_<method>+recommended``).
        """
        from monai_angio.inferers.methods import available_methods, get_interpolator, is_network_method
        from monai_angio.io import write_cine
        from monai_angio.options import InterpolationOptions
        from monai_angio.phantoms import AngiographyPhantom
        from monai_angio.transforms import scale_bit_depth

        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        phantom = AngiographyPhantom(
            size=(size, size), num_frames=num_frames, frame_rate=15.0, mode="coronary", heart_rate_bpm=75.0, seed=seed
        )
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
        print(f"phantom cine: {num_frames} frames {size}x{size}, {bits}-bit -> {cine}")
        runs = [(m, "", InterpolationOptions()) for m in available_methods()]  # (method, folder suffix, options)
        runs += [
            (m, "+recommended", InterpolationOptions.from_bundle(m))
            for m in available_methods()
            if is_network_method(m)
        ]
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
        _print_summary(summaries)
        (out / "summary.json").write_text(json.dumps(summaries, indent=2))
        print(f"reports in {out.resolve()}")


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
    """The :class:`~monai_angio.options.InterpolationOptions` of a run: the method's recommended setting (a bundle's
    ``inference.json`` options; all off for a baseline) with the given command-line flags replacing its values."""
    from monai_angio.bundles import find_bundle
    from monai_angio.inferers.methods import available_methods, is_network_method
    from monai_angio.options import InterpolationOptions

    if is_network_method(method) and find_bundle(method) is None:
        raise ValueError(f"unknown interpolation method {method!r}; available: {', '.join(available_methods())}.")
    base = InterpolationOptions.from_bundle(method) if is_network_method(method) else InterpolationOptions()
    return _options(InterpolationOptions, flags, base, command)


def _options(cls: Any, flags: dict[str, Any], base: Any, command: Any) -> Any:
    """``cls.from_flags(flags, base)``; an unknown flag also lists the command's own flags.

    Every flag given on the command line counts, also one whose value Fire reads as ``None`` (``--ensemble None``):
    that one switches the option off.
    """
    import inspect

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
    method = options.label(method)
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


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``monai-angio`` console script; bad input ends with a one-line error and exit code 2."""
    import fire

    try:
        fire.Fire(AngioCLI, command=argv, name="monai-angio")
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"monai-angio: error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
