# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.networks.dan (DAN) and its interlaced sparse attention block."""

from __future__ import annotations

import math

import pytest
import torch

from monai_angio.networks.blocks.interlaced_attention import InterlacedSparseAttention2d, interlaced_attention
from monai_angio.networks.dan import DAN, DAN_CONFIGS, DAN_EXTRACTORS, DAN_SYNTHESES, AdaptiveKernelWarp

# a tiny configuration so that every network test runs in a fraction of a second
TINY = {
    "num_features": 4,
    "num_blocks": 1,
    "num_layers": 2,
    "growth_rate": 4,
    "heads": 2,
    "dim": 4,
    "one_level_blocks": (4,),
    "two_level_blocks": (2, 4),
    "blend_width": 4,
    "unet_levels": 2,
}


def tiny(extractor: str = "srdn", synthesis: str = "two_level", **kw) -> DAN:
    torch.manual_seed(0)
    net = DAN("small", extractor=extractor, synthesis=synthesis, **{**TINY, **kw})
    torch.nn.init.normal_(net.blend[-1].weight, std=0.1)  # an "untrained but not blank" blendnet
    torch.nn.init.normal_(net.blend[-1].bias, std=0.1)
    return net


def digits(j: int, bases: tuple[int, ...]) -> list[int]:
    """Mixed-radix digits of ``j`` (coarsest first)."""
    out = []
    for base in reversed(bases):
        out.append(j % base)
        j //= base
    return out[::-1]


def number(ds: list[int], bases: tuple[int, ...]) -> int:
    j = 0
    for d, base in zip(ds, bases, strict=True):
        j = j * base + d
    return j


