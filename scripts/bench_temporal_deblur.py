# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark temporal deblurring: the RDN on each frame alone against the RDN with the frame's neighbours and kernel.

The whole held-out part of the real cerebral DSA cine (its last 30 %, 22 consecutive frames) is degraded as one cine
by the focal-spot model of the deblurring benchmark (Gaussian focal spot of 0.6, 0.9 and 1.2 mm, SOD 750 mm, SID
1100 mm, 0.154 mm pixels, Poisson noise of 20,000 quanta per pixel at intensity 1, independent per frame) and
restored by

* ``rdn``: the bundle's network on each frame alone (:func:`monai_angio.inferers.deblur.deblur_cine`);
* ``rdn_temporal_anatomy``: the network on each frame blended with its neighbours (steps 1-2 of
  :mod:`monai_angio.inferers.temporal_deblur`);
* ``rdn_temporal``: the same followed by the data-consistency step with the true kernel
  (:func:`monai_angio.inferers.temporal_deblur.temporal_deblur_cine`);
* ``temporal_net``: the bundle's temporal network (``models/model_temporal.pt``, the RDN with the mean of the
  neighbours as a second input channel, ``scripts/train_temporal_deblur.py``), no kernel needed;
* ``temporal_net_consistency``: the same followed by the data-consistency step with the true kernel;
* ``temporal_net_kernel``: the bundle's non-blind temporal network (``models/model_kernel.pt``, a third input
  channel tells it the kernel; ``--kernel-channel`` of the training script) told the true kernel, and
  ``temporal_net_kernel_consistency``, followed by the data-consistency step (rows left out when the weights are
  absent).

The consistency balances are tuned per focal-spot size on 8 consecutive training frames (not on the test frames), as
the baselines' parameters of ``bench_deblur.py``. PSNR/SSIM (data range 1) against the real frames, mean over all
frames.

