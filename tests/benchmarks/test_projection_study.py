# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the ``projection`` study (:mod:`monai_angio.benchmarks.projection`): the sweep subset, and
``scripts/bench.py projection --quick`` into a temporary folder (two fresh worker processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from module_loader import load_module

from monai_angio.benchmarks import projection

REPO_ROOT = Path(__file__).resolve().parents[2]
bench = load_module("monai_angio_scripts_bench_projection", REPO_ROOT / "scripts" / "bench.py")


def test_geometries_spread_the_measured_views_over_the_sweep():
    full = projection.geometries(133, 16)
    assert len(full) == 133
    assert full[0].primary_deg == pytest.approx(-100.0) and full[-1].primary_deg == pytest.approx(100.0)
    part = projection.geometries(133, 16, 16)
    assert len(part) == 16
    assert part[0].primary_deg == pytest.approx(-100.0) and part[-1].primary_deg == pytest.approx(100.0)
    assert part[0].detector_shape == (16, 16) and part[0].pixel_mm == pytest.approx(projection.DETECTOR_MM / 16)
    assert projection.geometries(8, 16, 100) == projection.geometries(8, 16)


def test_phantom_is_a_float32_ellipsoid():
    vol = projection.phantom(16)
    assert vol.shape == (16, 16, 16) and vol.dtype.name == "float32"
    assert vol[0, 0, 0] == 0.0 and 0.018 <= vol[8, 8, 8] <= 0.022


@pytest.mark.slow
def test_quick_study_writes_the_report(tmp_path: Path):
    bench.main(["projection", "--quick", "--threads", "1", "--measure-frames", "4", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "projection.json").read_text())
    assert report["study"] == "projection"
    assert report["setup"]["size"] == 64 and report["setup"]["frames"] == 8 and report["setup"]["detector"] == 128
    # no torch_cuda row without --device cuda
    assert list(report["results"]) == ["rtk_joseph_cpu", "torch_cpu", "analytic_phantom_cpu"]
    for row, r in report["results"].items():
        assert "error" not in r, (row, r)
        assert r["frames_measured"] == 4 and r["extrapolated"] is True and r["threads"] == 1
        assert r["ms_per_frame"] > 0 and r["s_per_sweep"] == pytest.approx(r["ms_per_frame"] * 8 / 1000)
        assert r["peak_rss_mib"] > 0
        assert (r["volume_gb_s"] is None) == (row == "analytic_phantom_cpu")
    assert "sample_gb_s" in report["results"]["torch_cpu"]
    assert "sample_gb_s" not in report["results"]["rtk_joseph_cpu"]
    md = (tmp_path / "projection.md").read_text()
    assert "`python scripts/bench.py projection --quick" in md and "(extrapolated)" in md
    assert "| rtk_joseph_cpu | 1 | 4 of 8 |" in md
