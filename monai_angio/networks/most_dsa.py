# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""MoSt-DSA: direct multi-frame interpolation for DSA by modelling motion and structure interactions between two frames.

Xu et al., "MoSt-DSA: Modeling Motion and Structural Interactions for Direct Multi-Frame Interpolation in DSA
Images", ECAI 2024 (arXiv 2407.07078). Written from the paper's description; the backbone (encoder and MoSt blocks)
runs once per frame pair and only a light time-conditioned head runs for each of the ``N`` requested times, in
training and in inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from monai_angio.baselines.simple import check_interpolator_inputs
from monai_angio.ops import backward_warp

from .blocks.lambda_layer import normalized_coordinates
from .blocks.most_block import ChannelLayerNorm, MoStBlock

__all__ = ["MOST_DSA_CONFIGS", "MoStDSA", "MoStEncoder", "MoStFlowHead", "MoStRefiner"]

#: named configurations: ``paper`` (the published widths) and ``small`` (sized for CPU training and inference)
MOST_DSA_CONFIGS: dict[str, dict[str, Any]] = {
    "paper": {
        "embed_dims": (32, 64, 128, 256),
        "depths": (2, 2, 2, 4),
        "heads": 4,
        "dim_k": 16,
        "dim_u": 1,
        "lambda_kernel": 15,
        "motion_dim": 64,
        "mlp_ratio": 4.0,
        "head_width": 128,
        "refine_width": 64,
    },
    "small": {
        "embed_dims": (8, 16, 32, 64),
        "depths": (1, 1, 1, 2),
        "heads": 2,
        "dim_k": 16,
        "dim_u": 1,
        "lambda_kernel": 7,
        "motion_dim": 24,
        "mlp_ratio": 2.0,
        "head_width": 16,
        "refine_width": 8,
    },
}


