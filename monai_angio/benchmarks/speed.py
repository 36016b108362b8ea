# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The ``speed`` study: ms per frame and peak resident memory of the bundles' networks and the deblurring baselines.

Every case (row x frame size x threads) runs in a fresh process (``python -m monai_angio.benchmarks.speed
CASE_JSON``), which reports its peak resident memory (``ru_maxrss``) and the increase over its resident memory once
the model and input were ready. One untimed call, then ``reps`` timed ones; ``ms`` is the best and
``ms_median`` the median.

Rows:

* ``most_dsa_small``, ``most_dsa_paper``: the MoSt-DSA network of the interpolation bundle (``small``: the shipped
  configuration; ``paper``: the paper's), one pair at K = 3 (one backbone pass, three head passes), batch 1, ms per
  synthesized frame; random weights with non-zero output convolutions (the cost of trained weights);
* ``rdn_whole``, ``rdn_tile_512``: the deblurring bundle's network on a whole frame / in 512-pixel tiles, ms per
  frame;
* ``rdn_train_step``: one Adam step of the RDN on the paper's batch (128 patches of 40x40; independent of the frame
  size: measured at the first size only), ms per step;
* ``richardson_lucy_30``, ``wiener``, ``unsharp``: the deconvolution baselines (30 iterations, a 9x9 kernel).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .report import environment, merge_rows, previous_report, run_worker, select_rows, table, write_report

__all__ = ["ROWS", "run_case"]

