# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import DataLoader, MetaTensor
from monai.transforms import RandFlipd

from monai_angio.data import MoStDSADataset
from monai_angio.transforms import RandTemporalReversed


def _make_dataset(root, dtype=np.uint8, num_targets=3, sequences=("Data_part_1/Sequence_1", "Data_part_1/Sequence_2")):
    from monai_angio.io import write_most_dsa_lists, write_most_dsa_sequence

    rng = np.random.default_rng(0)
    bits = 8 if dtype == np.uint8 else 12
    stored = {}
    for name in sequences:
        frames = rng.integers(0, 2**bits, size=(num_targets + 2, 6, 5)).astype(dtype)
        write_most_dsa_sequence(root, name, frames[0], frames[1:-1], frames[-1], bits_stored=bits)
        stored[name] = frames
    write_most_dsa_lists(root, train=list(sequences), test=list(sequences[:1]))
    return stored


def test_most_dsa_items(tmp_path):
    stored = _make_dataset(tmp_path)
    ds = MoStDSADataset(tmp_path, split="train")
    assert len(ds) == 2
    for i, name in enumerate(["Data_part_1/Sequence_1", "Data_part_1/Sequence_2"]):
        item = ds[i]
        frames = stored[name].astype(np.float32) / 255.0
        assert item["sequence"] == name
        assert item["frame0"].shape == (1, 6, 5) and item["frame1"].shape == (1, 6, 5)
        assert item["target"].shape == (3, 6, 5) and item["target"].dtype == torch.float32
        np.testing.assert_allclose(item["frame0"][0].numpy(), frames[0], rtol=1e-6)
        np.testing.assert_allclose(item["target"].numpy(), frames[1:-1], rtol=1e-6)
        np.testing.assert_allclose(item["frame1"][0].numpy(), frames[-1], rtol=1e-6)
        torch.testing.assert_close(item["time"], torch.tensor([0.25, 0.5, 0.75]))
        assert item["tuple_indices"].tolist() == [0, 1, 2, 3, 4]
        assert isinstance(item["frame0"], MetaTensor)
        assert item["frame0"].meta["filename_or_obj"].endswith("frame_1.png")
        assert item["frame0"].meta["bits_stored"] == 8
    assert len(MoStDSADataset(tmp_path, split="test")) == 1


def test_most_dsa_bits_transform_and_batches(tmp_path):
    stored = _make_dataset(tmp_path, dtype=np.uint16)
    ds = MoStDSADataset(tmp_path, split="train", bits=12, transform=RandTemporalReversed(prob=1.0))
    item = ds[0]
    frames = stored["Data_part_1/Sequence_1"].astype(np.float32) / 4095.0
    np.testing.assert_allclose(item["frame0"][0].numpy(), frames[-1], rtol=1e-6)  # reversed
    np.testing.assert_allclose(item["target"][0].numpy(), frames[-2], rtol=1e-6)
    assert item["tuple_indices"].tolist() == [4, 3, 2, 1, 0]
    batch = next(iter(DataLoader(MoStDSADataset(tmp_path, transform=RandFlipd(["frame0"], prob=0.0)), batch_size=2)))
    assert batch["frame0"].shape == (2, 1, 6, 5) and batch["target"].shape == (2, 3, 6, 5)
    assert batch["time"].shape == (2, 3)
    assert list(batch["sequence"]) == ["Data_part_1/Sequence_1", "Data_part_1/Sequence_2"]


def test_most_dsa_errors(tmp_path):
    _make_dataset(tmp_path, dtype=np.uint16)
    with pytest.raises(ValueError, match="split"):
        MoStDSADataset(tmp_path, split="val")
    with pytest.raises(ValueError, match="bits"):
        MoStDSADataset(tmp_path, bits=0)
    with pytest.raises(ValueError, match="exceed 8 bits"):
        MoStDSADataset(tmp_path, bits=8)[0]
    with pytest.raises(FileNotFoundError):
        MoStDSADataset(tmp_path / "missing")
