# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of bundles/cerebral_dsa_interpolation (MoSt-DSA): configs, shipped weights, inference, training, evaluation."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser
from monai.bundle import run as bundle_run

from monai_angio.io import load_sequence, write_frames
from monai_angio.networks import MoStDSA
from monai_angio.options import InterpolationOptions
from monai_angio.phantoms import AngiographyPhantom

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "bundles" / "cerebral_dsa_interpolation"
CONFIGS = BUNDLE / "configs"
SHARED_CORONARY = REPO.parent / "shared" / "data" / "xa_coronary" / "coronary_rca_xa_96f.dcm"
SCHEMA = REPO / "tests" / "testdata" / "meta_schema_20240725.json"

TINY_TRAIN = {
    "phantom_count": 2,
    "phantom_size": 64,
    "phantom_frames": 12,
    "val_phantom_count": 1,
    "val_phantom_size": 32,
    "val_phantom_frames": 8,
    "crop_size": 32,
    "motion_margin": 4,
    "batch_size": 2,
    "epochs": 1,
    "epoch_length": 3,
    "style_start_epoch": 1,
    "num_threads": 1,
}


def _cine(folder: Path, frames: int = 5, size=(36, 44), seed: int = 0) -> np.ndarray:
    """An 8-bit DSA phantom cine written as PNG frames."""
    data, _ = AngiographyPhantom(size=size, num_frames=frames, seed=seed, mode="coronary").generate()
    data8 = (data >> 4).astype(np.uint8)
    write_frames(folder, data8, 8)
    return data8


def _copy_bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE, root, ignore=shutil.ignore_patterns("eval", "__pycache__"))
    return root


def test_the_inferer_takes_the_options_entry():
    """The options keys of inference.json reach CineInterpolationInferer through its ``options`` entry."""
    from monai_angio.engines import CineInterpolationInferer

    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "inference.json"))
    parser["bundle_root"] = str(BUNDLE)
    inferer = parser.get_parsed_content("inferer")
    assert isinstance(inferer, CineInterpolationInferer)
    assert inferer.options == InterpolationOptions.from_bundle(BUNDLE)
    assert inferer.options == InterpolationOptions(
        ensemble="dis_flow_quadratic", global_motion="similarity", denoise_window=12, adapt_steps=0, fallback="dis_flow"
    )
    for key, value in (("ensemble", "none"), ("denoise_window", 4), ("global_motion", "$None"), ("adapt_steps", 2),
                       ("fallback", "none")):  # fmt: skip
        parser[key] = value
    parser.parse()
    assert parser.get_parsed_content("inferer").options == InterpolationOptions(denoise_window=4, adapt_steps=2)
    parser["denoise_window"] = 1
    parser.parse()
    with pytest.raises(Exception) as exc:  # checked while the config is built, naming the option
        parser.get_parsed_content("inferer")
    chain, e = [], exc.value
    while e is not None:
        chain.append(str(e))
        e = e.__cause__ or e.__context__
    assert any("denoise_window must be 0" in m for m in chain)


def test_metadata():
    meta = json.loads((CONFIGS / "metadata.json").read_text())
    for key in ("version", "changelog", "monai_version", "pytorch_version", "task", "description", "intended_use",
                "references", "network_data_format", "eval_metrics"):  # fmt: skip
        assert key in meta, key
    assert meta["version"] in meta["changelog"]
    assert any("2407.07078" in r for r in meta["references"])
    image = meta["network_data_format"]["inputs"]["image"]
    assert image["num_channels"] == 2 and image["spatial_shape"] == ["16*n", "16*n"]
    assert meta["network_data_format"]["outputs"]["pred"]["num_channels"] == 1
    if SCHEMA.is_file():
        from monai_angio.bundle_utils import validate_metadata

        validate_metadata(CONFIGS / "metadata.json", SCHEMA)


def test_every_config_parses_and_the_weights_load():
    for name in ("inference.json", "train.json", "evaluate.json"):
        parser = ConfigParser()
        parser.read_config(str(CONFIGS / name))
        parser["bundle_root"] = str(BUNDLE)
        net = parser.get_parsed_content("network_def")
        assert isinstance(net, MoStDSA) and net.stride == 16
    weights = BUNDLE / "models" / "model.pt"
    assert weights.is_file() and weights.stat().st_size < 25 * 1024 * 1024
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net.load_state_dict(state)  # strict
    assert any(v.abs().sum() > 0 for k, v in state.items() if k.startswith("refiner.out")), "output layer untrained"
    multi = json.loads((CONFIGS / "multi_gpu_train.json").read_text())
    assert "DistributedDataParallel" in multi["network"]["_target_"]


