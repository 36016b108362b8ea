# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the row bookkeeping of scripts/bench_interpolation.py (partial re-runs, margins)."""

from __future__ import annotations

from pathlib import Path

from module_loader import load_module

REPO_ROOT = Path(__file__).resolve().parents[2]
bench = load_module("monai_angio_scripts_bench_interpolation", REPO_ROOT / "scripts" / "bench_interpolation.py")


def _row(psnr: float) -> dict:
    return {"psnr_mean": psnr, "ssim_mean": 0.9, "frames": 2}


def test_merge_rows_keeps_old_rows_and_order():
    old = {"quality": {"real": {"1": {"linear": _row(40.0), "most_dsa": _row(40.1), "dis_flow": _row(40.2)}},
                       "phantom": {"a": {"1": {"linear": _row(45.0), "most_dsa": _row(45.5)}}}}}  # fmt: skip
    new = {"quality": {"real": {"1": {"most_dsa": _row(41.0), bench.BEST: _row(41.5)}},
                       "phantom": {"a": {"1": {bench.BEST: _row(46.0)}}}}}  # fmt: skip
    bench._merge_rows(new, old)
    real = new["quality"]["real"]["1"]
    assert list(real) == ["linear", "most_dsa", "dis_flow", bench.BEST]
    assert real["most_dsa"]["psnr_mean"] == 41.0  # re-measured row replaced
    assert real["linear"]["psnr_mean"] == 40.0
    assert list(new["quality"]["phantom"]["a"]["1"]) == ["linear", "most_dsa", bench.BEST]


def test_best_row_is_ours_and_compared_with_the_same_noise_reduction():
    rows = {"linear": _row(40.0), "dis_flow": _row(40.3), "linear+window": _row(40.8),
            bench.BEST + bench.WINDOW: _row(41.0)}  # fmt: skip
    assert bench._is_ours(bench.BEST + bench.WINDOW) and not bench._is_ours("linear+window")
    assert bench._best_baseline(rows) == "dis_flow"
    assert bench._best_baseline(rows, bench._denoising(bench.BEST + bench.WINDOW)) == "linear+window"
    table = bench.markdown({"note": "n", "quality": {"real": {"1": rows}}})
    assert f"| 1 | {bench.BEST}+window | 41.000 | 0.9000 | 2 | +0.700 (dis_flow) | +0.200 (linear+window) |  |" in table


def test_quadratic_flow_is_shown_but_not_a_target_baseline():
    rows = {"linear": _row(40.0), "dis_flow": _row(40.3), bench.QUADRATIC: _row(40.6), bench.ENSEMBLE_Q: _row(40.9)}
    assert bench._best_baseline(rows) == "dis_flow" and not bench._is_ours(bench.QUADRATIC)
    table = bench.markdown({"note": "n", "quality": {"real": {"1": rows}}})
    assert f"| 1 | {bench.ENSEMBLE_Q} | 40.900 | 0.9000 | 2 | +0.600 (dis_flow) |  | +0.300 |" in table


def test_eval_metrics_of_a_report():
    rows = {"linear": _row(40.0), "dis_flow": _row(40.3), bench.OURS: _row(40.25), "_example": {}}
    metrics = bench.eval_metrics({"quality": {"real": {"1": rows}, "phantom_mean": {"2": {"dis_flow": _row(45.0)}}}})
    real = metrics["real_dsa_held_out_last_30pct"]["K=1"]
    assert real["best_baseline"] == "dis_flow" and real["frames"] == 2
    assert real["psnr"] == {"linear": 40.0, "dis_flow": 40.3, bench.OURS: 40.25}
    assert real["margin_over_best_baseline_db"] == {bench.OURS: -0.05}
    assert metrics["phantom_cardiac_motion_mean_of_4"]["K=2"]["margin_over_best_baseline_db"] == {}


def test_bundle_defaults_row_is_named_by_its_noise_reduction_and_ours():
    assert bench._defaults_row({"denoise_window": 12, "ensemble": "dis_flow"}) == bench.DEFAULTS + bench.WINDOW
    assert bench._defaults_row({"denoise_anchors": True}) == bench.DEFAULTS + bench.ANCHORS
    assert bench._defaults_row({"denoise_window": 0, "fallback": "dis_flow"}) == bench.DEFAULTS
    row = bench.DEFAULTS + bench.WINDOW
    assert bench._is_ours(row) and bench._denoising(row) == bench.WINDOW


def test_bundle_defaults_script_compares_each_default_switched_off():
    path = REPO_ROOT / "scripts" / "bench_bundle_defaults.py"
    script = load_module("monai_angio_scripts_bench_bundle_defaults", path)
    defaults = {"fallback": "dis_flow_quadratic", "global_motion": "similarity", "denoise_window": 12, "ensemble": "x"}
    runs = script.settings(defaults)
    assert runs["defaults"] == ("bundle", defaults)
    assert runs["without fallback"][1]["fallback"] is None and runs["without fallback"][1]["ensemble"] == "x"
    assert runs["without global motion"][1]["global_motion"] is None
    assert runs["dis_flow_quadratic alone"] == ("dis_flow_quadratic", {"denoise_window": 12})
    assert "dis_flow_quadratic alone" not in script.settings({**defaults, "fallback": None})
