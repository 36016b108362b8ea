# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of the geometric self-ensemble: the D4 transforms, averaging, time reversal and input checks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.baselines import LinearInterpolator
from monai_angio.networks import SelfEnsemble
from monai_angio.networks.self_ensemble import dihedral, dihedral_inverse


@pytest.mark.parametrize("index", range(8))
def test_dihedral_inverse_round_trip_non_square(index: int) -> None:
    x = torch.rand(2, 1, 5, 7)
    y = dihedral(x, index)
    assert y.shape[-2:] == ((5, 7) if index < 4 else (7, 5))
    torch.testing.assert_close(dihedral_inverse(y, index), x, rtol=0, atol=0)


def test_dihedral_elements_are_distinct() -> None:
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    outputs = {tuple(dihedral(x, i).flatten().tolist()) for i in range(8)}
    assert len(outputs) == 8


@pytest.mark.parametrize("transforms", [1, 2, 4, 8])
def test_average_of_transformed_calls(transforms: int) -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 1, 3, padding=1)  # random weights: not equivariant
    x = torch.rand(1, 1, 8, 8)
    with torch.no_grad():
        expected = sum(dihedral_inverse(conv(dihedral(x, i)), i) for i in range(transforms)) / transforms
        out = SelfEnsemble(conv, transforms)(x)
    torch.testing.assert_close(out, expected)
    if transforms > 1:
        assert not torch.allclose(out, conv(x).detach(), atol=1e-4)


def test_equivariant_network_is_unchanged() -> None:
    pool = nn.AvgPool2d(3, stride=1, padding=1)  # symmetric kernel: commutes with every flip and rotation
    x = torch.rand(2, 1, 6, 10)
    torch.testing.assert_close(SelfEnsemble(pool, 8)(x), pool(x))


def test_interpolator_flips_and_time_reversal() -> None:
    lin = LinearInterpolator()
    f0, f1 = torch.rand(1, 1, 6, 6), torch.rand(1, 1, 6, 6)
    t = torch.tensor([[0.25, 0.5, 0.75]])
    out = SelfEnsemble(lin, 4, image_args=2, temporal=True)(f0, f1, t)
    assert out.shape == (1, 3, 1, 6, 6)
    torch.testing.assert_close(out, lin(f0, f1, t))  # the blend is symmetric in time and space


def test_time_reversal_averages_the_swapped_call() -> None:
    def biased(f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return f0.unsqueeze(1).expand(-1, t.shape[1], -1, -1, -1)  # always frame0: not symmetric

    f0, f1 = torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)
    out = SelfEnsemble(biased, 1, image_args=2, temporal=True)(f0, f1, torch.tensor([[0.3]]))
    torch.testing.assert_close(out, torch.full((1, 1, 1, 4, 4), 0.5))


def test_stride_is_exposed() -> None:
    net = nn.Identity()
    net.stride = 16  # type: ignore[assignment]
    assert SelfEnsemble(net, 2).stride == 16
    assert SelfEnsemble(nn.Identity(), 2).stride == 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="transforms"):
        SelfEnsemble(nn.Identity(), 3)
    with pytest.raises(ValueError, match="transforms"):
        SelfEnsemble(nn.Identity(), True)
    with pytest.raises(ValueError, match="image_args"):
        SelfEnsemble(nn.Identity(), 2, image_args=0)
    with pytest.raises(ValueError, match="temporal"):
        SelfEnsemble(nn.Identity(), 2, temporal=True)
    with pytest.raises(TypeError, match="callable"):
        SelfEnsemble(42, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="image argument"):
        SelfEnsemble(nn.Identity(), 2)(torch.tensor(1.0))
    with pytest.raises(ValueError, match="time tensor"):
        SelfEnsemble(LinearInterpolator(), 1, image_args=2, temporal=True)(
            torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 4)
        )
