# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the warping operators of ``monai_angio.ops``: time and peak memory, forward and backward.

Every case (operator x size x batch x backend) runs in a fresh subprocess, after a warm-up at 64² (which also
compiles the Triton kernels). A repetition is a forward pass (with autograd recording), then ``backward`` with a
random upstream gradient; repetitions go on until their total time passes ``--budget`` seconds or ``--max-reps``
(at least one). Times are medians. The first repetition also records the peak memory of each phase (the recording
costs microseconds per operator call), the peak of the tensor memory allocated during the phase above what was
allocated when it started:

- CUDA: ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``;
- CPU: the running sum of the allocation and free events of PyTorch's CPU allocator recorded by ``torch.profiler``
  (``profile_memory=True``). It counts tensors only: not memory that libraries (oneDNN, OpenMP) allocate on their
  own, nor what the C allocator keeps from the system after tensors are freed (the process's resident size can
  grow well beyond it through fragmentation).

Forward memory covers the output and the tensors saved for backward; backward memory the gradients and temporaries.
Inputs: C = 3 for the warps (softmax splatting with a metric, a 16-channel kernel for adaptive warping), C = 64
features and d = 4 for the correlation; flows uniform in [-8, 8] pixels. On a CUDA machine the PyTorch reference and
the Triton kernels are both timed; elsewhere the reference only.

Usage:
    python scripts/bench_ops.py --json docs/bench/ops.json --markdown docs/bench/ops.md
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
OPS = ("backward_warp", "forward_splat", "depth_aware_flow_projection", "adaptive_warp", "correlation")
KERNEL_OPS = OPS[1:]  # backward_warp is grid_sample in both backends
DETAILS = {
    "backward_warp": "C=3, bilinear, border",
    "forward_splat": "C=3, softmax mode",
    "depth_aware_flow_projection": "t=0.5, hole filling",
    "adaptive_warp": "C=3, 16-tap kernel",
    "correlation": "C=64, d=4 (81 channels)",
}


