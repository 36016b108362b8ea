# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of scripts/train_temporal_deblur.py on a small generated cine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from module_loader import load_module
from moving_texture import texture
from PIL import Image

from monai_angio.networks import RDNDeblur

REPO_ROOT = Path(__file__).resolve().parents[2]
train = load_module("monai_angio_scripts_train_temporal_deblur", REPO_ROOT / "scripts" / "train_temporal_deblur.py")


@pytest.mark.parametrize("in_channels, num_blocks", [(2, 1), (1, 3), (3, 2)])
def test_grow_keeps_the_smaller_network(in_channels, num_blocks):
    arch = {"num_features": 8, "num_layers": 1, "growth_rate": 4}
    small = RDNDeblur(num_blocks=1, zero_init_last=False, **arch)
    big = RDNDeblur(in_channels=in_channels, out_channels=1, num_blocks=num_blocks, **arch)
    big.load_state_dict(train.grow_state_dict(small.state_dict(), big))
    assert RDNDeblur.num_blocks_in(big.state_dict()) == num_blocks
    x = torch.rand(2, 1, 12, 12)
    with torch.no_grad():  # new input channels have zero weight and new blocks are the identity
        torch.testing.assert_close(big(torch.cat([x, torch.rand(2, in_channels - 1, 12, 12)], 1)), small(x))
    if num_blocks > 1:  # the new blocks' dense layers are not zero, so training can move them
        assert big.blocks[-1].layers[0].conv.weight.abs().sum() > 0


def test_grow_refuses_a_smaller_target():
    big = RDNDeblur(num_features=8, num_blocks=1, num_layers=1, growth_rate=4)
    with pytest.raises(ValueError, match="cannot grow shallow1.weight"):
        train.grow_state_dict(big.state_dict(), RDNDeblur(num_features=4, num_blocks=1, num_layers=1, growth_rate=4))


def test_short_run_writes_loadable_weights_and_a_log(tmp_path):
    frames = tmp_path / "cine"
    frames.mkdir()
    base = texture(64, seed=1)[0, 0].numpy()
    for i in range(20):  # a still texture with a brightening square: 20 frames, 64x64, 8 bit
        f = 0.3 + 0.5 * base
        f[20:30, 20:30] += 0.01 * i
        Image.fromarray(np.rint(np.clip(f, 0, 1) * 255).astype(np.uint8)).save(frames / f"{i:03d}.png")
    single = tmp_path / "single.pt"
    torch.save(RDNDeblur().state_dict(), single)
    out = tmp_path / "models" / "model_temporal.pt"
    log = train.main(["--data", str(frames), "--pretrained", str(single), "--out", str(out), "--epochs", "2",
                      "--epoch-length", "2", "--batch-size", "8", "--phantoms", "1", "--threads", "1",
                      "--patch-size", "32"])  # fmt: skip
    assert [h["epoch"] for h in log["history"]] == [1, 2] and log["args"]["patch_size"] == "32"
    assert set(log["initial"]) == {0.6, 0.9, 1.2} and all(np.isfinite(v) for v in log["initial"].values())
    assert log["best"]["epoch"] in (1, 2)
    net = RDNDeblur(in_channels=2, out_channels=1)
    net.load_state_dict(torch.load(out, map_location="cpu", weights_only=True))
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["best"]["psnr"] == log["best"]["psnr"]
    # the non-blind network starts from the temporal one: the new kernel channel has zero weight, so before training
    # it restores the validation frames exactly as the temporal network did at its best epoch, also with one more block
    kernel_out = tmp_path / "models" / "model_kernel.pt"
    kernel_log = train.main(["--data", str(frames), "--pretrained", str(out), "--out", str(kernel_out), "--epochs",
                             "1", "--epoch-length", "1", "--batch-size", "8", "--phantoms", "0", "--threads", "1",
                             "--kernel-channel", "--loss", "mse", "--photons", "2e4", "2e4",
                             "--num-blocks", "7"])  # fmt: skip
    assert np.mean(list(kernel_log["initial"].values())) == pytest.approx(log["best"]["psnr"], abs=1e-4)
    kernel_net = RDNDeblur(in_channels=3, out_channels=1, num_blocks=7)
    kernel_net.load_state_dict(torch.load(kernel_out, map_location="cpu", weights_only=True))
    assert kernel_log["args"]["loss"] == "mse" and kernel_log["args"]["photons"] == "[20000.0, 20000.0]"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--photons", "2e4", "1e4"], "--photons needs 0 < LOW <= HIGH"),
        (["--photons", "0", "1e4"], "--photons needs 0 < LOW <= HIGH"),
        (["--patch-size", "1"], "--patch-size must be at least 2"),
        (["--num-blocks", "-1"], "--num-blocks must be at least 1"),
        (["--num-blocks", "0"], "--num-blocks must be at least 1"),
        (["--loss", "huber"], "invalid choice"),
    ],
)
def test_bad_training_options_are_errors(argv, message, capsys):
    with pytest.raises(SystemExit):
        train.main(argv)
    assert message in capsys.readouterr().err


def test_fewer_blocks_than_the_pretrained_network_is_an_error(tmp_path, capsys):
    weights = tmp_path / "six.pt"
    torch.save(RDNDeblur().state_dict(), weights)
    with pytest.raises(SystemExit):
        train.main(["--pretrained", str(weights), "--num-blocks", "4", "--data", str(tmp_path)])
    assert "--num-blocks 4 is fewer than the 6 blocks of" in capsys.readouterr().err
