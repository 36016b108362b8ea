# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.networks.utils import pad_to_multiple


def test_pad_to_multiple_replicates_the_edges():
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    y = pad_to_multiple(x, 4)
    assert y.shape == (1, 1, 4, 4)
    assert torch.equal(y[..., :3, :], x) and torch.equal(y[..., 3, :], x[..., 2, :])
    z = pad_to_multiple(x, 8, mode="constant")
    assert z.shape == (1, 1, 8, 8) and float(z[..., 3:, :].abs().sum()) == 0.0


def test_nothing_to_pad_returns_the_input():
    x = torch.rand(2, 1, 8, 16)
    assert pad_to_multiple(x, 8) is x and pad_to_multiple(x, 1) is x


@pytest.mark.parametrize("multiple", [0, -2, 1.5, True])
def test_bad_multiple(multiple):
    with pytest.raises(ValueError, match="multiple"):
        pad_to_multiple(torch.rand(1, 1, 4, 4), multiple)
