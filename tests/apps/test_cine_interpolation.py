# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the MONAI Deploy cine interpolation app: its logic without the SDK, and the real app where the SDK runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import torch
from module_loader import bundle_testing, load_module

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_DIR = REPO_ROOT / "apps" / "cine_interpolation"


logic = load_module("monai_angio_apps_cine_logic", APP_DIR / "cine_logic.py")
bt = bundle_testing()
REAL = [c for c in bt.all_cases(tiny=()) if c.name == "cerebral_dsa_interpolation"]


@pytest.fixture
def cine_file(tmp_path):
    (path,) = bt.write_phantom_dicom(tmp_path / "in", frames=4, size=32, seed=5)
    return path


def _bundle_predict(bundle: Path):
    """predict(pair (2, H, W)) -> (H, W) with the bundle's network_def and weights, eager."""
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(str(bundle / "configs" / "inference.json"))
    parser["bundle_root"] = str(bundle)
    net = parser.get_parsed_content("network_def")
    net.load_state_dict(torch.load(bundle / "models" / "model.pt", map_location="cpu", weights_only=True))
    net.eval()

    def predict(pair: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(np.ascontiguousarray(pair, dtype=np.float32))[None])[0, 0].numpy()

    return predict


# ------------------------------------------------------------------------------------------------ logic, no SDK
def test_make_pairs_and_interleave():
    frames = np.arange(4 * 2 * 3, dtype=np.float32).reshape(4, 2, 3)
    pairs = logic.make_pairs(frames)
    assert pairs.shape == (3, 2, 2, 3)
    np.testing.assert_array_equal(pairs[1, 0], frames[1])
    np.testing.assert_array_equal(pairs[1, 1], frames[2])

    middle = [p.mean(axis=0)[None] for p in pairs]  # (1, H, W) is squeezed
    out, mask = logic.interleave(frames, middle)
    assert out.shape == (7, 2, 3)
    np.testing.assert_array_equal(out[0::2], frames)
    np.testing.assert_allclose(out[3], (frames[1] + frames[2]) / 2)
    assert mask.tolist() == [False, True, False, True, False, True, False]

    with pytest.raises(ValueError, match="need 3 synthesized"):
        logic.interleave(frames, middle[:2])
    with pytest.raises(ValueError, match="shape"):
        logic.interleave(frames, [np.zeros((2, 2))] * 3)
    with pytest.raises(ValueError, match="T >= 2"):
        logic.make_pairs(frames[:1])


def test_load_cine_scales_by_bits_stored(cine_file):
    from monai_angio.io import load_sequence

    raw, meta = load_sequence(cine_file)
    cine = logic.load_cine(cine_file.parent)  # the folder holding the one DICOM file, as the SDK passes it
    assert cine.path == cine_file
    assert cine.bits_stored == meta["bits_stored"] == 12
    assert cine.num_pairs == 3
    np.testing.assert_allclose(cine.frames, raw / 4095.0, atol=1e-6)


