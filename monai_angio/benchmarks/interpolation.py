# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The ``baselines`` and ``interpolation`` studies: frame interpolation in the dose-reduction protocol.

Protocol (:func:`~monai_angio.inferers.dose_reduction_study`): every ``(K + 1)``-th frame of a cine is kept, the
``K`` frames between are synthesized and compared with the real ones (PSNR/SSIM, data range 1).

* ``baselines``: the non-learned methods (repeat, linear, DIS flow, DIS flow with quadratic motion) on the whole real
  cine, its held-out last 30 % and two coronary phantom cines, K = 1, 2, 3, and their speed at 512²
  (``docs/bench/baselines.{json,md}``).
* ``interpolation``: the MoSt-DSA bundle against the baselines, each row a method with
  :class:`~monai_angio.options.InterpolationOptions` (:func:`interpolation_rows`), on the held-out real frames and
  the test phantom cines (or the validation cines, ``--cines validation``); margins over the best of repeat, linear
  and DIS flow per K; per-frame PSNR curves and a side-by-side example (``docs/bench/interpolation.{json,md}``).
  The headline row is ``most_dsa_defaults``: the bundle with the options of its ``configs/inference.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

import numpy as np
import torch

from monai_angio.options import InterpolationOptions

from . import datasets
from .report import environment, merge_rows, previous_report, select_rows, table, write_report

__all__ = ["BUNDLE", "HEADLINE", "ISSUE_BASELINES", "Row", "eval_metrics", "interpolation_rows", "margins", "measure"]

#: the interpolation bundle measured
BUNDLE = "cerebral_dsa_interpolation"
#: the baselines of the margins (the issue's): the best of them per K is the one to beat
ISSUE_BASELINES = ("repeat", "linear", "dis_flow")
#: DIS flow with quadratic motion: a baseline too, with its own margin column
QUADRATIC = "dis_flow_quadratic"
#: the rows with the bundle's recommended options
HEADLINE = "most_dsa_defaults"
#: the rows of the side-by-side example figure (a baseline, then the network)
EXAMPLE_ROWS = ("linear", "most_dsa")
#: R of the rows with the temporal-window noise reduction
WINDOW = 12


@dataclasses.dataclass(frozen=True)
class Row:
    """A row of the interpolation study: its name, the method (a baseline or a bundle) and the options."""

    name: str
    method: str
    options: InterpolationOptions = InterpolationOptions()


def interpolation_rows() -> list[Row]:
    """The rows of the ``interpolation`` study, in report order."""
    opts = InterpolationOptions
    window, quadratic = opts(denoise_window=WINDOW), opts(ensemble=QUADRATIC, denoise_window=WINDOW)
    return [
        *(Row(m, m) for m in (*ISSUE_BASELINES, QUADRATIC)),
        *(Row(f"{m}+window", m, window) for m in ("linear", "dis_flow", QUADRATIC)),
        Row("most_dsa", BUNDLE),
        Row("most_dsa+window", BUNDLE, window),
        Row("most_dsa+dis_flow_quadratic", BUNDLE, opts(ensemble=QUADRATIC)),
        Row("most_dsa+dis_flow_quadratic+window", BUNDLE, quadratic),
        Row("most_dsa_adapted", BUNDLE, opts(adapt_steps=100)),
        Row(HEADLINE, BUNDLE, opts.from_bundle(BUNDLE)),
    ]


def baseline_rows() -> list[Row]:
    """The rows of the ``baselines`` study."""
    return [Row(m, m) for m in (*ISSUE_BASELINES, QUADRATIC)]


