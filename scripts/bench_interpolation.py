# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of the MoSt-DSA bundle against the baselines: quality (K = 1, 2, 3) and speed (512^2, 1024^2).

Quality, dose-reduction protocol (keep every (K+1)-th frame, synthesize the K in between, compare with the real
ones), for the baselines (repeat, linear, DIS flow) and the bundle's network, on

* the held-out last 30 % of the shared real DSA cine (``../shared/data/dsa/cerebral_lateral_2d``, never used for
  training), at its full resolution (1024x791),
* phantom cines with cardiac motion (``AngiographyPhantom``, coronary mode and DSA mode with motion; seeds not used
  in training).

``most_dsa+dis_flow`` averages the network's frames with DIS flow's (``ensemble="dis_flow"``,
:class:`monai_angio.networks.InterpolatorEnsemble`). ``most_dsa_adapted`` is the same network fine-tuned on each
cine's kept (acquired) frames before interpolating (``--adapt-steps``, test-time adaptation,
:func:`monai_angio.engines.adapt_interpolator`); its ms/frame includes the fine-tuning.

``most_dsa_adapted_x4+dis_flow+window`` stacks the test-time options: adaptation, the average over 4 flips of each
pair (``self_ensemble=4``), the DIS-flow ensemble and the temporal window.

``dis_flow_quadratic`` is DIS flow with quadratic motion from the kept frames around each gap
(:class:`monai_angio.baselines.QuadraticDISInterpolator`); it is not one of the issue's baselines (repeat, linear, DIS
flow), so the margins are computed over those and a further column gives the margin over it. The rows
``most_dsa+dis_flow_quadratic`` and ``most_dsa_adapted_x4+dis_flow_quadratic`` average the network with it.

Rows ending in ``+anchors`` (``--denoise-anchors``, on by default) blend every interior kept frame with the method's
prediction of it from its neighbours before interpolating (:mod:`monai_angio.inferers.anchor_denoising`); the linear
and DIS-flow baselines get the same treatment, so that the gain of the network is also measured against baselines that
use it.

Rows ending in ``+window`` (``--denoise-window R``, 12 by default) correct the synthesized frames towards a
least-squares line in time through up to ``R`` kept frames on each side of their gap, with locally MSE-optimal weights
(:mod:`monai_angio.inferers.temporal_window`); the linear and DIS-flow baselines get it too. The last column compares
each of our rows with the best baseline that has the same noise reduction (none, ``+anchors`` or ``+window``).

Speed: ms per synthesized frame for one pair with K = 3 (one backbone pass, three head passes), batch 1, for the
``small`` (shipped) and ``paper`` configurations at 512^2 and 1024^2, with 1 and 2 threads, each measured in a fresh
subprocess that also reports its peak resident memory.