def test_load_cine_errors(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        logic.load_cine(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        logic.load_cine(tmp_path / "empty")


def test_interpolate_cine_writes_labelled_derived_dicom(cine_file, tmp_path):
    def blend(pair):
        return pair.mean(axis=0)

    out = logic.interpolate_cine(cine_file, tmp_path / "out", blend, method="linear")
    assert out.parent == tmp_path / "out" and out.suffix == ".dcm"
    src, ds = pydicom.dcmread(cine_file), pydicom.dcmread(out)
    frames, stored = ds.pixel_array.astype(np.int64), src.pixel_array.astype(np.int64)
    assert int(ds.NumberOfFrames) == 7
    np.testing.assert_array_equal(frames[0::2], stored)  # acquired frames untouched
    expected = np.round((stored[:-1] + stored[1:]) / 2.0)
    assert np.abs(frames[1::2] - expected).max() <= 1
    assert list(ds.FrameLabelVector) == ["ACQUIRED", "SYNTHESIZED"] * 3 + ["ACQUIRED"]
    assert ds.SeriesInstanceUID != src.SeriesInstanceUID
    assert ds.PatientID == src.PatientID
    assert int(ds.BitsStored) == 12
    assert float(ds.FrameTime) == pytest.approx(float(src.FrameTime) / 2, rel=1e-3)


def test_interpolate_cine_with_tiny_bundle_network(cine_file, tmp_path, monkeypatch):
    bundle = bt.tiny_bundles.make_tiny_bundle(tmp_path / "bundles", "two_frame")
    monkeypatch.syspath_prepend(str(tmp_path / "bundles" / "modules"))
    predict = _bundle_predict(bundle)
    out = logic.interpolate_cine(cine_file, tmp_path / "out", predict, method="tiny")
    cine = logic.load_cine(cine_file)
    expected = np.clip([predict(p) for p in logic.make_pairs(cine.frames)], 0, 1)
    frames = pydicom.dcmread(out).pixel_array.astype(np.float64) / 4095.0
    assert np.abs(frames[1::2] - expected).max() <= 0.5 / 4095 + 1e-6


# ------------------------------------------------------------------------------------------------ the real app
def _run_app(tmp_path: Path, cine: Path, bundle: Path, extra_paths=()) -> Path:
    pytest.importorskip("monai.deploy.operators.monai_bundle_inference_operator", reason="MONAI Deploy App SDK absent")
    out = tmp_path / "app_out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, extra_paths), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    cmd = (
        f'ulimit -s 32768 && exec "{sys.executable}" "{APP_DIR / "app.py"}" -i "{cine.parent}" -o "{out}" -m "{bundle}"'
    )
    result = subprocess.run(["bash", "-c", cmd], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    files = list(out.glob("*.dcm"))
    assert len(files) == 1, result.stdout[-4000:] + result.stderr[-4000:]
    return files[0]


def _check_app_output(written: Path, cine_file: Path, predict) -> None:
    ds, src = pydicom.dcmread(written), pydicom.dcmread(cine_file)
    frames = ds.pixel_array.astype(np.int64)
    assert frames.shape[0] == 2 * int(src.NumberOfFrames) - 1
    np.testing.assert_array_equal(frames[0::2], src.pixel_array)
    assert list(ds.FrameLabelVector)[1::2] == ["SYNTHESIZED"] * (int(src.NumberOfFrames) - 1)
    cine = logic.load_cine(cine_file)
    expected = np.round(np.clip([predict(p) for p in logic.make_pairs(cine.frames)], 0, 1) * 4095)
    assert np.abs(frames[1::2] - expected).max() <= 1  # the SDK ran the same network on the same pairs


@pytest.mark.slow
def test_deploy_app_runs_tiny_bundle(cine_file, tmp_path, monkeypatch):
    bundle = bt.tiny_bundles.make_tiny_bundle(tmp_path / "bundles", "two_frame")
    modules = tmp_path / "bundles" / "modules"
    written = _run_app(tmp_path, cine_file, bundle, extra_paths=[modules])
    monkeypatch.syspath_prepend(str(modules))
    _check_app_output(written, cine_file, _bundle_predict(bundle))


@pytest.mark.slow
@pytest.mark.parametrize("case", REAL, ids=[c.name for c in REAL])
def test_deploy_app_runs_interpolation_bundle(case, tmp_path, monkeypatch):
    bt.require_config(case, "metadata.json")
    bt.require_config(case, "inference.json")
    ws = bt.make_workspace(case, tmp_path / "ws", monkeypatch)
    bt.ensure_weights(ws)
    (cine,) = bt.write_phantom_dicom(tmp_path / "in", frames=3, size=64, seed=6)
    written = _run_app(tmp_path, cine, ws.root)
    _check_app_output(written, cine, _bundle_predict(ws.root))