# --------------------------------------------------------------------------------------------------- measuring
def measure(
    cines: dict[str, torch.Tensor],
    rows: list[Row],
    factors: list[int],
    device: str = "cpu",
    batch_size: int = 1,
    per_frame: bool = True,
    keep: tuple[str, ...] = (),
) -> tuple[dict, dict]:
    """Dose-reduction results of every row on every cine for every K.

    Returns:
        ``(results, kept)``: ``results[cine][str(K)][row]`` (PSNR/SSIM mean and std, IE, frames, ms per synthesized
        frame, the row's method and options, and with ``per_frame`` the synthesized frames' PSNR/SSIM), and
        ``kept[(cine, row)]`` the :class:`~monai_angio.inferers.DoseReductionResult` at the largest K of the
        rows in ``keep`` (for the figures).
    """
    from monai_angio.inferers import dose_reduction_study
    from monai_angio.inferers.methods import get_interpolator

    nets: dict[str, torch.nn.Module] = {}
    results: dict = {}
    kept: dict = {}
    for cine, frames in cines.items():
        for k in factors:
            for row in rows:
                if row.method not in nets:
                    nets[row.method] = get_interpolator(row.method, device)
                res = dose_reduction_study(
                    frames,
                    nets[row.method],
                    k,
                    options=row.options,
                    batch_size=batch_size,
                    tile_size=None,
                    progress=False,
                )
                s = res.report.summary()
                record = {
                    "method": row.method,
                    "options": row.options.as_dict(),
                    "label": row.options.label(row.method),
                }
                record.update({key: s[key] for key in ("psnr_mean", "psnr_std", "ssim_mean", "ssim_std", "ie_mean")})
                record.update(frames=s["synthesized"], ms_per_frame=1000 * res.seconds_per_frame)
                if per_frame:
                    record["per_frame"] = [
                        {"frame": r["frame"], "psnr": r["psnr"], "ssim": r["ssim"]}
                        for r in res.report.as_dicts()
                        if r["synthesized"]
                    ]
                results.setdefault(cine, {}).setdefault(str(k), {})[row.name] = record
                if k == max(factors) and row.name in keep:
                    kept[(cine, row.name)] = res
                print(f"{cine} K={k} {row.name}: PSNR {s['psnr_mean']:.3f} SSIM {s['ssim_mean']:.4f}", flush=True)
    return results, kept


def _is_ours(record: dict) -> bool:
    from monai_angio.inferers.methods import is_network_method

    return is_network_method(record["method"])


def _best(rows: dict, methods: tuple[str, ...], window: int = 0) -> str | None:
    """The row with the best PSNR among those of ``methods`` with no option but the temporal window ``window``."""
    names = [
        n
        for n, r in rows.items()
        if r["method"] in methods
        and r["options"].get("denoise_window", 0) == window
        and not any(v for k, v in r["options"].items() if k != "denoise_window")
    ]
    return max(names, key=lambda n: rows[n]["psnr_mean"]) if names else None


def margins(rows: dict) -> dict[str, dict[str, Any]]:
    """Per row of ours (a network method): PSNR margins (dB) over the best of repeat/linear/DIS flow without options
    (``best``), over the best of them with the row's temporal window (``same_window``, when that is another row) and
    over DIS flow with quadratic motion with the row's temporal window (``quadratic``)."""
    out = {}
    best = _best(rows, ISSUE_BASELINES)
    for name, r in rows.items():
        if not _is_ours(r) or best is None:
            continue
        window = r["options"]["denoise_window"]
        same, quadratic = _best(rows, ISSUE_BASELINES, window), _best(rows, (QUADRATIC,), window)
        out[name] = {
            "best": (r["psnr_mean"] - rows[best]["psnr_mean"], best),
            "same_window": (r["psnr_mean"] - rows[same]["psnr_mean"], same) if same not in (None, best) else None,
            "quadratic": r["psnr_mean"] - rows[quadratic]["psnr_mean"] if quadratic else None,
        }
    return out


def phantom_mean(results: dict) -> dict:
    """Per K and row, PSNR/SSIM over the synthesized frames of all phantom cines (rows measured on every cine)."""
    cines = [c for c in results if not c.startswith("real")]
    mean: dict = {}
    for k in results[cines[0]] if cines else []:
        for name in [n for n in results[cines[0]][k] if all(n in results[c].get(k, {}) for c in cines)]:
            per = [results[c][k][name] for c in cines]
            frames = sum(p["frames"] for p in per)
            mean.setdefault(k, {})[name] = {
                **{key: per[0][key] for key in ("method", "options", "label")},
                "psnr_mean": sum(p["psnr_mean"] * p["frames"] for p in per) / frames,
                "ssim_mean": sum(p["ssim_mean"] * p["frames"] for p in per) / frames,
                "ms_per_frame": sum(p.get("ms_per_frame", 0.0) * p["frames"] for p in per) / frames,
                "frames": frames,
            }
    return mean


