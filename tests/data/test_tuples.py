# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from monai.data import DataLoader, MetaTensor
from monai.transforms import Compose, RandFlipd, RandSpatialCropd

from monai_angio.data import (
    CineTupleDataset,
    cine_eval_tuples,
    cine_tuple_dataset,
    phantom_cines,
    phantom_tuple_dataset,
    prepare_cine,
    split_frames,
)
from monai_angio.transforms import RandTemporalReversed

KEYS = ["frame0", "frame1", "target"]


def _index_cine(num_frames, h=6, w=6, cine_id=0):
    """uint16, 12 bits stored; frame t of cine c holds 1000 * c + 10 * t (a gradient keeps flips visible)."""
    frames = np.empty((num_frames, h, w), dtype=np.uint16)
    for t in range(num_frames):
        frames[t] = 1000 * cine_id + 10 * t
    return frames


def _frame_id(x: torch.Tensor, bits: int = 12) -> float:
    return float(x.flatten()[0]) * (2**bits - 1)


def test_split_frames():
    assert split_frames(10) == ((0, 7), (7, 10))
    assert split_frames(74, 0.3) == ((0, 52), (52, 74))
    assert split_frames(2, 0.01) == ((0, 1), (1, 2))
    with pytest.raises(ValueError, match="holdout_fraction"):
        split_frames(10, 1.0)
    with pytest.raises(ValueError, match="num_frames"):
        split_frames(1)


