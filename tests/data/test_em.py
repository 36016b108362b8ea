# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""EM slice-interpolation data: histogram matching, random and evaluation triplets, stack loading (the real CREMI-style
FIB-SEM volume is used when ``../shared/data/em`` is there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from monai_angio.data import EMSliceTriplets, em_eval_triplets, load_em_stack, match_histogram

REPO = Path(__file__).resolve().parents[2]
FIBSEM = REPO.parent / "shared" / "data" / "em" / "fibsem_training_sample1.hdf"

torch.set_num_threads(1)


def z_stack(num: int = 20, size: int = 16) -> torch.Tensor:
    """A stack ``(Z, 1, H, W)`` whose slice ``z`` holds the value ``z / 100``."""
    return (torch.arange(num, dtype=torch.float32) / 100.0).view(num, 1, 1, 1).expand(num, 1, size, size).clone()


# ---------------------------------------------------------------- histogram matching


def test_match_histogram_quantiles_and_range():
    g = torch.Generator().manual_seed(0)
    src = torch.rand(8, 1, 32, 32, generator=g) ** 2
    ref = torch.distributions.Beta(5.0, 2.0).sample((6, 40, 40))
    out = match_histogram(src, ref, bins=256)
    assert out.shape == src.shape and out.dtype == torch.float32
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    q = torch.linspace(0.01, 0.99, 50, dtype=torch.float64)
    diff = (torch.quantile(out.flatten().double(), q) - torch.quantile(ref.flatten().double(), q)).abs()
    assert float(diff.max()) <= 1.0 / 256


def test_match_histogram_monotone_whole_stack():
    g = torch.Generator().manual_seed(1)
    src = torch.rand(5, 24, 24, generator=g)
    src[0] *= 0.2  # a dark slice stays darker: the mapping is global, not per slice
    ref = torch.rand(4, 24, 24, generator=g) ** 0.5
    out = match_histogram(src, ref)
    order = torch.argsort(src.flatten())
    assert bool((torch.diff(out.flatten()[order]) >= 0).all())
    assert float(out[0].mean()) < float(out[1:].mean())


def test_match_histogram_idempotent_on_reference():
    g = torch.Generator().manual_seed(2)
    ref8 = torch.randint(0, 256, (4, 1, 20, 20), generator=g).float() / 255.0
    assert torch.allclose(match_histogram(ref8, ref8), ref8, atol=1e-6)  # 8-bit data: exact
    ref = torch.rand(4, 1, 20, 20, generator=g)
    assert float((match_histogram(ref, ref) - ref).abs().max()) <= 1.0 / 256


def test_match_histogram_constant_and_histogram_reference():
    const = torch.full((3, 1, 8, 8), 0.3)
    assert torch.equal(match_histogram(const, torch.rand(3, 8, 8)), const)
    hist = torch.zeros(16)
    hist[12] = 1.0  # all mass in bin 12 of 16
    out = match_histogram(torch.rand(2, 8, 8), hist)
    assert torch.allclose(out, torch.full_like(out, 12.5 / 16))


def test_match_histogram_bad_inputs():
    with pytest.raises(ValueError, match="bins"):
        match_histogram(torch.rand(2, 4, 4), torch.rand(2, 4, 4), bins=1)
    with pytest.raises(ValueError, match="stack"):
        match_histogram(torch.rand(2, 4, 4) * 2, torch.rand(2, 4, 4))
    with pytest.raises(ValueError, match="reference"):
        match_histogram(torch.rand(2, 4, 4), torch.rand(2, 4, 4) - 1)


# ---------------------------------------------------------------- random triplets


def test_triplets_shapes_target_gap_and_swap():
    ds = EMSliceTriplets([z_stack()], samples_per_epoch=64, crop=8, max_gap=4, seed=3)
    gaps, swaps = set(), set()
    for item in ds:
        assert item["slice0"].shape == item["slice1"].shape == item["target"].shape == (1, 8, 8)
        z, g = item["z"], item["gap"]
        assert 1 <= g <= 4
        assert torch.allclose(item["target"], torch.full((1, 8, 8), z / 100.0))
        outer = (z + g, z - g) if item["swapped"] else (z - g, z + g)
        assert torch.allclose(item["slice0"], torch.full((1, 8, 8), outer[0] / 100.0))
        assert torch.allclose(item["slice1"], torch.full((1, 8, 8), outer[1] / 100.0))
        gaps.add(g)
        swaps.add(item["swapped"])
    assert gaps == {1, 2, 3, 4}
    assert swaps == {True, False}
    assert all(not item["swapped"] for item in EMSliceTriplets([z_stack()], 16, crop=8, swap=False, seed=3))


def test_triplets_z_range_and_holdout():
    ds = EMSliceTriplets([z_stack(30), z_stack(20)], 100, crop=8, max_gap=2, z_range=[(5, 15), None], seed=0)
    for item in ds:
        lo, hi = (5, 15) if item["stack_index"] == 0 else (0, 20)
        assert lo + item["gap"] <= item["z"] < hi - item["gap"]
    held = EMSliceTriplets([z_stack(20)], 100, crop=8, max_gap=2, holdout_fraction=0.3, seed=0)
    assert held.z_ranges == [(0, 14)]
    assert max(item["z"] + item["gap"] for item in held) <= 13


