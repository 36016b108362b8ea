# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.losses import LaplacianPyramidLoss, laplacian_pyramid, reconstruct_laplacian_pyramid


def test_pyramid_shapes_odd_sizes_and_exact_reconstruction():
    x = torch.rand(2, 3, 37, 45, dtype=torch.float64)
    pyramid = laplacian_pyramid(x, levels=5)
    assert [tuple(p.shape[-2:]) for p in pyramid] == [(37, 45), (19, 23), (10, 12), (5, 6), (3, 3)]
    assert all(p.shape[:2] == (2, 3) for p in pyramid)
    torch.testing.assert_close(reconstruct_laplacian_pyramid(pyramid), x)


def test_constant_image_has_empty_band_pass_levels():
    x = torch.full((1, 1, 21, 16), 0.3, dtype=torch.float64)
    pyramid = laplacian_pyramid(x, levels=4)
    for band in pyramid[:-1]:
        assert band.abs().max() < 1e-12
    torch.testing.assert_close(pyramid[-1], torch.full_like(pyramid[-1], 0.3))


def test_loss_zero_identical_positive_otherwise_and_frames():
    x = torch.rand(2, 3, 1, 20, 24)
    y = torch.rand(2, 3, 1, 20, 24)
    loss = LaplacianPyramidLoss(levels=3)
    assert loss(x, x.clone()).item() == 0.0
    value = loss(x, y)
    assert value.item() > 0
    torch.testing.assert_close(value, loss(x.reshape(6, 1, 20, 24), y.reshape(6, 1, 20, 24)))


def test_level_weights():
    x, y = torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16)
    first = LaplacianPyramidLoss(levels=3, weights=(1.0, 0.0, 0.0))(x, y)
    expected = (laplacian_pyramid(x, 3)[0] - laplacian_pyramid(y, 3)[0]).abs().mean()
    torch.testing.assert_close(first, expected)
    full = LaplacianPyramidLoss(levels=3)(x, y)
    expected_full = sum(
        (a - b).abs().mean() for a, b in zip(laplacian_pyramid(x, 3), laplacian_pyramid(y, 3), strict=True)
    )
    torch.testing.assert_close(full, expected_full)


def test_gradient_and_tiny_images():
    x = torch.rand(1, 1, 3, 2, requires_grad=True)
    loss = LaplacianPyramidLoss(levels=5)(x, torch.zeros(1, 1, 3, 2))
    loss.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError):
        LaplacianPyramidLoss(levels=0)
    with pytest.raises(ValueError):
        LaplacianPyramidLoss(levels=3, weights=(1.0, 2.0))
    with pytest.raises(ValueError):
        LaplacianPyramidLoss()(torch.rand(4, 4), torch.rand(4, 4))
    with pytest.raises(ValueError):
        laplacian_pyramid(torch.rand(1, 8, 8))


def test_gradcheck():
    x = torch.rand(1, 1, 7, 6, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 1, 7, 6, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: LaplacianPyramidLoss(levels=3)(a, y), (x,))
