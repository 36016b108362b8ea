# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.engines.prepare_batch."""

from __future__ import annotations

import pytest
import torch
from monai.data import MetaTensor

from monai_angio.engines import PrepareInterpolationBatch, frames_to_batch, interpolation_output_transform


def _batch(b=2, n=3, c=1, h=8, w=6):
    return {
        "frame0": MetaTensor(torch.rand(b, c, h, w)),
        "frame1": torch.rand(b, c, h, w),
        "target": torch.arange(b * n * c * h * w, dtype=torch.float32).reshape(b, n * c, h, w),
        "time": torch.tensor([[0.25, 0.5, 0.75]] * b),
    }


def test_prepare_batch_shapes_and_order():
    batch = _batch()
    f0, target, (f1, t), kwargs = PrepareInterpolationBatch()(batch, "cpu")
    assert kwargs == {}
    assert type(f0) is torch.Tensor  # meta data dropped
    assert f0.shape == (2, 1, 8, 6) and f1.shape == (2, 1, 8, 6)
    assert target.shape == (2, 3, 1, 8, 6)
    torch.testing.assert_close(target[1, 2, 0], batch["target"][1, 2])
    torch.testing.assert_close(t, batch["time"])


def test_prepare_batch_multichannel_and_1d_time():
    batch = _batch(b=1, n=2, c=3)
    batch["time"] = torch.tensor([0.3, 0.6])[None, :]
    _, target, (_, t), _ = PrepareInterpolationBatch()(batch)
    assert target.shape == (1, 2, 3, 8, 6)
    torch.testing.assert_close(target[0, 1], batch["target"][0, 3:6])
    single = _batch(b=2, n=1)
    single["time"] = torch.tensor([0.5, 0.5])
    _, _, (_, t), _ = PrepareInterpolationBatch()(single)
    assert t.shape == (2, 1)


def test_prepare_batch_errors():
    batch = _batch()
    del batch["time"]
    with pytest.raises(KeyError, match="time"):
        PrepareInterpolationBatch()(batch)
    with pytest.raises(TypeError, match="dictionary"):
        PrepareInterpolationBatch()([1, 2])
    bad = _batch()
    bad["target"] = bad["target"][:, :2]
    with pytest.raises(ValueError, match="N \\* C"):
        PrepareInterpolationBatch()(bad)
    with pytest.raises(ValueError, match="frames"):
        frames_to_batch(torch.rand(1, 2, 1, 4, 4), 3, 1)


def test_output_transform_dict_and_decollated():
    pred, label = torch.rand(2, 3, 1, 4, 4), torch.rand(2, 3, 1, 4, 4)
    p, y = interpolation_output_transform({"pred": pred, "label": label})
    assert p.shape == (6, 1, 4, 4)
    torch.testing.assert_close(p[4], pred[1, 1])
    p2, y2 = interpolation_output_transform([{"pred": pred[i], "label": label[i]} for i in range(2)])
    torch.testing.assert_close(p2, p)
    torch.testing.assert_close(y2, y)
    with pytest.raises(ValueError, match="B, N, C, H, W"):
        interpolation_output_transform({"pred": torch.rand(2, 1, 4, 4), "label": torch.rand(2, 1, 4, 4)})
