# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the benchmark harness (``scripts/bench.py``, :mod:`monai_angio.benchmarks`) and of
``scripts/update_bundle_metadata.py``: row bookkeeping and partial re-runs, the dataset definitions on tiny phantoms,
the interpolation margins, the operator timing loop and the bundle-metadata update. No real-data run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from module_loader import load_module

from monai_angio.benchmarks import datasets, deblurring, interpolation, ops, speed
from monai_angio.benchmarks.report import merge_rows, previous_report, select_rows
from monai_angio.options import InterpolationOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
bench = load_module("monai_angio_scripts_bench", REPO_ROOT / "scripts" / "bench.py")
update = load_module("monai_angio_scripts_update_bundle_metadata", REPO_ROOT / "scripts" / "update_bundle_metadata.py")


def _row(psnr: float, method: str = "linear", **options) -> dict:
    opts = InterpolationOptions(**options)
    return {
        "psnr_mean": psnr,
        "ssim_mean": 0.9,
        "frames": 2,
        "method": method,
        "options": opts.as_dict(),
        "label": opts.label(method),
    }


def test_merge_rows_keeps_the_rows_not_measured_in_the_study_order():
    old = {
        "real": {"1": {"most_dsa": _row(40.1), "linear": _row(40.0), "gone": _row(1.0)}},
        "a": {"1": {"linear": _row(45.0), "most_dsa": _row(45.5)}},
    }
    new = {"a": {"1": {"most_dsa": _row(46.0), "dis_flow": _row(45.2)}}}
    merged = merge_rows(new, old, ["linear", "dis_flow", "most_dsa"])
    assert list(merged) == ["real", "a"]
    assert list(merged["real"]["1"]) == ["linear", "most_dsa"]  # the unknown row dropped, the study's order
    assert list(merged["a"]["1"]) == ["linear", "dis_flow", "most_dsa"]
    assert merged["a"]["1"]["most_dsa"]["psnr_mean"] == 46.0  # re-measured: replaced whole
    assert merged["a"]["1"]["linear"]["psnr_mean"] == 45.0
    assert list(merge_rows(new, old)["real"]["1"]) == ["most_dsa", "linear", "gone"]  # no study rows: all kept


def test_select_rows_names_patterns_and_unknown_names():
    rows = ["linear", "most_dsa", "most_dsa+window"]
    assert select_rows(rows, None) == rows
    assert select_rows(rows, ["most_dsa*", "linear"]) == rows
    assert select_rows(rows, ["most_dsa"]) == ["most_dsa"]
    with pytest.raises(SystemExit, match="unknown rows"):
        select_rows(rows, ["nope"])


def test_previous_report_needs_the_same_setup_and_converts_old_reports(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"setup": {"a": 1}, "results": {}}))
    assert previous_report("x", tmp_path, {"a": 1}, partial=False) == {}
    assert previous_report("x", tmp_path, {"a": 1}, partial=True)["setup"] == {"a": 1}
    with pytest.raises(SystemExit, match="measured with"):
        previous_report("x", tmp_path, {"a": 2}, partial=True)
    rows = [
        interpolation.Row("linear", "linear"),
        interpolation.Row("most_dsa+window", "b", InterpolationOptions(denoise_window=12)),
    ]
    old = {
        "quality": {
            "real": {"1": {"linear": {"psnr_mean": 40.0}, "most_dsa+anchors": {"psnr_mean": 41.0}}},
            "phantom": {"c": {"1": {"most_dsa+window": {"psnr_mean": 45.0}}}},
        }
    }
    (tmp_path / "interpolation.json").write_text(json.dumps(old))
    setup = interpolation._legacy({}, rows)["setup"]
    converted = previous_report("interpolation", tmp_path, setup, True, lambda o: interpolation._legacy(o, rows))
    assert list(converted["results"]["real"]["1"]) == ["linear"]  # a row no longer defined is dropped
    assert converted["results"]["c"]["1"]["most_dsa+window"]["options"]["denoise_window"] == 12