def test_bundle_as_interpolator_method():
    from monai_angio.inferers.methods import get_interpolator

    net = get_interpolator(str(BUNDLE), device="cpu")
    assert isinstance(net, MoStDSA) and not net.training and net.stride == 16
    f0, f1 = torch.rand(1, 1, 32, 48), torch.rand(1, 1, 32, 48)
    with torch.no_grad():
        out = net(f0, f1, torch.tensor([[0.25, 0.5, 0.75]]))
    assert out.shape == (1, 3, 1, 32, 48) and 0 <= out.min() and out.max() <= 1


def test_inference_on_a_cine_writes_png_frames(tmp_path):
    data = _cine(tmp_path / "cine")
    out = tmp_path / "out"
    bundle_run(
        config_file=str(CONFIGS / "inference.json"),
        bundle_root=str(BUNDLE),
        input_path=str(tmp_path / "cine"),
        output_dir=str(out),
        factor=2,
        num_threads=1,
    )
    frames, meta = load_sequence(out)
    assert frames.shape == (13, 36, 44) and frames.dtype == np.uint8 and meta["bits_stored"] == 8
    np.testing.assert_array_equal(frames[::3], data)  # acquired frames unchanged
    # synthesized frames lie between their neighbours up to a few grey levels (no wild values)
    lo = np.minimum(data[:-1], data[1:]).astype(int) - 40
    hi = np.maximum(data[:-1], data[1:]).astype(int) + 40
    synth = frames[1::3].astype(int)
    assert ((synth >= lo) & (synth <= hi)).mean() > 0.99
    with (out / "frame_labels.csv").open() as f:
        assert sum(row["kind"] == "synthesized" for row in csv.DictReader(f)) == 8


def test_inference_on_a_pair_writes_dicom(tmp_path):
    _cine(tmp_path / "cine", frames=2)
    out = tmp_path / "out"
    bundle_run(
        config_file=str(CONFIGS / "inference.json"),
        bundle_root=str(BUNDLE),
        input_path=[str(tmp_path / "cine" / "0000.png"), str(tmp_path / "cine" / "0001.png")],
        output_dir=str(out),
        factor=3,
        output_format="dicom",
        num_threads=1,
    )
    frames, meta = load_sequence(out / "0000_interpolated.dcm")
    assert frames.shape == (5, 36, 44) and meta["format"] == "dicom"
    source, _ = load_sequence(tmp_path / "cine")
    np.testing.assert_array_equal(frames[[0, 4]], source)


def test_inference_with_test_time_adaptation(tmp_path):
    _cine(tmp_path / "cine", frames=5, size=(48, 48))
    bundle_run(
        config_file=str(CONFIGS / "inference.json"),
        bundle_root=str(BUNDLE),
        input_path=str(tmp_path / "cine"),
        output_dir=str(tmp_path / "out"),
        factor=1,
        output_format="dicom",
        num_threads=1,
        adapt_steps=3,
    )
    frames, _ = load_sequence(tmp_path / "out" / "cine_interpolated.dcm")
    source, _ = load_sequence(tmp_path / "cine")
    assert frames.shape == (9, 48, 48)
    np.testing.assert_array_equal(frames[::2], source)


def test_inference_with_noise_reduction(tmp_path):
    _cine(tmp_path / "cine", frames=5, size=(48, 48))
    outputs = {}
    for name, extra in (("plain", {"denoise_window": 0}), ("denoised", {"denoise_window": 4})):
        bundle_run(
            config_file=str(CONFIGS / "inference.json"),
            bundle_root=str(BUNDLE),
            input_path=str(tmp_path / "cine"),
            output_dir=str(tmp_path / f"out_{name}"),
            factor=1,
            output_format="dicom",
            num_threads=1,
            **extra,
        )
        outputs[name], _ = load_sequence(tmp_path / f"out_{name}" / "cine_interpolated.dcm")
    source, _ = load_sequence(tmp_path / "cine")
    np.testing.assert_array_equal(outputs["denoised"][::2], source)
    assert not np.array_equal(outputs["denoised"][1::2], outputs["plain"][1::2])


def test_train_one_short_epoch(tmp_path):
    root = _copy_bundle(tmp_path)
    _cine(tmp_path / "train_cine", frames=16, size=(64, 64), seed=3)
    ckpt = root / "models" / "model.pt"
    ckpt.unlink()
    bundle_run(
        config_file=str(root / "configs" / "train.json"),
        bundle_root=str(root),
        dataset_dir=str(tmp_path / "train_cine"),
        output_dir=str(tmp_path / "train_out"),
        **TINY_TRAIN,
    )
    assert ckpt.is_file()
    net = MoStDSA("small")
    net.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))


