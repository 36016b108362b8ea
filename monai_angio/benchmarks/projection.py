# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The ``projection`` study: time and peak memory of the forward projectors over a rotational sweep.

A volume of ``size``³ voxels (an ellipsoid of water-like attenuation with noise, 180 mm across, centred on the
isocenter) is projected to ``frames`` views of ``detector``² pixels (0.6 mm at 512², the same 307 mm detector at any
size; source-isocenter 750 mm, source-detector 1200 mm) along a rotational sweep of 200° (primary angle -100° to
+100°), by

* ``rtk_joseph_cpu``: RTK's Joseph projector (:func:`~monai_angio.projection.rtk_forward_project`, all measured views
  in one call), ITK threads = ``threads``;
* ``torch_cpu``: the PyTorch ray marcher (:func:`~monai_angio.projection.forward_project`, half-voxel steps), torch
  threads = ``threads``, ``views_per_call`` views per call (its ray set-up, float64 arrays for all the rays of a
  call, took about 0.9 KB per ray at 512²: one call for a whole 133 x 512² sweep would need about 30 GB);
* ``analytic_phantom_cpu``: the 3D angiography phantom's rotational DSA run
  (:class:`~monai_angio.phantoms.Angiography3DPhantom`, ``frames`` views of ``detector``² over the same 200°): whole
  frames (closed-form line integrals of the head's ellipsoids and of about 5800 vessel pieces with 2 x 2 rays per
  pixel, the DSA mask, focal-spot and detector blur, quantum noise), independent of ``size``;
* ``torch_cuda``: the same on CUDA (only with ``--device cuda``).

Every case runs in a fresh process (``python -m monai_angio.benchmarks.projection CASE_JSON``, the pattern of
:mod:`.speed`), which reports its peak resident memory (``ru_maxrss``) and the increase over its resident memory
once the volume was ready and the warm-up done (and, on CUDA, the peak of ``torch.cuda.max_memory_allocated``). One
untimed warm-up call on a 8 x 8 detector, then one timed pass over the measured views. With ``--measure-frames K <
frames`` only ``K`` views evenly spread over the sweep are projected and the time of the whole sweep is the time per
view times ``frames``, marked ``extrapolated``.

Bandwidth columns (GB/s, 1e9 bytes): ``volume_gb_s`` = reading the float32 volume once per frame / time (the bound
that no projector can beat); ``sample_gb_s`` (PyTorch rows) = 8 float32 voxel reads per trilinear sample, every
ray taking all its samples / time: the traffic of the sampler if nothing came from cache. The ratio of the latter
to the device's memory bandwidth (e.g. about 3350 GB/s on an H100 SXM) says how far a sampler-bound projector is
from the memory-bandwidth bound.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from typing import Any

import numpy as np
import torch

from .report import environment, merge_rows, previous_report, run_worker, select_rows, table, write_report

__all__ = ["ROWS", "QUICK", "geometries", "phantom", "run_case"]

ROWS = ("rtk_joseph_cpu", "torch_cpu", "analytic_phantom_cpu", "torch_cuda")

#: the ``--quick`` setting (tests): size, frames, detector
QUICK = {"size": 64, "frames": 8, "detector": 128}

