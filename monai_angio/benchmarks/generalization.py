# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The ``generalization`` study: frame interpolation across kinds of angiography runs.

The ``interpolation`` study holds out frames of the one real cine the shipped network trained on; this study asks
how the network does on other kinds of runs (:data:`~.datasets.GENERALIZATION_KINDS`: 3D-phantom rotational,
fixed-table and coronary runs, the held-out part of a real coronary run, and the held-out real DSA frames as they
are and under a synthetic camera motion). It is the validation harness of a retrained interpolation network:
``--weights PATH`` adds the rows ``candidate_network`` and ``candidate_recommended`` of a candidate state dict of the
bundle's network.

Protocol: :func:`~monai_angio.inferers.dose_reduction_study` at ``K = 1, 2, 3`` (every ``(K + 1)``-th frame kept,
the ``K`` frames between synthesized and compared with the real ones; PSNR with data range 1), every row in the same
process on the same frames, batch 1, whole frames. Rows (:func:`generalization_rows`): ``linear``, ``dis_flow``,
``network`` (the bundle ``cerebral_dsa_interpolation`` with every test-time option off) and ``recommended`` (the
bundle with :func:`~monai_angio.inferers.methods.recommended_options`). Per kind every row's PSNR and its gain over
DIS flow; over the kinds the mean and the worst kind, checked against the retraining targets (:data:`TARGETS`):
the network at least DIS flow on every kind, the recommended options at least DIS flow + 0.5 dB on every kind.
Report ``docs/bench/generalization.{json,md}``.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import datasets
from .interpolation import BUNDLE, Row
from .report import environment, merge_rows, previous_report, select_rows, table, write_report

__all__ = [
    "CANDIDATE",
    "FACTORS",
    "REFERENCE",
    "TARGETS",
    "add_arguments",
    "generalization_markdown",
    "generalization_rows",
    "load_candidate",
    "measure_kind",
    "run",
    "summarize",
]

#: the report's name
NAME = "generalization"
#: the method key of the candidate network (``--weights``)
CANDIDATE = "candidate"
#: the row every gain is measured against
REFERENCE = "dis_flow"
#: the default dose-reduction factors K
FACTORS = (1, 2, 3)
#: the retraining targets (issue 25): per row, the least gain over DIS flow (dB) on every kind
TARGETS = {"network": 0.0, "recommended": 0.5, "candidate_network": 0.0, "candidate_recommended": 0.5}


def generalization_rows(candidate: bool = False) -> list[Row]:
    """The rows of the study in report order.

    Args:
        candidate: add the two rows of the ``--weights`` network (method :data:`CANDIDATE`): options off and the
            bundle's recommended options.
    """
    from monai_angio.inferers.methods import recommended_options

    recommended = recommended_options(BUNDLE)
    rows = [
        Row("linear", "linear"),
        Row(REFERENCE, REFERENCE),
        Row("network", BUNDLE),
        Row("recommended", BUNDLE, recommended),
    ]
    if candidate:
        rows += [Row("candidate_network", CANDIDATE), Row("candidate_recommended", CANDIDATE, recommended)]
    return rows


