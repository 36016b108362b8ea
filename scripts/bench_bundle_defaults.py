# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Check the MoSt-DSA bundle's default test-time settings on validation cines (never on the test cines).

The defaults of ``configs/inference.json`` (read with :func:`monai_angio.inferers.methods.bundle_test_time_options`)
are compared with the same settings without their fallback, without their global-motion compensation, and with the
classical method they fall back to alone (with the same temporal window). Validation cines: those of
``scripts/bench_adaptation.py`` (frames 26-51 of the shared real cine, phantoms with seeds 600-603) and the real
frames 26-51 moved by a rigid camera motion as in ``scripts/bench_strong_motion.py`` (central 512² crop), so that the
fallback and the global-motion compensation have something to do. Dose-reduction protocol, K = 1, 2, 3.

Writes ``docs/bench/bundle_defaults.{json,md}``. Usage:
    python scripts/bench_bundle_defaults.py [--motions 2:0.2 5:0.5] [--threads 2]
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_adaptation  # noqa: E402  (the validation cines and the report writer)
import bench_interpolation as bench  # noqa: E402
from bench_strong_motion import moving_cine  # noqa: E402
from bench_temporal_window import mean_psnr  # noqa: E402


def settings(defaults: dict) -> dict[str, tuple[str, dict]]:
    """Name -> (method, options) of the compared settings, from the bundle's ``defaults``."""
    fallback = defaults.get("fallback")
    runs = {
        "defaults": ("bundle", defaults),
        "without fallback": ("bundle", {**defaults, "fallback": None}),
        "without global motion": ("bundle", {**defaults, "global_motion": None}),
    }
    if fallback:  # the classical method alone, with the same noise reduction
        runs[f"{fallback} alone"] = (fallback, {"denoise_window": defaults.get("denoise_window", 0)})
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--motions", nargs="+", default=["2:0.2", "5:0.5"], help="px:deg per frame of the moved cines")
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from monai_angio.inferers import dose_reduction_study, gap_frames
    from monai_angio.inferers.methods import bundle_test_time_options, get_interpolator

    torch.set_num_threads(args.threads)
    defaults = bundle_test_time_options(bench.BUNDLE)
    runs = settings(defaults)
    methods = {m: get_interpolator(str(bench.BUNDLE) if m == "bundle" else m, "cpu") for m, _ in runs.values()}
    cines = bench_adaptation.validation_cines()
    real = next((name for name in cines if name.startswith("real")), None)
    for motion in args.motions if real else []:
        px, deg = (float(v) for v in motion.split(":"))
        cines[f"{real}, {px:g} px + {deg:g} deg per frame"] = moving_cine(cines[real], px, deg)
    rows = []
    for name, frames in cines.items():
        for k in args.factors:
            row = {"cine": name, "K": k, "psnr": {}, "selected": {}}
            for setting, (method, options) in runs.items():
                study = dose_reduction_study(frames, methods[method], k, batch_size=1, progress=False, **options)
                gaps, truth = gap_frames(study.reconstructed, k), gap_frames(study.reference, k)
                row["psnr"][setting], row["selected"][setting] = mean_psnr(gaps, truth), study.selected
            rows.append(row)
            print(name, k, {s: round(v, 3) for s, v in row["psnr"].items()}, row["selected"], flush=True)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = {"date": date, "threads": args.threads, "defaults": defaults, "rows": rows}
    names = list(runs)
    lines = ["# The bundle's default test-time settings on validation cines", "",
             f"Made by `python scripts/bench_bundle_defaults.py` on {date} ({args.threads} torch threads). Defaults "
             f"(`configs/inference.json`): {defaults}. PSNR (dB), dose-reduction protocol; `(fallback)` marks rows "
             "where the fallback interpolated the cine.", "",
             "| cine | K | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]  # fmt: skip
    for r in rows:
        cells = [f"{r['psnr'][s]:.3f}" + (" (fallback)" if r["selected"][s] == "fallback" else "") for s in names]
        lines.append(f"| {r['cine']} | {r['K']} | " + " | ".join(cells) + " |")
    lines += ["", "| setting | mean change against the defaults (dB) | rows where the defaults are better |",
              "|---|---:|---:|"]  # fmt: skip
    for s in names[1:]:
        diffs = [r["psnr"][s] - r["psnr"]["defaults"] for r in rows]
        better = sum(d < -1e-3 for d in diffs)
        lines.append(f"| {s} | {sum(diffs) / len(diffs):+.3f} | {better} / {len(diffs)} |")
    bench_adaptation.write_report("bundle_defaults", report, lines)


if __name__ == "__main__":
    main()
