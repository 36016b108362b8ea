# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The ``ops`` study: time and peak memory of the warping operators of :mod:`monai_angio.ops`, forward and backward.

Every case (operator x size x batch x backend) runs in a fresh process (``python -m monai_angio.benchmarks.ops
CASE_JSON``). A repetition is a forward pass (with autograd recording), then ``backward`` with a random upstream
gradient. Before the timed repetitions come ``warmup`` untimed ones at the case's own size (forward *and* backward:
on CUDA the first call of each Triton kernel at a new shape compiles and tunes it, about 2 s on an H100, which a
single timed repetition would measure instead of the kernel); on the CPU a forward and backward at 64² are enough.
Then at least ``min_reps`` timed repetitions, more until ``budget`` seconds or ``max_reps``; times are medians,
``torch.cuda.synchronize()`` before and after each timed region on CUDA. The last warm-up (without warm-ups: the
first timed repetition) also records the peak memory of each phase above what was allocated when it started:

- CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``;
- CPU: the running sum of the allocation and free events of PyTorch's CPU allocator recorded by ``torch.profiler``
  (tensors only: not what oneDNN/OpenMP allocate on their own, nor what the C allocator keeps after frees).

Inputs: C = 3 for the warps (softmax splatting with a metric, a 16-channel kernel for adaptive warping), C = 64
features and d = 4 for the correlation; flows uniform in [-8, 8] pixels. On CUDA the PyTorch reference and the Triton
kernels are both timed; elsewhere the reference only.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from .report import environment, merge_rows, previous_report, run_worker, select_rows, table, write_report

__all__ = ["OPS", "run_case"]

OPS = ("backward_warp", "forward_splat", "depth_aware_flow_projection", "adaptive_warp", "correlation")
KERNEL_OPS = OPS[1:]  # backward_warp is grid_sample in both backends
DETAILS = {
    "backward_warp": "C=3, bilinear, border",
    "forward_splat": "C=3, softmax mode",
    "depth_aware_flow_projection": "t=0.5, hole filling",
    "adaptive_warp": "C=3, 16-tap kernel",
    "correlation": "C=64, d=4 (81 channels)",
}