With ``--motion PX:DEG`` the sharp frames are first moved by the synthetic camera motion of
``bench_strong_motion.py`` (frame ``i`` rotated by ``i DEG`` and shifted by ``i PX``, central 512² crop), and the row
``rdn_temporal_motion`` adds the temporal mode with ``global_motion="similarity"`` (neighbours resampled to each
frame's geometry); the report is then ``deblur_temporal_motion.{json,md}``.

Writes ``deblur_temporal.json``, ``deblur_temporal.md``, a per-frame PSNR plot ``deblur_temporal_psnr.png`` and a
side-by-side picture ``deblur_temporal_side_by_side.png`` into ``--out`` (default ``docs/bench``). Usage:
    python scripts/bench_temporal_deblur.py [--threads 2] [--radius 2] [--photons 20000] [--motion 2:0.2]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_deblur as bd  # noqa: E402  (paths, geometry, network loader)

from monai_angio.data.deblur import DeblurEvalDataset, load_frames  # noqa: E402
from monai_angio.inferers.deblur import deblur_cine  # noqa: E402
from monai_angio.inferers.temporal_deblur import consistency_step, temporal_anatomy  # noqa: E402
from monai_angio.metrics import plot_curves, psnr, side_by_side_png, ssim  # noqa: E402

BALANCES = (0.01, 0.03, 0.1, 0.3, 1.0)
METHODS = ("blurred", "rdn", "rdn_temporal_anatomy", "rdn_temporal", "temporal_net", "temporal_net_consistency")
TEMPORAL_WEIGHTS = bd.WEIGHTS.with_name("model_temporal.pt")
KERNEL_WEIGHTS = bd.WEIGHTS.with_name("model_kernel.pt")
#: gain columns (over the blurred frames): key of the result row -> method
GAINS = {"rdn_gain_db": "rdn", "temporal_gain_db": "rdn_temporal", "temporal_net_gain_db": "temporal_net",
         "temporal_net_consistency_gain_db": "temporal_net_consistency"}  # fmt: skip


def degrade(frames: list[np.ndarray], spot: float, spacing: float, photons: float | None, seed: int):
    """``(T, 1, H, W)`` degraded frames, ``(T, 1, H, W)`` sharp frames and the kernel."""
    ds = DeblurEvalDataset(frames, [spot], photons, pixel_spacing_mm=spacing, seed=seed, **bd.GEOMETRY)
    items = [ds[i] for i in range(len(ds))]
    return (
        torch.stack([it["image"] for it in items]),
        torch.stack([it["label"] for it in items]),
        ds.degradation.kernel(spot),
    )


def tune_balance(y: torch.Tensor, x: torch.Tensor, kernel: np.ndarray, estimate: torch.Tensor) -> float:
    """The consistency balance of ``BALANCES`` with the best mean PSNR of ``estimate`` corrected against ``x``."""
    return max(BALANCES, key=lambda b: float(psnr(consistency_step(y, estimate, kernel, b).clamp(0, 1), x, 1.0).mean()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--radius", type=int, default=2)
    ap.add_argument("--spots", type=float, nargs="+", default=[0.6, 0.9, 1.2])
    ap.add_argument("--spacing", type=float, default=0.154)
    ap.add_argument("--photons", type=float, default=2.0e4, help="0 = no added noise")
    ap.add_argument("--tile-size", type=int, default=0, help="network tiles (0: whole frames, faster on CPU)")
    ap.add_argument("--motion", default=None, help="PX:DEG per frame of a synthetic camera motion (default none)")
    ap.add_argument("--temporal-weights", type=Path, default=TEMPORAL_WEIGHTS)
    ap.add_argument("--kernel-weights", type=Path, default=KERNEL_WEIGHTS)
    ap.add_argument("--out", type=Path, default=bd.REPO / "docs" / "bench")
    args = ap.parse_args()
    if not bd.DSA.is_dir():
        raise SystemExit(f"the shared real cine is needed: {bd.DSA}")
    torch.set_num_threads(args.threads)
    photons = args.photons or None
    net = bd.load_network(bd.WEIGHTS)
    tnet = bd.load_network(args.temporal_weights, in_channels=2)
    knet = bd.load_network(args.kernel_weights, in_channels=3) if args.kernel_weights.is_file() else None
    told = ("temporal_net_kernel", "temporal_net_kernel_consistency") if knet is not None else ()
    gains = {**GAINS, **{f"{m}_gain_db": m for m in told}}
    test = load_frames(bd.DSA, part="test")
    train = load_frames(bd.DSA, part="train")
    tune = train[20:28]
    methods, name = (*METHODS, *told), "deblur_temporal"
    if args.motion:
        from bench_strong_motion import moving_cine

        px, deg = (float(v) for v in args.motion.split(":"))
        test, tune = ([f[0].numpy() for f in moving_cine(torch.from_numpy(np.stack(fr))[:, None], px, deg)]
                      for fr in (test, tune))  # fmt: skip
        motion = ("rdn_temporal_motion", "temporal_net_motion") + (("temporal_net_kernel_motion",) if told else ())
        methods, name = (*methods, *motion), "deblur_temporal_motion"
    kw = {"tile_size": args.tile_size or None, "progress": False, "input_offset": bd.INPUT_OFFSET}
    rows = []
    for spot in args.spots:
        t0 = time.time()
        y, x, kernel = degrade(tune, spot, args.spacing, photons, seed=99)
        balance, balance_net = (
            tune_balance(y, x, kernel, temporal_anatomy(y, n, args.radius, **kw)) for n in (net, tnet)
        )
        balance_told = (
            tune_balance(y, x, kernel, temporal_anatomy(y, knet, args.radius, kernel=kernel, **kw)) if told else None
        )
        y, x, kernel = degrade(test, spot, args.spacing, photons, seed=0)
        anatomy = temporal_anatomy(y, net, args.radius, **kw)
        learned = temporal_anatomy(y, tnet, args.radius, **kw)
        outputs = {
            "blurred": y,
            "rdn": deblur_cine(y, net, **kw),
            "rdn_temporal_anatomy": anatomy,
            "rdn_temporal": consistency_step(y, anatomy, kernel, balance).clamp(0, 1),
            "temporal_net": learned.clamp(0, 1),
            "temporal_net_consistency": consistency_step(y, learned, kernel, balance_net).clamp(0, 1),
        }
        if told:
            learned_told = temporal_anatomy(y, knet, args.radius, kernel=kernel, **kw)
            outputs["temporal_net_kernel"] = learned_told.clamp(0, 1)
            outputs["temporal_net_kernel_consistency"] = consistency_step(y, learned_told, kernel, balance_told)
            outputs["temporal_net_kernel_consistency"].clamp_(0, 1)
        if "rdn_temporal_motion" in methods:
            moved = temporal_anatomy(y, net, args.radius, global_motion="similarity", **kw)
            outputs["rdn_temporal_motion"] = consistency_step(y, moved, kernel, balance).clamp(0, 1)
            outputs["temporal_net_motion"] = temporal_anatomy(
                y, tnet, args.radius, global_motion="similarity", **kw
            ).clamp(0, 1)
            if told:
                outputs["temporal_net_kernel_motion"] = temporal_anatomy(
                    y, knet, args.radius, global_motion="similarity", kernel=kernel, **kw
                ).clamp(0, 1)
        row: dict[str, Any] = {"focal_spot_mm": spot, "frames": int(y.shape[0]), "balance": balance,
                               "balance_net": balance_net, "balance_kernel_net": balance_told}  # fmt: skip
        if args.motion:
            row["motion_px_deg"] = args.motion
        for m, out in outputs.items():
            p, s = psnr(out, x, 1.0), ssim(out, x, 1.0)
            row[f"{m}_psnr_mean"], row[f"{m}_psnr_std"] = float(p.mean()), float(p.std())
            row[f"{m}_ssim_mean"] = float(s.mean())
            row[f"{m}_psnr_per_frame"] = [round(float(v), 3) for v in p.flatten()]
        mid = y.shape[0] // 2  # the middle frame, for the side-by-side picture
        example = {"spot": spot, "frame": mid, "sharp": x[mid, 0], **{m: o[mid, 0] for m, o in outputs.items()}}
        row.update({key: row[f"{m}_psnr_mean"] - row["blurred_psnr_mean"] for key, m in gains.items()})
        rows.append(row)
        print(bd.progress_line(f"f={spot} mm (balance {balance})", row, methods, time.time() - t0), flush=True)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    result = {"date": date, "threads": args.threads, "radius": args.radius, "spacing_mm": args.spacing,
              "photons": photons, "geometry": bd.GEOMETRY, "rows": rows}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2))
    motion = f" moved by {args.motion} (px:deg per frame, central 512² crop)" if args.motion else ""
    labels = {"blurred": "blurred", "rdn": "RDN", "rdn_temporal_anatomy": "RDN, temporal blend only",
              "rdn_temporal": "RDN temporal", "rdn_temporal_motion": "RDN temporal + global motion",
              "temporal_net": "temporal network", "temporal_net_consistency": "temporal network + consistency",
              "temporal_net_motion": "temporal network + global motion",
              "temporal_net_kernel": "temporal network told the kernel",
              "temporal_net_kernel_consistency": "temporal network told the kernel + consistency",
              "temporal_net_kernel_motion": "temporal network told the kernel + global motion"}  # fmt: skip
    gain_labels = {"rdn": "RDN", "rdn_temporal": "temporal", "temporal_net_consistency": "+ consistency"}
    lines = [
        "# Temporal deblurring: the RDN with each frame's neighbours and the known kernel",
        "",
        f"Made by `python scripts/bench_temporal_deblur.py{' --motion ' + args.motion if args.motion else ''}` on "
        f"{date} ({args.threads} torch threads). All {rows[0]['frames'] if rows else 0} held-out frames of the real "
        f"cine{motion} degraded as one cine ({args.spacing} mm pixels, {bd._noise_text(photons)}, independent per "
        f"frame); neighbours within {args.radius} frames; consistency balance tuned on 8 training frames. PSNR (dB) "
        "mean ± std / SSIM.",
        "",
        "| focal spot (mm) | "
        + " | ".join(labels[m] for m in methods)
        + " | "
        + "".join(f"{gain_labels.get(m, labels[m])} gain (dB) | " for m in gains.values())
        + "balances |",
        "|---:|" + "---|" * len(methods) + "---:|" * (len(gains) + 1),
    ]
    for r in rows:
        cells = " | ".join(
            f"{r[f'{m}_psnr_mean']:.2f} ± {r[f'{m}_psnr_std']:.2f} / {r[f'{m}_ssim_mean']:.4f}" for m in methods
        )
        lines.append(
            f"| {r['focal_spot_mm']} | {cells} | "
            + "".join(f"{r[key]:+.2f} | " for key in gains)
            + f"{r['balance']}, {r['balance_net']}"
            + (f", {r['balance_kernel_net']}" if told else "")
            + " |"
        )
    curves = ("rdn", "rdn_temporal", "temporal_net", "temporal_net_kernel", "rdn_temporal_motion",
              "temporal_net_motion", "temporal_net_kernel_motion")  # fmt: skip
    plot_curves(
        args.out / f"{name}_psnr.png",
        {
            f"{r['focal_spot_mm']} mm": {labels[m]: r[f"{m}_psnr_per_frame"] for m in curves if m in methods}
            for r in rows
        },  # fmt: skip
        xlabel="held-out frame",
        title=f"Per-frame PSNR, held-out real frames{motion}",
    )
    h, w = example["sharp"].shape
    crop = (slice(h // 2 - 128, h // 2 + 128), slice(w // 2 - 128, w // 2 + 128))
    shown = ("blurred", "rdn", "rdn_temporal", "temporal_net", *told[:1])
    side_by_side_png(
        args.out / f"{name}_side_by_side.png",
        [example[m][crop] for m in shown] + [example["sharp"][crop]],
        [f"{labels[m]} {float(psnr(example[m][None, None], example['sharp'][None, None], 1.0)):.2f} dB" for m in shown]
        + ["sharp (real frame)"],  # fmt: skip
        value_range=(float(example["sharp"][crop].min()), float(example["sharp"][crop].max())),
    )
    lines += ["", f"Per-frame PSNR: `{name}_psnr.png`; side by side: `{name}_side_by_side.png` (held-out frame "
              f"{example['frame']}, focal spot {example['spot']} mm, central 256² crop).", ""]  # fmt: skip
    (args.out / f"{name}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / name}.json, .md and the pictures")


if __name__ == "__main__":
    main()
