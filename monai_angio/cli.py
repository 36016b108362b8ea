# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""``monai-angio`` command line (python-fire).

Commands: ``info``, ``methods``, ``interpolate``, ``deblur``, ``dose-reduction``, ``demo``
(``monai-angio COMMAND --help``).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["AngioCLI", "main", "load_cine", "save_cine"]

#: the second method the demo averages each network with (the best measured, ``docs/benchmarks.md``, "Quadratic motion")
DEMO_ENSEMBLE = "dis_flow_quadratic"


def load_cine(path: str | Path, min_frames: int = 2) -> tuple[torch.Tensor, dict[str, Any]]:
    """Load a cine as float frames ``(T, 1, H, W)`` in [0, 1] (luminance; scaled by the stored bit depth).

    Raises:
        ValueError: when the input holds fewer than ``min_frames`` frames.
    """
    from monai_angio.io import load_sequence
    from monai_angio.transforms import scale_bit_depth

    frames, meta = load_sequence(path, luminance=True)
    if frames.shape[0] < min_frames:
        raise ValueError(f"{path}: at least {min_frames} frames are needed, the input holds {frames.shape[0]}.")
    return torch.from_numpy(scale_bit_depth(frames, meta["bits_stored"])).unsqueeze(1), meta


def save_cine(
    output: str | Path,
    frames: torch.Tensor,
    bits_stored: int,
    *,
    synthesized: torch.Tensor | None = None,
    method: str = "",
    factor: int = 1,
    frame_time_ms: float | None = None,
    reference: str | Path | None = None,
) -> Path:
    """Write float frames ``(T, 1, H, W)`` in [0, 1] at ``bits_stored`` bits: a DICOM file (``.dcm``) or a folder.

    A folder gets ``0000.png, 0001.png, ...`` and ``frame_labels.csv`` telling acquired from synthesized frames; a
    DICOM file carries the same labels in its Frame Label Vector and DerivationDescription.
    """
    from monai_angio.io import write_dicom_cine, write_frames
    from monai_angio.transforms import quantize_bit_depth

    data = quantize_bit_depth(frames[:, 0].cpu().numpy(), bits_stored)
    labels = None if synthesized is None else [bool(s) for s in synthesized.tolist()]
    output = Path(output)
    if output.suffix.lower() in (".dcm", ".dicom"):
        return write_dicom_cine(
            output,
            data,
            reference=reference,
            synthesized=labels,
            method=method,
            factor=factor,
            frame_time_ms=frame_time_ms,
            bits_stored=bits_stored,
        )
    output.mkdir(parents=True, exist_ok=True)
    write_frames(output, data, bits_stored)
    with (output / "frame_labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["frame", "file", "kind", "time_ms"])
        for i in range(data.shape[0]):
            kind = "synthesized" if labels is not None and labels[i] else "acquired"
            t = "" if frame_time_ms is None else f"{i * frame_time_ms:.3f}"
            writer.writerow([i, f"{i:04d}.png", kind, t])
    return output


def _dicom_reference(path: str | Path, meta: dict[str, Any]) -> str | None:
    return str(path) if meta.get("format") == "dicom" else None


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
        self_ensemble: int | None = None,
        time_reversal: bool | None = None,
        adapt_steps: int | None = None,
        denoise_anchors: bool | None = None,
        fallback: str | None = None,
        ensemble: str | None = None,
        global_motion: str | None = None,
        denoise_window: int | None = None,
    ) -> None:
        """Synthesize FACTOR frames between every two frames of INPUT and write the new cine to OUTPUT.

        Args:
            input: a DICOM file, a folder of DICOM instances or frames (PNG/TIFF/JPEG), a multi-page TIFF or a video.
            output: a ``.dcm`` file (derived multi-frame DICOM) or a folder (``0000.png, ...`` at the input's bit
                depth, with ``frame_labels.csv``).
            factor: frames synthesized in each gap (K >= 1).
            method: a baseline (``repeat``, ``linear``, ``dis_flow``, ``dis_flow_quadratic`` = DIS flow with the
                motion's acceleration measured on the acquired frames around each gap) or an interpolation bundle
                (``monai-angio methods``). The test-time options below (``self_ensemble`` ... ``denoise_window``)
                that are not given take the method's recommended settings: for a bundle the values of its
                ``inference.json`` (``cerebral_dsa_interpolation``: ``--ensemble dis_flow_quadratic
                --denoise-window 12 --fallback dis_flow_quadratic``), for a baseline all off. ``none`` turns
                ``--fallback``, ``--ensemble`` and ``--global-motion`` off, ``--denoise-window 0`` the window.
            batch_size: frame pairs per forward pass.
            tile_size: process large frames in tiles of this size.
            device: ``cpu`` or ``cuda`` (default: CUDA when available).
            self_ensemble: average over this many flips of each frame pair (1, 2, 4 or 8; that many times slower).
            time_reversal: also average the time-reversed interpolation (twice slower).
            adapt_steps: fine-tune a network method for this many steps on the input's own acquired frames before
                interpolating (test-time adaptation; about 0.1 s per step on a CPU); 0 uses the weights as shipped.
            denoise_anchors: blend each acquired frame with the method's prediction of it from its neighbours before
                interpolating (weights measured on the input), so the synthesized frames carry less quantum noise;
                the acquired frames are written unchanged. One extra interpolation per acquired frame.
            fallback: a second method (e.g. ``dis_flow``) that interpolates the input instead when it predicts the
                input's acquired frames from their neighbours better than METHOD (a guard against motion a network
                was not trained for); the choice is printed and named in the DerivationDescription.
            ensemble: a second method (e.g. ``dis_flow`` or ``dis_flow_quadratic``) whose frames are averaged with
                METHOD's (better than either alone on our benchmarks, at the sum of the two costs).
            global_motion: ``translation``, ``similarity`` or ``affine``: remove the global (camera, patient) motion
                of each frame pair, fitted to its optical flow, before METHOD sees it, and put it back in the
                synthesized frames; pairs moving less than 1 pixel are left as they are. For rotational runs and
                patient motion.
            denoise_window: R >= 2: after interpolating, pull each synthesized frame towards a line in time through
                up to R acquired frames on each side of its gap, with per-pixel weights measured on the input that
                vanish where the scene does not follow the line (filling or moving vessels); removes much of the
                quantum noise the synthesized frames inherit. 12 is the setting chosen on validation cines; 0 is off.
                An alternative to --denoise-anchors, not combinable with it (--denoise-anchors alone turns a
                recommended window off).
        """
        from monai_angio.inferers import SequenceInterpolator
        from monai_angio.inferers.methods import get_interpolator

        interpolator = get_interpolator(method, device)
        frames, meta = load_cine(input)
        test_time = _test_time(
            method, self_ensemble, time_reversal, adapt_steps, denoise_anchors, fallback, ensemble, global_motion,
            denoise_window,
        )  # fmt: skip
        inferer = SequenceInterpolator(interpolator, factor, batch_size=batch_size, tile_size=tile_size, **test_time)
        out, synthesized = inferer(frames)
        if inferer.selected is not None:
            main_mse, fallback_mse = inferer.selection_mse
            print(
                f"{_used_method(method, test_time, inferer.selected)} predicts the acquired frames better "
                f"(MSE {main_mse:.3g} vs fallback {fallback_mse:.3g})"
            )
        method = _method_label(method, test_time, inferer.selected)
        ft = meta.get("frame_time_ms")
        written = save_cine(
            output,
            out,
            meta["bits_stored"],
            synthesized=synthesized,
            method=method,
            factor=factor,
            frame_time_ms=None if ft is None else ft / (factor + 1),
            reference=_dicom_reference(input, meta),
        )
        print(f"{frames.shape[0]} acquired + {int(synthesized.sum())} synthesized frames -> {written}")

    def deblur(
        self,
        input: str,
        output: str,
        bundle: str = "cerebral_dsa_deblurring",
        tile_size: int | None = 512,
        batch_size: int = 1,
        device: str | None = None,
        self_ensemble: int = 1,
        temporal: int = 0,
        focal_spot: float | None = None,
        sod: float | None = None,
        sid: float | None = None,
        pixel_spacing: float | None = None,
        balance: float = 0.1,
        global_motion: str | None = "similarity",
    ) -> None:
        """Restore the sharpness of large-focal-spot frames of INPUT and write them to OUTPUT (same order, bit depth).

        Args:
            input: a DICOM file, a folder of DICOM instances or frames, a multi-page TIFF or a video.
            output: a ``.dcm`` file (derived DICOM naming the method) or a folder (``0000.png, ...``).
            bundle: the deblurring bundle (name or folder).
            tile_size: frames larger than this are processed in overlapping tiles (``None``: whole frames).
            batch_size: frames (or tiles) per forward pass.
            device: ``cpu`` or ``cuda`` (default: CUDA when available).
            self_ensemble: average over this many flips/rotations of each frame (1, 2, 4 or 8; that many times
                slower).
            temporal: use this many neighbouring frames on each side (a cine of at least 3 frames): the bundle's
                non-blind temporal network restores each frame from it, the mean of its neighbours and the width of
                the focal-spot kernel when the geometry is known; its blind temporal network, from the frame and
                the mean, when it is not (:mod:`monai_angio.inferers.temporal_deblur`); 0 (default) deblurs each
                frame alone.
            focal_spot, sod, sid, pixel_spacing: the kernel's geometry for ``temporal`` (focal-spot size,
                source-object and source-detector distances, detector pixel spacing, mm); by default from the DICOM
                header (FocalSpots, DistanceSourceToPatient, DistanceSourceToDetector, ImagerPixelSpacing).
            balance: regularisation of the consistency (deconvolution) step of ``temporal`` for a bundle without
                the non-blind network (its single-frame network then gets the blend and this step).
            global_motion: with ``temporal``, resample the neighbours to each frame's geometry first (``similarity``,
                the default, ``translation`` or ``affine``), for camera or patient motion; neighbours moving less than
                1 pixel are used as they are. ``none`` uses them unaligned (the temporal network then loses to
                single frames on moving cines). The alignment fits 2 x ``temporal`` flows per frame: on a 9-frame
                512² XA cine with ``--temporal 2`` it added 10 % to the command's time on a 2-core CPU.
        """
        from monai_angio.inferers.deblur import (
            DEFAULT_METHOD,
            deblur_cine,
            load_deblur_network,
            load_temporal_deblur_network,
        )
        from monai_angio.inferers.temporal_deblur import (
            check_temporal_radius,
            geometry_kernel,
            takes_kernel,
            takes_neighbours,
            temporal_deblur_cine,
        )

        check_temporal_radius(temporal, "--temporal")
        global_motion = _motion_option(global_motion)
        frames, meta = load_cine(input, min_frames=3 if temporal else 1)
        if temporal:  # the geometry is checked before a network loads
            kernel, geometry = geometry_kernel(meta, focal_spot, sod, sid, pixel_spacing, required=False)
            network, offset = load_temporal_deblur_network(bundle, device, kernel_known=kernel is not None)
        else:
            network, offset = load_deblur_network(bundle, device)
        kw = {"tile_size": tile_size, "batch_size": batch_size, "input_offset": offset, "self_ensemble": self_ensemble}
        label = _method_label(DEFAULT_METHOD, {"self_ensemble": self_ensemble})
        if temporal:
            restored = temporal_deblur_cine(
                frames, network, kernel, radius=temporal, balance=balance, global_motion=global_motion, **kw
            )
            blind = "" if takes_kernel(network) else "blind "
            parts = ([f"{blind}temporal network"] if takes_neighbours(network) else []) + (
                [f"focal spot {geometry['focal_spot_mm']:g} mm kernel"] if kernel is not None else []
            )
            label += f"; temporal +-{temporal} frames, " + ", ".join(parts)
            label += f", global motion {global_motion}" if global_motion else ""
        else:
            restored = deblur_cine(frames, network, **kw)
        written = save_cine(
            output,
            restored.cpu(),
            meta["bits_stored"],
            method=label,
            frame_time_ms=meta.get("frame_time_ms"),
            reference=_dicom_reference(input, meta),
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
        self_ensemble: int | None = None,
        time_reversal: bool | None = None,
        adapt_steps: int | None = None,
        denoise_anchors: bool | None = None,
        fallback: str | None = None,
        ensemble: str | None = None,
        global_motion: str | None = None,
        denoise_window: int | None = None,
    ) -> None:
        """Keep every (FACTOR+1)-th frame of a real cine, synthesize the others, compare them with the real ones.

        Writes ``frames.csv``, ``frames.png`` (PSNR/SSIM per frame), ``summary.json`` (mean/std PSNR/SSIM/IE, dose
        saved = K/(K+1)), ``example.png`` (a synthesized frame beside the real one) and ``reconstructed.dcm`` or a
        frame folder into REPORT. The test-time options (``self_ensemble`` ... ``denoise_window``, the method's
        recommended settings when not given) are as for ``interpolate``; the adaptation, the anchor denoising, the
        temporal window and the choice of the fallback see the kept frames only.
        """
        from monai_angio.inferers.methods import get_interpolator

        interpolator = get_interpolator(method, device)
        frames, meta = load_cine(input)
        test_time = _test_time(
            method, self_ensemble, time_reversal, adapt_steps, denoise_anchors, fallback, ensemble, global_motion,
            denoise_window,
        )  # fmt: skip
        summary = _dose_reduction(
            frames,
            meta,
            interpolator,
            method,
            factor,
            Path(report),
            batch_size,
            tile_size,
            reference=_dicom_reference(input, meta),
            test_time=test_time,
        )
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
        (``report_<method>/reconstructed.dcm``), into OUTPUT_DIR. Each network method is also run averaged with DIS
        flow with quadratic motion (``--ensemble dis_flow_quadratic``; ``report_<method>+dis_flow_quadratic``) and so
        with the temporal-window noise reduction (``--denoise-window 12``;
        ``report_<method>+dis_flow_quadratic+window12``).
        """
        from monai_angio.baselines import BASELINES
        from monai_angio.inferers.methods import available_methods, get_interpolator
        from monai_angio.phantoms import AngiographyPhantom

        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        phantom = AngiographyPhantom(
            size=(size, size), num_frames=num_frames, frame_rate=15.0, mode="coronary", heart_rate_bpm=75.0, seed=seed
        )
        data, meta = phantom.generate()
        bits = meta["bits_stored"]
        from monai_angio.transforms import scale_bit_depth

        frames = torch.from_numpy(scale_bit_depth(data, bits)).unsqueeze(1)
        cine = save_cine(
            out / "phantom_xa.dcm",
            frames,
            bits,
            method="monai-angio digital phantom",
            frame_time_ms=meta["frame_time_ms"],
        )
        print(f"phantom cine: {num_frames} frames {size}x{size}, {bits}-bit -> {cine}")
        networks = [m for m in available_methods() if m not in BASELINES]
        runs = [(m, "", {}) for m in available_methods()]  # (method, report-folder suffix, test-time options)
        ens = DEMO_ENSEMBLE
        runs += [(m, f"+{ens}", {"ensemble": ens}) for m in networks]
        runs += [(m, f"+{ens}+window12", {"ensemble": ens, "denoise_window": 12}) for m in networks]
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
                test_time=test_time or None,
            )
            for method, suffix, test_time in runs
        ]
        _print_summary(summaries)
        (out / "summary.json").write_text(json.dumps(summaries, indent=2))
        print(f"reports in {out.resolve()}")


#: the test-time options of the interpolation commands when neither the user nor the method's bundle sets them
TEST_TIME_OFF: dict[str, Any] = {
    "self_ensemble": 1,
    "time_reversal": False,
    "adapt_steps": 0,
    "denoise_anchors": False,
    "fallback": None,
    "ensemble": None,
    "global_motion": None,
    "denoise_window": 0,
}


def _test_time(
    method: str,
    self_ensemble: int | None = None,
    time_reversal: bool | None = None,
    adapt_steps: int | None = None,
    denoise_anchors: bool | None = None,
    fallback: str | None = None,
    ensemble: str | None = None,
    global_motion: str | None = None,
    denoise_window: int | None = None,
) -> dict[str, Any]:
    """The test-time options of the interpolation commands, as keyword arguments of ``SequenceInterpolator``.

    An option left ``None`` takes the method's recommended setting: for an interpolation bundle the value of its
    ``inference.json`` (what ``python -m monai.bundle run`` uses), for a baseline :data:`TEST_TIME_OFF`. ``none`` (or
    ``off``) turns ``fallback``, ``ensemble`` and ``global_motion`` off; ``--denoise-anchors`` without
    ``--denoise-window`` turns a recommended window off (the two are alternatives).
    """
    from monai_angio.baselines import BASELINES
    from monai_angio.inferers.methods import bundle_test_time_options

    recommended = dict(TEST_TIME_OFF)
    if method not in BASELINES:
        recommended.update({k: v for k, v in bundle_test_time_options(method).items() if k in TEST_TIME_OFF})
    given = {
        "self_ensemble": self_ensemble,
        "time_reversal": time_reversal,
        "adapt_steps": adapt_steps,
        "denoise_anchors": denoise_anchors,
        "fallback": fallback,
        "ensemble": ensemble,
        "global_motion": global_motion,
        "denoise_window": denoise_window,
    }
    if denoise_anchors and denoise_window is None:
        given["denoise_window"] = 0
    options = {key: recommended[key] if value is None else value for key, value in given.items()}
    for key in ("fallback", "ensemble"):
        options[key] = _off_or(options[key])
    options["global_motion"] = _motion_option(options["global_motion"])
    return options


def _off_or(value: Any) -> Any:
    """``None`` for a switched-off option (``none``/``off``/``false`` in any case, or False), else ``value``."""
    if value is False or (isinstance(value, str) and value.lower() in ("none", "off", "false")):
        return None
    return value


def _motion_option(value: str | bool | None) -> str | None:
    """A ``--global-motion`` value: ``None`` for ``none``/``off``/``false`` (any case), else the checked model name."""
    from monai_angio.networks.global_motion import check_global_motion

    value = _off_or(value)
    if value is None:
        return None
    check_global_motion(value)
    return value


def _used_method(method: str, test_time: Mapping[str, Any], selected: str | None) -> str:
    """The method that interpolated: the fallback when the fallback choice selected it, else ``method`` (averaged
    with the ensemble method, if any)."""
    fallback, ensemble = test_time.get("fallback"), test_time.get("ensemble")
    if selected == "fallback" and fallback:
        return fallback
    return f"{method} + {ensemble}" if ensemble else method


def _method_label(method: str, test_time: Mapping[str, Any] | None = None, selected: str | None = None) -> str:
    """Method name for reports and DICOM derivation descriptions, naming any test-time option of ``test_time`` (the
    keys of :func:`_test_time`) and, after a fallback choice, the method ``selected`` by it."""
    opts = dict(test_time or {})
    n_flips, steps = opts.get("self_ensemble", 1), opts.get("adapt_steps", 0)
    fallback, ensemble = opts.get("fallback"), opts.get("ensemble")
    parts = (
        ([f"self-ensemble x{n_flips}"] if n_flips != 1 else [])
        + (["time reversal"] if opts.get("time_reversal") else [])
        + ([f"adapted {steps} steps"] if steps else [])
        + (["denoised anchors"] if opts.get("denoise_anchors") else [])
        + ([f"temporal window {opts['denoise_window']}"] if opts.get("denoise_window") else [])
        + ([f"fallback {fallback}"] if fallback else [])
        + ([f"ensemble with {ensemble}"] if ensemble else [])
        + ([f"global motion {opts['global_motion']}"] if opts.get("global_motion") else [])
    )
    label = ", ".join(parts)
    if selected is not None:
        label += f"; used {_used_method(method, opts, selected)}"
    return f"{method} ({label})" if label else method


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
    test_time: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from monai_angio.inferers import dose_reduction_study
    from monai_angio.metrics import side_by_side_png

    result = dose_reduction_study(
        frames,
        interpolator,
        factor,
        batch_size=batch_size,
        tile_size=tile_size,
        **(test_time or {}),
    )
    method = _method_label(method, test_time, result.selected)
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
    save_cine(
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
