# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.networks.most_dsa (MoSt-DSA)."""

from __future__ import annotations

import pytest
import torch

from monai_angio.inferers import SequenceInterpolator
from monai_angio.networks import MOST_DSA_CONFIGS, MoStDSA

# a tiny configuration so that every test runs in well under a second
TINY = {
    "embed_dims": (4, 8, 8, 16),
    "depths": (1, 1, 1, 1),
    "heads": 2,
    "dim_k": 4,
    "lambda_kernel": 3,
    "motion_dim": 16,
    "mlp_ratio": 1.0,
    "head_width": 8,
    "refine_width": 4,
}


def tiny(**kw) -> MoStDSA:
    torch.manual_seed(0)
    return MoStDSA("small", **{**TINY, **kw})


def randomize_outputs(net: MoStDSA) -> MoStDSA:
    """Give the zero-initialised output layers random weights (an 'untrained but not blank' network)."""
    torch.manual_seed(1)
    for conv in (net.head.out, net.refiner.out):
        torch.nn.init.normal_(conv.weight, std=0.1)
        torch.nn.init.normal_(conv.bias, std=0.1)
    return net


def linear_blend(f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    w = t[:, :, None, None, None]
    return (1 - w) * f0.unsqueeze(1) + w * f1.unsqueeze(1)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_output_shape_and_range(n):
    net = randomize_outputs(tiny()).eval()
    f0, f1 = torch.rand(2, 1, 32, 48), torch.rand(2, 1, 32, 48)
    t = torch.rand(2, n) * 0.8 + 0.1
    with torch.no_grad():
        out = net(f0, f1, t)
    assert out.shape == (2, n, 1, 32, 48)
    assert out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1


def test_untrained_network_is_the_linear_blend():
    net = tiny().eval()
    f0, f1 = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    t = torch.tensor([[0.2, 0.5, 0.9]])
    with torch.no_grad():
        out = net(f0, f1, t)
        swapped = net(f1, f0, 1 - t)
    torch.testing.assert_close(out, linear_blend(f0, f1, t), atol=1e-5, rtol=0)
    torch.testing.assert_close(out, swapped, atol=1e-5, rtol=0)  # symmetric under (frame swap, t -> 1 - t)


def test_one_backbone_pass_for_all_times_in_training_and_inference():
    net = randomize_outputs(tiny())
    calls = {"encoder": 0, "prepare": 0, "head": 0}
    net.encoder.register_forward_hook(lambda *a: calls.__setitem__("encoder", calls["encoder"] + 1))
    net.head.register_forward_hook(lambda *a: calls.__setitem__("head", calls["head"] + 1))
    prepare = net.head.prepare

    def counted_prepare(*a, **k):
        calls["prepare"] += 1
        return prepare(*a, **k)

    net.head.prepare = counted_prepare
    f0, f1 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    t = torch.tensor([[0.25, 0.5, 0.75], [0.1, 0.4, 0.6]])
    net.train()
    out = net(f0, f1, t)
    out.mean().backward()
    assert calls == {"encoder": 1, "prepare": 1, "head": 1}
    net.eval()
    with torch.no_grad():
        net(f0, f1, t)
    assert calls == {"encoder": 2, "prepare": 2, "head": 2}


def test_batched_times_equal_separate_calls():
    net = randomize_outputs(tiny()).eval()
    f0, f1 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    t = torch.tensor([[0.25, 0.5, 0.75], [0.3, 0.6, 0.9]])
    with torch.no_grad():
        together = net(f0, f1, t)
        apart = torch.cat([net(f0, f1, t[:, k : k + 1]) for k in range(3)], dim=1)
    torch.testing.assert_close(together, apart, atol=1e-5, rtol=0)
    assert not torch.allclose(together[:, 0], together[:, 2])  # the time matters


def test_gradients_reach_every_parameter():
    net = randomize_outputs(tiny()).train()
    f0, f1 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    target = torch.rand(2, 2, 1, 32, 32)
    out = net(f0, f1, torch.tensor([[0.3, 0.7], [0.5, 0.6]]))
    torch.nn.functional.l1_loss(out, target).backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing
    zero = [name for name, p in net.named_parameters() if p.grad.abs().sum() == 0]
    assert not zero, zero


def test_zero_initialised_outputs_still_learn():
    """From the linear-blend start, one optimiser step moves the output layers and the output changes."""
    net = tiny().train()
    f0, f1 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    t = torch.tensor([[0.5], [0.5]])
    target = torch.rand(2, 1, 1, 32, 32)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    before = net(f0, f1, t).detach()
    torch.nn.functional.l1_loss(net(f0, f1, t), target).backward()
    assert net.refiner.out.weight.grad.abs().sum() > 0
    assert net.head.out.weight.grad.abs().sum() > 0
    opt.step()
    with torch.no_grad():
        after = net(f0, f1, t)
    assert (after - before).abs().max() > 1e-4


def test_odd_sizes_through_the_sequence_inferer():
    net = tiny().eval()
    cine = torch.rand(3, 1, 37, 45)
    result = SequenceInterpolator(net, factor=2, progress=False)(cine)
    out, synthesized = result.frames, result.synthesized
    assert out.shape == (7, 1, 37, 45)
    assert synthesized.tolist() == [False, True, True, False, True, True, False]
    torch.testing.assert_close(out[::3], cine)
    # untrained = linear blend, also after padding and cropping
    torch.testing.assert_close(out[1], (2 * cine[0] + cine[1]) / 3, atol=1e-5, rtol=0)


def test_single_stacked_input_gives_the_middle_frame():
    net = randomize_outputs(tiny()).eval()
    f0, f1 = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        mid = net(torch.cat([f0, f1], 1))
        direct = net(f0, f1, torch.full((2, 1), 0.5))[:, 0]
        odd = net(torch.rand(1, 2, 21, 35))
    torch.testing.assert_close(mid, direct)
    assert odd.shape == (1, 1, 21, 35)


def test_input_errors():
    net = tiny()
    f = torch.rand(1, 1, 32, 32)
    with pytest.raises(ValueError, match="multiples of 16"):
        net(torch.rand(1, 1, 30, 32), torch.rand(1, 1, 30, 32), torch.rand(1, 1))
    with pytest.raises(ValueError, match="image channel"):
        net(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32), torch.rand(1, 1))
    with pytest.raises(ValueError, match="t must be"):
        net(f, f, torch.rand(2, 1))
    with pytest.raises(ValueError, match="lie in"):
        net(f, f, torch.tensor([[1.5]]))
    with pytest.raises(ValueError, match="stacked"):
        net(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match="frame0, frame1 and t"):
        net(f, f)
    with pytest.raises(ValueError, match="unknown config"):
        MoStDSA("huge")
    with pytest.raises(ValueError, match="multiple of 16"):
        MoStDSA("small", **{**TINY, "motion_dim": 12})


def test_rgb_frames():
    net = randomize_outputs(tiny(in_channels=3)).eval()
    with torch.no_grad():
        out = net(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32), torch.tensor([[0.5, 0.6]]))
    assert out.shape == (1, 2, 3, 32, 32)


def test_configurations():
    paper = MOST_DSA_CONFIGS["paper"]
    assert paper["embed_dims"] == (32, 64, 128, 256)
    assert paper["depths"] == (2, 2, 2, 4)
    assert paper["refine_width"] == 64
    net = MoStDSA("paper")
    assert net.encoder.embed_dims == (32, 64, 128, 256)
    assert len(net.encoder.blocks) == 4
    assert net.encoder.motion_channels == 4 * paper["motion_dim"]
    small = MoStDSA("small")
    assert small.num_parameters() < net.num_parameters()
    # the small network's weights stay far below the 25 MB model-zoo limit
    assert 4 * small.num_parameters() < 25e6
    assert MoStDSA("small", head_width=12).hparams["head_width"] == 12