def _legacy(old: dict, rows: list[Row]) -> dict:
    """A report of the ``scripts/bench_interpolation.py`` days (``quality``), with the rows still defined."""
    defined = {r.name: r for r in rows}
    quality = old.get("quality", {})
    results: dict = {}
    for cine, per_k in {"real": quality.get("real", {}), **quality.get("phantom", {})}.items():
        for k, block in per_k.items():
            for name, rec in block.items():
                if name in defined:
                    row = defined[name]
                    info = {
                        "method": row.method,
                        "options": row.options.as_dict(),
                        "label": row.options.label(row.method),
                    }
                    results.setdefault(cine, {}).setdefault(k, {})[name] = {**info, **rec}
    setup = {"cines": "test", "factors": [1, 2, 3], "phantom_size": 256, "phantom_frames": 25, "device": "cpu"}
    return {"setup": setup, "results": results, "figures": old.get("figures", [])}


def _legacy_baselines(old: dict) -> dict:
    """A report of the ``scripts/bench_baselines.py`` days (a list of rows)."""
    results: dict = {
        "quality": {},
        "speed": {"512": {m: {"ms_per_frame": v} for m, v in old.get("ms_per_frame_512", {}).items()}},
    }
    for r in old.get("quality", []):
        rec = {k: v for k, v in r.items() if k not in ("data", "factor")}
        results["quality"].setdefault(r["data"], {}).setdefault(str(r["factor"]), {})[r["method"]] = {
            **rec,
            "options": InterpolationOptions().as_dict(),
        }
    return {"setup": {"factors": [1, 2, 3], "phantom_size": 256, "phantom_frames": 49}, "results": results}


