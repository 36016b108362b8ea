# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import torch
from monai.bundle import ConfigParser

from monai_angio.networks import RDNDeblur

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "bundles" / "cerebral_dsa_deblurring"
CONFIGS = BUNDLE / "configs"
WEIGHTS = BUNDLE / "models" / "model.pt"
DSA = REPO.parent / "shared" / "data" / "dsa" / "cerebral_lateral_2d"

# tiny phantom-only training/validation data: runs in seconds on a CPU
TINY = {
    "dataset_dir": "$None",
    "phantom_count": 1,
    "phantom_size": 48,
    "val_phantom_count": 1,
    "val_roi_size": 24,
    "patch_size": 16,
    "patch_stride": 16,
    "batch_size": 4,
    "epochs": 1,
    "epoch_length": 2,
    "num_workers": 0,
}


def _run(configs: list[str], **overrides) -> None:
    from monai.bundle import run

    files = [str(CONFIGS / c) for c in configs]
    run(config_file=files if len(files) > 1 else files[0], **overrides)


def _tiny_bundle(tmp_path: Path, with_weights: bool = True) -> Path:
    root = tmp_path / "bundle"
    (root / "models").mkdir(parents=True)
    if with_weights:
        shutil.copy(WEIGHTS, root / "models" / "model.pt")
        shutil.copy(WEIGHTS.with_name("model_temporal.pt"), root / "models" / "model_temporal.pt")
        shutil.copy(WEIGHTS.with_name("model_kernel.pt"), root / "models" / "model_kernel.pt")
    return root


def test_metadata():
    meta = json.loads((CONFIGS / "metadata.json").read_text())
    for key in ("schema", "version", "changelog", "monai_version", "pytorch_version", "numpy_version",
                "required_packages_version", "task", "description", "authors", "copyright", "intended_use",
                "references", "network_data_format", "eval_metrics"):  # fmt: skip
        assert meta.get(key), key
    assert "20240725" in meta["schema"]
    assert meta["version"] in meta["changelog"]
    inp = meta["network_data_format"]["inputs"]["image"]
    out = meta["network_data_format"]["outputs"]["pred"]
    assert inp["num_channels"] == out["num_channels"] == 1
    offset = json.loads((CONFIGS / "inference.json").read_text())["input_offset"]
    assert json.loads((CONFIGS / "train.json").read_text())["input_offset"] == offset
    # the network sees frames in [0, 1] minus input_offset
    assert inp["value_range"] == out["value_range"] == [-offset, round(1 - offset, 6)]
    assert inp["dtype"] == "float32" and len(inp["spatial_shape"]) == 2
    numbers = [v for v in meta["eval_metrics"].values() if isinstance(v, (int, float))]
    assert numbers, "eval_metrics must hold measured numbers"


def test_configs_parse_and_weights_load():
    for name in ("train.json", "inference.json", "evaluate.json", "multi_gpu_train.json", "metadata.json"):
        json.loads((CONFIGS / name).read_text())
    assert (CONFIGS / "logging.conf").is_file() and "Apache License" in (BUNDLE / "LICENSE").read_text()
    nets = []
    for name in ("train.json", "inference.json"):
        parser = ConfigParser()
        parser.read_config(CONFIGS / name)
        net = parser.get_parsed_content("network_def")
        assert isinstance(net, RDNDeblur)
        nets.append(net)
    assert sum(p.numel() for p in nets[0].parameters()) == sum(p.numel() for p in nets[1].parameters())
    assert WEIGHTS.stat().st_size < 25 * 2**20
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    nets[1].load_state_dict(state)  # strict: same architecture, plain state dict (no "module." prefix)
    # trained: the zero-initialised last convolution has moved away from the identity
    assert float(state["last.weight"].abs().sum()) > 0


