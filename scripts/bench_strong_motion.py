# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Generalisation to strong geometric motion: the held-out real DSA frames moved by a synthetic rigid camera motion.

The shared real cine has almost no geometric motion, and the benchmark's phantoms move by a few pixels per frame.
Rotational acquisitions and patient motion move the whole image much more. Here every held-out frame ``i`` of the
shared cine is rotated by ``i * deg`` degrees about the frame centre and shifted by ``i * px`` pixels (x) and
``i * px / 2`` (y), bilinear resampling, and the central 512 x 512 region is kept (inside the field for every frame).
The dose-reduction protocol (K = 1, 2, 3) then compares the baselines and the MoSt-DSA bundle, without and with
test-time adaptation (``--adapt-steps``), denoised anchors and the DIS-flow fallback (``+fallback``: DIS flow
interpolates the cine instead of the network when it predicts the kept frames better) and the ensemble with DIS flow
(``most_dsa+dis_flow``, alone and with the fallback). Between two kept frames the
image moves by ``(K + 1)`` times the per-frame motion. The same central crop without added motion and the
benchmark's phantom cines are run too, to show what the fallback costs where the network is not failing.

Writes ``docs/bench/strong_motion.{json,md}``. Usage:
    python scripts/bench_strong_motion.py [--motions 2:0.2 5:0.5] [--threads 2] [--adapt-steps 100]
"""

from __future__ import annotations

import argparse
import datetime
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_adaptation  # noqa: E402  (the report writer)
import bench_interpolation as bench  # noqa: E402  (the cine loader and the dose-reduction runs)

CROP = 512
FALLBACK = "+fallback"  # the network with the DIS-flow fallback
MOTION = bench.MOTION  # global motion compensation (global_motion="similarity")


def moving_cine(frames: torch.Tensor, px: float, deg: float, crop: int = CROP) -> torch.Tensor:
    """``(T, C, H, W)`` frames -> ``(T, C, crop, crop)`` with frame ``i`` rotated by ``i deg`` and shifted ``i px``."""
    t, _, h, w = frames.shape
    thetas = []
    for i in range(t):
        a = math.radians(i * deg)
        # affine_grid works in normalised coordinates: shifts in pixels are scaled by 2 / size
        shift = (2.0 * i * px / w, 2.0 * i * px / 2.0 / h)
        thetas.append([[math.cos(a), -math.sin(a) * h / w, shift[0]], [math.sin(a) * w / h, math.cos(a), shift[1]]])
    grid = F.affine_grid(torch.tensor(thetas, dtype=frames.dtype), list(frames.shape), align_corners=False)
    moved = F.grid_sample(frames, grid, mode="bilinear", padding_mode="border", align_corners=False)
    top, left = (h - crop) // 2, (w - crop) // 2
    return moved[..., top : top + crop, left : left + crop].contiguous()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--motions", nargs="+", default=["2:0.2", "5:0.5"], help="px:deg per frame")
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--adapt-steps", type=int, default=100)
    args = ap.parse_args()
    from monai_angio.baselines import get_baseline
    from monai_angio.inferers.methods import get_interpolator

    if not bench.SHARED_CINE.is_dir():
        raise SystemExit(f"the shared real cine is needed: {bench.SHARED_CINE}")
    torch.set_num_threads(args.threads)
    methods = {m: get_baseline(m) for m in bench.BASELINES}
    methods[bench.OURS] = get_interpolator(str(bench.BUNDLE), "cpu")
    options: dict[str, dict] = {}
    if args.adapt_steps:
        methods[bench.ADAPTED] = methods[bench.OURS]
        options[bench.ADAPTED] = {"adapt_steps": args.adapt_steps}
    for m in ("dis_flow", bench.OURS):
        methods[m + bench.ANCHORS] = methods[m]
        options[m + bench.ANCHORS] = {"denoise_anchors": True}
    methods[bench.OURS + FALLBACK] = methods[bench.OURS]
    options[bench.OURS + FALLBACK] = {"fallback": "dis_flow"}
    for name, extra in ((bench.ENSEMBLE, {}), (bench.ENSEMBLE + FALLBACK, {"fallback": "dis_flow"})):
        methods[name] = methods[bench.OURS]
        options[name] = {"ensemble": "dis_flow", **extra}
    gm = {"global_motion": "similarity"}
    methods["linear" + MOTION] = methods["linear"]
    options["linear" + MOTION] = gm
    for name in (bench.OURS, bench.ENSEMBLE, bench.ENSEMBLE + FALLBACK):
        methods[name + MOTION] = methods[bench.OURS]
        options[name + MOTION] = {**options.get(name, {}), **gm}
    methods[bench.ENSEMBLE + MOTION + bench.ANCHORS] = methods[bench.OURS]
    options[bench.ENSEMBLE + MOTION + bench.ANCHORS] = {"ensemble": "dis_flow", **gm, "denoise_anchors": True}
    real = bench.load_real()
    motions = [(0.0, 0.0)] + [(float(s.split(":")[0]), float(s.split(":")[1])) for s in args.motions]
    cines = {f"real, {px:g} px + {deg:g} deg per frame": moving_cine(real, px, deg) for px, deg in motions}
    for spec in bench.PHANTOMS:
        cines[spec["name"]] = bench.load_phantom(spec, 256, 25)
    results = bench.quality(cines, methods, args.factors, options)
    for per_k in results.values():
        for v in per_k.values():
            for key in [k for k in v if k.startswith("_")]:
                del v[key]
            for row in v.values():
                row.pop("per_frame", None)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "threads": args.threads, "crop": CROP, "results": results}  # fmt: skip
    names = list(methods)
    lines = ["# Strong geometric motion: held-out real DSA with a synthetic camera motion", "",
             f"Made by `python scripts/bench_strong_motion.py` on {report['date']} ({args.threads} torch threads). "
             f"Held-out frames of the shared cine rotated and shifted progressively (see the script), central "
             f"{CROP}² region; dose-reduction protocol, PSNR (dB) of the synthesized frames.", "",
             "| cine | K | " + " | ".join(names) + " | network - best baseline | with fallback - best baseline "
             "| with global motion - best baseline |",
             "|---|---:|" + "---:|" * (len(names) + 3)]  # fmt: skip
    for cine, per_k in results.items():
        for k, rows in per_k.items():
            best = rows[max(bench.BASELINES, key=lambda b: rows[b]["psnr_mean"])]["psnr_mean"]
            cells = " | ".join(f"{rows[m]['psnr_mean']:.3f}" for m in names)
            ours, guarded = rows[bench.OURS]["psnr_mean"] - best, rows[bench.OURS + FALLBACK]["psnr_mean"] - best
            compensated = rows[bench.OURS + MOTION]["psnr_mean"] - best
            lines.append(f"| {cine} | {k} | {cells} | {ours:+.3f} | {guarded:+.3f} | {compensated:+.3f} |")
    bench_adaptation.write_report("strong_motion", report, lines)


if __name__ == "__main__":
    main()