ROWS = (
    "most_dsa_small",
    "most_dsa_paper",
    "rdn_whole",
    "rdn_tile_512",
    "rdn_train_step",
    "richardson_lucy_30",
    "wiener",
    "unsharp",
)


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _case(row: str, size: int, device: torch.device) -> tuple[Callable[[], Any], int]:
    """The call of a row and the frames it makes per call."""
    from monai_angio.baselines.deconvolution import richardson_lucy, unsharp_mask, wiener_deconvolution

    x = (torch.rand(1, 1, size, size) * 0.3 + 0.5).to(device)
    kernel = np.ones((9, 9)) / 81.0
    if row.startswith("most_dsa"):
        from monai_angio.networks import MoStDSA

        torch.manual_seed(0)
        net = MoStDSA(row.removeprefix("most_dsa_")).to(device).eval()
        for conv in (net.head.out, net.refiner.out):  # non-zero outputs, as trained weights
            torch.nn.init.normal_(conv.weight, std=0.01)
        f1, t = torch.rand_like(x), torch.tensor([[0.25, 0.5, 0.75]], device=device)
        return torch.inference_mode()(lambda: net(x, f1, t)), 3
    if row == "rdn_train_step":
        from monai_angio.networks import RDNDeblur

        net = RDNDeblur().to(device).train()
        opt = torch.optim.Adam(net.parameters(), 1e-4)
        patches, targets = torch.rand(128, 1, 40, 40, device=device), torch.rand(128, 1, 40, 40, device=device)

        def step() -> None:
            loss = (net(patches) - targets).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        return step, 1
    if row.startswith("rdn"):
        from monai_angio.inferers.deblur import load_deblur_network
        from monai_angio.inferers.frame_deblur import deblur_cine

        net, offset = load_deblur_network("cerebral_dsa_deblurring", device)
        tile = 512 if row == "rdn_tile_512" else None
        return (lambda: deblur_cine(x, net, tile_size=tile, progress=False, input_offset=offset)), 1
    calls = {
        "richardson_lucy_30": lambda: richardson_lucy(x, kernel, 30),
        "wiener": lambda: wiener_deconvolution(x, kernel, 0.01),
        "unsharp": lambda: unsharp_mask(x, 1.0, 1.0),
    }
    return calls[row], 1


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Measure one case (``row``, ``size``, ``threads``, ``reps``, ``device``) in this (fresh) process."""
    torch.set_num_threads(case["threads"])
    device = torch.device(case["device"])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    fn, frames = _case(case["row"], case["size"], device)
    ready = _rss_mib()

    def call() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return 1000 * (time.perf_counter() - start) / frames

    call()  # warm-up
    times = [call() for _ in range(case["reps"])]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        **case,
        "ms": min(times),
        "ms_median": float(np.median(times)),
        "peak_rss_mib": peak,
        "rss_at_start_mib": base,
        "peak_increase_mib": peak - ready,
    }


def markdown(report: dict) -> str:
    """The Markdown of a ``speed`` report."""
    env = report["environment"]
    body = []
    for size, per_threads in report["results"].items():
        for threads, rows in per_threads.items():
            for row, r in rows.items():
                if "error" in r:
                    body.append([row, f"{size}²", threads, f"error: {r['error']}", "", "", "", ""])
                    continue
                body.append(
                    [
                        row,
                        f"{size}²",
                        threads,
                        f"{r['ms']:.0f}",
                        f"{r['ms_median']:.0f}",
                        f"{r['peak_rss_mib']:.0f}",
                        f"{r['peak_increase_mib']:.0f}",
                        r["reps"],
                    ]
                )
    return "\n".join(
        [
            "# Speed and memory of the networks",
            "",
            f"Made by `{report['command']}` on {env['date']} ({env.get('gpu') or env['cpu']}, "
            f"{report['setup']['device']}; "
            f"{env['cpu_count']} cores, 1-min load average {env.get('load_average_1min')} at the start: times are "
            "indicative). Fresh process per case; one untimed call, then the repetitions. ms per synthesized frame "
            "(most_dsa: one pair at K = 3, batch 1), per frame (deblurring) or per training step (rdn_train_step); "
            "peak RSS = the process's maximum resident memory, increase = above its resident memory once the model and "
            "input were ready.",
            "",
            *table(
                ["row", "size", "threads", "ms (best)", "ms (median)", "peak RSS (MiB)", "increase (MiB)", "reps"],
                body,
                "llrrrrrr",
            ),
        ]
    )


def eval_metrics(report: dict) -> dict[str, dict[str, Any]]:
    """The bundles' speed blocks of ``eval_metrics`` from a ``speed`` report (CPU runs): the interpolation bundle's
    ``speed_K3_batch1`` and the deblurring bundle's ``speed_<row>_<size>px`` at the most threads measured."""
    interp: dict[str, Any] = {}
    deblur: dict[str, Any] = {}
    for size, per_threads in report["results"].items():
        for threads, rows in sorted(per_threads.items(), key=lambda kv: int(kv[0])):
            for row, r in rows.items():
                if "error" in r:
                    continue
                if row.startswith("most_dsa"):
                    key = f"{row.removeprefix('most_dsa_')}_{size}px_{threads}thread"
                    interp[key] = {"ms_per_frame": round(r["ms"]), "peak_rss_mb": round(r["peak_rss_mib"])}
                elif row != "rdn_train_step":
                    deblur[f"speed_{row}_{size}px"] = {
                        "ms_per_frame": round(r["ms_median"]),
                        "peak_rss_mib": round(r["peak_rss_mib"]),
                        "threads": int(threads),
                    }
    env = report["environment"]
    note = (
        f"{env['cpu']}, {env['cpu_count']} cores, load {env.get('load_average_1min')}: indicative; ms per "
        f"synthesized frame, best of repeats; scripts/bench.py speed, {env['date']}"
    )
    out: dict[str, dict[str, Any]] = {}
    if interp:
        out["cerebral_dsa_interpolation"] = {"speed_K3_batch1": interp, "speed_note": note}
    if deblur:
        out["cerebral_dsa_deblurring"] = deblur
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py speed``."""
    p.add_argument("--sizes", nargs="+", type=int, default=[512, 1024])
    p.add_argument("--thread-counts", nargs="+", type=int, default=[1, 2], help="torch threads of the cases")
    p.add_argument("--reps", type=int, default=3, help="timed calls per case (the paper config at 1024²: at most 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per case before it is abandoned")


def run(args: argparse.Namespace) -> None:
    """``scripts/bench.py speed``."""
    rows = select_rows(ROWS, args.rows)
    env = environment(args.device)  # the load at the start
    setup = {"device": args.device}
    old = previous_report("speed", args.out, setup, args.rows is not None)
    results: dict = {}
    for size in args.sizes:
        for threads in args.thread_counts:
            for row in rows:
                if row == "rdn_train_step" and size != args.sizes[0]:  # independent of the frame size
                    continue
                reps = min(args.reps, 2) if row == "most_dsa_paper" and size >= 1024 else args.reps
                case = {"row": row, "size": size, "threads": threads, "reps": reps, "device": args.device}
                r = run_worker(__name__, case, args.timeout, threads)
                results.setdefault(str(size), {}).setdefault(str(threads), {})[row] = r
                print(
                    f"{row} {size}² {threads} thread(s): "
                    + (r.get("error") or f"{r['ms']:.0f} ms, peak RSS {r['peak_rss_mib']:.0f} MiB"),
                    flush=True,
                )
    report = {
        "study": "speed",
        "command": args.command,
        "environment": env,
        "setup": setup,
        "results": merge_rows(results, old.get("results", {}), ROWS),
    }
    write_report("speed", report, markdown(report), args.out)


if __name__ == "__main__":  # a worker: one case
    print(json.dumps(run_case(json.loads(sys.argv[1]))))
