# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.losses import CharbonnierLoss, CombinedLoss, LaplacianPyramidLoss, build_loss

pytestmark = pytest.mark.filterwarnings("ignore:VGG19Features. no weights_path")


def test_single_losses():
    assert isinstance(build_loss("l1"), nn.L1Loss)
    assert isinstance(build_loss("L2"), nn.MSELoss)
    charbonnier = build_loss("charbonnier", eps=0.1)
    assert isinstance(charbonnier, CharbonnierLoss) and charbonnier.eps == 0.1
    assert isinstance(build_loss("laplacian", levels=3), LaplacianPyramidLoss)


def test_ssim_uses_monai_and_handles_frames():
    loss = build_loss("ssim")
    x = torch.rand(2, 3, 1, 24, 24)
    assert loss(x, x.clone()).item() == pytest.approx(0.0, abs=1e-5)
    noisy = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    value = loss(noisy, x)
    assert 0.0 < value.item() <= 2.0
    torch.testing.assert_close(value, loss(noisy.reshape(6, 1, 24, 24), x.reshape(6, 1, 24, 24)))


def test_combination_with_weights():
    torch.manual_seed(0)
    loss = build_loss("l1 + charbonnier", weights={"charbonnier": 2.0}, charbonnier={"eps": 0.01})
    assert isinstance(loss, CombinedLoss)
    x, y = torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8)
    expected = (x - y).abs().mean() + 2.0 * CharbonnierLoss(0.01)(x, y)
    torch.testing.assert_close(loss(x, y), expected)
    torch.testing.assert_close(loss.last_values["l1"], (x - y).abs().mean())


def test_l1_plus_perceptual_and_style_share_vgg():
    loss = build_loss(
        "l1+perceptual+style",
        weights={"perceptual": 0.1, "style": 5.0},
        perceptual={"layers": ("conv1_2",)},
        style={"layers": ("relu1_1",)},
    )
    assert set(loss.terms) == {"l1", "perceptual+style"}
    combined = loss.terms["perceptual+style"]
    assert combined.perceptual_weight == 0.1 and combined.style_weight == 5.0
    assert combined.perceptual.features is combined.style.features
    x, y = torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8)
    assert loss(x, x.clone()).item() == 0.0
    expected = (x - y).abs().mean() + 0.1 * combined.perceptual(x, y) + 5.0 * combined.style(x, y)
    torch.testing.assert_close(loss(x, y), expected)


def test_perceptual_weights_path_passed(tmp_path):
    with pytest.raises(FileNotFoundError):
        build_loss("perceptual", weights_path=tmp_path / "missing.pth", layers=("conv1_1",))
    with pytest.raises(FileNotFoundError):
        build_loss("l1+perceptual", weights_path=tmp_path / "missing.pth", perceptual={"layers": ("conv1_1",)})


def test_bad_names_and_arguments():
    with pytest.raises(ValueError, match="unknown loss"):
        build_loss("l3")
    with pytest.raises(ValueError, match="repeated"):
        build_loss("l1+l1")
    with pytest.raises(ValueError):
        build_loss("")
    with pytest.raises(ValueError):
        build_loss("l1+charbonnier", eps=0.1)
    with pytest.raises(ValueError):
        build_loss("l1+charbonnier", weights={"ssim": 1.0})
