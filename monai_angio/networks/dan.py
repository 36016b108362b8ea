# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""DAN: a deformation-aware network for consecutive biomedical image interpolation.

Wang, Li, Chen, Han, "DAN: A Deformation-Aware Network for Consecutive Biomedical Image Interpolation": given slices
``z - 1`` and ``z + 1`` of a serial-section EM stack, synthesize slice ``z``. Written from the paper's description:
a siamese residual dense feature extractor (SRDN), a deformation-aware layer (two-level interlaced sparse
cross-attention whose weights warp each slice) and a small blending network. The ablation switches of the paper
(feature extractor, Table 1; synthesis by one-level attention or by adaptive kernels, Table 2) are arguments.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .blocks.interlaced_attention import InterlacedSparseAttention2d
from .blocks.residual_dense import ResidualDenseTrunk
from .utils import pad_to_multiple

__all__ = ["DAN", "DAN_CONFIGS", "DAN_EXTRACTORS", "DAN_SYNTHESES", "AdaptiveKernelWarp", "RDNFeatures", "SmallUNet"]

#: named configurations: ``paper`` (64 features and several residual dense blocks) and ``small`` (sized for CPU)
DAN_CONFIGS: dict[str, dict[str, Any]] = {
    "paper": {
        "num_features": 64,
        "num_blocks": 6,
        "num_layers": 6,
        "growth_rate": 32,
        "unet_levels": 3,
        "heads": 4,
        "dim": 16,
        "one_level_blocks": (16,),
        "two_level_blocks": (4, 8),
        "kernel_size": 5,
        "blend_width": 64,
    },
    "small": {
        "num_features": 16,
        "num_blocks": 2,
        "num_layers": 3,
        "growth_rate": 8,
        "unet_levels": 2,
        "heads": 1,
        "dim": 8,
        "one_level_blocks": (16,),
        "two_level_blocks": (4, 8),
        "kernel_size": 5,
        "blend_width": 16,
    },
}
#: feature extractors (the paper's Table 1): siamese RDN, RDN on the stacked pair, U-Net on the pair, siamese U-Net
DAN_EXTRACTORS = ("srdn", "rdn", "unet", "siamese_unet")
#: syntheses (the paper's Table 2): two-level interlaced attention, one-level interlaced attention, adaptive kernels
DAN_SYNTHESES = ("two_level", "one_level", "kernel")