def _conv(in_ch: int, out_ch: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """3x3 convolution + PReLU."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation), nn.PReLU(out_ch)
    )


def _conv_stack(in_ch: int, out_ch: int, depth: int) -> nn.Sequential:
    return nn.Sequential(*[_conv(in_ch if i == 0 else out_ch, out_ch) for i in range(depth)])


class _CrossScaleEmbed(nn.Module):
    """Multi-scale (atrous) fusion of the 1, 1/2 and 1/4 feature maps into one 1/8 map.

    The 1/4 map gets one stride-2 convolution, the 1/2 map two stride-4 convolutions (dilation 1, 2) and the full
    resolution map four stride-8 convolutions (dilation 1..4); the outputs are concatenated, projected by a 1x1
    convolution and layer-normalised.
    """

    def __init__(self, in_dims: Sequence[int], out_dim: int) -> None:
        super().__init__()
        base = in_dims[0]
        self.branches = nn.ModuleList()
        self.sources: list[int] = []
        for level in range(len(in_dims)):  # 0: deepest (1/4), then finer maps
            src = len(in_dims) - 1 - level
            for j in range(2**level):
                d = j + 1
                self.branches.append(nn.Conv2d(in_dims[src], base, 3, stride=2 ** (level + 1), padding=d, dilation=d))
                self.sources.append(src)
        self.proj = nn.Conv2d(base * len(self.branches), out_dim, 1)
        self.norm = ChannelLayerNorm(out_dim)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        out = [branch(feats[src]) for branch, src in zip(self.branches, self.sources, strict=True)]
        return self.norm(self.proj(torch.cat(out, dim=1)))


class MoStEncoder(nn.Module):
    """MoSt-DSA encoder: convolutional stages at 1, 1/2, 1/4, cross-scale fusion to 1/8, then MoSt blocks.

    Args:
        in_channels: image channels.
        embed_dims: widths of the four stages (1, 1/2, 1/4, 1/8).
        depths: convolutions per convolutional stage and MoSt blocks in the last stage.
        heads, dim_k, dim_u, lambda_kernel, motion_dim, mlp_ratio: MoSt block settings (see
            :class:`~monai_angio.networks.blocks.MoStBlock`).

    Shapes:
        input ``(2B, C, H, W)`` (frame 0 items then frame 1 items; ``H, W`` multiples of 8). Returns the structure
        features ``[(2B, E0, H, W), (2B, E1, H/2, W/2), (2B, E2, H/4, W/4), (2B, E3, H/8, W/8)]`` and the motion
        features ``(2B, depths[3] * motion_dim, H/8, W/8)`` (the motion output of every block, concatenated).
    """

    def __init__(
        self,
        in_channels: int = 1,
        embed_dims: Sequence[int] = (32, 64, 128, 256),
        depths: Sequence[int] = (2, 2, 2, 4),
        heads: int = 4,
        dim_k: int = 16,
        dim_u: int = 1,
        lambda_kernel: int = 15,
        motion_dim: int = 64,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        if len(embed_dims) != 4 or len(depths) != 4:
            raise ValueError(f"MoStEncoder: embed_dims and depths need 4 entries, got {embed_dims} and {depths}.")
        if any(int(d) < 1 for d in depths) or any(int(e) < 1 for e in embed_dims):
            raise ValueError(f"MoStEncoder: embed_dims and depths must be positive, got {embed_dims}, {depths}.")
        e = [int(v) for v in embed_dims]
        self.embed_dims = tuple(e)
        self.motion_channels = int(depths[3]) * int(motion_dim)
        self.stage0 = _conv_stack(in_channels, e[0], int(depths[0]))
        self.stage1 = nn.Sequential(_conv(e[0], e[1], stride=2), _conv_stack(e[1], e[1], int(depths[1])))
        self.stage2 = nn.Sequential(_conv(e[1], e[2], stride=2), _conv_stack(e[2], e[2], int(depths[2])))
        self.embed = _CrossScaleEmbed(e[:3], e[3])
        self.blocks = nn.ModuleList(
            [MoStBlock(e[3], motion_dim, dim_k, heads, dim_u, lambda_kernel, mlp_ratio) for _ in range(int(depths[3]))]
        )
        self.norm = ChannelLayerNorm(e[3])

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        f0 = self.stage0(x)
        f1 = self.stage1(f0)
        f2 = self.stage2(f1)
        h = self.embed([f0, f1, f2])
        coords = normalized_coordinates(h.shape[-2], h.shape[-1], device=h.device, dtype=h.dtype)
        motion = []
        for block in self.blocks:
            h, m = block(h, coords)
            motion.append(m)
        return [f0, f1, f2, self.norm(h)], torch.cat(motion, dim=1)


class MoStFlowHead(nn.Module):
    """Time-conditioned head: flows to both frames and a blending mask at time ``t`` from the 1/8 features.

    The input of the paper's head is ``[t * M0, (1 - t) * M1, S0, S1]`` (motion and structure features of both
    frames at 1/8), pixel-shuffled to 1/2 resolution and concatenated with the two frames at 1/2. Its first
    convolution is linear, so it is split exactly into ``t * conv(M0) + (1 - t) * conv(M1) + conv(rest)``: the three
    parts are computed once per pair (:meth:`prepare`) and only their time-weighted sum and the following layers run
    per time (:meth:`forward`). The last convolution starts at zero and the mask logit is added to ``logit(1 - t)``,
    so the untrained head gives zero flows and the linear blend ``(1 - t) I0 + t I1``.

    Args:
        motion_channels: motion channels per frame (multiple of 16).
        structure_channels: structure channels per frame at 1/8 (multiple of 16).
        image_channels: channels ``C`` of a frame.
        width: hidden width.
    """

    def __init__(self, motion_channels: int, structure_channels: int, image_channels: int, width: int) -> None:
        super().__init__()
        for name, value in (("motion_channels", motion_channels), ("structure_channels", structure_channels)):
            if value % 16:
                raise ValueError(f"MoStFlowHead: {name} must be a multiple of 16 (4x pixel shuffle), got {value}.")
        self.shuffle = nn.PixelShuffle(4)
        self.conv_m0 = nn.Conv2d(motion_channels // 16, width, 3, padding=1, bias=False)
        self.conv_m1 = nn.Conv2d(motion_channels // 16, width, 3, padding=1, bias=False)
        self.conv_rest = nn.Conv2d(2 * structure_channels // 16 + 2 * image_channels, width, 3, padding=1)
        self.act0 = nn.PReLU(width)
        self.conv1 = _conv(width, width)
        self.out = nn.Conv2d(width, 5, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def prepare(
        self, frame0: torch.Tensor, frame1: torch.Tensor, structure: torch.Tensor, motion: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Time-independent parts of the first convolution: three ``(B, width, H/2, W/2)`` maps.

        Args:
            frame0, frame1: ``(B, C, H, W)``.
            structure, motion: ``(2B, ., H/8, W/8)`` encoder outputs (frame 0 items then frame 1 items).
        """
        b = frame0.shape[0]
        half = F.interpolate(torch.cat([frame0, frame1], 1), scale_factor=0.5, mode="bilinear", align_corners=False)
        s = self.shuffle(torch.cat([structure[:b], structure[b:]], 1))
        rest = self.conv_rest(torch.cat([s, half], 1))
        return self.conv_m0(self.shuffle(motion[:b])), self.conv_m1(self.shuffle(motion[b:])), rest

    def forward(
        self, parts: tuple[torch.Tensor, torch.Tensor, torch.Tensor], t: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Flows and mask logits for every time.

        Args:
            parts: output of :meth:`prepare`.
            t: ``(B, N)`` times.

        Returns:
            ``flow (B * N, 4, H, W)`` (channels 0-1: flow from time t to frame 0, 2-3: to frame 1, in pixels, x then
            y) and ``mask_logit (B * N, 1, H, W)`` (weight of warped frame 0 is ``sigmoid(mask_logit)``).
        """
        p0, p1, rest = parts
        b, n = t.shape
        tt = t.reshape(b, n, 1, 1, 1).to(p0.dtype)
        z = rest.unsqueeze(1) + tt * p0.unsqueeze(1) + (1.0 - tt) * p1.unsqueeze(1)
        z = z.reshape(b * n, *z.shape[2:])
        y = self.out(self.conv1(self.act0(z)))
        y = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)
        flow = 2.0 * y[:, :4]
        tc = t.reshape(b * n, 1, 1, 1).clamp(1e-4, 1.0 - 1e-4).to(y.dtype)
        mask_logit = torch.log1p(-tc) - torch.log(tc) + y[:, 4:5]
        return flow, mask_logit


def _down_block(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(_conv(in_ch, out_ch, stride=2), _conv(out_ch, out_ch))


def _up_block(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1), nn.PReLU(out_ch))


class MoStRefiner(nn.Module):
    """Refinement U-Net predicting a residual for the blended frame from the frames, warps, flows and warped features.

    Four stride-2 levels (widths ``w, 2w, 4w, 8w`` at 1/2 .. 1/16); level ``i`` also receives the structure features of
    both frames at scale ``2^-i`` warped to time ``t``. The decoder returns to 1/2 resolution with transposed
    convolutions and to full resolution with a pixel shuffle. The output convolution starts at zero, so the untrained
    refiner adds nothing; the residual is ``2 sigmoid(.) - 1`` in ``(-1, 1)``.

    Args:
        image_channels: channels ``C`` of a frame.
        context_dims: structure channels at scales 1, 1/2, 1/4, 1/8.
        width: ``w``.
    """

    def __init__(self, image_channels: int, context_dims: Sequence[int], width: int) -> None:
        super().__init__()
        c = list(context_dims)
        w = int(width)
        self.down0 = _down_block(4 * image_channels + 5 + 2 * c[0], w)
        self.down1 = _down_block(w + 2 * c[1], 2 * w)
        self.down2 = _down_block(2 * w + 2 * c[2], 4 * w)
        self.down3 = _down_block(4 * w + 2 * c[3], 8 * w)
        self.up0 = _up_block(8 * w, 4 * w)
        self.up1 = _up_block(8 * w, 2 * w)
        self.up2 = _up_block(4 * w, w)
        # back to full resolution by pixel shuffle: no convolution runs at full resolution on the way up
        self.out = nn.Conv2d(2 * w, 4 * image_channels, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, inputs: torch.Tensor, ctx: Sequence[torch.Tensor]) -> torch.Tensor:
        """``inputs (B', 4C + 5, H, W)`` and ``ctx`` (warped features of both frames per level) -> ``(B', C, H, W)``."""
        s0 = self.down0(torch.cat([inputs, ctx[0]], 1))
        s1 = self.down1(torch.cat([s0, ctx[1]], 1))
        s2 = self.down2(torch.cat([s1, ctx[2]], 1))
        s3 = self.down3(torch.cat([s2, ctx[3]], 1))
        x = self.up0(s3)
        x = self.up1(torch.cat([x, s2], 1))
        x = self.up2(torch.cat([x, s1], 1))
        x = self.shuffle(self.out(torch.cat([x, s0], 1)))
        return 2.0 * torch.sigmoid(x) - 1.0


def _repeat_times(x: torch.Tensor, n: int) -> torch.Tensor:
    """``(B, ...)`` -> ``(B * n, ...)`` with every item repeated ``n`` times consecutively."""
    return x.unsqueeze(1).expand(x.shape[0], n, *x.shape[1:]).reshape(x.shape[0] * n, *x.shape[1:])


class MoStDSA(nn.Module):
    """MoSt-DSA direct multi-frame interpolator: ``N`` frames at arbitrary times from one backbone pass.

    1. **Encoder** (:class:`MoStEncoder`): both frames through convolutional stages at 1, 1/2 and 1/4 resolution,
       multi-scale atrous fusion to 1/8, then MoSt blocks whose inter-frame lambda layers (queries from one frame,
       keys/values from the other; content and local positional lambdas) give per-frame structure features and motion
       features (from the change of a coordinate embedding).
    2. **Time**: the motion features of frame 0 are scaled by ``t`` and those of frame 1 by ``1 - t``, so one
       checkpoint serves any ``t`` in (0, 1).
    3. **Head** (:class:`MoStFlowHead`): flows from time ``t`` to both frames and a blending mask (pixel-shuffle
       upsampling), backward warping of both frames, mask blend, and a refinement U-Net (:class:`MoStRefiner`)
       adding a residual.

    The encoder runs once for the pair; the ``N`` times are batched through the head and the refiner. The untrained
    network returns the linear blend ``(1 - t) frame0 + t frame1`` (zero flows, zero residual), a sensible start for
    DSA where much of the change between frames is contrast dynamics.

    Args:
        config: ``"small"`` or ``"paper"`` (see ``MOST_DSA_CONFIGS``); explicit arguments override its entries.
        in_channels: image channels ``C``.
        embed_dims, depths, heads, dim_k, dim_u, lambda_kernel, motion_dim, mlp_ratio: encoder settings.
        head_width: hidden width of the flow head.
        refine_width: width ``w`` of the refinement U-Net.

    Shapes:
        ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) -> (B, N, C, H, W)`` in [0, 1];
        ``H`` and ``W`` must be multiples of ``stride`` (16): the sequence inferer pads to it.

    Example:
        >>> net = MoStDSA("small")
        >>> f0, f1 = torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64)
        >>> net(f0, f1, torch.tensor([[0.25, 0.5, 0.75]])).shape
        torch.Size([1, 3, 1, 64, 64])
    """

    stride: int = 16

    def __init__(
        self,
        config: str = "small",
        in_channels: int = 1,
        embed_dims: Sequence[int] | None = None,
        depths: Sequence[int] | None = None,
        heads: int | None = None,
        dim_k: int | None = None,
        dim_u: int | None = None,
        lambda_kernel: int | None = None,
        motion_dim: int | None = None,
        mlp_ratio: float | None = None,
        head_width: int | None = None,
        refine_width: int | None = None,
    ) -> None:
        super().__init__()
        if config not in MOST_DSA_CONFIGS:
            raise ValueError(f"MoStDSA: unknown config {config!r}; choose one of {sorted(MOST_DSA_CONFIGS)}.")
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"MoStDSA: in_channels must be a positive int, got {in_channels!r}.")
        given = {
            "embed_dims": embed_dims,
            "depths": depths,
            "heads": heads,
            "dim_k": dim_k,
            "dim_u": dim_u,
            "lambda_kernel": lambda_kernel,
            "motion_dim": motion_dim,
            "mlp_ratio": mlp_ratio,
            "head_width": head_width,
            "refine_width": refine_width,
        }
        cfg = dict(MOST_DSA_CONFIGS[config])
        cfg.update({k: v for k, v in given.items() if v is not None})
        self.config = config
        self.hparams = {"in_channels": in_channels, **cfg}
        self.in_channels = in_channels
        self.encoder = MoStEncoder(
            in_channels,
            cfg["embed_dims"],
            cfg["depths"],
            cfg["heads"],
            cfg["dim_k"],
            cfg["dim_u"],
            cfg["lambda_kernel"],
            cfg["motion_dim"],
            cfg["mlp_ratio"],
        )
        dims = self.encoder.embed_dims
        self.head = MoStFlowHead(self.encoder.motion_channels, dims[3], in_channels, int(cfg["head_width"]))
        self.refiner = MoStRefiner(in_channels, dims, int(cfg["refine_width"]))

    def encode(self, frame0: torch.Tensor, frame1: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Run the backbone once on the pair: structure features per scale and motion features, both ``(2B, ...)``."""
        return self.encoder(torch.cat([frame0, frame1], dim=0))

    def decode(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        structure: Sequence[torch.Tensor],
        motion: torch.Tensor,
        t: torch.Tensor,
        return_intermediates: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Synthesize the frames at times ``t (B, N)`` from the encoder outputs; ``(B, N, C, H, W)``.

        With ``return_intermediates`` also returns ``{"flow": (B, N, 4, H, W), "mask": (B, N, 1, H, W),
        "merged": (B, N, C, H, W)}`` (mask = weight of warped frame 0; merged = blend before refinement).
        """
        b, c, h, w = frame0.shape
        n = t.shape[1]
        parts = self.head.prepare(frame0, frame1, structure[3], motion)
        flow, mask_logit = self.head(parts, t)  # (B*N, ...)
        i0, i1 = _repeat_times(frame0, n), _repeat_times(frame1, n)
        flow0, flow1 = flow[:, :2], flow[:, 2:]
        w0 = backward_warp(i0, flow0)
        w1 = backward_warp(i1, flow1)
        mask = torch.sigmoid(mask_logit)
        merged = mask * w0 + (1.0 - mask) * w1
        ctx = []
        f0, f1 = flow0, flow1
        for level, feat in enumerate(structure):
            if level:
                f0 = 0.5 * F.interpolate(f0, scale_factor=0.5, mode="bilinear", align_corners=False)
                f1 = 0.5 * F.interpolate(f1, scale_factor=0.5, mode="bilinear", align_corners=False)
            ctx.append(
                torch.cat(
                    [backward_warp(_repeat_times(feat[:b], n), f0), backward_warp(_repeat_times(feat[b:], n), f1)], 1
                )
            )
        residual = self.refiner(torch.cat([i0, i1, w0, w1, mask_logit, flow], 1), ctx)
        out = (merged + residual).clamp(0.0, 1.0).reshape(b, n, c, h, w)
        if not return_intermediates:
            return out
        extra = {
            "flow": flow.reshape(b, n, 4, h, w),
            "mask": mask.reshape(b, n, 1, h, w),
            "merged": merged.reshape(b, n, c, h, w),
        }
        return out, extra

    def forward(
        self, frame0: torch.Tensor, frame1: torch.Tensor | None = None, t: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``frame0, frame1 (B, C, H, W)`` in [0, 1], ``t (B, N)`` -> ``(B, N, C, H, W)``.

        Called with one tensor (MONAI's single-input convention, used by ``verify_net_in_out`` and the exporters),
        ``frame0`` is the pair stacked as channels ``(B, 2C, H, W)``; the frame halfway between them is returned as
        ``(B, C, H, W)`` (frames are padded to ``stride`` and the output cropped back).
        """
        if frame1 is None and t is None:
            return self._middle_frame(frame0)
        if frame1 is None or t is None:
            raise ValueError("MoStDSA: pass frame0, frame1 and t (or a single stacked pair).")
        frame0, frame1, t = check_interpolator_inputs(frame0, frame1, t, type(self).__name__)
        if frame0.shape[1] != self.in_channels:
            raise ValueError(
                f"MoStDSA: expected {self.in_channels} image channel(s), got frames of shape {tuple(frame0.shape)}."
            )
        h, w = frame0.shape[-2:]
        if h % self.stride or w % self.stride:
            raise ValueError(
                f"MoStDSA: height and width must be multiples of {self.stride}, got {h}x{w}; pad the frames "
                "(SequenceInterpolator does this)."
            )
        structure, motion = self.encode(frame0, frame1)
        return self.decode(frame0, frame1, structure, motion, t)

    def _middle_frame(self, pair: torch.Tensor) -> torch.Tensor:
        """``(B, 2C, H, W)`` stacked pair -> ``(B, C, H, W)`` frame at ``t = 0.5`` (any ``H, W``)."""
        c = self.in_channels
        if pair.ndim != 4 or pair.shape[1] != 2 * c:
            raise ValueError(
                f"MoStDSA: a single input must be the pair stacked as channels (B, {2 * c}, H, W), got "
                f"{tuple(pair.shape)}."
            )
        h, w = pair.shape[-2:]
        ph, pw = (-h) % self.stride, (-w) % self.stride
        # padded even by zero pixels: no size-dependent branch, so a traced (TorchScript) model works at any size
        pair = F.pad(pair, (0, pw, 0, ph), mode="replicate")
        t = torch.zeros_like(pair[:, :1, 0, 0]) + 0.5  # (B, 1); from the input so that a trace works at any B
        return self.forward(pair[:, :c], pair[:, c:], t)[:, 0, :, :h, :w]

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
