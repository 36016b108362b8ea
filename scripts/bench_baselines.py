# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the interpolation baselines: quality for K = 1, 2, 3 and speed at 512².

Quality: dose-reduction study (keep every (K+1)-th frame, synthesize the rest, compare with the real frames) on
the real cerebral DSA cine in ``../shared/data/dsa/cerebral_lateral_2d`` (whole cine and its last 30 %, the frames
held out of training by the learned methods) and on digital coronary phantom cines with cardiac motion.
Speed: ms per synthesized frame at 512² (K = 3, batch 1) on this machine.

Usage:
    python scripts/bench_baselines.py --out docs/bench/baselines
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from monai_angio.baselines import BASELINES, get_baseline
from monai_angio.cli import load_cine
from monai_angio.inferers import SequenceInterpolator, dose_reduction_study
from monai_angio.phantoms import AngiographyPhantom
from monai_angio.transforms import scale_bit_depth

REPO = Path(__file__).resolve().parents[1]
DSA = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"


def datasets(phantom_size: int, phantom_frames: int) -> dict[str, torch.Tensor]:
    """Name → ``(T, 1, H, W)`` float cine."""
    sets: dict[str, torch.Tensor] = {}
    if DSA.is_dir():
        cine, _ = load_cine(DSA)
        sets["real DSA (74 frames)"] = cine
        sets["real DSA, last 30 %"] = cine[int(round(0.7 * cine.shape[0])) :]
    else:
        print(f"{DSA} not found: real-data rows skipped")
    for seed in (1, 2):
        data, meta = AngiographyPhantom(
            size=(phantom_size, phantom_size),
            num_frames=phantom_frames,
            frame_rate=15.0,
            mode="coronary",
            heart_rate_bpm=75.0,
            seed=seed,
        ).generate()
        sets[f"phantom coronary seed {seed}"] = torch.from_numpy(scale_bit_depth(data, meta["bits_stored"])).unsqueeze(
            1
        )
    return sets


def speed(method: str, size: int = 512, factor: int = 3, pairs: int = 4) -> float:
    """ms per synthesized frame, batch 1, on a random-texture pair at ``size``²."""
    frames = torch.rand(pairs + 1, 1, size, size)
    interp = SequenceInterpolator(get_baseline(method), factor, batch_size=1, progress=False)
    interp(frames[:2])  # warm-up
    start = time.perf_counter()
    interp(frames)
    return 1000 * (time.perf_counter() - start) / (pairs * factor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "docs" / "bench" / "baselines"), help="output path stem")
    parser.add_argument("--phantom-size", type=int, default=256)
    parser.add_argument("--phantom-frames", type=int, default=49)
    args = parser.parse_args()
    torch.manual_seed(0)

    rows = []
    for name, cine in datasets(args.phantom_size, args.phantom_frames).items():
        for factor in (1, 2, 3):
            for method in BASELINES:
                res = dose_reduction_study(cine, get_baseline(method), factor, progress=False)
                s = res.report.summary()
                rows.append(
                    {
                        "data": name,
                        "factor": factor,
                        "method": method,
                        "frames": s["synthesized"],
                        "psnr_mean": s["psnr_mean"],
                        "psnr_std": s["psnr_std"],
                        "ssim_mean": s["ssim_mean"],
                        "ssim_std": s["ssim_std"],
                        "ie_mean": s["ie_mean"],
                    }
                )
                print(rows[-1])
    timing = {m: speed(m) for m in BASELINES}
    result = {
        "command": "python scripts/bench_baselines.py",
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}",
        "quality": rows,
        "ms_per_frame_512": timing,
    }

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    lines = [
        "| data | K | dose saved | method | synthesized frames | PSNR (dB) | SSIM | IE (grey levels /255) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['factor']} | {100 * r['factor'] / (r['factor'] + 1):.0f} % | {r['method']} | "
            f"{r['frames']} | {r['psnr_mean']:.2f} ± {r['psnr_std']:.2f} | {r['ssim_mean']:.4f} ± "
            f"{r['ssim_std']:.4f} | {r['ie_mean']:.2f} |"
        )
    lines += ["", "| method | ms per synthesized frame, 512², K = 3, batch 1 |", "|---|---|"]
    lines += [f"| {m} | {t:.1f} |" for m, t in timing.items()]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
