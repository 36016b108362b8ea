# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The ``deblurring`` study: the cerebral_dsa_deblurring bundle on frames degraded by the focal-spot model.

Sharp frames (:mod:`.datasets`) are degraded by a Gaussian focal spot of 0.6, 0.9 and 1.2 mm (SOD 750 mm, SID
1100 mm) with Poisson noise of 20,000 quanta per pixel at intensity 1, then restored. PSNR/SSIM (data range 1)
against the sharp frames.

* ``single`` (``docs/bench/deblur.{json,md}``): each frame alone, the bundle's single-frame RDN (``rdn``) against
  ``unsharp`` masking and Wiener / Richardson-Lucy deconvolution with the true kernel (their parameters tuned per
  focal spot on training frames), on the held-out real frames at 0.154 and 0.308 mm pixels and on noise-free DSA
  phantom frames.
* ``temporal`` (``docs/bench/deblur_temporal.{json,md}``): all held-out real frames degraded as one cine, restored
  with their neighbours (:mod:`monai_angio.inferers.temporal_deblur`): the single-frame network blended over time
  (``rdn_temporal_anatomy``) and with the consistency step with the true kernel (``rdn_temporal``), the blind
  temporal network (``temporal_net``, ``temporal_net_consistency``) and the non-blind one told the kernel
  (``temporal_net_kernel``, ``temporal_net_kernel_consistency``), the consistency balances tuned on 8 training
  frames. The headline is ``temporal_net_kernel``'s gain over the blurred frames. With ``--motion PX:DEG`` the frames
  first move by a synthetic camera motion (:func:`~.datasets.moving_cine`) and the ``*_motion`` rows align the
  neighbours by global motion (``deblur_temporal_motion.{json,md}``).
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import datasets
from .datasets import DEBLUR_GEOMETRY, degrade
from .report import environment, merge_rows, previous_report, select_rows, table, write_report

__all__ = ["BUNDLE", "SINGLE_ROWS", "TEMPORAL_ROWS", "MOTION_ROWS", "eval_metrics"]

BUNDLE = "cerebral_dsa_deblurring"
SINGLE_ROWS = ("blurred", "unsharp", "wiener", "richardson_lucy", "rdn")
TEMPORAL_ROWS = (
    "blurred",
    "rdn",
    "rdn_temporal_anatomy",
    "rdn_temporal",
    "temporal_net",
    "temporal_net_consistency",
    "temporal_net_kernel",
    "temporal_net_kernel_consistency",
)
MOTION_ROWS = ("rdn_temporal_motion", "temporal_net_motion", "temporal_net_kernel_motion")
#: the headline row of the temporal part
HEADLINE = "temporal_net_kernel"
#: parameter grids of the baselines, searched on training frames
RL_ITERS = (1, 2, 3, 5, 8, 12, 20, 30)
WIENER_BALANCE = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)
UNSHARP = tuple((s, a) for s in (0.5, 1.0, 1.5, 2.0, 3.0) for a in (0.25, 0.5, 1.0, 1.5, 2.0))
BALANCES = (0.01, 0.03, 0.1, 0.3, 1.0)
REAL, PHANTOM = "real DSA", "phantom (noise-free truth)"


