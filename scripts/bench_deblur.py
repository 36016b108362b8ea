# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark focal-spot deblurring: the cerebral_dsa_deblurring RDN against deconvolution baselines.

Quality. The held-out frames of the real cerebral DSA cine (its last 30 %, never seen in training) are degraded by the
focal-spot model of :mod:`monai_angio.phantoms.focal_spot` (Gaussian focal spot of 0.6, 0.9 and 1.2 mm, SOD 750 mm,
SID 1100 mm, Poisson noise of 20,000 quanta per pixel at intensity 1) and restored by

* ``blurred``: the degraded input itself;
* ``unsharp``: unsharp masking;
* ``wiener``: Wiener deconvolution with the true kernel (Laplacian regulariser);
* ``richardson_lucy``: Richardson-Lucy deconvolution with the true kernel;
* ``rdn``: the bundle's network (``models/model.pt``).

The baselines' parameters (iterations, regularisation, unsharp sigma/amount) are tuned per focal-spot size for the
best PSNR on training frames (not on the test frames). PSNR/SSIM (data range 1) against the real frame. The shared
frames' pixel spacing is unknown: they are taken at 0.154 mm at the detector (full detector resolution), and at
0.308 mm (2x2-binned pixels, the blur is then half as wide in pixels). A phantom set with noise-free ground truth
(DSA phantoms rendered without noise) is measured too.

Speed and memory: ms per 1024x1024 frame and the peak resident memory of a fresh process running the network (whole
frame and 512-pixel tiles) and the baselines, on this CPU.

Writes ``deblur.json``, ``deblur.md`` and ``deblur_side_by_side.png`` into ``--out`` (default ``docs/bench``).

Usage:
    python scripts/bench_deblur.py [--threads 2] [--max-frames N] [--spacings 0.154 0.308]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monai_angio.baselines.deconvolution import richardson_lucy, unsharp_mask, wiener_deconvolution
from monai_angio.data.deblur import DeblurEvalDataset, load_frames, phantom_frames
from monai_angio.inferers.deblur import deblur_cine
from monai_angio.metrics import psnr, side_by_side_png, ssim
from monai_angio.networks import RDNDeblur

REPO = Path(__file__).resolve().parents[1]
DSA = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"
WEIGHTS = REPO / "bundles" / "cerebral_dsa_deblurring" / "models" / "model.pt"
# intensity normalisation the network was trained with (frames minus the DSA background level)
INPUT_OFFSET = float(
    json.loads((REPO / "bundles" / "cerebral_dsa_deblurring" / "configs" / "inference.json").read_text())[
        "input_offset"
    ]
)
GEOMETRY = {"sod_mm": 750.0, "sid_mm": 1100.0, "profile": "gaussian"}
METHODS = ("blurred", "unsharp", "wiener", "richardson_lucy", "rdn")

RL_ITERS = (1, 2, 3, 5, 8, 12, 20, 30)
WIENER_BALANCE = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)
UNSHARP = tuple((s, a) for s in (0.5, 1.0, 1.5, 2.0, 3.0) for a in (0.25, 0.5, 1.0, 1.5, 2.0))


def load_network(weights: Path, channels_last: bool = True, in_channels: int = 1) -> RDNDeblur:
    """The RDN (``in_channels`` inputs, one output, as many blocks as the weights hold) with the weights at
    ``weights``, in eval mode."""
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net = RDNDeblur(in_channels, 1, num_blocks=RDNDeblur.num_blocks_in(state), channels_last=channels_last)
    net.load_state_dict(state)
    return net.eval()


def _mean_psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    return float(psnr(pred, target, 1.0).mean())