def test_prepare_cine_scaling_and_errors():
    x = prepare_cine(MetaTensor(torch.full((1, 3, 2, 2), 4095, dtype=torch.int32), meta={"bits_stored": 12}))
    assert x.dtype == torch.float32 and x.shape == (1, 3, 2, 2) and torch.all(x == 1.0)
    y = prepare_cine(np.full((3, 2, 2), 51, dtype=np.uint8))
    assert y.shape == (1, 3, 2, 2) and torch.allclose(y, torch.full_like(y, 0.2))
    z = prepare_cine(np.full((3, 2, 2), 1023, dtype=np.uint16), bits=10)
    assert torch.all(z == 1.0)
    with pytest.raises(ValueError, match="bits"):
        prepare_cine(np.zeros((3, 2, 2), dtype=np.uint16))
    with pytest.raises(ValueError, match="outside"):
        prepare_cine(np.full((3, 2, 2), 2.0, dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        prepare_cine(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(TypeError):
        prepare_cine(5)


def test_cine_tuple_dataset_items_match_cine_frames():
    cines = [_index_cine(12, cine_id=0), _index_cine(30, cine_id=1)]
    ds = cine_tuple_dataset(cines, num_targets=3, samples_per_epoch=20, max_gap=2, bits=12, seed=0)
    assert len(ds) == 20
    for i in range(len(ds)):
        item = ds[i]
        assert item["frame0"].shape == (1, 6, 6) and item["frame1"].shape == (1, 6, 6)
        assert item["target"].shape == (3, 6, 6) and item["target"].dtype == torch.float32
        assert item["time"].shape == (3,) and item["time"].dtype == torch.float32
        idx = item["tuple_indices"].tolist()
        c = item["cine_index"]
        assert idx[-1] < (12, 30)[c] and idx[1] - idx[0] in (1, 2)
        expected = [1000 * c + 10 * t for t in idx]
        got = [_frame_id(item["frame0"])] + [_frame_id(tk) for tk in item["target"]] + [_frame_id(item["frame1"])]
        np.testing.assert_allclose(got, expected, atol=1e-2)
        assert 0.0 <= float(item["frame0"].min()) and float(item["frame1"].max()) <= 1.0


def test_cine_tuple_dataset_weights_by_length_and_frame_range():
    cines = [_index_cine(10, cine_id=0), _index_cine(40, cine_id=1), _index_cine(2, cine_id=2)]  # last is too short
    ds = cine_tuple_dataset(cines, num_targets=1, samples_per_epoch=400, bits=12, seed=1)
    counts = Counter(ds[i]["cine_index"] for i in range(len(ds)))
    assert counts[2] == 0
    assert 0.7 < counts[1] / 400 < 0.9  # expected 40 / 50
    ranges = [split_frames(10)[0], split_frames(40)[1], None]
    held = cine_tuple_dataset(cines[:2] + [_index_cine(5, cine_id=2)], 1, 50, bits=12, frame_range=ranges, seed=2)
    for i in range(len(held)):
        item = held[i]
        lo, hi = [(0, 7), (28, 40), (0, 5)][item["cine_index"]]
        idx = item["tuple_indices"]
        assert lo <= int(idx.min()) and int(idx.max()) < hi


def test_cine_tuple_dataset_determinism_and_transform_seeding():
    cines = [np.random.default_rng(0).uniform(size=(15, 10, 10)).astype(np.float32)]

    def make(seed):
        transform = Compose(
            [
                RandSpatialCropd(KEYS, roi_size=(6, 6), random_size=False),
                RandFlipd(KEYS, prob=0.5, spatial_axis=1),
                RandTemporalReversed(prob=0.5),
            ]
        )
        return cine_tuple_dataset(cines, num_targets=2, samples_per_epoch=8, transform=transform, max_gap=3, seed=seed)

    a, b, c = make(4), make(4), make(5)
    items_a = [a[i] for i in range(8)]
    items_b = [b[i] for i in range(8)]
    items_c = [c[i] for i in range(8)]
    for x, y in zip(items_a, items_b, strict=True):
        assert x["frame0"].shape == (1, 6, 6) and x["target"].shape == (2, 6, 6)
        assert torch.equal(x["frame0"].as_tensor(), y["frame0"].as_tensor())
        assert torch.equal(x["tuple_indices"], y["tuple_indices"])
    assert any(
        not torch.equal(x["frame0"].as_tensor(), z["frame0"].as_tensor()) for x, z in zip(items_a, items_c, strict=True)
    )
    reversed_any = any(int(x["tuple_indices"][0]) > int(x["tuple_indices"][-1]) for x in items_a)
    assert reversed_any  # the transform ran (temporal reversal drawn at least once)


def test_cine_tuple_dataset_dataloader_batches():
    cines = [_index_cine(9, h=8, w=8, cine_id=k) for k in range(2)]
    transform = RandSpatialCropd(KEYS, roi_size=(4, 4), random_size=False)
    ds = cine_tuple_dataset(cines, num_targets=2, samples_per_epoch=6, transform=transform, bits=12, seed=0)
    batches = list(DataLoader(ds, batch_size=3, num_workers=0))
    assert len(batches) == 2
    batch = batches[0]
    assert batch["frame0"].shape == (3, 1, 4, 4) and batch["frame1"].shape == (3, 1, 4, 4)
    assert batch["target"].shape == (3, 2, 4, 4)
    assert batch["time"].shape == (3, 2)
    torch.testing.assert_close(batch["time"][0], torch.tensor([1 / 3, 2 / 3]))


def test_cine_tuple_dataset_workers_draw_different_tuples():
    cines = [np.random.default_rng(1).uniform(size=(40, 4, 4)).astype(np.float32)]
    ds = cine_tuple_dataset(cines, num_targets=1, samples_per_epoch=8, max_gap=5, seed=0)
    batches = list(DataLoader(ds, batch_size=4, num_workers=2))
    starts = [b["tuple_indices"][:, 0].tolist() for b in batches]
    assert starts[0] != starts[1]  # each worker is seeded differently


def test_cine_tuple_dataset_errors():
    with pytest.raises(ValueError, match="long enough"):
        cine_tuple_dataset([_index_cine(3)], num_targets=2, samples_per_epoch=4, bits=12)
    with pytest.raises(ValueError, match="frame_range"):
        cine_tuple_dataset([_index_cine(10)], 1, 4, bits=12, frame_range=(5, 20))
    with pytest.raises(ValueError, match="entries"):
        cine_tuple_dataset([_index_cine(10)], 1, 4, bits=12, frame_range=[(0, 5), (0, 5)])
    with pytest.raises(ValueError, match="samples_per_epoch"):
        cine_tuple_dataset([_index_cine(10)], 1, 0, bits=12)
    with pytest.raises(TypeError, match="list"):
        CineTupleDataset(_index_cine(10), 1, 4, bits=12)
    with pytest.raises(ValueError, match="long enough"):
        cine_tuple_dataset([_index_cine(10)], 1, 4, bits=12, fixed_gap=5)


def test_cine_eval_tuples_enumerates_all():
    cine = _index_cine(11)
    ds = cine_eval_tuples(cine, num_targets=2, gap=2, bits=12)
    assert len(ds) == 11 - 6  # starts 0..4, last frame start + 6 <= 10
    for j in range(len(ds)):
        item = ds[j]
        assert item["tuple_indices"].tolist() == [j, j + 2, j + 4, j + 6]
        assert _frame_id(item["frame0"]) == pytest.approx(10 * j, abs=1e-2)
        assert _frame_id(item["target"][1]) == pytest.approx(10 * (j + 4), abs=1e-2)
    again = cine_eval_tuples(cine, num_targets=2, gap=2, bits=12)
    assert torch.equal(again[3]["target"].as_tensor(), ds[3]["target"].as_tensor())
    strided = cine_eval_tuples(cine, num_targets=1, stride=2, bits=12, frame_range=split_frames(11)[1])
    assert [strided[j]["tuple_indices"].tolist() for j in range(len(strided))] == [[8, 9, 10]]
    non_overlapping = cine_eval_tuples(cine, num_targets=1, stride=2, bits=12)
    assert [non_overlapping[j]["tuple_indices"][0].item() for j in range(len(non_overlapping))] == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="too short"):
        cine_eval_tuples(_index_cine(4), num_targets=3, bits=12)
    with pytest.raises(ValueError, match="gap"):
        cine_eval_tuples(cine, num_targets=1, gap=0, bits=12)


def test_phantom_cines_and_dataset():
    kwargs = {"size": (32, 32), "num_frames": 5, "frame_rate": 10.0}
    cines = phantom_cines(2, seed=3, **kwargs)
    assert len(cines) == 2
    for c in cines:
        assert c.shape == (5, 32, 32) and c.dtype == np.float32
        assert 0.0 <= c.min() and c.max() <= 1.0 and c.std() > 0
    assert not np.array_equal(cines[0], cines[1])
    np.testing.assert_array_equal(phantom_cines(1, seed=3, **kwargs)[0], cines[0])
    ds = phantom_tuple_dataset(2, num_targets=1, samples_per_epoch=3, phantom_seed=3, **kwargs)
    item = ds[0]
    assert item["frame0"].shape == (1, 32, 32) and item["target"].shape == (1, 32, 32)
    idx = item["tuple_indices"].tolist()
    np.testing.assert_allclose(item["target"][0].numpy(), cines[item["cine_index"]][idx[1]])
    with pytest.raises(ValueError, match="count"):
        phantom_cines(0, **kwargs)


def test_cine_tuple_dataset_from_real_dicom_path():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "xa_dicom" / "phantom_xa_IM8.dcm"
    if not path.is_file():
        pytest.skip(f"real XA DICOM not found: {path}")
    from monai_angio.io import load_sequence

    frames, meta = load_sequence(path, luminance=True)
    ds = cine_tuple_dataset([path], num_targets=2, samples_per_epoch=3, max_gap=2, seed=0)
    for i in range(len(ds)):
        item = ds[i]
        idx = item["tuple_indices"].tolist()
        scale = 2 ** meta["bits_stored"] - 1
        np.testing.assert_allclose(item["frame0"][0].numpy(), frames[idx[0]] / scale, rtol=1e-6)
        np.testing.assert_allclose(item["target"].numpy(), frames[idx[1:-1]] / scale, rtol=1e-6)
        assert item["frame0"].meta["modality"] == "XA"
        assert item["target"].meta["filename_or_obj"] == str(path)


def test_phantom3d_cines_cycle_kinds_and_are_quantised():
    from monai_angio.data import phantom3d_cines

    cines = phantom3d_cines(3, seed=40, size=32, bits=8)
    assert [c.shape[1:] for c in cines] == [(32, 32)] * 3
    assert 60 <= cines[0].shape[0] <= 133  # rotational
    assert cines[1].shape[0] == cines[2].shape[0] == 40  # fixed, coronary
    for c in cines:
        assert c.dtype == np.float32 and 0.0 <= c.min() and c.max() <= 1.0
        np.testing.assert_allclose(c * 255, np.rint(c * 255), atol=1e-4)  # 8-bit levels
    only = phantom3d_cines(2, seed=41, size=32, kinds=["coronary"])
    assert all(c.shape[0] == 40 for c in only)
    np.testing.assert_array_equal(phantom3d_cines(1, seed=41, size=32, kinds=["coronary"])[0], only[0])
    with pytest.raises(ValueError, match="kinds must be among rotational, fixed, coronary"):
        phantom3d_cines(1, kinds=["spin"])
    with pytest.raises(ValueError, match="count must be an integer >= 1"):
        phantom3d_cines(0)