def test_margins_over_the_best_baseline_with_and_without_the_temporal_window():
    net = "cerebral_dsa_interpolation"
    rows = {
        "linear": _row(40.0),
        "dis_flow": _row(40.3, "dis_flow"),
        "linear+window": _row(40.8, denoise_window=12),
        "dis_flow_quadratic+window": _row(40.7, "dis_flow_quadratic", denoise_window=12),
        "most_dsa": _row(40.25, net),
        "most_dsa_defaults": _row(41.0, net, denoise_window=12, ensemble="dis_flow_quadratic"),
    }
    m = interpolation.margins(rows)
    assert set(m) == {"most_dsa", "most_dsa_defaults"}
    assert m["most_dsa"]["best"] == pytest.approx((-0.05, "dis_flow")) and m["most_dsa"]["same_window"] is None
    assert m["most_dsa_defaults"]["same_window"] == pytest.approx((0.2, "linear+window"))
    assert m["most_dsa_defaults"]["quadratic"] == pytest.approx(0.3)
    report = {
        "command": "c",
        "environment": {"date": "d", "cpu": "c", "torch_threads": 1},
        "note": "n",
        "results": {"real": {"1": rows}},
        "phantom_mean": {},
    }
    text = interpolation.interpolation_markdown(report)
    assert (
        "Headline: `most_dsa_defaults` (the bundle with its configs/inference.json options) over the best of " in text
    )
    assert "held-out real +0.700 dB (K = 1)" in text
    table = interpolation._quality_table({"1": rows})
    assert (
        "| 1 | most_dsa_defaults | 41.000 | 0.9000 | 2 |  | +0.700 (dis_flow) | +0.200 (linear+window) | +0.300 |"
        in (table)
    )


def test_interpolation_rows_define_the_headline_from_the_bundle():
    rows = {r.name: r for r in interpolation.interpolation_rows()}
    assert {
        "repeat",
        "linear",
        "dis_flow",
        "dis_flow_quadratic",
        "most_dsa",
        "dis_flow_quadratic+window",
        "most_dsa+dis_flow_quadratic+window",
        interpolation.HEADLINE,
    } <= set(rows)
    assert rows[interpolation.HEADLINE].options == InterpolationOptions.from_bundle(interpolation.BUNDLE)
    assert rows["most_dsa"].options == InterpolationOptions()


def test_dataset_definitions_on_tiny_phantoms():
    assert [p.seed for p in datasets.TEST_PHANTOMS] == [500, 501, 502, 503]
    assert [p.name for p in datasets.VALIDATION_PHANTOMS] == [
        "coronary_s600",
        "coronary_s601",
        "coronary_s602",
        "dsa_motion_s603",
    ]
    assert datasets.TEST_PHANTOMS[3].kwargs() == {
        "mode": "dsa",
        "frame_rate": 7.5,
        "heart_rate_bpm": 80.0,
        "motion_amplitude": 0.02,
    }
    cines = datasets.interpolation_cines("validation", real=False, phantom_size=32, phantom_frames=5)
    assert list(cines) == [p.name for p in datasets.VALIDATION_PHANTOMS]
    for cine in cines.values():
        assert cine.shape == (5, 1, 32, 32) and cine.dtype == torch.float32 and 0 <= cine.min() <= cine.max() <= 1
    baselines = datasets.baseline_cines(real=False, phantom_size=32, phantom_frames=4)
    assert list(baselines) == ["phantom coronary seed 1", "phantom coronary seed 2"]
    moved = datasets.moving_cine(torch.rand(3, 1, 40, 48), 1.0, 0.5, crop=16)
    assert moved.shape == (3, 1, 16, 16)
    frames = [np.random.default_rng(0).random((32, 32), dtype=np.float32) for _ in range(2)]
    blurred, sharp, kernel = datasets.degrade(frames, 1.2, 0.154, datasets.PHOTONS, seed=0)
    assert blurred.shape == sharp.shape == (2, 1, 32, 32) and kernel.ndim == 2
    assert torch.equal(sharp[:, 0], torch.from_numpy(np.stack(frames)))


@pytest.mark.skipif(not datasets.real_available(), reason="the shared real cine is absent")
def test_real_cine_parts():
    assert datasets.real_part("all").shape[0] == 74
    assert datasets.real_part("test").shape[0] == 22 and datasets.real_part("validation").shape[0] == 26
    assert len(datasets.real_frames("train")) == 52


def test_measure_a_baseline_on_a_tiny_phantom():
    cine = datasets.phantom_cine(datasets.TEST_PHANTOMS[0], size=32, num_frames=5)
    results, kept = interpolation.measure({"p": cine}, [interpolation.Row("linear", "linear")], [1], keep=("linear",))
    row = results["p"]["1"]["linear"]
    assert row["frames"] == 2 and row["method"] == "linear" and len(row["per_frame"]) == 2
    assert np.isfinite(row["psnr_mean"]) and kept[("p", "linear")].factor == 1
    mean = interpolation.phantom_mean(results)
    assert mean["1"]["linear"]["psnr_mean"] == pytest.approx(row["psnr_mean"])


def test_ops_case_warms_up_and_repeats():
    case = {
        "op": "backward_warp",
        "size": 16,
        "batch": 1,
        "backend": "torch",
        "device": "cpu",
        "warmup": 2,
        "min_reps": 3,
        "max_reps": 5,
        "budget": 0.0,
        "threads": 1,
    }
    r = ops.run_case(case)
    assert r["reps"] == 3 and r["forward_ms"] > 0 and r["backward_ms"] > 0 and r["forward_peak_mib"] >= 0