def tune_baselines(frames: list[np.ndarray], spot: float, spacing: float, photons: float | None) -> dict[str, Any]:
    """Best PSNR parameters of the baselines on (training) frames degraded like the test frames."""
    ds = DeblurEvalDataset(frames, [spot], photons, pixel_spacing_mm=spacing, seed=99, **GEOMETRY)
    items = [ds[i] for i in range(len(ds))]
    x = torch.stack([it["image"] for it in items])
    y = torch.stack([it["label"] for it in items])
    k = ds.degradation.kernel(spot)
    rl = max(RL_ITERS, key=lambda n: _mean_psnr(richardson_lucy(x, k, n), y))
    wi = max(WIENER_BALANCE, key=lambda b: _mean_psnr(wiener_deconvolution(x, k, b), y))
    us = max(UNSHARP, key=lambda p: _mean_psnr(unsharp_mask(x, p[0], p[1]), y))
    return {"richardson_lucy_iterations": rl, "wiener_balance": wi, "unsharp_sigma": us[0], "unsharp_amount": us[1]}


def restore(method: str, x: torch.Tensor, kernel: np.ndarray, params: dict[str, Any], net: RDNDeblur) -> torch.Tensor:
    """``(1, 1, H, W)`` blurred -> restored with ``method``."""
    if method == "blurred":
        return x
    if method == "unsharp":
        return unsharp_mask(x, params["unsharp_sigma"], params["unsharp_amount"])
    if method == "wiener":
        return wiener_deconvolution(x, kernel, params["wiener_balance"])
    if method == "richardson_lucy":
        return richardson_lucy(x, kernel, params["richardson_lucy_iterations"])
    return deblur_cine(x, net, tile_size=512, progress=False, input_offset=INPUT_OFFSET)


def progress_line(prefix: str, row: dict[str, Any], methods: tuple[str, ...], seconds: float) -> str:
    """One line of PSNR/SSIM per method of a result row, for the console."""
    scores = "  ".join(f"{m} {row[f'{m}_psnr_mean']:.2f}/{row[f'{m}_ssim_mean']:.4f}" for m in methods)
    return f"{prefix}: {scores}  ({seconds:.0f} s)"


def evaluate_set(
    name: str,
    test: list[np.ndarray],
    tune: list[np.ndarray],
    spots: list[float],
    spacing: float,
    photons: float | None,
    net: RDNDeblur,
    example: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for spot in spots:
        t0 = time.time()
        params = tune_baselines(tune, spot, spacing, photons)
        ds = DeblurEvalDataset(test, [spot], photons, pixel_spacing_mm=spacing, seed=0, **GEOMETRY)
        kernel = ds.degradation.kernel(spot)
        values: dict[str, dict[str, list[float]]] = {m: {"psnr": [], "ssim": []} for m in METHODS}
        for i in range(len(ds)):
            item = ds[i]
            x, y = item["image"][None], item["label"][None]
            outputs = {}
            for m in METHODS:
                out = restore(m, x, kernel, params, net)
                outputs[m] = out
                values[m]["psnr"].append(float(psnr(out, y, 1.0)[0]))
                values[m]["ssim"].append(float(ssim(out, y, 1.0)[0]))
            if example is not None and example.get("spot") == spot and example.get("frame") == i:
                example.update({"x": x, "y": y, "outputs": outputs, "set": name, "spacing": spacing})
        row = {
            "set": name,
            "pixel_spacing_mm": spacing,
            "focal_spot_mm": spot,
            "blur_fwhm_px": spot * (GEOMETRY["sid_mm"] / GEOMETRY["sod_mm"] - 1.0) / spacing,
            "photons": photons,
            "frames": len(ds),
            "kernel_size": int(kernel.shape[0]),
            "baseline_params": params,
        }
        for m in METHODS:
            for key in ("psnr", "ssim"):
                v = np.asarray(values[m][key])
                row[f"{m}_{key}_mean"] = float(v.mean())
                row[f"{m}_{key}_std"] = float(v.std())
        row["rdn_gain_db"] = row["rdn_psnr_mean"] - row["blurred_psnr_mean"]
        row["rdn_minus_rl_db"] = row["rdn_psnr_mean"] - row["richardson_lucy_psnr_mean"]
        rows.append(row)
        print(progress_line(f"{name} {spacing} mm/px f={spot} mm", row, METHODS, time.time() - t0), flush=True)
    return rows


# ---------------------------------------------------------------------------------------------------- timing worker
def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timing_worker(case: str, size: int, threads: int, reps: int, weights: str) -> dict[str, Any]:
    """Run one case in this (fresh) process: median ms per frame, peak RSS and its increase over the start."""
    torch.set_num_threads(threads)
    x = torch.rand(1, 1, size, size) * 0.3 + 0.5
    kernel = np.ones((9, 9)) / 81.0
    channels_last = not case.endswith("_contiguous")
    if case.startswith("rdn_train_step"):  # one training step of the paper's batch: 128 patches of 40x40
        net = RDNDeblur(channels_last=channels_last).train()
        opt = torch.optim.Adam(net.parameters(), 1e-4)
        patches, targets = torch.rand(128, 1, 40, 40), torch.rand(128, 1, 40, 40)

        def run() -> None:
            loss = (net(patches) - targets).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    elif case.startswith("rdn"):
        net = load_network(Path(weights), channels_last) if Path(weights).is_file() else RDNDeblur().eval()
        tile = int(case.split("_")[2]) if case.startswith("rdn_tile") else None

        def run() -> None:
            deblur_cine(x, net, tile_size=tile, progress=False, input_offset=INPUT_OFFSET)
    elif case == "richardson_lucy_30":

        def run() -> None:
            richardson_lucy(x, kernel, 30)
    elif case == "wiener":

        def run() -> None:
            wiener_deconvolution(x, kernel, 0.01)
    else:

        def run() -> None:
            unsharp_mask(x, 1.0, 1.0)

    base = _rss_mib()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - t))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    return {"case": case, "size": size, "ms": float(np.median(times)), "reps": reps, "peak_rss_mib": peak,
            "rss_before_mib": base, "peak_increase_mib": peak - base}  # fmt: skip


