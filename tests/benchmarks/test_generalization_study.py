# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the ``generalization`` study (:mod:`monai_angio.benchmarks.generalization`): its cines
(:func:`~monai_angio.benchmarks.datasets.generalization_cines`, quick versions), the summary (gains over DIS flow,
worst kind, targets), and ``scripts/bench.py generalization --quick`` into a temporary folder, with a candidate
state dict (``--weights``). The real kinds are used when ``../shared/data`` is there, else reported absent."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from module_loader import load_module

from monai_angio.benchmarks import datasets, generalization
from monai_angio.phantoms import Angiography3DPhantom

REPO_ROOT = Path(__file__).resolve().parents[2]
bench = load_module("monai_angio_scripts_bench_generalization", REPO_ROOT / "scripts" / "bench.py")

KINDS = [k.name for k in datasets.GENERALIZATION_KINDS]
ROWS = ["linear", "dis_flow", "network", "recommended"]


@pytest.fixture(scope="module")
def quick_cines() -> dict[str, torch.Tensor]:
    return datasets.generalization_cines(quick=True)


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("generalization")
    bench.main(["generalization", "--quick", "--threads", "1", "--out", str(out)])
    return out, json.loads((out / "generalization.json").read_text())


def test_kinds_are_the_six_runs_and_the_seeds_are_reserved():
    assert KINDS == [
        "rotational_phantom",
        "fixed_table_phantom",
        "coronary_phantom",
        "real_coronary",
        "real_dsa",
        "real_dsa_camera",
    ]
    assert [k.name for k in datasets.GENERALIZATION_KINDS if k.seen] == ["real_dsa", "real_dsa_camera"]
    assert datasets.GENERALIZATION_SEEDS == range(900, 1000)
    others = {p.seed for p in (*datasets.TEST_PHANTOMS, *datasets.VALIDATION_PHANTOMS, *datasets.BASELINE_PHANTOMS)}
    assert not others & set(datasets.GENERALIZATION_SEEDS)
    with pytest.raises(ValueError, match="unknown kind"):
        datasets.generalization_cine("nope", quick=True)


def test_quick_cines_shapes_ranges_and_8_bit(quick_cines: dict[str, torch.Tensor]):
    real = datasets.real_available() and datasets.REAL_CORONARY.is_file()
    assert list(quick_cines) == (KINDS if real else KINDS[:3])
    for name, cine in quick_cines.items():
        assert cine.shape == (datasets.GENERALIZATION_QUICK_FRAMES, 1, 64, 64), name
        assert cine.dtype == torch.float32 and 0.0 <= float(cine.min()) and float(cine.max()) <= 1.0, name
        levels = cine * 255.0
        assert torch.allclose(levels, levels.round(), atol=1e-3), name  # 8-bit quantised
        assert float(cine.std()) > 0.01, name  # not a blank cine
        assert float((cine[1:] - cine[:-1]).abs().mean()) > 0, name  # it changes in time
    assert datasets.generalization_cines(quick=True, kinds=["coronary_phantom"]).keys() == {"coronary_phantom"}


def test_rotational_phantom_is_seed_900_frames_50_on():
    phantom = Angiography3DPhantom("rotational", size=64, frames=133, seed=900)
    times = phantom.frame_times_s()[50:52]
    assert np.diff(times)[0] == pytest.approx(4.5 / 132)  # 1.5° of the 200° sweep per frame
    expected = datasets.quantise(torch.from_numpy(phantom.render_unit(times)).unsqueeze(1))
    assert torch.equal(datasets.generalization_cine("rotational_phantom", quick=True)[:2], expected)


def test_moving_cine_zoom_magnifies_and_zero_zoom_is_unchanged():
    frames = torch.rand(4, 1, 40, 48)
    assert torch.equal(datasets.moving_cine(frames, 1.0, 0.5, crop=16), datasets.moving_cine(frames, 1.0, 0.5, 16, 0.0))
    still = torch.zeros(3, 1, 33, 33)
    still[..., 12:21, 12:21] = 1.0  # a centred square, 9 px wide
    zoomed = datasets.moving_cine(still, 0.0, 0.0, crop=33, zoom=0.5)
    assert torch.equal(zoomed[0], still[0])
    assert float(zoomed[2].sum()) == pytest.approx(4.0 * float(still[0].sum()), rel=0.15)  # twice the side


def _row(psnr: float, frames: int = 2, seconds: float = 0.1) -> dict:
    return {"psnr_mean": psnr, "frames": frames, "s_per_frame": seconds, "label": "x"}


def test_summary_gains_worst_kind_and_targets():
    results = {
        "a": {
            "1": {"dis_flow": _row(40.0), "network": _row(40.5), "recommended": _row(41.0)},
            "2": {"dis_flow": _row(38.0), "network": _row(37.9), "recommended": _row(38.8)},
        },
        "b": {
            "1": {"dis_flow": _row(30.0), "network": _row(29.0), "recommended": _row(30.6)},
            "2": {"dis_flow": _row(28.0), "network": _row(28.2), "recommended": _row(28.6, seconds=0.3)},
        },
    }
    s = generalization.summarize(results)
    assert s["per_kind"]["a"]["network"]["gain"] == pytest.approx({"1": 0.5, "2": -0.1})
    assert s["per_kind"]["a"]["network"]["mean_gain"] == pytest.approx(0.2)
    assert s["per_kind"]["b"]["network"]["mean_gain"] == pytest.approx(-0.4)
    assert s["per_kind"]["b"]["recommended"]["s_per_frame"] == pytest.approx(0.2)
    assert s["mean_over_kinds"]["network"]["psnr"] == pytest.approx({"1": 34.75, "2": 33.05})
    assert s["mean_over_kinds"]["network"]["mean_gain"] == pytest.approx(-0.1)
    assert s["worst_kind"]["network"]["kind"] == "b" and s["worst_kind"]["network"]["mean_gain"] == pytest.approx(-0.4)
    assert s["worst_kind"]["network"]["least"] == {"kind": "b", "K": "1", "gain": pytest.approx(-1.0)}
    assert s["targets"]["network"]["met"] is False
    assert s["targets"]["recommended"]["met"] is True  # +0.9 on a, +0.6 on b: both >= +0.5
    assert s["targets"]["recommended"]["worst_kind_gain"] == pytest.approx(0.6)
    assert "dis_flow" not in s["worst_kind"] and "candidate_network" not in s["targets"]