#: the sweep and its C-arm
RANGE_DEG = 200.0
SOD_MM = 750.0
SID_MM = 1200.0
DETECTOR_MM = 307.2
FOV_MM = 180.0


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def phantom(size: int, seed: int = 0) -> np.ndarray:
    """A ``(size, size, size)`` float32 volume: an ellipsoid of 0.02 /mm with 10 % noise, zero outside."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    z, y, x = np.meshgrid(axis, axis, axis, indexing="ij", sparse=True)
    inside = (x / 0.9) ** 2 + (y / 0.8) ** 2 + (z / 0.95) ** 2 <= 1.0
    noise = rng.random((size, size, size), dtype=np.float32)
    return np.where(inside, 0.02 * (0.9 + 0.2 * noise), 0.0).astype(np.float32)


def geometries(frames: int, detector: int, measure_frames: int | None = None) -> list[Any]:
    """The views of the sweep (``frames`` over 200°), or ``measure_frames`` of them evenly spread over it."""
    from monai_angio.projection import CArmGeometry, rotational_sweep

    view = CArmGeometry(SOD_MM, SID_MM, (detector, detector), DETECTOR_MM / detector)
    sweep = rotational_sweep(view, -RANGE_DEG / 2, RANGE_DEG, frames, 5.0).geometries
    if measure_frames is None or measure_frames >= frames:
        return sweep
    index = np.unique(np.round(np.linspace(0, frames - 1, measure_frames)).astype(int))
    return [sweep[i] for i in index]


def _samples_per_ray(size: int) -> int:
    """Samples per ray of :func:`~monai_angio.projection.forward_project` with its default step (half a voxel)."""
    return max(1, math.ceil(math.sqrt(3.0) * size / 0.5))


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Measure one case (``row``, ``size``, ``frames``, ``detector``, ``measure_frames``, ``threads``,
    ``views_per_call``) in this (fresh) process."""
    import itk

    from monai_angio.projection import forward_project, rtk_forward_project

    threads = case["threads"]
    torch.set_num_threads(threads)
    itk.MultiThreaderBase.SetGlobalDefaultNumberOfThreads(threads)
    row, size, frames = case["row"], case["size"], case["frames"]
    device = torch.device("cuda" if row == "torch_cuda" else "cpu")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    volume_np = phantom(size)
    spacing = (FOV_MM / size,) * 3
    views = geometries(frames, case["detector"], case["measure_frames"])
    warm_views = geometries(2, 8)[:1]  # the same C-arm, 8 x 8 pixels of the same field
    if row == "rtk_joseph_cpu":

        def project(gs: list[Any]) -> None:
            rtk_forward_project(volume_np, spacing, gs)

    elif row == "analytic_phantom_cpu":
        from monai_angio.phantoms import Angiography3DPhantom

        sweep = Angiography3DPhantom("rotational", size=case["detector"], frames=frames)
        times = sweep.frame_times_s()
        angle_to_time = {round(g.primary_deg, 9): t for g, t in zip(geometries(frames, 8), times, strict=True)}
        warm_views = views[:1]

        def project(gs: list[Any]) -> None:
            sweep.render_unit([angle_to_time[round(g.primary_deg, 9)] for g in gs])

    else:
        volume = torch.from_numpy(volume_np).to(device)[None, None]
        per_call = case["views_per_call"]

        def project(gs: list[Any]) -> None:
            for start in range(0, len(gs), per_call):
                forward_project(volume, spacing, gs[start : start + per_call])

    def timed(gs: list[Any]) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        project(gs)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    timed(warm_views)  # warm-up: imports, RTK wrapping, CUDA context and kernels
    ready = _rss_mib()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds = timed(views)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    per_frame = seconds / len(views)
    out = {
        **case,
        "device": device.type,
        "frames_measured": len(views),
        "s_measured": seconds,
        "ms_per_frame": 1000 * per_frame,
        "s_per_sweep": per_frame * frames,
        "extrapolated": len(views) < frames,
        "peak_rss_mib": peak,
        "rss_at_start_mib": base,
        "peak_increase_mib": peak - ready,
        "volume_gb_s": None if row.startswith("analytic") else 4 * size**3 / per_frame / 1e9,
    }
    if row.startswith("torch"):
        out["sample_gb_s"] = case["detector"] ** 2 * _samples_per_ray(size) * 8 * 4 / per_frame / 1e9
    if device.type == "cuda":
        out["cuda_peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    return out


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None else format(value, spec)


def markdown(report: dict) -> str:
    """The Markdown of a ``projection`` report."""
    env, setup = report["environment"], report["setup"]
    size, frames, det = setup["size"], setup["frames"], setup["detector"]
    body = []
    for row, r in report["results"].items():
        if "error" in r:
            body.append([row, r.get("threads", ""), f"error: {r['error']}", *[""] * 8])
            continue
        sweep = f"{r['s_per_sweep']:.1f}" + (" (extrapolated)" if r["extrapolated"] else "")
        body.append(
            [
                row,
                r["threads"] if r["device"] == "cpu" else "",
                f"{r['frames_measured']} of {r['frames']}",
                f"{r['ms_per_frame']:.0f}",
                sweep,
                f"{r['peak_rss_mib']:.0f}",
                f"{r['peak_increase_mib']:.0f}",
                _fmt(r.get("cuda_peak_mib"), ".0f"),
                _fmt(r["volume_gb_s"], ".3g"),
                _fmt(r.get("sample_gb_s"), ".3g"),
            ]
        )
    where = env.get("gpu") or env["cpu"]
    return "\n".join(
        [
            "# Forward projection: time and memory over a rotational sweep",
            "",
            f"Made by `{report['command']}` on {env['date']} ({where}; {env['cpu_count']} cores, 1-min load average "
            f"{env.get('load_average_1min')} at the start: times are indicative). A {size}³ float32 volume "
            f"({FOV_MM:.0f} mm across) projected to {frames} views of {det}² pixels along a {RANGE_DEG:.0f}° "
            f"rotational sweep (source-isocenter {SOD_MM:.0f} mm, source-detector {SID_MM:.0f} mm, "
            f"{DETECTOR_MM / det:.2f} mm pixels). Fresh process per row; one warm-up call on an 8x8 detector, then "
            "one timed pass over the measured views (evenly spread over the sweep); s per sweep = ms per frame x "
            f"{frames}, **extrapolated** where fewer views were measured. PyTorch rows: {setup['views_per_call']} "
            "views per call. Peak RSS = the process's maximum resident memory, increase = above its resident memory "
            "once the volume was ready and the warm-up done. GB/s: volume = the volume read once per frame / time; "
            "samples = 8 float32 voxel reads per trilinear sample, every ray taking all its samples / time (see "
            "`monai_angio/benchmarks/projection.py`).",
            "",
            *table(
                [
                    "row",
                    "threads",
                    "frames measured",
                    "ms per frame",
                    "s per sweep",
                    "peak RSS (MiB)",
                    "increase (MiB)",
                    "CUDA peak (MiB)",
                    "volume GB/s",
                    "sample GB/s",
                ],
                body,
                "lrrrrrrrrr",
            ),
        ]
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py projection``."""
    p.add_argument("--size", type=int, default=256, help="voxels per side of the volume (default 256)")
    p.add_argument("--frames", type=int, default=133, help="views of the 200° sweep (default 133)")
    p.add_argument("--detector", type=int, default=512, help="detector pixels per side (default 512)")
    p.add_argument(
        "--measure-frames",
        type=int,
        default=None,
        help="project only this many views, evenly spread over the sweep, and extrapolate to --frames",
    )
    p.add_argument("--views-per-call", type=int, default=16, help="views per call of the PyTorch projector")
    p.add_argument("--device", default="cpu", help="cuda: measure the PyTorch projector on CUDA too")
    p.add_argument("--quick", action="store_true", help="64³ to 8 views of 128² (tests)")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per case before it is abandoned")


def run(args: argparse.Namespace) -> None:
    """``scripts/bench.py projection``."""
    if args.quick:
        args.size, args.frames, args.detector = QUICK["size"], QUICK["frames"], QUICK["detector"]
    for name in ("size", "frames", "detector", "views_per_call"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be >= 1")
    measure = min(args.measure_frames or args.frames, args.frames)
    threads = args.threads or os.cpu_count() or 1
    available = ROWS if args.device.startswith("cuda") else ROWS[:3]
    rows = select_rows(available, args.rows)
    env = environment(args.device)  # the load at the start
    setup = {
        "size": args.size,
        "frames": args.frames,
        "detector": args.detector,
        "measure_frames": measure,
        "threads": threads,
        "views_per_call": args.views_per_call,
        "range_deg": RANGE_DEG,
    }
    old = previous_report("projection", args.out, setup, args.rows is not None)
    results: dict = {}
    for row in rows:
        case = {"row": row, **{key: value for key, value in setup.items() if key != "range_deg"}}
        r = run_worker(__name__, case, args.timeout, threads)
        results[row] = r
        print(
            f"{row}: "
            + (r.get("error") or f"{r['ms_per_frame']:.0f} ms per frame, peak RSS {r['peak_rss_mib']:.0f} MiB"),
            flush=True,
        )
    report = {
        "study": "projection",
        "command": args.command,
        "environment": env,
        "setup": setup,
        "results": merge_rows(results, old.get("results", {}), ROWS),
    }
    write_report("projection", report, markdown(report), args.out)


if __name__ == "__main__":  # a worker: one case
    print(json.dumps(run_case(json.loads(sys.argv[1]))))
