# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark reports: ``docs/bench/<name>.json`` and ``.md``, partial re-runs, fresh-process workers.

A report is a JSON object with ``study``, ``command``, ``environment``, ``setup`` (what must match for two runs'
rows to be comparable) and ``results``: nested blocks (cine, K, focal spot, size, ...) whose innermost level maps
row names to rows (a row: a dict with at least one non-dict value). Every study re-measures only some rows in the
same way: :func:`select_rows` picks them, :func:`merge_rows` keeps the other rows of the last report.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from monai_angio.io.atomic import atomic_output

from .datasets import REPO

__all__ = [
    "OUT",
    "environment",
    "is_row",
    "load_report",
    "merge_rows",
    "previous_report",
    "run_worker",
    "select_rows",
    "table",
    "write_report",
]

#: where the reports are written
OUT = REPO / "docs" / "bench"


def environment(device: str = "cpu") -> dict[str, Any]:
    """Date, machine, library versions, threads and load of the measuring process."""
    env: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": device,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    cpuinfo = Path("/proc/cpuinfo")
    names = [
        ln.split(":", 1)[1].strip()
        for ln in (cpuinfo.read_text() if cpuinfo.exists() else "").splitlines()
        if ln.startswith("model name")
    ]
    env["cpu"] = names[0] if names else platform.processor() or platform.machine()
    if hasattr(os, "getloadavg"):
        env["load_average_1min"] = round(os.getloadavg()[0], 2)
    if device.startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return env


def is_row(value: Any) -> bool:
    """Whether a value of a results block is a row (a dict holding at least one non-dict value)."""
    return isinstance(value, dict) and any(not isinstance(v, dict) for v in value.values())


def select_rows(available: Sequence[str], wanted: Iterable[str] | None) -> list[str]:
    """The rows of ``available`` named by ``wanted`` (names or shell-style patterns; ``None``: all), in the order
    of ``available``.

    Raises:
        SystemExit: a name or pattern matching no row, listing the rows.
    """
    if wanted is None:
        return list(available)
    wanted = list(wanted)
    unknown = [w for w in wanted if not fnmatch.filter(available, w)]
    if unknown:
        raise SystemExit(f"unknown rows {unknown}; rows: {', '.join(available)}")
    return [r for r in available if any(fnmatch.fnmatchcase(r, w) for w in wanted)]


def merge_rows(new: dict, old: dict, known: Iterable[str] | None = None) -> dict:
    """``new`` results with the rows of ``old`` (a previous report's results) that ``new`` does not hold.

    Blocks are merged recursively; a row of ``new`` replaces the same row of ``old`` whole. Rows keep the order of
    ``old``, new rows come after them. With ``known`` (the rows the study defines, in its order) the rows of ``old``
    not in it are dropped and the rows of each block are put in its order.
    """
    known = None if known is None else list(known)
    merged: dict = {}
    for key in [*old, *(k for k in new if k not in old)]:
        if key in new and (key not in old or is_row(new[key]) or not isinstance(old[key], dict)):
            merged[key] = new[key]
        elif isinstance(old[key], dict) and not is_row(old[key]):
            merged[key] = merge_rows(new.get(key, {}), old[key], known)
        elif known is None or key in known:
            merged[key] = old[key]
    if known is not None and merged and all(is_row(v) for v in merged.values()):
        merged = dict(sorted(merged.items(), key=lambda kv: known.index(kv[0]) if kv[0] in known else len(known)))
    return merged


def load_report(name: str, out: Path = OUT) -> dict[str, Any]:
    """The last report ``out/<name>.json``, or ``{}``."""
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def previous_report(
    name: str, out: Path, setup: dict[str, Any], partial: bool, legacy: Callable[[dict], dict] | None = None
) -> dict[str, Any]:
    """The last report ``out/<name>.json``, whose rows a partial run keeps (``{}`` for a full run).

    Args:
        name, out: the report.
        setup: this run's setup; the last report's must be the same.
        partial: whether this run measures only some rows.
        legacy: converts a report without ``setup`` (an older layout) to the current one.

    Raises:
        SystemExit: the last report was measured with another setup (its rows are not comparable).
    """
    old = load_report(name, out) if partial else {}
    if old and "setup" not in old and legacy is not None:
        old = legacy(old)
    if old and old.get("setup") != setup:
        raise SystemExit(
            f"{out / name}.json was measured with {old.get('setup')}, this run with {setup}: measure every row "
            "(no --rows) or write elsewhere (--out)."
        )
    return old


def _write(path: Path, text: str) -> None:
    with atomic_output(path, overwrite=True, parents=True) as tmp:
        tmp.write_text(text)


def write_report(name: str, report: dict[str, Any], markdown: str, out: Path = OUT) -> None:
    """Write ``out/<name>.json`` and ``out/<name>.md`` (each atomically, replacing the last report)."""
    _write(out / f"{name}.json", json.dumps(report, indent=2, allow_nan=False) + "\n")
    _write(out / f"{name}.md", markdown.rstrip("\n") + "\n")
    print(f"wrote {out / name}.json and .md", flush=True)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None) -> list[str]:
    """A Markdown table; ``align`` has one character per column, ``l`` or ``r`` (default: all left)."""
    align = align or "l" * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def run_worker(module: str, case: dict[str, Any], timeout: float = 3600.0, threads: int | None = None) -> dict:
    """Run ``python -m module CASE_JSON`` in a fresh process and return the JSON object it prints last, or the case
    with an ``error``."""
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    cmd = [sys.executable, "-m", module, json.dumps(case)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO, check=False)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no output")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as e:
        return {**case, "error": str(e)[:300]}