def test_the_inferer_takes_the_options_entry():
    """The options keys of inference.json reach CineDeblurInferer through its ``options`` entry; the temporal
    networks are built only with a temporal radius."""
    from monai_angio.inferers.deblur import CineDeblurInferer
    from monai_angio.options import DeblurOptions

    config = json.loads((CONFIGS / "inference.json").read_text())
    parser = ConfigParser()
    parser.read_config(CONFIGS / "inference.json")
    parser["bundle_root"] = str(BUNDLE)
    inferer = parser.get_parsed_content("inferer")
    assert isinstance(inferer, CineDeblurInferer)
    assert inferer.options == DeblurOptions.from_bundle(BUNDLE)
    assert inferer.options.as_dict() == {key: config[key] for key in DeblurOptions.names()}
    assert inferer.tile_size == config["tile_size"] and inferer.input_offset == config["input_offset"]
    assert inferer.temporal_network is None and inferer.kernel_network is None
    for key, value in (("temporal_radius", 2), ("global_motion", "none"), ("balance", 0.5), ("tile_size", "$None")):
        parser[key] = value
    parser.parse()
    inferer = parser.get_parsed_content("inferer")
    assert inferer.options == DeblurOptions(temporal_radius=2, global_motion=None, balance=0.5, tile_size=None)
    assert (inferer.temporal_radius, inferer.global_motion, inferer.balance, inferer.tile_size) == (2, None, 0.5, None)
    assert inferer.temporal_network.in_channels == 2 and inferer.kernel_network.in_channels == 3


def test_verify_net_in_out():
    from monai.bundle import verify_net_in_out

    verify_net_in_out(
        net_id="network_def",
        meta_file=str(CONFIGS / "metadata.json"),
        config_file=str(CONFIGS / "inference.json"),
        n=1,
        any=24,
        device="cpu",
    )


def test_train_one_short_epoch(tmp_path):
    root = _tiny_bundle(tmp_path, with_weights=False)
    _run(["train.json"], bundle_root=str(root), **TINY)
    saved = root / "models" / "model.pt"
    assert saved.is_file()
    RDNDeblur().load_state_dict(torch.load(saved, map_location="cpu", weights_only=True))


def _phantom_cine(tmp_path: Path) -> tuple[Path, Path, np.ndarray]:
    from monai_angio.io import write_dicom_cine, write_frames
    from monai_angio.phantoms import AngiographyPhantom

    frames, meta = AngiographyPhantom(size=(40, 48), num_frames=3, seed=3).generate()
    dcm = write_dicom_cine(tmp_path / "cine.dcm", frames, bits_stored=12, frame_time_ms=meta["frame_time_ms"])
    folder = tmp_path / "frames"
    write_frames(folder, (frames >> 4).astype(np.uint8), 8)
    return dcm, folder, frames


def test_inference_dicom_and_folder(tmp_path):
    from monai_angio.io import load_sequence

    root = _tiny_bundle(tmp_path)
    dcm, folder, frames = _phantom_cine(tmp_path)
    out_dir = tmp_path / "out"
    _run(["inference.json"], bundle_root=str(root), input_path=str(dcm), output_dir=str(out_dir))
    result = out_dir / "cine_deblurred.dcm"
    ds = pydicom.dcmread(result)
    assert "RDN focal-spot deblurring" in ds.DerivationDescription
    assert int(ds.BitsStored) == 12 and int(ds.NumberOfFrames) == 3 and (ds.Rows, ds.Columns) == (40, 48)
    restored, meta = load_sequence(result)
    diff = np.abs(restored.astype(np.float64) - frames) / 4095
    assert 0 < diff.mean() < 0.05  # deblurring changes the frames, but only a little
    assert meta["frame_time_ms"] == pytest.approx(1000 / 15, rel=1e-3)

    _run(["inference.json"], bundle_root=str(root), input_path=str(folder), output_dir=str(out_dir))
    pngs = sorted((out_dir / "frames_deblurred").glob("*.png"))
    assert len(pngs) == 3
    restored8, meta8 = load_sequence(out_dir / "frames_deblurred")
    assert restored8.dtype == np.uint8 and restored8.shape == (3, 40, 48) and meta8["bits_stored"] == 8


def _read_metric(out_dir: Path, name: str) -> float:
    with (out_dir / "metrics.csv").open() as f:
        for row in csv.reader(f):
            if row and row[0] == name:
                return float(row[1])
    raise AssertionError(f"{name} not in metrics.csv")


def test_evaluate_on_phantom(tmp_path):
    root = _tiny_bundle(tmp_path)
    out_dir = tmp_path / "eval"
    _run(["train.json", "evaluate.json"], bundle_root=str(root), output_dir=str(out_dir), **TINY)
    assert 20.0 < _read_metric(out_dir, "val_psnr") < 80.0
    assert 0.5 < _read_metric(out_dir, "val_ssim") <= 1.0
    details = (out_dir / "val_psnr_raw.csv").read_text()
    assert "focal1.20mm" in details