def _inputs(op: str, b: int, s: int, device: torch.device, backend: str) -> tuple[Callable[[], torch.Tensor], list]:
    from monai_angio import ops

    g = torch.Generator(device="cpu").manual_seed(0)

    def rand(*shape: int, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
        return (torch.rand(*shape, generator=g) * (high - low) + low).to(device).requires_grad_(True)

    flow = rand(b, 2, s, s, low=-8.0, high=8.0)
    if op == "backward_warp":
        image = rand(b, 3, s, s)
        return (lambda: ops.backward_warp(image, flow)), [image, flow]
    if op == "forward_splat":
        values, metric = rand(b, 3, s, s), rand(b, 1, s, s, low=-2.0, high=2.0)
        return (lambda: ops.forward_splat(values, flow, metric, "softmax", backend=backend)), [values, flow, metric]
    if op == "depth_aware_flow_projection":
        depth = rand(b, 1, s, s, low=0.5, high=1.5)
        return (lambda: ops.depth_aware_flow_projection(flow, depth, 0.5, backend=backend)), [flow, depth]
    if op == "adaptive_warp":
        image, kernel = rand(b, 3, s, s), rand(b, 16, s, s)
        return (lambda: ops.adaptive_warp(image, flow, kernel, backend=backend)), [image, flow, kernel]
    if op == "correlation":
        f1, f2 = rand(b, 64, s, s, low=-1.0), rand(b, 64, s, s, low=-1.0)
        return (lambda: ops.correlation(f1, f2, 4, backend=backend)), [f1, f2]
    raise ValueError(f"unknown op {op!r}")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_memory(device: torch.device, fn: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``fn``; return its result and the peak of the tensor memory allocated meanwhile (bytes)."""
    if device.type == "cuda":
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        result = fn()
        _sync(device)
        return result, torch.cuda.max_memory_allocated(device) - base
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
    events = sorted(
        (e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_ns()
    )
    current = peak = 0
    for e in events:  # allocations are positive, frees negative
        current += e.nbytes()
        peak = max(peak, current)
    return result, peak


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Measure one case (``op``, ``size``, ``batch``, ``backend``, ``device``, ``warmup``, ``min_reps``,
    ``max_reps``, ``budget``, ``threads``); returns it with median times (ms) and peak memory (MiB)."""
    device = torch.device(case["device"])
    if case.get("threads"):
        torch.set_num_threads(case["threads"])
    if device.type != "cuda":  # cheap: the first call at a small size, then the timed repetitions
        small, _ = _inputs(case["op"], 1, 64, device, case["backend"])
        small().sum().backward()
    fn, inputs = _inputs(case["op"], case["batch"], case["size"], device, case["backend"])
    upstream: torch.Tensor | None = None

    def timed(f: Callable[[], Any]) -> tuple[Any, float, float]:
        """``f()``, its wall time and the CPU time of the process (all threads), ms."""
        _sync(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        result = f()
        _sync(device)
        return result, 1000 * (time.perf_counter() - start), 1000 * (time.process_time() - cpu_start)

    def repetition(measure_memory: bool) -> tuple[list[float], list[int]]:
        nonlocal upstream
        for x in inputs:
            x.grad = None
        peaks = []
        if measure_memory:
            (out, ms_f, cpu_f), peak = _peak_memory(device, lambda: timed(fn))
            peaks.append(peak)
        else:
            out, ms_f, cpu_f = timed(fn)
        if upstream is None:
            upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(device)
        backward = functools.partial(timed, functools.partial(out.backward, upstream))
        if measure_memory:
            (_, ms_b, cpu_b), peak = _peak_memory(device, backward)
            peaks.append(peak)
        else:
            _, ms_b, cpu_b = backward()
        return [ms_f, ms_b, cpu_f, cpu_b], peaks

    peaks: list[int] = []
    for i in range(case["warmup"]):  # the last one (compiled, tuned) records the memory
        peaks = repetition(i == case["warmup"] - 1)[1] or peaks
    keys = ("forward_ms", "backward_ms", "forward_cpu_ms", "backward_cpu_ms")
    times: dict[str, list[float]] = {k: [] for k in keys}
    while len(times["forward_ms"]) < case["max_reps"] and (
        len(times["forward_ms"]) < case["min_reps"]
        or sum(times["forward_ms"]) + sum(times["backward_ms"]) < 1000 * case["budget"]
    ):
        values, new_peaks = repetition(not peaks)
        peaks = peaks or new_peaks
        for k, v in zip(keys, values, strict=True):
            times[k].append(v)
    return {
        **case,
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        **{k: statistics.median(v) for k, v in times.items()},
        "forward_peak_mib": peaks[0] / 2**20,
        "backward_peak_mib": peaks[1] / 2**20,
        "reps": len(times["forward_ms"]),
        "load_1min_at_end": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def markdown(report: dict) -> str:
    """The Markdown of an ``ops`` report."""
    env, setup = report["environment"], report["setup"]
    on_cpu = not env["device"].startswith("cuda")
    where = env.get("gpu") or env.get("cpu") or env["device"]
    body = []
    for backend, per_size in report["results"].items():
        for size, per_batch in per_size.items():
            for batch, rows in per_batch.items():
                for op, r in rows.items():
                    head = [op, DETAILS[op], f"{size}²", batch, backend]
                    if "error" in r:
                        body.append([*head, f"failed: {r['error']}", "", "", "", "", *([""] if on_cpu else [])])
                        continue
                    fwd, bwd = f"{r['forward_ms']:.2f}", f"{r['backward_ms']:.2f}"
                    if on_cpu:
                        fwd, bwd = f"{fwd} ({r['forward_cpu_ms']:.1f})", f"{bwd} ({r['backward_cpu_ms']:.1f})"
                    body.append(
                        [
                            *head,
                            fwd,
                            bwd,
                            f"{r['forward_peak_mib']:.1f}",
                            f"{r['backward_peak_mib']:.1f}",
                            r["reps"],
                            *([r.get("load_1min_at_end")] if on_cpu else []),
                        ]
                    )
    lines = [
        "# Warping operators: time and peak memory",
        "",
        f"Made by `{report['command']}` on {env['date']}: {where} ({env['device']}, "
        f"{setup['threads'] or env['torch_threads']} torch threads), torch {env['torch']}, "
        f"triton {report['triton'] or 'not installed'}.",
        "",
        "Each case runs in a fresh process: "
        + (
            "a forward+backward at 64²"
            if on_cpu
            else f"{setup['warmup']} untimed forward+backward repetitions at its size"
        )
        + f", then at least {setup['min_reps']} timed repetitions (forward with autograd recording, then backward with "
        f"a random upstream gradient), more until {setup['budget']} s or {setup['max_reps']}; times are medians (ms)"
        + (", synchronized around each timed region." if not on_cpu else ".")
        + " Peak memory: the tensor memory allocated during the phase above what was allocated when it started "
        + (
            "(`torch.cuda.max_memory_allocated`)."
            if not on_cpu
            else "(torch.profiler CPU allocator events; PyTorch tensors only)."
        ),
    ]
    if on_cpu:
        lines += [
            "",
            f"Times are wall-clock, with the CPU time of the process in parentheses: the machine is shared "
            f"({env['cpu_count']} cores, 1-min load average {env.get('load_average_1min')} at the start, the "
            "`load` column at the end of each case). Times are indicative.",
        ]
    header = [
        "op",
        "inputs",
        "size",
        "batch",
        "backend",
        "forward ms",
        "backward ms",
        "forward peak MiB",
        "backward peak MiB",
        "reps",
        *(["load"] if on_cpu else []),
    ]
    return "\n".join([*lines, "", *table(header, body, "lllll" + "r" * (len(header) - 5))])


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py ops``."""
    p.add_argument("--sizes", nargs="+", type=int, default=[512, 1024], help="e.g. --sizes 128 for a quick check")
    p.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    p.add_argument("--device", default="auto", help="'auto' (cuda when available), 'cpu' or 'cuda[:i]'")
    p.add_argument("--backends", nargs="+", default=None, help="default: torch, plus triton on CUDA")
    p.add_argument("--warmup", type=int, default=None, help="untimed repetitions at the case's size (CUDA 3, CPU 0)")
    p.add_argument("--min-reps", type=int, default=None, help="timed repetitions at least (CUDA 10, CPU 1)")
    p.add_argument("--max-reps", type=int, default=None, help="timed repetitions at most (CUDA 100, CPU 5)")
    p.add_argument("--budget", type=float, default=2.0, help="seconds of timed repetitions per case")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per case before it is abandoned")


def run(args: argparse.Namespace) -> None:
    """``scripts/bench.py ops``: rows are the operators."""
    from monai_angio.ops import triton_available

    ops = select_rows(OPS, args.rows)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    env = environment(str(device))  # the load at the start
    cuda = device.type == "cuda"
    backends = args.backends or (["torch", "triton"] if cuda and triton_available() else ["torch"])
    setup = {
        "device": str(device),
        "threads": args.threads,
        "budget": args.budget,
        "warmup": args.warmup if args.warmup is not None else (3 if cuda else 0),
        "min_reps": args.min_reps or (10 if cuda else 1),
        "max_reps": args.max_reps or (100 if cuda else 5),
    }
    old = previous_report("ops", args.out, setup, args.rows is not None)
    results: dict = {}
    started = time.perf_counter()
    for op in ops:
        for size in args.sizes:
            for batch in args.batches:
                for backend in backends:
                    if backend == "triton" and op not in KERNEL_OPS:
                        continue
                    case = {"op": op, "size": size, "batch": batch, "backend": backend, **setup}
                    r = run_worker(__name__, case, args.timeout, args.threads)
                    results.setdefault(backend, {}).setdefault(str(size), {}).setdefault(str(batch), {})[op] = r
                    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}), flush=True)
    try:
        import triton

        version = triton.__version__
    except Exception:  # noqa: BLE001 - optional dependency, any import failure means absent
        version = None
    report = {
        "study": "ops",
        "command": args.command,
        "environment": env,
        "setup": setup,
        "triton": version,
        "total_s": round(time.perf_counter() - started, 1),
        "results": merge_rows(results, old.get("results", {}), OPS),
    }
    write_report("ops", report, markdown(report), args.out)


if __name__ == "__main__":  # a worker: one case
    print(json.dumps(run_case(json.loads(sys.argv[1]))))
