# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.networks.blocks.lambda_layer (inter-frame lambda layer)."""

from __future__ import annotations

import pytest
import torch

from monai_angio.networks.blocks import InterFrameLambda, normalized_coordinates


def test_normalized_coordinates():
    c = normalized_coordinates(3, 5)
    assert c.shape == (1, 2, 3, 5)
    torch.testing.assert_close(c[0, 0, 0], torch.linspace(-1, 1, 5))  # x along columns
    torch.testing.assert_close(c[0, 1, :, 0], torch.linspace(-1, 1, 3))  # y along rows


def test_shapes():
    layer = InterFrameLambda(16, dim_k=4, heads=2, kernel_size=3, motion_dim=8).eval()
    structure, motion = layer(torch.rand(4, 16, 6, 7))
    assert structure.shape == (4, 16, 6, 7)
    assert motion.shape == (4, 8, 6, 7)


def test_queries_attend_to_the_other_frame():
    """The output of frame 0 depends on frame 1 (keys and values come from the partner), not on itself only."""
    torch.manual_seed(0)
    layer = InterFrameLambda(8, dim_k=4, heads=2, kernel_size=3, motion_dim=4).eval()
    f0, f1, g1 = torch.rand(1, 8, 5, 5), torch.rand(1, 8, 5, 5), torch.rand(1, 8, 5, 5)
    s_a, m_a = layer(torch.cat([f0, f1]))
    s_b, m_b = layer(torch.cat([f0, g1]))
    assert not torch.allclose(s_a[0], s_b[0])  # frame 0's structure changed with frame 1
    assert not torch.allclose(m_a[0], m_b[0])
    # swapping the frames swaps the outputs (one layer serves both directions)
    s_c, m_c = layer(torch.cat([f1, f0]))
    torch.testing.assert_close(s_c, s_a.flip(0))
    torch.testing.assert_close(m_c, m_a.flip(0))


def test_local_positional_lambda_is_local():
    """A change of the other frame that keeps its mean value reaches only pixels within the r x r neighbourhood."""
    torch.manual_seed(0)
    layer = InterFrameLambda(4, dim_k=2, heads=1, kernel_size=3, motion_dim=2).eval()
    torch.nn.init.zeros_(layer.to_k.weight)  # uniform softmax: the content lambda depends on the mean value only
    x = torch.rand(2, 4, 9, 9)
    y = x.clone()
    y[1, :, 8, 8] += 1.0  # frame 1 changes in two corners, its mean stays the same
    y[1, :, 8, 0] -= 1.0
    s_x, m_x = layer(x)
    s_y, m_y = layer(y)
    diff = (s_x[0] - s_y[0]).abs().sum(0) + (m_x[0] - m_y[0]).abs().sum(0)
    assert diff[:6].max() < 1e-5  # rows 0..5 lie outside both 3x3 neighbourhoods
    assert diff[8, 8] > 1e-3 and diff[8, 0] > 1e-3


@pytest.mark.parametrize(
    "kwargs,match",
    [({"dim_out": 6, "heads": 4}, "divisible"), ({"kernel_size": 4}, "odd"), ({"motion_dim": 0}, "motion_dim")],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InterFrameLambda(8, **kwargs)
    layer = InterFrameLambda(8, dim_k=4, heads=2, kernel_size=3, motion_dim=4)
    with pytest.raises(ValueError, match="2B"):
        layer(torch.rand(3, 8, 4, 4))