Writes ``docs/bench/interpolation.json``, ``docs/bench/interpolation.md`` and PNG figures (per-frame PSNR curves,
a side-by-side example) into ``docs/bench``. ``--methods ROW ...`` measures only the rows named and keeps the others
(and the figures) of the last run. Run: ``python scripts/bench_interpolation.py`` (about 90 minutes with every row
at 2 threads here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "bundles" / "cerebral_dsa_interpolation"
SHARED_CINE = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"
OUT = REPO / "docs" / "bench"
BASELINES = ("repeat", "linear", "dis_flow")
OURS = "most_dsa"
ADAPTED = "most_dsa_adapted"  # the same network with test-time adaptation on the kept frames
ENSEMBLE = "most_dsa+dis_flow"  # the network averaged with DIS flow (InterpolatorEnsemble)
QUADRATIC = "dis_flow_quadratic"  # DIS flow, quadratic motion from 4 kept frames; not one of the baselines
ENSEMBLE_Q = "most_dsa+dis_flow_quadratic"  # the network averaged with DIS flow with quadratic motion
ADAPTED_X4 = "most_dsa_adapted_x4"  # adapted, 4 flips averaged
BEST = ADAPTED_X4 + "+dis_flow"  # ... then averaged with DIS flow
BEST_OPTIONS = {"adapt_steps": 100, "self_ensemble": 4, "ensemble": "dis_flow"}  # dose_reduction_study options
BEST_Q = ADAPTED_X4 + "+dis_flow_quadratic"  # ... or with DIS flow with quadratic motion
BEST_Q_OPTIONS = {**BEST_OPTIONS, "ensemble": QUADRATIC}
DEFAULTS = "most_dsa_defaults"  # the network with the test-time options of the bundle's inference.json
ANCHORS = "+anchors"  # suffix of the rows with denoised anchors
MOTION = "+motion"  # suffix of the rows with global motion compensation (global_motion="similarity")
WINDOW = "+window"  # suffix of the rows with the temporal-window noise reduction (denoise_window)


def _denoising(method: str) -> str:
    """The noise-reduction suffix of a row: ``ANCHORS``, ``WINDOW`` or ``""``."""
    return next((s for s in (ANCHORS, WINDOW) if method.endswith(s)), "")


def _defaults_row(options: dict) -> str:
    """The row name of the bundle's default test-time ``options``: ``DEFAULTS`` with their noise-reduction suffix."""
    return DEFAULTS + (WINDOW if options.get("denoise_window") else ANCHORS if options.get("denoise_anchors") else "")


def _is_ours(method: str) -> bool:
    return method.removesuffix(_denoising(method)).removesuffix(MOTION) in (
        OURS,
        ADAPTED,
        ENSEMBLE,
        ENSEMBLE_Q,
        BEST,
        BEST_Q,
        DEFAULTS,
    )


def _best_baseline(methods: dict, denoising: str = "") -> str | None:
    """The baseline row with the highest PSNR among the rows with the noise reduction ``denoising`` (a suffix)."""
    names = [m for m in methods if _denoising(m) == denoising and m.removesuffix(denoising) in BASELINES]
    return max(names, key=lambda m: methods[m]["psnr_mean"]) if names else None


PHANTOMS = [
    {"name": "coronary_s500", "mode": "coronary", "seed": 500, "frame_rate": 15.0, "heart_rate_bpm": 75.0},
    {"name": "coronary_s501", "mode": "coronary", "seed": 501, "frame_rate": 10.0, "heart_rate_bpm": 70.0},
    {"name": "coronary_s502", "mode": "coronary", "seed": 502, "frame_rate": 15.0, "heart_rate_bpm": 90.0},
    {
        "name": "dsa_motion_s503",
        "mode": "dsa",
        "seed": 503,
        "frame_rate": 7.5,
        "heart_rate_bpm": 80.0,
        "motion_amplitude": 0.02,
    },  # fmt: skip
]


def _speed_worker(config: str, size: int, threads: int, reps: int) -> None:
    """Subprocess: time one pair at K = 3 and print JSON with ms per synthesized frame and peak RSS."""
    import resource

    torch.set_num_threads(threads)
    from monai_angio.networks import MoStDSA

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    torch.manual_seed(0)
    net = MoStDSA(config).eval()
    for conv in (net.head.out, net.refiner.out):  # non-zero outputs, as trained weights
        torch.nn.init.normal_(conv.weight, std=0.01)
    f0, f1 = torch.rand(1, 1, size, size), torch.rand(1, 1, size, size)
    t = torch.tensor([[0.25, 0.5, 0.75]])
    times = []
    with torch.inference_mode():
        net(f0, f1, t)  # warm-up
        for _ in range(reps):
            start = time.perf_counter()
            net(f0, f1, t)
            times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "config": config,
                "size": size,
                "threads": threads,
                "ms_per_frame": 1000 * min(times) / 3,
                "ms_per_frame_median": 1000 * float(np.median(times)) / 3,
                "peak_rss_mb": peak / 1024,
                "peak_rss_above_start_mb": (peak - base) / 1024,
                "parameters": net.num_parameters(),
            }
        )
    )


def speed(configs: list[str], sizes: list[int], threads: list[int], reps: int) -> list[dict]:
    rows = []
    for config in configs:
        for size in sizes:
            for th in threads:
                r = 2 if (config == "paper" and size >= 1024) else reps
                cmd = [sys.executable, __file__, "--speed-worker", config, str(size), str(th), str(r)]
                env = {**os.environ, "OMP_NUM_THREADS": str(th)}
                res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
                if res.returncode != 0:
                    rows.append({"config": config, "size": size, "threads": th, "error": res.stderr[-500:]})
                else:
                    rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
                print("speed", rows[-1], flush=True)
    return rows


