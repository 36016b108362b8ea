# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Interlaced sparse cross-attention used as a learned deformation (warping by attention).

Huang et al., "Interlaced Sparse Self-Attention for Semantic Segmentation" (2019) factorise the dense attention over
``N = H * W`` positions into a long-range step (attention within groups of positions spaced ``P`` apart) followed by a
short-range step (attention within local ``P x P`` blocks): every output depends on every input at a cost of
``O(N (N / P^2 + P^2))`` instead of ``O(N^2)``. Here each axis is written in a mixed radix ``h = (d_0, d_1, ..., d_L)``
(coarsest digit first) and step ``l`` attends among the positions that share every digit except ``d_l`` (on both
axes): one level (``block_sizes=(P,)``) is the ISA of the paper, two levels (``block_sizes=(S, P)``) decompose its
long-range step once more.

The attention is a cross-attention whose values are carried unchanged from step to step: the queries come from
target-side features, the keys from the features of one input slice and the values are that slice's pixels (and
features). Each step's weights are row-stochastic, so the output is a convex combination of the slice's values at
other positions: a learned, non-parametric deformation of the slice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["InterlacedSparseAttention2d", "interlaced_attention"]


def _check_block_sizes(block_sizes: Sequence[int], name: str) -> tuple[int, ...]:
    sizes = tuple(block_sizes)
    if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"{name}: block_sizes must be a non-empty sequence of positive ints, got {block_sizes!r}.")
    return sizes


def _to_groups(x: torch.Tensor, step: int, num_digits: int) -> tuple[torch.Tensor, tuple[list[int], torch.Size]]:
    """``(B, C, *digits_h, *digits_w)`` -> ``(B, G, L, C)``: sequences over digit ``step`` of both axes.

    Also returns what :func:`_from_groups` needs to undo it (the permutation and the permuted shape).
    """
    b, c = x.shape[:2]
    h_axes = list(range(2, 2 + num_digits))
    w_axes = list(range(2 + num_digits, 2 + 2 * num_digits))
    others = [a for a in h_axes + w_axes if a not in (h_axes[step], w_axes[step])]
    perm = [0, *others, h_axes[step], w_axes[step], 1]
    y = x.permute(perm)
    return y.reshape(b, -1, y.shape[-3] * y.shape[-2], c), (perm, y.shape)


def _from_groups(y: torch.Tensor, info: tuple[list[int], torch.Size]) -> torch.Tensor:
    """Inverse of :func:`_to_groups` for a ``(B, G, L, C)`` tensor with the same channel count."""
    perm, shape = info
    inverse = [perm.index(i) for i in range(len(perm))]
    return y.reshape(shape).permute(inverse)