def test_triplets_crops_within_bounds_and_flips():
    ramp = torch.arange(12 * 10, dtype=torch.float32).view(1, 1, 12, 10) / 120.0
    stack = ramp.expand(6, 1, 12, 10).clone()
    ds = EMSliceTriplets([stack], 40, crop=(4, 6), max_gap=1, seed=5)
    for item in ds:
        target = item["target"]
        assert target.shape == (1, 4, 6)
        values = set(torch.round(target.flatten() * 120).long().tolist())
        assert values <= set(range(120)) and len(values) == 24
        rows = {v // 10 for v in values}
        cols = {v % 10 for v in values}
        assert len(rows) == 4 and len(cols) == 6 and max(rows) - min(rows) == 3 and max(cols) - min(cols) == 5


def test_triplets_deterministic_by_seed():
    g = torch.Generator().manual_seed(0)
    stack = torch.rand(12, 1, 20, 20, generator=g)
    a = [EMSliceTriplets([stack], 10, crop=8, max_gap=3, seed=7)[i] for i in range(10)]
    b = [EMSliceTriplets([stack], 10, crop=8, max_gap=3, seed=7)[i] for i in range(10)]
    c = [EMSliceTriplets([stack], 10, crop=8, max_gap=3, seed=8)[i] for i in range(10)]
    for x, y in zip(a, b, strict=True):
        assert x["z"] == y["z"] and x["gap"] == y["gap"] and torch.equal(x["target"], y["target"])
    assert any(not torch.equal(x["target"], y["target"]) for x, y in zip(a, c, strict=True))


def test_triplets_histogram_matching_option():
    g = torch.Generator().manual_seed(0)
    stack = torch.rand(6, 1, 16, 16, generator=g) * 0.3
    ref = torch.rand(6, 1, 16, 16, generator=g) * 0.5 + 0.5
    ds = EMSliceTriplets([stack], 4, crop=8, reference=ref, seed=0)
    assert float(ds.stacks[0].min()) >= 0.49 and float(ds[0]["target"].mean()) > 0.5


def test_triplets_bad_inputs():
    with pytest.raises(ValueError, match="3 slices"):
        EMSliceTriplets([torch.rand(2, 1, 16, 16)], 4, crop=8)
    with pytest.raises(ValueError, match="crop"):
        EMSliceTriplets([z_stack(10, 16)], 4, crop=32)
    with pytest.raises(ValueError, match="max_gap"):
        EMSliceTriplets([z_stack(10)], 4, crop=8, max_gap=5)
    with pytest.raises(ValueError, match="max_gap"):
        EMSliceTriplets([z_stack(20)], 4, crop=8, max_gap=3, z_range=(0, 6))
    with pytest.raises(ValueError, match="z_range"):
        EMSliceTriplets([z_stack(10)], 4, crop=8, z_range=(5, 12))
    with pytest.raises(ValueError, match="samples_per_epoch"):
        EMSliceTriplets([z_stack(10)], 0, crop=8)
    with pytest.raises(TypeError):
        EMSliceTriplets(z_stack(10), 4, crop=8)


# ---------------------------------------------------------------- evaluation triplets


def test_eval_triplets_cover_range():
    ev = em_eval_triplets(z_stack(20), gap=2, z_range=(4, 14))
    assert [item["z"] for item in ev] == list(range(6, 12))
    for item in ev:
        z = item["z"]
        assert item["target"].shape == (1, 16, 16)
        assert torch.allclose(item["slice0"], torch.full((1, 16, 16), (z - 2) / 100.0))
        assert torch.allclose(item["slice1"], torch.full((1, 16, 16), (z + 2) / 100.0))
    assert len(em_eval_triplets(z_stack(5))) == 3
    with pytest.raises(ValueError, match="gap"):
        em_eval_triplets(z_stack(20), gap=3, z_range=(0, 6))


def test_load_em_stack_too_few_slices(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "two.tif"
    tifffile.imwrite(path, np.zeros((2, 8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match="3 slices"):
        load_em_stack(path)


# ---------------------------------------------------------------- real data


@pytest.mark.skipif(not FIBSEM.is_file(), reason="../shared/data/em not available")
def test_real_fibsem_triplets():
    stack, meta = load_em_stack(FIBSEM)
    assert stack.ndim == 4 and stack.shape[1] == 1 and stack.shape[0] >= 3 and stack.dtype == torch.float32
    assert meta.get("format") == "hdf5"
    ds = EMSliceTriplets([stack], 4, crop=64, max_gap=3, holdout_fraction=0.2, seed=0)
    train_stop = ds.z_ranges[0][1]
    for item in ds:
        assert item["target"].shape == (1, 64, 64)
        assert item["z"] + item["gap"] < train_stop
        assert float(item["target"].min()) >= 0.0 and float(item["target"].max()) <= 1.0
    ev = em_eval_triplets(stack, gap=1, z_range=(train_stop, stack.shape[0]))
    assert len(ev) == stack.shape[0] - train_stop - 2
