# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Choose the temporal window of ``denoise_window`` on validation cines (never on the test cines).

Validation cines as in ``scripts/bench_adaptation.py``: frames 26-51 of the shared real DSA cine (inside the training
part, before the held-out last 30 %) and four phantom cines with cardiac motion with seeds not used elsewhere
(600-603). For each method the dose-reduction protocol (K = 1, 2, 3) is run once; its synthesized frames are then
corrected with :func:`monai_angio.inferers.temporal_window_correction` for every window ``R`` and local width, and
the PSNR gain over the uncorrected frames is reported (the correction sees the kept frames only).

Writes ``docs/bench/<name>.{json,md}`` (``--name``, default ``temporal_window``); with several methods also their
PSNR side by side with the first setting. Usage:
    python scripts/bench_temporal_window.py [--windows 2 3 4 6 8] [--sigmas 2 4] [--methods linear most_dsa+dis_flow]
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_adaptation  # noqa: E402  (the validation cines)
import bench_interpolation as bench  # noqa: E402


def mean_psnr(frames: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean PSNR (dB, data range 1) over the frames of ``(N, K, C, H, W)`` gaps."""
    from monai_angio.metrics import psnr

    return float(psnr(frames.flatten(0, 1), reference.flatten(0, 1), 1.0).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, nargs="+", default=[2, 3, 4, 6, 8])
    ap.add_argument("--sigmas", type=float, nargs="+", default=[2.0, 4.0], help="widths of the local weights (px)")
    ap.add_argument("--methods", nargs="+", default=["linear", bench.ENSEMBLE])
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="temporal_window", help="report name: docs/bench/<name>.{json,md}")
    args = ap.parse_args()
    from monai_angio.baselines import get_baseline
    from monai_angio.inferers import dose_reduction_study, gap_frames, temporal_window_correction
    from monai_angio.inferers.methods import get_interpolator

    torch.set_num_threads(args.threads)
    network = get_interpolator(str(bench.BUNDLE), "cpu")
    networks = {bench.OURS: {}, bench.ENSEMBLE: {"ensemble": "dis_flow"}, bench.BEST: bench.BEST_OPTIONS,
                bench.ENSEMBLE_Q: {"ensemble": bench.QUADRATIC}, bench.BEST_Q: bench.BEST_Q_OPTIONS}  # fmt: skip
    runs = {m: (network, networks[m]) if m in networks else (get_baseline(m), {}) for m in args.methods}
    settings = {f"{r}:{s:g}": (r, s) for r in args.windows for s in args.sigmas}
    rows = []
    for name, frames in bench_adaptation.validation_cines().items():
        for method, (net, options) in runs.items():
            for k in args.factors:
                study = dose_reduction_study(frames, net, k, batch_size=1, progress=False, **options)
                kept = study.reconstructed[:: k + 1]
                gaps, truth = gap_frames(study.reconstructed, k), gap_frames(study.reference, k)
                base = mean_psnr(gaps, truth)
                row = {"cine": name, "method": method, "K": k, "psnr": base, "gains": {}}
                for key, (window, sigma) in settings.items():
                    out, _ = temporal_window_correction(kept, gaps, window, local_sigma=sigma)
                    row["gains"][key] = mean_psnr(out.clamp(0, 1), truth) - base
                rows.append(row)
                print(name, method, k, f"{base:.3f}", {s: round(g, 3) for s, g in row["gains"].items()}, flush=True)
    summary, tables = bench_adaptation.method_gain_tables(rows, list(settings), "R:s")
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "threads": args.threads, "rows": rows, "summary": summary}  # fmt: skip
    lines = ["# Temporal window: choice of R and of the local width on validation cines", "",
             f"Made by `python scripts/bench_temporal_window.py` on {report['date']} ({args.threads} torch threads). "
             "PSNR gain (dB) of each method's synthesized frames corrected with the temporal window over the same "
             "frames uncorrected, dose-reduction protocol; `R:s` = up to R kept frames on each side of a gap, local "
             "weights of width s pixels.", "", *tables]  # fmt: skip
    if len(runs) > 1:  # the methods side by side, corrected with the first setting
        first = next(iter(settings))
        lines += ["", f"PSNR (dB) of the synthesized frames corrected with `{first}`:", "",
                  f"| cine | K | {' | '.join(runs)} |", "|---|---:|" + "---:|" * len(runs)]  # fmt: skip
        by_key = {(r["cine"], r["K"], r["method"]): r["psnr"] + r["gains"][first] for r in rows}
        for cine, k in dict.fromkeys((r["cine"], r["K"]) for r in rows):
            lines.append(f"| {cine} | {k} | " + " | ".join(f"{by_key[cine, k, m]:.3f}" for m in runs) + " |")
    bench_adaptation.write_report(args.name, report, lines)


if __name__ == "__main__":
    main()
