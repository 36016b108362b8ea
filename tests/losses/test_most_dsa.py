# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.engines.losses (the MoSt-DSA loss with its epoch schedule)."""

from __future__ import annotations

import pytest
import torch

from monai_angio.losses import LaplacianPyramidLoss, MoStDSALoss


def test_laplacian_only_builds_no_vgg():
    loss = MoStDSALoss(perceptual_weight=0.0, style_weight=0.0)
    assert loss.features is None
    x, y = torch.rand(2, 3, 1, 32, 32), torch.rand(2, 3, 1, 32, 32)
    torch.testing.assert_close(loss(x, y), LaplacianPyramidLoss(5)(x, y))
    assert loss(x, x).item() == 0.0


def test_style_term_switches_on_at_its_epoch():
    with pytest.warns(UserWarning, match="randomly initialised"):
        loss = MoStDSALoss(laplacian_weight=1.0, perceptual_weight=0.25, style_weight=40.0, style_start_epoch=2)
    x, y = torch.rand(1, 2, 1, 32, 32), torch.rand(1, 2, 1, 32, 32)
    loss.set_epoch(1)
    first = loss(x, y)
    assert set(loss.last_values) == {"laplacian", "perceptual"} and loss.current_style_weight == 0.0
    loss.set_epoch(2)
    second = loss(x, y)
    assert set(loss.last_values) == {"laplacian", "perceptual", "style"}
    expected = first + 40.0 * loss.last_values["style"]
    torch.testing.assert_close(second, expected, rtol=1e-4, atol=1e-6)


def test_gradient_and_errors():
    loss = MoStDSALoss(perceptual_weight=0.0, style_weight=0.0)
    x = torch.rand(1, 1, 1, 16, 16, requires_grad=True)
    loss(x, torch.rand(1, 1, 1, 16, 16)).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="differ"):
        loss(torch.rand(1, 1, 1, 16, 16), torch.rand(1, 2, 1, 16, 16))
    with pytest.raises(ValueError, match="style_weight"):
        MoStDSALoss(style_weight=-1.0)