# ---------------------------------------------------------------------------------------------------- figures
def figures(results: dict, kept: dict, out: Any) -> list[str]:
    """Per cine at the largest K: per-frame PSNR/SSIM of every row, and with :data:`EXAMPLE_ROWS` measured in this
    run a side-by-side example and its error maps. Returns the file names written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from monai_angio.metrics import side_by_side_png

    written = []
    for cine, per_k in results.items():
        k = max(per_k, key=int)
        fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
        for name, r in per_k[k].items():
            x = [p["frame"] for p in r.get("per_frame", [])]
            for ax, key in zip(axes, ("psnr", "ssim"), strict=True):
                ax.plot(x, [p[key] for p in r.get("per_frame", [])], marker="o", ms=3, lw=0.8, label=name)
        axes[0].set_ylabel("PSNR (dB)")
        axes[1].set_ylabel("SSIM")
        axes[1].set_xlabel("frame index in the compared span")
        axes[0].set_title(f"{cine}: synthesized frames, K = {k}")
        axes[0].legend(fontsize="small")
        for ax in axes:
            ax.grid(alpha=0.3)
        fig.tight_layout()
        name = f"interpolation_{cine}_k{k}"
        fig.savefig(out / f"{name}_frames.png", dpi=90)
        plt.close(fig)
        written.append(f"{name}_frames.png")
        base, ours = (kept.get((cine, r)) for r in EXAMPLE_ROWS)
        if base is None or ours is None:
            continue
        synthesized = ours.synthesized.nonzero().flatten()
        idx = int(synthesized[len(synthesized) // 2])
        ref, a, b = (t[idx, 0].numpy() for t in (ours.reference, base.reconstructed, ours.reconstructed))
        err = max(float(np.abs(a - ref).max()), float(np.abs(b - ref).max()), 1e-6)
        side_by_side_png(out / f"{name}_example.png", [ref, a, b], ["real frame", "linear blend", "MoSt-DSA"])
        side_by_side_png(
            out / f"{name}_error.png",
            [np.abs(a - ref), np.abs(b - ref)],
            ["|linear - real|", "|MoSt-DSA - real|"],
            value_range=(0.0, err),
            cmap="magma",
        )
        written += [f"{name}_example.png", f"{name}_error.png"]
    return written


# --------------------------------------------------------------------------------------------------- reports
def _quality_table(block: dict) -> list[str]:
    lines = []
    for k, rows in block.items():
        m = margins(rows)
        for name, r in rows.items():
            cells = ["", "", ""]
            if name in m:
                cells[0] = "{:+.3f} ({})".format(*m[name]["best"])
                cells[1] = "{:+.3f} ({})".format(*m[name]["same_window"]) if m[name]["same_window"] else ""
                cells[2] = f"{m[name]['quadratic']:+.3f}" if m[name]["quadratic"] is not None else ""
            ms = f"{r['ms_per_frame']:.0f}" if "ms_per_frame" in r else ""
            lines.append([k, name, f"{r['psnr_mean']:.3f}", f"{r['ssim_mean']:.4f}", r["frames"], ms, *cells])
    return table(
        [
            "K",
            "row",
            "PSNR (dB)",
            "SSIM",
            "frames",
            "ms/frame",
            "margin over the best baseline (dB)",
            "margin over the best baseline with the same temporal window (dB)",
            "margin over DIS flow with quadratic motion and the same temporal window (dB)",
        ],
        lines,
        "llrrrrrrr",
    )


def interpolation_markdown(report: dict) -> str:
    """The Markdown of an ``interpolation`` report."""
    results, mean = report["results"], report.get("phantom_mean", {})
    lines = [
        "# MoSt-DSA interpolation benchmark",
        "",
        f"Made by `{report['command']}` on "
        f"{report['environment']['date']} ({report['environment']['cpu']}, {report['environment']['torch_threads']}"
        f" torch threads). {report['note']}",
        "",
    ]
    real = next((c for c in results if c.startswith("real")), None)
    heads = []
    for where, block in (("held-out real", results.get(real, {})), ("phantom mean", mean)):
        cells = [f"{m[HEADLINE]['best'][0]:+.3f}" for rows in block.values() if HEADLINE in (m := margins(rows))]
        if cells:
            heads.append(f"{where} {' / '.join(cells)} dB (K = {' / '.join(block)})")
    if heads:
        lines += [
            f"Headline: `{HEADLINE}` (the bundle with its configs/inference.json options) over the best of "
            f"{', '.join(ISSUE_BASELINES)}: {'; '.join(heads)}.",
            "",
        ]
    titles = {
        "real": "Held-out real DSA (last 30 % of the shared cine, 1024x791)",
        "real frames 26-51": "Validation real DSA (frames 26-51 of the shared cine, 1024x791)",
    }
    for title, block in (
        (titles.get(real, real), results.get(real, {})),
        ("Phantom cines with cardiac motion (mean over the cines)", mean),
    ):
        if block:
            lines += [f"## {title}", "", *_quality_table(block), ""]
    phantoms = [c for c in results if c != real]
    if phantoms:
        first = results[phantoms[0]]
        ours = [n for n, r in next(iter(first.values())).items() if _is_ours(r)]
        body = []
        for cine in phantoms:
            for k, rows in results[cine].items():
                best = _best(rows, ISSUE_BASELINES)
                cells = [f"{rows[n]['psnr_mean']:.3f}" if n in rows else "" for n in ours]
                body.append([cine, k, *cells, f"{best} {rows[best]['psnr_mean']:.3f}" if best else ""])
        lines += ["## Per phantom cine (PSNR dB)", "", *table(["cine", "K", *ours, "best baseline"], body), ""]
    labels = {n: r["label"] for per_k in results.values() for rows in per_k.values() for n, r in rows.items()}
    lines += ["## Rows", "", *table(["row", "method and options"], labels.items()), ""]
    if report.get("figures"):
        lines += ["## Figures", "", *[f"- [{f}]({f})" for f in report["figures"]], ""]
    return "\n".join(lines)


def eval_metrics(report: dict) -> dict[str, dict[str, Any]]:
    """The interpolation bundle's ``eval_metrics`` blocks from an ``interpolation`` report: per K every row's
    PSNR/SSIM, the best baseline and our rows' margins over it. Returns ``{bundle name: {key: block}}``."""
    if report["setup"]["cines"] != "test":
        raise SystemExit("the bundle's metrics come from the test cines, not from a validation report")
    blocks: dict[str, Any] = {
        "protocol": "dose reduction: every (K+1)-th frame kept, K synthesized and compared with the real frames "
        "(PSNR/SSIM, data range 1); measured by scripts/bench.py interpolation (docs/bench/interpolation.json), "
        + report["environment"]["date"],
        "headline_row": f"{HEADLINE}: the bundle with the options of its configs/inference.json",
    }
    real = next((c for c in report["results"] if c.startswith("real")), None)
    for key, block in (
        ("real_dsa_held_out_last_30pct", report["results"].get(real, {})),
        ("phantom_cardiac_motion_mean_of_4", report.get("phantom_mean", {})),
    ):
        per_k = {}
        for k, rows in block.items():
            m = margins(rows)
            per_k[f"K={k}"] = {
                "frames": next(iter(rows.values()))["frames"],
                "best_baseline": _best(rows, ISSUE_BASELINES),
                "psnr": {n: round(r["psnr_mean"], 3) for n, r in rows.items()},
                "ssim": {n: round(r["ssim_mean"], 4) for n, r in rows.items()},
                "margin_over_best_baseline_db": {n: round(v["best"][0], 3) for n, v in m.items()},
            }
        if per_k:
            blocks[key] = per_k
    return {BUNDLE: blocks}