def interlaced_attention(
    queries: Sequence[torch.Tensor],
    keys: Sequence[torch.Tensor],
    value: torch.Tensor,
    block_sizes: Sequence[int],
    heads: int = 1,
    scale: float | None = None,
) -> torch.Tensor:
    """Multi-level interlaced sparse cross-attention on already projected queries and keys.

    With ``L = len(block_sizes)`` levels the spatial axes are padded to multiples of ``prod(block_sizes)`` and split
    into ``L + 1`` digits, the coarsest ``ceil(H / prod(block_sizes))``; step ``l`` (``l = 0``: coarsest, longest
    range) attends among positions sharing all digits but digit ``l`` with ``queries[l]`` and ``keys[l]``, and its
    output is the value of step ``l + 1``. Padding: the value is edge-replicated, queries and keys are zero-padded;
    padded keys are masked out in the first step only, so every padded position first becomes the mean of the real
    positions of its group and then serves as a relay (neutral key, logit 0) in the later steps. This keeps the
    output a convex combination of real values and the receptive field global for any ``H, W``; the padding is
    cropped from the output.

    Args:
        queries: ``L + 1`` tensors ``(B, heads * d, H, W)``, one per step (coarsest first).
        keys: ``L + 1`` tensors ``(B, heads * d, H, W)``.
        value: ``(B, Cv, H, W)``, shared by all heads.
        block_sizes: the block sizes of the finer digits, e.g. ``(P,)`` (one level) or ``(S, P)`` (two levels).
        heads: number of heads; each head has its own attention chain over the full value.
        scale: logit scale; defaults to ``1 / sqrt(d)``.

    Returns:
        ``(B, heads, Cv, H, W)``: the value as seen through each head's chain of attention steps.
    """
    sizes = _check_block_sizes(block_sizes, "interlaced_attention")
    steps = len(sizes) + 1
    if len(queries) != steps or len(keys) != steps:
        raise ValueError(
            f"interlaced_attention: need {steps} queries and keys for block_sizes {sizes}, got {len(queries)} and "
            f"{len(keys)}."
        )
    if value.ndim != 4:
        raise ValueError(f"interlaced_attention: value must be (B, C, H, W), got shape {tuple(value.shape)}.")
    b, cv, h, w = value.shape
    for label, group in (("queries", queries), ("keys", keys)):
        for t in group:
            if t.ndim != 4 or t.shape[0] != b or t.shape[-2:] != (h, w) or t.shape[1] % heads:
                raise ValueError(
                    f"interlaced_attention: {label} must be (B={b}, heads*d, {h}, {w}) with heads={heads}, got "
                    f"{tuple(t.shape)}."
                )
    d = queries[0].shape[1] // heads
    if any(t.shape[1] != heads * d for t in (*queries, *keys)):
        raise ValueError("interlaced_attention: all queries and keys must have the same channel count.")
    scale = 1.0 / math.sqrt(d) if scale is None else float(scale)

    multiple = math.prod(sizes)
    hp, wp = -(-h // multiple) * multiple, -(-w // multiple) * multiple
    digits_h = (hp // multiple, *sizes)
    digits_w = (wp // multiple, *sizes)
    pad = (0, wp - w, 0, hp - h)
    padded = pad != (0, 0, 0, 0)

    def split(x: torch.Tensor, mode: str = "constant") -> torch.Tensor:  # (B', C, H, W) -> (B', C, *digits)
        if padded:
            x = F.pad(x, pad, mode=mode)
        return x.reshape(x.shape[0], x.shape[1], *digits_h, *digits_w)

    def per_head(x: torch.Tensor) -> torch.Tensor:  # (B, heads*d, H, W) -> (B*heads, d, H, W)
        return x.reshape(b * heads, d, h, w)

    v = split(value.unsqueeze(1).expand(b, heads, cv, h, w).reshape(b * heads, cv, h, w), "replicate")
    if padded:
        valid = torch.zeros(1, 1, hp, wp, dtype=torch.bool, device=value.device)
        valid[..., :h, :w] = True
        valid = valid.reshape(1, 1, *digits_h, *digits_w)
    for step in range(steps):
        q, _ = _to_groups(split(per_head(queries[step])), step, steps)
        k, _ = _to_groups(split(per_head(keys[step])), step, steps)
        vg, packed = _to_groups(v, step, steps)
        mask = None
        if padded and step == 0:
            key_valid, _ = _to_groups(valid, step, steps)  # (1, G, L, 1)
            neg = torch.finfo(q.dtype).min / 2
            zero = torch.zeros((), dtype=q.dtype, device=q.device)
            mask = torch.where(key_valid.transpose(-1, -2), zero, torch.full_like(zero, neg))  # (1, G, 1, L)
        out = F.scaled_dot_product_attention(q, k, vg.to(q.dtype), attn_mask=mask, scale=scale)
        v = _from_groups(out, packed)
    v = v.reshape(b * heads, cv, hp, wp)[..., :h, :w]
    return v.reshape(b, heads, cv, h, w)


class InterlacedSparseAttention2d(nn.Module):
    """Interlaced sparse cross-attention warping a value map (one or two levels of interlacing).

    Queries come from ``query`` features (the target side), keys from ``key`` features (one input slice), both by
    1x1 convolutions, a separate projection for every step; the heads' outputs (each a convex combination of
    ``value`` at other positions) are averaged, so the result is a learned deformation of ``value``. Any ``H, W``
    works: the maps are padded to multiples of ``stride`` internally (see :func:`interlaced_attention`) and cropped
    back.

    Args:
        query_channels: channels of the query features.
        key_channels: channels of the key features.
        dim: per-head query/key width ``d`` (logits are scaled by ``1 / sqrt(d)``).
        heads: number of heads.
        block_sizes: ``(P,)`` for one-level ISA (long range over positions spaced ``P`` apart, then ``P x P`` local
            blocks), ``(S, P)`` for the two-level variant (the long-range step split once more).

    Shapes:
        ``forward(query (B, Cq, H, W), key (B, Ck, H, W), value (B, Cv, H, W)) -> (B, Cv, H, W)``.
    """

    def __init__(
        self,
        query_channels: int,
        key_channels: int,
        dim: int = 16,
        heads: int = 2,
        block_sizes: Sequence[int] = (4, 8),
    ) -> None:
        super().__init__()
        for name, value in (
            ("query_channels", query_channels),
            ("key_channels", key_channels),
            ("dim", dim),
            ("heads", heads),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"InterlacedSparseAttention2d: {name} must be a positive int, got {value!r}.")
        self.block_sizes = _check_block_sizes(block_sizes, "InterlacedSparseAttention2d")
        self.steps = len(self.block_sizes) + 1
        self.heads = heads
        self.dim = dim
        self.query_channels = query_channels
        self.key_channels = key_channels
        self.q_proj = nn.Conv2d(query_channels, self.steps * heads * dim, 1)
        self.k_proj = nn.Conv2d(key_channels, self.steps * heads * dim, 1)

    @property
    def stride(self) -> int:
        """Size multiple at which no internal padding is needed."""
        return math.prod(self.block_sizes)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """``query (B, Cq, H, W)``, ``key (B, Ck, H, W)``, ``value (B, Cv, H, W)`` -> ``(B, Cv, H, W)``."""
        if query.ndim != 4 or query.shape[1] != self.query_channels:
            raise ValueError(
                f"InterlacedSparseAttention2d: query must be (B, {self.query_channels}, H, W), got "
                f"{tuple(query.shape)}."
            )
        if key.ndim != 4 or key.shape[1] != self.key_channels:
            raise ValueError(
                f"InterlacedSparseAttention2d: key must be (B, {self.key_channels}, H, W), got {tuple(key.shape)}."
            )
        if key.shape[0] != query.shape[0] or key.shape[-2:] != query.shape[-2:]:
            raise ValueError(
                f"InterlacedSparseAttention2d: key {tuple(key.shape)} must match query {tuple(query.shape)} in B, H, W."
            )
        if value.ndim != 4 or value.shape[0] != query.shape[0] or value.shape[-2:] != query.shape[-2:]:
            raise ValueError(
                f"InterlacedSparseAttention2d: value must be (B, Cv, H, W) matching query {tuple(query.shape)}, got "
                f"{tuple(value.shape)}."
            )
        qs = self.q_proj(query).chunk(self.steps, dim=1)
        ks = self.k_proj(key).chunk(self.steps, dim=1)
        out = interlaced_attention(qs, ks, value, self.block_sizes, self.heads)
        return out.mean(dim=1)