def test_temporal_deblurring_rows_on_a_tiny_cine():
    from monai_angio.networks import RDNDeblur

    torch.manual_seed(0)
    nets = {
        kind: (RDNDeblur(c, 1, num_features=8, num_blocks=1, num_layers=1, growth_rate=4).eval(), 0.6)
        for kind, c in (("single", 1), ("temporal", 2), ("kernel", 3))
    }
    frames = [np.random.default_rng(i).random((32, 32), dtype=np.float32) * 0.3 + 0.5 for i in range(4)]
    y, x, kernel = datasets.degrade(frames, 0.9, 0.154, datasets.PHOTONS, seed=0)
    tune = datasets.degrade(frames, 0.9, 0.154, datasets.PHOTONS, seed=99)
    recipes = deblurring.temporal_outputs(y, kernel, tune, nets, radius=1, tile_size=None)
    assert set(recipes) == set(deblurring.TEMPORAL_ROWS + deblurring.MOTION_ROWS)
    assert recipes["blurred"]() is y
    out, balance = recipes["temporal_net_kernel_consistency"]()
    assert out.shape == y.shape and balance in deblurring.BALANCES and 0 <= out.min() <= out.max() <= 1
    assert recipes["temporal_net_kernel"]().shape == recipes["rdn"]().shape == y.shape


def _interpolation_report() -> dict:
    rows = {
        "linear": _row(40.0),
        "dis_flow": _row(40.3, "dis_flow"),
        "most_dsa": _row(40.5, "cerebral_dsa_interpolation"),
    }
    return {
        "study": "interpolation",
        "setup": {"cines": "test"},
        "environment": {"date": "today"},
        "results": {"real": {"1": rows}},
        "phantom_mean": {"1": rows},
    }


def test_update_bundle_metadata_writes_eval_metrics_into_a_copy(tmp_path):
    meta = tmp_path / "metadata.json"
    shutil.copy(REPO_ROOT / "bundles" / "cerebral_dsa_interpolation" / "configs" / "metadata.json", meta)
    before = json.loads(meta.read_text())
    report = tmp_path / "interpolation.json"
    report.write_text(json.dumps(_interpolation_report()))
    update.main([str(report), "--metadata", str(meta)])
    after = json.loads(meta.read_text())
    real = after["eval_metrics"]["real_dsa_held_out_last_30pct"]["K=1"]
    assert real["best_baseline"] == "dis_flow" and real["margin_over_best_baseline_db"] == {"most_dsa": 0.2}
    assert "scripts/bench.py interpolation" in after["eval_metrics"]["protocol"]
    assert after["version"] == before["version"] and "speed_K3_batch1" in after["eval_metrics"]  # the rest is kept
    with pytest.raises(SystemExit, match="validation"):
        update.bundle_blocks({**_interpolation_report(), "setup": {"cines": "validation"}})


def test_deblurring_and_speed_bundle_metrics():
    per = {
        "blurred": {"psnr_mean": 38.0, "ssim_mean": 0.9},
        "temporal_net_kernel": {"psnr_mean": 42.5, "ssim_mean": 0.95},
        "rdn_temporal": {"psnr_mean": 42.0, "ssim_mean": 0.95, "balance": 0.1},
    }
    report = {
        "study": "deblurring",
        "part": "temporal",
        "name": "deblur_temporal",
        "environment": {"date": "d"},
        "setup": {"motion": None, "spacing": 0.154, "photons": 2e4, "radius": 2},
        "results": {"0.6": per},
    }
    block = deblurring.eval_metrics(report)["cerebral_dsa_deblurring"]["temporal_deblurring"]["focal_spot_0.6mm"]
    assert block["temporal_net_kernel_gain_db"] == 4.5 and block["rdn_temporal_balance"] == 0.1
    r = {"ms": 10.0, "ms_median": 12.0, "peak_rss_mib": 100.0}
    report = {
        "study": "speed",
        "environment": {"date": "d", "cpu": "c", "cpu_count": 2},
        "results": {"512": {"1": {"most_dsa_small": r}, "2": {"rdn_whole": r, "rdn_train_step": r}}},
    }
    blocks = speed.eval_metrics(report)
    assert blocks["cerebral_dsa_interpolation"]["speed_K3_batch1"] == {
        "small_512px_1thread": {"ms_per_frame": 10, "peak_rss_mb": 100}
    }
    assert blocks["cerebral_dsa_deblurring"] == {
        "speed_rdn_whole_512px": {"ms_per_frame": 12, "peak_rss_mib": 100, "threads": 2}
    }


def test_bench_command_line_lists_the_studies(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(study in out for study in bench.STUDIES)