def baselines_markdown(report: dict) -> str:
    """The Markdown of a ``baselines`` report."""
    env = report["environment"]
    body = []
    for data, per_k in report["results"]["quality"].items():
        for k, rows in per_k.items():
            for name, r in rows.items():
                body.append(
                    [
                        data,
                        k,
                        f"{100 * int(k) / (int(k) + 1):.0f} %",
                        name,
                        r["frames"],
                        f"{r['psnr_mean']:.2f} ± {r['psnr_std']:.2f}",
                        f"{r['ssim_mean']:.4f} ± {r['ssim_std']:.4f}",
                        f"{r['ie_mean']:.2f}",
                    ]
                )
    speed = [[n, f"{r['ms_per_frame']:.1f}"] for n, r in report["results"].get("speed", {}).get("512", {}).items()]
    return "\n".join(
        [
            "# Interpolation baselines",
            "",
            f"Made by `{report['command']}` on {env['date']} ({env['cpu']}, {env['torch_threads']} torch threads).",
            "",
            *table(
                [
                    "data",
                    "K",
                    "dose saved",
                    "method",
                    "synthesized frames",
                    "PSNR (dB)",
                    "SSIM",
                    "IE (grey levels /255)",
                ],
                body,
            ),
            "",
            *table(["method", "ms per synthesized frame, 512², K = 3, batch 1"], speed, "lr"),
            "",
        ]
    )


# ----------------------------------------------------------------------------------------------------- studies
def _common(args: argparse.Namespace) -> list[int]:
    if args.threads:
        torch.set_num_threads(args.threads)
    return [int(k) for k in args.factors]