def timings(size: int, threads: int, reps: int, weights: Path) -> list[dict[str, Any]]:
    out = []
    cases = ("rdn_whole", "rdn_whole_contiguous", "rdn_tile_512", "rdn_train_step", "rdn_train_step_contiguous",
             "richardson_lucy_30", "wiener", "unsharp")  # fmt: skip
    for case in cases:
        cmd = [sys.executable, __file__, "--timing-worker", case, "--size", str(size), "--threads", str(threads),
               "--reps", str(reps), "--weights", str(weights)]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"timing {case} {size}²: {row['ms']:.0f} ms, peak RSS {row['peak_rss_mib']:.0f} MiB "
              f"(+{row['peak_increase_mib']:.0f})", flush=True)  # fmt: skip
        out.append(row)
    return out


# ---------------------------------------------------------------------------------------------------------- report
def side_by_side(path: Path, example: dict[str, Any]) -> None:
    import matplotlib

    y = example["y"][0, 0].numpy()
    outs = {k: v[0, 0].numpy() for k, v in example["outputs"].items()}
    h, w = y.shape
    r0, c0 = example.get("crop_origin", ((h - 256) // 2, (w - 256) // 2))
    sl = (slice(r0, r0 + 256), slice(c0, c0 + 256))
    diff = outs["rdn"][sl] - y[sl]
    gain = 0.05
    rgb = matplotlib.colormaps["coolwarm"](np.clip(0.5 + diff / (2 * gain), 0, 1))[..., :3]

    def label(m: str) -> str:
        return f"{m} {float(psnr(torch.from_numpy(outs[m]), torch.from_numpy(y), 1.0)[0]):.2f} dB"

    images = [outs["blurred"][sl], outs["rdn"][sl], outs["richardson_lucy"][sl], y[sl], rgb]
    titles = [label("blurred"), label("rdn").replace("rdn", "RDN"), label("richardson_lucy").replace(
        "richardson_lucy", "R-L"), "sharp (real frame)", f"RDN - sharp (±{gain})"]  # fmt: skip
    side_by_side_png(path, images, titles, value_range=(float(y[sl].min()), float(y[sl].max())), panel_size=3.2)


def _noise_text(photons: float | None) -> str:
    """The added noise of the degradation, in words."""
    if photons is None:
        return "no added noise (blur only)"
    text = f"Poisson noise of {photons:,.0f} quanta per pixel at intensity 1"
    if photons == 2.0e4:  # the default
        text += " (about 1.4 grey levels of 255 at the DSA background, close to the noise measured in the real frames)"
    return text


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Focal-spot deblurring (cerebral_dsa_deblurring): quality, speed, memory",
        "",
        f"Made by `python scripts/bench_deblur.py` on {result['date']}: {result['machine']}, torch "
        f"{result['torch']}, {result['threads']} torch thread(s); 1-min load average {result['load_average']:.2f} "
        "on 2 shared cores at the start (times are indicative).",
        "",
        f"Network weights: `{result['weights']}` ({result['weights_note']}).",
        "",
        "Degradation: Gaussian focal spot of the given size, SOD 750 mm, SID 1100 mm (magnification 1.47, blur FWHM "
        f"= 0.467 x focal spot at the detector), {_noise_text(result['geometry']['photons'])}, reflective "
        "borders. Real frames: the last 30 % of `../shared/data/dsa/cerebral_lateral_2d` (22 frames 1024x791, "
        "8-bit), held out of training; their pixel spacing is unknown and is taken as 0.154 mm (full detector "
        "resolution) and as 0.308 mm (2x2 binning). The reference is the real frame, which carries its own "
        "quantum noise (no method can restore that noise: the attainable PSNR is bounded). Phantom: DSA phantoms "
        "rendered without noise as sharp truth. Baseline parameters were tuned per focal-spot size for PSNR on "
        "training frames (real: 3 frames of the training part; phantom: other phantom seeds). Values: mean ± std "
        "over frames of PSNR (dB) / SSIM, data range 1.",
        "",
        "| set | px (mm) | focal spot (mm) | blur FWHM (px) | frames | blurred | unsharp | Wiener (true kernel) "
        "| Richardson-Lucy (true kernel) | RDN (this bundle) | RDN gain (dB) | RDN - R-L (dB) |",
        "|---|---:|---:|---:|---:|---|---|---|---|---|---:|---:|",
    ]
    for r in result["quality"]:
        cells = []
        for m in METHODS:
            cells.append(f"{r[f'{m}_psnr_mean']:.2f} ± {r[f'{m}_psnr_std']:.2f} / {r[f'{m}_ssim_mean']:.4f}")
        lines.append(
            f"| {r['set']} | {r['pixel_spacing_mm']} | {r['focal_spot_mm']} | {r['blur_fwhm_px']:.2f} "
            + f"| {r['frames']} | "
            + " | ".join(cells)
            + f" | {r['rdn_gain_db']:+.2f} | {r['rdn_minus_rl_db']:+.2f} |"
        )
    lines += ["", "Baseline parameters (tuned on training frames):", "",
              "| set | px (mm) | focal spot (mm) | R-L iterations | Wiener balance | unsharp sigma, amount |",
              "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in result["quality"]:
        p = r["baseline_params"]
        lines.append(
            f"| {r['set']} | {r['pixel_spacing_mm']} | {r['focal_spot_mm']} | {p['richardson_lucy_iterations']} | "
            f"{p['wiener_balance']:g} | {p['unsharp_sigma']:g}, {p['unsharp_amount']:g} |"
        )
    if result.get("timing"):
        lines += ["", f"Speed and memory on a {result['timing'][0]['size']}² frame (fresh process per case, median of "
                  "the repetitions; peak RSS = the process's maximum resident memory, increase = above the RSS once "
                  "the model and input were ready). `_contiguous`: the network with `channels_last=False` (the memory "
                  "format before bundle 0.1.2); `rdn_train_step`: one Adam step on 128 patches of 40x40, ms per "
                  "step:", "",
                  "| case | ms per frame | peak RSS (MiB) | increase (MiB) |", "|---|---:|---:|---:|"]  # fmt: skip
        for t in result["timing"]:
            lines.append(f"| {t['case']} | {t['ms']:.0f} | {t['peak_rss_mib']:.0f} | {t['peak_increase_mib']:.0f} |")
    lines += ["", "Side by side: `deblur_side_by_side.png` (" + result.get("example", "") + ").", ""]
    return "\n".join(lines)


def eval_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """The bundle's ``metadata.json`` ``eval_metrics``: mean PSNR/SSIM per set, pixel spacing and focal spot."""
    metrics: dict[str, Any] = {
        "protocol": (
            "held-out real DSA frames (last 30 % of the cine) and noise-free DSA phantoms degraded by the focal-spot "
            f"model (Gaussian, SOD {GEOMETRY['sod_mm']:g} mm, SID {GEOMETRY['sid_mm']:g} mm, "
            f"{_noise_text(result['geometry']['photons'])}); PSNR (dB)/SSIM, data range 1; baselines with the true "
            "kernel, tuned on training frames; measured by scripts/bench_deblur.py (docs/bench/deblur.json), "
            + result["date"]
        )
    }
    for q in result["quality"]:
        name = q["set"].split(" (")[0].replace(" ", "_")
        key = f"{name}_{q['pixel_spacing_mm']:g}mm_px_focal_spot_{q['focal_spot_mm']:g}mm"
        metrics[key] = {
            "frames": q["frames"],
            **{f"{m}_psnr": round(q[f"{m}_psnr_mean"], 2) for m in METHODS},
            **{f"{m}_ssim": round(q[f"{m}_ssim_mean"], 4) for m in METHODS},
            "rdn_gain_db": round(q["rdn_psnr_mean"] - q["blurred_psnr_mean"], 2),
            "rdn_minus_richardson_lucy_db": round(q["rdn_psnr_mean"] - q["richardson_lucy_psnr_mean"], 2),
        }
    real = [q for q in result["quality"] if q["set"] == "real DSA"]
    if real:  # headline numbers: the first (full-resolution) pixel spacing, mean over the focal spots
        first = [q for q in real if q["pixel_spacing_mm"] == real[0]["pixel_spacing_mm"]]
        gains = [q["rdn_psnr_mean"] - q["blurred_psnr_mean"] for q in first]
        over_rl = [q["rdn_psnr_mean"] - q["richardson_lucy_psnr_mean"] for q in first]
        metrics["real_dsa_rdn_gain_db_mean"] = round(float(np.mean(gains)), 2)
        metrics["real_dsa_rdn_gain_db_min"] = round(float(np.min(gains)), 2)
        metrics["real_dsa_rdn_minus_richardson_lucy_db_min"] = round(float(np.min(over_rl)), 2)
    for t in result["timing"]:
        if t["case"].startswith("rdn_train_step") or t["case"].endswith("_contiguous"):
            continue  # training speed and the old memory format: in docs/benchmarks.md, not the bundle's metrics
        metrics[f"speed_{t['case']}_{t['size']}px"] = {
            "ms_per_frame": round(t["ms"]),
            "peak_rss_mib": round(t["peak_rss_mib"]),
            "threads": result["threads"],
        }
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench")
    parser.add_argument("--data", type=Path, default=DSA)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    parser.add_argument("--spots", type=float, nargs="+", default=[0.6, 0.9, 1.2])
    parser.add_argument("--spacings", type=float, nargs="+", default=[0.154, 0.308])
    parser.add_argument(
        "--photons", type=float, default=2.0e4, help="quanta per pixel at intensity 1 of the added noise; 0 = none"
    )
    parser.add_argument("--max-frames", type=int, default=None, help="at most this many test frames (speed)")
    parser.add_argument(
        "--secondary-max-frames", type=int, default=8, help="test frames for the spacings after the first (speed)"
    )
    parser.add_argument("--phantoms", type=int, default=4, help="phantom cines (2 frames each, 512²); 0 = none")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument(
        "--skip-quality", action="store_true", help="re-measure the timing only; keep the quality rows of --out"
    )
    parser.add_argument("--timing-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--update-metadata", action="store_true", help="write the results into the bundle's metadata.json eval_metrics"
    )
    args = parser.parse_args()

    if args.timing_worker:
        print(json.dumps(timing_worker(args.timing_worker, args.size, args.threads, args.reps, str(args.weights))))
        return

    torch.set_num_threads(args.threads)
    if args.photons < 0:
        parser.error(f"--photons must be >= 0, got {args.photons}")
    photons = args.photons or None  # 0: blur only
    load = os.getloadavg()[0]
    if args.weights.is_file():
        net = load_network(args.weights)
        note = "trained by scripts/train_cerebral_dsa_deblurring.sh"
    else:
        net = RDNDeblur().eval()
        note = "NOT FOUND: untrained network (identity)"
        print(f"warning: {args.weights} not found; the RDN rows are the untrained (identity) network")
    quality: list[dict[str, Any]] = []
    example: dict[str, Any] = {"spot": max(args.spots), "frame": 0}
    old_path = args.out / "deblur.json"
    if args.skip_quality:
        if not old_path.is_file():
            parser.error(f"--skip-quality needs an earlier {old_path}")
        old = json.loads(old_path.read_text())
        quality, example = old["quality"], {"old": old.get("example", "")}
    elif args.data.exists():
        test = load_frames(args.data, part="test")
        train = load_frames(args.data, part="train")
        if args.max_frames:
            keep = np.unique(np.linspace(0, len(test) - 1, args.max_frames).round().astype(int))
            test = [test[i] for i in keep]
        example["frame"] = len(test) // 2
        example["crop_origin"] = (400, 300)
        tune = [train[10], train[25], train[40]]  # whole training frames, degraded like the test frames
        for spacing in args.spacings:
            first = spacing == args.spacings[0]
            frames = test
            if not first and args.secondary_max_frames and args.secondary_max_frames < len(test):
                keep = np.unique(np.linspace(0, len(test) - 1, args.secondary_max_frames).round().astype(int))
                frames = [test[i] for i in keep]
            ex = example if first else None
            quality += evaluate_set("real DSA", frames, tune, args.spots, spacing, photons, net, ex)
    else:
        print(f"{args.data} not found: real-data rows skipped")
    if args.phantoms and not args.skip_quality:
        kw = {"noise": False, "field_of_view_mm": 512 * args.spacings[0]}
        test_ph = phantom_frames(args.phantoms, 512, 2, seed=5000, **kw)
        tune_ph = phantom_frames(2, 512, 2, seed=6000, **kw)
        quality += evaluate_set("phantom (noise-free truth)", test_ph, tune_ph, args.spots, args.spacings[0],
                                photons, net)  # fmt: skip
    timing = [] if args.no_timing else timings(args.size, args.threads, args.reps, args.weights)
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": args.threads,
        "load_average": load,
        "weights": str(args.weights.relative_to(REPO) if args.weights.is_relative_to(REPO) else args.weights),
        "weights_note": note,
        "geometry": {**GEOMETRY, "photons": photons},
        "quality": quality,
        "timing": timing,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    if "old" in example:
        result["example"] = example["old"]
    elif "outputs" in example:
        side_by_side(args.out / "deblur_side_by_side.png", example)
        result["example"] = (
            f"{example['set']}, held-out frame {example['frame']} of the test part, focal spot {example['spot']} mm, "
            f"{example['spacing']} mm pixels, a 256² crop; the difference panel is RDN output minus the sharp frame"
        )
    (args.out / "deblur.json").write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    (args.out / "deblur.md").write_text(markdown(result))
    print(f"wrote {args.out / 'deblur.json'}, {args.out / 'deblur.md'}")
    if args.update_metadata:
        meta_path = REPO / "bundles" / "cerebral_dsa_deblurring" / "configs" / "metadata.json"
        meta = json.loads(meta_path.read_text())
        meta["eval_metrics"] = eval_metrics(result)
        meta_path.write_text(json.dumps(meta, indent=4) + "\n")
        print(f"updated {meta_path}")


if __name__ == "__main__":
    main()