# ------------------------------------------------------------------------------------------------ worker (one case)
def _inputs(op: str, b: int, s: int, device: torch.device, backend: str) -> tuple[Callable[[], torch.Tensor], list]:
    from monai_angio import ops

    g = torch.Generator(device="cpu").manual_seed(0)

    def rand(*shape: int, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
        x = torch.rand(*shape, generator=g) * (high - low) + low
        return x.to(device).requires_grad_(True)

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


class _Memory:
    """Peak extra tensor memory of a phase: CUDA allocator statistics, or torch.profiler memory events on the CPU."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        if device.type == "cuda":
            self.method = "torch.cuda.max_memory_allocated"
        else:
            self.method = "torch.profiler (profile_memory=True) CPU allocator events"

    def measure(self, fn: Callable[[], object]) -> tuple[object, int]:
        """Run ``fn``; return its result and the peak of the tensor memory allocated meanwhile (bytes)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            base = torch.cuda.memory_allocated(self.device)
            result = fn()
            torch.cuda.synchronize(self.device)
            return result, torch.cuda.max_memory_allocated(self.device) - base
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            result = fn()
        events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
        events.sort(key=lambda e: e.start_ns())
        current = peak = 0
        for e in events:  # allocations are positive, frees negative
            current += e.nbytes()
            peak = max(peak, current)
        return result, peak


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_case(case: dict) -> dict:
    """Measure one case; returns the case with times (ms) and peak memory (MiB)."""
    device = torch.device(case["device"])
    if case.get("threads"):
        torch.set_num_threads(case["threads"])
    op, backend = case["op"], case["backend"]
    warm_fn, warm_inputs = _inputs(op, 1, 64, device, backend)
    warm_fn().sum().backward()
    del warm_fn, warm_inputs
    fn, inputs = _inputs(op, case["batch"], case["size"], device, backend)
    memory = _Memory(device)

    def timed(f: Callable[[], object]) -> tuple[object, float, float]:
        """``f()``, its wall time and the CPU time of the process (all threads) in ms."""
        _sync(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        result = f()
        _sync(device)
        return result, 1000 * (time.perf_counter() - start), 1000 * (time.process_time() - cpu_start)

    upstream = None
    times: dict[str, list[float]] = {"forward_ms": [], "backward_ms": [], "forward_cpu_ms": [], "backward_cpu_ms": []}
    peaks: list[int] = []
    while len(times["forward_ms"]) < case["max_reps"] and (
        not peaks or sum(times["forward_ms"]) + sum(times["backward_ms"]) < 1000 * case["budget"]
    ):
        for x in inputs:
            x.grad = None
        if not peaks:  # the first repetition also records the memory
            (out, ms_f, cpu_f), peak = memory.measure(lambda: timed(fn))
            peaks.append(peak)
        else:
            out, ms_f, cpu_f = timed(fn)
        if upstream is None:
            upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(device)
        backward = functools.partial(out.backward, upstream)
        if len(peaks) == 1:
            (_, ms_b, cpu_b), peak = memory.measure(functools.partial(timed, backward))
            peaks.append(peak)
        else:
            _, ms_b, cpu_b = timed(backward)
        del backward, out
        for key, value in zip(times, (ms_f, ms_b, cpu_f, cpu_b), strict=True):
            times[key].append(value)
    mib = 1024.0**2
    return {
        **case,
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        **{key: statistics.median(values) for key, values in times.items()},
        "forward_peak_mib": peaks[0] / mib,
        "backward_peak_mib": peaks[1] / mib,
        "reps": len(times["forward_ms"]),
        "memory_method": memory.method,
        "load_1min_at_end": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


# ------------------------------------------------------------------------------------------------ driver
def _environment(device: torch.device, threads: int) -> dict:
    env = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "device": str(device),
        "cpu_count": os.cpu_count(),
        "torch_threads": threads or torch.get_num_threads(),
    }
    try:
        import triton

        env["triton"] = triton.__version__
    except Exception:  # noqa: BLE001 - optional dependency, any import failure means absent
        env["triton"] = None
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
    else:
        cpuinfo = Path("/proc/cpuinfo")
        text = cpuinfo.read_text() if cpuinfo.exists() else ""
        names = [ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")]
        env["cpu"] = names[0] if names else platform.processor()
        if hasattr(os, "getloadavg"):
            env["load_average_1min_at_start"] = round(os.getloadavg()[0], 2)
    return env


def _markdown(report: dict) -> str:
    env = report["environment"]
    where = env.get("gpu") or env.get("cpu") or env["device"]
    lines = [
        "# Warping operators: time and peak memory",
        "",
        f"Made by `{report['command']}` on {env['date']}: {where} ({env['device']}, {env['torch_threads']} torch "
        f"threads), torch {env['torch']}, triton {env['triton'] or 'not installed'}.",
        "",
        "Each case runs in a fresh process after a warm-up at 64². A repetition is a forward pass (with autograd "
        "recording) and `backward` with a random upstream gradient; repetitions go on until "
        f"{report['budget_s']} s or {report['max_reps']} repetitions (at least one); times are medians. The first "
        "repetition also records the peak memory.",
        "",
        f"Peak memory ({report['memory_method']}) is the peak of the tensor memory allocated during the phase, above "
        "what was allocated when it started: forward = output, tensors saved for backward and temporaries; backward "
        "= input gradients and temporaries. On the CPU it counts PyTorch tensors only (not what oneDNN/OpenMP "
        "allocate on their own, nor what the C allocator keeps after tensors are freed); on CUDA it is "
        "`torch.cuda.max_memory_allocated`.",
    ]
    on_cpu = env["device"].startswith("cpu")
    if on_cpu:
        lines += [
            "",
            "Times are wall-clock, with the CPU time of the process in parentheses: the machine is shared "
            f"({env['cpu_count']} cores, 1-min load average {env.get('load_average_1min_at_start')} at the start, "
            "the `load` column at the end of each case), and with "
            f"{env['torch_threads']} torch thread(s) the CPU time is the less disturbed measure of the work "
            "(waiting for memory still counts). Times are indicative.",
        ]
    lines += [
        "",
        "| op | inputs | size | batch | backend | forward ms | backward ms | forward peak MiB | backward peak MiB "
        "| reps |" + (" load |" if on_cpu else ""),
        "|---|---|---|---|---|---:|---:|---:|---:|---:|" + ("---:|" if on_cpu else ""),
    ]
    for r in report["results"]:
        head = f"| {r['op']} | {DETAILS[r['op']]} | {r['size']}² | {r['batch']} | {r['backend']} |"
        if "error" in r:
            lines.append(f"{head} failed: {r['error']} | | | | |" + (" |" if on_cpu else ""))
            continue
        fwd, bwd = f"{r['forward_ms']:.1f}", f"{r['backward_ms']:.1f}"
        if on_cpu:
            fwd += f" ({r['forward_cpu_ms']:.1f})"
            bwd += f" ({r['backward_cpu_ms']:.1f})"
        row = f"{head} {fwd} | {bwd} | {r['forward_peak_mib']:.1f} | {r['backward_peak_mib']:.1f} | {r['reps']} |"
        lines.append(row + (f" {r.get('load_1min_at_end')} |" if on_cpu else ""))
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", nargs="+", default=list(OPS), choices=OPS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 1024])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--device", default="auto", help="'auto' (cuda when available), 'cpu' or 'cuda[:i]'")
    parser.add_argument("--backends", nargs="+", default=None, help="default: torch, plus triton on CUDA")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds of repetitions per case")
    parser.add_argument("--max-reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case before it is abandoned")
    parser.add_argument("--json", type=Path, default=REPO / "docs" / "bench" / "ops.json")
    parser.add_argument("--markdown", type=Path, default=REPO / "docs" / "bench" / "ops.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_case(json.loads(args.worker))))
        return

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    backends = args.backends
    if backends is None:
        from monai_angio.ops import triton_available

        backends = ["torch", "triton"] if device.type == "cuda" and triton_available() else ["torch"]
    command = "python scripts/bench_ops.py " + " ".join(argv if argv is not None else sys.argv[1:])
    results = []
    memory_method = None
    started = time.perf_counter()
    for op in args.ops:
        for size in args.sizes:
            for batch in args.batches:
                for backend in backends:
                    if backend == "triton" and op not in KERNEL_OPS:
                        continue
                    case = {"op": op, "size": size, "batch": batch, "backend": backend, "device": str(device),
                            "budget": args.budget, "max_reps": args.max_reps, "threads": args.threads}  # fmt: skip
                    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(case)]
                    try:
                        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, check=False)
                        if proc.returncode != 0:
                            raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "no output")
                        result = json.loads(proc.stdout.strip().splitlines()[-1])
                        memory_method = result["memory_method"]
                    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as e:
                        result = {**case, "error": str(e)[:200]}
                    results.append(result)
                    shown = {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}
                    print(json.dumps(shown), flush=True)
    report = {
        "command": command.strip(),
        "environment": _environment(device, args.threads),
        "budget_s": args.budget,
        "max_reps": args.max_reps,
        "memory_method": memory_method,
        "total_s": round(time.perf_counter() - started, 1),
        "results": results,
    }
    _write(args.json, json.dumps(report, indent=2) + "\n")
    _write(args.markdown, _markdown(report))
    print(f"wrote {args.json} and {args.markdown} in {report['total_s']} s")


if __name__ == "__main__":
    main()