def load_candidate(path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """A candidate state dict loaded into the interpolation bundle's network definition (its ``network_def``,
    same architecture config), in eval mode.

    Args:
        path: a ``torch.save``-d state dict (or a checkpoint ``{"model": state_dict, ...}``), loaded with
            ``weights_only=True``.
        device: where to put the network.

    Raises:
        ValueError: the file's tensors do not fit the bundle's network.
    """
    from monai_angio.bundles import bundle_parser

    _, parser = bundle_parser(BUNDLE)
    net = parser.get_parsed_content("network_def")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    try:
        net.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as err:
        config = parser.get("model_config")
        raise ValueError(f"{path}: not a state dict of the {BUNDLE} network (config {config!r}): {err}") from err
    return net.to(device).eval()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _warm_up(net: nn.Module) -> None:
    """One tiny interpolation, so that one-time costs stay out of the first timed row."""
    from monai_angio.inferers import dose_reduction_study

    dose_reduction_study(torch.rand(3, 1, 32, 32), net, 1, batch_size=1, progress=False)


def measure_kind(
    frames: torch.Tensor,
    rows: list[Row],
    factors: list[int],
    nets: dict[str, nn.Module],
    device: str = "cpu",
    label: str = "",
) -> dict[str, dict[str, dict[str, Any]]]:
    """Dose-reduction results of every row on one cine for every K.

    Args:
        frames: ``(T, 1, H, W)`` in [0, 1].
        rows: the rows; a row's method is built on first use into ``nets`` (the candidate must be there already).
        factors: the K.
        nets: the interpolators by method, filled as needed.
        device: where the methods run.
        label: the cine's name in the progress lines.

    Returns:
        ``results[str(K)][row]``: PSNR/SSIM mean and std, synthesized ``frames``, ``s_per_frame`` (wall time per
        synthesized frame, every option included), the row's method, options and label.
    """
    from monai_angio.inferers import dose_reduction_study
    from monai_angio.inferers.methods import get_interpolator

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for k in factors:
        for row in rows:
            if row.method not in nets:
                nets[row.method] = get_interpolator(row.method, device)
                _warm_up(nets[row.method])
            res = dose_reduction_study(
                frames, nets[row.method], k, options=row.options, batch_size=1, tile_size=None, progress=False
            )
            s = res.report.summary()
            out.setdefault(str(k), {})[row.name] = {
                "method": row.method,
                "options": row.options.as_dict(),
                "label": row.options.label(row.method),
                **{key: s[key] for key in ("psnr_mean", "psnr_std", "ssim_mean", "ssim_std")},
                "frames": s["synthesized"],
                "s_per_frame": res.seconds_per_frame,
            }
            print(
                f"  {label} K={k} {row.name}: PSNR {s['psnr_mean']:.3f} dB, {res.seconds_per_frame:.2f} s/frame",
                flush=True,
            )
    return out


# --------------------------------------------------------------------------------------------------- summary
def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(results: dict[str, dict[str, dict[str, dict[str, Any]]]]) -> dict[str, Any]:
    """Gains over :data:`REFERENCE` per kind, their mean over the kinds and the worst kind, and the targets.

    Args:
        results: ``results[kind][str(K)][row]`` with ``psnr_mean``, ``frames`` and ``s_per_frame``.

    Returns:
        ``per_kind[kind][row]``: ``gain`` per K, ``mean_gain`` (over K) and ``s_per_frame`` (over K, per
        synthesized frame); ``mean_over_kinds[row]``: ``psnr`` and ``gain`` per K (means over the kinds holding the
        row), ``mean_gain``, ``kinds``; ``worst_kind[row]``: the kind of the least ``mean_gain`` and it, and the
        least gain of any kind and K; ``targets[row]``: the target margin, the worst kind's gain and ``met``.
    """
    per_kind: dict[str, dict[str, Any]] = {}
    for kind, per_k in results.items():
        names = list(dict.fromkeys(n for rows in per_k.values() for n in rows))
        for name in names:
            ks = [k for k, rows in per_k.items() if name in rows]
            gain = {
                k: per_k[k][name]["psnr_mean"] - per_k[k][REFERENCE]["psnr_mean"] for k in ks if REFERENCE in per_k[k]
            }
            frames = sum(per_k[k][name]["frames"] for k in ks)
            seconds = sum(per_k[k][name]["s_per_frame"] * per_k[k][name]["frames"] for k in ks)
            per_kind.setdefault(kind, {})[name] = {
                "gain": gain,
                "mean_gain": _mean(list(gain.values())),
                "s_per_frame": seconds / frames if frames else None,
            }
    names = list(dict.fromkeys(n for rows in per_kind.values() for n in rows))
    mean: dict[str, Any] = {}
    worst: dict[str, Any] = {}
    for name in names:
        kinds = [kind for kind in per_kind if name in per_kind[kind]]
        ks = sorted({k for kind in kinds for k in results[kind] if name in results[kind][k]}, key=int)
        psnr = {
            k: _mean([results[c][k][name]["psnr_mean"] for c in kinds if name in results[c].get(k, {})]) for k in ks
        }
        gain = {k: _mean([per_kind[c][name]["gain"][k] for c in kinds if k in per_kind[c][name]["gain"]]) for k in ks}
        gain = {k: v for k, v in gain.items() if v is not None}
        mean[name] = {"psnr": psnr, "gain": gain, "mean_gain": _mean(list(gain.values())), "kinds": len(kinds)}
        scored = [(per_kind[c][name]["mean_gain"], c) for c in kinds if per_kind[c][name]["mean_gain"] is not None]
        cells = [(g, c, k) for c in kinds for k, g in per_kind[c][name]["gain"].items()]
        if scored and name != REFERENCE:
            g, c = min(scored)
            gk, ck, kk = min(cells)
            worst[name] = {"kind": c, "mean_gain": g, "least": {"kind": ck, "K": kk, "gain": gk}}
    targets = {
        name: {
            "margin_db": margin,
            "worst_kind_gain": worst[name]["mean_gain"],
            "kind": worst[name]["kind"],
            "met": worst[name]["mean_gain"] >= margin,
        }  # fmt: skip
        for name, margin in TARGETS.items()
        if name in worst
    }
    return {"per_kind": per_kind, "mean_over_kinds": mean, "worst_kind": worst, "targets": targets}


# --------------------------------------------------------------------------------------------------- report
def _db(value: float | None, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def _cell(psnr: float | None, gain: float | None, name: str) -> str:
    if psnr is None:
        return ""
    return _db(psnr) if name == REFERENCE or gain is None else f"{_db(psnr)} ({_db(gain, True)})"


def generalization_markdown(report: dict[str, Any]) -> str:
    """The Markdown of a ``generalization`` report: the summary (gain over DIS flow per kind, mean, worst kind,
    targets, time), PSNR per kind and K, the mean over the kinds per K, the kinds and the rows.

    Args:
        report: the report as :func:`run` writes it (``command``, ``environment``, ``note``, ``results``,
            ``summary``, optional ``candidate``, ``shapes`` and ``absent``).
    """
    env, results, summary = report["environment"], report["results"], report["summary"]
    kinds = {k.name: k for k in datasets.GENERALIZATION_KINDS}
    order = [n for n in kinds if n in results] + [n for n in results if n not in kinds]
    names = list(summary["mean_over_kinds"])
    heads = [f"{n} (seen cine)" if n in kinds and kinds[n].seen else n for n in order]
    lines = [
        "# Interpolation across kinds of angiography runs",
        "",
        f"Made by `{report['command']}` on {env['date']} ({env['cpu']}, {env['torch_threads']} torch threads). "
        f"{report['note']}",
        "",
    ]
    if report.get("candidate"):
        c = report["candidate"]
        lines += [f"Candidate weights (`candidate_*` rows): `{c['path']}` (sha256 {c['sha256'][:16]}...).", ""]
    targets = summary["targets"]
    if targets:
        said = [
            f"`{n}` worst kind {t['kind']} {_db(t['worst_kind_gain'], True)} dB "
            f"(target ≥ {t['margin_db']:+.1f} dB: {'met' if t['met'] else 'NOT met'})"
            for n, t in targets.items()
        ]
        lines += ["Targets (gain over DIS flow on every kind, mean over K): " + "; ".join(said) + ".", ""]
    body = []
    for name in names:
        if name == REFERENCE:
            continue
        per = [_db(summary["per_kind"][c].get(name, {}).get("mean_gain"), True) for c in order]
        worst = summary["worst_kind"].get(name, {})
        t = targets.get(name)
        body.append(
            [
                name,
                *per,
                _db(summary["mean_over_kinds"][name]["mean_gain"], True),
                f"{_db(worst.get('mean_gain'), True)} ({worst.get('kind', '')})" if worst else "",
                f"≥ {t['margin_db']:+.1f}: {'met' if t['met'] else 'not met'}" if t else "",
                _time(summary, name, order),
            ]
        )
    lines += [
        "## Gain over DIS flow per kind (dB, mean over K)",
        "",
        *table(
            ["row", *heads, "mean over kinds", "worst kind", "target", "s / frame"], body, "l" + "r" * (len(heads) + 4)
        ),
        "",
        "s / frame: wall time per synthesized frame (every option included), mean over the kinds and K.",
        "",
        "## PSNR per kind and K (dB; in brackets the gain over DIS flow)",
        "",
    ]
    body = []
    for kind in order:
        for k, rows in results[kind].items():
            gains = summary["per_kind"][kind]
            body.append(
                [
                    kind,
                    k,
                    *[
                        _cell(rows.get(n, {}).get("psnr_mean"), gains.get(n, {}).get("gain", {}).get(k), n)
                        for n in names
                    ],
                ]
            )
    lines += [*table(["kind", "K", *names], body, "ll" + "r" * len(names)), ""]
    mean = summary["mean_over_kinds"]
    ks = sorted({k for n in names for k in mean[n]["psnr"]}, key=int)
    body = [[k, *[_cell(mean[n]["psnr"].get(k), mean[n]["gain"].get(k), n) for n in names]] for k in ks]
    lines += ["## Mean over the kinds (dB)", "", *table(["K", *names], body, "l" + "r" * len(names)), ""]
    body = []
    for name, kind in kinds.items():
        if name in results:
            shape = report.get("shapes", {}).get(name)
            size = f"{shape[0]} x {shape[2]}x{shape[3]}" if shape else ""
            body.append([name, kind.description, size, ""])
        elif name in report.get("absent", {}):
            body.append([name, kind.description, "", f"absent: {report['absent'][name]}"])
    lines += ["## Kinds", "", *table(["kind", "cine", "frames x size", "note"], body), ""]
    labels = {n: r["label"] for per_k in results.values() for rows in per_k.values() for n, r in rows.items()}
    lines += ["## Rows", "", *table(["row", "method and options"], labels.items()), ""]
    return "\n".join(lines)


def _time(summary: dict[str, Any], name: str, order: list[str]) -> str:
    values = [summary["per_kind"][c][name]["s_per_frame"] for c in order if name in summary["per_kind"][c]]
    values = [v for v in values if v is not None]
    return f"{sum(values) / len(values):.2f}" if values else ""


# ---------------------------------------------------------------------------------------------------- study
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py generalization``."""
    names = [k.name for k in datasets.GENERALIZATION_KINDS]
    p.add_argument("--kinds", nargs="+", choices=names, default=None, help="measure only these kinds, keep the others")
    p.add_argument("--factors", nargs="+", type=int, default=list(FACTORS), help="K (default 1 2 3)")
    p.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="a candidate state dict of the bundle's network: adds rows candidate_network and candidate_recommended",
    )
    p.add_argument("--quick", action="store_true", help="9 frames of 64² per kind (tests)")
    p.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> None:
    """``scripts/bench.py generalization``."""
    if args.threads:
        torch.set_num_threads(args.threads)
    factors = [int(k) for k in args.factors]
    if any(k < 1 for k in factors):
        raise SystemExit("--factors must be >= 1")
    all_rows = generalization_rows(candidate=True)
    available = generalization_rows(candidate=args.weights is not None)
    names = select_rows([r.name for r in available], args.rows)
    rows = [r for r in available if r.name in names]
    if REFERENCE not in names and args.rows is not None:
        print(f"note: the gains need the {REFERENCE} rows of the last report", flush=True)
    nets: dict[str, nn.Module] = {}
    candidate = None
    if args.weights is not None:
        nets[CANDIDATE] = load_candidate(args.weights, args.device)
        _warm_up(nets[CANDIDATE])
        candidate = {"path": str(args.weights), "sha256": _sha256(args.weights)}
    size = datasets.GENERALIZATION_QUICK_SIZE if args.quick else datasets.GENERALIZATION_SIZE
    setup = {"quick": bool(args.quick), "size": size, "device": args.device}
    partial = args.rows is not None or args.kinds is not None or sorted(factors) != list(FACTORS)
    old = previous_report(NAME, args.out, setup, partial)
    kinds = [k.name for k in datasets.GENERALIZATION_KINDS if args.kinds is None or k.name in args.kinds]
    env = environment(args.device)
    results: dict[str, Any] = {}
    shapes: dict[str, list[int]] = dict(old.get("shapes", {}))
    absent: dict[str, str] = {}
    start = time.perf_counter()
    for i, kind in enumerate(kinds, 1):
        if not datasets.generalization_available(kind):
            absent[kind] = "../shared/data is missing"
            print(f"[{i}/{len(kinds)}] {kind}: absent (no ../shared/data), skipped", flush=True)
            continue
        t0 = time.perf_counter()
        frames = datasets.generalization_cine(kind, args.quick)
        shapes[kind] = list(frames.shape)
        print(
            f"[{i}/{len(kinds)}] {kind}: {frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[3]} "
            f"(made in {time.perf_counter() - t0:.1f} s; {time.perf_counter() - start:.0f} s since the start)",
            flush=True,
        )
        results[kind] = measure_kind(frames, rows, factors, nets, args.device, kind)
    results = merge_rows(results, old.get("results", {}), [r.name for r in all_rows])
    order = [k.name for k in datasets.GENERALIZATION_KINDS]
    results = dict(sorted(results.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    absent.update({k: v for k, v in old.get("absent", {}).items() if k not in kinds})
    absent = {k: v for k, v in absent.items() if k not in results}
    report = {
        "study": NAME,
        "command": args.command,
        "environment": env,
        "setup": setup,
        "note": "Dose-reduction protocol (every (K+1)-th frame kept, the K frames between synthesized and compared "
        "with the real ones, PSNR with data range 1), all rows in one process on the same 8-bit frames, batch 1, "
        "whole frames. The real DSA kinds are the cine the shipped network trained on (its first 70 %): seen cine. "
        "Phantom seeds 900-999 are reserved for validation.",
        "candidate": candidate or old.get("candidate"),
        "shapes": {k: v for k, v in shapes.items() if k in results},
        "absent": absent,
        "results": results,
        "summary": summarize(results),
        "seconds": time.perf_counter() - start,
    }
    write_report(NAME, report, generalization_markdown(report), args.out)
