# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from monai_angio.metrics import (
    FrameQualityReport,
    interpolation_error,
    plot_curves,
    psnr,
    read_frames_csv,
    side_by_side_png,
    ssim,
    summarize_frames,
    write_summary_json,
)
from monai_angio.metrics.report import FrameQuality, atomic_write


def _frames(n: int = 5, size: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(n, 1, size, size, generator=g)
    noise = torch.linspace(0.02, 0.1, n)[:, None, None, None] * torch.randn(n, 1, size, size, generator=g)
    return (target + noise).clamp(0, 1), target


def _build_report() -> tuple[FrameQualityReport, torch.Tensor, torch.Tensor]:
    pred, target = _frames()
    report = FrameQualityReport(data_range=1.0)
    for i in range(5):
        if i % 2 == 0:
            report.add(i, synthesized=False)
        else:
            report.add(i, synthesized=True, pred=pred[i, 0].numpy(), target=target[i])
    return report, pred, target


def test_rows_hold_measures_of_synthesized_frames():
    report, pred, target = _build_report()
    assert len(report) == 5
    rows = {r.frame: r for r in report.rows}
    for i in (1, 3):
        assert rows[i].synthesized
        assert rows[i].psnr == pytest.approx(psnr(pred[i], target[i], 1.0).item(), rel=1e-6)
        assert rows[i].ssim == pytest.approx(ssim(pred[i], target[i], 1.0).item(), rel=1e-6)
        assert rows[i].ie == pytest.approx(interpolation_error(pred[i], target[i], 1.0).item(), rel=1e-6)
    assert not rows[0].synthesized and math.isnan(rows[0].psnr)


def test_write_csv_png_json(tmp_path):
    report, pred, target = _build_report()
    paths = report.write(tmp_path / "out", title="test", dose_saved=0.5, method="linear")
    assert set(paths) == {"csv", "plot", "summary"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["frames.csv", "frames.png", "summary.json"]

    with paths["csv"].open(newline="") as f:
        lines = list(csv.DictReader(f))
    assert [int(r["frame"]) for r in lines] == [0, 1, 2, 3, 4]
    assert [r["kind"] for r in lines] == ["acquired", "synthesized", "acquired", "synthesized", "acquired"]
    assert lines[0]["psnr"] == "" and lines[0]["ie"] == ""
    assert float(lines[3]["psnr"]) == pytest.approx(psnr(pred[3], target[3], 1.0).item(), rel=1e-6)
    back = read_frames_csv(paths["csv"])
    assert [(r.frame, r.synthesized) for r in back] == [(r.frame, r.synthesized) for r in report.rows]
    assert back[1].ssim == pytest.approx(report.rows[1].ssim)

    summary = json.loads(paths["summary"].read_text())
    p = np.array([report.rows[1].psnr, report.rows[3].psnr])
    ie = np.array([report.rows[1].ie, report.rows[3].ie])
    assert summary["synthesized"] == 2 and summary["acquired"] == 3 and summary["frames"] == 5
    assert summary["psnr_mean"] == pytest.approx(p.mean()) and summary["psnr_std"] == pytest.approx(p.std())
    assert summary["ie_mean"] == pytest.approx(ie.mean())
    assert summary["ssim_count"] == 2 and summary["psnr_infinite"] == 0
    assert summary["dose_saved"] == 0.5 and summary["method"] == "linear" and summary["data_range"] == 1.0

    png = np.asarray(Image.open(paths["plot"]).convert("RGB")).astype(int)
    assert png.shape[0] > 100 and png.shape[1] > 100

    def has_colour(rgb):
        return bool((np.abs(png - np.array(rgb)).sum(-1) <= 6).any())

    assert has_colour((31, 119, 180))  # synthesized frames: tab:blue markers
    assert has_colour((191, 191, 191))  # acquired frames: grey vertical lines


def test_infinite_psnr_is_counted_and_json_stays_valid(tmp_path):
    x = torch.rand(1, 16, 16)
    report = FrameQualityReport(data_range=1.0)
    report.add(0, True, pred=x, target=x)
    report.add(1, True, pred=x + 0.1, target=x)
    summary = report.summary()
    assert summary["psnr_infinite"] == 1 and summary["psnr_mean"] == pytest.approx(20.0, abs=1e-4)
    path = write_summary_json(tmp_path / "s.json", {**summary, "bad": math.inf, "arr": np.arange(2)})
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    loaded = json.loads(text)
    assert loaded["bad"] is None and loaded["arr"] == [0, 1]
    report.write(tmp_path / "r")
    assert math.isinf(read_frames_csv(tmp_path / "r" / "frames.csv")[0].psnr)


def test_add_batch_and_summary_without_measures():
    pred, target = _frames(3, seed=1)
    report = FrameQualityReport(data_range=255)
    rows = report.add_batch([10, 11, 12], pred * 255, target * 255)
    assert [r.frame for r in rows] == [10, 11, 12]
    assert rows[2].ie == pytest.approx(interpolation_error(pred[2], target[2], 1.0).item(), rel=1e-4)
    empty = summarize_frames([FrameQuality(0, False)], dose_saved=0.0)
    assert empty["synthesized"] == 0 and empty["psnr_mean"] is None and empty["dose_saved"] == 0.0


def test_report_errors(tmp_path):
    report = FrameQualityReport(data_range=1.0)
    with pytest.raises(ValueError, match="no frames"):
        report.write(tmp_path)
    report.add(0, True, psnr=30.0)
    with pytest.raises(ValueError, match="already"):
        report.add(0, False)
    with pytest.raises(ValueError, match="both pred and target"):
        report.add(1, True, pred=torch.zeros(4, 4))
    with pytest.raises(ValueError, match="batch"):
        report.add(2, True, pred=torch.zeros(2, 1, 4, 4), target=torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match="clash"):
        report.summary(synthesized=3)
    with pytest.raises(TypeError):
        FrameQualityReport()


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def failing(tmp):
        tmp.write_text("partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        atomic_write(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    with pytest.raises(ValueError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "b.txt", lambda tmp: None)


def test_side_by_side_png(tmp_path):
    a = np.zeros((20, 30), np.uint16)
    b = np.full((20, 30), 4095, np.uint16)
    rgb = np.zeros((20, 30, 3), np.float32)
    rgb[..., 0] = 1.0
    path = side_by_side_png(
        tmp_path / "cmp.png", [a, torch.from_numpy(b.astype(np.float32))[None], rgb], ["a", "b", "c"]
    )
    im = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert im.shape[1] > 2 * im.shape[0]  # three panels in a row
    assert (im.sum(-1) == 0).any() and (im.min(-1) == 255).any()  # black panel a, white panel b (shared window)
    assert ((im[..., 0] > 250) & (im[..., 1] < 5) & (im[..., 2] < 5)).any()  # red RGB panel
    assert [p.name for p in tmp_path.iterdir()] == ["cmp.png"]
    with pytest.raises(ValueError, match="titles"):
        side_by_side_png(tmp_path / "x.png", [a, b], ["only one"])
    with pytest.raises(ValueError, match="image 1"):
        side_by_side_png(tmp_path / "x.png", [a, np.zeros((2, 3, 4, 5))])
    with pytest.raises(ValueError, match="empty"):
        side_by_side_png(tmp_path / "x.png", [])


def test_plot_curves(tmp_path):
    from PIL import Image

    path = plot_curves(
        tmp_path / "c.png", {"0.6 mm": {"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 2.5]}, "1.2 mm": {"a": [1, 0]}}
    )
    assert path.is_file()
    w, h = Image.open(path).size
    assert w > h > 0  # two panels side by side
    with pytest.raises(ValueError, match="at least one curve"):
        plot_curves(tmp_path / "x.png", {"empty": {}})


def test_atomic_write_uses_the_one_atomic_mechanism(tmp_path, monkeypatch):
    from monai_angio.io.atomic import PARTIAL_MARK, OutputExistsError

    seen = []
    atomic_write(tmp_path / "a.txt", lambda tmp: (seen.append(tmp.name), tmp.write_text("one")))
    assert seen[0].startswith(".a.txt" + PARTIAL_MARK) and seen[0].endswith(".txt")
    atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("two"))  # reports are rewritten by default
    assert (tmp_path / "a.txt").read_text() == "two"
    with pytest.raises(OutputExistsError, match=r"a\.txt already exists: pass --overwrite"):
        atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("three"), overwrite=False)
    assert (tmp_path / "a.txt").read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_report_write_refuses_an_existing_report_without_overwrite(tmp_path):
    from monai_angio.io.atomic import OutputExistsError

    report, _, _ = _build_report()
    paths = report.write(tmp_path / "r")
    before = {k: p.read_bytes() for k, p in paths.items()}
    with pytest.raises(OutputExistsError, match=r"frames\.csv already exists"):
        report.write(tmp_path / "r", overwrite=False)
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["frames.csv", "frames.png", "summary.json"]
    assert report.write(tmp_path / "r2", overwrite=False)["csv"].is_file()
