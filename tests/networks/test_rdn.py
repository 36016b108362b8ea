# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from monai_angio.networks import RDNDeblur


def _expected_parameters(c_in, feats, blocks, layers, growth, reduction):
    conv = lambda i, o, k: i * o * k * k + o  # noqa: E731
    n = conv(c_in, feats, 3) + conv(feats, feats, 3)
    block = sum(conv(feats + i * growth, growth, 3) for i in range(layers)) + conv(feats + layers * growth, feats, 1)
    n += blocks * block
    n += conv(blocks * feats, feats, 1) + conv(feats, feats, 3)
    hidden = max(1, feats // reduction)
    n += conv(feats, hidden, 3) + conv(hidden, feats, 1)
    return n + conv(feats, c_in, 3)


def test_default_parameter_count():
    net = RDNDeblur()
    n = sum(p.numel() for p in net.parameters())
    assert n == _expected_parameters(1, 32, 6, 4, 16, 4)
    assert 1e5 < n < 1e6
    small = RDNDeblur(num_features=16, num_blocks=2, num_layers=3, growth_rate=8, reduction=2)
    assert sum(p.numel() for p in small.parameters()) == _expected_parameters(1, 16, 2, 3, 8, 2)


def test_num_blocks_in_rebuilds_the_network_of_a_state_dict():
    state = RDNDeblur(num_features=8, num_blocks=3, num_layers=2, growth_rate=4).state_dict()
    assert RDNDeblur.num_blocks_in(state) == 3
    RDNDeblur(num_features=8, num_blocks=RDNDeblur.num_blocks_in(state), num_layers=2, growth_rate=4).load_state_dict(
        state
    )
    with pytest.raises(ValueError, match="not an RDNDeblur"):
        RDNDeblur.num_blocks_in({"conv.weight": torch.zeros(1)})


@pytest.mark.parametrize("shape", [(1, 1, 37, 45), (2, 1, 16, 9), (1, 1, 1, 1)])
def test_output_shape_matches_input(shape):
    net = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=4, zero_init_last=False)
    x = torch.rand(shape)
    y = net(x)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()
    assert net.stride == 1


def test_multichannel_and_pooled_attention():
    net = RDNDeblur(in_channels=3, num_features=8, num_blocks=2, num_layers=2, growth_rate=4, pooled_attention=True)
    x = torch.rand(2, 3, 11, 13)
    assert net(x).shape == (2, 3, 11, 13)
    assert net.attention.pooled


def test_zero_initialised_last_conv_gives_identity():
    net = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=4)
    x = torch.rand(2, 1, 19, 23)
    torch.testing.assert_close(net(x), x, rtol=0, atol=0)
    no_residual = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=4, residual=False)
    assert torch.count_nonzero(no_residual(x)) == 0
    random_last = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=4, zero_init_last=False)
    assert not torch.allclose(random_last(x), x)


def test_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    net = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=4, zero_init_last=False)
    x = torch.rand(1, 1, 12, 12, requires_grad=True)
    net(x).square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_zero_init_trains_from_the_last_layer_backwards():
    torch.manual_seed(0)
    net = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=4)
    x, target = torch.rand(1, 1, 12, 12), torch.rand(1, 1, 12, 12)
    F.l1_loss(net(x), target).backward()
    assert net.last.weight.grad.abs().sum() > 0
    assert net.shallow1.weight.grad.abs().sum() == 0  # blocked by the zero last conv at the first step
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    opt.step()
    opt.zero_grad()
    F.l1_loss(net(x), target).backward()
    assert net.shallow1.weight.grad.abs().sum() > 0


def test_learns_to_sharpen_a_tiny_problem():
    torch.manual_seed(0)
    sharp = (torch.rand(4, 1, 16, 16) > 0.7).float()
    kernel = torch.tensor([1.0, 2.0, 1.0])
    kernel = (kernel[:, None] * kernel[None, :] / 16).view(1, 1, 3, 3)
    blurred = F.conv2d(F.pad(sharp, (1, 1, 1, 1), mode="reflect"), kernel)
    net = RDNDeblur(num_features=8, num_blocks=2, num_layers=2, growth_rate=8)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    start = F.l1_loss(net(blurred), sharp).item()
    for _ in range(40):
        opt.zero_grad()
        loss = F.l1_loss(net(blurred), sharp)
        loss.backward()
        opt.step()
    assert loss.item() < 0.8 * start


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError):
        RDNDeblur(in_channels=1, out_channels=2)
    assert RDNDeblur(in_channels=1, out_channels=2, residual=False, num_features=4, num_blocks=1)(
        torch.rand(1, 1, 5, 5)
    ).shape == (1, 2, 5, 5)
    with pytest.raises(ValueError):
        RDNDeblur(num_blocks=0)
    with pytest.raises(ValueError):
        RDNDeblur(growth_rate=2.5)
    net = RDNDeblur(num_features=4, num_blocks=1, num_layers=1, growth_rate=2)
    with pytest.raises(ValueError):
        net(torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError):
        net(torch.rand(1, 8, 8))
    with pytest.raises(TypeError):
        net([[0.0]])


def test_context_channels_residual_to_the_first():
    """in_channels=2, out_channels=1: the residual is the first input channel; the untrained net returns it."""
    net = RDNDeblur(in_channels=2, out_channels=1, num_features=8, num_blocks=2, num_layers=2, growth_rate=4)
    x = torch.rand(2, 2, 12, 10)
    out = net(x)
    assert out.shape == (2, 1, 12, 10)
    torch.testing.assert_close(out, x[:, :1])
    with torch.no_grad():
        net.last.bias.fill_(0.5)
    torch.testing.assert_close(net(x), x[:, :1] + 0.5)
    with pytest.raises(ValueError, match="out_channels <= in_channels"):
        RDNDeblur(in_channels=1, out_channels=2)