@pytest.mark.parametrize("block_sizes", [(4,), (2, 4), (2, 2)])
def test_one_hot_attention_routes_every_position_to_its_right_neighbour(block_sizes):
    # H = 3 is padded internally (masked padding); W = 16 is a multiple of every prod(block_sizes)
    h, w = 3, 16
    n = h * w
    bases = (w // math.prod(block_sizes), *block_sizes)
    steps = len(bases)
    keys = torch.eye(n).T.reshape(1, n, h, w)  # key at position p: one-hot(p)
    queries = [torch.zeros(1, n, h, w) for _ in range(steps)]
    for i in range(h):
        for j in range(w):
            d = digits(j, bases)
            e = digits((j + 1) % w, bases)  # target: right neighbour, cyclic
            for step in range(steps):
                at = number(d[: step + 1] + e[step + 1 :], bases)  # where the step-`step` query sits
                to = number(d[:step] + e[step:], bases)  # the position it must pick
                queries[step][0, i * w + to, i, at] = 30.0
    value = torch.randn(1, 3, h, w)
    out = interlaced_attention(queries, [keys] * steps, value, block_sizes, heads=1, scale=1.0)
    assert out.shape == (1, 1, 3, h, w)
    torch.testing.assert_close(out[:, 0], torch.roll(value, -1, dims=-1), atol=1e-5, rtol=0)


def test_uniform_attention_is_the_global_mean_and_padding_stays_convex():
    value = torch.randn(2, 3, 8, 8)
    zeros = [torch.zeros(2, 4, 8, 8)] * 3
    out = interlaced_attention(zeros, zeros, value, (2, 2), heads=2)
    # without padding every step is uniform over its group: the global mean, for every position and head
    expected = value.mean(dim=(-2, -1), keepdim=True).expand(2, 3, 8, 8)
    torch.testing.assert_close(out[:, 0], expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[:, 1], expected, atol=1e-5, rtol=1e-5)
    # padded to 8 x 8: the (masked) padding never leaks in, the output stays within the value range per channel
    value = torch.rand(1, 1, 5, 7) + 1.0
    zeros = [torch.zeros(1, 2, 5, 7)] * 3
    out = interlaced_attention(zeros, zeros, value, (2, 2), heads=1)
    assert out.min() >= value.min() - 1e-6 and out.max() <= value.max() + 1e-6


def jacobian_support(fn, value: torch.Tensor) -> torch.Tensor:
    """``|d out[p] / d value[q]| > 0`` as an ``(N, N)`` bool matrix for a one-channel ``(1, 1, H, W)`` value."""
    jac = torch.autograd.functional.jacobian(fn, value)
    n = value.numel()
    return jac.reshape(n, n).abs() > 0


@pytest.mark.parametrize("block_sizes", [(2, 2), (3,)])
def test_interlaced_attention_has_a_global_receptive_field(block_sizes):
    torch.manual_seed(0)
    layer = InterlacedSparseAttention2d(3, 3, dim=4, heads=2, block_sizes=block_sizes).double()
    query, key = torch.randn(1, 3, 6, 7, dtype=torch.double), torch.randn(1, 3, 6, 7, dtype=torch.double)
    support = jacobian_support(lambda v: layer(query, key, v), torch.randn(1, 1, 6, 7, dtype=torch.double))
    assert support.all()  # every output position depends on every input position (two- and one-level)


def test_kernel_synthesis_is_local():
    torch.manual_seed(0)
    layer = AdaptiveKernelWarp(3, 3, kernel_size=5, width=4).double()
    h, w = 9, 10
    query, key = torch.randn(1, 3, h, w, dtype=torch.double), torch.randn(1, 3, h, w, dtype=torch.double)
    support = jacobian_support(lambda v: layer(query, key, v), torch.randn(1, 1, h, w, dtype=torch.double))
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    near = ((ys[:, None] - ys[None, :]).abs() <= 2) & ((xs[:, None] - xs[None, :]).abs() <= 2)
    assert not (support & ~near).any()  # nothing outside the 5x5 neighbourhood
    assert support[near & (ys[:, None] == 4) & (xs[:, None] == 5)].all()  # interior pixel: its whole 5x5 window


def test_interlaced_attention_gradcheck():
    torch.manual_seed(0)
    layer = InterlacedSparseAttention2d(2, 2, dim=1, heads=2, block_sizes=(2,)).double()
    inputs = [torch.randn(1, 2, 3, 3, dtype=torch.double, requires_grad=True) for _ in range(3)]  # padded to 4 x 4
    assert torch.autograd.gradcheck(layer, inputs)


def test_interlaced_attention_bad_arguments():
    with pytest.raises(ValueError, match="block_sizes"):
        InterlacedSparseAttention2d(4, 4, block_sizes=())
    with pytest.raises(ValueError, match="block_sizes"):
        InterlacedSparseAttention2d(4, 4, block_sizes=(0, 2))
    with pytest.raises(ValueError, match="heads"):
        InterlacedSparseAttention2d(4, 4, heads=0)
    layer = InterlacedSparseAttention2d(4, 4)
    with pytest.raises(ValueError, match="key"):
        layer(torch.zeros(1, 4, 8, 8), torch.zeros(1, 3, 8, 8), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="value"):
        layer(torch.zeros(1, 4, 8, 8), torch.zeros(1, 4, 8, 8), torch.zeros(1, 1, 8, 9))
    with pytest.raises(ValueError, match="queries"):
        interlaced_attention([torch.zeros(1, 2, 4, 4)], [torch.zeros(1, 2, 4, 4)], torch.zeros(1, 1, 4, 4), (2,))


@pytest.mark.parametrize("size", [(32, 48), (33, 47)])
@pytest.mark.parametrize("extractor", DAN_EXTRACTORS)
@pytest.mark.parametrize("synthesis", DAN_SYNTHESES)
def test_shapes_and_range_for_every_variant(extractor, synthesis, size):
    net = tiny(extractor, synthesis).eval()
    torch.manual_seed(2)
    s0, s1 = torch.rand(2, 1, *size), torch.rand(2, 1, *size)
    with torch.no_grad():
        out = net(s0, s1)
        pair = net(torch.cat([s0, s1], dim=1))
    assert out.shape == (2, 1, *size)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    torch.testing.assert_close(pair, out)


def test_warped_slices_are_convex_combinations_and_multichannel():
    net = tiny(in_channels=2).eval()
    s0, s1 = torch.rand(1, 2, 20, 24) * 0.5, torch.rand(1, 2, 20, 24) * 0.5 + 0.5
    with torch.no_grad():
        out, extra = net(s0, s1, return_intermediates=True)
    assert out.shape == (1, 2, 20, 24)
    for key, src in (("warped0", s0), ("warped1", s1)):
        assert extra[key].shape == src.shape
        assert extra[key].min() >= src.min() - 1e-5 and extra[key].max() <= src.max() + 1e-5
    assert extra["mask"].shape == (1, 1, 20, 24)


@pytest.mark.parametrize("extractor", ["srdn", "siamese_unet"])
def test_siamese_extractor_shares_weights(extractor):
    net = tiny(extractor).eval()
    s0, s1 = torch.rand(2, 1, 16, 20), torch.rand(2, 1, 16, 20)
    with torch.no_grad():
        f0, f1 = net.extract(s0, s1)
        g0, g1 = net.extract(s1, s0)
        h0 = net.extractor(s0)
    torch.testing.assert_close(g0, f1)
    torch.testing.assert_close(g1, f0)
    torch.testing.assert_close(h0, f0, atol=1e-6, rtol=1e-5)  # the same module on one slice alone


def test_rdn_extractor_is_not_siamese():
    net = tiny("rdn").eval()
    s0, s1 = torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16)
    with torch.no_grad():
        f0, _ = net.extract(s0, s1)
        _, g1 = net.extract(s1, s0)
    assert not torch.allclose(f0, g1)


