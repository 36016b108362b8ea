# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Inter-frame lambda layer (MoSt-DSA): lambda layers (Bello, ICLR 2021) with queries from one frame and keys/values
from the other, plus motion features from the change of a coordinate embedding."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["InterFrameLambda", "normalized_coordinates"]


def normalized_coordinates(height: int, width: int, device=None, dtype=None) -> torch.Tensor:
    """Pixel-centre coordinates in ``[-1, 1]``: ``(1, 2, H, W)``, channel 0 = x (columns), channel 1 = y (rows)."""
    ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack((gx, gy), dim=0).unsqueeze(0)


class InterFrameLambda(nn.Module):
    """Lambda layer between the two frames of a pair, returning structure (appearance) and motion features.

    The batch holds both frames: items ``0 .. B-1`` are frame 0 and ``B .. 2B-1`` frame 1 (``x.shape[0] = 2B``).
    Each frame's queries attend to the *other* frame: keys and values come from the partner item. Following the lambda
    layer, context is summarised into linear functions (lambdas) applied to the queries:

    * content lambda ``λc = softmax(K)ᵀ V`` (``k × v``, shared by all positions),
    * local positional lambdas ``λp_n = Σ_m E_{n-m} V_m`` over an ``r × r`` neighbourhood (an ``r × r`` convolution
      over the value maps, one output per key dimension),

    and ``y_n = Σ_heads q_nᵀ (λc + λp_n)`` (multi-query: ``heads`` queries share the lambdas). Motion features come
    from applying the same lambdas to an embedding of the pixel coordinates instead of the queries: the change
    ``embed(p) → (λc + λp)ᵀ embed(p)`` tells how the other frame's context displaces each position.

    Args:
        dim: input channels ``C``.
        dim_out: output (structure) channels, divisible by ``heads`` (default ``dim``).
        dim_k: query/key depth ``k``.
        heads: number of queries per position.
        dim_u: intra-depth ``u`` of keys and values.
        kernel_size: ``r`` of the local positional lambdas (odd).
        motion_dim: channels of the motion output.

    Shapes:
        ``x``: ``(2B, C, H, W)``; ``coords``: ``(1, 2, H, W)`` or ``(2B, 2, H, W)`` (default:
        :func:`normalized_coordinates`).
        Returns ``(structure (2B, dim_out, H, W), motion (2B, motion_dim, H, W))``.
    """

    def __init__(
        self,
        dim: int,
        dim_out: int | None = None,
        dim_k: int = 16,
        heads: int = 4,
        dim_u: int = 1,
        kernel_size: int = 15,
        motion_dim: int = 64,
    ) -> None:
        super().__init__()
        dim_out = dim if dim_out is None else dim_out
        for name, value in (("dim", dim), ("dim_out", dim_out), ("dim_k", dim_k), ("heads", heads), ("dim_u", dim_u)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"InterFrameLambda: {name} must be a positive int, got {value!r}.")
        if dim_out % heads:
            raise ValueError(f"InterFrameLambda: dim_out ({dim_out}) must be divisible by heads ({heads}).")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"InterFrameLambda: kernel_size must be a positive odd int, got {kernel_size!r}.")
        if not isinstance(motion_dim, int) or motion_dim < 1:
            raise ValueError(f"InterFrameLambda: motion_dim must be a positive int, got {motion_dim!r}.")
        self.heads, self.dim_k, self.dim_u = heads, dim_k, dim_u
        self.dim_v = dim_out // heads
        self.kernel_size = kernel_size
        self.to_q = nn.Conv2d(dim, dim_k * heads, 1, bias=False)
        self.to_k = nn.Conv2d(dim, dim_k * dim_u, 1, bias=False)
        self.to_v = nn.Conv2d(dim, self.dim_v * dim_u, 1, bias=False)
        self.norm_q = nn.BatchNorm2d(dim_k * heads)
        self.norm_v = nn.BatchNorm2d(self.dim_v * dim_u)
        # positional embeddings E (r x r x k x u) as a convolution over the value maps
        self.pos_conv = nn.Conv2d(dim_u, dim_k, kernel_size, padding=kernel_size // 2)
        self.coord_embed = nn.Conv2d(2, dim_k * heads, 1)
        self.coord_compress = nn.Conv2d(dim_out, dim_k * heads, 1, bias=False)
        self.motion_proj = nn.Conv2d(dim_k * heads, motion_dim, 1)

    def _apply_lambdas(self, queries: torch.Tensor, lam_c: torch.Tensor, lam_p: torch.Tensor) -> torch.Tensor:
        """``queries (b, h, k, n)`` -> ``(b, h * v, n)`` with content ``(b, k, v)`` and position ``(b, v, k, n)``."""
        b, h, k, n = queries.shape
        y_c = torch.einsum("bhkn,bkv->bhvn", queries, lam_c)
        # per position n: (h x k) @ (k x v), as a broadcast product summed over k (no large permutes)
        y_p = torch.stack([(queries[:, i].unsqueeze(1) * lam_p).sum(dim=2) for i in range(h)], dim=1)
        return (y_c + y_p).reshape(b, h * self.dim_v, n)

    def forward(self, x: torch.Tensor, coords: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim != 4 or x.shape[0] % 2:
            raise ValueError(f"InterFrameLambda: x must be (2B, C, H, W) with both frames, got {tuple(x.shape)}.")
        b2, _, hh, ww = x.shape
        n = hh * ww
        h, k, u, v = self.heads, self.dim_k, self.dim_u, self.dim_v
        half = b2 // 2
        other = torch.cat((x[half:], x[:half]), dim=0)  # the partner frame of every item (traceable at any B)
        q = self.norm_q(self.to_q(x)).reshape(b2, h, k, n)
        keys = self.to_k(other).reshape(b2, u, k, n).softmax(dim=-1)
        values = self.norm_v(self.to_v(other))  # (2B, u * v, H, W)
        lam_c = torch.einsum("bukm,buvm->bkv", keys, values.reshape(b2, u, v, n))
        # λp: r x r conv of each value map (u channels in, k out): (2B * v, u, H, W) -> (2B, v, k, n)
        vmaps = values.reshape(b2, u, v, hh, ww).transpose(1, 2).reshape(b2 * v, u, hh, ww)
        lam_p = self.pos_conv(vmaps).reshape(b2, v, k, n)
        structure = self._apply_lambdas(q, lam_c, lam_p).reshape(b2, h * v, hh, ww)

        if coords is None:
            coords = normalized_coordinates(hh, ww, device=x.device, dtype=x.dtype)
        embed = self.coord_embed(coords.to(dtype=x.dtype)).expand(b2, -1, -1, -1)  # (2B, h * k, H, W)
        moved = self._apply_lambdas(embed.reshape(b2, h, k, n), lam_c, lam_p).reshape(b2, h * v, hh, ww)
        motion = self.motion_proj(self.coord_compress(moved) - embed)
        return structure, motion
