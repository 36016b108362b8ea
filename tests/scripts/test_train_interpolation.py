# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of ``scripts/train_interpolation.py`` on tiny data: every source (a real cine, an extra cine, 2D and 3D
phantoms) with the DIS-flow prior, the checkpoint, ``--resume`` and the refusals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from module_loader import load_module
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
train = load_module("monai_angio_scripts_train_interpolation", REPO_ROOT / "scripts" / "train_interpolation.py")


def _cine(folder: Path, frames: int = 14, size: int = 48) -> Path:
    folder.mkdir()
    yy, xx = np.mgrid[:size, :size]
    for i in range(frames):
        blob = 40 + 150 * np.exp(-((xx - 12 - 1.5 * i) ** 2 + (yy - size / 2) ** 2) / 40.0)
        Image.fromarray(blob.astype(np.uint8)).save(folder / f"{i:03d}.png")
    return folder


def _run(monkeypatch, *argv: str) -> None:
    monkeypatch.setattr(sys, "argv", ["train_interpolation.py", *argv])
    train.main()


@pytest.mark.slow
def test_every_source_with_the_flow_prior_then_resume(tmp_path: Path, monkeypatch) -> None:
    real, extra = _cine(tmp_path / "real"), _cine(tmp_path / "extra")
    work, out = tmp_path / "work", tmp_path / "model.pt"
    common = ["--cine", str(real), "--extra-cines", str(extra), "--batch", "2", "--crop", "32",
              "--max-translation", "2", "--phantoms", "1", "--phantom-size", "64", "--phantoms3d", "3",
              "--phantom3d-size", "32", "--val-frames", "4", "--val-every", "2", "--log-every", "1",
              "--flow-prior", "0.01", "--flow-prior-fraction", "1.0",
              "--work-dir", str(work), "--out", str(out)]  # fmt: skip
    _run(monkeypatch, *common, "--steps", "2")
    state = torch.load(work / "checkpoint.pt", weights_only=False)
    assert state["step"] == 2 and [h["step"] for h in state["history"]] == [2]
    assert set(state["history"][0]["net"]) == {"real", "phantom", "phantom3d", "extra", "score"}
    assert out.is_file()
    _run(monkeypatch, *common, "--steps", "4", "--resume")
    state = torch.load(work / "checkpoint.pt", weights_only=False)
    assert state["step"] == 4 and [h["step"] for h in state["history"]] == [2, 4]
    summary = json.loads((work / "summary.json").read_text())
    assert summary["steps_done"] == 4 and summary["best"]["step"] in (2, 4)


def test_teacher_flows_follow_a_translation() -> None:
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    frame = lambda x0: (0.2 + 0.6 * torch.exp(-((xx - x0) ** 2 + (yy - 32) ** 2) / 60.0))[None, None]  # noqa: E731
    f0, target, f1 = frame(26.0), frame(30.0), frame(34.0)
    flows = train.teacher_flows(f0, f1, target[:, None])
    assert flows.shape == (1, 1, 4, 64, 64)
    centre = flows[0, 0, :, 28:36, 26:34].mean(dim=(1, 2))
    assert centre[0].item() == pytest.approx(-4.0, abs=1.0) and centre[2].item() == pytest.approx(4.0, abs=1.0)


def test_reserved_validation_seeds_and_missing_weights_are_refused(tmp_path: Path, monkeypatch) -> None:
    real = _cine(tmp_path / "real")
    base = ["--cine", str(real), "--steps", "1", "--phantoms", "1", "--phantom-size", "64", "--val-frames", "2",
            "--work-dir", str(tmp_path / "w"), "--out", str(tmp_path / "m.pt")]  # fmt: skip
    with pytest.raises(SystemExit, match="seeds 900-999"):
        _run(monkeypatch, *base, "--phantoms3d", "900", "--phantom3d-size", "32")
    with pytest.raises(SystemExit, match="--weights needs a weight for each source"):
        _run(monkeypatch, *base, "--phantoms3d", "1", "--phantom3d-size", "32", "--weights", "0.3,0.3,0.4")
