# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of test-time self-ensembles (``SelfEnsemble``) for both bundles on held-out real DSA and phantoms.

* Deblurring (``cerebral_dsa_deblurring``): the RDN alone and averaged over 2, 4 and 8 flips/rotations, on held-out
  real frames degraded as in ``scripts/bench_deblur.py`` (0.154 mm pixels, Gaussian focal spots 0.6/0.9/1.2 mm).
* Interpolation (``cerebral_dsa_interpolation``): MoSt-DSA alone, with time reversal
  (``network(frame1, frame0, 1 - t)`` averaged in), with 2 and 4 flips, and with 4 flips + time reversal, under the
  dose-reduction protocol of ``scripts/bench_interpolation.py`` (K = 1, 2, 3) on the held-out real frames and the
  phantom cines with cardiac motion.

Writes ``docs/bench/self_ensemble.{json,md}``. Run: ``python scripts/bench_self_ensemble.py`` (about 30 minutes on
2 CPU cores).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import bench_deblur  # noqa: E402
import bench_interpolation  # noqa: E402

from monai_angio.data.deblur import DeblurEvalDataset, load_frames  # noqa: E402
from monai_angio.inferers import dose_reduction_study  # noqa: E402
from monai_angio.inferers.deblur import deblur_cine  # noqa: E402
from monai_angio.inferers.methods import get_interpolator  # noqa: E402
from monai_angio.metrics import psnr, ssim  # noqa: E402
from monai_angio.networks.self_ensemble import dihedral, dihedral_inverse  # noqa: E402

INTERP_VARIANTS = {  # name: (self_ensemble, time_reversal)
    "single pass": (1, False),
    "time reversal": (1, True),
    "2 flips": (2, False),
    "4 flips": (4, False),
    "4 flips + time reversal": (4, True),
}


def _test_frames(frames: int) -> list[np.ndarray]:
    test = load_frames(bench_deblur.DSA, part="test")
    keep = np.unique(np.linspace(0, len(test) - 1, frames).round().astype(int))
    return [test[i] for i in keep]


def bench_orientations(frames: int, spots: list[float], weights: Path) -> list[dict[str, Any]]:
    """PSNR of single RDN passes on each flip/rotation of the degraded frames (inverse-transformed back)."""
    test, net = _test_frames(frames), bench_deblur.load_network(weights)
    rows = []
    for spot in spots:
        ds = DeblurEvalDataset(test, [spot], 2.0e4, pixel_spacing_mm=0.154, seed=0, **bench_deblur.GEOMETRY)
        values: dict[int, list[float]] = {i: [] for i in range(8)}
        for j in range(len(ds)):
            item = ds[j]
            x, y = item["image"][None], item["label"][None]
            for i in range(8):
                out = deblur_cine(dihedral(x, i), net, tile_size=512, progress=False,
                                  input_offset=bench_deblur.INPUT_OFFSET)  # fmt: skip
                values[i].append(float(psnr(dihedral_inverse(out, i), y, 1.0)[0]))
        for i in range(8):
            rows.append({"focal_spot_mm": spot, "transform": i, "frames": len(ds), "psnr": float(np.mean(values[i]))})
            print("orientation", rows[-1], flush=True)
    return rows


def bench_deblur_ensembles(frames: int, spots: list[float], orders: list[int], weights: Path) -> list[dict[str, Any]]:
    test, net = _test_frames(frames), bench_deblur.load_network(weights)
    rows = []
    for spot in spots:
        ds = DeblurEvalDataset(test, [spot], 2.0e4, pixel_spacing_mm=0.154, seed=0, **bench_deblur.GEOMETRY)
        values = {n: {"psnr": [], "ssim": [], "s": []} for n in orders}
        blurred = []
        for i in range(len(ds)):
            item = ds[i]
            x, y = item["image"][None], item["label"][None]
            blurred.append(float(psnr(x, y, 1.0)[0]))
            for n in orders:
                start = time.perf_counter()
                out = deblur_cine(x, net, tile_size=512, progress=False, input_offset=bench_deblur.INPUT_OFFSET,
                                  self_ensemble=n)  # fmt: skip
                values[n]["s"].append(time.perf_counter() - start)
                values[n]["psnr"].append(float(psnr(out, y, 1.0)[0]))
                values[n]["ssim"].append(float(ssim(out, y, 1.0)[0]))
        for n in orders:
            rows.append({
                "focal_spot_mm": spot, "self_ensemble": n, "frames": len(ds),
                "blurred_psnr": float(np.mean(blurred)),
                "psnr": float(np.mean(values[n]["psnr"])), "ssim": float(np.mean(values[n]["ssim"])),
                "s_per_frame": float(np.median(values[n]["s"])),
            })  # fmt: skip
            print("deblur", rows[-1], flush=True)
    return rows