class RDNFeatures(ResidualDenseTrunk):
    """Residual dense feature extractor (:class:`~monai_angio.networks.blocks.ResidualDenseTrunk`) with an optional
    3x3 output convolution to ``out_channels``.

    Args:
        in_channels: input channels.
        num_features: feature width.
        num_blocks, num_layers, growth_rate: residual dense block settings.
        out_channels: output channels; ``None`` returns the fused features (``num_features`` channels).

    Shapes:
        ``(B, in_channels, H, W) -> (B, out_channels or num_features, H, W)``.
    """

    def __init__(
        self,
        in_channels: int,
        num_features: int,
        num_blocks: int,
        num_layers: int,
        growth_rate: int,
        out_channels: int | None = None,
    ) -> None:
        super().__init__(in_channels, num_features, num_blocks, num_layers, growth_rate)
        self.out = None if out_channels is None else nn.Conv2d(num_features, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, H, W)`` -> ``(B, out_channels or num_features, H, W)``."""
        h = self.features(x)
        return h if self.out is None else self.out(h)


def _double_conv(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class SmallUNet(nn.Module):
    """A small U-Net (max-pool down, bilinear up, skip concatenation); widths ``w, 2w, 4w, ...``.

    Inputs of any size are padded (replicate) to multiples of ``stride = 2**levels`` and cropped back.

    Args:
        in_channels: input channels.
        width: width ``w`` of the first level.
        out_channels: output channels.
        levels: number of down-sampling steps.

    Shapes:
        ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, width: int, out_channels: int, levels: int = 3) -> None:
        super().__init__()
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
            raise ValueError(f"SmallUNet: levels must be a positive int, got {levels!r}.")
        self.stride = 2**levels
        widths = [width * 2**i for i in range(levels + 1)]
        self.down = nn.ModuleList([_double_conv(in_channels, widths[0])])
        self.down.extend(_double_conv(widths[i], widths[i + 1]) for i in range(levels))
        self.up = nn.ModuleList(_double_conv(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(levels)))
        self.out = nn.Conv2d(widths[0], out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, H, W)`` -> ``(B, out_channels, H, W)``."""
        h, w = x.shape[-2:]
        y = self.down[0](pad_to_multiple(x, self.stride))
        skips = [y]
        for down in self.down[1:]:
            y = down(F.max_pool2d(y, 2))
            skips.append(y)
        skips.pop()
        for up in self.up:
            skip = skips.pop()
            y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            y = up(torch.cat([y, skip], dim=1))
        return self.out(y)[..., :h, :w]


class AdaptiveKernelWarp(nn.Module):
    """Kernel-estimation synthesis baseline: per-pixel ``k x k`` kernels predicted from features, applied to a value.

    The kernels are softmax-normalised (each output pixel is a convex combination of its ``k x k`` neighbourhood,
    edges replicated), so this is the local counterpart of :class:`InterlacedSparseAttention2d` with the same call.

    Args:
        query_channels: channels of the target-side features.
        key_channels: channels of the slice features.
        kernel_size: odd kernel size ``k``.
        width: hidden width of the kernel predictor.

    Shapes:
        ``forward(query (B, Cq, H, W), key (B, Ck, H, W), value (B, Cv, H, W)) -> (B, Cv, H, W)``.
    """

    def __init__(self, query_channels: int, key_channels: int, kernel_size: int = 5, width: int = 16) -> None:
        super().__init__()
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"AdaptiveKernelWarp: kernel_size must be a positive odd int, got {kernel_size!r}.")
        self.kernel_size = kernel_size
        self.stride = 1
        self.predictor = nn.Sequential(
            nn.Conv2d(query_channels + key_channels, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, kernel_size * kernel_size, 3, padding=1),
        )

    def kernels(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Softmax-normalised kernels ``(B, k*k, H, W)``."""
        return torch.softmax(self.predictor(torch.cat([query, key], dim=1)), dim=1)

    def apply_kernels(self, kernels: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """Apply ``kernels (B, k*k, H, W)`` to ``value (B, Cv, H, W)``; ``(B, Cv, H, W)``."""
        k = self.kernel_size
        b, c, h, w = value.shape
        patches = F.unfold(F.pad(value, (k // 2,) * 4, mode="replicate"), k)  # (B, C*k*k, H*W)
        patches = patches.reshape(b, c, k * k, h, w)
        return (patches * kernels.unsqueeze(1)).sum(dim=2)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """``query (B, Cq, H, W)``, ``key (B, Ck, H, W)``, ``value (B, Cv, H, W)`` -> ``(B, Cv, H, W)``."""
        return self.apply_kernels(self.kernels(query, key), value)


class DAN(nn.Module):
    """Deformation-aware network: synthesize the middle slice from its two neighbours.

    1. **Feature extractor** (``extractor``): ``"srdn"`` (default) the same :class:`RDNFeatures` applied to each
       slice (siamese, shared weights); ``"rdn"`` one RDN on the two slices stacked as channels, its output split into
       two feature maps; ``"unet"`` / ``"siamese_unet"`` a :class:`SmallUNet` on the stacked pair / on each slice.
    2. **Target features** ``t = conv(relu(conv(cat(f_0, f_1))))`` (the middle slice is unknown: its features are
       inferred from both neighbours).
    3. **Deformation-aware layer** (``synthesis``): for each slice ``i``, queries from ``t``, keys from ``f_i``,
       values ``cat(slice_i, f_i)``; ``"two_level"`` (default) two-level interlaced sparse attention, ``"one_level"``
       one level, ``"kernel"`` per-pixel ``k x k`` adaptive kernels (:class:`AdaptiveKernelWarp`). The same module
       (weights) warps both slices; the result is the warped slice and its warped features.
    4. **Blendnet**: three 3x3 convolutions on ``cat(w_0, w_1, t)`` giving a mask ``m`` and a residual ``r``;
       output ``clamp(sigmoid(m) w_0 + (1 - sigmoid(m)) w_1 + r, 0, 1)``. The last convolution starts at zero, so the
       untrained blendnet averages the two warped slices.

    Args:
        config: ``"small"`` or ``"paper"`` (see ``DAN_CONFIGS``); keyword overrides of its entries go in ``overrides``.
        in_channels: image channels ``C`` of one slice.
        extractor: one of ``DAN_EXTRACTORS``.
        synthesis: one of ``DAN_SYNTHESES``.
        **overrides: entries of ``DAN_CONFIGS`` to override (e.g. ``num_features=8``).

    Shapes:
        ``forward(slice0 (B, C, H, W), slice1 (B, C, H, W)) -> (B, C, H, W)`` in [0, 1], or ``forward(pair)`` with
        ``pair (B, 2C, H, W)`` (slice 0 channels first). Any ``H, W``: the blocks pad internally; ``stride`` is the
        multiple at which no padding happens.
    """

    def __init__(
        self,
        config: str = "small",
        in_channels: int = 1,
        extractor: str = "srdn",
        synthesis: str = "two_level",
        **overrides: Any,
    ) -> None:
        super().__init__()
        if config not in DAN_CONFIGS:
            raise ValueError(f"DAN: unknown config {config!r}; choose one of {sorted(DAN_CONFIGS)}.")
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"DAN: in_channels must be a positive int, got {in_channels!r}.")
        if extractor not in DAN_EXTRACTORS:
            raise ValueError(f"DAN: unknown extractor {extractor!r}; choose one of {list(DAN_EXTRACTORS)}.")
        if synthesis not in DAN_SYNTHESES:
            raise ValueError(f"DAN: unknown synthesis {synthesis!r}; choose one of {list(DAN_SYNTHESES)}.")
        unknown = sorted(set(overrides) - set(DAN_CONFIGS[config]))
        if unknown:
            raise ValueError(f"DAN: unknown overrides {unknown}; valid keys are {sorted(DAN_CONFIGS[config])}.")
        cfg = {**DAN_CONFIGS[config], **overrides}
        for name in ("num_features", "num_blocks", "num_layers", "growth_rate", "heads", "dim", "blend_width"):
            value = cfg[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DAN: {name} must be a positive int, got {value!r}.")
        self.config = config
        self.in_channels = in_channels
        self.extractor_name = extractor
        self.synthesis_name = synthesis
        self.hparams = {"in_channels": in_channels, "extractor": extractor, "synthesis": synthesis, **cfg}
        c, nf = in_channels, cfg["num_features"]
        rdn = (cfg["num_blocks"], cfg["num_layers"], cfg["growth_rate"])

        self.siamese = extractor in ("srdn", "siamese_unet")
        extractor_stride = 1
        if extractor == "srdn":
            self.extractor: nn.Module = RDNFeatures(c, nf, *rdn)
        elif extractor == "rdn":
            self.extractor = RDNFeatures(2 * c, nf, *rdn, out_channels=2 * nf)
        else:
            self.extractor = SmallUNet(
                c if self.siamese else 2 * c, nf, nf if self.siamese else 2 * nf, cfg["unet_levels"]
            )
            extractor_stride = self.extractor.stride

        self.target = nn.Sequential(
            nn.Conv2d(2 * nf, nf, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(nf, nf, 3, padding=1)
        )
        if synthesis == "kernel":
            self.synthesis: nn.Module = AdaptiveKernelWarp(nf, nf, cfg["kernel_size"], width=nf)
        else:
            blocks = cfg["two_level_blocks"] if synthesis == "two_level" else cfg["one_level_blocks"]
            self.synthesis = InterlacedSparseAttention2d(nf, nf, cfg["dim"], cfg["heads"], blocks)
        width = cfg["blend_width"]
        self.blend = nn.Sequential(
            nn.Conv2d(2 * (c + nf) + nf, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, 1 + c, 3, padding=1),
        )
        nn.init.zeros_(self.blend[-1].weight)
        nn.init.zeros_(self.blend[-1].bias)
        self.stride = math.lcm(extractor_stride, self.synthesis.stride)

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def extract(self, slice0: torch.Tensor, slice1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features of both slices: ``(B, F, H, W)`` each (shared weights for the siamese extractors)."""
        if self.siamese:
            f = self.extractor(torch.cat([slice0, slice1], dim=0))
            return f[: slice0.shape[0]], f[slice0.shape[0] :]
        return self.extractor(torch.cat([slice0, slice1], dim=1)).chunk(2, dim=1)

    def warp(
        self, slice0: torch.Tensor, slice1: torch.Tensor, f0: torch.Tensor, f1: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Deformation-aware layer: ``cat(slice_i, f_i)`` warped towards the target, ``(B, C + F, H, W)`` each."""
        b = slice0.shape[0]
        query = torch.cat([target, target], dim=0)
        key = torch.cat([f0, f1], dim=0)
        value = torch.cat([torch.cat([slice0, f0], dim=1), torch.cat([slice1, f1], dim=1)], dim=0)
        warped = self.synthesis(query, key, value)
        return warped[:b], warped[b:]

    def _check(self, slice0: Any, slice1: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(slice0, torch.Tensor):
            raise TypeError(f"DAN: slice0 must be a torch.Tensor, got {type(slice0).__name__}.")
        if slice1 is None:
            if slice0.ndim != 4 or slice0.shape[1] != 2 * self.in_channels:
                raise ValueError(
                    f"DAN: pair must be (B, {2 * self.in_channels}, H, W) (two slices of {self.in_channels} channels "
                    f"stacked), got shape {tuple(slice0.shape)}."
                )
            slice0, slice1 = slice0.chunk(2, dim=1)
        if not isinstance(slice1, torch.Tensor):
            raise TypeError(f"DAN: slice1 must be a torch.Tensor, got {type(slice1).__name__}.")
        if slice0.ndim != 4 or slice0.shape[1] != self.in_channels:
            raise ValueError(f"DAN: slice0 must be (B, {self.in_channels}, H, W), got shape {tuple(slice0.shape)}.")
        if slice1.shape != slice0.shape:
            raise ValueError(f"DAN: slice1 {tuple(slice1.shape)} must have the shape of slice0 {tuple(slice0.shape)}.")
        if slice0.numel() == 0:
            raise ValueError(f"DAN: slice0 is empty, shape {tuple(slice0.shape)}.")
        if slice0.device != slice1.device:
            raise ValueError(f"DAN: slice0 on {slice0.device} but slice1 on {slice1.device}.")
        if not slice0.is_floating_point():
            slice0 = slice0.float()
        return slice0, slice1.to(slice0.dtype)

    def forward(
        self, slice0: torch.Tensor, slice1: torch.Tensor | None = None, return_intermediates: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Synthesize the middle slice.

        Args:
            slice0: ``(B, C, H, W)`` slice ``z - 1``, or the stacked pair ``(B, 2C, H, W)`` when ``slice1`` is None.
            slice1: ``(B, C, H, W)`` slice ``z + 1``.
            return_intermediates: also return ``{"warped0", "warped1": (B, C, H, W), "mask": (B, 1, H, W)}``.

        Returns:
            ``(B, C, H, W)`` in [0, 1].
        """
        slice0, slice1 = self._check(slice0, slice1)
        c = self.in_channels
        f0, f1 = self.extract(slice0, slice1)
        target = self.target(torch.cat([f0, f1], dim=1))
        w0, w1 = self.warp(slice0, slice1, f0, f1, target)
        y = self.blend(torch.cat([w0, w1, target], dim=1))
        mask = torch.sigmoid(y[:, :1])
        out = (mask * w0[:, :c] + (1.0 - mask) * w1[:, :c] + y[:, 1:]).clamp(0.0, 1.0)
        if not return_intermediates:
            return out
        return out, {"warped0": w0[:, :c], "warped1": w1[:, :c], "mask": mask}
