# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.engines.sampling (mixed-N tuple batches, synthetic tuple motion)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import DataLoader

from monai_angio.data import CineTupleDataset
from monai_angio.engines import MixedTupleDataset, RandTupleMotiond, RandTupleNoised, interpolation_sources
from monai_angio.ops import backward_warp


def _cines(count=2, t=12, size=16, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((t, size, size)).astype(np.float32) for _ in range(count)]


def test_mixed_dataset_cycles_target_counts_per_batch():
    groups = [[CineTupleDataset(_cines(), n, 100, seed=None)] for n in (1, 2, 3)]
    ds = MixedTupleDataset(groups, block_size=2, length=12, seed=0)
    loader = DataLoader(ds, batch_size=2, shuffle=False, num_workers=0)
    counts = [batch["time"].shape[1] for batch in loader]
    assert counts == [1, 2, 3, 1, 2, 3]
    assert len(ds) == 12 and ds.group_of(5) == 2
    with pytest.raises(IndexError):
        ds[12]


def test_mixed_dataset_source_weights_and_reproducibility():
    a = [np.zeros((8, 8, 8), np.float32)]
    b = [np.ones((8, 8, 8), np.float32)]
    groups = [[CineTupleDataset(a, 1, 10, seed=None), CineTupleDataset(b, 1, 10, seed=None)]]
    ds = MixedTupleDataset(groups, block_size=1, length=400, weights=[1.0, 3.0], seed=1)
    ones = np.mean([float(ds[i]["frame0"].mean()) for i in range(400)])
    assert 0.65 < ones < 0.85  # about 3/4 from the second source
    first = [float(MixedTupleDataset(groups, 1, 400, [1.0, 3.0], seed=1)[i]["frame0"].mean()) for i in range(1)]
    runs = []
    for _ in range(2):
        again = MixedTupleDataset(groups, block_size=1, length=400, weights=[1.0, 3.0], seed=1)
        runs.append([float(again[i]["frame0"].mean()) for i in range(20)])
    assert runs[0] == runs[1] and runs[0][:1] == first
    with pytest.raises(ValueError, match="weights"):
        MixedTupleDataset(groups, 1, 4, weights=[1.0])
    with pytest.raises(ValueError, match="same number"):
        MixedTupleDataset([groups[0], groups[0][:1]], 1, 4, weights=[1.0, 1.0])


def test_interpolation_sources():
    cines = _cines()
    groups = interpolation_sources([1, 3], cines=cines, frame_ranges=[(0, 8), None], phantoms=cines[:1], max_gap=1)
    assert [len(g) for g in groups] == [2, 2]
    assert groups[1][0][0]["target"].shape == (3, 16, 16)
    assert groups[0][0].frame_ranges == [(0, 8), (0, 12)]
    with pytest.raises(ValueError, match="no training source"):
        interpolation_sources([1])


def _tuple(img: torch.Tensor, n: int) -> dict:
    return {
        "frame0": img.clone(),
        "frame1": img.clone(),
        "target": img.repeat(n, 1, 1),
        "time": torch.arange(1, n + 1, dtype=torch.float32) / (n + 1),
    }


def test_motion_is_linear_in_time():
    """All frames equal: after the transform frame1(x) = frame0(x + D) and the middle target is halfway."""
    yy, xx = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    img = (0.5 + 0.25 * torch.sin(xx / 5) * torch.cos(yy / 7)).unsqueeze(0)
    tf = RandTupleMotiond(prob=1.0, max_translation=4.0, max_rotation=0.0, max_scale=0.0, max_deformation=0.0)
    tf.set_random_state(3)
    out = tf(_tuple(img, 3))
    tx, ty = tf._params[0], tf._params[1]
    assert abs(tx) + abs(ty) > 0.5
    field = torch.tensor([tx, ty]).view(1, 2, 1, 1).expand(1, 2, 48, 48)
    warped0 = backward_warp(out["frame0"][None], field)[0]
    inner = (slice(None), slice(8, -8), slice(8, -8))
    torch.testing.assert_close(warped0[inner], out["frame1"][inner], atol=5e-3, rtol=0)
    half = backward_warp(out["frame0"][None], 0.5 * field)[0]
    torch.testing.assert_close(half[inner], out["target"][1:2][inner], atol=5e-3, rtol=0)
    assert not torch.allclose(out["frame0"], out["frame1"])


def test_motion_prob_zero_and_zero_amplitude_keep_the_tuple():
    img = torch.rand(1, 16, 16)
    item = _tuple(img, 2)
    assert RandTupleMotiond(prob=0.0)(item)["frame1"] is item["frame1"]
    tf = RandTupleMotiond(prob=1.0, max_translation=0, max_rotation=0, max_scale=0, max_deformation=0)
    out = tf(item)
    torch.testing.assert_close(out["target"], item["target"], atol=1e-5, rtol=0)


def test_motion_errors():
    with pytest.raises(ValueError, match="max_translation"):
        RandTupleMotiond(max_translation=-1.0)
    item = _tuple(torch.rand(1, 8, 8), 2)
    item["target"] = item["target"][:1]
    with pytest.raises(ValueError, match="N \\* C"):
        RandTupleMotiond(prob=1.0)(item)
    del item["time"]
    with pytest.raises(KeyError, match="time"):
        RandTupleMotiond(prob=1.0)(item)


def test_noise_shared_and_independent_parts():
    flat = {"frame0": torch.full((1, 64, 64), 0.5), "frame1": torch.full((1, 64, 64), 0.5)}
    flat["target"] = torch.full((2, 64, 64), 0.5)
    shared = RandTupleNoised(prob=1.0, shared_std=(0.01, 0.01), independent_std=(0.0, 0.0), correlation=(0.0, 0.0))
    shared.set_random_state(0)
    out = shared(flat)
    assert abs(float((out["frame0"] - 0.5).std()) - 0.01) < 0.001
    torch.testing.assert_close(out["frame0"], out["frame1"])  # the same field in every frame
    torch.testing.assert_close(out["target"][1:], out["frame0"])
    indep = RandTupleNoised(prob=1.0, shared_std=(0.0, 0.0), independent_std=(0.01, 0.01), correlation=(0.8, 0.8))
    indep.set_random_state(0)
    out = indep(flat)
    d = out["frame0"] - out["frame1"]
    assert abs(float(d.std()) - 0.01 * 2**0.5) < 0.002  # independent frames, unit variance kept after the blur
    lag1 = float((d[0, :, 1:] * d[0, :, :-1]).mean() / d.var())
    assert lag1 > 0.3  # spatially correlated
    assert RandTupleNoised(prob=0.0)(flat)["frame0"] is flat["frame0"]
    with pytest.raises(ValueError, match="shared_std"):
        RandTupleNoised(shared_std=(0.02, 0.01))
