# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.engines.workflows (padding inferer, cine interpolation to files, evaluation protocol)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from torch import nn

from monai_angio.baselines import LinearInterpolator
from monai_angio.engines import InterpolationInferer, evaluate_interpolation
from monai_angio.io import load_sequence, write_frames
from monai_angio.metrics import psnr


class _StrideCheck(nn.Module):
    """Linear blend that insists on sizes divisible by 8 (like a real network)."""

    stride = 8

    def forward(self, f0, f1, t):
        assert f0.shape[-1] % 8 == 0 and f0.shape[-2] % 8 == 0
        return LinearInterpolator()(f0, f1, t)


@pytest.fixture
def cine_dir(tmp_path):
    rng = np.random.default_rng(0)
    frames = (rng.random((9, 20, 27)) * 255).astype(np.uint8)
    write_frames(tmp_path / "cine", frames, 8)
    return tmp_path / "cine", frames.astype(np.float64) / 255.0


def test_inferer_pads_and_crops():
    f0, f1 = torch.rand(1, 1, 13, 21), torch.rand(1, 1, 13, 21)
    t = torch.tensor([[0.25, 0.75]])
    out = InterpolationInferer()(f0, _StrideCheck(), f1, t)
    assert out.shape == (1, 2, 1, 13, 21)
    torch.testing.assert_close(out, LinearInterpolator()(f0, f1, t))
    with pytest.raises(ValueError, match="frame1, t"):
        InterpolationInferer()(f0, _StrideCheck(), f1)


def test_evaluation_protocol_writes_per_frame_and_per_sequence_csv(cine_dir, tmp_path):
    folder, ref = cine_dir
    summary = evaluate_interpolation(LinearInterpolator(), tmp_path / "eval", cines=[folder], holdout_fraction=None)
    # 9 frames: N=1 -> tuples at 0, 2, 4, 6 (4 frames); N=2 -> 0, 3 (4 frames); N=3 -> 0, 4 (6 frames)
    assert {n: v["frames"] for n, v in summary["per_N"].items()} == {"1": 4, "2": 4, "3": 6}
    with (tmp_path / "eval" / "per_frame.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 14
    first = rows[0]
    assert (first["sequence"], first["N"], first["k"], float(first["t"])) == ("cine", "1", "1", 0.5)
    expected = psnr(torch.from_numpy((ref[0] + ref[2]) / 2), torch.from_numpy(ref[1]), 1.0).item()
    assert float(first["psnr"]) == pytest.approx(expected, abs=1e-3)
    with (tmp_path / "eval" / "per_sequence.csv").open() as f:
        seq = list(csv.DictReader(f))
    assert [(r["sequence"], r["N"], r["frames"]) for r in seq] == [
        ("cine", "1", "4"),
        ("cine", "2", "4"),
        ("cine", "3", "6"),
    ]
    saved = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert saved["per_N"]["3"]["psnr_mean"] == pytest.approx(np.mean([float(r["psnr"]) for r in rows if r["N"] == "3"]))


def test_evaluation_on_the_held_out_span_only(cine_dir, tmp_path):
    folder, _ = cine_dir
    # 9 frames, 30 % held out -> frames 6..8: only N = 1 fits
    summary = evaluate_interpolation(LinearInterpolator(), tmp_path / "e", cines=[folder], holdout_fraction=0.3)
    assert list(summary["per_N"]) == ["1"] and summary["per_N"]["1"]["frames"] == 1
    with pytest.raises(ValueError, match="cines and/or"):
        evaluate_interpolation(LinearInterpolator(), tmp_path / "e")


def test_evaluator_pieces_load_infer_save(cine_dir, tmp_path):
    from monai.data import DataLoader, Dataset, decollate_batch

    from monai_angio.engines import CineInterpolationInferer
    from monai_angio.transforms import LoadCined, SaveCined

    folder, ref = cine_dir
    ds = Dataset(
        [{"image": str(folder)}, {"image": [str(folder / "0000.png"), str(folder / "0001.png")]}],
        LoadCined(min_frames=2),
    )
    assert ds[0]["image"].shape == (1, 9, 20, 27) and ds[0]["image"].meta["bits_stored"] == 8
    kw = {"factor": 2, "output_postfix": "interpolated", "folder_postfix": False}  # as the bundle's inference.json
    saver = SaveCined(output_dir=tmp_path / "out", output_format="auto", subfolder=True, **kw)
    written = []
    for batch in DataLoader(ds, batch_size=1):
        pred = CineInterpolationInferer(factor=2)(batch["image"], _StrideCheck())
        assert pred.shape[:3] == (1, 1, (batch["image"].shape[2] - 1) * 3 + 1)
        item = decollate_batch({"image": batch["image"], "pred": pred})[0]
        written.append(saver(item)["pred_path"])
    assert written == [str(tmp_path / "out" / "cine"), str(tmp_path / "out" / "0000")]  # named after the sources
    frames, _ = load_sequence(written[0])
    assert frames.shape == (25, 20, 27)
    np.testing.assert_array_equal(frames[::3], (ref * 255).round().astype(np.uint8))
    assert load_sequence(written[1])[0].shape == (4, 20, 27)
    dicom = SaveCined(output_dir=tmp_path / "d", output_format="dicom", **kw)(item)["pred_path"]
    assert dicom.endswith("0000_interpolated.dcm") and load_sequence(dicom)[0].shape == (4, 20, 27)
    with pytest.raises(ValueError, match="one cine"):
        CineInterpolationInferer()(torch.rand(2, 1, 3, 8, 8), _StrideCheck())
    with pytest.raises(ValueError, match=r"\(1, T, H, W\)"):
        saver({"image": item["image"], "pred": torch.rand(4, 8, 8)})