def _psnr_ssim(out: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-frame PSNR and SSIM (data range 1) of ``(T, 1, H, W)`` frames."""
    from monai_angio.metrics import psnr, ssim

    return psnr(out, ref, 1.0).flatten(), ssim(out, ref, 1.0).flatten()


def _frame_psnr(out: torch.Tensor, ref: torch.Tensor) -> float:
    """PSNR of one ``(H, W)`` frame."""
    return float(_psnr_ssim(out[None, None], ref[None, None])[0][0])


def _cell(r: dict | None) -> str:
    """``PSNR ± std / SSIM`` of a row, or nothing."""
    return f"{r['psnr_mean']:.2f} ± {r['psnr_std']:.2f} / {r['ssim_mean']:.4f}" if r else ""


# ------------------------------------------------------------------------------------------------ single frames
def tune_baselines(
    frames: list[np.ndarray], spot: float, spacing: float, photons: float | None, rows: list[str]
) -> dict[str, dict[str, Any]]:
    """The best-PSNR parameters of the baselines among ``rows`` on (training) frames degraded like the test ones."""
    from monai_angio.baselines.deconvolution import richardson_lucy, unsharp_mask, wiener_deconvolution

    if not {"richardson_lucy", "wiener", "unsharp"} & set(rows):
        return {}
    x, y, k = degrade(frames, spot, spacing, photons, seed=99)

    def score(out: torch.Tensor) -> float:
        return float(_psnr_ssim(out, y)[0].mean())

    params: dict[str, dict[str, Any]] = {}
    if "richardson_lucy" in rows:
        params["richardson_lucy"] = {"iterations": max(RL_ITERS, key=lambda n: score(richardson_lucy(x, k, n)))}
    if "wiener" in rows:
        params["wiener"] = {"balance": max(WIENER_BALANCE, key=lambda b: score(wiener_deconvolution(x, k, b)))}
    if "unsharp" in rows:
        sigma, amount = max(UNSHARP, key=lambda p: score(unsharp_mask(x, p[0], p[1])))
        params["unsharp"] = {"sigma": sigma, "amount": amount}
    return params


def restore(method: str, x: torch.Tensor, kernel: np.ndarray, params: dict, net: Any) -> torch.Tensor:
    """``(1, 1, H, W)`` blurred frame restored by ``method`` (``net``: the network and its input offset)."""
    from monai_angio.baselines.deconvolution import richardson_lucy, unsharp_mask, wiener_deconvolution
    from monai_angio.inferers.frame_deblur import deblur_cine

    p = params.get(method, {})
    if method == "unsharp":
        return unsharp_mask(x, p["sigma"], p["amount"])
    if method == "wiener":
        return wiener_deconvolution(x, kernel, p["balance"])
    if method == "richardson_lucy":
        return richardson_lucy(x, kernel, p["iterations"])
    if method == "rdn":
        return deblur_cine(x, net[0], tile_size=512, progress=False, input_offset=net[1])
    return x


def evaluate_frames(
    test: list[np.ndarray],
    tune: list[np.ndarray],
    spots: list[float],
    spacing: float,
    photons: float | None,
    rows: list[str],
    net: Any,
    example: dict | None = None,
) -> dict:
    """``{str(spot): {row: PSNR/SSIM mean and std, frames, the baseline's parameters}}``; with ``example``
    (``frame``) the outputs of that frame at the largest spot are stored in it."""
    out: dict = {}
    for spot in spots:
        t0 = time.time()
        params = tune_baselines(tune, spot, spacing, photons, rows)
        xs, ys, kernel = degrade(test, spot, spacing, photons, seed=0)
        scores: dict[str, list[list[float]]] = {m: [[], []] for m in rows}
        for i in range(len(xs)):
            x, y = xs[i : i + 1], ys[i : i + 1]
            outputs = {m: restore(m, x, kernel, params, net) for m in rows}
            for m, o in outputs.items():
                for values, v in zip(scores[m], _psnr_ssim(o, y), strict=True):
                    values.append(float(v[0]))
            if example is not None and spot == max(spots) and i == example["frame"]:
                example.update(sharp=y[0, 0].numpy(), **{m: o[0, 0].numpy() for m, o in outputs.items()})
        out[str(spot)] = {
            m: {
                "psnr_mean": float(np.mean(p)),
                "psnr_std": float(np.std(p)),
                "ssim_mean": float(np.mean(s)),
                "ssim_std": float(np.std(s)),
                "frames": len(xs),
                **params.get(m, {}),
            }
            for m, (p, s) in scores.items()
        }
        line = "  ".join(f"{m} {r['psnr_mean']:.2f}/{r['ssim_mean']:.4f}" for m, r in out[str(spot)].items())
        print(f"{spacing} mm/px f={spot} mm: {line}  ({time.time() - t0:.0f} s)", flush=True)
    return out


def _subsample(frames: list[np.ndarray], count: int | None) -> list[np.ndarray]:
    if not count or count >= len(frames):
        return frames
    return [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, count).round().astype(int))]


def _single_figure(path: Path, ex: dict) -> str:
    import matplotlib

    from monai_angio.metrics import side_by_side_png

    y, gain = ex["sharp"], 0.05
    sl = (slice(400, 656), slice(300, 556))
    rgb = matplotlib.colormaps["coolwarm"](np.clip(0.5 + (ex["rdn"][sl] - y[sl]) / (2 * gain), 0, 1))[..., :3]

    def label(m: str, title: str) -> str:
        return f"{title} {_frame_psnr(torch.from_numpy(ex[m]), torch.from_numpy(y)):.2f} dB"

    side_by_side_png(
        path,
        [ex["blurred"][sl], ex["rdn"][sl], ex["richardson_lucy"][sl], y[sl], rgb],
        [
            label("blurred", "blurred"),
            label("rdn", "RDN"),
            label("richardson_lucy", "R-L"),
            "sharp (real frame)",
            f"RDN - sharp (±{gain})",
        ],
        value_range=(float(y[sl].min()), float(y[sl].max())),
        panel_size=3.2,
    )
    return (
        f"real DSA, held-out frame {ex['frame']} of the test part, focal spot {ex['spot']} mm, "
        f"{ex['spacing']} mm pixels, a 256² crop; the difference panel is RDN output minus the sharp frame"
    )


def single_markdown(report: dict) -> str:
    """The Markdown of the single-frame part (``deblur.md``)."""
    env, setup = report["environment"], report["setup"]
    body, params = [], []
    for name, per_spacing in report["results"].items():
        for spacing, per_spot in per_spacing.items():
            for spot, rows in per_spot.items():
                fwhm = float(spot) * (DEBLUR_GEOMETRY["sid_mm"] / DEBLUR_GEOMETRY["sod_mm"] - 1.0) / float(spacing)
                cells = [_cell(rows.get(m)) for m in SINGLE_ROWS]
                gain = [
                    f"{rows['rdn']['psnr_mean'] - rows[b]['psnr_mean']:+.2f}" if {"rdn", b} <= set(rows) else ""
                    for b in ("blurred", "richardson_lucy")
                ]
                frames = next(iter(rows.values()))["frames"]
                body.append([name, spacing, spot, f"{fwhm:.2f}", frames, *cells, *gain])
                p = {m: rows.get(m, {}) for m in ("richardson_lucy", "wiener", "unsharp")}
                params.append(
                    [
                        name,
                        spacing,
                        spot,
                        p["richardson_lucy"].get("iterations", ""),
                        p["wiener"].get("balance", ""),
                        f"{p['unsharp']['sigma']}, {p['unsharp']['amount']}" if p["unsharp"] else "",
                    ]
                )
    lines = [
        "# Focal-spot deblurring (cerebral_dsa_deblurring): each frame alone",
        "",
        f"Made by `{report['command']}` on {env['date']} ({env['cpu']}, {env['torch_threads']} torch threads).",
        "",
        f"Degradation: Gaussian focal spot, SOD 750 mm, SID 1100 mm (blur FWHM = 0.467 x focal spot at the detector), "
        f"Poisson noise of {setup['photons'] or 0:,.0f} quanta per pixel at intensity 1 (0: none), reflective borders. "
        "Real frames: the held-out last 30 % of the shared cine (1024x791, 8 bit), pixel spacing unknown, taken as "
        "0.154 mm (full detector resolution) and 0.308 mm (2x2 binning); the reference is the real frame, with its own "
        "quantum noise. Phantom: DSA phantoms rendered without noise. Baselines with the true kernel, parameters tuned "
        "per focal spot on training frames. PSNR (dB) mean ± std / SSIM, data range 1.",
        "",
        *table(
            [
                "set",
                "px (mm)",
                "focal spot (mm)",
                "blur FWHM (px)",
                "frames",
                "blurred",
                "unsharp",
                "Wiener (true kernel)",
                "Richardson-Lucy (true kernel)",
                "RDN (this bundle)",
                "RDN gain (dB)",
                "RDN - R-L (dB)",
            ],
            body,
            "lrrrrlllllrr",
        ),
        "",
        "Baseline parameters (tuned on training frames):",
        "",
        *table(
            ["set", "px (mm)", "focal spot (mm)", "R-L iterations", "Wiener balance", "unsharp sigma, amount"],
            params,
            "lrrrrl",
        ),
    ]
    if report.get("example"):
        lines += ["", f"Side by side: `deblur_side_by_side.png` ({report['example']})."]
    return "\n".join(lines)


def run_single(args: argparse.Namespace, photons: float | None, net: Any) -> dict:
    """The single-frame part; returns its report."""
    rows = select_rows(SINGLE_ROWS, args.rows)
    setup = {
        "photons": photons,
        "spots": args.spots,
        "spacings": args.spacings,
        "max_frames": args.max_frames,
        "secondary_max_frames": args.secondary_max_frames,
        "phantoms": args.phantoms,
    }
    old = previous_report("deblur", args.out, setup, args.rows is not None, _legacy_single)
    results: dict = {}
    example: dict[str, Any] = {}
    if datasets.real_available():
        test, train = _subsample(datasets.real_frames("test"), args.max_frames), datasets.real_frames("train")
        tune = [train[10], train[25], train[40]]  # whole training frames, degraded like the test frames
        example = {"frame": len(test) // 2, "spot": max(args.spots), "spacing": args.spacings[0]}
        for j, spacing in enumerate(args.spacings):
            frames = test if j == 0 else _subsample(test, args.secondary_max_frames)
            block = evaluate_frames(frames, tune, args.spots, spacing, photons, rows, net, example if j == 0 else None)
            results.setdefault(REAL, {})[str(spacing)] = block
    if args.phantoms:
        test_ph = datasets.deblur_phantom_frames(args.phantoms, 5000, args.spacings[0])
        tune_ph = datasets.deblur_phantom_frames(2, 6000, args.spacings[0])
        block = evaluate_frames(test_ph, tune_ph, args.spots, args.spacings[0], photons, rows, net)
        results.setdefault(PHANTOM, {})[str(args.spacings[0])] = block
    report = {
        "study": "deblurring",
        "part": "single",
        "command": args.command,
        "environment": environment(),
        "setup": setup,
        "results": merge_rows(results, old.get("results", {}), SINGLE_ROWS),
        "example": old.get("example", ""),
    }
    if {"blurred", "rdn", "richardson_lucy"} <= set(example):
        report["example"] = _single_figure(args.out / "deblur_side_by_side.png", example)
    write_report("deblur", report, single_markdown(report), args.out)
    return report


def _legacy_single(old: dict) -> dict:
    """A ``deblur.json`` of the ``scripts/bench_deblur.py`` days (a list of rows with a column per method)."""
    results: dict = {}
    for q in old.get("quality", []):
        p = q.get("baseline_params", {})
        params = {
            "richardson_lucy": {"iterations": p.get("richardson_lucy_iterations")},
            "wiener": {"balance": p.get("wiener_balance")},
            "unsharp": {"sigma": p.get("unsharp_sigma"), "amount": p.get("unsharp_amount")},
        }
        block = results.setdefault(q["set"], {}).setdefault(str(q["pixel_spacing_mm"]), {})
        block[str(q["focal_spot_mm"])] = {
            m: {
                **{k: q[f"{m}_{k}"] for k in ("psnr_mean", "psnr_std", "ssim_mean", "ssim_std")},
                "frames": q["frames"],
                **params.get(m, {}),
            }
            for m in SINGLE_ROWS
            if f"{m}_psnr_mean" in q
        }
    real = [q for q in old.get("quality", []) if q["set"] == REAL]
    spacings = list(dict.fromkeys(q["pixel_spacing_mm"] for q in real))
    frames = [next(q["frames"] for q in real if q["pixel_spacing_mm"] == s) for s in spacings]
    setup = {
        "photons": old.get("geometry", {}).get("photons"),
        "spots": list(dict.fromkeys(q["focal_spot_mm"] for q in real)),
        "spacings": spacings,
        "max_frames": frames[0] if frames and frames[0] < 22 else None,
        "secondary_max_frames": frames[1] if len(frames) > 1 else 8,
        "phantoms": next((q["frames"] // 2 for q in old.get("quality", []) if q["set"] == PHANTOM), 0),
    }
    return {"setup": setup, "results": results, "example": old.get("example", "")}


def _legacy_temporal(old: dict) -> dict:
    """A ``deblur_temporal(_motion).json`` of the ``scripts/bench_temporal_deblur.py`` days."""
    balances = {
        "rdn_temporal": "balance",
        "rdn_temporal_motion": "balance",
        "temporal_net_consistency": "balance_net",
        "temporal_net_kernel_consistency": "balance_kernel_net",
    }
    results: dict = {}
    for r in old.get("rows", []):
        block = results[str(r["focal_spot_mm"])] = {}
        for m in (*TEMPORAL_ROWS, *MOTION_ROWS):
            if f"{m}_psnr_mean" in r:
                block[m] = {k: r[f"{m}_{k}"] for k in ("psnr_mean", "psnr_std", "ssim_mean", "psnr_per_frame")}
                block[m]["frames"] = r["frames"]
                if m in balances:
                    block[m]["balance"] = r[balances[m]]
    rows = old.get("rows", [{}])
    setup = {
        "photons": old.get("photons"),
        "spots": [r["focal_spot_mm"] for r in old.get("rows", [])],
        "spacing": old.get("spacing_mm"),
        "radius": old.get("radius"),
        "motion": rows[0].get("motion_px_deg"),
        "tile_size": None,
    }
    return {"setup": setup, "results": results}


# --------------------------------------------------------------------------------------------------- temporal
def temporal_outputs(
    y: torch.Tensor, kernel: np.ndarray, tune: tuple, nets: dict, radius: int, tile_size: int | None
) -> dict:
    """The row recipes of the temporal part on blurred frames ``y`` ``(T, 1, H, W)`` with the true ``kernel``:
    ``{row: callable returning (T, 1, H, W) frames, or (frames, balance) for the rows with a consistency step}``.
    ``tune`` is ``(blurred, sharp, kernel)`` of the frames the balances are tuned on; ``nets`` maps ``single``,
    ``temporal`` and ``kernel`` to ``(network, input_offset)``."""
    from monai_angio.inferers.frame_deblur import deblur_cine
    from monai_angio.inferers.temporal_deblur import consistency_step, temporal_anatomy

    def anatomy(frames: torch.Tensor, which: str, k: np.ndarray, motion: bool = False) -> torch.Tensor:
        net, offset = nets[which]
        return temporal_anatomy(
            frames,
            net,
            radius,
            global_motion="similarity" if motion else None,
            kernel=k if which == "kernel" else None,
            tile_size=tile_size,
            progress=False,
            input_offset=offset,
        )

    @functools.cache
    def estimate(which: str, motion: bool = False) -> torch.Tensor:
        return anatomy(y, which, kernel, motion)

    @functools.cache
    def balance(which: str) -> float:
        ty, tx, tk = tune
        est = anatomy(ty, which, tk)
        return max(
            BALANCES, key=lambda b: float(_psnr_ssim(consistency_step(ty, est, tk, b).clamp(0, 1), tx)[0].mean())
        )

    def corrected(which: str, motion: bool = False) -> tuple[torch.Tensor, float]:
        return consistency_step(y, estimate(which, motion), kernel, balance(which)).clamp(0, 1), balance(which)

    single = nets["single"]
    return {
        "blurred": lambda: y,
        "rdn": lambda: deblur_cine(y, single[0], tile_size=tile_size, progress=False, input_offset=single[1]),
        "rdn_temporal_anatomy": lambda: estimate("single"),
        "rdn_temporal": lambda: corrected("single"),
        "temporal_net": lambda: estimate("temporal").clamp(0, 1),
        "temporal_net_consistency": lambda: corrected("temporal"),
        "temporal_net_kernel": lambda: estimate("kernel").clamp(0, 1),
        "temporal_net_kernel_consistency": lambda: corrected("kernel"),
        "rdn_temporal_motion": lambda: corrected("single", True),
        "temporal_net_motion": lambda: estimate("temporal", True).clamp(0, 1),
        "temporal_net_kernel_motion": lambda: estimate("kernel", True).clamp(0, 1),
    }


def temporal_markdown(report: dict) -> str:
    """The Markdown of the temporal part (``deblur_temporal.md``)."""
    env, setup, results = report["environment"], report["setup"], report["results"]
    rows = list(dict.fromkeys(m for per in results.values() for m in per))
    gains = [m for m in rows if m not in ("blurred", "rdn_temporal_anatomy")]

    def gain(per: dict, m: str) -> str:
        return f"{per[m]['psnr_mean'] - per['blurred']['psnr_mean']:+.2f}" if {m, "blurred"} <= set(per) else ""

    body = [[spot, *(_cell(per.get(m)) for m in rows), *(gain(per, m) for m in gains)] for spot, per in results.items()]
    head = ", ".join(f"{spot} mm {gain(per, HEADLINE)} dB" for spot, per in results.items() if gain(per, HEADLINE))
    balances = [
        [m, ", ".join(str(per[m].get("balance", "-")) for per in results.values() if m in per)]
        for m in rows
        if any("balance" in per.get(m, {}) for per in results.values())
    ]
    motion = f", moved by {setup['motion']} px:deg per frame (central 512² crop)" if setup["motion"] else ""
    frames = next(iter(next(iter(results.values())).values()))["frames"] if results else 0
    lines = [
        "# Temporal deblurring: the RDN with each frame's neighbours and the known kernel",
        "",
        f"Made by `{report['command']}` on {env['date']} ({env['torch_threads']} torch threads). All {frames} "
        f"held-out frames of the real cine{motion} degraded as one cine ({setup['spacing']} mm pixels, Poisson "
        f"noise of {setup['photons'] or 0:,.0f} quanta per pixel at intensity 1, independent per frame); "
        f"neighbours within {setup['radius']} frames; consistency balances tuned on 8 training frames. PSNR (dB) "
        "mean ± std / SSIM; gains over the blurred frames (dB).",
        "",
    ]
    if head:
        lines += [
            f"Headline, {HEADLINE} (the non-blind temporal network told the kernel) over the blurred frames: {head}.",
            "",
        ]
    lines += table(
        ["focal spot (mm)", *rows, *(f"{m} gain" for m in gains)], body, "r" + "l" * len(rows) + "r" * len(gains)
    )
    if balances:
        lines += ["", *table(["row", "consistency balance per focal spot"], balances)]
    if report.get("example"):
        lines += [
            "",
            f"Per-frame PSNR: `{report['name']}_psnr.png`; side by side: `{report['name']}_side_by_side.png` "
            f"({report['example']}).",
        ]
    return "\n".join(lines)


def run_temporal(args: argparse.Namespace, photons: float | None, nets: dict) -> dict:
    """The temporal part; returns its report."""
    from monai_angio.metrics import plot_curves, side_by_side_png

    available = TEMPORAL_ROWS + (MOTION_ROWS if args.motion else ())
    rows = select_rows(available, args.rows)
    name = "deblur_temporal_motion" if args.motion else "deblur_temporal"
    setup = {
        "photons": photons,
        "spots": args.spots,
        "spacing": args.spacings[0],
        "radius": args.radius,
        "motion": args.motion,
        "tile_size": args.tile_size,
    }
    old = previous_report(name, args.out, setup, args.rows is not None, _legacy_temporal)
    if not datasets.real_available():
        raise SystemExit(f"the temporal part needs the shared real cine: {datasets.SHARED_CINE}")
    test, tune = datasets.real_frames("test"), datasets.real_frames("train")[20:28]
    if args.motion:
        px, deg = (float(v) for v in args.motion.split(":"))
        test, tune = (
            [f[0].numpy() for f in datasets.moving_cine(torch.from_numpy(np.stack(fr))[:, None], px, deg)]
            for fr in (test, tune)
        )
    results: dict = {}
    example: dict = {}
    for spot in args.spots:
        t0 = time.time()
        y, x, kernel = degrade(test, spot, args.spacings[0], photons, seed=0)
        tune_set = degrade(tune, spot, args.spacings[0], photons, seed=99)
        recipes = temporal_outputs(y, kernel, tune_set, nets, args.radius, args.tile_size)
        block = results[str(spot)] = {}
        mid = y.shape[0] // 2
        example = {"spot": spot, "frame": mid, "sharp": x[mid, 0]}
        for m in rows:
            out = recipes[m]()
            out, bal = out if isinstance(out, tuple) else (out, None)
            p, s = _psnr_ssim(out, x)
            block[m] = {
                "psnr_mean": float(p.mean()),
                "psnr_std": float(p.std()),
                "ssim_mean": float(s.mean()),
                "frames": int(y.shape[0]),
                "psnr_per_frame": [round(float(v), 3) for v in p],
            }
            if bal is not None:
                block[m]["balance"] = bal
            example[m] = out[mid, 0]
        print(
            f"f={spot} mm: "
            + "  ".join(f"{m} {r['psnr_mean']:.2f}" for m, r in block.items())
            + f"  ({time.time() - t0:.0f} s)",
            flush=True,
        )
    results = merge_rows(results, old.get("results", {}), available)
    report = {
        "study": "deblurring",
        "part": "temporal",
        "name": name,
        "command": args.command,
        "environment": environment(),
        "setup": setup,
        "results": results,
        "example": old.get("example", ""),
    }
    curves = [m for m in ("blurred", "rdn", "rdn_temporal", "temporal_net", HEADLINE, *MOTION_ROWS) if m in available]
    panels = {f"{spot} mm": {m: per[m]["psnr_per_frame"] for m in curves if m in per} for spot, per in results.items()}
    if all(panels.values()):
        title = f"Per-frame PSNR, held-out real frames{' moved' if args.motion else ''}"
        plot_curves(args.out / f"{name}_psnr.png", panels, xlabel="held-out frame", title=title)
    shown = [m for m in ("blurred", "rdn", "rdn_temporal", "temporal_net", HEADLINE) if m in example]
    if len(shown) == 5:
        h, w = example["sharp"].shape
        crop = (slice(h // 2 - 128, h // 2 + 128), slice(w // 2 - 128, w // 2 + 128))
        ref = example["sharp"][crop]
        side_by_side_png(
            args.out / f"{name}_side_by_side.png",
            [example[m][crop] for m in shown] + [ref],
            [f"{m} {_frame_psnr(example[m], example['sharp']):.2f} dB" for m in shown] + ["sharp (real frame)"],
            value_range=(float(ref.min()), float(ref.max())),
        )
        report["example"] = f"held-out frame {example['frame']}, focal spot {example['spot']} mm, central 256² crop"
    write_report(name, report, temporal_markdown(report), args.out)
    return report


# ---------------------------------------------------------------------------------------------- bundle metrics
def eval_metrics(report: dict) -> dict[str, dict[str, Any]]:
    """The deblurring bundle's ``eval_metrics`` blocks from a ``deblur`` or ``deblur_temporal(_motion)`` report.
    Returns ``{bundle name: {key: block}}``."""
    made = f"measured by scripts/bench.py deblurring ({report['environment']['date']})"
    setup = report["setup"]
    if report["part"] == "temporal":
        key = "temporal_deblurring" + ("_camera_motion" if setup["motion"] else "")
        moved = f" moved by {setup['motion']} px:deg per frame (central 512x512 crop)" if setup["motion"] else ""
        block: dict[str, Any] = {
            "protocol": f"all held-out real frames{moved} degraded as one cine ({setup['spacing']} mm pixels, "
            f"{setup['photons'] or 0:g} quanta, Gaussian focal spot, SOD 750 mm, SID 1100 mm); "
            f"monai_angio.inferers.temporal_deblur with {setup['radius']} neighbours per side; {HEADLINE} = the "
            f"non-blind temporal network told the true kernel; {made} (docs/bench/{report['name']}.json)"
        }
        for spot, per in report["results"].items():
            base = per.get("blurred", {}).get("psnr_mean")
            entry: dict[str, Any] = {}
            for m, r in per.items():
                entry[f"{m}_psnr"], entry[f"{m}_ssim"] = round(r["psnr_mean"], 3), round(r["ssim_mean"], 4)
                if base is not None and m != "blurred":
                    entry[f"{m}_gain_db"] = round(r["psnr_mean"] - base, 3)
                if "balance" in r:
                    entry[f"{m}_balance"] = r["balance"]
            block[f"focal_spot_{float(spot):g}mm"] = entry
        return {BUNDLE: {key: block}}
    metrics: dict[str, Any] = {
        "protocol": "held-out real DSA frames (last 30 % of the cine) and noise-free DSA phantoms degraded by the "
        f"focal-spot model (Gaussian, SOD 750 mm, SID 1100 mm, Poisson {setup['photons'] or 0:g} quanta/pixel); PSNR "
        f"(dB)/SSIM, data range 1; baselines with the true kernel, tuned on training frames; {made} "
        "(docs/bench/deblur.json)"
    }
    gains, over_rl = [], []
    for name, per_spacing in report["results"].items():
        for j, (spacing, per_spot) in enumerate(per_spacing.items()):
            for spot, rows in per_spot.items():
                entry = {"frames": next(iter(rows.values()))["frames"]}
                entry.update({f"{m}_psnr": round(r["psnr_mean"], 2) for m, r in rows.items()})
                entry.update({f"{m}_ssim": round(r["ssim_mean"], 4) for m, r in rows.items()})
                if {"rdn", "blurred", "richardson_lucy"} <= set(rows):
                    entry["rdn_gain_db"] = round(rows["rdn"]["psnr_mean"] - rows["blurred"]["psnr_mean"], 2)
                    entry["rdn_minus_richardson_lucy_db"] = round(
                        rows["rdn"]["psnr_mean"] - rows["richardson_lucy"]["psnr_mean"], 2
                    )
                    if name == REAL and j == 0:  # the headline: full resolution, mean over the focal spots
                        gains.append(entry["rdn_gain_db"])
                        over_rl.append(entry["rdn_minus_richardson_lucy_db"])
                label = "real_DSA" if name == REAL else "phantom"
                metrics[f"{label}_{float(spacing):g}mm_px_focal_spot_{float(spot):g}mm"] = entry
    if gains:
        metrics["real_dsa_rdn_gain_db_mean"] = round(float(np.mean(gains)), 2)
        metrics["real_dsa_rdn_gain_db_min"] = round(float(np.min(gains)), 2)
        metrics["real_dsa_rdn_minus_richardson_lucy_db_min"] = round(float(np.min(over_rl)), 2)
    return {BUNDLE: metrics}


# ------------------------------------------------------------------------------------------------------ study
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py deblurring``."""
    p.add_argument("--parts", nargs="+", choices=("single", "temporal"), default=["single", "temporal"])
    p.add_argument("--spots", type=float, nargs="+", default=list(datasets.FOCAL_SPOTS_MM))
    p.add_argument(
        "--spacings",
        type=float,
        nargs="+",
        default=list(datasets.PIXEL_SPACINGS_MM),
        help="pixel spacings (mm) of the single part; the temporal part uses the first",
    )
    p.add_argument("--photons", type=float, default=datasets.PHOTONS, help="quanta per pixel at intensity 1; 0: none")
    p.add_argument("--max-frames", type=int, default=None, help="single part: at most this many test frames")
    p.add_argument("--secondary-max-frames", type=int, default=8, help="single part: test frames of the other spacings")
    p.add_argument("--phantoms", type=int, default=4, help="single part: phantom cines (2 frames each); 0: none")
    p.add_argument("--radius", type=int, default=2, help="temporal part: neighbours on each side")
    p.add_argument("--tile-size", type=int, default=None, help="temporal part: network tiles (default whole frames)")
    p.add_argument("--motion", default=None, help="temporal part: PX:DEG per frame of a synthetic camera motion")


def run(args: argparse.Namespace) -> None:
    """``scripts/bench.py deblurring``."""
    from monai_angio.inferers.deblur import load_deblur_network

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.photons < 0:
        raise SystemExit(f"--photons must be >= 0, got {args.photons}")
    photons = args.photons or None
    nets = {kind: load_deblur_network(BUNDLE, "cpu", kind) for kind in ("single", "temporal", "kernel")}
    if args.rows is not None:
        select_rows(SINGLE_ROWS + TEMPORAL_ROWS + MOTION_ROWS, args.rows)  # unknown names fail here
    for part, rows, run_part in (
        ("single", SINGLE_ROWS, lambda a: run_single(a, photons, nets["single"])),
        ("temporal", TEMPORAL_ROWS + MOTION_ROWS, lambda a: run_temporal(a, photons, nets)),
    ):
        wanted = None if args.rows is None else [r for r in args.rows if fnmatch.filter(rows, r)]
        if part in args.parts and wanted != []:  # a part is skipped when --rows names none of its rows
            run_part(argparse.Namespace(**{**vars(args), "rows": wanted}))