def add_interpolation_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py interpolation``."""
    p.add_argument(
        "--cines",
        choices=("test", "validation"),
        default="test",
        help="test cines (report 'interpolation') or validation cines ('interpolation_validation')",
    )
    p.add_argument("--factors", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--phantom-only", action="store_true", help="skip the real cine (keep its rows of the last report)")
    p.add_argument("--phantom-size", type=int, default=256)
    p.add_argument("--phantom-frames", type=int, default=25)
    p.add_argument("--device", default="cpu")


def run_interpolation(args: argparse.Namespace) -> None:
    """``scripts/bench.py interpolation``."""
    factors = _common(args)
    all_rows = interpolation_rows()
    rows = [r for r in all_rows if r.name in select_rows([r.name for r in all_rows], args.rows)]
    name = "interpolation" if args.cines == "test" else "interpolation_validation"
    setup = {
        "cines": args.cines,
        "factors": factors,
        "phantom_size": args.phantom_size,
        "phantom_frames": args.phantom_frames,
        "device": args.device,
    }
    partial = args.rows is not None or args.phantom_only
    old = previous_report(name, args.out, setup, partial, legacy=lambda o: _legacy(o, all_rows))
    cines = datasets.interpolation_cines(args.cines, not args.phantom_only, args.phantom_size, args.phantom_frames)
    results, kept = measure(cines, rows, factors, args.device, keep=EXAMPLE_ROWS)
    results = merge_rows(results, old.get("results", {}), [r.name for r in all_rows])
    report = {
        "study": "interpolation",
        "command": args.command,
        "environment": environment(args.device),
        "setup": setup,
        "note": "Dose-reduction protocol: every (K+1)-th frame kept, the K frames between synthesized and compared "
        "with the real ones (data range 1); baselines and the network run in the same process on the same frames; "
        f"ms/frame includes every option (adaptation too). Margins are over the best of {', '.join(ISSUE_BASELINES)}.",
        "results": results,
        "phantom_mean": phantom_mean(results),
    }
    figs = figures(results, kept, args.out)
    report["figures"] = list(dict.fromkeys(figs + [f for f in old.get("figures", []) if f not in figs]))
    write_report(name, report, interpolation_markdown(report), args.out)


def add_baselines_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``scripts/bench.py baselines``."""
    p.add_argument("--factors", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--phantom-only", action="store_true", help="skip the real cine (keep its rows of the last report)")
    p.add_argument("--phantom-size", type=int, default=256)
    p.add_argument("--phantom-frames", type=int, default=49)
    p.add_argument("--skip-speed", action="store_true", help="keep the speed rows of the last report")


def speed_512(method: str, size: int = 512, factor: int = 3, pairs: int = 4) -> float:
    """ms per synthesized frame of a method, batch 1, on a random-texture cine of ``pairs + 1`` frames."""
    from monai_angio.inferers import interpolate_cine
    from monai_angio.inferers.methods import get_interpolator

    frames, net = torch.rand(pairs + 1, 1, size, size), get_interpolator(method, "cpu")
    interpolate_cine(frames[:2], net, factor, batch_size=1, progress=False)  # warm-up
    start = time.perf_counter()
    interpolate_cine(frames, net, factor, batch_size=1, progress=False)
    return 1000 * (time.perf_counter() - start) / (pairs * factor)


def run_baselines(args: argparse.Namespace) -> None:
    """``scripts/bench.py baselines``."""
    factors = _common(args)
    torch.manual_seed(0)
    all_rows = baseline_rows()
    rows = [r for r in all_rows if r.name in select_rows([r.name for r in all_rows], args.rows)]
    setup = {"factors": factors, "phantom_size": args.phantom_size, "phantom_frames": args.phantom_frames}
    partial = args.rows is not None or args.phantom_only or args.skip_speed
    old = previous_report("baselines", args.out, setup, partial, legacy=_legacy_baselines)
    cines = datasets.baseline_cines(not args.phantom_only, args.phantom_size, args.phantom_frames)
    quality, _ = measure(cines, rows, factors, batch_size=4, per_frame=False)
    results: dict = {"quality": quality}
    if not args.skip_speed:
        results["speed"] = {"512": {r.name: {"ms_per_frame": speed_512(r.method)} for r in rows}}
    results = merge_rows(results, old.get("results", {}), [r.name for r in all_rows])
    report = {
        "study": "baselines",
        "command": args.command,
        "environment": environment(),
        "setup": setup,
        "results": results,
    }
    write_report("baselines", report, baselines_markdown(report), args.out)
