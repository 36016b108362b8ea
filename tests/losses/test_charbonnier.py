# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import pytest
import torch

from monai_angio.losses import CharbonnierLoss, charbonnier_loss


def test_zero_for_identical_and_positive_otherwise():
    x = torch.rand(2, 1, 8, 8)
    assert CharbonnierLoss()(x, x.clone()).item() == 0.0
    assert CharbonnierLoss()(x, x + 0.1).item() > 0


def test_values_l1_for_large_and_quadratic_for_small_differences():
    eps = 1e-3
    x = torch.zeros(4)
    assert charbonnier_loss(x, torch.full((4,), 0.5), eps).item() == pytest.approx(math.sqrt(0.25 + eps**2) - eps)
    small = 1e-5
    assert charbonnier_loss(x, torch.full((4,), small), eps).item() == pytest.approx(small**2 / (2 * eps), rel=1e-3)


def test_reductions_and_gradient():
    x = torch.rand(2, 3, requires_grad=True)
    y = torch.rand(2, 3)
    per_element = CharbonnierLoss(reduction="none")(x, y)
    assert per_element.shape == (2, 3)
    torch.testing.assert_close(CharbonnierLoss(reduction="sum")(x, y), per_element.sum())
    CharbonnierLoss()(x, y).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError):
        CharbonnierLoss(eps=0)
    with pytest.raises(ValueError):
        CharbonnierLoss(reduction="max")
    with pytest.raises(ValueError):
        CharbonnierLoss()(torch.rand(2, 3), torch.rand(3, 2))


def test_gradcheck():
    x = torch.rand(2, 5, dtype=torch.float64, requires_grad=True)
    y = torch.rand(2, 5, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a: charbonnier_loss(a, y, eps=0.01), (x,))
