# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import warnings

import pytest
import torch

from monai_angio.losses import (
    VGG19_LAYERS,
    PerceptualLoss,
    PerceptualStyleLoss,
    StyleLoss,
    VGG19Features,
    gram_matrix,
)

# torchvision vgg19().features: convolution indices and state-dict keys, hard-coded from the VGG19 configuration
CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
EXPECTED_KEYS = [f"features.{i}.{p}" for i in CONV_INDICES for p in ("weight", "bias")]

pytestmark = pytest.mark.filterwarnings("ignore:VGG19Features. no weights_path")


def test_layer_names_match_torchvision_indices():
    assert VGG19_LAYERS["conv1_1"] == 0 and VGG19_LAYERS["relu1_2"] == 3 and VGG19_LAYERS["pool1"] == 4
    assert VGG19_LAYERS["conv3_4"] == 16 and VGG19_LAYERS["conv4_2"] == 21 and VGG19_LAYERS["conv5_2"] == 30
    assert VGG19_LAYERS["relu5_4"] == 35 and VGG19_LAYERS["pool5"] == 36
    assert sorted(
        VGG19_LAYERS[f"conv{s}_{c}"] for s, n in enumerate((2, 2, 4, 4, 4), start=1) for c in range(1, n + 1)
    ) == list(CONV_INDICES)


def test_state_dict_keys_and_shapes():
    vgg = VGG19Features(layers=("pool5",))
    state = vgg.state_dict()
    assert list(state) == EXPECTED_KEYS
    assert state["features.0.weight"].shape == (64, 3, 3, 3)
    assert state["features.34.weight"].shape == (512, 512, 3, 3)
    assert sum(v.numel() for v in state.values()) == 20024384  # VGG19 convolutional part
    truncated = VGG19Features(layers=("relu2_2", "conv1_2"))
    assert list(truncated.state_dict()) == EXPECTED_KEYS[:8]


def test_warns_without_weights_and_not_with_weights(tmp_path):
    with pytest.warns(UserWarning, match="randomly initialised"):
        source = VGG19Features(layers=("conv2_1",))
    path = tmp_path / "vgg.pt"
    torch.save(source.state_dict(), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        VGG19Features(layers=("conv2_1",), weights_path=path)


@pytest.mark.parametrize("prefix", ["features.", "", "module.features."])
def test_loads_weights_from_file(tmp_path, prefix):
    torch.manual_seed(0)
    source = VGG19Features(layers=("relu2_1",))
    state = {prefix + k.removeprefix("features."): v for k, v in source.state_dict().items()}
    state[prefix.replace("features.", "") + "classifier.0.weight"] = torch.zeros(2, 2)  # ignored
    path = tmp_path / "vgg19.pth"
    torch.save(state, path)
    torch.manual_seed(1)
    loaded = VGG19Features(layers=("relu2_1",), weights_path=path)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    x = torch.rand(1, 1, 8, 8)
    torch.testing.assert_close(loaded(x)["relu2_1"], source(x)["relu2_1"])


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        VGG19Features(layers=("conv1_1",), weights_path=tmp_path / "nope.pt")
    short = tmp_path / "short.pt"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": torch.zeros(64)}, short)
    VGG19Features(layers=("relu1_1",), weights_path=short)  # enough for the first layer
    with pytest.raises(ValueError, match="short.pt"):
        VGG19Features(layers=("conv1_2",), weights_path=short)
    wrong = tmp_path / "wrong.pt"
    torch.save({"features.0.weight": torch.zeros(64, 1, 3, 3), "features.0.bias": torch.zeros(64)}, wrong)
    with pytest.raises(ValueError, match="shape"):
        VGG19Features(layers=("conv1_1",), weights_path=wrong)
    text = tmp_path / "text.pt"
    text.write_text("not a state dict")
    with pytest.raises(ValueError, match="text.pt"):
        VGG19Features(layers=("conv1_1",), weights_path=text)
    with pytest.raises(ValueError):
        VGG19Features(layers=("conv6_1",))


def test_frozen_grayscale_and_outputs():
    vgg = VGG19Features(layers=("relu2_2", "conv1_2"))
    assert all(not p.requires_grad for p in vgg.parameters())
    vgg.train()
    assert not vgg.training and not vgg.features.training
    x = torch.rand(2, 1, 12, 10, requires_grad=True)
    out = vgg(x)
    assert list(out) == ["relu2_2", "conv1_2"]
    assert out["conv1_2"].shape == (2, 64, 12, 10) and out["relu2_2"].shape == (2, 128, 6, 5)
    assert (out["relu2_2"] >= 0).all() and (out["conv1_2"] < 0).any()
    torch.testing.assert_close(vgg(x.detach().expand(-1, 3, -1, -1))["conv1_2"], out["conv1_2"].detach())
    out["relu2_2"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ValueError):
        vgg(torch.rand(1, 2, 8, 8))


def test_gram_matrix_known_values():
    x = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # (1, 2, 1, 2)
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4.0
    torch.testing.assert_close(gram_matrix(x), expected)


def test_perceptual_and_style_losses():
    torch.manual_seed(0)
    x, y = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    perceptual = PerceptualLoss(layers=("conv1_2", "conv2_2"), layer_weights=(1.0, 0.5))
    assert perceptual(x, x.clone()).item() == 0.0
    value = perceptual(x, y)
    assert value.item() > 0
    fx, fy = perceptual.features(x), perceptual.features(y)
    expected = (fx["conv1_2"] - fy["conv1_2"]).abs().mean() + 0.5 * (fx["conv2_2"] - fy["conv2_2"]).abs().mean()
    torch.testing.assert_close(value, expected)
    # frames (B, N, C, H, W) are flattened
    torch.testing.assert_close(perceptual(x.view(1, 2, 1, 16, 16), y.view(1, 2, 1, 16, 16)), value)

    style = StyleLoss(layers=("relu1_2",), criterion="l2", features=perceptual.features.__class__(("relu1_2",)))
    assert style(x, x.clone()).item() == 0.0
    s = style(x, y)
    gx, gy = gram_matrix(style.features(x)["relu1_2"]), gram_matrix(style.features(y)["relu1_2"])
    torch.testing.assert_close(s, (gx - gy).square().mean())


def test_combined_loss_shares_one_extractor():
    torch.manual_seed(0)
    loss = PerceptualStyleLoss(
        perceptual_layers=("conv1_2",), style_layers=("relu2_1",), perceptual_weight=1.0, style_weight=10.0
    )
    assert loss.perceptual.features is loss.features and loss.style.features is loss.features
    assert loss.features.layers == ("conv1_2", "relu2_1")
    x = torch.rand(1, 1, 8, 8, requires_grad=True)
    y = torch.rand(1, 1, 8, 8)
    value = loss(x, y)
    torch.testing.assert_close(value, loss.perceptual(x, y) + 10.0 * loss.style(x, y))
    value.backward()
    assert x.grad.abs().sum() > 0
    with pytest.raises(ValueError):
        PerceptualLoss(layers=("conv3_1",), features=loss.features)
    with pytest.raises(ValueError):
        PerceptualLoss(layers=("conv1_1",), layer_weights=(1.0, 2.0))
