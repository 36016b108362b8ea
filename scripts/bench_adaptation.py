# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Choose the test-time adaptation settings of the MoSt-DSA bundle on validation cines (never on the test cines).

Validation cines: frames 26-51 of the shared real DSA cine (inside the training part, before the held-out last 30 %)
and four phantom cines with cardiac motion made like the benchmark's but with other seeds (600-603). For each
(steps, learning rate) setting the dose-reduction protocol (K = 1, 2, 3) is run with the bundle's network adapted on
the kept frames of each cine (:func:`monai_angio.engines.adapt_interpolator`), and the PSNR gain over the same
network without adaptation is reported. The chosen setting is then measured on the test cines by
``scripts/bench_interpolation.py`` (row ``most_dsa_adapted``).

Writes ``docs/bench/adaptation.{json,md}``. Usage:
    python scripts/bench_adaptation.py [--settings 60:5e-5 100:5e-5 60:1e-4] [--threads 2]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_interpolation as bench  # noqa: E402  (the same cine loaders and phantom recipes)

OUT = bench.OUT


def validation_cines() -> dict[str, torch.Tensor]:
    from monai_angio.engines import load_frames

    cines = {}
    if bench.SHARED_CINE.is_dir():
        frames, _ = load_frames(bench.SHARED_CINE)
        cines["real frames 26-51"] = frames[26:52]
    for spec in bench.PHANTOMS:
        spec = {**spec, "seed": spec["seed"] + 100}
        cines[f"{spec['name'].rsplit('_', 1)[0]}_s{spec['seed']}"] = bench.load_phantom(spec, 256, 25)
    return cines


def gain_summary(gains: list[float]) -> dict[str, float | int]:
    """Mean and worst PSNR gain over the rows, and how many rows lost."""
    return {"mean_gain": float(np.mean(gains)), "min_gain": float(np.min(gains)),
            "negative": int(sum(g < 0 for g in gains)), "rows": len(gains)}  # fmt: skip


def method_gain_tables(rows: list[dict], keys: list[str], setting: str) -> tuple[dict, list[str]]:
    """Summary per method and setting of validation ``rows`` (``cine``, ``method``, ``K``, ``psnr``, ``gains[key]``)
    and the Markdown lines of the two tables: every row, then mean / worst gain and losses per method and setting."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    summary = {m: {k: gain_summary([r["gains"][k] for r in rows if r["method"] == m]) for k in keys} for m in methods}
    lines = ["| cine | method | K | PSNR without (dB) | " + " | ".join(f"gain {k}" for k in keys) + " |",
             "|---|---|---:|---:|" + "---:|" * len(keys)]  # fmt: skip
    for r in rows:
        cells = " | ".join(f"{r['gains'][k]:+.3f}" for k in keys)
        lines.append(f"| {r['cine']} | {r['method']} | {r['K']} | {r['psnr']:.3f} | {cells} |")
    lines += ["", f"| method | {setting} | mean gain (dB) | worst gain (dB) | rows with a loss |",
              "|---|---|---:|---:|---:|"]  # fmt: skip
    for method, per in summary.items():
        for k, v in per.items():
            lines.append(
                f"| {method} | {k} | {v['mean_gain']:+.3f} | {v['min_gain']:+.3f} | {v['negative']} / {v['rows']} |"
            )
    return summary, lines


def write_report(name: str, report: dict, lines: list[str]) -> None:
    """Write ``OUT/<name>.json`` (the report) and ``OUT/<name>.md`` (the Markdown lines)."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (OUT / f"{name}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT / name}.json and {OUT / name}.md")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--settings", nargs="+", default=["60:5e-5", "100:5e-5", "60:1e-4"], help="steps:lr pairs")
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from monai_angio.inferers import dose_reduction_study
    from monai_angio.inferers.methods import get_interpolator

    torch.set_num_threads(args.threads)
    settings = [(int(s.split(":")[0]), float(s.split(":")[1])) for s in args.settings]
    net = get_interpolator(str(bench.BUNDLE), "cpu")
    rows = []
    for name, frames in validation_cines().items():
        for k in args.factors:
            base = dose_reduction_study(frames, net, k, batch_size=1, progress=False).report.summary()["psnr_mean"]
            row = {"cine": name, "K": k, "psnr": base, "gains": {}, "seconds": {}}
            for steps, lr in settings:
                start = time.perf_counter()
                res = dose_reduction_study(frames, net, k, batch_size=1, progress=False, adapt_steps=steps, adapt_lr=lr)
                key = f"{steps}:{lr:g}"
                row["gains"][key] = res.report.summary()["psnr_mean"] - base
                row["seconds"][key] = time.perf_counter() - start
            rows.append(row)
            print(name, k, f"{base:.3f}", {s: round(g, 3) for s, g in row["gains"].items()}, flush=True)
    keys = [f"{s}:{lr:g}" for s, lr in settings]
    summary = {key: gain_summary([r["gains"][key] for r in rows]) for key in keys}
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "threads": args.threads, "rows": rows, "summary": summary}  # fmt: skip
    lines = ["# Test-time adaptation: choice of the settings on validation cines", "",
             f"Made by `python scripts/bench_adaptation.py` on {report['date']} ({args.threads} torch threads). "
             "PSNR gain (dB) of the adapted network over the same network without adaptation, dose-reduction "
             "protocol; seconds = whole study including the adaptation.", "",
             "| cine | K | PSNR without (dB) | " + " | ".join(f"gain {k} (s)" for k in keys) + " |",
             "|---|---:|---:|" + "---:|" * len(keys)]  # fmt: skip
    for r in rows:
        cells = " | ".join(f"{r['gains'][k]:+.3f} ({r['seconds'][k]:.0f})" for k in keys)
        lines.append(f"| {r['cine']} | {r['K']} | {r['psnr']:.3f} | {cells} |")
    lines += ["", "| steps:lr | mean gain (dB) | worst gain (dB) | rows with a loss |", "|---|---:|---:|---:|"]
    for k, v in summary.items():
        lines.append(f"| {k} | {v['mean_gain']:+.3f} | {v['min_gain']:+.3f} | {v['negative']} / {v['rows']} |")
    write_report("adaptation", report, lines)


if __name__ == "__main__":
    main()