def load_real() -> torch.Tensor:
    from monai_angio.data import split_frames
    from monai_angio.engines import load_frames

    frames, _ = load_frames(SHARED_CINE)
    _, (start, stop) = split_frames(frames.shape[0], 0.3)
    return frames[start:stop]


def load_phantom(spec: dict, size: int, num_frames: int) -> torch.Tensor:
    from monai_angio.data import phantom_cines

    kw = {k: v for k, v in spec.items() if k not in ("name", "seed")}
    cine = phantom_cines(1, seed=spec["seed"], size=(size, size), num_frames=num_frames, **kw)[0]
    return torch.from_numpy(cine).unsqueeze(1)


def quality(
    sequences: dict[str, torch.Tensor],
    methods: dict[str, torch.nn.Module],
    factors: list[int],
    options: dict[str, dict] | None = None,
) -> dict:
    """Dose-reduction results per sequence, K and method; ``options[name]`` are extra ``dose_reduction_study`` args."""
    from monai_angio.inferers import dose_reduction_study

    results: dict = {}
    for seq, frames in sequences.items():
        for k in factors:
            for name, net in methods.items():
                extra = (options or {}).get(name, {})
                res = dose_reduction_study(frames, net, k, batch_size=1, tile_size=None, progress=False, **extra)
                s = res.report.summary()
                rows = [r for r in res.report.as_dicts() if r["synthesized"]]
                results.setdefault(seq, {}).setdefault(str(k), {})[name] = {
                    "psnr_mean": s["psnr_mean"],
                    "psnr_std": s["psnr_std"],
                    "ssim_mean": s["ssim_mean"],
                    "frames": s["synthesized"],
                    "ms_per_frame": 1000 * res.seconds_per_frame,
                    "per_frame": [{"frame": r["frame"], "psnr": r["psnr"], "ssim": r["ssim"]} for r in rows],
                }
                if k == max(factors) and name == OURS:
                    results[seq][str(k)]["_example"] = res  # kept in memory for the figures
                if k == max(factors) and name == "linear":
                    results[seq][str(k)]["_linear"] = res
                print(f"{seq} K={k} {name}: PSNR {s['psnr_mean']:.3f} SSIM {s['ssim_mean']:.4f}", flush=True)
    return results


def _merge_rows(report: dict, old: dict) -> None:
    """Add to ``report`` (in place) the rows of ``old`` (a previous report) that it did not measure."""
    new, previous = report["quality"], old.get("quality", {})
    blocks = [(new.get("real"), previous.get("real"))]
    blocks += [(per_k, previous.get("phantom", {}).get(seq)) for seq, per_k in new.get("phantom", {}).items()]
    for per_k, old_per_k in blocks:
        for k, rows in (per_k or {}).items():
            old_rows = (old_per_k or {}).get(k, {})
            merged = dict(old_rows)  # the last run's order, re-measured rows replaced, new rows at the end
            merged.update(rows)
            rows.clear()
            rows.update(merged)


def phantom_average(results: dict, names: list[str], factors: list[int], methods: list[str]) -> dict:
    avg: dict = {}
    for k in factors:
        for m in methods:
            per = [results[n][str(k)][m] for n in names]
            frames = sum(p["frames"] for p in per)
            avg.setdefault(str(k), {})[m] = {
                "psnr_mean": float(sum(p["psnr_mean"] * p["frames"] for p in per) / frames),
                "ssim_mean": float(sum(p["ssim_mean"] * p["frames"] for p in per) / frames),
                "frames": frames,
            }
    return avg