@pytest.mark.skipif(not DSA.is_dir(), reason="../shared/data/dsa not available")
def test_evaluate_on_held_out_real_frames(tmp_path):
    root = _tiny_bundle(tmp_path)
    out_dir = tmp_path / "eval"
    overrides = {"dataset_dir": str(DSA), "validate#dataset#max_frames": 1, "validate#dataset#roi_size": 64}
    _run(["train.json", "evaluate.json"], bundle_root=str(root), output_dir=str(out_dir), **overrides)
    assert 30.0 < _read_metric(out_dir, "val_psnr") < 60.0


@pytest.mark.slow
def test_multi_gpu_train_two_cpu_processes(tmp_path):
    root = _tiny_bundle(tmp_path, with_weights=False)
    configs = f"['{CONFIGS / 'train.json'}','{CONFIGS / 'multi_gpu_train.json'}']"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29561",
           "-m", "monai.bundle", "run", "--config_file", configs, "--bundle_root", str(root)]  # fmt: skip
    for key, value in {**TINY, "num_threads": 1}.items():
        cmd += [f"--{key}", str(value)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    state = torch.load(root / "models" / "model.pt", map_location="cpu", weights_only=True)
    RDNDeblur().load_state_dict(state)


def test_inference_temporal_mode_with_the_dicom_geometry(tmp_path):
    from moving_texture import texture

    from monai_angio.io import load_sequence, write_dicom_cine
    from monai_angio.phantoms import FocalSpotBlur
    from monai_angio.phantoms.focal_spot import apply_kernel

    root = _tiny_bundle(tmp_path)
    sharp = texture(64, seed=4).expand(7, 1, 64, 64)
    kernel = FocalSpotBlur(focal_spot_mm=1.2, sod_mm=700.0, sid_mm=1000.0, pixel_spacing_mm=0.154).kernel()
    g = torch.Generator().manual_seed(1)
    blurred = (apply_kernel(sharp, kernel) + 0.01 * torch.randn(sharp.shape, generator=g)).clamp(0, 1)
    dcm = write_dicom_cine(
        tmp_path / "cine.dcm", np.rint(blurred[:, 0].numpy() * 4095).astype(np.uint16), bits_stored=12
    )
    ds = pydicom.dcmread(dcm)
    ds.FocalSpots, ds.DistanceSourceToPatient, ds.DistanceSourceToDetector = 1.2, 700, 1000
    ds.ImagerPixelSpacing = [0.154, 0.154]
    ds.save_as(dcm)
    err = {}
    for radius in (0, 2):
        out_dir = tmp_path / f"out{radius}"
        _run(["inference.json"], bundle_root=str(root), input_path=str(dcm), output_dir=str(out_dir),
             temporal_radius=radius, tile_size="$None")  # fmt: skip
        restored, _ = load_sequence(out_dir / "cine_deblurred.dcm")
        assert restored.shape == (7, 64, 64)
        err[radius] = np.abs(restored / 4095 - sharp[:, 0].numpy()).mean()
    assert err[2] < 0.9 * err[0]  # the non-blind temporal network (models/model_kernel.pt), told the kernel
    # a header without the geometry: the blind temporal network (models/model_temporal.pt), or the values given
    plain = write_dicom_cine(
        tmp_path / "plain.dcm", np.rint(blurred[:, 0].numpy() * 4095).astype(np.uint16), bits_stored=12
    )
    _run(["inference.json"], bundle_root=str(root), input_path=str(plain), output_dir=str(tmp_path / "x"),
         temporal_radius=2, tile_size="$None")  # fmt: skip
    restored, _ = load_sequence(tmp_path / "x" / "plain_deblurred.dcm")
    assert np.abs(restored / 4095 - sharp[:, 0].numpy()).mean() < err[0]
    _run(["inference.json"], bundle_root=str(root), input_path=str(plain), output_dir=str(tmp_path / "y"),
         temporal_radius=1, focal_spot_mm=1.2, sod_mm=700, sid_mm=1000, pixel_spacing_mm=0.154)  # fmt: skip
    assert (tmp_path / "y" / "plain_deblurred.dcm").is_file()
    with pytest.raises(Exception) as exc:  # incomplete geometry; the bundle's evaluator wraps the ValueError
        _run(["inference.json"], bundle_root=str(root), input_path=str(plain), output_dir=str(tmp_path / "z"),
             temporal_radius=1, focal_spot_mm=1.2)  # fmt: skip
    chain, e = [], exc.value
    while e is not None:
        chain.append(str(e))
        e = e.__cause__ or e.__context__
    assert any("needs sod_mm, sid_mm, pixel_spacing_mm" in m for m in chain)