def test_quick_study_writes_every_kind_and_row(quick_report: tuple[Path, dict]):
    out, report = quick_report
    assert report["study"] == "generalization"
    assert report["setup"] == {"quick": True, "size": 64, "device": "cpu"}
    measured = [k for k in KINDS if k not in report["absent"]]
    assert list(report["results"]) == measured and set(measured) >= set(KINDS[:3])
    assert all(k.startswith("real") for k in report["absent"])
    for kind in measured:
        assert list(report["results"][kind]) == ["1", "2", "3"]
        for rows in report["results"][kind].values():
            assert list(rows) == ROWS
            for r in rows.values():
                assert math.isfinite(r["psnr_mean"]) and 15.0 < r["psnr_mean"] < 80.0
                assert r["frames"] > 0 and r["s_per_frame"] >= 0
    assert report["results"][KINDS[0]]["1"]["recommended"]["options"]["ensemble"] == "dis_flow_quadratic"
    assert not any(report["results"][KINDS[0]]["1"]["network"]["options"].values())  # every option off
    assert set(report["summary"]["targets"]) == {"network", "recommended"}
    assert report["summary"]["mean_over_kinds"]["network"]["kinds"] == len(measured)
    md = (out / "generalization.md").read_text()
    assert "`python scripts/bench.py generalization --quick --threads 1" in md
    assert "## Gain over DIS flow per kind (dB, mean over K)" in md and "| rotational_phantom | 1 |" in md
    if "real_dsa" in measured:
        assert "real_dsa (seen cine)" in md
        # what holds at 64²: with the camera motion DIS flow beats the linear blend by far at K = 3
        rows = report["results"]["real_dsa_camera"]["3"]
        assert rows["dis_flow"]["psnr_mean"] > rows["linear"]["psnr_mean"] + 1.0


def test_candidate_weights_add_their_rows(quick_report: tuple[Path, dict], tmp_path: Path):
    from monai_angio.bundles import bundle_parser

    out, before = quick_report
    net = bundle_parser(generalization.BUNDLE)[1].get_parsed_content("network_def")
    torch.manual_seed(0)
    weights = tmp_path / "candidate.pt"
    torch.save(net.state_dict(), weights)  # randomly initialised
    argv = ["generalization", "--quick", "--threads", "1", "--out", str(out), "--weights", str(weights)]
    bench.main([*argv, "--rows", "candidate*", "--kinds", "rotational_phantom", "--factors", "1"])
    report = json.loads((out / "generalization.json").read_text())
    rows = report["results"]["rotational_phantom"]["1"]
    assert list(rows) == [*ROWS, "candidate_network", "candidate_recommended"]
    assert math.isfinite(rows["candidate_network"]["psnr_mean"])
    assert rows["candidate_recommended"]["options"] == rows["recommended"]["options"]
    assert rows["network"] == before["results"]["rotational_phantom"]["1"]["network"]  # kept from the last report
    assert report["results"]["coronary_phantom"] == before["results"]["coronary_phantom"]
    assert report["candidate"]["path"] == str(weights) and len(report["candidate"]["sha256"]) == 64
    assert "candidate_network" in report["summary"]["targets"]
    assert "| candidate_network |" in (out / "generalization.md").read_text()
    torch.save({"model": {"nope": torch.zeros(1)}}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not a state dict"):
        generalization.load_candidate(tmp_path / "bad.pt")


def test_real_kinds_are_absent_without_the_shared_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(datasets, "SHARED_CINE", tmp_path / "no_cine")
    monkeypatch.setattr(datasets, "REAL_CORONARY", tmp_path / "no_run.dcm")
    assert not datasets.generalization_available("real_dsa") and not datasets.generalization_available("real_coronary")
    assert list(datasets.generalization_cines(quick=True, kinds=["real_dsa", "coronary_phantom"])) == [
        "coronary_phantom"
    ]
    with pytest.raises(FileNotFoundError):
        datasets.generalization_cine("real_coronary", quick=True)
    kinds = ["coronary_phantom", "real_coronary", "real_dsa_camera"]
    bench.main(["generalization", "--quick", "--threads", "1", "--out", str(tmp_path), "--kinds", *kinds, "--rows",
                "linear", "dis_flow", "--factors", "1"])  # fmt: skip
    report = json.loads((tmp_path / "generalization.json").read_text())
    assert list(report["results"]) == ["coronary_phantom"]
    assert set(report["absent"]) == {"real_coronary", "real_dsa_camera"}
    md = (tmp_path / "generalization.md").read_text()
    assert "| real_coronary |" in md and "absent: ../shared/data is missing" in md
