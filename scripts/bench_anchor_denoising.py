# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Choose how the anchors are denoised (``denoise_anchors``) on validation cines (never on the test cines).

Validation cines as in ``scripts/bench_adaptation.py``: frames 26-51 of the shared real DSA cine (inside the training
part, before the held-out last 30 %) and four phantom cines with cardiac motion with seeds not used elsewhere
(600-603). For the linear baseline and the MoSt-DSA bundle, the dose-reduction protocol (K = 1, 2, 3) is run with the
anchors blended with one weight per frame (``global``) or with local weights of several widths (pixels), and the PSNR
gain over the same method without denoised anchors is reported.

Writes ``docs/bench/anchor_denoising.{json,md}``. Usage:
    python scripts/bench_anchor_denoising.py [--widths global 2 4 8] [--methods linear most_dsa] [--threads 2]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", nargs="+", default=["global", "2", "4", "8"], help="'global' or local widths (px)")
    ap.add_argument("--methods", nargs="+", default=["linear", bench.OURS])
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from monai_angio.inferers import SequenceInterpolator, dose_reduction_study
    from monai_angio.inferers.methods import get_interpolator

    torch.set_num_threads(args.threads)
    widths = {w: None if w == "global" else float(w) for w in args.widths}
    nets = {m: get_interpolator(str(bench.BUNDLE) if m == bench.OURS else m, "cpu") for m in args.methods}
    rows = []
    default = SequenceInterpolator.anchor_sigma
    try:
        for name, frames in bench_adaptation.validation_cines().items():
            for method, net in nets.items():
                for k in args.factors:
                    study = dose_reduction_study(frames, net, k, batch_size=1, progress=False)
                    base = study.report.summary()["psnr_mean"]
                    row = {"cine": name, "method": method, "K": k, "psnr": base, "gains": {}}
                    for key, width in widths.items():
                        SequenceInterpolator.anchor_sigma = width
                        res = dose_reduction_study(frames, net, k, batch_size=1, progress=False, denoise_anchors=True)
                        row["gains"][key] = res.report.summary()["psnr_mean"] - base
                    rows.append(row)
                    print(name, method, k, f"{base:.3f}", {w: round(g, 3) for w, g in row["gains"].items()}, flush=True)
    finally:
        SequenceInterpolator.anchor_sigma = default
    keys = list(widths)
    summary, tables = bench_adaptation.method_gain_tables(rows, keys, "weighting")
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "threads": args.threads, "default_width": default, "rows": rows, "summary": summary}  # fmt: skip
    lines = ["# Denoised anchors: choice of the weighting on validation cines", "",
             f"Made by `python scripts/bench_anchor_denoising.py` on {report['date']} ({args.threads} torch threads). "
             "PSNR gain (dB) of each method with denoised anchors over the same method without, dose-reduction "
             "protocol; `global` = one weight per frame, a number = local weights of that width (pixels).", "",
             *tables]  # fmt: skip
    bench_adaptation.write_report("anchor_denoising", report, lines)


if __name__ == "__main__":
    main()