@pytest.mark.parametrize("synthesis", DAN_SYNTHESES)
def test_backward_is_finite(synthesis):
    net = tiny(synthesis=synthesis)
    s0 = torch.rand(1, 1, 13, 19, requires_grad=True)
    s1 = torch.rand(1, 1, 13, 19)
    target = torch.rand(1, 1, 13, 19)
    loss = (net(s0, s1) - target).abs().mean()
    loss.backward()
    assert torch.isfinite(s0.grad).all() and s0.grad.abs().sum() > 0
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_parameters_configs_and_stride():
    small, paper = DAN("small"), DAN("paper")
    assert small.num_parameters() == sum(p.numel() for p in small.parameters())
    assert small.num_parameters() < 100_000 < paper.num_parameters()
    assert small.stride == math.prod(DAN_CONFIGS["small"]["two_level_blocks"])
    assert DAN("small", synthesis="one_level").stride == math.prod(DAN_CONFIGS["small"]["one_level_blocks"])
    assert DAN("small", synthesis="kernel").stride == 1
    assert DAN("small", extractor="unet", synthesis="kernel").stride == 2 ** DAN_CONFIGS["small"]["unet_levels"]
    assert paper.synthesis.heads == 4 and paper.hparams["num_features"] == 64


def test_untrained_blendnet_averages_the_warped_slices():
    net = DAN("small", **TINY).eval()
    s0, s1 = torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16)
    with torch.no_grad():
        out, extra = net(s0, s1, return_intermediates=True)
    torch.testing.assert_close(out, (0.5 * (extra["warped0"] + extra["warped1"])).clamp(0, 1))


def test_bad_inputs_and_arguments():
    with pytest.raises(ValueError, match="config"):
        DAN("huge")
    with pytest.raises(ValueError, match="extractor"):
        DAN(extractor="resnet")
    with pytest.raises(ValueError, match="synthesis"):
        DAN(synthesis="flow")
    with pytest.raises(ValueError, match="in_channels"):
        DAN(in_channels=0)
    with pytest.raises(ValueError, match="overrides"):
        DAN(num_featurez=8)
    with pytest.raises(ValueError, match="num_features"):
        DAN(num_features=0)
    net = tiny()
    with pytest.raises(ValueError, match="slice1"):
        net(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 18))
    with pytest.raises(ValueError, match="slice0"):
        net(torch.rand(1, 2, 16, 16), torch.rand(1, 2, 16, 16))
    with pytest.raises(ValueError, match="pair"):
        net(torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match="pair"):
        net(torch.rand(16, 16))
    with pytest.raises(TypeError, match="slice0"):
        net([[0.0]])