def test_evaluate_writes_per_sequence_csv(tmp_path):
    _cine(tmp_path / "cine", frames=40, size=(32, 32))
    out = tmp_path / "eval"
    bundle_run(
        config_file=str(CONFIGS / "evaluate.json"),
        bundle_root=str(BUNDLE),
        eval_cines=[str(tmp_path / "cine")],
        output_dir=str(out),
        num_threads=1,
    )  # the last 30 % (frames 28..39) are evaluated
    with (out / "per_sequence.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["sequence"], r["N"]) for r in rows] == [("cine", "1"), ("cine", "2"), ("cine", "3")]
    assert all(20 < float(r["psnr_mean"]) < 80 for r in rows)
    per_n = json.loads((out / "summary.json").read_text())["per_N"]
    assert [per_n[n]["frames"] for n in ("1", "2", "3")] == [5, 6, 6]


def test_cli_uses_the_bundle(tmp_path):
    from monai_angio.cli import AngioCLI

    _cine(tmp_path / "cine", frames=3, size=(32, 40))
    AngioCLI().interpolate(str(tmp_path / "cine"), str(tmp_path / "out.dcm"), factor=1, method=str(BUNDLE))
    frames, _ = load_sequence(tmp_path / "out.dcm")
    assert frames.shape == (5, 32, 40)


@pytest.mark.skipif(not SHARED_CORONARY.is_file(), reason="../shared/data/xa_coronary not available")
def test_held_out_coronary_frames_beat_the_linear_blend(tmp_path):
    """On held-out tuples of the real coronary run (its last 30 %, never trained on) the shipped network alone beats
    the linear blend: the weights learned motion, not only contrast changes (bundle 0.3.0; 0.2.0 lost 1.9 dB)."""
    from monai_angio.baselines import LinearInterpolator
    from monai_angio.engines import evaluate_interpolation
    from monai_angio.inferers.methods import get_interpolator

    torch.set_num_threads(1)
    kw = {"cines": [SHARED_CORONARY], "num_targets": (1,), "holdout_fraction": 0.3, "max_tuples": 4}
    ours = evaluate_interpolation(get_interpolator(str(BUNDLE), "cpu"), tmp_path / "net", **kw)["per_N"]["1"]
    linear = evaluate_interpolation(LinearInterpolator(), tmp_path / "lin", **kw)["per_N"]["1"]
    assert ours["frames"] == linear["frames"] == 4
    assert ours["psnr_mean"] > linear["psnr_mean"] + 0.3


@pytest.mark.slow
def test_multi_gpu_train_two_cpu_processes(tmp_path):
    root = _copy_bundle(tmp_path)
    _cine(tmp_path / "train_cine", frames=16, size=(64, 64), seed=3)
    (root / "models" / "model.pt").unlink()
    overrides = {"bundle_root": str(root), "dataset_dir": str(tmp_path / "train_cine"),
                 "output_dir": str(tmp_path / "out"), **TINY_TRAIN}  # fmt: skip
    override_file = tmp_path / "overrides.json"
    override_file.write_text(json.dumps(overrides))
    configs = [str(root / "configs" / "train.json"), str(root / "configs" / "multi_gpu_train.json"), str(override_file)]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2",
           "-m", "monai.bundle", "run", "--config_file", json.dumps(configs)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path,
                            env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (root / "models" / "model.pt").is_file()


def test_inference_removes_global_motion_by_default(tmp_path):
    from moving_texture import moving_texture

    # frames 0, 2, 4 given, 1 and 3 to synthesize
    truth = moving_texture(5, deg=1.0, px=4.0, size=80, seed=2)[:, 0].numpy()
    write_frames(tmp_path / "cine", np.rint(truth[::2] * 255).astype(np.uint8), 8)
    assert ConfigParser.load_config_file(str(CONFIGS / "inference.json"))["global_motion"] == "similarity"
    err = {}
    for gm in ("similarity", "$None"):  # "$None": bundle_run drops plain None overrides
        out = tmp_path / f"out_{gm[-4:]}"
        bundle_run(
            config_file=str(CONFIGS / "inference.json"),
            bundle_root=str(BUNDLE),
            input_path=str(tmp_path / "cine"),
            output_dir=str(out),
            factor=1,
            output_format="png",
            num_threads=1,
            ensemble="$None",  # the network alone: DIS flow with quadratic motion follows the motion by itself
            global_motion=gm,
        )
        frames, _ = load_sequence(out)
        err[gm] = np.abs(frames[1::2] / 255.0 - truth[1::2])[:, 16:-16, 16:-16].mean()
    assert err["similarity"] < 0.5 * err["$None"]