def bench_interpolation_ensembles(factors: list[int], phantom_size: int, phantom_frames: int) -> list[dict[str, Any]]:
    net = get_interpolator(str(bench_interpolation.BUNDLE), "cpu")
    sequences = {}
    if bench_interpolation.SHARED_CINE.is_dir():
        sequences["real"] = bench_interpolation.load_real()
    for spec in bench_interpolation.PHANTOMS:
        sequences[spec["name"]] = bench_interpolation.load_phantom(spec, phantom_size, phantom_frames)
    rows = []
    for seq, frames in sequences.items():
        for k in factors:
            for name, (n, rev) in INTERP_VARIANTS.items():
                res = dose_reduction_study(frames, net, k, batch_size=1, progress=False, self_ensemble=n,
                                           time_reversal=rev)  # fmt: skip
                s = res.report.summary()
                rows.append({"sequence": seq, "factor": k, "variant": name, "psnr": s["psnr_mean"],
                             "ssim": s["ssim_mean"], "frames": s["synthesized"],
                             "ms_per_frame": 1000 * res.seconds_per_frame})  # fmt: skip
                print("interpolation", rows[-1], flush=True)
    return rows


def phantom_mean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frame-weighted mean over the phantom cines, per K and variant (sequence name ``phantom mean``)."""
    out = []
    for k in sorted({r["factor"] for r in rows}):
        for v in INTERP_VARIANTS:
            rs = [r for r in rows if r["sequence"] != "real" and r["factor"] == k and r["variant"] == v]
            if rs:
                n = sum(r["frames"] for r in rs)
                mean = {key: sum(r[key] * r["frames"] for r in rs) / n for key in ("psnr", "ssim", "ms_per_frame")}
                out.append({"sequence": "phantom mean", "factor": k, "variant": v, "frames": n, **mean})
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Test-time self-ensembles", "",
        f"Last run on {result['date']} ({result['threads']} torch threads; times are indicative on a shared 2-core "
        "CPU). Made by:", "",
    ]  # fmt: skip
    commands = result.get("commands") or {"deblur": "python scripts/bench_self_ensemble.py"}
    lines += [f"- {part}: `{cmd or 'python scripts/bench_self_ensemble.py'}`" for part, cmd in commands.items()] + [""]
    if result.get("deblur_weights"):
        lines += [f"Deblurring weights: `{result['deblur_weights']}`.", ""]
    if result["deblur"]:
        lines += [
            f"## Deblurring, held-out real DSA (0.154 mm pixels, {result['deblur'][0]['frames']} frames)", "",
            "| focal spot (mm) | blurred | RDN | RDN x2 | RDN x4 | RDN x8 | best gain over single pass (dB) "
            "| s/frame x1 / x4 / x8 |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
        ]  # fmt: skip
        for spot in sorted({r["focal_spot_mm"] for r in result["deblur"]}):
            rs = {r["self_ensemble"]: r for r in result["deblur"] if r["focal_spot_mm"] == spot}
            cell = [f"{rs[n]['psnr']:.2f} / {rs[n]['ssim']:.4f}" if n in rs else "" for n in (1, 2, 4, 8)]
            gain = max(r["psnr"] for r in rs.values()) - rs[1]["psnr"]
            times = " / ".join(f"{rs[n]['s_per_frame']:.1f}" for n in (1, 4, 8) if n in rs)
            head = f"| {spot:g} | {rs[1]['blurred_psnr']:.2f} | "
            lines.append(head + " | ".join(cell) + f" | {gain:+.2f} | {times} |")
        lines.append("")
    if result.get("orientations"):
        names = ("upright", "flip W", "flip H", "180", "90", "270", "90 + flip", "270 + flip")
        lines += [
            "## Deblurring: single passes on each flip/rotation of the input (PSNR dB, mapped back)", "",
            "| focal spot (mm) | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names),
        ]  # fmt: skip
        for spot in sorted({r["focal_spot_mm"] for r in result["orientations"]}):
            rs = {r["transform"]: r["psnr"] for r in result["orientations"] if r["focal_spot_mm"] == spot}
            lines.append(f"| {spot:g} | " + " | ".join(f"{rs[i]:.2f}" for i in range(8)) + " |")
        lines.append("")
    if result["interpolation"]:
        variants = list(INTERP_VARIANTS)
        lines += [
            "## Interpolation (dose-reduction protocol, PSNR dB; ms per synthesized frame in brackets)", "",
            "| sequence | K | " + " | ".join(variants) + " |", "|---|---:|" + "---:|" * len(variants),
        ]  # fmt: skip
        rows = result["interpolation"] + phantom_mean(result["interpolation"])
        keys = sorted({(r["sequence"], r["factor"]) for r in rows}, key=lambda x: (x[0] != "real", x))
        for seq, k in keys:
            rs = {r["variant"]: r for r in rows if r["sequence"] == seq and r["factor"] == k}
            cells = [f"{rs[v]['psnr']:.3f} ({rs[v]['ms_per_frame']:.0f})" for v in variants]
            lines.append(f"| {seq} | {k} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "bench")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--deblur-frames", type=int, default=3, help="held-out real frames for the deblurring rows")
    ap.add_argument("--spots", type=float, nargs="+", default=[0.6, 0.9, 1.2])
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--deblur-weights", type=Path, default=bench_deblur.WEIGHTS)
    ap.add_argument("--orientation-spots", type=float, nargs="*", default=[1.2],
                    help="focal spots for the per-orientation single passes (none: skip)")  # fmt: skip
    ap.add_argument("--skip-deblur", action="store_true")
    ap.add_argument("--skip-interpolation", action="store_true")
    args = ap.parse_args()
    if 1 not in args.orders:
        ap.error("--orders must include 1 (the single pass the others are compared with)")
    torch.set_num_threads(args.threads)
    real = bench_deblur.DSA.is_dir()
    run_deblur = real and not args.skip_deblur
    weights = args.deblur_weights
    deblur_rows = bench_deblur_ensembles(args.deblur_frames, args.spots, args.orders, weights) if run_deblur else []
    orientation_rows = bench_orientations(args.deblur_frames, args.orientation_spots, weights) if run_deblur else []
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "threads": args.threads,
        "commands": {
            part: "python scripts/bench_self_ensemble.py " + " ".join(sys.argv[1:])
            for part, skipped in (("deblur", args.skip_deblur), ("interpolation", args.skip_interpolation))
            if not skipped
        },
        "deblur_weights": str(
            args.deblur_weights.resolve().relative_to(REPO)
            if args.deblur_weights.resolve().is_relative_to(REPO)
            else args.deblur_weights
        ),
        "deblur": deblur_rows,
        "orientations": orientation_rows,
        "interpolation": [] if args.skip_interpolation else bench_interpolation_ensembles(args.factors, 256, 25),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "self_ensemble.json"
    if path.is_file() and (args.skip_interpolation or args.skip_deblur):  # keep the part not re-measured
        old = json.loads(path.read_text())
        if args.skip_interpolation:
            result["interpolation"] = old.get("interpolation", [])
            result["commands"]["interpolation"] = old.get("commands", {}).get("interpolation", "")
        if args.skip_deblur:
            for key in ("deblur_weights", "deblur", "orientations"):
                result[key] = old.get(key, [])
            result["commands"]["deblur"] = old.get("commands", {}).get("deblur", "")
    (args.out / "self_ensemble.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "self_ensemble.md").write_text(markdown(result))
    print(f"wrote {args.out / 'self_ensemble.json'} and {args.out / 'self_ensemble.md'}")


if __name__ == "__main__":
    main()