def figures(results: dict, factors: list[int]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from monai_angio.metrics import side_by_side_png

    written = []
    k = str(max(factors))
    for seq, per_k in results.items():
        if seq.startswith("_") or k not in per_k:
            continue
        fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
        for name, r in per_k[k].items():
            if name.startswith("_"):
                continue
            x = [p["frame"] for p in r["per_frame"]]
            axes[0].plot(x, [p["psnr"] for p in r["per_frame"]], marker="o", ms=3, lw=0.8, label=name)
            axes[1].plot(x, [p["ssim"] for p in r["per_frame"]], marker="o", ms=3, lw=0.8, label=name)
        axes[0].set_ylabel("PSNR (dB)")
        axes[1].set_ylabel("SSIM")
        axes[1].set_xlabel("frame index in the compared span")
        axes[0].set_title(f"{seq}: synthesized frames, K = {k}")
        axes[0].legend(fontsize="small")
        for ax in axes:
            ax.grid(alpha=0.3)
        fig.tight_layout()
        path = OUT / f"interpolation_{seq}_k{k}_frames.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path.name)
        ours, lin = per_k[k].get("_example"), per_k[k].get("_linear")
        if ours is not None and lin is not None:
            idx = int(ours.synthesized.nonzero().flatten()[len(ours.synthesized.nonzero()) // 2])
            ref = ours.reference[idx, 0].numpy()
            a, b = lin.reconstructed[idx, 0].numpy(), ours.reconstructed[idx, 0].numpy()
            err = max(float(np.abs(a - ref).max()), float(np.abs(b - ref).max()), 1e-6)
            path = OUT / f"interpolation_{seq}_k{k}_example.png"
            side_by_side_png(path, [ref, a, b], ["real frame", "linear blend", "MoSt-DSA"])
            side_by_side_png(
                OUT / f"interpolation_{seq}_k{k}_error.png",
                [np.abs(a - ref), np.abs(b - ref)],
                ["|linear - real|", "|MoSt-DSA - real|"],
                value_range=(0.0, err),
                cmap="magma",
            )
            written += [path.name, f"interpolation_{seq}_k{k}_error.png"]
    return written


def eval_metrics(report: dict) -> dict:
    """The bundle's ``eval_metrics`` quality blocks from a report: per K, every row's PSNR / SSIM and our margins."""
    out = {}
    blocks = (("real_dsa_held_out_last_30pct", "real"), ("phantom_cardiac_motion_mean_of_4", "phantom_mean"))
    for key, name in blocks:
        per_k = {}
        for k, methods in report["quality"].get(name, {}).items():
            rows = {m: v for m, v in methods.items() if not m.startswith("_")}
            best = _best_baseline(rows)
            per_k[f"K={k}"] = {
                "frames": next(iter(rows.values()))["frames"],
                "best_baseline": best,
                "psnr": {m: round(v["psnr_mean"], 3) for m, v in rows.items()},
                "ssim": {m: round(v["ssim_mean"], 4) for m, v in rows.items()},
                "margin_over_best_baseline_db": {
                    m: round(v["psnr_mean"] - rows[best]["psnr_mean"], 3) for m, v in rows.items() if _is_ours(m)
                },
            }
        if per_k:
            out[key] = per_k
    return out


def update_metadata(report: dict) -> Path:
    """Write :func:`eval_metrics` of ``report`` into the bundle's ``configs/metadata.json`` (other keys kept)."""
    path = BUNDLE / "configs" / "metadata.json"
    meta = json.loads(path.read_text())
    meta.setdefault("eval_metrics", {}).update(eval_metrics(report))
    path.write_text(json.dumps(meta, indent=4) + "\n")
    return path


def markdown(report: dict) -> str:
    lines = ["# MoSt-DSA interpolation benchmark", "", report["note"], ""]
    blocks = (
        ("Held-out real DSA (last 30 % of the shared cine, 1024x791)", report["quality"].get("real")),
        ("Phantom cines with cardiac motion (mean over the cines)", report["quality"].get("phantom_mean")),
    )
    for title, block in blocks:
        if not block:
            continue
        lines += [f"## {title}", "", "| K | method | PSNR (dB) | SSIM | frames | margin over the best baseline (dB) | "
                  "margin over the best baseline with the same noise reduction (dB) | margin over DIS flow with "
                  "quadratic motion and the same noise reduction (dB) |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for k, methods in block.items():
            best = _best_baseline(methods)
            for m, v in methods.items():
                if m.startswith("_"):
                    continue
                cells = ["", "", ""]
                same, quadratic = _best_baseline(methods, _denoising(m)), QUADRATIC + _denoising(m)
                if _is_ours(m):
                    cells[0] = f"{v['psnr_mean'] - methods[best]['psnr_mean']:+.3f} ({best})"
                    if same is not None and same != best:
                        cells[1] = f"{v['psnr_mean'] - methods[same]['psnr_mean']:+.3f} ({same})"
                    if quadratic in methods:
                        cells[2] = f"{v['psnr_mean'] - methods[quadratic]['psnr_mean']:+.3f}"
                lines.append(
                    f"| {k} | {m} | {v['psnr_mean']:.3f} | {v['ssim_mean']:.4f} | {v['frames']} | {' | '.join(cells)} |"
                )
        lines.append("")
    if report["quality"].get("phantom"):
        first = next(iter(report["quality"]["phantom"].values()))
        ours = [m for m in next(iter(first.values())) if _is_ours(m)]
        lines += ["## Per phantom cine (PSNR dB)", "", f"| cine | K | {' | '.join(ours)} | best baseline |",
                  "|---|---|" + "---|" * (len(ours) + 1)]  # fmt: skip
        for seq, per_k in report["quality"]["phantom"].items():
            for k, methods in per_k.items():
                base = _best_baseline(methods)
                cells = " | ".join(f"{methods[m]['psnr_mean']:.3f}" if m in methods else "" for m in ours)
                lines.append(f"| {seq} | {k} | {cells} | {base} {methods[base]['psnr_mean']:.3f} |")
        lines.append("")
    if report.get("speed"):
        lines += ["## Speed (one pair, K = 3, batch 1; ms per synthesized frame, best of repeats)", "",
                  "| config | size | threads | ms/frame | median ms/frame | peak RSS (MB) | parameters |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in report["speed"]:
            if "error" in r:
                lines.append(f"| {r['config']} | {r['size']} | {r['threads']} | error | | | |")
                continue
            lines.append(
                f"| {r['config']} | {r['size']}² | {r['threads']} | {r['ms_per_frame']:.0f} | "
                f"{r['ms_per_frame_median']:.0f} | {r['peak_rss_mb']:.0f} | {r['parameters']} |"
            )
        lines.append("")
    if report.get("figures"):
        lines += ["## Figures", ""] + [f"- [{f}]({f})" for f in report["figures"]] + [""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factors", default="1,2,3")
    ap.add_argument("--phantom-size", type=int, default=256)
    ap.add_argument("--phantom-frames", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="threads for the quality runs")
    ap.add_argument("--speed-configs", default="small,paper")
    ap.add_argument("--speed-sizes", default="512,1024")
    ap.add_argument("--speed-threads", default="1,2")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--adapt-steps", type=int, default=100, help="test-time adaptation steps of the adapted row (0: no such row)"
    )
    ap.add_argument(
        "--denoise-anchors",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the rows with denoised anchors (linear, DIS flow and the network, adapted or not)",
    )
    ap.add_argument(
        "--denoise-window",
        type=int,
        default=12,
        help="R of the rows with the temporal-window noise reduction (linear, DIS flow, the network and its DIS-flow "
        "ensemble, with and without global motion); 0: no such rows",
    )
    ap.add_argument(
        "--methods",
        nargs="+",
        default=None,
        help="measure only these rows (e.g. most_dsa_adapted_x4+dis_flow+window) and keep the others of the last run",
    )
    ap.add_argument(
        "--update-metadata",
        action="store_true",
        help="write the quality rows into the bundle's metadata.json eval_metrics (row names as in interpolation.md)",
    )
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--speed-worker", nargs=4, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.speed_worker:
        c, s, th, r = args.speed_worker
        _speed_worker(c, int(s), int(th), int(r))
        return

    from monai_angio.baselines import get_baseline
    from monai_angio.inferers.methods import bundle_test_time_options, get_interpolator

    torch.set_num_threads(args.threads)
    OUT.mkdir(parents=True, exist_ok=True)
    factors = [int(k) for k in args.factors.split(",")]
    path = OUT / "interpolation.json"
    previous = json.loads(path.read_text()) if path.is_file() else {}  # the last run: parts not re-measured are kept
    report: dict = {
        "note": (
            "Dose-reduction protocol: every (K+1)-th frame kept, the K frames between synthesized and compared with "
            "the real ones (data range 1). Baselines and the network are run in the same script on the same frames. "
            f"Weights: {BUNDLE / 'models' / 'model.pt'} (small configuration)."
        ),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch": torch.__version__},
        "quality": {},
    }
    if not args.skip_quality:
        methods = {m: get_baseline(m) for m in BASELINES}
        methods[OURS] = get_interpolator(str(BUNDLE), "cpu")
        options = {}
        if args.adapt_steps:
            methods[ADAPTED] = methods[OURS]
            options[ADAPTED] = {"adapt_steps": args.adapt_steps}
        methods[QUADRATIC] = get_baseline(QUADRATIC)
        methods[ENSEMBLE] = methods[ENSEMBLE_Q] = methods[OURS]
        defaults = bundle_test_time_options(BUNDLE)
        row = _defaults_row(defaults)
        methods[row], options[row] = methods[OURS], defaults
        options[ENSEMBLE] = {"ensemble": "dis_flow"}
        options[ENSEMBLE_Q] = {"ensemble": QUADRATIC}
        for m in (OURS, ENSEMBLE):
            methods[m + MOTION] = methods[OURS]
            options[m + MOTION] = {**options.get(m, {}), "global_motion": "similarity"}
        if args.denoise_anchors:
            for m in [m for m in methods if m != "repeat"]:  # repeat has no use for a neighbours' prediction
                methods[m + ANCHORS] = methods[m]
                options[m + ANCHORS] = {**options.get(m, {}), "denoise_anchors": True}
        if args.denoise_window:
            for m in ("linear", "dis_flow", QUADRATIC, OURS, ENSEMBLE, ENSEMBLE + MOTION, ENSEMBLE_Q):
                methods[m + WINDOW] = methods[m]
                options[m + WINDOW] = {**options.get(m, {}), "denoise_window": args.denoise_window}
            if args.adapt_steps:  # only with the window (the plain rows would cost as much and add little)
                for m, opts in ((BEST, BEST_OPTIONS), (BEST_Q, BEST_Q_OPTIONS)):
                    methods[m + WINDOW] = methods[OURS]
                    options[m + WINDOW] = {
                        **opts,
                        "adapt_steps": args.adapt_steps,
                        "denoise_window": args.denoise_window,
                    }
        if args.methods:
            unknown = sorted(set(args.methods) - set(methods))
            if unknown:
                raise SystemExit(f"unknown --methods {unknown}; rows: {sorted(methods)}")
            methods = {m: methods[m] for m in args.methods}
        sequences = {}
        if SHARED_CINE.is_dir():
            sequences["real"] = load_real()
        for spec in PHANTOMS:
            sequences[spec["name"]] = load_phantom(spec, args.phantom_size, args.phantom_frames)
        res = quality(sequences, methods, factors, options)
        report["figures"] = figures(res, factors) if not args.methods else previous.get("figures", [])
        for per_k in res.values():
            for v in per_k.values():
                for key in [k for k in v if k.startswith("_")]:
                    del v[key]
        if "real" in res:
            report["quality"]["real"] = res.pop("real")
        names = [p["name"] for p in PHANTOMS]
        report["quality"]["phantom"] = res
        if args.methods:  # the other rows of the last run
            _merge_rows(report, previous)
        first = next(iter(res.values()))
        rows = list(next(iter(first.values())))
        report["quality"]["phantom_mean"] = phantom_average(res, names, factors, rows)
    if not args.skip_speed:
        report["speed"] = speed(
            args.speed_configs.split(","),
            [int(s) for s in args.speed_sizes.split(",")],
            [int(t) for t in args.speed_threads.split(",")],
            args.reps,
        )
    if args.skip_speed and "speed" in previous:
        report["speed"] = previous["speed"]
    if args.skip_quality:
        report["quality"], report["figures"] = previous.get("quality", {}), previous.get("figures", [])
    path.write_text(json.dumps(report, indent=2))
    (OUT / "interpolation.md").write_text(markdown(report))
    print(f"wrote {path} and {OUT / 'interpolation.md'}")
    if args.update_metadata:
        print(f"wrote the eval_metrics of {update_metadata(report)}")


if __name__ == "__main__":
    main()
